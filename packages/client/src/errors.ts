/**
 * Stable codes of {@link ClientError}; the package README explains each. Callers branch on
 * `err.code`, never on the message. One code per line, each with its comment: add new codes
 * the same way.
 */
export type ClientErrorCode =
  // --- talking to the node (NodeClient) ---
  /** the node answered with an HTTP error status; `context.status` and the node's `context.reason` say which */
  | 'NODE_ERROR'
  /** no answer at all: connection refused, DNS failure, connection reset before a response */
  | 'NODE_UNREACHABLE'
  /** the node answered 2xx with something that is not the expected shape (not JSON, a missing field, a tx that does not hash to its `hash` or is not the one asked for, a posted tx's `th$` that is not its own), or sent a body above `MAX_RESPONSE_BYTES` whatever its status */
  | 'BAD_RESPONSE'
  /** a request or a wait ran past its `timeoutMs`, or a channel call got no answer (from the node, or from a store `save`) within `callTimeoutMs` */
  | 'TIMEOUT'
  /** the caller's `AbortSignal` fired, or `stop()` of a `watchChannel`; `cause` is the signal's reason */
  | 'ABORTED'
  /** the node knows the tx and dropped it without including it; `context.reason` is the chain rule it broke */
  | 'TX_REJECTED'

  // --- the state store ---
  /** nothing stored for this channel */
  | 'NOT_FOUND'
  /** a snapshot handed to `save` is inconsistent: a tx$ that does not decode, a round that is not its state's, another channel's tx, a tx not co-signed by both peers */
  | 'INVALID_SNAPSHOT'
  /** `save` of a state older than the one stored: the newest co-signed state is never overwritten by an older one */
  | 'STALE_SNAPSHOT'
  /** what the store read back is not a snapshot it could have written; `context.path` names the file */
  | 'STORE_CORRUPT'
  /** the file system refused a read or a write (ENOSPC, EACCES, EIO…); `cause` is the original error. Also a `FileStore` made where there is none (a browser bundle), and a `save` of an app's own `StateStore` (or its `load` in `closeSolo`) that failed with anything but a `ClientError` */
  | 'STORE_IO'

  // --- solo close, slash, settle ---
  /** the store holds the channel but no co-signed off-chain state to close from */
  | 'NO_STATE'
  /** a state that cannot serve as a close_solo/slash payload: not a co-signed `channel_offchain_tx` of this channel and its peers, or amounts that do not sum to the channel's total */
  | 'INVALID_STATE'
  /** the state does not carry a valid signature of each peer (and nothing else); also an `error` event of the client when the node reports a create, state or close tx without the peer's valid signature */
  | 'NOT_CO_SIGNED'
  /** a slash state whose round is not above the round the chain holds */
  | 'STATE_NOT_NEWER'
  /** the signer is neither the initiator nor the responder of the channel */
  | 'NOT_A_PEER'
  /** the chain has no channel of this id (never created, or already closed) */
  | 'CHANNEL_NOT_FOUND'
  /** a solo close of a channel that is already closing: answer with `slash` if you hold a newer state */
  | 'CHANNEL_ALREADY_CLOSING'
  /** a solo close of a channel whose co-signed mutual close (held in the store) waits in the node's mempool: wait for it, `context.txHash` */
  | 'MUTUAL_CLOSE_PENDING'
  /** slash or settle of a channel that is not solo-closing, or a slash after its lock period ended */
  | 'CHANNEL_NOT_CLOSING'
  /** settle before `closes_at`; `context.closesAt` and `context.height` say how long to wait */
  | 'CHANNEL_NOT_CLOSABLE_YET'

  // --- the channel client (WebSocket) ---
  /** an argument that is well-typed but wrong, e.g. a signer whose key is not its role's in the parameters */
  | 'INVALID_ARGUMENT'
  /** the WebSocket to the node could not be opened */
  | 'CONNECTION_FAILED'
  /** the WebSocket closed before the channel ended; the store keeps what was co-signed */
  | 'CONNECTION_CLOSED'
  /** a call on a channel that is closed or died */
  | 'CHANNEL_CLOSED'
  /** a sign request failed the sign policy or the approve hook, the signer failed, the store failed on an earlier co-signed tx, or the connection or the channel ended first: nothing was signed; `context.reason` says which check */
  | 'SIGN_REFUSED'
  /** a call after a refused sign request (the node waits for a signature that will not come), a call timeout, a store failure or a conflict that voids nothing */
  | 'CHANNEL_STALLED'
  /** the node refused a request (`{reason, request}` error frame), e.g. `insufficient_balance`; `context.reason` */
  | 'REQUEST_REJECTED'
  /** both parties proposed an update at once; `context.round` is the co-signed round both fell back to; also the `error` event of a conflict while our signature of anything but our own update waits (it voids nothing: the channel stalls) */
  | 'CONFLICT'
  /** the node aborted the channel on a protocol error (`{message}` error frame); `died` follows */
  | 'CHANNEL_ABORTED'
  /** a frame that is not of the protocol; one above `MAX_FRAME_BYTES` also closes the connection (`CONNECTION_CLOSED` follows) */
  | 'MALFORMED_FRAME'
  /** the node sent frames faster than the client handles them (more than `MAX_PENDING_FRAMES` waiting): the connection is closed (`CONNECTION_CLOSED` follows) */
  | 'FRAME_FLOOD'
  /** a tx the client did not expect: not the body it signed, not of this channel, or not canonical; or a conflict that falls back to another round than the last co-signed one */
  | 'UNEXPECTED_TX'
  /** an event listener of the app threw or rejected (the `error` event; the channel went on as without it); `cause` is what it threw */
  | 'LISTENER_FAILED'
  /** a bug: an error no part of the client declares (e.g. thrown by the app's `WebSocket`), as an `error` event; `cause` is what was thrown */
  | 'INTERNAL';

export interface ClientErrorContext {
  /** HTTP status of the node's answer, for `NODE_ERROR`, `TX_REJECTED` and a `BAD_RESPONSE` that is too large or not JSON. */
  readonly status?: number;
  /** The node's `reason` (its error text), or the chain rule a tx broke (`TX_REJECTED`). */
  readonly reason?: string;
  /** Method and path of the request, `GET /v2/tx/th$…`. */
  readonly request?: string;
  /** The node's whole answer, when it was JSON. */
  readonly body?: unknown;
  readonly channelId?: string;
  readonly txHash?: string;
  /** The file in question, for the store codes. */
  readonly path?: string;
  /** Round of the state in question. */
  readonly round?: bigint;
  /** Round the chain holds for the channel. */
  readonly onChainRound?: bigint;
  /** Height at which the channel's lock period ends (its `closes_at`). */
  readonly closesAt?: bigint;
  /** Chain height when the check was made. */
  readonly height?: bigint;
}

/** Every failure of `@aesc/client` that is not a wrong argument shape is one of these. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly context: ClientErrorContext;

  constructor(code: ClientErrorCode, message: string, context: ClientErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}

/** The message of whatever was thrown: an app's hook, signer or store may throw `undefined`, a string, anything. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

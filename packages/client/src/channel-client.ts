import { type AccountPubkey, type ChannelId, decode, describe, type EncodedTx, encode, isBytes, type TxHash } from '@aesc/encoding';
import {
  type ChannelParams,
  type ClientMessage,
  type InfoEvent,
  type InitiatorParams,
  message as messageFrame,
  type NodeMessage,
  parseNodeMessage,
  type ResponderParams,
  SchemaError,
  serializeMessage,
  shutdown as shutdownFrame,
  signReply,
  type SignTag,
  toQuery,
  updateNew,
} from '@aesc/schema';
import { type Signer, signTx, verifySignature } from '@aesc/signer';
import {
  type ChannelCreateTx,
  type ChannelOffchainTx,
  channelId as channelIdOf,
  compareBytes,
  decodeRlp,
  deserializeTx,
  encodeTx,
  type OffchainUpdate,
  type RlpItem,
  type SignedTx,
  serializeUnsigned,
  TxError,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { ClientError, messageOf } from './errors.js';
import { MAX_REQUEST_TIMEOUT_MS } from './node-client.js'; // the longest delay Node's timers take
import { clientSnapshot, MemoryStore } from './memory-store.js';
import { checkSignRequest, DEFAULT_LIMITS, purposeOfTag, type SignContext, type SignPurpose } from './policy.js';
import { type ChannelSocket, MAX_FRAME_BYTES, openSocket, type WebSocketConstructor } from './socket.js';
import type { StateStore } from './store.js';

/**
 * Frames received and not yet handled, at most: they pile up only while a handler waits (the
 * signer, the approve hook, `nextNonce`, the store), and a node has little to say meanwhile. A
 * node that sends more is flooding: the client closes the connection (`FRAME_FLOOD`).
 */
export const MAX_PENDING_FRAMES = 1024;
/** Characters (UTF-16 units) of the frames received and not yet handled, at most: 32 of the largest frames. */
export const MAX_PENDING_FRAME_TEXT = 32 * MAX_FRAME_BYTES;

export type ChannelStatus = 'connecting' | 'opening' | 'open' | 'closing' | 'closed' | 'died' | 'disconnected';

/** As the client hands them out (`balances`, a `CoSignedState`): frozen, so read-only. */
export interface Balances {
  readonly initiator: bigint;
  readonly responder: bigint;
}

/**
 * A state both parties signed: what `update()` resolves with and `stateChanged` carries. Frozen
 * all the way down (typed arrays excepted), so its properties are read-only; the arrays inside
 * `state` stay typed as mutable only so that it can be passed on as a `SignedTx`.
 */
export interface CoSignedState {
  readonly round: bigint;
  readonly balances: Balances;
  readonly state: Readonly<Omit<SignedTx, 'tx'> & { tx: Readonly<ChannelOffchainTx> }>;
  readonly encoded: EncodedTx;
}

export interface ChannelEvents {
  /** A sign request arrived (before it is checked). */
  signRequest: { tag: SignTag; tx: UnsignedTx | undefined; encoded: EncodedTx };
  /** A sign request failed a check: nothing was signed. */
  signRefused: { tag: SignTag; reason: string; tx: UnsignedTx | undefined; encoded: EncodedTx };
  /** A new co-signed state, already in the store. */
  stateChanged: CoSignedState;
  message: { channelId: ChannelId; from: AccountPubkey; to: AccountPubkey; info: string };
  /** A co-signed create or close tx (the node posts it; the close tx is in the store first). */
  onChainTx: { tx: SignedTx; encoded: EncodedTx; hash: TxHash };
  conflict: { round: bigint };
  error: ClientError;
  died: { reason: string };
  statusChanged: { status: ChannelStatus; previous: ChannelStatus };
  /** Every `info` event of the node, as it came. */
  info: { event: InfoEvent };
}

/** Decides whether an update the peer proposed (or any checked tx) may be signed. */
export type ApproveHook = (tx: UnsignedTx, context: { purpose: SignPurpose; tag: SignTag; lastState: ChannelOffchainTx | undefined }) =>
  | boolean
  | string
  | Promise<boolean | string>;

export interface SignPolicy {
  /** Highest fee signed for a create or a mutual close (default 100). */
  maxFee?: bigint | undefined;
  /** The app's own check, after the built-in ones: only `true` approves; anything else (a string is the reason), a throw or a rejection refuses. */
  approve?: ApproveHook | undefined;
  /**
   * The initiator's next nonce by the txs the chain has included, e.g.
   * `(account) => node.nextNonce(account)` with a `NodeClient`. When given, a create or a mutual
   * close with a lower nonce is refused: the chain could never include it, and `shutdown()`
   * would resolve with a close that never lands. A higher nonce is not refused: the node picks
   * one above the included txs when the initiator has txs in its mempool, which v0.14's API does
   * not show. Without it the client has no view of the chain and checks only that the nonce is
   * at least 1.
   */
  nextNonce?: ((initiator: AccountPubkey) => Promise<bigint>) | undefined;
}

/**
 * `R` ties `params` to `role`: the initiator's must name the `host` to dial (the node refuses
 * the connection without it), the responder's need not.
 */
export interface ConnectOptions<R extends ChannelParams['role'] = ChannelParams['role']> {
  /** `ws://host:port/channel` of our node. */
  url: string;
  role: R;
  /** The channel's terms and the connection's parameters (BEHAVIOUR.md §1.2), without `role`. */
  params: ConnectParamsByRole[R];
  signer: Signer;
  /** Where co-signed states are kept (default: in memory). */
  store?: StateStore | undefined;
  /** Check before sign (the default) with optional limits and hook, or — for tests only — none at all. */
  policy?: SignPolicy | 'unsafe-sign-anything' | undefined;
  signal?: AbortSignal | undefined;
  /**
   * The WebSocket implementation (default: the platform's, or `ws` on Node 20). One with a
   * `ping` method is taken for `ws`'s and constructed with `{ maxPayload: MAX_FRAME_BYTES }`.
   */
  WebSocket?: WebSocketConstructor | undefined;
  /**
   * Interval of keep-alives: protocol pings with `ws` (Node 20), empty binary frames with a
   * platform WebSocket, which cannot ping; the node drops a socket silent for 60 s (default 20 000; 0: none).
   */
  pingIntervalMs?: number | undefined;
  /**
   * How long a call (`update`, `shutdown`, `sendMessage`) may wait for the node once the
   * channel is open and the call is next in line (default 60 000 ms). Its clock starts then:
   * at once when the call is sent, or while it waits for the round in progress to end (a peer's
   * update the node announced, the outcome of a signature we gave), and it keeps running once
   * the call is sent, until the outcome. While a call in line waits for us instead (our answer
   * to a sign request: the checks, the approve hook, the signer), its clock stops. A call queued before
   * the channel opens waits for the opening (funding confirmations) off the clock. A node that
   * lets it run out rejects the call with `TIMEOUT` and stalls the channel (later calls:
   * `CHANNEL_STALLED`): what the store holds is what a solo close can use.
   */
  callTimeoutMs?: number | undefined;
}

/** The connection parameters of each role, without `role` (it is `ConnectOptions.role`). */
export interface ConnectParamsByRole {
  initiator: Omit<InitiatorParams, 'role'>;
  responder: Omit<ResponderParams, 'role'>;
}

type Listener<T> = (event: T) => void;

/** A co-signed tx from the node, strictly decoded, and its inner (unsigned) tx's bytes as they came. */
interface SignedReceived {
  tx: SignedTx;
  inner: Uint8Array;
}

interface PendingCall {
  kind: 'update' | 'message' | 'shutdown';
  frame: ClientMessage;
  resolve(value: unknown): void;
  reject(error: ClientError): void;
  intent?: OffchainUpdate;
  sent: boolean;
  /** Runs from when the call is next in line on an open channel until its outcome (`callTimeoutMs`). */
  timer?: ReturnType<typeof setTimeout> | undefined;
  /** When the clock last started, and what was left of `callTimeoutMs` then (it stops while we answer a sign request). */
  clock?: { started: number; left: number };
}

/**
 * One party of a channel, talking to its node over WebSocket. It checks every transaction
 * before signing it, writes every co-signed state to its store before it reports it, and sends
 * a call only when the channel is idle (BEHAVIOUR.md §9.2: a call during an unanswered sign
 * request deadlocks the node), queueing the others.
 */
export class ChannelClient {
  readonly role: 'initiator' | 'responder';
  /** Resolves once the channel is open: its id and the initial co-signed state. */
  readonly opened: Promise<{ channelId: ChannelId; state: CoSignedState }>;

  #status: ChannelStatus = 'connecting';
  #socket: ChannelSocket | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  readonly #listeners = new Map<keyof ChannelEvents, Set<Listener<never>>>();
  readonly #store: StateStore;
  readonly #signer: Signer;
  readonly #policy: SignPolicy | 'unsafe-sign-anything';
  readonly #terms: SignContext['terms'];
  /** The parties' `ak$` as given in the parameters (decoded into `#terms` once): every update names them. */
  readonly #partyTexts: { initiator: AccountPubkey; responder: AccountPubkey };
  readonly #callTimeoutMs: number;
  #channelId: Uint8Array | undefined;
  /** The channel id and the co-signed create tx as strings, made once: every save writes them. */
  #channelIdText: ChannelId | undefined;
  #createTxText: EncodedTx | undefined;
  #lastState: CoSignedState | undefined;
  /** The body we signed last, to recognise the co-signed result (or its absence). */
  #signedBody: Uint8Array | undefined;
  /** Our signature of that body. */
  #ownSignature: Uint8Array | undefined;
  /** What we signed that body for, until its outcome comes (the co-signed tx, or a conflict). */
  #outstanding: SignPurpose | undefined;
  /** A sign request is being answered, or we answered and wait for the co-signed result. */
  #busy = false;
  /** The peer proposed an update and we have not seen its outcome yet. */
  #peerUpdate = false;
  /**
   * A sign request is being answered (checks, the approve hook, the signer): the time a user
   * takes on a prompt or a device is not the node's, and stops the clock of the call in line.
   */
  #answering = false;
  #closing = false;
  /**
   * Why no sign request is answered any more, known ahead of the frames in line: the client
   * ends the connection itself (`close()`, or a node past its limits), the connection closed,
   * or the node said the channel died while an earlier frame was handled (its sign timeout ran
   * out while the approve hook or the signer waited for a user). No sign request is answered
   * from then on, whatever the policy: the signer is not asked (it may prompt a user who has
   * left), and a reply could not reach the node, or would sign for a channel that is gone.
   */
  #leaving: string | undefined;
  /** Saves under way: a call that runs out of time while one is says the store, not the node, kept it. */
  #saving = 0;
  /** Why the channel cannot go on: a refused sign request, a node that stopped answering, a store that failed. */
  #stalled: string | undefined;
  /**
   * Why the store failed, once it has: a co-signed tx it did not keep. Nothing is signed after
   * it, whatever the policy: a state the peer co-signs on top of it could be lost in turn, and
   * without the create tx in the store no solo close can use a state at all.
   */
  #unkept: string | undefined;
  readonly #queue: PendingCall[] = [];
  #current: PendingCall | undefined;
  #resolveOpened!: (value: { channelId: ChannelId; state: CoSignedState }) => void;
  #rejectOpened!: (error: ClientError) => void;
  /** Frames are handled one at a time, in order, even when one waits for the store. */
  #frames: Promise<void> = Promise.resolve();
  /** Frames received and not yet handled, and their characters. */
  #pendingFrames = 0;
  #pendingText = 0;
  /** The connection was given up (a frame too large, a flood): nothing more is read from it. */
  #givenUp = false;
  /** Ends the channel if the frames in line are still not handled `callTimeoutMs` after the connection ended. */
  #endTimer: ReturnType<typeof setTimeout> | undefined;
  #removeAbortListener: (() => void) | undefined;

  private constructor(options: ConnectOptions) {
    this.role = options.role;
    this.#signer = options.signer;
    this.#store = options.store ?? new MemoryStore();
    this.#policy = options.policy ?? {};
    this.#callTimeoutMs = options.callTimeoutMs ?? 60_000;
    const { params } = options;
    this.#terms = {
      initiator: decodeAccount(params.initiator, 'params.initiator'),
      responder: decodeAccount(params.responder, 'params.responder'),
      initiator_amount: params.initiator_amount,
      responder_amount: params.responder_amount,
      channel_reserve: params.channel_reserve,
      lock_period: params.lock_period,
      ttl: params.ttl,
    };
    this.#partyTexts = { initiator: params.initiator, responder: params.responder };
    const own = options.role === 'initiator' ? this.#terms.initiator : this.#terms.responder;
    if (compareBytes(own, options.signer.publicKey) !== 0) {
      throw new ClientError('INVALID_ARGUMENT', `the signer's key is not the ${options.role}'s key of the channel parameters`);
    }
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.opened.catch(() => undefined); // observed here so an unawaited rejection never crashes the host
  }

  /** Connects to the node and starts the channel's opening; resolves once the socket is open. */
  static async connect<R extends ChannelParams['role']>(options: ConnectOptions<R>): Promise<ChannelClient> {
    checkConnectOptions(options);
    const client = new ChannelClient(options); // a mistyped ak$ key is a TypeError there
    const query = queryOf(options);
    const url = `${options.url}${options.url.includes('?') ? '&' : '?'}${query}`;
    if (options.signal?.aborted === true) throw new ClientError('ABORTED', 'aborted before connecting', {}, { cause: options.signal.reason });
    try {
      client.#socket = await openSocket(
        url,
        {
          onMessage: (text) => client.#enqueueFrame(text),
          // The socket is closing already (1009): `onClose` follows.
          onFrameTooLarge: () =>
            client.#giveUp(new ClientError('MALFORMED_FRAME', `the node sent a frame above ${MAX_FRAME_BYTES} bytes (MAX_FRAME_BYTES), larger than any of the protocol: the connection is closed`)),
          // Through the frame queue: frames that arrived before the close are handled first. A
          // request among them, or being answered, is refused now: its reply could not be sent.
          onClose: (code, reason) => {
            client.#leaving ??= `the connection closed (${code}${reason === '' ? '' : ` ${reason}`}): nothing more is signed`;
            client.#onConnectionEnded(code, reason);
          },
        },
        options.WebSocket,
        options.signal,
      );
    } catch (error) {
      const { signal } = options as { signal?: AbortSignal }; // may have aborted since the check above
      if (signal?.aborted === true) throw new ClientError('ABORTED', 'aborted while connecting', {}, { cause: signal.reason });
      throw new ClientError('CONNECTION_FAILED', (error as Error).message, {}, { cause: error });
    }
    // A frame too large, or a flood, may have ended the connection in the tick it opened.
    if (client.#givenUp) {
      client.#socket.close();
      return client;
    }
    client.#setStatus('opening');
    const interval = options.pingIntervalMs ?? 20_000;
    if (interval > 0) {
      client.#pingTimer = setInterval(() => client.#socket?.keepAlive(), interval);
      (client.#pingTimer as { unref?: () => void }).unref?.();
    }
    const { signal } = options;
    if (signal !== undefined) {
      // Removed once the connection ends: a signal that outlives many channels would keep each
      // closed client alive through its listener.
      const onAbort = () => client.close();
      signal.addEventListener('abort', onAbort, { once: true });
      client.#removeAbortListener = () => signal.removeEventListener('abort', onAbort);
    }
    return client;
  }

  get status(): ChannelStatus {
    return this.#status;
  }

  get channelId(): ChannelId | undefined {
    return this.#channelIdText;
  }

  /** The round of the newest co-signed state. */
  get round(): bigint | undefined {
    return this.#lastState?.round;
  }

  get balances(): Balances | undefined {
    return this.#lastState?.balances;
  }

  /** The newest co-signed state, as kept in the store. */
  get state(): CoSignedState | undefined {
    return this.#lastState;
  }

  on<E extends keyof ChannelEvents>(event: E, listener: (event: ChannelEvents[E]) => void): () => void {
    let listeners = this.#listeners.get(event);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(event, listeners);
    }
    listeners.add(listener as Listener<never>);
    return () => listeners.delete(listener as Listener<never>);
  }

  /**
   * Calls the listeners of `event`. One that throws, or returns a promise that rejects, breaks
   * neither the channel (the state is stored, the reply sent, the call settled as without it)
   * nor the host: its failure is an `error` event `LISTENER_FAILED`, except an `error`
   * listener's, which is dropped (reporting it to itself would loop).
   */
  #emit<E extends keyof ChannelEvents>(event: E, value: ChannelEvents[E]): void {
    const listeners = this.#listeners.get(event);
    if (listeners === undefined || listeners.size === 0) return; // most events of most frames: no copy, no closure
    const failed = (error: unknown) => {
      if (event === 'error') return;
      this.#emit('error', new ClientError('LISTENER_FAILED', `an app's ${event} listener failed: ${messageOf(error)}`, {}, { cause: error }));
    };
    for (const listener of [...listeners]) {
      try {
        const returned: unknown = (listener as Listener<ChannelEvents[E]>)(value);
        // An async listener's rejection must not reach the host as an unhandled rejection either
        // (any thenable: a promise of another realm or library is not `instanceof Promise`).
        if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') Promise.resolve(returned).catch(failed);
      } catch (error) {
        failed(error);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  /** Proposes moving `amount` from `from` to `to` (either party may be `from`: a request for tokens). */
  update(transfer: { from: AccountPubkey | Uint8Array; to: AccountPubkey | Uint8Array; amount: bigint }): Promise<CoSignedState> {
    if (typeof transfer !== 'object' || transfer === null) throw new TypeError(`transfer must be {from, to, amount}, got ${describe(transfer)}`);
    const from = this.#account(transfer.from, 'from');
    const to = this.#account(transfer.to, 'to');
    if (typeof transfer.amount !== 'bigint') throw new TypeError(`amount must be a bigint, got ${describe(transfer.amount)}`);
    if (transfer.amount < 0n) throw new RangeError(`amount must not be negative, got ${transfer.amount}`);
    const frame = updateNew({ from: from.text, to: to.text, amount: transfer.amount });
    return this.#call('update', frame, { from: from.bytes, to: to.bytes, amount: transfer.amount }) as Promise<CoSignedState>;
  }

  /**
   * An account argument as key and `ak$`. A party of the channel (what nearly every transfer
   * names) comes from the terms, decoded once: base58check has one spelling per key, so the same
   * text, or the same bytes, is the same key. Anything else is decoded, or copied and encoded, here.
   */
  #account(value: AccountPubkey | Uint8Array, name: string): { bytes: Uint8Array; text: AccountPubkey } {
    const terms = this.#terms;
    const texts = this.#partyTexts;
    if (typeof value === 'string') {
      if (value === texts.initiator) return { bytes: terms.initiator, text: value };
      if (value === texts.responder) return { bytes: terms.responder, text: value };
    } else if (isBytes(value) && value.length === 32) {
      // the terms' copy: what the caller does to its array afterwards does not change the intent
      if (compareBytes(value, terms.initiator) === 0) return { bytes: terms.initiator, text: texts.initiator };
      if (compareBytes(value, terms.responder) === 0) return { bytes: terms.responder, text: texts.responder };
    }
    const bytes = accountBytes(value, name);
    return { bytes, text: accountText(value, bytes) };
  }

  /** Sends a generic message to the other party; resolves once it is sent. */
  sendMessage(to: AccountPubkey | Uint8Array, info: string): Promise<void> {
    const recipient = accountBytes(to, 'to');
    if (typeof info !== 'string') throw new TypeError(`info must be a string, got ${describe(info)}`);
    return this.#call('message', messageFrame(encode('ak', recipient), info)) as Promise<void>;
  }

  /** Closes the channel mutually; resolves with the co-signed close tx (posted by the node) and its `th$`. */
  shutdown(): Promise<{ tx: SignedTx; encoded: EncodedTx; hash: TxHash }> {
    return this.#call('shutdown', shutdownFrame()) as Promise<{ tx: SignedTx; encoded: EncodedTx; hash: TxHash }>;
  }

  /**
   * Closes the WebSocket (the node stops its side; the store keeps everything for a solo close).
   * Every sign request from then on is refused, also one that arrived before and is still being
   * checked: the signer is not asked. `opened` and every call not yet settled reject at once
   * (`CONNECTION_CLOSED`); the frames received before are still handled in order (a co-signed
   * state among them is stored and reported), but none settles a call any more.
   */
  close(): void {
    this.#leaving ??= 'the client was closed (close()): nothing more is signed';
    this.#closeSocket(1000, 'client closed');
    // Now, not once the frames in line are handled: one of them may wait for good on a save (a
    // hung disk, a store whose save never settles), and the socket's close waits behind it.
    const ended = this.#endedError();
    if (ended === undefined) return;
    this.#rejectOpened(ended);
    this.#failPending(ended);
  }

  /**
   * Ends the connection from our side. The keep-alives stop now, not once the close completes:
   * a node may never complete it (`ws` then waits 30 s), and a closing socket needs none.
   */
  #closeSocket(code: number, reason: string): void {
    clearInterval(this.#pingTimer);
    this.#socket?.close(code, reason);
  }

  #call(kind: PendingCall['kind'], frame: ClientMessage, intent?: OffchainUpdate): Promise<unknown> {
    const ended = this.#endedError();
    if (ended !== undefined) return Promise.reject(ended);
    return new Promise((resolve, reject) => {
      const call: PendingCall = { kind, frame, resolve, reject, sent: false, ...(intent === undefined ? {} : { intent }) };
      this.#queue.push(call);
      this.#drain();
    });
  }

  #endedError(): ClientError | undefined {
    if (this.#status === 'died' || this.#status === 'closed') return new ClientError('CHANNEL_CLOSED', `the channel is ${this.#status}`);
    if (this.#status === 'disconnected') return new ClientError('CONNECTION_CLOSED', 'the connection to the node is closed');
    // Closing (close(), a died read ahead, a lost socket): a call sent now could not complete,
    // as nothing more is signed, and would wait for the close (ws gives a silent node 30 s).
    if (this.#leaving !== undefined) return new ClientError('CONNECTION_CLOSED', `the connection to the node is closing: ${this.#leaving}`);
    if (this.#stalled !== undefined) {
      return new ClientError('CHANNEL_STALLED', `the channel cannot go on: ${this.#stalled}; close solo from the last co-signed state`);
    }
    return undefined;
  }

  /** Sends the next queued call once the channel is idle in `open`. */
  #drain(): void {
    while (this.#current === undefined && this.#queue.length > 0) {
      const ended = this.#endedError();
      if (ended !== undefined) {
        for (const call of this.#queue.splice(0)) rejectCall(call, ended);
        return;
      }
      if (this.#status !== 'open') return;
      const call = this.#queue[0] as PendingCall;
      // Next in line on an open channel: from here on, a node that stays silent (an update it
      // announced and never asked us to sign, an outcome it owes us) runs the call's clock down.
      if (!this.#answering) this.#startClock(call);
      if (this.#busy || this.#peerUpdate) return;
      this.#queue.shift();
      call.sent = true;
      this.#send(call.frame);
      if (call.kind === 'message') {
        clearTimeout(call.timer);
        call.resolve(undefined); // the node acknowledges nothing; a refusal comes as an error event
        continue;
      }
      if (call.kind === 'shutdown') {
        this.#closing = true;
        this.#setStatus('closing');
      }
      this.#current = call;
    }
  }

  #startClock(call: PendingCall): void {
    if (call.timer !== undefined) return;
    const left = call.clock?.left ?? this.#callTimeoutMs;
    call.clock = { started: Date.now(), left };
    call.timer = setTimeout(() => this.#onCallTimeout(call), left);
    (call.timer as { unref?: () => void }).unref?.();
  }

  /** Stops the clock of a call in line while we, not the node, are the one it waits for. */
  #stopClock(call: PendingCall): void {
    if (call.timer === undefined || call.clock === undefined) return;
    clearTimeout(call.timer);
    call.timer = undefined;
    call.clock = { started: call.clock.started, left: Math.max(0, call.clock.left - (Date.now() - call.clock.started)) };
  }

  #onCallTimeout(call: PendingCall): void {
    if (this.#current === call) {
      this.#stalled =
        this.#saving > 0
          ? `the store did not finish saving a co-signed tx within ${this.#callTimeoutMs} ms of the ${call.kind}`
          : `the node did not answer the ${call.kind} within ${this.#callTimeoutMs} ms`;
      this.#finishCall({ error: new ClientError('TIMEOUT', this.#stalled) });
      return;
    }
    const index = this.#queue.indexOf(call);
    if (index === -1) return;
    this.#queue.splice(index, 1);
    const ended = this.#endedError();
    if (ended !== undefined) {
      rejectCall(call, ended);
    } else {
      this.#stalled = `the round in progress did not end within ${this.#callTimeoutMs} ms (${this.#roundInProgress()}): the ${call.kind} was not sent`;
      rejectCall(call, new ClientError('TIMEOUT', this.#stalled));
    }
    this.#drain();
  }

  /** What keeps the next call from being sent. */
  #roundInProgress(): string {
    if (this.#outstanding !== undefined) return `our signature of the ${this.#outstanding} still waits for its outcome from the node`;
    return 'the node announced an update of the peer and sent no sign request';
  }

  #finishCall(outcome: { value: unknown } | { error: ClientError }): void {
    const call = this.#current;
    if (call === undefined) return;
    this.#current = undefined;
    clearTimeout(call.timer);
    if ('error' in outcome) {
      if (call.kind === 'shutdown') {
        this.#closing = false;
        if (this.#status === 'closing') this.#setStatus('open');
      }
      call.reject(outcome.error);
    } else {
      call.resolve(outcome.value);
    }
    this.#drain();
  }

  #send(frame: ClientMessage): void {
    this.#socket?.send(serializeMessage(frame));
  }

  // -------------------------------------------------------------------------------------------
  // Frames from the node

  #enqueueFrame(text: string): void {
    if (this.#givenUp) return;
    if (this.#pendingFrames + 1 > MAX_PENDING_FRAMES || this.#pendingText + text.length > MAX_PENDING_FRAME_TEXT) {
      const what = this.#pendingFrames + 1 > MAX_PENDING_FRAMES ? `more than ${MAX_PENDING_FRAMES} frames (MAX_PENDING_FRAMES)` : `more than ${MAX_PENDING_FRAME_TEXT} characters of frames (MAX_PENDING_FRAME_TEXT)`;
      this.#giveUp(new ClientError('FRAME_FLOOD', `the node sent ${what} faster than they could be handled: the connection is closed`));
      this.#closeSocket(1008, 'frame flood');
      this.#onConnectionEnded(1008, 'frame flood');
      return;
    }
    // A frame that must wait for others (a sign request being answered, a save) may say the
    // channel died: a request in line, or being answered, is refused then (the signer may have
    // held it past the node's sign timeout). Only such a frame is read ahead of its turn.
    if (this.#pendingFrames > 0 && text.includes('died')) this.#readDiedAhead(text);
    this.#pendingFrames += 1;
    this.#pendingText += text.length;
    this.#afterPendingFrames(async () => {
      try {
        await this.#onFrame(text);
      } finally {
        this.#pendingFrames -= 1;
        this.#pendingText -= text.length;
      }
    });
  }

  #readDiedAhead(text: string): void {
    let frame: NodeMessage;
    try {
      frame = parseNodeMessage(text);
    } catch {
      return; // reported in its turn
    }
    if (frame.action === 'info' && frame.payload.event === 'died') {
      this.#leaving ??= 'the node reported the channel died while a frame was being handled: nothing more is signed';
    }
  }

  /** Runs `step` once every frame received before it is handled; a failure is an `error` event. */
  #afterPendingFrames(step: () => void | Promise<void>): void {
    this.#frames = this.#frames.then(step).catch((error: unknown) => {
      this.#emit('error', error instanceof ClientError ? error : new ClientError('INTERNAL', messageOf(error), {}, { cause: error }));
    });
  }

  /**
   * Gives up a connection whose node broke the client's limits: nothing more is read from it;
   * the frames received before are still handled (a co-signed state among them is stored), then
   * `error` says why, and the close that follows ends the channel (`CONNECTION_CLOSED`).
   */
  #giveUp(error: ClientError): void {
    if (this.#givenUp) return;
    this.#givenUp = true;
    this.#leaving ??= `the client gave up the connection (${error.code}): nothing more is signed`;
    this.#afterPendingFrames(() => this.#emit('error', error));
  }

  async #onFrame(text: string): Promise<void> {
    let frame: NodeMessage;
    try {
      frame = parseNodeMessage(text);
    } catch (error) {
      if (!(error instanceof SchemaError)) throw error;
      this.#emit('error', new ClientError('MALFORMED_FRAME', `the node sent a frame that is not of the protocol: ${error.message}`, {}, { cause: error }));
      return;
    }
    switch (frame.action) {
      case 'info':
        return this.#onInfo(frame.payload.event);
      case 'sign':
        return this.#onSignRequest(frame.tag, frame.payload.tx);
      case 'on_chain_tx':
        return this.#onOnChainTx(frame.payload.tx);
      case 'update':
        return this.#onCoSignedState(frame.payload.state);
      case 'conflict':
        return this.#onConflict(frame.payload.round);
      case 'message':
        this.#emit('message', {
          channelId: frame.payload.message.channel_id,
          from: frame.payload.message.from,
          to: frame.payload.message.to,
          info: frame.payload.message.info,
        });
        return;
      case 'error':
        return this.#onError(frame.payload);
    }
  }

  #onInfo(event: InfoEvent): void {
    this.#emit('info', { event });
    if (event === 'update') {
      this.#peerUpdate = true;
    } else if (event === 'died') {
      this.#onDied('the node stopped the channel');
    }
  }

  async #onSignRequest(tag: SignTag, encoded: EncodedTx): Promise<void> {
    this.#busy = true;
    this.#answering = true;
    // The call in line waits for us now, not for the node: its clock goes on once we answered.
    const next = this.#queue[0];
    if (next !== undefined) this.#stopClock(next);
    try {
      await this.#answerSignRequest(tag, encoded);
    } finally {
      this.#answering = false;
      this.#drain();
    }
  }

  async #answerSignRequest(tag: SignTag, encoded: EncodedTx): Promise<void> {
    let tx: UnsignedTx | undefined;
    let requested: Uint8Array | undefined;
    try {
      requested = decode(encoded, 'tx');
      tx = deserializeTx(requested, 'unsigned');
    } catch (error) {
      if (!(error instanceof TxError) && !(error instanceof Error && error.name === 'EncodingError')) throw error;
    }
    this.#emit('signRequest', { tag, tx, encoded });
    const purpose = purposeOfTag(tag);
    const refusal =
      this.#leaving ??
      this.#unkept ??
      (tx === undefined ? 'the tx does not decode strictly' : purpose === undefined ? `unknown sign tag ${tag}` : await this.#check(purpose, tag, tx));
    // The user may have closed while a `signRequest` listener, the approve hook or `nextNonce` ran.
    const closing = this.#leaving;
    if (refusal !== undefined || closing !== undefined || tx === undefined || purpose === undefined) {
      this.#refuse(tag, refusal ?? closing ?? 'refused', tx, encoded, purpose);
      return;
    }
    // The tx the checks passed must still be the one asked for: a `signRequest` listener or the
    // approve hook that changed the object would otherwise get a tx signed that no check saw.
    // signTx serializes it again at once, with no await in between.
    const body = serializeUnsigned(tx);
    if (compareBytes(body, requested as Uint8Array) !== 0) {
      this.#refuse(tag, 'the tx was changed while it was being checked (by a signRequest listener or the approve hook)', tx, encoded, purpose);
      return;
    }
    let signed: SignedTx;
    try {
      signed = await signTx(tx, this.#signer);
    } catch (error) {
      // A signer that fails (a device the user declined on, a key it cannot reach, a signature
      // that does not verify with its key: signTx checks a signer of elsewhere) signed nothing:
      // a refusal like the others, not a bug that leaves the call waiting for good.
      this.#refuse(tag, `the signer failed: ${messageOf(error)}`, tx, encoded, purpose);
      return;
    }
    const signature = signed.signatures[0] as Uint8Array;
    // Closed while the signer signed: the signature is not sent (the socket is closing).
    if (this.#leaving !== undefined) {
      this.#refuse(tag, `${this.#leaving} (the signature made meanwhile was not sent)`, tx, encoded, purpose);
      return;
    }
    this.#signedBody = body;
    this.#ownSignature = signature;
    this.#outstanding = purpose;
    if (purpose === 'update_ack') this.#peerUpdate = true;
    this.#send(signReply(tag, encodeTx(signed)));
  }

  async #check(purpose: SignPurpose, tag: SignTag, tx: UnsignedTx): Promise<string | undefined> {
    if (this.#policy === 'unsafe-sign-anything') return undefined;
    const current = this.#current;
    const context: SignContext = {
      role: this.role,
      self: this.#signer.publicKey,
      terms: this.#terms,
      closing: this.#closing,
      announced: this.#peerUpdate,
      closed: this.#status === 'closed',
      died: this.#status === 'died' || this.#status === 'disconnected',
      ...(this.#outstanding === undefined ? {} : { outstanding: this.#outstanding }),
      ...(this.#channelId === undefined ? {} : { channelId: this.#channelId }),
      ...(this.#lastState === undefined ? {} : { lastState: this.#lastState.state.tx }),
      ...(current?.kind === 'update' && current.intent !== undefined ? { intent: current.intent } : {}),
    };
    const builtIn = checkSignRequest(purpose, tx, context, { maxFee: this.#policy.maxFee ?? DEFAULT_LIMITS.maxFee });
    if (builtIn !== undefined) return builtIn;
    const nextNonce = this.#policy.nextNonce;
    if (nextNonce !== undefined && (tx.type === 'channel_create_tx' || tx.type === 'channel_close_mutual_tx')) {
      const initiator = encode('ak', this.#terms.initiator);
      let expected: bigint;
      try {
        expected = await nextNonce(initiator);
      } catch (error) {
        return `cannot check the nonce: nextNonce failed: ${messageOf(error)}`;
      }
      if (typeof expected !== 'bigint') return `cannot check the nonce: nextNonce gave ${describe(expected)}, not a bigint`;
      if (tx.nonce < expected) return `nonce ${tx.nonce} is below the initiator's next nonce ${expected}: the chain could never include the tx`;
    }
    const approve = this.#policy.approve;
    if (approve === undefined) return undefined;
    try {
      const verdict = await approve(tx, { purpose, tag, lastState: this.#lastState?.state.tx });
      if (verdict === true) return undefined;
      return typeof verdict === 'string' ? `approve hook: ${verdict}` : 'approve hook refused';
    } catch (error) {
      return `approve hook threw: ${messageOf(error)}`;
    }
  }

  #refuse(tag: SignTag, reason: string, tx: UnsignedTx | undefined, encoded: EncodedTx, purpose: SignPurpose | undefined): void {
    // The node has no refusal message: it waits for a signature that will not come.
    this.#stalled = `the node waits for a signature we refused (${reason})`;
    this.#emit('signRefused', { tag, reason, tx, encoded });
    const error = new ClientError('SIGN_REFUSED', `refused to sign the ${tag} request: ${reason}`, { reason });
    // The call in flight can no longer end: the node waits for the signature first.
    this.#finishCall({ error });
    this.#rejectOpened(error); // the create or the initial state: the channel will not open (no-op once open)
    this.#drain();
  }

  async #onOnChainTx(encoded: EncodedTx): Promise<void> {
    const decoded = this.#decodeSigned(encoded);
    if (decoded === undefined) return;
    const { tx } = decoded;
    const hash = txHash(tx);
    if (tx.tx.type === 'channel_create_tx') {
      if (!(await this.#isOurs(decoded))) return;
      this.#createTxText = encoded; // strictly decoded, so canonical: encodeTx(tx) would give it back
      this.#channelIdText = channelIdOf(tx.tx as ChannelCreateTx);
      this.#channelId = decode(this.#channelIdText, 'ch');
      this.#busy = false;
      this.#outstanding = undefined;
      await this.#save();
    } else if (tx.tx.type === 'channel_close_mutual_tx') {
      if (!(await this.#isOurs(decoded))) return;
      await this.#save({ closeTx: encoded });
      this.#busy = false;
      this.#outstanding = undefined;
      this.#setStatus('closed');
      if (this.#current?.kind === 'shutdown') this.#finishCall({ value: { tx, encoded, hash } });
      this.#drain(); // calls in line end now (CHANNEL_CLOSED), not when died comes or their clock runs out
    } else {
      this.#emit('error', new ClientError('UNEXPECTED_TX', `the node reported a ${tx.tx.type} on chain`));
      return;
    }
    this.#emit('onChainTx', { tx, encoded, hash });
  }

  /**
   * A co-signed tx is ours when it is the body we signed and carries exactly two signatures:
   * ours (compared by its bytes: we made it) and one the peer's key verifies.
   */
  async #isOurs({ tx, inner }: SignedReceived): Promise<boolean> {
    const body = this.#signedBody;
    const own = this.#ownSignature;
    if (body === undefined || own === undefined || compareBytes(inner, body) !== 0) {
      this.#emit('error', new ClientError('UNEXPECTED_TX', `the node reported a ${tx.tx.type} we did not sign`));
      return false;
    }
    const others = tx.signatures.filter((signature) => compareBytes(signature, own) !== 0);
    const peer = this.role === 'initiator' ? this.#terms.responder : this.#terms.initiator;
    const valid = tx.signatures.length === 2 && others.length === 1 && (await verifySignature(others[0] as Uint8Array, body, peer));
    if (!valid) {
      this.#emit('error', new ClientError('NOT_CO_SIGNED', `the ${tx.tx.type} the node reported lacks a valid signature of each party`));
      return false;
    }
    return true;
  }

  async #onCoSignedState(encoded: EncodedTx): Promise<void> {
    const decoded = this.#decodeSigned(encoded);
    if (decoded === undefined) return;
    const signed = decoded.tx;
    if (signed.tx.type !== 'channel_offchain_tx') {
      this.#emit('error', new ClientError('UNEXPECTED_TX', `the node reported a ${signed.tx.type} as the channel state`));
      return;
    }
    const state = signed as SignedTx & { tx: ChannelOffchainTx };
    const last = this.#lastState;
    if (last !== undefined && state.tx.round <= last.round) return; // a state we already hold
    if (!(await this.#isOurs(decoded))) return;
    // Frozen: the same object is the client's view of the channel (the next request is checked
    // against it) and what `state`, `balances`, `stateChanged` and `update()` hand out.
    const coSigned: CoSignedState = deepFreeze({
      round: state.tx.round,
      balances: { initiator: state.tx.initiator_amount, responder: state.tx.responder_amount },
      state,
      encoded,
    });
    // Kept before anyone hears of it: a crash after this line loses nothing.
    await this.#save({ state: encoded, round: coSigned.round }, coSigned);
    const purpose = this.#outstanding;
    this.#busy = false;
    this.#outstanding = undefined;
    this.#peerUpdate = false;
    this.#emit('stateChanged', coSigned);
    if (this.#status === 'opening') {
      this.#setStatus('open');
      this.#resolveOpened({ channelId: this.#channelIdText as ChannelId, state: coSigned });
    }
    // update() resolves with the state of the transfer it asked for, and nothing else.
    if (this.#current?.kind === 'update' && purpose === 'update') this.#finishCall({ value: coSigned });
    this.#drain();
  }

  #onConflict(round: bigint): void {
    const outstanding = this.#outstanding;
    if (outstanding !== undefined && outstanding !== 'update') {
      // A conflict is both parties proposing at once (BEHAVIOUR.md §3.4): it voids our own
      // update and nothing else. Our signature of anything else (an acknowledgement, a create, a
      // close) the node may already have passed on, to be co-signed: taken as void, it would let
      // a second tx of the same round, a second create, or a state after a close be signed. It
      // stays outstanding (nothing more is signed) and the channel stops.
      this.#stalled = `a conflict came while our signature of the ${outstanding} waited for its outcome`;
      const error = new ClientError('CONFLICT', `a conflict cannot void our signature of the ${outstanding}: the channel stops at round ${this.#lastState?.round ?? 0n}`, { round });
      this.#emit('error', error);
      this.#rejectOpened(error); // a conflict during the opening: the channel will not open (no-op once open)
      this.#drain();
      return;
    }
    this.#busy = false;
    this.#outstanding = undefined;
    this.#peerUpdate = false;
    this.#signedBody = undefined;
    this.#ownSignature = undefined;
    if (this.#lastState !== undefined && round !== this.#lastState.round) {
      this.#emit('error', new ClientError('UNEXPECTED_TX', `conflict fell back to round ${round}, our last co-signed round is ${this.#lastState.round}`));
    }
    this.#emit('conflict', { round });
    if (this.#current?.kind === 'update') {
      this.#finishCall({ error: new ClientError('CONFLICT', `both parties proposed at once; the channel stays at round ${round}`, { round }) });
    }
    this.#drain();
  }

  #onError(payload: { reason: string; request: { action: string; tag?: unknown } } | { message: string }): void {
    if ('message' in payload) {
      this.#emit('error', new ClientError('CHANNEL_ABORTED', `the node aborted the channel: ${payload.message}`, { reason: payload.message }));
      return;
    }
    const error = new ClientError('REQUEST_REJECTED', `the node refused the request: ${payload.reason}`, { reason: payload.reason });
    const current = this.#current;
    const answersCurrent =
      current !== undefined &&
      ((current.kind === 'update' && payload.request.action === 'update' && payload.request.tag === 'new') ||
        (current.kind === 'shutdown' && payload.request.action === 'shutdown'));
    if (answersCurrent) this.#finishCall({ error });
    else this.#emit('error', error);
  }

  #decodeSigned(encoded: EncodedTx): SignedReceived | undefined {
    try {
      const bytes = decode(encoded, 'tx');
      const tx = deserializeTx(bytes, 'signed_tx');
      // Strictly decoded, so canonical: its last item is the inner tx exactly as serializeUnsigned
      // gives it back, and the body we signed is compared with it as it came (no re-serialization).
      const inner = (decodeRlp(bytes) as RlpItem[])[3] as Uint8Array;
      return { tx, inner };
    } catch (error) {
      this.#emit('error', new ClientError('UNEXPECTED_TX', `the node sent a tx that is not a canonical signed_tx: ${(error as Error).message}`, {}, { cause: error }));
      return undefined;
    }
  }

  /** Writes the channel to the store; `state` updates what we hold only once it is written. */
  async #save(changes: { state?: EncodedTx; round?: bigint; closeTx?: EncodedTx } = {}, state?: CoSignedState): Promise<void> {
    if (this.#channelIdText === undefined || this.#createTxText === undefined) return;
    const snapshot = clientSnapshot({
      channelId: this.#channelIdText,
      role: this.role,
      createTx: this.#createTxText,
      ...(this.#lastState === undefined ? {} : { state: this.#lastState.encoded, round: this.#lastState.round }),
      ...changes,
    });
    this.#saving += 1;
    try {
      await this.#store.save(snapshot);
    } catch (error) {
      const failure = error instanceof ClientError ? error : new ClientError('STORE_IO', messageOf(error), {}, { cause: error });
      // What was not kept cannot be built on: the channel stops here (a solo close can use what
      // the store holds), and every call from now on says so instead of waiting.
      this.#unkept = `the store did not keep a co-signed tx: ${failure.message}`;
      this.#stalled = this.#unkept;
      this.#finishCall({ error: failure });
      this.#rejectOpened(failure); // the create or the initial state: the channel will not open (no-op once open)
      this.#drain();
      throw failure; // reported once, as an error event, by the frame queue
    } finally {
      this.#saving -= 1;
    }
    if (state !== undefined) this.#lastState = state;
  }

  #onDied(reason: string): void {
    if (this.#status === 'died' || this.#status === 'disconnected') return;
    if (this.#status !== 'closed') this.#setStatus('died');
    const error = new ClientError('CHANNEL_CLOSED', `the channel died: ${reason}`);
    this.#rejectOpened(error);
    this.#failPending(error);
    this.#emit('died', { reason });
    // v0.14 leaves the socket open after `died`; nothing more will come over it.
    this.#closeSocket(1000, 'channel died');
  }

  /**
   * The connection ended (the node closed it, or the client gave it up): the channel ends once
   * the frames received before are handled, in order (a close tx among them still resolves
   * `shutdown()`). One of them may wait for good (a store whose save never settles, an approve
   * hook that never answers): the channel ends `callTimeoutMs` after the connection at the latest,
   * and the calls in line, which can no longer be sent, end at once when no frame could settle
   * anything else (`opened`, the call in flight).
   */
  #onConnectionEnded(code: number, reason: string): void {
    this.#afterPendingFrames(() => this.#onSocketClosed(code, reason));
    if (this.#pendingFrames === 0 || this.#endTimer !== undefined) return; // ends once the frames queued ahead are handled
    const opening = this.#status === 'connecting' || this.#status === 'opening';
    if (!opening && this.#current === undefined) {
      const error = new ClientError('CONNECTION_CLOSED', `the connection closed (${code}${reason === '' ? '' : ` ${reason}`}): the call was not sent`, { reason });
      for (const call of this.#queue.splice(0)) rejectCall(call, error);
    }
    this.#endTimer = setTimeout(() => {
      const waiting = this.#saving > 0 ? 'the store did not finish saving a co-signed tx' : this.#answering ? 'a sign request was still being answered' : 'a frame was still being handled';
      this.#onSocketClosed(code, reason, `, and the frames received before were not handled within ${this.#callTimeoutMs} ms: ${waiting}`);
    }, this.#callTimeoutMs);
    (this.#endTimer as { unref?: () => void }).unref?.();
  }

  #onSocketClosed(code: number, reason: string, unhandled = ''): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#endTimer);
    this.#removeAbortListener?.();
    if (this.#status === 'died' || this.#status === 'closed' || this.#status === 'disconnected') return;
    this.#setStatus('disconnected');
    const error = new ClientError('CONNECTION_CLOSED', `the connection closed (${code}${reason === '' ? '' : ` ${reason}`})${unhandled}`, { reason });
    this.#rejectOpened(error);
    this.#failPending(error);
    this.#emit('died', { reason: `connection closed (${code})` });
  }

  #failPending(error: ClientError): void {
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) rejectCall(current, error);
    for (const call of this.#queue.splice(0)) rejectCall(call, error);
  }

  #setStatus(status: ChannelStatus): void {
    const previous = this.#status;
    if (previous === status) return;
    this.#status = status;
    this.#emit('statusChanged', { status, previous });
  }
}

/** Rejects a call that did not end otherwise, and stops its clock. */
function rejectCall(call: PendingCall, error: ClientError): void {
  clearTimeout(call.timer);
  call.reject(error);
}

function accountBytes(value: AccountPubkey | Uint8Array, name: string): Uint8Array {
  if (typeof value === 'string') return decodeAccount(value, name);
  // A copy: the caller may reuse its array once the call is made, and the intent checked stays the one asked for.
  if (isBytes(value) && value.length === 32) return Uint8Array.from(value);
  throw new TypeError(`${name} must be an ak$ string or 32 bytes, got ${describe(value)}`);
}

/** The key of an `ak$` argument; a mistyped one is a wrong argument (TypeError), as the README says, not an EncodingError. */
function decodeAccount(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`${name} must be an ak$ string, got ${describe(value)}`);
  try {
    return decode(value, 'ak');
  } catch (error) {
    throw new TypeError(`${name} must be a valid ak$ string: ${(error as Error).message}`, { cause: error });
  }
}

/** Freezes the plain objects and arrays of `value` all the way down (typed arrays cannot be frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** The `ak$` of an account given as `value`: the string itself once it decoded (base58check has one spelling per value). */
function accountText(value: AccountPubkey | Uint8Array, bytes: Uint8Array): AccountPubkey {
  return typeof value === 'string' ? value : encode('ak', bytes);
}

/**
 * The query string of the connection, through `@aesc/schema`'s `toQuery`: every parameter of
 * the type and range the node reads. An amount given as a number (`2 ** 53 + 1`, `0.5`, `1e21`)
 * is a TypeError here: written as text it would reach the node rounded, or not as an integer,
 * and the channel would be funded with another amount than the one the checks compare with.
 */
function queryOf(options: ConnectOptions): string {
  try {
    return toQuery({ ...options.params, role: options.role } as ChannelParams);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw new ClientError('INVALID_ARGUMENT', `params.${error.message}`, {}, { cause: error });
  }
}

function checkConnectOptions(options: ConnectOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  if (typeof options.url !== 'string' || !/^wss?:\/\//.test(options.url)) throw new TypeError('url must be a ws:// or wss:// URL');
  if (options.role !== 'initiator' && options.role !== 'responder') throw new TypeError('role must be initiator or responder');
  if (typeof options.signer !== 'object' || options.signer === null || typeof options.signer.sign !== 'function') {
    throw new TypeError('signer must be a Signer');
  }
  if (typeof options.params !== 'object' || options.params === null) throw new TypeError('params must be the channel parameters');
  // Found out at the first save otherwise: after the create was signed and funded on chain.
  const { store } = options;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.save !== 'function')) {
    throw new TypeError(`store must be a StateStore (such as new FileStore(directory)), got ${describe(store)}`);
  }
  // The node would leave out frames the client cannot do without: `opened`, calls and the store
  // would wait for states, deaths and txs that never come. (Messages may be silenced.)
  for (const tag of ['info', 'update', 'conflict', 'error', 'on_chain_tx'] as const) {
    const value: unknown = (options.params as Record<string, unknown>)[`report_${tag}`];
    if (value === false || value === 'false') {
      throw new ClientError('INVALID_ARGUMENT', `params.report_${tag} is false: the client needs the node's ${tag} frames (leave it out)`);
    }
  }
  // Node's timers take at most 2^31 - 1 ms and fire at once past it (and for Infinity).
  const milliseconds = (name: 'callTimeoutMs' | 'pingIntervalMs', value: unknown, least: number) => {
    if (value !== undefined && (typeof value !== 'number' || !(value >= least && value <= MAX_REQUEST_TIMEOUT_MS))) {
      throw new RangeError(`${name} must be a number of milliseconds from ${least} to ${MAX_REQUEST_TIMEOUT_MS}, got ${typeof value === 'number' ? value : describe(value)}`);
    }
  };
  milliseconds('callTimeoutMs', options.callTimeoutMs, 1);
  milliseconds('pingIntervalMs', options.pingIntervalMs, 0); // 0: no keep-alives
  const { policy } = options;
  if (policy === undefined || policy === 'unsafe-sign-anything') return;
  if (typeof policy !== 'object' || policy === null) throw new TypeError(`policy must be an object or 'unsafe-sign-anything', got ${describe(policy)}`);
  if (policy.maxFee !== undefined && (typeof policy.maxFee !== 'bigint' || policy.maxFee < 1n)) {
    const error = typeof policy.maxFee === 'bigint' ? RangeError : TypeError;
    throw new error(`policy.maxFee must be a bigint of at least 1, got ${describe(policy.maxFee)}`);
  }
  for (const name of ['approve', 'nextNonce'] as const) {
    if (policy[name] !== undefined && typeof policy[name] !== 'function') throw new TypeError(`policy.${name} must be a function, got ${describe(policy[name])}`);
  }
}

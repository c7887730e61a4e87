import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { decode } from '@aesc/encoding';
import {
  type ChannelParams,
  type ClientMessage,
  coSignedState,
  conflict,
  type Dialect,
  type EchoedRequest,
  fromQuery,
  fsmError,
  info,
  messageReport,
  type NodeMessage,
  onChainTx,
  parseClientMessage,
  parseJsonExact,
  type ReportTag,
  requestError,
  SchemaError,
  serializeJson,
  serializeMessage,
  signRequest,
  TIMEOUT_NAMES,
} from '@aesc/schema';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Chain } from './chain.js';
import { type ChannelOptions, ChannelFsm, type ClientRequest, type ClientSink, DEFAULT_TIMEOUTS, type SignTag, type Timeouts } from './fsm.js';
import { linkPeers } from './peer.js';
import { memoizedVerifier, type VerifySignature } from './verified.js';

export interface ChannelServiceOptions {
  chain: Chain;
  /** Names on the wire (DESIGN.md decision 5); devnode reads either from clients. */
  dialect: Dialect;
  /** Confirmations before a channel opens, unless a connection sets `minimum_depth`. */
  minimumDepth: bigint;
  /**
   * A socket with no frame from its client for this long is closed with 1000 (BEHAVIOUR.md §1.4:
   * cowboy's idle_timeout; the node's own frames do not count). Default 60 000.
   */
  idleTimeoutMs?: number;
}

/** WebSocket close code for a connection refused for its parameters (policy violation). */
export const CLOSE_BAD_PARAMS = 1008;
/** Bytes of frames a client may leave unread before devnode drops its connection. */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** How long a client has to answer devnode's close frame when devnode stops, before its socket is cut. */
export const STOP_GRACE_MS = 1000;

/** The seed's names of the two create-tx sign tags; the other tags are the same in both dialects. */
const SEED_TAGS: Partial<Record<SignTag, string>> = { initiator_sign: 'initiator_signed', responder_sign: 'responder_signed' };
const FROM_WIRE_TAG: Record<string, SignTag> = {
  initiator_sign: 'initiator_sign',
  initiator_signed: 'initiator_sign',
  responder_sign: 'responder_sign',
  responder_signed: 'responder_sign',
  update: 'update',
  update_ack: 'update_ack',
  shutdown_sign: 'shutdown_sign',
  shutdown_sign_ack: 'shutdown_sign_ack',
};

/**
 * One party's connection: its socket, its state machine, and the translation between the two.
 */
class Session implements ClientSink {
  readonly fsm: ChannelFsm;
  #closed = false;
  /** Whether frames sent now wait in the stream for the end of this tick (see #send). */
  #corked = false;

  constructor(
    readonly socket: WebSocket,
    /** The TCP (or TLS) stream under `socket`: the upgraded request's. */
    private readonly stream: Duplex,
    readonly params: ChannelParams,
    readonly pairingKey: string,
    readonly dialect: Dialect,
    options: ChannelOptions,
    chain: Chain,
    private readonly onEnd: (session: Session) => void,
  ) {
    this.fsm = new ChannelFsm(options, chain, this);
  }

  get role(): 'initiator' | 'responder' {
    return this.params.role;
  }

  #reports(tag: ReportTag): boolean {
    return this.params[`report_${tag}`] !== false;
  }

  #send(frame: NodeMessage): void {
    if (this.#closed || this.socket.readyState !== this.socket.OPEN) return;
    // A client that does not read would make devnode hold every frame for it (each error echoes
    // a request of up to 1 MB): past the limit, the connection is dropped instead.
    if (this.socket.bufferedAmount > MAX_UNREAD_BYTES) {
      this.fsm.stop();
      this.socket.terminate();
      return;
    }
    // A step of the state machine often sends two frames at once (`info` then `sign`, or
    // `update_finalized` then the state): corked until the end of this tick, they leave in one
    // write instead of a syscall and a TCP segment each (ws writes every frame on its own).
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.stream.uncork();
      });
    }
    this.socket.send(serializeMessage(frame));
  }

  // ClientSink ------------------------------------------------------------------------------

  info(event: Parameters<ClientSink['info']>[0]): void {
    // The seed has no close_mutual event (its mutual close ends with on_chain_tx and died).
    if (event === 'close_mutual' && this.dialect === 'seed') return;
    if (this.#reports('info')) this.#send(info(event));
  }

  sign(tag: SignTag, tx: `tx$${string}`): void {
    this.#send(signRequest(this.wireTag(tag) as Parameters<typeof signRequest>[0], tx)); // sign requests cannot be silenced
  }

  wireTag(tag: SignTag): string {
    return this.dialect === 'seed' ? (SEED_TAGS[tag] ?? tag) : tag;
  }

  onChainTx(tx: `tx$${string}`): void {
    if (this.#reports('on_chain_tx')) this.#send(onChainTx(tx));
  }

  state(tx: `tx$${string}`): void {
    // The seed announces a finished update with an event, an info report (report_info, not
    // report_update, silences it); both dialects send the state itself (report_update).
    if (this.dialect === 'seed' && this.#coSignedRounds++ > 0 && this.#reports('info')) this.#send(info('update_finalized'));
    if (this.#reports('update')) this.#send(coSignedState(tx));
  }

  #coSignedRounds = 0;

  conflict(channelId: `ch$${string}`, round: bigint): void {
    if (this.#reports('conflict')) this.#send(conflict(channelId, round));
  }

  message(received: Parameters<ClientSink['message']>[0]): void {
    if (this.#reports('message')) this.#send(messageReport(received));
  }

  requestError(reason: string, request: unknown): void {
    if (this.#reports('error')) this.#send(requestError(reason, echo(request)));
  }

  fatalError(message: string): void {
    if (this.#reports('error')) this.#send(fsmError(message));
  }

  died(): void {
    this.onEnd(this);
    // v0.14 left the socket open after `died`; the seed closes it.
    if (this.dialect === 'seed') this.close(1000, 'channel died');
  }

  // Client frames ---------------------------------------------------------------------------

  /**
   * Handles the client's frames one after another, in the order they came, as v0.14's socket
   * handler did: through the state machine's queue, so that a frame sent right after a signing
   * reply (checked asynchronously) does not overtake it, and a malformed one is answered in turn.
   */
  receive(text: string): Promise<void> {
    let frame: ClientMessage;
    try {
      frame = parseClientMessage(text);
    } catch (error) {
      if (!(error instanceof SchemaError)) return Promise.reject(error);
      const request = parsedOrText(text);
      const transfer = malformedTransfer(error, request);
      if (transfer !== undefined) return this.fsm.handleClient(transfer);
      return this.fsm.inTurn(() => this.requestError(reasonOf(error), request));
    }
    return this.fsm.handleClient(toRequest(frame));
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.close(code, reason);
  }
}

/** The request of a parsed frame, for the state machine. */
function toRequest(frame: ClientMessage): ClientRequest {
  if (frame.action === 'shutdown') return { kind: 'shutdown', request: frame };
  if (frame.action === 'message') return { kind: 'message', to: frame.payload.to, info: frame.payload.info, request: frame };
  if (frame.action === 'update' && 'tag' in frame && frame.tag === 'new') {
    return { kind: 'transfer', from: frame.payload.from, to: frame.payload.to, amount: frame.payload.amount, request: frame };
  }
  const reply = frame as Extract<ClientMessage, { payload: { tx: string } }>;
  return { kind: 'sign_reply', tag: FROM_WIRE_TAG[reply.action] as SignTag, tx: reply.payload.tx, request: frame };
}

/**
 * An `update/new` that holds `from`, `to` and `amount`, one of them malformed: v0.14 passes such
 * values on and answers in its own order (`broken_encoding`, `negative_amount`, the state,
 * `invalid_pubkeys`, …, `function_clause`), so the state machine judges them as it judges the
 * rest. A missing key is no malformed value: v0.14 ignores such a frame (BEHAVIOUR.md §3.3), and
 * devnode says what is missing rather than borrowing a reason the reference gives for a value.
 */
function malformedTransfer(error: SchemaError, request: EchoedRequest): ClientRequest | undefined {
  const { path, keyword } = error.context;
  if (keyword === 'required' || (path !== '/payload/from' && path !== '/payload/to' && path !== '/payload/amount')) return undefined;
  const { payload } = request;
  if (request.action !== 'update' || request.tag !== 'new' || payload === undefined) return undefined;
  if (!['from', 'to', 'amount'].every((key) => Object.hasOwn(payload, key))) return undefined;
  return { kind: 'transfer', from: payload.from, to: payload.to, amount: payload.amount, request };
}

/** The reason of an error frame for a frame that did not parse: what was wrong with it. */
function reasonOf(error: SchemaError): string {
  // as v0.14's socket handler, which decodes `to` before it asks the state machine
  if (error.context.keyword !== 'required' && error.context.action === 'message' && error.context.path === '/payload/to') return 'broken_encoding';
  return `${error.code.toLowerCase()}: ${error.message}`;
}

/**
 * What to echo as `request` for a frame that did not parse: the JSON object, or the raw text
 * when it is no object, its `payload` is none (an echoed request's payload is an object), or
 * it holds what JSON cannot write back (a number past ±1.8e308 reads as Infinity).
 */
function parsedOrText(text: string): EchoedRequest {
  let action = '';
  try {
    const value = parseJsonExact(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      action = typeof value.action === 'string' ? value.action : '';
      const { payload } = value;
      if (payload === undefined || (payload !== null && typeof payload === 'object' && !Array.isArray(payload))) {
        serializeJson(value);
        return { ...(value as Record<string, unknown>), action };
      }
    }
  } catch {
    // not JSON, or not JSON once read: echo the text
  }
  return { action, text: text.length > 1000 ? `${text.slice(0, 1000)}…` : text };
}

function echo(request: unknown): EchoedRequest {
  if (request !== null && typeof request === 'object' && typeof (request as { action?: unknown }).action === 'string') {
    return request as EchoedRequest;
  }
  return { action: '' };
}

/** The state machine's options from a connection's parameters. */
function optionsOf(params: ChannelParams, defaultDepth: bigint, verify: VerifySignature): ChannelOptions {
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const name of TIMEOUT_NAMES) {
    const value = params[`timeout_${name}`];
    if (value !== undefined) timeouts[name] = value;
  }
  return {
    role: params.role,
    initiator: decode(params.initiator, 'ak'),
    responder: decode(params.responder, 'ak'),
    lock_period: params.lock_period,
    push_amount: params.push_amount,
    initiator_amount: params.initiator_amount,
    responder_amount: params.responder_amount,
    channel_reserve: params.channel_reserve,
    ttl: params.ttl,
    minimum_depth: params.minimum_depth ?? defaultDepth,
    verify,
    timeouts,
  };
}

/**
 * The channel WebSocket service (`/channel`, BEHAVIOUR.md §1–§5). The two parties of a channel
 * meet on (initiator, responder, port): whichever connects first waits for the other, then
 * the two state machines are linked. A finished channel frees its place, so the same port can
 * carry the next one.
 */
export class ChannelService {
  readonly #server: WebSocketServer;
  readonly #waiting = new Map<string, Session>();
  /** The live session of each party of each channel, by its pairing key and role. */
  readonly #live = new Map<string, Session>();
  readonly #sessions = new Set<Session>();
  /** One memo for every channel's two machines: each verifies what the other just did. */
  readonly #verify = memoizedVerifier();

  constructor(
    server: Server,
    private readonly options: ChannelServiceOptions,
  ) {
    this.#server = new WebSocketServer({ server, path: '/channel', maxPayload: 1 << 20 });
    // ws re-emits every 'error' of the HTTP server it is attached to, and an 'error' nobody
    // listens for is thrown: a port in use would escape as an uncaught exception instead of
    // rejecting the listen() of whoever starts the server, which reports it (startDevnode).
    this.#server.on('error', () => undefined);
    this.#server.on('connection', (socket, request) => this.#accept(socket, request));
  }

  /** Live sessions (both parties of each channel), for tests and the console. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    let params: ChannelParams;
    try {
      params = fromQuery(request.url ?? ''); // checks the ak$ keys in full, checksums included
    } catch (error) {
      const reason = error instanceof SchemaError ? error.message : `${(error as Error).message}`;
      socket.close(CLOSE_BAD_PARAMS, truncateReason(reason));
      return;
    }
    const pairingKey = `${params.initiator}|${params.responder}|${params.port}`;
    // Whether its channel still waits for the other party or already runs: a second client in
    // the same role would otherwise wait, then pair with the next newcomer into a second channel
    // on the same terms (v0.14 silently kills a responder whose port is taken, BEHAVIOUR.md §5).
    if (this.#live.has(`${pairingKey}|${params.role}`)) {
      socket.close(CLOSE_BAD_PARAMS, truncateReason(`the ${params.role} of this channel is already connected on port ${params.port}`));
      return;
    }
    const waiting = this.#waiting.get(pairingKey);
    const session = new Session(socket, request.socket, params, pairingKey, this.options.dialect, optionsOf(params, this.options.minimumDepth, this.#verify), this.options.chain, (ended) => this.#end(ended));
    this.#sessions.add(session);
    this.#live.set(`${pairingKey}|${params.role}`, session);
    // Any frame of the client's (a ping included) restarts the idle timer; the node's do not.
    // One timer per socket, pushed back on each frame (not a new timer per frame: the hot path).
    const idle = setTimeout(() => socket.close(1000, 'idle'), this.options.idleTimeoutMs ?? 60_000);
    idle.unref();
    const active = () => idle.refresh();
    socket.on('ping', active);
    socket.on('pong', active);
    socket.on('message', active);
    socket.on('close', () => clearTimeout(idle));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return; // binary frames are ignored, as by v0.14
      session.receive(data.toString('utf8')).catch((error: unknown) => {
        session.requestError(`internal_error: ${(error as Error).message}`, {});
      });
    });
    socket.on('close', () => {
      // The client went away: this side stops; the peer is not told (v0.14) and times out.
      session.fsm.stop();
      this.#end(session);
    });
    socket.on('error', () => session.fsm.stop());

    if (waiting === undefined) {
      this.#waiting.set(pairingKey, session);
      return;
    }
    this.#waiting.delete(pairingKey);
    const [initiator, responder] = session.role === 'initiator' ? [session, waiting] : [waiting, session];
    const link = linkPeers(
      (message) => initiator.fsm.handlePeer(message),
      (message) => responder.fsm.handlePeer(message),
    );
    responder.fsm.connect(link.responder);
    initiator.fsm.connect(link.initiator);
  }

  #end(session: Session): void {
    this.#sessions.delete(session);
    if (this.#waiting.get(session.pairingKey) === session) this.#waiting.delete(session.pairingKey);
    const liveKey = `${session.pairingKey}|${session.role}`;
    if (this.#live.get(liveKey) === session) this.#live.delete(liveKey);
  }

  close(): void {
    for (const session of this.#sessions) {
      session.fsm.stop();
      session.close(1001, 'devnode stopping');
    }
    // The sockets of channels that died stay open in the v0.14 dialect, out of the sessions:
    // closed too, or the server's close would wait for them forever.
    for (const socket of this.#server.clients) socket.close(1001, 'devnode stopping');
    // ws waits 30 s for a client to answer the close frame, and the server's close waits for the
    // socket: a client that does not read would hold the stop that long. Cut what is still open.
    const sockets = [...this.#server.clients];
    setTimeout(() => {
      for (const socket of sockets) socket.terminate();
    }, STOP_GRACE_MS).unref();
    this.#sessions.clear();
    this.#waiting.clear();
    this.#live.clear();
    this.#server.close();
  }
}

/** A close reason is at most 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  return bytes.length <= 123 ? reason : `${new TextDecoder().decode(bytes.slice(0, 119)).replace(/\uFFFD$/, '')}…`;
}

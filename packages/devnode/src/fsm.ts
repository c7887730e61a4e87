import { randomBytes } from 'node:crypto';
import { type AccountPubkey, type ChannelId, decode, type EncodedTx, encode, EncodingError } from '@aesc/encoding';
import { verifySignature } from '@aesc/signer';
import {
  type ChannelCloseMutualTxV014,
  type ChannelCreateTx,
  type ChannelOffchainTx,
  channelId,
  compareBytes,
  decodeTx,
  encodeTx,
  type SignedTx,
  type Tx,
  serializeUnsigned,
  TxError,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { applyTransfers, closeMutualAmounts } from '@aesc/tx/channel';
import type { TimeoutName } from '@aesc/schema';
import type { Chain } from './chain.js';
import type { PeerEndpoint, PeerMessage } from './peer.js';
import { ChainError } from './rules.js';
import type { VerifySignature } from './verified.js';

/** Sign tags under their v0.14 names; the seed dialect renames the create pair on the wire. */
export type SignTag = 'initiator_sign' | 'responder_sign' | 'update' | 'update_ack' | 'shutdown_sign' | 'shutdown_sign_ack';

export type InfoEvent =
  | 'channel_open'
  | 'channel_accept'
  | 'funding_created'
  | 'funding_signed'
  | 'own_funding_locked'
  | 'funding_locked'
  | 'update'
  | 'open'
  | 'close_mutual'
  | 'died';

/**
 * Timeouts of BEHAVIOUR.md §5, in milliseconds, under the names of the `timeout_<name>`
 * parameters; `awaiting_open` and `initialized` fall back to `idle` and `accept`.
 */
export type Timeouts = Record<Exclude<TimeoutName, 'awaiting_open' | 'initialized'>, number> &
  Partial<Record<'awaiting_open' | 'initialized', number>>;

export const DEFAULT_TIMEOUTS: Timeouts = {
  open: 120_000,
  accept: 120_000,
  funding_create: 120_000,
  funding_sign: 120_000,
  funding_lock: 360_000,
  sign: 500_000,
  idle: 600_000,
};

/** The longest delay Node's timers take: a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ChannelOptions {
  role: 'initiator' | 'responder';
  initiator: Uint8Array;
  responder: Uint8Array;
  lock_period: bigint;
  push_amount: bigint;
  initiator_amount: bigint;
  responder_amount: bigint;
  channel_reserve: bigint;
  ttl: bigint;
  minimum_depth: bigint;
  timeouts: Timeouts;
  /** How signatures are checked; `verifySignature` unless the service shares a memo of it. */
  verify?: VerifySignature;
}

/** What the state machine tells its client; the WebSocket layer turns it into frames. */
export interface ClientSink {
  info(event: InfoEvent): void;
  sign(tag: SignTag, tx: EncodedTx): void;
  /** The name the client sees for a sign tag (the seed dialect renames the create pair). */
  wireTag(tag: SignTag): string;
  onChainTx(tx: EncodedTx): void;
  /** The co-signed state after every completed round. */
  state(tx: EncodedTx): void;
  conflict(channelId: ChannelId, round: bigint): void;
  message(message: { channel_id: ChannelId; from: AccountPubkey; to: AccountPubkey; info: string }): void;
  /** A request refused; the channel goes on. */
  requestError(reason: string, request: unknown): void;
  /** The channel aborts on a protocol error; `died` follows. */
  fatalError(message: string): void;
  died(): void;
}

/** What the client asked, already parsed from its frame. */
export type ClientRequest =
  | { kind: 'sign_reply'; tag: SignTag; tx: string; request: unknown }
  /**
   * `from`, `to` and `amount` as the frame held them: v0.14 judges a malformed one itself, in
   * the order of BEHAVIOUR.md §3.1 (an amount that is no integer is `function_clause`, last).
   */
  | { kind: 'transfer'; from: unknown; to: unknown; amount: unknown; request: unknown }
  | { kind: 'message'; to: string; info: string; request: unknown }
  | { kind: 'shutdown'; request: unknown };

type State =
  | 'initialized'
  | 'awaiting_open'
  | 'accepted'
  | 'awaiting_signature'
  | 'half_signed'
  | 'awaiting_locked'
  | 'signed'
  | 'awaiting_initial_state'
  | 'awaiting_update_ack'
  | 'open'
  | 'closing'
  | 'dead';

/** What a pending signature is for: where the machine goes once it is given. */
type Purpose = 'create' | 'funding_created' | 'update' | 'update_ack' | 'shutdown' | 'shutdown_ack';

interface PendingSign {
  tag: SignTag;
  tx: UnsignedTx;
  /** The serialization the client must sign. */
  message: Uint8Array;
  /** Signatures already held (the peer's), merged with the client's on reply. */
  held: Uint8Array[];
}

const MAX_INFO_BYTES = 65_535;
/** How many decoded `ak$` strings a machine keeps: a channel's transfers name its two parties. */
const MAX_ACCOUNT_KEYS = 8;

/**
 * The `tx$` and the signed bytes of each tx, by object. Both machines of a channel see the same
 * tx objects (an update, its co-signed state: they cross the in-process peer link by
 * reference), each machine serializes the tx it asks about again to compare and to verify, and
 * devnode never changes a tx once built or decoded: the second use reuses the first's work.
 */
const encodings = new WeakMap<Tx, EncodedTx>();
const messages = new WeakMap<UnsignedTx, Uint8Array>();

function remembered<K extends object, V>(memo: WeakMap<K, V>, key: K, compute: (key: K) => V): V {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute(key);
    memo.set(key, value);
  }
  return value;
}

const encodeOnce = (tx: Tx): EncodedTx => remembered(encodings, tx, encodeTx);
/** The bytes a signature of `tx` signs (never to be changed by the caller: they are shared). */
const messageOf = (tx: UnsignedTx): Uint8Array => remembered(messages, tx, serializeUnsigned);

/** The key of an `ak$` string, or undefined for anything else (v0.14's `broken_encoding`). */
function accountKey(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return decode(value, 'ak');
  } catch (error) {
    if (error instanceof EncodingError) return undefined;
    throw error;
  }
}

/** The least integer at or above a number; past the largest double, one above it. */
function integerAbove(amount: number): bigint {
  return Number.isFinite(amount) ? BigInt(Math.ceil(amount)) : BigInt(Number.MAX_VALUE) + 1n;
}

/**
 * One party's side of a channel as the node runs it (BEHAVIOUR.md §9): it builds the txs,
 * asks its client to sign them, checks every reply before using it (v0.14 did not), talks to
 * the other side only through peer messages, and watches the chain for the funding depth.
 */
export class ChannelFsm {
  #state: State;
  #timer: NodeJS.Timeout | undefined;
  /** The duration `#timer` was set for. */
  #timerMs = 0;
  #peer: PeerEndpoint | undefined;
  #pending: PendingSign | undefined;
  /** Where the machine goes once the pending signature is given. */
  #purpose: Purpose | undefined;
  #temporaryId: Uint8Array = new Uint8Array(32);
  #channelId: Uint8Array | undefined;
  #createTx: SignedTx | undefined;
  #peerLockedEarly: PeerMessage | undefined;
  #openedOnce = false;
  /** The newest state carrying both signatures, and the one in flight (half-signed). */
  #coSigned: SignedTx & { tx: ChannelOffchainTx } | undefined;
  #inFlight: SignedTx & { tx: ChannelOffchainTx } | undefined;
  #shutdown: SignedTx | undefined;
  #unwatch: (() => void) | undefined;
  /** Our client's signature of the last tx it signed, checked when it came. */
  #ownSignature: Uint8Array | undefined;
  /** Keys of the `ak$` strings this machine's client named in transfers (shared: never changed). */
  readonly #accountKeys = new Map<string, Uint8Array>();
  /**
   * The event being handled. Client requests and peer messages are handled one at a time, in the
   * order they came, as the reference's gen_fsm does: a signature check is awaited, and an event
   * let in meanwhile would act on the state the check is about to change.
   */
  #turn: Promise<void> = Promise.resolve();

  constructor(
    readonly options: ChannelOptions,
    private readonly chain: Chain,
    private readonly client: ClientSink,
  ) {
    this.#state = options.role === 'initiator' ? 'initialized' : 'awaiting_open';
    this.#restartTimer();
  }

  get state(): string {
    return this.#state;
  }

  get alive(): boolean {
    return this.#state !== 'dead';
  }

  /** Connects the peer link; the initiator opens the conversation. */
  connect(peer: PeerEndpoint): void {
    this.#peer = peer;
    if (this.options.role === 'initiator') {
      this.#temporaryId = Uint8Array.from(randomBytes(32));
      const { lock_period, push_amount, initiator_amount, responder_amount, channel_reserve, initiator } = this.options;
      this.#send({ type: 'channel_open', temporary_channel_id: this.#temporaryId, lock_period, push_amount, initiator_amount, responder_amount, channel_reserve, initiator });
    }
  }

  /** The client went away: everything this side held is gone, and the peer is not told (v0.14). */
  stop(): void {
    this.#enter('dead');
    this.#unwatch?.();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Client requests

  handleClient(request: ClientRequest): Promise<void> {
    return this.inTurn(() => this.#onClient(request));
  }

  async #onClient(request: ClientRequest): Promise<void> {
    if (this.#state === 'dead') {
      this.client.requestError('channel_not_active', request.request);
      return;
    }
    switch (request.kind) {
      case 'sign_reply':
        return this.#onSignReply(request);
      case 'transfer':
        return this.#onTransfer(request);
      case 'message':
        return this.#onMessage(request);
      case 'shutdown':
        return this.#onShutdown(request);
    }
  }

  async #onSignReply(request: Extract<ClientRequest, { kind: 'sign_reply' }>): Promise<void> {
    const pending = this.#pending;
    if (this.#state !== 'awaiting_signature' || pending === undefined) {
      this.client.requestError('no_sign_request_pending', request.request);
      return;
    }
    if (request.tag !== pending.tag) {
      this.client.requestError(`expected_${this.client.wireTag(pending.tag)}_reply`, request.request);
      return;
    }
    const signature = await this.#clientSignature(request.tx, pending, request.request);
    if (signature === undefined || this.#pending !== pending || !this.alive) return;
    this.#restartTimer();
    this.#ownSignature = signature;
    const signatures = [...pending.held, signature].sort(compareBytes);
    const signed = { type: 'signed_tx', signatures, tx: pending.tx } as SignedTx;
    this.#pending = undefined;
    const purpose = this.#purpose;
    this.#purpose = undefined;
    switch (purpose) {
      case 'create':
        this.#enter('half_signed');
        this.#send({ type: 'funding_created', temporary_channel_id: this.#temporaryId, signed_tx: signed });
        return;
      case 'funding_created':
        this.#createTx = signed;
        this.#send({ type: 'funding_signed', temporary_channel_id: this.#temporaryId, signed_tx: signed });
        this.client.onChainTx(encodeOnce(signed));
        this.#awaitLocked();
        return;
      case 'update':
        this.#inFlight = signed as SignedTx & { tx: ChannelOffchainTx };
        this.#enter('awaiting_update_ack');
        this.#send({ type: 'update', channel_id: this.#channelIdBytes(), signed_tx: signed });
        return;
      case 'update_ack':
        this.#send({ type: 'update_ack', channel_id: this.#channelIdBytes(), signed_tx: signed });
        this.#enterOpen(signed as SignedTx & { tx: ChannelOffchainTx });
        return;
      case 'shutdown':
        this.#shutdown = signed;
        this.#enter('closing');
        this.#send({ type: 'shutdown', channel_id: this.#channelIdBytes(), signed_tx: signed });
        return;
      case 'shutdown_ack':
        this.#send({ type: 'shutdown_ack', channel_id: this.#channelIdBytes(), signed_tx: signed });
        this.client.onChainTx(encodeOnce(signed));
        this.client.info('close_mutual');
        this.#die();
        return;
      case undefined:
        return;
    }
  }

  /**
   * The client's signature from its reply, once the reply is checked: a `signed_tx` of exactly
   * the body asked for, carrying a valid signature of this party. Anything else is refused
   * with a reason and the request stays open.
   */
  async #clientSignature(encoded: string, pending: PendingSign, request: unknown): Promise<Uint8Array | undefined> {
    let reply: SignedTx;
    try {
      reply = decodeTx(encoded, 'signed_tx');
    } catch (error) {
      if (error instanceof EncodingError || error instanceof TxError) {
        this.client.requestError(error instanceof TxError && error.code === 'WRONG_TAG' ? 'not_a_signed_tx' : 'broken_encoding', request);
        return undefined;
      }
      throw error;
    }
    // not messageOf: the reply's tx object is compared once and dropped, nothing would reuse a memo of it
    if (compareBytes(serializeUnsigned(reply.tx), pending.message) !== 0) {
      this.client.requestError('tx_mismatch', request);
      return undefined;
    }
    const ownKey = this.#ownKey();
    for (const signature of reply.signatures) {
      if (await this.#verify(signature, pending.message, ownKey)) return signature;
    }
    if (!this.alive) return undefined;
    this.client.requestError('bad_signature', request);
    return undefined;
  }

  /**
   * The key of an `ak$` string, as {@link accountKey}; a client names the same two accounts in
   * every transfer, so the keys of the strings that decoded are kept (decoding checks a checksum).
   */
  #accountKey(value: unknown): Uint8Array | undefined {
    if (typeof value !== 'string') return undefined;
    const known = this.#accountKeys.get(value);
    if (known !== undefined) return known;
    const key = accountKey(value);
    if (key !== undefined) {
      if (this.#accountKeys.size >= MAX_ACCOUNT_KEYS) this.#accountKeys.clear();
      this.#accountKeys.set(value, key);
    }
    return key;
  }

  #onTransfer(request: Extract<ClientRequest, { kind: 'transfer' }>): void {
    const from = this.#accountKey(request.from);
    const to = this.#accountKey(request.to);
    if (from === undefined || to === undefined) {
      this.client.requestError('broken_encoding', request.request);
      return;
    }
    const { amount } = request;
    const numeric = typeof amount === 'bigint' || typeof amount === 'number';
    // v0.14's socket handler refuses any negative number, an integer or not, before the FSM.
    if (numeric && amount < 0) {
      this.client.requestError('negative_amount', request.request);
      return;
    }
    if (this.#state !== 'open' || this.#coSigned === undefined) {
      this.client.requestError('unknown_request', request.request);
      return;
    }
    const last = this.#coSigned.tx;
    // A fraction is judged by the least integer above it, which is as short of the reserve as
    // it is; any other non-integer moves nothing, so only its keys are judged.
    const judged = typeof amount === 'bigint' ? amount : typeof amount === 'number' ? integerAbove(amount) : 0n;
    const applied = applyTransfers(last, [{ from, to, amount: judged }], this.options.channel_reserve);
    if ('problem' in applied && (numeric || applied.problem === 'invalid_pubkeys')) {
      this.client.requestError(applied.problem, request.request);
      return;
    }
    if (typeof amount !== 'bigint' || 'problem' in applied) {
      this.client.requestError('function_clause', request.request);
      return;
    }
    this.#restartTimer();
    const updates = [{ from, to, amount }];
    const next: ChannelOffchainTx = { ...last, previous_round: last.round, round: last.round + 1n, updates, ...applied };
    this.#askSignature('update', next, [], 'update');
  }

  #onMessage(request: Extract<ClientRequest, { kind: 'message' }>): void {
    let to: Uint8Array;
    try {
      to = decode(request.to, 'ak');
    } catch {
      this.client.requestError('broken_encoding', request.request);
      return;
    }
    if (this.#state !== 'open') {
      this.client.requestError('unknown_request', request.request);
      return;
    }
    if (compareBytes(to, this.#peerKey()) !== 0) {
      this.client.requestError('unknown_recipient', request.request);
      return;
    }
    if (new TextEncoder().encode(request.info).length > MAX_INFO_BYTES) {
      this.client.requestError('message_too_long', request.request);
      return;
    }
    this.#restartTimer();
    this.#send({ type: 'inband_msg', channel_id: this.#channelIdBytes(), from: this.#ownKey(), to, info: request.info });
  }

  #onShutdown(request: Extract<ClientRequest, { kind: 'shutdown' }>): void {
    if (this.#state !== 'open' || this.#coSigned === undefined) {
      this.client.requestError('unknown_request', request.request);
      return;
    }
    let closeTx: ChannelCloseMutualTxV014;
    try {
      closeTx = this.#closeTx(this.chain.nextNonce(this.options.initiator));
    } catch (error) {
      if (error instanceof TxError) {
        this.client.requestError('insufficient_channel_funds', request.request);
        return;
      }
      throw error;
    }
    this.#restartTimer();
    this.#askSignature('shutdown_sign', closeTx, [], 'shutdown');
  }

  /** The mutual close of the last co-signed state: fee 1, the fee split, this node's ttl. */
  #closeTx(nonce: bigint): ChannelCloseMutualTxV014 {
    const last = (this.#coSigned as SignedTx & { tx: ChannelOffchainTx }).tx;
    const fee = 1n;
    const amounts = closeMutualAmounts(last.initiator_amount, last.responder_amount, fee);
    return { type: 'channel_close_mutual_tx', channel_id: this.#channelIdBytes(), ...amounts, ttl: this.options.ttl, fee, nonce };
  }

  // -------------------------------------------------------------------------------------------
  // Peer messages

  handlePeer(message: PeerMessage): void {
    void this.inTurn(async () => {
      if (this.#state !== 'dead') await this.#onPeer(message);
    }).catch((error: unknown) => {
      this.#abort(`internal_error: ${(error as Error).message}`);
    });
  }

  async #onPeer(message: PeerMessage): Promise<void> {
    // Messages the state cannot expect abort the channel, as the reference's FSM does.
    switch (message.type) {
      case 'channel_open': {
        if (this.#state !== 'awaiting_open') return this.#unexpected(message);
        this.#temporaryId = message.temporary_channel_id;
        // The responder adopts the initiator's values (BEHAVIOUR.md §1.2).
        Object.assign(this.options, {
          lock_period: message.lock_period,
          push_amount: message.push_amount,
          initiator_amount: message.initiator_amount,
          responder_amount: message.responder_amount,
          channel_reserve: message.channel_reserve,
          initiator: message.initiator,
        });
        this.client.info('channel_open');
        const { minimum_depth, initiator_amount, responder_amount, channel_reserve, responder } = this.options;
        this.#send({ type: 'channel_accept', temporary_channel_id: this.#temporaryId, minimum_depth, initiator_amount, responder_amount, channel_reserve, responder });
        this.#enter('accepted');
        return;
      }
      case 'channel_accept': {
        if (this.#state !== 'initialized') return this.#unexpected(message);
        if (compareBytes(message.temporary_channel_id, this.#temporaryId) !== 0) return this.#abort('temporary_channel_id_mismatch');
        Object.assign(this.options, { responder: message.responder, minimum_depth: message.minimum_depth });
        this.client.info('channel_accept');
        const create: ChannelCreateTx = {
          type: 'channel_create_tx',
          initiator: this.options.initiator,
          initiator_amount: this.options.initiator_amount,
          responder: this.options.responder,
          responder_amount: this.options.responder_amount,
          channel_reserve: this.options.channel_reserve,
          lock_period: this.options.lock_period,
          ttl: this.options.ttl,
          fee: 1n,
          nonce: this.chain.nextNonce(this.options.initiator),
        };
        this.#askSignature('initiator_sign', create, [], 'create');
        return;
      }
      case 'funding_created': {
        if (this.#state !== 'accepted') return this.#unexpected(message);
        const tx = message.signed_tx.tx;
        if (tx.type !== 'channel_create_tx' || !(await this.#signedBy(message.signed_tx, tx.initiator))) {
          return this.#abort('invalid_funding_created');
        }
        if (!this.alive) return;
        this.client.info('funding_created');
        this.#askSignature('responder_sign', tx, message.signed_tx.signatures, 'funding_created');
        return;
      }
      case 'funding_signed': {
        if (this.#state !== 'half_signed') return this.#unexpected(message);
        const signed = message.signed_tx;
        if (signed.tx.type !== 'channel_create_tx' || !(await this.#bothSigned(signed))) return this.#abort('not_mutually_signed');
        if (!this.alive) return;
        this.#createTx = signed;
        this.client.info('funding_signed');
        const encoded = encodeOnce(signed);
        this.client.onChainTx(encoded);
        try {
          await this.chain.submit(signed);
        } catch (error) {
          if (error instanceof ChainError) return this.#die();
          throw error;
        }
        if (!this.alive) return;
        this.#awaitLocked();
        return;
      }
      case 'funding_locked': {
        if (this.#state === 'awaiting_locked') {
          this.#peerLockedEarly = message; // own_funding_locked always comes first
          return;
        }
        if (this.#state !== 'signed') return this.#unexpected(message);
        return this.#onPeerLocked(message);
      }
      case 'update': {
        return this.#onPeerUpdate(message.signed_tx);
      }
      case 'update_ack': {
        if (this.#state !== 'awaiting_update_ack' || this.#inFlight === undefined) return this.#unexpected(message);
        const signed = message.signed_tx;
        if (compareBytes(messageOf(signed.tx), messageOf(this.#inFlight.tx)) !== 0) return this.#abort('invalid_update_ack');
        if (!(await this.#bothSigned(signed))) return this.#abort('not_mutually_signed');
        if (!this.alive) return;
        this.#enterOpen(signed as SignedTx & { tx: ChannelOffchainTx });
        return;
      }
      case 'update_error': {
        if (this.#state !== 'awaiting_update_ack') return; // the conflict was already reported
        if (message.round !== this.#coSigned?.tx.round) return this.#abort('fallback_state_mismatch');
        this.#conflict();
        return;
      }
      case 'inband_msg': {
        // v0.14 crashed a busy receiver; a message changes no state, so it is delivered in any.
        this.#restartTimer();
        this.client.message({
          channel_id: encode('ch', message.channel_id),
          from: encode('ak', message.from),
          to: encode('ak', message.to),
          info: message.info,
        });
        return;
      }
      case 'shutdown': {
        if (this.#state !== 'open' || this.#coSigned === undefined) return this.#unexpected(message);
        const proposed = message.signed_tx.tx;
        if (proposed.type !== 'channel_close_mutual_tx' || 'from' in proposed) return this.#die();
        // Rebuild it and compare every field but the nonce (the starter's node chose it).
        const own = this.#closeTx(proposed.nonce);
        if (compareBytes(messageOf(own), messageOf(proposed)) !== 0) return this.#die();
        if (!(await this.#signedBy(message.signed_tx, this.#peerKey()))) return this.#die();
        if (!this.alive) return;
        this.#askSignature('shutdown_sign_ack', proposed, message.signed_tx.signatures, 'shutdown_ack');
        return;
      }
      case 'shutdown_ack': {
        if (this.#state !== 'closing' || this.#shutdown === undefined) return this.#unexpected(message);
        const signed = message.signed_tx;
        if (compareBytes(messageOf(signed.tx), messageOf(this.#shutdown.tx)) !== 0) return this.#abort('shutdown_tx_mismatch');
        if (!(await this.#bothSigned(signed))) return this.#abort('not_mutually_signed');
        if (!this.alive) return;
        try {
          await this.chain.submit(signed);
        } catch (error) {
          if (error instanceof ChainError) return this.#die();
          throw error;
        }
        if (!this.alive) return;
        this.client.onChainTx(encodeOnce(signed));
        this.client.info('close_mutual');
        this.#die();
        return;
      }
      case 'error':
        return this.#die();
    }
  }

  async #onPeerUpdate(signed: SignedTx): Promise<void> {
    const proposal = signed.tx;
    if (this.#state === 'awaiting_initial_state') {
      if (proposal.type !== 'channel_offchain_tx') return this.#abort('invalid_update');
      const create = (this.#createTx as SignedTx & { tx: ChannelCreateTx }).tx;
      const initial =
        proposal.previous_round === 0n &&
        proposal.round === 1n &&
        proposal.updates.length === 0 &&
        proposal.initiator_amount === create.initiator_amount &&
        proposal.responder_amount === create.responder_amount &&
        compareBytes(proposal.channel_id, this.#channelIdBytes()) === 0;
      if (!initial) return this.#abort('not_initial_round');
      if (!(await this.#signedBy(signed, this.options.initiator))) return this.#abort('invalid_update');
      if (!this.alive) return;
      this.client.info('update');
      this.#askSignature('update_ack', proposal, signed.signatures, 'update_ack');
      return;
    }
    const busy = this.#state === 'awaiting_update_ack' || (this.#state === 'awaiting_signature' && (this.#purpose === 'update' || this.#purpose === 'update_ack'));
    if (busy) {
      // Both sides proposed at once: drop the unconfirmed, fall back to the last co-signed round.
      this.#send({ type: 'update_error', channel_id: this.#channelIdBytes(), round: this.#coSigned?.tx.round ?? 0n });
      this.#conflict();
      return;
    }
    if (this.#state !== 'open' || this.#coSigned === undefined) return this.#abort('unexpected_update');
    if (proposal.type !== 'channel_offchain_tx') return this.#abort('invalid_update');
    const last = this.#coSigned.tx;
    if (proposal.previous_round !== last.round || proposal.round !== last.round + 1n) return this.#abort('invalid_previous_round');
    if (compareBytes(proposal.channel_id, last.channel_id) !== 0) return this.#abort('channel_id_mismatch');
    const applied = applyTransfers(last, proposal.updates, this.options.channel_reserve);
    if ('problem' in applied) return this.#abort(applied.problem);
    if (applied.initiator_amount !== proposal.initiator_amount || applied.responder_amount !== proposal.responder_amount) {
      return this.#abort('amount_mismatch');
    }
    if (!(await this.#signedBy(signed, this.#peerKey()))) return this.#abort('invalid_update');
    if (!this.alive) return;
    this.client.info('update');
    this.#askSignature('update_ack', proposal, signed.signatures, 'update_ack');
  }

  #onPeerLocked(message: Extract<PeerMessage, { type: 'funding_locked' }>): void {
    if (compareBytes(message.channel_id, this.#channelIdBytes()) !== 0) return this.#abort('channel_id_mismatch');
    if (compareBytes(message.temporary_channel_id, this.#temporaryId) !== 0) return this.#abort('temporary_channel_id_mismatch');
    this.client.info('funding_locked');
    if (this.options.role === 'initiator') {
      const create = (this.#createTx as SignedTx & { tx: ChannelCreateTx }).tx;
      const initial: ChannelOffchainTx = {
        type: 'channel_offchain_tx',
        channel_id: this.#channelIdBytes(),
        previous_round: 0n,
        round: 1n,
        initiator: create.initiator,
        responder: create.responder,
        initiator_amount: create.initiator_amount,
        responder_amount: create.responder_amount,
        updates: [],
        state: new Uint8Array(),
      };
      this.#askSignature('update', initial, [], 'update');
    } else {
      this.#enter('awaiting_initial_state');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Funding depth

  #awaitLocked(): void {
    if (!this.alive) return; // stopped by the client report just before (a client that does not read)
    this.#enter('awaiting_locked');
    const create = (this.#createTx as SignedTx & { tx: ChannelCreateTx }).tx;
    this.#channelId = decode(channelId(create), 'ch');
    const hash = txHash(this.#createTx as SignedTx);
    const check = () => {
      if (this.#state !== 'awaiting_locked') return;
      const record = this.chain.tx(hash);
      if (record === undefined || record.blockHeight < 0) return;
      if (BigInt(this.chain.height - record.blockHeight) < this.options.minimum_depth) return;
      this.#unwatch?.();
      this.client.info('own_funding_locked');
      this.#send({ type: 'funding_locked', temporary_channel_id: this.#temporaryId, channel_id: this.#channelIdBytes() });
      this.#enter('signed');
      const early = this.#peerLockedEarly;
      if (early !== undefined && early.type === 'funding_locked') {
        this.#peerLockedEarly = undefined;
        this.#onPeerLocked(early);
      }
    };
    this.#unwatch = this.chain.onBlock(check);
    check();
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** Runs `handle` after every event already handed to this machine (its client's frames included). */
  inTurn(handle: () => Promise<void> | void): Promise<void> {
    const turn = this.#turn.then(handle);
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  #askSignature(tag: SignTag, tx: UnsignedTx, held: Uint8Array[], purpose: Purpose): void {
    this.#pending = { tag, tx, message: messageOf(tx), held: [...held] };
    this.#purpose = purpose;
    this.#enter('awaiting_signature');
    this.client.sign(tag, encodeOnce(tx));
  }

  #enterOpen(coSigned: SignedTx & { tx: ChannelOffchainTx }): void {
    const roundChanged = this.#coSigned?.tx.round !== coSigned.tx.round;
    this.#coSigned = coSigned;
    this.#inFlight = undefined;
    this.#enter('open');
    if (!this.#openedOnce) {
      this.#openedOnce = true;
      this.client.info('open');
    }
    if (roundChanged) this.client.state(encodeOnce(coSigned));
  }

  #conflict(): void {
    this.#pending = undefined;
    this.#purpose = undefined;
    this.#inFlight = undefined;
    this.#enter('open');
    this.client.conflict(encode('ch', this.#channelIdBytes()), this.#coSigned?.tx.round ?? 0n);
  }

  async #signedBy(signed: SignedTx, key: Uint8Array): Promise<boolean> {
    const message = messageOf(signed.tx);
    for (const signature of signed.signatures) {
      if (await this.#verify(signature, message, key)) return true;
    }
    return false;
  }

  /**
   * Signed by both parties and nobody else: our client's signature (checked when it came, so
   * compared by its bytes here) and one the peer's key verifies.
   */
  async #bothSigned(signed: SignedTx): Promise<boolean> {
    const own = this.#ownSignature;
    if (own === undefined || signed.signatures.length !== 2) return false;
    const others = signed.signatures.filter((signature) => compareBytes(signature, own) !== 0);
    if (others.length !== 1) return false;
    return this.#verify(others[0] as Uint8Array, messageOf(signed.tx), this.#peerKey());
  }

  #verify(signature: Uint8Array, message: Uint8Array, key: Uint8Array): Promise<boolean> {
    return (this.options.verify ?? verifySignature)(signature, message, key);
  }

  #ownKey(): Uint8Array {
    return this.options.role === 'initiator' ? this.options.initiator : this.options.responder;
  }

  #peerKey(): Uint8Array {
    return this.options.role === 'initiator' ? this.options.responder : this.options.initiator;
  }

  #channelIdBytes(): Uint8Array {
    return this.#channelId ?? new Uint8Array(32);
  }

  /** Nothing leaves a dead machine: it may have been stopped inside a report to its client. */
  #send(message: PeerMessage): void {
    if (this.alive) this.#peer?.send(message);
  }

  #unexpected(message: PeerMessage): void {
    this.#abort(`unexpected_${message.type}`);
  }

  /** A protocol error: the client is told why, the peer is told, and the channel dies. */
  #abort(reason: string): void {
    if (this.#state === 'dead') return;
    if (this.#channelId !== undefined) {
      this.client.fatalError(reason);
      this.#send({ type: 'error', channel_id: this.#channelId, data: reason });
    }
    this.#die();
  }

  #die(): void {
    if (this.#state === 'dead') return;
    this.stop();
    this.#peer?.close();
    this.client.info('died');
    this.client.died();
  }

  /** A dead machine stays dead, whatever step was under way when it was stopped. */
  #enter(state: State): void {
    if (this.#state === 'dead') return;
    this.#state = state;
    if (state !== 'dead') this.#restartTimer();
  }

  /** Each state's inactivity timer (BEHAVIOUR.md §5) restarts on every event it handles. */
  #restartTimer(): void {
    if (this.#state === 'dead') {
      clearTimeout(this.#timer);
      this.#timer = undefined; // a cleared timer is never refreshed back to life
      return;
    }
    // The parameters allow up to 2^32 - 1 ms (BEHAVIOUR.md §5); Node's timers fire at once past
    // 2^31 - 1, so a longer timeout waits that long (24.8 days) instead.
    const timeout = Math.min(this.#timeoutFor(this.#state), MAX_TIMER_MS);
    // A transfer restarts it several times, mostly with the same duration: that timer is pushed
    // back in place rather than cleared and made again. (It cannot have fired: it kills the machine.)
    if (this.#timer !== undefined && this.#timerMs === timeout) {
      this.#timer.refresh();
      return;
    }
    clearTimeout(this.#timer);
    this.#timerMs = timeout;
    this.#timer = setTimeout(() => this.#die(), timeout);
    this.#timer.unref?.();
  }

  #timeoutFor(state: State): number {
    const timeouts = this.options.timeouts;
    switch (state) {
      case 'open':
        return timeouts.open;
      case 'initialized':
        return timeouts.initialized ?? timeouts.accept;
      case 'awaiting_open':
        return timeouts.awaiting_open ?? timeouts.idle;
      case 'accepted':
        return timeouts.funding_create;
      case 'half_signed':
        return timeouts.funding_sign;
      case 'awaiting_locked':
      case 'signed':
        return timeouts.funding_lock;
      case 'awaiting_signature':
        return timeouts.sign;
      default:
        return timeouts.accept; // awaiting_initial_state, awaiting_update_ack, closing
    }
  }
}

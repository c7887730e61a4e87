import { type ChannelId, decode, describe, type EncodedTx, encode, isBytes, isEncoded, type TxHash } from '@aesc/encoding';
import { type Signer, signTx, verifySignedTx } from '@aesc/signer';
import { type ChannelOffchainTx, decodeTx, deserializeTx, type SignedTx, serializeTx, txHash, type UnsignedTx } from '@aesc/tx';
import { ClientError, messageOf } from './errors.js';
import { assertMilliseconds, type ChannelInfo, isTransient, type NodeClient, type RequestOptions, type TxInfo, type WaitProgress } from './node-client.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/**
 * Blocks past the current height that a dispute tx stays valid by default (its `ttl`, the last
 * height that may include it). About five hours of v0.14 blocks: room for a busy mempool,
 * while a tx that never made it does not linger for days with a nonce that blocks the account.
 */
export const DEFAULT_TTL_MARGIN = 100n;

/** The fee a dispute tx pays unless told otherwise: the protocol's minimum (WIRE.md §4.0). */
export const DEFAULT_DISPUTE_FEE = 1n;

export interface DisputeOptions {
  node: NodeClient;
  /** Signs the tx; must be the channel's initiator or responder. */
  signer: Signer;
  channelId: ChannelId;
  /** Default {@link DEFAULT_DISPUTE_FEE}. */
  fee?: bigint | undefined;
  /** Last height that may include the tx; default: current height + {@link DEFAULT_TTL_MARGIN}. */
  ttl?: bigint | undefined;
  /**
   * Default: the signer's next nonce on chain (txs of the signer still in the mempool are not
   * counted): a second run of a dispute while the first one's tx waits takes the same nonce, so
   * that the chain includes only one of the two.
   */
  nonce?: bigint | undefined;
  /** Blocks on top of the tx's block before the call resolves (default 0n: included). */
  confirmations?: bigint | undefined;
  /** Limit of each wait, not of the whole call (for inclusion; for `settle`, also for the lock period; for an `'equivalent'` outcome, for its confirmations), in ms. */
  timeoutMs?: number | undefined;
  pollMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Progress of the wait for inclusion. */
  onProgress?: ((progress: WaitProgress) => void) | undefined;
}

export interface CloseSoloOptions extends DisputeOptions {
  /** Where the last co-signed state of the channel is kept. */
  store: StateStore;
}

export interface SlashOptions extends DisputeOptions {
  /** A co-signed state newer than the one the chain holds. */
  state: EncodedTx | SignedTx;
}

export interface SettleOptions extends DisputeOptions {
  /**
   * Before the lock period is over: wait for it (true) or throw
   * `ClientError('CHANNEL_NOT_CLOSABLE_YET')` (false, the default).
   */
  waitUntilClosable?: boolean | undefined;
}

/**
 * How a dispute call ended: the chain is where the call was asked to bring it. A call resolves
 * as soon as the chain is there, whichever tx brought it: its own (`'posted'`), or another with
 * the same effect (`'equivalent'`): the tx of another run of the same dispute (a re-run after a
 * crash, a watchtower next to the user) with the same nonce, or the peer's with the same state.
 * A chain that went elsewhere is a typed error (`CHANNEL_ALREADY_CLOSING`, `STATE_NOT_NEWER`…).
 */
export type DisputeResult = DisputePosted | DisputeEquivalent;

/** The call's own tx brought the chain there. */
export interface DisputePosted {
  reachedBy: 'posted';
  /** `th$` of the posted tx. */
  hash: TxHash;
  signedTx: SignedTx;
  /** Height of the block that included it. */
  blockHeight: bigint;
}

/**
 * Another tx brought the chain there; the node's API cannot name it. For `closeSolo` and `slash`
 * the chain holds the call's state as the closing one; for `settle` the channel that was
 * closing, with the amounts the settle was to pay, is paid out.
 */
export interface DisputeEquivalent {
  reachedBy: 'equivalent';
  /**
   * Height of the block that did it: for `closeSolo` and `slash`, of the close or slash that put
   * the state on chain (`closes_at - lock_period`); for `settle`, the height at which the call
   * saw the channel paid out (the settle is in that block or an earlier one).
   */
  blockHeight: bigint;
  /** The call's own tx, which the node refused or dropped once the other was in; undefined when the chain was there already and nothing was posted. */
  ownTx: { hash: TxHash; signedTx: SignedTx } | undefined;
}

/**
 * Closes a channel alone from the last co-signed state in `store` (BEHAVIOUR.md §7.2, WIRE.md
 * §4.7): checks the state (co-signed by both peers, of this channel, amounts summing to the
 * channel's total) and the channel (on chain and active, and, when the store holds a co-signed
 * mutual close, that close neither waiting in the mempool, `MUTUAL_CLOSE_PENDING`, nor
 * mined, `CHANNEL_NOT_FOUND`; once the call's own close waits in the mempool too, only a mined
 * one ends the wait) first, then builds the
 * `channel_close_solo_tx` locally (the v0.14 builder cannot carry the payload), signs it,
 * posts it and waits for its inclusion. The lock period starts then; watch for a slash by the
 * peer, then `settle`. A channel already solo-closing with the stored state (closed by an earlier
 * run, or by the peer from the same state) resolves `'equivalent'` and posts nothing; one
 * closing with another state is `CHANNEL_ALREADY_CLOSING` (see {@link DisputeResult}).
 */
export async function closeSolo(options: CloseSoloOptions): Promise<DisputeResult> {
  const { store, node, signer, channelId } = checkCommon(options);
  if (typeof store !== 'object' || store === null || typeof store.load !== 'function') throw new TypeError(`store must be a StateStore, got ${describe(store)}`);
  const snapshot = await loadSnapshot(store, channelId);
  if (snapshot.state === undefined) {
    throw new ClientError('NO_STATE', `the store holds no co-signed state of ${channelId} to close from`, { channelId });
  }
  const stored = snapshot.state;
  const closeTx = snapshot.closeTx;
  return dispute(options, async (look, request) => {
    const mutualClose = closeTx === undefined ? undefined : await mutualCloseOf(node, channelId, closeTx, request);
    // While the call's own close waits as well, the chain decides between the two: a pending
    // mutual close is no verdict then (mined, it is CHANNEL_NOT_FOUND below).
    if (mutualClose?.blockHeight === -1n && look !== 'waiting') {
      throw new ClientError(
        'MUTUAL_CLOSE_PENDING',
        `the co-signed mutual close ${mutualClose.hash} of ${channelId} waits in the node's mempool: wait for it (waitForTx) instead of closing alone`,
        { channelId, txHash: mutualClose.hash },
      );
    }
    const channel = await node.getChannel(channelId, request);
    if (channel === undefined && mutualClose !== undefined) {
      throw new ClientError('CHANNEL_NOT_FOUND', `${channelId} was closed mutually by ${mutualClose.hash} at height ${mutualClose.blockHeight}`, {
        channelId,
        txHash: mutualClose.hash,
        height: mutualClose.blockHeight,
      });
    }
    if (channel === undefined) throw channelNotFound(channelId);
    requirePeer(channel, signer);
    if (channel.closes_at !== 0n) {
      if (await holdsState(channel, stored)) return { reachedAt: closedAt(channel) };
      throw new ClientError(
        'CHANNEL_ALREADY_CLOSING',
        `${channelId} is already solo-closing with round ${channel.round} (until height ${channel.closes_at}); slash with a newer state instead`,
        { channelId, onChainRound: channel.round, closesAt: channel.closes_at, ...(snapshot.round === undefined ? {} : { round: snapshot.round }) },
      );
    }
    const state = await checkState(stored, channel);
    return {
      build: async () => ({
        type: 'channel_close_solo_tx',
        channel_id: decode(channelId, 'ch'),
        from: signer.publicKey,
        payload: serializeTx(state),
        ttl: ttlOf(options, await node.getHeight(request)),
        fee: feeOf(options),
        nonce: await nonceOf(options, request),
      }),
    };
  });
}

/**
 * Answers a solo close with a newer co-signed state (WIRE.md §4.8). Everything the chain would
 * refuse at inclusion is refused here, before anything is posted: a state not co-signed by
 * both peers (`NOT_CO_SIGNED`), of another channel or with amounts off the channel's total
 * (`INVALID_STATE`), not newer than the chain's round (`STATE_NOT_NEWER`), a channel that is
 * not solo-closing or whose lock period ends before the next block (`CHANNEL_NOT_CLOSING`).
 * A chain that holds the state already (slashed by an earlier run, or closed with it) resolves
 * `'equivalent'` and posts nothing.
 */
export async function slash(options: SlashOptions): Promise<DisputeResult> {
  const { node, signer, channelId, state: given } = checkCommon(options);
  if (typeof given !== 'string' && (typeof given !== 'object' || given === null || given.type !== 'signed_tx')) {
    throw new TypeError(`state must be a tx$ string or a SignedTx, got ${describe(given)}`);
  }
  return dispute(options, async (_look, request) => {
    const channel = await onChainChannel(node, channelId, request);
    requirePeer(channel, signer);
    const height = await node.getHeight(request);
    if (channel.closes_at === 0n) {
      throw new ClientError('CHANNEL_NOT_CLOSING', `${channelId} is not solo-closing: nothing to slash`, { channelId, height });
    }
    // Already slashed with this state (by another run, or closed with it): nothing left to do.
    if (await holdsState(channel, given)) return { reachedAt: closedAt(channel) };
    // The next block is the first that can include the slash, and it must come before closes_at.
    if (channel.closes_at <= height + 1n) {
      throw new ClientError(
        'CHANNEL_NOT_CLOSING',
        `the lock period of ${channelId} ends at height ${channel.closes_at}, before a slash could be included (next block ${height + 1n}); settle instead`,
        { channelId, closesAt: channel.closes_at, height },
      );
    }
    const state = await checkState(options.state, channel);
    if (state.tx.round <= channel.round) {
      throw new ClientError('STATE_NOT_NEWER', `the state's round ${state.tx.round} is not above the on-chain round ${channel.round}`, {
        channelId,
        round: state.tx.round,
        onChainRound: channel.round,
      });
    }
    return {
      build: async () => ({
        type: 'channel_slash_tx',
        channel_id: decode(channelId, 'ch'),
        from: signer.publicKey,
        payload: serializeTx(state),
        ttl: ttlOf(options, height),
        fee: feeOf(options),
        nonce: await nonceOf(options, request),
      }),
    };
  });
}

/**
 * Pays out a solo-closed channel once its lock period is over (WIRE.md §4.9), with the amounts
 * the chain holds (those of the winning state). Settling is possible from the block at height
 * `closes_at`, so the tx is posted as soon as the next block reaches it. With
 * `waitUntilClosable`, waits for that height and reads the channel again (a slash meanwhile
 * moves `closes_at` and the amounts). A channel this call saw closing that is paid out by
 * another settle meanwhile resolves `'equivalent'`; one gone before the call first reads it is
 * `CHANNEL_NOT_FOUND` (the chain does not tell a settle from a mutual close).
 */
export async function settle(options: SettleOptions): Promise<DisputeResult> {
  const { node, signer, channelId } = checkCommon(options);
  if (options.waitUntilClosable !== undefined && typeof options.waitUntilClosable !== 'boolean') {
    throw new TypeError(`waitUntilClosable must be a boolean, got ${describe(options.waitUntilClosable)}`);
  }
  // A channel seen solo-closing that is gone can only have been settled (a mutual close needs
  // an active channel), with the amounts the chain held: what this call was to do.
  let seenClosing = false;
  return dispute(options, async (look, request) => {
    for (;;) {
      // The height first: the channel read after it holds every slash up to that height, and from
      // the next block on no slash can come (settling is only tried once that block reaches
      // closes_at). Read the other way round, a slash landing in between would go unseen and the
      // settle would carry the amounts it replaced.
      const height = await node.getHeight(request);
      const channel = await node.getChannel(channelId, request);
      // Gone: paid out in a block up to the height now, which may be past the one read above
      // (a block mined between the two reads); that earlier height would count confirmations
      // from before the settle.
      if (channel === undefined && seenClosing) return { reachedAt: await node.getHeight(request) };
      // Gone before this call saw it closing: a settle of an earlier run (or of the peer) or a
      // mutual close. The node's API names neither (a channel read is 404 for both; v0.14's
      // /account/{ak}/txs, which devnode does not serve, is not read): the caller can tell.
      if (channel === undefined) {
        throw channelNotFound(channelId, ": never created, closed mutually, or already paid out by a settle (an earlier run's: getTx of its hash, or the balance, tells which)");
      }
      requirePeer(channel, signer);
      if (channel.closes_at === 0n) {
        throw new ClientError('CHANNEL_NOT_CLOSING', `${channelId} is not solo-closing: close it first (solo or mutually)`, { channelId });
      }
      seenClosing = true;
      // A look after posting neither waits nor refuses a channel that is not closable yet.
      if (channel.closes_at <= height + 1n || look !== 'before') {
        return {
          build: async () => ({
            type: 'channel_settle_tx',
            channel_id: decode(channelId, 'ch'),
            from: signer.publicKey,
            initiator_amount: channel.initiator_amount,
            responder_amount: channel.responder_amount,
            ttl: ttlOf(options, height),
            fee: feeOf(options),
            nonce: await nonceOf(options, request),
          }),
        };
      }
      if (options.waitUntilClosable !== true) {
        throw new ClientError(
          'CHANNEL_NOT_CLOSABLE_YET',
          `${channelId} can be settled from height ${channel.closes_at}; the chain is at ${height}`,
          { channelId, closesAt: channel.closes_at, height },
        );
      }
      await node.waitForHeight(channel.closes_at - 1n, waitOptions(options));
    }
  });
}

// ---------------------------------------------------------------------------------------------

/**
 * The store's snapshot of a channel (`closeSolo`, `watchChannel`): `NOT_FOUND` when it has none;
 * a store of the app's own may fail with anything, which is `STORE_IO` with it as `cause`, as a
 * failed save is to the channel client (its own `ClientError`s pass as they are).
 */
export async function loadSnapshot(store: StateStore, channelId: ChannelId): Promise<ChannelSnapshot> {
  let snapshot: ChannelSnapshot | undefined;
  try {
    snapshot = await store.load(channelId);
  } catch (error) {
    throw error instanceof ClientError ? error : new ClientError('STORE_IO', messageOf(error), { channelId }, { cause: error });
  }
  if (snapshot === undefined) throw new ClientError('NOT_FOUND', `the store has no channel ${channelId}`, { channelId });
  return snapshot;
}

/** The options every dispute helper (and `watchChannel`) shares, checked before any request. */
export function checkCommon<T extends DisputeOptions>(options: T): T {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { node, signer, channelId } = options;
  if (typeof node !== 'object' || node === null || typeof node.getChannel !== 'function') throw new TypeError(`node must be a NodeClient, got ${describe(node)}`);
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function' || !isBytes(signer.publicKey)) {
    throw new TypeError(`signer must be a Signer, got ${describe(signer)}`);
  }
  if (!isEncoded(channelId, 'ch')) throw new TypeError(`channelId must be a valid ch$ string, got ${describe(channelId)}`);
  for (const name of ['fee', 'ttl', 'nonce', 'confirmations'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${describe(value)}`);
  }
  if (options.fee !== undefined && options.fee < 1n) throw new RangeError(`fee must be at least 1, got ${options.fee}`);
  if (options.nonce !== undefined && options.nonce < 1n) throw new RangeError(`nonce must be at least 1, got ${options.nonce}`);
  if (options.confirmations !== undefined && options.confirmations < 0n) throw new RangeError(`confirmations must not be negative, got ${options.confirmations}`);
  // The wait's options are only read after the tx is posted: checked here, before anything is.
  assertMilliseconds(options.timeoutMs, 'timeoutMs');
  assertMilliseconds(options.pollMs, 'pollMs');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(options.onProgress)}`);
  }
  return options;
}

function requestOptions(options: DisputeOptions): RequestOptions {
  return options.signal === undefined ? {} : { signal: options.signal };
}

async function onChainChannel(node: NodeClient, channelId: ChannelId, request: RequestOptions): Promise<ChannelInfo> {
  const channel = await node.getChannel(channelId, request);
  if (channel === undefined) throw channelNotFound(channelId);
  return channel;
}

export function channelNotFound(channelId: ChannelId, why = ' (never created, or closed)'): ClientError {
  return new ClientError('CHANNEL_NOT_FOUND', `no channel ${channelId} on chain${why}`, { channelId });
}

/**
 * What the node knows of the co-signed mutual close the store holds: pending, mined, or nothing
 * (never posted, or dropped: it may still come, from the peer, but a solo close is then safe).
 * A solo close next to a pending one is a rival the chain refuses (the initiator's, with the
 * close's own nonce) or, worse, one that lands first and holds both parties' funds for the
 * lock period instead of paying them out.
 */
async function mutualCloseOf(node: NodeClient, channelId: ChannelId, closeTx: EncodedTx, request: RequestOptions): Promise<TxInfo | undefined> {
  let hash: TxHash;
  try {
    hash = txHash(decodeTx(closeTx, 'signed_tx'));
  } catch (error) {
    throw new ClientError('STORE_CORRUPT', `the store's close tx of ${channelId} is not a signed tx: ${(error as Error).message}`, { channelId }, { cause: error });
  }
  try {
    return await node.getTx(hash, request);
  } catch (error) {
    if (error instanceof ClientError && error.code === 'TX_REJECTED') return undefined;
    throw error;
  }
}

export function requirePeer(channel: ChannelInfo, signer: Signer): void {
  const address = encode('ak', signer.publicKey);
  if (address !== channel.initiator && address !== channel.responder) {
    throw new ClientError('NOT_A_PEER', `${address} is neither the initiator nor the responder of ${channel.id}`, { channelId: channel.id });
  }
}

/**
 * The state as a co-signed off-chain tx of `channel`: it decodes, it is a
 * `channel_offchain_tx` of this channel id and these peers, both peers' signatures verify and
 * nothing else is signed in, and its amounts sum to what the channel holds on chain.
 */
async function checkState(input: EncodedTx | SignedTx, channel: ChannelInfo): Promise<SignedTx & { tx: ChannelOffchainTx }> {
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null || (input as { type?: unknown }).type !== 'signed_tx')) {
    throw new TypeError(`state must be a tx$ string or a SignedTx, got ${describe(input)}`);
  }
  let state: SignedTx;
  try {
    // A SignedTx object is read as strictly as a string, and copied: what is checked is what is posted.
    state = typeof input === 'string' ? decodeTx(input, 'signed_tx') : deserializeTx(serializeTx(input), 'signed_tx');
  } catch (error) {
    throw new ClientError('INVALID_STATE', `the state is not a signed tx: ${(error as Error).message}`, { channelId: channel.id }, { cause: error });
  }
  const offchain: UnsignedTx = state.tx;
  const invalid = (message: string) => new ClientError('INVALID_STATE', message, { channelId: channel.id });
  if (offchain.type !== 'channel_offchain_tx') throw invalid(`the state is a ${offchain.type}, not a channel_offchain_tx`);
  if (encode('ch', offchain.channel_id) !== channel.id) throw invalid(`the state belongs to ${encode('ch', offchain.channel_id)}, not ${channel.id}`);
  if (encode('ak', offchain.initiator) !== channel.initiator || encode('ak', offchain.responder) !== channel.responder) {
    throw invalid('the state names other peers than the channel on chain');
  }
  const verification = await verifySignedTx(state, [offchain.initiator, offchain.responder]);
  if (!verification.valid) {
    const missing = verification.signers.filter((entry) => entry.signature === null).map((entry) => entry.publicKey);
    const extra = verification.signatures.filter((entry) => entry.signer === null).length;
    throw new ClientError(
      'NOT_CO_SIGNED',
      `the state of round ${offchain.round} is not co-signed by both peers${missing.length > 0 ? ` (no valid signature of ${missing.join(', ')})` : ''}${extra > 0 ? ` (${extra} signature(s) of no peer)` : ''}`,
      { channelId: channel.id, round: offchain.round },
    );
  }
  if (offchain.initiator_amount + offchain.responder_amount !== channel.total_amount) {
    throw invalid(
      `the state's amounts sum to ${offchain.initiator_amount + offchain.responder_amount}, the channel holds ${channel.total_amount} on chain`,
    );
  }
  return state as SignedTx & { tx: ChannelOffchainTx };
}

function feeOf(options: DisputeOptions): bigint {
  return options.fee ?? DEFAULT_DISPUTE_FEE;
}

/**
 * `watchChannel`'s ttl (no option of the public API): blocks past the height the dispute reads
 * when it builds its tx. A `ttl` from the watch's own, earlier read of the height would be short
 * by the blocks mined in between, and refused as not above the height once they reach it.
 */
export const TTL_MARGIN: unique symbol = Symbol('ttlMargin');

function ttlOf(options: DisputeOptions & { [TTL_MARGIN]?: bigint }, height: bigint): bigint {
  const margin = options[TTL_MARGIN];
  if (margin !== undefined) return height + margin;
  if (options.ttl === undefined) return height + DEFAULT_TTL_MARGIN;
  // The ttl is the last height that may include the tx; the next block is height + 1.
  if (options.ttl <= height) throw new RangeError(`ttl ${options.ttl} is not above the current height ${height}: no block could include the tx`);
  return options.ttl;
}

async function nonceOf(options: DisputeOptions, request: RequestOptions): Promise<bigint> {
  return options.nonce ?? options.node.nextNonce(encode('ak', options.signer.publicKey), request);
}

/**
 * Where the chain stands for a dispute, judged from a fresh read: the outcome asked for is
 * reached (`reachedAt`, the height of the block that did it), or it is still to come (`build`
 * makes the tx that brings it). A chain that went elsewhere is the helper's typed error, thrown.
 */
type Verdict = { reachedAt: bigint; build?: undefined } | { build: () => Promise<UnsignedTx>; reachedAt?: undefined };

/**
 * Which look at the chain a judge makes: `'before'` anything is posted (it may wait for the
 * chain); `'refused'` once the node refused or dropped the call's tx; `'waiting'` at a new block
 * while that tx may still be included. The last two only look, never wait.
 */
type Look = 'before' | 'refused' | 'waiting';

/**
 * Reads the chain and judges it (every check of the helper), with `request` for every request.
 * While the call waits, `request` carries a signal that ends the look once the wait is over.
 */
type Judge = (look: Look, request: RequestOptions) => Promise<Verdict>;

/**
 * The one way every dispute helper runs, so that running it again, or twice at once, is safe. It
 * judges the chain, and when the outcome is still to come, builds, signs and posts the tx and
 * waits for it. Two runs of one dispute build two txs with one nonce (the signer's next on
 * chain) but other ttls, and the chain takes only one; the peer's tx may bring the channel
 * where ours was to bring it, or elsewhere. So when the node refuses our tx or drops it, and
 * at every block while it waits (a node may forget a dropped tx rather than say so, as v0.14
 * did), the chain is judged again: the outcome reached resolves the call (`'equivalent'`), a
 * chain gone elsewhere is the helper's typed error, and the refusal stands only when neither.
 */
async function dispute(options: DisputeOptions, judge: Judge): Promise<DisputeResult> {
  const { node } = options;
  const verdict = await judge('before', requestOptions(options));
  if (verdict.build === undefined) return equivalent(options, verdict.reachedAt, undefined);
  const signedTx = await signTx(await verdict.build(), options.signer);
  const ownTx = { hash: txHash(signedTx), signedTx };
  // Read before posting: any later block may hold our tx or another one.
  const postedAt = await node.getHeight(requestOptions(options));
  const judgedAgain = async (refusal: unknown): Promise<DisputeResult> => {
    let again: Verdict;
    try {
      again = await judge('refused', requestOptions(options));
    } catch (error) {
      // A node that does not answer the second look says nothing new: the refusal stands.
      throw isTransient(error) ? refusal : error;
    }
    if (again.build === undefined) return equivalent(options, again.reachedAt, ownTx);
    throw refusal;
  };
  try {
    await node.postTx(signedTx, requestOptions(options));
  } catch (error) {
    // Refused at admission (4xx): its nonce used by the other tx meanwhile, the channel gone.
    if (error instanceof ClientError && error.code === 'NODE_ERROR' && (error.context.status ?? 0) < 500) return judgedAgain(error);
    throw error;
  }
  let outcome: TxInfo | { reachedAt: bigint };
  try {
    outcome = await minedOrReached(options, ownTx.hash, postedAt, judge);
  } catch (error) {
    if (error instanceof ClientError && error.code === 'TX_REJECTED') return judgedAgain(error);
    throw error;
  }
  if ('signedTx' in outcome) return { reachedBy: 'posted', hash: ownTx.hash, signedTx, blockHeight: outcome.blockHeight };
  return equivalent(options, outcome.reachedAt, ownTx);
}

/** The call's own tx once mined (with its confirmations), or the outcome once another tx reached it. */
async function minedOrReached(options: DisputeOptions, hash: TxHash, postedAt: bigint, judge: Judge): Promise<TxInfo | { reachedAt: bigint }> {
  const { node } = options;
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const wait = { ...waitOptions(options), signal };
  const mined = node.waitForTx(hash, {
    ...wait,
    ...(options.confirmations === undefined ? {} : { confirmations: options.confirmations }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  const reached = (async () => {
    for (let height = postedAt; ; ) {
      height = await node.waitForHeight(height + 1n, wait);
      try {
        // Ours in a block: `mined` reports it once confirmed.
        if (((await node.getTx(hash, { signal }))?.blockHeight ?? -1n) >= 0n) continue;
        // With the wait's signal: a look still running when the wait ends is cut short.
        const verdict = await judge('waiting', { signal });
        if (verdict.build === undefined) return { reachedAt: verdict.reachedAt };
      } catch (error) {
        if (!isTransient(error)) throw error;
      }
    }
  })();
  try {
    const first = await Promise.race([mined, reached]);
    if ('signedTx' in first) return first;
    // Ours may have landed between the look at it and the look at the channel.
    const ours = await node.getTx(hash, requestOptions(options)).catch(() => undefined);
    return ours !== undefined && ours.blockHeight >= 0n ? await mined : first;
  } finally {
    stop.abort();
    mined.catch(() => undefined);
    reached.catch(() => undefined);
  }
}

/** The outcome another tx reached, once `confirmations` blocks are on top of its block. */
async function equivalent(options: DisputeOptions, blockHeight: bigint, ownTx: DisputeEquivalent['ownTx']): Promise<DisputeEquivalent> {
  if (options.confirmations !== undefined && options.confirmations > 0n) {
    await options.node.waitForHeight(blockHeight + options.confirmations, waitOptions(options));
  }
  return { reachedBy: 'equivalent', blockHeight, ownTx };
}

function waitOptions(options: DisputeOptions): { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } {
  return {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

/**
 * Whether the channel, solo-closing, holds `input` as its state: same round, same amounts (one
 * round is co-signed once). A state that fails the checks is not held.
 */
async function holdsState(channel: ChannelInfo, input: EncodedTx | SignedTx): Promise<boolean> {
  let state: SignedTx & { tx: ChannelOffchainTx };
  try {
    state = await checkState(input, channel);
  } catch {
    return false;
  }
  return state.tx.round === channel.round && state.tx.initiator_amount === channel.initiator_amount && state.tx.responder_amount === channel.responder_amount;
}

/** Height of the block of the close or slash that put the channel's state on chain. */
function closedAt(channel: ChannelInfo): bigint {
  return channel.closes_at - channel.lock_period;
}

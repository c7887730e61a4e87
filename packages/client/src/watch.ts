import { describe, type TxHash } from '@aesc/encoding';
import type { SignedTx } from '@aesc/tx';
import { channelNotFound, checkCommon, type DisputeOptions, type DisputeResult, loadSnapshot, requirePeer, settle, slash, TTL_MARGIN } from './dispute.js';
import { ClientError, messageOf } from './errors.js';
import { type ChannelInfo, DEFAULT_POLL_MS, isTransient, MAX_REQUEST_TIMEOUT_MS } from './node-client.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/**
 * `BAD_RESPONSE`s in a row that end a watch. One is reported and read again (a proxy's hiccup);
 * a node that keeps answering what it cannot mean is not one to watch a channel through.
 */
export const WATCH_BAD_RESPONSE_LIMIT = 3;

export interface WatchOptions extends Pick<DisputeOptions, 'node' | 'signer' | 'channelId' | 'fee' | 'timeoutMs' | 'signal'> {
  /** Where the channel's co-signed states are kept (a `ChannelClient` may be saving to it): read again at every block while the channel closes. */
  store: StateStore;
  /** Settle once the lock period allows it, then end (default true); false: watch until someone else pays the channel out. */
  settle?: boolean | undefined;
  /**
   * Blocks past the height a slash or settle is built at that it stays valid (its `ttl`); default
   * `DEFAULT_TTL_MARGIN`. A margin, not a height: a watch may run for months.
   */
  ttlMargin?: bigint | undefined;
  /** Pause between two reads of the chain's height, in ms (default `DEFAULT_POLL_MS`, 500 ms); also the slash's and settle's. */
  pollMs?: number | undefined;
  /** What the watch sees and does; one that throws or rejects is an `error` event `LISTENER_FAILED` (that of an `error` event is dropped). */
  onEvent?: ((event: WatchEvent) => void) | undefined;
}

/** What a watch reports on its way: only changes, never an event per block. */
export type WatchEvent =
  /** The chain shows the channel solo-closing with `round`, until `closesAt` (the peer's close, or a slash, ours included). */
  | { type: 'closing'; round: bigint; closesAt: bigint; height: bigint }
  /** The store's newer state `round` is on chain: by our slash (`hash`), or by another tx with the same state (`hash` undefined). */
  | { type: 'slashed'; round: bigint; hash: TxHash | undefined; blockHeight: bigint }
  /** Our settle is in (`done` resolves with it next). */
  | { type: 'settled'; hash: TxHash; blockHeight: bigint }
  /**
   * A failure the watch goes on after: the node (`NODE_UNREACHABLE`, `TIMEOUT`, a 5xx, a
   * `BAD_RESPONSE` short of {@link WATCH_BAD_RESPONSE_LIMIT}), a tx the node dropped
   * (`TX_REJECTED`): read again at the next poll; a newer stored state that came too late to slash
   * (`CHANNEL_NOT_CLOSING`, once per state and lock period); `LISTENER_FAILED`.
   */
  | { type: 'error'; error: ClientError };

/** How a watch ended. */
export type WatchOutcome =
  /** Our settle paid the channel out. */
  | { outcome: 'settled'; hash: TxHash; signedTx: SignedTx; blockHeight: bigint }
  /** The channel is gone another way (a mutual close, the peer's settle), seen at `height`. */
  | { outcome: 'closed'; height: bigint };

export interface ChannelWatch {
  /** Ends the watch: `done` rejects with `ABORTED`, a request or a dispute call in flight is cut short, no timer is left. */
  stop(): void;
  /** The outcome; rejects with a `ClientError` when the watch cannot go on, `ABORTED` when stopped. Never an unhandled rejection. */
  done: Promise<WatchOutcome>;
}

/**
 * Watches a channel on chain for the user (README, "Watching the chain"): at every block it
 * reads the channel; while it is solo-closing with a round below the store's latest co-signed
 * one, it slashes with the store's state before `closes_at`; once the lock period allows, it
 * settles (`settle: true`, the default). Node failures are events and are read again at the next
 * poll; what cannot change by waiting ends `done` with its typed error: the store lost the channel
 * (`NOT_FOUND`, `STORE_*`), the signer is no peer (`NOT_A_PEER`), the channel was never seen on
 * chain (`CHANNEL_NOT_FOUND`), {@link WATCH_BAD_RESPONSE_LIMIT} `BAD_RESPONSE`s in a row.
 */
export function watchChannel(options: WatchOptions): ChannelWatch {
  const { node, signer, channelId, store } = checkCommon(options);
  if (typeof store !== 'object' || store === null || typeof store.load !== 'function') throw new TypeError(`store must be a StateStore, got ${describe(store)}`);
  if (options.settle !== undefined && typeof options.settle !== 'boolean') throw new TypeError(`settle must be a boolean, got ${describe(options.settle)}`);
  if (options.ttlMargin !== undefined && typeof options.ttlMargin !== 'bigint') throw new TypeError(`ttlMargin must be a bigint, got ${describe(options.ttlMargin)}`);
  if (options.ttlMargin !== undefined && options.ttlMargin < 1n) throw new RangeError(`ttlMargin must be at least 1, got ${options.ttlMargin}`);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError(`onEvent must be a function, got ${describe(options.onEvent)}`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(options.signal)}`);
  const { onEvent, ttlMargin } = options;
  const settleOn = options.settle ?? true;
  const pollMs = Math.ceil(options.pollMs ?? DEFAULT_POLL_MS);
  // A pause beyond the timers' range (which fire after 1 ms for it) is cut to it.
  const pauseMs = Math.min(pollMs, MAX_REQUEST_TIMEOUT_MS);
  const stopper = new AbortController();
  const signal = options.signal === undefined ? stopper.signal : AbortSignal.any([options.signal, stopper.signal]);
  const request = { signal };

  const emit = (event: WatchEvent): void => {
    if (onEvent === undefined) return;
    const failed = (error: unknown) => {
      if (event.type === 'error') return;
      emit({ type: 'error', error: new ClientError('LISTENER_FAILED', `the app's onEvent failed on a ${event.type} event: ${messageOf(error)}`, { channelId }, { cause: error }) });
    };
    try {
      const returned: unknown = onEvent(event);
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') Promise.resolve(returned).catch(failed);
    } catch (error) {
      failed(error);
    }
  };

  /** The newest state the store answered: one that later answers an older one (a replica behind, a backup put back) does not take it back. */
  let newest: ChannelSnapshot | undefined;
  const load = async (): Promise<ChannelSnapshot> => {
    const snapshot = await loadSnapshot(store, channelId);
    if (newest?.round === undefined || (snapshot.round !== undefined && snapshot.round > newest.round)) newest = snapshot;
    return newest;
  };

  /** The options of a slash or settle: its ttl counted from the height it reads itself, not from the watch's (older) one. */
  const disputeOptions: DisputeOptions & { [TTL_MARGIN]?: bigint } = {
    node,
    signer,
    channelId,
    signal,
    pollMs,
    ...(options.fee === undefined ? {} : { fee: options.fee }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(ttlMargin === undefined ? {} : { [TTL_MARGIN]: ttlMargin }),
  };

  let seen = false;
  let closing: string | undefined;
  let late: string | undefined;
  /** The chain moved under a dispute call (a slash or settle of the peer's): read it again at the next poll, no event. */
  const AGAIN = Symbol('again');
  const moved = (error: unknown, ...codes: ClientError['code'][]): boolean => error instanceof ClientError && codes.includes(error.code);

  /** What the block at `height` calls for: the watch's end, nothing (undefined), or a look again at the next poll. */
  const atBlock = async (height: bigint): Promise<WatchOutcome | undefined | typeof AGAIN> => {
    // The height first: the channel read after it holds every tx up to that height.
    const channel: ChannelInfo | undefined = await node.getChannel(channelId, request);
    if (channel === undefined) {
      if (!seen) throw channelNotFound(channelId, ' (never created, not yet mined, or already closed): watch a channel once it is open');
      return { outcome: 'closed', height };
    }
    if (!seen) requirePeer(channel, signer);
    seen = true;
    if (channel.closes_at === 0n) return undefined;
    const key = `${channel.round}/${channel.closes_at}`;
    if (key !== closing) {
      closing = key;
      emit({ type: 'closing', round: channel.round, closesAt: channel.closes_at, height });
    }
    // Read again at each block: a ChannelClient of the app may have stored a newer state meanwhile.
    const snapshot = await load();
    if (snapshot.state !== undefined && snapshot.round !== undefined && snapshot.round > channel.round) {
      const tooLate = (error: ClientError) => {
        const which = `${channel.closes_at}/${snapshot.round}`;
        if (which !== late) emit({ type: 'error', error });
        late = which;
      };
      // The next block is the first that can include a slash, and it must come before closes_at.
      if (channel.closes_at > height + 1n) {
        let result: DisputeResult;
        try {
          result = await slash({ ...disputeOptions, state: snapshot.state });
        } catch (error) {
          // Too late after all (the chain moved on while the slash was built): the state is lost.
          if (moved(error, 'CHANNEL_NOT_CLOSING')) tooLate(error as ClientError);
          if (moved(error, 'STATE_NOT_NEWER', 'CHANNEL_NOT_CLOSING', 'CHANNEL_NOT_FOUND')) return AGAIN;
          throw error;
        }
        const hash = result.reachedBy === 'posted' ? result.hash : undefined;
        emit({ type: 'slashed', round: snapshot.round, hash, blockHeight: result.blockHeight });
        return undefined;
      }
      tooLate(
        new ClientError(
          'CHANNEL_NOT_CLOSING',
          `the store's round ${snapshot.round} of ${channelId} came too late: the lock period ends at height ${channel.closes_at}, before a slash could be included (next block ${height + 1n}); round ${channel.round} is paid out`,
          { channelId, round: snapshot.round, onChainRound: channel.round, closesAt: channel.closes_at, height },
        ),
      );
    }
    if (!settleOn || channel.closes_at > height + 1n) return undefined;
    let result: DisputeResult;
    try {
      result = await settle(disputeOptions);
    } catch (error) {
      // A slash moved closes_at, or the channel is gone (read as such at the next poll).
      if (moved(error, 'CHANNEL_NOT_CLOSABLE_YET', 'CHANNEL_NOT_CLOSING', 'CHANNEL_NOT_FOUND')) return AGAIN;
      throw error;
    }
    if (result.reachedBy === 'equivalent') return { outcome: 'closed', height: result.blockHeight };
    emit({ type: 'settled', hash: result.hash, blockHeight: result.blockHeight });
    return { outcome: 'settled', hash: result.hash, signedTx: result.signedTx, blockHeight: result.blockHeight };
  };

  const run = async (): Promise<WatchOutcome> => {
    const aborted = () =>
      new ClientError('ABORTED', `the watch of ${channelId} was ${stopper.signal.aborted ? 'stopped' : 'aborted'}`, { channelId }, { cause: signal.reason });
    let handled = -1n;
    let badResponses = 0;
    let loaded = false;
    for (let first = true; ; first = false) {
      if (!first) await pause(pauseMs, signal);
      if (signal.aborted) throw aborted();
      try {
        // The store checked first: a watch of a channel it does not hold cannot slash.
        if (!loaded) await load();
        loaded = true;
        const height = await node.getHeight(request);
        if (height > handled) {
          const outcome = await atBlock(height);
          if (outcome !== AGAIN && outcome !== undefined) return outcome;
          if (outcome === undefined) handled = height;
        }
        // A poll that got its answers (a block handled, the same height again, or a chain to read again) ends a run of BAD_RESPONSEs.
        badResponses = 0;
      } catch (error) {
        if (signal.aborted) throw aborted();
        if (!(error instanceof ClientError)) throw new ClientError('INTERNAL', `the watch of ${channelId} failed: ${messageOf(error)}`, { channelId }, { cause: error });
        const again = isTransient(error) || error.code === 'TX_REJECTED' || (error.code === 'BAD_RESPONSE' && ++badResponses < WATCH_BAD_RESPONSE_LIMIT);
        if (!again) throw error;
        emit({ type: 'error', error });
      }
    }
  };

  const done = run();
  // A watch whose outcome no one awaits (stopped, or failed) is no unhandled rejection.
  done.catch(() => undefined);
  return { stop: () => stopper.abort(), done };
}

/** Resolves after `ms`, or at once when `signal` aborts (its timer cleared). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

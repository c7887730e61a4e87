import type { ChannelId, EncodedTx } from '@aesc/encoding';

/**
 * What a client keeps of a channel to be able to close it alone: the co-signed create tx and
 * the newest co-signed off-chain state (BEHAVIOUR.md §7.2). Everything else derives from them.
 */
export interface ChannelSnapshot {
  channelId: ChannelId;
  role: 'initiator' | 'responder';
  /** The co-signed `channel_create_tx` (a `signed_tx`). */
  createTx: EncodedTx;
  /** The newest co-signed `channel_offchain_tx` (a `signed_tx`), once round 1 is signed. */
  state?: EncodedTx | undefined;
  /** That state's round. */
  round?: bigint | undefined;
  /** The co-signed `channel_close_mutual_tx`, once there is one: a later save without it keeps it. */
  closeTx?: EncodedTx | undefined;
}

/**
 * Where a client persists its channels. `save` must be durable when its promise resolves. The
 * snapshot `save` gets is read-only: the client's own are frozen (copy one to change it).
 *
 * The stores of this package reject a `save` with INVALID_SNAPSHOT when a tx does not decode,
 * belongs to another channel, or (for a snapshot the client did not build itself) does not
 * carry exactly one valid signature of each peer; with STALE_SNAPSHOT when it is older than
 * the stored state; STORE_IO when the disk refuses. A `load` of what they could not have
 * written, a tx that is not co-signed included, is STORE_CORRUPT. A `save` without `closeTx`
 * keeps the `closeTx` stored (a co-signed close stays postable; one that brings another
 * replaces it): a store of your own must do the same.
 */
export interface StateStore {
  load(channelId: ChannelId): Promise<ChannelSnapshot | undefined>;
  /** Read-only for the store: the client's own snapshots are frozen. */
  save(snapshot: Readonly<ChannelSnapshot>): Promise<void>;
  /** The channels it holds a snapshot of, sorted: after a crash, what there is to recover. */
  list(): Promise<ChannelId[]>;
}

/**
 * `info` reports, node → client: `{"action":"info","payload":{"event":E}}` (BEHAVIOUR.md §2.2).
 * The event lists differ between the dialects in one name each: the seed announces a finished
 * update with `update_finalized` (no node ever sent it; the v0.14 node sends the co-signed
 * `update {state}` frame instead), and v0.14 announces a finished mutual close with
 * `close_mutual`.
 */

export const SEED_INFO_EVENTS = [
  'channel_open',
  'channel_accept',
  'funding_created',
  'funding_signed',
  'own_funding_locked',
  'funding_locked',
  'update',
  'open',
  'update_finalized',
  'died',
] as const;

export const V014_INFO_EVENTS = [
  'channel_open',
  'channel_accept',
  'funding_created',
  'funding_signed',
  'own_funding_locked',
  'funding_locked',
  'update',
  'open',
  'close_mutual',
  'died',
] as const;

/** An `info` event of the seed dialect. */
export type SeedInfoEvent = (typeof SEED_INFO_EVENTS)[number];
/** An `info` event of the v0.14 dialect. */
export type V014InfoEvent = (typeof V014_INFO_EVENTS)[number];
/** An `info` event of either dialect. */
export type InfoEvent = SeedInfoEvent | V014InfoEvent;

/** A progress report of the channel's state machine (either dialect). */
export interface InfoMessage {
  action: 'info';
  payload: {
    event: InfoEvent;
  };
}

/** A progress report of the channel's state machine, seed dialect. */
export interface SeedInfoMessage {
  action: 'info';
  payload: {
    event: SeedInfoEvent;
  };
}

/** A progress report of the channel's state machine, v0.14 dialect. */
export interface V014InfoMessage {
  action: 'info';
  payload: {
    event: V014InfoEvent;
  };
}

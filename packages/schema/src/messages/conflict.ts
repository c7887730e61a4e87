/**
 * `conflict`, node → client: both parties proposed an update at once; both proposals are void
 * and the channel is back at the last co-signed round (BEHAVIOUR.md §3.4).
 */
import type { ChannelId, NonNegativeInteger } from './primitives.js';

/** Concurrent updates cancelled each other; `round` is the last co-signed round. */
export interface Conflict {
  action: 'conflict';
  payload: {
    channel_id: ChannelId;
    round: NonNegativeInteger;
  };
}

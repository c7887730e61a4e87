/**
 * Generic messages (BEHAVIOUR.md §4): a client sends `info` text to the other party; the other
 * party's node reports it with the channel id and both keys.
 */
import type { AccountPubkey, ChannelId } from './primitives.js';

/** The client sends a text to the other party of the channel. */
export interface MessageRequest {
  action: 'message';
  payload: {
    /** The other party (sending to oneself is answered with `unknown_recipient`). */
    to: AccountPubkey;
    info: string;
  };
}

/** What a received generic message carries. */
export interface ReceivedMessage {
  channel_id: ChannelId;
  from: AccountPubkey;
  to: AccountPubkey;
  info: string;
}

/** The node reports a generic message from the other party. */
export interface MessageReport {
  action: 'message';
  payload: {
    message: ReceivedMessage;
  };
}

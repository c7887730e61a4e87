/**
 * Generic messages (BEHAVIOUR.md §4): a client sends `info` text to the other party; the other
 * party's node reports it with the channel id and both keys.
 */
import type { AccountPubkey, ChannelId } from './primitives.js';

/**
 * The most UTF-8 bytes an `info` may have: the node-to-node message carries its length in 2
 * bytes (BEHAVIOUR.md §4). JSON Schema cannot say it (`maxLength` counts characters), so the
 * parser and the builders check it after the schema.
 */
export const MAX_MESSAGE_INFO_BYTES = 65_535;

/** The client sends a text to the other party of the channel. */
export interface MessageRequest {
  action: 'message';
  payload: {
    /** The other party (sending to oneself is answered with `unknown_recipient`). */
    to: AccountPubkey;
    /** At most 65 535 bytes of UTF-8 (`MAX_MESSAGE_INFO_BYTES`), checked after the schema. */
    info: string;
  };
}

/** What a received generic message carries. */
export interface ReceivedMessage {
  channel_id: ChannelId;
  from: AccountPubkey;
  to: AccountPubkey;
  /** At most 65 535 bytes of UTF-8 (`MAX_MESSAGE_INFO_BYTES`), checked after the schema. */
  info: string;
}

/** The node reports a generic message from the other party. */
export interface MessageReport {
  action: 'message';
  payload: {
    message: ReceivedMessage;
  };
}

/**
 * The two `error` frames, node → client (BEHAVIOUR.md §3): `{reason, request}` rejects one
 * client request and leaves the channel as it was; `{message}` reports that the state machine
 * aborted, and is always followed by `info died`.
 *
 * `reason` and `message` are plain strings in the schema: the lists below are what v0.14 is
 * known to send, and a client must still see an error whose text it does not know.
 */

/** Reasons v0.14 gives in `{reason, request}` errors (the seed lists the first three). */
export const REQUEST_ERROR_REASONS = [
  'insufficient_balance',
  'negative_amount',
  'invalid_pubkeys',
  'broken_encoding',
  'unknown_request',
  'unknown_recipient',
  'function_clause',
] as const;
export type RequestErrorReason = (typeof REQUEST_ERROR_REASONS)[number];

/** Messages v0.14 gives in `{message}` errors. */
export const FSM_ERROR_MESSAGES = [
  'chain_hash_mismatch',
  'channel_id_mismatch',
  'temporary_channel_id_mismatch',
  'invalid_update_ack',
  'invalid_previous_round',
  'insufficient_balance',
  'fallback_state_mismatch',
  'chain_id_mismatch',
  'not_mutually_signed',
  'shutdown_tx_mismatch',
  'function_clause',
] as const;
export type FsmErrorMessage = (typeof FSM_ERROR_MESSAGES)[number];

/**
 * The client request an error answers, echoed whole as the node decoded it. It need not be a
 * valid request (an amount that is not an integer is answered with `function_clause`), so only
 * its envelope is constrained.
 */
export interface EchoedRequest {
  action: string;
  /**
   * Any JSON value: v0.14 answers a `message` request without looking at its `tag`, and echoes
   * the request as the client sent it (an update/new always has `"new"`).
   */
  tag?: unknown;
  payload?: { [key: string]: unknown };
  [key: string]: unknown;
}

/** The node rejected one request of its client; nothing changed in the channel. */
export interface RequestError {
  action: 'error';
  payload: {
    /** Why, e.g. `insufficient_balance`, `negative_amount`, `invalid_pubkeys`. */
    reason: string;
    request: EchoedRequest;
  };
}

/** The channel's state machine aborted on a protocol error; `info died` follows. */
export interface FsmError {
  action: 'error';
  payload: {
    /** Why, e.g. `invalid_previous_round`, `not_mutually_signed`. */
    message: string;
  };
}

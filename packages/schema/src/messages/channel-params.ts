/**
 * The query parameters of the channel WebSocket URL (BEHAVIOUR.md §1.2), in two forms:
 * `ChannelQuery` is the text that crosses the wire (the JSON Schema describes it, so that any
 * language can check a URL), `ChannelParams` the typed values `fromQuery` returns and `toQuery`
 * takes. Chain quantities are bigint; the port and the timeouts (milliseconds) are numbers
 * because they go to sockets and timers, never to a transaction.
 */
import type { AccountPubkey } from './primitives.js';

/** `timeout_<name>` parameters, in the order of BEHAVIOUR.md §1.2. */
export const TIMEOUT_NAMES = [
  'accept',
  'funding_create',
  'funding_lock',
  'funding_sign',
  'idle',
  'open',
  'sign',
  'awaiting_open',
  'initialized',
] as const;
export type TimeoutName = (typeof TIMEOUT_NAMES)[number];

/** `report_<tag>` parameters: `false` silences that class of node → client frames. */
export const REPORT_TAGS = ['info', 'update', 'conflict', 'message', 'error', 'on_chain_tx'] as const;
export type ReportTag = (typeof REPORT_TAGS)[number];

export const ROLES = ['initiator', 'responder'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every parameter name, in the order `toQuery` writes them: the seed's own order first (its
 * example URLs come back unchanged), then the optional ones.
 */
export const PARAM_NAMES = [
  'initiator',
  'responder',
  'lock_period',
  'push_amount',
  'initiator_amount',
  'responder_amount',
  'channel_reserve',
  'ttl',
  'host',
  'port',
  'role',
  'minimum_depth',
  'timeout_accept',
  'timeout_funding_create',
  'timeout_funding_lock',
  'timeout_funding_sign',
  'timeout_idle',
  'timeout_open',
  'timeout_sign',
  'timeout_awaiting_open',
  'timeout_initialized',
  'report_info',
  'report_update',
  'report_conflict',
  'report_message',
  'report_error',
  'report_on_chain_tx',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/**
 * A decimal integer of any size, without sign or leading zeros.
 * @pattern ^(0|[1-9][0-9]*)$
 */
export type DecimalText = string;

// The bounded kinds below: the generator turns each bound into the pattern of exactly that
// range (the value is text, so `maximum` cannot say it), and fromQuery checks the same.

/**
 * A decimal integer below 2^64, an 8-byte field between the nodes (WIRE.md §10).
 * @pattern ^(0|[1-9][0-9]*)$
 * @exclusiveMaximum 18446744073709551616
 */
export type U64Text = string;

/**
 * A decimal integer below 2^32, a 4-byte field between the nodes.
 * @pattern ^(0|[1-9][0-9]*)$
 * @exclusiveMaximum 4294967296
 */
export type U32Text = string;

/**
 * A decimal integer below 2^16, a 2-byte field between the nodes.
 * @pattern ^(0|[1-9][0-9]*)$
 * @exclusiveMaximum 65536
 */
export type U16Text = string;

/**
 * A TCP port, 1–65535.
 * @pattern ^(0|[1-9][0-9]*)$
 * @minimum 1
 * @maximum 65535
 */
export type PortText = string;

/**
 * Milliseconds, 0–4294967295: the range of a gen_statem timer.
 * @pattern ^(0|[1-9][0-9]*)$
 * @maximum 4294967295
 */
export type MillisecondsText = string;

/** `true` or `false`, exactly. */
export type BooleanText = 'true' | 'false';

/**
 * A host name or address, without spaces (of ECMAScript's `\s`, spelled out for other regex dialects).
 * @pattern ^[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$
 */
export type HostText = string;

/** What both roles send, as query-string text. */
export interface ChannelQueryCommon {
  /** The initiator's account. */
  initiator: AccountPubkey;
  /** The responder's account. */
  responder: AccountPubkey;
  /** Blocks a solo close can be disputed; less than 65536 (a 2-byte field between nodes). */
  lock_period: U16Text;
  /** Sent to the responder's node in `channel_open`, otherwise unused by v0.14; less than 2^64. */
  push_amount: U64Text;
  /** The initiator's deposit; less than 2^64. */
  initiator_amount: U64Text;
  /** The responder's deposit; less than 2^64. */
  responder_amount: U64Text;
  /** What each party must keep after any update; less than 2^64. */
  channel_reserve: U64Text;
  /** Last block height of the create tx, reused as the ttl of the mutual-close tx. */
  ttl: DecimalText;
  /** The initiator: the TCP port to dial; the responder: the port its node listens on (1–65535). */
  port: PortText;
  /** Blocks on top of the create tx before the channel opens (seed only; v0.14 ignores it); less than 2^32. */
  minimum_depth?: U32Text;
  /** Milliseconds to wait in `initialized`, `awaiting_initial_state`, `awaiting_update_ack`, `closing`; at most 4294967295. */
  timeout_accept?: MillisecondsText;
  /** Milliseconds the responder waits for `funding_created`; at most 4294967295. */
  timeout_funding_create?: MillisecondsText;
  /** Milliseconds for the create tx to reach its depth and the peer to confirm; at most 4294967295. */
  timeout_funding_lock?: MillisecondsText;
  /** Milliseconds the initiator waits for `funding_signed`; at most 4294967295. */
  timeout_funding_sign?: MillisecondsText;
  /** Milliseconds the responder waits for `channel_open`; at most 4294967295. */
  timeout_idle?: MillisecondsText;
  /** Milliseconds an open channel may stay idle; at most 4294967295. */
  timeout_open?: MillisecondsText;
  /** Milliseconds the client has to answer a sign request; at most 4294967295. */
  timeout_sign?: MillisecondsText;
  /** Milliseconds, overrides `timeout_idle` in `awaiting_open`; at most 4294967295. */
  timeout_awaiting_open?: MillisecondsText;
  /** Milliseconds, overrides `timeout_accept` in `initialized`; at most 4294967295. */
  timeout_initialized?: MillisecondsText;
  /** `false` silences `info` reports (default `true`). */
  report_info?: BooleanText;
  /** `false` silences `update` state frames (default `true`). */
  report_update?: BooleanText;
  /** `false` silences `conflict` reports (default `true`). */
  report_conflict?: BooleanText;
  /** `false` silences received generic messages (default `true`). */
  report_message?: BooleanText;
  /** `false` silences `error` frames (default `true`). */
  report_error?: BooleanText;
  /** `false` silences `on_chain_tx` frames (default `true`). */
  report_on_chain_tx?: BooleanText;
}

/** The initiator's query: it names the responder's host to dial. */
export interface InitiatorQuery extends ChannelQueryCommon {
  role: 'initiator';
  host: HostText;
}

/** The responder's query: its node listens, so `host` is optional and ignored. */
export interface ResponderQuery extends ChannelQueryCommon {
  role: 'responder';
  host?: HostText;
}

/** The query of either role. */
export type ChannelQuery = InitiatorQuery | ResponderQuery;

/** What both roles pass, as typed values. */
export interface ChannelParamsCommon {
  initiator: AccountPubkey;
  responder: AccountPubkey;
  lock_period: bigint;
  push_amount: bigint;
  initiator_amount: bigint;
  responder_amount: bigint;
  channel_reserve: bigint;
  ttl: bigint;
  port: number;
  minimum_depth?: bigint | undefined;
  timeout_accept?: number | undefined;
  timeout_funding_create?: number | undefined;
  timeout_funding_lock?: number | undefined;
  timeout_funding_sign?: number | undefined;
  timeout_idle?: number | undefined;
  timeout_open?: number | undefined;
  timeout_sign?: number | undefined;
  timeout_awaiting_open?: number | undefined;
  timeout_initialized?: number | undefined;
  report_info?: boolean | undefined;
  report_update?: boolean | undefined;
  report_conflict?: boolean | undefined;
  report_message?: boolean | undefined;
  report_error?: boolean | undefined;
  report_on_chain_tx?: boolean | undefined;
}

export interface InitiatorParams extends ChannelParamsCommon {
  role: 'initiator';
  host: string;
}

export interface ResponderParams extends ChannelParamsCommon {
  role: 'responder';
  host?: string | undefined;
}

/** The connection parameters of either role. */
export type ChannelParams = InitiatorParams | ResponderParams;

// The name lists above and the interfaces must name the same parameters: these aliases fail to
// compile when one is edited without the other.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
type ParamListsMatch = Holds<
  | SameKeys<keyof InitiatorQuery, ParamName>
  | SameKeys<keyof InitiatorParams, ParamName>
  | SameKeys<Extract<ParamName, `timeout_${string}`>, `timeout_${TimeoutName}`>
  | SameKeys<Extract<ParamName, `report_${string}`>, `report_${ReportTag}`>
>;

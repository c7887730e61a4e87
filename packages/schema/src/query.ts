/**
 * `toQuery` / `fromQuery`: the channel parameters of BEHAVIOUR.md §1.2 to and from the query
 * string of `ws://host:3014/channel?…`. Both go through the same check (the generated
 * `InitiatorQuery`/`ResponderQuery` validators, whose patterns hold each number's range, then
 * the checksum of the account keys, which no schema can state), so `fromQuery(toQuery(params))`
 * gives `params` back and `toQuery` never writes a query `fromQuery` refuses.
 */
import { describe, isEncoded } from '@aesc/encoding';
import { SchemaError } from './errors.js';
import { type GeneratedValidator, validateInitiatorQuery, validateResponderQuery } from './generated/validators.js';
import {
  type ChannelParams,
  type ChannelQuery,
  PARAM_NAMES,
  type ParamName,
  type Role,
  ROLES,
} from './messages/channel-params.js';
import { explainIssue } from './validate.js';

/** How a parameter's text becomes its value, and its limit. */
type ParamKind =
  | { readonly type: 'text' }
  /** A key, checked in full: the node decodes it at connect and closes the socket if it cannot (BEHAVIOUR.md §1.3). */
  | { readonly type: 'account' }
  | { readonly type: 'bigint'; readonly below?: bigint }
  | { readonly type: 'number'; readonly min: number; readonly max: number }
  | { readonly type: 'boolean' };

const TEXT = { type: 'text' } as const;
const ACCOUNT = { type: 'account' } as const;
const U64 = { type: 'bigint', below: 2n ** 64n } as const;
const MILLISECONDS = { type: 'number', min: 0, max: 4_294_967_295 } as const;
const BOOLEAN = { type: 'boolean' } as const;

/**
 * Limits from the node-to-node fields each value travels in (WIRE.md §10) and gen_statem's timer
 * range. The schema's pattern of each value enforces its range (the JSDoc bounds of
 * messages/channel-params.ts); these name it in the error message, and src/query.test.ts checks
 * that both agree.
 */
const KINDS: Readonly<Record<ParamName, ParamKind>> = {
  initiator: ACCOUNT,
  responder: ACCOUNT,
  lock_period: { type: 'bigint', below: 2n ** 16n },
  push_amount: U64,
  initiator_amount: U64,
  responder_amount: U64,
  channel_reserve: U64,
  ttl: { type: 'bigint' },
  host: TEXT,
  port: { type: 'number', min: 1, max: 65_535 },
  role: TEXT,
  minimum_depth: { type: 'bigint', below: 2n ** 32n },
  timeout_accept: MILLISECONDS,
  timeout_funding_create: MILLISECONDS,
  timeout_funding_lock: MILLISECONDS,
  timeout_funding_sign: MILLISECONDS,
  timeout_idle: MILLISECONDS,
  timeout_open: MILLISECONDS,
  timeout_sign: MILLISECONDS,
  timeout_awaiting_open: MILLISECONDS,
  timeout_initialized: MILLISECONDS,
  report_info: BOOLEAN,
  report_update: BOOLEAN,
  report_conflict: BOOLEAN,
  report_message: BOOLEAN,
  report_error: BOOLEAN,
  report_on_chain_tx: BOOLEAN,
};

const KNOWN: ReadonlySet<string> = new Set(PARAM_NAMES);
const VALIDATORS: Readonly<Record<Role, GeneratedValidator>> = {
  initiator: validateInitiatorQuery,
  responder: validateResponderQuery,
};

export interface FromQueryOptions {
  /**
   * Skip parameters this protocol does not have, as the v0.14 node does. By default they are
   * an `UNKNOWN_PARAM` error, which catches typos (`timeout_acept`) and the seed's `timeouts`.
   */
  readonly ignoreUnknown?: boolean | undefined;
}

function paramError(code: 'MISSING_PARAM' | 'INVALID_PARAM' | 'UNKNOWN_PARAM' | 'DUPLICATE_PARAM', param: string, message: string): SchemaError {
  return new SchemaError(code, `${param}: ${message}`, { param, path: `/${param}` });
}

/** What is wrong with the text of a number its pattern refused: its form, or its range. */
function numberProblem(kind: Extract<ParamKind, { type: 'bigint' | 'number' }>, text: string): string {
  const shown = JSON.stringify(text.length <= 32 ? text : `${text.slice(0, 32)}…`);
  if (kind.type === 'number' && /^(0|[1-9][0-9]*)$/.test(text)) return `must be ${kind.min}–${kind.max}, got ${shown}`;
  if (kind.type === 'bigint' && kind.below !== undefined && /^(0|[1-9][0-9]*)$/.test(text)) return `must be less than ${kind.below}, got ${shown}`;
  return `must be a decimal integer without sign or leading zeros, got ${shown}`;
}

/** Validates the text form of every parameter; returns it typed. */
function checkQuery(query: Record<string, string>): ChannelQuery {
  const { role } = query;
  if (role === undefined) throw paramError('MISSING_PARAM', 'role', 'required (initiator or responder)');
  if (!(ROLES as readonly string[]).includes(role)) {
    throw paramError('INVALID_PARAM', 'role', `must be initiator or responder, got ${JSON.stringify(role)}`);
  }
  const validator = VALIDATORS[role as Role];
  if (!validator(query)) {
    const issue = validator.errors?.[0];
    if (issue === undefined) throw paramError('INVALID_PARAM', 'role', 'invalid');
    const { path, message } = explainIssue(issue, query);
    const param = path.slice(1);
    if (issue.keyword === 'required') throw paramError('MISSING_PARAM', param, `required for the ${role}`);
    if (issue.keyword === 'additionalProperties') throw paramError('UNKNOWN_PARAM', param, 'no such parameter');
    const kind = KINDS[param as ParamName] as ParamKind | undefined;
    if (issue.keyword === 'pattern' && (kind?.type === 'bigint' || kind?.type === 'number')) {
      throw paramError('INVALID_PARAM', param, numberProblem(kind, query[param] as string));
    }
    if (issue.keyword === 'pattern' && kind?.type === 'text') {
      // The host's pattern spells out every space character: too long to quote.
      throw paramError('INVALID_PARAM', param, `must be a host name or address without spaces, got ${JSON.stringify(query[param])}`);
    }
    throw paramError('INVALID_PARAM', param, message);
  }
  for (const [name, text] of Object.entries(query)) {
    // The schema's pattern checks only the prefix and the alphabet; the node also checks the
    // checksum and the key's length, and closes the socket (1000) on a bad one.
    if (KINDS[name as ParamName].type === 'account' && !isEncoded(text, 'ak')) {
      throw paramError('INVALID_PARAM', name, `must be an ak$ base58check account key (checksum and key length checked), got ${JSON.stringify(text.length <= 32 ? text : `${text.slice(0, 32)}…`)}`);
    }
  }
  return query as unknown as ChannelQuery;
}

/** The parameters of a query string, a URL (string or `URL`) or a `URLSearchParams`. */
export function fromQuery(url: string | URL | URLSearchParams, options: FromQueryOptions = {}): ChannelParams {
  let search: URLSearchParams;
  if (url instanceof URLSearchParams) search = url;
  else if (url instanceof URL) search = url.searchParams;
  else if (typeof url === 'string') {
    const withoutFragment = url.split('#', 1)[0] ?? '';
    const mark = withoutFragment.indexOf('?');
    search = new URLSearchParams(mark < 0 ? withoutFragment : withoutFragment.slice(mark + 1));
  } else {
    throw new TypeError(`url must be a string, a URL or URLSearchParams, got ${describe(url)}`);
  }

  const query: Record<string, string> = {};
  for (const [name, value] of search) {
    if (!KNOWN.has(name)) {
      if (options.ignoreUnknown === true) continue;
      throw paramError('UNKNOWN_PARAM', name, 'no such parameter');
    }
    if (Object.prototype.hasOwnProperty.call(query, name)) throw paramError('DUPLICATE_PARAM', name, 'given more than once');
    query[name] = value;
  }
  checkQuery(query);

  const params: Record<string, unknown> = {};
  for (const name of PARAM_NAMES) {
    const text = query[name];
    if (text === undefined) continue;
    const kind = KINDS[name];
    params[name] =
      kind.type === 'bigint' ? BigInt(text) : kind.type === 'number' ? Number(text) : kind.type === 'boolean' ? text === 'true' : text;
  }
  return params as unknown as ChannelParams;
}

/** `encodeURIComponent`, keeping `$` as the seed writes it (`ak$…`): a legal query character. */
function encodeValue(text: string): string {
  return encodeURIComponent(text).replace(/%24/g, '$');
}

/**
 * The query string (without `?`) of `params`, in the order of {@link PARAM_NAMES}: the seed's
 * example URLs come back character for character.
 */
export function toQuery(params: ChannelParams): string {
  if (params === null || typeof params !== 'object') throw new TypeError(`params must be an object, got ${describe(params)}`);
  const query: Record<string, string> = {};
  const given = params as unknown as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!KNOWN.has(name) && given[name] !== undefined) throw paramError('UNKNOWN_PARAM', name, 'no such parameter');
  }
  for (const name of PARAM_NAMES) {
    const value = given[name];
    if (value === undefined) continue;
    const kind = KINDS[name];
    const expected = kind.type === 'text' || kind.type === 'account' ? 'string' : kind.type;
    if (typeof value !== expected) throw new TypeError(`params.${name} must be a ${expected}, got ${describe(value)}`);
    if (kind.type === 'number' && !Number.isInteger(value)) {
      throw paramError('INVALID_PARAM', name, `must be an integer, got ${String(value)}`);
    }
    query[name] = String(value);
  }
  checkQuery(query);
  return Object.entries(query)
    .map(([name, text]) => `${name}=${encodeValue(text)}`)
    .join('&');
}

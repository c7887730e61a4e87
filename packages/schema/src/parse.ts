/**
 * `parseNodeMessage` / `parseClientMessage`: text of one WebSocket frame in, a typed message
 * out, or a {@link SchemaError} naming the first problem.
 *
 * The frame is read with the native `JSON.parse`, sent to one validator by its `action` (and
 * `tag`), then checked against the dialect when one is asked for. Only the frames that may carry
 * integers (`update/new`, `conflict`, an `error` echoing a request, a `shutdown`'s ignored
 * payload) look at their numbers, and those with a long or non-integer literal are read a second
 * time, by the exact parser, and validated as it read them: their amounts and rounds arrive as
 * exact bigints, of any size. The hot path (sign requests, info, state) never pays for it.
 */
import { SchemaError } from './errors.js';
import {
  type GeneratedValidator,
  validateConflict,
  validateCoSignedState,
  validateFsmError,
  validateInfoMessage,
  validateMessageReport,
  validateMessageRequest,
  validateOnChainTx,
  validateRequestError,
  validateShutdownRequest,
  validateSignReply,
  validateSignRequest,
  validateUpdateNewRequest,
} from './generated/validators.js';
import { parseJsonExact, serializeJson } from './json.js';
import { MAX_MESSAGE_INFO_BYTES } from './messages/generic-message.js';
import { SEED_INFO_EVENTS, V014_INFO_EVENTS } from './messages/info.js';
import { DIALECTS, type Dialect } from './messages/primitives.js';
import { SEED_SIGN_TAGS, V014_SIGN_TAGS } from './messages/sign.js';
import type { ClientMessage, ClientMessageOf, NodeMessage, NodeMessageOf } from './messages/unions.js';
import { check, pointerSegment, utf8Length } from './validate.js';

export interface ParseOptions {
  /** Accept only the frames of this dialect; by default either dialect is accepted. */
  readonly dialect?: Dialect | undefined;
}

/** How one kind of frame is checked. */
interface FrameKind {
  /** Names the frame in error messages. */
  readonly what: string;
  readonly validator: GeneratedValidator;
  /** Where the schema puts integers: these must be integer literals, read exactly. */
  readonly integers: readonly (readonly string[])[];
  /** Whether the frame may carry numbers anywhere (an echoed request can). */
  readonly exact: boolean;
  /** The name that differs between dialects, and where it sits. */
  readonly dialectName?: { readonly path: readonly string[]; readonly allowed: Readonly<Record<Dialect, ReadonlySet<string>>> };
  /** Strings with a limit in UTF-8 bytes, which JSON Schema cannot state (`maxLength` counts characters). */
  readonly byteLimits?: readonly { readonly path: readonly string[]; readonly max: number }[];
}

const SIGN_TAGS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  seed: new Set(SEED_SIGN_TAGS),
  'v0.14': new Set(V014_SIGN_TAGS),
};
const INFO_EVENTS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  seed: new Set(SEED_INFO_EVENTS),
  'v0.14': new Set(V014_INFO_EVENTS),
};
const ANY_SIGN_TAG: ReadonlySet<string> = new Set([...SEED_SIGN_TAGS, ...V014_SIGN_TAGS]);

/** Where each kind of frame carries integers (src/schemas.test.ts checks this against the schemas). */
export const INTEGER_FIELDS = {
  UpdateNewRequest: [['payload', 'amount']],
  Conflict: [['payload', 'round']],
} as const;

const plain = (what: string, validator: GeneratedValidator): FrameKind => ({ what, validator, integers: [], exact: false });

const NODE_KINDS = {
  info: {
    ...plain('info', validateInfoMessage),
    dialectName: { path: ['payload', 'event'], allowed: INFO_EVENTS },
  },
  sign: {
    ...plain('sign request', validateSignRequest),
    dialectName: { path: ['tag'], allowed: SIGN_TAGS },
  },
  onChainTx: plain('on_chain_tx', validateOnChainTx),
  coSignedState: plain('update {state}', validateCoSignedState),
  conflict: { what: 'conflict', validator: validateConflict, integers: INTEGER_FIELDS.Conflict, exact: true },
  messageReport: {
    ...plain('message report', validateMessageReport),
    byteLimits: [{ path: ['payload', 'message', 'info'], max: MAX_MESSAGE_INFO_BYTES }],
  },
  requestError: { what: 'error {reason, request}', validator: validateRequestError, integers: [], exact: true },
  fsmError: plain('error {message}', validateFsmError),
} satisfies Record<string, FrameKind>;

const CLIENT_KINDS = {
  signReply: {
    ...plain('sign reply', validateSignReply),
    dialectName: { path: ['action'], allowed: SIGN_TAGS },
  },
  updateNew: {
    what: 'update/new',
    validator: validateUpdateNewRequest,
    integers: INTEGER_FIELDS.UpdateNewRequest,
    exact: true,
  },
  messageRequest: {
    ...plain('message', validateMessageRequest),
    byteLimits: [{ path: ['payload', 'info'], max: MAX_MESSAGE_INFO_BYTES }],
  },
  // The payload is ignored but may hold anything (BEHAVIOUR.md §2.6): read its numbers
  // exactly, as an echo's, so that a parsed shutdown always serializes back.
  shutdown: { what: 'shutdown', validator: validateShutdownRequest, integers: [], exact: true },
} satisfies Record<string, FrameKind>;

type Frame = Record<string, unknown>;

function isObject(value: unknown): value is Frame {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readAction(frame: Frame): string {
  const { action } = frame;
  if (typeof action !== 'string') {
    throw new SchemaError(
      'MISSING_ACTION',
      action === undefined ? 'frame has no "action"' : `"action" must be a string, got ${typeof action}`,
      { path: '/action' },
    );
  }
  return action;
}

/** Which node → client frame this is, by `action` (and `tag`, payload keys). */
function nodeKind(frame: Frame): FrameKind {
  const action = readAction(frame);
  switch (action) {
    case 'info':
      return NODE_KINDS.info;
    case 'sign': {
      const { tag } = frame;
      if (typeof tag === 'string' && !ANY_SIGN_TAG.has(tag)) {
        throw new SchemaError('UNKNOWN_TAG', `sign request: unknown tag ${JSON.stringify(tag)}`, { path: '/tag', action, tag });
      }
      return NODE_KINDS.sign;
    }
    case 'on_chain_tx':
      return NODE_KINDS.onChainTx;
    case 'update':
      return NODE_KINDS.coSignedState;
    case 'conflict':
      return NODE_KINDS.conflict;
    case 'message':
      return NODE_KINDS.messageReport;
    case 'error': {
      // Two shapes share the action; `message` without `reason` is the abort report.
      const { payload } = frame;
      return isObject(payload) && 'message' in payload && !('reason' in payload) ? NODE_KINDS.fsmError : NODE_KINDS.requestError;
    }
    default:
      throw new SchemaError('UNKNOWN_ACTION', `no node → client frame has action ${JSON.stringify(action)}`, {
        path: '/action',
        action,
      });
  }
}

/** Which client → node frame this is. `update` with a tag proposes; without one it answers a sign request. */
function clientKind(frame: Frame): FrameKind {
  const action = readAction(frame);
  switch (action) {
    case 'update': {
      const { tag } = frame;
      if (tag === undefined) return CLIENT_KINDS.signReply;
      if (typeof tag === 'string' && tag !== 'new') {
        throw new SchemaError('UNKNOWN_TAG', `update: unknown tag ${JSON.stringify(tag)} (only "new")`, { path: '/tag', action, tag });
      }
      return CLIENT_KINDS.updateNew;
    }
    case 'message':
      return CLIENT_KINDS.messageRequest;
    case 'shutdown':
      return CLIENT_KINDS.shutdown;
    default:
      if (ANY_SIGN_TAG.has(action)) return CLIENT_KINDS.signReply;
      throw new SchemaError('UNKNOWN_ACTION', `no client → node frame has action ${JSON.stringify(action)}`, {
        path: '/action',
        action,
      });
  }
}

function at(frame: Frame, path: readonly string[]): unknown {
  let value: unknown = frame;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return value;
}

function checkDialect(kind: FrameKind, frame: Frame, dialect: Dialect | undefined): void {
  if (dialect === undefined || kind.dialectName === undefined) return;
  const name = String(at(frame, kind.dialectName.path));
  if (kind.dialectName.allowed[dialect].has(name)) return;
  const other = DIALECTS.find((candidate) => kind.dialectName?.allowed[candidate].has(name)) ?? 'another';
  throw new SchemaError('WRONG_DIALECT', `${kind.what}: ${JSON.stringify(name)} belongs to the ${other} dialect, not ${dialect}`, {
    path: `/${kind.dialectName.path.join('/')}`,
    action: String(frame.action),
    tag: name,
    dialect,
  });
}

/** Checks the byte limits of a frame that passed its schema (so each limited value is a string). */
function checkByteLimits(kind: FrameKind, frame: Frame, context: { readonly action: string }): void {
  if (kind.byteLimits === undefined) return;
  for (const { path, max } of kind.byteLimits) {
    const bytes = utf8Length(String(at(frame, path)));
    if (bytes > max) {
      const pointer = `/${path.join('/')}`;
      throw new SchemaError('SCHEMA', `${kind.what}: ${pointer} must be at most ${max} bytes of UTF-8, got ${bytes}`, {
        ...context,
        path: pointer,
        keyword: 'maxLength',
      });
    }
  }
}

/** Validates an already-built frame (whose integers are bigints): the builders' last step. */
export function checkFrame(frame: Frame, direction: 'node' | 'client', dialect?: Dialect): void {
  const kind = direction === 'node' ? nodeKind(frame) : clientKind(frame);
  // A frame that may hold numbers may hold anything there (an echo): first make sure JSON can
  // carry it, so that serializeMessage writes every built frame, and so that a cycle is a
  // TypeError naming its path rather than a copy below that never ends.
  if (kind.exact) serializeJson(frame);
  // The schemas say "integer" in JSON terms: a bigint stands for one, whatever its size.
  check(kind.validator, kind.exact ? withBigintsAsNumbers(frame) : frame, kind.what, { action: String(frame.action) });
  for (const path of kind.integers) {
    if (typeof at(frame, path) !== 'bigint') {
      throw new TypeError(`${kind.what}: ${path.join('.')} must be a bigint, got ${typeof at(frame, path)}`);
    }
  }
  checkDialect(kind, frame, dialect);
  checkByteLimits(kind, frame, { action: String(frame.action) });
}

/**
 * A copy of `root` for the validators, with every bigint as a number that validates as it
 * does: the same sign and an integer, clamped to ±`Number.MAX_VALUE` (an integral double)
 * when it is larger. A schema's `"type": "integer"` and `"minimum"` then judge a 400-digit
 * literal by what it is, not by the `Infinity` that `Number()` or `JSON.parse` make of it.
 * Iterative: an echoed request may nest as deep as the exact parser reads.
 */
function withBigintsAsNumbers(root: unknown): unknown {
  const asNumber = (value: unknown): unknown => {
    if (typeof value !== 'bigint') return value;
    const number = Number(value);
    return Number.isFinite(number) ? number : value < 0n ? -Number.MAX_VALUE : Number.MAX_VALUE;
  };
  if (root === null || typeof root !== 'object') return asNumber(root);
  const copyOf = (value: object): object => (Array.isArray(value) ? new Array<unknown>(value.length) : {});
  const copy = copyOf(root);
  const pending: [source: object, target: object][] = [[root, copy]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [source, target] = pair as [Record<string, unknown>, Record<string, unknown>];
    for (const key of Object.keys(source)) {
      let member = source[key];
      if (member !== null && typeof member === 'object') {
        const inner = copyOf(member);
        pending.push([member, inner]);
        member = inner;
      } else {
        member = asNumber(member);
      }
      // An own `__proto__` key must stay a key, not reach the setter.
      if (key === '__proto__') Object.defineProperty(target, key, { value: member, enumerable: true, writable: true, configurable: true });
      else target[key] = member;
    }
  }
  return copy;
}

/**
 * A pointer to a number in `root` that is not finite, or undefined. Only a literal
 * past ±1.8e308 with a fraction or an exponent reads as one (an integer literal is a bigint):
 * no JSON can carry it back, and the node cannot read it either.
 */
function nonFinitePath(root: unknown): string | undefined {
  const pending: [value: unknown, pointer: string][] = [[root, '']];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const [value, pointer] = entry;
    if (typeof value === 'number' && !Number.isFinite(value)) return pointer;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) pending.push([(value as Record<string, unknown>)[key], `${pointer}/${pointerSegment(key)}`]);
  }
  return undefined;
}

/**
 * Every number of a JSON text follows `:`, `,` or `[`; this finds them all (and, harmlessly,
 * number-like text inside strings).
 */
const NUMBER_TOKEN = /[:,[]\s*(-?[0-9][0-9.eE+-]*)/g;

/** A number with a fraction or an exponent somewhere in a text (or number-like text in a string). */
const FRACTION_OR_EXPONENT = /[:,[]\s*-?[0-9]+[.eE]/;

/**
 * Whether every number in `text` is an integer literal of at most 15 digits, which `JSON.parse`
 * reads exactly (all are below 2^53). Then the exact parser is not needed: the common case of
 * an update/new or a conflict costs one regex pass instead of a second parse.
 */
function hasOnlySmallIntegers(text: string): boolean {
  NUMBER_TOKEN.lastIndex = 0;
  for (let match = NUMBER_TOKEN.exec(text); match !== null; match = NUMBER_TOKEN.exec(text)) {
    const token = match[1] as string;
    if (token.length > (token.startsWith('-') ? 16 : 15) || /[.eE]/.test(token)) return false;
  }
  return true;
}

/** Turns every number of a tree `JSON.parse` made from small integer literals into a bigint, in place. */
function withIntegersAsBigints(root: Frame): Frame {
  const pending: unknown[] = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node === null || typeof node !== 'object') continue;
    const members = node as Record<string, unknown>;
    for (const key of Object.keys(members)) {
      const value = members[key];
      if (typeof value === 'number') {
        // An own `__proto__` key (JSON.parse makes one) must stay a key, not reach the setter.
        if (key === '__proto__') Object.defineProperty(members, key, { value: BigInt(value), enumerable: true, writable: true, configurable: true });
        else members[key] = BigInt(value);
      } else if (value !== null && typeof value === 'object') pending.push(value);
    }
  }
  return root;
}

function parseFrame(text: string, direction: 'node' | 'client', options: ParseOptions | undefined): unknown {
  if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${text === null ? 'null' : typeof text}`);
  const dialect = options?.dialect;
  if (dialect !== undefined && !DIALECTS.includes(dialect)) {
    throw new RangeError(`dialect must be one of ${DIALECTS.join(', ')}, got ${JSON.stringify(dialect)}`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (error) {
    // V8's messages name a position only sometimes; the exact parser says where it stopped.
    parseJsonExact(text);
    throw new SchemaError('INVALID_JSON', `not JSON: ${(error as Error).message}`, { path: '' });
  }
  if (!isObject(frame)) {
    throw new SchemaError('NOT_AN_OBJECT', `a frame is a JSON object, got ${frame === null ? 'null' : Array.isArray(frame) ? 'an array' : typeof frame}`, {
      path: '',
    });
  }
  const kind = direction === 'node' ? nodeKind(frame) : clientKind(frame);
  const context = { action: String(frame.action) };
  let exact: Frame;
  if (!kind.exact) {
    // The hot path (sign requests, info, state): no number to read exactly.
    check(kind.validator, frame, kind.what, context);
    exact = frame;
  } else if (hasOnlySmallIntegers(text)) {
    // JSON.parse read every number exactly: validate its tree, then make the integers bigints.
    check(kind.validator, frame, kind.what, context);
    exact = withIntegersAsBigints(frame);
  } else {
    // JSON.parse rounded a long literal, to Infinity past ~1.8e308 (which "type": "integer"
    // refuses): validate what the exact parser read, so no integer is judged by its float.
    exact = parseJsonExact(text) as Frame;
    check(kind.validator, withBigintsAsNumbers(exact), kind.what, context);
  }
  checkDialect(kind, frame, dialect);
  checkByteLimits(kind, exact, context);
  if (!kind.exact) return exact;

  for (const path of kind.integers) {
    // JSON.parse reads 1.0 and 1e3 as integers; the node reads them as floats and answers
    // `function_clause`, so an integer field must be an integer literal.
    const value = at(exact, path);
    if (typeof value !== 'bigint') {
      const pointer = `/${path.join('/')}`;
      throw new SchemaError('SCHEMA', `${kind.what}: ${pointer} must be an integer literal (no fraction or exponent), got ${String(value)}`, {
        path: pointer,
        keyword: 'type',
        action: String(frame.action),
      });
    }
  }
  // An echo or a shutdown payload is open to any number: one that overflows a double would
  // parse here but could never be written back (serializeJson refuses it, as JSON has no Infinity).
  // Only the exact parser's tree can hold one (the fast path has small integer literals only),
  // and only from a literal with a fraction or an exponent (an integer literal is a bigint).
  const overflow = exact === frame || !FRACTION_OR_EXPONENT.test(text) ? undefined : nonFinitePath(exact);
  if (overflow !== undefined) {
    throw new SchemaError('SCHEMA', `${kind.what}: ${overflow} must be a finite number, got a literal past ±1.8e308`, {
      path: overflow,
      keyword: 'type',
      action: String(frame.action),
    });
  }
  return exact;
}

/**
 * Reads one node → client frame. Integers (`conflict.round`, numbers in an echoed request)
 * come back as exact bigints.
 * @throws SchemaError with code `INVALID_JSON`, `NOT_AN_OBJECT`, `MISSING_ACTION`,
 *   `UNKNOWN_ACTION`, `UNKNOWN_TAG`, `SCHEMA` or `WRONG_DIALECT`, and `context.path`.
 */
export function parseNodeMessage(text: string): NodeMessage;
export function parseNodeMessage<D extends Dialect>(text: string, options: { readonly dialect: D }): NodeMessageOf<D>;
export function parseNodeMessage(text: string, options?: ParseOptions): NodeMessage;
export function parseNodeMessage(text: string, options?: ParseOptions): NodeMessage {
  return parseFrame(text, 'node', options) as NodeMessage;
}

/**
 * Reads one client → node frame. `update/new`'s amount comes back as an exact bigint.
 * @throws SchemaError as {@link parseNodeMessage}.
 */
export function parseClientMessage(text: string): ClientMessage;
export function parseClientMessage<D extends Dialect>(text: string, options: { readonly dialect: D }): ClientMessageOf<D>;
export function parseClientMessage(text: string, options?: ParseOptions): ClientMessage;
export function parseClientMessage(text: string, options?: ParseOptions): ClientMessage {
  return parseFrame(text, 'client', options) as ClientMessage;
}

/**
 * The shared table of hostile arguments (DESIGN.md: "a shared table of hostile inputs run
 * against every decoder"). test/hostile.test.ts runs every row in every argument position of
 * every public function of @aesc/encoding, @aesc/tx and @aesc/signer; other packages' tests may
 * use it for their own entry points.
 *
 * Each row says what, if anything, the value honestly stands for (`as`): a Buffer or a
 * Uint8Array of another realm *is* a byte string, a string row *is* a string. A function may
 * return for a hostile row only what it returns for that honest value; for a row that stands for
 * nothing it must throw (or, for a predicate, say false).
 */
import { runInNewContext } from 'node:vm';

/** What a getter, trap or coercion hook of a hostile row throws. Allowed to propagate as is. */
export class HostileHookError extends Error {
  override readonly name = 'HostileHookError';
}

const hook = (): never => {
  throw new HostileHookError('hostile hook ran');
};

export interface HostileRow {
  readonly name: string;
  /** A fresh value (rows with state, getters or freezing are rebuilt for every call). */
  readonly make: () => unknown;
  /** What the value honestly is, per kind of argument; absent when it is nothing of that kind. */
  readonly as?: {
    readonly bytes?: () => Uint8Array;
    readonly string?: string;
    readonly bigint?: bigint;
    /** A plain JSON value (what JSON.parse could give), usable as itself in a JSON document. */
    readonly json?: boolean;
    /** A genuine list (where a list of items is expected: updates, signatures). */
    readonly list?: () => unknown[];
  };
  /** Touching the value may throw {@link HostileHookError}. */
  readonly hooks?: boolean;
  /** A 10 MB string: every decoder must refuse it with its length cap. */
  readonly huge?: boolean;
}

const TEN_MB = 10 * 1024 * 1024;
/** 10 MB strings (one byte per character in V8: 30 MB in all, made once). */
export const HUGE_STRINGS = {
  plain: 'a'.repeat(TEN_MB),
  tx: `tx$${'2'.repeat(TEN_MB)}`,
  dollar: `${'$'.repeat(TEN_MB / 2)}ak${'$'.repeat(TEN_MB / 2)}`,
} as const;

const VALID_AK = 'ak$11111111111111111111111111111111273Yts';
const VALID_TH = 'th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP';

function bytesRow(name: string, make: () => unknown, honest: () => Uint8Array, extra: Partial<HostileRow> = {}): HostileRow {
  return { name, make, as: { bytes: honest }, ...extra };
}

function stringRow(name: string, value: string): HostileRow {
  return { name, make: () => value, as: { string: value, json: true } };
}

function spoofConstructor<T extends object>(value: T, bytesPerElement?: number): T {
  Object.defineProperty(value, 'constructor', { value: { name: 'Uint8Array' } });
  if (bytesPerElement !== undefined) Object.defineProperty(value, 'BYTES_PER_ELEMENT', { value: bytesPerElement });
  return value;
}

/** A subclass of Int8Array whose name is "Uint8Array": passes a `constructor.name` check. */
const FakeUint8Array = (() => {
  // biome-ignore lint: the name is the point
  class Uint8Array extends Int8Array {}
  return Uint8Array;
})();

/** A real Uint8Array subclass whose derived arrays (subarray, slice, map) are Uint16Arrays. */
class SpeciesUint8Array extends Uint8Array {
  static get [Symbol.species]() {
    return Uint16Array;
  }
}

function nestedArray(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

export const HOSTILE_ROWS: readonly HostileRow[] = [
  // ---- nothing, and primitives of the wrong type
  { name: 'null', make: () => null, as: { json: true } },
  { name: 'undefined', make: () => undefined },
  { name: 'true', make: () => true, as: { json: true } },
  { name: 'number 0', make: () => 0, as: { json: true } },
  { name: 'number 32', make: () => 32, as: { json: true } },
  { name: 'number -1', make: () => -1, as: { json: true } },
  { name: 'number 1.5', make: () => 1.5, as: { json: true } },
  { name: 'NaN', make: () => Number.NaN },
  { name: 'Infinity', make: () => Number.POSITIVE_INFINITY },
  { name: '-0', make: () => -0 },
  { name: '2^53 + 2', make: () => 2 ** 53 + 2, as: { json: true } },
  { name: 'bigint 0n', make: () => 0n, as: { bigint: 0n } },
  { name: 'bigint 32n', make: () => 32n, as: { bigint: 32n } },
  { name: 'bigint -1n', make: () => -1n, as: { bigint: -1n } },
  { name: 'bigint 2^256', make: () => 1n << 256n, as: { bigint: 1n << 256n } },
  { name: 'symbol', make: () => Symbol('hostile') },
  { name: 'function', make: () => () => new Uint8Array(32) },

  // ---- strings where bytes are expected, and odd strings
  stringRow('empty string', ''),
  stringRow('valid ak$ string', VALID_AK),
  stringRow('valid th$ string', VALID_TH),
  stringRow('64 hex digits', '00'.repeat(32)),
  stringRow('0x hex', `0x${'ab'.repeat(32)}`),
  stringRow('32 letters', 'a'.repeat(32)),
  stringRow('"$"', '$'),
  stringRow('"$$"', '$$'),
  stringRow('ak$$', 'ak$$'),
  stringRow('$ before the prefix', `$${VALID_AK}`),
  stringRow('second $ in the body', `${VALID_AK.slice(0, 10)}$${VALID_AK.slice(11)}`),
  stringRow('$ at the end', `${VALID_AK}$`),
  stringRow('tx$tx$', 'tx$tx$3QJmnh'),
  stringRow('NUL in the prefix', `a\u0000${VALID_AK.slice(2)}`),
  stringRow('NUL at the start', `\u0000${VALID_AK}`),
  stringRow('trailing newline', `${VALID_AK}\n`),
  stringRow('leading space', ` ${VALID_AK}`),
  stringRow('Cyrillic look-alike prefix', `ак${VALID_AK.slice(2)}`),
  stringRow('fullwidth digits', `ak$${'１'.repeat(32)}`),
  stringRow('emoji body', 'ak$😀😀😀😀'),
  stringRow('lone surrogate', 'tx$\ud800'),
  stringRow('zero-width space', `ak$\u200b${VALID_AK.slice(3)}`),
  stringRow('right-to-left override', `\u202e${VALID_AK}`),
  stringRow('control characters', '\u0001\u0002\u0003\u001b[31m'),
  { name: '10 MB string', make: () => HUGE_STRINGS.plain, as: { string: HUGE_STRINGS.plain, json: true }, huge: true },
  { name: '10 MB tx$ string of valid characters', make: () => HUGE_STRINGS.tx, as: { string: HUGE_STRINGS.tx, json: true }, huge: true },
  { name: '10 MB string of $', make: () => HUGE_STRINGS.dollar, as: { string: HUGE_STRINGS.dollar, json: true }, huge: true },

  // ---- byte strings of other kinds
  bytesRow('Buffer (a Uint8Array subclass)', () => Buffer.alloc(32, 7), () => new Uint8Array(32).fill(7)),
  bytesRow('Uint8Array of another realm', () => runInNewContext('new Uint8Array(32).fill(9)'), () => new Uint8Array(32).fill(9)),
  bytesRow('subarray with an offset', () => new Uint8Array(64).map((_, index) => index).subarray(16, 48), () => new Uint8Array(32).map((_, index) => index + 16)),
  bytesRow('empty Uint8Array, frozen', () => Object.freeze(new Uint8Array(0)), () => new Uint8Array(0)),
  // Stands for nothing: a Proxy has no [[TypedArrayName]] slot (Uint8Array methods refuse it), and
  // no check can tell a pass-through Proxy from one whose traps fake every byte (the row below).
  { name: 'Proxy around a Uint8Array', make: () => new Proxy(new Uint8Array(32).fill(3), {}) },
  bytesRow('Uint8Array whose species is Uint16Array', () => new SpeciesUint8Array(32).fill(5), () => new Uint8Array(32).fill(5)),
  { name: 'Uint16Array(32)', make: () => new Uint16Array(32).fill(300) },
  { name: 'Int8Array(32)', make: () => new Int8Array(32).fill(-1) },
  { name: 'Uint8ClampedArray(32)', make: () => new Uint8ClampedArray(32).fill(1) },
  { name: 'Float64Array(4)', make: () => new Float64Array(4) },
  { name: 'BigUint64Array(4)', make: () => new BigUint64Array(4) },
  { name: 'ArrayBuffer(32)', make: () => new ArrayBuffer(32) },
  { name: 'DataView(32)', make: () => new DataView(new ArrayBuffer(32)) },
  { name: 'array of 32 numbers', make: () => Array.from({ length: 32 }, () => 1), as: { json: true } },
  { name: 'array 04 + 64 numbers (a legacy key, as numbers)', make: () => [4, ...Array.from({ length: 64 }, () => 1)], as: { json: true } },
  { name: 'array of numbers > 255', make: () => [256, 1000, -1, 1.5], as: { json: true } },
  { name: 'sparse array of length 32', make: () => new Array(32) },
  { name: 'array of 32 strings', make: () => Array.from({ length: 32 }, () => 'ff'), as: { json: true } },
  { name: 'empty array', make: () => [], as: { json: true, list: () => [] } },
  { name: 'array of two Uint8Arrays', make: () => [new Uint8Array(32), new Uint8Array(32)], as: { list: () => [new Uint8Array(32), new Uint8Array(32)] } },

  // ---- spoofed objects
  { name: '{length: 32}', make: () => ({ length: 32 }), as: { json: true } },
  { name: '{length: 65, 0: 4}', make: () => ({ length: 65, 0: 4 }), as: { json: true } },
  { name: 'object with constructor.name Uint8Array', make: () => ({ constructor: { name: 'Uint8Array' }, length: 32, BYTES_PER_ELEMENT: 1, buffer: new ArrayBuffer(32), byteOffset: 0, byteLength: 32 }) },
  { name: 'Object.create(Uint8Array.prototype)', make: () => Object.create(Uint8Array.prototype) },
  { name: 'Uint16Array claiming to be a Uint8Array', make: () => spoofConstructor(new Uint16Array(32).fill(300)) },
  { name: 'Uint16Array claiming Uint8Array and BYTES_PER_ELEMENT 1', make: () => spoofConstructor(new Uint16Array(32).fill(300), 1) },
  { name: 'Int8Array subclass named Uint8Array', make: () => new FakeUint8Array(32).fill(-1) },
  { name: 'DataView claiming Uint8Array and BYTES_PER_ELEMENT 1', make: () => spoofConstructor(new DataView(new ArrayBuffer(32)), 1) },
  { name: 'Proxy with Uint8Array.prototype as prototype', make: () => new Proxy({ length: 32 }, { getPrototypeOf: () => Uint8Array.prototype }) },
  { name: 'Proxy of {} with throwing traps', make: () => new Proxy({}, { get: hook, has: hook, ownKeys: hook, getPrototypeOf: hook, getOwnPropertyDescriptor: hook }), hooks: true },

  // ---- getters and coercion hooks that throw, frozen and cyclic objects
  { name: 'object whose getters throw', make: () => Object.defineProperties({}, Object.fromEntries(['length', 'type', 'fields', 'signatures', 'tx', 'initiator', 'nonce', 'responder', 'from', 'to', 'amount'].map((key) => [key, { get: hook, enumerable: true }]))), hooks: true },
  { name: 'Uint8Array whose length getter throws', make: () => Object.defineProperty(new Uint8Array(32), 'length', { get: hook }), hooks: true, as: { bytes: () => new Uint8Array(32) } },
  { name: 'object whose toString/valueOf/toPrimitive throw', make: () => ({ toString: hook, valueOf: hook, [Symbol.toPrimitive]: hook }), hooks: true },
  { name: 'frozen empty object', make: () => Object.freeze({}), as: { json: true } },
  { name: 'frozen array of 32 numbers', make: () => Object.freeze(Array.from({ length: 32 }, () => 0)), as: { json: true } },
  { name: 'object with a null prototype', make: () => Object.create(null) },
  { name: 'cyclic object', make: () => { const value: Record<string, unknown> = { type: 'spend_tx' }; value.self = value; value.fields = value; return value; } },
  { name: 'cyclic array', make: () => { const value: unknown[] = []; value.push(value); return value; } },
  { name: 'array nested 100 000 deep', make: () => nestedArray(100_000) },
  { name: 'Map', make: () => new Map([['type', 'spend_tx']]) },
  { name: 'Date', make: () => new Date(0) },
  { name: 'Promise of bytes', make: () => Promise.resolve(new Uint8Array(32)) },
];

/** The row a test asks for by name (so tests can pick single rows without indexes). */
export function hostileRow(name: string): HostileRow {
  const row = HOSTILE_ROWS.find((candidate) => candidate.name === name);
  if (row === undefined) throw new Error(`no hostile row named ${name}`);
  return row;
}

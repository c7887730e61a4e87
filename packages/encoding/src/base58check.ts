import { assertBytes, assertString, describe, plainBytes } from './assert.js';
import { base58Decode, base58Encode } from './base58.js';
import { EncodingError } from './errors.js';
import { CHECKSUM_SIZE, checksum } from './checksum.js';
import {
  assertPrefix,
  checkPayloadSize,
  type Encoded,
  isPrefix,
  MAX_VARIABLE_PAYLOAD,
  maxPayloadSize,
  PREFIXES,
  type Prefix,
  printable,
} from './prefixes.js';

/*
 * `prefix$base58(payload ‖ sha256(sha256(payload))[0..4])`, WIRE.md §1.
 *
 * The base58 step is our own (base58.ts, on native BigInt), not bs58check: on a 300-byte `tx$`
 * (the hot path of every sign request) bs58check decodes in ~97 µs, @scure/base in ~19 µs and
 * ours faster still (see the README). bs58check stays as the cross-check of the property tests.
 * Base58 is quadratic in the input length, so every length cap below is applied before any
 * conversion starts.
 */

/** log(256) / log(58): base58 characters per byte, rounded up by `maxBodyLength`. */
const CHARS_PER_BYTE = Math.log(256) / Math.log(58);

function maxBodyLength(payloadSize: number): number {
  return Math.ceil((payloadSize + CHECKSUM_SIZE) * CHARS_PER_BYTE);
}

/** The longest string any prefix can produce: `tx$` of the largest payload. */
export const MAX_ENCODED_LENGTH = 3 + maxBodyLength(MAX_VARIABLE_PAYLOAD);

/** Encodes `payload` as `prefix$…`, after checking that its size suits the prefix. */
export function encode<P extends Prefix>(prefix: P, payload: Uint8Array): Encoded<P> {
  assertPrefix(prefix, 'prefix');
  assertBytes(payload, 'payload');
  payload = plainBytes(payload);
  checkPayloadSize(prefix, payload);
  const withChecksum = new Uint8Array(payload.length + CHECKSUM_SIZE);
  withChecksum.set(payload);
  withChecksum.set(checksum(payload), payload.length);
  return `${prefix}$${base58Encode(withChecksum)}` as Encoded<P>;
}

export interface Parsed<P extends Prefix = Prefix> {
  readonly prefix: P;
  readonly bytes: Uint8Array;
}

/** Decodes any `prefix$…` string of a known prefix. */
export function parse(input: string): Parsed;
/** Decodes a `prefix$…` string and requires one of the given prefixes. */
export function parse<P extends Prefix>(input: string, expected: P | readonly P[]): Parsed<P>;
export function parse(input: string, expected?: Prefix | readonly Prefix[]): Parsed {
  if (expected !== undefined) checkExpected(expected, 'expected');
  assertString(input, 'input');
  if (input.length === 0) throw new EncodingError('EMPTY_INPUT', 'empty input', { length: 0 });
  if (input.length > MAX_ENCODED_LENGTH) {
    throw new EncodingError(
      'INPUT_TOO_LONG',
      `input of ${input.length} characters is longer than any prefix$base58check value (${MAX_ENCODED_LENGTH})`,
      { length: input.length },
    );
  }
  const separator = input.indexOf('$');
  if (separator < 0) {
    throw new EncodingError('MISSING_PREFIX', 'no "$": expected prefix$base58check, like ak$… or tx$…', {
      length: input.length,
    });
  }
  const prefix = input.slice(0, separator);
  if (!isPrefix(prefix)) {
    throw new EncodingError('UNKNOWN_PREFIX', `unknown prefix "${printable(prefix)}"`, { prefix: printable(prefix) });
  }
  if (expected !== undefined && !(typeof expected === 'string' ? expected === prefix : expected.includes(prefix))) {
    // `expected` is checked: known prefixes only, so this is short whatever its length
    const wanted = typeof expected === 'string' ? expected : PREFIXES.filter((known) => expected.includes(known)).join('|');
    throw new EncodingError('WRONG_PREFIX', `expected prefix ${wanted}$, got ${prefix}$`, {
      prefix,
      expected: wanted,
    });
  }
  const bodyStart = separator + 1;
  const bodyLength = input.length - bodyStart;
  if (bodyLength === 0) throw new EncodingError('EMPTY_INPUT', `nothing after "${prefix}$"`, { prefix, length: 0 });
  const maxLength = maxBodyLength(maxPayloadSize(prefix));
  if (bodyLength > maxLength) {
    throw new EncodingError(
      'INPUT_TOO_LONG',
      `${prefix}$ value of ${bodyLength} characters is longer than its largest payload allows (${maxLength})`,
      { prefix, length: bodyLength },
    );
  }
  const decoded = base58Decode(input, bodyStart);
  if (typeof decoded === 'number') {
    throw new EncodingError(
      'INVALID_CHARACTER',
      `character "${printable(input[decoded] ?? '')}" at position ${decoded} is not in the base58 alphabet`,
      { prefix, position: decoded },
    );
  }
  if (decoded.length < CHECKSUM_SIZE) {
    throw new EncodingError('BAD_CHECKSUM', `${prefix}$ value is too short to hold a checksum`, {
      prefix,
      size: decoded.length,
    });
  }
  const payload = decoded.subarray(0, decoded.length - CHECKSUM_SIZE);
  const expectedChecksum = checksum(payload);
  for (let index = 0; index < CHECKSUM_SIZE; index++) {
    if (decoded[payload.length + index] !== expectedChecksum[index]) {
      throw new EncodingError('BAD_CHECKSUM', `${prefix}$ value has a bad checksum (mistyped or truncated?)`, {
        prefix,
      });
    }
  }
  checkPayloadSize(prefix, payload);
  return { prefix, bytes: payload.slice() };
}

/**
 * Checks an `expected` argument: one prefix, or a non-empty array of prefixes (by index, so a
 * hole is refused like any other non-prefix).
 */
function checkExpected(expected: unknown, name: string): void {
  if (!Array.isArray(expected)) {
    if (typeof expected !== 'string') throw new TypeError(`${name} must be a prefix or an array of prefixes, got ${describe(expected)}`);
    assertPrefix(expected, name);
    return;
  }
  if (expected.length === 0) throw new RangeError(`${name} must name at least one prefix`);
  for (let index = 0; index < expected.length; index++) assertPrefix(expected[index], `${name}[${index}]`);
}

/** Decodes a `prefix$…` string that must carry `expected`, returning its payload. */
export function decode<P extends Prefix>(input: string, expected: P | readonly P[]): Uint8Array {
  if (expected === undefined) throw new TypeError('decode needs the expected prefix (or prefixes); parse reads any');
  return parse(input, expected).bytes;
}

/** Whether `value` is a well-formed `prefix$…` string (of `prefix`, when given): checksum, size and all. */
export function isEncoded<P extends Prefix = Prefix>(value: unknown, prefix?: P | readonly P[]): value is Encoded<P> {
  // a bad `prefix` is the caller's mistake, not a "no": it throws
  if (prefix !== undefined) checkExpected(prefix, 'prefix');
  if (typeof value !== 'string') return false;
  try {
    parse(value, prefix as P);
    return true;
  } catch (error) {
    if (error instanceof EncodingError) return false;
    throw error;
  }
}

/** Throws the {@link EncodingError} that explains why `value` is not a valid `prefix$…` string. */
export function assertEncoded<P extends Prefix = Prefix>(
  value: unknown,
  prefix?: P | readonly P[],
): asserts value is Encoded<P> {
  if (prefix !== undefined) checkExpected(prefix, 'prefix');
  assertString(value, 'value');
  parse(value, prefix as P);
}

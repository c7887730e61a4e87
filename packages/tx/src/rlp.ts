import { assertBytes, bytesToHex, describe, isBytes, plainBytes } from '@aesc/encoding';
import { TxError } from './errors.js';

/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/**
 * No transaction nests lists deeper than 3 (object → updates → update); a hostile input of
 * nested one-byte lists would otherwise recurse until the stack overflows. The encoder has the
 * same bound, so whatever it writes the decoder reads.
 */
const MAX_DEPTH = 8;

/** The `length` getter of `%TypedArray%.prototype`: the true length, whatever an own property says. */
const lengthOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')?.get as (
  this: Uint8Array,
) => number;

/**
 * Serializes nested byte strings and lists (standard RLP, WIRE.md §2.1) into one buffer: a
 * first pass checks every item (Uint8Array of any realm, or an array of items, at most
 * {@link MAX_DEPTH} lists deep) and sizes it, the second writes. The second pass only reads
 * what the first collected, so an item that changes between reads cannot make the sizes lie.
 */
export function encodeRlp(item: RlpItem): Uint8Array {
  const parts: (Uint8Array | number)[] = [];
  const output = new Uint8Array(collect(item, parts, 0));
  let offset = 0;
  for (const part of parts) {
    if (typeof part === 'number') {
      offset = writeHeader(output, offset, 0xc0, part);
      continue;
    }
    const length = lengthOf.call(part);
    if (length === 1 && (part[0] as number) < 0x80) {
      output[offset++] = part[0] as number;
      continue;
    }
    offset = writeHeader(output, offset, 0x80, length);
    output.set(part, offset);
    offset += length;
  }
  return output;
}

/**
 * Checks `item`, appends its byte strings and list payload sizes to `parts` in writing order,
 * and returns its encoded size.
 */
function collect(item: unknown, parts: (Uint8Array | number)[], depth: number): number {
  if (isBytes(item)) {
    parts.push(item);
    const length = lengthOf.call(item);
    return length === 1 && (item[0] as number) < 0x80 ? 1 : headerSize(length) + length;
  }
  if (!Array.isArray(item)) {
    throw new TypeError(`an RLP item is a Uint8Array or an array of items, got ${describe(item)} at depth ${depth}`);
  }
  if (depth >= MAX_DEPTH) throw new RangeError(`RLP lists nested deeper than ${MAX_DEPTH} (a cyclic array?)`);
  const slot = parts.length;
  parts.push(0);
  let payload = 0;
  // by index: a hole is undefined, refused above, never skipped
  for (let index = 0; index < item.length; index++) payload += collect(item[index], parts, depth + 1);
  parts[slot] = payload;
  return headerSize(payload) + payload;
}

function headerSize(length: number): number {
  if (length <= 55) return 1;
  let size = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) size++;
  return size;
}

/** Writes the header of a byte string (`base` 0x80) or list (0xc0) of `length` bytes; returns the offset after it. */
function writeHeader(output: Uint8Array, offset: number, base: number, length: number): number {
  if (length <= 55) {
    output[offset] = base + length;
    return offset + 1;
  }
  const size = headerSize(length) - 1;
  output[offset] = base + 55 + size;
  for (let index = size, rest = length; index >= 1; index--, rest = Math.floor(rest / 256)) output[offset + index] = rest % 256;
  return offset + 1 + size;
}

/**
 * Strict RLP decoding: exactly one item, in its one canonical form, filling the input.
 * Every length is checked against the bytes actually present before anything is read or
 * allocated; byte strings are returned as views into `input`.
 */
export function decodeRlp(input: Uint8Array): RlpItem {
  assertBytes(input, 'input');
  // a plain view, so that subarray gives Uint8Arrays whatever the input's class or realm
  return decodeRlpFrom(plainBytes(input), 0);
}

/**
 * The one item of a plain `input` from `start` to its end, the offsets of errors counted from
 * the start of `input`: the inner transaction of a signed_tx (the last bytes of its input) is
 * reported where it sits in the bytes the caller gave.
 */
export function decodeRlpFrom(input: Uint8Array, start: number): RlpItem {
  if (input.length === start) throw new TxError('EMPTY_INPUT', 'empty input: no RLP item', { offset: start });
  const cursor = { offset: start };
  const item = readItem(input, cursor, input.length, 0);
  if (cursor.offset !== input.length) {
    throw new TxError(
      'TRAILING_BYTES',
      `${input.length - cursor.offset} byte(s) after the end of the RLP item at offset ${cursor.offset}`,
      { offset: cursor.offset },
    );
  }
  return item;
}

function readItem(input: Uint8Array, cursor: { offset: number }, end: number, depth: number): RlpItem {
  const start = cursor.offset;
  const first = input[start] as number;
  if (first < 0x80) {
    cursor.offset = start + 1;
    return input.subarray(start, start + 1);
  }
  // a byte string (80..bf) or a list (c0..ff): short form up to 55 bytes, else long form
  const isList = first >= 0xc0;
  const short = first - (isList ? 0xc0 : 0x80);
  let length = short;
  let bodyStart = start + 1;
  if (short <= 55) checkFits(bodyStart, length, end, start);
  else [length, bodyStart] = readLongLength(input, start, short - 55, end);
  const bodyEnd = bodyStart + length;
  if (!isList) {
    if (short === 1 && (input[bodyStart] as number) < 0x80) {
      throw new TxError(
        'NON_CANONICAL_RLP',
        `byte 0x${bytesToHex(input.subarray(bodyStart, bodyEnd))} wrapped as a one-byte string at offset ${start}: it encodes as itself`,
        { offset: start },
      );
    }
    cursor.offset = bodyEnd;
    return input.subarray(bodyStart, bodyEnd);
  }
  if (depth >= MAX_DEPTH) {
    throw new TxError('NESTING_TOO_DEEP', `lists nested deeper than ${MAX_DEPTH} at offset ${start}`, { offset: start });
  }
  const items: RlpItem[] = [];
  cursor.offset = bodyStart;
  while (cursor.offset < bodyEnd) items.push(readItem(input, cursor, bodyEnd, depth + 1));
  return items;
}

/** Reads a long-form length (`b8..bf` / `f8..ff` headers) and checks it is canonical and present. */
function readLongLength(input: Uint8Array, start: number, lengthOfLength: number, end: number): [number, number] {
  const lengthStart = start + 1;
  if (lengthStart + lengthOfLength > end) {
    throw new TxError('TRUNCATED', `RLP length at offset ${start} runs past the end of its input`, { offset: start });
  }
  if (input[lengthStart] === 0) {
    throw new TxError('NON_CANONICAL_RLP', `RLP length with a leading zero byte at offset ${start}`, { offset: start });
  }
  let length = 0;
  const available = end - lengthStart - lengthOfLength;
  for (let index = 0; index < lengthOfLength; index++) {
    length = length * 256 + (input[lengthStart + index] as number);
    // Stop before the number grows past what is present (and past 2^53).
    if (length > available) {
      throw new TxError('TRUNCATED', `RLP item at offset ${start} claims more bytes than the ${available} present`, {
        offset: start,
      });
    }
  }
  if (length <= 55) {
    throw new TxError('NON_CANONICAL_RLP', `long-form RLP header for a length of ${length} at offset ${start}`, {
      offset: start,
    });
  }
  return [length, lengthStart + lengthOfLength];
}

function checkFits(bodyStart: number, length: number, end: number, start: number): void {
  if (bodyStart + length > end) {
    throw new TxError(
      'TRUNCATED',
      `RLP item at offset ${start} claims ${length} bytes but only ${Math.max(0, end - bodyStart)} are present`,
      { offset: start },
    );
  }
}

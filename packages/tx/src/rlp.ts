import { encode as rlpEncode } from 'rlp';
import { TxError } from './errors.js';

/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/** Serializes nested byte strings and lists (standard RLP, WIRE.md §2.1). */
export function encodeRlp(item: RlpItem): Uint8Array {
  return rlpEncode(item);
}

/**
 * No transaction nests lists deeper than 3 (object → updates → update); a hostile input of
 * nested one-byte lists would otherwise recurse until the stack overflows.
 */
const MAX_DEPTH = 8;

/**
 * Strict RLP decoding: exactly one item, in its one canonical form, filling the input.
 * Every length is checked against the bytes actually present before anything is read or
 * allocated; byte strings are returned as views into `input`.
 */
export function decodeRlp(input: Uint8Array): RlpItem {
  if (input.length === 0) throw new TxError('EMPTY_INPUT', 'empty input: no RLP item', { offset: 0 });
  const cursor = { offset: 0 };
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
  if (first < 0xc0) {
    let length: number;
    let bodyStart: number;
    if (first <= 0xb7) {
      length = first - 0x80;
      bodyStart = start + 1;
      checkFits(bodyStart, length, end, start);
      if (length === 1 && (input[bodyStart] as number) < 0x80) {
        throw new TxError(
          'NON_CANONICAL_RLP',
          `byte 0x${hex(input[bodyStart] as number)} wrapped as a one-byte string at offset ${start}: it encodes as itself`,
          { offset: start },
        );
      }
    } else {
      [length, bodyStart] = readLongLength(input, start, first - 0xb7, end);
    }
    cursor.offset = bodyStart + length;
    return input.subarray(bodyStart, bodyStart + length);
  }
  let length: number;
  let bodyStart: number;
  if (first <= 0xf7) {
    length = first - 0xc0;
    bodyStart = start + 1;
    checkFits(bodyStart, length, end, start);
  } else {
    [length, bodyStart] = readLongLength(input, start, first - 0xf7, end);
  }
  if (depth >= MAX_DEPTH) {
    throw new TxError('NESTING_TOO_DEEP', `lists nested deeper than ${MAX_DEPTH} at offset ${start}`, { offset: start });
  }
  const listEnd = bodyStart + length;
  const items: RlpItem[] = [];
  cursor.offset = bodyStart;
  while (cursor.offset < listEnd) items.push(readItem(input, cursor, listEnd, depth + 1));
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

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

import { assertBytes, assertString } from './assert.js';
import { EncodingError } from './errors.js';

const HEX_CODE = Uint8Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
/** The value of each hex digit's character code (either case), -1 for any other. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let value = 0; value < 16; value++) {
  NIBBLE[(HEX_CODE[value] as number)] = value;
  NIBBLE[value.toString(16).toUpperCase().charCodeAt(0)] = value;
}
/**
 * A latin1 TextDecoder where the platform has one (Node, browsers, Deno, Bun). Some runtimes
 * have none (Hermes without a polyfill) or one that knows only UTF-8: there the strings are
 * built with String.fromCharCode, slower but the same.
 */
let ASCII: TextDecoder | undefined;
try {
  ASCII = new TextDecoder('latin1');
} catch {
  // no TextDecoder at all (a ReferenceError), or one that knows only UTF-8 (a RangeError)
}

/** The string of ASCII `codes`, in one native call where it can (a loop of `+=` or String.fromCharCode is several times slower). */
export function asciiText(codes: Uint8Array): string {
  if (ASCII !== undefined) return ASCII.decode(codes);
  let text = '';
  for (let start = 0; start < codes.length; start += 4096) {
    text += String.fromCharCode.apply(null, codes.subarray(start, start + 4096) as unknown as number[]);
  }
  return text;
}

/** Lowercase hex of `bytes` (a plain Uint8Array; unchecked, for this package's own callers). */
export function hexDigits(bytes: Uint8Array): string {
  const codes = new Uint8Array(2 * bytes.length);
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    codes[2 * index] = HEX_CODE[byte >> 4] as number;
    codes[2 * index + 1] = HEX_CODE[byte & 15] as number;
  }
  return asciiText(codes);
}

/**
 * Writes the bytes of hex `digits` (an odd count reads as if led by a 0) into `out` from `at`.
 * Returns the position of the first character that is not a hex digit, or -1 when all are.
 */
export function writeHexDigits(digits: string, out: Uint8Array, at: number): number {
  let index = 0;
  if (digits.length % 2 === 1) {
    const low = nibble(digits, 0);
    if (low < 0) return 0;
    out[at++] = low;
    index = 1;
  }
  for (; index < digits.length; index += 2) {
    const high = nibble(digits, index);
    const low = nibble(digits, index + 1);
    if ((high | low) < 0) return high < 0 ? index : index + 1;
    out[at++] = (high << 4) | low;
  }
  return -1;
}

function nibble(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (NIBBLE[code] as number) : -1;
}

/** Lowercase hex of `bytes`, no `0x`. */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return hexDigits(bytes);
}

/** Bytes of a hex string (either case, optional `0x`); an odd length or a non-hex digit is an error. */
export function hexToBytes(hex: string): Uint8Array {
  assertString(hex, 'hex');
  const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0) {
    throw new EncodingError('INVALID_CHARACTER', `hex of odd length ${digits.length}`, { length: digits.length });
  }
  const bytes = new Uint8Array(digits.length / 2);
  const bad = writeHexDigits(digits, bytes, 0);
  if (bad >= 0) {
    const pairStart = bad - (bad % 2);
    const pair = digits.slice(pairStart, pairStart + 2);
    // a position in `hex`, as given: after its 0x, if any
    const position = hex.length - digits.length + pairStart;
    throw new EncodingError('INVALID_CHARACTER', `"${pair.replace(/[^\x20-\x7e]/g, '?')}" at position ${position} is not hex`, { position });
  }
  return bytes;
}

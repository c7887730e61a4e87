import { assertBytes, assertString } from './assert.js';
import { EncodingError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`, no `0x`. */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

/** Bytes of a hex string (either case, optional `0x`); an odd length or a non-hex digit is an error. */
export function hexToBytes(hex: string): Uint8Array {
  assertString(hex, 'hex');
  const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0) {
    throw new EncodingError('INVALID_CHARACTER', `hex of odd length ${digits.length}`, { length: digits.length });
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let index = 0; index < bytes.length; index++) {
    const pair = digits.slice(index * 2, index * 2 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new EncodingError('INVALID_CHARACTER', `"${pair.replace(/[^\x20-\x7e]/g, '?')}" at position ${index * 2} is not hex`, {
        position: index * 2,
      });
    }
    bytes[index] = Number.parseInt(pair, 16);
  }
  return bytes;
}

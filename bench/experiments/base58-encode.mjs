/*
 * Not part of `pnpm bench`: how much faster base58 encoding can be than @scure/base in plain
 * JavaScript, for the README's explanation of the sign-round target.
 *
 *   node --expose-gc experiments/base58-encode.mjs
 *
 * @scure/base converts one byte at a time into base-58 digits. This prototype converts three
 * bytes at a time into limbs of 58^4 (11 316 496 < 2^24), so every intermediate stays below
 * 2^48 and is exact in a float64, and divides by multiplying with the reciprocal, correcting
 * the quotient by one when rounding puts it off. Checked against @scure/base on random
 * inputs before it is timed.
 */
import { randomBytes } from 'node:crypto';
import { base58 } from '@scure/base';
import { measure } from '../harness.mjs';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const LIMB = 58 ** 4;
const INVERSE_LIMB = 1 / LIMB;
const DIGITS_PER_LIMB = 4;

export function base58EncodeLimbs(bytes) {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const limbs = new Float64Array(Math.ceil(((bytes.length - zeros) * 1.3658) / DIGITS_PER_LIMB) + 2);
  let length = 0;
  let index = zeros;
  const head = (bytes.length - zeros) % 3;
  if (head > 0) {
    let value = 0;
    for (let count = 0; count < head; count++) value = value * 256 + bytes[index++];
    if (value > 0) {
      limbs[0] = value;
      length = 1;
    }
  }
  for (; index < bytes.length; index += 3) {
    let carry = bytes[index] * 65536 + bytes[index + 1] * 256 + bytes[index + 2];
    for (let limb = 0; limb < length; limb++) {
      const value = limbs[limb] * 16777216 + carry;
      let quotient = Math.floor(value * INVERSE_LIMB);
      let remainder = value - quotient * LIMB;
      if (remainder < 0) {
        quotient--;
        remainder += LIMB;
      } else if (remainder >= LIMB) {
        quotient++;
        remainder -= LIMB;
      }
      limbs[limb] = remainder;
      carry = quotient;
    }
    while (carry > 0) {
      const quotient = Math.floor(carry / LIMB);
      limbs[length++] = carry - quotient * LIMB;
      carry = quotient;
    }
  }
  const digits = [];
  for (let limb = 0; limb < length; limb++) {
    let value = limbs[limb];
    for (let count = 0; count < DIGITS_PER_LIMB; count++) {
      if (limb === length - 1 && value === 0) break;
      const quotient = Math.floor(value / 58);
      digits.push(value - quotient * 58);
      value = quotient;
    }
  }
  let encoded = '1'.repeat(zeros);
  for (let digit = digits.length - 1; digit >= 0; digit--) encoded += ALPHABET[digits[digit]];
  return encoded;
}

for (let trial = 0; trial < 20_000; trial++) {
  const bytes = randomBytes(trial % 500);
  if (trial % 7 === 0) bytes.fill(0, 0, Math.min(bytes.length, trial % 5));
  if (base58EncodeLimbs(bytes) !== base58.encode(bytes)) throw new Error(`mismatch on ${bytes.toString('hex')}`);
}

console.log('base58 encode       @scure/base   58^4 limbs   speed-up');
for (const size of [36, 345, 421]) {
  const bytes = Uint8Array.from(randomBytes(size));
  const scure = await measure(() => base58.encode(bytes));
  const limbs = await measure(() => base58EncodeLimbs(bytes));
  console.log(
    `${String(size).padStart(4)} B           ${(scure / 1000).toFixed(1).padStart(8)} µs  ${(limbs / 1000).toFixed(1).padStart(8)} µs  ${(scure / limbs).toFixed(2).padStart(6)}×`,
  );
}

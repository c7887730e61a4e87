/*
 * Base58 for the `node` build: WebAssembly (src/base58.wat) for every value a prefix allows (up to
 * 2 048 bytes), the BigInt code of base58.ts above that and wherever WebAssembly is missing
 * (`node --jitless`).
 *
 * Both conversions are quadratic; the module does them on 64-bit words, 32 bits of input and five
 * digits per step, four passes at once, with no garbage for the collector. Measured here: the 421
 * bytes of a signed off-chain tx encode in ~8.5 µs (base58.ts: ~31 µs) and their 575 characters
 * decode in ~4.7 µs (~15 µs); a 32-byte key in ~0.2 µs each way (~2.7 and ~0.9 µs). It is still
 * ahead of the divide and conquer of base58.ts at 2 kB (encode ~165 µs against ~260 µs), so the
 * hand-over is the module's memory layout, not speed. tsup.node.config.ts puts this module in
 * place of base58.ts for base58check.ts; both pass the same tests.
 */

import { base58Decode as bigintDecode, base58Encode as bigintEncode, DIGIT_VALUE } from './base58.js';
import { BASE58_WASM } from './generated/base58-wasm.js';
import { asciiText } from './hex.js';
import { lazyModule, memoryBytes } from './wasm-node.js';

export { DIGIT_VALUE };

/** The largest values sent to the module (bytes without leading zeros, and their digits). */
export const WASM_MAX_BYTES = 2048;
export const WASM_MAX_DIGITS = 2797; // ⌈2048 · log 256 / log 58⌉
// the module's memory layout (base58.wat)
const BYTES_AT = 0;
const DIGITS_AT = 16384;
const ONE = 0x31; // '1', the digit zero

interface Base58Module {
  readonly memory: Uint8Array;
  encode(byteCount: number): number;
  decode(digitCount: number): number;
}

/** The module, made on first use; `null` where this runtime cannot make it. */
const base58Module = lazyModule(
  BASE58_WASM,
  (exports): Base58Module => ({
    memory: memoryBytes(exports),
    encode: exports.encode as (byteCount: number) => number,
    decode: exports.decode as (digitCount: number) => number,
  }),
);

/** Whether this runtime runs the WebAssembly module (else everything goes to base58.ts). */
export function webAssemblyInUse(): boolean {
  return base58Module() !== null;
}

/** Base58 of `bytes`: one `1` per leading zero byte, then the digits of the rest as a number. */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const count = bytes.length - zeros;
  const wasm = count <= WASM_MAX_BYTES ? base58Module() : null;
  if (wasm === null) return bigintEncode(bytes);
  if (count === 0) return '1'.repeat(zeros);
  wasm.memory.set(bytes.subarray(zeros), BYTES_AT);
  const end = DIGITS_AT + wasm.encode(count);
  // the top limb's zero digits, at most four
  let first = DIGITS_AT;
  while (wasm.memory[first] === ONE) first++;
  const digits = asciiText(wasm.memory.subarray(first, end));
  return zeros === 0 ? digits : '1'.repeat(zeros) + digits;
}

/** Decodes `text[start..]`, which holds base58 digits only (checked by the caller). */
export function base58Decode(text: string, start = 0): Uint8Array {
  let zeros = 0;
  while (start + zeros < text.length && text.charCodeAt(start + zeros) === ONE) zeros++;
  const first = start + zeros;
  const count = text.length - first;
  const wasm = count <= WASM_MAX_DIGITS ? base58Module() : null;
  if (wasm === null) return bigintDecode(text, start);
  const { memory } = wasm;
  for (let index = 0; index < count; index++) {
    memory[DIGITS_AT + index] = DIGIT_VALUE[text.charCodeAt(first + index)] as number;
  }
  const length = count === 0 ? 0 : wasm.decode(count);
  const out = new Uint8Array(zeros + length);
  out.set(memory.subarray(BYTES_AT, BYTES_AT + length), zeros);
  return out;
}

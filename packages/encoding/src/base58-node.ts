/*
 * Base58 for the `node` build: WebAssembly (src/base58.wat) for values up to 2 048 bytes (every
 * value of a fixed-size prefix, and the txs of a channel's everyday work), the BigInt code of
 * base58.ts above that (a `tx$`/`st$` may hold up to 64 KiB with its checksum: ~37 ms to
 * encode, ~13 ms to decode, as in the browser build) and wherever WebAssembly is missing
 * (`node --jitless`).
 *
 * Both conversions are quadratic; the module does them on 64-bit words, 32 bits of input and five
 * digits per step, four passes at once, with no garbage for the collector. Measured here: the 421
 * bytes of a signed off-chain tx encode in ~9 µs (base58.ts: ~31 µs) and their 575 characters
 * decode in ~5 µs (~15 µs); a 32-byte key in ~0.5 and ~0.4 µs (~2.7 and ~0.9 µs). Decoding
 * copies the characters in with TextEncoder.encodeInto and checks the alphabet in the module,
 * where a loop over the characters in JavaScript took ~1.5 µs for those 575. It is still
 * ahead of the divide and conquer of base58.ts at 2 kB (encode ~165 µs against ~260 µs), so the
 * hand-over is the module's memory layout, not speed. tsup.node.config.ts puts this module in
 * place of base58.ts for base58check.ts; both pass the same tests.
 */

import { base58Decode as bigintDecode, base58Encode as bigintEncode, firstInvalid } from './base58.js';
import { BASE58_WASM } from './generated/base58-wasm.js';
import { asciiText } from './hex.js';
import { lazyModule, memoryBytes } from './wasm-node.js';

/** The largest values sent to the module (bytes without leading zeros, and their digits). */
export const WASM_MAX_BYTES = 2048;
export const WASM_MAX_DIGITS = 2797; // ⌈2048 · log 256 / log 58⌉
// the module's memory layout (base58.wat)
const BYTES_AT = 0;
const DIGITS_AT = 16384;
const ONE = 0x31; // '1', the digit zero

interface Base58Module {
  readonly memory: Uint8Array;
  /** Where decode's characters go: room for WASM_MAX_DIGITS of them, and more. */
  readonly characters: Uint8Array;
  encode(byteCount: number): number;
  /** Bytes made of the characters written at DIGITS_AT, or -1 when one is not in the alphabet. */
  decode(characterCount: number): number;
}

/** The module, made on first use; `null` where this runtime cannot make it. */
const base58Module = lazyModule(
  BASE58_WASM,
  (exports): Base58Module => {
    const memory = memoryBytes(exports);
    return {
      memory,
      characters: memory.subarray(DIGITS_AT, DIGITS_AT + 4096),
      encode: exports.encode as (byteCount: number) => number,
      decode: exports.decode as (characterCount: number) => number,
    };
  },
);

const utf8 = new TextEncoder();

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

/** Decodes `text[start..]`: its bytes, or the index (in `text`) of its first character outside the alphabet. */
export function base58Decode(text: string, start = 0): Uint8Array | number {
  let zeros = 0;
  while (start + zeros < text.length && text.charCodeAt(start + zeros) === ONE) zeros++;
  const first = start + zeros;
  const count = text.length - first;
  const wasm = count <= WASM_MAX_DIGITS ? base58Module() : null;
  if (wasm === null) return bigintDecode(text, start);
  let length = 0;
  if (count > 0) {
    // as UTF-8: one byte per character when all are ASCII, more for any other (refused below)
    const { read, written } = utf8.encodeInto(first === 0 ? text : text.slice(first), wasm.characters);
    length = read === count && written === count ? wasm.decode(count) : -1;
    if (length < 0) {
      const position = firstInvalid(text, first);
      // the module and the table of base58.ts know the same alphabet; were they ever to
      // disagree, the BigInt code decides
      return position >= 0 ? position : bigintDecode(text, start);
    }
  }
  const out = new Uint8Array(zeros + length);
  out.set(wasm.memory.subarray(BYTES_AT, BYTES_AT + length), zeros);
  return out;
}

/*
 * The hashes of the `node` build: BLAKE2b-256 in WebAssembly (src/blake2b.wat), on native 64-bit
 * words where hashes.ts works on pairs of 32-bit halves; SHA-256 as in hashes.ts (the checksum
 * has its own module on node:crypto, checksum-node.ts). Measured here: ~1.9 µs for the 417 bytes
 * of a signed off-chain tx (hashes.ts, written for size: ~23 µs), ~0.6 µs for 32 bytes (~7 µs).
 * tsup.node.config.ts puts this module in place of hashes.ts for index.ts; where WebAssembly is
 * missing, blake2b256 is the one of hashes.ts. Both pass the same tests.
 */

import { assertBytes, plainBytes } from './assert.js';
import { BLAKE2B_WASM } from './generated/blake2b-wasm.js';
import { blake2b256Of } from './hashes.js';
import { lazyModule, memoryBytes } from './wasm-node.js';

export { sha256 } from './hashes.js';

// the module's memory layout (blake2b.wat)
const BLOCKS_AT = 1024;
/** Input bytes per call: 256 blocks. */
const CHUNK = 32768;

interface Blake2bModule {
  readonly memory: Uint8Array;
  init(): void;
  update(byteCount: number, last: number): void;
}

/** The module, made on first use; `null` where this runtime cannot make it. */
const blake2bModule = lazyModule(
  BLAKE2B_WASM,
  (exports): Blake2bModule => ({
    memory: memoryBytes(exports),
    init: exports.init as () => void,
    update: exports.update as (byteCount: number, last: number) => void,
  }),
);

/** Whether this runtime runs the WebAssembly module (else blake2b256 is hashes.ts's). */
export function webAssemblyInUse(): boolean {
  return blake2bModule() !== null;
}

/** BLAKE2b with a 32-byte digest and no key (RFC 7693; libsodium's `crypto_generichash(32, …)`). */
export function blake2b256(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'bytes');
  bytes = plainBytes(bytes);
  const wasm = blake2bModule();
  if (wasm === null) return blake2b256Of(bytes);
  const { memory } = wasm;
  wasm.init();
  // whole chunks while more than a chunk is left, so that the final block is in the last call
  let at = 0;
  for (; bytes.length - at > CHUNK; at += CHUNK) {
    memory.set(bytes.subarray(at, at + CHUNK), BLOCKS_AT);
    wasm.update(CHUNK, 0);
  }
  memory.set(bytes.subarray(at), BLOCKS_AT);
  wasm.update(bytes.length - at, 1);
  return memory.slice(0, 32);
}

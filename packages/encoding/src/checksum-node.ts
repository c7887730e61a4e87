/*
 * The base58check checksum on Node: OpenSSL's SHA-256 through node:crypto. The two hashes of a
 * checksum take ~2 µs whatever the size of a sign request, against ~5.5 µs in JavaScript
 * (checksum.ts) for a 400-byte tx; a channel update computes four of them per party. The `node`
 * build of the package uses this module in place of checksum.ts; both pass the same tests.
 */

import * as nodeCrypto from 'node:crypto';

export const CHECKSUM_SIZE = 4;

// `crypto.hash` (Node ≥ 20.12: one call, no Hash object) where the runtime has it; a namespace
// import, because a named import of an export the runtime lacks fails the whole module.
const { createHash, hash } = nodeCrypto;
const sha256: (bytes: Uint8Array) => Uint8Array =
  typeof hash === 'function' ? (bytes) => hash('sha256', bytes, 'buffer') : (bytes) => createHash('sha256').update(bytes).digest();

/** The checksum of `payload` (a plain Uint8Array). */
export function checksum(payload: Uint8Array): Uint8Array {
  return sha256(sha256(payload)).subarray(0, CHECKSUM_SIZE);
}

/*
 * The base58check checksum: the first four bytes of sha256(sha256(payload)) (WIRE.md §1).
 * This is the portable one, on our SHA-256 (hashes.ts). The package's `node` build swaps this
 * module for checksum-node.ts (see tsup.node.config.ts), through the `exports` conditions of
 * package.json, not by probing the platform at run time.
 */

import { sha256Of } from './hashes.js';

export const CHECKSUM_SIZE = 4;

/** The checksum of `payload` (a plain Uint8Array). */
export function checksum(payload: Uint8Array): Uint8Array {
  return sha256Of(sha256Of(payload)).subarray(0, CHECKSUM_SIZE);
}

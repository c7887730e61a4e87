import { getPublicKeyAsync, hashes, Point, signAsync, utils } from '@noble/ed25519';
import type { Ed25519Backend } from './backend.js';

/*
 * The async API of @noble/ed25519 hashes with the platform's WebCrypto SHA-512, so nothing
 * has to be configured at import time (DESIGN.md: never set `ed.hashes.sha512` on import).
 */

/** The order L of the base point. */
const L = Point.CURVE().n;

export const nobleBackend: Ed25519Backend = {
  publicKey: (seed) => getPublicKeyAsync(seed),
  signerFor(seed) {
    const key = seed.slice();
    return (message) => signAsync(message, key);
  },
  /**
   * The equation as libsodium (the reference node) and OpenSSL (the Node build) check it,
   * without the cofactor: R' = [S]B − [k]A, encoded, must be the signature's R byte for byte.
   * @noble/ed25519's own `verify` multiplies both sides by 8 and so accepts signatures whose R
   * or key has a torsion component that the other two refuse; the two builds must agree.
   * (Small-order and non-canonical keys and R are refused before, in core.ts.)
   */
  async verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      const s = littleEndian(signature.subarray(32));
      if (s >= L) return false;
      const A = Point.fromBytes(publicKey, false);
      const R = signature.subarray(0, 32);
      const hashed = new Uint8Array(32 + 32 + message.length);
      hashed.set(R);
      hashed.set(publicKey, 32);
      hashed.set(message, 64);
      const k = littleEndian(await hashes.sha512Async(hashed)) % L;
      const check = Point.BASE.multiply(s, false).subtract(A.multiply(k, false)).toBytes();
      return check.every((byte, index) => byte === R[index]);
    } catch {
      return false; // a key that is no point
    }
  },
  randomSeed: () => utils.randomSecretKey(),
};

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let index = bytes.length - 1; index >= 0; index--) value = (value << 8n) | BigInt(bytes[index] as number);
  return value;
}

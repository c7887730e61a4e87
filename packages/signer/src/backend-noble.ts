import { getPublicKeyAsync, hashes, Point, signAsync, utils } from '@noble/ed25519';
import type { Ed25519Backend } from './backend.js';
import { SignerError } from './errors.js';

/*
 * The async API of @noble/ed25519 hashes with the platform's WebCrypto SHA-512, so nothing
 * has to be configured at import time (DESIGN.md: never set `ed.hashes.sha512` on import).
 */

/** The order L of the base point. */
const L = Point.CURVE().n;

/**
 * WebCrypto's SHA-512, which every operation hashes with, is missing where browsers withhold
 * `crypto.subtle` (pages outside a secure context: plain http from another host than localhost)
 * and in runtimes without WebCrypto. Each operation says so with a code, before it starts:
 * a verification must never report a good signature as bad because the runtime cannot hash.
 */
function requireWebCrypto(): void {
  const subtle = (globalThis as { crypto?: { subtle?: { digest?: unknown } } }).crypto?.subtle;
  if (typeof subtle?.digest !== 'function') {
    throw new SignerError('CRYPTO_UNAVAILABLE', 'ed25519 needs WebCrypto SHA-512 (crypto.subtle), which this runtime lacks: browsers give it only to secure contexts (https, localhost)');
  }
}

export const nobleBackend: Ed25519Backend = {
  publicKey(seed) {
    requireWebCrypto();
    return getPublicKeyAsync(seed);
  },
  signerFor(seed) {
    const key = seed.slice();
    return async (message) => {
      requireWebCrypto();
      return signAsync(message, key);
    };
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
    const s = littleEndian(signature.subarray(32));
    if (s >= L) return false;
    let A: InstanceType<typeof Point>;
    try {
      A = Point.fromBytes(publicKey, false);
    } catch {
      return false; // a key that is no point
    }
    requireWebCrypto();
    const R = signature.subarray(0, 32);
    const hashed = new Uint8Array(32 + 32 + message.length);
    hashed.set(R);
    hashed.set(publicKey, 32);
    hashed.set(message, 64);
    const k = littleEndian(await hashes.sha512Async(hashed)) % L;
    const check = Point.BASE.multiply(s, false).subtract(A.multiply(k, false)).toBytes();
    return check.every((byte, index) => byte === R[index]);
  },
  randomSeed: () => utils.randomSecretKey(),
};

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let index = bytes.length - 1; index >= 0; index--) value = (value << 8n) | BigInt(bytes[index] as number);
  return value;
}

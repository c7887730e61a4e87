import { getPublicKeyAsync, signAsync, utils, verifyAsync } from '@noble/ed25519';
import type { Ed25519Backend } from './backend.js';

/*
 * The async API of @noble/ed25519 hashes with the platform's WebCrypto SHA-512, so nothing
 * has to be configured at import time (DESIGN.md: never set `ed.hashes.sha512` on import).
 */
export const nobleBackend: Ed25519Backend = {
  publicKey: (seed) => getPublicKeyAsync(seed),
  signerFor(seed) {
    const key = seed.slice();
    return (message) => signAsync(message, key);
  },
  async verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      // RFC 8032 rules (as libsodium and OpenSSL), not ZIP-215's more permissive ones.
      return await verifyAsync(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  randomSeed: () => utils.randomSecretKey(),
};

/**
 * The ed25519 primitives a platform provides. `node.ts` builds the package on node:crypto
 * (sign ~20 µs, verify ~57 µs), `browser.ts` on @noble/ed25519 (~173/755 µs); the package's
 * `exports` conditions pick one, so nothing sniffs the platform at run time.
 */
export interface Ed25519Backend {
  /** The 32-byte public key of a 32-byte seed. */
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** A function that signs with the key of `seed`; whatever key object it needs is made once, here. */
  signerFor(seed: Uint8Array): (message: Uint8Array) => Promise<Uint8Array>;
  /**
   * RFC 8032 verification; false for a malformed key or signature. Throws only when the runtime
   * cannot compute it (`CRYPTO_UNAVAILABLE`): an answer of false is a verdict on the signature.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
  /** 32 random bytes from the platform's CSPRNG. */
  randomSeed(): Uint8Array;
}

export type SignerErrorCode =
  /** a secret key that is neither a 32-byte seed nor a 64-byte seed ‖ public key */
  | 'INVALID_SECRET_KEY'
  /** a 64-byte secret key whose public half is not the key of its seed half */
  | 'KEY_MISMATCH'
  /** deposit, withdraw and close_mutual do not name their signers: the channel's peers must be given */
  | 'SIGNERS_REQUIRED'
  /** a 65-byte secp256k1 key to check without the verifier of `@aesc/signer/legacy` */
  | 'LEGACY_VERIFIER_REQUIRED'
  /** a key that is no ed25519 (32 bytes) or legacy secp256k1 (65 bytes) key */
  | 'INVALID_PUBLIC_KEY'
  /** a `Signer` whose `sign` gave something else than a 64-byte signature */
  | 'INVALID_SIGNATURE'
  /** the browser build in a runtime without WebCrypto SHA-512 (`crypto.subtle`: browsers give it only to secure contexts) */
  | 'CRYPTO_UNAVAILABLE';

export class SignerError extends Error {
  override readonly name = 'SignerError';
  readonly code: SignerErrorCode;

  constructor(code: SignerErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

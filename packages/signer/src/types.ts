import type { AccountPubkey } from '@aesc/encoding';

/** Something that holds a key and signs bytes with it: a local key, a hardware wallet, a remote service. */
export interface Signer {
  /** The account this signer signs for, `ak$…`. */
  readonly address: AccountPubkey;
  /** The same key as bytes (32 for ed25519). */
  readonly publicKey: Uint8Array;
  /** Signs `message` as is (no pre-hash, no prefix): ed25519 over the unsigned tx bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Checks one signature: ed25519 on 32-byte keys here, or the legacy secp256k1 verifier. */
export type SignatureVerifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => Promise<boolean>;

export interface VerifyOptions {
  /**
   * Verifier for legacy 65-byte secp256k1 keys (`legacyVerifier` of `@aesc/signer/legacy`).
   * Without it a legacy key in the signer list is a `SignerError('LEGACY_VERIFIER_REQUIRED')`.
   */
  legacy?: SignatureVerifier | undefined;
}

/** How a `signed_tx` fared against its signers (the reference's rule, WIRE.md §6.4). */
export interface VerifyResult {
  /** Every signer consumed one valid signature and no signature was left over. */
  valid: boolean;
  /** Per expected signer, in the order given: the signature it consumed, or null. */
  signers: { publicKey: AccountPubkey; signature: Uint8Array | null }[];
  /** Per signature of the tx, in its order: the signer that consumed it, or null (left over). */
  signatures: { signature: Uint8Array; signer: AccountPubkey | null }[];
}

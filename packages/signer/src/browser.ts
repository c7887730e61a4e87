/**
 * @aesc/signer in browsers and other runtimes: ed25519 through @noble/ed25519 and WebCrypto. The package's `exports` conditions select this entry.
 */
import type { AccountPubkey } from '@aesc/encoding';
import type { SignedTx, UnsignedTx } from '@aesc/tx';
import { nobleBackend } from './backend-noble.js';
import { createSignerWith, generateWith, signTxWith, verifySignatureWith, verifySignedTxWith } from './core.js';
import type { Signer, VerifyOptions, VerifyResult } from './types.js';

export { SignerError, type SignerErrorCode } from './errors.js';
export type { SignatureVerifier, Signer, VerifyOptions, VerifyResult } from './types.js';

/** A signer of a local ed25519 key: a 32-byte seed, or the 64-byte libsodium form seed ‖ public key. */
export function createSigner(secretKey: Uint8Array): Promise<Signer> {
  return createSignerWith(nobleBackend, secretKey);
}

/** A new random key: its signer, and the 64-byte secret key (seed ‖ public key) to keep. */
export function generate(): Promise<{ signer: Signer; secretKey: Uint8Array }> {
  return generateWith(nobleBackend);
}

/**
 * Adds `signer`'s signature to a tx, the list sorted and free of duplicates (WIRE.md §6.4). The
 * signature of a signer made elsewhere (a device) must verify with its key: `INVALID_SIGNATURE`.
 */
export function signTx(tx: UnsignedTx | SignedTx, signer: Signer): Promise<SignedTx> {
  return signTxWith(nobleBackend, tx, signer);
}

/**
 * Checks a `signed_tx` with the reference's rule (WIRE.md §6.4): each signer consumes one
 * signature, none is left over. `signerKeys` defaults to the keys the tx names.
 */
export function verifySignedTx(
  signedTx: SignedTx,
  signerKeys?: readonly (Uint8Array | AccountPubkey)[],
  options?: VerifyOptions,
): Promise<VerifyResult> {
  return verifySignedTxWith(nobleBackend, signedTx, signerKeys, options);
}

/** One ed25519 signature over `message` by `publicKey`. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array | AccountPubkey): Promise<boolean> {
  return verifySignatureWith(nobleBackend, signature, message, publicKey);
}

/**
 * @aesc/signer/legacy — verification of the secp256k1 signatures of the pre-2018-05-03 era
 * (WIRE.md §6.3): ECDSA over SHA-256 of the message, DER-encoded, s not normalized (the seed
 * holds a high-S signature), keys 65 bytes `04 ‖ X ‖ Y`. Verify only: this era's keys are
 * never produced. A subpath of its own, so that nobody who does not import it loads
 * @noble/curves.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { isBytes, isDerSignature, isLegacyPubkey, plainBytes } from '@aesc/encoding';
import type { SignatureVerifier } from './types.js';

/** Whether `signature` (DER) is `publicKey`'s (65 bytes) ECDSA signature of SHA-256(`message`). */
export function verifyLegacySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!isBytes(signature) || !isBytes(message) || !isBytes(publicKey)) {
    throw new TypeError('signature, message and publicKey must be Uint8Array');
  }
  if (!isDerSignature(signature) || !isLegacyPubkey(publicKey)) return false;
  try {
    // plain views: a Uint8Array subclass's subarray could give anything (its species)
    return secp256k1.verify(plainBytes(signature), plainBytes(message), plainBytes(publicKey), { format: 'der', lowS: false, prehash: true });
  } catch {
    return false; // a point off the curve or a malformed DER integer verifies nothing
  }
}

/** `verifySignedTx(tx, keys, { legacy: legacyVerifier })` checks 65-byte keys with this. */
export const legacyVerifier: SignatureVerifier = async (signature, message, publicKey) =>
  verifyLegacySignature(signature, message, publicKey);

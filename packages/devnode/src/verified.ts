import { verifySignature } from '@aesc/signer';

/** How a state machine checks a signature: `verifySignature` of @aesc/signer, or a memo of it. */
export type VerifySignature = (signature: Uint8Array, message: Uint8Array, key: Uint8Array) => Promise<boolean>;

/**
 * Both parties' state machines of a channel run in this one process, and each verifies the
 * peer's signature on every co-signed state: a signature the peer's machine verified a moment
 * before, when its client sent it. Between two nodes (the reference) that second check is what
 * protects one node from the other; inside one process it is the same computation twice, and
 * ed25519 verification is the largest cost of a transfer here. This memo keeps the most recent
 * `capacity` (key, signature, message) triples that verified and answers them again without
 * the curve arithmetic. Verification is a pure function of the triple, so a remembered `true`
 * is never wrong; a failure is never remembered, and the message is compared byte for byte.
 */
export function memoizedVerifier(capacity = 4096, verify: VerifySignature = verifySignature): VerifySignature {
  // By the signature's bytes as a latin1 string (one character a byte, so one string a
  // signature): four times cheaper to make than base64 of key and signature, and a memo is
  // asked twice per signature of every transfer. The key and message are compared byte for byte.
  const verified = new Map<string, { key: Uint8Array; message: Uint8Array }>();
  return async (signature, message, key) => {
    const id = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('latin1');
    const known = verified.get(id);
    if (known !== undefined && Buffer.compare(known.message, message) === 0 && Buffer.compare(known.key, key) === 0) return true;
    if (!(await verify(signature, message, key))) return false;
    verified.delete(id);
    if (verified.size >= capacity) verified.delete(verified.keys().next().value as string);
    verified.set(id, { key: new Uint8Array(key), message: new Uint8Array(message) }); // copies: the caller may reuse its buffers
    return true;
  };
}

import { type AccountPubkey, assertBytes, decode, describe, encode, hexToBytes, isBytes, plainBytes } from '@aesc/encoding';
import { checkSignatures, compareBytes, type SignedTx, serializeUnsigned, txSigners, type UnsignedTx } from '@aesc/tx';
import type { Ed25519Backend } from './backend.js';
import { SignerError } from './errors.js';
import type { Signer, VerifyOptions, VerifyResult } from './types.js';

/** The signers `createSignerWith` made: their signatures verify by construction, `signTx` does not check them again. */
const localSigners = new WeakSet<Signer>();

/** A signer of a local ed25519 key: a 32-byte seed, or the 64-byte libsodium form seed ‖ public key. */
export async function createSignerWith(backend: Ed25519Backend, secretKey: Uint8Array): Promise<Signer> {
  if (!isBytes(secretKey)) throw new TypeError(`secretKey must be a Uint8Array, got ${describe(secretKey)}`);
  if (secretKey.length !== 32 && secretKey.length !== 64) {
    throw new SignerError(
      'INVALID_SECRET_KEY',
      `an ed25519 secret key is a 32-byte seed or 64 bytes (seed ‖ public key), got ${secretKey.length} bytes`,
    );
  }
  // a plain view: a subclass's slice/subarray could give anything (its species)
  const key = plainBytes(secretKey);
  const seed = key.slice(0, 32);
  const publicKey = await backend.publicKey(seed);
  if (key.length === 64 && compareBytes(key.subarray(32), publicKey) !== 0) {
    throw new SignerError('KEY_MISMATCH', 'the last 32 bytes of the secret key are not the public key of its seed');
  }
  const signWithKey = backend.signerFor(seed);
  seed.fill(0);
  const signer: Signer = Object.freeze({
    address: encode('ak', publicKey),
    publicKey,
    sign(message: Uint8Array): Promise<Uint8Array> {
      assertBytes(message, 'message');
      return signWithKey(plainBytes(message));
    },
  });
  localSigners.add(signer);
  return signer;
}

/** A new random key: its signer, and the 64-byte secret key (seed ‖ public key) to keep. */
export async function generateWith(backend: Ed25519Backend): Promise<{ signer: Signer; secretKey: Uint8Array }> {
  const seed = backend.randomSeed();
  const signer = await createSignerWith(backend, seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed);
  secretKey.set(signer.publicKey, 32);
  seed.fill(0);
  return { signer, secretKey };
}

/**
 * Adds `signer`'s signature to a tx (unsigned, or a `signed_tx` with the other party's
 * signatures). The message is the canonical serialization of the unsigned tx; the list stays
 * sorted bytewise and free of duplicates (the reference's `add_signatures`, WIRE.md §6.4). A
 * signer made elsewhere (a device, a remote service) must return a signature that verifies with
 * its `publicKey` over that message: one of another key (a device set to another account) or
 * of other bytes is `INVALID_SIGNATURE`, not a signed tx that no node would take.
 */
export async function signTxWith(backend: Ed25519Backend, tx: UnsignedTx | SignedTx, signer: Signer): Promise<SignedTx> {
  if (typeof tx !== 'object' || tx === null) throw new TypeError(`tx must be a transaction object, got ${describe(tx)}`);
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    throw new TypeError(`signer must be a Signer, got ${describe(signer)}`);
  }
  const inner = tx.type === 'signed_tx' ? tx.tx : tx;
  const existing = tx.type === 'signed_tx' ? checkSignatures(tx.signatures) : [];
  const message = serializeUnsigned(inner);
  const local = localSigners.has(signer);
  // a signer of elsewhere gets a copy: what it does to its bytes does not change what is checked
  const signature = await signer.sign(local ? message : message.slice());
  if (!isBytes(signature) || signature.length !== 64) {
    throw new SignerError('INVALID_SIGNATURE', `the signer returned ${describe(signature)}, not a 64-byte signature`);
  }
  if (!local && !(await verifySignatureWith(backend, signature, message, signer.publicKey))) {
    throw new SignerError('INVALID_SIGNATURE', `the signer's signature does not verify with its publicKey over the tx (a signer of another key, or of other bytes)`);
  }
  // a copy of this realm's class, whatever the signer gave (a view, a Buffer, another realm's)
  const signatures = [...existing, new Uint8Array(signature)].sort(compareBytes);
  const unique = signatures.filter((candidate, index) => index === 0 || compareBytes(signatures[index - 1] as Uint8Array, candidate) !== 0);
  return { type: 'signed_tx', signatures: unique, tx: inner };
}

/**
 * Checks a `signed_tx` as the reference does: over the re-serialized inner tx, each expected
 * signer in order consumes the first remaining signature that verifies with its key; the tx
 * is valid when every signer found one and no signature is left over. `signerKeys` defaults
 * to the keys the tx names; deposit, withdraw and close_mutual need the channel's peers.
 */
export async function verifySignedTxWith(
  backend: Ed25519Backend,
  signedTx: SignedTx,
  signerKeys?: readonly (Uint8Array | AccountPubkey)[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  if (typeof signedTx !== 'object' || signedTx === null || signedTx.type !== 'signed_tx') {
    throw new TypeError(`signedTx must be a signed_tx object, got ${describe(signedTx)}`);
  }
  const { signatures, tx } = signedTx;
  if (!Array.isArray(signatures)) throw new TypeError(`signedTx.signatures must be an array, got ${describe(signatures)}`);
  if (signerKeys !== undefined && signerKeys !== null && !Array.isArray(signerKeys)) {
    throw new TypeError(`signerKeys must be an array of keys, got ${describe(signerKeys)}`);
  }
  const message = serializeUnsigned(tx);
  const keyList = signerKeys ?? txSigners(tx);
  if (keyList === undefined) {
    throw new SignerError('SIGNERS_REQUIRED', `a ${tx.type} does not name its signers: pass the channel's initiator and responder keys`);
  }
  // Every transaction has a signer: an empty list would call a tx with no signature valid.
  if (keyList.length === 0) throw new SignerError('SIGNERS_REQUIRED', 'signerKeys is empty: pass the keys that must have signed');
  // by index, here and below: a hole is a missing key or signature, never one to skip
  const keys: Uint8Array[] = [];
  for (let index = 0; index < keyList.length; index++) keys.push(publicKeyBytes(keyList[index] as Uint8Array | AccountPubkey, `signerKeys[${index}]`));
  // `bytes` is what the verifiers read: a plain view, whatever the caller's array is
  const remaining: { signature: Uint8Array; bytes: Uint8Array; index: number }[] = [];
  for (let index = 0; index < signatures.length; index++) {
    const signature: unknown = signatures[index];
    assertBytes(signature, `signatures[${index}]`);
    remaining.push({ signature, bytes: plainBytes(signature), index });
  }
  const checked = remaining.map(({ signature }) => signature);
  const consumedBy: (AccountPubkey | null)[] = checked.map(() => null);
  const signers: VerifyResult['signers'] = [];
  for (const key of keys) {
    const address = encode('ak', key);
    const verifier = key.length === 32 ? (signature: Uint8Array, body: Uint8Array, publicKey: Uint8Array) => verifyEd25519(backend, signature, body, publicKey) : options?.legacy;
    if (verifier === undefined) {
      throw new SignerError(
        'LEGACY_VERIFIER_REQUIRED',
        `${address.slice(0, 12)}… is a legacy secp256k1 key: pass { legacy: legacyVerifier } from @aesc/signer/legacy`,
      );
    }
    if (typeof verifier !== 'function') throw new TypeError(`options.legacy must be a function, got ${describe(verifier)}`);
    let found: Uint8Array | null = null;
    for (let position = 0; position < remaining.length; position++) {
      const candidate = remaining[position] as (typeof remaining)[number];
      if (await verifier(candidate.bytes, message, key)) {
        found = candidate.signature;
        consumedBy[candidate.index] = address;
        remaining.splice(position, 1);
        break;
      }
    }
    signers.push({ publicKey: address, signature: found });
  }
  return {
    valid: remaining.length === 0 && signers.every((entry) => entry.signature !== null),
    signers,
    signatures: checked.map((signature, index) => ({
      signature,
      signer: consumedBy[index] ?? null,
    })),
  };
}

/** One ed25519 signature over `message` by `publicKey` (32 bytes or `ak$`). */
export async function verifySignatureWith(
  backend: Ed25519Backend,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array | AccountPubkey,
): Promise<boolean> {
  assertBytes(signature, 'signature');
  assertBytes(message, 'message');
  const key = publicKeyBytes(publicKey, 'publicKey');
  if (key.length !== 32) throw new SignerError('INVALID_PUBLIC_KEY', 'verifySignature checks ed25519 (32-byte) keys');
  return verifyEd25519(backend, plainBytes(signature), plainBytes(message), key);
}

/**
 * Ed25519 verification as the reference node's libsodium (`crypto_sign_verify_detached`) does
 * it: besides the equation, a public key that is not a canonical encoding or is a point of small
 * order is refused, and so is a signature whose R is of small order. OpenSSL (the Node build)
 * checks none of these: with the identity point as the key and R = identity, S = 0, any
 * message "verified" there, while @noble/ed25519 (the browser build) refused it. Both builds
 * now refuse it before the equation, as the reference does.
 */
async function verifyEd25519(backend: Ed25519Backend, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (signature.length !== 64 || !isCanonicalPoint(publicKey) || hasSmallOrder(publicKey) || hasSmallOrder(signature.subarray(0, 32))) return false;
  return backend.verify(signature, message, publicKey);
}

/**
 * The encodings of the eight points of small order, with the sign bit (bit 255) cleared, which
 * makes them five: y = 1 (the identity), y = p − 1 (order 2), y = 0 (order 4) and the two y of
 * order 8. libsodium's `ge25519_has_small_order` compares against these the same way.
 */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map(hexToBytes);

function hasSmallOrder(point: Uint8Array): boolean {
  return SMALL_ORDER.some((encoding) => encoding.every((byte, index) => byte === (index === 31 ? (point[31] as number) & 0x7f : point[index])));
}

/** Whether y (the low 255 bits, little-endian) is below p = 2^255 − 19, as `ge25519_is_canonical` requires. */
function isCanonicalPoint(point: Uint8Array): boolean {
  if (((point[31] as number) & 0x7f) !== 0x7f) return true;
  for (let index = 30; index > 0; index--) if (point[index] !== 0xff) return true;
  return (point[0] as number) < 0xed;
}

function publicKeyBytes(key: Uint8Array | AccountPubkey, name: string): Uint8Array {
  if (typeof key === 'string') return decode(key, 'ak');
  if (!isBytes(key)) throw new TypeError(`${name} must be a Uint8Array or an ak$ string, got ${describe(key)}`);
  if (key.length !== 32 && !(key.length === 65 && key[0] === 0x04)) {
    throw new SignerError('INVALID_PUBLIC_KEY', `${name}: a public key is 32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1), got ${key.length}`);
  }
  return plainBytes(key);
}

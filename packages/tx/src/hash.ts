import { type AccountPubkey, assertBigint, blake2b256, type ChannelId, decode, describe, encode, isBytes, isLegacyPubkey, type TxHash } from '@aesc/encoding';
import { serializeTx } from './codec.js';
import { intToBytes, PUBKEY_SIZES } from './fields.js';
import type { Tx } from './registry.js';

/** BLAKE2b with a 32-byte digest (libsodium `crypto_generichash(32, …)`, WIRE.md §7.1), from @aesc/encoding. */
export { blake2b256 };

/**
 * `th$` of blake2b-256 over the canonical serialization of `tx` (WIRE.md §7.2). Of a
 * `signed_tx` this is the v0.14 hash the node's API uses; of an unsigned tx it is the rule
 * before 2018-05-16, which the seed's two `th$` values follow.
 */
export function txHash(tx: Tx): TxHash {
  return encode('th', blake2b256(serializeTx(tx)));
}

export interface ChannelIdInput {
  /** The initiator's key: bytes (32, or 65 for legacy ids) or `ak$…`. */
  initiator: Uint8Array | AccountPubkey;
  /** The create tx's nonce (the initiator's account nonce). */
  nonce: bigint;
  responder: Uint8Array | AccountPubkey;
}

const UINT256_MODULUS = 1n << 256n;

/**
 * `ch$` of blake2b-256(initiator ‖ uint256_be(nonce) ‖ responder), WIRE.md §7.3. Keys are
 * hashed at their full width (65-byte legacy keys give the seed's legacy ids); the nonce is
 * reduced modulo 2^256, as the reference does silently.
 */
export function channelId(input: ChannelIdInput): ChannelId {
  if (typeof input !== 'object' || input === null) throw new TypeError(`input must be {initiator, nonce, responder}, got ${describe(input)}`);
  const { initiator, nonce, responder } = input;
  const initiatorKey = pubkeyBytes(initiator, 'initiator');
  const responderKey = pubkeyBytes(responder, 'responder');
  assertBigint(nonce, 'nonce');
  const preimage = new Uint8Array(initiatorKey.length + 32 + responderKey.length);
  preimage.set(initiatorKey, 0);
  const nonceBytes = intToBytes(nonce % UINT256_MODULUS);
  preimage.set(nonceBytes, initiatorKey.length + 32 - nonceBytes.length);
  preimage.set(responderKey, initiatorKey.length + 32);
  return encode('ch', blake2b256(preimage));
}

function pubkeyBytes(key: Uint8Array | AccountPubkey, name: string): Uint8Array {
  if (typeof key === 'string') return decode(key, 'ak');
  if (!isBytes(key)) throw new TypeError(`${name} must be a Uint8Array or an ak$ string, got ${describe(key)}`);
  // what an ak$ (and a key field of a tx) may hold: 65 bytes only as a legacy key, 04 ‖ X ‖ Y
  if (key.length !== 32 && !isLegacyPubkey(key)) {
    throw new RangeError(`${name}: ${PUBKEY_SIZES}, got ${key.length}`);
  }
  return key;
}

/*
 * The baseline the codec is held to: the same work composed by hand from the fastest
 * primitives available, with no object model, no bigint conversion and only the checks
 * written out below. For each step, the fastest implementation the step table of the sign round
 * measures: base58check and BLAKE2b-256 of @aesc/encoding (faster than @scure/base with
 * @noble/hashes' SHA-256, and than @noble/hashes' BLAKE2b), the `rlp` package for RLP,
 * node:crypto for ed25519. So the comparison with the codec isolates what @aesc/tx adds: the
 * strict decode to a Tx object, the checks, and its serializations.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { blake2b256, decode, encode } from '@aesc/encoding';
import { decode as rlpDecode, encode as rlpEncode } from 'rlp';

/** `prefix$base58(payload ‖ sha256²(payload)[0..4])`. */
export const base58checkEncode = (prefix, payload) => encode(prefix, payload);

/** The payload of a `prefix$…` string, after checking the prefix and the checksum. */
export const base58checkDecode = (encoded, prefix) => decode(encoded, prefix);

/** A `tx$` string to its raw RLP items (nested arrays of byte strings). */
export function decodeTxRaw(encoded) {
  return rlpDecode(base58checkDecode(encoded, 'tx'));
}

/** Minimal big-endian bytes of a non-negative integer, zero as `00` (WIRE.md §2.2). */
export function intBytes(value) {
  if (value === 0n) return Uint8Array.of(0);
  let length = 0;
  for (let rest = value; rest > 0n; rest >>= 8n) length++;
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let index = length - 1; index >= 0; index--) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

const SIGNED_TX_TAG = Uint8Array.of(11);
const VSN_1 = Uint8Array.of(1);
const OFFCHAIN_TX_TAG = 57;
const OFFCHAIN_FIELD_COUNT = 9;

/**
 * A key object for node:crypto's ed25519, made once: creating one costs far more than a
 * signature, so any serious signer caches it.
 */
export function ed25519KeyObject(seed) {
  // PKCS#8 wrapping of a raw 32-byte ed25519 seed (RFC 8410).
  const prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
  const der = new Uint8Array(prefix.length + 32);
  der.set(prefix);
  der.set(seed.subarray(0, 32), prefix.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

/**
 * The sign-request round by hand: `tx$` in; base58check decode, RLP decode, check it is an
 * off-chain tx (tag 57, vsn 1, nine fields); sign the received bytes; wrap them in a
 * `signed_tx`; return its `tx$` and `th$`.
 */
export function signRequestRound(requestTx, keyObject) {
  const unsignedBytes = base58checkDecode(requestTx, 'tx');
  const items = rlpDecode(unsignedBytes);
  if (
    !Array.isArray(items) ||
    items.length !== 2 + OFFCHAIN_FIELD_COUNT ||
    items[0].length !== 1 ||
    items[0][0] !== OFFCHAIN_TX_TAG ||
    items[1].length !== 1 ||
    items[1][0] !== 1
  ) {
    throw new Error('not a channel_offchain_tx');
  }
  const signature = sign(null, unsignedBytes, keyObject);
  const signedBytes = rlpEncode([SIGNED_TX_TAG, VSN_1, [signature], unsignedBytes]);
  return {
    tx: base58checkEncode('tx', signedBytes),
    hash: base58checkEncode('th', blake2b256(signedBytes)),
  };
}

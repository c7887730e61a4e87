/*
 * The inputs every row shares, taken from the reference vectors (bytes produced by the
 * epoch v0.14.0 serializer, not by our code), so that each side of a comparison gets the
 * very same transaction and the expected outputs are known independently of both.
 */
import { readFileSync } from 'node:fs';

const vectorsUrl = new URL('../fixtures/vectors/reference-vectors.json', import.meta.url);
export const referenceVectors = JSON.parse(readFileSync(vectorsUrl, 'utf8'));

export function bytesFromHex(hex) {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function hexFromBytes(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function vector(id) {
  const found = referenceVectors.vectors.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`reference vector ${id} is missing from ${vectorsUrl.pathname}`);
  return found;
}

export function key(name) {
  const found = referenceVectors.keys.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`reference key ${name} is missing`);
  return {
    name,
    seed: bytesFromHex(found.seed_hex),
    secretKey: bytesFromHex(found.secret_key_hex),
    publicKey: bytesFromHex(found.public_key_hex),
  };
}

function fieldValues(vectorEntry) {
  return Object.fromEntries(vectorEntry.fields.map((field) => [field.name, field.value]));
}

/**
 * The sign request: an unsigned off-chain tx with three transfer updates (341 bytes, 475
 * characters as `tx$`), the size of a typical update round. Signed by its initiator, k0.
 */
export const signRequest = (() => {
  const entry = vector('channel_offchain_tx/updates_3');
  const signerKey = key(entry.signer_keys[0]);
  return {
    id: entry.id,
    tx: entry.unsigned.tx,
    unsignedBytes: bytesFromHex(entry.unsigned.hex),
    signerKey,
    // ed25519 is deterministic: k0's signature over these bytes is the one the reference made.
    expectedSignature: bytesFromHex(entry.signed.signatures_signer_order[0]),
  };
})();

/**
 * A channel create as a Tx object, from the `channel_create_tx/typical` vector. `fee` is
 * replaced by one the SDK accepts (its `buildTx` refuses any fee under its minimum fee, and
 * the vector's is 9), so that both encoders get the same values.
 */
export const channelCreate = (() => {
  const entry = vector('channel_create_tx/typical');
  const values = fieldValues(entry);
  const txOf = (fee) => ({
    type: 'channel_create_tx',
    initiator: bytesFromHex(values.initiator),
    initiator_amount: BigInt(values.initiator_amount),
    responder: bytesFromHex(values.responder),
    responder_amount: BigInt(values.responder_amount),
    channel_reserve: BigInt(values.channel_reserve),
    lock_period: BigInt(values.lock_period),
    ttl: BigInt(values.ttl),
    fee,
    nonce: BigInt(values.nonce),
  });
  return {
    id: entry.id,
    /** The vector's own values: encodes to `referenceTx`. */
    referenceValues: txOf(BigInt(values.fee)),
    referenceTx: entry.unsigned.tx,
    /** What both sides encode in the timed loop. */
    tx: txOf(20_000_000_000_000n),
  };
})();

/**
 * Typed access to the reference vectors in fixtures/vectors (see fixtures/README.md for where
 * they come from). Shared by the tests of every package.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function readFixture<T>(path: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${path}`, 'utf8')) as T;
}

export interface VectorField {
  name: string;
  type: 'int' | 'binary' | 'updates';
  value: string | { from: string; to: string; amount: string }[];
}

export interface ReferenceVector {
  id: string;
  type: string;
  case: string;
  tag: number;
  vsn: number;
  fields: VectorField[];
  unsigned: { hex: string; tx: string; blake2b_256: string };
  signers: string[];
  signer_keys: string[];
  signed: {
    signatures_signer_order: string[];
    signatures: string[];
    hex: string;
    tx: string;
    hash: string;
    th: string;
  };
  payload_from?: string;
  channel?: { id_preimage_hex: string; id_hex: string; ch: string; object_hex: string };
}

export interface NegativeVector {
  id: string;
  decoder: 'unsigned_tx' | 'signed_tx' | 'base58check';
  category: string;
  description: string;
  input_hex?: string;
  input?: string;
  result: 'rejected' | 'accepted';
  reserialized_equal?: boolean;
}

export interface ReferenceKey {
  name: string;
  seed_hex: string;
  secret_key_hex: string;
  public_key_hex: string;
  ak: string;
}

export interface ReferenceVectors {
  keys: ReferenceKey[];
  channels: { name: string; create_vector: string; initiator: string; responder: string; id_hex: string; ch: string }[];
  vectors: ReferenceVector[];
  negative_vectors: NegativeVector[];
}

export interface SeedSignature {
  sig_hex: string;
  len: number;
  verifies_with: { pubkey: string; alg: 'ed25519' | 'secp256k1-ecdsa-sha256-der'; role: string }[];
}

export interface SeedVector {
  encoded: string;
  prefix: string;
  payload_len: number;
  /** The payload of a non-tx value; a tx's payload is its `rlp_hex`. */
  payload_hex?: string;
  type?: string;
  tag?: number;
  rlp_hex?: string;
  blake2b256_of_this_serialization?: string;
  matches?: [string, 'unsigned' | 'signed'];
  key_type?: string;
  channel_id_derivation?: { initiator: string; nonce: number; responder: string };
  fields?: {
    signatures?: SeedSignature[];
    transaction?: { type: string; rlp_hex: string; blake2b256_unsigned: string; fields: Record<string, unknown> };
  } & Record<string, unknown>;
}

export const referenceVectors = readFixture<ReferenceVectors>('vectors/reference-vectors.json');
export const seedVectors = readFixture<SeedVector[]>('vectors/seed-vectors.json');

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The vector's fields as a TS transaction object (`{type, …}` with bigint and Uint8Array). */
export function vectorTx(vector: ReferenceVector): Record<string, unknown> & { type: string } {
  const tx: Record<string, unknown> & { type: string } = { type: vector.type };
  for (const field of vector.fields) {
    if (field.type === 'int') tx[field.name] = BigInt(field.value as string);
    else if (field.type === 'binary') tx[field.name] = hex(field.value as string);
    else {
      tx[field.name] = (field.value as { from: string; to: string; amount: string }[]).map((update) => ({
        from: hex(update.from),
        to: hex(update.to),
        amount: BigInt(update.amount),
      }));
    }
  }
  return tx;
}

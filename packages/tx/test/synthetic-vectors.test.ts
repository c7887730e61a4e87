/**
 * The hand-made vectors of fixtures/vectors/synthetic-vectors.json: one signed v0.14 tx per
 * type over one channel (keys of seeds 0x11… and 0x22…), and the legacy 7-field layout of the
 * same close_mutual. Each is built from its listed field values and must give the recorded
 * bytes, strings and hashes; its signatures are made here with node:crypto from the seeds, over
 * the unsigned bytes, so what is signed is checked independently of @aesc/signer.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { encode } from '@aesc/encoding';
import {
  blake2b256,
  channelId,
  decodeTx,
  deserializeTx,
  encodeTx,
  fromJSON,
  serializeTx,
  type SignedTx,
  toJSON,
  txHash,
  txSigners,
  TxError,
  type UnsignedTx,
} from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test/support/errors.js';
import { hex, readFixture, toHex } from '../../../test/support/vectors.js';

interface SyntheticVector {
  name: string;
  tag: number;
  fields: Record<string, string | number | [string, string, number][]>;
  unsigned_rlp_hex: string;
  unsigned_tx: string;
  unsigned_hash_blake2b256: string;
  signers: ('initiator' | 'responder')[];
  signatures_sorted_hex: string[];
  signed_rlp_hex: string;
  signed_tx: string;
  signed_hash_blake2b256: string;
  th_v0_14: string;
}

interface SyntheticVectors {
  keys: Record<string, string>;
  vectors: SyntheticVector[];
  legacy_close_mutual_7field_unsigned_rlp_hex: string;
}

const synthetic = readFixture<SyntheticVectors>('vectors/synthetic-vectors.json');
const { keys } = synthetic;

/** The type a vector's name gives: `channel_offchain_tx (initial state)` → `channel_offchain_tx`. */
const typeOf = (vector: SyntheticVector) => vector.name.split(' ')[0] as UnsignedTx['type'];

/** The listed values as a Tx object: hex strings are bytes, numbers integers, updates triples. */
function txOf(vector: SyntheticVector): UnsignedTx {
  const tx: Record<string, unknown> = { type: typeOf(vector) };
  for (const [name, value] of Object.entries(vector.fields)) {
    if (typeof value === 'number') tx[name] = BigInt(value);
    else if (typeof value === 'string') tx[name] = hex(value);
    else tx[name] = value.map(([from, to, amount]) => ({ from: hex(from), to: hex(to), amount: BigInt(amount) }));
  }
  return tx as unknown as UnsignedTx;
}

function ed25519Sign(seedHex: string, message: Uint8Array): string {
  // PKCS#8 of an ed25519 seed: the fixed 16-byte header, then the 32 seed bytes
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  return sign(null, message, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).toString('hex');
}

describe('synthetic vectors', () => {
  it('cover every tx type once (the off-chain tx twice) and name one channel', () => {
    expect(synthetic.vectors.map(typeOf).sort()).toEqual(
      [
        'channel_close_mutual_tx',
        'channel_close_solo_tx',
        'channel_create_tx',
        'channel_deposit_tx',
        'channel_offchain_tx',
        'channel_offchain_tx',
        'channel_settle_tx',
        'channel_slash_tx',
        'channel_withdraw_tx',
        'spend_tx',
      ].sort(),
    );
    const create = txOf(synthetic.vectors.find((vector) => typeOf(vector) === 'channel_create_tx') as SyntheticVector);
    expect(channelId(create as Parameters<typeof channelId>[0])).toBe(keys.channel_id_ch);
    expect(encode('ch', hex(keys['channel_id_hex(nonce=1)'] as string))).toBe(keys.channel_id_ch);
    expect(encode('ak', hex(keys.initiator_pub_hex as string))).toBe(keys.initiator_ak);
    expect(encode('ak', hex(keys.responder_pub_hex as string))).toBe(keys.responder_ak);
  });

  describe.each(synthetic.vectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const tx = txOf(vector);

    it('serializes its fields to the recorded bytes, tx$ and hash, and decodes back to them', () => {
      expect(toHex(serializeTx(tx))).toBe(vector.unsigned_rlp_hex);
      expect(encodeTx(tx)).toBe(vector.unsigned_tx);
      expect(toHex(blake2b256(serializeTx(tx)))).toBe(vector.unsigned_hash_blake2b256);
      const decoded = decodeTx(vector.unsigned_tx, typeOf(vector));
      expect(decoded).toStrictEqual(deserializeTx(hex(vector.unsigned_rlp_hex), 'unsigned'));
      expect(toHex(serializeTx(decoded))).toBe(vector.unsigned_rlp_hex);
      expect(fromJSON(JSON.parse(JSON.stringify(toJSON(decoded))))).toStrictEqual(decoded);
    });

    it('is signed over its unsigned bytes by the listed signers, sorted, under the v0.14 hash', () => {
      const seeds = { initiator: keys.initiator_seed_hex as string, responder: keys.responder_seed_hex as string };
      const signatures = vector.signers.map((role) => ed25519Sign(seeds[role], hex(vector.unsigned_rlp_hex))).sort();
      expect(signatures).toEqual(vector.signatures_sorted_hex);
      const signed: SignedTx = { type: 'signed_tx', signatures: signatures.map(hex), tx };
      expect(toHex(serializeTx(signed))).toBe(vector.signed_rlp_hex);
      expect(encodeTx(signed)).toBe(vector.signed_tx);
      expect(toHex(blake2b256(serializeTx(signed)))).toBe(vector.signed_hash_blake2b256);
      expect(txHash(signed)).toBe(vector.th_v0_14);
      expect(decodeTx(vector.signed_tx, 'signed_tx')).toStrictEqual(signed);
      const pubkeys = { initiator: keys.initiator_pub_hex as string, responder: keys.responder_pub_hex as string };
      const named = txSigners(tx);
      // deposit, withdraw and close_mutual are signed by the channel's peers, whom the tx does not name
      if (named !== undefined) expect(named.map(toHex).sort()).toEqual(vector.signers.map((role) => pubkeys[role]).sort());
      else expect([typeOf(vector), vector.signers]).toEqual([expect.stringMatching(/^channel_(deposit|withdraw|close_mutual)_tx$/), ['initiator', 'responder']]);
      // a tx serializeTx refuses names no signers either: the same INVALID_FIELD
      const intField = Object.keys(tx).find((key) => typeof (tx as unknown as Record<string, unknown>)[key] === 'bigint') as string;
      const broken = { ...tx, [intField]: -1n } as UnsignedTx;
      expect(thrown(TxError, () => serializeTx(broken)).code).toBe('INVALID_FIELD');
      expect(thrown(TxError, () => txSigners(broken)).context).toEqual({ path: intField });
    });
  });

  it('the legacy 7-field close_mutual: the same close with `from`, read and written as is', () => {
    const v014 = synthetic.vectors.find((vector) => typeOf(vector) === 'channel_close_mutual_tx') as SyntheticVector;
    const legacy = deserializeTx(hex(synthetic.legacy_close_mutual_7field_unsigned_rlp_hex), 'channel_close_mutual_tx');
    expect(legacy).toStrictEqual({ ...txOf(v014), from: hex(keys.initiator_pub_hex as string) });
    expect(toHex(serializeTx(legacy))).toBe(synthetic.legacy_close_mutual_7field_unsigned_rlp_hex);
  });
});

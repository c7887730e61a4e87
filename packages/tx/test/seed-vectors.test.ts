import { parse } from '@aesc/encoding';
import { blake2b256, channelId, decodeTx, serializeTx, serializeUnsigned, type Tx, toJSON, txHash } from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { hex, seedVectors, toHex } from '../../../test/support/vectors.js';

/** Every `$` value of the seed document (fixtures/vectors/seed-vectors.json). */
describe('seed document values', () => {
  it('has all 24 values', () => {
    expect(seedVectors).toHaveLength(24);
  });

  describe.each(seedVectors.map((vector, index) => [`${index} ${vector.encoded.slice(0, 16)}`, vector] as const))('%s', (_name, vector) => {
    it('decodes with a valid checksum to the recorded payload', () => {
      const { prefix, bytes } = parse(vector.encoded);
      expect(prefix).toBe(vector.prefix);
      expect(bytes).toHaveLength(vector.payload_len);
      expect(toHex(bytes)).toBe(vector.payload_hex ?? vector.rlp_hex);
    });

    if (vector.prefix === 'tx') {
      it('decodes as a tx that re-encodes to the same bytes and hashes as recorded', () => {
        const tx = decodeTx(vector.encoded);
        expect(tx.type).toBe(vector.type?.replace(' (legacy 7-field)', ''));
        expect(toHex(serializeTx(tx))).toBe(vector.rlp_hex);
        expect(toHex(blake2b256(serializeTx(tx)))).toBe(vector.blake2b256_of_this_serialization);
        if (tx.type === 'signed_tx') {
          expect(toHex(blake2b256(serializeUnsigned(tx.tx)))).toBe(vector.fields?.transaction?.blake2b256_unsigned);
        }
      });
    }

    if (vector.matches !== undefined) {
      const [source, rule] = vector.matches;
      it(`is the hash of ${source}… under the ${rule} rule`, () => {
        const tx = decodeTx(seedVectors.find((candidate) => candidate.encoded.startsWith(source))?.encoded ?? '');
        expect(rule).toBe('unsigned');
        expect(tx.type).not.toBe('signed_tx');
        expect(txHash(tx)).toBe(vector.encoded);
      });
    }

    const derivation = vector.channel_id_derivation;
    if (derivation !== undefined) {
      it('has the channel id of its recorded initiator, nonce and responder', () => {
        const id = channelId({ initiator: hex(derivation.initiator), nonce: BigInt(derivation.nonce), responder: hex(derivation.responder) });
        const idBytes = toHex(parse(id, 'ch').bytes);
        if (vector.prefix === 'ch') {
          expect(id).toBe(vector.encoded);
        } else {
          const tx = decodeTx(vector.encoded);
          const inner: Tx = tx.type === 'signed_tx' ? tx.tx : tx;
          expect(toHex((inner as { channel_id: Uint8Array }).channel_id)).toBe(idBytes);
        }
      });
    }
  });

  it('reads the seed’s legacy close_mutual with its from field and the seed’s th$', () => {
    const closeMutual = decodeTx(
      'tx$2C9etiP9wZr2iQVj6BUYk5sxHVNgcVhK4ngwv7fjsnnj2S1przQggcqyfhfJGgMPkpzoDfBZM7SyxVQykUCHvJw2N7E5gWSMuiuGjL4fYYUAXkEeyJygCAqKiszgqz8RuBDAfyCX44SsC5Ev1KU84jkui5EVxb',
      'channel_close_mutual_tx',
    );
    expect('from' in closeMutual).toBe(true);
    expect(toJSON(closeMutual).fields).toMatchObject({ initiator_amount: '6', responder_amount: '3', ttl: '1000', fee: '1', nonce: '3' });
    expect(txHash(closeMutual)).toBe('th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP');
  });
});

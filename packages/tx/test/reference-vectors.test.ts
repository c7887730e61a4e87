import { EncodingError, parse } from '@aesc/encoding';
import {
  channelId,
  decodeTx,
  deserializeTx,
  encodeTx,
  fromJSON,
  serializeTx,
  type Tx,
  TxError,
  type TxErrorCode,
  toJSON,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { hex, referenceVectors, toHex, vectorTx } from '../../../test/support/vectors.js';

const { vectors, negative_vectors: negativeVectors, channels } = referenceVectors;

describe('reference vectors (epoch v0.14.0 serialization code)', () => {
  it('has every vector of the file', () => {
    expect(vectors).toHaveLength(103);
    expect(negativeVectors).toHaveLength(90);
  });

  describe.each(vectors.map((vector) => [vector.id, vector] as const))('%s', (_id, vector) => {
    const tx = vectorTx(vector) as unknown as UnsignedTx;
    const signed: Tx = { type: 'signed_tx', signatures: vector.signed.signatures.map(hex), tx };

    it('serializes its fields to exactly unsigned.hex and encodes to unsigned.tx', () => {
      expect(toHex(serializeTx(tx))).toBe(vector.unsigned.hex);
      expect(encodeTx(tx)).toBe(vector.unsigned.tx);
    });

    it('decodes unsigned.hex and unsigned.tx back to the same fields', () => {
      expect(deserializeTx(hex(vector.unsigned.hex), 'unsigned')).toEqual(tx);
      expect(decodeTx(vector.unsigned.tx)).toEqual(tx);
    });

    it('serializes the signed envelope to signed.hex and signed.tx, and hashes to signed.th', () => {
      expect(toHex(serializeTx(signed))).toBe(vector.signed.hex);
      expect(encodeTx(signed)).toBe(vector.signed.tx);
      expect(txHash(signed)).toBe(vector.signed.th);
      expect(toHex(parse(vector.signed.th, 'th').bytes)).toBe(vector.signed.hash);
    });

    it('sorts signatures given in signer order', () => {
      const unsorted: Tx = { type: 'signed_tx', signatures: vector.signed.signatures_signer_order.map(hex), tx };
      expect(toHex(serializeTx(unsorted))).toBe(vector.signed.hex);
    });

    it('decodes signed.tx back to the same envelope', () => {
      expect(decodeTx(vector.signed.tx, 'signed_tx')).toEqual(signed);
    });

    it('survives the JSON form both ways', () => {
      const json = JSON.parse(JSON.stringify(toJSON(signed)));
      expect(fromJSON(json)).toEqual(signed);
    });

    if (vector.channel !== undefined) {
      const expected = vector.channel;
      it('gives the reference channel id', () => {
        const create = tx as Extract<UnsignedTx, { type: 'channel_create_tx' }>;
        expect(channelId({ initiator: create.initiator, nonce: create.nonce, responder: create.responder })).toBe(expected.ch);
      });
    }

    if (vector.payload_from !== undefined) {
      const payloadVector = vectors.find((candidate) => candidate.id === vector.payload_from);
      it('carries the signed off-chain state of its payload_from vector', () => {
        const payload = (tx as { payload: Uint8Array }).payload;
        expect(toHex(payload)).toBe(payloadVector?.signed.hex);
        expect(deserializeTx(payload, 'signed_tx').tx.type).toBe('channel_offchain_tx');
      });
    }
  });

  it('gives the channel ids of channels[] from their create vectors', () => {
    for (const channel of channels) {
      const create = vectors.find((vector) => vector.id === channel.create_vector);
      const nonce = BigInt(create?.fields.find((field) => field.name === 'nonce')?.value as string);
      expect(channelId({ initiator: hex(channel.initiator), nonce, responder: hex(channel.responder) })).toBe(channel.ch);
    }
  });
});

/**
 * What we answer to each malformed input. The reference's verdict is in the file; where it
 * accepts a non-canonical form (re-encoding gives other bytes) or a key/signature of a size no
 * key has, we reject (DESIGN.md decision 3), and say with which code.
 */
const NEGATIVE_EXPECTATIONS: Record<string, TxErrorCode | EncodingError['code'] | 'accept'> = {
  'neg/wrong_tag/unknown_tag_99': 'UNKNOWN_TAG',
  'neg/wrong_tag/deposit_tag_on_create_fields': 'WRONG_FIELD_COUNT',
  // Fields are read in order: the 4th (initiator) holds responder_amount's bytes.
  'neg/wrong_tag/offchain_tag_on_create_fields': 'WRONG_FIELD_SIZE',
  'neg/wrong_tag/channel_object_tag_58': 'UNKNOWN_TAG',
  'neg/wrong_tag/signed_tx_tag_11': 'WRONG_TAG',
  'neg/wrong_tag/withdraw_tag_on_deposit': 'accept',
  'neg/wrong_tag/deposit_tag_on_withdraw': 'accept',
  'neg/wrong_tag/slash_tag_on_close_solo': 'accept',
  'neg/wrong_tag/tag_leading_zero': 'NON_CANONICAL_INT',
  'neg/wrong_tag/tag_empty_string': 'NON_CANONICAL_INT',
  'neg/wrong_vsn/vsn_2': 'WRONG_VERSION',
  'neg/wrong_vsn/vsn_0': 'WRONG_VERSION',
  'neg/wrong_vsn/vsn_leading_zero': 'NON_CANONICAL_INT',
  'neg/wrong_vsn/offchain_vsn_2': 'WRONG_VERSION',
  'neg/wrong_vsn/spend_vsn_2': 'WRONG_VERSION',
  'neg/missing_field/create_last': 'WRONG_FIELD_COUNT',
  'neg/missing_field/create_middle': 'WRONG_FIELD_COUNT',
  'neg/missing_field/only_tag_and_vsn': 'WRONG_FIELD_COUNT',
  'neg/missing_field/only_tag': 'WRONG_FIELD_COUNT',
  'neg/missing_field/offchain_no_state': 'WRONG_FIELD_COUNT',
  'neg/extra_field/create_int': 'WRONG_FIELD_COUNT',
  'neg/extra_field/create_empty_binary': 'WRONG_FIELD_COUNT',
  'neg/extra_field/spend_empty_list': 'WRONG_FIELD_COUNT',
  'neg/int/fee_leading_zero': 'NON_CANONICAL_INT',
  'neg/int/amount_leading_zero': 'NON_CANONICAL_INT',
  'neg/int/amount_two_leading_zeros': 'NON_CANONICAL_INT',
  'neg/int/zero_as_two_zero_bytes': 'NON_CANONICAL_INT',
  'neg/int/zero_as_empty_string': 'NON_CANONICAL_INT',
  'neg/int/zero_canonical_00': 'accept',
  'neg/rlp/single_byte_with_prefix': 'NON_CANONICAL_RLP',
  'neg/rlp/short_int_long_form': 'NON_CANONICAL_RLP',
  'neg/rlp/pubkey_long_form_length': 'NON_CANONICAL_RLP',
  'neg/rlp/pubkey_length_leading_zero': 'NON_CANONICAL_RLP',
  'neg/rlp/outer_list_length_leading_zero': 'NON_CANONICAL_RLP',
  'neg/rlp/outer_list_short_form_for_long': 'TRUNCATED',
  'neg/rlp/empty_list_long_form': 'NON_CANONICAL_RLP',
  'neg/framing/trailing_zero_byte': 'TRAILING_BYTES',
  'neg/framing/trailing_copy': 'TRAILING_BYTES',
  'neg/framing/trailing_empty_list': 'TRAILING_BYTES',
  'neg/framing/truncated_last_byte': 'TRUNCATED',
  'neg/framing/truncated_half': 'TRUNCATED',
  'neg/framing/length_overstated': 'TRUNCATED',
  'neg/framing/empty_input': 'EMPTY_INPUT',
  'neg/framing/top_level_string': 'EXPECTED_LIST',
  'neg/framing/nested_list': 'WRONG_FIELD_COUNT',
  'neg/type/list_for_pubkey': 'EXPECTED_BYTES',
  'neg/type/empty_list_for_channel_id': 'EXPECTED_BYTES',
  'neg/type/list_for_int': 'EXPECTED_BYTES',
  'neg/type/list_for_payload': 'EXPECTED_BYTES',
  'neg/type/pubkey_31_bytes': 'WRONG_FIELD_SIZE',
  'neg/type/pubkey_33_bytes': 'WRONG_FIELD_SIZE',
  'neg/type/pubkey_empty': 'WRONG_FIELD_SIZE',
  'neg/type/channel_id_1_byte': 'WRONG_FIELD_SIZE',
  'neg/updates/binary_for_list': 'EXPECTED_LIST',
  'neg/updates/entry_is_binary': 'EXPECTED_LIST',
  'neg/updates/entry_2_items': 'WRONG_FIELD_COUNT',
  'neg/updates/entry_4_items': 'WRONG_FIELD_COUNT',
  'neg/updates/amount_leading_zero': 'NON_CANONICAL_INT',
  'neg/updates/amount_empty_string': 'NON_CANONICAL_INT',
  'neg/updates/from_as_list': 'EXPECTED_BYTES',
  'neg/updates/state_as_list': 'EXPECTED_BYTES',
  'neg/signed/control': 'accept',
  'neg/signed/vsn_2': 'WRONG_VERSION',
  'neg/signed/tag_12': 'WRONG_TAG',
  'neg/signed/unsigned_tx_input': 'WRONG_TAG',
  'neg/signed/signed_tx_to_unsigned_decoder': 'WRONG_TAG',
  'neg/signed/signatures_binary': 'EXPECTED_LIST',
  'neg/signed/signature_as_list': 'EXPECTED_BYTES',
  'neg/signed/transaction_as_list': 'EXPECTED_BYTES',
  'neg/signed/unsorted_signatures': 'NON_CANONICAL_ORDER',
  // Byte-canonical: decodes; `verifySignedTx` then reports the signature left over.
  'neg/signed/duplicate_signature': 'accept',
  // Byte-canonical: decodes; verification fails for want of signatures.
  'neg/signed/no_signatures': 'accept',
  'neg/signed/signature_63_bytes': 'WRONG_FIELD_SIZE',
  'neg/signed/nested_signed_tx': 'WRONG_TAG',
  'neg/signed/inner_trailing_byte': 'TRAILING_BYTES',
  'neg/signed/inner_int_leading_zero': 'NON_CANONICAL_INT',
  'neg/signed/inner_noncanonical_int': 'NON_CANONICAL_RLP',
  'neg/signed/inner_noncanonical_pubkey': 'NON_CANONICAL_RLP',
  'neg/signed/inner_zero_as_empty': 'NON_CANONICAL_INT',
  'neg/signed/outer_trailing_byte': 'TRAILING_BYTES',
  'neg/signed/missing_transaction': 'WRONG_FIELD_COUNT',
  'neg/signed/extra_field': 'WRONG_FIELD_COUNT',
  'neg/signed/vsn_leading_zero': 'NON_CANONICAL_INT',
  'neg/b58/control': 'accept',
  'neg/b58/bad_checksum': 'BAD_CHECKSUM',
  'neg/b58/unknown_prefix': 'UNKNOWN_PREFIX',
  'neg/b58/no_separator': 'MISSING_PREFIX',
  // The reference's generic decode does not check the kind; a th$ payload is 32 bytes, so a
  // tx's worth of characters is refused before any base58 work.
  'neg/b58/th_prefix_on_tx': 'INPUT_TOO_LONG',
  'neg/b58/invalid_char_zero': 'INVALID_CHARACTER',
  'neg/b58/empty_body': 'EMPTY_INPUT',
};

function runDecoder(vector: (typeof negativeVectors)[number]): unknown {
  switch (vector.decoder) {
    case 'unsigned_tx':
      return deserializeTx(hex(vector.input_hex ?? ''), 'unsigned');
    case 'signed_tx':
      return deserializeTx(hex(vector.input_hex ?? ''), 'signed_tx');
    case 'base58check':
      return parse(vector.input ?? '');
  }
}

describe('negative reference vectors', () => {
  it('has an expectation for every vector, and no other', () => {
    expect(Object.keys(NEGATIVE_EXPECTATIONS).sort()).toEqual(negativeVectors.map((vector) => vector.id).sort());
  });

  describe.each(negativeVectors.map((vector) => [vector.id, vector] as const))('%s', (id, vector) => {
    const expected = NEGATIVE_EXPECTATIONS[id];
    if (expected === 'accept') {
      it(`is accepted (reference: ${vector.result}), and re-encodes to the same bytes`, () => {
        expect(vector.result).toBe('accepted');
        const decoded = runDecoder(vector);
        if (vector.decoder !== 'base58check') {
          expect(toHex(serializeTx(decoded as Tx))).toBe(vector.input_hex);
        }
      });
    } else {
      it(`is rejected with ${expected} (reference: ${vector.result})`, () => {
        // Whatever the reference accepted here was non-canonical or of an impossible size.
        if (vector.result === 'accepted') expect(vector.category).not.toBe('control');
        let thrown: unknown;
        try {
          runDecoder(vector);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(vector.decoder === 'base58check' ? EncodingError : TxError);
        expect((thrown as TxError).code).toBe(expected);
      });
    }
  });
});

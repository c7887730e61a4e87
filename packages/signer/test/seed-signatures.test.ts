import { decodeTx, type SignedTx } from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { hex, seedVectors, toHex } from '../../../test/support/vectors.js';
import { legacyVerifier, verifyLegacySignature } from '../src/legacy.js';
import { verifySignedTx } from '../src/node.js';
import * as browserImplementation from '../src/browser.js';

const signedSeedTxs = seedVectors.filter((vector) => vector.type === 'signed_tx');

describe('signatures of the seed document', () => {
  it('has the 10 signed txs of the seed', () => {
    expect(signedSeedTxs).toHaveLength(10);
  });

  describe.each(signedSeedTxs.map((vector) => [vector.encoded.slice(0, 22), vector] as const))('%s', (_name, vector) => {
    const signatures = vector.fields?.signatures ?? [];
    const keys = signatures.map((signature) => hex(signature.verifies_with[0]?.pubkey ?? ''));

    it.each([
      ['node:crypto', verifySignedTx],
      ['@noble/ed25519', browserImplementation.verifySignedTx],
    ] as const)('every signature verifies with the key recorded for it (%s)', async (_backend, verify) => {
      const signed = decodeTx(vector.encoded, 'signed_tx') as SignedTx;
      const result = await verify(signed, keys, { legacy: legacyVerifier });
      expect(result.valid).toBe(true);
      expect(result.signers.map((entry) => toHex(entry.signature ?? new Uint8Array()))).toEqual(signatures.map((signature) => signature.sig_hex));
      // …and with no other: each key's signature fails under the other key.
      if (keys.length === 1) {
        const other = await verify(signed, [keys[0]?.length === 65 ? otherLegacyKey(keys[0]) : new Uint8Array(32).fill(1)], { legacy: legacyVerifier });
        expect(other.valid).toBe(false);
      }
    });
  });

  it('accepts the high-S legacy signature of tx$2veehmVabgjjKYWnuHy…', async () => {
    const vector = signedSeedTxs.find((candidate) => candidate.encoded.startsWith('tx$2veehmVabgjjKYWnuHy'));
    const signed = decodeTx(vector?.encoded ?? '', 'signed_tx');
    const [signature] = signed.signatures;
    const key = hex(vector?.fields?.signatures?.[0]?.verifies_with[0]?.pubkey ?? '');
    const { serializeUnsigned } = await import('@aesc/tx');
    expect(verifyLegacySignature(signature ?? new Uint8Array(), serializeUnsigned(signed.tx), key)).toBe(true);
  });

  it('takes the legacy key in its 65-byte form only (WIRE.md §6.3): the same signature under the compressed key is false', async () => {
    const vector = signedSeedTxs.find((candidate) => candidate.encoded.startsWith('tx$2veehmVabgjjKYWnuHy'));
    const signed = decodeTx(vector?.encoded ?? '', 'signed_tx');
    const [signature] = signed.signatures;
    const key = hex(vector?.fields?.signatures?.[0]?.verifies_with[0]?.pubkey ?? '');
    const { serializeUnsigned } = await import('@aesc/tx');
    const compressed = Uint8Array.of(2 + ((key[64] as number) & 1), ...key.subarray(1, 33));
    expect(verifyLegacySignature(signature ?? new Uint8Array(), serializeUnsigned(signed.tx), key)).toBe(true);
    expect(verifyLegacySignature(signature ?? new Uint8Array(), serializeUnsigned(signed.tx), compressed)).toBe(false);
  });

  it('rejects malformed legacy input without throwing', () => {
    expect(verifyLegacySignature(new Uint8Array(70), new Uint8Array(1), new Uint8Array(65))).toBe(false);
    const notOnCurve = new Uint8Array(65).fill(0xff);
    notOnCurve[0] = 4;
    const der = hex('3006020101020101');
    expect(verifyLegacySignature(der, new Uint8Array(1), notOnCurve)).toBe(false);
  });
});

/** Another valid legacy key of the seed, to check that a signature verifies with its own key only. */
function otherLegacyKey(key: Uint8Array): Uint8Array {
  const candidates = seedVectors.filter((vector) => vector.prefix === 'ak' && vector.payload_len === 65);
  const other = candidates.find((vector) => vector.payload_hex !== toHex(key));
  return hex(other?.payload_hex ?? '');
}

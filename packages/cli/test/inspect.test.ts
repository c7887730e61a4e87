import { EncodingError, encode } from '@aesc/encoding';
import { createSigner, signTx } from '@aesc/signer';
import { decodeTx, deserializeTx, encodeTx, fromJSON, serializeTx, type SignedTx, type UnsignedTx } from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { hex, referenceVectors, seedVectors, toHex, vectorTx } from '../../../test/support/vectors.js';
import { thrown } from '../../../test/support/errors.js';
import { formatValueReport } from '../src/format.js';
import {
  checkSignatures,
  type EncodedValueReport,
  inspectTx,
  inspectValue,
  MAX_PAYLOAD_DEPTH,
  type PayloadReport,
  type SignedTxReport,
  type UnsignedTxReport,
} from '../src/inspect.js';

const { vectors, keys, channels } = referenceVectors;
const byId = new Map(vectors.map((vector) => [vector.id, vector]));
const akOf = (publicKeyHex: string) => encode('ak', hex(publicKeyHex));
const CHANNEL_SIGNED = new Set(['channel_deposit_tx', 'channel_withdraw_tx', 'channel_close_mutual_tx']);

function signedReport(report: unknown): SignedTxReport {
  expect((report as SignedTxReport).type).toBe('signed_tx');
  return report as SignedTxReport;
}

describe('inspect: every reference vector (epoch v0.14.0 bytes)', () => {
  it('covers the whole file', () => {
    expect(vectors).toHaveLength(103);
  });

  describe.each(vectors.map((vector) => [vector.id, vector] as const))('%s', (_id, vector) => {
    it('reports the unsigned tx: its JSON form, the unsigned hash, the channel id of a create', async () => {
      const report = (await inspectValue(vector.unsigned.tx)) as UnsignedTxReport;
      const tx = vectorTx(vector) as unknown as UnsignedTx;
      expect(report.type).toBe(vector.type);
      expect(report.tag).toBe(vector.tag);
      expect(report.vsn).toBe(vector.vsn);
      expect(Object.keys(report.fields)).toEqual(vector.fields.map((field) => field.name));
      expect(fromJSON(report)).toEqual(tx);
      expect(report.hash).toBe(encode('th', hex(vector.unsigned.blake2b_256)));
      if (vector.type === 'channel_create_tx') {
        expect(report.channel_id).toBe(vector.channel?.ch);
      } else {
        expect(report.channel_id).toBeUndefined();
      }
      // The JSON that inspect prints is what build reads back.
      expect(encodeTx(fromJSON(JSON.parse(JSON.stringify(report))))).toBe(vector.unsigned.tx);
      // The text says the same: every field value, the hash, the channel id.
      const text = formatValueReport(report);
      for (const value of Object.values(report.fields)) {
        for (const shown of typeof value === 'string' ? [value] : value.flatMap((update) => [update.from, update.to, update.amount])) {
          expect(text).toContain(shown);
        }
      }
      expect(text).toContain(report.hash);
      if (report.channel_id !== undefined) expect(text).toContain(report.channel_id);
    });

    it('reports the signed tx: v0.14 hash, each signature with its signer, the verdict', async () => {
      const signerKeys = vector.signers.map(akOf);
      const withoutCandidates = signedReport(await inspectValue(vector.signed.tx));
      expect(withoutCandidates.hash).toBe(vector.signed.th);
      expect(withoutCandidates.tx.hash).toBe(encode('th', hex(vector.unsigned.blake2b_256)));
      expect(withoutCandidates.signatures.map((entry) => entry.signature)).toEqual(vector.signed.signatures.map((signature) => encode('sg', hex(signature))));
      if (CHANNEL_SIGNED.has(vector.type)) {
        // The tx does not name its signers: no verdict without candidates.
        expect(withoutCandidates.signers).toBeNull();
      } else {
        expect(withoutCandidates.signers?.map((entry) => entry.signer)).toEqual(signerKeys);
        expect(withoutCandidates.signers?.every((entry) => entry.signature !== null)).toBe(true);
        expect(withoutCandidates.signatures.every((entry) => entry.valid)).toBe(true);
      }
      const report = signedReport(await inspectValue(vector.signed.tx, { signers: signerKeys }));
      expect(report.signers?.map((entry) => entry.signer)).toEqual(signerKeys);
      // Each signature verifies against the signer that made it (signatures are in signer order there).
      const expectedSigner = new Map(
        vector.signed.signatures_signer_order.map((signature, index) => [encode('sg', hex(signature)), signerKeys[index]]),
      );
      for (const entry of report.signatures) {
        expect(entry.valid).toBe(true);
        expect(entry.signer).toBe(expectedSigner.get(entry.signature));
      }
      expect(encodeTx(fromJSON(JSON.parse(JSON.stringify(report))))).toBe(vector.signed.tx);
      // The text gives each hash with its own rule: the signed tx's v0.14 th$, the inner tx's older one.
      const text = formatValueReport(report, { signers: signerKeys });
      expect(text).toMatch(new RegExp(`^signed_tx \\(tag 11, vsn ${report.vsn}\\)$`, 'm'));
      expect(text).toContain(`${report.hash}  (of the signed tx: the v0.14 th$)`);
      expect(text).toContain(`${report.tx.hash}  (of the unsigned tx: the th$ rule before 2018-05-16)`);
      expect(text).not.toContain(`${report.hash}  (of the unsigned tx`);
      for (const entry of report.signatures) expect(text).toContain(`verifies with ${entry.signer}`);
      expect(text).toMatch(new RegExp(`verdict +valid: all ${signerKeys.length} signer\\(s\\) signed, no signature left over`));
    });

    if (vector.type === 'channel_close_solo_tx' || vector.type === 'channel_slash_tx') {
      it('decodes the payload when it is a signed tx, and reports the bytes otherwise', async () => {
        const report = (await inspectValue(vector.unsigned.tx)) as UnsignedTxReport;
        const payload = report.payload_tx as PayloadReport;
        if (vector.payload_from === undefined) {
          expect('error' in payload).toBe(true);
          if ('error' in payload) expect(payload.note).toContain('payload_deserialization_failed');
        } else {
          const source = byId.get(vector.payload_from);
          expect(payload).toEqual(await inspectValue(source?.signed.tx ?? ''));
          expect('note' in payload).toBe(false);
        }
      });
    }
  });

  it('gives every channel of the file its id', async () => {
    for (const channel of channels) {
      const create = byId.get(channel.create_vector);
      const report = (await inspectValue(create?.unsigned.tx ?? '')) as UnsignedTxReport;
      expect(report.channel_id).toBe(channel.ch);
    }
  });
});

describe('inspect: every $ value of the seed', () => {
  const signedSeed = seedVectors.filter((vector) => vector.type === 'signed_tx');

  it('has the seed file', () => {
    expect(seedVectors).toHaveLength(24);
    expect(signedSeed).toHaveLength(10);
  });

  it.each(seedVectors.map((vector) => [vector.encoded.slice(0, 16), vector] as const))('%s decodes to its recorded bytes', async (_name, vector) => {
    const report = await inspectValue(vector.encoded);
    if (vector.prefix === 'tx') {
      const tx = decodeTx(vector.encoded);
      expect(toHex(serializeTx(tx))).toBe(vector.rlp_hex);
      expect(report.type).toBe(tx.type);
      expect((report as UnsignedTxReport).hash).toBe(encode('th', hex(vector.blake2b256_of_this_serialization ?? '')));
    } else {
      expect((report as EncodedValueReport).hex).toBe(vector.payload_hex);
      expect((report as EncodedValueReport).size).toBe(vector.payload_len);
    }
  });

  it.each(signedSeed.map((vector) => [vector.encoded.slice(0, 16), vector] as const))(
    '%s: every signature verifies with the key the seed records (ed25519 and legacy secp256k1)',
    async (_name, vector) => {
      const signatures = vector.fields?.signatures ?? [];
      const recorded = signatures.map((signature) => signature.verifies_with[0]?.pubkey ?? '');
      const report = signedReport(await inspectValue(vector.encoded, { signers: recorded.map(akOf) }));
      expect(report.signatures).toHaveLength(signatures.length);
      signatures.forEach((signature, index) => {
        expect(report.signatures[index]?.signature).toBe(encode('sg', hex(signature.sig_hex)));
        expect(report.signatures[index]?.signer).toBe(akOf(recorded[index] ?? ''));
        expect(report.signatures[index]?.valid).toBe(true);
      });
      // Keys given as bytes, 65-byte legacy ones included, name the same signers.
      expect(await inspectValue(vector.encoded, { signers: recorded.map(hex) })).toEqual(report);
    },
  );

  it('reproduces both th$ of the seed from the unsigned txs they hash (the rule before 2018-05-16)', async () => {
    const hashes = seedVectors.filter((vector) => vector.prefix === 'th');
    expect(hashes).toHaveLength(2);
    for (const hash of hashes) {
      const [prefixOfTx] = hash.matches ?? [''];
      const tx = seedVectors.find((vector) => vector.encoded.startsWith(prefixOfTx));
      const report = (await inspectValue(tx?.encoded ?? '')) as UnsignedTxReport;
      expect(report.hash).toBe(hash.encoded);
    }
  });

  it('shows the legacy close_mutual with from, and its hash is the seed th$', async () => {
    const closeMutual = seedVectors.find((vector) => vector.type === 'channel_close_mutual_tx (legacy 7-field)');
    const report = (await inspectValue(closeMutual?.encoded ?? '')) as UnsignedTxReport;
    expect(report.type).toBe('channel_close_mutual_tx');
    expect(Object.keys(report.fields)).toEqual(['channel_id', 'from', 'initiator_amount', 'responder_amount', 'ttl', 'fee', 'nonce']);
    expect(report.hash).toBe('th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP');
    expect(formatValueReport(report)).toContain('legacy 7-field layout with from');
    const current = await inspectValue(byId.get('channel_close_mutual_tx/typical')?.unsigned.tx ?? '');
    expect(formatValueReport(current)).toMatch(/^channel_close_mutual_tx \(tag 53, vsn 1\)$/m);
  });

  it('tells ed25519 keys from legacy secp256k1 ones', async () => {
    const ed25519 = seedVectors.find((vector) => vector.key_type === 'ed25519');
    const legacy = seedVectors.find((vector) => vector.key_type === 'secp256k1-uncompressed');
    expect(await inspectValue(ed25519?.encoded ?? '')).toMatchObject({ type: 'account_pubkey', prefix: 'ak', size: 32, algorithm: 'ed25519' });
    expect(await inspectValue(legacy?.encoded ?? '')).toMatchObject({ type: 'account_pubkey', prefix: 'ak', size: 65, algorithm: 'secp256k1' });
  });

  it('tells ed25519 signatures from legacy DER ones', async () => {
    const signatures = signedSeed.flatMap((vector) => vector.fields?.signatures ?? []);
    const algorithms = new Set(signatures.map((signature) => signature.verifies_with[0]?.alg));
    expect(algorithms).toEqual(new Set(['ed25519', 'secp256k1-ecdsa-sha256-der']));
    for (const signature of signatures) {
      const algorithm = signature.verifies_with[0]?.alg === 'ed25519' ? 'ed25519' : 'secp256k1-der';
      const report = await inspectValue(encode('sg', hex(signature.sig_hex)));
      expect(report).toMatchObject({ type: 'signature', prefix: 'sg', size: signature.len, algorithm });
      expect(formatValueReport(report)).toContain(algorithm === 'ed25519' ? '(ed25519)' : '(legacy secp256k1 DER ECDSA');
    }
  });
});

describe('inspect: signatures', () => {
  const create = byId.get('channel_create_tx/typical');
  const createTx = decodeTx(create?.unsigned.tx ?? '', 'channel_create_tx');
  const keyOf = async (name: string) => createSigner(hex(keys.find((key) => key.name === name)?.seed_hex ?? ''));

  it('names a signature made by a key that is no signer, and counts it as left over', async () => {
    const [k0, k1, k2] = await Promise.all([keyOf('k0'), keyOf('k1'), keyOf('k2')]);
    let signed: SignedTx = await signTx(createTx, k0);
    signed = await signTx(signed, k1);
    signed = await signTx(signed, k2);
    const unknown = await checkSignatures(signed, {});
    expect(unknown.valid).toBe(false);
    expect(unknown.signatures.filter((entry) => entry.signer === null)).toHaveLength(1);
    expect(unknown.signatures.map((entry) => entry.valid)).toEqual(unknown.signatures.map((entry) => entry.signer !== null));
    const named = await checkSignatures(signed, { candidates: [k2.publicKey] });
    expect(named.valid).toBe(false);
    expect(named.signatures.map((entry) => entry.signer).sort()).toEqual([k0.address, k1.address, k2.address].sort());
    expect(formatValueReport(await inspectTx(signed))).toContain('1 signature(s) left over');
  });

  it('reports a missing signer', async () => {
    const k1 = await keyOf('k1');
    const report = signedReport(await inspectTx(await signTx(createTx, k1)));
    expect(report.signers?.map((entry) => entry.signature === null)).toEqual([true, false]);
    expect(formatValueReport(report)).toMatch(/INVALID: no signature of ak\$\S+ \(initiator\)/);
  });

  it('reports a missing signer and a signature left over together', async () => {
    const [k0, k1, k2] = await Promise.all([keyOf('k0'), keyOf('k1'), keyOf('k2')]);
    const report = signedReport(await inspectTx(await signTx(await signTx(createTx, k1), k2)));
    expect(report.signatures).toHaveLength(2);
    expect(formatValueReport(report)).toContain(`INVALID: no signature of ${k0.address} (initiator); 1 signature(s) left over`);
  });

  it('names the signer of a signature left over when the tx names its key', async () => {
    const [k0, k1, k2] = await Promise.all([keyOf('k0'), keyOf('k1'), keyOf('k2')]);
    // Checked against k0 and k2, the responder's (k1's) signature is left over, and still named.
    const signed = await signTx(await signTx(createTx, k0), k1);
    const check = await checkSignatures(signed, { signers: [k0.publicKey, k2.publicKey] });
    expect(check.valid).toBe(false);
    expect(check.signatures.map((entry) => entry.signer).sort()).toEqual([k0.address, k1.address].sort());
    // A deposit without candidates: its `from` is the only key it names, and its signature is named.
    const deposit = decodeTx(byId.get('channel_deposit_tx/typical')?.signed.tx ?? '', 'signed_tx');
    const from = encode('ak', (deposit.tx as { from: Uint8Array }).from);
    const report = signedReport(await inspectTx(deposit));
    expect(report.signers).toBeNull();
    expect(report.signatures.map((entry) => entry.signer)).toContain(from);
    expect(report.signatures.filter((entry) => entry.signer === null)).toHaveLength(report.signatures.length - 1);
    expect(formatValueReport(report)).toContain(`verifies with ${from} (from)`);
  });

  it('takes signers and candidates as inspectValue does (ak$ or bytes), and names a bad one', async () => {
    const [k0, k1, k2] = await Promise.all([keyOf('k0'), keyOf('k1'), keyOf('k2')]);
    const signed = await signTx(await signTx(await signTx(createTx, k0), k1), k2);
    const check = await checkSignatures(signed, { candidates: [k2.address] });
    expect(check.signatures.map((entry) => entry.signer).sort()).toEqual([k0.address, k1.address, k2.address].sort());
    expect(await checkSignatures(signed, { signers: [k0.address, k1.address, k2.address] })).toEqual(
      await checkSignatures(signed, { signers: [k0.publicKey, k1.publicKey, k2.publicKey] }),
    );
    await expect(checkSignatures(signed, { candidates: [null as never] })).rejects.toThrow(
      new TypeError('options.candidates[0] must be an ak$ string or a 32/65-byte Uint8Array, got null'),
    );
    await expect(checkSignatures(signed, { candidates: 'ak$' as never })).rejects.toThrow(/^options\.candidates must be an array/);
    await expect(checkSignatures(signed, { signers: [k0.publicKey.subarray(1)] })).rejects.toThrow(/^options\.signers\[0\] must be/);
    await expect(checkSignatures(signed, null as never)).rejects.toThrow(/^options must be an object, got null/);
  });

  it('names every field that holds the signing key', async () => {
    const selfSpend = byId.get('spend_tx/self_spend');
    const report = signedReport(await inspectValue(selfSpend?.signed.tx ?? ''));
    const sender = report.tx.fields.sender as string;
    expect(report.tx.fields.recipient).toBe(sender);
    expect(formatValueReport(report)).toContain(`verifies with ${sender} (sender, recipient)`);
  });

  it('rejects a --signers key that is not one when formatting', async () => {
    const report = await inspectValue(byId.get('spend_tx/typical')?.signed.tx ?? '');
    expect(thrown(EncodingError, () => formatValueReport(report, { signers: ['ak$garbage'] })).code).toBe('BAD_CHECKSUM');
  });

  it('uses the candidates as the signers of a deposit', async () => {
    const deposit = byId.get('channel_deposit_tx/typical');
    const [k0, k1] = await Promise.all([keyOf('k0'), keyOf('k1')]);
    const tx = decodeTx(deposit?.signed.tx ?? '', 'signed_tx');
    expect((await checkSignatures(tx, { candidates: [k0.publicKey, k1.publicKey] })).valid).toBe(true);
    expect((await checkSignatures(tx, { candidates: [k0.publicKey] })).valid).toBe(false);
    expect((await checkSignatures(tx, {})).valid).toBeNull();
  });
});

describe('inspect: payloads the reference accepts but a node rejects', () => {
  const solo = byId.get('channel_close_solo_tx/typical');
  const soloTx = decodeTx(solo?.unsigned.tx ?? '', 'channel_close_solo_tx');
  const spend = byId.get('spend_tx/typical');

  it('notes a payload that is a signed tx of another type', async () => {
    const report = (await inspectTx({ ...soloTx, payload: hex(spend?.signed.hex ?? '') })) as UnsignedTxReport;
    expect(report.payload_tx).toMatchObject({ type: 'signed_tx', tx: { type: 'spend_tx' } });
    expect((report.payload_tx as { note: string }).note).toContain('bad_offchain_state_type');
    expect(formatValueReport(report)).toMatch(/^ {4}note: a signed spend_tx, where the reference expects a signed channel_offchain_tx \(bad_offchain_state_type\)$/m);
  });

  it('shows a payload that does not decode, with its note, in text too', async () => {
    const report = (await inspectValue(byId.get('channel_close_solo_tx/payload_single_zero_byte')?.unsigned.tx ?? '')) as UnsignedTxReport;
    expect('error' in (report.payload_tx as PayloadReport)).toBe(true);
    const text = formatValueReport(report);
    expect(text).toMatch(/^ {2}payload_tx +does not decode: [A-Z_]+: /m);
    expect(text).toMatch(/^ {4}note: not a transaction; .*\(payload_deserialization_failed\)$/m);
  });

  it('checks the signatures of a payload against the candidates, and names them in text', async () => {
    // A deposit names one signer (its from): the other is known only as a candidate.
    const deposit = byId.get('channel_deposit_tx/typical');
    const candidates = deposit?.signers.map(akOf) ?? [];
    const tx: UnsignedTx = { ...soloTx, payload: hex(deposit?.signed.hex ?? '') };
    const report = signedReport(await inspectTx({ type: 'signed_tx', signatures: [], tx }, { signers: candidates }));
    const payload = report.tx.payload_tx as SignedTxReport;
    expect(payload.signers?.map((entry) => entry.signer)).toEqual(candidates);
    expect(payload.signatures.every((entry) => entry.valid)).toBe(true);
    const text = formatValueReport(report, { signers: candidates });
    expect(text).toContain('(a --signers key)');
    expect(text).toMatch(/verdict +valid: all 2 signer\(s\) signed/);
  });

  it('decodes a bare (unsigned) off-chain state and notes that it is not signed', async () => {
    const state = deserializeTx(soloTx.payload, 'signed_tx');
    const report = (await inspectTx({ ...soloTx, payload: serializeTx(state.tx) })) as UnsignedTxReport;
    expect(report.payload_tx).toMatchObject({ type: 'channel_offchain_tx' });
    expect((report.payload_tx as { note: string }).note).toContain('a bare channel_offchain_tx');
    expect((report.payload_tx as { note: string }).note).toContain('bad_offchain_state_type');
  });

  it("notes a state of another channel", async () => {
    const state = deserializeTx(soloTx.payload, 'signed_tx');
    if (state.tx.type !== 'channel_offchain_tx') throw new Error('the vector holds an off-chain state');
    const otherChannel: SignedTx = { ...state, tx: { ...state.tx, channel_id: hex(channels[1]?.id_hex ?? '') } };
    const report = (await inspectTx({ ...soloTx, payload: serializeTx(otherChannel) })) as UnsignedTxReport;
    expect((report.payload_tx as { note: string }).note).toContain('bad_state_channel_id');
  });

  it('decodes nested payloads only to a bounded depth', async () => {
    let tx: UnsignedTx = soloTx;
    for (let depth = 0; depth < MAX_PAYLOAD_DEPTH + 2; depth++) {
      tx = { ...soloTx, payload: serializeTx({ type: 'signed_tx', signatures: [], tx }) };
    }
    let payload = ((await inspectTx(tx)) as UnsignedTxReport).payload_tx;
    let depth = 1;
    while (payload !== undefined && !('error' in payload)) {
      payload = (payload as SignedTxReport).tx.payload_tx;
      depth++;
    }
    expect(depth).toBe(MAX_PAYLOAD_DEPTH + 1);
    expect(payload).toMatchObject({ error: { code: 'NESTING_TOO_DEEP' } });
  });
});

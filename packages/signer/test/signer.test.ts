import { createHash } from 'node:crypto';
import { bytesToHex, decode, encode } from '@aesc/encoding';
import { decodeTx, deserializeTx, type SignedTx, serializeTx, serializeUnsigned, type UnsignedTx } from '@aesc/tx';
import { describe, expect, it } from 'vitest';
import { hex, referenceVectors, toHex, vectorTx } from '../../../test/support/vectors.js';
import * as browserImplementation from '../src/browser.js';
import * as nodeImplementation from '../src/node.js';

const { keys, vectors } = referenceVectors;
const keyByName = new Map(keys.map((key) => [key.name, key]));

// The same suite runs against both entries the `exports` conditions can select.
describe.each([
  ['node:crypto', nodeImplementation],
  ['@noble/ed25519', browserImplementation],
] as const)('%s', (_name, implementation) => {
  const { createSigner, generate, signTx, verifySignedTx, verifySignature, SignerError } = implementation;

  describe('createSigner', () => {
    it.each(keys.map((key) => [key.name, key] as const))('derives %s from its seed and from its 64-byte secret key', async (_key, key) => {
      const fromSeed = await createSigner(hex(key.seed_hex));
      const fromSecret = await createSigner(hex(key.secret_key_hex));
      expect(fromSeed.address).toBe(key.ak);
      expect(fromSecret.address).toBe(key.ak);
      expect(toHex(fromSeed.publicKey)).toBe(key.public_key_hex);
    });

    it('refuses a 64-byte key whose public half is another key', async () => {
      const [first, second] = keys;
      const mixed = new Uint8Array(64);
      mixed.set(hex(first?.seed_hex ?? ''));
      mixed.set(hex(second?.public_key_hex ?? ''), 32);
      await expect(createSigner(mixed)).rejects.toMatchObject({ name: 'SignerError', code: 'KEY_MISMATCH' });
    });

    it.each([0, 31, 33, 63, 65])('refuses a secret key of %i bytes', async (size) => {
      await expect(createSigner(new Uint8Array(size))).rejects.toBeInstanceOf(SignerError);
      await expect(createSigner(new Uint8Array(size))).rejects.toMatchObject({ code: 'INVALID_SECRET_KEY' });
    });

    it('does not keep a reference to the caller’s secret key', async () => {
      const secret = hex(keys[0]?.seed_hex ?? '');
      const signer = await createSigner(secret);
      secret.fill(7);
      expect(signer.address).toBe(keys[0]?.ak);
      const message = Uint8Array.of(1, 2, 3);
      expect(await verifySignature(await signer.sign(message), message, signer.publicKey)).toBe(true);
    });

    it('leaves the caller’s secret key as it was, also a Buffer (whose slice is a view, not a copy)', async () => {
      for (const secret of [Buffer.from(hex(keys[0]?.secret_key_hex ?? '')), Buffer.from(hex(keys[0]?.seed_hex ?? ''))]) {
        const before = toHex(secret);
        const signer = await createSigner(secret);
        expect(toHex(secret)).toBe(before);
        expect(signer.address).toBe(keys[0]?.ak);
      }
    });
  });

  it('generate() gives a working key whose secret key round-trips', async () => {
    const { signer, secretKey } = await generate();
    expect(secretKey).toHaveLength(64);
    expect(toHex(secretKey.subarray(32))).toBe(toHex(signer.publicKey));
    expect((await createSigner(secretKey)).address).toBe(signer.address);
    const message = new TextEncoder().encode('channel');
    expect(await verifySignature(await signer.sign(message), message, signer.address)).toBe(true);
    expect((await generate()).signer.address).not.toBe(signer.address);
  });

  describe.each(vectors.map((vector) => [vector.id, vector] as const))('%s', (_id, vector) => {
    const tx = vectorTx(vector) as unknown as UnsignedTx;
    const signerKeys = vector.signers.map(hex);

    it('signs to the reference signatures, one party after the other, giving signed.hex', async () => {
      let signed: UnsignedTx | SignedTx = tx;
      for (const [index, name] of vector.signer_keys.entries()) {
        const signer = await createSigner(hex(keyByName.get(name)?.secret_key_hex ?? ''));
        const before = signed;
        signed = await signTx(signed, signer);
        expect(signed.signatures.map(toHex)).toContain(vector.signed.signatures_signer_order[index]);
        // the object itself holds the list sorted, not only its serialization
        expect(signed.signatures.map(toHex)).toEqual(signed.signatures.map(toHex).sort());
        // Signing again adds nothing: the list is deduplicated.
        expect(serializeTx(await signTx(signed, signer))).toEqual(serializeTx(signed));
        if (before.type === 'signed_tx') expect(before.signatures).toHaveLength(index);
      }
      expect(toHex(serializeTx(signed as SignedTx))).toBe(vector.signed.hex);
      // Any signer signing again, wherever its signature sorts, adds nothing either.
      for (const name of vector.signer_keys) {
        const again = await signTx(signed as SignedTx, await createSigner(hex(keyByName.get(name)?.secret_key_hex ?? '')));
        expect(again.signatures.map(toHex)).toEqual((signed as SignedTx).signatures.map(toHex));
      }
    });

    it('verifies signed.tx with its signers and says which key made which signature', async () => {
      const signed = decodeTx(vector.signed.tx, 'signed_tx');
      const result = await verifySignedTx(signed, signerKeys);
      expect(result.valid).toBe(true);
      expect(result.signers.map((entry) => entry.publicKey)).toEqual(signerKeys.map((key) => encode('ak', key)));
      expect(result.signers.map((entry) => toHex(entry.signature ?? new Uint8Array()))).toEqual(vector.signed.signatures_signer_order);
      for (const entry of result.signatures) {
        const index = vector.signed.signatures_signer_order.indexOf(toHex(entry.signature));
        expect(entry.signer).toBe(encode('ak', signerKeys[index] ?? new Uint8Array()));
      }
    });

    it('fails when a signature is missing, extra, or made over other bytes', async () => {
      const signed = decodeTx(vector.signed.tx, 'signed_tx');
      const missing = await verifySignedTx({ ...signed, signatures: signed.signatures.slice(1) }, signerKeys);
      expect(missing.valid).toBe(false);
      expect(missing.signers.some((entry) => entry.signature === null)).toBe(true);

      const doubled = await verifySignedTx({ ...signed, signatures: [...signed.signatures, ...signed.signatures] }, signerKeys);
      expect(doubled.valid).toBe(false);
      expect(doubled.signatures.filter((entry) => entry.signer === null)).toHaveLength(signed.signatures.length);

      const outsider = await generate();
      const foreign = await verifySignedTx(signed, [...signerKeys.slice(1), outsider.signer.publicKey]);
      expect(foreign.valid).toBe(false);

      const tampered = { ...signed, tx: { ...signed.tx, fee: (signed.tx as { fee?: bigint }).fee === undefined ? 0n : (signed.tx as { fee: bigint }).fee + 1n } } as SignedTx;
      if ('fee' in signed.tx) expect((await verifySignedTx(tampered, signerKeys)).valid).toBe(false);
    });
  });

  it('needs the channel peers for deposit, withdraw and close_mutual', async () => {
    for (const type of ['channel_deposit_tx', 'channel_withdraw_tx', 'channel_close_mutual_tx']) {
      const vector = vectors.find((candidate) => candidate.type === type);
      const signed = decodeTx(vector?.signed.tx ?? '', 'signed_tx');
      await expect(verifySignedTx(signed)).rejects.toMatchObject({ name: 'SignerError', code: 'SIGNERS_REQUIRED' });
    }
  });

  it('refuses an empty list of signer keys, which would call a tx without signatures valid', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const signed = decodeTx(vector?.signed.tx ?? '', 'signed_tx');
    for (const tx of [signed, { ...signed, signatures: [] }]) {
      await expect(verifySignedTx(tx, [])).rejects.toMatchObject({ name: 'SignerError', code: 'SIGNERS_REQUIRED', message: expect.stringMatching(/signerKeys is empty/) });
    }
  });

  it('verifies a create with the keys it names when none are given', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    expect((await verifySignedTx(decodeTx(vector?.signed.tx ?? '', 'signed_tx'))).valid).toBe(true);
  });

  it('asks for the legacy verifier before checking a 65-byte key', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const legacyKey = new Uint8Array(65);
    legacyKey[0] = 4;
    await expect(verifySignedTx(decodeTx(vector?.signed.tx ?? '', 'signed_tx'), [legacyKey])).rejects.toMatchObject({
      code: 'LEGACY_VERIFIER_REQUIRED',
    });
    // 65 bytes that do not start 04 are no legacy key at all
    legacyKey[0] = 2;
    await expect(verifySignedTx(decodeTx(vector?.signed.tx ?? '', 'signed_tx'), [legacyKey])).rejects.toMatchObject({
      name: 'SignerError',
      code: 'INVALID_PUBLIC_KEY',
      // in the words of @aesc/tx and @aesc/encoding
      message: expect.stringMatching(/: a public key is 32 bytes \(ed25519\), or 65 bytes starting 04 \(legacy secp256k1\), got 65$/),
    });
  });

  it('refuses signer keys and a legacy verifier of the wrong shape with a TypeError that names them', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const signed = decodeTx(vector?.signed.tx ?? '', 'signed_tx');
    // one key where a list of keys belongs
    for (const signerKeys of [hex(keys[0]?.public_key_hex ?? ''), keys[0]?.ak]) {
      await expect(verifySignedTx(signed, signerKeys as unknown as Uint8Array[])).rejects.toThrow(/^signerKeys must be an array of keys/);
    }
    const legacyKey = Uint8Array.of(4, ...new Uint8Array(64).fill(1));
    await expect(verifySignedTx(signed, [legacyKey], { legacy: 'yes' as unknown as undefined })).rejects.toThrow(/^options\.legacy must be a function/);
  });

  it('refuses a Signer that returns something else than a signature', async () => {
    const vector = vectors[0];
    const tx = vectorTx(vector ?? vectors[1]!) as unknown as UnsignedTx;
    const liar = { address: keys[0]!.ak as `ak$${string}`, publicKey: new Uint8Array(32), sign: async () => new Uint8Array(10) };
    await expect(signTx(tx, liar)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
  });

  it('refuses a Signer of elsewhere whose signature does not verify with its publicKey: another key, other bytes', async () => {
    const tx = vectorTx(vectors[0]!) as unknown as UnsignedTx;
    const [own, other] = await Promise.all([createSigner(hex(keys[0]?.seed_hex ?? '')), createSigner(hex(keys[1]?.seed_hex ?? ''))]);
    const device = (sign: (message: Uint8Array) => Promise<Uint8Array>) => ({ address: own.address, publicKey: own.publicKey, sign });
    // an honest device: checked, and its signature is the key's own
    expect((await signTx(tx, device((message) => own.sign(message)))).signatures).toEqual([await own.sign(serializeUnsigned(tx))]);
    const wrong = [
      (message: Uint8Array) => other.sign(message), // a device set to another account
      (message: Uint8Array) => own.sign(Uint8Array.of(...message, 0)), // other bytes
      async (message: Uint8Array) => {
        message[0] = (message[0] as number) ^ 1; // it signs what it made of the bytes it was given
        return own.sign(message);
      },
    ];
    for (const sign of wrong) {
      await expect(signTx(tx, device(sign))).rejects.toMatchObject({ name: 'SignerError', code: 'INVALID_SIGNATURE', message: expect.stringMatching(/does not verify with its publicKey/) });
    }
  });

  it('keeps a copy of the signature a Signer returns: a plain Uint8Array the Signer cannot change afterwards', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const tx = vectorTx(vector ?? vectors[0]!) as unknown as UnsignedTx;
    const signer = await createSigner(hex(keys[0]?.seed_hex ?? ''));
    // a hardware wallet's or a remote service's answer: a Buffer over a larger pooled buffer
    let returned = Buffer.alloc(0);
    const wallet = {
      ...signer,
      sign: async (message: Uint8Array) => {
        returned = Buffer.concat([Buffer.alloc(7), await signer.sign(message)]).subarray(7);
        return returned;
      },
    };
    const signed = await signTx(tx, wallet);
    const [signature] = signed.signatures;
    expect(Object.getPrototypeOf(signature)).toBe(Uint8Array.prototype);
    expect(signature?.byteLength).toBe(signature?.buffer.byteLength);
    const good = toHex(returned);
    returned.fill(0); // the Signer reuses its buffer
    expect(toHex(signature ?? new Uint8Array())).toBe(good);
    expect((await verifySignedTx(signed, [signer.publicKey])).valid).toBe(true);
  });

  it('reports the signatures the tx holds, the same objects, whatever their class', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const signed = decodeTx(vector?.signed.tx ?? '', 'signed_tx');
    const held: Uint8Array[] = signed.signatures.map((signature) => Buffer.from(signature));
    const result = await verifySignedTx({ ...signed, signatures: held });
    expect(result.valid).toBe(true);
    for (const entry of result.signers) expect(held.includes(entry.signature as Uint8Array), entry.publicKey).toBe(true);
    expect(result.signatures.map((entry) => entry.signature)).toEqual(held);
    for (const [index, entry] of result.signatures.entries()) expect(entry.signature).toBe(held[index]);
  });

  it('refuses to add to a signed_tx whose signatures serializeTx would refuse', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const tx = vectorTx(vector ?? vectors[0]!) as unknown as UnsignedTx;
    const signer = await createSigner(hex(keys[0]?.seed_hex ?? ''));
    for (const signatures of [[new Uint8Array(10)], [new Uint8Array(64), 'sg$…'], [new Uint8Array(64), , new Uint8Array(64)]]) {
      await expect(signTx({ type: 'signed_tx', signatures, tx } as unknown as SignedTx, signer)).rejects.toMatchObject({ name: 'TxError', code: 'INVALID_FIELD' });
    }
  });

  it('refuses to verify a signed_tx whose signatures are not all bytes: a TypeError naming the entry, not a verdict', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_create_tx');
    const signed = decodeTx(vector?.signed.tx ?? '', 'signed_tx');
    const [first, second] = signed.signatures;
    for (const signatures of [[first, 'sg$…'], [first, , second], [first, null], [first, Array.from(second ?? [])]]) {
      await expect(verifySignedTx({ ...signed, signatures } as unknown as SignedTx)).rejects.toThrow(/^signatures\[1\] must be a Uint8Array/);
    }
  });

  it('verifySignature checks ed25519 keys only: a legacy key is INVALID_PUBLIC_KEY, not a false', async () => {
    const signer = await createSigner(hex(keys[0]?.seed_hex ?? ''));
    const signature = await signer.sign(Uint8Array.of(9));
    const legacyKey = Uint8Array.of(4, ...new Uint8Array(64).fill(1));
    await expect(verifySignature(signature, Uint8Array.of(9), legacyKey)).rejects.toMatchObject({ name: 'SignerError', code: 'INVALID_PUBLIC_KEY' });
  });

  it('verifySignature rejects malformed signatures and keys without throwing', async () => {
    const signer = await createSigner(hex(keys[0]?.seed_hex ?? ''));
    const message = Uint8Array.of(9);
    const signature = await signer.sign(message);
    expect(await verifySignature(signature, message, signer.publicKey)).toBe(true);
    expect(await verifySignature(signature.subarray(1), message, signer.publicKey)).toBe(false);
    expect(await verifySignature(signature, Uint8Array.of(8), signer.publicKey)).toBe(false);
    expect(await verifySignature(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
  });

  it('refuses, as libsodium does, keys and R of small order and non-canonical keys (OpenSSL took them)', async () => {
    const identity = hex(`01${'00'.repeat(31)}`);
    // R = identity, S = 0 satisfies the equation for the identity key and any message
    const anything = hex(`01${'00'.repeat(31)}${'00'.repeat(32)}`);
    const spend = { type: 'spend_tx', sender: identity, recipient: identity, amount: 1n, fee: 1n, ttl: 1n, nonce: 1n, payload: new Uint8Array() } as UnsignedTx;
    for (const message of [new Uint8Array(0), new TextEncoder().encode('hello'), serializeUnsigned(spend)]) {
      expect(await verifySignature(anything, message, identity)).toBe(false);
    }
    const smallOrderKeys = [
      identity,
      hex(`ec${'ff'.repeat(30)}7f`), // order 2
      hex('00'.repeat(32)), // order 4
      hex(`${'00'.repeat(31)}80`), // order 4, the other sign
      hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'), // order 8
      hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), // order 8
      hex(`ee${'ff'.repeat(30)}7f`), // y = p + 1: a non-canonical identity
    ];
    for (const key of smallOrderKeys) expect(await verifySignature(anything, new TextEncoder().encode('hello'), key)).toBe(false);
    expect((await verifySignedTx({ type: 'signed_tx', signatures: [anything], tx: spend })).valid).toBe(false);
    // an honest key with a signature whose R is the identity: refused too
    const signer = await createSigner(new Uint8Array(32).fill(7));
    const genuine = await signer.sign(new TextEncoder().encode('hello'));
    expect(await verifySignature(genuine, new TextEncoder().encode('hello'), signer.publicKey)).toBe(true);
    const smallR = new Uint8Array(genuine);
    smallR.set(identity, 0);
    expect(await verifySignature(smallR, new TextEncoder().encode('hello'), signer.publicKey)).toBe(false);
    // R = identity with S = h·a mod L satisfies the equation ([S]B = R + [h]A) for that key: only
    // the check of R refuses it (the signature above fails the equation whatever R is).
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const littleEndian = (bytes: Uint8Array) => bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
    const scalar = createHash('sha512').update(new Uint8Array(32).fill(7)).digest().subarray(0, 32);
    scalar[0] = (scalar[0] as number) & 248;
    scalar[31] = ((scalar[31] as number) & 127) | 64;
    const h = littleEndian(createHash('sha512').update(identity).update(signer.publicKey).update(new TextEncoder().encode('hello')).digest()) % L;
    let s = (h * littleEndian(scalar)) % L;
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    for (let index = 32; index < 64; index++, s >>= 8n) forged[index] = Number(s & 0xffn);
    expect(await verifySignature(forged, new TextEncoder().encode('hello'), signer.publicKey)).toBe(false);
  });

  it('signs the unsigned bytes: the message is serializeUnsigned(tx)', async () => {
    const vector = vectors.find((candidate) => candidate.type === 'channel_offchain_tx');
    const tx = deserializeTx(hex(vector?.unsigned.hex ?? ''), 'unsigned');
    const signer = await createSigner(hex(keys[0]?.seed_hex ?? ''));
    const signed = await signTx(tx, signer);
    expect(await verifySignature(signed.signatures[0] ?? new Uint8Array(), serializeUnsigned(tx), signer.publicKey)).toBe(true);
    expect(bytesToHex(decode(signer.address, 'ak'))).toBe(keys[0]?.public_key_hex);
  });
});

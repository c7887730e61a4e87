/**
 * The Node build (node:crypto, OpenSSL) and the browser build (@noble/ed25519) must give the
 * same verdict on every signature, and the reference node's: libsodium refuses small-order and
 * non-canonical keys and R, and checks the equation without the cofactor. These are the inputs
 * on which the two libraries, used as they come, disagreed.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { Point } from '@noble/ed25519';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeBackend } from '../src/backend-node.js';
import * as browser from '../src/browser.js';
import * as node from '../src/node.js';

// node:crypto as it is, with a count of the key objects the Node build makes
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, createPublicKey: vi.fn(crypto.createPublicKey) };
});

const L = Point.CURVE().n;
const G = Point.BASE;
/** A point of order 8. */
const T8 = Point.fromBytes(Uint8Array.from(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex')));
const le = (value: bigint) => Uint8Array.from({ length: 32 }, (_, index) => Number((value >> BigInt(8 * index)) & 255n));
const fromLe = (bytes: Uint8Array) => bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
const challenge = (R: Uint8Array, A: Uint8Array, message: Uint8Array) => fromLe(new Uint8Array(createHash('sha512').update(R).update(A).update(message).digest())) % L;
const message = new TextEncoder().encode('hello');
const verdicts = async (signature: Uint8Array, publicKey: Uint8Array) =>
  Promise.all([node.verifySignature(signature, message, publicKey), browser.verifySignature(signature, message, publicKey)]);
const signatureOf = (R: Uint8Array, S: bigint) => Uint8Array.from([...R, ...le(S)]);

describe('node:crypto and @noble/ed25519 agree, as libsodium decides', () => {
  it('a key with a torsion component, with a signature of its prime-order part: refused by both', async () => {
    const a = 123_456_789n;
    const publicKey = G.multiply(a).add(T8).toBytes();
    // a nonce whose challenge k is not a multiple of 8 (else the torsion part vanishes from kA)
    let r = 1n;
    while (challenge(G.multiply(r).toBytes(), publicKey, message) % 8n === 0n) r++;
    const R = G.multiply(r).toBytes();
    const k = challenge(R, publicKey, message);
    expect(await verdicts(signatureOf(R, (r + k * a) % L), publicKey)).toEqual([false, false]);
  });

  it('an R with a torsion component: refused by both', async () => {
    const a = 987_654_321n;
    const publicKey = G.multiply(a).toBytes();
    const R = G.multiply(42n).add(T8).toBytes();
    const k = challenge(R, publicKey, message);
    expect(await verdicts(signatureOf(R, (42n + k * a) % L), publicKey)).toEqual([false, false]);
  });

  it('the same signatures without the torsion are good for both', async () => {
    const a = 987_654_321n;
    const publicKey = G.multiply(a).toBytes();
    const R = G.multiply(42n).toBytes();
    const k = challenge(R, publicKey, message);
    expect(await verdicts(signatureOf(R, (42n + k * a) % L), publicKey)).toEqual([true, true]);
  });

  it('a key of small order or not canonical, with a signature its equation accepts: refused by both', async () => {
    // every encoding libsodium refuses as a key, with the sign bit clear and set
    const keys = [
      `01${'00'.repeat(31)}`, // the identity (order 1)
      `ec${'ff'.repeat(30)}7f`, // y = p − 1 (order 2)
      '00'.repeat(32), // y = 0 (order 4)
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
      `ed${'ff'.repeat(30)}7f`, // y = p: 0, not canonical
      `ee${'ff'.repeat(30)}7f`, // y = p + 1: the identity, not canonical
    ].flatMap((key) => [key, `${key.slice(0, 62)}${(Number.parseInt(key.slice(62), 16) | 0x80).toString(16)}`]);
    for (const key of keys) {
      const publicKey = Uint8Array.from(Buffer.from(key, 'hex'));
      // R = [r]B, S = r: when 8 divides the challenge k, [k]A vanishes and [S]B = R + [k]A holds
      let r = 1n;
      while (challenge(G.multiply(r).toBytes(), publicKey, message) % 8n !== 0n) r++;
      const signature = signatureOf(G.multiply(r).toBytes(), r);
      // OpenSSL alone takes it: the refusal is ours, before the equation
      expect(await nodeBackend.verify(signature, message, publicKey), key).toBe(true);
      expect(await verdicts(signature, publicKey), key).toEqual([false, false]);
    }
  });

  it('a signature whose equation gives −R, the encoding of R with the sign bit flipped: refused by both', async () => {
    const a = 987_654_321n;
    const publicKey = G.multiply(a).toBytes();
    const R = G.multiply(42n).toBytes();
    const k = challenge(R, publicKey, message);
    // [S]B − [k]A = [−42]B = −R: the same y, so every byte but the sign bit of byte 31 matches R
    const signature = signatureOf(R, (((k * a - 42n) % L) + L) % L);
    const negated = G.multiply(42n).negate().toBytes();
    expect(negated.subarray(0, 31)).toEqual(R.subarray(0, 31));
    expect(await verdicts(signature, publicKey)).toEqual([false, false]);
  });

  it('S + L: refused by both', async () => {
    const signer = await node.createSigner(new Uint8Array(32).fill(3));
    const signature = await signer.sign(message);
    expect(await verdicts(signatureOf(signature.subarray(0, 32), fromLe(signature.subarray(32)) + L), signer.publicKey)).toEqual([false, false]);
    // S = L itself, the first S out of range: false, not a throw
    expect(await verdicts(signatureOf(signature.subarray(0, 32), L), signer.publicKey)).toEqual([false, false]);
  });
});

describe('the key objects of the Node build', () => {
  it('keeps those of the 256 most recently used keys: a key in use stays, the least recently used goes', async () => {
    const keys = Array.from({ length: 257 }, (_, index) => G.multiply(BigInt(1_000 + index)).toBytes());
    const signature = signatureOf(G.multiply(5n).toBytes(), 1n); // fails the equation: only the key object matters
    const made = () => vi.mocked(createPublicKey).mock.calls.length;
    const verify = (key: Uint8Array) => nodeBackend.verify(signature, message, key);
    for (const key of keys.slice(0, 256)) await verify(key);
    const full = made();
    await verify(keys[0] as Uint8Array); // a use: the most recently used now
    expect(made()).toBe(full);
    await verify(keys[256] as Uint8Array); // one more than fit: keys[1], the least recently used, goes
    expect(made()).toBe(full + 1);
    await verify(keys[0] as Uint8Array);
    await verify(keys[255] as Uint8Array);
    await verify(keys[256] as Uint8Array);
    expect(made()).toBe(full + 1);
    await verify(keys[1] as Uint8Array); // made again
    expect(made()).toBe(full + 2);
  });
});

describe('the browser build without WebCrypto SHA-512 (an insecure context: a page on plain http from another host than localhost)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** The `crypto` of such a page: getRandomValues, no `subtle`. */
  const { crypto } = globalThis;
  const withoutSubtle = () => vi.stubGlobal('crypto', { getRandomValues: (bytes: Uint8Array) => crypto.getRandomValues(bytes) });

  it('refuses to verify with a typed error instead of calling a valid signature invalid', async () => {
    const signer = await node.createSigner(new Uint8Array(32).fill(3));
    const signature = await signer.sign(message);
    expect(await browser.verifySignature(signature, message, signer.publicKey)).toBe(true);
    withoutSubtle();
    await expect(browser.verifySignature(signature, message, signer.publicKey)).rejects.toMatchObject({ name: 'SignerError', code: 'CRYPTO_UNAVAILABLE' });
    const { signTx } = browser;
    const spend = { type: 'spend_tx', sender: signer.publicKey, recipient: signer.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() } as const;
    vi.unstubAllGlobals();
    const signed = await signTx(spend, signer);
    withoutSubtle();
    await expect(browser.verifySignedTx(signed)).rejects.toMatchObject({ name: 'SignerError', code: 'CRYPTO_UNAVAILABLE' });
  });

  it('refuses to make a key or sign with the same typed error', async () => {
    vi.unstubAllGlobals();
    const signer = await browser.createSigner(new Uint8Array(32).fill(4));
    withoutSubtle();
    await expect(browser.createSigner(new Uint8Array(32).fill(3))).rejects.toMatchObject({ name: 'SignerError', code: 'CRYPTO_UNAVAILABLE' });
    await expect(browser.generate()).rejects.toMatchObject({ name: 'SignerError', code: 'CRYPTO_UNAVAILABLE' });
    await expect(signer.sign(message)).rejects.toMatchObject({ name: 'SignerError', code: 'CRYPTO_UNAVAILABLE' });
  });

  it('still calls a signature under a key that is no point invalid (false): no hashing needed', async () => {
    withoutSubtle();
    const noPoint = new Uint8Array(32);
    noPoint[0] = 2; // y = 2: canonical, of no small order, and no x goes with it
    expect(await browser.verifySignature(new Uint8Array(64).fill(1), message, noPoint)).toBe(false);
  });
});

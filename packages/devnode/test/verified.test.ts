/**
 * The devnode's memo of verified signatures: it may only ever save work, never change an answer.
 */
import { createSigner, verifySignature } from '@aesc/signer';
import { describe, expect, it } from 'vitest';
import { memoizedVerifier, type VerifySignature } from '../src/verified.js';

function counting(): { verify: VerifySignature; calls: () => number } {
  let calls = 0;
  return {
    verify: (signature, message, key) => {
      calls++;
      return verifySignature(signature, message, key);
    },
    calls: () => calls,
  };
}

const seed = (byte: number) => new Uint8Array(32).fill(byte);
const message = Uint8Array.from({ length: 341 }, (_, index) => index & 0xff);

describe('memoizedVerifier', () => {
  it('answers a triple that verified again without verifying it again', async () => {
    const signer = await createSigner(seed(1));
    const signature = await signer.sign(message);
    const { verify, calls } = counting();
    const memo = memoizedVerifier(16, verify);
    expect(await memo(signature, message, signer.publicKey)).toBe(true);
    expect(await memo(signature, Uint8Array.from(message), Uint8Array.from(signer.publicKey))).toBe(true);
    expect(calls()).toBe(1);
  });

  it('never remembers a failure, and checks the message byte for byte', async () => {
    const signer = await createSigner(seed(2));
    const other = await createSigner(seed(3));
    const signature = await signer.sign(message);
    const { verify, calls } = counting();
    const memo = memoizedVerifier(16, verify);
    expect(await memo(signature, message, other.publicKey)).toBe(false);
    expect(await memo(signature, message, other.publicKey)).toBe(false);
    expect(calls()).toBe(2);
    expect(await memo(signature, message, signer.publicKey)).toBe(true);
    const altered = Uint8Array.from(message);
    altered[100] = (altered[100] as number) ^ 1;
    expect(await memo(signature, altered, signer.publicKey)).toBe(false);
    expect(calls()).toBe(4);
  });

  it('checks the key byte for byte: a remembered signature and message under another key are verified again', async () => {
    const signer = await createSigner(seed(6));
    const other = await createSigner(seed(7));
    const signature = await signer.sign(message);
    const { verify, calls } = counting();
    const memo = memoizedVerifier(16, verify);
    expect(await memo(signature, message, signer.publicKey)).toBe(true);
    expect(await memo(signature, message, other.publicKey)).toBe(false);
    expect(calls()).toBe(2);
    const key = Uint8Array.from(signer.publicKey);
    expect(await memo(signature, message, key)).toBe(true);
    key[0] = (key[0] as number) ^ 1; // the memo kept a copy of the key as well
    expect(await memo(signature, message, key)).toBe(false);
    expect(calls()).toBe(3);
  });

  it('keeps its own copy of the message: a caller changing its buffer afterwards changes nothing', async () => {
    const signer = await createSigner(seed(4));
    const buffer = Uint8Array.from(message);
    const signature = await signer.sign(buffer);
    const memo = memoizedVerifier(16);
    expect(await memo(signature, buffer, signer.publicKey)).toBe(true);
    buffer[0] = (buffer[0] as number) ^ 0xff;
    expect(await memo(signature, buffer, signer.publicKey)).toBe(false);
  });

  it('keeps its own copy of the key: a caller changing its key buffer afterwards changes nothing', async () => {
    const signer = await createSigner(seed(8));
    const signature = await signer.sign(message);
    const memo = memoizedVerifier(16);
    const key = Uint8Array.from(signer.publicKey);
    expect(await memo(signature, message, key)).toBe(true);
    key[0] = (key[0] as number) ^ 1; // the same buffer, now another key the signature is not of
    expect(await memo(signature, message, key)).toBe(false);
  });

  it('tells apart signatures that are views at different offsets of one buffer', async () => {
    const signer = await createSigner(seed(9));
    const signature = await signer.sign(message);
    const forged = Uint8Array.from(signature);
    forged[63] = (forged[63] as number) ^ 1;
    const buffer = new Uint8Array(128);
    buffer.set(signature, 0);
    buffer.set(forged, 64);
    const memo = memoizedVerifier(16);
    expect(await memo(buffer.subarray(0, 64), message, signer.publicKey)).toBe(true);
    expect(await memo(buffer.subarray(64), message, signer.publicKey)).toBe(false);
  });

  it('tells apart signatures differing in one byte, whatever its value: no two signatures share a memo entry', async () => {
    const signer = await createSigner(seed(10));
    const signature = await signer.sign(message);
    const memo = memoizedVerifier(16);
    expect(await memo(signature, message, signer.publicKey)).toBe(true);
    // the high bit, and the low bit of a byte 80..bf, which a text decoding could fold together
    for (let index = 0; index < signature.length; index++) {
      for (const bit of [0x80, 0x01]) {
        const forged = Uint8Array.from(signature);
        forged[index] = (forged[index] as number) ^ bit;
        expect(await memo(forged, message, signer.publicKey)).toBe(false);
      }
    }
  });

  it('moves a signature verified again under another message to the newest end', async () => {
    // a stand-in verifier that accepts everything: real signatures never verify for two messages
    let calls = 0;
    const memo = memoizedVerifier(3, async () => {
      calls++;
      return true;
    });
    const key = new Uint8Array(32);
    const signatures = [1, 2, 3, 4].map((byte) => new Uint8Array(64).fill(byte));
    const first = new Uint8Array(8).fill(1);
    const second = new Uint8Array(8).fill(2);
    await memo(signatures[0] as Uint8Array, first, key);
    await memo(signatures[1] as Uint8Array, first, key);
    await memo(signatures[0] as Uint8Array, second, key); // replaces the first entry: now the newest
    await memo(signatures[2] as Uint8Array, first, key);
    await memo(signatures[3] as Uint8Array, first, key); // full: drops the oldest, signatures[1]
    expect(calls).toBe(5);
    expect(await memo(signatures[0] as Uint8Array, second, key)).toBe(true);
    expect(calls).toBe(5);
  });

  it('holds at most `capacity` triples, dropping the oldest', async () => {
    const signer = await createSigner(seed(5));
    const messages = [0, 1, 2].map((byte) => new Uint8Array(8).fill(byte));
    const signatures = await Promise.all(messages.map((each) => signer.sign(each)));
    const { verify, calls } = counting();
    const memo = memoizedVerifier(2, verify);
    for (let index = 0; index < 3; index++) expect(await memo(signatures[index] as Uint8Array, messages[index] as Uint8Array, signer.publicKey)).toBe(true);
    expect(calls()).toBe(3);
    // the two newest are remembered, the first was dropped
    expect(await memo(signatures[2] as Uint8Array, messages[2] as Uint8Array, signer.publicKey)).toBe(true);
    expect(await memo(signatures[1] as Uint8Array, messages[1] as Uint8Array, signer.publicKey)).toBe(true);
    expect(calls()).toBe(3);
    expect(await memo(signatures[0] as Uint8Array, messages[0] as Uint8Array, signer.publicKey)).toBe(true);
    expect(calls()).toBe(4);
  });
});

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

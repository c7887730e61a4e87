/**
 * Our SHA-256 and BLAKE2b-256 (src/hashes.ts, and src/hashes-node.ts: BLAKE2b in WebAssembly for
 * the node build) against the specifications' test vectors, and against node:crypto (SHA-256)
 * and @noble/hashes (both) on every length around the block boundaries and on random inputs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { blake2b256 as portableBlake2b256, bytesToHex, encode, parse, sha256 } from '@aesc/encoding';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf } from '../../../test/support/arbitraries.js';
import { checksum } from '../src/checksum.js';
import { checksum as nodeChecksum } from '../src/checksum-node.js';
import * as hashesOnNode from '../src/hashes-node.js';
import { WEBASSEMBLY_STAND_INS, withWebAssembly } from './webassembly-stand-ins.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => bytesToHex(bytes);

describe('sha256', () => {
  it('FIPS 180-4 examples', () => {
    expect(hex(sha256(ascii('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto and @noble/hashes on every length 0…300 (one, two and more blocks, padding into a second block)', () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = randomBytes(length);
      const expected = createHash('sha256').update(bytes).digest('hex');
      expect(hex(sha256(bytes))).toBe(expected);
      expect(hex(nobleSha256(bytes))).toBe(expected);
    }
  });

  it('equals node:crypto on random inputs up to 5 000 bytes, and on 1 MB', () => {
    fc.assert(
      fc.property(bytesOf(0, 5000), (bytes) => {
        expect(hex(sha256(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 300 },
    );
    const large = randomBytes(1 << 20);
    expect(hex(sha256(large))).toBe(createHash('sha256').update(large).digest('hex'));
  });
});

describe.each([
  ['src/hashes.ts', portableBlake2b256],
  ['src/hashes-node.ts', hashesOnNode.blake2b256],
])('blake2b256 (%s)', (_, blake2b256) => {
  it('known digests (libsodium crypto_generichash with a 32-byte output)', () => {
    expect(hex(blake2b256(ascii('')))).toBe('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
    expect(hex(blake2b256(ascii('abc')))).toBe('bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  });

  it('equals @noble/hashes on every length 0…600 (the last block full or partial, one to five blocks)', () => {
    for (let length = 0; length <= 600; length++) {
      const bytes = randomBytes(length);
      expect(hex(blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
    }
  });

  it('carries out of a low half only past 2^32 - 1: a sum of exactly 2^32 - 1, and of exactly 2^32, in the first add of a message word', () => {
    // Random inputs make a low-half sum land on the carry's edge once in 2^32 adds. In the first
    // G, a's low half is (IV[0] ^ the parameter block) + IV[4], low halves mod 2^32, before the
    // message's first word (its first four bytes, little-endian) is added to it.
    const before = (((0xf3bcc908 ^ 0x01010020) >>> 0) + 0xade682d1) % 2 ** 32;
    for (const sum of [2 ** 32 - 1, 2 ** 32]) {
      for (const length of [4, 128, 129, 300]) {
        const bytes = randomBytes(length);
        bytes.writeUInt32LE(sum - before, 0);
        expect(hex(blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
      }
    }
  });

  it('equals @noble/hashes on random inputs up to 5 000 bytes, and on 1 MB (8 192 blocks: the byte counter in the high bits of its low word)', () => {
    fc.assert(
      fc.property(bytesOf(0, 5000), (bytes) => {
        expect(hex(blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
      }),
      { numRuns: 300 },
    );
    const large = randomBytes(1 << 20);
    expect(hex(blake2b256(large))).toBe(hex(blake2b(large, { dkLen: 32 })));
  });
});

describe('src/hashes-node.ts', () => {
  it('hashes in WebAssembly, in calls of 32 768 bytes: every length around one and two of them', () => {
    expect(hashesOnNode.webAssemblyInUse()).toBe(true);
    const backing = randomBytes(65536 + 300);
    for (const base of [32768, 65536]) {
      for (let length = base - 130; length <= base + 130; length++) {
        const bytes = backing.subarray(0, length);
        expect(hex(hashesOnNode.blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
      }
    }
  });

  it('one hash after another starts afresh (a long input, then short ones, then the empty one)', () => {
    const inputs = [randomBytes(100_000), ascii('abc'), randomBytes(129), new Uint8Array(0), ascii('abc')];
    for (let round = 0; round < 2; round++) {
      for (const bytes of inputs) expect(hex(hashesOnNode.blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
    }
  });

  it.each(WEBASSEMBLY_STAND_INS)('%s: the same digests, from hashes.ts', async (_, standIn) => {
    const bytes = randomBytes(417);
    await withWebAssembly(standIn, async () => {
      const fresh = await import('../src/hashes-node.js');
      expect(hex(fresh.blake2b256(bytes))).toBe(hex(blake2b(bytes, { dkLen: 32 })));
      expect(fresh.webAssemblyInUse()).toBe(false);
    });
  });
});

describe('the base58check checksum: portable (checksum.ts) and on node:crypto (checksum-node.ts, the node build)', () => {
  const expected = (bytes: Uint8Array) => createHash('sha256').update(createHash('sha256').update(bytes).digest()).digest().subarray(0, 4);

  it('both are the first four bytes of sha256², on every length 0…300 and on random inputs up to 2 048 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = randomBytes(length);
      expect(hex(checksum(bytes))).toBe(hex(expected(bytes)));
      expect(hex(nodeChecksum(bytes))).toBe(hex(expected(bytes)));
    }
    fc.assert(
      fc.property(bytesOf(0, 2048), (bytes) => {
        expect(hex(nodeChecksum(bytes))).toBe(hex(checksum(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("Node gets the node build through the package's exports (node:crypto checksum, WebAssembly base58 and BLAKE2b), and it reads and writes exactly what the portable build does", async () => {
    const root = createRequire(new URL('../../../package.json', import.meta.url));
    expect(root.resolve('@aesc/encoding')).toMatch(/packages[\\/]encoding[\\/]dist[\\/]node\.cjs$/);
    const esm = (await import(new URL('../dist/node.js', import.meta.url).href)) as typeof import('@aesc/encoding');
    const cjs = root('@aesc/encoding') as typeof import('@aesc/encoding');
    fc.assert(
      fc.property(bytesOf(0, 600), (bytes) => {
        const text = encode('tx', bytes);
        expect(esm.encode('tx', bytes)).toBe(text);
        expect(cjs.encode('tx', bytes)).toBe(text);
        expect(esm.parse(text).bytes).toEqual(parse(text).bytes);
        expect(esm.blake2b256(bytes)).toEqual(portableBlake2b256(bytes));
        expect(cjs.blake2b256(bytes)).toEqual(portableBlake2b256(bytes));
      }),
      { numRuns: 100 },
    );
    const tampered = `${encode('ak', new Uint8Array(32).fill(7)).slice(0, -1)}2`;
    expect(() => esm.parse(tampered)).toThrow(expect.objectContaining({ code: 'BAD_CHECKSUM' }));
    // the node build checks the alphabet in WebAssembly: the same code and position as the portable one
    const valid = encode('tx', new Uint8Array(400).fill(9));
    for (const bad of ['0', 'l', ' ', 'é', '\u0131', '😀', '\ud800']) {
      for (const at of [3, 100, valid.length - 1]) {
        const input = `${valid.slice(0, at)}${bad}${valid.slice(at + 1)}`;
        expect(() => esm.parse(input)).toThrow(expect.objectContaining({ code: 'INVALID_CHARACTER', context: { prefix: 'tx', position: at } }));
        expect(() => cjs.parse(input)).toThrow(expect.objectContaining({ code: 'INVALID_CHARACTER', context: { prefix: 'tx', position: at } }));
      }
    }
  });
});

describe('arguments', () => {
  it('reads a view at its offset, a Buffer as its bytes, and leaves the input as it was', () => {
    const backing = randomBytes(300);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 7, 200);
    const copy = Uint8Array.from(view);
    expect(sha256(view)).toEqual(sha256(copy));
    expect(sha256(Buffer.from(copy))).toEqual(sha256(copy));
    for (const blake2b256 of [portableBlake2b256, hashesOnNode.blake2b256]) {
      expect(blake2b256(view)).toEqual(blake2b(copy, { dkLen: 32 }));
      expect(blake2b256(Buffer.from(copy))).toEqual(blake2b(copy, { dkLen: 32 }));
    }
    expect(hashesOnNode.sha256).toBe(sha256);
    expect(view).toEqual(copy);
  });

  it.each([['a string', 'abc'], ['a number array', [1, 2, 3]], ['undefined', undefined], ['a Uint16Array', new Uint16Array(2)]])(
    'refuses %s with a TypeError',
    (_, value) => {
      expect(() => sha256(value as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => portableBlake2b256(value as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => hashesOnNode.blake2b256(value as unknown as Uint8Array)).toThrow(TypeError);
    },
  );
});

/**
 * The base58 conversion alone, both implementations: src/base58.ts (BigInt, every build) and
 * src/base58-node.ts (WebAssembly up to 2 kB, the node build), against the textbook definition
 * written out here: the bytes as one big-endian number, its base-58 digits, one `1` per leading
 * zero byte. The divide-and-conquer code splits at the powers 58^(9·2^k), the WebAssembly code
 * works in 32-bit words and five-digit limbs, four words (or chunks of five digits) at a time with
 * the rest one at a time, and hands over to the BigInt code above 2 kB; the values around those
 * points are where a wrong split, a lost carry or a lost leading zero would show.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as portable from '../src/base58.js';
import * as onNode from '../src/base58-node.js';
import { bytesOf } from '../../../test/support/arbitraries.js';
import { WEBASSEMBLY_STAND_INS, withWebAssembly } from './webassembly-stand-ins.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function textbookEncode(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let digits = '';
  for (; value > 0n; value /= 58n) digits = ALPHABET[Number(value % 58n)] + digits;
  const zeros = bytes.findIndex((byte) => byte !== 0);
  return '1'.repeat(zeros < 0 ? bytes.length : zeros) + digits;
}

function bytesOfValue(value: bigint, leadingZeros = 0): Uint8Array {
  const bytes: number[] = [];
  for (; value > 0n; value >>= 8n) bytes.unshift(Number(value & 255n));
  return Uint8Array.from([...new Array<number>(leadingZeros).fill(0), ...bytes]);
}

describe.each([
  ['src/base58.ts', portable],
  ['src/base58-node.ts', onNode],
])('base58 (%s)', (_, { base58Decode, base58Encode }) => {
  /** The bytes of digits that must decode (a number is the position of a bad character). */
  const decodedBytes = (digits: string): Uint8Array => {
    const result = base58Decode(digits);
    if (typeof result === 'number') throw new Error(`${digits.slice(0, 20)}…: bad character at ${result}`);
    return result;
  };
  it('empty input, zero bytes and single bytes', () => {
    expect(base58Encode(new Uint8Array(0))).toBe('');
    expect(base58Decode('')).toEqual(new Uint8Array(0));
    for (let zeros = 1; zeros < 5; zeros++) {
      expect(base58Encode(new Uint8Array(zeros))).toBe('1'.repeat(zeros));
      expect(base58Decode('1'.repeat(zeros))).toEqual(new Uint8Array(zeros));
    }
    for (let byte = 0; byte < 256; byte++) {
      const encoded = base58Encode(Uint8Array.of(byte));
      expect(encoded).toBe(textbookEncode(Uint8Array.of(byte)));
      expect(base58Decode(encoded)).toEqual(Uint8Array.of(byte));
    }
  });

  it('values around every split point 58^(9·2^k), k = 0…6, with and without leading zeros', () => {
    for (let level = 0; level <= 6; level++) {
      const split = 58n ** BigInt(9 * 2 ** level);
      for (const value of [split - 2n, split - 1n, split, split + 1n, split * 57n, split * 58n - 1n]) {
        for (const zeros of [0, 1, 3]) {
          const bytes = bytesOfValue(value, zeros);
          const encoded = base58Encode(bytes);
          expect(encoded).toBe(textbookEncode(bytes));
          expect(base58Decode(encoded)).toEqual(bytes);
        }
      }
    }
  });

  it('digit strings with zero digits inside a leaf and at leaf edges decode to the textbook bytes', () => {
    for (const digits of ['21111111111', '2111111111', '211111111', '1112', '2'.repeat(9) + '1'.repeat(9) + '2', 'z'.repeat(200)]) {
      expect(textbookEncode(decodedBytes(digits))).toBe(digits);
    }
  });

  it('a character outside the alphabet gives its index, wherever it is and whatever it is, and no bytes', () => {
    // ı (U+0131) and Ա (U+0531) end in the byte of "1": a conversion that kept only low bytes would read them as digits
    const intruders = ['0', 'O', 'I', 'l', '$', ' ', '\u0000', '\u007f', 'é', '\u0131', '\u0531', '１', '😀', '\ud800', '\udfff'];
    for (const length of [1, 30, 575, 2797, 2900]) {
      const digits = '2z'.repeat(length).slice(0, length);
      for (const at of new Set([0, 1, length >> 1, length - 1])) {
        for (const intruder of intruders) {
          const text = `tx$111${digits.slice(0, at)}${intruder}${digits.slice(at + 1)}`;
          expect(base58Decode(text, 3)).toBe(6 + at);
        }
      }
      // only the first one counts, and nothing before `start` is looked at
      expect(base58Decode(`0$${digits}0${digits}0`, 2)).toBe(2 + length);
    }
    expect(base58Decode('11é')).toBe(2);
  });

  it('decodes from an offset, as parse does after the prefix', () => {
    const bytes = Uint8Array.of(0, 0, 1, 2, 3, 250);
    expect(base58Decode(`tx$${base58Encode(bytes)}`, 3)).toEqual(bytes);
  });

  it('agrees with the textbook definition on random bytes up to 2 048, leading zeros included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), bytesOf(0, 2048), (zeros, tail) => {
        const bytes = Uint8Array.from([...new Array<number>(zeros).fill(0), ...tail]);
        const encoded = base58Encode(bytes);
        expect(encoded).toBe(textbookEncode(bytes));
        expect(base58Decode(encoded)).toEqual(bytes);
      }),
      { numRuns: 400 },
    );
  });

  it('lengths 0…80 and 2 000…2 100 (words of 1–4 bytes, 0–3 words after the groups of four, limbs of 1–5 digits, the 2 kB hand-over), all-0xff and all-0x01 bytes', () => {
    for (let length = 0; length <= 2100; length = length === 80 ? 2000 : length + 1) {
      for (const fill of [0xff, 0x01]) {
        const bytes = new Uint8Array(length).fill(fill);
        const encoded = base58Encode(bytes);
        expect(encoded).toBe(textbookEncode(bytes));
        expect(base58Decode(encoded)).toEqual(bytes);
      }
    }
  });

  it('the largest values sent to WebAssembly (2 048 bytes: a tx$ of 2 044 and its checksum) and digit strings of every length around 2 797', () => {
    for (const fill of [0xff, 0x80, 0x01]) {
      const bytes = new Uint8Array(2048).fill(fill);
      expect(base58Encode(bytes)).toBe(textbookEncode(bytes));
      expect(base58Decode(textbookEncode(bytes))).toEqual(bytes);
    }
    for (let length = 2790; length <= 2805; length++) {
      for (const digit of ['z', '2']) {
        const digits = digit.repeat(length);
        expect(textbookEncode(decodedBytes(digits))).toBe(digits);
        expect(base58Decode(`111${digits}`)).toEqual(Uint8Array.from([0, 0, 0, ...decodedBytes(digits)]));
      }
    }
  });

  it('the largest values a prefix allows (65 536 bytes with the checksum): powers of 58 at that size, and 2^524 288 − 1', () => {
    // The textbook code takes seconds here; powers of 58 have known digits: 58^k − 1 is k `z`s
    // and 58^k a `2` then k `1`s. 58^89 499 < 2^524 288 < 58^89 500, so both k below are 65 536 bytes or fewer.
    const bytesOfBig = (value: bigint) => {
      const hex = value.toString(16);
      return Uint8Array.from(Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex'));
    };
    for (const k of [89_498, 89_499]) {
      const power = 58n ** BigInt(k);
      for (const [value, digits] of [
        [power - 1n, 'z'.repeat(k)],
        [power, `2${'1'.repeat(k)}`],
      ] as const) {
        const bytes = bytesOfBig(value);
        expect(bytes.length).toBeLessThanOrEqual(65_536);
        expect(base58Encode(bytes)).toBe(digits);
        expect(base58Decode(digits)).toEqual(bytes);
      }
    }
    const largest = new Uint8Array(65_536).fill(0xff);
    const encoded = base58Encode(largest);
    expect(encoded).toHaveLength(89_500);
    expect(base58Decode(encoded)).toEqual(largest);
    expect(base58Decode(`11${encoded}`)).toEqual(Uint8Array.from([0, 0, ...largest]));
  });
});

describe('src/base58-node.ts', () => {
  it('sends values up to 2 kB to WebAssembly (every fixed-size value, and a tx$ of up to 2 044 bytes)', () => {
    expect(onNode.webAssemblyInUse()).toBe(true);
    expect(onNode.WASM_MAX_BYTES).toBe(2048);
    // ⌈2048 · log 256 / log 58⌉ digits: the most 2 048 bytes can need
    expect(onNode.WASM_MAX_DIGITS).toBe(Math.ceil((2048 * Math.log(256)) / Math.log(58)));
  });

  it('decodes one value after another, long after short and short after long (nothing is left over in its memory)', () => {
    const values = [new Uint8Array(1000).fill(0xff), Uint8Array.of(1), new Uint8Array(500).fill(0x7f), Uint8Array.of(0, 0, 9), new Uint8Array(0)];
    const encoded = values.map((bytes) => onNode.base58Encode(bytes));
    expect(encoded).toEqual(values.map(textbookEncode));
    for (let round = 0; round < 3; round++) {
      encoded.forEach((text, index) => expect(onNode.base58Decode(text)).toEqual(values[index]));
    }
  });

  it.each(WEBASSEMBLY_STAND_INS)('%s: the same strings, from the BigInt code', async (_, standIn) => {
    const bytes = Uint8Array.from({ length: 300 }, (_, index) => (index * 37 + 11) & 0xff);
    await withWebAssembly(standIn, async () => {
      const fresh = await import('../src/base58-node.js');
      expect(fresh.base58Encode(bytes)).toBe(textbookEncode(bytes));
      expect(fresh.base58Decode(textbookEncode(bytes))).toEqual(bytes);
      expect(fresh.webAssemblyInUse()).toBe(false);
    });
  });
});

describe('without a latin1 TextDecoder (Hermes, or a UTF-8-only polyfill)', () => {
  it.each([
    ['no TextDecoder at all', undefined],
    [
      'a TextDecoder that knows only UTF-8',
      class {
        constructor(label?: string) {
          if (label !== undefined && label !== 'utf-8') throw new RangeError(`unsupported encoding ${label}`);
        }
      },
    ],
  ])('%s: the package still loads and gives the same strings', async (_, standIn) => {
    const bytes = Uint8Array.from({ length: 300 }, (_, index) => (index * 37 + 11) & 0xff);
    const expected = textbookEncode(bytes);
    vi.resetModules();
    vi.stubGlobal('TextDecoder', standIn);
    try {
      const fresh = await import('../src/base58.js');
      const freshOnNode = await import('../src/base58-node.js');
      const hex = await import('../src/hex.js');
      expect(fresh.base58Encode(bytes)).toBe(expected);
      expect(fresh.base58Decode(expected)).toEqual(bytes);
      expect(freshOnNode.base58Encode(bytes)).toBe(expected);
      expect(freshOnNode.base58Decode(expected)).toEqual(bytes);
      expect(hex.hexDigits(Uint8Array.of(0, 15, 255))).toBe('000fff');
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

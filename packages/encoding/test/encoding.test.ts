/**
 * Known answers (WIRE.md §1.1) and one unit test per `EncodingError` code, with its context.
 */
import {
  assertBytes,
  assertEncoded,
  bytesToHex,
  decode,
  encode,
  EncodingError,
  type EncodingErrorCode,
  hexToBytes,
  isDerSignature,
  isEncoded,
  isLegacyPubkey,
  isPrefix,
  MAX_ENCODED_LENGTH,
  MAX_VARIABLE_PAYLOAD,
  maxPayloadSize,
  PREFIXES,
  parse,
  type Prefix,
} from '@aesc/encoding';
import { createHash } from 'node:crypto';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import { base58Encode } from '../src/base58.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (value: Uint8Array) => Buffer.from(value).toString('hex');

function thrown(run: () => unknown): EncodingError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EncodingError);
    return error as EncodingError;
  }
  throw new Error('expected an EncodingError, nothing was thrown');
}

function expectCode(run: () => unknown, code: EncodingErrorCode, context?: Record<string, unknown>): EncodingError {
  const error = thrown(run);
  expect(error.code).toBe(code);
  if (context !== undefined) expect(error.context).toMatchObject(context);
  return error;
}

/** A valid value of `prefix`: 32 zero bytes, or what the prefix needs. */
function sample(prefix: Prefix): string {
  if (prefix === 'sg') return encode('sg', new Uint8Array(64).fill(7));
  return encode(prefix, new Uint8Array(32).fill(7));
}

describe('known answers of WIRE.md §1.1', () => {
  it('st$3QJmnh is the empty payload (checksum 5df6e0e2)', () => {
    expect(encode('st', new Uint8Array(0))).toBe('st$3QJmnh');
    expect(parse('st$3QJmnh')).toEqual({ prefix: 'st', bytes: new Uint8Array(0) });
    expect(decode('st$3QJmnh', 'st')).toEqual(new Uint8Array(0));
    // base58 of the checksum alone: sha256(sha256("")) starts 5df6e0e2
    expect(hexOf(bs58check.decode('3QJmnh'))).toBe('');
    expect(isEncoded('st$3QJmnh', 'st')).toBe(true);
  });

  it('ak$11111111111111111111111111111111273Yts is 32 zero bytes (each leading 00 is a 1)', () => {
    const zeros = new Uint8Array(32);
    expect(encode('ak', zeros)).toBe('ak$11111111111111111111111111111111273Yts');
    expect(decode('ak$11111111111111111111111111111111273Yts', 'ak')).toEqual(zeros);
    expect(isEncoded('ak$11111111111111111111111111111111273Yts', 'ak')).toBe(true);
  });

  describe('ch$11BwW2qR is 000001', () => {
    // Our decoder enforces sizes (a ch$ payload is 32 bytes), so this KAT cannot come out of
    // decode(…, 'ch'). Its base58check body is checked through the variable-size prefixes (tx$,
    // st$) and bs58check; the ch$ string itself decodes as far as the size check.
    it('the body 11BwW2qR is base58check of 000001 (through tx$ and st$, which take any size)', () => {
      expect(encode('tx', bytes('000001'))).toBe('tx$11BwW2qR');
      expect(encode('st', bytes('000001'))).toBe('st$11BwW2qR');
      expect(hexOf(decode('tx$11BwW2qR', 'tx'))).toBe('000001');
      expect(hexOf(bs58check.decode('11BwW2qR'))).toBe('000001');
    });

    it('as a ch$ value it passes the alphabet and checksum checks and is refused for its size (3, not 32)', () => {
      expectCode(() => parse('ch$11BwW2qR'), 'WRONG_PAYLOAD_SIZE', { prefix: 'ch', size: 3 });
      expectCode(() => decode('ch$11BwW2qR', 'ch'), 'WRONG_PAYLOAD_SIZE', { prefix: 'ch', size: 3 });
      expect(isEncoded('ch$11BwW2qR')).toBe(false);
      expectCode(() => encode('ch', bytes('000001')), 'WRONG_PAYLOAD_SIZE', { prefix: 'ch', size: 3 });
      expect(expectCode(() => parse('ch$11BwW2qR'), 'WRONG_PAYLOAD_SIZE').message).toBe('the ch$ payload must be 32 bytes, got 3 bytes');
      expect(expectCode(() => encode('ak', new Uint8Array(33)), 'WRONG_PAYLOAD_SIZE').message).toBe(
        'the ak$ payload must be 32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1), got 33 bytes',
      );
    });
  });
});

describe('prefixes and payload sizes (WIRE.md §1.2)', () => {
  it('has exactly the 14 prefixes of v0.14', () => {
    expect([...PREFIXES].sort()).toEqual(['ak', 'bh', 'bs', 'bx', 'ch', 'cm', 'nm', 'ok', 'oq', 'pp', 'sg', 'st', 'th', 'tx']);
    for (const prefix of PREFIXES) expect(isPrefix(prefix)).toBe(true);
    for (const other of ['ct', 'pi', 'AK', 'a', 'akk', '', 'ak$']) expect(isPrefix(other)).toBe(false);
  });

  it.each(PREFIXES.map((prefix) => [prefix] as const))('%s$: the largest payload it allows round-trips within the length cap', (prefix) => {
    // 0xff bytes give the longest base58 text for a size.
    const size = maxPayloadSize(prefix);
    const payload =
      prefix === 'sg'
        ? Uint8Array.of(0x30, 70, 0x02, 33, ...new Uint8Array(33).fill(0xff), 0x02, 33, ...new Uint8Array(33).fill(0xff))
        : prefix === 'ak' || prefix === 'ok'
          ? Uint8Array.of(0x04, ...new Uint8Array(64).fill(0xff))
          : new Uint8Array(size).fill(0xff);
    expect(payload.length).toBe(size);
    const encoded = encode(prefix, payload);
    expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_LENGTH);
    expect(parse(encoded, prefix).bytes).toEqual(payload);
  });

  it('ak$ and ok$: 32 bytes, or 65 starting 04 (legacy secp256k1)', () => {
    for (const prefix of ['ak', 'ok'] as const) {
      expect(decode(encode(prefix, new Uint8Array(32)), prefix)).toHaveLength(32);
      const legacy = Uint8Array.of(4, ...new Uint8Array(64).fill(1));
      expect(decode(encode(prefix, legacy), prefix)).toEqual(legacy);
      for (const size of [0, 31, 33, 64, 66]) {
        expectCode(() => encode(prefix, new Uint8Array(size)), 'WRONG_PAYLOAD_SIZE', { prefix, size });
      }
      expectCode(() => encode(prefix, new Uint8Array(65).fill(5)), 'WRONG_PAYLOAD_SIZE', { prefix, size: 65 });
      expectCode(() => parse(`${prefix}$${bs58check.encode(new Uint8Array(65).fill(5))}`), 'WRONG_PAYLOAD_SIZE', { size: 65 });
    }
    expect(isLegacyPubkey(Uint8Array.of(4, ...new Uint8Array(64)))).toBe(true);
    expect(isLegacyPubkey(new Uint8Array(65))).toBe(false);
    expect(isLegacyPubkey(new Uint8Array(32))).toBe(false);
  });

  it('sg$: 64 bytes, or a DER signature', () => {
    const der = bytes('3045022100' + 'ab'.repeat(32) + '0220' + 'cd'.repeat(32));
    expect(isDerSignature(der)).toBe(true);
    expect(decode(encode('sg', der), 'sg')).toEqual(der);
    expect(decode(encode('sg', new Uint8Array(64)), 'sg')).toHaveLength(64);
    for (const bad of [new Uint8Array(63), new Uint8Array(65), der.subarray(0, der.length - 1), Uint8Array.of(0x31, ...der.subarray(1))]) {
      expect(isDerSignature(bad)).toBe(false);
      expectCode(() => encode('sg', bad), 'WRONG_PAYLOAD_SIZE', { prefix: 'sg', size: bad.length });
    }
    // in the words of @aesc/tx's signature check
    expect(() => encode('sg', new Uint8Array(63))).toThrow('the sg$ payload must be 64 bytes (ed25519), or DER (legacy secp256k1), got 63 bytes');
  });

  it('isDerSignature: 30 len 02 rlen r 02 slen s, each integer 1 to 33 bytes, the lengths adding up exactly', () => {
    const ff = (count: number) => 'ff'.repeat(count);
    // the shortest (8 bytes) and the longest (72) a DER signature can be
    for (const good of ['3006020101020101', `3046022100${ff(32)}022100${ff(32)}`, `3045022100${ff(32)}0220${ff(32)}`]) {
      expect(isDerSignature(bytes(good)), good.slice(0, 12)).toBe(true);
      expect(decode(encode('sg', bytes(good)), 'sg')).toEqual(bytes(good));
    }
    for (const bad of [
      '3007020101020101', // the total length byte says 7, there are 6
      '3005020101020101', // ... or 5
      '3006030101020101', // r is not an INTEGER (03)
      '3006020101030101', // s is not an INTEGER
      '3006020002020101', // r of 0 bytes
      '3006020201010200', // s of 0 bytes
      `3046022200${ff(33)}0220${ff(32)}`, // r of 34 bytes (72 in all)
      `30460220${ff(32)}022200${ff(33)}`, // s of 34 bytes (72 in all)
      '30060201010201', // s runs past the end
      '300602010102010101', // a byte after s
    ]) {
      expect(isDerSignature(bytes(bad)), bad.slice(0, 12)).toBe(false);
      expectCode(() => encode('sg', bytes(bad)), 'WRONG_PAYLOAD_SIZE', { prefix: 'sg' });
    }
  });

  it('tx$ and st$: any size up to MAX_VARIABLE_PAYLOAD', () => {
    // 65 532 bytes and the checksum: 64 KiB
    expect(MAX_VARIABLE_PAYLOAD).toBe(65_532);
    for (const prefix of ['tx', 'st'] as const) {
      for (const size of [0, 1, 31, 33, 300, 2044, 2045, 3000]) {
        expect(decode(encode(prefix, new Uint8Array(size).fill(9)), prefix)).toHaveLength(size);
      }
      expectCode(() => encode(prefix, new Uint8Array(MAX_VARIABLE_PAYLOAD + 1)), 'WRONG_PAYLOAD_SIZE', {
        prefix,
        size: MAX_VARIABLE_PAYLOAD + 1,
      });
    }
  });

  it.each(['pp', 'ch', 'th', 'bh', 'bx', 'bs', 'oq', 'cm', 'nm'] as const)('%s$: exactly 32 bytes', (prefix) => {
    expect(decode(encode(prefix, new Uint8Array(32)), prefix)).toHaveLength(32);
    for (const size of [0, 31, 33, 65]) {
      expectCode(() => encode(prefix, new Uint8Array(size)), 'WRONG_PAYLOAD_SIZE', { prefix, size });
    }
    for (const size of [0, 31, 33]) {
      expectCode(() => parse(`${prefix}$${bs58check.encode(new Uint8Array(size))}`), 'WRONG_PAYLOAD_SIZE', { prefix, size });
    }
    // 65 bytes take more characters than any 32-byte payload: refused by the length cap first.
    expectCode(() => parse(`${prefix}$${bs58check.encode(new Uint8Array(65))}`), 'INPUT_TOO_LONG', { prefix });
  });

  describe('tx$ and st$ around MAX_VARIABLE_PAYLOAD', () => {
    // Base58 is quadratic: the cap bounds the work of the largest value, and anything larger is
    // refused with a typed error before any conversion. (bs58check takes seconds at 64 KiB: it
    // checks sizes past the old 2 044-byte cap and the 2 048-byte WebAssembly hand-over; the
    // conversion at 64 KiB is checked against powers of 58 in base58.test.ts.)
    const pattern = (size: number) => new Uint8Array(size).map((_, index) => (index * 7 + 1) & 0xff);
    /** `prefix$base58(payload ‖ checksum)` of any size, written without `encode`'s size check. */
    const unchecked = (prefix: string, payload: Uint8Array) => {
      const sum = createHash('sha256').update(createHash('sha256').update(payload).digest()).digest().subarray(0, 4);
      const withSum = new Uint8Array(payload.length + 4);
      withSum.set(payload);
      withSum.set(sum, payload.length);
      return `${prefix}$${base58Encode(withSum)}`;
    };

    it.each([2044, 2045, 3000])('a payload of %i bytes encodes as bs58check does and parses back', (size) => {
      const payload = pattern(size);
      for (const prefix of ['tx', 'st'] as const) {
        const encoded = encode(prefix, payload);
        expect(encoded).toBe(`${prefix}$${bs58check.encode(payload)}`);
        expect(parse(encoded).bytes).toEqual(payload);
      }
    });

    it.each([1, 2, 0])('a payload of MAX_VARIABLE_PAYLOAD - %i bytes encodes and parses back, within MAX_ENCODED_LENGTH', (less) => {
      const payload = pattern(MAX_VARIABLE_PAYLOAD - less);
      for (const prefix of ['tx', 'st'] as const) {
        const encoded = encode(prefix, payload);
        expect(encoded).toBe(unchecked(prefix, payload));
        expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_LENGTH);
        expect(parse(encoded).bytes).toEqual(payload);
        expect(decode(encoded, prefix)).toEqual(payload);
      }
    });

    it('one byte more (65 533) is WRONG_PAYLOAD_SIZE in encode, and a typed error in parse', () => {
      const payload = pattern(MAX_VARIABLE_PAYLOAD + 1);
      expect(payload.length).toBe(65_533);
      for (const prefix of ['tx', 'st'] as const) {
        expectCode(() => encode(prefix, payload), 'WRONG_PAYLOAD_SIZE', { prefix, size: 65_533 });
        const error = thrown(() => parse(unchecked(prefix, payload)));
        expect(['INPUT_TOO_LONG', 'WRONG_PAYLOAD_SIZE']).toContain(error.code);
        // leading zero bytes take one character each: short enough to be decoded, then refused for its size
        expectCode(() => parse(unchecked(prefix, new Uint8Array(MAX_VARIABLE_PAYLOAD + 1))), 'WRONG_PAYLOAD_SIZE', { prefix, size: 65_533 });
      }
    });

    it.each([4096, 4097, 5000, MAX_ENCODED_LENGTH - 3, MAX_ENCODED_LENGTH - 2])('a tx$ body of %i characters is a typed error, never a plain Error', (length) => {
      const error = thrown(() => parse(`tx$${'2'.repeat(length)}`));
      expect(['INPUT_TOO_LONG', 'BAD_CHECKSUM']).toContain(error.code);
      expect(isEncoded(`st$${'z'.repeat(length)}`)).toBe(false);
    });
  });
});

describe('one test per error code', () => {
  it('EMPTY_INPUT: nothing at all, or nothing after the $', () => {
    expectCode(() => parse(''), 'EMPTY_INPUT', { length: 0 });
    expectCode(() => parse('ak$'), 'EMPTY_INPUT', { prefix: 'ak' });
    expectCode(() => decode('tx$', 'tx'), 'EMPTY_INPUT');
  });

  it('INPUT_TOO_LONG: over the global cap, or over the cap of the prefix, before any base58 work', () => {
    const huge = 'a'.repeat(10_000_000);
    expectCode(() => parse(huge), 'INPUT_TOO_LONG', { length: huge.length });
    expectCode(() => parse(`tx$${huge}`), 'INPUT_TOO_LONG');
    expectCode(() => parse('x'.repeat(MAX_ENCODED_LENGTH + 1)), 'INPUT_TOO_LONG', { length: MAX_ENCODED_LENGTH + 1 });
    // The global cap is the longest tx$ of all: 3 + the base58 length of 65 536 bytes of ff.
    expect(MAX_ENCODED_LENGTH).toBe(3 + 89_500);
    expect(encode('tx', new Uint8Array(MAX_VARIABLE_PAYLOAD).fill(0xff))).toHaveLength(MAX_ENCODED_LENGTH);
    expectCode(() => parse('x'.repeat(MAX_ENCODED_LENGTH)), 'MISSING_PREFIX');
    // One character over is refused before decoding: characters outside the alphabet are not
    // looked at, where one fewer is decoded and its first bad character found.
    expectCode(() => parse(`tx$${'0'.repeat(MAX_ENCODED_LENGTH - 2)}`), 'INPUT_TOO_LONG', { length: MAX_ENCODED_LENGTH + 1 });
    expectCode(() => parse(`tx$2${'0'.repeat(MAX_ENCODED_LENGTH - 4)}`), 'INVALID_CHARACTER', { prefix: 'tx', position: 4 });
    // An ak$ holds at most 65 bytes: 100 characters are too many whatever they are.
    expectCode(() => parse(`ak$${'2'.repeat(100)}`), 'INPUT_TOO_LONG', { prefix: 'ak', length: 100 });
    // even with characters outside the alphabet: the length is checked first
    expectCode(() => parse(`th$${'0'.repeat(100)}`), 'INPUT_TOO_LONG', { prefix: 'th' });
    expect(isEncoded(huge)).toBe(false);
  });

  it.each([...PREFIXES])('INPUT_TOO_LONG for %s$: exactly one character more than its largest payload can take', (prefix) => {
    // The base58 length of the largest number of maxPayloadSize + 4 (checksum) bytes, 2^bits - 1:
    // the least k with 58^k ≥ 2^bits, found from the logarithm and checked exactly by bigint.
    const bits = 8 * (maxPayloadSize(prefix) + 4);
    const longest = Math.ceil(bits / Math.log2(58));
    expect(58n ** BigInt(longest) >= 1n << BigInt(bits) && 58n ** BigInt(longest - 1) < 1n << BigInt(bits)).toBe(true);
    expect(thrown(() => parse(`${prefix}$${'2'.repeat(longest)}`)).code).not.toBe('INPUT_TOO_LONG');
    expectCode(() => parse(`${prefix}$${'2'.repeat(longest + 1)}`), 'INPUT_TOO_LONG');
  });

  it('MISSING_PREFIX: no $ at all', () => {
    expectCode(() => parse('11111111111111111111111111111111273Yts'), 'MISSING_PREFIX');
    expectCode(() => parse('ak'), 'MISSING_PREFIX');
  });

  it('UNKNOWN_PREFIX: anything before the first $ that is not one of the 14, compared case-sensitively', () => {
    for (const input of ['zz$3QJmnh', 'AK$3QJmnh', 'Ak$3QJmnh', '$3QJmnh', 'a$3QJmnh', 'akk$3QJmnh', 'ct$3QJmnh', ' ak$3QJmnh', 'ak $3QJmnh']) {
      expectCode(() => parse(input), 'UNKNOWN_PREFIX');
    }
    expectCode(() => encode('zz' as Prefix, new Uint8Array(32)), 'UNKNOWN_PREFIX', { prefix: 'zz' });
    // The prefix is echoed in the context, clipped and with control characters replaced.
    const error = expectCode(() => parse(`${'\u0000'.repeat(40)}$abc`), 'UNKNOWN_PREFIX');
    expect(error.context.prefix).not.toMatch(/\u0000/);
    expect(error.message.length).toBeLessThan(200);
  });

  it('WRONG_PREFIX: a valid value of another kind than the caller expects', () => {
    const account = sample('ak');
    expectCode(() => parse(account, 'ch'), 'WRONG_PREFIX', { prefix: 'ak', expected: 'ch' });
    expectCode(() => decode(account, ['ch', 'th']), 'WRONG_PREFIX', { prefix: 'ak', expected: 'ch|th' });
    expect(expectCode(() => parse(account, 'ch'), 'WRONG_PREFIX').message).toBe('expected prefix ch$, got ak$');
    expect(expectCode(() => decode(account, ['th', 'ch']), 'WRONG_PREFIX').message).toBe('expected prefix ch|th$, got ak$');
    expect(decode(account, ['ch', 'ak'])).toHaveLength(32);
    expect(isEncoded(account, 'ch')).toBe(false);
    expect(isEncoded(account, ['ch', 'ak'])).toBe(true);
  });

  it('INVALID_CHARACTER: 0 O I l, a second $, whitespace, non-ASCII — with the position', () => {
    const valid = sample('th');
    for (const bad of ['0', 'O', 'I', 'l', '$', ' ', '\n', '\u0000', 'é', '😀', '\u200b', '+', '/', '=']) {
      const input = `${valid.slice(0, 10)}${bad}${valid.slice(11)}`;
      expectCode(() => parse(input), 'INVALID_CHARACTER', { prefix: 'th', position: 10 });
    }
    expectCode(() => parse(`${valid}\n`), 'INVALID_CHARACTER');
    // No trimming (WIRE.md §1.3)
    expectCode(() => parse(`${valid} `), 'INVALID_CHARACTER');
  });

  it('BAD_CHECKSUM: one character changed, or too short to hold a checksum', () => {
    const valid = sample('ak');
    const last = valid.at(-1) === '2' ? '3' : '2';
    expectCode(() => parse(`${valid.slice(0, -1)}${last}`), 'BAD_CHECKSUM', { prefix: 'ak' });
    // fewer than 4 decoded bytes
    expectCode(() => parse('tx$1'), 'BAD_CHECKSUM', { prefix: 'tx' });
    expectCode(() => parse('tx$2'), 'BAD_CHECKSUM');
    expectCode(() => parse('st$3QJmni'), 'BAD_CHECKSUM');
    // The reference's base58 quirk (a run of 1s gives one extra 00) cannot pass a checksum.
    expectCode(() => parse('tx$11111'), 'BAD_CHECKSUM');
    // Every one of the four checksum bytes is checked: a value wrong in exactly one of them.
    const payload = new Uint8Array(32).fill(7);
    const good = createHash('sha256').update(createHash('sha256').update(payload).digest()).digest().subarray(0, 4);
    expect(parse(`ak$${base58Encode(Uint8Array.of(...payload, ...good))}`).bytes).toEqual(payload);
    for (let index = 0; index < 4; index++) {
      const wrong = Uint8Array.of(...good);
      wrong[index] = (wrong[index] as number) ^ 1;
      expectCode(() => parse(`ak$${base58Encode(Uint8Array.of(...payload, ...wrong))}`), 'BAD_CHECKSUM', { prefix: 'ak' });
    }
  });

  it('WRONG_PAYLOAD_SIZE: valid base58check of a size the prefix never has (after the checksum check)', () => {
    expectCode(() => parse(`ch$${bs58check.encode(new Uint8Array(33))}`), 'WRONG_PAYLOAD_SIZE', { prefix: 'ch', size: 33 });
    expectCode(() => parse(`sg$${bs58check.encode(new Uint8Array(63))}`), 'WRONG_PAYLOAD_SIZE', { prefix: 'sg', size: 63 });
  });

  it('EncodingError is an Error with a name, a stable code and a context', () => {
    const error = expectCode(() => parse('nope'), 'MISSING_PREFIX');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('EncodingError');
    expect(typeof error.message).toBe('string');
    expect(error.context).toEqual({ length: 4 });
  });

  it('wrong argument shapes are TypeError/RangeError, not EncodingError', () => {
    expect(() => parse(42 as unknown as string)).toThrow(TypeError);
    expect(() => encode('ak', 'ak$…' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => encode(7 as unknown as Prefix, new Uint8Array(32))).toThrow(TypeError);
    expect(() => assertEncoded(null)).toThrow(TypeError);
    expect(() => assertBytes([1, 2], 'key')).toThrow(/key must be a Uint8Array/);
    expect(() => assertBytes(new Uint8Array(3), 'key', 32, 65)).toThrow(RangeError);
    expect(isEncoded(42)).toBe(false);
    expect(isEncoded(null)).toBe(false);
    // an empty list of expected prefixes is the caller's mistake, not a WRONG_PREFIX
    expect(() => parse(sample('ak'), [])).toThrow(RangeError);
    expect(() => decode(sample('ak'), [])).toThrow(RangeError);
    // no expected prefix at all: decode is not parse
    expect(() => decode(sample('ak'), undefined as never)).toThrow(new TypeError('decode needs the expected prefix (or prefixes); parse reads any'));
    expect(() => isEncoded(sample('ak'), [])).toThrow(RangeError);
  });

  it('assertEncoded throws the EncodingError that explains the problem, and passes valid values', () => {
    expectCode(() => assertEncoded('ak$'), 'EMPTY_INPUT');
    expectCode(() => assertEncoded(sample('ak'), 'th'), 'WRONG_PREFIX');
    expect(() => assertEncoded(sample('ak'), 'ak')).not.toThrow();
    expect(() => assertEncoded(sample('th'))).not.toThrow();
  });
});

describe('hex', () => {
  it('bytesToHex is lowercase without 0x; hexToBytes takes either case and an optional 0x', () => {
    expect(bytesToHex(bytes('00ff10ab'))).toBe('00ff10ab');
    expect(bytesToHex(new Uint8Array(0))).toBe('');
    expect(hexToBytes('00FF10ab')).toEqual(bytes('00ff10ab'));
    expect(hexToBytes('0x00ff')).toEqual(bytes('00ff'));
    expect(hexToBytes('0X00ff')).toEqual(bytes('00ff'));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
  });

  it('an odd length or a non-hex digit is INVALID_CHARACTER', () => {
    expectCode(() => hexToBytes('abc'), 'INVALID_CHARACTER', { length: 3 });
    // positions are in the string given, 0x included, as parse counts the prefix
    expectCode(() => hexToBytes('0xg0'), 'INVALID_CHARACTER', { position: 2 });
    expectCode(() => hexToBytes('0X00zz'), 'INVALID_CHARACTER', { position: 4 });
    expect(() => hexToBytes('0x00zz')).toThrow('"zz" at position 4 is not hex');
    expectCode(() => hexToBytes('00 1'), 'INVALID_CHARACTER');
    expectCode(() => hexToBytes('+1'), 'INVALID_CHARACTER', { position: 0 });
    expectCode(() => hexToBytes('0x0x'), 'INVALID_CHARACTER');
    expectCode(() => hexToBytes('０１'), 'INVALID_CHARACTER');
    // the position is the start of the pair holding the bad digit, high or low
    expectCode(() => hexToBytes('00aé'), 'INVALID_CHARACTER', { position: 2 });
    expectCode(() => hexToBytes('00éa'), 'INVALID_CHARACTER', { position: 2 });
  });
});

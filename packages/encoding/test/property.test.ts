/**
 * Property tests of `prefix$base58check`, cross-checked against bs58check (an independent
 * implementation: base-x + its own checksum code) for the base58check body.
 */
import {
  bytesToHex,
  decode,
  encode,
  EncodingError,
  hexToBytes,
  isEncoded,
  maxPayloadSize,
  PREFIXES,
  parse,
  type Prefix,
} from '@aesc/encoding';
import bs58check from 'bs58check';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, derSignature, legacyPubkey } from '../../../test/support/arbitraries.js';

fc.configureGlobal({ interruptAfterTimeLimit: 20_000 });

const FIXED_32: Prefix[] = ['pp', 'ch', 'th', 'bh', 'bx', 'bs', 'oq', 'cm', 'nm'];

/** Leading zero bytes (each becomes a leading `1`) followed by anything. */
function withLeadingZeros(rest: fc.Arbitrary<Uint8Array>, maxZeros: number): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min: 0, max: maxZeros }), rest).map(([zeros, tail]) => Uint8Array.of(...new Uint8Array(zeros), ...tail));
}

/** A payload of the right size for `prefix`, often with leading zero bytes. */
function payloadFor(prefix: Prefix): fc.Arbitrary<Uint8Array> {
  const sized = (size: number) =>
    fc.oneof(bytesOf(size), fc.integer({ min: 0, max: size }).chain((zeros) => bytesOf(size - zeros).map((tail) => Uint8Array.of(...new Uint8Array(zeros), ...tail))));
  switch (prefix) {
    case 'ak':
    case 'ok':
      return fc.oneof(sized(32), legacyPubkey);
    case 'sg':
      return fc.oneof(sized(64), derSignature);
    case 'tx':
    case 'st':
      // capped at MAX_VARIABLE_PAYLOAD (see encoding.test.ts); 0..600 covers the hot path.
      return withLeadingZeros(bytesOf(0, 600), 40);
    default:
      return sized(32);
  }
}

const prefixAndPayload = fc.constantFrom(...PREFIXES).chain((prefix) => payloadFor(prefix).map((payload) => ({ prefix, payload })));

describe('base58check against bs58check', () => {
  it('encode(prefix, payload) is prefix$ + bs58check.encode(payload), and both decoders agree', () => {
    fc.assert(
      fc.property(prefixAndPayload, ({ prefix, payload }) => {
        const encoded = encode(prefix, payload);
        const body = bs58check.encode(payload);
        expect(encoded).toBe(`${prefix}$${body}`);
        expect(bs58check.decode(encoded.slice(3))).toEqual(payload);
        expect(parse(encoded)).toEqual({ prefix, bytes: payload });
        expect(decode(encoded, prefix)).toEqual(payload);
        expect(isEncoded(encoded, prefix)).toBe(true);
        // one leading 1 per leading zero byte
        const zeros = payload.findIndex((byte) => byte !== 0);
        const leadingZeros = zeros < 0 ? payload.length : zeros;
        expect(body.length - body.replace(/^1+/, '').length).toBe(leadingZeros);
      }),
      { numRuns: 1000 },
    );
  });

  it('any string bs58check accepts, we accept with the same payload when its size suits the prefix', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), withLeadingZeros(bytesOf(0, 80), 8), (prefix, payload) => {
        const input = `${prefix}$${bs58check.encode(payload)}`;
        let ours: Uint8Array | EncodingError;
        try {
          ours = parse(input).bytes;
        } catch (error) {
          expect(error).toBeInstanceOf(EncodingError);
          ours = error as EncodingError;
        }
        if (ours instanceof EncodingError) {
          // only the size rules of our stricter decoder may refuse it
          expect(['WRONG_PAYLOAD_SIZE', 'INPUT_TOO_LONG']).toContain(ours.code);
          expect(() => encode(prefix, payload)).toThrow(EncodingError);
        } else {
          expect(ours).toEqual(payload);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a string over the alphabet: we accept exactly when bs58check does (and the size fits), with the same bytes', () => {
    const body = fc.string({ unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'), minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(body, (text) => {
        const theirs = bs58check.decodeUnsafe(text);
        let ours: Uint8Array | undefined;
        try {
          ours = parse(`tx$${text}`).bytes;
        } catch (error) {
          expect(error).toBeInstanceOf(EncodingError);
          expect((error as EncodingError).code).toBe('BAD_CHECKSUM');
        }
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 2000 },
    );
  });

  it('one changed character is refused (checksum or alphabet), never read as other bytes', () => {
    fc.assert(
      fc.property(prefixAndPayload, fc.nat(), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }), ({ prefix, payload }, at, replacement) => {
        const encoded = encode(prefix, payload);
        const index = 3 + (at % (encoded.length - 3));
        fc.pre(encoded[index] !== replacement);
        const mutated = `${encoded.slice(0, index)}${replacement}${encoded.slice(index + 1)}`;
        expect(() => parse(mutated)).toThrow(EncodingError);
        expect(isEncoded(mutated)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('a valid value of one prefix is WRONG_PREFIX for every other', () => {
    fc.assert(
      fc.property(prefixAndPayload, fc.constantFrom(...PREFIXES), ({ prefix, payload }, other) => {
        fc.pre(other !== prefix);
        const encoded = encode(prefix, payload);
        expect(() => parse(encoded, other)).toThrow(expect.objectContaining({ code: 'WRONG_PREFIX' }));
        expect(isEncoded(encoded, other)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('payload size rules', () => {
  it('a 32-byte prefix refuses every other size, in encode and in parse', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXED_32), bytesOf(0, 40), (prefix, payload) => {
        fc.pre(payload.length !== 32);
        expect(() => encode(prefix, payload)).toThrow(expect.objectContaining({ code: 'WRONG_PAYLOAD_SIZE' }));
        expect(() => parse(`${prefix}$${bs58check.encode(payload)}`)).toThrow(EncodingError);
      }),
      { numRuns: 300 },
    );
  });

  it('every accepted payload is within maxPayloadSize of its prefix', () => {
    fc.assert(
      fc.property(prefixAndPayload, ({ prefix, payload }) => {
        expect(payload.length).toBeLessThanOrEqual(maxPayloadSize(prefix));
      }),
      { numRuns: 300 },
    );
  });
});

describe('hex', () => {
  it('bytesToHex matches Buffer, hexToBytes reads it back in either case, with or without 0x', () => {
    fc.assert(
      fc.property(bytesOf(0, 200), fc.boolean(), fc.boolean(), (bytes, upper, prefixed) => {
        const hex = bytesToHex(bytes);
        expect(hex).toBe(Buffer.from(bytes).toString('hex'));
        const input = `${prefixed ? '0x' : ''}${upper ? hex.toUpperCase() : hex}`;
        expect(hexToBytes(input)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('hexToBytes refuses any string that is not pairs of hex digits, with EncodingError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (text) => {
        const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
        const valid = /^([0-9a-fA-F]{2})*$/.test(digits);
        if (valid) expect(bytesToHex(hexToBytes(text))).toBe(digits.toLowerCase());
        else expect(() => hexToBytes(text)).toThrow(EncodingError);
      }),
      { numRuns: 1000 },
    );
  });
});

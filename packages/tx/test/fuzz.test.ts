/**
 * Fuzz test of every decoder (CI size). The engine is scripts/fuzz.mjs, run here on the
 * sources; `pnpm fuzz -- 2000000` runs it longer on the built packages. Fixed seed, so a
 * failure here replays; AESC_FUZZ_SEED / AESC_FUZZ_COUNT override both.
 *
 * Asserted: only `TxError`/`EncodingError` come out of a decoder (never TypeError, RangeError,
 * a stack overflow or a plain Error); what a decoder accepts re-serializes to exactly its input
 * (bytes, `tx$` string or JSON form); the entry points agree with each other; the node build of
 * @aesc/encoding (dist/node.js: WebAssembly base58) parses and encodes exactly as the sources
 * (the portable build) do.
 */
import * as encoding from '@aesc/encoding';
import { EncodingError } from '@aesc/encoding';
import * as tx from '@aesc/tx';
import { decodeRlp, decodeTx, deserializeTx, encodeRlp, encodeTx, serializeTx, type Tx, TxError } from '@aesc/tx';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error — plain JS engine shared with the long-running script
import { formatReport, fuzz } from '../../../scripts/fuzz.mjs';
import { anyTx } from '../../../test/support/arbitraries.js';

const COUNT = Number(process.env.AESC_FUZZ_COUNT ?? 150_000);
const SEED = Number(process.env.AESC_FUZZ_SEED ?? 20_180_523);

interface FuzzResult {
  inputs: number;
  counts: Map<string, number>;
  violations: Map<string, { count: number; examples: string[] }>;
  slowest: { ms: number; input: string };
  corpusSize: number;
}

describe(`fuzz campaign (${COUNT} inputs, seed ${SEED})`, () => {
  let result: FuzzResult;
  let report = '';

  beforeAll(async () => {
    // built by the test command before the tests run, as the packages' own tests of it are
    const otherEncoding = await import(new URL('../../encoding/dist/node.js', import.meta.url).href);
    result = fuzz({ encoding, tx, otherEncoding }, { count: COUNT, seed: SEED }) as FuzzResult;
    report = formatReport(result) as string;
    if (process.env.AESC_FUZZ_VERBOSE) console.log(report);
  }, 120_000);

  const violationsLike = (pattern: RegExp) =>
    [...result.violations]
      .filter(([kind]) => pattern.test(kind))
      .map(([kind, { count, examples }]) => `${count} × ${kind}\n    e.g. ${examples.join('\n    e.g. ')}`);

  it('ran at least 100 000 inputs, reaching every decoder and every kind of outcome', () => {
    expect(result.inputs).toBeGreaterThanOrEqual(100_000);
    const outcomes = [...result.counts.keys()];
    for (const name of ['decodeRlp', 'deserializeTx', 'decodeTx', 'parse', 'fromJSON']) {
      expect(outcomes.filter((key) => key.startsWith(`${name}: `)).length, name).toBeGreaterThan(1);
      expect(result.counts.get(`${name}: accepted`) ?? 0, `${name} accepted some inputs`).toBeGreaterThan(0);
    }
    expect(result.counts.get('isEncoded: returned true') ?? 0).toBeGreaterThan(0);
    // every string went through the node build of @aesc/encoding too, with the same outcome
    const parsed = outcomes.filter((key) => key.startsWith('parse: ')).reduce((sum, key) => sum + (result.counts.get(key) ?? 0), 0);
    expect(parsed).toBeGreaterThan(30_000);
    expect(result.counts.get('parse, both builds: same outcome')).toBe(parsed);
    expect(result.counts.get('isEncoded: returned false') ?? 0).toBeGreaterThan(0);
    // The mutations reach the deep checks, not only the framing ones.
    for (const code of ['NON_CANONICAL_RLP', 'NON_CANONICAL_INT', 'WRONG_FIELD_SIZE', 'WRONG_FIELD_COUNT', 'EXPECTED_LIST', 'EXPECTED_BYTES', 'NESTING_TOO_DEEP', 'NON_CANONICAL_ORDER', 'WRONG_VERSION', 'UNKNOWN_TAG']) {
      expect(result.counts.get(`deserializeTx: ${code}`) ?? 0, code).toBeGreaterThan(0);
    }
    for (const code of ['BAD_CHECKSUM', 'INVALID_CHARACTER', 'UNKNOWN_PREFIX', 'MISSING_PREFIX', 'INPUT_TOO_LONG', 'EMPTY_INPUT', 'WRONG_PAYLOAD_SIZE']) {
      expect(result.counts.get(`parse: ${code}`) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it('only TxError / EncodingError come out of a decoder', () => {
    expect(violationsLike(/threw|message over/), report).toEqual([]);
  });

  it('whatever a decoder accepts re-serializes to exactly its input', () => {
    expect(violationsLike(/accept/), report).toEqual([]);
  });

  it('decodeTx, deserializeTx, decodeRlp, parse and isEncoded agree with each other', () => {
    expect(violationsLike(/disagree|another type|mode/), report).toEqual([]);
  });

  it('found no violation of any other kind', () => {
    expect(violationsLike(/^(?!.*(threw|message over|accept|disagree|another type|mode)).*/), report).toEqual([]);
  });
});

describe('fast-check driven mutation of arbitrary transactions (shrinks to a minimal input)', () => {
  type Mutation = { at: number; kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate'; byte: number };
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
    byte: fc.integer({ min: 0, max: 255 }),
  });

  function apply(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
    let out = Uint8Array.from(bytes);
    for (const { at, kind, byte } of mutations) {
      const index = out.length === 0 ? 0 : at % (out.length + (kind === 'insert' ? 1 : 0));
      if (kind === 'flip' && out.length > 0) out[index] = (out[index] as number) ^ (1 << (byte % 8));
      else if (kind === 'set' && out.length > 0) out[index] = byte;
      else if (kind === 'insert') out = Uint8Array.of(...out.subarray(0, index), byte, ...out.subarray(index));
      else if (kind === 'delete') out = Uint8Array.of(...out.subarray(0, index), ...out.subarray(index + 1));
      else if (kind === 'truncate') out = out.subarray(0, index);
    }
    return out;
  }

  function onlyTyped(run: () => unknown, ...allowed: (typeof TxError | typeof EncodingError)[]): unknown {
    try {
      return run();
    } catch (error) {
      if (!allowed.some((type) => error instanceof type)) throw new Error(`unexpected ${String(error)}`, { cause: error });
      return undefined;
    }
  }

  it('a mutated serialization is refused with TxError or accepted only in canonical form', () => {
    fc.assert(
      fc.property(anyTx, fc.array(mutation, { minLength: 1, maxLength: 3 }), (original: Tx, mutations) => {
        const input = apply(serializeTx(original), mutations);
        const items = onlyTyped(() => decodeRlp(input), TxError);
        if (items !== undefined) expect(Buffer.from(encodeRlp(items as never)).equals(Buffer.from(input))).toBe(true);
        const decoded = onlyTyped(() => deserializeTx(input), TxError) as Tx | undefined;
        if (decoded !== undefined) expect(Buffer.from(serializeTx(decoded)).equals(Buffer.from(input))).toBe(true);
        if (input.length > 0 && input.length <= encoding.MAX_VARIABLE_PAYLOAD) {
          const viaString = onlyTyped(() => decodeTx(encoding.encode('tx', input)), TxError, EncodingError) as Tx | undefined;
          expect(viaString === undefined).toBe(decoded === undefined);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a mutated tx$ string is refused with EncodingError/TxError or accepted only in canonical form', () => {
    const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz$0OIl ';
    fc.assert(
      fc.property(anyTx, fc.nat(), fc.nat({ max: ALPHABET.length - 1 }), (original: Tx, at, replacement) => {
        const bytes = serializeTx(original);
        fc.pre(bytes.length <= encoding.MAX_VARIABLE_PAYLOAD);
        const encoded = encodeTx(original);
        const index = at % encoded.length;
        const mutated = `${encoded.slice(0, index)}${ALPHABET[replacement]}${encoded.slice(index + 1)}`;
        const decoded = onlyTyped(() => decodeTx(mutated), TxError, EncodingError) as Tx | undefined;
        if (decoded !== undefined) expect(encodeTx(decoded)).toBe(mutated);
      }),
      { numRuns: 2000 },
    );
  });
});

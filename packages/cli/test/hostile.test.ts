import { EncodingError, encode } from '@aesc/encoding';
import { SignerError } from '@aesc/signer';
import { decodeTx, encodeTx, TX_DEFINITIONS, type Tx, TxError } from '@aesc/tx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceVectors } from '../../../test/support/vectors.js';
import { CliError } from '../src/errors.js';
import { formatValueReport } from '../src/format.js';
import { checkSignatures, inspectTx, inspectValue } from '../src/inspect.js';
import { readLines } from '../src/io.js';
import { run } from '../src/run.js';
import { jsonLines, runCli } from './support.js';

const { vectors } = referenceVectors;

/** Values no public function should take, yet must refuse cleanly. */
const HOSTILE: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['NaN', Number.NaN],
  ['a bigint', 7n],
  ['a string', 'tx$garbage'],
  ['an empty string', ''],
  ['a symbol', Symbol('tx')],
  ['a function', () => 'tx$'],
  ['an array', ['tx$garbage']],
  ['a Uint16Array', new Uint16Array(8)],
  ['a Uint8Array', new Uint8Array(8)],
  ['an empty object', {}],
  ['a spoofed signed_tx', { type: 'signed_tx', signatures: 'sg$', tx: { type: 'spend_tx' } }],
  ['a spoofed tx', { type: 'spend_tx', sender: 'ak$', amount: 1 }],
  ['a spoofed type', { type: 'channel_create_tx' }],
  ['an unknown type', { type: '__proto__' }],
  ['a proxy that throws', new Proxy({}, { get: () => { throw new TypeError('trap'); } })],
];

/** What a public function may throw on a hostile argument: a shape error or a declared error. */
function expectCleanRefusal(error: unknown) {
  const clean =
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof EncodingError ||
    error instanceof TxError ||
    error instanceof SignerError ||
    error instanceof CliError;
  if (!clean) throw error;
  expect(clean).toBe(true);
}

async function outcome(call: () => unknown): Promise<'ok' | 'refused'> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    expectCleanRefusal(error);
    return 'refused';
  }
}

const silentIo = { stdout: () => {}, stderr: () => {}, stdin: async function* () {} };

describe('hostile arguments to every public function', () => {
  const functions: [string, (value: unknown) => unknown][] = [
    ['inspectValue(value)', (value) => inspectValue(value as string)],
    ['inspectValue(tx, options)', (value) => inspectValue(vectors[0]?.signed.tx ?? '', value as never)],
    ['inspectValue(tx, {signers})', (value) => inspectValue(vectors[0]?.signed.tx ?? '', { signers: [value] as never })],
    ['inspectTx(tx)', (value) => inspectTx(value as Tx)],
    ['checkSignatures(tx)', (value) => checkSignatures(value as never)],
    ['checkSignatures(tx, options)', (value) => checkSignatures(decodeTx(vectors[0]?.signed.tx ?? '', 'signed_tx'), value as never)],
    ['checkSignatures(tx, {signers})', (value) => checkSignatures(decodeTx(vectors[0]?.signed.tx ?? '', 'signed_tx'), { signers: [value] as never })],
    ['checkSignatures(tx, {candidates})', (value) => checkSignatures(decodeTx(vectors[0]?.signed.tx ?? '', 'signed_tx'), { candidates: [value] as never })],
    ['formatValueReport(report)', (value) => formatValueReport(value as never)],
    ['readLines(source)', async (value) => {
      for await (const line of readLines(value as never)) expect(line).toBeDefined();
    }],
    ['readLines(chunks)', async (value) => {
      for await (const line of readLines((async function* () { yield value as string; })())) expect(line).toBeDefined();
    }],
    ['run(argv)', (value) => run(value as string[], silentIo)],
    ['run([…argv])', (value) => run(['inspect', value as string], silentIo)],
    ['run(argv, io)', (value) => run(['--version'], value as never)],
  ];

  it.each(functions.flatMap(([name, call]) => HOSTILE.map(([label, value]) => [name, label, call, value] as const)))(
    '%s with %s refuses with a typed error or succeeds',
    async (_name, _label, call, value) => {
      expect(['ok', 'refused']).toContain(await outcome(() => call(value)));
    },
  );

  it('refuses the hostile table in every verb of the command line, never with an internal error', async () => {
    const verbs = [['inspect'], ['inspect', '--signers'], ['build'], ['hash'], ['decode'], ['verify'], ['encode', 'tx'], ['sign', '--key', '/nonexistent']];
    for (const verb of verbs) {
      for (const [, value] of HOSTILE) {
        if (typeof value !== 'string') continue;
        const result = await runCli([...verb, value]);
        if (result.code === 0) {
          // The one success of the table: the empty tx$ payload.
          expect([...verb, value]).toEqual(['encode', 'tx', '']);
        } else {
          expect([1, 2]).toContain(result.code);
          expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
        }
      }
    }
  });
});

describe('fuzz: the command line answers any input with a result or one typed error line', () => {
  const encoded = vectors.flatMap((vector) => [vector.unsigned.tx, vector.signed.tx]);
  const mutatedValue = fc.tuple(fc.constantFrom(...encoded), fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), fc.nat({ max: 3 })).map(
    ([value, position, insert, remove]) => {
      const at = position % value.length;
      return value.slice(0, at) + insert + value.slice(at + remove);
    },
  );
  const mutatedBytes = fc.tuple(fc.constantFrom(...vectors.map((vector) => vector.signed.hex)), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 })).map(
    ([hexText, edits]) => {
      const bytes = Uint8Array.from(Buffer.from(hexText, 'hex'));
      for (const [position, byte] of edits) bytes[position % bytes.length] = byte;
      return encode('tx', bytes);
    },
  );
  // `-` means standard input, not a value.
  const anyValue = fc
    .oneof(mutatedValue, mutatedBytes, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 60 }))
    .filter((value) => value !== '-');

  it('inspect of random and mutated values: exit 0 with a report, or exit 1 with one typed line', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, async (value) => {
        const result = await runCli(['inspect', '--json', '--', value]);
        if (result.code === 0) {
          expect(JSON.parse(result.stdout)).toHaveProperty('type');
        } else {
          expect(result.code).toBe(1);
          expect(JSON.parse(result.stdout)).toEqual({ error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) } });
          expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('inspect - of random byte streams: one JSON line per input line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), anyValue.map((value) => new TextEncoder().encode(`${value}\n`))), { maxLength: 8 }), async (chunks) => {
        const result = await runCli(['inspect', '-'], chunks);
        expect([0, 1]).toContain(result.code);
        const text = Buffer.concat(chunks).toString('utf8');
        const expectedLines = text.split('\n').length - (text === '' || text.endsWith('\n') ? 1 : 0);
        expect(jsonLines(result.stdout)).toHaveLength(expectedLines);
        expect(result.stderr).toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('build of mutated JSON forms: exit 0 with a tx$, or exit 1 with one typed line', async () => {
    const forms = await Promise.all(vectors.slice(0, 40).map(async (vector) => (await runCli(['inspect', '--json', vector.signed.tx])).stdout.trim()));
    const mutatedJson = fc.tuple(fc.constantFrom(...forms), fc.nat(), fc.string({ maxLength: 4 }), fc.nat({ max: 4 })).map(([json, position, insert, remove]) => {
      const at = position % json.length;
      return json.slice(0, at) + insert + json.slice(at + remove);
    });
    await fc.assert(
      fc.asyncProperty(mutatedJson, async (json) => {
        const result = await runCli(['build', '--', json]);
        if (result.code === 0) expect(() => decodeTx(result.stdout.trim())).not.toThrow();
        else {
          expect(result.code).toBe(1);
          expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: any tx survives inspect --json | build', () => {
  const bigInt = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }));
  const layouts = new Map(TX_DEFINITIONS.map((definition) => [definition.type, definition.layouts]));

  it('for random integers up to 2^256 and random free-form bytes in every type', async () => {
    const base = vectors.map((vector) => decodeTx(vector.unsigned.tx, 'unsigned'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...base), fc.array(bigInt, { minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 300 }), async (template, integers, bytes) => {
        const tx = { ...template } as Record<string, unknown>;
        const layout = layouts.get(template.type)?.find((candidate) => candidate.every(([name]) => name in tx)) ?? [];
        layout.forEach(([name, kind], index) => {
          if (kind === 'int') tx[name] = integers[index] ?? 0n;
          if (kind === 'bytes' || kind === 'payload') tx[name] = bytes;
        });
        const encodedTx = encodeTx(tx as unknown as Tx);
        const inspected = await runCli(['inspect', '--json', encodedTx]);
        expect(inspected.code).toBe(0);
        expect(await runCli(['build', inspected.stdout.trim()])).toEqual({ code: 0, stdout: `${encodedTx}\n`, stderr: '' });
      }),
      { numRuns: 300 },
    );
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, MAX_ENCODED_LENGTH, maxPayloadSize } from '@aesc/encoding';
import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalRangePattern,
  FAMILIES,
  generateAll,
  type JsonSchema,
  MAX_PAYLOAD_BYTES,
  maxBase58Length,
  SCHEMAS_DIR,
  schemaId,
  TJS_SETTINGS,
  VALIDATORS,
  VALIDATORS_FILE,
} from '../scripts/generate-schemas.mjs';
import * as generated from './generated/validators.js';
import { SEED_INFO_EVENTS, V014_INFO_EVENTS } from './messages/info.js';
import { SEED_SIGN_TAGS, V014_SIGN_TAGS } from './messages/sign.js';
import { INTEGER_FIELDS } from './parse.js';

const DECIMAL_PATTERN = '^(0|[1-9][0-9]*)$';
/** ECMAScript's `^\S+$`, its whitespace spelled out as characters (Python's and Go's `\s` differ). */
const HOST_PATTERN = '^[^\\t\\n\\v\\f\\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$';

const committed = (path: string) => readFileSync(path, 'utf8');
const schemaFile = (name: string) => JSON.parse(committed(join(SCHEMAS_DIR, `${name}.json`))) as JsonSchema & {
  definitions: Record<string, JsonSchema>;
};

describe('generated files', () => {
  // typescript-json-schema compiles the whole program: seconds, not milliseconds.
  const files = generateAll();

  it('uses the flags the issue asks for', () => {
    expect(TJS_SETTINGS).toEqual({ required: true, noExtraProps: true, strictNullChecks: true });
  });

  it.each([...files.keys()].map((path) => [path.slice(path.indexOf('packages/schema/')), path]))(
    '%s is what the generator makes from the current sources',
    (_name, path) => {
      expect(committed(path), 'stale: run `pnpm --filter @aesc/schema build` and commit the result').toBe(files.get(path));
    },
  );

  it('has one schema per message family and nothing else', () => {
    expect(readdirSync(SCHEMAS_DIR).sort()).toEqual(FAMILIES.map((family) => `${family.name}.json`).sort());
  });

  it('has standalone validators that need no ajv runtime helper and export what the parser imports', () => {
    const code = committed(VALIDATORS_FILE);
    expect(code).not.toMatch(/\brequire\(/);
    expect(Object.keys(generated).sort()).toEqual(VALIDATORS.map(([name]) => name).sort());
  });
});

/** The prefixed values each family carries (info, error and shutdown carry none). */
const PREFIXED_VALUES: Record<string, string[]> = {
  'channel-params': ['ak'],
  'client-message': ['ak', 'tx'],
  'co-signed-state': ['tx'],
  conflict: ['ch'],
  error: [],
  'generic-message': ['ak', 'ch'],
  info: [],
  'node-message': ['ak', 'ch', 'tx'],
  'on-chain-tx': ['tx'],
  shutdown: [],
  sign: ['tx'],
  'update-new': ['ak'],
};

describe.each(FAMILIES.map((family) => [family.name]))('schemas/%s.json', (name) => {
  const schema = schemaFile(name);

  it('is valid draft-07 JSON Schema (ajv meta-schema) and compiles in strict mode', () => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    for (const family of FAMILIES) if (family.name !== name) ajv.addSchema(schemaFile(family.name));
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('declares draft-07, resolves every $ref inside itself, and asks for no key or value it forbids', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toBe(schemaId(name));
    const problems: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (typeof record.$ref === 'string' && !(record.$ref.replace('#/definitions/', '') in schema.definitions && record.$ref.startsWith('#/definitions/'))) {
        problems.push(`${where}: $ref ${record.$ref} resolves to nothing`);
      }
      // A required key that additionalProperties: false forbids would make the object unsatisfiable.
      const properties = (record.properties ?? {}) as Record<string, unknown>;
      if (record.additionalProperties === false) {
        for (const key of (record.required ?? []) as string[]) if (!(key in properties)) problems.push(`${where}: requires ${key}, forbids it`);
      }
      for (const value of [...('const' in record ? [record.const] : []), ...((record.enum ?? []) as unknown[])]) {
        if (typeof record.type === 'string' && typeof value !== record.type) problems.push(`${where}: ${JSON.stringify(value)} is no ${record.type}`);
      }
      if (typeof record.pattern === 'string') expect(() => new RegExp(record.pattern as string, 'u'), where).not.toThrow();
      for (const [key, value] of Object.entries(record)) visit(value, `${where}/${key}`);
    };
    visit(schema, '#');
    expect(problems).toEqual([]);
  });

  it('closes every object it describes (--noExtraProps), except the echo of a request and what a shutdown carries', () => {
    const open: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'object' && record.additionalProperties !== false) open.push(where);
      for (const [key, value] of Object.entries(record)) visit(value, `${where}/${key}`);
    };
    visit(schema.definitions, '#/definitions');
    // A shutdown's payload is ignored by the node, whatever it holds (BEHAVIOUR.md §2.6).
    const ignored = (where: string) => where.startsWith('#/definitions/EchoedRequest') || where === '#/definitions/ShutdownRequest/properties/payload';
    expect(open.filter((where) => !ignored(where))).toEqual([]);
  });

  it('describes tx$, ak$ and ch$ values by a base58 pattern', () => {
    const patterns = new Set<string>();
    const visit = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'pattern' && typeof value === 'string') patterns.add(value);
        else visit(value);
      }
    };
    visit(schema.definitions);
    const prefixed = [...patterns].filter((pattern) => /^\^[a-z]{2}\\\$/.test(pattern));
    for (const pattern of prefixed) expect(pattern).toMatch(/^\^(tx|ak|ch)\\\$\[1-9A-HJ-NP-Za-km-z\]\+\$$/);
    // the other patterns: decimal integers of the channel parameters (of any size or of a
    // range) and the host
    for (const pattern of patterns) {
      if (prefixed.includes(pattern)) continue;
      expect(pattern === DECIMAL_PATTERN || pattern === HOST_PATTERN || /^\^\(\?:[0-9|[\]{},-]+\)\$$/.test(pattern), pattern).toBe(true);
    }
    expect(prefixed.map((pattern) => pattern.slice(1, 3)).sort()).toEqual(PREFIXED_VALUES[name]);
  });

  it('bounds every tx$, ak$ and ch$ value by the length of its prefix’s largest payload, and nothing else', () => {
    const bounds: string[] = [];
    const visit = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if ('maxLength' in record || 'minLength' in record) {
        const prefix = /^\^([a-z]{2})\\\$/.exec(String(record.pattern))?.[1] as 'ak' | 'ch' | 'tx' | undefined;
        expect(prefix, JSON.stringify(record)).toBeDefined();
        expect(record.maxLength).toBe(3 + maxBase58Length(prefix as 'ak' | 'ch' | 'tx'));
        expect(record).not.toHaveProperty('minLength');
        bounds.push(prefix as string);
      } else if (typeof record.pattern === 'string') {
        expect(record.pattern, 'a prefixed value without its bound').not.toMatch(/^\^[a-z]{2}\\\$/);
      }
      for (const value of Object.values(record)) visit(value);
    };
    visit(schema.definitions);
    expect([...new Set(bounds)].sort()).toEqual(PREFIXED_VALUES[name]);
  });
});

describe('the length bound of tx$, ak$ and ch$ values', () => {
  // The largest payload of each prefix, every byte 0xff (a legacy key must start 04).
  const longest = { ak: [0x04, ...new Array<number>(64).fill(0xff)], ch: new Array<number>(32).fill(0xff), tx: new Array<number>(maxPayloadSize('tx')).fill(0xff) };

  it.each(['ak', 'ch', 'tx'] as const)('admits the largest %s$ payload of @aesc/encoding, with at most one character to spare', (prefix) => {
    expect(MAX_PAYLOAD_BYTES[prefix]).toBe(maxPayloadSize(prefix));
    const value = encode(prefix, Uint8Array.from(longest[prefix]));
    // The bound counts bytes; a legacy key's leading 04 makes its longest value one character shorter.
    expect(maxBase58Length(prefix) - (value.length - 3)).toBe(prefix === 'ak' ? 1 : 0);
  });

  it('leaves no room past the longest value @aesc/encoding writes', () => {
    expect(3 + maxBase58Length('tx')).toBe(MAX_ENCODED_LENGTH);
  });
});

describe('the code and the schemas agree', () => {
  it('on the info events and sign tags of each dialect', () => {
    const enumOf = (family: string, definition: string) => [...((schemaFile(family).definitions[definition]?.enum as string[]) ?? [])].sort();
    expect(enumOf('info', 'SeedInfoEvent')).toEqual([...SEED_INFO_EVENTS].sort());
    expect(enumOf('info', 'V014InfoEvent')).toEqual([...V014_INFO_EVENTS].sort());
    expect(enumOf('sign', 'SeedSignTag')).toEqual([...SEED_SIGN_TAGS].sort());
    expect(enumOf('sign', 'V014SignTag')).toEqual([...V014_SIGN_TAGS].sort());
  });

  it('on where integers are, so that each one is read exactly', () => {
    const integerPaths = (family: string, definition: string): string[][] => {
      const { definitions } = schemaFile(family);
      const found: string[][] = [];
      const visit = (node: JsonSchema, path: string[]) => {
        if (typeof node.$ref === 'string') return visit(definitions[node.$ref.replace('#/definitions/', '')] as JsonSchema, path);
        if (node.type === 'integer') found.push(path);
        for (const [key, property] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) visit(property, [...path, key]);
      };
      visit(definitions[definition] as JsonSchema, []);
      return found;
    };
    expect(integerPaths('update-new', 'UpdateNewRequest')).toEqual(INTEGER_FIELDS.UpdateNewRequest);
    expect(integerPaths('conflict', 'Conflict')).toEqual(INTEGER_FIELDS.Conflict);
    for (const [family, definition] of [
      ['info', 'InfoMessage'],
      ['sign', 'SignRequest'],
      ['sign', 'SignReply'],
      ['co-signed-state', 'CoSignedState'],
      ['on-chain-tx', 'OnChainTx'],
      ['generic-message', 'MessageRequest'],
      ['generic-message', 'MessageReport'],
      ['error', 'FsmError'],
      ['shutdown', 'ShutdownRequest'],
    ] as const) {
      expect(integerPaths(family, definition), `${family}#${definition}`).toEqual([]);
    }
  });

  it('on the node → client and client → node unions', () => {
    const refs = (family: string, definition: string) =>
      ((schemaFile(family).definitions[definition]?.anyOf as { $ref: string }[]) ?? []).map((member) => member.$ref.replace('#/definitions/', ''));
    expect(refs('node-message', 'NodeMessage').sort()).toEqual(
      ['InfoMessage', 'SignRequest', 'OnChainTx', 'CoSignedState', 'Conflict', 'MessageReport', 'RequestError', 'FsmError'].sort(),
    );
    expect(refs('client-message', 'ClientMessage').sort()).toEqual(['SignReply', 'UpdateNewRequest', 'MessageRequest', 'ShutdownRequest'].sort());
  });
});

describe('the schemas under validators other than ajv', () => {
  type Node = Record<string, unknown>;
  const everyNode = (root: unknown, visit: (node: Node, where: string) => void, where = '#') => {
    if (root === null || typeof root !== 'object') return;
    visit(root as Node, where);
    for (const [key, value] of Object.entries(root)) everyNode(value, visit, `${where}/${key}`);
  };

  it('uses no class or construct that other regex dialects read differently', () => {
    for (const { name } of FAMILIES) {
      everyNode(schemaFile(name), (node, where) => {
        if (typeof node.pattern !== 'string') return;
        // \s \d \w \b differ between ECMAScript, Python and Go; Go has no \u, lookaround or back-references.
        expect(node.pattern, `${name}${where}`).not.toMatch(/\\[sSdDwWbBpPu1-9]|\(\?[=!<]/);
      });
    }
  });

  it('writes a pattern in ASCII: its characters past ASCII as JSON escapes', () => {
    for (const { name } of FAMILIES) {
      for (const line of committed(join(SCHEMAS_DIR, `${name}.json`)).split('\n')) {
        if (/^ *"pattern": /.test(line)) expect(line, name).toMatch(/^[\x20-\x7e]*$/);
      }
    }
    expect(committed(join(SCHEMAS_DIR, 'channel-params.json'))).toContain('\\u00a0\\u1680\\u2000-\\u200a');
  });

  it('spells the host pattern out as ECMAScript’s ^\\S+$', () => {
    const host = new RegExp(HOST_PATTERN, 'u');
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const text = `a${String.fromCharCode(code)}b`;
      expect(host.test(text), `U+${code.toString(16)}`).toBe(/^\S+$/u.test(text));
    }
    expect(host.test('a\u{1f600}b')).toBe(true);
  });
});

describe('decimalRangePattern', () => {
  const matches = (min: bigint, max: bigint, text: string) => new RegExp(decimalRangePattern(min, max), 'u').test(text);

  it.each([
    [0n, 0n],
    [0n, 9n],
    [1n, 10n],
    [1n, 65_535n],
    [0n, 65_535n],
    [0n, 2n ** 32n - 1n],
    [0n, 2n ** 64n - 1n],
    [0n, 10n ** 20n],
  ])('matches exactly the decimal integers %s…%s, in canonical form', (min, max) => {
    for (const value of [0n, 1n, 9n, 10n, 11n, 99n, 100n, max - 1n, max, max + 1n, max * 10n, max + 10n ** BigInt(max.toString().length - 1)]) {
      if (value < 0n) continue;
      expect(matches(min, max, value.toString()), `${value}`).toBe(value >= min && value <= max);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: max * 11n + 11n }), (value) => {
        expect(matches(min, max, value.toString())).toBe(value >= min && value <= max);
      }),
      { numRuns: 300 },
    );
    for (const text of ['', '-1', '+1', '01', '00', ' 1', '1 ', '1.0', '1e3', '0x1', '١']) expect(matches(min, max, text), text).toBe(false);
  });

  it('refuses ranges it cannot state', () => {
    expect(() => decimalRangePattern(2n, 10n)).toThrow(/only 0 or 1/);
    expect(() => decimalRangePattern(1n, 0n)).toThrow(/empty/);
  });
});

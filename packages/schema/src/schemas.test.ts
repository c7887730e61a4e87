import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  FAMILIES,
  generateAll,
  type JsonSchema,
  SCHEMAS_DIR,
  TJS_SETTINGS,
  VALIDATORS,
  VALIDATORS_FILE,
} from '../scripts/generate-schemas.mjs';
import * as generated from './generated/validators.js';
import { SEED_INFO_EVENTS, V014_INFO_EVENTS } from './messages/info.js';
import { SEED_SIGN_TAGS, V014_SIGN_TAGS } from './messages/sign.js';
import { INTEGER_FIELDS } from './parse.js';

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
    // the other patterns: decimal integers of the channel parameters, and the host
    for (const pattern of patterns) if (!prefixed.includes(pattern)) expect(['^(0|[1-9][0-9]*)$', '^\\S+$']).toContain(pattern);
    expect(prefixed.map((pattern) => pattern.slice(1, 3)).sort()).toEqual(PREFIXED_VALUES[name]);
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '@aesc/encoding';
import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SchemaError } from './errors.js';
import {
  type ChannelParams,
  type InitiatorParams,
  REPORT_TAGS,
  type ResponderParams,
  TIMEOUT_NAMES,
} from './messages/channel-params.js';
import type { AccountPubkey } from './messages/primitives.js';
import { fromQuery, toQuery } from './query.js';
import { SCHEMAS_DIR } from '../scripts/generate-schemas.mjs';
import { thrown } from '../../../test/support/errors.js';

// The seed document's two wscat URLs, verbatim ("Initiator/Responder WebSocket open").
const SEED_INITIATOR_URL =
  'localhost:3014/channel?initiator=ak$3YGRJv1QMgNbeDzvqX7qJrZWJDaHGmrHYHifxSbhSEgn6anuNYCNPrzsB911xTbZ35bvJYWLyYjrQaQKfvja9gkpvYMfEZ&responder=ak$3gVuduh7vR9G7Hq3TpFaA7q9oQkMZZF2VsUxDYZabNeKC1uaqtjpKSth7wPn9dxnUzsHoT2fa6GPUzepbDXMHyC2F3HupT&lock_period=10&push_amount=3&initiator_amount=10&responder_amount=10&channel_reserve=2&ttl=1000&host=localhost&port=1234&role=initiator';
const SEED_RESPONDER_URL =
  'localhost:3014/channel?initiator=ak$3YGRJv1QMgNbeDzvqX7qJrZWJDaHGmrHYHifxSbhSEgn6anuNYCNPrzsB911xTbZ35bvJYWLyYjrQaQKfvja9gkpvYMfEZ&responder=ak$3gVuduh7vR9G7Hq3TpFaA7q9oQkMZZF2VsUxDYZabNeKC1uaqtjpKSth7wPn9dxnUzsHoT2fa6GPUzepbDXMHyC2F3HupT&lock_period=10&push_amount=3&initiator_amount=10&responder_amount=10&channel_reserve=2&ttl=1000&port=1234&role=responder';
const INITIATOR: AccountPubkey = 'ak$3YGRJv1QMgNbeDzvqX7qJrZWJDaHGmrHYHifxSbhSEgn6anuNYCNPrzsB911xTbZ35bvJYWLyYjrQaQKfvja9gkpvYMfEZ';
const RESPONDER: AccountPubkey = 'ak$3gVuduh7vR9G7Hq3TpFaA7q9oQkMZZF2VsUxDYZabNeKC1uaqtjpKSth7wPn9dxnUzsHoT2fa6GPUzepbDXMHyC2F3HupT';

const SEED_PARAMS: InitiatorParams = {
  initiator: INITIATOR,
  responder: RESPONDER,
  lock_period: 10n,
  push_amount: 3n,
  initiator_amount: 10n,
  responder_amount: 10n,
  channel_reserve: 2n,
  ttl: 1000n,
  host: 'localhost',
  port: 1234,
  role: 'initiator',
};

const seedQuery = (url: string) => url.slice(url.indexOf('?') + 1);
/** The seed initiator's query with one parameter replaced (or removed, with `undefined`). */
function variant(name: string, value: string | undefined): string {
  const search = new URLSearchParams(seedQuery(SEED_INITIATOR_URL));
  if (value === undefined) search.delete(name);
  else search.set(name, value);
  return search.toString();
}

describe('fromQuery', () => {
  it('reads the seed’s two URLs', () => {
    expect(fromQuery(SEED_INITIATOR_URL)).toStrictEqual(SEED_PARAMS);
    const { host: _host, ...withoutHost } = SEED_PARAMS;
    expect(fromQuery(SEED_RESPONDER_URL)).toStrictEqual({ ...withoutHost, role: 'responder' });
  });

  it('takes a query, a ?query, a URL with a fragment, a URL object or URLSearchParams', () => {
    const query = seedQuery(SEED_INITIATOR_URL);
    for (const input of [
      query,
      `?${query}`,
      `ws://localhost:3014/channel?${query}#ignored`,
      new URL(`ws://localhost:3014/channel?${query}`),
      new URLSearchParams(query),
    ]) {
      expect(fromQuery(input)).toStrictEqual(SEED_PARAMS);
    }
    expect(() => fromQuery(42 as unknown as string)).toThrow(TypeError);
  });

  it('reads the optional parameters', () => {
    const optional = `${seedQuery(SEED_INITIATOR_URL)}&minimum_depth=4&timeout_accept=100&timeout_open=4294967295&report_info=false&report_on_chain_tx=true`;
    expect(fromQuery(optional)).toStrictEqual({
      ...SEED_PARAMS,
      minimum_depth: 4n,
      timeout_accept: 100,
      timeout_open: 4_294_967_295,
      report_info: false,
      report_on_chain_tx: true,
    });
  });

  it.each([
    'role',
    'initiator',
    'responder',
    'lock_period',
    'push_amount',
    'initiator_amount',
    'responder_amount',
    'channel_reserve',
    'ttl',
    'host',
    'port',
  ])('names a missing %s', (name) => {
    const error = thrown(SchemaError, () => fromQuery(variant(name, undefined)));
    expect(error.code).toBe('MISSING_PARAM');
    expect(error.context).toEqual({ param: name, path: `/${name}` });
    expect(error.message).toMatch(new RegExp(`^${name}: required`));
  });

  it('does not require host of the responder', () => {
    expect(fromQuery(variant('host', undefined).replace('role=initiator', 'role=responder')).role).toBe('responder');
  });

  it.each<[string, string, string]>([
    ['role', 'open', 'must be initiator or responder'],
    ['initiator', 'ch$WmpDbaiCs5roqRCL5KEKbpsDNJSbcbiUvt2cs1qyj4sM9HA3b', 'must be a ak$… base58 string'],
    ['responder', 'ak$0', 'must be a ak$… base58 string'],
    ['lock_period', '-1', 'must be a decimal integer without sign or leading zeros, got "-1"'],
    ['lock_period', '010', 'must be a decimal integer without sign or leading zeros'],
    ['lock_period', '1.5', 'must be a decimal integer without sign or leading zeros'],
    ['lock_period', '65536', 'must be less than 65536'],
    ['push_amount', '18446744073709551616', 'must be less than 18446744073709551616'],
    ['ttl', '', 'must be a decimal integer without sign or leading zeros'],
    ['host', '', 'must be a host name or address without spaces, got ""'],
    ['host', 'local host', 'must be a host name or address without spaces'],
    ['host', 'localhost\u3000', 'must be a host name or address without spaces'],
    ['port', '0', 'must be 1–65535'],
    ['port', '65536', 'must be 1–65535'],
    ['port', '99999999999999999999', 'must be 1–65535'],
    ['port', '080', 'must be a decimal integer without sign or leading zeros, got "080"'],
    ['port', '+80', 'must be a decimal integer without sign or leading zeros'],
    ['timeout_idle', '1e3', 'must be a decimal integer without sign or leading zeros'],
    ['minimum_depth', '4294967296', 'must be less than 4294967296'],
    ['timeout_sign', '4294967296', 'must be 0–4294967295'],
    ['report_error', 'yes', 'must be one of "false", "true"'],
    ['report_error', 'TRUE', 'must be one of "false", "true"'],
  ])('names a bad %s (%j)', (name, value, message) => {
    const error = thrown(SchemaError, () => fromQuery(variant(name, value)));
    expect(error.code).toBe('INVALID_PARAM');
    expect(error.context.param).toBe(name);
    expect(error.message).toContain(message);
  });

  it('accepts the largest values each field holds', () => {
    const params = fromQuery(
      variant('lock_period', '65535')
        .replace('push_amount=3', 'push_amount=18446744073709551615')
        .replace('ttl=1000', 'ttl=340282366920938463463374607431768211456'),
    );
    expect(params.lock_period).toBe(65535n);
    expect(params.push_amount).toBe(2n ** 64n - 1n);
    expect(params.ttl).toBe(2n ** 128n);
  });

  it.each<[string, bigint, bigint | undefined]>([
    ['lock_period', 0n, 2n ** 16n - 1n],
    ['push_amount', 0n, 2n ** 64n - 1n],
    ['initiator_amount', 0n, 2n ** 64n - 1n],
    ['responder_amount', 0n, 2n ** 64n - 1n],
    ['channel_reserve', 0n, 2n ** 64n - 1n],
    ['ttl', 0n, undefined],
    ['port', 1n, 65_535n],
    ['minimum_depth', 0n, 2n ** 32n - 1n],
    ...TIMEOUT_NAMES.map((name) => [`timeout_${name}`, 0n, 2n ** 32n - 1n] as [string, bigint, bigint]),
  ])('states the range of %s in the schema file itself, as fromQuery checks it', (name, min, max) => {
    // Another language's SDK has the schema file and its own validator, not fromQuery.
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'channel-params.json'), 'utf8')) as object;
    const validate = new Ajv({ strict: false }).addSchema(schema).getSchema('urn:aesc:schema:channel-params') as (data: unknown) => boolean;
    const query = (value: string) => new URLSearchParams(variant(name, value));
    const agree = (value: string, valid: boolean) => {
      expect(validate(Object.fromEntries(query(value))), `schema, ${name}=${value}`).toBe(valid);
      if (valid) expect(() => fromQuery(query(value)), `fromQuery, ${name}=${value}`).not.toThrow();
      else expect(thrown(SchemaError, () => fromQuery(query(value))).code, `fromQuery, ${name}=${value}`).toBe('INVALID_PARAM');
    };
    agree(String(min), true);
    if (min > 0n) agree(String(min - 1n), false);
    if (max === undefined) agree(String(2n ** 256n), true);
    else {
      agree(String(max), true);
      agree(String(max + 1n), false);
      agree(String(max * 10n), false);
    }
  });

  it('names an unknown parameter unless told to ignore it, as the node does', () => {
    for (const name of ['timeouts', 'fee', 'nonce', 'timeout_acept', 'report_died']) {
      const query = `${seedQuery(SEED_INITIATOR_URL)}&${name}=1`;
      const error = thrown(SchemaError, () => fromQuery(query));
      expect(error.code).toBe('UNKNOWN_PARAM');
      expect(error.context.param).toBe(name);
      expect(fromQuery(query, { ignoreUnknown: true })).toStrictEqual(SEED_PARAMS);
      expect(thrown(SchemaError, () => fromQuery(query, { ignoreUnknown: false })).code).toBe('UNKNOWN_PARAM');
    }
  });

  it('checks initiator and responder in full, as the node does at connect (BEHAVIOUR.md §1.3)', () => {
    // A valid base58check of 31 bytes: right checksum, wrong length for a key.
    const short = `ak$${encode('tx', new Uint8Array(31).fill(7)).slice(3)}`;
    const badChecksum = `${INITIATOR.slice(0, -1)}${INITIATOR.endsWith('a') ? 'b' : 'a'}`;
    for (const [name, value] of [
      ['initiator', badChecksum],
      ['initiator', 'ak$1'],
      ['responder', short],
      ['responder', `ak$${RESPONDER.slice(3, -2)}`],
    ] as const) {
      const error = thrown(SchemaError, () => fromQuery(variant(name, value)));
      expect(error.code).toBe('INVALID_PARAM');
      expect(error.context).toEqual({ param: name, path: `/${name}` });
      expect(error.message).toContain(`${name}: must be an ak$ base58check account key`);
    }
    // The pattern still comes first: a ch$ is refused by the schema, with the same code.
    expect(thrown(SchemaError, () => fromQuery(variant('initiator', 'ch$abc'))).code).toBe('INVALID_PARAM');
    expect(thrown(SchemaError, () => toQuery({ ...SEED_PARAMS, responder: badChecksum as AccountPubkey })).context.param).toBe('responder');
  });

  it('names a parameter given twice', () => {
    const error = thrown(SchemaError, () => fromQuery(`${seedQuery(SEED_INITIATOR_URL)}&role=responder`));
    expect(error.code).toBe('DUPLICATE_PARAM');
    expect(error.context.param).toBe('role');
  });
});

describe('toQuery', () => {
  it('writes the seed’s two queries back character for character', () => {
    expect(toQuery(fromQuery(SEED_INITIATOR_URL))).toBe(seedQuery(SEED_INITIATOR_URL));
    expect(toQuery(fromQuery(SEED_RESPONDER_URL))).toBe(seedQuery(SEED_RESPONDER_URL));
  });

  it('leaves out a parameter given as undefined, known or not', () => {
    expect(toQuery({ ...SEED_PARAMS, minimum_depth: undefined, timeouts: undefined } as ChannelParams)).toBe(seedQuery(SEED_INITIATOR_URL));
  });

  it('escapes what a query cannot hold', () => {
    const query = toQuery({ ...SEED_PARAMS, host: 'ümlaut.example&role=responder' });
    expect(query).toContain('host=%C3%BCmlaut.example%26role%3Dresponder&');
    expect(fromQuery(query)).toStrictEqual({ ...SEED_PARAMS, host: 'ümlaut.example&role=responder' });
  });

  it('refuses what fromQuery would refuse, naming the parameter', () => {
    const { host: _host, ...withoutHost } = SEED_PARAMS;
    expect(thrown(SchemaError, () => toQuery(withoutHost as ChannelParams)).context).toEqual({ param: 'host', path: '/host' });
    expect(thrown(SchemaError, () => toQuery({ ...SEED_PARAMS, lock_period: 70_000n })).code).toBe('INVALID_PARAM');
    expect(thrown(SchemaError, () => toQuery({ ...SEED_PARAMS, initiator_amount: -1n })).context.param).toBe('initiator_amount');
    const fraction = thrown(SchemaError, () => toQuery({ ...SEED_PARAMS, port: 80.5 }));
    expect(fraction.context.param).toBe('port');
    expect(fraction.message).toBe('port: must be an integer, got 80.5');
    expect(thrown(SchemaError, () => toQuery({ ...SEED_PARAMS, timeouts: 5 } as ChannelParams)).code).toBe('UNKNOWN_PARAM');
    expect(() => toQuery({ ...SEED_PARAMS, ttl: 1000 as unknown as bigint })).toThrow(TypeError);
    expect(() => toQuery({ ...SEED_PARAMS, report_info: 'false' as unknown as boolean })).toThrow(TypeError);
    // Every kind is typed: a number's or a text's value given in another type is not coerced.
    expect(() => toQuery({ ...SEED_PARAMS, port: '1234' as unknown as number })).toThrow('params.port must be a number, got');
    expect(() => toQuery({ ...SEED_PARAMS, timeout_idle: 100n as unknown as number })).toThrow('params.timeout_idle must be a number, got');
    expect(() => toQuery({ ...SEED_PARAMS, host: 127 as unknown as string })).toThrow('params.host must be a string, got');
    expect(() => toQuery({ ...SEED_PARAMS, initiator: 1n as unknown as AccountPubkey })).toThrow('params.initiator must be a string, got');
    expect(() => toQuery(null as unknown as ChannelParams)).toThrow(TypeError);
  });
});

describe('fromQuery(toQuery(params)) gives params back', () => {
  const key = fc.constantFrom<AccountPubkey>(INITIATOR, RESPONDER, 'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV');
  const below = (limit: bigint) => fc.bigInt({ min: 0n, max: limit - 1n });
  const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const milliseconds = fc.integer({ min: 0, max: 4_294_967_295 });
  const common = {
    initiator: key,
    responder: key,
    lock_period: below(2n ** 16n),
    push_amount: below(2n ** 64n),
    initiator_amount: below(2n ** 64n),
    responder_amount: below(2n ** 64n),
    channel_reserve: below(2n ** 64n),
    ttl: fc.bigInt({ min: 0n, max: 2n ** 100n }),
    port: fc.integer({ min: 1, max: 65_535 }),
    minimum_depth: optional(below(2n ** 32n)),
    ...Object.fromEntries(TIMEOUT_NAMES.map((name) => [`timeout_${name}`, optional(milliseconds)])),
    ...Object.fromEntries(REPORT_TAGS.map((tag) => [`report_${tag}`, optional(fc.boolean())])),
  };
  const host = fc.string({ minLength: 1, unit: 'grapheme' }).filter((text) => !/\s/.test(text));
  const withoutUndefined = <T extends object>(value: T): T =>
    Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;

  it('for either role, every parameter', () => {
    const initiator = fc.record({ ...common, role: fc.constant('initiator' as const), host }, { noNullPrototype: true });
    const responder = fc.record({ ...common, role: fc.constant('responder' as const), host: optional(host) }, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.oneof(initiator, responder), (generated) => {
        const params = withoutUndefined(generated) as InitiatorParams | ResponderParams;
        const query = toQuery(params);
        expect(fromQuery(query)).toStrictEqual(params);
        expect(toQuery(fromQuery(query))).toBe(query);
      }),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SchemaError } from './errors.js';
import { type ExactJson, parseJsonExact, serializeJson } from './json.js';
import { thrown } from '../../../test/support/errors.js';

/** What JSON.parse gives for the same text: every bigint as the (possibly rounded) number. */
function asNumbers(value: ExactJson): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(asNumbers);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: asNumbers(member), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

function parseError(text: string): SchemaError {
  try {
    parseJsonExact(text);
  } catch (error) {
    if (error instanceof SchemaError) return error;
    throw error;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseJsonExact', () => {
  it('reads integer literals exactly, past 2^53 and past 2^64', () => {
    expect(parseJsonExact('9007199254740993')).toBe(9007199254740993n);
    expect(JSON.parse('9007199254740993')).toBe(9007199254740992);
    expect(parseJsonExact('[18446744073709551616, -1000000000000000000000000000000]')).toEqual([
      18446744073709551616n,
      -1000000000000000000000000000000n,
    ]);
    expect(parseJsonExact('{"amount":0}')).toEqual({ amount: 0n });
  });

  it('keeps fractions and exponents as numbers, so 1.0 and 1e3 are not integer literals', () => {
    expect(parseJsonExact('[1.0, 1e3, -2.5E-3, 0.5]')).toEqual([1, 1000, -0.0025, 0.5]);
  });

  it('refuses a key given twice in one object when told to, at any depth, and only then', () => {
    const refuse = { duplicateKeys: 'refuse' } as const;
    for (const [text, key] of [
      ['{"fee":"9","fee":"10"}', 'fee'],
      ['{"a":{"b":1,"c":2,"b":3}}', 'b'],
      ['[{"x":1},{"y":[{"__proto__":1,"__proto__":2}]}]', '__proto__'],
      ['{"\\u0061":1,"a":2}', 'a'],
    ] as const) {
      expect(() => parseJsonExact(text, refuse)).toThrow(`not JSON: key ${JSON.stringify(key)} given twice`);
      expect(() => parseJsonExact(text, refuse)).toThrow(SchemaError);
      expect(parseJsonExact(text)).toBeTypeOf('object'); // the default keeps the last, as JSON.parse
    }
    expect(parseJsonExact('{"a":{"b":1},"b":{"a":2},"c":[{"a":1},{"a":2}]}', refuse)).toEqual({ a: { b: 1n }, b: { a: 2n }, c: [{ a: 1n }, { a: 2n }] });
    // Keys that name members of Object.prototype are given once: no duplicate.
    const prototypeNames = parseJsonExact('{"constructor":1,"toString":2,"__proto__":3,"hasOwnProperty":4}', refuse) as Record<string, ExactJson>;
    expect(Object.keys(prototypeNames)).toEqual(['constructor', 'toString', '__proto__', 'hasOwnProperty']);
    expect(parseJsonExact('{"fee":"9","fee":"10"}', { duplicateKeys: 'last' })).toEqual({ fee: '10' });
    expect(() => parseJsonExact('{}', { duplicateKeys: 'first' as never })).toThrow(RangeError);
    expect(() => parseJsonExact('{}', null as never)).toThrow(TypeError);
  });

  it('builds the same objects as JSON.parse: escapes, duplicate keys, __proto__', () => {
    const text = '{"a":"\\u00e9\\n\\"q\\"\\\\","a":2,"__proto__":{"polluted":true},"b":[true,false,null,{}],"c":"\\/"}';
    const exact = parseJsonExact(text) as Record<string, ExactJson>;
    expect(asNumbers(exact)).toStrictEqual(JSON.parse(text));
    expect(Object.keys(exact)).toEqual(['a', '__proto__', 'b', 'c']);
    expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('agrees with JSON.parse on any JSON text (integers aside)', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(asNumbers(parseJsonExact(text))).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('reads any bigint back from its literal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (value) => {
        expect(parseJsonExact(` { "n" : [ ${value} ] } `)).toEqual({ n: [value] });
      }),
    );
  });

  it('skips exactly the whitespace JSON has: space, tab, line feed, carriage return', () => {
    expect(parseJsonExact('\r\n\t {\r"a"\r:\r[\r1\r,\t2\n]\r}\r\n')).toEqual({ a: [1n, 2n] });
  });

  it('puts position on the character where the text stops being JSON, never past its end', () => {
    for (const [text, position] of [
      ['[1 2]', 3],
      ['{"a":1 "b":2}', 7],
      ['[1', 2],
      ['{"a":[]', 7],
      ['[[1],[2]x', 8],
    ] as const) {
      expect(parseError(text).context.position, text).toBe(position);
    }
    // A key given twice: the position of the second.
    expect(thrown(SchemaError, () => parseJsonExact('{"a":1, "a":2}', { duplicateKeys: 'refuse' })).context.position).toBe(8);
    fc.assert(
      fc.property(fc.json(), fc.nat(), (text, cut) => {
        const prefix = text.slice(0, cut % text.length);
        try {
          parseJsonExact(prefix);
        } catch (error) {
          expect(error).toBeInstanceOf(SchemaError);
          expect((error as SchemaError).context.position).toBeLessThanOrEqual(prefix.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('nests deeper than the call stack would allow a recursive parser', () => {
    const depth = 100_000;
    const value = parseJsonExact(`${'['.repeat(depth)}7${']'.repeat(depth)}`);
    let inner: ExactJson = value;
    for (let level = 0; level < depth; level++) inner = (inner as ExactJson[])[0] as ExactJson;
    expect(inner).toBe(7n);
  });

  it.each([
    ['', 'unexpected end of input'],
    ['  \n', 'unexpected end of input'],
    ['[1,', 'unexpected end of input'],
    ['{"a":', 'unexpected end of input'],
    ['{', 'expected a string'],
    ['{"a" 1}', 'expected ":"'],
    ['{"a":1,}', 'expected a string'],
    ['[1 2]', 'expected "," or "]"'],
    ['01', 'text after the value'],
    ['"unterminated', 'unterminated string'],
    ['"tab\there"', 'bad string'],
    ['-', 'unexpected character'],
    ['tru', 'unexpected character'],
    ['{"a":1} x', 'text after the value'],
    ['[1.]', 'expected "," or "]"'],
    ['[1e]', 'expected "," or "]"'],
    ['[1e+]', 'expected "," or "]"'],
    ['nul', 'unexpected character'],
    ['{"a":1 "b":2}', 'expected "," or "}"'],
    ['{"a":1,"b" 2}', 'expected ":"'],
    ["{'a':1}", 'expected a string'],
    ['\u00a01', 'unexpected character'],
    ['[1,\u000b2]', 'unexpected character'],
  ])('rejects %j as INVALID_JSON', (text, reason) => {
    const error = parseError(text);
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message).toContain(reason);
    expect(error.context.position).toBeTypeOf('number');
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });
});

describe('serializeJson', () => {
  it('writes bigints as integer literals and everything else as JSON.stringify does', () => {
    const frame = { action: 'update', tag: 'new', payload: { amount: 2n ** 70n, info: 'é "q"\n', list: [1.5, true, null], skipped: undefined } };
    expect(serializeJson(frame)).toBe(
      '{"action":"update","tag":"new","payload":{"amount":1180591620717411303424,"info":"é \\"q\\"\\n","list":[1.5,true,null]}}',
    );
  });

  it('round-trips through parseJsonExact for any JSON value with bigints', () => {
    const exactJson: fc.Arbitrary<ExactJson> = fc.letrec<{ value: ExactJson }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.string(),
        fc.bigInt(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((number) => !Number.isInteger(number)),
        fc.array(tie('value')),
        fc.dictionary(fc.string(), tie('value'), { noNullPrototype: true }),
      ),
    })).value;
    fc.assert(
      fc.property(exactJson, (value) => {
        expect(parseJsonExact(serializeJson(value))).toStrictEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['NaN', { amount: Number.NaN }, '/amount must be a finite number'],
    ['a function', { run: () => 1 }, '/run cannot be written as JSON'],
    ['a Map', { map: new Map() }, '/map must be a plain object'],
    ['bytes', { tx: new Uint8Array([1, 2]) }, '/tx must be a plain object'],
    ['a Date', [new Date(0)], '/0 must be a plain object'],
    ['a class instance', { set: new Set([1]) }, '/set must be a plain object'],
    ['a symbol', [Symbol('s')], '/0 cannot be written as JSON'],
    ['Infinity', { amount: Number.POSITIVE_INFINITY }, '/amount must be a finite number, got Infinity'],
    ['-Infinity', [Number.NEGATIVE_INFINITY], '/0 must be a finite number, got -Infinity'],
  ])('refuses %s with a TypeError naming where it is', (_name, value, message) => {
    expect(() => serializeJson(value)).toThrow(TypeError);
    expect(() => serializeJson(value)).toThrow(message);
  });

  it('writes holes and undefined items of an array as null, as JSON.stringify does', () => {
    const sparse = [, 1];
    expect(serializeJson(sparse)).toBe('[null,1]');
    expect(serializeJson(new Array(3))).toBe('[null,null,null]');
    expect(serializeJson({ list: [undefined, 2, , 3] })).toBe('{"list":[null,2,null,3]}');
    for (const value of [sparse, new Array(3), { a: [1, , [, {}]] }]) expect(serializeJson(value)).toBe(JSON.stringify(value));
  });

  it('leaves out undefined members wherever they are, and writes objects without a prototype', () => {
    const sparse = { a: undefined, b: 1, c: undefined, d: 2n };
    expect(serializeJson(sparse)).toBe('{"b":1,"d":2}');
    expect(serializeJson({ a: undefined })).toBe('{}');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { n: 1n, list: [Object.create(null)] });
    expect(serializeJson(bare)).toBe('{"n":1,"list":[{}]}');
  });

  it('writes any value without bigints as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(serializeJson(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('writes back any depth the exact parser reads, without exhausting the stack', () => {
    const depth = 200_000;
    const arrays = `${'['.repeat(depth)}${10n ** 400n}${']'.repeat(depth)}`;
    expect(serializeJson(parseJsonExact(arrays))).toBe(arrays);
    const objects = `${'{"a":'.repeat(depth)}[]${'}'.repeat(depth)}`;
    expect(serializeJson(parseJsonExact(objects))).toBe(objects);
  });

  it('names the path of a problem deep down', () => {
    let value: unknown = { bad: Number.NaN };
    for (let level = 0; level < 100_000; level++) value = [value];
    expect(() => serializeJson(value)).toThrow(TypeError);
    expect(() => serializeJson(value)).toThrow(`${'/0'.repeat(100_000)}/bad must be a finite number, got NaN`);
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => serializeJson(cyclic)).toThrow('/self refers back to itself');
    const list: unknown[] = [1];
    list.push({ back: [list] });
    expect(() => serializeJson({ list })).toThrow('/list/1/back/0 refers back to itself');
    // The same object twice, side by side, is no cycle.
    const shared = { n: 1n };
    expect(serializeJson([shared, { again: shared }])).toBe('[{"n":1},{"again":{"n":1}}]');
  });
});

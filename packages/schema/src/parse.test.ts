import { MAX_ENCODED_LENGTH } from '@aesc/encoding';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from './json.js';
import { SchemaError } from './errors.js';
import { requestError, serializeMessage } from './builders.js';
import type { RequestError } from './messages/error.js';
import type { NodeMessage, SeedNodeMessage } from './messages/unions.js';
import { type ParseOptions, parseClientMessage, parseNodeMessage } from './parse.js';
import { utf8Length } from './validate.js';
import { thrown } from '../../../test/support/errors.js';

// Values from the seed document (generic messages and update error sections).
const FROM = 'ak$2KTP6oDmZcPKRoE8DZxHFQA7GCyYoc8TTRek5uCEwXDFovkFqz';
const TO = 'ak$2KmumVDr1KQwhzPbbC14t3at6wHD1i6TFAS3PoquPRnEGaiiWs';
const CHANNEL = 'ch$6SgSc7a14dGbwMNCsjjQZCYVreVLKkFwBzJEZ58ZSZnV9FiQ1';
const TX = 'tx$2C9etiP9wZr2iQVj6BUYk5sxHVNgcVhK4ngwv7fjsnnj2S1przQggcqyfhfJGgMPkpzoDfBZM7SyxVQykUCHvJw2N7E5gWSMuiuGjL4fYYUAXkEeyJygCAqKiszgqz8RuBDAfyCX44SsC5Ev1KU84jkui5EVxb';

const node = (frame: unknown, options?: ParseOptions) => () => parseNodeMessage(JSON.stringify(frame), options);
const client = (frame: unknown, options?: ParseOptions) => () => parseClientMessage(JSON.stringify(frame), options);

describe('parseNodeMessage', () => {
  it.each<[string, unknown]>([
    ['info', { action: 'info', payload: { event: 'own_funding_locked' } }],
    ['sign request', { action: 'sign', tag: 'shutdown_sign_ack', payload: { tx: TX } }],
    ['on_chain_tx', { action: 'on_chain_tx', payload: { tx: TX } }],
    ['co-signed state', { action: 'update', payload: { state: TX } }],
    ['message report', { action: 'message', payload: { message: { channel_id: CHANNEL, from: FROM, to: TO, info: 'hejsan' } } }],
    ['abort error', { action: 'error', payload: { message: 'not_mutually_signed' } }],
  ])('reads a %s as the JSON it is', (_name, frame) => {
    expect(parseNodeMessage(JSON.stringify(frame))).toStrictEqual(frame);
  });

  it('reads a conflict with its round as a bigint', () => {
    const conflict = parseNodeMessage(`{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":42}}`);
    expect(conflict).toStrictEqual({ action: 'conflict', payload: { channel_id: CHANNEL, round: 42n } });
  });

  it('keeps a round past 2^64 exact', () => {
    const conflict = parseNodeMessage(`{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":36893488147419103233}}`);
    expect(conflict.action === 'conflict' && conflict.payload.round).toBe(2n ** 65n + 1n);
  });

  it('reads the echo of a rejected request exactly, whatever it holds', () => {
    const text = `{"action":"error","payload":{"reason":"function_clause","request":{"action":"update","payload":{"amount":9007199254740993,"from":"${FROM}","to":"${TO}","extra":[1.5,"x"]},"tag":"new"}}}`;
    const parsed = parseNodeMessage(text);
    expect(parsed).toStrictEqual({
      action: 'error',
      payload: {
        reason: 'function_clause',
        request: { action: 'update', payload: { amount: 9007199254740993n, from: FROM, to: TO, extra: [1.5, 'x'] }, tag: 'new' },
      },
    });
  });

  it('reads numbers in an echo as the exact parser does, on the fast path and the slow one', () => {
    const echoed = (text: string) => {
      const parsed = parseNodeMessage(`{"action":"error","payload":{"reason":"x","request":{"action":"update","payload":{"value":${text}}}}}`);
      if (parsed.action !== 'error' || !('reason' in parsed.payload)) throw new Error('not a request error');
      return parsed.payload.request.payload?.value;
    };
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(echoed(text)).toStrictEqual(parseJsonExact(text));
      }),
      { numRuns: 300 },
    );
    expect(echoed('{"__proto__":5,"small":[1,-2,{"n":3}]}')).toStrictEqual(parseJsonExact('{"__proto__":5,"small":[1,-2,{"n":3}]}'));
    expect(Object.getOwnPropertyDescriptor(echoed('{"__proto__":5}'), '__proto__')?.value).toBe(5n);
    expect(echoed('[999999999999999, -999999999999999, 1000000000000000, "x:1.5"]')).toStrictEqual([
      999999999999999n,
      -999999999999999n,
      1000000000000000n,
      'x:1.5',
    ]);
  });

  it('reads the echo of a message request whatever its tag holds, as v0.14 echoes it (BEHAVIOUR.md §3.1)', () => {
    // v0.14 matches a message request by action and payload alone and echoes it as sent.
    for (const tag of ['7', 'null', '{"x":[1]}', '"new"']) {
      const text = `{"action":"error","payload":{"reason":"unknown_recipient","request":{"action":"message","payload":{"info":"hi","to":"${FROM}"},"tag":${tag}}}}`;
      const parsed = parseNodeMessage(text, { dialect: 'v0.14' });
      expect(parsed).toStrictEqual(parseJsonExact(text));
      expect(serializeMessage(requestError('unknown_recipient', (parsed as RequestError).payload.request))).toBe(text);
    }
    const noAction = thrown(SchemaError, () => parseNodeMessage('{"action":"error","payload":{"reason":"x","request":{"tag":"new"}}}'));
    expect(noAction.context).toMatchObject({ path: '/payload/request/action', keyword: 'required' });
  });

  it('tells the two error shapes apart by their keys', () => {
    const aborted = parseNodeMessage('{"action":"error","payload":{"message":"invalid_previous_round"}}');
    const rejected = parseNodeMessage('{"action":"error","payload":{"reason":"unknown_request","request":{"action":"shutdown"}}}');
    expect(aborted.action === 'error' && 'message' in aborted.payload).toBe(true);
    expect(rejected.action === 'error' && 'reason' in rejected.payload && rejected.payload.request).toStrictEqual({ action: 'shutdown' });
  });

  it('narrows by action and tag', () => {
    const message: NodeMessage = parseNodeMessage(`{"action":"sign","tag":"update","payload":{"tx":"${TX}"}}`);
    if (message.action !== 'sign') throw new Error('not a sign request');
    const tag: 'update' | 'update_ack' | 'initiator_sign' | 'responder_sign' | 'initiator_signed' | 'responder_signed' | 'shutdown_sign' | 'shutdown_sign_ack' =
      message.tag;
    expect(tag).toBe('update');
    expect(message.payload.tx).toBe(TX);
  });

  it('accepts either dialect by default and one when asked', () => {
    const seedOnly = { action: 'info', payload: { event: 'update_finalized' } };
    const v014Only = { action: 'sign', tag: 'initiator_sign', payload: { tx: TX } };
    expect(node(seedOnly)()).toStrictEqual(seedOnly);
    expect(node(v014Only)()).toStrictEqual(v014Only);
    const inSeed: SeedNodeMessage = parseNodeMessage(JSON.stringify(seedOnly), { dialect: 'seed' });
    expect(inSeed).toStrictEqual(seedOnly);
    expect(node(v014Only, { dialect: 'v0.14' })()).toStrictEqual(v014Only);
    expect(node({ action: 'info', payload: { event: 'open' } }, { dialect: 'seed' })()).toBeTruthy();

    const wrong = thrown(SchemaError, node(v014Only, { dialect: 'seed' }));
    expect(wrong.code).toBe('WRONG_DIALECT');
    expect(wrong.context).toEqual({ path: '/tag', action: 'sign', tag: 'initiator_sign', dialect: 'seed' });
    expect(wrong.message).toBe('sign request: "initiator_sign" belongs to the v0.14 dialect, not seed');
  });

  it('names the first problem with a JSON pointer, the keyword and a readable message', () => {
    const pattern = thrown(SchemaError, node({ action: 'sign', tag: 'update', payload: { tx: FROM } }));
    expect(pattern.code).toBe('SCHEMA');
    expect(pattern.context).toEqual({ action: 'sign', path: '/payload/tx', keyword: 'pattern' });
    expect(pattern.message).toBe(`sign request: /payload/tx must be a tx$… base58 string, got a string of ${FROM.length} characters`);

    const missing = thrown(SchemaError, node({ action: 'message', payload: { message: { channel_id: CHANNEL, from: FROM, info: 'x' } } }));
    expect(missing.context.path).toBe('/payload/message/to');
    expect(missing.message).toBe('message report: /payload/message/to missing key "to"');

    const extra = thrown(SchemaError, node({ action: 'on_chain_tx', payload: { tx: TX, 'a/b~c': 1 } }));
    expect(extra.context.path).toBe('/payload/a~1b~0c');
    expect(extra.message).toBe('on_chain_tx: /payload/a~1b~0c unexpected key "a/b~c"');

    const enumeration = thrown(SchemaError, node({ action: 'info', payload: { event: 'closed' } }));
    expect(enumeration.context.keyword).toBe('enum');
    expect(enumeration.message).toContain('/payload/event must be one of "channel_accept", "channel_open", "close_mutual"');

    const type = thrown(SchemaError, node({ action: 'conflict', payload: { channel_id: CHANNEL, round: '1' } }));
    expect(type.message).toBe('conflict: /payload/round must be an integer, got "1"');

    const minimum = thrown(SchemaError, node({ action: 'conflict', payload: { channel_id: CHANNEL, round: -3 } }));
    expect(minimum.message).toBe('conflict: /payload/round must be ≥ 0, got a number');
  });

  it('refuses a tx$, ak$ or ch$ value longer than the largest payload of its prefix encodes to', () => {
    // 32-byte ids and keys take at most 50 base58 characters, a legacy 65-byte key 95, a tx (≤ 65 532 bytes)
    // MAX_ENCODED_LENGTH - 3 (89 500).
    const report = (message: Record<string, string>) => ({ action: 'message', payload: { message: { channel_id: CHANNEL, from: FROM, to: TO, info: 'x', ...message } } });
    const cases: [unknown, string, number][] = [
      [report({ channel_id: `ch$${'z'.repeat(51)}` }), '/payload/message/channel_id', 53],
      [report({ from: `ak$${'z'.repeat(96)}` }), '/payload/message/from', 98],
      [{ action: 'conflict', payload: { channel_id: `ch$${'2'.repeat(10_000)}`, round: 1 } }, '/payload/channel_id', 53],
      [{ action: 'sign', tag: 'update', payload: { tx: `tx$${'2'.repeat(MAX_ENCODED_LENGTH - 2)}` } }, '/payload/tx', MAX_ENCODED_LENGTH],
      [{ action: 'update', payload: { state: `tx$${'2'.repeat(1_000_000)}` } }, '/payload/state', MAX_ENCODED_LENGTH],
    ];
    for (const [frame, path, most] of cases) {
      const error = thrown(SchemaError, node(frame));
      expect(error.code).toBe('SCHEMA');
      expect(error.context).toMatchObject({ path, keyword: 'maxLength' });
      expect(error.message).toMatch(new RegExp(`^[a-z {}/_]+: ${path} must be at most ${most} characters, got a string of [0-9]+ characters$`));
    }
    // An over-long key of an update/new: the keyword a node maps to broken_encoding, as for a bad one.
    const longKey = thrown(SchemaError, client({ action: 'update', tag: 'new', payload: { from: FROM, to: `ak$${'z'.repeat(96)}`, amount: 1 } }));
    expect(longKey.context).toEqual({ action: 'update', path: '/payload/to', keyword: 'maxLength' });
    // The longest of each still passes: the bound is the prefix's, not a guess.
    expect(node(report({ channel_id: `ch$${'z'.repeat(50)}`, from: `ak$${'z'.repeat(95)}` }))()).toBeTruthy();
    expect(node({ action: 'sign', tag: 'update', payload: { tx: `tx$${'2'.repeat(MAX_ENCODED_LENGTH - 3)}` } })()).toBeTruthy();
  });

  it('refuses an integral value not written as an integer literal, which JSON.parse would pass', () => {
    // Upper-case exponents and whitespace after the colon included: the fast path must not miss them.
    for (const literal of ['42.0', '4.2e1', '420e-1', '42E0', '4.2E+1', ' 42.0', '\n\t 42E0', ' -0.0']) {
      const error = thrown(SchemaError, () => parseNodeMessage(`{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":${literal}}}`));
      expect(error.code).toBe('SCHEMA');
      expect(error.context).toEqual({ path: '/payload/round', keyword: 'type', action: 'conflict' });
      expect(error.message).toContain('must be an integer literal (no fraction or exponent)');
    }
  });

  it('reports where JSON parsing stopped', () => {
    const error = thrown(SchemaError, () => parseNodeMessage('{"action":}'));
    expect(error.code).toBe('INVALID_JSON');
    expect(error.context.position).toBe(10);
  });

  it('checks its arguments', () => {
    expect(() => parseNodeMessage(Buffer.from('{}') as unknown as string)).toThrow(TypeError);
    expect(() => parseNodeMessage('{}', { dialect: 'v0.15' as 'seed' })).toThrow(RangeError);
  });
});

describe('parseClientMessage', () => {
  it('reads update/new with an exact amount, of any size', () => {
    for (const amount of [0n, 2n, 9007199254740993n, 2n ** 64n, 10n ** 40n]) {
      const parsed = parseClientMessage(`{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":${amount}}}`);
      expect(parsed).toStrictEqual({ action: 'update', tag: 'new', payload: { from: FROM, to: TO, amount } });
    }
  });

  it('refuses an amount written 1E3, 1.0 or 01, however it is spaced', () => {
    const update = (amount: string) => `{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":${amount}}}`;
    for (const amount of ['1E3', '1e3', '1.0', '2E+0', ' 1E3', '\n 1.0', '\t-5E1', '\r\n1000e-3']) {
      const error = thrown(SchemaError, () => parseClientMessage(update(amount)));
      expect(error.context, amount).toEqual({ action: 'update', path: '/payload/amount', keyword: 'type' });
    }
    for (const amount of ['01', ' 01', '-01', '+1', '1.', '.5']) expect(thrown(SchemaError, () => parseClientMessage(update(amount))).code, amount).toBe('INVALID_JSON');
    expect(parseClientMessage(update(' \n18446744073709551616'))).toStrictEqual({ action: 'update', tag: 'new', payload: { from: FROM, to: TO, amount: 2n ** 64n } });
  });

  it('refuses a __proto__ key beside the amount, whichever parser read the frame', () => {
    for (const amount of ['1', '18446744073709551616']) {
      const text = `{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":${amount},"__proto__":{}}}`;
      const error = thrown(SchemaError, () => parseClientMessage(text));
      expect(error.context, amount).toEqual({ action: 'update', path: '/payload/__proto__', keyword: 'additionalProperties' });
    }
  });

  it('lets a negative amount through: the node answers it with negative_amount', () => {
    const parsed = parseClientMessage(`{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":-1}}`);
    expect(parsed.action === 'update' && 'tag' in parsed && parsed.payload.amount).toBe(-1n);
  });

  it('reads update without a tag as the answer to an update sign request', () => {
    expect(client({ action: 'update', payload: { tx: TX } })()).toStrictEqual({ action: 'update', payload: { tx: TX } });
    const error = thrown(SchemaError, client({ action: 'update', payload: { from: FROM, to: TO, amount: 1 } }));
    expect(error.context.path).toBe('/payload/tx');
  });

  it.each([
    ['initiator_signed', 'seed', 'v0.14'],
    ['responder_signed', 'seed', 'v0.14'],
    ['initiator_sign', 'v0.14', 'seed'],
    ['responder_sign', 'v0.14', 'seed'],
  ] as const)('reads the %s reply in the %s dialect only', (action, own, other) => {
    const frame = { action, payload: { tx: TX } };
    expect(client(frame)()).toStrictEqual(frame);
    expect(client(frame, { dialect: own })()).toStrictEqual(frame);
    const error = thrown(SchemaError, client(frame, { dialect: other }));
    expect(error.code).toBe('WRONG_DIALECT');
    expect(error.context.path).toBe('/action');
  });

  it('reads message and shutdown, with or without an empty payload', () => {
    expect(client({ action: 'message', payload: { to: TO, info: '' } })()).toStrictEqual({ action: 'message', payload: { to: TO, info: '' } });
    expect(client({ action: 'shutdown' })()).toStrictEqual({ action: 'shutdown' });
    expect(client({ action: 'shutdown', payload: {} })()).toStrictEqual({ action: 'shutdown', payload: {} });
  });

  it('refuses the node-side actions and unknown tags with their own codes', () => {
    expect(thrown(SchemaError, client({ action: 'conflict', payload: {} })).code).toBe('UNKNOWN_ACTION');
    const tag = thrown(SchemaError, client({ action: 'update', tag: 'ack', payload: {} }));
    expect(tag.code).toBe('UNKNOWN_TAG');
    expect(tag.context).toEqual({ path: '/tag', action: 'update', tag: 'ack' });
    // An empty tag is a tag: not the untagged sign reply.
    expect(thrown(SchemaError, client({ action: 'update', tag: '', payload: { tx: TX } })).code).toBe('UNKNOWN_TAG');
  });
});

describe('integers of any size (README: never rounded nor rejected for their size)', () => {
  const update = (amount: string) => `{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":${amount}}}`;
  const conflictText = (round: string) => `{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":${round}}}`;

  it('reads an amount past 1.8e308, where JSON.parse gives Infinity', () => {
    expect(JSON.parse(update(`1${'0'.repeat(309)}`)).payload.amount).toBe(Number.POSITIVE_INFINITY);
    for (const amount of [10n ** 308n, 10n ** 309n, 10n ** 400n, -(10n ** 400n), 7n * 10n ** 5000n + 1n]) {
      const parsed = parseClientMessage(update(String(amount)));
      expect(parsed).toStrictEqual({ action: 'update', tag: 'new', payload: { from: FROM, to: TO, amount } });
    }
  });

  it('reads a round past 1.8e308, and still refuses a negative one of any size', () => {
    const round = BigInt('9'.repeat(400));
    expect(parseNodeMessage(conflictText(String(round)))).toStrictEqual({ action: 'conflict', payload: { channel_id: CHANNEL, round } });
    const negative = thrown(SchemaError, () => parseNodeMessage(conflictText(`-${'9'.repeat(400)}`)));
    expect(negative.code).toBe('SCHEMA');
    expect(negative.context).toEqual({ action: 'conflict', path: '/payload/round', keyword: 'minimum' });
  });

  it('still refuses a huge literal with a fraction or an exponent, which is no integer literal', () => {
    for (const literal of ['1e400', `1${'0'.repeat(400)}.0`, '-1e999']) {
      const error = thrown(SchemaError, () => parseNodeMessage(conflictText(literal)));
      expect(error.code).toBe('SCHEMA');
      expect(error.context).toMatchObject({ path: '/payload/round', keyword: 'type' });
    }
  });

  it('reads huge integers anywhere in an echoed request', () => {
    const big = 10n ** 400n;
    const parsed = parseNodeMessage(`{"action":"error","payload":{"reason":"x","request":{"action":"update","payload":{"amount":${big},"list":[-${big}]}}}}`);
    expect(parsed).toStrictEqual({ action: 'error', payload: { reason: 'x', request: { action: 'update', payload: { amount: big, list: [-big] } } } });
  });
});

describe('generic message info: at most 65 535 bytes of UTF-8 (BEHAVIOUR.md §4)', () => {
  it('counts bytes as an encoder writes them, at every boundary and for lone surrogates', () => {
    const encoded = (text: string) => new TextEncoder().encode(text).length;
    for (const text of ['\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\ud800', '\udbff', '\udc00', '\udfff', '\udc00\udc00', '\udbff\udfff', '\ud800\ud800\udc00', 'x\udc00\ud800', '\ud800é']) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(encoded(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(encoded(text));
      }),
      { numRuns: 300 },
    );
  });

  const request = (info: string) => JSON.stringify({ action: 'message', payload: { to: TO, info } });
  const report = (info: string) => JSON.stringify({ action: 'message', payload: { message: { channel_id: CHANNEL, from: FROM, to: TO, info } } });

  it('accepts 65 535 bytes, counted in UTF-8', () => {
    for (const info of ['x'.repeat(65_535), `${'é'.repeat(32_767)}x`, `${'€'.repeat(21_845)}`, `${'😀'.repeat(16_383)}abc`]) {
      expect(parseClientMessage(request(info))).toStrictEqual({ action: 'message', payload: { to: TO, info } });
      expect(parseNodeMessage(report(info))).toBeTruthy();
    }
  });

  it('refuses one byte more as SCHEMA at the info, however few characters it takes', () => {
    // 65 536 bytes each: 'é' is 2 bytes, '€' 3, '😀' 4 (two UTF-16 units), a lone surrogate 3 (as U+FFFD).
    for (const info of ['x'.repeat(65_536), 'é'.repeat(32_768), `${'€'.repeat(21_845)}x`, '😀'.repeat(16_384), `${'\ud800'.repeat(21_845)}x`]) {
      const error = thrown(SchemaError, () => parseClientMessage(request(info)));
      expect(error.code).toBe('SCHEMA');
      expect(error.context).toEqual({ action: 'message', path: '/payload/info', keyword: 'maxLength' });
      expect(error.message).toBe('message: /payload/info must be at most 65535 bytes of UTF-8, got 65536');
      expect(thrown(SchemaError, () => parseNodeMessage(report(info))).context.path).toBe('/payload/message/info');
    }
  });
});

describe('shutdown (BEHAVIOUR.md §2.6: the payload is optional and ignored)', () => {
  it('accepts any payload object, its numbers read exactly', () => {
    expect(client({ action: 'shutdown', payload: { reason: 'bye' } })()).toStrictEqual({ action: 'shutdown', payload: { reason: 'bye' } });
    const text = `{"action":"shutdown","payload":{"force":true,"n":${10n ** 400n},"deep":[{"x":null}]}}`;
    expect(parseClientMessage(text)).toStrictEqual({ action: 'shutdown', payload: { force: true, n: 10n ** 400n, deep: [{ x: null }] } });
  });

  it('refuses a number no double holds, which could never be written back', () => {
    for (const [number, path] of [['1e400', '/payload/n'], ['-1.5e999', '/payload/deep/0/x']] as const) {
      const text = `{"action":"shutdown","payload":{"n":${number === '1e400' ? number : 1},"deep":[{"x":${number === '1e400' ? 2 : number}}]}}`;
      const error = thrown(SchemaError, () => parseClientMessage(text));
      expect(error.context).toEqual({ action: 'shutdown', path, keyword: 'type' });
      expect(error.message).toBe(`shutdown: ${path} must be a finite number, got a literal past ±1.8e308`);
    }
    const echo = thrown(SchemaError, () => parseNodeMessage('{"action":"error","payload":{"reason":"x","request":{"action":"y","payload":{"a/b":1e400}}}}'));
    expect(echo.context).toEqual({ action: 'error', path: '/payload/request/payload/a~1b', keyword: 'type' });
    // What does parse, serializes back.
    const parsed = parseClientMessage(`{"action":"shutdown","payload":{"n":1e300,"m":${10n ** 400n}}}`);
    expect(serializeMessage(parsed)).toBe(`{"action":"shutdown","payload":{"n":1e+300,"m":${10n ** 400n}}}`);
  });

  it('still refuses a payload that is no object, and a key beside it', () => {
    expect(thrown(SchemaError, client({ action: 'shutdown', payload: [] })).context).toMatchObject({ path: '/payload', keyword: 'type' });
    expect(thrown(SchemaError, client({ action: 'shutdown', payload: 'bye' })).context).toMatchObject({ path: '/payload', keyword: 'type' });
    expect(thrown(SchemaError, client({ action: 'shutdown', reason: 'bye' })).context).toMatchObject({ path: '/reason', keyword: 'additionalProperties' });
  });
});

describe('telling a missing key from a wrong one (BEHAVIOUR.md §3.3 vs §3.1)', () => {
  it('gives the same path for both, and the keyword tells them apart', () => {
    // The node ignores an update/new without amount, and answers function_clause to a float one.
    const missing = thrown(SchemaError, client({ action: 'update', tag: 'new', payload: { from: FROM, to: TO } }));
    expect(missing.context).toEqual({ action: 'update', path: '/payload/amount', keyword: 'required' });
    const float = thrown(SchemaError, () => parseClientMessage(`{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":1.5}}`));
    expect(float.context).toEqual({ action: 'update', path: '/payload/amount', keyword: 'type' });
    const literal = thrown(SchemaError, () => parseClientMessage(`{"action":"update","tag":"new","payload":{"from":"${FROM}","to":"${TO}","amount":1.0}}`));
    expect(literal.context).toEqual({ action: 'update', path: '/payload/amount', keyword: 'type' });
  });
});

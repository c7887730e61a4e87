import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  coSignedState,
  conflict,
  fsmError,
  info,
  message,
  messageReport,
  onChainTx,
  requestError,
  serializeMessage,
  shutdown,
  signReply,
  signRequest,
  updateNew,
} from './builders.js';
import { SchemaError } from './errors.js';
import { SEED_INFO_EVENTS, V014_INFO_EVENTS } from './messages/info.js';
import type { AccountPubkey, ChannelId, EncodedTx } from './messages/primitives.js';
import { SEED_SIGN_TAGS, V014_SIGN_TAGS } from './messages/sign.js';
import type { ClientMessage, NodeMessage } from './messages/unions.js';
import { parseJsonExact } from './json.js';
import { parseClientMessage, parseNodeMessage } from './parse.js';
import { thrown } from '../../../test/support/errors.js';

const I: AccountPubkey = 'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV';
const R: AccountPubkey = 'ak$2CrzUGrQvLx4EaG5VnygKbb92Xpz88t5XepeQbRfutHqGWraSH';
const CHANNEL: ChannelId = 'ch$278Xa6XdZv7a1tCFo8EjnmpHY8nXp2MsyL5vviFvicRxFRorUN';
const TX: EncodedTx =
  'tx$5PhAaYRsMhZQv7TYgNhCG9k9BRFLZDSD6pDyGbQTWy4vfRADBcVvTck9xUG3nUvXwrFLAsZp9Hx5p9cXJcFUKmj1g6qrUDqGYGdYya5Bo3mSWbR1cfVKKWA3ao3m6SEom';

describe('client → node builders', () => {
  it('write the frames of BEHAVIOUR.md §2 byte for byte', () => {
    expect(serializeMessage(signReply('initiator_sign', TX))).toBe(`{"action":"initiator_sign","payload":{"tx":"${TX}"}}`);
    expect(serializeMessage(updateNew({ from: I, to: R, amount: 2n }))).toBe(
      `{"action":"update","tag":"new","payload":{"from":"${I}","to":"${R}","amount":2}}`,
    );
    expect(serializeMessage(message(R, 'hejsan'))).toBe(`{"action":"message","payload":{"to":"${R}","info":"hejsan"}}`);
    expect(serializeMessage(shutdown())).toBe('{"action":"shutdown"}');
  });

  it('write amounts past 2^53 exactly', () => {
    const amount = 2n ** 64n - 1n;
    const text = serializeMessage(updateNew({ from: I, to: R, amount }));
    expect(text).toContain('"amount":18446744073709551615}');
    const parsed = parseClientMessage(text);
    expect(parsed.action === 'update' && 'tag' in parsed && parsed.payload.amount).toBe(amount);
  });

  it('build one reply per sign tag of either dialect', () => {
    for (const tag of new Set([...SEED_SIGN_TAGS, ...V014_SIGN_TAGS])) {
      const reply = signReply(tag, TX);
      expect(reply).toStrictEqual({ action: tag, payload: { tx: TX } });
      expect(parseClientMessage(serializeMessage(reply))).toStrictEqual(reply);
    }
  });

  it('refuse values the protocol does not have, as SchemaError', () => {
    const prefix = thrown(SchemaError, () => updateNew({ from: CHANNEL as unknown as AccountPubkey, to: R, amount: 1n }));
    expect(prefix.code).toBe('SCHEMA');
    expect(prefix.context.path).toBe('/payload/from');
    expect(thrown(SchemaError, () => signReply('initiator_sig' as 'initiator_sign', TX)).code).toBe('UNKNOWN_ACTION');
    expect(thrown(SchemaError, () => signReply('update', 'th$abc' as EncodedTx)).context.path).toBe('/payload/tx');
    expect(thrown(SchemaError, () => message('ak$' as AccountPubkey, 'x')).context.path).toBe('/payload/to');
  });

  it('build a negative amount, which the node answers with negative_amount', () => {
    const text = serializeMessage(updateNew({ from: I, to: R, amount: -1n }));
    expect(text).toBe(`{"action":"update","tag":"new","payload":{"from":"${I}","to":"${R}","amount":-1}}`);
    expect(parseClientMessage(text)).toStrictEqual(updateNew({ from: I, to: R, amount: -1n }));
  });

  it('build amounts of any size, which parse back', () => {
    for (const amount of [10n ** 309n, 10n ** 400n, -(10n ** 400n)]) {
      const frame = updateNew({ from: I, to: R, amount });
      const text = serializeMessage(frame);
      expect(text).toContain(`"amount":${amount}}`);
      expect(parseClientMessage(text)).toStrictEqual(frame);
    }
  });

  it('refuse an info of more than 65 535 UTF-8 bytes as RangeError', () => {
    expect(message(R, 'x'.repeat(65_535)).payload.info).toHaveLength(65_535);
    expect(message(R, 'é'.repeat(32_767)).payload.info).toHaveLength(32_767);
    expect(() => message(R, 'x'.repeat(70_000))).toThrow(RangeError);
    expect(() => message(R, 'é'.repeat(32_768))).toThrow('info must be at most 65535 bytes of UTF-8 (its length travels in 2 bytes), got 65536');
    expect(() => messageReport({ channel_id: CHANNEL, from: I, to: R, info: '€'.repeat(21_846) })).toThrow(RangeError);
  });

  it('build a shutdown that a payload-carrying one parses like', () => {
    expect(parseClientMessage('{"action":"shutdown","payload":{"reason":"bye"}}').action).toBe(shutdown().action);
  });

  it('refuse wrong argument types as TypeError', () => {
    expect(() => updateNew({ from: I, to: R, amount: 2 as unknown as bigint })).toThrow(TypeError);
    expect(() => updateNew({ from: I, to: R, amount: 2 as unknown as bigint })).toThrow('transfer.amount must be a bigint, got a number');
    expect(() => updateNew(null as unknown as { from: AccountPubkey; to: AccountPubkey; amount: bigint })).toThrow(TypeError);
    expect(() => message(R, 5 as unknown as string)).toThrow('info must be a string');
    expect(() => signReply('update', undefined as unknown as EncodedTx)).toThrow('signedTx must be a string');
    expect(() => signReply(5 as unknown as 'update', TX)).toThrow('tag must be a string, got a number');
    expect(() => signRequest(null as unknown as 'update', TX)).toThrow('tag must be a string, got null');
  });
});

describe('node → client builders', () => {
  it('write the frames of BEHAVIOUR.md §2 byte for byte', () => {
    expect(serializeMessage(info('close_mutual'))).toBe('{"action":"info","payload":{"event":"close_mutual"}}');
    expect(serializeMessage(signRequest('update_ack', TX))).toBe(`{"action":"sign","tag":"update_ack","payload":{"tx":"${TX}"}}`);
    expect(serializeMessage(onChainTx(TX))).toBe(`{"action":"on_chain_tx","payload":{"tx":"${TX}"}}`);
    expect(serializeMessage(coSignedState(TX))).toBe(`{"action":"update","payload":{"state":"${TX}"}}`);
    expect(serializeMessage(conflict(CHANNEL, 42n))).toBe(`{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":42}}`);
    expect(serializeMessage(messageReport({ channel_id: CHANNEL, from: I, to: R, info: 'hi' }))).toBe(
      `{"action":"message","payload":{"message":{"channel_id":"${CHANNEL}","from":"${I}","to":"${R}","info":"hi"}}}`,
    );
    expect(serializeMessage(fsmError('invalid_previous_round'))).toBe('{"action":"error","payload":{"message":"invalid_previous_round"}}');
  });

  it('echo a rejected request as given, big integers included', () => {
    const request = { action: 'update', payload: { amount: -(2n ** 70n), from: I, to: R }, tag: 'new' };
    const frame = requestError('negative_amount', request);
    const text = serializeMessage(frame);
    expect(text).toBe(
      `{"action":"error","payload":{"reason":"negative_amount","request":{"action":"update","payload":{"amount":-1180591620717411303424,"from":"${I}","to":"${R}"},"tag":"new"}}}`,
    );
    expect(parseNodeMessage(text)).toStrictEqual(frame);
  });

  it('build a conflict of any round, which parses back', () => {
    const frame = conflict(CHANNEL, 10n ** 400n);
    expect(parseNodeMessage(serializeMessage(frame))).toStrictEqual(frame);
  });

  it('echo a request of any depth the parser reads, and write it back', () => {
    // A hostile client frame: 40 KB of `[`, which a node echoes in its error.
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}${10n ** 400n}${']'.repeat(depth)}`;
    const frame = requestError('x', { action: 'a', payload: { x: parseJsonExact(nested) } });
    const text = serializeMessage(frame);
    expect(text).toBe(`{"action":"error","payload":{"reason":"x","request":{"action":"a","payload":{"x":${nested}}}}}`);
    expect(serializeMessage(parseNodeMessage(text))).toBe(text);
  });

  it('echo holes of an array as null, so the text is JSON', () => {
    const text = serializeMessage(requestError('x', { action: 'update', payload: { list: [, 1] } }));
    expect(text).toBe('{"action":"error","payload":{"reason":"x","request":{"action":"update","payload":{"list":[null,1]}}}}');
    expect(parseNodeMessage(text)).toStrictEqual(requestError('x', { action: 'update', payload: { list: [null, 1n] } }));
  });

  it('refuse an echo JSON cannot carry as TypeError naming its path, a cycle included, so serializeMessage writes every built frame', () => {
    const cases: [string, unknown][] = [
      ['/payload/request/payload/amount must be a finite number, got NaN', NaN],
      ['/payload/request/payload/amount must be a finite number, got Infinity', Infinity],
      ['/payload/request/payload/amount cannot be written as JSON, got a function', () => 1],
      ['/payload/request/payload/amount must be a plain object, got an object ([object Map])', new Map()],
    ];
    for (const [message, amount] of cases) {
      expect(() => requestError('function_clause', { action: 'update', tag: 'new', payload: { amount } }), message).toThrow(TypeError);
      expect(() => requestError('function_clause', { action: 'update', tag: 'new', payload: { amount } })).toThrow(message);
    }
    // Before the validator walks it: a cycle used to send the copy for the validator round forever.
    const cyclic: { action: string; payload: Record<string, unknown> } = { action: 'update', payload: {} };
    cyclic.payload.self = cyclic;
    expect(() => requestError('x', cyclic)).toThrow('/payload/request/payload/self refers back to itself');
    // One object reached twice is no cycle: it is written twice, as JSON.stringify does.
    const shared = { n: 1n };
    expect(serializeMessage(requestError('x', { action: 'update', payload: { a: shared, b: shared } }))).toBe(
      '{"action":"error","payload":{"reason":"x","request":{"action":"update","payload":{"a":{"n":1},"b":{"n":1}}}}}',
    );
  });

  it('build every info event of either dialect', () => {
    for (const event of new Set([...SEED_INFO_EVENTS, ...V014_INFO_EVENTS])) {
      expect(parseNodeMessage(serializeMessage(info(event)))).toStrictEqual({ action: 'info', payload: { event } });
    }
  });

  it('refuse what the schema refuses', () => {
    expect(thrown(SchemaError, () => info('closed' as 'open')).context).toMatchObject({ path: '/payload/event', keyword: 'enum' });
    expect(thrown(SchemaError, () => signRequest('deposit_tx' as 'update', TX)).code).toBe('UNKNOWN_TAG');
    expect(thrown(SchemaError, () => conflict(I as unknown as ChannelId, 1n)).context.path).toBe('/payload/channel_id');
    expect(thrown(SchemaError, () => requestError('x', { tag: 'new' } as unknown as { action: string })).context.path).toBe('/payload/request/action');
    expect(() => conflict(CHANNEL, -1n)).toThrow(RangeError);
    expect(conflict(CHANNEL, 0n).payload.round).toBe(0n); // round 0: the channel's first state
    expect(() => requestError('x', [] as unknown as { action: string })).toThrow(TypeError);
    for (const frame of ['{"action":"shutdown"}', null, [shutdown()]]) {
      expect(() => serializeMessage(frame as unknown as ClientMessage), JSON.stringify(frame)).toThrow(TypeError);
    }
  });
});

describe('parse(serialize(build(…))) gives the frame back', () => {
  const key = fc.constantFrom<AccountPubkey>(I, R, 'ak$3YGRJv1QMgNbeDzvqX7qJrZWJDaHGmrHYHifxSbhSEgn6anuNYCNPrzsB911xTbZ35bvJYWLyYjrQaQKfvja9gkpvYMfEZ');
  // Up to 1e400: past 1.8e308 a literal is Infinity to JSON.parse, and must still parse back.
  const amount = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.bigInt({ min: 0n, max: 10n ** 400n }));
  const signedAmount = fc.oneof(fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }), fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }));
  const text = fc.string({ unit: 'grapheme' });
  const signTag = fc.constantFrom(...SEED_SIGN_TAGS, ...V014_SIGN_TAGS);
  const event = fc.constantFrom(...SEED_INFO_EVENTS, ...V014_INFO_EVENTS);

  const clientFrames: fc.Arbitrary<ClientMessage> = fc.oneof(
    signTag.map((tag) => signReply(tag, TX)),
    fc.record({ from: key, to: key, amount: signedAmount }).map(updateNew),
    fc.tuple(key, text).map(([to, info]) => message(to, info)),
    fc.constant(shutdown()),
  );
  const nodeFrames: fc.Arbitrary<NodeMessage> = fc.oneof(
    event.map(info),
    signTag.map((tag) => signRequest(tag, TX)),
    fc.constant(onChainTx(TX)),
    fc.constant(coSignedState(TX)),
    amount.map((round) => conflict(CHANNEL, round)),
    fc.tuple(key, key, text).map(([from, to, info]) => messageReport({ channel_id: CHANNEL, from, to, info })),
    fc.tuple(text, fc.record({ from: key, to: key, amount: fc.bigInt() }, { noNullPrototype: true })).map(([reason, payload]) =>
      requestError(reason, { action: 'update', tag: 'new', payload }),
    ),
    text.map(fsmError),
  );

  it('for client frames', () => {
    fc.assert(
      fc.property(clientFrames, (frame) => {
        expect(parseClientMessage(serializeMessage(frame))).toStrictEqual(frame);
      }),
    );
  });

  it('for node frames', () => {
    fc.assert(
      fc.property(nodeFrames, (frame) => {
        expect(parseNodeMessage(serializeMessage(frame))).toStrictEqual(frame);
      }),
    );
  });
});

/**
 * Every frame shape of BEHAVIOUR.md §2–§4 (and the seed's names, DESIGN.md decision 5), one row
 * each: the text the node or the client writes, the dialects it belongs to and the builder that
 * makes it. Each row must parse in its dialects into what its builder makes (amounts and rounds
 * as bigints), be WRONG_DIALECT in the other, and its builder must write exactly that text.
 * Then every row is damaged one way at a time: each key removed, each value given the other JSON
 * type (a number as a string and the reverse), each `$` value given another prefix, a key added;
 * each must be refused with its code, path and keyword.
 */
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  coSignedState,
  conflict,
  type Dialect,
  fsmError,
  FSM_ERROR_MESSAGES,
  info,
  message,
  messageReport,
  type NodeMessage,
  onChainTx,
  parseClientMessage,
  parseNodeMessage,
  REQUEST_ERROR_REASONS,
  requestError,
  SchemaError,
  serializeMessage,
  shutdown,
  signReply,
  signRequest,
  updateNew,
} from '../src/index.js';
import { type ExactJson, parseJsonExact, serializeJson } from '../src/json.js';
import { thrown } from '../../../test/support/errors.js';

const I = 'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV';
const R = 'ak$2CrzUGrQvLx4EaG5VnygKbb92Xpz88t5XepeQbRfutHqGWraSH';
const CHANNEL = 'ch$278Xa6XdZv7a1tCFo8EjnmpHY8nXp2MsyL5vviFvicRxFRorUN';
const TX = 'tx$5PhAaYRsMhZQv7TYgNhCG9k9BRFLZDSD6pDyGbQTWy4vfRADBcVvTck9xUG3nUvXwrFLAsZp9Hx5p9cXJcFUKmj1g6qrUDqGYGdYya5Bo3mSWbR1cfVKKWA3ao3m6SEom';
const BOTH: Dialect[] = ['seed', 'v0.14'];

interface Row {
  /** Where BEHAVIOUR.md (or the seed) shows the frame. */
  where: string;
  dir: 'in' | 'out';
  dialects: Dialect[];
  /** The frame as the node (in) or the client (out) writes it. */
  text: string;
  build: () => NodeMessage | ClientMessage;
}

const transfer = (amount: string) => `{"action":"update","tag":"new","payload":{"from":"${I}","to":"${R}","amount":${amount}}}`;
const echoError = (reason: string, request: string) => `{"action":"error","payload":{"reason":"${reason}","request":${request}}}`;
const messageRequest = (to: string) => `{"action":"message","payload":{"to":"${to}","info":"hejsan"}}`;

const ROWS: Row[] = [
  // §2.2 info events: nine shared, one of each dialect's own
  ...(['channel_open', 'channel_accept', 'funding_created', 'funding_signed', 'own_funding_locked', 'funding_locked', 'update', 'open', 'died'] as const).map(
    (event): Row => ({ where: `§2.2 info ${event}`, dir: 'in', dialects: BOTH, text: `{"action":"info","payload":{"event":"${event}"}}`, build: () => info(event) }),
  ),
  { where: '§2.6 info close_mutual', dir: 'in', dialects: ['v0.14'], text: '{"action":"info","payload":{"event":"close_mutual"}}', build: () => info('close_mutual') },
  { where: 'seed info update_finalized', dir: 'in', dialects: ['seed'], text: '{"action":"info","payload":{"event":"update_finalized"}}', build: () => info('update_finalized') },
  // §2.3 sign requests and their replies
  ...(
    [
      ['initiator_sign', ['v0.14']],
      ['responder_sign', ['v0.14']],
      ['initiator_signed', ['seed']],
      ['responder_signed', ['seed']],
      ['update', BOTH],
      ['update_ack', BOTH],
      ['shutdown_sign', BOTH],
      ['shutdown_sign_ack', BOTH],
    ] as const
  ).flatMap(([tag, dialects]): Row[] => [
    { where: `§2.3 sign ${tag}`, dir: 'in', dialects: [...dialects], text: `{"action":"sign","tag":"${tag}","payload":{"tx":"${TX}"}}`, build: () => signRequest(tag, TX) },
    { where: `§2.3 reply ${tag}`, dir: 'out', dialects: [...dialects], text: `{"action":"${tag}","payload":{"tx":"${TX}"}}`, build: () => signReply(tag, TX) },
  ]),
  { where: '§2.4/§2.6 on_chain_tx', dir: 'in', dialects: BOTH, text: `{"action":"on_chain_tx","payload":{"tx":"${TX}"}}`, build: () => onChainTx(TX) },
  { where: '§2.5 update {state}', dir: 'in', dialects: BOTH, text: `{"action":"update","payload":{"state":"${TX}"}}`, build: () => coSignedState(TX) },
  { where: '§3.4 conflict', dir: 'in', dialects: BOTH, text: `{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":42}}`, build: () => conflict(CHANNEL, 42n) },
  {
    where: '§3.4 conflict, round past 2^53',
    dir: 'in',
    dialects: BOTH,
    text: `{"action":"conflict","payload":{"channel_id":"${CHANNEL}","round":9007199254740993}}`,
    build: () => conflict(CHANNEL, 2n ** 53n + 1n),
  },
  {
    where: '§4 message report',
    dir: 'in',
    dialects: BOTH,
    text: `{"action":"message","payload":{"message":{"channel_id":"${CHANNEL}","from":"${I}","to":"${R}","info":"hejsan"}}}`,
    build: () => messageReport({ channel_id: CHANNEL, from: I, to: R, info: 'hejsan' }),
  },
  { where: '§4 message', dir: 'out', dialects: BOTH, text: messageRequest(R), build: () => message(R, 'hejsan') },
  { where: '§2.5 update/new', dir: 'out', dialects: BOTH, text: transfer('2'), build: () => updateNew({ from: I, to: R, amount: 2n }) },
  { where: '§2.5 update/new of 0', dir: 'out', dialects: BOTH, text: transfer('0'), build: () => updateNew({ from: I, to: R, amount: 0n }) },
  { where: '§3.1 update/new of −1', dir: 'out', dialects: BOTH, text: transfer('-1'), build: () => updateNew({ from: I, to: R, amount: -1n }) },
  {
    where: '§2.5 update/new of 2^64 + 1',
    dir: 'out',
    dialects: BOTH,
    text: transfer('18446744073709551617'),
    build: () => updateNew({ from: I, to: R, amount: 2n ** 64n + 1n }),
  },
  { where: '§2.6 shutdown', dir: 'out', dialects: BOTH, text: '{"action":"shutdown"}', build: () => shutdown() },
  // §3.1 request errors, each reason with the request v0.14 answers with it
  {
    where: '§3.1 insufficient_balance (the seed’s example)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('insufficient_balance', transfer('10000')),
    build: () => requestError('insufficient_balance', { action: 'update', tag: 'new', payload: { from: I, to: R, amount: 10000n } }),
  },
  {
    where: '§3.1 negative_amount',
    dir: 'in',
    dialects: BOTH,
    text: echoError('negative_amount', transfer('-1')),
    build: () => requestError('negative_amount', { action: 'update', tag: 'new', payload: { from: I, to: R, amount: -1n } }),
  },
  {
    where: '§3.1 invalid_pubkeys',
    dir: 'in',
    dialects: BOTH,
    text: echoError('invalid_pubkeys', `{"action":"update","tag":"new","payload":{"from":"${I}","to":"${I}","amount":1}}`),
    build: () => requestError('invalid_pubkeys', { action: 'update', tag: 'new', payload: { from: I, to: I, amount: 1n } }),
  },
  {
    where: '§3.1 broken_encoding (update/new)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('broken_encoding', `{"action":"update","tag":"new","payload":{"from":"ak$x","to":"${R}","amount":1}}`),
    build: () => requestError('broken_encoding', { action: 'update', tag: 'new', payload: { from: 'ak$x', to: R, amount: 1n } }),
  },
  {
    where: '§3.1 function_clause (amount a string)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('function_clause', transfer('"1"')),
    build: () => requestError('function_clause', { action: 'update', tag: 'new', payload: { from: I, to: R, amount: '1' } }),
  },
  {
    where: '§3.1 function_clause (amount a float)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('function_clause', transfer('1.5')),
    build: () => requestError('function_clause', { action: 'update', tag: 'new', payload: { from: I, to: R, amount: 1.5 } }),
  },
  {
    where: '§3.1 unknown_request (message before open)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('unknown_request', messageRequest(R)),
    build: () => requestError('unknown_request', { action: 'message', payload: { to: R, info: 'hejsan' } }),
  },
  {
    where: '§3.1 unknown_recipient',
    dir: 'in',
    dialects: BOTH,
    text: echoError('unknown_recipient', messageRequest(I)),
    build: () => requestError('unknown_recipient', { action: 'message', payload: { to: I, info: 'hejsan' } }),
  },
  {
    where: '§3.1 broken_encoding (message)',
    dir: 'in',
    dialects: BOTH,
    text: echoError('broken_encoding', messageRequest('ch$x')),
    build: () => requestError('broken_encoding', { action: 'message', payload: { to: 'ch$x', info: 'hejsan' } }),
  },
  // §3.2 abort errors: every message v0.14 sends
  ...FSM_ERROR_MESSAGES.map(
    (reason): Row => ({ where: `§3.2 error ${reason}`, dir: 'in', dialects: BOTH, text: `{"action":"error","payload":{"message":"${reason}"}}`, build: () => fsmError(reason) }),
  ),
];

const parse = (dir: 'in' | 'out', text: string, dialect?: Dialect) =>
  dir === 'in' ? parseNodeMessage(text, dialect === undefined ? {} : { dialect }) : parseClientMessage(text, dialect === undefined ? {} : { dialect });

describe('every frame of BEHAVIOUR.md §2–§4, in its dialects', () => {
  it('lists every request error reason and every abort message v0.14 sends', () => {
    const reasons = new Set(ROWS.filter((row) => row.text.includes('"reason"')).map((row) => (parseJsonExact(row.text) as { payload: { reason: string } }).payload.reason));
    expect([...reasons].sort()).toEqual([...REQUEST_ERROR_REASONS].sort());
  });

  it.each(ROWS.map((row) => [row.where, row] as const))('%s', (_where, row) => {
    const built = row.build();
    // The builder writes the frame byte for byte as BEHAVIOUR.md shows it.
    expect(serializeMessage(built)).toBe(row.text);
    for (const dialect of [undefined, ...row.dialects]) expect(parse(row.dir, row.text, dialect)).toStrictEqual(built);
    for (const dialect of BOTH.filter((candidate) => !row.dialects.includes(candidate))) {
      expect(thrown(SchemaError, () => parse(row.dir, row.text, dialect)).code).toBe('WRONG_DIALECT');
    }
  });

  it('reads amounts and rounds as exact bigints, however large', () => {
    const round = parseNodeMessage(ROWS.find((row) => row.where === '§3.4 conflict, round past 2^53')?.text ?? '');
    expect(round.action === 'conflict' && round.payload.round).toBe(9007199254740993n);
    const amount = parseClientMessage(transfer('18446744073709551617'));
    expect(amount.action === 'update' && 'tag' in amount && amount.payload.amount).toBe(18446744073709551617n);
    const echoed = parseNodeMessage(echoError('insufficient_balance', transfer('9007199254740993')));
    expect(echoed.action === 'error' && 'reason' in echoed.payload && echoed.payload.request.payload?.amount).toBe(9007199254740993n);
  });
});

/** Where each row's frame may hold anything (an echo's content, a shutdown's payload): no damage there is refused. */
function isOpen(pointer: string): boolean {
  return /^\/payload\/request\/(?!action$)/.test(pointer);
}

type Json = { [key: string]: ExactJson };

/** Every member of a frame, with its pointer and the object holding it. */
function members(frame: Json): { pointer: string; holder: Json; key: string; value: ExactJson }[] {
  const found: { pointer: string; holder: Json; key: string; value: ExactJson }[] = [];
  const visit = (holder: Json, prefix: string) => {
    for (const [key, value] of Object.entries(holder)) {
      const pointer = `${prefix}/${key}`;
      found.push({ pointer, holder, key, value });
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) visit(value as Json, pointer);
    }
  };
  visit(frame, '');
  return found;
}

/** The frame with the member at `pointer` changed by `change` (undefined removes it). */
function damaged(text: string, pointer: string, change: (value: ExactJson) => ExactJson | undefined): string {
  const frame = parseJsonExact(text) as Json;
  const member = members(frame).find((candidate) => candidate.pointer === pointer);
  if (member === undefined) throw new Error(`no ${pointer}`);
  const value = change(member.value);
  if (value === undefined) delete member.holder[member.key];
  else member.holder[member.key] = value;
  return serializeJson(frame);
}

interface Refusal {
  code: string;
  path: string;
  keyword?: string;
}

function refusal(dir: 'in' | 'out', text: string): Refusal {
  const error = thrown(SchemaError, () => parse(dir, text));
  return { code: error.code, path: error.context.path ?? '', ...(error.context.keyword === undefined ? {} : { keyword: error.context.keyword }) };
}

/**
 * What removing a key does where the frame then reads as another one: without its action a
 * frame has none; an update/new without its tag is a signing reply (which has `tx`); an abort
 * error without its message is a request error (which has `reason`).
 */
function refusalOfRemoval(row: Row, pointer: string): Refusal {
  if (pointer === '/action') return { code: 'MISSING_ACTION', path: '/action' };
  if (row.dir === 'out' && pointer === '/tag') return { code: 'SCHEMA', path: '/payload/tx', keyword: 'required' };
  if (row.where.startsWith('§3.2') && pointer === '/payload/message') return { code: 'SCHEMA', path: '/payload/reason', keyword: 'required' };
  return { code: 'SCHEMA', path: pointer, keyword: 'required' };
}

describe('near misses of every frame of BEHAVIOUR.md §2–§4', () => {
  it.each(ROWS.map((row) => [row.where, row] as const))('%s: each key removed is refused where it is missing', (_where, row) => {
    const keys = members(parseJsonExact(row.text) as Json).filter(({ pointer }) => !isOpen(pointer));
    expect(keys.length).toBeGreaterThan(0);
    for (const { pointer } of keys) {
      expect(refusal(row.dir, damaged(row.text, pointer, () => undefined)), pointer).toEqual(refusalOfRemoval(row, pointer));
    }
  });

  it.each(ROWS.map((row) => [row.where, row] as const))(
    '%s: each value of the other JSON type (a number as a string, a string as a number, an object as a string) is refused at its path',
    (_where, row) => {
      for (const { pointer, value } of members(parseJsonExact(row.text) as Json).filter((member) => !isOpen(member.pointer))) {
        const other: ExactJson = typeof value === 'string' ? 42n : typeof value === 'bigint' ? String(value) : 'x';
        const expected: Refusal =
          pointer === '/action' ? { code: 'MISSING_ACTION', path: '/action' } : { code: 'SCHEMA', path: pointer, keyword: 'type' };
        expect(refusal(row.dir, damaged(row.text, pointer, () => other)), pointer).toEqual(expected);
      }
    },
  );

  it.each(ROWS.map((row) => [row.where, row] as const))('%s: each tx$, ak$ or ch$ value under another prefix is refused at its path', (_where, row) => {
    const OTHER: Record<string, string> = { tx: 'th', ak: 'ch', ch: 'ak' };
    const prefixed = members(parseJsonExact(row.text) as Json).filter(
      ({ pointer, value }) => !isOpen(pointer) && typeof value === 'string' && /^(tx|ak|ch)\$/.test(value),
    );
    for (const { pointer, value } of prefixed) {
      const swapped = `${OTHER[(value as string).slice(0, 2)]}${(value as string).slice(2)}`;
      expect(refusal(row.dir, damaged(row.text, pointer, () => swapped)), pointer).toEqual({ code: 'SCHEMA', path: pointer, keyword: 'pattern' });
    }
  });

  it.each(ROWS.map((row) => [row.where, row] as const))('%s: a key added to any closed object (`origin`, of later nodes) is refused by name', (_where, row) => {
    const frame = parseJsonExact(row.text) as Json;
    const objects = ['', ...members(frame).filter(({ pointer, value }) => !isOpen(`${pointer}/x`) && value !== null && typeof value === 'object' && !Array.isArray(value)).map(({ pointer }) => pointer)];
    for (const pointer of objects) {
      const text = pointer === '' ? serializeJson({ ...frame, origin: I }) : damaged(row.text, pointer, (value) => ({ ...(value as Json), origin: I }));
      expect(refusal(row.dir, text), pointer).toEqual({ code: 'SCHEMA', path: `${pointer}/origin`, keyword: 'additionalProperties' });
    }
  });

  it('refuses an action no frame of the direction has, and a tag no dialect has', () => {
    expect(refusal('in', '{"action":"deposit_locked","payload":{}}')).toEqual({ code: 'UNKNOWN_ACTION', path: '/action' });
    expect(refusal('out', '{"action":"withdraw","payload":{"amount":1}}')).toEqual({ code: 'UNKNOWN_ACTION', path: '/action' });
    expect(refusal('in', `{"action":"sign","tag":"deposit_tx","payload":{"tx":"${TX}"}}`)).toEqual({ code: 'UNKNOWN_TAG', path: '/tag' });
    expect(refusal('out', `{"action":"update","tag":"old","payload":{"from":"${I}","to":"${R}","amount":1}}`)).toEqual({ code: 'UNKNOWN_TAG', path: '/tag' });
  });
});

/**
 * The hostile-argument table (test/support/hostile.ts) against every public function of
 * @aesc/encoding, @aesc/tx and @aesc/signer that takes input: every row in every argument
 * position, and in every field of a transaction (or JSON form, or channel-id input) for the
 * functions that take one.
 *
 * Each call must either
 *  - throw TypeError/RangeError (a wrong argument shape; never a stack overflow), or the
 *    package's typed error (EncodingError / TxError / SignerError) with a string `code`, with a
 *    message under 1000 characters; a row whose getters or traps throw may let that error out; or
 *  - return exactly what the function returns for the value the row honestly stands for (a
 *    Buffer is bytes, a string row is that string); for a row that stands for nothing, only a
 *    predicate may return, and then false.
 * Nothing may hang: every call settles (promises included) within HANG_LIMIT_MS.
 */
import * as encoding from '@aesc/encoding';
import { EncodingError } from '@aesc/encoding';
import * as signerModule from '@aesc/signer';
import * as legacy from '@aesc/signer/legacy';
// The browser entry (selected by the package's `exports` conditions), imported by path here.
import * as browserSignerModule from '../packages/signer/src/browser.js';
import * as tx from '@aesc/tx';
import * as txChannel from '@aesc/tx/channel';
import { type SignedTx, TX_DEFINITIONS, TxError, type UnsignedTx } from '@aesc/tx';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_ROWS, HUGE_STRINGS, HostileHookError, type HostileRow } from './support/hostile.js';

const HANG_LIMIT_MS = 10_000;
const NONE = Symbol('stands for nothing');

type ErrorClass = abstract new (...args: never[]) => Error;

/** What kind of value an argument position takes, which decides a row's honest stand-in. */
type Kind = 'bytes' | 'string' | 'bigint' | 'json' | 'key' | 'list' | 'rlp' | 'any' | 'other';

interface Position {
  /** Where the hostile value goes: an argument index, then a path inside that argument. */
  readonly argument: number;
  readonly path: readonly (string | number)[];
  readonly kind: Kind;
  /** `undefined` is a valid value here (an optional argument or option). */
  readonly optional?: boolean;
  /** `null` means "not given" here, as `undefined` does. */
  readonly nullable?: boolean;
  readonly label: string;
  /** Baseline arguments for this position, when the target's default does not have the container. */
  readonly args?: () => unknown[];
}

interface Target {
  readonly name: string;
  readonly call: (...args: unknown[]) => unknown;
  /** Valid arguments: the baseline every hostile call changes in one place. */
  readonly args: () => unknown[];
  readonly positions: readonly Position[];
  readonly errors: readonly ErrorClass[];
  /** For predicates and describers: whether a value returned for a row that stands for nothing is fine. */
  readonly acceptsReturn?: (value: unknown) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Valid baselines.

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);
const legacyKey = Uint8Array.of(4, ...bytes(64, 6));

const SETTLE: UnsignedTx = {
  type: 'channel_settle_tx',
  channel_id: bytes(32, 1),
  from: bytes(32, 2),
  initiator_amount: 10n,
  responder_amount: 5n,
  ttl: 100n,
  fee: 1n,
  nonce: 3n,
};
const OFFCHAIN: UnsignedTx = {
  type: 'channel_offchain_tx',
  channel_id: bytes(32, 1),
  previous_round: 1n,
  round: 2n,
  initiator: bytes(32, 2),
  responder: bytes(32, 3),
  initiator_amount: 5n,
  responder_amount: 5n,
  updates: [{ from: bytes(32, 2), to: bytes(32, 3), amount: 2n }],
  state: new Uint8Array(0),
};

/** One sample of every field kind: keys, ids, ints, spend bytes, payload, state, updates, legacy `from`. */
function sampleTxs(): { name: string; tx: tx.Tx }[] {
  const samples: { name: string; tx: tx.Tx }[] = [
    { name: 'spend_tx', tx: { type: 'spend_tx', sender: bytes(32, 2), recipient: legacyKey, amount: 1n, fee: 1n, nonce: 1n, payload: Uint8Array.of(1, 2, 3) } },
    {
      name: 'channel_create_tx',
      tx: { type: 'channel_create_tx', initiator: bytes(32, 2), initiator_amount: 7n, responder: bytes(32, 3), responder_amount: 3n, channel_reserve: 2n, lock_period: 10n, ttl: 1000n, fee: 1n, nonce: 1n },
    },
    { name: 'channel_close_mutual_tx (legacy)', tx: { type: 'channel_close_mutual_tx', channel_id: bytes(32, 1), from: bytes(32, 2), initiator_amount: 6n, responder_amount: 3n, ttl: 1000n, fee: 1n, nonce: 3n } },
    { name: 'channel_close_solo_tx', tx: { type: 'channel_close_solo_tx', channel_id: bytes(32, 1), from: bytes(32, 2), payload: tx.serializeTx({ type: 'signed_tx', signatures: [bytes(64, 9)], tx: OFFCHAIN }), ttl: 1n, fee: 1n, nonce: 1n } },
    { name: 'channel_offchain_tx', tx: OFFCHAIN },
    { name: 'signed_tx', tx: { type: 'signed_tx', signatures: [bytes(64, 8), bytes(64, 9)], tx: SETTLE } },
  ];
  return samples.map(({ name, tx: sample }) => ({ name, tx: structuredClone(sample) }));
}

const KIND_OF_FIELD: Record<string, Kind> = { int: 'bigint', pubkey: 'bytes', id: 'bytes', bytes: 'bytes', state: 'bytes', payload: 'bytes', updates: 'other' };

/** Every field of a sample tx as a position (and inside updates and signatures). */
function txFieldPositions(sample: tx.Tx, argument: number, prefix: readonly (string | number)[], sampleName: string): Position[] {
  const positions: Position[] = [{ argument, path: [...prefix, 'type'], kind: 'string', label: `${sampleName}.type` }];
  if (sample.type === 'signed_tx') {
    positions.push(
      { argument, path: [...prefix, 'signatures'], kind: 'list', label: `${sampleName}.signatures` },
      { argument, path: [...prefix, 'signatures', 0], kind: 'bytes', label: `${sampleName}.signatures[0]` },
      { argument, path: [...prefix, 'tx'], kind: 'other', label: `${sampleName}.tx` },
    );
    return [...positions, ...txFieldPositions(sample.tx, argument, [...prefix, 'tx'], `${sampleName}.tx`)];
  }
  const definition = TX_DEFINITIONS.find((candidate) => candidate.type === sample.type);
  const layout = definition?.layouts.find((candidate) => candidate.every(([name]) => name in sample) && candidate.length === Object.keys(sample).length - 1);
  for (const [name, kind] of layout ?? []) {
    // `from: undefined` on a close_mutual is the v0.14 layout (a `from` present means legacy)
    const optional = sample.type === 'channel_close_mutual_tx' && name === 'from';
    positions.push({ argument, path: [...prefix, name], kind: kind === 'updates' ? 'list' : (KIND_OF_FIELD[kind] ?? 'other'), label: `${sampleName}.${name}`, optional });
    if (kind === 'updates') {
      positions.push(
        { argument, path: [...prefix, name, 0], kind: 'other', label: `${sampleName}.${name}[0]` },
        { argument, path: [...prefix, name, 0, 'from'], kind: 'bytes', label: `${sampleName}.${name}[0].from` },
        { argument, path: [...prefix, name, 0, 'amount'], kind: 'bigint', label: `${sampleName}.${name}[0].amount` },
      );
    }
  }
  return positions;
}

/** Every value of a JSON form as a position (JSON kind: only plain JSON stands for itself). */
function jsonPositions(json: unknown, argument: number, path: (string | number)[] = [], positions: Position[] = []): Position[] {
  // tag and vsn may be left out of a JSON form
  const optional = path.at(-1) === 'tag' || path.at(-1) === 'vsn';
  if (path.length > 0) positions.push({ argument, path: [...path], kind: 'json', label: `json.${path.join('.')}`, optional });
  if (json !== null && typeof json === 'object') {
    for (const [key, value] of Object.entries(json)) jsonPositions(value, argument, [...path, Array.isArray(json) ? Number(key) : key], positions);
  }
  return positions;
}

const top = (argument: number, kind: Kind, label: string, optional = false): Position => ({ argument, path: [], kind, label, optional });

// ---------------------------------------------------------------------------------------------
// Targets.

const ENCODING_ERRORS = [EncodingError] as const;
const TX_ERRORS = [TxError, EncodingError] as const;

const isFalse = (value: unknown) => value === false;

function encodingTargets(): Target[] {
  const ak = encoding.encode('ak', bytes(32, 1));
  return [
    { name: 'encode', call: (prefix, payload) => encoding.encode(prefix as 'ak', payload as Uint8Array), args: () => ['ak', bytes(32, 1)], positions: [top(0, 'string', 'prefix'), top(1, 'bytes', 'payload')], errors: ENCODING_ERRORS },
    { name: 'decode', call: (input, prefix) => encoding.decode(input as string, prefix as 'ak'), args: () => [ak, 'ak'], positions: [top(0, 'string', 'input'), top(1, 'string', 'prefix')], errors: ENCODING_ERRORS },
    { name: 'parse', call: (input, prefix) => encoding.parse(input as string, prefix as 'ak'), args: () => [ak, undefined], positions: [top(0, 'string', 'input'), top(1, 'string', 'expected', true)], errors: ENCODING_ERRORS },
    { name: 'isEncoded', call: (value, prefix) => encoding.isEncoded(value, prefix as 'ak'), args: () => [ak, undefined], positions: [top(0, 'string', 'value'), top(1, 'string', 'prefix', true)], errors: ENCODING_ERRORS, acceptsReturn: isFalse },
    { name: 'assertEncoded', call: (value, prefix) => encoding.assertEncoded(value, prefix as 'ak'), args: () => [ak, undefined], positions: [top(0, 'string', 'value'), top(1, 'string', 'prefix', true)], errors: ENCODING_ERRORS },
    { name: 'bytesToHex', call: (value) => encoding.bytesToHex(value as Uint8Array), args: () => [bytes(4, 1)], positions: [top(0, 'bytes', 'bytes')], errors: ENCODING_ERRORS },
    { name: 'hexToBytes', call: (value) => encoding.hexToBytes(value as string), args: () => ['00ff'], positions: [top(0, 'string', 'hex')], errors: ENCODING_ERRORS },
    { name: 'assertBytes', call: (value, name, length) => encoding.assertBytes(value, name as string, length as number), args: () => [bytes(32, 1), 'key', 32], positions: [top(0, 'bytes', 'value'), top(1, 'any', 'name')], errors: ENCODING_ERRORS },
    { name: 'assertBigint', call: (value, name) => encoding.assertBigint(value, name as string), args: () => [5n, 'fee'], positions: [top(0, 'bigint', 'value'), top(1, 'any', 'name')], errors: ENCODING_ERRORS },
    { name: 'assertString', call: (value, name) => encoding.assertString(value, name as string), args: () => ['x', 'name'], positions: [top(0, 'string', 'value'), top(1, 'any', 'name')], errors: ENCODING_ERRORS },
    { name: 'describe', call: (value) => encoding.describe(value), args: () => [bytes(4, 1)], positions: [top(0, 'any', 'value')], errors: ENCODING_ERRORS, acceptsReturn: (value) => typeof value === 'string' && value.length <= 200 },
    { name: 'isBytes', call: (value) => encoding.isBytes(value), args: () => [bytes(4, 1)], positions: [top(0, 'bytes', 'value')], errors: ENCODING_ERRORS, acceptsReturn: isFalse },
    { name: 'isPrefix', call: (value) => encoding.isPrefix(value), args: () => ['ak'], positions: [top(0, 'string', 'value')], errors: ENCODING_ERRORS, acceptsReturn: isFalse },
    { name: 'isDerSignature', call: (value) => encoding.isDerSignature(value as Uint8Array), args: () => [bytes(64, 1)], positions: [top(0, 'bytes', 'bytes')], errors: ENCODING_ERRORS, acceptsReturn: isFalse },
    { name: 'isLegacyPubkey', call: (value) => encoding.isLegacyPubkey(value as Uint8Array), args: () => [legacyKey], positions: [top(0, 'bytes', 'bytes')], errors: ENCODING_ERRORS, acceptsReturn: isFalse },
    { name: 'maxPayloadSize', call: (prefix) => encoding.maxPayloadSize(prefix as 'ak'), args: () => ['ak'], positions: [top(0, 'string', 'prefix')], errors: ENCODING_ERRORS },
  ];
}

function txTargets(): Target[] {
  const signedSettle: SignedTx = { type: 'signed_tx', signatures: [bytes(64, 9)], tx: SETTLE };
  const settleBytes = tx.serializeTx(SETTLE);
  const settleString = tx.encodeTx(SETTLE);
  const txTaking = (name: string, call: (value: unknown) => unknown, baseline: () => tx.Tx = () => structuredClone(SETTLE)): Target[] => [
    { name, call, args: () => [baseline()], positions: [top(0, 'other', 'tx')], errors: TX_ERRORS },
    {
      name: `${name} (each field of each tx type)`,
      call: (sample) => call(sample),
      args: () => [null],
      positions: [],
      errors: TX_ERRORS,
    },
  ];
  const json = JSON.parse(JSON.stringify(tx.toJSON({ type: 'signed_tx', signatures: [bytes(64, 9)], tx: OFFCHAIN })));
  const channelInput = () => ({ initiator: bytes(32, 2), nonce: 1n, responder: bytes(32, 3) });
  return [
    ...txTaking('serializeTx', (value) => tx.serializeTx(value as tx.Tx), () => structuredClone(signedSettle)),
    ...txTaking('serializeUnsigned', (value) => tx.serializeUnsigned(value as UnsignedTx)),
    ...txTaking('encodeTx', (value) => tx.encodeTx(value as tx.Tx)),
    ...txTaking('txHash', (value) => tx.txHash(value as tx.Tx)),
    ...txTaking('toJSON', (value) => tx.toJSON(value as tx.Tx), () => structuredClone(signedSettle)),
    ...txTaking('txSigners', (value) => tx.txSigners(value as UnsignedTx)),
    {
      name: 'deserializeTx',
      call: (input, expected) => tx.deserializeTx(input as Uint8Array, expected as 'any'),
      args: () => [settleBytes.slice(), undefined],
      positions: [top(0, 'bytes', 'bytes'), top(1, 'string', 'expected', true)],
      errors: TX_ERRORS,
    },
    {
      name: 'decodeTx',
      call: (input, expected) => tx.decodeTx(input as string, expected as 'any'),
      args: () => [settleString, undefined],
      positions: [top(0, 'string', 'encoded'), top(1, 'string', 'expected', true)],
      errors: TX_ERRORS,
    },
    { name: 'decodeRlp', call: (input) => tx.decodeRlp(input as Uint8Array), args: () => [settleBytes.slice()], positions: [top(0, 'bytes', 'input')], errors: TX_ERRORS },
    { name: 'encodeRlp', call: (item) => tx.encodeRlp(item as tx.RlpItem), args: () => [[bytes(3, 1), [bytes(1, 0)]]], positions: [top(0, 'rlp', 'item'), { argument: 0, path: [1, 0], kind: 'rlp', label: 'item[1][0]' }], errors: TX_ERRORS },
    { name: 'compareBytes', call: (left, right) => tx.compareBytes(left as Uint8Array, right as Uint8Array), args: () => [bytes(2, 1), bytes(2, 2)], positions: [top(0, 'bytes', 'left'), top(1, 'bytes', 'right')], errors: TX_ERRORS },
    { name: 'blake2b256', call: (input) => tx.blake2b256(input as Uint8Array), args: () => [bytes(3, 1)], positions: [top(0, 'bytes', 'bytes')], errors: TX_ERRORS },
    {
      name: 'channelId',
      call: (input) => tx.channelId(input as tx.ChannelIdInput),
      args: () => [channelInput()],
      positions: [
        top(0, 'other', 'input'),
        { argument: 0, path: ['initiator'], kind: 'key', label: 'initiator' },
        { argument: 0, path: ['nonce'], kind: 'bigint', label: 'nonce' },
        { argument: 0, path: ['responder'], kind: 'key', label: 'responder' },
      ],
      errors: TX_ERRORS,
    },
    { name: 'fromJSON', call: (value) => tx.fromJSON(value), args: () => [structuredClone(json)], positions: [top(0, 'json', 'json'), ...jsonPositions(json, 0)], errors: TX_ERRORS },
  ];
}

function channelTargets(): Target[] {
  const balances = () => ({ initiator: bytes(32, 2), responder: bytes(32, 3), initiator_amount: 10n, responder_amount: 10n });
  return [
    {
      name: 'applyTransfers',
      call: (state, updates, reserve) => txChannel.applyTransfers(state as txChannel.ChannelBalances, updates as tx.OffchainUpdate[], reserve as bigint),
      args: () => [balances(), [{ from: bytes(32, 2), to: bytes(32, 3), amount: 2n }], 1n],
      positions: [
        top(0, 'other', 'balances'),
        { argument: 0, path: ['initiator'], kind: 'bytes', label: 'balances.initiator' },
        { argument: 0, path: ['initiator_amount'], kind: 'bigint', label: 'balances.initiator_amount' },
        top(1, 'list', 'updates'),
        { argument: 1, path: [0], kind: 'other', label: 'updates[0]' },
        { argument: 1, path: [0, 'from'], kind: 'bytes', label: 'updates[0].from' },
        { argument: 1, path: [0, 'amount'], kind: 'bigint', label: 'updates[0].amount' },
        top(2, 'bigint', 'reserve'),
      ],
      errors: TX_ERRORS,
    },
    {
      name: 'closeMutualAmounts',
      call: (initiator, responder, fee) => txChannel.closeMutualAmounts(initiator as bigint, responder as bigint, fee as bigint),
      args: () => [7n, 3n, 1n],
      positions: [top(0, 'bigint', 'initiatorAmount'), top(1, 'bigint', 'responderAmount'), top(2, 'bigint', 'fee')],
      errors: TX_ERRORS,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Running one row in one position.

function setAt(root: unknown[], position: Position, value: unknown): void {
  if (position.path.length === 0) {
    root[position.argument] = value;
    return;
  }
  let container = root[position.argument] as Record<string | number, unknown>;
  for (const key of position.path.slice(0, -1)) container = container[key] as Record<string | number, unknown>;
  Object.defineProperty(container, position.path.at(-1) as string | number, { value, enumerable: true, writable: true, configurable: true });
}

/** The value `row` honestly stands for in a position of `kind`, or NONE. */
function honestValue(row: HostileRow, position: Position): unknown {
  if (row.name === 'undefined' && position.optional) return undefined;
  if (row.name === 'null' && position.nullable) return undefined;
  switch (position.kind) {
    case 'bytes':
      return row.as?.bytes?.() ?? NONE;
    case 'string':
      return row.as?.string ?? NONE;
    case 'bigint':
      return row.as?.bigint ?? NONE;
    case 'key':
      return row.as?.bytes?.() ?? row.as?.string ?? NONE;
    case 'json':
      return row.as?.json && !row.hooks ? row.make() : NONE;
    case 'list':
      return row.as?.list?.() ?? NONE;
    case 'rlp':
      // an RLP item is a byte string or a list of items
      return row.as?.bytes?.() ?? row.as?.list?.() ?? NONE;
    case 'any':
      return row.make();
    default:
      return NONE;
  }
}

type Outcome = { returned: true; value: unknown } | { returned: false; error: unknown } | { hung: true };

async function invoke(run: () => unknown): Promise<Outcome> {
  try {
    const result = run();
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), HANG_LIMIT_MS);
      });
      try {
        const settled = await Promise.race([(result as Promise<unknown>).then((value) => ({ value })), hang]);
        if (settled === 'hung') return { hung: true };
        return { returned: true, value: settled.value };
      } finally {
        clearTimeout(timer);
      }
    }
    return { returned: true, value: result };
  } catch (error) {
    return { returned: false, error };
  }
}

/** Typed arrays by content, bigints as text, functions by name: enough to compare results. */
function canonical(value: unknown, seen = new Set<unknown>()): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (seen.has(value)) return 'cycle';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => canonical(item, seen));
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key], seen)]));
}

/** Typed arrays compare by their bytes (a Buffer given for bytes may come back as a Buffer). */
function sameResult(left: unknown, right: unknown): boolean {
  const text = (value: unknown) => JSON.stringify(canonical(value)) ?? String(value);
  return text(left) === text(right);
}

function errorProblem(error: unknown, target: Target, row: HostileRow): string | undefined {
  if (error instanceof HostileHookError) return row.hooks ? undefined : 'threw the hook error of another row';
  if (!(error instanceof Error)) return `threw a non-Error ${String(error)}`;
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'stack overflow';
  const typed = target.errors.some((type) => error instanceof type);
  if (typed && typeof (error as { code?: unknown }).code !== 'string') return `${error.name} without a string code`;
  if (!typed && !(error instanceof TypeError) && !(error instanceof RangeError)) return `threw ${error.constructor.name}: ${error.message.slice(0, 120)}`;
  if (error.message.length > 1000) return `${error.name} message of ${error.message.length} characters`;
  return undefined;
}

function shortDescription(value: unknown): string {
  try {
    const text = JSON.stringify(canonical(value));
    return text === undefined ? String(value) : text.length > 100 ? `${text.slice(0, 100)}…` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

interface Problem {
  readonly problem: string;
  /** What came back, for a call that returned. */
  readonly example?: string;
}

async function runCase(target: Target, position: Position, row: HostileRow, defaultBaseline: () => unknown[]): Promise<Problem | undefined> {
  const baseline = position.args ?? defaultBaseline;
  const args = baseline();
  setAt(args, position, row.make());
  const outcome = await invoke(() => target.call(...args));
  if ('hung' in outcome) return { problem: `did not settle within ${HANG_LIMIT_MS} ms` };
  if (!outcome.returned) {
    const problem = errorProblem(outcome.error, target, row);
    return problem === undefined ? undefined : { problem };
  }
  const example = shortDescription(outcome.value);
  const honest = honestValue(row, position);
  if (honest === NONE) {
    if (target.acceptsReturn?.(outcome.value)) return undefined;
    return { problem: 'returned a value for an argument that stands for nothing', example };
  }
  const honestArgs = baseline();
  setAt(honestArgs, position, honest);
  const reference = await invoke(() => target.call(...honestArgs));
  if ('hung' in reference) return { problem: 'the honest call did not settle' };
  if (!reference.returned) return { problem: 'returned a value where the honest equivalent is refused', example };
  if (!sameResult(outcome.value, reference.value)) return { problem: 'returned something else than for the honest equivalent', example: `${example} instead of ${shortDescription(reference.value)}` };
  return undefined;
}

interface Violation {
  readonly position: string;
  readonly row: string;
  readonly problem: string;
  readonly example?: string;
}

async function violationsOf(target: Target, positions: readonly Position[], baseline: () => unknown[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const position of positions) {
    for (const row of HOSTILE_ROWS) {
      const found = await runCase(target, position, row, baseline);
      if (found !== undefined) violations.push({ position: position.label, row: row.name, ...found });
    }
  }
  return violations;
}

/**
 * Readable failures: violations with the same problem and the same rows are one entry, with
 * every position where they happened and one example of what came back.
 */
function summarize(violations: readonly Violation[]): string {
  const byPosition = new Map<string, { position: string; problem: string; rows: string[]; example?: string }>();
  for (const { position, row, problem, example } of violations) {
    const key = `${position}\u0000${problem}`;
    const entry = byPosition.get(key) ?? { position, problem, rows: [], ...(example === undefined ? {} : { example: `${row} at ${position}: ${example}` }) };
    entry.rows.push(row);
    byPosition.set(key, entry);
  }
  const merged = new Map<string, { problem: string; rows: string[]; positions: string[]; example?: string }>();
  for (const { position, problem, rows, example } of byPosition.values()) {
    const key = `${problem}\u0000${rows.join('|')}`;
    const entry = merged.get(key) ?? { problem, rows, positions: [], ...(example === undefined ? {} : { example }) };
    entry.positions.push(position);
    merged.set(key, entry);
  }
  const list = (items: string[], max: number) => items.slice(0, max).join(', ') + (items.length > max ? `, +${items.length - max} more` : '');
  const lines = [...merged.values()].map(
    ({ problem, rows, positions, example }) =>
      `  ${problem}\n      rows: ${list(rows, 8)}\n      at: ${list(positions, 6)}${example === undefined ? '' : `\n      e.g. ${example.slice(0, 160)}`}`,
  );
  return `${violations.length} violation(s):\n${lines.join('\n')}`;
}

function expectNoViolation(violations: readonly Violation[]): void {
  // always asserted, so that a table that ran no case at all cannot pass by asserting nothing
  expect(violations.length, violations.length > 0 ? summarize(violations) : undefined).toBe(0);
}

// ---------------------------------------------------------------------------------------------

function tableFor(packageName: string, targets: () => Target[], nested: (target: Target) => { positions: Position[]; baseline: () => unknown[] }[] = () => []) {
  describe(packageName, () => {
    for (const target of targets()) {
      const groups = target.positions.length > 0 ? [{ positions: target.positions, baseline: target.args }] : nested(target);
      it(`${target.name}: the valid baseline works`, async () => {
        for (const { baseline } of groups) {
          const outcome = await invoke(() => target.call(...baseline()));
          expect(outcome, target.name).toMatchObject({ returned: true });
        }
      });
      it(`${target.name}: every hostile row in every position`, async () => {
        const violations: Violation[] = [];
        for (const { positions, baseline } of groups) violations.push(...(await violationsOf(target, positions, baseline)));
        expectNoViolation(violations);
      });
    }
  });
}

/** For the "(each field of each tx type)" targets: a position per field of each sample. */
function txFieldGroups(target: Target, moreArgs: () => unknown[] = () => []): { positions: Position[]; baseline: () => unknown[] }[] {
  if (!target.name.endsWith('(each field of each tx type)')) return [];
  const onlySigned = target.name.startsWith('verifySignedTx');
  const onlyUnsigned = target.name.startsWith('serializeUnsigned') || target.name.startsWith('txSigners') || target.name.startsWith('signTx');
  return sampleTxs()
    .filter(({ tx: sample }) => (onlySigned ? sample.type === 'signed_tx' : onlyUnsigned ? sample.type !== 'signed_tx' : true))
    .map(({ name, tx: sample }) => ({
      positions: txFieldPositions(sample, 0, [], name),
      baseline: () => [structuredClone(sample), ...moreArgs()],
    }));
}

tableFor('@aesc/encoding', encodingTargets);
tableFor('@aesc/tx', txTargets, txFieldGroups);
tableFor('@aesc/tx/channel', channelTargets);

// ---------------------------------------------------------------------------------------------
// @aesc/signer, both entries (node:crypto and @noble/ed25519), and its legacy subpath.

type SignerApi = Partial<{
  createSigner: (secretKey: Uint8Array) => Promise<{ address: string; publicKey: Uint8Array; sign(message: Uint8Array): Promise<Uint8Array> }>;
  signTx: (tx: unknown, signer: unknown) => Promise<SignedTx>;
  verifySignedTx: (signedTx: unknown, keys?: unknown, options?: unknown) => Promise<unknown>;
  verifySignature: (signature: unknown, message: unknown, publicKey: unknown) => Promise<boolean>;
  SignerError: ErrorClass;
}>;
const isReady = (api: SignerApi) =>
  typeof api.createSigner === 'function' &&
  typeof api.signTx === 'function' &&
  typeof api.verifySignedTx === 'function' &&
  typeof api.verifySignature === 'function' &&
  typeof api.SignerError === 'function';
for (const [title, signerApi] of [
  ['@aesc/signer (node entry)', signerModule as SignerApi],
  ['@aesc/signer (browser entry)', browserSignerModule as SignerApi],
] as const) describe(title, () => {
  it('exports the functions this table covers', () => {
    expect(isReady(signerApi)).toBe(true);
  });

  const { createSigner, signTx, verifySignedTx, verifySignature, SignerError } = signerApi as Required<typeof signerApi>;
  const SIGNER_ERRORS = [SignerError, TxError, EncodingError] as const;
  const seed = bytes(32, 0x42);
  let signer: Awaited<ReturnType<typeof createSigner>>;
  let settleFromSigner: UnsignedTx;
  let signed: SignedTx;
  let signature: Uint8Array;

  beforeAll(async () => {
    signer = await createSigner(seed);
    settleFromSigner = { ...structuredClone(SETTLE), from: signer.publicKey.slice() } as UnsignedTx;
    signed = await signTx(settleFromSigner, signer);
    signature = signed.signatures[0] as Uint8Array;
  });

  const targets = (): Target[] => [
    { name: 'createSigner', call: (secretKey) => createSigner(secretKey as Uint8Array), args: () => [seed.slice()], positions: [top(0, 'bytes', 'secretKey')], errors: SIGNER_ERRORS },
    {
      name: 'signTx',
      call: (value, by) => signTx(value, by),
      // a plain (unfrozen) Signer around the real one, so that its `sign` can be replaced
      args: () => [structuredClone(settleFromSigner), { address: signer.address, publicKey: signer.publicKey, sign: (message: Uint8Array) => signer.sign(message) }],
      positions: [top(0, 'other', 'tx'), top(1, 'other', 'signer'), { argument: 1, path: ['sign'], kind: 'other', label: 'signer.sign' }],
      errors: SIGNER_ERRORS,
    },
    { name: 'signTx (each field of each tx type)', call: (value, by) => signTx(value, by), args: () => [null, signer], positions: [], errors: SIGNER_ERRORS },
    {
      name: 'verifySignedTx',
      call: (value, keys, options) => verifySignedTx(value, keys, options),
      args: () => [structuredClone(signed), undefined, undefined],
      positions: [
        top(0, 'other', 'signedTx'),
        { ...top(1, 'list', 'signerKeys', true), nullable: true },
        { argument: 1, path: [0], kind: 'key', label: 'signerKeys[0]', args: () => [structuredClone(signed), [signer.publicKey.slice()], undefined] },
        // options are only read when a legacy key needs a verifier: anything else is ignored
        top(2, 'any', 'options', true),
      ],
      errors: SIGNER_ERRORS,
    },
    { name: 'verifySignedTx (each field of each tx type)', call: (value) => verifySignedTx(value, [bytes(32, 2)]), args: () => [null], positions: [], errors: SIGNER_ERRORS },
    {
      name: 'verifySignature',
      call: (sig, message, key) => verifySignature(sig, message, key),
      args: () => [signature.slice(), tx.serializeUnsigned(settleFromSigner), signer.publicKey.slice()],
      positions: [top(0, 'bytes', 'signature'), top(1, 'bytes', 'message'), top(2, 'key', 'publicKey')],
      errors: SIGNER_ERRORS,
      // a predicate: false is a safe answer for anything
      acceptsReturn: (value) => value === false,
    },
  ];

  for (const target of targets()) {
    it(`${target.name}: every hostile row in every position`, async () => {
      const groups =
        target.positions.length > 0
          ? [{ positions: target.positions, baseline: target.args }]
          : txFieldGroups(target, () => (target.name.startsWith('signTx') ? [signer] : []));
      for (const { baseline } of groups) expect(await invoke(() => target.call(...baseline())), `${target.name} baseline`).toMatchObject({ returned: true });
      const violations: Violation[] = [];
      for (const { positions, baseline } of groups) violations.push(...(await violationsOf(target, positions, baseline)));
      expectNoViolation(violations);
    });
  }

  it('signTx: a Signer whose sign() gives back any hostile row is refused', async () => {
    const violations: Violation[] = [];
    const add = (row: HostileRow, problem: string) => violations.push({ position: 'signer.sign() result', row: row.name, problem });
    for (const row of HOSTILE_ROWS) {
      const lying = { address: signer.address, publicKey: signer.publicKey, sign: async () => row.make() };
      const outcome = await invoke(() => signTx(structuredClone(settleFromSigner), lying));
      if ('hung' in outcome) add(row, 'did not settle');
      else if (outcome.returned) add(row, `returned ${shortDescription(outcome.value)}`);
      else {
        const problem = errorProblem(outcome.error, { name: 'signTx', call: () => undefined, args: () => [], positions: [], errors: SIGNER_ERRORS }, row);
        if (problem !== undefined) add(row, problem);
      }
    }
    expectNoViolation(violations);
  });
});

describe('frozen transactions are only read', () => {
  /** Freezes objects and arrays all the way down (a Uint8Array with elements cannot be frozen). */
  function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      for (const child of Object.values(value)) deepFreeze(child);
      Object.freeze(value);
    }
    return value;
  }

  it.each(sampleTxs().map(({ name, tx: sample }) => [name, sample] as const))('%s: every tx function gives what it gives for the unfrozen tx', async (_name, sample) => {
    const frozen = deepFreeze(structuredClone(sample));
    expect(sameResult(tx.serializeTx(frozen), tx.serializeTx(sample))).toBe(true);
    expect(tx.encodeTx(frozen)).toBe(tx.encodeTx(sample));
    expect(tx.txHash(frozen)).toBe(tx.txHash(sample));
    expect(tx.toJSON(frozen)).toEqual(tx.toJSON(sample));
    expect(tx.fromJSON(deepFreeze(JSON.parse(JSON.stringify(tx.toJSON(sample)))))).toEqual(tx.fromJSON(JSON.parse(JSON.stringify(tx.toJSON(sample)))));
    if (frozen.type !== 'signed_tx') {
      const signer = await signerModule.createSigner(bytes(32, 5));
      const signedFrozen = await signerModule.signTx(frozen, signer);
      expect(signedFrozen).toEqual(await signerModule.signTx(sample, signer));
      const result = await signerModule.verifySignedTx(deepFreeze(signedFrozen), [signer.publicKey]);
      expect(result.valid).toBe(true);
    }
  });
});

describe('@aesc/signer/legacy', () => {
  const der = Uint8Array.of(0x30, 6, 0x02, 1, 1, 0x02, 1, 1);
  const targets: Target[] = [
    {
      name: 'verifyLegacySignature',
      call: (signature, message, key) => legacy.verifyLegacySignature(signature as Uint8Array, message as Uint8Array, key as Uint8Array),
      args: () => [der.slice(), bytes(10, 1), legacyKey.slice()],
      positions: [top(0, 'bytes', 'signature'), top(1, 'bytes', 'message'), top(2, 'bytes', 'publicKey')],
      errors: [EncodingError],
      acceptsReturn: (value) => value === false,
    },
    {
      name: 'legacyVerifier',
      call: (signature, message, key) => legacy.legacyVerifier(signature as Uint8Array, message as Uint8Array, key as Uint8Array),
      args: () => [der.slice(), bytes(10, 1), legacyKey.slice()],
      positions: [top(0, 'bytes', 'signature'), top(1, 'bytes', 'message'), top(2, 'bytes', 'publicKey')],
      errors: [EncodingError],
      acceptsReturn: (value) => value === false,
    },
  ];
  for (const target of targets) {
    it(`${target.name}: every hostile row in every position`, async () => {
      expect(await invoke(() => target.call(...target.args()))).toMatchObject({ returned: true, value: false });
      expectNoViolation(await violationsOf(target, target.positions, target.args));
    });
  }
});


// ---------------------------------------------------------------------------------------------

describe('10 MB strings are refused by the length cap (INPUT_TOO_LONG), not read', () => {
  const codeOf = (run: () => unknown): string => {
    try {
      run();
      return 'returned';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  };

  it.each(Object.entries(HUGE_STRINGS))('%s', (_name, huge) => {
    expect(codeOf(() => encoding.parse(huge))).toBe('INPUT_TOO_LONG');
    expect(codeOf(() => encoding.parse(huge, 'tx'))).toBe('INPUT_TOO_LONG');
    expect(codeOf(() => encoding.decode(huge, 'ak'))).toBe('INPUT_TOO_LONG');
    expect(codeOf(() => encoding.assertEncoded(huge))).toBe('INPUT_TOO_LONG');
    expect(encoding.isEncoded(huge)).toBe(false);
    expect(codeOf(() => tx.decodeTx(huge))).toBe('INPUT_TOO_LONG');
    expect(codeOf(() => tx.channelId({ initiator: huge as `ak$${string}`, nonce: 1n, responder: bytes(32, 1) }))).toBe('INPUT_TOO_LONG');
    // fromJSON wraps the EncodingError of a field in its own INVALID_JSON, naming the field
    const json = JSON.parse(JSON.stringify(tx.toJSON(SETTLE)));
    json.fields.from = huge;
    let error: unknown;
    try {
      tx.fromJSON(json);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TxError);
    expect(error).toMatchObject({ code: 'INVALID_JSON', context: { path: 'fields.from' } });
    expect((error as Error).message).toMatch(/longer than/);
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it.each(Object.entries(HUGE_STRINGS))('%s as an ak$ key of @aesc/signer', async (_name, huge) => {
    const asyncCode = async (run: () => Promise<unknown>) => {
      try {
        await run();
        return 'returned';
      } catch (error) {
        return (error as { code?: string }).code ?? String(error);
      }
    };
    const signed: SignedTx = { type: 'signed_tx', signatures: [bytes(64, 1)], tx: SETTLE };
    expect(await asyncCode(() => signerModule.verifySignature(bytes(64, 1), bytes(3, 1), huge as `ak$${string}`))).toBe('INPUT_TOO_LONG');
    expect(await asyncCode(() => signerModule.verifySignedTx(signed, [huge as `ak$${string}`]))).toBe('INPUT_TOO_LONG');
  });
});

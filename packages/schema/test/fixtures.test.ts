/**
 * fixtures/ws: the seed's frames, the flow transcripts and the negative set (see
 * fixtures/README.md for where each comes from). Every frame must validate in its direction and
 * dialect and survive the builders; every tx$ must decode with @aesc/tx into the transaction
 * its frame promises, and every one-party reply must carry that party's signature over the
 * body it was asked to sign.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeTx, type SignedTx, serializeTx, type UnsignedTx } from '@aesc/tx';
import { MAX_ENCODED_LENGTH, MAX_VARIABLE_PAYLOAD, parse } from '@aesc/encoding';
import { verifySignature } from '@aesc/signer';
import { verifyLegacySignature } from '@aesc/signer/legacy';
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  type CoSignedState,
  coSignedState,
  conflict,
  type Dialect,
  fsmError,
  info,
  message,
  messageReport,
  type NodeMessage,
  type OnChainTx,
  onChainTx,
  parseClientMessage,
  parseNodeMessage,
  requestError,
  SchemaError,
  type SchemaErrorCode,
  type SignReply,
  serializeMessage,
  shutdown,
  signReply,
  signRequest,
  updateNew,
} from '../src/index.js';
import { type ExactJson, parseJsonExact, serializeJson } from '../src/json.js';

const WS = fileURLToPath(new URL('../../../fixtures/ws/', import.meta.url));
const VECTORS = fileURLToPath(new URL('../../../fixtures/vectors/', import.meta.url));

/** JSON lines read exactly: the fixtures hold amounts past 2^53. */
function readLines<T>(file: string): T[] {
  return readFileSync(`${WS}${file}`, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => parseJsonExact(line) as unknown as T);
}

interface Entry {
  dir: 'in' | 'out';
  role: string;
  frame: ExactJson;
}

function parseEntry(entry: Entry, dialect: Dialect): NodeMessage | ClientMessage {
  const text = serializeJson(entry.frame);
  return entry.dir === 'in' ? parseNodeMessage(text, { dialect }) : parseClientMessage(text, { dialect });
}

/** The same frame again, made by the builder of its kind. */
function rebuild(frame: NodeMessage | ClientMessage, dir: 'in' | 'out'): NodeMessage | ClientMessage {
  if (dir === 'out') {
    const sent = frame as ClientMessage;
    switch (sent.action) {
      case 'update':
        return 'tag' in sent ? updateNew(sent.payload) : signReply(sent.action, sent.payload.tx);
      case 'message':
        return message(sent.payload.to, sent.payload.info);
      case 'shutdown':
        return shutdown();
      default:
        return signReply(sent.action, sent.payload.tx);
    }
  }
  const received = frame as NodeMessage;
  switch (received.action) {
    case 'info':
      return info(received.payload.event);
    case 'sign':
      return signRequest(received.tag, received.payload.tx);
    case 'on_chain_tx':
      return onChainTx(received.payload.tx);
    case 'update':
      return coSignedState(received.payload.state);
    case 'conflict':
      return conflict(received.payload.channel_id, received.payload.round);
    case 'message':
      return messageReport(received.payload.message);
    case 'error':
      return 'reason' in received.payload
        ? requestError(received.payload.reason, received.payload.request)
        : fsmError(received.payload.message);
  }
}

const BODY_OF_TAG: Record<string, string> = {
  initiator_signed: 'channel_create_tx',
  responder_signed: 'channel_create_tx',
  initiator_sign: 'channel_create_tx',
  responder_sign: 'channel_create_tx',
  update: 'channel_offchain_tx',
  update_ack: 'channel_offchain_tx',
  shutdown_sign: 'channel_close_mutual_tx',
  shutdown_sign_ack: 'channel_close_mutual_tx',
};

/** A reply to a sign request: any client frame but update/new, message and shutdown. */
function isSignReply(frame: ClientMessage): frame is SignReply {
  return frame.action !== 'message' && frame.action !== 'shutdown' && !('tag' in frame);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unsigned = (tx: string): UnsignedTx => {
  const decoded = decodeTx(tx);
  expect(decoded.type).not.toBe('signed_tx');
  return decoded as UnsignedTx;
};
const signed = (tx: string): SignedTx => decodeTx(tx, 'signed_tx');

const referenceKeys = (JSON.parse(readFileSync(`${VECTORS}reference-vectors.json`, 'utf8')) as { keys: { name: string; ak: string }[] }).keys;
const referenceKey = (name: string) => parse(referenceKeys.find((key) => key.name === name)?.ak ?? '', 'ak').bytes;

/** The key a role signs with: the body names it, or (v0.14 close, which names no party) channel A's. */
function signerKey(role: string, body: UnsignedTx, dialect: Dialect): Uint8Array | undefined {
  if ('initiator' in body && 'responder' in body) return role === 'initiator' ? body.initiator : body.responder;
  if (dialect === 'v0.14') return referenceKey(role === 'initiator' ? 'k0' : 'k1');
  // The seed's legacy close names its initiator as `from`; its responder key appears nowhere.
  return role === 'initiator' && 'from' in body ? (body.from as Uint8Array) : undefined;
}

async function verifies(signature: Uint8Array, body: UnsignedTx, key: Uint8Array): Promise<boolean> {
  const bytes = serializeTx(body);
  return key.length === 32 ? verifySignature(signature, bytes, key) : verifyLegacySignature(signature, bytes, key);
}

const FLOWS = ['open', 'update', 'update-errors', 'conflict', 'generic-messages', 'mutual-close'];
const DIALECTS: Dialect[] = ['seed', 'v0.14'];

describe('fixtures/ws', () => {
  it('holds one transcript per flow and dialect', () => {
    const transcripts = readdirSync(WS).filter((file) => /^[a-z-]+\.(seed|v0\.14)\.jsonl$/.test(file));
    expect(transcripts.sort()).toEqual(FLOWS.flatMap((flow) => DIALECTS.map((dialect) => `${flow}.${dialect}.jsonl`)).sort());
  });
});

describe.each(FLOWS.flatMap((flow) => DIALECTS.map((dialect) => [`${flow}.${dialect}`, flow, dialect] as const)))(
  'transcript %s',
  (file, flow, dialect) => {
    const entries = readLines<Entry>(`${file}.jsonl`);

    it('has {dir, role, frame} lines only', () => {
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) {
        expect(Object.keys(entry)).toEqual(['dir', 'role', 'frame']);
        expect(['in', 'out']).toContain(entry.dir);
        expect(['initiator', 'responder']).toContain(entry.role);
      }
    });

    it(`validates every frame in its direction, in the ${dialect} dialect, and rebuilds it with the builders`, () => {
      for (const entry of entries) {
        const parsed = parseEntry(entry, dialect);
        expect(parsed).toStrictEqual(entry.frame);
        const rebuilt = rebuild(parsed, entry.dir);
        expect(rebuilt).toStrictEqual(parsed);
        expect(parseJsonExact(serializeMessage(rebuilt))).toStrictEqual(entry.frame);
      }
    });

    it('carries real transactions: requests of the tagged type, replies signed by their role over the requested body', async () => {
      const requested = new Map<string, { tag: string; body: UnsignedTx }>();
      const replySignatures = new Map<string, Uint8Array[]>();
      let verified = 0;
      for (const { dir, role, frame } of entries) {
        const parsed = parseEntry({ dir, role, frame }, dialect);
        if (dir === 'in' && parsed.action === 'sign') {
          const body = unsigned(parsed.payload.tx);
          expect(body.type).toBe(BODY_OF_TAG[parsed.tag]);
          requested.set(role, { tag: parsed.tag, body });
        } else if (dir === 'out' && isSignReply(parsed as ClientMessage)) {
          const sent = parsed as SignReply;
          const request = requested.get(role);
          expect(request?.tag, `${role} answers a request`).toBe(sent.action);
          const reply = signed(sent.payload.tx);
          expect(reply.signatures).toHaveLength(1);
          expect(hex(serializeTx(reply.tx))).toBe(hex(serializeTx(request?.body as UnsignedTx)));
          const key = signerKey(role, reply.tx, dialect);
          if (key !== undefined) {
            expect(await verifies(reply.signatures[0] as Uint8Array, reply.tx, key), `${role}'s signature`).toBe(true);
            verified += 1;
          }
          const bodyHex = hex(serializeTx(reply.tx));
          replySignatures.set(bodyHex, [...(replySignatures.get(bodyHex) ?? []), reply.signatures[0] as Uint8Array]);
        } else if (dir === 'in' && (parsed.action === 'on_chain_tx' || parsed.action === 'update')) {
          const received = parsed as OnChainTx | CoSignedState;
          const coSigned = signed(received.action === 'update' ? received.payload.state : received.payload.tx);
          expect(coSigned.signatures).toHaveLength(2);
          expect(coSigned.tx.type).toBe(received.action === 'update' ? 'channel_offchain_tx' : flow === 'open' ? 'channel_create_tx' : 'channel_close_mutual_tx');
          // Assembled from this transcript's two replies: the same body, the same two signatures.
          const signatures = replySignatures.get(hex(serializeTx(coSigned.tx))) ?? [];
          expect(coSigned.signatures.map(hex).sort()).toEqual(signatures.map(hex).sort());
        }
      }
      const replies = entries.filter(({ dir, frame }) => dir === 'out' && isSignReply(frame as unknown as ClientMessage));
      expect(verified).toBe(dialect === 'seed' && flow === 'mutual-close' ? replies.length - 1 : replies.length);
    });

    it('echoes, reports and conflicts refer to what the parties sent', () => {
      const lastSent = new Map<string, ExactJson>();
      // Every echo and report the raw frames hold must be checked: none may slip past the branches below.
      const raw = (frame: ExactJson) => frame as { action: string; payload?: Record<string, unknown> };
      const echoesAndReports = entries.filter(
        ({ dir, frame }) => dir === 'in' && ((raw(frame).action === 'error' && 'reason' in (raw(frame).payload ?? {})) || raw(frame).action === 'message'),
      ).length;
      let checked = 0;
      for (const { dir, role, frame } of entries) {
        const parsed = parseEntry({ dir, role, frame }, dialect);
        if (dir === 'out') lastSent.set(role, frame);
        if (parsed.action === 'error' && 'reason' in parsed.payload) {
          // The node echoes the request it decoded (keys in Erlang's order, which toEqual ignores).
          expect(parsed.payload.request).toEqual(lastSent.get(role));
          checked++;
        }
        if (dir === 'in' && parsed.action === 'message' && 'message' in parsed.payload) {
          checked++;
          const { from, to } = parsed.payload.message;
          const other = role === 'initiator' ? 'responder' : 'initiator';
          const sentTo = entries
            .filter((entry) => entry.dir === 'out' && entry.role === other && (entry.frame as { action: string }).action === 'message')
            .map((entry) => (entry.frame as { payload: { to: string } }).payload.to);
          expect(sentTo).toContain(to);
          expect(from).not.toBe(to);
        }
      }
      expect(checked).toBe(echoesAndReports);
      if (flow === 'conflict' && dialect === 'v0.14') {
        // Both proposals are void; the round reported is the one the initiator's proposal built on.
        const proposal = entries.find((entry) => entry.dir === 'in' && entry.role === 'initiator' && (entry.frame as { action: string }).action === 'sign');
        const body = unsigned((proposal?.frame as { payload: { tx: string } }).payload.tx) as { previous_round: bigint; channel_id: Uint8Array };
        const reports = entries.filter((entry) => (entry.frame as { action: string }).action === 'conflict').map((entry) => parseEntry(entry, dialect));
        expect(reports).toHaveLength(2);
        for (const report of reports) {
          if (report.action !== 'conflict') throw new Error('not a conflict');
          expect(report.payload.round).toBe(body.previous_round);
          expect(hex(parse(report.payload.channel_id, 'ch').bytes)).toBe(hex(body.channel_id));
        }
      }
    });
  },
);

interface NegativeCase {
  dir: 'in' | 'out';
  text: string;
  code: SchemaErrorCode;
  path: string;
  dialect?: Dialect;
  why: string;
}

/**
 * Frames no v0.14 node or client sends, each with the code and path its rejection names. (A
 * shutdown's payload is not among them: BEHAVIOUR.md §2.6, v0.14 ignores whatever it holds.)
 */
describe('negative set (fixtures/ws/negative.jsonl)', () => {
  const cases = readLines<NegativeCase>('negative.jsonl');

  it.each(cases.map((entry) => [`${entry.dir} ${entry.why}`, entry] as const))('%s: rejected with its code and path', (_name, entry) => {
    const options = entry.dialect === undefined ? {} : { dialect: entry.dialect };
    let thrown: unknown;
    try {
      if (entry.dir === 'in') parseNodeMessage(entry.text, options);
      else parseClientMessage(entry.text, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SchemaError);
    expect((thrown as SchemaError).code).toBe(entry.code);
    expect((thrown as SchemaError).context.path).toBe(entry.path);
  });

  it('holds a tx$ exactly one character longer than the longest @aesc/encoding writes (the script writes the bound out)', () => {
    const overlong = cases.filter((entry) => entry.why.startsWith('tx$ longer than'));
    expect(overlong).toHaveLength(1);
    const frame = JSON.parse(overlong[0]?.text ?? '') as { payload: { tx: string } };
    expect(frame.payload.tx).toHaveLength(MAX_ENCODED_LENGTH + 1);
    expect(overlong[0]?.why).toBe(`tx$ longer than a ${MAX_VARIABLE_PAYLOAD}-byte tx encodes to (${MAX_ENCODED_LENGTH - 3} characters)`);
  });

  it('covers every message-level code and each kind of damage', () => {
    const codes = new Set(cases.map((entry) => entry.code));
    for (const code of ['INVALID_JSON', 'NOT_AN_OBJECT', 'MISSING_ACTION', 'UNKNOWN_ACTION', 'UNKNOWN_TAG', 'WRONG_DIALECT', 'SCHEMA']) {
      expect(codes).toContain(code);
    }
    const why = cases.map((entry) => entry.why).join('\n');
    for (const damage of ['not a string', 'without', 'extra', 'where a', 'later protocol']) expect(why).toContain(damage);
  });

  it('holds only text that the other direction or the other dialect does not make valid by accident', () => {
    for (const entry of cases.filter((candidate) => candidate.code === 'WRONG_DIALECT')) {
      const parse = entry.dir === 'in' ? parseNodeMessage : parseClientMessage;
      expect(() => parse(entry.text)).not.toThrow();
    }
  });
});

interface SeedFrame extends Entry {
  section: string;
  line: number;
}

describe('the seed document’s frames (fixtures/ws/seed-frames.jsonl)', () => {
  const frames = readLines<SeedFrame>('seed-frames.jsonl');

  it('are all 35, from the 23 sections of the document that show frames', () => {
    expect(frames).toHaveLength(35);
    expect(new Set(frames.map((frame) => frame.section)).size).toBe(23);
  });

  it.each(frames.map((frame) => [`line ${frame.line} ${frame.dir} ${frame.section}`, frame] as const))(
    '%s: parses in the seed dialect and round-trips through the builders',
    (_name, entry) => {
      const parsed = parseEntry(entry, 'seed');
      expect(parsed).toStrictEqual(entry.frame);
      const rebuilt = rebuild(parsed, entry.dir);
      expect(rebuilt).toStrictEqual(parsed);
      const text = serializeMessage(rebuilt);
      const again = entry.dir === 'in' ? parseNodeMessage(text, { dialect: 'seed' }) : parseClientMessage(text, { dialect: 'seed' });
      expect(again).toStrictEqual(parsed);
    },
  );

  it('carry tx$ values that decode with @aesc/tx: sign requests of the tagged type, replies wrapping the same body', () => {
    let checked = 0;
    let request: { tag: string; body: string } | undefined;
    for (const entry of frames) {
      const parsed = parseEntry(entry, 'seed');
      if (parsed.action === 'sign') {
        const body = unsigned(parsed.payload.tx);
        expect(body.type).toBe(BODY_OF_TAG[parsed.tag]);
        request = { tag: parsed.tag, body: hex(serializeTx(body)) };
        checked += 1;
      } else if (entry.dir === 'out' && isSignReply(parsed as ClientMessage)) {
        const sent = parsed as SignReply;
        const reply = signed(sent.payload.tx);
        expect(sent.action).toBe(request?.tag);
        expect(reply.signatures).toHaveLength(1);
        expect(hex(serializeTx(reply.tx))).toBe(request?.body);
        checked += 1;
      } else if (parsed.action === 'on_chain_tx') {
        const coSigned = signed(parsed.payload.tx);
        expect(coSigned.signatures).toHaveLength(2);
        expect(['channel_create_tx', 'channel_close_mutual_tx']).toContain(coSigned.tx.type);
        checked += 1;
      }
    }
    expect(checked).toBe(18);
  });

  it('carry ak$ and ch$ values with valid checksums', () => {
    const values = frames.flatMap((entry) => JSON.stringify(entry.frame, (_key, value) => (typeof value === 'bigint' ? String(value) : value)).match(/"(ak|ch)\$[^"]+"/g) ?? []);
    expect(values.length).toBeGreaterThanOrEqual(9);
    for (const quoted of values) expect(() => parse(JSON.parse(quoted) as string)).not.toThrow();
  });
});

/**
 * The WebSocket transcripts of fixtures/ws (the seed's flows and their v0.14 counterparts)
 * replayed against devnode with two raw sockets: every frame a client sends in the transcript
 * is sent (sign replies sign the request devnode actually made; keys map to ours by role), and
 * every frame the transcript shows a client receiving must arrive, in the same order for that
 * client, with the same action, tag, event, error reason and message text. Tx bytes and keys
 * differ by construction; everything else must match.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseJsonExact } from '@aesc/schema';
import type { Signer } from '@aesc/signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnode, startDevnode } from '../src/index.js';
import { channelQuery, type Frame, isInfo, isState, party, RawParty } from './support/raw-client.js';

type Role = 'initiator' | 'responder';
interface Row {
  dir: 'in' | 'out';
  role: Role;
  frame: Frame;
}

const WS_FIXTURES = fileURLToPath(new URL('../../../fixtures/ws/', import.meta.url));

function transcript(name: string): Row[] {
  return readFileSync(`${WS_FIXTURES}${name}.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parseJsonExact(line) as unknown as Row);
}

/**
 * The parties' keys in the transcripts (fixtures/README.md): the seed's example keys (its
 * parameter table, its error example, its channel-id example), and keys
 * k0/k1 of the reference vectors for v0.14. Any other key (a stranger, a corrupted one) is
 * replayed as it is.
 */
const TRANSCRIPT_KEYS: Record<Role, string[]> = {
  initiator: [
    'ak$3YGRJv1QMgNbeDzvqX7qJrZWJDaHGmrHYHifxSbhSEgn6anuNYCNPrzsB911xTbZ35bvJYWLyYjrQaQKfvja9gkpvYMfEZ',
    'ak$2KTP6oDmZcPKRoE8DZxHFQA7GCyYoc8TTRek5uCEwXDFovkFqz',
    'ak$2W2vDXjrDWCtVcJ3aKNHHr8BxJ37xaNg6o88AfxosTTyejiEM',
    'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV',
  ],
  responder: [
    'ak$3gVuduh7vR9G7Hq3TpFaA7q9oQkMZZF2VsUxDYZabNeKC1uaqtjpKSth7wPn9dxnUzsHoT2fa6GPUzepbDXMHyC2F3HupT',
    'ak$2KmumVDr1KQwhzPbbC14t3at6wHD1i6TFAS3PoquPRnEGaiiWs',
    'ak$R2jDydYPpjsWckNte6bUFg6pJiyKRaYaLRBKnQFwZAuEiDxrb',
    'ak$2CrzUGrQvLx4EaG5VnygKbb92Xpz88t5XepeQbRfutHqGWraSH',
  ],
};

const FLOWS = ['update', 'update-errors', 'conflict', 'generic-messages', 'mutual-close'] as const;

/**
 * The v0.14 update-errors transcript ends with the responder's state machine aborting on an
 * impossible update from a misbehaving peer node (`error {message}`, `died`): two honest
 * devnode parties never send one, so those two frames are left out of the replay.
 */
function reproducible(rows: Row[]): Row[] {
  return rows.filter((row) => !(row.dir === 'in' && row.frame.action === 'error' && 'message' in (row.frame.payload ?? {})) && !(row.dir === 'in' && row.frame.action === 'info' && row.frame.payload?.event === 'died' && rows.some((other) => other.frame.action === 'error' && 'message' in (other.frame.payload ?? {}))));
}

describe.each(['seed', 'v0.14'] as const)('transcripts replayed on devnode, %s dialect', (dialect) => {
  let node: Devnode;
  let alice: Signer;
  let bob: Signer;
  let port = 40_000;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([party(dialect === 'seed' ? 81 : 91), party(dialect === 'seed' ? 82 : 92)]);
    node = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      dialect,
      genesis: [
        { pubkey: alice.publicKey, balance: 10n ** 12n },
        { pubkey: bob.publicKey, balance: 10n ** 12n },
      ],
    });
  });

  afterAll(() => node.close());

  /**
   * The terms each dialect's transcripts were made with: the reference suite's fixture for the
   * seed's flows, channel A of the reference vectors for the v0.14 ones (their amounts).
   */
  const amounts =
    dialect === 'seed'
      ? { initiator_amount: 7n, responder_amount: 4n, channel_reserve: 2n }
      : { initiator_amount: 839_702_399n, responder_amount: 10_271_379n, channel_reserve: 5_935n };

  const mapKey = (key: unknown) => {
    if (TRANSCRIPT_KEYS.initiator.includes(key as string)) return alice.address;
    if (TRANSCRIPT_KEYS.responder.includes(key as string)) return bob.address;
    return key;
  };

  async function replay(rows: Row[], parties: Record<Role, RawParty>): Promise<void> {
    const seen: Record<Role, number> = { initiator: parties.initiator.frames.length, responder: parties.responder.frames.length };
    for (const [index, row] of rows.entries()) {
      const side = parties[row.role];
      if (row.dir === 'out') {
        const { frame } = row;
        if (frame.action === 'update' && frame.tag === 'new') {
          side.send({ ...frame, payload: { ...frame.payload, from: mapKey(frame.payload?.from), to: mapKey(frame.payload?.to) } });
        } else if (frame.action === 'message') {
          side.send({ ...frame, payload: { ...frame.payload, to: mapKey(frame.payload?.to) } });
        } else if (frame.action === 'shutdown') {
          side.send(frame);
        } else {
          // A sign reply: sign the request devnode made (the transcript's tx is another channel's).
          const request = [...side.frames].reverse().find((candidate) => candidate.action === 'sign' && candidate.tag === frame.action);
          expect(request, `row ${index}: no ${frame.action} request to answer`).toBeDefined();
          await side.signAndReply(request as Frame);
        }
        continue;
      }
      const received = await side.next(() => true, seen[row.role]);
      seen[row.role] = side.frames.indexOf(received, seen[row.role]) + 1;
      expect(shape(received), `row ${index} (${row.role})`).toEqual(shape(row.frame));
    }
  }

  async function open(): Promise<Record<Role, RawParty>> {
    const terms = { initiator: alice, responder: bob, port: port++, ...amounts };
    const responder = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', terms)}`, bob);
    const initiator = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', terms)}`, alice);
    return { initiator, responder };
  }

  it('open', async () => {
    const parties = await open();
    for (const side of Object.values(parties)) side.autoSign = false;
    const rows = transcript(`open.${dialect}`);
    // Blocks come when the create tx is in the mempool: mine them as the flow waits for depth.
    const mining = (async () => {
      await parties.initiator.next((frame) => frame.action === 'on_chain_tx');
      while (node.chain.mempool.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await node.mine(5);
    })();
    await replay(rows, parties);
    await mining;
    for (const side of Object.values(parties)) side.close();
  });

  it.each(FLOWS)('%s', async (flow) => {
    const parties = await open();
    await parties.initiator.next((frame) => frame.action === 'on_chain_tx');
    while (node.chain.mempool.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await node.mine(5);
    await parties.initiator.next(isState(1n));
    await parties.responder.next(isState(1n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const side of Object.values(parties)) side.autoSign = false;
    const start = { initiator: parties.initiator.frames.length, responder: parties.responder.frames.length };
    const rows = reproducible(transcript(`${flow}.${dialect}`));
    await replay(rows, parties);
    // Nothing more than the transcript shows arrives afterwards.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const role of ['initiator', 'responder'] as const) {
      const expected = rows.filter((row) => row.dir === 'in' && row.role === role).length;
      expect(parties[role].frames.length - start[role], `${role} frames`).toBe(expected);
    }
    for (const side of Object.values(parties)) side.close();
  });

  it('every funding round needs its blocks: nothing opens without them', async () => {
    const parties = await open();
    await parties.responder.next((frame) => frame.action === 'on_chain_tx');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(parties.initiator.frames.some(isInfo('own_funding_locked'))).toBe(false);
    await node.mine(5);
    await parties.initiator.next(isState(1n));
    for (const side of Object.values(parties)) side.close();
  });
});

/** What must match between a transcript frame and a devnode frame. */
function shape(frame: Frame): Record<string, unknown> {
  const payload = frame.payload ?? {};
  return {
    action: frame.action,
    ...(frame.tag === undefined ? {} : { tag: frame.tag }),
    ...(payload.event === undefined ? {} : { event: payload.event }),
    ...(payload.reason === undefined ? {} : { reason: payload.reason }),
    ...(typeof payload.message === 'object' && payload.message !== null ? { info: (payload.message as { info?: unknown }).info } : {}),
    ...(frame.action === 'conflict' ? { conflict: true } : {}),
  };
}

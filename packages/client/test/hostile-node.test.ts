/**
 * A hostile node: a small WebSocket server that plays the node's side of the protocol honestly
 * up to a point, then sends a tampered sign request. For each tampering the client must sign
 * nothing, emit `signRefused` naming the reason, and reject the pending call.
 */
import type { AddressInfo } from 'node:net';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import {
  type ChannelCloseMutualTx,
  type ChannelCreateTx,
  type ChannelOffchainTx,
  channelId,
  compareBytes,
  decodeTx,
  encodeTx,
  type SignedTx,
  serializeTx,
  serializeUnsigned,
  type UnsignedTx,
} from '@aesc/tx';
import { decode, encode } from '@aesc/encoding';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ChannelClient,
  checkSignRequest,
  type ClientError,
  MAX_FRAME_BYTES,
  MAX_PENDING_FRAME_TEXT,
  MAX_PENDING_FRAMES,
  MAX_REQUEST_TIMEOUT_MS,
  MemoryStore,
  type SignContext,
  type SignPolicy,
  type WebSocketConstructor,
} from '../src/index.js';
import { PlatformWebSocket } from './support/platform-websocket.js';

type Frame = { action: string; tag?: string; payload?: Record<string, unknown> };

let alice: Signer;
let bob: Signer;
let mallory: Signer;
let server: WebSocketServer | undefined;

beforeAll(async () => {
  [alice, bob, mallory] = (await Promise.all([61, 62, 63].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
});

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/**
 * A MemoryStore whose saves a test holds back (`hold`, until it resolves) or fails (`fail`, for
 * every save or for the snapshots it picks), rejecting with `failure`: a disk that is slow,
 * full, or an app's own store that rejects with anything.
 */
class GatedStore extends MemoryStore {
  hold: Promise<void> | undefined;
  fail: boolean | ((snapshot: Parameters<MemoryStore['save']>[0]) => boolean) = false;
  failure: unknown = new Error('disk full');
  override async save(snapshot: Parameters<MemoryStore['save']>[0]): Promise<void> {
    await this.hold;
    if (typeof this.fail === 'function' ? this.fail(snapshot) : this.fail) throw this.failure;
    return super.save(snapshot);
  }
}

/** The node's side for one client (alice, the initiator); bob's signatures are the node's to make. */
class ScriptedNode {
  readonly received: Frame[] = [];
  #waiters: { test: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return; // a platform WebSocket's keep-alive, which the node ignores (BEHAVIOUR.md §1.1)
      const frame = JSON.parse(data.toString()) as Frame;
      this.received.push(frame);
      for (const waiter of [...this.#waiters]) {
        if (waiter.test(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)));
  }

  next(test: (frame: Frame) => boolean): Promise<Frame> {
    const seen = this.received.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  /** Asks the client to sign `tx` and, when it does, returns the co-signed tx (bob signs too). */
  async sign(tag: string, tx: UnsignedTx): Promise<SignedTx> {
    const count = this.received.length;
    this.send({ action: 'sign', tag, payload: { tx: encodeTx(tx) } });
    const reply = await this.next((frame) => frame.action === tag && this.received.indexOf(frame) >= count);
    return signTx(decodeTx(reply.payload?.tx as string, 'signed_tx'), bob);
  }
}

const terms = () => ({
  initiator: alice.address,
  responder: bob.address,
  lock_period: 10n,
  push_amount: 0n,
  initiator_amount: 100n,
  responder_amount: 50n,
  channel_reserve: 5n,
  ttl: 1000n,
  port: 1234,
  host: 'localhost',
});

const honestCreate = (): ChannelCreateTx => ({
  type: 'channel_create_tx',
  initiator: alice.publicKey,
  initiator_amount: 100n,
  responder: bob.publicKey,
  responder_amount: 50n,
  channel_reserve: 5n,
  lock_period: 10n,
  ttl: 1000n,
  fee: 1n,
  nonce: 1n,
});

/** The initial state (round 1) of the honest create's channel. */
const honestInitial = (): ChannelOffchainTx => ({
  type: 'channel_offchain_tx',
  channel_id: decode(channelId(honestCreate()), 'ch'),
  previous_round: 0n,
  round: 1n,
  initiator: alice.publicKey,
  responder: bob.publicKey,
  initiator_amount: 100n,
  responder_amount: 50n,
  updates: [],
  state: new Uint8Array(),
});

async function start(
  options: {
    store?: MemoryStore;
    callTimeoutMs?: number;
    policy?: SignPolicy;
    signer?: Signer;
    params?: ReturnType<typeof terms>;
    signal?: AbortSignal;
    WebSocket?: WebSocketConstructor;
    pingIntervalMs?: number;
  } = {},
): Promise<{ client: ChannelClient; node: Promise<ScriptedNode> }> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/channel' });
  const node = new Promise<ScriptedNode>((resolve) => server?.once('connection', (socket) => resolve(new ScriptedNode(socket))));
  await new Promise((resolve) => server?.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const client = await ChannelClient.connect({ url: `ws://127.0.0.1:${port}/channel`, role: 'initiator', params: terms(), signer: alice, ...options });
  return { client, node };
}

/** Plays an honest opening up to the co-signed round 1. */
async function openHonestly(node: ScriptedNode): Promise<{ id: Uint8Array; initial: ChannelOffchainTx }> {
  node.send({ action: 'info', payload: { event: 'channel_accept' } });
  const create = await node.sign('initiator_sign', honestCreate());
  node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
  const id = decode(channelId(honestCreate()), 'ch');
  const initial = honestInitial();
  const state = await node.sign('update', initial);
  node.send({ action: 'info', payload: { event: 'open' } });
  node.send({ action: 'update', payload: { state: encodeTx(state) } });
  return { id, initial };
}

/** A client opened honestly to the co-signed round 1 against the scripted node. */
async function startOpen(options: Parameters<typeof start>[0] = {}) {
  const { client, node: nodePromise } = await start(options);
  const node = await nodePromise;
  const { id, initial } = await openHonestly(node);
  const opened = await client.opened;
  return { client, node, id, initial, opened };
}

/** Sends a sign request and checks that the client refuses it: nothing signed, signRefused, a reason. */
async function expectRefusal(client: ChannelClient, node: ScriptedNode, tag: string, tx: UnsignedTx, reason: RegExp): Promise<void> {
  const refused = new Promise<{ reason: string; tag: string }>((resolve) => client.on('signRefused', resolve));
  const count = node.received.length;
  node.send({ action: 'sign', tag, payload: { tx: encodeTx(tx) } });
  // A client that signs fails here at once rather than by the test's timeout.
  const signed = node.next((frame) => frame.action === tag && node.received.indexOf(frame) >= count).then(() => undefined);
  const refusal = await Promise.race([refused, signed]);
  expect(refusal, `the client signed the ${tag} request`).toBeDefined();
  if (refusal === undefined) return;
  expect(refusal.tag).toBe(tag);
  expect(refusal.reason).toMatch(reason);
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(node.received.slice(count).filter((frame) => frame.action === tag)).toEqual([]);
}

describe('a hostile node', () => {
  it.each([
    ['other parties', (tx: ChannelCreateTx) => ({ ...tx, responder: mallory.publicKey }), /responder is not the negotiated one/],
    ['a huge fee', (tx: ChannelCreateTx) => ({ ...tx, fee: 1_000_000n }), /fee 1000000 above the limit/],
    ['other amounts', (tx: ChannelCreateTx) => ({ ...tx, initiator_amount: 99n }), /initiator_amount 99, negotiated 100/],
    ['another lock period', (tx: ChannelCreateTx) => ({ ...tx, lock_period: 1n }), /lock_period 1, negotiated 10/],
    ['another initiator', (tx: ChannelCreateTx) => ({ ...tx, initiator: mallory.publicKey }), /initiator is not the negotiated one/],
    ['another responder amount', (tx: ChannelCreateTx) => ({ ...tx, responder_amount: 49n }), /responder_amount 49, negotiated 50/],
    ['another reserve', (tx: ChannelCreateTx) => ({ ...tx, channel_reserve: 4n }), /channel_reserve 4, negotiated 5/],
    ['another ttl', (tx: ChannelCreateTx) => ({ ...tx, ttl: 999n }), /ttl 999, negotiated 1000/],
    ['a fee of 0', (tx: ChannelCreateTx) => ({ ...tx, fee: 0n }), /fee below the minimum of 1/],
    ['a fee one above the limit', (tx: ChannelCreateTx) => ({ ...tx, fee: 101n }), /fee 101 above the limit 100/],
    ['nonce 0', (tx: ChannelCreateTx) => ({ ...tx, nonce: 0n }), /nonce 0/],
    ['initiator and responder swapped', (tx: ChannelCreateTx) => ({ ...tx, initiator: bob.publicKey, initiator_amount: 50n, responder: alice.publicKey, responder_amount: 100n }), /initiator is not the negotiated one/],
    // Each term compared both ways: a greater value is no closer to the negotiated one than a smaller.
    ['a larger initiator amount (more of our tokens locked)', (tx: ChannelCreateTx) => ({ ...tx, initiator_amount: 101n }), /initiator_amount 101, negotiated 100/],
    ['a larger responder amount', (tx: ChannelCreateTx) => ({ ...tx, responder_amount: 51n }), /responder_amount 51, negotiated 50/],
    ['a larger reserve', (tx: ChannelCreateTx) => ({ ...tx, channel_reserve: 6n }), /channel_reserve 6, negotiated 5/],
    ['a longer lock period', (tx: ChannelCreateTx) => ({ ...tx, lock_period: 11n }), /lock_period 11, negotiated 10/],
    ['a ttl beyond the negotiated one (the peer could post it much later)', (tx: ChannelCreateTx) => ({ ...tx, ttl: 1_000_000n }), /ttl 1000000, negotiated 1000/],
  ] as const)('create with %s: refused, opened rejects', async (_case, tamper, reason) => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, 'initiator_sign', tamper(honestCreate()), reason);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  // Terms the app negotiated that would leave it unprotected: refused though the create matches them.
  it.each([
    ['lock period 0', () => ({ lock_period: 0n }), /lock_period 0 leaves no time to dispute a solo close/],
    ['a reserve above an amount', () => ({ channel_reserve: 60n }), /channel_reserve above an amount/],
    ['a reserve above the initiator’s amount only', () => ({ initiator_amount: 40n, channel_reserve: 45n }), /channel_reserve above an amount/],
    ['the same key on both sides', () => ({ responder: alice.address }), /initiator and responder are the same key/],
  ] as const)('a create with %s: refused even when negotiated', async (_case, change, reason) => {
    const params = { ...terms(), ...change() };
    const { client, node: nodePromise } = await start({ params });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const create: ChannelCreateTx = {
      ...honestCreate(),
      initiator_amount: params.initiator_amount,
      responder_amount: params.responder_amount,
      lock_period: params.lock_period,
      channel_reserve: params.channel_reserve,
      responder: decode(params.responder, 'ak'),
    };
    await expectRefusal(client, node, 'initiator_sign', create, reason);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  const updateCases: [string, (proposal: ChannelOffchainTx, id: Uint8Array) => UnsignedTx, RegExp][] = [
    ['wrong amounts', (proposal) => ({ ...proposal, initiator_amount: proposal.initiator_amount - 1n }), /the updates give/],
    ['a wrong recipient', (proposal) => ({ ...proposal, updates: [{ from: alice.publicKey, to: mallory.publicKey, amount: 10n }] }), /not between the parties we asked for/],
    ['a round that is not +1', (proposal) => ({ ...proposal, round: proposal.round + 1n }), /is not previous_round \+ 1/],
    ['another channel id', (proposal) => ({ ...proposal, channel_id: new Uint8Array(32).fill(9) }), /not our channel/],
    ['an extra update', (proposal) => ({ ...proposal, updates: [...proposal.updates, { from: bob.publicKey, to: alice.publicKey, amount: 1n }] }), /2 updates, we asked for one transfer/],
    ['another amount', (proposal) => ({ ...proposal, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 11n }], initiator_amount: 89n, responder_amount: 61n }), /amount 11, we asked for 10/],
    ['other parties', (proposal) => ({ ...proposal, responder: mallory.publicKey }), /the parties changed/],
    ['a non-empty state', (proposal) => ({ ...proposal, state: new Uint8Array([1]) }), /state is not empty/],
    ['a replay of round 1', (proposal) => ({ ...proposal, previous_round: 0n, round: 1n }), /previous_round 0, last co-signed round 1/],
    ['a different tx type than the tag', (_proposal, id) => ({ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n }), /a channel_close_mutual_tx under the update tag/],
    ['the transfer in the opposite direction', (proposal) => ({ ...proposal, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 10n }], initiator_amount: 110n, responder_amount: 40n }), /not between the parties we asked for/],
    ['initiator and responder swapped', (proposal) => ({ ...proposal, initiator: bob.publicKey, responder: alice.publicKey, initiator_amount: 60n, responder_amount: 90n }), /the parties changed/],
    ['a round ahead of the last co-signed one', (proposal) => ({ ...proposal, previous_round: 2n, round: 3n }), /previous_round 2, last co-signed round 1/],
    ['our transfer on top of a state we never co-signed', (proposal) => ({ ...proposal, initiator_amount: 40n, responder_amount: 110n }), /amounts 40\/110, the updates give 90\/60/],
    ['another initiator', (proposal) => ({ ...proposal, initiator: mallory.publicKey }), /the parties changed/],
    ['a smaller amount than asked', (proposal) => ({ ...proposal, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 9n }], initiator_amount: 91n, responder_amount: 59n }), /amount 9, we asked for 10/],
  ];

  it.each(updateCases)('update with %s: refused, update() rejects', async (_case, tamper, reason) => {
    const { client, node, initial } = await startOpen();
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const honest: ChannelOffchainTx = {
      ...initial,
      previous_round: 1n,
      round: 2n,
      initiator_amount: 90n,
      responder_amount: 60n,
      updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }],
    };
    await expectRefusal(client, node, 'update', tamper(honest, initial.channel_id), reason);
    expect(await pending).toMatchObject({ name: 'ClientError', code: 'SIGN_REFUSED' });
    // The channel cannot go on (the node waits for a signature), and says so.
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    expect(client.round).toBe(1n);
    client.close();
  });

  it('an acknowledgement that drains us below the reserve: refused', async () => {
    const { client, node, initial } = await startOpen();
    node.send({ action: 'info', payload: { event: 'update' } });
    const greedy = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 1n, responder_amount: 149n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 99n }] };
    await expectRefusal(client, node, 'update_ack', greedy, /insufficient_balance/);
    client.close();
  });

  it('the app’s approve hook refuses a request for tokens it does not like', async () => {
    const { client, node: nodePromise } = await start({
      policy: { approve: (tx, { purpose }) => (purpose === 'update_ack' && tx.type === 'channel_offchain_tx' && tx.updates.some((update) => update.amount > 5n) ? 'more than 5 per request' : true) },
    });
    const node = await nodePromise;
    const { initial } = await openHonestly(node);
    await client.opened;
    node.send({ action: 'info', payload: { event: 'update' } });
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 94n, responder_amount: 56n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 6n }] };
    await expectRefusal(client, node, 'update_ack', request, /approve hook: more than 5 per request/);
    client.close();
  });

  // Only `true` approves; an app's hook that answers anything else, or fails in any way (a
  // rejection with no Error at all included), refuses: nothing is signed, nothing hangs.
  it.each([
    ['returns undefined (forgot to return)', () => undefined, /^approve hook refused$/],
    ['returns 1', () => 1, /^approve hook refused$/],
    ['returns "yes" (a string is a reason to refuse)', () => 'yes', /^approve hook: yes$/],
    ['resolves to false', async () => false, /^approve hook refused$/],
    ['throws an Error', () => { throw new Error('prompt crashed'); }, /^approve hook threw: prompt crashed$/],
    ['rejects with nothing (Promise.reject())', () => Promise.reject(), /^approve hook threw: undefined$/],
    ['throws null', () => { throw null; }, /^approve hook threw: null$/],
    ['throws an object without a message', () => { throw Object.create(null); }, /^approve hook threw: \[object Object\]$/],
  ] as [string, () => unknown, RegExp][])('an approve hook that %s: refused, the pending call rejects at once', async (_case, verdict, reason) => {
    const { client, node: nodePromise } = await start({ policy: { approve: (tx) => (tx.type === 'channel_offchain_tx' && tx.round === 2n ? (verdict() as boolean) : true) } });
    const node = await nodePromise;
    const { initial } = await openHonestly(node);
    await client.opened;
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const pending = client.update({ from: alice.address, to: bob.address, amount: 2n }).then(
      () => 'resolved',
      (error: { code: string }) => error.code,
    );
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 98n, responder_amount: 52n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 2n }] };
    await expectRefusal(client, node, 'update', request, reason);
    expect(await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('update() still pending'), 300))])).toBe('SIGN_REFUSED');
    expect(errors).toEqual([]);
    client.close();
  });

  it('a nextNonce that rejects with nothing: the create is refused, opened rejects at once', async () => {
    const { client, node: nodePromise } = await start({ policy: { nextNonce: () => Promise.reject() } });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, 'initiator_sign', honestCreate(), /^cannot check the nonce: nextNonce failed: undefined$/);
    expect(await Promise.race([client.opened.then(() => 'opened', (error: { code: string }) => error.code), new Promise((resolve) => setTimeout(() => resolve('opened still pending'), 300))])).toBe('SIGN_REFUSED');
    client.close();
  });

  it('an approve hook that changes the tx it is shown gets nothing signed: only the request the checks passed is', async () => {
    const { client, node: nodePromise } = await start({
      policy: {
        approve: (tx, { purpose }) => {
          // after the built-in checks passed: give ourselves the whole channel
          if (purpose === 'update_ack' && tx.type === 'channel_offchain_tx') Object.assign(tx, { initiator_amount: 150n, responder_amount: 0n });
          return true;
        },
      },
    });
    const node = await nodePromise;
    const { initial } = await openHonestly(node);
    await client.opened;
    node.send({ action: 'info', payload: { event: 'update' } });
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 98n, responder_amount: 52n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 2n }] };
    await expectRefusal(client, node, 'update_ack', request, /the tx was changed while it was being checked/);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a signRequest listener that changes the tx it is shown, with no approve hook, gets nothing signed: only the request asked for is', async () => {
    const { client, node, initial } = await startOpen();
    client.on('signRequest', ({ tx }) => {
      // before the checks, and consistent enough to pass them: a transfer of 3 in place of 2
      if (tx?.type === 'channel_offchain_tx' && tx.round === 2n) Object.assign(tx, { initiator_amount: 97n, responder_amount: 53n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 3n }] });
    });
    node.send({ action: 'info', payload: { event: 'update' } });
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 98n, responder_amount: 52n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 2n }] };
    await expectRefusal(client, node, 'update_ack', request, /the tx was changed while it was being checked/);
    expect(client.round).toBe(1n);
    client.close();
  });

  // Only `true` signs: a hook that forgot to return (an async one resolves undefined), said no, or failed.
  const verdicts: [string, () => boolean | Promise<boolean>, RegExp][] = [
    ['returns nothing', () => undefined as unknown as boolean, /^approve hook refused$/],
    ['resolves nothing', async () => undefined as unknown as boolean, /^approve hook refused$/],
    ['returns false', () => false, /^approve hook refused$/],
    ['throws', () => { throw new Error('no rule for this'); }, /^approve hook threw: no rule for this$/],
    ['rejects', () => Promise.reject(new Error('rules unreachable')), /^approve hook threw: rules unreachable$/],
  ];
  it.each(verdicts)('an approve hook that %s: the request for tokens is refused', async (_case, verdict, reason) => {
    const { client, node: nodePromise } = await start({ policy: { approve: (_tx, { purpose }) => (purpose === 'update_ack' ? verdict() : true) } });
    const node = await nodePromise;
    const { initial } = await openHonestly(node);
    await client.opened;
    node.send({ action: 'info', payload: { event: 'update' } });
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 99n, responder_amount: 51n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 1n }] };
    await expectRefusal(client, node, 'update_ack', request, reason);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a close whose amounts do not match the last co-signed state: refused, shutdown() rejects', async () => {
    const { client, node, id } = await startOpen();
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    const close: ChannelCloseMutualTx = { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 90n, responder_amount: 59n, ttl: 1000n, fee: 1n, nonce: 2n };
    await expectRefusal(client, node, 'shutdown_sign', close, /amounts 90\/59, the last co-signed state less the fee gives 99\/50/);
    expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('a close nobody asked for, and a co-signed state the client did not sign, are not taken', async () => {
    const { client, node, initial, id } = await startOpen();
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    // A "co-signed" state the client never signed: both signatures made by the node… one of them forged with mallory's key.
    const forged = await signTx(await signTx({ ...initial, previous_round: 1n, round: 2n, initiator_amount: 0n, responder_amount: 150n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 100n }] }, bob), mallory);
    node.send({ action: 'update', payload: { state: encodeTx(forged) } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.round).toBe(1n);
    expect(errors).toContain('UNEXPECTED_TX');
    await expectRefusal(client, node, 'shutdown_sign', { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n }, /a close we did not ask for/);
    client.close();
  });
});

describe('a hostile node: requests nobody made, closes that do not fit, states not co-signed', () => {
  const id = () => decode(channelId(honestCreate()), 'ch');
  const initialState = honestInitial;
  const next2 = (): ChannelOffchainTx => ({ ...initialState(), previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] });

  it.each([
    ['an off-chain state before the create is co-signed', false, () => initialState(), /an off-chain state before the channel is funded/],
    ['an initial state of rounds 0 → 2', true, () => ({ ...initialState(), round: 2n }), /initial state with rounds 0 → 2, expected 0 → 1/],
    ['an initial state with updates', true, () => ({ ...initialState(), updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 0n }] }), /updates in the initial state/],
    ['an initial state of rounds 5 → 1', true, () => ({ ...initialState(), previous_round: 5n }), /initial state with rounds 5 → 1, expected 0 → 1/],
    // One amount off: the other still matches the create.
    ['an initial state short of our amount', true, () => ({ ...initialState(), initiator_amount: 90n }), /initial amounts are not the create amounts/],
    ['an initial state with the responder’s amount raised', true, () => ({ ...initialState(), responder_amount: 60n }), /initial amounts are not the create amounts/],
  ] as const)('opening with %s: refused, opened rejects', async (_case, createFirst, state, reason) => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    if (createFirst) node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(await node.sign('initiator_sign', honestCreate())) } });
    await expectRefusal(client, node, 'update', state(), reason);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it.each([
    ['an update we did not ask for', 'update', () => next2(), /an update we did not ask for/],
    ['an update_ack that changes nothing', 'update_ack', () => ({ ...next2(), initiator_amount: 100n, responder_amount: 50n, updates: [] }), /an update that changes nothing/],
    ['a second create once the channel exists', 'initiator_sign', () => ({ ...honestCreate(), nonce: 2n }), /a second create for a channel that exists/],
  ] as const)('%s: refused', async (_case, tag, tx, reason) => {
    const { client, node } = await startOpen();
    if (tag === 'update_ack') node.send({ action: 'info', payload: { event: 'update' } });
    await expectRefusal(client, node, tag, tx(), reason);
    expect(client.round).toBe(1n);
    client.close();
  });

  const closeCases: [string, (close: ChannelCloseMutualTx) => UnsignedTx, RegExp][] = [
    ['the legacy layout with from', (close) => ({ ...close, from: alice.publicKey }) as UnsignedTx, /the legacy 7-field close_mutual/],
    ['another channel id', (close) => ({ ...close, channel_id: new Uint8Array(32).fill(9) }), /channel_id is not our channel/],
    ['a fee of 0', (close) => ({ ...close, fee: 0n, initiator_amount: 100n, responder_amount: 50n }), /fee below the minimum of 1/],
    ['a fee above what the channel holds', (close) => ({ ...close, fee: 151n, initiator_amount: 0n, responder_amount: 0n }), /the fee is above what the channel holds/],
    ['another ttl', (close) => ({ ...close, ttl: 999n }), /ttl 999, negotiated 1000/],
    ['a ttl far beyond the negotiated one', (close) => ({ ...close, ttl: 1_000_000n }), /ttl 1000000, negotiated 1000/],
    ['nonce 0', (close) => ({ ...close, nonce: 0n }), /nonce 0/],
    ['the split swapped', (close) => ({ ...close, initiator_amount: 50n, responder_amount: 99n }), /amounts 50\/99, the last co-signed state less the fee gives 99\/50/],
    // One amount off: the other still matches the split (the chain would refuse it, shutdown() would resolve with a close that never lands).
    ['the initiator’s amount short', (close) => ({ ...close, initiator_amount: 89n }), /amounts 89\/50, the last co-signed state less the fee gives 99\/50/],
    ['the responder’s amount short', (close) => ({ ...close, responder_amount: 40n }), /amounts 99\/40, the last co-signed state less the fee gives 99\/50/],
  ];

  it.each(closeCases)('a close with %s: refused, shutdown() rejects', async (_case, tamper, reason) => {
    const { client, node } = await startOpen({ policy: { maxFee: 1000n } });
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    const close: ChannelCloseMutualTx = { type: 'channel_close_mutual_tx', channel_id: id(), initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n };
    await expectRefusal(client, node, 'shutdown_sign', tamper(close), reason);
    expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it.each([
    ['mallory’s signature in place of bob’s', (signed: SignedTx) => signTx(signed, mallory)],
    // sorted last, after bob's: a third signature the chain would count as left over
    ['a third signature', async (signed: SignedTx) => ({ ...(await signTx(signed, bob)), signatures: [...(await signTx(signed, bob)).signatures, new Uint8Array(64).fill(0xff)] })],
    // two signatures, one verifying with bob's key, but not ours: only the peer's key vouches for it
    ['bob’s signature twice in place of ours', async (signed: SignedTx) => {
      const peers = (await signTx({ ...signed, signatures: [] }, bob)).signatures[0] as Uint8Array;
      return { ...signed, signatures: [peers, peers] };
    }],
    // ours and bob's, each valid, and ours a second time: three signatures, not two
    ['ours twice and bob’s', async (signed: SignedTx) => ({ ...signed, signatures: [...(await signTx(signed, bob)).signatures, signed.signatures[0] as Uint8Array].sort(compareBytes) })],
  ] as const)('a state we signed, sent back with %s: not taken, update() does not resolve with it', async (_case, coSign) => {
    const store = new MemoryStore();
    const { client, node, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 300 });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const count = node.received.length;
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(next2()) } });
    const reply = await node.next((frame) => frame.action === 'update' && node.received.indexOf(frame) >= count);
    const ours = decodeTx(reply.payload?.tx as string, 'signed_tx');
    expect(ours.signatures).toHaveLength(1);
    node.send({ action: 'update', payload: { state: encodeTx(await coSign(ours)) } });
    expect(await pending).toMatchObject({ code: 'TIMEOUT' });
    expect(errors).toContain('NOT_CO_SIGNED');
    expect(client.round).toBe(1n);
    expect((await store.load(channel))?.round).toBe(1n);
    client.close();
  });

  it('a state whose tx only ends with the body we signed (as its state field), under our and bob’s signatures of that body: not ours', async () => {
    const store = new MemoryStore();
    const { client, node, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 300 });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const count = node.received.length;
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(next2()) } });
    const reply = await node.next((frame) => frame.action === 'update' && node.received.indexOf(frame) >= count);
    const ours = decodeTx(reply.payload?.tx as string, 'signed_tx');
    // Both signatures verify over the body; the tx they are attached to is another one, whose
    // serialization merely ends with that body: only the whole inner tx may be compared.
    const { signatures } = await signTx(ours, bob);
    const longer: ChannelOffchainTx = { ...(ours.tx as ChannelOffchainTx), initiator_amount: 0n, responder_amount: 150n, state: serializeUnsigned(ours.tx) };
    node.send({ action: 'update', payload: { state: encodeTx({ type: 'signed_tx', signatures, tx: longer }) } });
    expect(await pending).toMatchObject({ code: 'TIMEOUT' });
    expect(errors).toContain('UNEXPECTED_TX');
    expect(client.round).toBe(1n);
    expect((await store.load(channel))?.round).toBe(1n);
    client.close();
  });

  it('a co-signed state sent twice is reported once', async () => {
    const { client, node } = await startOpen();
    const [first] = node.received.filter((frame) => frame.action === 'update' && frame.tag === undefined);
    const changes: bigint[] = [];
    const errors: string[] = [];
    client.on('stateChanged', ({ round }) => changes.push(round));
    client.on('error', (error) => errors.push(error.code));
    const round1 = await signTx(decodeTx(first?.payload?.tx as string, 'signed_tx'), bob);
    node.send({ action: 'update', payload: { state: encodeTx(round1) } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a call made while our signature of the peer’s close waits for its outcome is not sent (the node would deadlock)', async () => {
    const { client, node } = await startOpen();
    const close: ChannelCloseMutualTx = { type: 'channel_close_mutual_tx', channel_id: id(), initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n };
    const closed = await node.sign('shutdown_sign_ack', close);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } });
    node.send({ action: 'info', payload: { event: 'died' } }); // as the node does after a close (BEHAVIOUR.md §3)
    expect(await pending).toMatchObject({ code: 'CHANNEL_CLOSED' });
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
    client.close();
  });

  it('a close reported on chain that we did not sign: not taken, the channel is not closed, the store holds no close', async () => {
    const store = new MemoryStore();
    const { client, node, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 300 });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    const forged = await signTx(await signTx({ type: 'channel_close_mutual_tx', channel_id: id(), initiator_amount: 0n, responder_amount: 149n, ttl: 1000n, fee: 1n, nonce: 2n }, bob), mallory);
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(forged) } });
    expect(await pending).toMatchObject({ code: 'TIMEOUT' });
    expect(errors).toContain('UNEXPECTED_TX');
    expect(client.status).not.toBe('closed');
    expect((await store.load(channel))?.closeTx).toBeUndefined();
    client.close();
  });

  it('a create reported on chain that we did not sign: not taken, the initial state of its channel is refused, the store holds nothing', async () => {
    const store = new MemoryStore();
    const { client, node: nodePromise } = await start({ store });
    const node = await nodePromise;
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const forged = await signTx(await signTx(honestCreate(), bob), mallory); // the negotiated create, signed by everyone but us
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(forged) } });
    await expectRefusal(client, node, 'update', initialState(), /an off-chain state before the channel is funded/);
    expect(errors).toContain('UNEXPECTED_TX');
    expect(client.channelId).toBeUndefined();
    expect(await store.load(channelId(honestCreate()))).toBeUndefined();
    client.close();
  });

  // BEHAVIOUR.md §3.4: after a conflict both pending proposals are void, the peer's announced one too.
  it('a conflict voids the peer’s announced update as well: an update_ack after it, not announced again, is refused', async () => {
    const { client, node } = await startOpen();
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    node.send({ action: 'info', payload: { event: 'update' } }); // the peer proposed at the same time
    node.send({ action: 'conflict', payload: { channel_id: channelId(honestCreate()), round: 1 } });
    expect(await pending).toMatchObject({ code: 'CONFLICT' });
    const bobPays: ChannelOffchainTx = { ...next2(), initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    await expectRefusal(client, node, 'update_ack', bobPays, /an update_ack the node did not announce/);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a conflict voids our signature of the update: its co-signed state, sent after, is not taken', async () => {
    const { client, node } = await startOpen();
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const coSigned = await node.sign('update', next2());
    node.send({ action: 'conflict', payload: { channel_id: channelId(honestCreate()), round: 1 } });
    expect(await pending).toMatchObject({ code: 'CONFLICT' });
    node.send({ action: 'update', payload: { state: encodeTx(coSigned) } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['UNEXPECTED_TX']);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a conflict that falls back to another round than our last co-signed one: an error event says so, the call rejects with the node’s round, ours stays', async () => {
    const { client, node } = await startOpen();
    const errors: { code: string; message: string }[] = [];
    const conflicts: bigint[] = [];
    client.on('error', ({ code, message }) => errors.push({ code, message }));
    client.on('conflict', ({ round }) => conflicts.push(round));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    node.send({ action: 'conflict', payload: { channel_id: channelId(honestCreate()), round: 3 } });
    expect(await pending).toMatchObject({ code: 'CONFLICT', message: 'both parties proposed at once; the channel stays at round 3', context: { round: 3n } });
    expect(errors).toEqual([{ code: 'UNEXPECTED_TX', message: 'conflict fell back to round 3, our last co-signed round is 1' }]);
    expect(conflicts).toEqual([3n]);
    expect(client.round).toBe(1n);
    client.close();
  });
});

describe('a hostile node: one signature at a time', () => {
  const transfer = (initial: ChannelOffchainTx, from: Signer, to: Signer, amount: bigint): ChannelOffchainTx => {
    const fromInitiator = from === alice;
    return {
      ...initial,
      previous_round: 1n,
      round: 2n,
      initiator_amount: initial.initiator_amount + (fromInitiator ? -amount : amount),
      responder_amount: initial.responder_amount + (fromInitiator ? amount : -amount),
      updates: [{ from: from.publicKey, to: to.publicKey, amount }],
    };
  };
  const close = (id: Uint8Array): ChannelCloseMutualTx => ({ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n });

  it('a second create before the first is on chain: refused (it would fund a second channel), opened rejects', async () => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const first = await node.sign('initiator_sign', honestCreate());
    expect(first.signatures).toHaveLength(2);
    await expectRefusal(client, node, 'initiator_sign', { ...honestCreate(), nonce: 2n }, /our signature of the create still waits for its outcome/);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('a second state of the same round while the first waits: refused; the first, once co-signed, is the state', async () => {
    const store = new MemoryStore();
    const { client, node, initial, opened: { channelId: id } } = await startOpen({ store });
    node.send({ action: 'info', payload: { event: 'update' } });
    const small = await node.sign('update_ack', transfer(initial, bob, alice, 1n));
    // the peer would hold two co-signed round-2 states and close solo with the one that suits it
    await expectRefusal(client, node, 'update_ack', transfer(initial, bob, alice, 40n), /our signature of the update_ack still waits for its outcome/);
    node.send({ action: 'update', payload: { state: encodeTx(small) } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.balances).toEqual({ initiator: 101n, responder: 49n });
    expect((await store.load(id))?.round).toBe(2n);
    client.close();
  });

  it('an update_ack while our own update is in flight: refused, update() rejects and resolves with nothing else', async () => {
    const { client, node, initial } = await startOpen();
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    await expectRefusal(client, node, 'update_ack', transfer(initial, alice, bob, 80n), /an update_ack while our own update is in flight/);
    expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
    expect(client.round).toBe(1n);
    client.close();
  });

  it('an off-chain state while our close is in flight, or after we signed it: refused, shutdown() rejects', async () => {
    for (const signClose of [false, true]) {
      const { client, node, initial, id } = await startOpen();
      const pending = settle(client.shutdown());
      await node.next((frame) => frame.action === 'shutdown');
      if (signClose) expect((await node.sign('shutdown_sign', close(id))).signatures).toHaveLength(2);
      node.send({ action: 'info', payload: { event: 'update' } });
      const reason = signClose ? /our signature of the shutdown still waits for its outcome/ : /an off-chain state while our close is in flight/;
      await expectRefusal(client, node, 'update_ack', transfer(initial, bob, alice, 40n), reason);
      expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
      expect(client.balances).toEqual({ initiator: 100n, responder: 50n });
      client.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  });

  it('after the close is co-signed, nothing more is signed', async () => {
    const { client, node, initial, id } = await startOpen();
    const pending = client.shutdown();
    await node.next((frame) => frame.action === 'shutdown');
    const closed = await node.sign('shutdown_sign', close(id));
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } });
    expect((await pending).encoded).toBe(encodeTx(closed));
    expect(client.status).toBe('closed');
    node.send({ action: 'info', payload: { event: 'update' } });
    await expectRefusal(client, node, 'update_ack', transfer(initial, bob, alice, 40n), /the channel is closed/);
    client.close();
  });

  it('a refused acknowledgement of the peer’s close while our own shutdown() waits: shutdown() rejects at once', async () => {
    const { client, node, id } = await startOpen({ callTimeoutMs: 60_000 });
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    await expectRefusal(client, node, 'shutdown_sign_ack', { ...close(id), initiator_amount: 90n, responder_amount: 59n }, /amounts 90\/59/);
    expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });
});

describe('a thief node: every way to a signature that costs us', () => {
  const id = () => decode(channelId(honestCreate()), 'ch');
  /** The state after `updates` on top of `base`, rounds and amounts as an honest node computes them. */
  const after = (base: ChannelOffchainTx, updates: { from: Signer; to: Signer; amount: bigint }[]): ChannelOffchainTx => {
    let { initiator_amount, responder_amount } = base;
    for (const { from, amount } of updates) {
      initiator_amount += from === alice ? -amount : amount;
      responder_amount += from === alice ? amount : -amount;
    }
    return {
      ...base,
      previous_round: base.round,
      round: base.round + 1n,
      initiator_amount,
      responder_amount,
      updates: updates.map(({ from, to, amount }) => ({ from: from.publicKey, to: to.publicKey, amount })),
    };
  };
  const close = (amounts: { initiator_amount: bigint; responder_amount: bigint }, fee = 1n): ChannelCloseMutualTx => ({ type: 'channel_close_mutual_tx', channel_id: id(), ...amounts, ttl: 1000n, fee, nonce: 2n });
  /** Alice's key behind a signer that counts what it is asked to sign. */
  const counting = (): Signer & { asked: number } => {
    const signer = { address: alice.address, publicKey: alice.publicKey, asked: 0, sign: (message: Uint8Array) => ((signer.asked += 1), alice.sign(message)) };
    return signer;
  };

  // The peer's proposals (update_ack): what its node may send us to acknowledge.
  const ackCases: [string, (initial: ChannelOffchainTx) => UnsignedTx, RegExp][] = [
    ['balances that do not add up (tokens from nowhere)', (initial) => ({ ...after(initial, [{ from: bob, to: alice, amount: 10n }]), responder_amount: 50n }), /amounts 110\/50, the updates give 110\/40/],
    ['a payment with a drain appended', (initial) => after(initial, [{ from: bob, to: alice, amount: 10n }, { from: alice, to: bob, amount: 106n }]), /update 1: insufficient_balance/],
    ['a transfer to a stranger', (initial) => after(initial, [{ from: bob, to: mallory, amount: 10n }]), /update 0: invalid_pubkeys/],
    ['a transfer from us to ourselves', (initial) => ({ ...after(initial, []), updates: [{ from: alice.publicKey, to: alice.publicKey, amount: 10n }] }), /update 0: invalid_pubkeys/],
    ['another channel id', (initial) => ({ ...after(initial, [{ from: bob, to: alice, amount: 1n }]), channel_id: new Uint8Array(32).fill(9) }), /channel_id is not our channel/],
    ['initiator and responder swapped', (initial) => ({ ...after(initial, [{ from: bob, to: alice, amount: 1n }]), initiator: bob.publicKey, responder: alice.publicKey }), /the parties changed/],
    ['an old round replayed as a higher one', (initial) => ({ ...after(initial, [{ from: bob, to: alice, amount: 1n }]), previous_round: 5n, round: 6n }), /previous_round 5, last co-signed round 1/],
    ['a round that skips one', (initial) => ({ ...after(initial, [{ from: bob, to: alice, amount: 1n }]), round: 3n }), /round 3 is not previous_round \+ 1/],
    ['a withdrawal to the peer under the tag', () => ({ type: 'channel_withdraw_tx', channel_id: id(), to: bob.publicKey, amount: 100n, ttl: 1000n, fee: 1n, nonce: 2n }), /a channel_withdraw_tx under the update_ack tag/],
  ];

  it.each(ackCases)('an update_ack with %s: refused, the state stays', async (_case, tamper, reason) => {
    const signer = counting();
    const { client, node, initial } = await startOpen({ signer });
    const asked = signer.asked;
    node.send({ action: 'info', payload: { event: 'update' } });
    await expectRefusal(client, node, 'update_ack', tamper(initial), reason);
    expect(signer.asked).toBe(asked);
    expect(client.balances).toEqual({ initiator: 100n, responder: 50n });
    client.close();
  });

  it.each([
    ['a deposit from us', 'initiator_sign', () => ({ type: 'channel_deposit_tx', channel_id: id(), from: alice.publicKey, amount: 1000n, ttl: 1000n, fee: 1n, nonce: 1n }), /a channel_deposit_tx under a create tag/],
    ['a withdrawal to the peer', 'initiator_sign', () => ({ type: 'channel_withdraw_tx', channel_id: id(), to: bob.publicKey, amount: 100n, ttl: 1000n, fee: 1n, nonce: 1n }), /a channel_withdraw_tx under a create tag/],
  ] as const)('opening: %s under a create tag is refused', async (_case, tag, tx, reason) => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, tag, tx() as UnsignedTx, reason);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it.each([
    ['a withdrawal to the peer', 'shutdown_sign_ack', () => ({ type: 'channel_withdraw_tx', channel_id: id(), to: bob.publicKey, amount: 100n, ttl: 1000n, fee: 1n, nonce: 2n }), /a channel_withdraw_tx under a shutdown tag/],
    ['a settle at the peer’s amounts', 'shutdown_sign_ack', () => ({ type: 'channel_settle_tx', channel_id: id(), from: bob.publicKey, initiator_amount: 0n, responder_amount: 150n, ttl: 1000n, fee: 1n, nonce: 2n }), /a channel_settle_tx under a shutdown tag/],
    ['a deposit from us', 'update', () => ({ type: 'channel_deposit_tx', channel_id: id(), from: alice.publicKey, amount: 1000n, ttl: 1000n, fee: 1n, nonce: 2n }), /a channel_deposit_tx under the update tag/],
  ] as const)('an open channel: %s under a %s tag is refused', async (_case, tag, tx, reason) => {
    const { client, node } = await startOpen();
    await expectRefusal(client, node, tag, tx() as UnsignedTx, reason);
    expect(client.round).toBe(1n);
    client.close();
  });

  it.each([
    ['the peer’s proposal as a signed tx (its signature inside)', async (proposal: ChannelOffchainTx) => encodeTx(await signTx(proposal, bob))],
    ['a tx with a byte appended', async (proposal: ChannelOffchainTx) => encode('tx', new Uint8Array([...serializeTx(proposal), 0]))],
  ] as const)('an update_ack whose tx is %s: refused, it does not decode strictly', async (_case, wrap) => {
    const signer = counting();
    const { client, node, initial } = await startOpen({ signer });
    const asked = signer.asked;
    node.send({ action: 'info', payload: { event: 'update' } });
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    const count = node.received.length;
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: await wrap(after(initial, [{ from: bob, to: alice, amount: 1n }])) } });
    expect((await refused).reason).toBe('the tx does not decode strictly');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(node.received.slice(count)).toEqual([]);
    expect(signer.asked).toBe(asked);
    client.close();
  });

  it('the later v0.17 deposit and withdraw sign tags are not of v0.14: a malformed frame, nothing signed', async () => {
    const signer = counting();
    const { client, node } = await startOpen({ signer });
    const asked = signer.asked;
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const deposit = encodeTx({ type: 'channel_deposit_tx', channel_id: id(), from: alice.publicKey, amount: 1000n, ttl: 1000n, fee: 1n, nonce: 2n });
    const withdraw = encodeTx({ type: 'channel_withdraw_tx', channel_id: id(), to: bob.publicKey, amount: 100n, ttl: 1000n, fee: 1n, nonce: 2n });
    const count = node.received.length;
    for (const [tag, tx] of [['deposit_tx', deposit], ['deposit_ack', deposit], ['withdraw_tx', withdraw], ['withdraw_ack', withdraw]] as const) {
      node.send({ action: 'sign', tag, payload: { tx } });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME']);
    expect(node.received.slice(count)).toEqual([]);
    expect(signer.asked).toBe(asked);
    client.close();
  });

  it('a close with a fee above the default limit: refused, shutdown() rejects', async () => {
    const { client, node } = await startOpen();
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    // 100/50 less a fee of 101, split as the reference does: 49/0
    await expectRefusal(client, node, 'shutdown_sign', close({ initiator_amount: 49n, responder_amount: 0n }, 101n), /fee 101 above the limit 100/);
    expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('the peer pays, then asks to close at the split from before its payment: refused', async () => {
    const { client, node, initial } = await startOpen();
    node.send({ action: 'info', payload: { event: 'update' } });
    const paid = await node.sign('update_ack', after(initial, [{ from: bob, to: alice, amount: 10n }]));
    node.send({ action: 'update', payload: { state: encodeTx(paid) } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.balances).toEqual({ initiator: 110n, responder: 40n });
    await expectRefusal(client, node, 'shutdown_sign_ack', close({ initiator_amount: 99n, responder_amount: 50n }), /amounts 99\/50, the last co-signed state less the fee gives 109\/40/);
    client.close();
  });

  it('our transfer asked for again after update() resolved: refused (it would pay twice)', async () => {
    const { client, node, initial } = await startOpen();
    const pending = client.update({ from: alice.address, to: bob.address, amount: 10n });
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const round2 = after(initial, [{ from: alice, to: bob, amount: 10n }]);
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', round2)) } });
    expect((await pending).round).toBe(2n);
    await expectRefusal(client, node, 'update', after(round2, [{ from: alice, to: bob, amount: 10n }]), /an update we did not ask for/);
    expect(client.balances).toEqual({ initiator: 90n, responder: 60n });
    client.close();
  });

  it('a second request while the approve hook still decides on the first: refused', async () => {
    let release!: () => void;
    const decided = new Promise<void>((resolve) => (release = resolve));
    const { client, node: nodePromise } = await start({ policy: { approve: async (_tx, { purpose }) => (purpose === 'update_ack' ? decided.then(() => true) : true) } });
    const node = await nodePromise;
    const { initial } = await openHonestly(node);
    await client.opened;
    node.send({ action: 'info', payload: { event: 'update' } });
    const count = node.received.length;
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(initial, [{ from: bob, to: alice, amount: 1n }])) } });
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(initial, [{ from: bob, to: alice, amount: 40n }])) } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    expect((await refused).reason).toMatch(/our signature of the update_ack still waits for its outcome/);
    await node.next((frame) => frame.action === 'update_ack' && node.received.indexOf(frame) >= count);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const replies = node.received.slice(count).filter((frame) => frame.action === 'update_ack');
    expect(replies).toHaveLength(1);
    expect((decodeTx(replies[0]?.payload?.tx as string, 'signed_tx').tx as ChannelOffchainTx).initiator_amount).toBe(101n);
    client.close();
  });

  // v0.14 sends a conflict only while our own update waits (BEHAVIOUR.md §3.4): it voids that,
  // and nothing else we signed. Taken for anything else, it let the node have a second tx of
  // the same round (or a state after our close) signed, and the peer pick the one that suits it.
  it.each([
    ['our acknowledgement of its payment of 1', (initial: ChannelOffchainTx) => ['update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }])] as const, /our signature of the update_ack still waits for its outcome/],
    ['our acknowledgement of its close', () => ['shutdown_sign_ack', close({ initiator_amount: 99n, responder_amount: 50n })] as const, /our signature of the shutdown_ack still waits for its outcome/],
  ] as const)('a conflict after %s does not void it: the next request is refused, the channel stalls', async (_case, first, reason) => {
    const store = new MemoryStore();
    const { client, node, initial, opened: { channelId: channel } } = await startOpen({ store });
    const errors: { code: string; message: string }[] = [];
    const conflicts: bigint[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('conflict', ({ round }) => conflicts.push(round));
    const [tag, tx] = first(initial);
    if (tag === 'update_ack') node.send({ action: 'info', payload: { event: 'update' } });
    expect((await node.sign(tag, tx)).signatures).toHaveLength(2); // the peer holds it co-signed
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 2n })); // in line behind our signature
    const conflicted = new Promise((resolve) => client.on('error', resolve));
    node.send({ action: 'conflict', payload: { channel_id: channel, round: 1 } });
    await conflicted;
    // The channel stops at the conflict: the call in line and a new one end now, not at their clock.
    const stalled = { code: 'CHANNEL_STALLED', message: expect.stringMatching(/a conflict came while our signature of the (update_ack|shutdown_ack) waited for its outcome/) };
    expect(await Promise.race([queued, new Promise((resolve) => setTimeout(() => resolve('the queued update still waits'), 100))])).toMatchObject(stalled);
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject(stalled);
    // …and now "pays" 40 at the same round, or after the close it holds.
    node.send({ action: 'info', payload: { event: 'update' } });
    await expectRefusal(client, node, 'update_ack', after(initial, [{ from: bob, to: alice, amount: 40n }]), reason);
    expect(conflicts).toEqual([]);
    expect(errors).toContainEqual(expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/cannot void our signature/) }));
    expect(client.balances).toEqual({ initiator: 100n, responder: 50n });
    expect((await store.load(channel))?.round).toBe(1n);
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    client.close();
  });

  it('a conflict after we signed the create does not void it: a second create (a second channel funded) is refused', async () => {
    const store = new MemoryStore();
    const { client, node: nodePromise } = await start({ store });
    const node = await nodePromise;
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const created = await node.sign('initiator_sign', honestCreate());
    expect(created.signatures).toHaveLength(2);
    node.send({ action: 'conflict', payload: { channel_id: channelId(honestCreate()), round: 0 } });
    await expectRefusal(client, node, 'initiator_sign', { ...honestCreate(), nonce: 2n }, /our signature of the create still waits for its outcome/);
    expect(errors).toEqual(['CONFLICT']);
    await expect(client.opened).rejects.toMatchObject({ code: 'CONFLICT' });
    // The first create may still land: once reported, the store keeps it for a solo close.
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(created) } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await store.load(channelId(honestCreate())))?.createTx).toBe(encodeTx(created));
    client.close();
  });

  it('a close before the channel is open: refused', async () => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(await node.sign('initiator_sign', honestCreate())) } });
    await expectRefusal(client, node, 'shutdown_sign_ack', close({ initiator_amount: 99n, responder_amount: 50n }), /a close before the channel is open/);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('a sign request after the node reported the channel died: refused, the signer is not asked', async () => {
    const signer = counting();
    const { client, node, initial } = await startOpen({ signer });
    const asked = signer.asked;
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    node.send({ action: 'info', payload: { event: 'died' } });
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(initial, [{ from: bob, to: alice, amount: 40n }])) } });
    const refusal = await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]);
    expect(signer.asked).toBe(asked);
    expect(refusal?.reason).toMatch(/the channel died: nothing more is signed/);
    expect(node.received.filter((frame) => frame.action === 'update_ack')).toEqual([]);
  });

  it('an update_ack the node did not announce (no info update before it, as it always sends): refused, the signer is not asked', async () => {
    const signer = counting();
    const { client, node, initial } = await startOpen({ signer });
    const asked = signer.asked;
    await expectRefusal(client, node, 'update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }]), /an update_ack the node did not announce \(no info update before it\)/);
    expect(signer.asked).toBe(asked);
    expect(client.balances).toEqual({ initiator: 100n, responder: 50n });
    client.close();
  });

  it('checkSignRequest on its own: announced left out is not checked, false refuses an update_ack; died refuses it too', () => {
    const initial = honestInitial();
    const context: SignContext = {
      role: 'initiator',
      self: alice.publicKey,
      terms: { initiator: alice.publicKey, responder: bob.publicKey, initiator_amount: 100n, responder_amount: 50n, channel_reserve: 5n, lock_period: 10n, ttl: 1000n },
      channelId: id(),
      lastState: initial,
      closing: false,
      closed: false,
    };
    const ack = after(initial, [{ from: bob, to: alice, amount: 1n }]);
    const limits = { maxFee: 100n };
    expect(checkSignRequest('update_ack', ack, context, limits)).toBeUndefined();
    expect(checkSignRequest('update_ack', ack, { ...context, announced: true, died: false }, limits)).toBeUndefined();
    expect(checkSignRequest('update_ack', ack, { ...context, announced: false }, limits)).toBe('an update_ack the node did not announce (no info update before it)');
    expect(checkSignRequest('update_ack', ack, { ...context, announced: true, died: true }, limits)).toBe('the channel died: nothing more is signed');
  });

  // The user closed: the signer must not prompt them on a device, and a reply would go to a closing socket.
  const closedMidway: [string, (closeNow: () => void) => { policy?: SignPolicy; onRequest?: () => void }, boolean][] = [
    [
      'a signRequest listener sees it (a payment of 1; nor is the approve hook)',
      (closeNow) => ({ onRequest: closeNow, policy: { approve: (_tx, { purpose }) => purpose !== 'update_ack' || Promise.reject(new Error('the approve hook was asked after close()')) } }),
      false,
    ],
    ['the approve hook decides (a payment of 1)', (closeNow) => ({ policy: { approve: async () => (closeNow(), true) } }), false],
    ['nextNonce is asked (the peer’s close)', (closeNow) => ({ policy: { nextNonce: async () => (closeNow(), 1n) } }), true],
  ];
  it.each(closedMidway)('close() while %s: the request is refused, the signer is not asked, nothing is sent', async (_case, setup, isClose) => {
    const signer = counting();
    let client: ChannelClient | undefined;
    const { policy, onRequest } = setup(() => client?.close());
    const opened = await startOpen({ signer, ...(policy === undefined ? {} : { policy }) });
    client = opened.client;
    const { node, initial } = opened;
    if (onRequest !== undefined) client.on('signRequest', onRequest);
    const asked = signer.asked;
    const refused = new Promise<{ tag: string; reason: string }>((resolve) => client?.on('signRefused', resolve));
    const count = node.received.length;
    const [tag, tx] = isClose ? (['shutdown_sign_ack', close({ initiator_amount: 99n, responder_amount: 50n })] as const) : (['update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }])] as const);
    if (tag === 'update_ack') node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag, payload: { tx: encodeTx(tx) } });
    const refusal = await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]);
    expect(refusal).toEqual({ tag, reason: 'the client was closed (close()): nothing more is signed', tx: expect.anything(), encoded: encodeTx(tx) });
    expect(signer.asked).toBe(asked);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(node.received.slice(count).filter((frame) => frame.action === tag)).toEqual([]);
  });

  it('close() while the signer signs: the signature made is not sent, the request is refused', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let prompted!: () => void;
    const prompting = new Promise<void>((resolve) => (prompted = resolve));
    let hold = false;
    const device: Signer = {
      address: alice.address,
      publicKey: alice.publicKey,
      sign: async (message) => {
        if (hold) {
          prompted();
          await held; // the user confirms on a device
        }
        return alice.sign(message);
      },
    };
    const { client, node, initial } = await startOpen({ signer: device });
    hold = true;
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    const count = node.received.length;
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(initial, [{ from: bob, to: alice, amount: 1n }])) } });
    await prompting; // the checks passed, the device asks the user
    client.close();
    release();
    const refusal = await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]);
    expect(refusal?.reason).toBe('the client was closed (close()): nothing more is signed (the signature made meanwhile was not sent)');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(node.received.slice(count).filter((frame) => frame.action === 'update_ack')).toEqual([]);
  });

  // The node's `sign` timeout (500 s) can run out while a user decides on a prompt or a device:
  // the node then stops the channel, and its `info died` (or the socket's close) waits in line
  // behind the request being answered. A late yes must not sign for a channel that is gone.
  /** Resolves once the client's ws has handled every frame sent before: it answers a ping in order. */
  const pingedBack = (node: ScriptedNode) => new Promise((resolve) => (node.socket.once('pong', resolve), node.socket.ping()));
  /** Closes from the node; resolves once the client's ws has answered the close, and the end of the TCP stream had a moment to reach it. */
  const closedBy = async (node: ScriptedNode) => {
    await new Promise((resolve) => (node.socket.once('close', resolve), node.socket.close(1000, 'bye')));
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const goneMidway: [string, 'approve' | 'signer', (node: ScriptedNode) => Promise<unknown>, RegExp][] = [
    ['the node reports the channel died while the approve hook decides', 'approve', (node) => (node.send({ action: 'info', payload: { event: 'died' } }), pingedBack(node)), /^the node reported the channel died while a frame was being handled: nothing more is signed$/],
    ['the node reports the channel died while the signer signs', 'signer', (node) => (node.send({ action: 'info', payload: { event: 'died' } }), pingedBack(node)), /^the node reported the channel died while a frame was being handled: nothing more is signed \(the signature made meanwhile was not sent\)$/],
    ['the connection closes while the approve hook decides', 'approve', (node) => closedBy(node), /^the connection closed \(1000 bye\): nothing more is signed$/],
    ['the connection closes while the signer signs', 'signer', (node) => closedBy(node), /^the connection closed \(1000 bye\): nothing more is signed \(the signature made meanwhile was not sent\)$/],
  ];
  it.each(goneMidway)('%s: the late yes signs nothing, the request is refused', async (_case, waiting, gone, reason) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const asking = new Promise<void>((resolve) => (asked = resolve));
    let hold = false;
    const wait = async () => {
      if (!hold) return;
      asked();
      await held; // the user decides on a prompt, or confirms on a device
    };
    const device: Signer = { address: alice.address, publicKey: alice.publicKey, sign: async (message) => (waiting === 'signer' && (await wait()), alice.sign(message)) };
    const { client, node, initial } = await startOpen({ signer: device, policy: { approve: async () => (waiting === 'approve' && (await wait()), true) } });
    hold = true;
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    const count = node.received.length;
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(initial, [{ from: bob, to: alice, amount: 1n }])) } });
    await asking;
    await gone(node); // the frame or the close has arrived, and waits in line
    release();
    const refusal = await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]);
    expect(refusal?.reason).toMatch(reason);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(node.received.slice(count).filter((frame) => frame.action === 'update_ack')).toEqual([]);
    expect(['died', 'disconnected']).toContain(client.status);
    client.close();
  });

  it('a sign request in line behind a slow save, with the node’s died after it: refused, the signer is not asked', async () => {
    const store = new GatedStore();
    const signer = counting();
    const { client, node, initial } = await startOpen({ store, signer });
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    const round2 = await node.sign('update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }]));
    const asked = signer.asked;
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    const count = node.received.length;
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save hangs
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(round2.tx as ChannelOffchainTx, [{ from: bob, to: alice, amount: 1n }])) } });
    node.send({ action: 'info', payload: { event: 'died' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const refusal = await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]);
    expect(refusal?.reason).toBe('the node reported the channel died while a frame was being handled: nothing more is signed');
    expect(signer.asked).toBe(asked);
    expect(node.received.slice(count).filter((frame) => frame.action === 'update_ack')).toEqual([]);
    // the state that came before the died is kept all the same
    expect(client.round).toBe(2n);
    expect((await store.load(client.channelId as `ch$${string}`))?.round).toBe(2n);
  });

  it('close() after the node’s died was read ahead keeps that reason: a call made then, and the request in line, name the died, not close()', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store });
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    const round2 = await node.sign('update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }]));
    const refused = new Promise<{ reason: string }>((resolve) => client.on('signRefused', resolve));
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save hangs
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(after(round2.tx as ChannelOffchainTx, [{ from: bob, to: alice, amount: 1n }])) } });
    node.send({ action: 'info', payload: { event: 'died' } }); // read ahead of the frames in line
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.close();
    const died = 'the node reported the channel died while a frame was being handled: nothing more is signed';
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
      message: `the connection to the node is closing: ${died}`,
    });
    release();
    expect((await Promise.race([refused, new Promise<undefined>((resolve) => setTimeout(resolve, 500))]))?.reason).toBe(died);
  });

  it.each([
    ['a signature of another key (another account on the device)', async (message: Uint8Array) => mallory.sign(message), /the signer failed: the signer's signature does not verify with its publicKey/],
    ['a signature of other bytes', async (message: Uint8Array) => alice.sign(new Uint8Array([...message, 0])), /the signer failed: the signer's signature does not verify with its publicKey/],
    ['63 bytes', async (message: Uint8Array) => (await alice.sign(message)).subarray(0, 63), /the signer failed: the signer returned a Uint8Array, not a 64-byte signature/],
  ] as const)('a signer that returns %s: refused, no reply is sent', async (_case, sign, reason) => {
    let faulty = false;
    const device: Signer = { address: alice.address, publicKey: alice.publicKey, sign: (message) => (faulty ? sign(message) : alice.sign(message)) };
    const { client, node, initial } = await startOpen({ signer: device });
    faulty = true;
    node.send({ action: 'info', payload: { event: 'update' } });
    await expectRefusal(client, node, 'update_ack', after(initial, [{ from: bob, to: alice, amount: 1n }]), reason);
    expect(client.round).toBe(1n);
    client.close();
  });
});

describe('a hostile node: nonces, with the chain’s view (policy.nextNonce)', () => {
  it('a create with a nonce the chain has used already: refused', async () => {
    const { client, node: nodePromise } = await start({ policy: { nextNonce: async () => 4n } });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, 'initiator_sign', { ...honestCreate(), nonce: 3n }, /nonce 3 is below the initiator's next nonce 4: the chain could never include the tx/);
    await expect(client.opened).rejects.toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('a close with a nonce that can never be included: refused; the next one, or one above it (txs pending), is signed', async () => {
    for (const nonce of [1n, 2n, 3n]) {
      const asked: string[] = [];
      let next = 1n;
      const { client, node, id } = await startOpen({ policy: { nextNonce: async (account) => (asked.push(account), next) } });
      next = 2n; // the create is on chain
      const pending = settle(client.shutdown());
      await node.next((frame) => frame.action === 'shutdown');
      const close: ChannelCloseMutualTx = { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce };
      if (nonce >= 2n) {
        const closed = await node.sign('shutdown_sign', close);
        node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } });
        expect(await pending).toMatchObject({ resolved: { encoded: encodeTx(closed) } });
      } else {
        await expectRefusal(client, node, 'shutdown_sign', close, /nonce 1 is below the initiator's next nonce 2/);
        expect(await pending).toMatchObject({ code: 'SIGN_REFUSED' });
      }
      expect(asked).toEqual([alice.address, alice.address]);
      client.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  });

  it('a nonce that cannot be checked is not signed', async () => {
    const { client, node: nodePromise } = await start({ policy: { nextNonce: async () => { throw new Error('node unreachable'); } } });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, 'initiator_sign', honestCreate(), /cannot check the nonce: nextNonce failed: node unreachable/);
    client.close();
  });

  it('a policy of the wrong shape is a TypeError at connect, a bigint out of range a RangeError', async () => {
    for (const policy of [{ maxFee: 5 }, { approve: 'yes' }, { nextNonce: 2n }, 'sign-anything', null]) {
      await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, policy: policy as never })).rejects.toThrow(TypeError);
    }
    for (const maxFee of [0n, -1n]) {
      await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, policy: { maxFee } })).rejects.toThrow(RangeError);
    }
  });
});

describe('the client’s lifecycle', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const next2 = (initial: ChannelOffchainTx): ChannelOffchainTx => ({ ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] });

  it('an abort while connecting ends the connect with ABORTED, also when the node never answers the upgrade', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const tcp = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    const controller = new AbortController();
    const silent = settle(ChannelClient.connect({ url: `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/channel`, role: 'initiator', params: terms(), signer: alice, signal: controller.signal }));
    await sleep(50);
    controller.abort();
    expect(await Promise.race([silent, sleep(1000).then(() => 'still pending 1 s after the abort')])).toMatchObject({ code: 'ABORTED' });
    // aborted at once, while the WebSocket implementation (`ws`, on Node 20) is being loaded
    const early = new AbortController();
    const loading = settle(ChannelClient.connect({ url: `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/channel`, role: 'initiator', params: terms(), signer: alice, signal: early.signal }));
    early.abort();
    expect(await Promise.race([loading, sleep(1000).then(() => 'still pending 1 s after the abort')])).toMatchObject({ code: 'ABORTED' });
    for (const socket of sockets) socket.destroy();
    tcp.close();

    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/channel' });
    await new Promise((resolve) => server?.once('listening', resolve));
    const aborting = new AbortController();
    const opening = settle(ChannelClient.connect({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/channel`, role: 'initiator', params: terms(), signer: alice, signal: aborting.signal }));
    aborting.abort(); // while the socket opens
    expect(await opening).toMatchObject({ code: 'ABORTED' });
  });

  it('params that silence frames the client needs are refused at connect (it would wait for them forever)', async () => {
    for (const tag of ['info', 'update', 'conflict', 'error', 'on_chain_tx']) {
      await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: { ...terms(), [`report_${tag}`]: false }, signer: alice })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`report_${tag}`),
      });
    }
  });

  it('params of a wrong type or range are refused at connect, before any socket (a number amount would reach the node rounded)', async () => {
    const connect = (change: Record<string, unknown>) =>
      ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: { ...terms(), ...change } as ReturnType<typeof terms>, signer: alice });
    // 2^53 + 1 as a number is 9007199254740992: the node would fund that, and the create check refuse it
    for (const amount of [2 ** 53 + 1, 0.5, 1e21, 100]) {
      await expect(connect({ initiator_amount: amount })).rejects.toThrow(new TypeError('params.initiator_amount must be a bigint, got a number'));
    }
    await expect(connect({ ttl: 1000 })).rejects.toThrow(new TypeError('params.ttl must be a bigint, got a number'));
    await expect(connect({ channel_reserve: -1n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'params.channel_reserve: must be a decimal integer without sign or leading zeros, got "-1"' });
    await expect(connect({ responder_amount: 2n ** 64n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^params\.responder_amount: must be less than 18446744073709551616/) });
    await expect(connect({ lock_period: 2n ** 16n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^params\.lock_period: must be less than 65536/) });
    await expect(connect({ port: 1234.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'params.port: must be an integer, got 1234.5' });
    await expect(connect({ host: undefined })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^params\.host: required for the initiator/) });
    await expect(connect({ timeout_acept: 100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'params.timeout_acept: no such parameter' });
  });

  it('a URL with a query of its own keeps it: the params follow after an &', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/channel' });
    const requested = new Promise<string>((resolve) => server?.once('connection', (_socket, request) => resolve(request.url ?? '')));
    await new Promise((resolve) => server?.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const client = await ChannelClient.connect({ url: `ws://127.0.0.1:${port}/channel?token=abc`, role: 'initiator', params: terms(), signer: alice });
    const query = new URL(await requested, 'ws://node').searchParams;
    expect([query.get('token'), query.get('role'), query.get('initiator_amount')]).toEqual(['abc', 'initiator', '100']);
    client.close();
  });

  it('timer options out of Node’s timer range are a RangeError at connect (Infinity fired at once)', async () => {
    for (const options of [{ callTimeoutMs: Number.POSITIVE_INFINITY }, { callTimeoutMs: 0 }, { callTimeoutMs: 2 ** 31 }, { pingIntervalMs: Number.POSITIVE_INFINITY }, { pingIntervalMs: -1 }]) {
      await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, ...options })).rejects.toThrow(RangeError);
    }
    // The number itself is named (it said "got a number").
    await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, callTimeoutMs: 0 })).rejects.toThrow(
      new RangeError(`callTimeoutMs must be a number of milliseconds from 1 to ${MAX_REQUEST_TIMEOUT_MS}, got 0`),
    );
    // and a value of another type is described, not printed
    await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, pingIntervalMs: '5000' as never })).rejects.toThrow(
      new RangeError(`pingIntervalMs must be a number of milliseconds from 0 to ${MAX_REQUEST_TIMEOUT_MS}, got a string of 4 characters`),
    );
  });

  it('a store that is no StateStore (a directory path, an object without save) is a TypeError at connect, not a STORE_IO once the channel is funded', async () => {
    // Nothing listens on port 9: a check made after dialling would be CONNECTION_FAILED.
    for (const [store, given] of [
      ['./channels', 'a string of 10 characters'],
      [{ load: async () => undefined }, 'an object ([object Object])'],
      [null, 'null'],
    ] as const) {
      await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: terms(), signer: alice, store: store as never })).rejects.toThrow(
        new TypeError(`store must be a StateStore (such as new FileStore(directory)), got ${given}`),
      );
    }
  });

  it('shutdown() in flight: the status goes open → closing → closed', async () => {
    const { client, node, id } = await startOpen();
    const statuses: string[] = [];
    client.on('statusChanged', ({ status }) => statuses.push(status));
    const pending = client.shutdown();
    await node.next((frame) => frame.action === 'shutdown');
    expect(client.status).toBe('closing');
    const closed = await node.sign('shutdown_sign', { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n });
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } });
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } }); // reported twice: one status change
    await pending;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statuses).toEqual(['closing', 'closed']);
    client.close();
  });

  it('a shutdown() the node refuses: the status goes back to open, and the call in line behind it is sent and co-signed', async () => {
    const { client, node, initial } = await startOpen();
    const statuses: string[] = [];
    client.on('statusChanged', ({ status }) => statuses.push(status));
    const closing = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    // v0.14 swallows a shutdown's errors; a node that answers one ends the call
    node.send({ action: 'error', payload: { reason: 'unknown_request', request: { action: 'shutdown' } } });
    expect(await closing).toMatchObject({ code: 'REQUEST_REJECTED', context: { reason: 'unknown_request' } });
    expect(client.status).toBe('open');
    const sent = node.next((frame) => frame.action === 'update' && frame.tag === 'new').then(() => 'sent');
    expect(await Promise.race([sent, new Promise((resolve) => setTimeout(() => resolve('update still queued 1 s on'), 1000))])).toBe('sent');
    const next: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    void node.sign('update', next).then((state) => node.send({ action: 'update', payload: { state: encodeTx(state) } }));
    expect(await pending).toMatchObject({ resolved: { round: 2n } });
    expect(statuses).toEqual(['closing', 'open']);
    client.close();
  });

  it('a store that fails on a co-signed state: one error event, the call rejects, later calls reject at once (CHANNEL_STALLED)', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store, callTimeoutMs: 300 });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    store.fail = true;
    const first = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 2n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', next2(initial))) } });
    expect(await first).toMatchObject({ code: 'STORE_IO' });
    expect(await queued).toMatchObject({ code: 'CHANNEL_STALLED' });
    store.fail = false;
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    expect(errors).toEqual(['STORE_IO']);
    expect(client.round).toBe(1n);
    client.close();
  });

  it.each(['the create', 'the initial state'] as const)('a store that fails on %s rejects opened at once (it stayed pending)', async (failing) => {
    const store = new GatedStore();
    store.fail = (snapshot) => failing === 'the create' || snapshot.state !== undefined;
    const { client, node: nodePromise } = await start({ store });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const create = await node.sign('initiator_sign', honestCreate());
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
    if (failing === 'the initial state') {
      const initial = honestInitial();
      node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', initial)) } });
    }
    expect(await Promise.race([settle(client.opened), sleep(500).then(() => 'opened still pending')])).toMatchObject({ code: 'STORE_IO' });
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    client.close();
  });

  it.each(['the create', 'a state'] as const)('a store that failed on %s signs nothing more: no state is built on what it did not keep', async (failing) => {
    const store = new GatedStore();
    store.fail = failing === 'the create';
    const { client, node: nodePromise } = await start({ store });
    const node = await nodePromise;
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const initial = honestInitial();
    const bobPays = (amount: bigint): ChannelOffchainTx => ({
      ...next2(initial),
      updates: [{ from: bob.publicKey, to: alice.publicKey, amount }],
      initiator_amount: 100n + amount,
      responder_amount: 50n - amount,
    });
    const unkept = /^refused: the store did not keep a co-signed tx: .*disk full/;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(await node.sign('initiator_sign', honestCreate())) } });
    if (failing === 'the create') {
      // without the create tx in the store, no solo close could use a co-signed round 1
      await expect(client.opened).rejects.toMatchObject({ code: 'STORE_IO' });
      expect(await signOrRefuse(client, node, 'update', initial)).toMatch(unkept);
      expect(errors).toEqual(['STORE_IO']);
    } else {
      node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', initial)) } });
      await client.opened;
      store.fail = true;
      node.send({ action: 'info', payload: { event: 'update' } });
      node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update_ack', bobPays(10n))) } });
      await sleep(30);
      // whatever a conflict does, the peer holds a co-signed round 2 the store does not
      node.send({ action: 'conflict', payload: { channel_id: channelId(honestCreate()), round: 1 } });
      await sleep(30);
      expect(await signOrRefuse(client, node, 'update_ack', bobPays(5n))).toMatch(unkept);
      expect((await store.load(client.channelId as `ch$${string}`))?.round).toBe(1n);
      // the state the store did not keep still waits for its outcome: the conflict voids nothing
      expect(errors).toEqual(['STORE_IO', 'CONFLICT']);
    }
    client.close();
  });

  // A `StateStore` of the app's own may reject with anything: it is a failure like any other.
  it.each([
    ['nothing (Promise.reject())', undefined, 'undefined'],
    ['a string', 'quota exceeded', 'quota exceeded'],
  ])('a store that rejects with %s on a co-signed state: STORE_IO, the call rejects, nothing more is signed', async (_case, thrown, message) => {
    const store = new GatedStore();
    store.failure = thrown;
    const { client, node, initial } = await startOpen({ store });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(`${error.code} ${error.message}`));
    store.fail = true;
    const first = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const round2 = await node.sign('update', next2(initial));
    node.send({ action: 'update', payload: { state: encodeTx(round2) } });
    expect(await Promise.race([first, sleep(500).then(() => 'update() still pending')])).toMatchObject({ code: 'STORE_IO', message });
    node.send({ action: 'info', payload: { event: 'update' } });
    const round3: ChannelOffchainTx = { ...(round2.tx as ChannelOffchainTx), previous_round: 2n, round: 3n, initiator_amount: 91n, responder_amount: 59n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    expect(await signOrRefuse(client, node, 'update_ack', round3)).toBe(`refused: the store did not keep a co-signed tx: ${message}`);
    expect(errors).toEqual([`STORE_IO ${message}`]);
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a signer that fails signs nothing: a refusal, the call rejects at once and the queued ones too (they used to wait for good)', async () => {
    let declined = false;
    const device: Signer = {
      address: alice.address,
      publicKey: alice.publicKey,
      sign: async (message) => {
        if (declined) throw new Error('the user declined on the device');
        return alice.sign(message);
      },
    };
    const { client, node, initial } = await startOpen({ signer: device });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    declined = true;
    const first = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    await expectRefusal(client, node, 'update', next2(initial), /the signer failed: the user declined on the device/);
    expect(await Promise.race([first, sleep(500).then(() => 'update still pending')])).toMatchObject({ code: 'SIGN_REFUSED' });
    expect(await Promise.race([queued, sleep(500).then(() => 'queued update still pending')])).toMatchObject({ code: 'CHANNEL_STALLED' });
    expect(errors).toEqual([]);
    client.close();
  });

  it('a signer that fails on the create: refused, opened rejects at once', async () => {
    const device: Signer = { address: alice.address, publicKey: alice.publicKey, sign: () => Promise.reject(new Error('no device')) };
    const { client, node: nodePromise } = await start({ signer: device });
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    await expectRefusal(client, node, 'initiator_sign', honestCreate(), /the signer failed: no device/);
    expect(await Promise.race([settle(client.opened), sleep(500).then(() => 'opened still pending')])).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('update() takes the parties as ak$ or as bytes, sends them as ak$, and checks the request against the keys, not the caller’s arrays', async () => {
    const { client, node, initial } = await startOpen();
    const refused = new Promise<never>((_resolve, reject) => client.on('signRefused', ({ reason }) => reject(new Error(`refused: ${reason}`))));
    refused.catch(() => undefined);
    const [from, to] = [Uint8Array.from(alice.publicKey), Uint8Array.from(bob.publicKey)];
    const pending = settle(client.update({ from, to, amount: 10n }));
    // the caller reuses its arrays once the call is made: the transfer asked for stays the one checked
    from.fill(0);
    to.fill(0);
    const asked = await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    expect(asked.payload).toEqual({ from: alice.address, to: bob.address, amount: 10 });
    const count = node.received.length;
    const proposal: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(proposal) } });
    const reply = await Promise.race([node.next((frame) => frame.action === 'update' && frame.tag === undefined && node.received.indexOf(frame) >= count), refused]);
    node.send({ action: 'update', payload: { state: encodeTx(await signTx(decodeTx(reply.payload?.tx as string, 'signed_tx'), bob)) } });
    expect(await pending).toMatchObject({ resolved: { balances: { initiator: 90n, responder: 60n } } });
    // the parties as ak$, one of them the other way round (a request for tokens), and a stranger
    const back = client.update({ from: bob.address, to: alice.address, amount: 5n });
    expect((await node.next((frame) => frame.action === 'update' && frame.tag === 'new' && frame.payload?.amount === 5)).payload).toEqual({ from: bob.address, to: alice.address, amount: 5 });
    const count2 = node.received.length;
    const request: ChannelOffchainTx = { ...proposal, previous_round: 2n, round: 3n, initiator_amount: 95n, responder_amount: 55n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 5n }] };
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(request) } });
    const reply2 = await Promise.race([node.next((frame) => frame.action === 'update' && frame.tag === undefined && node.received.indexOf(frame) >= count2), refused]);
    node.send({ action: 'update', payload: { state: encodeTx(await signTx(decodeTx(reply2.payload?.tx as string, 'signed_tx'), bob)) } });
    expect((await back).round).toBe(3n);
    const stranger = client.update({ from: mallory.publicKey, to: bob.address, amount: 1n });
    expect((await node.next((frame) => frame.action === 'update' && frame.tag === 'new' && frame.payload?.amount === 1)).payload).toEqual({ from: mallory.address, to: bob.address, amount: 1 });
    node.send({ action: 'error', payload: { reason: 'invalid_pubkeys', request: { action: 'update', tag: 'new', payload: { from: mallory.address, to: bob.address, amount: 1 } } } });
    await expect(stranger).rejects.toMatchObject({ code: 'REQUEST_REJECTED' });
    client.close();
  });

  it('update() naming a key that is no party, as bytes the caller then overwrites with a party’s: the transfer checked stays the one asked for', async () => {
    const { client, node, initial } = await startOpen();
    const to = Uint8Array.from(mallory.publicKey);
    const pending = settle(client.update({ from: alice.address, to, amount: 10n }));
    to.set(bob.publicKey); // the caller reuses its array once the call is made
    const asked = await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    expect(asked.payload).toEqual({ from: alice.address, to: mallory.address, amount: 10 });
    // a transfer to bob, which the caller's array now names: not the one asked for
    const proposal: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    await expectRefusal(client, node, 'update', proposal, /not between the parties we asked for/);
    expect(await pending).toMatchObject({ name: 'ClientError', code: 'SIGN_REFUSED' });
    expect(client.round).toBe(1n);
    client.close();
  });

  it('a mistyped ak$ is a TypeError, at connect and in calls (it was an EncodingError)', async () => {
    const mistyped = `${bob.address.slice(0, -1)}${bob.address.endsWith('x') ? 'y' : 'x'}` as `ak$${string}`;
    await expect(ChannelClient.connect({ url: 'ws://127.0.0.1:9/channel', role: 'initiator', params: { ...terms(), responder: mistyped }, signer: alice })).rejects.toThrow(TypeError);
    const { client, node: nodePromise } = await start();
    await openHonestly(await nodePromise);
    await client.opened;
    expect(() => client.update({ from: alice.address, to: mistyped, amount: 1n })).toThrow(TypeError);
    expect(() => client.update({ from: alice.address, to: mistyped, amount: 1n })).toThrow(/to must be a valid ak\$ string/);
    expect(() => client.sendMessage(mistyped, 'hello')).toThrow(TypeError);
    client.close();
  });

  it('a refused initial state rejects opened at once', async () => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const create = await node.sign('initiator_sign', honestCreate());
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
    const id = decode(channelId(honestCreate()), 'ch');
    const wrong: ChannelOffchainTx = { ...honestInitial(), channel_id: id, initiator_amount: 1n, responder_amount: 149n };
    await expectRefusal(client, node, 'update', wrong, /initial amounts are not the create amounts/);
    expect(await Promise.race([settle(client.opened), sleep(300).then(() => 'opened still pending')])).toMatchObject({ code: 'SIGN_REFUSED' });
    client.close();
  });

  it('an async listener that throws does not reach the host as an unhandled rejection', async () => {
    const { client, node: nodePromise } = await start();
    const node = await nodePromise;
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      client.on('info', async () => {
        throw new Error('a bug in the app’s listener');
      });
      node.send({ action: 'info', payload: { event: 'channel_accept' } });
      await sleep(100);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(seen).toEqual([]);
    client.close();
  });

  it('listeners that throw or reject break nothing: states stored, replies sent, calls settled; each failure is an error event LISTENER_FAILED', async () => {
    const store = new MemoryStore();
    const { client, node, initial, opened: { channelId: channel } } = await startOpen({ store });
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const failures: string[] = [];
    let closeTx: SignedTx | undefined;
    try {
      // An `error` listener that throws is dropped (reporting it to itself would loop); the next one still hears.
      client.on('error', () => {
        throw new Error('the error listener itself');
      });
      client.on('error', (error) => failures.push(`${error.code} ${error.message}`));
      for (const event of ['signRequest', 'stateChanged', 'message', 'onChainTx', 'statusChanged', 'info'] as const) {
        client.on(event, () => {
          throw new Error(`sync ${event}`);
        });
        client.on(event, async () => {
          throw new Error(`async ${event}`);
        });
      }
      // the peer pays 1: acknowledged and stored
      node.send({ action: 'info', payload: { event: 'update' } });
      const round2 = await node.sign('update_ack', next2(initial));
      node.send({ action: 'update', payload: { state: encodeTx(round2) } });
      // our own transfer: proposed, signed, resolved
      const pending = client.update({ from: alice.address, to: bob.address, amount: 5n });
      await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
      const round3: ChannelOffchainTx = { ...(round2.tx as ChannelOffchainTx), previous_round: 2n, round: 3n, initiator_amount: 85n, responder_amount: 65n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 5n }] };
      node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', round3)) } });
      expect((await pending).round).toBe(3n);
      node.send({ action: 'message', payload: { message: { channel_id: channel, from: bob.address, to: alice.address, info: 'hi' } } });
      // and a close
      const closing = client.shutdown();
      await node.next((frame) => frame.action === 'shutdown');
      closeTx = await node.sign('shutdown_sign', { type: 'channel_close_mutual_tx', channel_id: decode(channel, 'ch'), initiator_amount: 84n, responder_amount: 65n, ttl: 1000n, fee: 1n, nonce: 2n });
      node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closeTx) } });
      expect((await closing).encoded).toBe(encodeTx(closeTx));
      await sleep(50);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(seen).toEqual([]);
    expect(client.status).toBe('closed');
    const stored = await store.load(channel);
    expect(stored?.round).toBe(3n);
    expect(stored?.closeTx).toBe(encodeTx(closeTx as SignedTx));
    for (const event of ['signRequest', 'stateChanged', 'message', 'onChainTx', 'statusChanged', 'info']) {
      expect(failures).toContain(`LISTENER_FAILED an app's ${event} listener failed: sync ${event}`);
      expect(failures).toContain(`LISTENER_FAILED an app's ${event} listener failed: async ${event}`);
    }
    expect(failures.every((failure) => failure.startsWith('LISTENER_FAILED '))).toBe(true);
    client.close();
  });

  it('a failure no part of the client declares (the app’s WebSocket whose send throws) is an error event INTERNAL with its cause, not an unhandled rejection', async () => {
    const failure = new Error('the socket refused the frame');
    /** A platform WebSocket that refuses every text frame once `failing` is set (keep-alives still go). */
    class FailingSend extends PlatformWebSocket {
      static failing = false;
      override send(data: string | Uint8Array): void {
        if (FailingSend.failing && typeof data === 'string') throw failure;
        super.send(data);
      }
    }
    const { client, node, initial } = await startOpen({ WebSocket: FailingSend as unknown as WebSocketConstructor });
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const errors: ClientError[] = [];
    client.on('error', (error) => errors.push(error));
    try {
      FailingSend.failing = true;
      // the peer pays 1: the client signs the acknowledgement, and its reply cannot be sent
      node.send({ action: 'info', payload: { event: 'update' } });
      node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(next2(initial)) } });
      for (let waited = 0; errors.length === 0 && waited < 2000; waited += 10) await sleep(10);
      await sleep(50);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      FailingSend.failing = false;
    }
    expect(seen).toEqual([]);
    expect(errors.map(({ name, code, message, cause }) => ({ name, code, message, cause }))).toEqual([
      { name: 'ClientError', code: 'INTERNAL', message: 'the socket refused the frame', cause: failure },
    ]);
    expect(node.received.filter((frame) => frame.action === 'update_ack')).toEqual([]);
    client.close();
  });

  it('calls made from inside a listener or the approve hook wait their turn: none is sent while a sign request is unanswered', async () => {
    let fromHook: Promise<unknown> | undefined;
    let client!: ChannelClient;
    const started = await startOpen({
      policy: {
        approve: (tx) => {
          // the app transfers back at once, from inside the hook of the peer's payment
          if (tx.type === 'channel_offchain_tx' && tx.round === 2n) fromHook = client.update({ from: alice.address, to: bob.address, amount: 3n });
          return true;
        },
      },
    });
    client = started.client;
    const { node, initial } = started;
    let fromListener: Promise<unknown> | undefined;
    client.on('signRequest', ({ tx }) => {
      if (tx?.type === 'channel_offchain_tx' && tx.round === 2n) fromListener = client.sendMessage(bob.address, 'thanks');
    });
    let fromState: Promise<unknown> | undefined;
    client.on('stateChanged', ({ round }) => {
      if (round === 2n) fromState = client.shutdown();
    });
    const count = node.received.length;
    node.send({ action: 'info', payload: { event: 'update' } });
    const round2 = await node.sign('update_ack', next2(initial));
    await sleep(30);
    // nothing was sent between the request and our reply, nor after it while the round waits for its outcome
    expect(node.received.slice(count).map((frame) => frame.action)).toEqual(['update_ack']);
    node.send({ action: 'update', payload: { state: encodeTx(round2) } });
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    // then in the order they were made: the listener's message, the hook's update
    expect(node.received.slice(count).map((frame) => `${frame.action}${frame.tag === undefined ? '' : ` ${frame.tag}`}`)).toEqual(['update_ack', 'message', 'update new']);
    const round3: ChannelOffchainTx = { ...(round2.tx as ChannelOffchainTx), previous_round: 2n, round: 3n, initiator_amount: 87n, responder_amount: 63n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 3n }] };
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', round3)) } });
    expect(await fromHook).toMatchObject({ round: 3n });
    await fromListener;
    await node.next((frame) => frame.action === 'shutdown');
    expect(node.received.slice(count).map((frame) => `${frame.action}${frame.tag === undefined ? '' : ` ${frame.tag}`}`)).toEqual(['update_ack', 'message', 'update new', 'update', 'shutdown']);
    expect(client.status).toBe('closing');
    client.close();
    expect(await settle(fromState as Promise<unknown>)).toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('a store whose save hangs: the call times out naming the store, and nothing is acknowledged or reported before the save ends', async () => {
    const store = new GatedStore();
    const { client, node, initial, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 200 });
    const reported: bigint[] = [];
    client.on('stateChanged', ({ round }) => reported.push(round));
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const round2 = await node.sign('update', next2(initial));
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save hangs
    node.send({ action: 'info', payload: { event: 'update' } });
    const round3: ChannelOffchainTx = { ...(round2.tx as ChannelOffchainTx), previous_round: 2n, round: 3n, initiator_amount: 91n, responder_amount: 59n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    const count = node.received.length;
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(round3) } });
    expect(await Promise.race([pending, sleep(1000).then(() => 'update() still pending')])).toMatchObject({
      code: 'TIMEOUT',
      message: 'the store did not finish saving a co-signed tx within 200 ms of the update',
    });
    await sleep(50);
    expect(node.received.slice(count)).toEqual([]);
    expect(client.round).toBe(1n);
    expect(reported).toEqual([]);
    release();
    await node.next((frame) => frame.action === 'update_ack' && node.received.indexOf(frame) >= count);
    expect((await store.load(channel))?.round).toBe(2n);
    expect(client.round).toBe(2n);
    expect(reported).toEqual([2n]);
    client.close();
  });

  it('close() while a save never ends: opened and every call reject at once with CONNECTION_CLOSED, and nothing is signed after', async () => {
    const store = new GatedStore();
    const signer = { address: alice.address, publicKey: alice.publicKey, asked: 0, sign: (message: Uint8Array) => ((signer.asked += 1), alice.sign(message)) };
    const { client, node: nodePromise } = await start({ store, signer });
    const node = await nodePromise;
    const opening = settle(client.opened);
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })); // waits for the opening, off the clock
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const create = await node.sign('initiator_sign', honestCreate());
    store.hold = new Promise<void>(() => undefined); // a hung disk: the save of the create never ends
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(honestInitial()) } }); // in line behind the save
    await sleep(50);
    const asked = signer.asked;
    const count = node.received.length;
    client.close();
    const outcomes = await Promise.race([Promise.all([opening, queued]), sleep(1000).then(() => 'still pending after 1 s')]);
    expect(outcomes).toMatchObject([
      { name: 'ClientError', code: 'CONNECTION_CLOSED', message: 'the connection to the node is closing: the client was closed (close()): nothing more is signed' },
      { name: 'ClientError', code: 'CONNECTION_CLOSED' },
    ]);
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await sleep(50);
    expect(signer.asked).toBe(asked);
    expect(node.received.slice(count)).toEqual([]);
  });

  it('close() while the save of the state an update() asked for never ends: the update rejects at once, not when its clock runs out', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store, callTimeoutMs: 60_000 });
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const queued = settle(client.sendMessage(bob.address, 'after the update'));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const round2 = await node.sign('update', next2(initial));
    store.hold = new Promise<void>(() => undefined);
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save never ends
    await sleep(50);
    const count = node.received.length;
    client.close();
    expect(await Promise.race([Promise.all([pending, queued]), sleep(1000).then(() => 'still pending after 1 s')])).toMatchObject([
      { code: 'CONNECTION_CLOSED' },
      { code: 'CONNECTION_CLOSED' },
    ]);
    await sleep(50);
    expect(node.received.slice(count)).toEqual([]); // the message in line was not sent
    expect(client.round).toBe(1n);
  });

  it('the node closes the connection while a save never ends: opened rejects with CONNECTION_CLOSED once callTimeoutMs ran out, not never', async () => {
    const store = new GatedStore();
    const { client, node: nodePromise } = await start({ store, callTimeoutMs: 200 });
    const node = await nodePromise;
    const died: string[] = [];
    client.on('died', ({ reason }) => died.push(reason));
    const opening = settle(client.opened);
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })); // waits for the opening, off the clock
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    const create = await node.sign('initiator_sign', honestCreate());
    store.hold = new Promise<void>(() => undefined); // a hung disk: the save of the create never ends
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
    node.send({ action: 'sign', tag: 'update', payload: { tx: encodeTx(honestInitial()) } }); // in line behind the save
    await sleep(50);
    node.socket.terminate();
    // the old code left both pending for good: the socket's close waits behind the save
    expect(await Promise.race([Promise.all([opening, queued]), sleep(1000).then(() => 'still pending after 1 s')])).toMatchObject([
      { name: 'ClientError', code: 'CONNECTION_CLOSED', message: 'the connection closed (1006), and the frames received before were not handled within 200 ms: the store did not finish saving a co-signed tx' },
      { name: 'ClientError', code: 'CONNECTION_CLOSED' },
    ]);
    expect(client.status).toBe('disconnected');
    expect(died).toEqual(['connection closed (1006)']);
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('the node closes the connection while the save of a peer’s state never ends: a call in line rejects at once (it cannot be sent), not when its clock runs out', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store, callTimeoutMs: 60_000 });
    node.send({ action: 'info', payload: { event: 'update' } });
    const bobPays: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    const round2 = await node.sign('update_ack', bobPays);
    store.hold = new Promise<void>(() => undefined);
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save never ends
    await sleep(50);
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })); // behind the peer's round
    node.socket.terminate();
    expect(await Promise.race([queued, sleep(1000).then(() => 'still pending after 1 s')])).toMatchObject({
      name: 'ClientError',
      code: 'CONNECTION_CLOSED',
      message: 'the connection closed (1006): the call was not sent',
    });
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
  });

  it('the node closes the connection right after the close tx, while its save is slow: shutdown() still resolves with it', async () => {
    const store = new GatedStore();
    const { client, node, id, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 1000 });
    const pending = settle(client.shutdown());
    await node.next((frame) => frame.action === 'shutdown');
    const closed = await node.sign('shutdown_sign', { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n });
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } }); // its save waits
    await sleep(50);
    node.socket.terminate();
    await sleep(100);
    release();
    expect(await pending).toMatchObject({ resolved: { encoded: encodeTx(closed) } });
    expect(client.status).toBe('closed');
    expect((await store.load(channel))?.closeTx).toBe(encodeTx(closed));
  });

  it('the node closes the connection while the approve hook never answers the create: opened, then the call in line, reject callTimeoutMs later, and the channel holds no timer of its own up', async () => {
    const policy: SignPolicy = { approve: () => new Promise<boolean>(() => undefined) }; // a prompt nobody answers
    const { client, node: nodePromise } = await start({ policy, callTimeoutMs: 1000 });
    const node = await nodePromise;
    const order: string[] = [];
    const opening = settle(client.opened).then((outcome) => (order.push('opened'), outcome));
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })).then((outcome) => (order.push('queued'), outcome));
    const asked = new Promise((resolve) => client.on('signRequest', resolve));
    node.send({ action: 'info', payload: { event: 'channel_accept' } });
    node.send({ action: 'sign', tag: 'initiator_sign', payload: { tx: encodeTx(honestCreate()) } });
    await asked;
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const closedAt = Date.now();
    node.socket.terminate();
    await sleep(50);
    expect(timers()).toBeLessThanOrEqual(before); // the channel's end timer does not keep the process alive
    const ended = 'the connection closed (1006), and the frames received before were not handled within 1000 ms: a sign request was still being answered';
    expect(await Promise.race([Promise.all([opening, queued]), sleep(4000).then(() => 'still pending after 4 s')])).toMatchObject([
      { name: 'ClientError', code: 'CONNECTION_CLOSED', message: ended },
      { name: 'ClientError', code: 'CONNECTION_CLOSED', message: ended },
    ]);
    const elapsed = Date.now() - closedAt;
    // callTimeoutMs, not three times it: wide enough for a loaded machine
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(2500);
    expect(order).toEqual(['opened', 'queued']); // the call in line waited for the frames that could open the channel
    expect(client.status).toBe('disconnected');
  });

  it('the node closes the connection while the save of the update in flight is slow: the update resolves with its state, and only then the call in line rejects', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store, callTimeoutMs: 1000 });
    const order: string[] = [];
    const first = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })).then((outcome) => (order.push('first'), outcome));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const alicePays: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 99n, responder_amount: 51n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 1n }] };
    const round2 = await node.sign('update', alicePays);
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n })).then((outcome) => (order.push('queued'), outcome));
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save waits
    await sleep(50);
    node.socket.terminate();
    await sleep(100);
    expect(order).toEqual([]); // the call in line waits behind the update in flight, whose outcome is in line
    release();
    expect(await first).toMatchObject({ resolved: { round: 2n } });
    expect(await queued).toMatchObject({ name: 'ClientError', code: 'CONNECTION_CLOSED', message: 'the connection to the node is closing: the connection closed (1006): nothing more is signed' });
    expect(order).toEqual(['first', 'queued']);
    expect((await store.load(client.channelId as `ch$${string}`))?.round).toBe(2n);
  });

  it('the node closes the connection while a call waits behind an update the peer announced, with no frame in line: the call rejects with the close', async () => {
    const { client, node } = await startOpen({ callTimeoutMs: 60_000 });
    const announced = new Promise((resolve) => client.on('info', resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    await announced;
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n }));
    node.socket.terminate();
    expect(await Promise.race([queued, sleep(1000).then(() => 'still pending after 1 s')])).toMatchObject({ name: 'ClientError', code: 'CONNECTION_CLOSED', message: 'the connection closed (1006)' });
    expect(client.status).toBe('disconnected');
  });

  it('the node closes the connection while the save of a peer’s state outlasts callTimeoutMs: the channel ends, then the state is still stored and reported, and the request behind it is not signed', async () => {
    const store = new GatedStore();
    const { client, node, initial } = await startOpen({ store, callTimeoutMs: 200 });
    const events: string[] = [];
    client.on('died', () => events.push('died'));
    client.on('stateChanged', ({ round }) => events.push(`stateChanged ${round}`));
    client.on('signRefused', ({ reason }) => events.push(`signRefused: ${reason}`));
    node.send({ action: 'info', payload: { event: 'update' } });
    const bobPays: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    const round2 = await node.sign('update_ack', bobPays);
    let release!: () => void;
    store.hold = new Promise<void>((resolve) => (release = resolve));
    node.send({ action: 'update', payload: { state: encodeTx(round2) } }); // its save waits
    const round3 = { ...bobPays, previous_round: 2n, round: 3n, initiator_amount: 102n, responder_amount: 48n };
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(round3) } }); // in line behind the save
    await sleep(50);
    const count = node.received.length;
    node.socket.terminate();
    await sleep(400);
    expect(events).toEqual(['died']);
    expect(client.status).toBe('disconnected');
    release();
    await sleep(100);
    expect(events).toEqual(['died', 'stateChanged 2', 'signRefused: the connection closed (1006): nothing more is signed']);
    expect(client.round).toBe(2n);
    expect((await store.load(client.channelId as `ch$${string}`))?.round).toBe(2n);
    expect(client.status).toBe('disconnected');
    expect(node.received.slice(count)).toEqual([]);
  });

  it('a frame flood while a save never ends, over a socket whose close never completes: opened rejects callTimeoutMs after the client gave the connection up', async () => {
    /** A platform WebSocket whose closing handshake never ends: no close event. */
    class HungClose extends PlatformWebSocket {
      override close(): void {}
    }
    const store = new GatedStore();
    const { client, node: nodePromise } = await start({ store, callTimeoutMs: 200, WebSocket: HungClose as unknown as WebSocketConstructor });
    const node = await nodePromise;
    try {
      const opening = settle(client.opened);
      node.send({ action: 'info', payload: { event: 'channel_accept' } });
      const create = await node.sign('initiator_sign', honestCreate());
      store.hold = new Promise<void>(() => undefined); // the save of the create never ends
      node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(create) } });
      await sleep(50);
      const info = JSON.stringify({ action: 'info', payload: { event: 'update' } });
      for (let count = 0; count <= MAX_PENDING_FRAMES; count += 1) node.socket.send(info);
      expect(await Promise.race([opening, sleep(1000).then(() => 'still pending after 1 s')])).toMatchObject({
        name: 'ClientError',
        code: 'CONNECTION_CLOSED',
        message: 'the connection closed (1008 frame flood), and the frames received before were not handled within 200 ms: the store did not finish saving a co-signed tx',
      });
      expect(client.status).toBe('disconnected');
    } finally {
      node.socket.terminate();
    }
  });
});

/** Sends a sign request and tells what the client did: `signed`, or `refused: <reason>`. */
async function signOrRefuse(client: ChannelClient, node: ScriptedNode, tag: string, tx: UnsignedTx): Promise<string> {
  const refused = new Promise<string>((resolve) => client.on('signRefused', ({ reason }) => resolve(`refused: ${reason}`)));
  const count = node.received.length;
  node.send({ action: 'sign', tag, payload: { tx: encodeTx(tx) } });
  return Promise.race([refused, node.next((frame) => frame.action === tag && node.received.indexOf(frame) >= count).then(() => 'signed')]);
}

/** The outcome of a call as a value, observed at once (a refusal may come before the test awaits it). */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
}


describe('a node that fails', () => {
  it('drops the connection mid-update: typed errors, no crash, the store keeps round 1', async () => {
    const store = new MemoryStore();
    const { client, node: nodePromise } = await start({ store });
    const node = await nodePromise;
    await openHonestly(node);
    const { channelId } = await client.opened;
    const died = new Promise((resolve) => client.on('died', resolve));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    node.socket.terminate();
    expect(await pending).toMatchObject({ name: 'ClientError', code: 'CONNECTION_CLOSED' });
    await died;
    expect(client.status).toBe('disconnected');
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect((await store.load(channelId))?.round).toBe(1n);
  });

  it('stops answering: the call times out with TIMEOUT, the channel says it is stalled, the store keeps round 1', async () => {
    const store = new MemoryStore();
    const { client, node: nodePromise } = await start({ store, callTimeoutMs: 200 });
    const node = await nodePromise;
    await openHonestly(node);
    const { channelId } = await client.opened;
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    expect(await pending).toMatchObject({ name: 'ClientError', code: 'TIMEOUT' });
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    expect((await store.load(channelId))?.round).toBe(1n);
    client.close();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Bob pays alice `amount` on top of round 1. */
  const bobPays = (initial: ChannelOffchainTx, amount: bigint): ChannelOffchainTx => ({ ...initial, previous_round: 1n, round: 2n, initiator_amount: 100n + amount, responder_amount: 50n - amount, updates: [{ from: bob.publicKey, to: alice.publicKey, amount }] });

  /** The node announces a peer's update (`info update`); resolves once the client has it. */
  const announcePeerUpdate = async (client: ChannelClient, node: ScriptedNode) => {
    const seen = new Promise((resolve) => client.on('info', resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    await seen;
  };

  // Calls queued behind a round the node never ends used to wait for good: the clock only ran once a call was sent.
  it.each([
    ['announces an update of the peer, then stays silent', async (node: ScriptedNode) => node.send({ action: 'info', payload: { event: 'update' } }), /^the round in progress did not end within 200 ms \(the node announced an update of the peer and sent no sign request\): the update was not sent$/],
    ['has our acknowledgement of the peer’s update, then stays silent', async (node: ScriptedNode, initial: ChannelOffchainTx) => {
      node.send({ action: 'info', payload: { event: 'update' } });
      await node.sign('update_ack', bobPays(initial, 1n)); // the co-signed state never comes
    }, /^the round in progress did not end within 200 ms \(our signature of the update_ack still waits for its outcome from the node\): the update was not sent$/],
  ] as const)('%s: the queued calls time out (TIMEOUT, then CHANNEL_STALLED), nothing is sent, the store keeps round 1', async (_case, stall, reason) => {
    const store = new MemoryStore();
    const { client, node, initial, opened: { channelId: channel } } = await startOpen({ store, callTimeoutMs: 200 });
    const seen = new Promise((resolve) => client.on('info', resolve));
    await stall(node, initial);
    await seen;
    const first = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const second = settle(client.sendMessage(bob.address, 'queued behind'));
    expect(await Promise.race([first, sleep(1000).then(() => 'update still queued 1 s on')])).toMatchObject({ name: 'ClientError', code: 'TIMEOUT', message: expect.stringMatching(reason) });
    expect(await Promise.race([second, sleep(100).then(() => 'message still queued')])).toMatchObject({ code: 'CHANNEL_STALLED' });
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_STALLED' });
    expect(node.received.filter((frame) => (frame.action === 'update' && frame.tag === 'new') || frame.action === 'message')).toEqual([]);
    expect((await store.load(channel))?.round).toBe(1n);
    client.close();
  });

  it('a call queued before the channel opens waits for the opening off the clock, and is sent once it is open', async () => {
    const { client, node: nodePromise } = await start({ callTimeoutMs: 200 });
    const node = await nodePromise;
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await sleep(400); // funding confirmations take their time
    const { initial } = await openHonestly(node);
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const next: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', next)) } });
    expect(await pending).toMatchObject({ resolved: { round: 2n } });
    client.close();
  });

  it('a call queued behind a peer’s round that ends in time is sent then; its clock runs on (it started when the call was next in line)', async () => {
    const { client, node, initial } = await startOpen({ callTimeoutMs: 400 });
    await announcePeerUpdate(client, node);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await sleep(250);
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update_ack', bobPays(initial, 1n))) } });
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    // The node now never asks us to sign the transfer: 400 ms from when the call was next in line, not from when it was sent.
    const outcome = await Promise.race([pending, sleep(300).then(() => 'update still pending 550 ms after it was queued')]);
    expect(outcome).toMatchObject({ code: 'TIMEOUT', message: 'the node did not answer the update within 400 ms' });
    expect(client.round).toBe(2n);
    client.close();
  });

  it('a call queued behind a peer’s update waits off the clock while the user decides on it (the approve hook), and is sent after', async () => {
    let asked!: () => void;
    const prompted = new Promise<void>((resolve) => (asked = resolve));
    let decide!: () => void;
    const decided = new Promise<void>((resolve) => (decide = resolve));
    const approve = async (_tx: UnsignedTx, { purpose }: { purpose: string }) => {
      if (purpose !== 'update_ack') return true;
      asked();
      await decided;
      return true;
    };
    const { client, node, initial } = await startOpen({ callTimeoutMs: 200, policy: { approve } });
    await announcePeerUpdate(client, node);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const message = settle(client.sendMessage(bob.address, 'in line behind the update')); // no second clock for the update
    const acknowledged = node.sign('update_ack', bobPays(initial, 1n));
    await prompted;
    const meanwhile = settle(client.sendMessage(bob.address, 'sent while the prompt is open')); // does not start the clock again
    await sleep(500); // the user takes longer than callTimeoutMs on the prompt
    expect(await Promise.race([pending, sleep(0).then(() => 'still queued')])).toBe('still queued');
    decide();
    node.send({ action: 'update', payload: { state: encodeTx(await acknowledged) } });
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const next: ChannelOffchainTx = { ...initial, previous_round: 2n, round: 3n, initiator_amount: 91n, responder_amount: 59n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', next)) } });
    expect(await pending).toMatchObject({ resolved: { round: 3n } });
    expect([await message, await meanwhile]).toEqual([{ resolved: undefined }, { resolved: undefined }]);
    await expect.poll(() => node.received.filter((frame) => frame.action === 'message').length).toBe(2);
    client.close();
  });

  it('a call queued behind a peer’s update runs its clock again once we answered: a node that then never ends the round times it out', async () => {
    const { client, node, initial } = await startOpen({ callTimeoutMs: 200 });
    await announcePeerUpdate(client, node);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.sign('update_ack', bobPays(initial, 1n)); // answered; the co-signed state never comes
    expect(await Promise.race([pending, sleep(1000).then(() => 'update still queued 1 s on')])).toMatchObject({
      code: 'TIMEOUT',
      message: 'the round in progress did not end within 200 ms (our signature of the update_ack still waits for its outcome from the node): the update was not sent',
    });
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
    client.close();
  });

  it('calls made behind a call that waits do not start its clock again: it times out callTimeoutMs after it was next in line', async () => {
    const { client, node } = await startOpen({ callTimeoutMs: 200 });
    await announcePeerUpdate(client, node);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    const behind: Promise<unknown>[] = [];
    const queueing = setInterval(() => behind.push(settle(client.sendMessage(bob.address, 'in line behind the update'))), 50);
    try {
      expect(await Promise.race([pending, sleep(700).then(() => 'update still queued 700 ms on')])).toMatchObject({
        code: 'TIMEOUT',
        message: 'the round in progress did not end within 200 ms (the node announced an update of the peer and sent no sign request): the update was not sent',
      });
    } finally {
      clearInterval(queueing);
    }
    for (const call of await Promise.all(behind)) expect(call).toMatchObject({ code: 'CHANNEL_STALLED' });
    client.close();
  });

  it('calls in line behind a message are sent with it once the round in progress ends: a message does not hold the line', async () => {
    const { client, node, initial } = await startOpen();
    await announcePeerUpdate(client, node);
    const message = settle(client.sendMessage(bob.address, 'first in line'));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update_ack', bobPays(initial, 1n))) } });
    const sent = node.next((frame) => frame.action === 'update' && frame.tag === 'new').then(() => 'sent');
    expect(await Promise.race([sent, sleep(1000).then(() => 'update still queued behind the message 1 s on')])).toBe('sent');
    expect(await message).toEqual({ resolved: undefined });
    expect(node.received.filter((frame) => frame.action === 'message' || (frame.action === 'update' && frame.tag === 'new')).map((frame) => frame.action)).toEqual(['message', 'update']);
    const next: ChannelOffchainTx = { ...initial, previous_round: 2n, round: 3n, initiator_amount: 91n, responder_amount: 59n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', next)) } });
    expect(await pending).toMatchObject({ resolved: { round: 3n } });
    client.close();
  });

  it('a call queued behind our acknowledgement of the peer’s close ends with CHANNEL_CLOSED once the close is on chain, also when no died follows', async () => {
    const { client, node, id } = await startOpen(); // callTimeoutMs 60 s: the call ends with the close, not with its clock
    const close: ChannelCloseMutualTx = { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 99n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n };
    const closed = await node.sign('shutdown_sign_ack', close);
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    node.send({ action: 'on_chain_tx', payload: { tx: encodeTx(closed) } });
    expect(await Promise.race([pending, sleep(1000).then(() => 'update still queued 1 s on')])).toMatchObject({ code: 'CHANNEL_CLOSED', message: 'the channel is closed' });
    expect(client.status).toBe('closed');
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
    expect(node.received.filter((frame) => frame.action === 'update' && frame.tag === 'new')).toEqual([]);
    client.close();
  });

  it('an error about another request than the call in flight, and an abort, are error events: the call goes on', async () => {
    const { client, node, initial } = await startOpen();
    const errors: { code: string; reason: unknown }[] = [];
    client.on('error', (error) => errors.push({ code: error.code, reason: error.context.reason }));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    // the echo of a signing reply (an update without tag), not of the update/new in flight
    node.send({ action: 'error', payload: { reason: 'broken_encoding', request: { action: 'update', payload: { tx: 'tx$1' } } } });
    node.send({ action: 'error', payload: { message: 'invalid_update_ack' } });
    expect(await Promise.race([pending, sleep(50).then(() => 'still pending')])).toBe('still pending');
    const next: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    node.send({ action: 'update', payload: { state: encodeTx(await node.sign('update', next)) } });
    expect(await pending).toMatchObject({ resolved: { round: 2n } });
    expect(errors).toEqual([
      { code: 'REQUEST_REJECTED', reason: 'broken_encoding' },
      { code: 'CHANNEL_ABORTED', reason: 'invalid_update_ack' },
    ]);
    client.close();
  });

  it('sends malformed frames: each is an error event, the channel goes on', async () => {
    const { client, node, initial } = await startOpen();
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    for (const text of ['not json', '[]', '{"action":"info"}', '{"action":"dance"}', '{"action":"update","payload":{"state":"tx$1"}}']) {
      node.socket.send(text);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'UNEXPECTED_TX']);
    expect(client.status).toBe('open');
    // …and a real update still goes through.
    const pending = client.update({ from: alice.address, to: bob.address, amount: 10n });
    await node.next((frame) => frame.action === 'update' && frame.tag === 'new');
    const next: ChannelOffchainTx = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 90n, responder_amount: 60n, updates: [{ from: alice.publicKey, to: bob.publicKey, amount: 10n }] };
    const coSigned = await node.sign('update', next);
    node.send({ action: 'update', payload: { state: encodeTx(coSigned) } });
    expect((await pending).round).toBe(2n);
    client.close();
  });
});


describe('a hostile node: resource bounds', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A valid frame padded with whitespace to `bytes` bytes. */
  const padded = (frame: string, bytes: number) => frame.slice(0, -1) + ' '.repeat(bytes - frame.length) + frame.slice(-1);
  const implementations = [
    ['ws (maxPayload)', undefined],
    ['the platform WebSocket (no limit of its own)', PlatformWebSocket as unknown as WebSocketConstructor],
  ] as const;

  it.each(implementations)('with %s: a frame of MAX_FRAME_BYTES is read, one byte more ends the connection (calls rejected, the store keeps round 1)', async (_name, WebSocket) => {
    const store = new MemoryStore();
    const { client, node, opened: { channelId: channel } } = await startOpen({ store, ...(WebSocket === undefined ? {} : { WebSocket }) });
    const errors: { code: string; message: string }[] = [];
    const infos: string[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('info', ({ event }) => infos.push(event));
    const died = new Promise((resolve) => client.on('died', resolve));
    const frame = JSON.stringify({ action: 'info', payload: { event: 'open' } });
    node.socket.send(padded(frame, MAX_FRAME_BYTES));
    const pending = settle(client.update({ from: alice.address, to: bob.address, amount: 10n }));
    await node.next((received) => received.action === 'update' && received.tag === 'new');
    const queued = settle(client.update({ from: alice.address, to: bob.address, amount: 1n }));
    node.socket.send(padded(frame, MAX_FRAME_BYTES + 1));
    const outcome = await Promise.race([pending, sleep(2000).then(() => 'update still pending 2 s after the frame')]);
    expect(outcome).toMatchObject({ code: 'CONNECTION_CLOSED', message: `the connection closed (1009 a frame above ${MAX_FRAME_BYTES} bytes)` });
    expect(await queued).toMatchObject({ code: 'CONNECTION_CLOSED' });
    await died;
    expect(infos).toEqual(['open']);
    expect(errors.map(({ code }) => code)).toEqual(['MALFORMED_FRAME']);
    expect(errors[0]?.message).toBe(`the node sent a frame above ${MAX_FRAME_BYTES} bytes (MAX_FRAME_BYTES), larger than any of the protocol: the connection is closed`);
    expect(client.status).toBe('disconnected');
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect((await store.load(channel))?.round).toBe(1n);
    // The node's side is closed too: nothing more is read from it.
    expect(await Promise.race([new Promise((resolve) => (node.socket.readyState === node.socket.CLOSED ? resolve('closed') : node.socket.once('close', () => resolve('closed')))), sleep(2000).then(() => 'open')])).toBe('closed');
  });

  it.each(implementations)('with %s: the limit counts bytes of UTF-8, not characters', async (_name, WebSocket) => {
    const { client, node, opened: { channelId: channel } } = await startOpen(WebSocket === undefined ? {} : { WebSocket });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const died = new Promise((resolve) => client.on('died', resolve));
    const report = (info: string) => JSON.stringify({ action: 'message', payload: { message: { channel_id: channel, from: bob.address, to: alice.address, info } } });
    // '€' is 3 bytes in 1 unit, '😀' 4 bytes in 2: 7 bytes in 3 characters.
    const unit = '€😀';
    const text = report(unit.repeat(Math.ceil(MAX_FRAME_BYTES / 7)));
    expect(text.length).toBeLessThan(MAX_FRAME_BYTES / 2);
    node.socket.send(text);
    expect(await Promise.race([died, sleep(2000).then(() => 'not died')])).toEqual({ reason: 'connection closed (1009)' });
    expect(errors).toEqual(['MALFORMED_FRAME']);
  });

  // The platform WebSocket has no limit: the client counts the bytes itself, from the characters.
  it.each([
    ['😀 (4 bytes in 2 units)', '😀', 4],
    ['€ (3 bytes)', '€', 3],
    ['U+0080 (2 bytes)', '\u0080', 2],
  ] as const)('with the platform WebSocket: a frame of exactly MAX_FRAME_BYTES bytes of %s is read, also as a binary frame; one byte more ends the connection', async (_name, character, size) => {
    const { client, node } = await startOpen({ WebSocket: PlatformWebSocket as unknown as WebSocketConstructor });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    const died = new Promise((resolve) => client.on('died', resolve));
    /** A frame of `bytes` bytes of UTF-8, most of them `character`s (a key the parser refuses: MALFORMED_FRAME once read). */
    const frameOf = (bytes: number) => {
      const [head, tail] = ['{"action":"info","payload":{"event":"open","padding":"', '"}}'];
      const count = Math.floor((bytes - head.length - tail.length) / size);
      return head + character.repeat(count) + ' '.repeat(bytes - head.length - tail.length - count * size) + tail;
    };
    const exact = frameOf(MAX_FRAME_BYTES);
    expect(Buffer.byteLength(exact)).toBe(MAX_FRAME_BYTES);
    node.socket.send(exact);
    node.socket.send(Buffer.from(exact), { binary: true });
    await expect.poll(() => errors).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME']);
    expect(client.status).toBe('open');
    node.socket.send(frameOf(MAX_FRAME_BYTES + 1));
    expect(await Promise.race([died, sleep(2000).then(() => 'not died')])).toEqual({ reason: 'connection closed (1009)' });
    expect(errors).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME']);
  });

  it.each(implementations)('with %s: a frame too large as the very first frame ends the connection; opened rejects', async (_name, WebSocket) => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/channel' });
    server.on('connection', (socket) => socket.send(padded(JSON.stringify({ action: 'info', payload: { event: 'channel_accept' } }), 4 * MAX_FRAME_BYTES)));
    await new Promise((resolve) => server?.once('listening', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/channel`;
    const client = await ChannelClient.connect({ url, role: 'initiator', params: terms(), signer: alice, ...(WebSocket === undefined ? {} : { WebSocket }) });
    // (Its `error` event may come before connect() resolves, when the frame came in the tick the socket opened.)
    expect(await Promise.race([settle(client.opened), sleep(2000).then(() => 'opened still pending')])).toMatchObject({
      code: 'CONNECTION_CLOSED',
      message: `the connection closed (1009 a frame above ${MAX_FRAME_BYTES} bytes)`,
    });
    expect(client.status).toBe('disconnected');
  });

  it('a compressed frame is judged by its size once inflated (a deflate bomb ends the connection)', async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/channel', perMessageDeflate: true });
    const node = new Promise<ScriptedNode>((resolve) => server?.once('connection', (socket) => resolve(new ScriptedNode(socket))));
    await new Promise((resolve) => server?.once('listening', resolve));
    const client = await ChannelClient.connect({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/channel`, role: 'initiator', params: terms(), signer: alice });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    // 8 MiB of spaces: some KiB on the wire.
    (await node).socket.send(padded(JSON.stringify({ action: 'info', payload: { event: 'channel_accept' } }), 16 * MAX_FRAME_BYTES), { compress: true });
    expect(await Promise.race([settle(client.opened), sleep(2000).then(() => 'opened still pending')])).toMatchObject({
      code: 'CONNECTION_CLOSED',
      message: `the connection closed (1009 a frame above ${MAX_FRAME_BYTES} bytes)`,
    });
    expect(errors).toEqual(['MALFORMED_FRAME']);
  });

  it('frames within the limit but as deep or as wide as it allows are handled, one by one, and the channel goes on', async () => {
    const { client, node } = await startOpen();
    const reasons: string[] = [];
    const both = new Promise((resolve) => client.on('error', (error) => reasons.push(`${error.code} ${error.context.reason ?? ''}`) === 2 && resolve(undefined)));
    const envelope = (inner: string) => `{"action":"error","payload":{"reason":"function_clause","request":{"action":"update","tag":"new","payload":${inner}}}}`;
    const room = MAX_FRAME_BYTES - envelope('').length;
    const depth = Math.floor(room / 2);
    const keys = Array.from({ length: Math.floor(room / 16) }, (_, index) => `"k${index}":${10n ** 19n}`).join(',');
    const frames = [envelope(`${'['.repeat(depth)}${']'.repeat(depth)}`), envelope(`{${keys.slice(0, room - 2).replace(/,[^,]*$/, '')}}`)];
    for (const frame of frames) expect(frame.length).toBeGreaterThan(MAX_FRAME_BYTES - 64);
    for (const frame of frames) node.socket.send(frame);
    await Promise.race([both, sleep(3000)]);
    expect(reasons).toEqual(['MALFORMED_FRAME ', 'REQUEST_REJECTED function_clause']);
    expect(client.status).toBe('open');
    client.close();
  });

  it('the largest frames of the protocol are read: a message of 65 535 bytes all escaped, and an error echoing ours', async () => {
    const { client, node, opened: { channelId: channel } } = await startOpen();
    const info = '\u0001'.repeat(65_535); // each byte 6 in JSON: \u0001
    const messages: string[] = [];
    const errors: { code: string; context: { reason?: string } }[] = [];
    client.on('message', (message) => messages.push(message.info));
    client.on('error', (error) => errors.push(error));
    const report = JSON.stringify({ action: 'message', payload: { message: { channel_id: channel, from: bob.address, to: alice.address, info } } });
    expect(report.length).toBeGreaterThan(6 * 65_535);
    node.socket.send(report);
    await client.sendMessage(bob.address, info);
    const request = await node.next((frame) => frame.action === 'message');
    const echo = JSON.stringify({ action: 'error', payload: { reason: 'unknown_recipient', request } });
    expect(echo.length).toBeGreaterThan(6 * 65_535);
    node.socket.send(echo);
    await sleep(100);
    expect(messages).toEqual([info]);
    expect(errors.map((error) => [error.code, error.context.reason])).toEqual([['REQUEST_REJECTED', 'unknown_recipient']]);
    expect(client.status).toBe('open');
    client.close();
  });

  const openFrame = JSON.stringify({ action: 'info', payload: { event: 'open' } });
  /** The frames that fit beside a sign request of `request` characters waiting: they fill the backlog exactly. */
  const fillFrames = () => Array.from({ length: MAX_PENDING_FRAMES - 1 }, () => openFrame);
  const fillCharacters = (request: number) => {
    const full = MAX_PENDING_FRAME_TEXT / MAX_FRAME_BYTES - 1;
    return [...Array.from({ length: full }, () => padded(openFrame, MAX_FRAME_BYTES)), padded(openFrame, MAX_PENDING_FRAME_TEXT - full * MAX_FRAME_BYTES - request)];
  };
  it.each([
    ['frames', 'ws', undefined, fillFrames, 1008],
    ['characters', 'ws', undefined, fillCharacters, 1008],
    // which can close only with 1000 or 3000–4999
    ['frames', 'the platform WebSocket', PlatformWebSocket as unknown as WebSocketConstructor, fillFrames, 1000],
  ] as const)('a flood of %s over %s while a sign request waits for the app: the connection ends past the limit (FRAME_FLOOD), the frames before it are handled, the request waiting is not signed, the store keeps round 1', async (_what, _name, WebSocket, fill, code) => {
    let approve!: () => void;
    const approved = new Promise<boolean>((resolve) => (approve = () => resolve(true)));
    let asked!: () => void;
    const waiting = new Promise<void>((resolve) => (asked = resolve));
    const store = new MemoryStore();
    const policy: SignPolicy = { approve: (_tx, { purpose }) => (purpose === 'update_ack' ? (asked(), approved) : true) };
    const { client, node, initial, opened: { channelId: channel } } = await startOpen({ store, policy, ...(WebSocket === undefined ? {} : { WebSocket }) });
    const errors: string[] = [];
    let infos = 0;
    // (with the info events at the time: the error comes after the frames received before the flood are handled)
    client.on('error', (error) => errors.push(`${error.code} after ${infos} info events`));
    client.on('info', () => (infos += 1));
    const refusals: string[] = [];
    client.on('signRefused', ({ reason }) => refusals.push(reason));
    const died = new Promise((resolve) => client.on('died', resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    const request = { ...initial, previous_round: 1n, round: 2n, initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] };
    const signRequest = { action: 'sign', tag: 'update_ack', payload: { tx: encodeTx(request) } };
    node.send(signRequest);
    // Once the hook has it, the info before it is handled: the frames could otherwise come in
    // one read with both, and the backlog would count the info too.
    await waiting;
    // The sign request waits for the hook: it and the frames below fill the backlog to its limit, which is allowed.
    const allowed = fill(JSON.stringify(signRequest).length);
    for (const frame of allowed) node.socket.send(frame);
    await sleep(300);
    expect(errors).toEqual([]);
    expect(node.socket.readyState).toBe(node.socket.OPEN);
    node.socket.send(openFrame);
    // Nothing more is read: a frame too large right behind it is no second error.
    node.socket.send(padded(openFrame, 2 * MAX_FRAME_BYTES));
    const closed = await Promise.race([new Promise((resolve) => node.socket.once('close', (closeCode) => resolve(closeCode))), sleep(2000).then(() => 'still open')]);
    expect(closed).toBe(code);
    approve();
    await died;
    await sleep(50);
    expect(errors).toEqual([`FRAME_FLOOD after ${1 + allowed.length} info events`]);
    // The request the hook approved is not signed: the reply could not reach the node.
    expect(refusals).toEqual(['the client gave up the connection (FRAME_FLOOD): nothing more is signed']);
    expect(infos).toBe(1 + allowed.length); // the update event, and every frame before the limit
    expect(client.status).toBe('disconnected');
    await expect(client.update({ from: alice.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect((await store.load(channel))?.round).toBe(1n);
  });

  it('a flood ends the channel also when the socket’s close never completes, and nothing more is read from it', async () => {
    /** A platform WebSocket whose closing handshake never ends: no close event. */
    class HungClose extends PlatformWebSocket {
      override close(): void {}
    }
    let approve!: () => void;
    const approved = new Promise<boolean>((resolve) => (approve = () => resolve(true)));
    const policy: SignPolicy = { approve: (_tx, { purpose }) => (purpose === 'update_ack' ? approved : true) };
    const { client, node, initial } = await startOpen({ policy, WebSocket: HungClose as unknown as WebSocketConstructor });
    const errors: string[] = [];
    let infos = 0;
    client.on('error', (error) => errors.push(error.code));
    client.on('info', () => (infos += 1));
    const died = new Promise((resolve) => client.on('died', resolve));
    node.send({ action: 'info', payload: { event: 'update' } });
    node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx({ ...initial, previous_round: 1n, round: 2n, initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] }) } });
    for (let count = 0; count < MAX_PENDING_FRAMES; count++) node.socket.send(openFrame);
    await sleep(300);
    approve();
    expect(await Promise.race([died, sleep(1000).then(() => 'not died')])).toEqual({ reason: 'connection closed (1008)' });
    expect(errors).toEqual(['FRAME_FLOOD']);
    expect(client.status).toBe('disconnected');
    const handled = infos;
    node.socket.send(openFrame); // the socket is still open: the client reads nothing more
    await sleep(50);
    expect(infos).toBe(handled);
    node.socket.terminate();
  });

  it('a flood stops the keep-alives at once, while the sign request it cut off still waits for the app', async () => {
    let closing!: () => void;
    const closed = new Promise<void>((resolve) => (closing = resolve));
    /** A platform WebSocket whose closing handshake never ends: no close event. */
    class HungClose extends PlatformWebSocket {
      override close(): void {
        closing();
      }
    }
    let approve!: () => void;
    const approved = new Promise<boolean>((resolve) => (approve = () => resolve(true)));
    let asked!: () => void;
    const waiting = new Promise<void>((resolve) => (asked = resolve));
    const policy: SignPolicy = { approve: (_tx, { purpose }) => (purpose === 'update_ack' ? (asked(), approved) : true) };
    const keepAlives = () => PlatformWebSocket.sent.filter((frame) => typeof frame !== 'string').length;
    const { node, initial } = await startOpen({ policy, pingIntervalMs: 20, WebSocket: HungClose as unknown as WebSocketConstructor });
    try {
      const before = keepAlives();
      await sleep(100);
      expect(keepAlives()).toBeGreaterThan(before);
      node.send({ action: 'info', payload: { event: 'update' } });
      node.send({ action: 'sign', tag: 'update_ack', payload: { tx: encodeTx({ ...initial, previous_round: 1n, round: 2n, initiator_amount: 101n, responder_amount: 49n, updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 1n }] }) } });
      await waiting; // the sign request waits for the app: every frame from now on waits behind it
      for (let count = 0; count < MAX_PENDING_FRAMES; count++) node.socket.send(openFrame);
      await closed;
      // the frames before the flood wait for the app's answer, and so would the close's clean-up
      const stopped = keepAlives();
      await sleep(200);
      expect(keepAlives()).toBe(stopped);
    } finally {
      approve();
      node.socket.terminate();
    }
  });

  it('frames handled leave the backlog: more frames and characters than its limits, one after the other, and the channel goes on', async () => {
    const { client, node } = await startOpen();
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    let infos = 0;
    client.on('info', () => (infos += 1));
    const large = MAX_PENDING_FRAME_TEXT / MAX_FRAME_BYTES + 1;
    for (let count = 1; count <= large; count++) {
      node.socket.send(padded(openFrame, MAX_FRAME_BYTES));
      await expect.poll(() => infos, { interval: 5 }).toBe(count);
    }
    for (let count = 1; count <= MAX_PENDING_FRAMES + 1; count++) {
      node.socket.send(openFrame);
      if (count % 64 === 0) await expect.poll(() => infos, { interval: 5 }).toBe(large + count);
    }
    await expect.poll(() => infos).toBe(large + MAX_PENDING_FRAMES + 1);
    expect(errors).toEqual([]);
    expect(client.status).toBe('open');
    client.close();
  });

  it('its limits are the documented ones (README: 512 KiB, 1 024 frames, 16 Mi characters)', () => {
    expect([MAX_FRAME_BYTES, MAX_PENDING_FRAMES, MAX_PENDING_FRAME_TEXT]).toEqual([512 * 1024, 1024, 16 * 1024 * 1024]);
  });

  it('over ws, a keep-alive is a protocol ping, not a frame', async () => {
    const { client, node } = await startOpen({ pingIntervalMs: 20 });
    let pings = 0;
    let binary = 0;
    node.socket.on('ping', () => (pings += 1));
    node.socket.on('message', (_data, isBinary) => (binary += isBinary ? 1 : 0));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pings).toBeGreaterThan(2);
    expect(binary).toBe(0);
    client.close();
  });

  it('shows itself every 20 s by default (the node drops a socket silent for 60 s)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const keepAlives = () => PlatformWebSocket.sent.filter((frame) => typeof frame !== 'string').length;
      const { client } = await startOpen({ WebSocket: PlatformWebSocket as WebSocketConstructor });
      const before = keepAlives();
      vi.advanceTimersByTime(19_999);
      expect(keepAlives()).toBe(before);
      vi.advanceTimersByTime(1);
      expect(keepAlives()).toBe(before + 1);
      vi.advanceTimersByTime(40_000);
      expect(keepAlives()).toBe(before + 3);
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['close()', async (client: ChannelClient) => client.close()],
    ['the node’s died', async (client: ChannelClient, node: ScriptedNode) => {
      const died = new Promise((resolve) => client.on('died', resolve));
      node.send({ action: 'info', payload: { event: 'died' } });
      await died;
    }],
  ] as const)('%s stops the keep-alives at once, also when the socket’s close never completes', async (_case, end) => {
    /** A platform WebSocket whose closing handshake never ends: no close event. */
    class HungClose extends PlatformWebSocket {
      override close(): void {}
    }
    const keepAlives = () => PlatformWebSocket.sent.filter((frame) => typeof frame !== 'string').length;
    const { client, node } = await startOpen({ pingIntervalMs: 20, WebSocket: HungClose as unknown as WebSocketConstructor });
    try {
      const before = keepAlives();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(keepAlives()).toBeGreaterThan(before);
      await end(client, node);
      const closed = keepAlives();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(keepAlives()).toBe(closed);
    } finally {
      node.socket.terminate(); // the client's close never completes: the node ends the connection
    }
  });

  it('a call made after close(), while the close has not completed, is refused at once and sends nothing', async () => {
    /** A platform WebSocket whose closing handshake never ends: no close event. */
    class HungClose extends PlatformWebSocket {
      override close(): void {}
    }
    const { client, node } = await startOpen({ WebSocket: HungClose as unknown as WebSocketConstructor });
    try {
      const frames = () => PlatformWebSocket.sent.filter((frame) => typeof frame === 'string').length;
      const before = frames();
      client.close();
      for (const call of [
        () => client.update({ from: alice.address, to: bob.address, amount: 1n }),
        () => client.sendMessage(bob.address, 'hi'),
        () => client.shutdown(),
      ]) {
        // at once: the old code sent the call and let it wait for the close (ws: up to 30 s)
        const error = await Promise.race([
          call().then(
            () => 'resolved',
            (failure: unknown) => failure,
          ),
          new Promise((resolve) => setTimeout(() => resolve('still pending after 1 s'), 1000)),
        ]);
        expect(error).toMatchObject({ name: 'ClientError', code: 'CONNECTION_CLOSED', message: expect.stringMatching(/closing: the client was closed \(close\(\)\)/) });
      }
      expect(frames()).toBe(before);
    } finally {
      node.socket.terminate();
    }
  });

  it('a long-lived AbortSignal does not keep every client it served: its listener goes with the connection', async () => {
    const { getEventListeners } = (await import('node:events')).EventEmitter;
    const controller = new AbortController();
    for (let round = 0; round < 3; round++) {
      const { client, node: nodePromise } = await start({ signal: controller.signal });
      await nodePromise;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      const died = new Promise((resolve) => client.on('died', resolve));
      client.close();
      await died;
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  });
});

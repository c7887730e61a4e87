import { type Devnode, startDevnode } from '@aesc/devnode';
import { createSigner, type Signer, verifySignedTx } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelClient, ClientError, MemoryStore, NodeClient, type WebSocketConstructor } from '../src/index.js';
import { PlatformWebSocket } from './support/platform-websocket.js';

let nextPort = 20_000;

/** The terms of a channel between `initiator` and `responder` (500/300), on a port of its own. */
function channelParams(initiator: Signer, responder: Signer, minimumDepth: bigint) {
  return {
    initiator: initiator.address,
    responder: responder.address,
    lock_period: 10n,
    push_amount: 0n,
    initiator_amount: 500n,
    responder_amount: 300n,
    channel_reserve: 10n,
    ttl: 1_000_000n,
    port: nextPort++,
    host: 'localhost',
    minimum_depth: minimumDepth,
  };
}

describe.each(['seed', 'v0.14'] as const)('ChannelClient against devnode, %s dialect', (dialect) => {
  let node: Devnode;
  let alice: Signer;
  let bob: Signer;

  beforeAll(async () => {
    [alice, bob] = (await Promise.all([51, 52].map((fill) => createSigner(new Uint8Array(32).fill(fill + (dialect === 'seed' ? 0 : 10)))))) as [Signer, Signer];
    node = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      dialect,
      blockInterval: 20,
      genesis: [
        { pubkey: alice.publicKey, balance: 10_000n },
        { pubkey: bob.publicKey, balance: 10_000n },
      ],
    });
  });

  afterAll(() => node.close());

  async function openPair(stores = { initiator: new MemoryStore(), responder: new MemoryStore() }) {
    const params = channelParams(alice, bob, 2n);
    // Both check the nonce the node picks for the create and the close against the chain.
    const chain = new NodeClient(node.httpUrl);
    const policy = { nextNonce: (account: `ak$${string}`) => chain.nextNonce(account) };
    const [initiator, responder] = await Promise.all([
      ChannelClient.connect({ url: node.wsUrl, role: 'initiator', params, signer: alice, store: stores.initiator, policy }),
      ChannelClient.connect({ url: node.wsUrl, role: 'responder', params, signer: bob, store: stores.responder, policy }),
    ]);
    const [openedI, openedR] = await Promise.all([initiator.opened, responder.opened]);
    expect(openedI.channelId).toBe(openedR.channelId);
    expect(openedI.state.round).toBe(1n);
    return { initiator, responder, stores };
  }

  it('lives a whole channel: 20 transfers both ways, requests for tokens, messages, a mutual close', async () => {
    const { initiator, responder, stores } = await openPair();
    expect(initiator.status).toBe('open');
    let expected = { initiator: 500n, responder: 300n };
    for (let index = 0; index < 20; index++) {
      const amount = BigInt(index + 1);
      const aliceSends = index % 2 === 0;
      const [from, to] = aliceSends ? [alice, bob] : [bob, alice];
      // Even rounds the sender proposes; odd ones the receiver requests the tokens.
      const starter = index % 4 < 2 ? (aliceSends ? initiator : responder) : aliceSends ? responder : initiator;
      const state = await starter.update({ from: from.address, to: to.address, amount });
      expected = aliceSends
        ? { initiator: expected.initiator - amount, responder: expected.responder + amount }
        : { initiator: expected.initiator + amount, responder: expected.responder - amount };
      expect(state.round).toBe(BigInt(index + 2));
      expect(state.balances).toEqual(expected);
    }
    expect(initiator.round).toBe(21n);
    expect(responder.balances).toEqual(expected);
    const stored = await stores.responder.load(initiator.channelId as `ch$${string}`);
    expect(stored?.round).toBe(21n);
    expect((await verifySignedTx(decodeTx(stored?.state as string, 'signed_tx'), [alice.publicKey, bob.publicKey])).valid).toBe(true);

    const received: string[] = [];
    responder.on('message', (message) => received.push(message.info));
    await initiator.sendMessage(bob.address, 'hello bob');
    await initiator.sendMessage(bob.address, 'still there?');
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['hello bob', 'still there?']);

    const before = [node.chain.account(alice.publicKey)?.balance ?? 0n, node.chain.account(bob.publicKey)?.balance ?? 0n];
    const closed = await responder.shutdown();
    expect(closed.tx.tx).toMatchObject({ type: 'channel_close_mutual_tx', initiator_amount: expected.initiator - 1n, responder_amount: expected.responder, fee: 1n });
    await waitFor(() => node.chain.tx(closed.hash)?.blockHeight !== -1 && node.chain.tx(closed.hash) !== undefined);
    expect(node.chain.account(alice.publicKey)?.balance).toBe((before[0] ?? 0n) + expected.initiator - 1n);
    expect(node.chain.account(bob.publicKey)?.balance).toBe((before[1] ?? 0n) + expected.responder);
    expect((await stores.initiator.load(initiator.channelId as `ch$${string}`))?.closeTx).toBe(closed.encoded);
    await waitFor(() => initiator.status === 'closed' && responder.status === 'closed');
  });

  it('surfaces the node’s refusals and conflicts as typed errors and stays usable', async () => {
    const { initiator, responder } = await openPair();
    await expect(initiator.update({ from: alice.address, to: bob.address, amount: 10_000n })).rejects.toMatchObject({
      name: 'ClientError',
      code: 'REQUEST_REJECTED',
      context: { reason: 'insufficient_balance' },
    });
    const stranger = await createSigner(new Uint8Array(32).fill(7));
    await expect(initiator.update({ from: stranger.address, to: bob.address, amount: 1n })).rejects.toMatchObject({ code: 'REQUEST_REJECTED', context: { reason: 'invalid_pubkeys' } });
    expect((await initiator.update({ from: alice.address, to: bob.address, amount: 5n })).round).toBe(2n);

    // Both at once: both proposals are void, both calls reject with CONFLICT at round 2.
    const conflicts: bigint[] = [];
    initiator.on('conflict', ({ round }) => conflicts.push(round));
    const results = await Promise.allSettled([
      initiator.update({ from: alice.address, to: bob.address, amount: 1n }),
      responder.update({ from: bob.address, to: alice.address, amount: 2n }),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ClientError);
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT', context: { round: 2n } });
    }
    expect(conflicts).toEqual([2n]);
    const round = initiator.round ?? 0n;
    expect(round).toBe(2n);
    expect(responder.round).toBe(round);
    const after = await responder.update({ from: bob.address, to: alice.address, amount: 3n });
    expect(after.round).toBe(round + 1n);
    // What the client hands out is its own view of the channel, so nobody can change it.
    expect(responder.state).toBe(after);
    expect(() => {
      (after.balances as { initiator: bigint }).initiator = 0n;
    }).toThrow(TypeError);
    expect(() => {
      after.state.tx.updates.push({ from: bob.publicKey, to: alice.publicKey, amount: 1n });
    }).toThrow(TypeError);
    expect(responder.balances).toEqual({ initiator: after.state.tx.initiator_amount, responder: after.state.tx.responder_amount });
    expect(after.state.tx.updates).toHaveLength(1);
    await initiator.shutdown();
  });

  it('a signer slower than the node’s sign timeout (a user on a device): the node stops the channel, the late signature is not sent', async () => {
    const params = { ...channelParams(alice, bob, 1n), timeout_sign: 300 };
    let slow = false;
    const device: Signer = { address: bob.address, publicKey: bob.publicKey, sign: async (message) => (slow && (await new Promise((resolve) => setTimeout(resolve, 600))), bob.sign(message)) };
    const [initiator, responder] = await Promise.all([
      ChannelClient.connect({ url: node.wsUrl, role: 'initiator', params, signer: alice, callTimeoutMs: 1500 }),
      ChannelClient.connect({ url: node.wsUrl, role: 'responder', params, signer: device }),
    ]);
    await Promise.all([initiator.opened, responder.opened]);
    const refused = new Promise<{ reason: string }>((resolve) => responder.on('signRefused', resolve));
    slow = true;
    // the node of the initiator is not told (BEHAVIOUR.md §5): its update ends by the client's clock
    await expect(initiator.update({ from: alice.address, to: bob.address, amount: 5n })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await refused).reason).toBe('the node reported the channel died while a frame was being handled: nothing more is signed (the signature made meanwhile was not sent)');
    expect(responder.status).toBe('died');
    expect(responder.round).toBe(1n);
    initiator.close();
  });

  it('queues calls until the channel is idle instead of sending them mid-signature', async () => {
    const { initiator, responder } = await openPair();
    const updates = await Promise.all(Array.from({ length: 10 }, (_, index) => initiator.update({ from: alice.address, to: bob.address, amount: BigInt(index + 1) })));
    expect(updates.map((state) => state.round)).toEqual(Array.from({ length: 10 }, (_, index) => BigInt(index + 2)));
    expect(responder.balances).toEqual({ initiator: 500n - 55n, responder: 300n + 55n });
    await initiator.shutdown();
  });
});

describe('ChannelClient keeps a quiet socket open (the node closes one its client leaves silent: 60 s on v0.14)', () => {
  let node: Devnode;
  let alice: Signer;
  let bob: Signer;

  beforeAll(async () => {
    [alice, bob] = (await Promise.all([71, 72].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer];
    node = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      blockInterval: 20,
      idleTimeoutMs: 400,
      genesis: [
        { pubkey: alice.publicKey, balance: 10_000n },
        { pubkey: bob.publicKey, balance: 10_000n },
      ],
    });
  });

  afterAll(() => node.close());

  it.each([
    ['ws (protocol pings)', undefined],
    ['the platform WebSocket of browsers and Node ≥ 22 (no ping)', PlatformWebSocket as WebSocketConstructor],
  ])('over %s: still open after three idle timeouts of silence, and transfers', async (_name, implementation) => {
    const params = channelParams(alice, bob, 1n);
    const options = { url: node.wsUrl, params, pingIntervalMs: 100, ...(implementation === undefined ? {} : { WebSocket: implementation }) };
    const [initiator, responder] = await Promise.all([
      ChannelClient.connect({ ...options, role: 'initiator', signer: alice }),
      ChannelClient.connect({ ...options, role: 'responder', signer: bob }),
    ]);
    await Promise.all([initiator.opened, responder.opened]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect([initiator.status, responder.status]).toEqual(['open', 'open']);
    const state = await initiator.update({ from: alice.address, to: bob.address, amount: 5n });
    expect(state.balances).toEqual({ initiator: 495n, responder: 305n });
    if (implementation !== undefined) {
      // what kept it open: empty binary frames, which the node ignores (BEHAVIOUR.md §1.1) as frames
      expect(PlatformWebSocket.sent.filter((frame) => typeof frame !== 'string').every((frame) => frame.length === 0)).toBe(true);
      expect(PlatformWebSocket.sent.filter((frame) => typeof frame !== 'string').length).toBeGreaterThan(5);
    }
    initiator.close();
    responder.close();
  });

  it('with pingIntervalMs 0, sends no keep-alives: the node drops the silent socket after its idle timeout', async () => {
    const sent = PlatformWebSocket.sent.length;
    const client = await ChannelClient.connect({
      url: node.wsUrl,
      role: 'initiator',
      signer: alice,
      params: channelParams(alice, bob, 1n),
      pingIntervalMs: 0,
      WebSocket: PlatformWebSocket as WebSocketConstructor,
    });
    const died = new Promise((resolve) => client.on('died', resolve));
    expect(await Promise.race([died, new Promise((resolve) => setTimeout(() => resolve('still connected 1.5 s on'), 1500))])).toMatchObject({ reason: expect.stringMatching(/^connection closed/) });
    expect(client.status).toBe('disconnected');
    expect(PlatformWebSocket.sent.slice(sent).filter((frame) => typeof frame !== 'string')).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { type ChannelId, decode, type EncodedTx } from '@aesc/encoding';
import { createSigner, type Signer } from '@aesc/signer';
import { channelId, encodeTx, type SignedTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { closeSolo, type DisputeResult, settle } from '../src/dispute.js';
import { ClientError } from '../src/errors.js';
import { FileStore } from '../src/file-store.js';
import { MemoryStore } from '../src/memory-store.js';
import { NodeClient } from '../src/node-client.js';
import type { StateStore } from '../src/store.js';
import { WATCH_BAD_RESPONSE_LIMIT, type WatchEvent, type WatchOptions, type WatchOutcome, watchChannel as startWatch } from '../src/watch.js';
import { channelOpener, openLiveChannel, signedBy } from './support/chain-channel.js';
import { clientError } from './support/client-error.js';

const START_BALANCE = 1_000_000n;
const LOCK_PERIOD = 5n;

let devnode: Devnode;
let node: NodeClient;
let alice: Signer;
let bob: Signer;
let carol: Signer;
let root: string;

beforeAll(async () => {
  [alice, bob, carol] = (await Promise.all([51, 52, 53].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  devnode = await startDevnode({
    httpPort: 0,
    wsPort: 0,
    genesis: [alice, bob, carol].map((signer) => ({ pubkey: signer.publicKey, balance: START_BALANCE })),
  });
  node = new NodeClient(devnode.httpUrl);
  root = await fs.mkdtemp(join(tmpdir(), 'aesc-watch-'));
});

afterAll(async () => {
  await devnode.close();
  await fs.rm(root, { recursive: true, force: true });
});

const balanceOf = async (signer: Signer) => (await node.getBalance(signer.address)) as bigint;


function posted(result: DisputeResult) {
  expect(result.reachedBy).toBe('posted');
  return result as Extract<DisputeResult, { reachedBy: 'posted' }>;
}

/** `signer`'s solo close from `store`, posted and mined. */
async function closedSoloBy(signer: Signer, store: StateStore, id: ChannelId) {
  const closing = closeSolo({ store, node, signer, channelId: id, pollMs: 5 });
  await expect.poll(() => devnode.chain.mempool.length).toBe(1);
  await devnode.mine(1);
  return posted(await closing);
}

/** The one tx in the mempool, once there is one: its type and signer's nonce, its payload's round. */
async function pendingTx() {
  await expect.poll(() => devnode.chain.mempool.length).toBe(1);
  return (devnode.chain.mempool[0] as { signedTx: SignedTx }).signedTx.tx;
}

const openChannel = channelOpener(() => ({ node, devnode }), LOCK_PERIOD);

/** A node client whose requests are counted (`METHOD path`), and that fails to connect while `down` says so. */
function countingNode(down: () => boolean = () => false) {
  const requests: string[] = [];
  const client = new NodeClient(devnode.httpUrl, {
    fetch: async (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      if (down()) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      return fetch(input, init);
    },
  });
  return { client, requests };
}

/** `watchChannel`, stopped when the test ends: a failed test leaves no watch running into the next. */
function watchChannel(options: WatchOptions) {
  const watch = startWatch(options);
  onTestFinished(() => watch.stop());
  return watch;
}

describe('watchChannel against devnode', () => {
  it('the peer closes alone with an old state: the watch slashes with the newer stored one, settles, and the balances come out exact', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const [aliceBefore, bobBefore] = [await balanceOf(alice), await balanceOf(bob)];
    const { client, requests } = countingNode();
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: channel.id, pollMs: 5, onEvent: (event) => void events.push(event) });

    const closed = await closedSoloBy(bob, cheat, channel.id);
    // The watch's slash, with round 7, from alice.
    const slashTx = await pendingTx();
    expect(slashTx).toMatchObject({ type: 'channel_slash_tx', from: alice.publicKey, payload: decode(encodeTx(await channel.state(7n, 450n, 650n)), 'tx') });
    const [slashBlock] = await devnode.mine(1);
    const slashHeight = BigInt(slashBlock?.height ?? -1);
    const closesAt = slashHeight + LOCK_PERIOD;
    // Seen once mined: closing with round 7, the new closes_at.
    await expect.poll(() => events.length).toBe(3);
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 7n, closes_at: closesAt });
    const mark = requests.length;
    await devnode.mine(Number(LOCK_PERIOD) - 2);
    // The watch reads the channel at closes_at - 2 (the next block cannot settle): nothing posted.
    await expect.poll(() => requests.slice(mark).includes(`GET /v2/channels/${channel.id}`)).toBe(true);
    expect(devnode.chain.mempool).toEqual([]);
    expect(events).toHaveLength(3);
    await devnode.mine(1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', from: alice.publicKey, initiator_amount: 450n, responder_amount: 650n });
    await devnode.mine(1);
    const outcome = await watch.done;
    expect(outcome).toMatchObject({ outcome: 'settled', blockHeight: closesAt });
    const settled = outcome as Extract<WatchOutcome, { outcome: 'settled' }>;
    expect((await node.getTx(settled.hash))?.blockHeight).toBe(closesAt);
    expect(await node.getChannel(channel.id)).toBeUndefined();
    expect(events).toEqual([
      { type: 'closing', round: 5n, closesAt: closed.blockHeight + LOCK_PERIOD, height: closed.blockHeight },
      { type: 'slashed', round: 7n, hash: expect.stringMatching(/^th\$/), blockHeight: slashHeight },
      { type: 'closing', round: 7n, closesAt, height: slashHeight },
      { type: 'settled', hash: settled.hash, blockHeight: closesAt },
    ]);
    // Round 7's amounts, less the fees: alice's slash and settle, bob's close. Every coin is accounted for.
    expect(await balanceOf(alice)).toBe(aliceBefore + 450n - 2n);
    expect(await balanceOf(bob)).toBe(bobBefore + 650n - 1n);
  });

  it('the peer closes with the latest state: nothing to slash, the watch settles; a throwing or rejecting onEvent changes nothing but an error event', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const bobs = await channel.storeOf(7n, 450n, 650n, 'responder');
    const { client, requests } = countingNode();
    const events: WatchEvent[] = [];
    const watch = watchChannel({
      node: client,
      store,
      signer: alice,
      channelId: channel.id,
      pollMs: 5,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'closing') throw new Error('app bug');
        if (event.type === 'settled') return Promise.reject(new Error('async app bug')) as never;
      },
    });
    const closed = await closedSoloBy(bob, bobs, channel.id);
    const closesAt = closed.blockHeight + LOCK_PERIOD;
    await expect.poll(() => events.length).toBe(2);
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', from: alice.publicKey, initiator_amount: 450n, responder_amount: 650n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled', blockHeight: closesAt });
    await expect.poll(() => events.length).toBe(4);
    expect(requests.filter((request) => request === 'POST /v2/tx')).toHaveLength(1); // the settle, no slash
    expect(events.map((event) => (event.type === 'error' ? `error ${event.error.code}: ${event.error.message}` : event.type))).toEqual([
      'closing',
      "error LISTENER_FAILED: the app's onEvent failed on a closing event: app bug",
      'settled',
      "error LISTENER_FAILED: the app's onEvent failed on a settled event: async app bug",
    ]);
    expect(events[0]).toEqual({ type: 'closing', round: 7n, closesAt, height: closed.blockHeight });
  });

  it('a mutual close ends the watch with closed, nothing posted', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(3n, 650n, 450n);
    const { client, requests } = countingNode();
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: channel.id, pollMs: 5, onEvent: (event) => void events.push(event) });
    // Active blocks come and go: no event.
    await devnode.mine(2);
    const close = await signedBy(
      { type: 'channel_close_mutual_tx', channel_id: decode(channel.id, 'ch'), initiator_amount: 649n, responder_amount: 450n, ttl: 10_000n, fee: 1n, nonce: await node.nextNonce(alice.address) },
      alice,
      bob,
    );
    await node.postTx(close);
    const [block] = await devnode.mine(1);
    expect(await watch.done).toEqual({ outcome: 'closed', height: BigInt(block?.height ?? -1) });
    expect(events).toEqual([]);
    expect(requests.filter((request) => request.startsWith('POST'))).toEqual([]);
  });

  it('a node that is down for a few polls: error events, then the watch carries on, slashes and settles', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    let down = false;
    const { client } = countingNode(() => down);
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: channel.id, pollMs: 5, onEvent: (event) => void events.push(event) });
    await devnode.mine(1);
    down = true;
    // Meanwhile the peer closes alone: the watch cannot see it yet.
    const closed = await closedSoloBy(bob, cheat, channel.id);
    await expect.poll(() => events.length).toBeGreaterThanOrEqual(3);
    down = false;
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx', from: alice.publicKey });
    await devnode.mine(1);
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 450n, responder_amount: 650n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled' });
    const errors = events.filter((event) => event.type === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(3);
    for (const event of errors) expect((event as { error: ClientError }).error.code).toBe('NODE_UNREACHABLE');
    expect(events.filter((event) => event.type !== 'error')).toEqual([
      { type: 'closing', round: 5n, closesAt: closed.blockHeight + LOCK_PERIOD, height: closed.blockHeight },
      expect.objectContaining({ type: 'slashed', round: 7n }),
      expect.objectContaining({ type: 'closing', round: 7n }),
      expect.objectContaining({ type: 'settled' }),
    ]);
    // Every error came before the node was back.
    expect(events.findIndex((event) => event.type !== 'error')).toBe(errors.length);
  });

  it('stop() during a slash that waits for its block ends the watch with ABORTED; no request follows', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const { client, requests } = countingNode();
    const watch = watchChannel({ node: client, store, signer: alice, channelId: channel.id, pollMs: 5 });
    await closedSoloBy(bob, cheat, channel.id);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx' });
    const before = requests.length;
    await expect.poll(() => requests.length).toBeGreaterThan(before + 2); // waiting for it
    watch.stop();
    const error = await clientError(watch.done, 'ABORTED');
    expect(error.message).toBe(`the watch of ${channel.id} was stopped`);
    const after = requests.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests.length).toBe(after);
    watch.stop(); // again: nothing
    await devnode.mine(1); // the slash is in all the same
  });

  it('a store whose newer state comes while the channel closes (a ChannelClient still co-signing): the slash carries the newer one', async () => {
    const directory = join(root, 'bob');
    const carolsStore = new MemoryStore();
    const { initiatorClient: bobsClient, responderClient: carolsClient, id } = await openLiveChannel(devnode, {
      initiator: bob,
      responder: carol,
      lockPeriod: LOCK_PERIOD,
      port: 32_200,
      initiatorStore: new FileStore(directory),
      responderStore: carolsStore,
    });
    await bobsClient.update({ from: bob.address, to: carol.address, amount: 300n });
    const [bobBefore, carolBefore] = [await balanceOf(bob), await balanceOf(carol)];
    // Bob's watch reads his directory through a store of its own, as another part of the app would.
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node, store: new FileStore(directory), signer: bob, channelId: id, pollMs: 5, onEvent: (event) => void events.push(event) });

    // Carol closes alone with the latest state, round 2: nothing to slash.
    const closed = await closedSoloBy(carol, carolsStore, id);
    expect(await node.getChannel(id)).toMatchObject({ round: 2n, initiator_amount: 700n, responder_amount: 800n });
    await expect.poll(() => events.length).toBe(1);
    // The channel runs on (the node tells no one): carol pays back 200, co-signed and stored as round 3.
    const paid = await carolsClient.update({ from: carol.address, to: bob.address, amount: 200n });
    expect(paid.round).toBe(3n);
    await expect.poll(async () => (await new FileStore(directory).load(id))?.round).toBe(3n);
    expect(devnode.chain.mempool).toEqual([]);
    // At the next block the watch reads the store again: round 3, newer than the chain's.
    await devnode.mine(1);
    const slashTx = await pendingTx();
    expect(slashTx).toMatchObject({ type: 'channel_slash_tx', from: bob.publicKey, payload: decode(paid.encoded, 'tx') });
    const [slashBlock] = await devnode.mine(1);
    const closesAt = BigInt(slashBlock?.height ?? -1) + LOCK_PERIOD;
    await expect.poll(() => events.length).toBe(3);
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 900n, responder_amount: 600n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled', blockHeight: closesAt });
    expect(events.map((event) => event.type)).toEqual(['closing', 'slashed', 'closing', 'settled']);
    expect(events[0]).toEqual({ type: 'closing', round: 2n, closesAt: closed.blockHeight + LOCK_PERIOD, height: closed.blockHeight });
    expect(events[1]).toMatchObject({ round: 3n });
    // Round 3's amounts, less the fees: bob's slash and settle, carol's close.
    expect(await balanceOf(bob)).toBe(bobBefore + 900n - 2n);
    expect(await balanceOf(carol)).toBe(carolBefore + 600n - 1n);
    bobsClient.close();
    carolsClient.close();
  });

  it('a store that later answers an older state than it did (a replica behind, a backup put back): the watch slashes with the newest it read', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const newer = await channel.storeOf(7n, 450n, 650n);
    const older = await channel.storeOf(6n, 500n, 600n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    let loads = 0;
    // Round 7 at the watch's first read, round 6 at every read after it.
    const store: StateStore = { load: (id) => (loads++ === 0 ? newer : older).load(id), save: async () => undefined, list: async () => [channel.id] };
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5 });
    await expect.poll(() => loads).toBeGreaterThan(0);
    await closedSoloBy(bob, cheat, channel.id);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx', payload: decode(encodeTx(await channel.state(7n, 450n, 650n)), 'tx') });
    await devnode.mine(1);
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 450n, responder_amount: 650n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled' });
  });

  it('fee and ttlMargin go to the slash and the settle, each ttl counted from the height the tx is built at', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5, fee: 3n, ttlMargin: 4n });
    const closed = await closedSoloBy(bob, cheat, channel.id);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx', fee: 3n, ttl: closed.blockHeight + 4n });
    const [slashBlock] = await devnode.mine(1);
    const closesAt = BigInt(slashBlock?.height ?? -1) + LOCK_PERIOD;
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', fee: 3n, ttl: closesAt - 1n + 4n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled', blockHeight: closesAt });
  });

  it('a newer state stored when the chain is at closes_at - 2, the last height a slash can be posted at: slashed in block closes_at - 1', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const inner = await channel.storeOf(5n, 600n, 500n);
    let loads = 0;
    const store: StateStore = { load: (id) => (loads++, inner.load(id)), save: (snapshot) => inner.save(snapshot), list: () => inner.list() };
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5, onEvent: (event) => void events.push(event) });
    const closed = await closedSoloBy(bob, cheat, channel.id);
    const closesAt = closed.blockHeight + LOCK_PERIOD;
    await expect.poll(() => events.length).toBe(1);
    await devnode.mine(Number(LOCK_PERIOD) - 3);
    // The watch has read the store at closes_at - 3; round 7 comes after it.
    const mark = loads;
    await expect.poll(() => loads).toBeGreaterThan(mark);
    await store.save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx, state: encodeTx(await channel.state(7n, 450n, 650n)), round: 7n });
    const [atMinus2] = await devnode.mine(1);
    expect(BigInt(atMinus2?.height ?? -1)).toBe(closesAt - 2n);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx', from: alice.publicKey });
    await devnode.mine(1);
    await expect.poll(() => events.length).toBe(3);
    expect(events.slice(1)).toEqual([
      { type: 'slashed', round: 7n, hash: expect.stringMatching(/^th\$/), blockHeight: closesAt - 1n },
      { type: 'closing', round: 7n, closesAt: closesAt - 1n + LOCK_PERIOD, height: closesAt - 1n },
    ]);
    await devnode.mine(Number(LOCK_PERIOD) - 1);
    expect(await pendingTx()).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 450n, responder_amount: 650n });
    await devnode.mine(1);
    expect(await watch.done).toMatchObject({ outcome: 'settled', blockHeight: closesAt - 1n + LOCK_PERIOD });
  });

  it('a watch started too late to slash, with settle: false: the newer state is reported once, nothing is posted, and the peer\'s settle ends it with closed', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const closed = await closedSoloBy(bob, cheat, channel.id);
    const closesAt = closed.blockHeight + LOCK_PERIOD;
    await devnode.mine(Number(LOCK_PERIOD) - 1); // at closes_at - 1: a slash could only be included at closes_at
    const { client, requests } = countingNode();
    const channelReads = () => requests.filter((request) => request === `GET /v2/channels/${channel.id}`).length;
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: channel.id, pollMs: 5, settle: false, onEvent: (event) => void events.push(event) });
    await expect.poll(() => events.length).toBe(2);
    // Block after block: read, nothing posted, nothing reported again.
    for (let block = 0; block < 3; block++) {
      const mark = channelReads();
      await devnode.mine(1);
      await expect.poll(channelReads).toBeGreaterThan(mark);
    }
    expect(devnode.chain.mempool).toEqual([]);
    expect(events).toEqual([
      { type: 'closing', round: 5n, closesAt, height: closesAt - 1n },
      { type: 'error', error: expect.objectContaining({ code: 'CHANNEL_NOT_CLOSING', context: { channelId: channel.id, round: 7n, onChainRound: 5n, closesAt, height: closesAt - 1n } }) },
    ]);
    const bobsSettle = settle({ node, signer: bob, channelId: channel.id, pollMs: 5 });
    await pendingTx();
    const [block] = await devnode.mine(1);
    posted(await bobsSettle);
    expect(await watch.done).toEqual({ outcome: 'closed', height: BigInt(block?.height ?? -1) });
    expect(events).toHaveLength(2);
  });

  it("the peer's settle, in the same block as ours and ahead of it: the watch ends with closed", async () => {
    // Carol's nonce is below alice's: devnode takes her settle first (nonce order), and drops alice's.
    expect(await node.nextNonce(carol.address)).toBeLessThan(await node.nextNonce(alice.address));
    const channel = await openChannel(alice, carol, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const carols = await channel.storeOf(7n, 450n, 650n, 'responder');
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5, onEvent: (event) => void events.push(event) });
    const closed = await closedSoloBy(carol, carols, channel.id);
    const closesAt = closed.blockHeight + LOCK_PERIOD;
    await devnode.mine(Number(LOCK_PERIOD) - 2);
    // Carol's settle, posted early, waits in the mempool for block closes_at.
    const carolsSettle = await signedBy(
      { type: 'channel_settle_tx', channel_id: decode(channel.id, 'ch'), from: carol.publicKey, initiator_amount: 450n, responder_amount: 650n, ttl: closesAt + 10n, fee: 1n, nonce: await node.nextNonce(carol.address) },
      carol,
    );
    await node.postTx(carolsSettle);
    await devnode.mine(1);
    // The watch's settle joins it.
    await expect.poll(() => devnode.chain.mempool.length).toBe(2);
    await devnode.mine(1);
    expect(await watch.done).toEqual({ outcome: 'closed', height: closesAt });
    expect(events.map((event) => event.type)).toEqual(['closing']);
  });

  it('a slash the chain drops (a fee alice cannot pay): TX_REJECTED is an error event and the slash is tried again', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5, fee: 10n * START_BALANCE, onEvent: (event) => void events.push(event) });
    await closedSoloBy(bob, cheat, channel.id);
    const first = await pendingTx();
    expect(first).toMatchObject({ type: 'channel_slash_tx' });
    await devnode.mine(1);
    await expect.poll(() => events.some((event) => event.type === 'error' && event.error.code === 'TX_REJECTED')).toBe(true);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx', from: alice.publicKey });
    watch.stop();
    await clientError(watch.done, 'ABORTED');
    // The slash tried again is dropped too: nothing is left for the tests after.
    await devnode.mine(1);
    expect(devnode.chain.mempool).toEqual([]);
  });

  it('timeoutMs bounds each wait of a slash: a slash not mined in time is a TIMEOUT error event, and the watch goes on until round 7 is on chain', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(7n, 450n, 650n);
    const cheat = await channel.storeOf(5n, 600n, 500n, 'responder');
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 5, timeoutMs: 50, onEvent: (event) => void events.push(event) });
    await closedSoloBy(bob, cheat, channel.id);
    expect(await pendingTx()).toMatchObject({ type: 'channel_slash_tx' });
    // No block comes: the wait for the slash ends, reported; the watch posts it again (the same tx).
    await expect.poll(() => events.some((event) => event.type === 'error' && event.error.code === 'TIMEOUT'), { timeout: 5_000 }).toBe(true);
    await devnode.mine(1);
    // Whether the watch was waiting for it again or read the channel first, round 7 is on chain.
    await expect.poll(() => events.some((event) => event.type === 'closing' && event.round === 7n)).toBe(true);
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 7n, initiator_amount: 450n });
    expect(devnode.chain.mempool).toEqual([]);
    watch.stop();
    await clientError(watch.done, 'ABORTED');
  });

  it('ends with a typed error when waiting cannot help: the store lacks the channel, the signer is no peer, the channel was never on chain', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const store = await channel.storeOf(2n, 690n, 410n);
    await clientError(watchChannel({ node, store: new MemoryStore(), signer: alice, channelId: channel.id, pollMs: 5 }).done, 'NOT_FOUND');
    await clientError(watchChannel({ node, store, signer: carol, channelId: channel.id, pollMs: 5 }).done, 'NOT_A_PEER');
    const unknown = channelId({ initiator: carol.publicKey, nonce: 99n, responder: alice.publicKey });
    // A store that holds a channel the chain never saw (a create never mined).
    const neverMined: StateStore = { load: async () => ({ channelId: unknown, role: 'initiator', createTx: channel.createTx }), save: async () => undefined, list: async () => [unknown] };
    await clientError(watchChannel({ node, store: neverMined, signer: alice, channelId: unknown, pollMs: 5 }).done, 'CHANNEL_NOT_FOUND');
    // A store of the app's own that throws anything: STORE_IO.
    const broken: StateStore = { load: () => Promise.reject('disk gone'), save: async () => undefined, list: async () => [] };
    await clientError(watchChannel({ node, store: broken, signer: alice, channelId: channel.id, pollMs: 5 }).done, 'STORE_IO');
    // A store's own ClientError keeps its code.
    const corrupt: StateStore = { load: () => Promise.reject(new ClientError('STORE_CORRUPT', 'bad file', { channelId: channel.id })), save: async () => undefined, list: async () => [] };
    await clientError(watchChannel({ node, store: corrupt, signer: alice, channelId: channel.id, pollMs: 5 }).done, 'STORE_CORRUPT');
    // Wrong arguments are thrown at once.
    expect(() => watchChannel({ node, store: {} as never, signer: alice, channelId: channel.id })).toThrow(TypeError);
    expect(() => watchChannel({ node, store, signer: alice, channelId: channel.id, settle: 'yes' as never })).toThrow(TypeError);
    expect(() => watchChannel({ node, store, signer: alice, channelId: channel.id, onEvent: 'log' as never })).toThrow(TypeError);
    expect(() => watchChannel({ node, store, signer: alice, channelId: channel.id, ttlMargin: 0n })).toThrow(RangeError);
    expect(() => watchChannel({ node, store, signer: alice, channelId: channel.id, pollMs: 0 })).toThrow(TypeError);
    expect(() => watchChannel({ node, store, signer: alice, channelId: 'ch$nope' as ChannelId })).toThrow(TypeError);
  });
});

describe('watchChannel on a scripted node', () => {
  /**
   * A node whose answers the test writes: `/top` (by default one block more at each read) and the
   * channel (by default active, `channel` overrides its fields; `'gone'`: 404), or `garbage` for
   * every read; a store with the channel's round 3 (co-signed) when `stored`, else none.
   */
  async function scripted(options: { garbage?: boolean; top?: () => unknown; channel?: () => Record<string, unknown> | 'gone'; stored?: boolean } = {}) {
    const [initiator, responder] = [alice.address, bob.address];
    const id = channelId({ initiator: alice.publicKey, nonce: 77n, responder: bob.publicKey });
    const requests: string[] = [];
    let height = 10;
    const client = new NodeClient('http://127.0.0.1:1/v2', {
      fetch: async (input) => {
        const path = new URL(String(input)).pathname;
        requests.push(path);
        const channel = path.startsWith('/v2/channels/') ? options.channel?.() : undefined;
        if (channel === 'gone') return new Response(JSON.stringify({ reason: 'Channel not found' }), { status: 404, headers: { 'content-type': 'application/json' } });
        const body = options.garbage
          ? { unexpected: true }
          : path === '/v2/top'
            ? (options.top?.() ?? { height: height++ })
            : { id, initiator, responder, total_amount: 400, initiator_amount: 190, responder_amount: 210, channel_reserve: 20, round: 2, lock_period: 5, closes_at: 0, ...channel };
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    const state = await signedBy(
      {
        type: 'channel_offchain_tx',
        channel_id: decode(id, 'ch'),
        previous_round: 2n,
        round: 3n,
        initiator: alice.publicKey,
        responder: bob.publicKey,
        initiator_amount: 180n,
        responder_amount: 220n,
        updates: [{ from: bob.publicKey, to: alice.publicKey, amount: 10n }],
        state: new Uint8Array(),
      },
      alice,
      bob,
    );
    const snapshot = { channelId: id, role: 'initiator' as const, createTx: 'tx$' as EncodedTx, ...(options.stored ? { state: encodeTx(state), round: 3n } : {}) };
    const store: StateStore = { load: async () => snapshot, save: async () => undefined, list: async () => [id] };
    return { client, store, requests, id };
  }

  it('stop() mid-watch: ends with ABORTED and leaves no timer; a signal does the same, with its reason as the cause', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { client, store, requests, id } = await scripted();
      const events: WatchEvent[] = [];
      const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1_000, onEvent: (event) => void events.push(event) });
      await vi.advanceTimersByTimeAsync(3_500);
      // One look at the height per poll, one at the channel per new block (here every poll).
      expect(requests.filter((path) => path === '/v2/top')).toHaveLength(4);
      expect(vi.getTimerCount()).toBe(1); // the pause before the next poll
      watch.stop();
      const error = await clientError(watch.done, 'ABORTED');
      expect(error.context).toEqual({ channelId: id });
      expect(vi.getTimerCount()).toBe(0);
      const seen = requests.length;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(requests.length).toBe(seen);
      expect(events).toEqual([]); // an active channel: no event per block

      const controller = new AbortController();
      const signalled = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1_000, signal: controller.signal });
      await vi.advanceTimersByTimeAsync(1_500);
      controller.abort('user left');
      const aborted = await clientError(signalled.done, 'ABORTED');
      expect(aborted.message).toBe(`the watch of ${id} was aborted`);
      expect(aborted.cause).toBe('user left');
      expect(vi.getTimerCount()).toBe(0);
      // A watch stopped and never awaited rejects unseen: no unhandled rejection (vitest fails the run on one).
      watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1_000 }).stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it(`BAD_RESPONSE is an error event and read again, up to WATCH_BAD_RESPONSE_LIMIT (${WATCH_BAD_RESPONSE_LIMIT}) in a row, which end the watch`, async () => {
    const { client, store, id } = await scripted({ garbage: true });
    const events: WatchEvent[] = [];
    const error = await clientError(watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, onEvent: (event) => void events.push(event) }).done, 'BAD_RESPONSE');
    expect(error.message).toContain('GET /top');
    expect(events.map((event) => (event.type === 'error' ? event.error.code : event.type))).toEqual(Array(WATCH_BAD_RESPONSE_LIMIT - 1).fill('BAD_RESPONSE'));
  });

  it('a block mined between the height the watch read and the one its settle reads: a small ttlMargin still counts from the settle\'s height', async () => {
    // Every read of /top is one block more: the settle reads a height above the watch's.
    const { client, store, id } = await scripted({ channel: () => ({ closes_at: 5 }) });
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, ttlMargin: 1n, onEvent: (event) => void events.push(event) });
    // The settle gets as far as the nonce (which this node answers with garbage): not a RangeError on its ttl.
    const error = await clientError(watch.done, 'BAD_RESPONSE');
    expect(error.message).toContain('GET /account/');
    expect(events[0]).toEqual({ type: 'closing', round: 2n, closesAt: 5n, height: 10n });
  });

  it('a BAD_RESPONSE between good answers is no BAD_RESPONSE in a row, even with no new block in between', async () => {
    // Every other read of /top is garbage; the good ones all answer height 10 (no new block).
    let reads = 0;
    const { client, store, id, requests } = await scripted({ top: () => (reads++ % 2 === 0 ? { unexpected: true } : { height: 10 }) });
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, onEvent: (event) => void events.push(event) });
    await expect.poll(() => requests.filter((path) => path === '/v2/top').length).toBeGreaterThanOrEqual(4 * WATCH_BAD_RESPONSE_LIMIT);
    watch.stop();
    await clientError(watch.done, 'ABORTED');
    expect(events.length).toBeGreaterThanOrEqual(2 * WATCH_BAD_RESPONSE_LIMIT - 1);
    for (const event of events) expect(event).toMatchObject({ type: 'error', error: { code: 'BAD_RESPONSE' } });
    // One block (height 10), read once.
    expect(requests.filter((path) => path.startsWith('/v2/channels/'))).toHaveLength(1);
  });

  it('the chain moves between the watch\'s read and its slash\'s or settle\'s (a peer\'s tx, a block): read again at the next poll', async () => {
    const closingEvents = (events: WatchEvent[]) => events.map((event) => (event.type === 'closing' ? `closing ${event.round} until ${event.closesAt} at ${event.height}` : event.type));

    // The peer slashed with round 4 (above the store's 3) under the watch's slash: STATE_NOT_NEWER, no error.
    let reads = 0;
    const newer = await scripted({ stored: true, channel: () => (reads++ === 0 ? { round: 2, closes_at: 20 } : { round: 4, initiator_amount: 170, responder_amount: 230, closes_at: 1_000 }) });
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: newer.client, store: newer.store, signer: alice, channelId: newer.id, pollMs: 1, onEvent: (event) => void events.push(event) });
    await expect.poll(() => events.length).toBe(2);
    watch.stop();
    await clientError(watch.done, 'ABORTED');
    expect(closingEvents(events)).toEqual(['closing 2 until 20 at 10', 'closing 4 until 1000 at 12']);

    // Paid out under the watch's slash: CHANNEL_NOT_FOUND, then closed.
    reads = 0;
    const gone = await scripted({ stored: true, channel: () => (reads++ === 0 ? { closes_at: 20 } : 'gone') });
    const goneEvents: WatchEvent[] = [];
    expect(await watchChannel({ node: gone.client, store: gone.store, signer: alice, channelId: gone.id, pollMs: 1, onEvent: (event) => void goneEvents.push(event) }).done).toEqual({ outcome: 'closed', height: 11n });
    expect(closingEvents(goneEvents)).toEqual(['closing 2 until 20 at 10']);

    // A slash moved closes_at under the watch's settle: CHANNEL_NOT_CLOSABLE_YET, no error.
    reads = 0;
    const moved = await scripted({ channel: () => (reads++ === 0 ? { closes_at: 11 } : { round: 4, closes_at: 1_000 }) });
    const movedEvents: WatchEvent[] = [];
    const movedWatch = watchChannel({ node: moved.client, store: moved.store, signer: alice, channelId: moved.id, pollMs: 1, onEvent: (event) => void movedEvents.push(event) });
    await expect.poll(() => movedEvents.length).toBe(2);
    movedWatch.stop();
    await clientError(movedWatch.done, 'ABORTED');
    expect(closingEvents(movedEvents)).toEqual(['closing 2 until 11 at 10', 'closing 4 until 1000 at 12']);

    // A block came under the watch's slash, the last the lock period allowed: too late, reported at once and once, then settled.
    const late = await scripted({ stored: true, channel: () => ({ closes_at: 12 }) });
    const lateEvents: WatchEvent[] = [];
    // The settle gets as far as the nonce, which this node answers with garbage.
    await clientError(watchChannel({ node: late.client, store: late.store, signer: alice, channelId: late.id, pollMs: 1, onEvent: (event) => void lateEvents.push(event) }).done, 'BAD_RESPONSE');
    expect(lateEvents.map((event) => (event.type === 'error' ? event.error.code : event.type))).toEqual(['closing', 'CHANNEL_NOT_CLOSING', ...Array(WATCH_BAD_RESPONSE_LIMIT - 1).fill('BAD_RESPONSE')]);
    expect((lateEvents[1] as { error: ClientError }).error.context).toEqual({ channelId: late.id, closesAt: 12n, height: 11n });
  });

  it('an onEvent that throws at every event, error events included: one LISTENER_FAILED per other event, the watch goes on', async () => {
    let reads = 0;
    const { client, store, id } = await scripted({ channel: () => (reads++ < 2 ? { closes_at: 1_000 } : 'gone') });
    const seen: string[] = [];
    const onEvent = (event: WatchEvent) => {
      seen.push(event.type === 'error' ? event.error.code : event.type);
      throw new Error('app bug');
    };
    expect(await watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, onEvent }).done).toEqual({ outcome: 'closed', height: 12n });
    expect(seen).toEqual(['closing', 'LISTENER_FAILED']);
  });

  it('a newer state too late in two lock periods (the peer slashed, the watch saw neither in time): reported once in each', async () => {
    let reads = 0;
    // Round 1 until 11 at height 10, then round 2 until 12 at height 11: each too late for a slash of the store's round 3.
    const { client, store, id } = await scripted({ stored: true, channel: () => (reads++ === 0 ? { round: 1, closes_at: 11 } : { round: 2, closes_at: 12 }) });
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, settle: false, onEvent: (event) => void events.push(event) });
    await expect.poll(() => reads).toBeGreaterThan(5);
    watch.stop();
    await clientError(watch.done, 'ABORTED');
    expect(events.map((event) => (event.type === 'error' ? `${event.error.code} ${event.error.context.closesAt}` : event.type === 'closing' ? `closing ${event.round}` : event.type))).toEqual([
      'closing 1',
      'CHANNEL_NOT_CLOSING 11',
      'closing 2',
      'CHANNEL_NOT_CLOSING 12',
    ]);
  });

  it('a store whose snapshot has a round but no state: nothing to slash with, the watch goes on', async () => {
    let reads = 0;
    const { client, id } = await scripted({ channel: () => (reads++, { closes_at: 1_000 }) });
    const store: StateStore = { load: async () => ({ channelId: id, role: 'initiator', createTx: 'tx$' as EncodedTx, round: 3n }), save: async () => undefined, list: async () => [id] };
    const events: WatchEvent[] = [];
    const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1, onEvent: (event) => void events.push(event) });
    await expect.poll(() => reads).toBeGreaterThan(3);
    watch.stop();
    await clientError(watch.done, 'ABORTED');
    expect(events.map((event) => event.type)).toEqual(['closing']);
  });

  it('a long watch (thousands of polls) leaves no listener behind on its signal, and one timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { client, store, requests, id } = await scripted({ top: () => ({ height: 10 }) });
      const controller = new AbortController();
      const watch = watchChannel({ node: client, store, signer: alice, channelId: id, pollMs: 1_000, signal: controller.signal });
      await vi.advanceTimersByTimeAsync(2_000 * 1_000);
      expect(requests.filter((path) => path === '/v2/top').length).toBeGreaterThan(2_000);
      expect(vi.getTimerCount()).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      // A listener per pause left on the signal: Node warns of a leak past 10.
      expect(warnings).toEqual([]);
      watch.stop();
      await clientError(watch.done, 'ABORTED');
    } finally {
      process.off('warning', onWarning);
      vi.useRealTimers();
    }
  });
});

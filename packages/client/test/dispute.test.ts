import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { type ChannelId, decode, type EncodedTx, type TxHash } from '@aesc/encoding';
import { createSigner, type Signer, verifySignedTx } from '@aesc/signer';
import { type ExactJson, serializeJson } from '@aesc/schema';
import { type ChannelOffchainTx, channelId, decodeTx, encodeTx, type SignedTx, serializeTx, txHash } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeSolo, DEFAULT_TTL_MARGIN, type DisputeResult, settle, slash } from '../src/dispute.js';
import { FileStore } from '../src/file-store.js';
import { MemoryStore } from '../src/memory-store.js';
import type { StateStore } from '../src/store.js';
import { type ChannelInfo, DEFAULT_WAIT_TIMEOUT_MS, NodeClient } from '../src/node-client.js';
import type { CoSignedState } from '../src/channel-client.js';
import { channelOpener, openLiveChannel, signedBy } from './support/chain-channel.js';
import { clientError } from './support/client-error.js';

const START_BALANCE = 1_000_000n;
const LOCK_PERIOD = 5n;

let devnode: Devnode;
let node: NodeClient;
/** Every request the node client made, `METHOD path`. */
const requests: string[] = [];
let alice: Signer;
let bob: Signer;
let carol: Signer;
let root: string;

beforeAll(async () => {
  [alice, bob, carol] = (await Promise.all([41, 42, 43].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  devnode = await startDevnode({
    httpPort: 0,
    wsPort: 0,
    genesis: [alice, bob, carol].map((signer) => ({ pubkey: signer.publicKey, balance: START_BALANCE })),
  });
  node = new NodeClient(devnode.httpUrl, {
    fetch: (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
  });
  root = await fs.mkdtemp(join(tmpdir(), 'aesc-dispute-'));
});

afterAll(async () => {
  await devnode.close();
  await fs.rm(root, { recursive: true, force: true });
});


/** Runs `action` and says whether it posted anything. */
async function posts(action: () => Promise<unknown>): Promise<boolean> {
  const before = requests.length;
  await action();
  return requests.slice(before).some((request) => request.startsWith('POST /v2/tx'));
}


const balanceOf = async (signer: Signer) => (await node.getBalance(signer.address)) as bigint;

/** `signer`'s solo close from `store`, posted and mined, then `blocks - 1` more blocks. */
async function closedSoloBy(signer: Signer, store: StateStore, channelId: ChannelId, blocks = 1): Promise<DisputeResult> {
  const closing = closeSolo({ store, node, signer, channelId, pollMs: 5 });
  await expect.poll(() => devnode.chain.mempool.length).toBe(1);
  await devnode.mine(blocks);
  return closing;
}

const openChannel = channelOpener(() => ({ node, devnode }), LOCK_PERIOD);

describe('solo close, slash, settle against devnode', () => {
  it('closes alone from the stored round 5, is slashed with round 7, settles with round 7’s amounts', async () => {
    const channel = await openChannel(alice, bob, 700n, 400n);
    const round5 = await channel.state(5n, 600n, 500n);
    const round7 = await channel.state(7n, 450n, 650n);
    // Both states carry both parties' signatures.
    expect((await verifySignedTx(round7, [alice.publicKey, bob.publicKey])).valid).toBe(true);

    // Alice's store (on disk) holds round 5; a fresh store object reads it, as after a restart.
    const directory = join(root, 'alice');
    await new FileStore(directory).save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx, state: encodeTx(round5), round: 5n });
    const store = new FileStore(directory);

    const aliceBefore = await balanceOf(alice);
    const bobBefore = await balanceOf(bob);
    const heightBefore = await node.getHeight();
    const mining = setInterval(() => void devnode.mine(1), 20);
    let closed;
    try {
      closed = posted(await closeSolo({ store, node, signer: alice, channelId: channel.id, pollMs: 10 }));
    } finally {
      clearInterval(mining);
    }
    expect(closed.signedTx.tx).toMatchObject({ type: 'channel_close_solo_tx', from: alice.publicKey, fee: 1n, payload: decode(encodeTx(round5), 'tx') });
    const closeTx = closed.signedTx.tx as { ttl: bigint; nonce: bigint };
    expect(closeTx.ttl).toBeGreaterThanOrEqual(heightBefore + DEFAULT_TTL_MARGIN);
    expect(closeTx.ttl).toBeLessThanOrEqual(closed.blockHeight + DEFAULT_TTL_MARGIN);
    expect(closeTx.nonce).toBe(2n);
    expect((await node.getTx(closed.hash))?.blockHeight).toBe(closed.blockHeight);
    expect(requests).toContain('POST /v2/tx'); // the spy `posts` relies on sees posts
    let onChain = await node.getChannel(channel.id);
    expect(onChain).toMatchObject({ round: 5n, initiator_amount: 600n, responder_amount: 500n, closes_at: closed.blockHeight + LOCK_PERIOD });

    // The chain holds round 5 already: a slash with it has nothing to do (it was STATE_NOT_NEWER).
    let sameState: DisputeResult | undefined;
    expect(await posts(async () => (sameState = await slash({ node, signer: bob, channelId: channel.id, state: round5 })))).toBe(false);
    expect(sameState).toEqual({ reachedBy: 'equivalent', blockHeight: closed.blockHeight, ownTx: undefined });
    // Refused before anything is posted:
    const older = await clientError(slash({ node, signer: bob, channelId: channel.id, state: encodeTx(await channel.state(3n, 680n, 420n)) }), 'STATE_NOT_NEWER');
    expect(older.context).toMatchObject({ round: 3n, onChainRound: 5n });
    const bobOnly = await clientError(slash({ node, signer: bob, channelId: channel.id, state: await channel.state(9n, 100n, 1000n, [bob]) }), 'NOT_CO_SIGNED');
    expect(bobOnly.message).toContain(alice.address);
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: await channel.state(9n, 100n, 1000n, [bob, carol]) }), 'NOT_CO_SIGNED');
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: await channel.state(9n, 100n, 1000n, [alice, bob, carol]) }), 'NOT_CO_SIGNED');
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: await channel.state(9n, 1n, 1n) }), 'INVALID_STATE'); // amounts off the total
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: channel.createTx }), 'INVALID_STATE'); // not an off-chain state
    // Co-signed, newer, summing to the channel's total, but of another channel, or of other peers:
    const round9 = { ...(round7.tx as ChannelOffchainTx), previous_round: 8n, round: 9n };
    const otherChannel = await clientError(slash({ node, signer: bob, channelId: channel.id, state: await signedBy({ ...round9, channel_id: new Uint8Array(32).fill(7) }, alice, bob) }), 'INVALID_STATE');
    expect(otherChannel.message).toMatch(/the state belongs to ch\$\S+, not /);
    const otherPeers = await clientError(slash({ node, signer: bob, channelId: channel.id, state: await signedBy({ ...round9, responder: carol.publicKey }, alice, carol) }), 'INVALID_STATE');
    expect(otherPeers.message).toBe('the state names other peers than the channel on chain');
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: 'tx$notatx' as EncodedTx }), 'INVALID_STATE');
    // A SignedTx object is read as strictly as a tx$ string (it used to fail on `undefined.type`).
    const noTx = await clientError(slash({ node, signer: bob, channelId: channel.id, state: { type: 'signed_tx', signatures: round7.signatures } as never }), 'INVALID_STATE');
    expect(noTx.message).toMatch(/^the state is not a signed tx: .*tx/);
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: { ...round7, signatures: 'none' } as never }), 'INVALID_STATE');
    await clientError(slash({ node, signer: carol, channelId: channel.id, state: round7 }), 'NOT_A_PEER');
    // Alice's close again (a restarted script): the chain is closing with her state, nothing to post (it was CHANNEL_ALREADY_CLOSING).
    expect(await closeSolo({ store, node, signer: alice, channelId: channel.id })).toEqual({ reachedBy: 'equivalent', blockHeight: closed.blockHeight, ownTx: undefined });
    const early = await clientError(settle({ node, signer: alice, channelId: channel.id }), 'CHANNEL_NOT_CLOSABLE_YET');
    expect(early.context.closesAt).toBe(closed.blockHeight + LOCK_PERIOD);
    expect(await posts(() => clientError(settle({ node, signer: alice, channelId: channel.id }), 'CHANNEL_NOT_CLOSABLE_YET'))).toBe(false);
    expect(devnode.chain.mempool).toEqual([]);

    // Bob answers with the newer round 7.
    const slashing = slash({ node, signer: bob, channelId: channel.id, state: round7, pollMs: 10 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    const [slashBlock] = await devnode.mine(1);
    const slashed = posted(await slashing);
    expect(slashed.blockHeight).toBe(BigInt(slashBlock?.height ?? -1));
    expect(slashed.signedTx.tx).toMatchObject({ type: 'channel_slash_tx', from: bob.publicKey, payload: decode(encodeTx(round7), 'tx') });
    onChain = await node.getChannel(channel.id);
    expect(onChain).toMatchObject({ round: 7n, initiator_amount: 450n, responder_amount: 650n, closes_at: slashed.blockHeight + LOCK_PERIOD });

    // The slash restarted the lock period: still too early.
    await devnode.mine(Number(LOCK_PERIOD) - 2);
    await clientError(settle({ node, signer: alice, channelId: channel.id }), 'CHANNEL_NOT_CLOSABLE_YET');
    await devnode.mine(1);
    // The next block reaches closes_at: a slash could no longer be included, and nothing is posted.
    const round8 = await channel.state(8n, 400n, 700n);
    expect(await posts(() => clientError(slash({ node, signer: bob, channelId: channel.id, state: round8 }), 'CHANNEL_NOT_CLOSING'))).toBe(false);
    await devnode.mine(1);
    // Now past the lock period: a slash could no longer be included.
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: round8 }), 'CHANNEL_NOT_CLOSING');

    const settling = settle({ node, signer: alice, channelId: channel.id, pollMs: 10 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    const settled = posted(await settling);
    expect(settled.signedTx.tx).toMatchObject({ type: 'channel_settle_tx', from: alice.publicKey, initiator_amount: 450n, responder_amount: 650n, fee: 1n });
    expect(await node.getChannel(channel.id)).toBeUndefined();

    // Final balances: round 7's amounts, less each party's own fees.
    expect(await balanceOf(alice)).toBe(aliceBefore - 1n /* close_solo */ + 450n - 1n /* settle */);
    expect(await balanceOf(bob)).toBe(bobBefore - 1n /* slash */ + 650n);
    expect(await balanceOf(alice)).toBe(START_BALANCE - 700n - 1n /* create */ - 1n + 450n - 1n);
    expect(await balanceOf(bob)).toBe(START_BALANCE - 400n - 1n + 650n);

    await clientError(settle({ node, signer: alice, channelId: channel.id }), 'CHANNEL_NOT_FOUND');
    await clientError(closeSolo({ store, node, signer: alice, channelId: channel.id }), 'CHANNEL_NOT_FOUND');
  });

  it('settles as soon as the lock period allows when told to wait', async () => {
    const channel = await openChannel(bob, carol, 500n, 500n);
    const store = new MemoryStore();
    const round3 = await channel.state(3n, 480n, 520n);
    await store.save({ channelId: channel.id, role: 'responder', createTx: channel.createTx, state: encodeTx(round3), round: 3n });

    // Not closing yet: nothing to slash or settle.
    await clientError(slash({ node, signer: bob, channelId: channel.id, state: round3 }), 'CHANNEL_NOT_CLOSING');
    await clientError(settle({ node, signer: bob, channelId: channel.id }), 'CHANNEL_NOT_CLOSING');

    const mining = setInterval(() => void devnode.mine(1), 15);
    try {
      const closed = await closeSolo({ store, node, signer: carol, channelId: channel.id, pollMs: 5, confirmations: 1n });
      expect(await node.getHeight()).toBeGreaterThanOrEqual(closed.blockHeight + 1n);
      const heights: bigint[] = [];
      const settled = posted(await settle({ node, signer: bob, channelId: channel.id, waitUntilClosable: true, pollMs: 5, onProgress: ({ height }) => heights.push(height) }));
      // Included in the first block where settling is allowed, or soon after.
      expect(settled.blockHeight).toBeGreaterThanOrEqual(closed.blockHeight + LOCK_PERIOD);
      expect(settled.signedTx.tx).toMatchObject({ initiator_amount: 480n, responder_amount: 520n });
      expect(heights.length).toBeGreaterThan(0);
    } finally {
      clearInterval(mining);
    }
    expect(await node.getChannel(channel.id)).toBeUndefined();
  });

  it('a slash landing between settle’s reads of the chain is seen: the settle waits and carries the slashed amounts', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 500n, 300n);
    const closing = closeSolo({ store, node, signer: alice, channelId: channel.id, pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    await closing;
    await devnode.mine(Number(LOCK_PERIOD) - 2); // the next block reaches closes_at: settling looks possible
    const round4 = await channel.state(4n, 100n, 700n);
    const bobsSlash = await signedBy(
      { type: 'channel_slash_tx', channel_id: decode(channel.id, 'ch'), from: bob.publicKey, payload: serializeTx(round4), ttl: 10_000n, fee: 1n, nonce: await node.nextNonce(bob.address) },
      bob,
    );
    // Bob's slash is included right before settle's second read of the chain, whichever it is.
    // Blocks come on their own only after that (for the restarted lock period): one mined
    // earlier would bring the chain to closes_at first, where the slash is too late.
    let reads = 0;
    let mining: ReturnType<typeof setInterval> | undefined;
    const racing = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        if ((path.endsWith('/top') || path.includes('/channels/')) && ++reads === 2) {
          await node.postTx(bobsSlash);
          await devnode.mine(1);
          expect(devnode.chain.mempool).toHaveLength(0); // included, not left waiting
          mining = setInterval(() => void devnode.mine(1), 10);
        }
        return fetch(input, init);
      },
    });
    try {
      const settled = posted(await settle({ node: racing, signer: alice, channelId: channel.id, waitUntilClosable: true, pollMs: 5, timeoutMs: 10_000 }));
      expect(settled.signedTx.tx).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 100n, responder_amount: 700n });
    } finally {
      clearInterval(mining);
    }
    expect(reads).toBeGreaterThan(2);
  });

  // A `StateStore` of the app's own may reject with anything, as it may on a save (STORE_IO there too).
  it.each([
    ['an Error', new Error('the disk is gone'), 'the disk is gone'],
    ['a string', 'quota exceeded', 'quota exceeded'],
  ])('a store whose load rejects with %s: STORE_IO with its cause, nothing posted', async (_case, thrown, message) => {
    const channel = await openChannel(carol, alice, 300n, 300n);
    const store: StateStore = { load: () => Promise.reject(thrown), save: async () => undefined, list: async () => [] };
    const error = await clientError(closeSolo({ store, node, signer: carol, channelId: channel.id }), 'STORE_IO');
    expect(error.message).toBe(message);
    expect(error.cause).toBe(thrown);
    expect(error.context).toEqual({ channelId: channel.id });
    expect(await node.getChannel(channel.id)).toMatchObject({ closes_at: 0n });
  });

  it('a store whose load fails with a ClientError: that error as it is (a FileStore’s STORE_CORRUPT), nothing posted', async () => {
    const channel = await openChannel(carol, alice, 300n, 300n);
    const directory = await fs.mkdtemp(join(tmpdir(), 'aesc-dispute-'));
    try {
      await fs.mkdir(join(directory, channel.id));
      await fs.writeFile(join(directory, channel.id, 'snapshot.json'), '{"version":');
      const error = await clientError(closeSolo({ store: new FileStore(directory), node, signer: carol, channelId: channel.id }), 'STORE_CORRUPT');
      expect(error.context).toEqual({ path: join(directory, channel.id, 'snapshot.json') });
      expect(await node.getChannel(channel.id)).toMatchObject({ closes_at: 0n });
    } finally {
      await fs.rm(directory, { recursive: true, force: true });
    }
  });

  it('needs a stored co-signed state to close from', async () => {
    const channel = await openChannel(carol, alice, 300n, 300n);
    const store = new MemoryStore();
    await clientError(closeSolo({ store, node, signer: carol, channelId: channel.id }), 'NOT_FOUND');
    await store.save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx });
    await clientError(closeSolo({ store, node, signer: carol, channelId: channel.id }), 'NO_STATE');
    await store.save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx, state: encodeTx(await channel.state(2n, 290n, 310n)), round: 2n });
    await clientError(closeSolo({ store, node, signer: bob, channelId: channel.id }), 'NOT_A_PEER');
    // A state with a signature that does not verify: our stores refuse to keep one, so it comes
    // from an app's own StateStore that does not check, and closeSolo checks again.
    const forged = await channel.state(3n, 280n, 320n);
    const tampered: SignedTx = { ...forged, tx: { ...(forged.tx as ChannelOffchainTx), initiator_amount: 1n, responder_amount: 599n } };
    const tamperedSnapshot = { channelId: channel.id, role: 'initiator' as const, createTx: channel.createTx, state: encodeTx(tampered), round: 3n };
    await clientError(store.save(tamperedSnapshot), 'INVALID_SNAPSHOT');
    const lax: StateStore = { load: async () => tamperedSnapshot, save: async () => undefined, list: async () => [channel.id] };
    expect(await posts(() => clientError(closeSolo({ store: lax, node, signer: carol, channelId: channel.id }), 'NOT_CO_SIGNED'))).toBe(false);
    expect((await node.getChannel(channel.id))?.closes_at).toBe(0n);

    // After a deposit, a state from before it no longer matches the channel's total.
    const deposit = await signedBy(
      { type: 'channel_deposit_tx', channel_id: decode(channel.id, 'ch'), from: carol.publicKey, amount: 10n, ttl: 10_000n, fee: 1n, nonce: await node.nextNonce(carol.address) },
      carol,
      alice,
    );
    const depositHash = await node.postTx(deposit);
    await devnode.mine(1);
    await node.waitForTx(depositHash);
    await store.save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx, state: encodeTx(await channel.state(4n, 290n, 310n)), round: 4n });
    const stale = await clientError(closeSolo({ store, node, signer: carol, channelId: channel.id }), 'INVALID_STATE');
    expect(stale.message).toMatch(/sum to 600, the channel holds 610/);
  });

  it('with a co-signed mutual close in the store: refuses while it is pending (it used to post a rival solo close) and once it is mined', async () => {
    const channel = await openChannel(alice, bob, 300n, 300n);
    const round2 = await channel.state(2n, 290n, 310n);
    const closeMutual = async (initiatorAmount: bigint, responderAmount: bigint) =>
      channel.mutualClose(initiatorAmount, responderAmount, await node.nextNonce(alice.address));
    const withClose = async (close: SignedTx) => {
      const store = new MemoryStore();
      await store.save({ channelId: channel.id, role: 'responder', createTx: channel.createTx, state: encodeTx(round2), round: 2n, closeTx: encodeTx(close) });
      return store;
    };

    // Posted and waiting in the mempool: a solo close would be a rival tx (it used to be posted).
    const close = await closeMutual(289n, 310n);
    const store = await withClose(close);
    const closeHash = await node.postTx(close);
    const pending = await clientError(closeSolo({ store, node, signer: bob, channelId: channel.id }), 'MUTUAL_CLOSE_PENDING');
    expect(pending.context).toMatchObject({ channelId: channel.id, txHash: closeHash });
    expect(await posts(() => clientError(closeSolo({ store, node, signer: bob, channelId: channel.id }), 'MUTUAL_CLOSE_PENDING'))).toBe(false);
    expect(devnode.chain.mempool.map((record) => record.hash)).toEqual([closeHash]);

    // Mined: the channel is gone, and the error says how.
    const [block] = await devnode.mine(1);
    const closed = await clientError(closeSolo({ store, node, signer: bob, channelId: channel.id }), 'CHANNEL_NOT_FOUND');
    expect(closed.message).toBe(`${channel.id} was closed mutually by ${closeHash} at height ${block?.height}`);
    expect(closed.context).toMatchObject({ txHash: closeHash, height: BigInt(block?.height ?? -1) });
  });

  it('closes alone from the state when the store’s mutual close never reached the node, or the node dropped it', async () => {
    for (const posted of [false, true]) {
      const channel = await openChannel(bob, carol, 300n, 300n);
      const round2 = await channel.state(2n, 290n, 310n);
      // Dropped: amounts that do not add up, refused when a block tries it.
      const responderAmount = posted ? 300n : 310n;
      const close = await channel.mutualClose(289n, responderAmount, await node.nextNonce(bob.address));
      if (posted) {
        const hash = await node.postTx(close);
        await devnode.mine(1);
        await clientError(node.getTx(hash), 'TX_REJECTED');
      }
      const store = new MemoryStore();
      await store.save({ channelId: channel.id, role: 'responder', createTx: channel.createTx, state: encodeTx(round2), round: 2n, closeTx: encodeTx(close) });
      const mining = setInterval(() => void devnode.mine(1), 10);
      try {
        await closeSolo({ store, node, signer: carol, channelId: channel.id, pollMs: 5 });
      } finally {
        clearInterval(mining);
      }
      expect(await node.getChannel(channel.id)).toMatchObject({ round: 2n, initiator_amount: 290n, responder_amount: 310n });
    }
  });

  it('closeSolo whose tx waits while the peer posts the stored mutual close: the wait goes on and the chain decides (it threw MUTUAL_CLOSE_PENDING while its own close could still be included)', async () => {
    const channel = await openChannel(bob, carol, 300n, 300n);
    const bobsNonce = await node.nextNonce(bob.address);
    const carolsNonce = await node.nextNonce(carol.address);
    // Both wait in the mempool for an earlier nonce of their sender's.
    const close = await channel.mutualClose(289n, 310n, bobsNonce + 1n);
    const store = await channel.storeOf(2n, 290n, 310n, 'responder', close);
    const closing = closeSolo({ store, node, signer: carol, channelId: channel.id, pollMs: 5, nonce: carolsNonce + 1n });
    closing.catch(() => undefined);
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await node.postTx(close);
    await devnode.mine(2);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the call looks at both blocks
    const spend = (signer: Signer, nonce: bigint) => signedBy({ type: 'spend_tx', sender: signer.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce, payload: new Uint8Array() }, signer);
    await node.postTx(await spend(carol, carolsNonce));
    const [block] = await devnode.mine(1);
    expect(posted(await closing).blockHeight).toBe(BigInt(block?.height ?? -1));
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 2n, closes_at: BigInt(block?.height ?? -1) + LOCK_PERIOD });
    // Bob's earlier nonce comes: his mutual close is dropped, the channel solo-closing.
    await node.postTx(await spend(bob, bobsNonce));
    await devnode.mine(1);
    expect(devnode.chain.mempool).toEqual([]);
  });

  it('closeSolo whose tx is dropped while the peer’s post of the stored mutual close waits: MUTUAL_CLOSE_PENDING, not the bare TX_REJECTED', async () => {
    const channel = await openChannel(bob, carol, 300n, 300n);
    const bobsNonce = await node.nextNonce(bob.address);
    // It waits in the mempool for an earlier nonce of Bob's.
    const close = await channel.mutualClose(289n, 310n, bobsNonce + 1n);
    const store = await channel.storeOf(2n, 290n, 310n, 'responder', close);
    const held = holdingPost();
    const closing = closeSolo({ store, node: held.node, signer: carol, channelId: channel.id, pollMs: 5, ttl: (await node.getHeight()) + 1n });
    closing.catch(() => undefined);
    await held.holding;
    const closeHash = await node.postTx(close);
    await devnode.mine(2); // the solo close's ttl passes before it reaches the node
    held.release();
    await expect.poll(() => devnode.chain.mempool.length).toBe(2);
    await devnode.mine(1);
    expect((await clientError(closing, 'MUTUAL_CLOSE_PENDING')).context).toMatchObject({ txHash: closeHash });
    await node.postTx(await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: bobsNonce, payload: new Uint8Array() }, bob));
    await devnode.mine(1);
    expect(devnode.chain.mempool).toEqual([]);
    expect(await node.getChannel(channel.id)).toBeUndefined();
  });

  it('checks its arguments', async () => {
    const id: ChannelId = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    await expect(closeSolo({ store: new MemoryStore(), node, signer: alice, channelId: 'ch$nope' as ChannelId })).rejects.toThrow(TypeError);
    await expect(closeSolo({ store: undefined as never, node, signer: alice, channelId: id })).rejects.toThrow(TypeError);
    await expect(settle({ node, signer: {} as Signer, channelId: id })).rejects.toThrow(TypeError);
    await expect(settle({ node, signer: alice, channelId: id, fee: 0n })).rejects.toThrow(RangeError);
    await expect(settle({ node, signer: alice, channelId: id, fee: 1 as never })).rejects.toThrow(TypeError);
    await expect(slash({ node, signer: alice, channelId: id, state: encodeTx(await signedBy({ type: 'spend_tx', sender: alice.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, alice)), nonce: 0n })).rejects.toThrow(RangeError);
    await expect(slash({ node, signer: alice, channelId: id, state: 42 as never })).rejects.toThrow(TypeError);
    const channel = await openChannel(alice, carol, 100n, 100n);
    const store = await channel.storeOf(1n, 100n, 100n);
    await expect(closeSolo({ store, node, signer: alice, channelId: channel.id, ttl: await node.getHeight() })).rejects.toThrow(RangeError);
  });

  it('checks the wait’s options before it posts anything (they used to throw only once the tx was out)', async () => {
    const channel = await openChannel(alice, carol, 100n, 100n);
    const store = await channel.storeOf(1n, 100n, 100n);
    for (const wrong of [{ timeoutMs: -1 }, { timeoutMs: Number.NaN }, { pollMs: 0 }, { onProgress: 'progress' as never }]) {
      expect(await posts(() => expect(closeSolo({ store, node, signer: alice, channelId: channel.id, ...wrong })).rejects.toThrow(TypeError))).toBe(false);
    }
    expect(devnode.chain.mempool).toEqual([]);
    expect((await node.getChannel(channel.id))?.closes_at).toBe(0n);
  });
});

/**
 * A node client whose first `POST /tx` waits until `release()`: the call has read the chain and
 * built its tx, and another run posts its own meanwhile, as two processes do (a re-run while the
 * first still runs, a watchtower and the user). `forgetful`: a tx the node dropped is a plain
 * 404, as v0.14 forgot it, instead of devnode's `rejected` reason. `failsAfterPost`: once that
 * `POST` is answered, every request is a 503.
 */
function holdingPost({ forgetful = false, failsAfterPost = false } = {}) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached!: () => void;
  const holding = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let held = false;
  let answered = false;
  const client = new NodeClient(devnode.httpUrl, {
    fetch: async (input, init) => {
      if (answered && failsAfterPost) return new Response(JSON.stringify({ reason: 'down for maintenance' }), { status: 503, headers: { 'content-type': 'application/json' } });
      if (!held && init?.method === 'POST' && new URL(String(input)).pathname === '/v2/tx') {
        held = true;
        reached();
        await released;
        answered = true;
      }
      const response = await fetch(input, init);
      if (!forgetful || response.status !== 404) return response;
      const { reason } = (await response.json()) as { reason?: unknown };
      return new Response(JSON.stringify({ reason }), { status: 404, headers: { 'content-type': 'application/json' } });
    },
  });
  return { node: client, holding, release };
}

/**
 * Runs `first` until it posts (held), mines a block (a later height: another default ttl), runs
 * `second` until its tx waits in the mempool, lets `first` post its own, and mines the block that
 * takes one of the two txs. With one signer, both carry one nonce: the block takes `second`'s
 * (posted first) and drops `first`'s.
 */
async function twiceAtOnce<T>(first: (node: NodeClient) => Promise<T>, second: () => Promise<T>, options: { forgetful?: boolean } = {}) {
  const held = holdingPost(options);
  const firstRun = first(held.node);
  firstRun.catch(() => undefined);
  await held.holding;
  await devnode.mine(1);
  const secondRun = second();
  secondRun.catch(() => undefined);
  await expect.poll(() => devnode.chain.mempool.length).toBe(1);
  held.release();
  await expect.poll(() => devnode.chain.mempool.length).toBe(2);
  const [block] = await devnode.mine(1);
  expect(devnode.chain.mempool).toEqual([]);
  const [firstResult, secondResult] = await Promise.all([firstRun, secondRun]);
  return { first: firstResult, second: secondResult, height: BigInt(block?.height ?? -1) };
}

/** The result of a call whose own tx reached the outcome. */
function posted(result: DisputeResult) {
  expect(result.reachedBy).toBe('posted');
  return result as Extract<DisputeResult, { reachedBy: 'posted' }>;
}

/** The result of a call whose outcome another tx reached. */
function equivalent(result: DisputeResult) {
  expect(result.reachedBy).toBe('equivalent');
  return result as Extract<DisputeResult, { reachedBy: 'equivalent' }>;
}

const nonceOf = (signedTx: SignedTx) => (signedTx.tx as { nonce: bigint }).nonce;

describe('run again, or twice at once: a dispute resolves once the chain is where it was asked to go', () => {
  it('closeSolo twice at once: the run whose tx is dropped for its nonce resolves with the other’s outcome (it threw TX_REJECTED); a re-run once mined resolves and posts nothing (it threw CHANNEL_ALREADY_CLOSING)', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(3n, 350n, 450n);
    const aliceBefore = await balanceOf(alice);
    const run = (client: NodeClient) => closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5 });
    const twice = await twiceAtOnce(run, () => run(node));
    const winner = posted(twice.second);
    const loser = equivalent(twice.first);
    expect(winner.blockHeight).toBe(twice.height);
    expect(loser.blockHeight).toBe(twice.height);
    // The loser's own tx, refused: the same nonce, another ttl, another hash.
    expect(loser.ownTx?.signedTx.tx).toMatchObject({ type: 'channel_close_solo_tx', from: alice.publicKey });
    expect(nonceOf(loser.ownTx?.signedTx as SignedTx)).toBe(nonceOf(winner.signedTx));
    expect(loser.ownTx?.hash).not.toBe(winner.hash);
    await clientError(node.getTx(loser.ownTx?.hash as TxHash), 'TX_REJECTED');
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 3n, initiator_amount: 350n, closes_at: twice.height + LOCK_PERIOD });
    expect(await balanceOf(alice)).toBe(aliceBefore - 1n); // one fee: one tx was included

    // Run again once mined (a restarted script): the chain's outcome, nothing posted.
    let again: DisputeResult | undefined;
    expect(await posts(async () => (again = await run(node)))).toBe(false);
    expect(again).toEqual({ reachedBy: 'equivalent', blockHeight: twice.height, ownTx: undefined });
    // With confirmations, it waits for them on top of that block.
    const mining = setInterval(() => void devnode.mine(1), 10);
    try {
      expect(equivalent(await closeSolo({ store, node, signer: alice, channelId: channel.id, pollMs: 5, confirmations: 2n })).blockHeight).toBe(twice.height);
    } finally {
      clearInterval(mining);
    }
    expect(await node.getHeight()).toBeGreaterThanOrEqual(twice.height + 2n);
  });

  it('closeSolo next to a rival, on a node that forgets the dropped tx (v0.14): resolves when the channel shows the outcome (it waited until its timeout)', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    const run = (client: NodeClient) => closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5, timeoutMs: 5_000 });
    const twice = await twiceAtOnce(run, () => run(node), { forgetful: true });
    posted(twice.second);
    const loser = equivalent(twice.first);
    expect(loser.blockHeight).toBe(twice.height);
    expect(await holdingPost({ forgetful: true }).node.getTx(loser.ownTx?.hash as TxHash)).toBeUndefined(); // forgotten, not reported
  });

  it('slash twice at once, and again once mined: one tx, both runs and the re-run resolve; an older state is still STATE_NOT_NEWER', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    await closedSoloBy(bob, await channel.storeOf(2n, 300n, 500n, 'responder'), channel.id);
    const round4 = await channel.state(4n, 450n, 350n);
    const run = (client: NodeClient) => slash({ node: client, signer: alice, channelId: channel.id, state: round4, pollMs: 5 });
    const twice = await twiceAtOnce(run, () => run(node));
    expect(posted(twice.second).blockHeight).toBe(twice.height);
    expect(equivalent(twice.first).blockHeight).toBe(twice.height);
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 4n, initiator_amount: 450n, closes_at: twice.height + LOCK_PERIOD });

    let again: DisputeResult | undefined;
    expect(await posts(async () => (again = await run(node)))).toBe(false);
    expect(again).toEqual({ reachedBy: 'equivalent', blockHeight: twice.height, ownTx: undefined });
    const round3 = await channel.state(3n, 420n, 380n);
    expect(await posts(() => clientError(slash({ node, signer: alice, channelId: channel.id, state: round3 }), 'STATE_NOT_NEWER'))).toBe(false);
  });

  it('settle twice at once: the dropped run resolves once the channel is paid out (it threw TX_REJECTED); a re-run after that cannot tell a settle from a close: CHANNEL_NOT_FOUND', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 380n, 420n);
    await closedSoloBy(alice, store, channel.id, Number(LOCK_PERIOD));
    const aliceBefore = await balanceOf(alice);
    const run = (client: NodeClient) => settle({ node: client, signer: alice, channelId: channel.id, pollMs: 5 });
    const twice = await twiceAtOnce(run, () => run(node));
    expect(posted(twice.second).signedTx.tx).toMatchObject({ type: 'channel_settle_tx', initiator_amount: 380n, responder_amount: 420n });
    expect(equivalent(twice.first).blockHeight).toBe(twice.height);
    expect(await node.getChannel(channel.id)).toBeUndefined();
    expect(await balanceOf(alice)).toBe(aliceBefore + 380n - 1n);
    const rerun = await clientError(run(node), 'CHANNEL_NOT_FOUND');
    // it says what it cannot tell, and how the caller can: the settle it posted is mined
    expect(rerun.message).toBe(`no channel ${channel.id} on chain: never created, closed mutually, or already paid out by a settle (an earlier run's: getTx of its hash, or the balance, tells which)`);
    expect(rerun.context).toEqual({ channelId: channel.id });
    expect((await node.getTx(posted(twice.second).hash))?.blockHeight).toBe(twice.height);
  });

  it('settle twice at once, the dropped run reading the height just before the block that pays out: its blockHeight is that block, not the one before (confirmations count from it)', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 380n, 420n);
    await closedSoloBy(alice, store, channel.id, Number(LOCK_PERIOD));
    // The first run's node answers a height read while both settles wait in the mempool only
    // once they are mined: the channel it reads next is gone, at a height it has not read.
    const lagging = (client: NodeClient): NodeClient =>
      new Proxy(client, {
        get(target, property) {
          if (property === 'getHeight') {
            return async (...args: Parameters<NodeClient['getHeight']>) => {
              const height = await target.getHeight(...args);
              if (devnode.chain.mempool.length === 2) await expect.poll(() => devnode.chain.mempool.length, { interval: 2 }).toBe(0);
              return height;
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const run = (client: NodeClient) => settle({ node: client, signer: alice, channelId: channel.id, pollMs: 5 });
    const twice = await twiceAtOnce((client) => run(lagging(client)), () => run(node));
    expect(posted(twice.second).blockHeight).toBe(twice.height);
    expect(equivalent(twice.first).blockHeight).toBe(twice.height);
  });

  it('closeSolo while the peer’s solo close with an older state is pending: CHANNEL_ALREADY_CLOSING, to slash (it threw TX_REJECTED); the slash then wins; on a node that forgets the dropped close too (it waited until its timeout)', async () => {
    // forgetful: the wait's look at the channel at the next block tells, not the node.
    for (const forgetful of [false, true]) {
      const channel = await openChannel(alice, bob, 400n, 400n);
      const aliceStore = new MemoryStore();
      const bobStore = new MemoryStore();
      const round4 = await channel.state(4n, 420n, 380n);
      await aliceStore.save({ channelId: channel.id, role: 'initiator', createTx: channel.createTx, state: encodeTx(round4), round: 4n });
      await bobStore.save({ channelId: channel.id, role: 'responder', createTx: channel.createTx, state: encodeTx(await channel.state(2n, 300n, 500n)), round: 2n });
      // Alice has read an active channel and built her close when Bob's older one is included.
      const held = holdingPost({ forgetful });
      const alicesClose = closeSolo({ store: aliceStore, node: held.node, signer: alice, channelId: channel.id, pollMs: 5, timeoutMs: 10_000 });
      alicesClose.catch(() => undefined);
      await held.holding;
      await closedSoloBy(bob, bobStore, channel.id);
      held.release();
      await expect.poll(() => devnode.chain.mempool.length).toBe(1);
      await devnode.mine(1);
      const closing = await clientError(alicesClose, 'CHANNEL_ALREADY_CLOSING');
      expect(closing.context).toMatchObject({ channelId: channel.id, round: 4n, onChainRound: 2n });
      expect(closing.message).toMatch(/slash with a newer state instead/);

      const slashing = slash({ node, signer: alice, channelId: channel.id, state: round4, pollMs: 5 });
      await expect.poll(() => devnode.chain.mempool.length).toBe(1);
      await devnode.mine(1);
      posted(await slashing);
      expect(await node.getChannel(channel.id)).toMatchObject({ round: 4n, initiator_amount: 420n });
    }
  });

  it('a tx the node refuses at admission (a 4xx: its nonce used by the other run’s tx, mined meanwhile) resolves with the outcome; when the node fails that second look (a 5xx), the refusal stands', async () => {
    for (const failsAfterPost of [false, true]) {
      const channel = await openChannel(alice, bob, 400n, 400n);
      const store = await channel.storeOf(2n, 390n, 410n);
      const run = (client: NodeClient) => closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5 });
      const held = holdingPost({ failsAfterPost });
      const first = run(held.node);
      first.catch(() => undefined);
      await held.holding;
      await devnode.mine(1); // another ttl for the second run
      const second = run(node);
      await expect.poll(() => devnode.chain.mempool.length).toBe(1);
      const [block] = await devnode.mine(1);
      const height = BigInt(block?.height ?? -1);
      expect(posted(await second).blockHeight).toBe(height);
      held.release();
      if (failsAfterPost) {
        const refused = await clientError(first, 'NODE_ERROR');
        expect(refused.context).toMatchObject({ status: 400, reason: 'account_nonce_too_high' });
      } else {
        const loser = equivalent(await first);
        expect(loser.blockHeight).toBe(height);
        expect(nonceOf(loser.ownTx?.signedTx as SignedTx)).toBe(nonceOf(posted(await second).signedTx));
      }
      expect(devnode.chain.mempool).toEqual([]);
    }
  });

  it('its tx mined between the wait’s look at it and its look at the channel: resolves as posted, not as equivalent', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    // A block comes before the tx reaches the node, so that the wait looks at once; the tx is
    // mined right before that look reads the channel. The wait for the tx itself polls slowly.
    let sent = false;
    let minedAt: bigint | undefined;
    const client = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        if (init?.method === 'POST' && path === '/v2/tx') {
          await devnode.mine(1);
          sent = true;
        } else if (sent && minedAt === undefined && path.startsWith('/v2/channels/')) {
          const [block] = await devnode.mine(1);
          minedAt = BigInt(block?.height ?? -1);
        }
        return fetch(input, init);
      },
    });
    const closed = posted(await closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 500 }));
    expect(closed.blockHeight).toBe(minedAt);
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 2n, closes_at: closed.blockHeight + LOCK_PERIOD });
  });

  it('while it waits, looks at the channel once per block (a 5xx look is let pass), not at each poll, and no more once its tx is in a block', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    let sent = false;
    const looks: string[] = [];
    const client = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        if (init?.method === 'POST' && path === '/v2/tx') {
          await devnode.mine(1); // a block the tx is not in: the wait looks at once
          sent = true;
        } else if (sent && path.startsWith('/v2/channels/')) {
          looks.push(path);
          if (looks.length === 1) return new Response(JSON.stringify({ reason: 'down for maintenance' }), { status: 503, headers: { 'content-type': 'application/json' } });
        }
        return fetch(input, init);
      },
    });
    const closing = closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5, confirmations: 2n });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await expect.poll(() => looks.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100)); // some 20 polls, no block
    expect(looks).toHaveLength(1);
    const [block] = await devnode.mine(1);
    for (let confirmation = 0; confirmation < 2; confirmation++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await devnode.mine(1);
    }
    expect(posted(await closing).blockHeight).toBe(BigInt(block?.height ?? -1));
    expect(looks).toHaveLength(1);
  });

  it('a look still running when the call resolves is cut short, and nothing of the call goes on after it (it ran to its end, a request after the other)', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    // A block comes before the tx reaches the node, so that the wait looks at the chain; its tx
    // is mined during that look, whose answer the node holds back: the wait for the tx ends first.
    let sent = false;
    let look: { aborted: boolean } | undefined;
    let resolved = false;
    const late: string[] = [];
    const client = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        if (resolved) late.push(path);
        if (init?.method === 'POST' && path === '/v2/tx') {
          await devnode.mine(1);
          sent = true;
        } else if (sent && look === undefined && path.startsWith('/v2/channels/')) {
          const held = { aborted: false };
          look = held;
          await devnode.mine(1);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 2_000);
            init?.signal?.addEventListener('abort', () => {
              held.aborted = true;
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return fetch(input, init);
      },
    });
    const closed = posted(await closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5 }));
    resolved = true;
    await expect.poll(() => look?.aborted, { timeout: 500 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(late).toEqual([]);
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 2n, closes_at: closed.blockHeight + LOCK_PERIOD });
  });

  it('slash with a newer state whose amounts are those the chain holds (an older round): posts it, a later round is not the same state', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    await closedSoloBy(bob, await channel.storeOf(3n, 390n, 410n, 'responder'), channel.id);
    // Round 5 pays what round 3 paid; left at round 3, the chain takes Bob's slash with round 4.
    const slashing = slash({ node, signer: alice, channelId: channel.id, state: await channel.state(5n, 390n, 410n), pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    const [block] = await devnode.mine(1);
    expect(posted(await slashing).blockHeight).toBe(BigInt(block?.height ?? -1));
    expect(await node.getChannel(channel.id)).toMatchObject({ round: 5n, initiator_amount: 390n });
  });

  it('a node that says the channel closes with the call’s round but other amounts (one round is co-signed once): not the call’s state, nothing posted', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const round3 = await channel.state(3n, 390n, 410n);
    const store = new MemoryStore();
    await store.save({ channelId: channel.id, role: 'responder', createTx: channel.createTx, state: encodeTx(round3), round: 3n });
    const closing = closeSolo({ store, node, signer: bob, channelId: channel.id, pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    await closing;
    const hostile = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!new URL(String(input)).pathname.startsWith('/v2/channels/')) return response;
        const text = (await response.text()).replace(/("initiator_amount":\s*)390\b/, '$1380').replace(/("responder_amount":\s*)410\b/, '$1420');
        return new Response(text, { status: response.status, headers: { 'content-type': 'application/json' } });
      },
    });
    expect(await hostile.getChannel(channel.id)).toMatchObject({ round: 3n, initiator_amount: 380n, responder_amount: 420n });
    expect(await posts(() => clientError(closeSolo({ store, node: hostile, signer: bob, channelId: channel.id }), 'CHANNEL_ALREADY_CLOSING'))).toBe(false);
    expect(await posts(() => clientError(slash({ node: hostile, signer: alice, channelId: channel.id, state: round3 }), 'STATE_NOT_NEWER'))).toBe(false);
    expect(devnode.chain.mempool).toEqual([]);
  });

  it('its signal ends it with ABORTED before it posts, while it waits for its tx, for the lock period or for confirmations; no request of the call follows', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    let aborted = false;
    let sent = 0;
    const late: string[] = [];
    const client = new NodeClient(devnode.httpUrl, {
      fetch: (input, init) => {
        sent++;
        if (aborted) late.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    });
    /** Aborts `call` once `ready` holds, expects ABORTED, then that no request followed. */
    const abortWhen = async (ready: () => boolean, call: (signal: AbortSignal) => Promise<DisputeResult>) => {
      const controller = new AbortController();
      const running = call(controller.signal);
      running.catch(() => undefined);
      await expect.poll(ready).toBe(true);
      controller.abort();
      aborted = true;
      await clientError(running, 'ABORTED');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(late).toEqual([]);
      aborted = false;
    };
    const done = new AbortController();
    done.abort();
    expect(await posts(() => clientError(closeSolo({ store, node, signer: alice, channelId: channel.id, signal: done.signal }), 'ABORTED'))).toBe(false);
    await abortWhen(() => devnode.chain.mempool.length === 1, (signal) => closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5, signal }));
    const [block] = await devnode.mine(1);
    expect(await node.getChannel(channel.id)).toMatchObject({ closes_at: BigInt(block?.height ?? -1) + LOCK_PERIOD });
    const polling = () => {
      const mark = sent;
      return () => sent > mark + 5;
    };
    await abortWhen(polling(), (signal) => settle({ node: client, signer: alice, channelId: channel.id, waitUntilClosable: true, pollMs: 5, signal }));
    // The chain holds the state: 'equivalent', waiting for confirmations that do not come.
    await abortWhen(polling(), (signal) => closeSolo({ store, node: client, signer: alice, channelId: channel.id, pollMs: 5, confirmations: 2n, signal }));
    expect(devnode.chain.mempool).toEqual([]);
  });

  it('settle whose tx waits, told by a lagging node that the lock period runs on: the wait goes on and the chain decides', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 380n, 420n);
    await closedSoloBy(alice, store, channel.id, Number(LOCK_PERIOD));
    // A block comes before the tx reaches the node, so that the wait looks at once; that look
    // reads the channel as a node that has not seen the last blocks would, closing later.
    let sent = false;
    let lagged = false;
    const client = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname;
        if (init?.method === 'POST' && path === '/v2/tx') {
          await devnode.mine(1);
          sent = true;
        } else if (sent && !lagged && path.startsWith('/v2/channels/')) {
          lagged = true;
          const response = await fetch(input, init);
          const text = (await response.text()).replace(/("closes_at":\s*)(\d+)/, (_match, key: string, value: string) => `${key}${BigInt(value) + 100n}`);
          return new Response(text, { status: response.status, headers: { 'content-type': 'application/json' } });
        }
        return fetch(input, init);
      },
    });
    const settling = settle({ node: client, signer: alice, channelId: channel.id, pollMs: 5 });
    await expect.poll(() => lagged).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const [block] = await devnode.mine(1);
    expect(posted(await settling).blockHeight).toBe(BigInt(block?.height ?? -1));
    expect(await node.getChannel(channel.id)).toBeUndefined();
  });

  it('a run whose tx is dropped while the channel stays as it was still throws TX_REJECTED; run again, it posts anew with the same nonce', async () => {
    const channel = await openChannel(alice, bob, 400n, 400n);
    const store = await channel.storeOf(2n, 390n, 410n);
    const nonce = await node.nextNonce(alice.address);
    const held = holdingPost();
    const first = closeSolo({ store, node: held.node, signer: alice, channelId: channel.id, pollMs: 5, ttl: (await node.getHeight()) + 1n });
    first.catch(() => undefined);
    await held.holding;
    await devnode.mine(2); // its ttl passes before it reaches the node
    held.release();
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    expect((await clientError(first, 'TX_REJECTED')).context.reason).toBe('ttl_expired');
    expect((await node.getChannel(channel.id))?.closes_at).toBe(0n);

    const again = closeSolo({ store, node, signer: alice, channelId: channel.id, pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    expect(nonceOf(posted(await again).signedTx)).toBe(nonce);
  });
});

describe('watching the chain: the peer closes alone while the channel runs (README, “Watching the chain”)', () => {
  it('nothing tells the client and the channel co-signs on; getChannel shows the close (closes_at, a round below ours); the slash with the client’s state wins, at the edges each call refuses naming the heights, a payment co-signed too late is lost, and no coin goes astray', async () => {
    const directory = join(root, 'watching');
    const carolsStore = new MemoryStore();
    const { initiatorClient: bobsClient, responderClient: carolsClient, id } = await openLiveChannel(devnode, {
      initiator: bob,
      responder: carol,
      lockPeriod: LOCK_PERIOD,
      port: 32_100,
      initiatorStore: new FileStore(directory),
      responderStore: carolsStore,
    });
    const bobsEvents: string[] = [];
    for (const event of ['onChainTx', 'error', 'died', 'statusChanged', 'conflict', 'signRefused'] as const) bobsClient.on(event, () => bobsEvents.push(event));
    const carolsStates: CoSignedState[] = [];
    carolsClient.on('stateChanged', (state) => carolsStates.push(state));
    for (let i = 0; i < 3; i++) await bobsClient.update({ from: bob.address, to: carol.address, amount: 100n });
    await carolsClient.update({ from: carol.address, to: bob.address, amount: 30n });
    // Funded and open: from here on, only the dispute's fees leave the two accounts.
    const [bobBefore, carolBefore] = [await balanceOf(bob), await balanceOf(carol)];

    // Carol closes alone with round 4, her best (800, before she paid back 30), taken from her
    // history (her store keeps only the newest).
    const round4 = carolsStates.find((state) => state.round === 4n) as CoSignedState;
    expect(round4.balances).toEqual({ initiator: 700n, responder: 800n });
    const cheat = new MemoryStore();
    await cheat.save({ channelId: id, role: 'responder', createTx: (await carolsStore.load(id))?.createTx as EncodedTx, state: round4.encoded, round: 4n });
    const carolsClose = posted(await closedSoloBy(carol, cheat, id));

    // Nothing reaches bob's client: the node does not watch the chain. The channel runs on, and
    // carol's next payment is co-signed and stored as any other.
    const paid = await carolsClient.update({ from: carol.address, to: bob.address, amount: 50n });
    expect(paid.round).toBe(6n);
    await expect.poll(() => bobsClient.round).toBe(6n);
    expect(bobsClient.status).toBe('open');
    expect(bobsEvents).toEqual([]);

    // The chain tells: solo-closing (closes_at set), with a round below the store's.
    const store = new FileStore(directory);
    const onChain = (await node.getChannel(id)) as ChannelInfo;
    expect(onChain).toMatchObject({ round: 4n, responder_amount: 800n, closes_at: carolsClose.blockHeight + LOCK_PERIOD });
    expect((await store.load(id))?.round).toBe(6n);
    const closing = await clientError(closeSolo({ store, node, signer: bob, channelId: id }), 'CHANNEL_ALREADY_CLOSING');
    expect(closing.context).toMatchObject({ onChainRound: 4n, round: 6n, closesAt: onChain.closes_at });

    // Bob answers with the client's own state (a SignedTx; the store's tx$ does as well).
    const slashing = slash({ node, signer: bob, channelId: id, state: (bobsClient.state as CoSignedState).state, pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    const slashed = posted(await slashing);
    const closesAt = slashed.blockHeight + LOCK_PERIOD;
    expect(await node.getChannel(id)).toMatchObject({ round: 6n, initiator_amount: paid.balances.initiator, responder_amount: paid.balances.responder, closes_at: closesAt });
    await clientError(slash({ node, signer: carol, channelId: id, state: carolsStates.find((state) => state.round === 5n)?.encoded as EncodedTx }), 'STATE_NOT_NEWER');

    // One more payment, co-signed while the lock period runs out.
    const late = await carolsClient.update({ from: carol.address, to: bob.address, amount: 40n });
    await devnode.mine(Number(LOCK_PERIOD) - 2);
    // Two blocks early (the next block cannot include a settle): refused, naming both heights.
    expect(await node.getHeight()).toBe(closesAt - 2n);
    const early = await clientError(settle({ node, signer: carol, channelId: id }), 'CHANNEL_NOT_CLOSABLE_YET');
    expect(early.context).toMatchObject({ closesAt, height: closesAt - 2n });
    expect(early.message).toContain(`from height ${closesAt}; the chain is at ${closesAt - 2n}`);
    await devnode.mine(1);
    // The next block is closes_at: too late for a slash, the payment of round 7 is lost.
    const tooLate = await clientError(slash({ node, signer: bob, channelId: id, state: late.encoded }), 'CHANNEL_NOT_CLOSING');
    expect(tooLate.context).toMatchObject({ closesAt, height: closesAt - 1n });
    expect(tooLate.message).toContain(`ends at height ${closesAt}`);
    // Carol settles: included in the block at closes_at, with round 6's amounts exactly.
    const settling = settle({ node, signer: carol, channelId: id, pollMs: 5 });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    await devnode.mine(1);
    const settled = posted(await settling);
    expect(settled.blockHeight).toBe(closesAt);
    expect(settled.signedTx.tx).toMatchObject({ initiator_amount: paid.balances.initiator, responder_amount: paid.balances.responder });
    await clientError(settle({ node, signer: bob, channelId: id }), 'CHANNEL_NOT_FOUND');
    // Still nothing on bob's side: the client co-signs what the chain no longer holds.
    expect(bobsClient.status).toBe('open');
    expect(bobsEvents).toEqual([]);

    // Each party has its round 6 amount less the fees it paid, one each (carol: close, settle;
    // bob: slash): with the 1 500 the channel held, every coin is accounted for.
    expect(paid.balances).toEqual({ initiator: 780n, responder: 720n });
    expect(await balanceOf(bob)).toBe(bobBefore + 780n - 1n);
    expect(await balanceOf(carol)).toBe(carolBefore + 720n - 2n);
    expect((await balanceOf(bob)) + (await balanceOf(carol)) + 3n).toBe(bobBefore + carolBefore + 1_500n);
    bobsClient.close();
    carolsClient.close();
  });

  it('settle waiting out the lock period gives up after its timeoutMs, 10 minutes unless told (DEFAULT_WAIT_TIMEOUT_MS, about 3 v0.14 blocks): TIMEOUT, nothing posted', async () => {
    const id = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    // A chain at height 10 whose channel closes at 1 000: a lock period of days on v0.14.
    const answers: Record<string, unknown> = {
      '/v2/top': { height: 10, hash: 'bh$2UWBL9BqZ4JbrHeV8jbBFZQzYQNn5eWVvUbLtX6XC2nGBAMGX4' },
      [`/v2/channels/${id}`]: { id, initiator: alice.address, responder: bob.address, total_amount: 400, initiator_amount: 190, responder_amount: 210, channel_reserve: 20, round: 2, lock_period: 990, closes_at: 1000 },
    };
    const paths: string[] = [];
    const chain = new NodeClient('http://127.0.0.1:1/v2', {
      fetch: async (input) => {
        const path = new URL(String(input)).pathname;
        paths.push(path);
        return new Response(JSON.stringify(answers[path] ?? { reason: 'not served' }), { status: path in answers ? 200 : 404, headers: { 'content-type': 'application/json' } });
      },
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const waiting = settle({ node: chain, signer: alice, channelId: id, waitUntilClosable: true });
      waiting.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(DEFAULT_WAIT_TIMEOUT_MS - 1_000);
      expect(paths.filter((path) => path === '/v2/top').length).toBeGreaterThan(1_000); // still polling
      await vi.advanceTimersByTimeAsync(2_000);
      const error = await clientError(waiting, 'TIMEOUT');
      expect(error.message).toContain(`height 999 after ${DEFAULT_WAIT_TIMEOUT_MS} ms`);
    } finally {
      vi.useRealTimers();
    }
    expect(paths.every((path) => path === '/v2/top' || path === `/v2/channels/${id}`)).toBe(true); // nothing posted
  });
});

describe('a node that lies about the dispute’s own tx', () => {
  it('a post answered with another tx’s hash, a look at the tx answered with another tx, a height that goes backwards: no success for a tx that is not the call’s, or not mined', async () => {
    const json = (body: unknown) => new Response(serializeJson(body as ExactJson), { status: 200, headers: { 'content-type': 'application/json' } });
    let lie: 'post' | 'getTx' | 'height' | undefined;
    let tops = 0;
    let topsAfterBlock = 0;
    const lying = (otherHash: TxHash) =>
      new NodeClient(devnode.httpUrl, {
        fetch: async (input, init) => {
          const url = new URL(String(input));
          if (lie === 'post' && init?.method === 'POST' && url.pathname === '/v2/tx') {
            await fetch(input, init); // posted, and answered with another hash
            return json({ tx_hash: otherHash });
          }
          if (lie === 'getTx' && url.pathname.startsWith('/v2/tx/th$')) return fetch(`${devnode.httpUrl}/tx/${otherHash}?tx_encoding=json`, init);
          if (lie === 'height' && url.pathname === '/v2/top') {
            const height = BigInt(devnode.chain.height);
            topsAfterBlock++;
            return json({ height: ++tops <= 2 ? height + 10n : height - 5n, hash: devnode.chain.topBlock.hash });
          }
          return fetch(input, init);
        },
      });

    for (const told of ['post', 'getTx'] as const) {
      const channel = await openChannel(alice, bob, 300n, 300n);
      const store = await channel.storeOf(2n, 290n, 310n);
      const createHash = txHash(decodeTx(channel.createTx, 'signed_tx')); // mined, consistent in itself
      lie = told;
      const error = await clientError(closeSolo({ store, node: lying(createHash), signer: alice, channelId: channel.id, pollMs: 5 }), 'BAD_RESPONSE');
      expect(error.message, told).toContain(told === 'post' ? `the node says ${createHash}` : `got ${createHash}`);
      lie = undefined;
      // The tx did reach the node: once it is in, a run against an honest node says so.
      await devnode.mine(1);
      expect(equivalent(await closeSolo({ store, node, signer: alice, channelId: channel.id })).ownTx).toBeUndefined();
    }

    const channel = await openChannel(alice, bob, 300n, 300n);
    const store = await channel.storeOf(2n, 290n, 310n);
    lie = 'height';
    let settled = false;
    const closing = closeSolo({ store, node: lying(txHash(decodeTx(channel.createTx, 'signed_tx'))), signer: alice, channelId: channel.id, pollMs: 5 }).finally(() => {
      settled = true;
    });
    await expect.poll(() => devnode.chain.mempool.length).toBe(1);
    const [block] = await devnode.mine(1);
    // In a block, but the node's top is below it: not taken as mined.
    topsAfterBlock = 0;
    await expect.poll(() => topsAfterBlock).toBeGreaterThan(10);
    expect(settled).toBe(false);
    lie = undefined;
    expect(posted(await closing).blockHeight).toBe(BigInt(block?.height ?? -1));
  });
});

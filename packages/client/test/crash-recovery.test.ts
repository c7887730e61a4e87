/**
 * Crash and recovery across processes: a client process is killed with SIGKILL in the middle
 * of a stream of updates; its store holds the last co-signed state; a new process disputes the
 * channel from it and the chain pays out exactly that state. Runs against the built packages
 * (the child processes are plain Node), so `pnpm build` must have run (`pnpm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChannelId, decode, type EncodedTx } from '@aesc/encoding';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { createSigner, type Signer, verifySignedTx } from '@aesc/signer';
import { decodeTx, txHash } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelClient, type ClientError, type CoSignedState, closeSolo, FileStore, MemoryStore, NodeClient, settle, slash } from '../src/index.js';
import { clientError } from './support/client-error.js';

const SUPPORT = fileURLToPath(new URL('./support/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let node: Devnode;
let alice: Signer;
let bob: Signer;
let storeDir: string;

beforeAll(async () => {
  [alice, bob] = (await Promise.all([71, 72].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer];
  node = await startDevnode({
    httpPort: 0,
    wsPort: 0,
    blockInterval: 25,
    genesis: [
      { pubkey: alice.publicKey, balance: 10_000n },
      { pubkey: bob.publicKey, balance: 10_000n },
    ],
  });
  storeDir = mkdtempSync(join(tmpdir(), 'aesc-crash-'));
});

afterAll(async () => {
  await node.close();
  rmSync(storeDir, { recursive: true, force: true });
});

/** Lines a child prints, as they come. */
function lines(child: ChildProcess): { all: string[]; next(test: (line: string) => boolean): Promise<string> } {
  const all: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      all.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
      newline = buffered.indexOf('\n');
    }
  });
  return {
    all,
    next: (test) => {
      const seen = all.find(test);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

function spawnChild(script: string, args: string[]): { child: ChildProcess; output: ReturnType<typeof lines>; stderr: string[] } {
  const child = spawn(process.execPath, [join(SUPPORT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return { child, output: lines(child), stderr };
}

describe('crash and recovery', () => {
  it('SIGKILL mid-stream: the store holds the last co-signed state; a new process slashes the peer’s older solo close and settles on it', async () => {
    const params = {
      initiator: alice.address,
      responder: bob.address,
      lock_period: 120n, // 3 s of 25 ms blocks: time for the recovering process to start and slash
      push_amount: 0n,
      initiator_amount: 1_000n,
      responder_amount: 1_000n,
      channel_reserve: 10n,
      ttl: 1_000_000n,
      port: 30_000,
      host: 'localhost',
      minimum_depth: 2n,
    };
    const json = JSON.stringify(params, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
    const { child, output, stderr } = spawnChild('crash-child.mjs', [node.wsUrl, storeDir, json]);
    const responder = await ChannelClient.connect({ url: node.wsUrl, role: 'responder', params, signer: bob, store: new MemoryStore() });
    const bobsStates: CoSignedState[] = [];
    responder.on('stateChanged', (state) => bobsStates.push(state));
    const { channelId } = JSON.parse(await output.next((line) => line.includes('channelId'))) as { channelId: `ch$${string}` };

    await output.next((line) => line.includes('"round":"12"'));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const printed = output.all.filter((line) => line.includes('"round"')).map((line) => BigInt((JSON.parse(line) as { round: string }).round));
    const lastPrinted = printed.at(-1) ?? 0n;
    expect(stderr.join('')).toBe('');

    // What the killed process kept: at least every round it reported, co-signed by both.
    const snapshot = await new FileStore(storeDir).load(channelId);
    expect(snapshot?.round).toBeGreaterThanOrEqual(lastPrinted);
    const kept = decodeTx(snapshot?.state as string, 'signed_tx');
    expect(kept.tx).toMatchObject({ type: 'channel_offchain_tx', round: snapshot?.round });
    expect((await verifySignedTx(kept, [alice.publicKey, bob.publicKey])).valid).toBe(true);

    // The peer cheats: it closes alone with an old state (round 3) it kept.
    const old = bobsStates.find((state) => state.round === 3n) as CoSignedState;
    const cheat = new MemoryStore();
    const createTx = (await new FileStore(storeDir).load(channelId))?.createTx as `tx$${string}`;
    await cheat.save({ channelId, role: 'responder', createTx, state: old.encoded, round: old.round });
    const httpNode = new NodeClient(node.httpUrl);
    await closeSolo({ node: httpNode, signer: bob, store: cheat, channelId, timeoutMs: 30_000, pollMs: 20 });
    expect(node.chain.channel(decode(channelId, 'ch'))).toMatchObject({ round: 3n });
    responder.close();

    const before = [node.chain.account(alice.publicKey)?.balance ?? 0n, node.chain.account(bob.publicKey)?.balance ?? 0n];
    const recovery = spawnChild('recover-child.mjs', [node.httpUrl, storeDir, channelId]);
    const exitCode = await new Promise((resolve) => recovery.child.once('exit', resolve));
    expect(recovery.stderr.join('')).toBe('');
    expect(exitCode).toBe(0);
    const result = JSON.parse(recovery.output.all.at(-1) ?? '{}') as { action: string; round: string; initiator_amount: string; responder_amount: string };
    expect(result.action).toBe('slash');
    expect(BigInt(result.round)).toBe(snapshot?.round);

    // The chain paid out the kept state: alice paid the slash and settle fees (1 each).
    expect(node.chain.channel(decode(channelId, 'ch'))).toBeUndefined();
    const state = kept.tx as { initiator_amount: bigint; responder_amount: bigint };
    expect(node.chain.account(alice.publicKey)?.balance).toBe((before[0] ?? 0n) + state.initiator_amount - 2n);
    expect(node.chain.account(bob.publicKey)?.balance).toBe((before[1] ?? 0n) + state.responder_amount);
  });

  /**
   * The same child killed at a random moment, from its start (opening included) to well into
   * its transfers, many times. The child prints a round once `update()` resolved (stored), and
   * stores N+1 only after printing N: the store holds the last round printed or the next one (a
   * save that ended before the kill, its round not yet printed), and the peer holds the store's
   * round or the next one (a co-signed state the child was still saving). Never anything else,
   * never a torn file: a kill leaves the old file or the renamed new one, and at most one temp file.
   * AESC_CRASH_ITERATIONS sets how many kills (100 for a long run).
   */
  const iterations = Number(process.env.AESC_CRASH_ITERATIONS ?? '12');
  it('SIGKILL at random moments: the store always holds a whole state both signed, the last reported round or the next', { timeout: 30_000 + iterations * 3_000 }, async () => {
    const seen = { beforeCreate: 0, createOnly: 0, printed: 0, saved: 0 };
    for (let iteration = 0; iteration < iterations; iteration++) {
      const params = {
        initiator: alice.address,
        responder: bob.address,
        lock_period: 10n,
        push_amount: 0n,
        initiator_amount: 1_000n,
        responder_amount: 1_000n,
        channel_reserve: 10n,
        ttl: 1_000_000n,
        port: 32_000 + iteration,
        host: 'localhost',
        minimum_depth: 2n,
      };
      // Each channel locks 1 000 of each side for good (nobody closes it): fund the next.
      for (const signer of [alice, bob]) node.chain.fund(signer.publicKey, 1_001n);
      const directory = join(storeDir, `random-${iteration}`);
      const json = JSON.stringify(params, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
      const { child, output, stderr } = spawnChild('crash-child.mjs', [node.wsUrl, directory, json]);
      const responder = await ChannelClient.connect({ url: node.wsUrl, role: 'responder', params, signer: bob, store: new MemoryStore() });
      responder.on('error', () => undefined);
      const bobsStates = new Map<bigint, CoSignedState>();
      responder.on('stateChanged', (state) => bobsStates.set(state.round, state));
      // Half the kills from the child's start (its startup, the opening: the create and round 1
      // being saved), half among the transfers.
      const delay = Math.floor(Math.random() * (iteration % 2 === 0 ? 1_500 : 400));
      const start = iteration % 2 === 0 ? Promise.resolve('') : output.next((line) => line.includes('channelId'));
      await Promise.race([start.then(() => new Promise((resolve) => setTimeout(resolve, delay))), new Promise((resolve) => child.once('exit', resolve))]);
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(undefined)));
      const where = `iteration ${iteration}, killed ${delay} ms after ${iteration % 2 === 0 ? 'the start' : 'the opening'}`;
      expect(stderr.join(''), where).toBe('');
      expect(child.signalCode, where).toBe('SIGKILL');

      // `opened` (the channelId line) reports round 1, each line after it the round of an update.
      const printed = output.all.map((line) => BigInt((JSON.parse(line) as { round?: string }).round ?? '1'));
      const lastPrinted = printed.at(-1);
      const store = new FileStore(directory);
      const channels = await store.list();
      const channelDirectory = channels[0] === undefined ? undefined : join(directory, channels[0]);
      if (channelDirectory !== undefined) {
        const temps = readdirSync(channelDirectory).filter((name) => name.endsWith('.tmp'));
        expect(temps.length, where).toBeLessThanOrEqual(1); // the save the kill cut short, if any
      }
      const snapshot = channels[0] === undefined ? undefined : await store.load(channels[0]);
      // The node sent each co-signed state to both: the peer's frame of the stored one may still be on its way.
      if (snapshot?.round !== undefined) await expect.poll(() => bobsStates.has(snapshot.round as bigint), { message: where }).toBe(true);
      responder.close();
      if (snapshot === undefined) {
        // Killed before the co-signed create was stored (or before there was one).
        expect(channels, where).toEqual([]);
        expect(lastPrinted, where).toBeUndefined();
        seen.beforeCreate++;
        continue;
      }
      expect(channels, where).toEqual([responder.channelId]);
      for (const encoded of [snapshot.createTx, snapshot.state]) {
        if (encoded === undefined) continue;
        expect((await verifySignedTx(decodeTx(encoded, 'signed_tx'), [alice.publicKey, bob.publicKey])).valid, where).toBe(true);
      }
      if (snapshot.round === undefined) {
        // The create is stored, round 1 is not: killed while opening.
        expect(lastPrinted, where).toBeUndefined();
        seen.createOnly++;
        continue;
      }
      const round = snapshot.round;
      // Exactly the state the peer co-signed for that round, and the peer holds no more than one round beyond it.
      expect(snapshot.state, where).toBe(bobsStates.get(round)?.encoded);
      expect(Math.max(...[...bobsStates.keys()].map(Number)) - Number(round), where).toBeLessThanOrEqual(1);
      if (lastPrinted === undefined) {
        expect(round, where).toBe(1n); // round 1 stored, `opened` not yet reported
        seen.saved++;
      } else {
        expect([lastPrinted, lastPrinted + 1n], where).toContain(round);
        seen[round === lastPrinted ? 'printed' : 'saved']++;
      }
      // The next process's first save removes what the kill left, and takes the next round.
      const next = bobsStates.get(round + 1n);
      if (next !== undefined && channelDirectory !== undefined) {
        await store.save({ ...snapshot, state: next.encoded, round: next.round });
        expect(readdirSync(channelDirectory), where).toEqual(['snapshot.json']);
      }
    }
    // The kills after the opening found a stored round every time.
    expect(seen.printed + seen.saved).toBeGreaterThanOrEqual(Math.floor(iterations / 2));
  });
});

/**
 * The client process killed at each distinct point of the protocol, chosen by the test: the
 * child stops there because of what it hands the client (a store or a file system that stops,
 * see support/crash-point-child.mjs) or because the peer, here, holds its signature. Then, as a
 * new process would: what the store holds, and what closeSolo/slash/settle do with it.
 */
describe('crash matrix: killed at each point of the protocol', () => {
  const LOCK_PERIOD = 50n; // blocks of ~10 ms: long enough for a slash after the peer's solo close
  let chainNode: Devnode;
  let miner: ReturnType<typeof setInterval> | undefined;
  let root: string;
  let port = 31_000;
  /** Every request of `http`, `METHOD path`: the disputes below must post nothing when they fail. */
  const requests: string[] = [];
  let http: NodeClient;
  const pollMs = 5;

  const startMining = () => {
    miner ??= setInterval(() => void chainNode.mine(1), 10);
  };
  const stopMining = () => {
    clearInterval(miner);
    miner = undefined;
  };

  beforeAll(async () => {
    chainNode = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      minimumDepth: 1n,
      genesis: [
        { pubkey: alice.publicKey, balance: 1_000_000n },
        { pubkey: bob.publicKey, balance: 1_000_000n },
      ],
    });
    http = new NodeClient(chainNode.httpUrl, {
      fetch: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    root = mkdtempSync(join(tmpdir(), 'aesc-crash-matrix-'));
    startMining();
  });

  afterAll(async () => {
    stopMining();
    await chainNode.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs `action`, which must fail with `code`, and says whether it posted anything. */
  async function refusedWithoutPosting(action: Promise<unknown>, code: ClientError['code']): Promise<ClientError> {
    const before = requests.length;
    const error = await clientError(action, code);
    expect(requests.slice(before).filter((request) => request.startsWith('POST')), error.message).toEqual([]);
    return error;
  }

  const balances = () => [chainNode.chain.account(alice.publicKey)?.balance ?? 0n, chainNode.chain.account(bob.publicKey)?.balance ?? 0n] as const;
  /** Round k of a channel whose every update moves 1 from the initiator (1 000 each at round 1). */
  const amountsOf = (round: bigint) => ({ initiator: 1_000n - (round - 1n), responder: 1_000n + (round - 1n) });

  /**
   * Starts the child (initiator, FileStore) against a responder here, and kills it with SIGKILL
   * once it stops at `point`, or, with `hold`, once the responder is asked to sign that request
   * (the child has signed its part and waits). The held signature is given after the kill.
   */
  async function crashAt(point: string, options: { rounds: bigint; shutdown?: boolean; hold?: 'update_ack' | 'shutdown_ack'; stopMiningAt?: 'shutdown_ack' }) {
    const storeDir = join(root, `${point}-${port}`);
    const params = {
      initiator: alice.address,
      responder: bob.address,
      lock_period: LOCK_PERIOD,
      push_amount: 0n,
      initiator_amount: 1_000n,
      responder_amount: 1_000n,
      channel_reserve: 10n,
      ttl: 1_000_000n,
      port: port++,
      host: 'localhost',
      minimum_depth: 1n,
    };
    const json = JSON.stringify(params, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
    const startBalances = balances();
    const { child, output, stderr } = spawnChild('crash-point-child.mjs', [chainNode.wsUrl, storeDir, json, point, String(options.rounds), options.shutdown === true ? 'shutdown' : '']);
    let held: () => void = () => undefined;
    const reachedHold = new Promise<void>((resolve) => {
      held = resolve;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const responder = await ChannelClient.connect({
      url: chainNode.wsUrl,
      role: 'responder',
      params,
      signer: bob,
      store: new MemoryStore(),
      policy: {
        approve: async (tx, { purpose }) => {
          const last = purpose === 'shutdown_ack' || (tx.type === 'channel_offchain_tx' && tx.round === options.rounds);
          if (purpose === options.hold && last) {
            held();
            await released;
          }
          if (purpose === options.stopMiningAt) {
            stopMining();
            await chainNode.mine(0); // a block being mined may still take what comes meanwhile: wait for it
          }
          return true;
        },
      },
    });
    responder.on('error', () => undefined);
    const bobsStates: CoSignedState[] = [];
    responder.on('stateChanged', (state) => bobsStates.push(state));
    const stopped = options.hold === undefined ? output.next((line) => line.includes('"paused"')) : reachedHold;
    await Promise.race([stopped, new Promise((resolve) => child.once('exit', resolve))]);
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(undefined)));
    expect(stderr.join('')).toBe('');
    expect(child.signalCode).toBe('SIGKILL'); // stopped where asked, not exited on its own
    release();
    const withId = output.all.find((line) => line.includes('"channelId"'));
    const channelId = (withId === undefined ? responder.channelId : (JSON.parse(withId) as { channelId: ChannelId }).channelId) as ChannelId;
    expect(channelId).toBeDefined();
    const printed = output.all.filter((line) => line.includes('"round"')).map((line) => BigInt((JSON.parse(line) as { round: string }).round));
    return { storeDir, channelId, responder, bobsStates, printed, startBalances };
  }

  /** What a new process finds: the channels the store lists, and each tx it holds co-signed by both keys. */
  async function recover(storeDir: string) {
    const store = new FileStore(storeDir);
    const channels = await store.list();
    const snapshots = await Promise.all(channels.map((id) => store.load(id)));
    for (const snapshot of snapshots) {
      for (const encoded of [snapshot?.createTx, snapshot?.state, snapshot?.closeTx]) {
        if (encoded === undefined) continue;
        expect((await verifySignedTx(decodeTx(encoded, 'signed_tx'), [alice.publicKey, bob.publicKey])).valid).toBe(true);
      }
    }
    return { store, channels, snapshot: snapshots[0] };
  }

  const dispute = { timeoutMs: 20_000, pollMs };

  it('(1a) after signing the create, before the co-signed create is stored: nothing to close from, nothing posted', async () => {
    const { storeDir, channelId, responder } = await crashAt('create-save', { rounds: 1n });
    responder.close();
    const { store, channels } = await recover(storeDir);
    expect(channels).toEqual([]);
    await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'NOT_FOUND');
    // The node posted the create as it reported it: the channel is funded on chain, and with no
    // co-signed state on either side a v0.14 close_solo has no payload (funds locked; see README).
    await expect.poll(() => chainNode.chain.channel(decode(channelId, 'ch')) !== undefined).toBe(true);
    await refusedWithoutPosting(settle({ node: http, signer: alice, channelId, ...dispute }), 'CHANNEL_NOT_CLOSING');
  });

  it('(1b) after the create is stored, before open: NO_STATE; the peer’s round 1 settles to the initial amounts', async () => {
    const { storeDir, channelId, responder, bobsStates, startBalances } = await crashAt('initial-save', { rounds: 1n });
    responder.close();
    const { store, channels, snapshot } = await recover(storeDir);
    expect(channels).toEqual([channelId]);
    expect(snapshot).toMatchObject({ channelId, role: 'initiator' });
    expect(snapshot?.state).toBeUndefined();
    await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'NO_STATE');
    // The responder acknowledged round 1 and holds it: its solo close pays the initial amounts.
    const round1 = bobsStates.find((state) => state.round === 1n) as CoSignedState;
    const bobsStore = new MemoryStore();
    await bobsStore.save({ channelId, role: 'responder', createTx: snapshot?.createTx as EncodedTx, state: round1.encoded, round: 1n });
    await closeSolo({ node: http, signer: bob, channelId, store: bobsStore, ...dispute });
    await settle({ node: http, signer: alice, channelId, waitUntilClosable: true, ...dispute });
    expect(balances()).toEqual([startBalances[0] - 1n /* create */ - 1n /* settle */, startBalances[1] - 1n /* close_solo */]);
  });

  it('(2) after signing update N, before its co-signed state: the store holds N-1; the peer’s older solo close is slashed with it', async () => {
    const { storeDir, channelId, responder, bobsStates, printed } = await crashAt('none', { rounds: 6n, hold: 'update_ack' });
    expect(printed.at(-1)).toBe(5n);
    await expect.poll(() => bobsStates.at(-1)?.round).toBe(6n); // the peer signed N after the kill
    responder.close();
    const { store, snapshot } = await recover(storeDir);
    expect(snapshot?.round).toBe(5n);
    const old = bobsStates.find((state) => state.round === 3n) as CoSignedState;
    const cheat = new MemoryStore();
    await cheat.save({ channelId, role: 'responder', createTx: snapshot?.createTx as EncodedTx, state: old.encoded, round: 3n });
    await closeSolo({ node: http, signer: bob, channelId, store: cheat, ...dispute });
    await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'CHANNEL_ALREADY_CLOSING');
    const before = balances();
    await slash({ node: http, signer: alice, channelId, state: snapshot?.state as EncodedTx, ...dispute });
    await settle({ node: http, signer: alice, channelId, waitUntilClosable: true, ...dispute });
    expect(balances()).toEqual([before[0] + amountsOf(5n).initiator - 2n, before[1] + amountsOf(5n).responder]);
  });

  it('(3a) killed mid-save before the rename: the file holds round N-1 whole, and a solo close pays it', async () => {
    const { storeDir, channelId, responder, printed } = await crashAt('save-rename', { rounds: 5n });
    responder.close();
    expect(printed.at(-1)).toBe(4n);
    const { store, snapshot } = await recover(storeDir);
    expect(snapshot?.round).toBe(4n);
    expect(readdirSync(join(storeDir, channelId)).some((name) => name.endsWith('.tmp'))).toBe(true); // the save that died
    const before = balances();
    await closeSolo({ node: http, signer: alice, channelId, store, ...dispute });
    await settle({ node: http, signer: alice, channelId, waitUntilClosable: true, ...dispute });
    expect(balances()).toEqual([before[0] + amountsOf(4n).initiator - 2n, before[1] + amountsOf(4n).responder]);
  });

  it('(3b) killed mid-save after the rename: the file holds round N whole; the peer has nothing to slash it with (N is on chain already)', async () => {
    const { storeDir, channelId, responder, bobsStates } = await crashAt('save-dirsync', { rounds: 5n });
    responder.close();
    const { store, snapshot } = await recover(storeDir);
    expect(snapshot?.round).toBe(5n);
    const before = balances();
    const closed = await closeSolo({ node: http, signer: alice, channelId, store, ...dispute });
    const bobsLast = bobsStates.at(-1) as CoSignedState;
    expect(bobsLast.round).toBe(5n);
    // The chain holds round 5 already: Bob's slash with it resolves and posts nothing (it was STATE_NOT_NEWER).
    const requestsBefore = requests.length;
    expect(await slash({ node: http, signer: bob, channelId, state: bobsLast.encoded, ...dispute })).toEqual({ reachedBy: 'equivalent', blockHeight: closed.blockHeight, ownTx: undefined });
    expect(requests.slice(requestsBefore).filter((request) => request.startsWith('POST'))).toEqual([]);
    await settle({ node: http, signer: alice, channelId, waitUntilClosable: true, ...dispute });
    expect(balances()).toEqual([before[0] + amountsOf(5n).initiator - 2n, before[1] + amountsOf(5n).responder]);
  });

  it('(4a) after shutdown() signed the close, before it is on chain (never posted): a solo close pays round N', async () => {
    const { storeDir, channelId, responder } = await crashAt('none', { rounds: 4n, shutdown: true, hold: 'shutdown_ack' });
    responder.close();
    const { store, snapshot } = await recover(storeDir);
    expect(snapshot).toMatchObject({ round: 4n });
    expect(snapshot?.closeTx).toBeUndefined();
    const before = balances();
    await closeSolo({ node: http, signer: alice, channelId, store, ...dispute });
    await settle({ node: http, signer: alice, channelId, waitUntilClosable: true, ...dispute });
    expect(balances()).toEqual([before[0] + amountsOf(4n).initiator - 2n, before[1] + amountsOf(4n).responder]);
  });

  it('(4b) the node posted the close, killed before it is stored: once it is mined every dispute fails before posting', async () => {
    const { storeDir, channelId, responder, startBalances } = await crashAt('close-save', { rounds: 4n, shutdown: true });
    responder.close();
    await expect.poll(() => chainNode.chain.channel(decode(channelId, 'ch'))).toBeUndefined();
    const { store, snapshot } = await recover(storeDir);
    expect(snapshot).toMatchObject({ round: 4n });
    await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'CHANNEL_NOT_FOUND');
    await refusedWithoutPosting(slash({ node: http, signer: alice, channelId, state: snapshot?.state as EncodedTx, ...dispute }), 'CHANNEL_NOT_FOUND');
    await refusedWithoutPosting(settle({ node: http, signer: alice, channelId, ...dispute }), 'CHANNEL_NOT_FOUND');
    // The mutual close paid round 4 less its fee (the initiator's, fee 1).
    expect(balances()).toEqual([startBalances[0] - 1n - 1_000n + amountsOf(4n).initiator - 1n, startBalances[1] - 1_000n + amountsOf(4n).responder]);
  });

  it('(5a) after the mutual close, before it is mined: a solo close is refused before it posts a rival tx', async () => {
    const { storeDir, channelId, responder, startBalances } = await crashAt('shutdown-resolved', { rounds: 4n, shutdown: true, stopMiningAt: 'shutdown_ack' });
    responder.close();
    try {
      expect(chainNode.chain.channel(decode(channelId, 'ch'))?.closes_at).toBe(0n); // still open: the close waits in the mempool
      const { store, snapshot } = await recover(storeDir);
      expect(snapshot).toMatchObject({ round: 4n });
      expect(snapshot?.closeTx).toBeDefined();
      const pending = await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'MUTUAL_CLOSE_PENDING');
      expect(pending.context.txHash).toBe(txHash(decodeTx(snapshot?.closeTx as EncodedTx, 'signed_tx')));
      await refusedWithoutPosting(settle({ node: http, signer: alice, channelId, ...dispute }), 'CHANNEL_NOT_CLOSING');
    } finally {
      startMining();
    }
    await expect.poll(() => chainNode.chain.channel(decode(channelId, 'ch'))).toBeUndefined();
    expect(balances()).toEqual([startBalances[0] - 1n - 1_000n + amountsOf(4n).initiator - 1n, startBalances[1] - 1_000n + amountsOf(4n).responder]);
  });

  it('(5b) after the mutual close is mined: every dispute fails before posting, and says the channel closed mutually', async () => {
    const { storeDir, channelId, responder, startBalances } = await crashAt('shutdown-resolved', { rounds: 4n, shutdown: true });
    responder.close();
    await expect.poll(() => chainNode.chain.channel(decode(channelId, 'ch'))).toBeUndefined();
    const { store, channels, snapshot } = await recover(storeDir);
    expect(channels).toEqual([channelId]);
    expect(snapshot).toMatchObject({ round: 4n });
    const closed = await refusedWithoutPosting(closeSolo({ node: http, signer: alice, channelId, store, ...dispute }), 'CHANNEL_NOT_FOUND');
    expect(closed.message).toContain(txHash(decodeTx(snapshot?.closeTx as EncodedTx, 'signed_tx')));
    await refusedWithoutPosting(slash({ node: http, signer: alice, channelId, state: snapshot?.state as EncodedTx, ...dispute }), 'CHANNEL_NOT_FOUND');
    await refusedWithoutPosting(settle({ node: http, signer: alice, channelId, ...dispute }), 'CHANNEL_NOT_FOUND');
    expect(balances()).toEqual([startBalances[0] - 1n - 1_000n + amountsOf(4n).initiator - 1n, startBalances[1] - 1_000n + amountsOf(4n).responder]);
  });
});

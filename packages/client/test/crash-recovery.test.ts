/**
 * Crash and recovery across processes: a client process is killed with SIGKILL in the middle
 * of a stream of updates; its store holds the last co-signed state; a new process disputes the
 * channel from it and the chain pays out exactly that state. Runs against the built packages
 * (the child processes are plain Node), so `pnpm build` must have run (`pnpm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '@aesc/encoding';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { createSigner, type Signer, verifySignedTx } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelClient, type CoSignedState, closeSolo, FileStore, MemoryStore, NodeClient } from '../src/index.js';

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
});

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type ChannelId, decode, type EncodedTx, encode } from '@aesc/encoding';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import { type ChannelCreateTx, channelId, encodeTx, type UnsignedTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileStore, type FileStoreFileSystem, type FileStoreHandle } from '../src/file-store.js';
import { ChannelQueue, clientSnapshot, MemoryStore, RecentlyUsed, STORE_CACHE_CHANNELS } from '../src/memory-store.js';
import type { ChannelSnapshot, StateStore } from '../src/store.js';
import { clientError } from './support/client-error.js';

let alice: Signer;
let bob: Signer;
let carol: Signer;
let root: string;

/**
 * With `deferred`, every signature check takes a macrotask, as in a browser (WebCrypto's SHA-512
 * resolves in a later task); node:crypto checks within the microtask that asks, so a rejection
 * left unhandled between two checks would go unseen on Node alone.
 */
const verification = vi.hoisted(() => ({ deferred: false }));
vi.mock('@aesc/signer', async (importOriginal) => {
  const signer = await importOriginal<typeof import('@aesc/signer')>();
  return {
    ...signer,
    verifySignedTx: async (...args: Parameters<typeof signer.verifySignedTx>) => {
      if (verification.deferred) await new Promise((resolve) => setTimeout(resolve, 1));
      return signer.verifySignedTx(...args);
    },
  };
});

async function coSigned(tx: UnsignedTx, ...signers: Signer[]): Promise<EncodedTx> {
  let signed = await signTx(tx, signers[0] as Signer);
  for (const signer of signers.slice(1)) signed = await signTx(signed, signer);
  return encodeTx(signed);
}

/** A channel between `initiator` and `responder`, and a way to make its co-signed states. */
async function makeChannel(initiator: Signer, responder: Signer, nonce: bigint) {
  const create: ChannelCreateTx = {
    type: 'channel_create_tx',
    initiator: initiator.publicKey,
    initiator_amount: 700n,
    responder: responder.publicKey,
    responder_amount: 400n,
    channel_reserve: 20n,
    lock_period: 5n,
    ttl: 1000n,
    fee: 1n,
    nonce,
  };
  const id = channelId(create);
  const createTx = await coSigned(create, initiator, responder);
  const body = (round: bigint, initiatorAmount = 700n - round, responderAmount = 400n + round): UnsignedTx => ({
    type: 'channel_offchain_tx',
    channel_id: decode(id, 'ch'),
    previous_round: round - 1n,
    round,
    initiator: initiator.publicKey,
    responder: responder.publicKey,
    initiator_amount: initiatorAmount,
    responder_amount: responderAmount,
    updates: [{ from: initiator.publicKey, to: responder.publicKey, amount: 1n }],
    state: new Uint8Array(),
  });
  const state = (round: bigint, initiatorAmount?: bigint, responderAmount?: bigint) => coSigned(body(round, initiatorAmount, responderAmount), initiator, responder);
  const closeBody: UnsignedTx = { type: 'channel_close_mutual_tx', channel_id: decode(id, 'ch'), initiator_amount: 692n, responder_amount: 407n, ttl: 100n, fee: 1n, nonce: 2n };
  const snapshot = async (round?: bigint): Promise<ChannelSnapshot> =>
    round === undefined ? { channelId: id, role: 'initiator', createTx } : { channelId: id, role: 'initiator', createTx, state: await state(round), round };
  return { id, create, createTx, body, closeBody, state, snapshot };
}

let channel: Awaited<ReturnType<typeof makeChannel>>;
let other: Awaited<ReturnType<typeof makeChannel>>;
/** Txs of `channel` that carry the initiator's signature only (the state is of round 12). */
let notCoSigned: { state: EncodedTx; createTx: EncodedTx; closeTx: EncodedTx };
let directoryCount = 0;
const freshDirectory = () => join(root, `store-${++directoryCount}`);

beforeAll(async () => {
  [alice, bob, carol] = (await Promise.all([21, 22, 23].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  channel = await makeChannel(alice, bob, 1n);
  other = await makeChannel(carol, bob, 9n);
  notCoSigned = {
    state: encodeTx(await signTx(channel.body(12n), alice)),
    createTx: encodeTx(await signTx(channel.create, alice)),
    closeTx: encodeTx(await signTx(channel.closeBody, alice)),
  };
  root = await fs.mkdtemp(join(tmpdir(), 'aesc-store-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});


// ---------------------------------------------------------------------------------------------
// The contract every store keeps.

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['FileStore', () => new FileStore(freshDirectory())],
] as [string, () => StateStore][])('%s', (_name, makeStore) => {
  it('gives back what was saved, and undefined for a channel it never saw', async () => {
    const store = makeStore();
    expect(await store.load(channel.id)).toBeUndefined();
    expect(await store.list()).toEqual([]);
    const first = await channel.snapshot();
    await store.save(first);
    expect(await store.load(channel.id)).toEqual(first);
    const later = { ...(await channel.snapshot(7n)), closeTx: await coSigned(channel.closeBody, alice, bob) };
    await store.save(later);
    expect(await store.load(channel.id)).toEqual(later);
    await store.save(await other.snapshot(2n));
    expect(await store.list()).toEqual([channel.id, other.id].sort());
  });

  it('keeps rounds beyond 2^64 exact', async () => {
    const store = makeStore();
    const round = 2n ** 64n + 5n;
    const snapshot = { ...(await channel.snapshot()), state: await channel.state(round, 1n, 1099n), round };
    await store.save(snapshot);
    expect((await store.load(channel.id))?.round).toBe(round);
  });

  it('copies snapshots in and out', async () => {
    const store = makeStore();
    const snapshot = await channel.snapshot(3n);
    await store.save(snapshot);
    snapshot.round = 99n;
    const loaded = (await store.load(channel.id)) as ChannelSnapshot;
    expect(loaded.round).toBe(3n);
    loaded.state = 'tx$tampered' as EncodedTx;
    expect((await store.load(channel.id))?.state).toBe(await channel.state(3n));
  });

  it("takes the client's own snapshots as checked, frozen, and checks every other one", async () => {
    const store = makeStore();
    // what the client hands over: frozen, so nothing can change after the client checked it
    const own = clientSnapshot(await channel.snapshot(4n));
    expect(Object.isFrozen(own)).toBe(true);
    expect(() => {
      (own as { round?: bigint }).round = 9n;
    }).toThrow(TypeError);
    await store.save(own);
    expect(await store.load(channel.id)).toEqual(await channel.snapshot(4n));
    // the same content, not built by the client: decoded and checked as before
    const foreign = { ...own, state: await other.state(5n), round: 5n };
    await clientError(store.save(foreign), 'INVALID_SNAPSHOT');
    expect((await store.load(channel.id))?.round).toBe(4n);
    // and the client's snapshots still obey the store's own rules
    await clientError(store.save(clientSnapshot(await channel.snapshot(3n))), 'STALE_SNAPSHOT');
  });

  it('never replaces a state by an older one', async () => {
    const store = makeStore();
    await store.save(await channel.snapshot(5n));
    const stale = await clientError(store.save(await channel.snapshot(4n)), 'STALE_SNAPSHOT');
    expect(stale.context.round).toBe(4n);
    await clientError(store.save(await channel.snapshot()), 'STALE_SNAPSHOT');
    await store.save(await channel.snapshot(5n)); // the same round again is fine
    await store.save(await channel.snapshot(6n));
    expect((await store.load(channel.id))?.round).toBe(6n);
  });

  it('keeps the co-signed close tx it holds when a later save brings none (it is a valid, postable tx)', async () => {
    const store = makeStore();
    const closeTx = await coSigned(channel.closeBody, alice, bob);
    await store.save({ ...(await channel.snapshot(5n)), closeTx });
    // the same round again without it: a snapshot of another process, or one delivered late
    await store.save(await channel.snapshot(5n));
    expect(await store.load(channel.id)).toEqual({ ...(await channel.snapshot(5n)), closeTx });
    await store.save(clientSnapshot(await channel.snapshot(5n)));
    expect((await store.load(channel.id))?.closeTx).toBe(closeTx);
    // a newer round without it: the close is still co-signed and postable
    await store.save(await channel.snapshot(6n));
    expect(await store.load(channel.id)).toEqual({ ...(await channel.snapshot(6n)), closeTx });
    // and a save that brings one replaces it
    const otherClose = await coSigned({ ...channel.closeBody, fee: 2n } as UnsignedTx, bob, alice);
    await store.save({ ...(await channel.snapshot(6n)), closeTx: otherClose });
    expect((await store.load(channel.id))?.closeTx).toBe(otherClose);
  });

  it('refuses a snapshot whose txs are not each co-signed by both peers, and keeps the real state', async () => {
    const store = makeStore();
    await store.save(await channel.snapshot(7n));
    const round9 = channel.body(9n);
    const coSigned9 = await signTx(await signTx(round9, alice), bob);
    const notCoSigned: [string, Partial<ChannelSnapshot>, RegExp][] = [
      ['signed by the initiator only', { state: encodeTx(await signTx(round9, alice)) }, /state of round 9 is not co-signed.*no valid signature of ak\$/],
      ['signed by the responder only', { state: encodeTx(await signTx(round9, bob)) }, /no valid signature of/],
      ['signed by a third party in place of a peer', { state: await coSigned(round9, alice, carol) }, /no valid signature of .*1 signature\(s\) of no peer/],
      ['signed by both peers and one more', { state: await coSigned(round9, alice, bob, carol) }, /1 signature\(s\) of no peer/],
      ['signed by nobody', { state: encodeTx({ type: 'signed_tx', signatures: [], tx: round9 }) }, /not co-signed/],
      ['with both signatures of other amounts', { state: encodeTx({ ...coSigned9, tx: channel.body(9n, 1n, 1099n) }) }, /not co-signed/],
      ['with a create tx signed by the initiator only', { createTx: encodeTx(await signTx(channel.create, alice)) }, /create tx is not co-signed/],
      ['with a close tx signed by the responder only', { closeTx: encodeTx(await signTx(channel.closeBody, bob)) }, /close tx is not co-signed/],
    ];
    for (const [what, change, message] of notCoSigned) {
      const error = await clientError(store.save({ ...(await channel.snapshot(9n)), ...change }), 'INVALID_SNAPSHOT');
      expect(error.message, what).toMatch(message);
    }
    // The real state of a round below the refused ones is not blocked by them.
    expect((await store.load(channel.id))?.round).toBe(7n);
    await store.save(await channel.snapshot(8n));
    await store.save({ ...(await channel.snapshot(9n)), closeTx: await coSigned(channel.closeBody, bob, alice) });
    expect((await store.load(channel.id))?.round).toBe(9n);
  });

  it("does not verify the client's own snapshots again (the client did), and keeps call order with ones it verifies", async () => {
    const store = makeStore();
    // what only the client's own checks stand behind: taken as it is
    await store.save(clientSnapshot({ ...(await channel.snapshot()), state: encodeTx(await signTx(channel.body(2n), alice)), round: 2n }));
    expect((await store.load(channel.id))?.round).toBe(2n);
    // a snapshot being verified, then the client's own of the same round with the close tx:
    // the later call is the one that stays, though it needs no verification
    const closeTx = await coSigned(channel.closeBody, alice, bob);
    const [verified, own] = [await channel.snapshot(3n), clientSnapshot({ ...(await channel.snapshot(3n)), closeTx })];
    await Promise.all([store.save(verified), store.save(own)]);
    expect((await store.load(channel.id))?.closeTx).toBe(closeTx);
  });

  it("keeps call order for the client's own snapshot while a save is still in line behind one that ended", async () => {
    const store = makeStore();
    await store.save(await channel.snapshot(1n)); // the create is verified once: the next check of it is free
    // verified at once (nothing left to check) and refused: it ends while the next is still verifying
    const stale = store.save(await channel.snapshot());
    const round3 = store.save({ ...(await channel.snapshot(3n)), closeTx: await coSigned(channel.closeBody, alice, bob) });
    await clientError(stale, 'STALE_SNAPSHOT');
    // the client's own round 2, called after round 3: the stale one, though round 3 still verifies
    const round2 = store.save(clientSnapshot(await channel.snapshot(2n)));
    await round3;
    await clientError(round2, 'STALE_SNAPSHOT');
    expect((await store.load(channel.id))?.round).toBe(3n);
  });

  it('refuses a snapshot whose verification fails at once while an earlier save verifies, with no unhandled rejection', async () => {
    const store = makeStore();
    await store.save(await channel.snapshot(1n));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    verification.deferred = true;
    try {
      const verifying = store.save({ ...(await channel.snapshot(2n)), closeTx: await coSigned(channel.closeBody, alice, bob) });
      // signed by nobody: refused without a signature to check, long before its turn comes
      const refused = store.save({ ...(await channel.snapshot(1n)), state: encodeTx({ type: 'signed_tx', signatures: [], tx: channel.body(3n) }), round: 3n });
      await verifying;
      await clientError(refused, 'INVALID_SNAPSHOT');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      verification.deferred = false;
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect((await store.load(channel.id))?.round).toBe(2n);
  });

  it('refuses the txs of another channel between the same peers, and a state naming other peers', async () => {
    const store = makeStore();
    const twin = await makeChannel(alice, bob, 2n); // the same peers, another nonce: another channel
    const good = await channel.snapshot(2n);
    const refused: [string, ChannelSnapshot, RegExp][] = [
      ['a state of the twin', { ...good, state: await twin.state(2n) }, /state belongs to another channel/],
      ['a close tx of the twin', { ...good, closeTx: await coSigned(twin.closeBody, alice, bob) }, /closeTx belongs to another channel/],
      ['the create tx of the twin', { channelId: channel.id, role: 'initiator', createTx: twin.createTx }, /createTx creates ch\$/],
      ['a state naming a third party', { ...good, state: await coSigned({ ...channel.body(2n), initiator: carol.publicKey } as UnsignedTx, alice, bob) }, /other peers than the create tx/],
    ];
    for (const [what, snapshot, message] of refused) {
      const error = await clientError(store.save(snapshot), 'INVALID_SNAPSHOT');
      expect(error.message, what).toMatch(message);
    }
    expect(await store.list()).toEqual([]);
  });

  it('refuses a create tx that is not co-signed at every save, not only the first', async () => {
    const store = makeStore();
    const snapshot = { ...(await channel.snapshot()), createTx: notCoSigned.createTx };
    await clientError(store.save(snapshot), 'INVALID_SNAPSHOT');
    await clientError(store.save(snapshot), 'INVALID_SNAPSHOT');
    expect(await store.load(channel.id)).toBeUndefined();
  });

  it('lists its channels sorted, whatever order they were saved in', async () => {
    const store = makeStore();
    const ids = [channel.id, other.id].sort();
    for (const id of [...ids].reverse()) await store.save(await (id === channel.id ? channel : other).snapshot(1n));
    expect(await store.list()).toEqual(ids);
  });

  it('refuses snapshots it could not give back usefully', async () => {
    const store = makeStore();
    const good = await channel.snapshot(2n);
    await expect(store.save(null as unknown as ChannelSnapshot)).rejects.toThrow(TypeError);
    await expect(store.save({ ...good, role: 'observer' } as unknown as ChannelSnapshot)).rejects.toThrow(TypeError);
    await expect(store.save({ ...good, round: 2 } as unknown as ChannelSnapshot)).rejects.toThrow(TypeError);
    const { round: _round, ...withoutRound } = good;
    await expect(store.save(withoutRound)).rejects.toThrow(/state and round go together/);
    await clientError(store.save({ ...good, round: 3n }), 'INVALID_SNAPSHOT'); // not the state's round
    await clientError(store.save({ ...good, state: `${good.state as string}x` as EncodedTx }), 'INVALID_SNAPSHOT');
    await clientError(store.save({ ...good, state: await other.state(2n) }), 'INVALID_SNAPSHOT'); // another channel's state
    await clientError(store.save({ ...good, createTx: other.createTx }), 'INVALID_SNAPSHOT'); // creates another channel
    await clientError(store.save({ ...good, createTx: good.state as EncodedTx }), 'INVALID_SNAPSHOT'); // not a create tx
    await expect(store.load('ch$nope' as ChannelId)).rejects.toThrow(TypeError);
    expect(await store.list()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// FileStore on disk.

/** `node:fs/promises` with faults and pauses injected per operation, and a log of what ran. */
function instrumentedFs(
  hooks: {
    fail?: (operation: string, path: string) => Error | undefined;
    pause?: (operation: string, path: string) => Promise<void> | undefined;
  } = {},
) {
  const log: string[] = [];
  const step = async (operation: string, path: string) => {
    log.push(`${operation} ${path}`);
    await hooks.pause?.(operation, path);
    const error = hooks.fail?.(operation, path);
    if (error !== undefined) throw error;
  };
  const system: FileStoreFileSystem = {
    async mkdir(path, options) {
      await step('mkdir', path);
      return fs.mkdir(path, options);
    },
    async open(path, flags, mode) {
      await step('open', path);
      const handle = await fs.open(path, flags, mode);
      const wrapped: FileStoreHandle = {
        async writeFile(data, encoding) {
          log.push(`write ${path}`);
          await hooks.pause?.('write', path);
          const error = hooks.fail?.('write', path);
          if (error !== undefined) {
            // A full disk takes part of the data before it refuses the rest.
            await handle.writeFile(data.slice(0, data.length >> 1), encoding);
            throw error;
          }
          return handle.writeFile(data, encoding);
        },
        async sync() {
          await step('sync', path);
          return handle.sync();
        },
        async close() {
          log.push(`close ${path}`);
          await hooks.pause?.('close', path);
          await handle.close();
          const error = hooks.fail?.('close', path);
          if (error !== undefined) throw error;
        },
      };
      return wrapped;
    },
    async rename(from, to) {
      await step('rename', from);
      return fs.rename(from, to);
    },
    async unlink(path) {
      await step('unlink', path);
      return fs.unlink(path);
    },
    async readFile(path, encoding) {
      await step('readFile', path);
      return fs.readFile(path, encoding);
    },
    async readdir(path) {
      await step('readdir', path);
      return fs.readdir(path);
    },
    async stat(path) {
      await step('stat', path);
      return fs.stat(path);
    },
  };
  return { system, log };
}

/** The heap in use once the garbage is collected (`gc`, exposed on demand). */
function heapAfterCollection(): number {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

const systemError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
const isTemp = (path: string) => path.endsWith('.tmp');

/**
 * A file system that holds the first rename of a temp file (a save about to replace the
 * snapshot) until `gate.release()`; setting `gate.paused = false` holds the next one.
 */
function pausedAtRename() {
  const gate = { paused: false, release: (): void => undefined };
  const { system } = instrumentedFs({
    pause: (op, path) => {
      if (op !== 'rename' || !isTemp(path) || gate.paused) return undefined;
      gate.paused = true;
      return new Promise<void>((resolve) => {
        gate.release = resolve;
      });
    },
  });
  return { system, gate };
}

/**
 * Saves `snapshot` in another process, SIGKILLed just before its first `operation` on `target`
 * (a path, or `temp` for the save's temp file); resolves with that process's pid once it is dead.
 */
async function killMidSave(directory: string, snapshot: ChannelSnapshot, operation: string, target: string): Promise<number> {
  const script = fileURLToPath(new URL('./support/die-mid-save-child.mjs', import.meta.url));
  const json = JSON.stringify(snapshot, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  const child = spawn(process.execPath, [script, directory, json, operation, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const stopped = await Promise.race([once(child.stdout, 'data').then(() => true), exited.then(() => false)]);
  expect(stopped, `the child did not stop at ${operation} ${target}`).toBe(true);
  child.kill('SIGKILL');
  await exited;
  return child.pid as number;
}

describe('FileStore on disk', () => {
  it('writes <dir>/<ch$>/snapshot.json with a version and integers as decimal strings', async () => {
    const directory = freshDirectory();
    const store = new FileStore(directory);
    await store.save(await channel.snapshot(12n));
    const path = join(directory, channel.id, 'snapshot.json');
    expect(store.pathOf(channel.id)).toBe(path);
    const file = JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, unknown>;
    expect(file).toEqual({ version: 1, channelId: channel.id, role: 'initiator', createTx: channel.createTx, round: '12', state: await channel.state(12n) });
    expect(await fs.readdir(join(directory, channel.id))).toEqual(['snapshot.json']);
    if (process.platform !== 'win32') expect((await fs.stat(path)).mode & 0o777).toBe(0o600); // the channel's balances: its owner's only
  });

  it('is read back by another store on the same directory, as after a restart', async () => {
    const directory = freshDirectory();
    await new FileStore(directory).save(await channel.snapshot(8n));
    const restarted = new FileStore(directory);
    expect(await restarted.list()).toEqual([channel.id]);
    expect(await restarted.load(channel.id)).toEqual(await channel.snapshot(8n));
    // every field, the close tx too: what the process that wrote it holds in memory proves nothing
    const closing = { ...(await channel.snapshot(8n)), closeTx: await coSigned(channel.closeBody, alice, bob) };
    await restarted.save(closing);
    expect(await new FileStore(directory).load(channel.id)).toEqual(closing);
    // The stale check holds across restarts too.
    await clientError(restarted.save(await channel.snapshot(7n)), 'STALE_SNAPSHOT');
  });

  it('reads the round on disk before every save: never overwrites what another store on the directory wrote since', async () => {
    const directory = freshDirectory();
    // a restarted process (b) while the old one (a) still runs
    const a = new FileStore(directory);
    await a.save(await channel.snapshot(5n));
    const b = new FileStore(directory);
    await b.save(await channel.snapshot(7n));
    const stale = await clientError(a.save(await channel.snapshot(6n)), 'STALE_SNAPSHOT');
    expect(stale.message).toMatch(/holds round 7, refusing to replace it by round 6/);
    await clientError(a.save(clientSnapshot(await channel.snapshot(6n))), 'STALE_SNAPSHOT'); // the client's own too
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(7n));
    // and the other way round, and with a load in between
    await a.save(await channel.snapshot(8n));
    await clientError(b.save(clientSnapshot(await channel.snapshot(7n))), 'STALE_SNAPSHOT');
    expect((await b.load(channel.id))?.round).toBe(8n);
  });

  it('fsyncs the temp file before the rename and the directory after it', async () => {
    const { system, log } = instrumentedFs();
    const directory = freshDirectory();
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(1n));
    const channelDirectory = join(directory, channel.id);
    const writes = log.filter((entry) => !entry.startsWith('readFile'));
    const temp = (writes.find((entry) => entry.startsWith('open ') && isTemp(entry)) as string).slice('open '.length);
    expect(temp.startsWith(`${channelDirectory}/.snapshot.json.${process.pid}.`)).toBe(true);
    expect(writes).toEqual([
      `mkdir ${channelDirectory}`,
      `open ${directory}`, // the new directories' entries: fsync their parents
      `sync ${directory}`,
      `close ${directory}`,
      `open ${root}`,
      `sync ${root}`,
      `close ${root}`,
      `readdir ${channelDirectory}`, // temp files a crashed save left, once per channel and store
      `open ${temp}`,
      `write ${temp}`,
      `sync ${temp}`,
      `close ${temp}`,
      `rename ${temp}`,
      `open ${channelDirectory}`,
      `sync ${channelDirectory}`,
      `close ${channelDirectory}`,
    ]);
    log.length = 0;
    await store.save(await channel.snapshot(2n));
    expect(log.filter((entry) => entry.startsWith('readdir'))).toEqual([]);
  });

  it.each([
    ['write', 'ENOSPC'],
    ['sync', 'EIO'],
    ['close', 'EIO'],
    ['rename', 'EACCES'],
    ['open', 'EMFILE'],
  ])('a failing %s (%s) is STORE_IO and leaves the previous snapshot.json whole', async (operation, code) => {
    let failing = false;
    const { system, log } = instrumentedFs({ fail: (op, path) => (failing && op === operation && isTemp(path) ? systemError(code) : undefined) });
    const directory = freshDirectory();
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(4n));
    failing = true;
    log.length = 0;
    const error = await clientError(store.save(await channel.snapshot(5n)), 'STORE_IO');
    expect((error.cause as { code?: string }).code).toBe(code);
    expect(error.message).toContain(code);
    expect(error.context.path).toBe(join(directory, channel.id, 'snapshot.json'));
    // The temp file's handle is closed (no descriptor leaks per failed save), before its unlink.
    const temp = (log.find((entry) => entry.startsWith('open ') && isTemp(entry)) as string).slice('open '.length);
    const closes = log.filter((entry) => entry === `close ${temp}`);
    expect(closes).toHaveLength(operation === 'open' ? 0 : 1);
    if (operation !== 'open') expect(log.indexOf(`close ${temp}`)).toBeLessThan(log.indexOf(`unlink ${temp}`));
    // Nothing half-written: the old snapshot is intact, and no temp file is left behind.
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(4n));
    expect(await fs.readdir(join(directory, channel.id))).toEqual(['snapshot.json']);
    // The store is still usable once the disk is.
    failing = false;
    await store.save(await channel.snapshot(5n));
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(5n));
  });

  it('a temp file that a failed save could not remove either goes at the next save', async () => {
    let failing = false;
    const { system } = instrumentedFs({ fail: (op, path) => (failing && (op === 'write' || op === 'unlink') && isTemp(path) ? systemError('EIO') : undefined) });
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(4n));
    failing = true;
    await clientError(store.save(await channel.snapshot(5n)), 'STORE_IO');
    expect((await fs.readdir(channelDirectory)).filter(isTemp)).toHaveLength(1);
    failing = false;
    await store.save(await channel.snapshot(5n));
    expect(await fs.readdir(channelDirectory)).toEqual(['snapshot.json']);
  });

  it('removes left-over temp files before it writes (a full disk needs their space), and after a directory it could not read, at the next save', async () => {
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    await new FileStore(directory).save(await channel.snapshot(1n));
    const leftOver = `.snapshot.json.${spawnSync(process.execPath, ['-e', '']).pid}.${randomUUID()}.tmp`;
    await fs.writeFile(join(channelDirectory, leftOver), '{"ver');
    let unreadable = true;
    const { system, log } = instrumentedFs({
      fail: (op, path) => (op === 'readdir' && path === channelDirectory && unreadable ? systemError('EIO') : undefined),
      // a slow unlink, done only once it has returned
      pause: (op, path) => (op === 'unlink' ? new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => void log.push(`unlinked ${path}`)) : undefined),
    });
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(2n)); // best effort: the save does not fail for it
    expect((await fs.readdir(channelDirectory)).sort()).toEqual([leftOver, 'snapshot.json']);
    unreadable = false;
    log.length = 0;
    await store.save(await channel.snapshot(3n));
    expect(await fs.readdir(channelDirectory)).toEqual(['snapshot.json']);
    const unlinked = log.indexOf(`unlinked ${join(channelDirectory, leftOver)}`);
    const opened = log.findIndex((entry) => entry.startsWith('open ') && isTemp(entry));
    expect([unlinked, opened].every((index) => index >= 0) && unlinked < opened).toBe(true);
  });

  it('a failing fsync of the directory after the rename is STORE_IO, and the next save reads the disk again', async () => {
    let failing = false;
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    const { system, log } = instrumentedFs({ fail: (op, path) => (failing && op === 'sync' && path === channelDirectory ? systemError('EIO') : undefined) });
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(4n));
    failing = true;
    await clientError(store.save(await channel.snapshot(6n)), 'STORE_IO');
    failing = false;
    log.length = 0;
    // The rename had happened: round 6 is on disk, so round 5 is now stale.
    await clientError(store.save(await channel.snapshot(5n)), 'STALE_SNAPSHOT');
    expect(log.some((entry) => entry.startsWith('readFile'))).toBe(true);
  });

  it.each(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP'])('stores on a file system that cannot fsync a directory (%s, a FUSE or network one): a file fsync it refuses still fails', async (code) => {
    const directory = freshDirectory();
    let fileSyncFails = false;
    const { system, log } = instrumentedFs({ fail: (op, path) => (op === 'sync' && (!isTemp(path) || fileSyncFails) ? systemError(code) : undefined) });
    const store = new FileStore(directory, { fs: system });
    // Every directory fsync refused, none skipped: the new entries' parents, then the channel directory after the rename.
    await store.save(await channel.snapshot(1n));
    expect(log.filter((entry) => entry.startsWith('sync ') && !isTemp(entry))).toEqual([`sync ${directory}`, `sync ${root}`, `sync ${join(directory, channel.id)}`]);
    await store.save(await channel.snapshot(2n));
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(2n));
    // The snapshot's own fsync is what makes it whole on disk: its failure is STORE_IO, whatever the code.
    fileSyncFails = true;
    const error = await clientError(store.save(await channel.snapshot(3n)), 'STORE_IO');
    expect((error.cause as { code?: string }).code).toBe(code);
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(2n));
  });

  it.each([
    ['an open of the directory that fails with EINVAL', 'open', systemError('EINVAL')],
    ['a directory fsync that fails with no code', 'sync', new Error('the device is gone')],
  ])('fails a save on %s: STORE_IO (only an fsync the file system does not support is skipped)', async (_case, failing, failure) => {
    const directory = freshDirectory();
    const { system } = instrumentedFs({ fail: (op, path) => (op === failing && !isTemp(path) ? failure : undefined) });
    const error = await clientError(new FileStore(directory, { fs: system }).save(await channel.snapshot(1n)), 'STORE_IO');
    expect(error.cause).toBe(failure);
  });

  it('fsyncs the parent of a channel directory whose first fsync failed, though the directory then exists', async () => {
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    let failures = 1;
    const { system, log } = instrumentedFs({ fail: (op, path) => (op === 'sync' && path === directory && failures-- > 0 ? systemError('EIO') : undefined) });
    const store = new FileStore(directory, { fs: system });
    const error = await clientError(store.save(await channel.snapshot(1n)), 'STORE_IO');
    expect((error.cause as { code?: string }).code).toBe('EIO');
    expect((await fs.stat(channelDirectory)).isDirectory()).toBe(true); // mkdir will make nothing now
    log.length = 0;
    await store.save(await channel.snapshot(1n));
    const directorySyncs = () => log.filter((entry) => entry.startsWith('sync ') && !isTemp(entry));
    // the channel directory's entry and the store directory's, before the snapshot is written
    expect(directorySyncs()).toEqual([`sync ${directory}`, `sync ${root}`, `sync ${channelDirectory}`]);
    expect(log.indexOf(`sync ${directory}`)).toBeLessThan(log.findIndex((entry) => entry.startsWith('rename ')));
    // once durable, not again
    log.length = 0;
    await store.save(await channel.snapshot(2n));
    expect(directorySyncs()).toEqual([`sync ${channelDirectory}`]);
    // a second channel: its own entry only (the store directory's is durable already)
    log.length = 0;
    await store.save(await other.snapshot(1n));
    expect(directorySyncs()).toEqual([`sync ${directory}`, `sync ${join(directory, other.id)}`]);
  });

  it('fsyncs the parents of the directories a save makes anew, though it fsynced them once already', async () => {
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    const { system, log } = instrumentedFs();
    const store = new FileStore(directory, { fs: system });
    await store.save(await channel.snapshot(1n));
    const directorySyncs = () => log.filter((entry) => entry.startsWith('sync ') && !isTemp(entry));
    // the store directory removed under the running store (a wiped disk, a restored backup)
    await fs.rm(directory, { recursive: true });
    log.length = 0;
    await store.save(await channel.snapshot(1n));
    expect(directorySyncs()).toEqual([`sync ${directory}`, `sync ${root}`, `sync ${channelDirectory}`]);
    // the channel directory alone
    await fs.rm(channelDirectory, { recursive: true });
    log.length = 0;
    await store.save(await channel.snapshot(1n));
    expect(directorySyncs()).toEqual([`sync ${directory}`, `sync ${channelDirectory}`]);
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(1n));
  });

  it('fsyncs the parents again in the next process when a first save died after its mkdir', async () => {
    const directory = freshDirectory();
    await killMidSave(directory, await channel.snapshot(1n), 'sync', directory);

    const { system, log } = instrumentedFs();
    await new FileStore(directory, { fs: system }).save(await channel.snapshot(1n));
    expect(log.filter((entry) => entry.startsWith('sync ') && !isTemp(entry))).toEqual([`sync ${directory}`, `sync ${root}`, `sync ${join(directory, channel.id)}`]);
  });

  it('loads only co-signed states: a one-signature round 9 written by other hands is STORE_CORRUPT, not a block on round 8', async () => {
    const directory = freshDirectory();
    const store = new FileStore(directory);
    await store.save(await channel.snapshot(7n));
    // the app-level save of the bad state is refused; nothing changes on disk
    const oneSigned = encodeTx(await signTx(channel.body(9n), alice));
    await clientError(store.save({ ...(await channel.snapshot(9n)), state: oneSigned }), 'INVALID_SNAPSHOT');
    expect((await new FileStore(directory).load(channel.id))?.round).toBe(7n);
    await store.save(await channel.snapshot(8n));
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(8n));

    // the same state written past the store (an older version, another program): not loaded
    const path = join(directory, channel.id, 'snapshot.json');
    const file = JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path, JSON.stringify({ ...file, round: '9', state: oneSigned }));
    const corrupt = await clientError(new FileStore(directory).load(channel.id), 'STORE_CORRUPT');
    expect(corrupt.message).toMatch(/state of round 9 is not co-signed/);
    expect(corrupt.context.path).toBe(path);
    // the store that wrote round 8 reads the file again too, and will not replace it unseen
    await clientError(store.load(channel.id), 'STORE_CORRUPT');
    await clientError(store.save(await channel.snapshot(10n)), 'STORE_CORRUPT');
  });

  it('turns real file system errors into STORE_IO', async () => {
    const blocker = join(root, `blocker-${++directoryCount}`);
    await fs.writeFile(blocker, 'a file where the store wants a directory');
    const store = new FileStore(blocker);
    const saveError = await clientError(store.save(await channel.snapshot(1n)), 'STORE_IO');
    expect((saveError.cause as { code?: string }).code).toBe('ENOTDIR');
    const loadError = await clientError(store.load(channel.id), 'STORE_IO');
    expect((loadError.cause as { code?: string }).code).toBe('ENOTDIR');
    await clientError(store.list(), 'STORE_IO');

    const { system } = instrumentedFs({ fail: (op) => (op === 'readFile' ? systemError('EACCES') : undefined) });
    const directory = freshDirectory();
    await new FileStore(directory).save(await channel.snapshot(1n));
    const unreadable = await clientError(new FileStore(directory, { fs: system }).load(channel.id), 'STORE_IO');
    expect((unreadable.cause as { code?: string }).code).toBe('EACCES');
    // a snapshot it cannot stat is no channel to leave out of the list silently
    const { system: unstatable } = instrumentedFs({ fail: (op) => (op === 'stat' ? systemError('EACCES') : undefined) });
    const unlisted = await clientError(new FileStore(directory, { fs: unstatable }).list(), 'STORE_IO');
    expect((unlisted.cause as { code?: string }).code).toBe('EACCES');
    expect(unlisted.context.path).toBe(join(directory, channel.id, 'snapshot.json'));
  });

  it.each(['open', 'write', 'sync', 'close', 'rename'])('a process killed during %s leaves a store the next process reads, and its temp file goes', async (operation) => {
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    await new FileStore(directory).save(await channel.snapshot(2n));
    const pid = await killMidSave(directory, await channel.snapshot(3n), operation, 'temp');
    // what the crash left: the old snapshot, and (once opened) a temp file named after the dead process
    const left = (await fs.readdir(channelDirectory)).filter(isTemp);
    expect(left).toEqual(operation === 'open' ? [] : [expect.stringMatching(new RegExp(`^\\.snapshot\\.json\\.${pid}\\.[0-9a-f-]{36}\\.tmp$`))]);

    const next = new FileStore(directory);
    expect(await next.list()).toEqual([channel.id]);
    expect(await next.load(channel.id)).toEqual(await channel.snapshot(2n));
    expect((await fs.readdir(channelDirectory)).filter(isTemp)).toEqual(left); // a load changes nothing
    await next.save(await channel.snapshot(3n));
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(3n));
    // one temp file per crash would pile up: the next save removes it
    expect(await fs.readdir(channelDirectory)).toEqual(['snapshot.json']);
  });

  it('removes only temp files no save will rename: of a process that is gone, or of this one when none of its stores writes it', async () => {
    const directory = freshDirectory();
    const channelDirectory = join(directory, channel.id);
    await new FileStore(directory).save(await channel.snapshot(1n));
    // A store of this process in the middle of a save, on the directory under another name (a
    // symlink): the saves of the two stores do not wait for each other, its temp file is in use.
    const alias = `${directory}-alias`;
    await fs.symlink(directory, alias);
    let release: () => void = () => undefined;
    let writing = '';
    const { system } = instrumentedFs({
      pause: (op, path) => {
        if (op !== 'sync' || !isTemp(path)) return undefined;
        writing = path.slice(path.lastIndexOf('/') + 1);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    const stopped = new FileStore(alias, { fs: system }).save(await channel.snapshot(2n));
    await expect.poll(() => writing).not.toBe('');

    const temp = (pid: number) => `.snapshot.json.${pid}.${randomUUID()}.tmp`;
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number; // exited already
    const foreign = spawnSync(process.execPath, ['-e', '']).pid as number; // taken below for a process of another user
    const leftOver = [temp(gone), temp(process.pid)]; // a crashed process's; one of this process whose unlink failed
    // a running process's; one we may not signal (it runs too); no temp file of a store (nor a pid written as none is)
    const kept = [temp(process.ppid), temp(foreign), '.snapshot.json.tmp', 'notes.txt', `.snapshot.json.0${gone}.${randomUUID()}.tmp`, `.snapshot.json.${gone}.backup.tmp`];
    for (const name of [...leftOver, ...kept]) await fs.writeFile(join(channelDirectory, name), '{"ver');
    const kill = process.kill.bind(process);
    const signal = vi.spyOn(process, 'kill').mockImplementation((pid, code) => {
      if (pid === foreign) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      return kill(pid, code);
    });
    try {
      await new FileStore(directory).save(await channel.snapshot(2n));
    } finally {
      signal.mockRestore();
    }
    expect((await fs.readdir(channelDirectory)).sort()).toEqual([...kept, writing, 'snapshot.json'].sort());
    release();
    await stopped;
    expect((await fs.readdir(channelDirectory)).sort()).toEqual([...kept, 'snapshot.json'].sort());
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(2n));
  });

  it('orders the saves of two stores of one process on one directory: a newer round it acknowledged is never replaced', async () => {
    const directory = freshDirectory();
    await new FileStore(directory).save(await channel.snapshot(5n));
    const { system, gate } = pausedAtRename();
    // One store's save of round 6 has checked the disk (round 5) and is about to rename…
    const older = new FileStore(directory, { fs: system }).save(await channel.snapshot(6n));
    await expect.poll(() => gate.paused).toBe(true);
    // …when another store of the process saves round 7: it waits for the first, whichever ends first.
    const newer = new FileStore(directory).save(await channel.snapshot(7n));
    const first = await Promise.race([newer.then(() => 'round 7'), new Promise((resolve) => setTimeout(resolve, 50, 'waiting'))]);
    gate.release();
    await Promise.all([older, newer]);
    expect(first).toBe('waiting');
    expect(await new FileStore(directory).load(channel.id)).toEqual(await channel.snapshot(7n));
    // and the other way round, the older save comes second and is the stale one
    gate.paused = false;
    const newest = new FileStore(directory, { fs: system }).save(await channel.snapshot(9n));
    await expect.poll(() => gate.paused).toBe(true);
    const stale = new FileStore(directory).save(await channel.snapshot(8n));
    gate.release();
    await newest;
    await clientError(stale, 'STALE_SNAPSHOT');
    expect((await new FileStore(directory).load(channel.id))?.round).toBe(9n);
  });

  it('refuses a snapshot that fails verification while an earlier save runs, with no unhandled rejection', async () => {
    const { system, gate } = pausedAtRename();
    const directory = freshDirectory();
    const store = new FileStore(directory, { fs: system });
    const running = store.save(await channel.snapshot(6n));
    await expect.poll(() => gate.paused).toBe(true);
    // verified at once, refused long before its turn in the queue comes
    const refused = store.save({ ...(await channel.snapshot(7n)), state: notCoSigned.state, round: 12n });
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.release();
    await running;
    await clientError(refused, 'INVALID_SNAPSHOT');
    expect((await new FileStore(directory).load(channel.id))?.round).toBe(6n);
  });

  it('runs the saves of a channel one at a time, in call order, and channels in parallel', async () => {
    const active = new Map<string, number>();
    let mostPerChannel = 0;
    let mostOverall = 0;
    const pause = async (operation: string, path: string) => {
      if (!isTemp(path)) return;
      const key = path.split('/').at(-2) as string;
      if (operation === 'open') {
        active.set(key, (active.get(key) ?? 0) + 1);
        mostPerChannel = Math.max(mostPerChannel, active.get(key) as number);
        mostOverall = Math.max(mostOverall, [...active.values()].reduce((sum, count) => sum + count, 0));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      if (operation === 'rename') active.set(key, (active.get(key) as number) - 1);
    };
    const { system } = instrumentedFs({ pause });
    const directory = freshDirectory();
    const store = new FileStore(directory, { fs: system });
    const snapshots = await Promise.all(Array.from({ length: 25 }, (_, index) => channel.snapshot(BigInt(index + 1))));
    const otherSnapshots = await Promise.all(Array.from({ length: 25 }, (_, index) => other.snapshot(BigInt(index + 1))));
    const saves = [...snapshots.map((snapshot) => store.save(snapshot)), ...otherSnapshots.map((snapshot) => store.save(snapshot))];
    const loaded = store.load(channel.id); // queued behind the saves before it
    await Promise.all(saves);
    expect((await loaded)?.round).toBe(25n);
    expect(mostPerChannel).toBe(1);
    expect(mostOverall).toBe(2);
    expect((await new FileStore(directory).load(channel.id))?.round).toBe(25n);
    expect((await new FileStore(directory).load(other.id))?.round).toBe(25n);

    // Call order is save order: a lower round called after a higher one is the stale one.
    const higher = store.save(await channel.snapshot(30n));
    const lower = store.save(await channel.snapshot(29n));
    await higher;
    await clientError(lower, 'STALE_SNAPSHOT');
  });

  it('lists only channels with a snapshot', async () => {
    const directory = freshDirectory();
    const store = new FileStore(directory);
    expect(await store.list()).toEqual([]); // no directory yet
    await store.save(await channel.snapshot(1n));
    await fs.mkdir(join(directory, other.id)); // a first save that never finished
    await fs.writeFile(join(directory, other.id, '.snapshot.json.dead.tmp'), '{"ver');
    await fs.mkdir(join(directory, 'not-a-channel'));
    await fs.writeFile(join(directory, 'not-a-channel', 'snapshot.json'), '{}'); // no channel's directory
    await fs.writeFile(join(directory, 'notes.txt'), 'hello');
    const noFile = encode('ch', new Uint8Array(32).fill(3));
    await fs.mkdir(join(directory, noFile, 'snapshot.json'), { recursive: true }); // a directory, no snapshot
    expect(await store.list()).toEqual([channel.id]);
    expect(await store.load(other.id)).toBeUndefined();
  });

  describe('reads only what it could have written', () => {
    const cases: [string, (file: Record<string, unknown>, text: string) => string][] = [
      ['text that is not JSON', (_file, text) => text.slice(0, text.length >> 1)],
      ['a JSON array', () => '[]'],
      ['another version', (file) => JSON.stringify({ ...file, version: 2 })],
      ['no version', (file) => JSON.stringify({ ...file, version: undefined })],
      ['a round as a JSON number', (file) => JSON.stringify({ ...file, round: 12 })],
      ['a round with a leading zero', (file) => JSON.stringify({ ...file, round: '012' })],
      ['a negative round', (file) => JSON.stringify({ ...file, round: '-12' })],
      ['a round that is not the state’s', (file) => JSON.stringify({ ...file, round: '13' })],
      ['a state with a bad checksum', (file) => JSON.stringify({ ...file, state: `${(file.state as string).slice(0, -2)}zz` })],
      ['a create tx that is not one', (file) => JSON.stringify({ ...file, createTx: file.state })],
      ['an unknown role', (file) => JSON.stringify({ ...file, role: 'watcher' })],
      ['an unknown key', (file) => JSON.stringify({ ...file, extra: true })],
      ['a state without its round', (file) => JSON.stringify({ ...file, round: undefined })],
      ['a state signed by one peer only', (file) => JSON.stringify({ ...file, state: notCoSigned.state })],
      ['a create tx signed by one peer only', (file) => JSON.stringify({ ...file, createTx: notCoSigned.createTx })],
      ['a close tx signed by one peer only', (file) => JSON.stringify({ ...file, closeTx: notCoSigned.closeTx })],
    ];
    it.each(cases)('%s is STORE_CORRUPT', async (_what, corrupt) => {
      const directory = freshDirectory();
      const store = new FileStore(directory);
      await store.save(await channel.snapshot(12n));
      const path = join(directory, channel.id, 'snapshot.json');
      const text = await fs.readFile(path, 'utf8');
      await fs.writeFile(path, corrupt(JSON.parse(text) as Record<string, unknown>, text));
      const error = await clientError(new FileStore(directory).load(channel.id), 'STORE_CORRUPT');
      expect(error.context.path).toBe(path);
      // A save does not overwrite what it cannot read: a human has to look first.
      await clientError(new FileStore(directory).save(await channel.snapshot(13n)), 'STORE_CORRUPT');
    });

    it("another channel's snapshot in a channel's directory is STORE_CORRUPT", async () => {
      const directory = freshDirectory();
      const store = new FileStore(directory);
      await store.save(await other.snapshot(1n));
      await fs.mkdir(join(directory, channel.id));
      await fs.copyFile(join(directory, other.id, 'snapshot.json'), join(directory, channel.id, 'snapshot.json'));
      await clientError(store.load(channel.id), 'STORE_CORRUPT');
    });
  });

  it(`holds in memory what it knows of the ${STORE_CACHE_CHANNELS} most recently used channels only, and reads a forgotten one back from the disk`, async () => {
    // A process that runs for days saves channel after channel. A disk that keeps no file in
    // the heap (but the first channel's), so that the heap shows what the store itself holds.
    const kept = new Map<string, string>();
    let firstDirectory: string | undefined;
    const system: FileStoreFileSystem = {
      mkdir: async (path) => {
        firstDirectory ??= path;
        return undefined;
      },
      open: async (path) => ({
        writeFile: async (data) => {
          if (path.startsWith(firstDirectory as string)) kept.set(path, data);
        },
        sync: async () => undefined,
        close: async () => undefined,
      }),
      rename: async (from, to) => {
        const text = kept.get(from);
        kept.delete(from);
        if (text !== undefined) kept.set(to, text);
      },
      unlink: async (path) => void kept.delete(path),
      readFile: async (path) => {
        const text = kept.get(path);
        if (text === undefined) throw systemError('ENOENT');
        return text;
      },
      readdir: async () => [],
      stat: async () => ({ isFile: () => true }),
    };
    const store = new FileStore(join(root, 'days'), { fs: system });
    let nonce = 1000n;
    const saveChannels = async (count: number) => {
      for (let index = 0; index < count; index++) await store.save(await (await makeChannel(alice, bob, nonce++)).snapshot());
    };
    const first = await makeChannel(alice, bob, nonce++);
    await store.save(await first.snapshot(3n));
    await saveChannels(STORE_CACHE_CHANNELS);
    const full = heapAfterCollection();
    await saveChannels(2 * STORE_CACHE_CHANNELS);
    const grown = heapAfterCollection() - full;
    // Unbounded, it held ~1.7 KB a channel: 3.5 MB more for these 2048.
    expect(grown, `heap grew by ${grown} bytes over ${2 * STORE_CACHE_CHANNELS} more channels`).toBeLessThan(512 * 1024);

    // Forgotten, the first channel is read, parsed and verified again: it is all still there.
    expect(await store.load(first.id)).toEqual(await first.snapshot(3n));
    await clientError(store.save(await first.snapshot(2n)), 'STALE_SNAPSHOT');
    await store.save(await first.snapshot(4n));
    expect((await store.load(first.id))?.round).toBe(4n);
  });

  it('a channel queue stays busy while a later task waits, after an earlier one ended', async () => {
    const queue = new ChannelQueue<string>();
    let endFirst!: () => void;
    let endSecond!: () => void;
    const first = queue.run('a', () => new Promise<void>((resolve) => (endFirst = resolve)));
    const second = queue.run('a', () => new Promise<void>((resolve) => (endSecond = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    endFirst();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queue.busy('a')).toBe(true); // the second task still runs: a newer save must wait for it
    endSecond();
    await second;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(queue.busy('a')).toBe(false);
  });

  it('forgets the least recently used channel first: a read or a check of one is a use', () => {
    // the caches above: the channel whose facts a store needs next is the one it used last
    const cache = new RecentlyUsed<string, number>(3);
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.get('a')).toBe(1); // a read: b is the least recently used now
    cache.set('d', 4);
    expect(cache.has('b')).toBe(false);
    expect(cache.has('c')).toBe(true); // a check: a is the least recently used now
    cache.set('e', 5);
    expect(cache.has('a')).toBe(false);
    cache.set('d', 40); // setting one again is a use too: c goes next
    cache.set('f', 6);
    expect(['c', 'd', 'e', 'f'].map((key) => cache.get(key))).toEqual([undefined, 40, 5, 6]);
  });

  it('checks its arguments', () => {
    expect(() => new FileStore('')).toThrow(TypeError);
    expect(() => new FileStore(42 as unknown as string)).toThrow(TypeError);
    expect(() => new FileStore(root).pathOf('../../etc' as ChannelId)).toThrow(TypeError);
  });
});

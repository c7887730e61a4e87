import { bytesToHex, type ChannelId, decode, describe, type EncodedTx, hexToBytes, isEncoded } from '@aesc/encoding';
import { verifySignedTx } from '@aesc/signer';
import { channelId as channelIdOf, decodeTx, type SignedTx } from '@aesc/tx';
import { ClientError } from './errors.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/**
 * A {@link StateStore} in memory: for tests and for apps that keep no channel past the
 * process. Snapshots are copied in and out, so a caller mutating an object it saved or loaded
 * cannot change what is stored. Saves of one channel take effect in call order, also while the
 * signatures of a snapshot from outside the client are being verified.
 */
export class MemoryStore implements StateStore {
  readonly #snapshots = new Map<ChannelId, ChannelSnapshot>();
  readonly #checkedCreates: CheckedCreates = new RecentlyUsed(STORE_CACHE_CHANNELS);
  /** Saves of each channel still verifying signatures, or queued behind one. */
  readonly #queue = new ChannelQueue();

  async load(channelId: ChannelId): Promise<ChannelSnapshot | undefined> {
    assertChannelIdArgument(channelId);
    const snapshot = this.#snapshots.get(channelId);
    return snapshot === undefined ? undefined : copySnapshot(snapshot);
  }

  async save(snapshot: Readonly<ChannelSnapshot>): Promise<void> {
    const checked = checkSnapshotArgument(snapshot, this.#checkedCreates);
    const { channelId } = checked;
    // The client's own snapshot with nothing before it: stored at once, as fast as it was
    // before signatures were verified at all (the client verified them).
    if (!this.#queue.busy(channelId) && isClientSnapshot(checked)) return this.#put(checked);
    const verifying = isClientSnapshot(checked) ? undefined : verifySnapshotArgument(checked, this.#checkedCreates);
    // Awaited in turn below; marked handled now, so a quick failure is no unhandled rejection.
    verifying?.catch(() => undefined);
    return this.#queue.run(channelId, async () => {
      await verifying;
      this.#put(checked);
    });
  }

  #put(checked: ChannelSnapshot): void {
    const stored = this.#snapshots.get(checked.channelId);
    assertNotStale(stored?.round, checked);
    this.#snapshots.set(checked.channelId, keepingCloseTx(stored, checked));
  }

  async list(): Promise<ChannelId[]> {
    return [...this.#snapshots.keys()].sort();
  }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by every store (FileStore imports them).

/**
 * Tasks of each channel run one after the other, in call order; a failed one does not stop the
 * next. A channel is named by its id, or by anything else that names it (FileStore: its file).
 */
export class ChannelQueue<Key extends string = ChannelId> {
  /** The last task of each channel with one queued or running. */
  readonly #tails = new Map<Key, Promise<void>>();

  busy(channel: Key): boolean {
    return this.#tails.has(channel);
  }

  run<T>(channel: Key, task: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(channel) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(channel, tail);
    void tail.then(() => {
      if (this.#tails.get(channel) === tail) this.#tails.delete(channel);
    });
    return run;
  }
}

/**
 * Channels whose facts a store keeps in memory at most (FileStore: the last file text and its
 * snapshot, the create tx checked, the directories fsynced and tidied): the most recently used
 * ones. A process that runs for days saves channel after channel; what it keeps of each must
 * not grow with all it ever saw. A channel forgotten costs its next save a parse and a
 * signature check (or an fsync) again, nothing else.
 */
export const STORE_CACHE_CHANNELS = 1024;

/**
 * A map of at most `capacity` entries: setting one more forgets the least recently used
 * (read with `get` or `has`, or set). For what a store can find again at a cost.
 */
export class RecentlyUsed<Key, Value> {
  readonly #entries = new Map<Key, Value>();

  constructor(readonly capacity: number) {}

  get(key: Key): Value | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as Value;
    // Map keeps insertion order: moved to the end, the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  has(key: Key): boolean {
    if (!this.#entries.has(key)) return false;
    this.get(key); // a use: kept longer
    return true;
  }

  set(key: Key, value: Value): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as Key);
    return this;
  }

  delete(key: Key): boolean {
    return this.#entries.delete(key);
  }
}

/**
 * Create txs already decoded by a store, by their `tx$`: the create tx of a channel comes back
 * with every save, and decoding it again would double the cost of a save.
 */
export type CheckedCreates = RecentlyUsed<string, { channelId: ChannelId; initiator: string; responder: string; coSigned?: true }>;

/**
 * Snapshots the client built itself, frozen: every tx in them was decoded strictly and checked
 * against the channel by the client before it built them (that is how it came to hold them), so
 * a store need not decode them again — on every update that was the second decode of the same
 * state, ~7% of a client's CPU. Module-private to this package: a snapshot from anywhere else
 * gets every check.
 */
const checkedByClient = new WeakSet<ChannelSnapshot>();

/** Freezes a snapshot the client built from txs it has checked, and marks it as such. */
export function clientSnapshot(snapshot: ChannelSnapshot): ChannelSnapshot {
  checkedByClient.add(Object.freeze(snapshot));
  return snapshot;
}

/** Whether `snapshot` is one the client built (and so checked and verified) itself. */
export function isClientSnapshot(snapshot: ChannelSnapshot): boolean {
  return checkedByClient.has(snapshot);
}

/** What is wrong with a snapshot: its shape (a programming error) or its content. */
export type SnapshotProblem = 'shape' | 'content';

/**
 * Checks that `value` is a snapshot a client can close from, and returns a copy holding only
 * the snapshot's own fields. Every tx must decode and belong to the channel: a store that
 * accepted a state it cannot read back would fail its owner exactly when a solo close is
 * needed. Signatures are not verified here: {@link verifySnapshot} does that, asynchronously,
 * for every snapshot that does not come from the client.
 */
export function checkSnapshot(
  value: unknown,
  fail: (problem: SnapshotProblem, message: string, cause?: unknown) => never,
  checkedCreates?: CheckedCreates,
): ChannelSnapshot {
  // frozen, so exactly what the client checked; its fields are its own (built by the client)
  if (checkedByClient.has(value as ChannelSnapshot)) return value as ChannelSnapshot;
  if (typeof value !== 'object' || value === null) return fail('shape', `snapshot must be an object, got ${describe(value)}`);
  const record = value as Record<string, unknown>;
  const { channelId, role, createTx, state, round, closeTx } = record;
  if (typeof channelId !== 'string') return fail('shape', `channelId must be a ch$ string, got ${describe(channelId)}`);
  if (role !== 'initiator' && role !== 'responder') return fail('shape', `role must be 'initiator' or 'responder', got ${describe(role)}`);
  if (typeof createTx !== 'string') return fail('shape', `createTx must be a tx$ string, got ${describe(createTx)}`);
  if (state !== undefined && typeof state !== 'string') return fail('shape', `state must be a tx$ string, got ${describe(state)}`);
  if (round !== undefined && typeof round !== 'bigint') return fail('shape', `round must be a bigint, got ${describe(round)}`);
  if ((state === undefined) !== (round === undefined)) return fail('shape', 'state and round go together: give both or neither');
  if (closeTx !== undefined && typeof closeTx !== 'string') return fail('shape', `closeTx must be a tx$ string, got ${describe(closeTx)}`);

  let idHex: string;
  try {
    idHex = bytesToHex(decode(channelId, 'ch'));
  } catch (error) {
    return fail('content', `channelId is not a valid ch$ string: ${(error as Error).message}`, error);
  }
  let create = checkedCreates?.get(createTx);
  if (create === undefined) {
    const createTxOf = decodeSigned(createTx, 'createTx', fail).tx;
    if (createTxOf.type !== 'channel_create_tx') return fail('content', `createTx is a ${createTxOf.type}, not a channel_create_tx`);
    create = { channelId: channelIdOf(createTxOf), initiator: bytesToHex(createTxOf.initiator), responder: bytesToHex(createTxOf.responder) };
    checkedCreates?.set(createTx, create);
  }
  if (create.channelId !== channelId) return fail('content', `createTx creates ${create.channelId}, not ${channelId}`);
  const snapshot: ChannelSnapshot = { channelId, role, createTx: createTx as EncodedTx };

  if (state !== undefined && round !== undefined) {
    if (round < 0n) return fail('content', `round must not be negative, got ${round}`);
    const offchain = decodeSigned(state, 'state', fail).tx;
    if (offchain.type !== 'channel_offchain_tx') return fail('content', `state is a ${offchain.type}, not a channel_offchain_tx`);
    if (bytesToHex(offchain.channel_id) !== idHex) return fail('content', 'state belongs to another channel');
    if (bytesToHex(offchain.initiator) !== create.initiator || bytesToHex(offchain.responder) !== create.responder) {
      return fail('content', 'state names other peers than the create tx');
    }
    if (offchain.round !== round) return fail('content', `round is ${round} but the state's round is ${offchain.round}`);
    snapshot.state = state as EncodedTx;
    snapshot.round = round;
  }
  if (closeTx !== undefined) {
    const close = decodeSigned(closeTx, 'closeTx', fail).tx;
    if (close.type !== 'channel_close_mutual_tx') return fail('content', `closeTx is a ${close.type}, not a channel_close_mutual_tx`);
    if (bytesToHex(close.channel_id) !== idHex) return fail('content', 'closeTx belongs to another channel');
    snapshot.closeTx = closeTx as EncodedTx;
  }
  return snapshot;
}

function decodeSigned(encoded: string, field: string, fail: (problem: SnapshotProblem, message: string, cause?: unknown) => never): SignedTx {
  try {
    return decodeTx(encoded, 'signed_tx');
  } catch (error) {
    return fail('content', `${field} is not a signed tx: ${(error as Error).message}`, error);
  }
}

/**
 * Checks that every tx of a snapshot `checkSnapshot` accepted carries exactly one valid
 * signature of each peer of the channel and nothing else, as the chain will check them: the
 * create tx, the state and the close tx. Without it, a higher round signed by one party only
 * (or by nobody) would be stored and then, by the stale check, protect itself against the real
 * co-signed state, and a solo close from it would fail (NOT_CO_SIGNED) when it is needed.
 * Costs ~60 µs a signature: the client's own snapshots skip it (it verified each tx before it
 * built them), and a create tx verified once is remembered in `checkedCreates`. The txs are
 * decoded again, a fraction of what verifying them costs.
 */
export async function verifySnapshot(
  snapshot: ChannelSnapshot,
  fail: (problem: SnapshotProblem, message: string, cause?: unknown) => never,
  checkedCreates?: CheckedCreates,
): Promise<void> {
  if (checkedByClient.has(snapshot)) return;
  let create = checkedCreates?.get(snapshot.createTx);
  let peers: [Uint8Array, Uint8Array];
  if (create?.coSigned === true) {
    peers = [hexToBytes(create.initiator), hexToBytes(create.responder)];
  } else {
    const signed = decodeSigned(snapshot.createTx, 'createTx', fail);
    if (signed.tx.type !== 'channel_create_tx') return fail('content', `createTx is a ${signed.tx.type}, not a channel_create_tx`);
    peers = [signed.tx.initiator, signed.tx.responder];
    await assertCoSigned(signed, peers, 'the create tx', fail);
    if (create === undefined) {
      create = { channelId: channelIdOf(signed.tx), initiator: bytesToHex(peers[0]), responder: bytesToHex(peers[1]) };
      checkedCreates?.set(snapshot.createTx, create);
    }
    create.coSigned = true;
  }
  // checkSnapshot has checked that the state names these peers and the close tx this channel
  if (snapshot.state !== undefined) await assertCoSigned(decodeSigned(snapshot.state, 'state', fail), peers, `the state of round ${snapshot.round}`, fail);
  if (snapshot.closeTx !== undefined) await assertCoSigned(decodeSigned(snapshot.closeTx, 'closeTx', fail), peers, 'the close tx', fail);
}

async function assertCoSigned(
  signed: SignedTx,
  peers: [Uint8Array, Uint8Array],
  what: string,
  fail: (problem: SnapshotProblem, message: string, cause?: unknown) => never,
): Promise<void> {
  let verification: Awaited<ReturnType<typeof verifySignedTx>>;
  try {
    verification = await verifySignedTx(signed, peers);
  } catch (error) {
    // e.g. a legacy secp256k1 peer key: a signature nobody here can check is no co-signature
    return fail('content', `${what} cannot be verified: ${(error as Error).message}`, error);
  }
  if (verification.valid) return;
  const missing = verification.signers.filter((entry) => entry.signature === null).map((entry) => entry.publicKey);
  const extra = verification.signatures.filter((entry) => entry.signer === null).length;
  return fail(
    'content',
    `${what} is not co-signed by both peers${missing.length > 0 ? ` (no valid signature of ${missing.join(', ')})` : ''}${extra > 0 ? ` (${extra} signature(s) of no peer)` : ''}`,
  );
}

/** `verifySnapshot` for an argument of `save`: a tx that is not co-signed is INVALID_SNAPSHOT. */
export function verifySnapshotArgument(snapshot: ChannelSnapshot, checkedCreates?: CheckedCreates): Promise<void> {
  return verifySnapshot(snapshot, invalidSnapshot, checkedCreates);
}

function invalidSnapshot(problem: SnapshotProblem, message: string, cause?: unknown): never {
  if (problem === 'shape') throw new TypeError(message);
  throw new ClientError('INVALID_SNAPSHOT', message, {}, { cause });
}

/** `checkSnapshot` for an argument of `save`: wrong shapes are TypeErrors, bad content INVALID_SNAPSHOT. */
export function checkSnapshotArgument(snapshot: unknown, checkedCreates?: CheckedCreates): ChannelSnapshot {
  return checkSnapshot(snapshot, invalidSnapshot, checkedCreates);
}

export function assertChannelIdArgument(channelId: unknown): asserts channelId is ChannelId {
  if (!isEncoded(channelId, 'ch')) throw new TypeError(`channelId must be a valid ch$ string, got ${describe(channelId)}`);
}

/**
 * Refuses to replace a stored state by an older one: after a race or a bug upstream, the one
 * state that wins a dispute must not be lost. The same round again is fine (re-saving it, or
 * adding the close tx; a stored close tx stays, see {@link keepingCloseTx}).
 */
export function assertNotStale(storedRound: bigint | undefined, next: ChannelSnapshot): void {
  if (storedRound === undefined) return;
  if (next.round === undefined || next.round < storedRound) {
    throw new ClientError(
      'STALE_SNAPSHOT',
      `channel ${next.channelId}: the store holds round ${storedRound}, refusing to replace it by ${next.round === undefined ? 'no state' : `round ${next.round}`}`,
      { channelId: next.channelId, ...(next.round === undefined ? {} : { round: next.round }) },
    );
  }
}

/**
 * What a save of `next` stores over `stored` (already checked not to be stale): `next`, with the
 * co-signed close tx `stored` holds when `next` brings none. That tx stays valid and postable
 * whatever state comes after it (it names no round), and `closeSolo` needs it to tell a mutual
 * close waiting or mined from a chance to close alone; a save without it (another process's
 * snapshot of the same round, one an app's sync delivers late) must not lose it.
 */
export function keepingCloseTx(stored: ChannelSnapshot | undefined, next: ChannelSnapshot): ChannelSnapshot {
  if (next.closeTx !== undefined || stored?.closeTx === undefined) return next;
  const kept = copySnapshot(next);
  kept.closeTx = stored.closeTx;
  return kept;
}

export function copySnapshot(snapshot: ChannelSnapshot): ChannelSnapshot {
  const copy: ChannelSnapshot = { channelId: snapshot.channelId, role: snapshot.role, createTx: snapshot.createTx };
  if (snapshot.state !== undefined) copy.state = snapshot.state;
  if (snapshot.round !== undefined) copy.round = snapshot.round;
  if (snapshot.closeTx !== undefined) copy.closeTx = snapshot.closeTx;
  return copy;
}

import { bytesToHex, type ChannelId, decode, describe, type EncodedTx, isEncoded } from '@aesc/encoding';
import { channelId as channelIdOf, decodeTx, type SignedTx } from '@aesc/tx';
import { ClientError } from './errors.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/**
 * A {@link StateStore} in memory: for tests and for apps that keep no channel past the
 * process. Snapshots are copied in and out, so a caller mutating an object it saved or loaded
 * cannot change what is stored.
 */
export class MemoryStore implements StateStore {
  readonly #snapshots = new Map<ChannelId, ChannelSnapshot>();
  readonly #checkedCreates: CheckedCreates = new Map();

  async load(channelId: ChannelId): Promise<ChannelSnapshot | undefined> {
    assertChannelIdArgument(channelId);
    const snapshot = this.#snapshots.get(channelId);
    return snapshot === undefined ? undefined : copySnapshot(snapshot);
  }

  async save(snapshot: ChannelSnapshot): Promise<void> {
    const checked = checkSnapshotArgument(snapshot, this.#checkedCreates);
    assertNotStale(this.#snapshots.get(checked.channelId)?.round, checked);
    this.#snapshots.set(checked.channelId, checked);
  }

  async list(): Promise<ChannelId[]> {
    return [...this.#snapshots.keys()].sort();
  }
}

// ---------------------------------------------------------------------------------------------
// Checks shared by every store (FileStore imports them).

/**
 * Create txs already decoded by a store, by their `tx$`: the create tx of a channel comes back
 * with every save, and decoding it again would double the cost of a save.
 */
export type CheckedCreates = Map<string, { channelId: ChannelId; initiator: string; responder: string }>;

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

/** What is wrong with a snapshot: its shape (a programming error) or its content. */
export type SnapshotProblem = 'shape' | 'content';

/**
 * Checks that `value` is a snapshot a client can close from, and returns a copy holding only
 * the snapshot's own fields. Every tx must decode and belong to the channel: a store that
 * accepted a state it cannot read back would fail its owner exactly when a solo close is
 * needed. Signatures are not verified here (the client verified them before saving, the
 * dispute helpers verify again before posting).
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

/** `checkSnapshot` for an argument of `save`: wrong shapes are TypeErrors, bad content INVALID_SNAPSHOT. */
export function checkSnapshotArgument(snapshot: unknown, checkedCreates?: CheckedCreates): ChannelSnapshot {
  return checkSnapshot(
    snapshot,
    (problem, message, cause) => {
      if (problem === 'shape') throw new TypeError(message);
      throw new ClientError('INVALID_SNAPSHOT', message, {}, { cause });
    },
    checkedCreates,
  );
}

export function assertChannelIdArgument(channelId: unknown): asserts channelId is ChannelId {
  if (!isEncoded(channelId, 'ch')) throw new TypeError(`channelId must be a valid ch$ string, got ${describe(channelId)}`);
}

/**
 * Refuses to replace a stored state by an older one: after a race or a bug upstream, the one
 * state that wins a dispute must not be lost. The same round again is fine (re-saving it, or
 * adding the close tx).
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

export function copySnapshot(snapshot: ChannelSnapshot): ChannelSnapshot {
  const copy: ChannelSnapshot = { channelId: snapshot.channelId, role: snapshot.role, createTx: snapshot.createTx };
  if (snapshot.state !== undefined) copy.state = snapshot.state;
  if (snapshot.round !== undefined) copy.round = snapshot.round;
  if (snapshot.closeTx !== undefined) copy.closeTx = snapshot.closeTx;
  return copy;
}

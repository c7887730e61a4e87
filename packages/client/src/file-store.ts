import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type ChannelId, describe, isEncoded } from '@aesc/encoding';
import { ClientError } from './errors.js';
import { assertChannelIdArgument, assertNotStale, type CheckedCreates, checkSnapshot, checkSnapshotArgument, copySnapshot } from './memory-store.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/** The version of `snapshot.json` this store writes, and the only one it reads. */
export const SNAPSHOT_FILE_VERSION = 1;

const SNAPSHOT_FILE = 'snapshot.json';
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const FILE_KEYS = new Set(['version', 'channelId', 'role', 'createTx', 'round', 'state', 'closeTx']);

/** An open file, as much of `node:fs/promises` `FileHandle` as the store uses. */
export interface FileStoreHandle {
  writeFile(data: string, encoding: 'utf8'): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file operations the store makes, as `node:fs/promises` has them (the default). Tests
 * inject one that fails on cue: as root, a read-only directory does not stop a write.
 */
export interface FileStoreFileSystem {
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  open(path: string, flags: string, mode?: number): Promise<FileStoreHandle>;
  rename(oldPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ isFile(): boolean }>;
}

export interface FileStoreOptions {
  /** The file system to use; `node:fs/promises` by default. */
  fs?: FileStoreFileSystem;
}

/**
 * A {@link StateStore} on disk: `<directory>/<ch$…>/snapshot.json` per channel, JSON with a
 * `version`, integers as decimal strings.
 *
 * A save is durable when its promise resolves and atomic whatever happens before: the snapshot
 * is written to a temp file in the channel's directory, fsynced, renamed over `snapshot.json`,
 * and the directory is fsynced so the rename itself survives a power cut. A crash leaves
 * either the old file or the new one (and perhaps a `.tmp` file, which is never read). Saves
 * of one channel run one after the other, in call order; loads wait for the saves before them.
 * One FileStore per directory: two stores (or processes) on the same directory each stay
 * atomic, but nothing orders their writes against each other.
 */
export class FileStore implements StateStore {
  readonly directory: string;
  readonly #fs: FileStoreFileSystem;
  /** The tail of each channel's queue of saves and loads. */
  readonly #queues = new Map<ChannelId, Promise<void>>();
  /** The round on disk per channel once this store has seen it, for the stale check. */
  readonly #storedRounds = new Map<ChannelId, bigint | undefined>();
  readonly #checkedCreates: CheckedCreates = new Map();

  constructor(directory: string, options: FileStoreOptions = {}) {
    if (typeof directory !== 'string' || directory === '') throw new TypeError(`directory must be a non-empty string, got ${describe(directory)}`);
    // Absolute now, so that a later chdir of the process does not move the store.
    this.directory = resolve(directory);
    this.#fs = options.fs ?? nodeFs;
  }

  load(channelId: ChannelId): Promise<ChannelSnapshot | undefined> {
    try {
      assertChannelIdArgument(channelId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serialize(channelId, async () => {
      const snapshot = await this.#read(channelId);
      this.#storedRounds.set(channelId, snapshot?.round);
      return snapshot;
    });
  }

  save(snapshot: ChannelSnapshot): Promise<void> {
    let checked: ChannelSnapshot;
    try {
      checked = checkSnapshotArgument(snapshot, this.#checkedCreates);
    } catch (error) {
      return Promise.reject(error);
    }
    const { channelId } = checked;
    return this.#serialize(channelId, async () => {
      if (!this.#storedRounds.has(channelId)) this.#storedRounds.set(channelId, (await this.#read(channelId))?.round);
      assertNotStale(this.#storedRounds.get(channelId), checked);
      try {
        await this.#write(checked);
      } catch (error) {
        // The failure may have come after the rename: read the disk again before the next save.
        this.#storedRounds.delete(channelId);
        throw error;
      }
      this.#storedRounds.set(channelId, checked.round);
    });
  }

  async list(): Promise<ChannelId[]> {
    let names: string[];
    try {
      names = await this.#fs.readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw ioError('list', this.directory, error);
    }
    const channels: ChannelId[] = [];
    for (const name of names) {
      if (!isEncoded(name, 'ch')) continue;
      const path = join(this.directory, name, SNAPSHOT_FILE);
      try {
        if ((await this.#fs.stat(path)).isFile()) channels.push(name);
      } catch (error) {
        // A channel directory whose first save never completed holds no snapshot: not listed.
        if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw ioError('stat', path, error);
      }
    }
    return channels.sort();
  }

  /** Where the snapshot of `channelId` lives. */
  pathOf(channelId: ChannelId): string {
    assertChannelIdArgument(channelId);
    return join(this.directory, channelId, SNAPSHOT_FILE);
  }

  #serialize<T>(channelId: ChannelId, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(channelId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(channelId, tail);
    void tail.then(() => {
      if (this.#queues.get(channelId) === tail) this.#queues.delete(channelId);
    });
    return run;
  }

  async #read(channelId: ChannelId): Promise<ChannelSnapshot | undefined> {
    const path = this.pathOf(channelId);
    let text: string;
    try {
      text = await this.#fs.readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw ioError('read', path, error);
    }
    const snapshot = parseSnapshotFile(text, path);
    if (snapshot.channelId !== channelId) {
      throw new ClientError('STORE_CORRUPT', `${path} holds channel ${snapshot.channelId}, not ${channelId}`, { path, channelId });
    }
    return snapshot;
  }

  async #write(snapshot: ChannelSnapshot): Promise<void> {
    const channelDirectory = join(this.directory, snapshot.channelId);
    const path = join(channelDirectory, SNAPSHOT_FILE);
    let created: string | undefined;
    try {
      created = await this.#fs.mkdir(channelDirectory, { recursive: true });
    } catch (error) {
      throw ioError('create directory', channelDirectory, error);
    }
    // A new directory entry is only durable once its parent is fsynced: every parent of
    // what mkdir made, up to the channel directory's.
    if (created !== undefined) {
      const outermost = dirname(created);
      for (let parent = dirname(channelDirectory); ; parent = dirname(parent)) {
        await this.#syncDirectory(parent);
        if (parent === outermost || dirname(parent) === parent) break;
      }
    }

    const temp = join(channelDirectory, `.${SNAPSHOT_FILE}.${randomUUID()}.tmp`);
    let handle: FileStoreHandle | undefined;
    try {
      handle = await this.#fs.open(temp, 'wx', 0o600);
      await handle.writeFile(formatSnapshotFile(snapshot), 'utf8');
      await handle.sync();
      const closing = handle;
      handle = undefined;
      await closing.close();
      await this.#fs.rename(temp, path);
    } catch (error) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      // Best effort: the temp file is never read, but a full disk is no place to leave it.
      await this.#fs.unlink(temp).catch(() => undefined);
      throw ioError('write', path, error);
    }
    await this.#syncDirectory(channelDirectory);
  }

  async #syncDirectory(directory: string): Promise<void> {
    // Windows cannot open a directory to fsync it; NTFS journals the rename instead.
    if (process.platform === 'win32') return;
    let handle: FileStoreHandle | undefined;
    try {
      handle = await this.#fs.open(directory, 'r');
      await handle.sync();
    } catch (error) {
      throw ioError('fsync directory', directory, error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}

/** The text of `snapshot.json`: one key per line, so a human can read it and a diff shows a new round. */
function formatSnapshotFile(snapshot: ChannelSnapshot): string {
  const file: Record<string, string | number> = {
    version: SNAPSHOT_FILE_VERSION,
    channelId: snapshot.channelId,
    role: snapshot.role,
    createTx: snapshot.createTx,
  };
  if (snapshot.round !== undefined) file.round = snapshot.round.toString(10);
  if (snapshot.state !== undefined) file.state = snapshot.state;
  if (snapshot.closeTx !== undefined) file.closeTx = snapshot.closeTx;
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Reads `snapshot.json` back; anything this store could not have written is STORE_CORRUPT. */
function parseSnapshotFile(text: string, path: string): ChannelSnapshot {
  const corrupt = (message: string, cause?: unknown): never => {
    throw new ClientError('STORE_CORRUPT', `${path}: ${message}`, { path }, { cause });
  };
  let file: unknown;
  try {
    // Plain JSON.parse is exact here: the file holds no JSON numbers but `version`.
    file = JSON.parse(text);
  } catch (error) {
    return corrupt('not JSON', error);
  }
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return corrupt('not a JSON object');
  const record = file as Record<string, unknown>;
  if (record.version !== SNAPSHOT_FILE_VERSION) {
    return corrupt(`version ${describe(record.version)} is not ${SNAPSHOT_FILE_VERSION}, the one this store reads`);
  }
  for (const key of Object.keys(record)) if (!FILE_KEYS.has(key)) corrupt(`unknown key ${JSON.stringify(key)}`);
  const { round } = record;
  if (round !== undefined && (typeof round !== 'string' || !DECIMAL.test(round))) {
    return corrupt(`round must be a decimal string, got ${describe(round)}`);
  }
  const snapshot = checkSnapshot(
    {
      channelId: record.channelId,
      role: record.role,
      createTx: record.createTx,
      state: record.state,
      round: round === undefined ? undefined : BigInt(round),
      closeTx: record.closeTx,
    },
    (_problem, message, cause) => corrupt(message, cause),
  );
  return copySnapshot(snapshot);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ioError(operation: string, path: string, error: unknown): ClientError {
  const code = errorCode(error);
  return new ClientError('STORE_IO', `${operation} ${path} failed${code === undefined ? '' : ` (${code})`}: ${(error as Error)?.message ?? String(error)}`, { path }, { cause: error });
}

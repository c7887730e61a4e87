import * as nodeCrypto from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import * as nodePath from 'node:path';
import { type ChannelId, describe, isEncoded } from '@aesc/encoding';
import { ClientError } from './errors.js';
import {
  assertChannelIdArgument,
  assertNotStale,
  ChannelQueue,
  type CheckedCreates,
  checkSnapshot,
  checkSnapshotArgument,
  copySnapshot,
  isClientSnapshot,
  keepingCloseTx,
  RecentlyUsed,
  STORE_CACHE_CHANNELS,
  verifySnapshot,
  verifySnapshotArgument,
} from './memory-store.js';
import type { ChannelSnapshot, StateStore } from './store.js';

/**
 * The Node modules the store is made of. Bundled for a browser, the package's `browser` field
 * leaves them out (empty modules): read through this object, not as imported names, which a
 * bundler reports as always undefined in every app that bundles the package, FileStore used or
 * not; the constructor says what is missing instead.
 */
const nodeModules: { readonly crypto: typeof nodeCrypto; readonly path: typeof nodePath; readonly fs: typeof nodeFs } = { crypto: nodeCrypto, path: nodePath, fs: nodeFs };

/** The version of `snapshot.json` this store writes, and the only one it reads. */
export const SNAPSHOT_FILE_VERSION = 1;

const SNAPSHOT_FILE = 'snapshot.json';
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const FILE_KEYS = new Set(['version', 'channelId', 'role', 'createTx', 'round', 'state', 'closeTx']);
/** A save's temp file, `.snapshot.json.<pid>.<uuid>.tmp`: the pid of the process writing it. */
const TEMP_FILE = /^\.snapshot\.json\.([1-9][0-9]{0,9})\.[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\.tmp$/;
/**
 * What fsync of a directory answers on a file system that does not support it (Linux: EINVAL,
 * for one whose directories have no fsync; ENOTSUP/EOPNOTSUPP): not an I/O error.
 */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);
/**
 * The names of the temp files the stores of this process are writing (unique by their uuid, and
 * by name since one directory may have two paths): never left over, though their pid runs.
 */
const tempFilesInUse = new Set<string>();
/**
 * The saves and loads of each `snapshot.json`, by its path, of every store of this process: the
 * check of the round on disk and the rename of one save must not interleave with another's.
 */
const snapshotQueues = new ChannelQueue<string>();

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
  fs?: FileStoreFileSystem | undefined;
}

/**
 * A {@link StateStore} on disk: `<directory>/<ch$…>/snapshot.json` per channel, JSON with a
 * `version`, integers as decimal strings.
 *
 * A save is durable when its promise resolves and atomic whatever happens before: the snapshot
 * is written to a temp file in the channel's directory, fsynced, renamed over `snapshot.json`,
 * and the directory is fsynced so the rename itself survives a power cut (on a file system
 * that cannot fsync a directory, EINVAL or ENOTSUP, the rename is as durable as it makes it,
 * and the save goes on; any other failure of that fsync is STORE_IO). A crash leaves
 * either the old file or the new one, and perhaps a `.tmp` file, which is never read and which
 * the next store to save the channel removes: one whose name holds the pid of a process that
 * no longer runs (or of this one, when none of its stores is writing it). A pid names a process
 * of this host and pid namespace only: a writer elsewhere on a shared directory (unsupported,
 * see below) may lose its temp file mid-save, a save that then fails with STORE_IO. The
 * first save of a channel by each FileStore also fsyncs the directories above the file (until
 * that succeeds once), so the `<ch$…>` entry survives a power cut even when an earlier save
 * died between its mkdir and those fsyncs.
 *
 * Saves of one channel run one after the other, in call order, also those of different
 * FileStores of the process on the same directory; loads wait for the saves before them. Each
 * save reads the round on disk again just before it writes, so a store never replaces a newer
 * state written meanwhile by another store on the same directory (a restarted process while
 * the old one still runs): saves of two processes that do not overlap in time are ordered. Two
 * saves of two processes truly at once are not: both can pass the check before either renames,
 * and the last rename wins. There is no lock file (one a SIGKILL leaves behind needs
 * stale-lock breaking, itself racy): run one writing process per directory.
 *
 * What it reads back is checked as a snapshot from outside the client is on `save`: every tx
 * decodes, belongs to the channel and is co-signed by both peers; else STORE_CORRUPT.
 */
export class FileStore implements StateStore {
  readonly directory: string;
  readonly #fs: FileStoreFileSystem;
  /**
   * The last `snapshot.json` text per channel this store wrote or verified, with its snapshot:
   * the file is read before every save, and one that has not changed since need not be parsed
   * and verified again (another writer's file differs, and gets every check). Of the most
   * recently used channels only, as the three below ({@link STORE_CACHE_CHANNELS}): the disk,
   * not the heap, holds every channel the process ever saved.
   */
  readonly #known = new RecentlyUsed<ChannelId, { text: string; snapshot: ChannelSnapshot }>(STORE_CACHE_CHANNELS);
  /**
   * Directories whose entry in their parent this store has fsynced: a channel directory made
   * by a save that died before the fsync (or whose fsync failed) exists, and mkdir then
   * reports nothing new, yet its entry may not survive a power cut. Per store, so a restarted
   * process fsyncs once more (and so does a channel forgotten here).
   */
  readonly #durableEntries = new RecentlyUsed<string, true>(STORE_CACHE_CHANNELS);
  /** Channel directories this store has cleared of left-over temp files. */
  readonly #tidiedDirectories = new RecentlyUsed<string, true>(STORE_CACHE_CHANNELS);
  readonly #checkedCreates: CheckedCreates = new RecentlyUsed(STORE_CACHE_CHANNELS);

  constructor(directory: string, options: FileStoreOptions = {}) {
    if (typeof directory !== 'string' || directory === '') throw new TypeError(`directory must be a non-empty string, got ${describe(directory)}`);
    const { crypto, fs, path } = nodeModules;
    if (typeof path.resolve !== 'function' || typeof crypto.randomUUID !== 'function' || (options.fs === undefined && typeof fs.open !== 'function')) {
      throw new ClientError('STORE_IO', 'FileStore needs node:fs/promises, node:path and node:crypto, which this build leaves out (a browser bundle): keep states in MemoryStore or a StateStore of your own');
    }
    // Absolute now, so that a later chdir of the process does not move the store.
    this.directory = path.resolve(directory);
    this.#fs = options.fs ?? fs;
  }

  load(channelId: ChannelId): Promise<ChannelSnapshot | undefined> {
    try {
      assertChannelIdArgument(channelId);
    } catch (error) {
      return Promise.reject(error);
    }
    return snapshotQueues.run(this.pathOf(channelId), () => this.#read(channelId));
  }

  save(snapshot: Readonly<ChannelSnapshot>): Promise<void> {
    let checked: ChannelSnapshot;
    try {
      checked = checkSnapshotArgument(snapshot, this.#checkedCreates);
    } catch (error) {
      return Promise.reject(error);
    }
    const { channelId } = checked;
    // Verified meanwhile (in parallel with the saves before it), awaited in turn below; marked
    // handled now, so a quick failure is no unhandled rejection.
    const verifying = isClientSnapshot(checked) ? undefined : verifySnapshotArgument(checked, this.#checkedCreates);
    verifying?.catch(() => undefined);
    return snapshotQueues.run(this.pathOf(channelId), async () => {
      await verifying;
      // From the disk every time, not from what this store last wrote: another store on the
      // directory may have written a newer round since (a small read, next to the fsyncs).
      const stored = await this.#read(channelId);
      assertNotStale(stored?.round, checked);
      await this.#write(keepingCloseTx(stored, checked));
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
      const path = nodeModules.path.join(this.directory, name, SNAPSHOT_FILE);
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
    return nodeModules.path.join(this.directory, channelId, SNAPSHOT_FILE);
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
    const known = this.#known.get(channelId);
    if (known?.text === text) return copySnapshot(known.snapshot);
    const snapshot = await parseSnapshotFile(text, path, this.#checkedCreates);
    if (snapshot.channelId !== channelId) {
      throw new ClientError('STORE_CORRUPT', `${path} holds channel ${snapshot.channelId}, not ${channelId}`, { path, channelId });
    }
    this.#known.set(channelId, { text, snapshot });
    return copySnapshot(snapshot);
  }

  async #write(snapshot: ChannelSnapshot): Promise<void> {
    const channelDirectory = nodeModules.path.join(this.directory, snapshot.channelId);
    const path = nodeModules.path.join(channelDirectory, SNAPSHOT_FILE);
    let created: string | undefined;
    try {
      created = await this.#fs.mkdir(channelDirectory, { recursive: true });
    } catch (error) {
      throw ioError('create directory', channelDirectory, error);
    }
    await this.#makeEntriesDurable(channelDirectory, created);
    // Before the write: on a full disk, what a crashed save left is space this one may need.
    if (!this.#tidiedDirectories.has(channelDirectory)) await this.#removeLeftoverTempFiles(channelDirectory);

    const text = formatSnapshotFile(snapshot);
    // A fact about the text, true whether or not it reaches the disk: no need to forget it on failure.
    this.#known.set(snapshot.channelId, { text, snapshot });
    const tempName = `.${SNAPSHOT_FILE}.${process.pid}.${nodeModules.crypto.randomUUID()}.tmp`;
    const temp = nodeModules.path.join(channelDirectory, tempName);
    let handle: FileStoreHandle | undefined;
    tempFilesInUse.add(tempName);
    try {
      handle = await this.#fs.open(temp, 'wx', 0o600);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
      const closing = handle;
      handle = undefined;
      await closing.close();
      await this.#fs.rename(temp, path);
    } catch (error) {
      if (handle !== undefined) await handle.close().catch(() => undefined);
      // Best effort: the temp file is never read, but a full disk is no place to leave it (if
      // the unlink fails too, the next save looks for left-over temp files again).
      await this.#fs.unlink(temp).catch(() => this.#tidiedDirectories.delete(channelDirectory));
      throw ioError('write', path, error);
    } finally {
      tempFilesInUse.delete(tempName);
    }
    await this.#syncDirectory(channelDirectory);
  }

  /**
   * Removes the temp files of saves that will never rename them: their process died (a crash
   * between the write and the rename), or their unlink after a failed write failed too. One is
   * left per crash, a whole snapshot each, and nothing else would ever remove them. Best
   * effort: a save does not fail for it, and tries again until it once reads the directory.
   */
  async #removeLeftoverTempFiles(channelDirectory: string): Promise<void> {
    let names: string[];
    try {
      names = await this.#fs.readdir(channelDirectory);
    } catch {
      return;
    }
    this.#tidiedDirectories.set(channelDirectory, true);
    for (const name of names) {
      const pid = TEMP_FILE.exec(name)?.[1];
      if (pid === undefined) continue;
      const leftOver = Number(pid) === process.pid ? !tempFilesInUse.has(name) : !isRunning(Number(pid));
      if (leftOver) await this.#fs.unlink(nodeModules.path.join(channelDirectory, name)).catch(() => undefined);
    }
  }

  /**
   * A directory entry is only durable once its parent is fsynced. Fsyncs the parent of each
   * entry from the channel directory up: of every entry mkdir just made (`created` is the
   * outermost), and of the channel directory's and the store directory's entries until this
   * store has once fsynced them, since a save that died (or failed) after its mkdir may have
   * left them unsynced, and mkdir then reports nothing new. Entries above the store directory
   * that such a save made are not covered: nothing tells which they are.
   */
  async #makeEntriesDurable(channelDirectory: string, created: string | undefined): Promise<void> {
    let isNew = created !== undefined;
    for (let entry = channelDirectory; nodeModules.path.dirname(entry) !== entry; entry = nodeModules.path.dirname(entry)) {
      if (isNew || !this.#durableEntries.has(entry)) {
        await this.#syncDirectory(nodeModules.path.dirname(entry));
        this.#durableEntries.set(entry, true);
      }
      if (entry === created) isNew = false;
      if (!isNew && entry !== channelDirectory) break; // the store directory's entry, or above it
    }
  }

  async #syncDirectory(directory: string): Promise<void> {
    // Windows cannot open a directory to fsync it; NTFS journals the rename instead.
    if (process.platform === 'win32') return;
    let handle: FileStoreHandle | undefined;
    try {
      handle = await this.#fs.open(directory, 'r');
      await handle.sync();
    } catch (error) {
      // A file system that cannot fsync a directory (some FUSE and network ones) says so: the
      // rename is then as durable as it makes it. Failing the save would not make it more so,
      // and would leave a channel's first save, its co-signed create, not written at all.
      if (handle !== undefined && DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) return;
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

/**
 * Reads `snapshot.json` back; anything this store could not have written is STORE_CORRUPT,
 * including a tx that is not co-signed (the store verifies what it writes, but the file may
 * come from an older version of it, or from another hand).
 */
async function parseSnapshotFile(text: string, path: string, checkedCreates: CheckedCreates): Promise<ChannelSnapshot> {
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
  const fail = (_problem: unknown, message: string, cause?: unknown) => corrupt(message, cause);
  const snapshot = checkSnapshot(
    {
      channelId: record.channelId,
      role: record.role,
      createTx: record.createTx,
      state: record.state,
      round: round === undefined ? undefined : BigInt(round),
      closeTx: record.closeTx,
    },
    fail,
    checkedCreates,
  );
  await verifySnapshot(snapshot, fail, checkedCreates);
  return copySnapshot(snapshot);
}

/** Whether a process of this pid runs (signal 0 only checks); one we may not signal runs too. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ioError(operation: string, path: string, error: unknown): ClientError {
  const code = errorCode(error);
  return new ClientError('STORE_IO', `${operation} ${path} failed${code === undefined ? '' : ` (${code})`}: ${(error as Error)?.message ?? String(error)}`, { path }, { cause: error });
}

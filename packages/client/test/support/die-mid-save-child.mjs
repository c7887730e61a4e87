// A process that dies in the middle of a save: its FileStore stops just before its first
// `operation` (mkdir, open, write, sync, close, rename) on `target` (a path, or `temp` for the
// save's temp file) and prints `frozen`; the parent SIGKILLs it there, and the disk is left as
// a crash at that point leaves it. Runs the built package (`pnpm test` builds first).
import * as fs from 'node:fs/promises';
import { FileStore } from '@aesc/client';

const [directory, snapshotJson, operation, target] = process.argv.slice(2);
const snapshot = JSON.parse(snapshotJson, (key, value) => (key === 'round' ? BigInt(value) : value));

async function step(op, path) {
  if (op !== operation || (target === 'temp' ? !path.endsWith('.tmp') : path !== target)) return;
  process.stdout.write('frozen\n');
  setInterval(() => undefined, 60_000); // alive until killed
  await new Promise(() => undefined);
}

const freezing = {
  async mkdir(path, options) {
    await step('mkdir', path);
    return fs.mkdir(path, options);
  },
  async open(path, flags, mode) {
    await step('open', path);
    const handle = await fs.open(path, flags, mode);
    return {
      async writeFile(data, encoding) {
        await step('write', path);
        return handle.writeFile(data, encoding);
      },
      async sync() {
        await step('sync', path);
        return handle.sync();
      },
      async close() {
        await step('close', path);
        return handle.close();
      },
    };
  },
  async rename(from, to) {
    await step('rename', from);
    return fs.rename(from, to);
  },
  unlink: (path) => fs.unlink(path),
  readFile: (path, encoding) => fs.readFile(path, encoding),
  readdir: (path) => fs.readdir(path),
  stat: (path) => fs.stat(path),
};

await new FileStore(directory, { fs: freezing }).save(snapshot);
process.stderr.write(`the save of round ${snapshot.round} ended without stopping at ${operation} ${target}\n`);
process.exitCode = 1;

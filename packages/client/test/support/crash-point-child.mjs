// A client process for the crash matrix: opens a channel as the initiator with a FileStore,
// makes `rounds` transfers, then (with `shutdown`) closes mutually, and stops for good at the
// named `point`, printing `{"paused":point,…}` so the parent SIGKILLs it exactly there. The
// pause is made by what this script hands the client (a store or a file system that stops),
// never by the library. Points:
//   create-save        inside the save of the co-signed create (before it is stored)
//   initial-save       inside the save of round 1 (the create is stored, the channel not open)
//   save-rename        mid-save of round `rounds`: temp file written and fsynced, not renamed
//   save-dirsync       mid-save of round `rounds`: renamed, the directory not yet fsynced
//   close-save         inside the save of the co-signed close tx (the node has posted it)
//   shutdown-resolved  after `shutdown()` resolved (the close tx is stored)
//   none               runs until killed (the parent picks the moment, e.g. by holding the peer)
// Every co-signed round is printed once the store holds it. Runs the built package.
import * as fs from 'node:fs/promises';
import { ChannelClient, FileStore } from '@aesc/client';
import { createSigner } from '@aesc/signer';

const [url, storeDir, paramsJson, point, roundsText, shutdownText] = process.argv.slice(2);
const rounds = BigInt(roundsText);
const params = JSON.parse(paramsJson, (_key, value) => (typeof value === 'string' && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value));
const signer = await createSigner(new Uint8Array(32).fill(71));

function pause(details = {}) {
  process.stdout.write(`${JSON.stringify({ paused: point, ...details })}\n`);
  setInterval(() => undefined, 60_000); // alive until killed
  return new Promise(() => undefined);
}

/** The file system of the store: stops mid-save of round `rounds` at `save-rename` / `save-dirsync`. */
let lastTemp;
let renamed = false;
const files = {
  mkdir: (path, options) => fs.mkdir(path, options),
  async open(path, flags, mode) {
    if (point === 'save-dirsync' && renamed && flags === 'r') await pause();
    const handle = await fs.open(path, flags, mode);
    return {
      async writeFile(data, encoding) {
        if (data.includes(`"round": "${rounds}"`)) lastTemp = path;
        return handle.writeFile(data, encoding);
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  async rename(from, to) {
    if (from === lastTemp && point === 'save-rename') await pause();
    await fs.rename(from, to);
    if (from === lastTemp) renamed = true;
  },
  unlink: (path) => fs.unlink(path),
  readFile: (path, encoding) => fs.readFile(path, encoding),
  readdir: (path) => fs.readdir(path),
  stat: (path) => fs.stat(path),
};
const fileStore = new FileStore(storeDir, { fs: files });

/** The store the client gets: stops inside the save named by `point`. */
const store = {
  load: (channelId) => fileStore.load(channelId),
  list: () => fileStore.list(),
  async save(snapshot) {
    const { channelId } = snapshot;
    if (point === 'create-save' && snapshot.state === undefined) await pause({ channelId });
    if (point === 'initial-save' && snapshot.round === 1n) await pause({ channelId });
    if (point === 'close-save' && snapshot.closeTx !== undefined) await pause({ channelId });
    return fileStore.save(snapshot);
  },
};

const client = await ChannelClient.connect({ url, role: 'initiator', params, signer, store });
const { channelId } = await client.opened;
process.stdout.write(`${JSON.stringify({ channelId, round: '1' })}\n`);
for (let round = 2n; round <= rounds; round++) {
  const state = await client.update({ from: params.initiator, to: params.responder, amount: 1n });
  process.stdout.write(`${JSON.stringify({ round: state.round.toString() })}\n`);
}
if (shutdownText === 'shutdown') {
  const { hash } = await client.shutdown();
  process.stdout.write(`${JSON.stringify({ closed: hash })}\n`);
  if (point === 'shutdown-resolved') await pause({ hash });
}
await pause();

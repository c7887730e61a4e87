/*
 * Channel throughput: completed transfers per second on loopback, devnode in a child process
 * (`aesc devnode`, as a user runs it) and the parties in this one.
 *   - raw sockets: two `ws` clients that sign with @aesc/signer and do nothing else — the
 *     ceiling any client library can reach against this node (the devnode issue's row);
 *   - ChannelClient, one channel: every request checked before signing, every co-signed state
 *     stored (MemoryStore) before `update()` resolves; p50/p99 of `update()`;
 *   - 50 channels at once: raw parties, raw parties that also verify the peer's signature on
 *     each co-signed state (the ceiling of any client that keeps co-signed states), and
 *     ChannelClients: the aggregate.
 * A transfer is complete when both parties hold the co-signed state of its round. Measured in
 * steady state: 1 000 transfers of each kind first (JIT warm-up of both processes), then five
 * rounds of a raw channel followed by a client channel, medians reported, the client/raw ratio
 * paired per round.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChannelClient } from '@aesc/client';
import { parseJsonExact, serializeJson } from '@aesc/schema';
import { createSigner, signTx, verifySignature } from '@aesc/signer';
import { compareBytes, decodeTx, encodeTx, serializeUnsigned } from '@aesc/tx';
import WebSocket from 'ws';

const AESC = fileURLToPath(new URL('../packages/cli/bin/aesc.js', import.meta.url));
const CHANNELS = 50;

async function startDevnode() {
  const child = spawn(process.execPath, [AESC, 'devnode', '--json', '--port', '0', '--http-port', '0', '--block-interval', '20', '--accounts', String(2 * CHANNELS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`aesc devnode exited with ${code}`)));
  });
  const started = JSON.parse(line);
  const signers = await Promise.all(started.accounts.map((account) => createSigner(Uint8Array.from(Buffer.from(account.secret_key, 'hex')))));
  return { ws: started.ws, signers, pid: child.pid, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGINT'); }) };
}

/** CPU time (user + system, µs) a process has used: /proc on Linux, else undefined. */
function cpuMicros(pid) {
  try {
    // after the ")" closing the command name: state is field 3, utime and stime are 14 and 15
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

let nextPort = 50_000;
function terms(initiator, responder) {
  return {
    initiator: initiator.address,
    responder: responder.address,
    lock_period: 10n,
    push_amount: 0n,
    initiator_amount: 10_000_000n,
    responder_amount: 10_000_000n,
    channel_reserve: 1n,
    ttl: 1_000_000n,
    port: nextPort++,
    host: 'localhost',
    minimum_depth: 1n,
  };
}

/**
 * A raw party: signs every sign request it gets, resolves waiters on frames. With `checkPeer`,
 * it also does the one check any client that keeps co-signed states cannot skip: the peer's
 * signature on each co-signed state, over the body this party signed: the least work of any
 * client that keeps co-signed states, so the ceiling of such a client (the ChannelClient checks
 * everything else as well).
 */
async function rawParty(url, role, params, signer, checkPeer = false) {
  const query = new URLSearchParams(Object.entries({ ...params, role }).map(([key, value]) => [key, String(value)]));
  const socket = new WebSocket(`${url}?${query.toString().replace(/%24/g, '$')}`);
  const party = { socket, round: 0n, waiters: [] };
  const peer = role === 'initiator' ? params.responder : params.initiator;
  let signedBody;
  let ownSignature;
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.on('message', async (data) => {
    const frame = parseJsonExact(data.toString());
    if (frame.action === 'sign') {
      const signed = await signTx(decodeTx(frame.payload.tx, 'unsigned'), signer);
      if (checkPeer) [signedBody, ownSignature] = [serializeUnsigned(signed.tx), signed.signatures[0]];
      socket.send(serializeJson({ action: frame.tag, payload: { tx: encodeTx(signed) } }));
    } else if (frame.action === 'update' && frame.payload?.state !== undefined) {
      const state = decodeTx(frame.payload.state, 'signed_tx');
      if (checkPeer) {
        const other = state.signatures.find((signature) => compareBytes(signature, ownSignature) !== 0);
        const valid = other !== undefined && compareBytes(serializeUnsigned(state.tx), signedBody) === 0 && (await verifySignature(other, signedBody, peer));
        if (!valid) throw new Error(`bench: round ${state.tx.round} is not co-signed`);
      }
      party.round = state.tx.round;
      const ready = party.waiters.filter((waiter) => waiter.round <= party.round);
      party.waiters = party.waiters.filter((waiter) => waiter.round > party.round);
      for (const waiter of ready) waiter.resolve();
    }
  });
  await opened; // after the listener: frames can come in the same tick as 'open'
  party.until = (round) => (party.round >= round ? Promise.resolve() : new Promise((resolve) => party.waiters.push({ round, resolve })));
  return party;
}

async function rawOpen(node, initiator, responder, checkPeer = false) {
  const params = terms(initiator, responder);
  const [i, r] = await Promise.all([rawParty(node.ws, 'initiator', params, initiator, checkPeer), rawParty(node.ws, 'responder', params, responder, checkPeer)]);
  await Promise.all([i.until(1n), r.until(1n)]);
  return { i, r, initiator, responder };
}

async function rawTransfers({ i, r, initiator, responder }, transfers) {
  const started = performance.now();
  for (let count = 0; count < transfers; count++) {
    const round = i.round + 1n;
    i.socket.send(serializeJson({ action: 'update', tag: 'new', payload: { from: initiator.address, to: responder.address, amount: 1n } }));
    await Promise.all([i.until(round), r.until(round)]);
  }
  return performance.now() - started;
}

function rawClose({ i, r }) {
  i.socket.close();
  r.socket.close();
}

async function rawChannel(node, initiator, responder, transfers) {
  const pair = await rawOpen(node, initiator, responder);
  try {
    return await rawTransfers(pair, transfers);
  } finally {
    rawClose(pair);
  }
}

async function openClients(node, initiator, responder) {
  const params = terms(initiator, responder);
  const [i, r] = await Promise.all([
    ChannelClient.connect({ url: node.ws, role: 'initiator', params, signer: initiator }),
    ChannelClient.connect({ url: node.ws, role: 'responder', params, signer: responder }),
  ]);
  await Promise.all([i.opened, r.opened]);
  return { i, r, initiator, responder };
}

async function clientChannel(node, initiator, responder, transfers, latencies) {
  const channel = await openClients(node, initiator, responder);
  try {
    return await clientTransfers(channel, transfers, latencies);
  } finally {
    channel.i.close();
    channel.r.close();
  }
}

async function clientTransfers({ i, r, initiator, responder }, transfers, latencies) {
  const responderAt = (round) => (r.round >= round ? Promise.resolve() : new Promise((resolve) => { const off = r.on('stateChanged', (state) => { if (state.round >= round) { off(); resolve(); } }); }));
  const started = performance.now();
  for (let count = 0; count < transfers; count++) {
    const before = performance.now();
    const state = await i.update({ from: initiator.address, to: responder.address, amount: 1n });
    await responderAt(state.round);
    latencies?.push(performance.now() - before);
  }
  return performance.now() - started;
}

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

const WARM_UP = 1000;
const ROUNDS = 5;
const PER_ROUND = 300;
const PER_CHANNEL = 40;

const median = (values) => percentile([...values].sort((left, right) => left - right), 0.5);

export async function run() {
  const node = await startDevnode();
  try {
    const [a, b] = node.signers;
    const log = (text) => process.stderr.write(`bench: channel: ${text}\n`);
    log('devnode up');
    // Steady state, as a long-lived channel runs: both processes' JIT warmed up on the very
    // paths measured (a cold devnode runs the same transfers at two thirds of the speed).
    await rawChannel(node, a, b, WARM_UP);
    await clientChannel(node, a, b, WARM_UP);
    log(`warm-up done (${WARM_UP} transfers raw, ${WARM_UP} with the client)`);
    // Raw sockets and the client in turn, round after round, so that both meet the same load.
    const rawRates = [];
    const clientRates = [];
    const ratios = [];
    const latencies = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rawMs = await rawChannel(node, a, b, PER_ROUND);
      const clientMs = await clientChannel(node, a, b, PER_ROUND, latencies);
      rawRates.push((PER_ROUND * 1000) / rawMs);
      clientRates.push((PER_ROUND * 1000) / clientMs);
      ratios.push(clientMs / rawMs);
    }
    log('one channel done');
    latencies.sort((left, right) => left - right);

    const pairs = Array.from({ length: CHANNELS }, (_, index) => [node.signers[2 * index], node.signers[2 * index + 1]]);
    /** All channels at once, opened and warmed first: transfers/s and CPU per transfer of each process. */
    const aggregate = async (open, transfer, close) => {
      const opened = await Promise.all(pairs.map(([initiator, responder]) => open(node, initiator, responder)));
      await Promise.all(opened.map((channel) => transfer(channel, PER_CHANNEL / 2)));
      const started = performance.now();
      const cpuBefore = { parties: process.cpuUsage(), devnode: cpuMicros(node.pid) };
      await Promise.all(opened.map((channel) => transfer(channel, PER_CHANNEL)));
      const elapsedMs = performance.now() - started;
      const partiesCpu = process.cpuUsage(cpuBefore.parties);
      const devnodeCpu = cpuMicros(node.pid);
      for (const channel of opened) close(channel);
      const count = CHANNELS * PER_CHANNEL;
      const parties = (partiesCpu.user + partiesCpu.system) / count;
      const devnode = devnodeCpu === undefined || cpuBefore.devnode === undefined ? undefined : (devnodeCpu - cpuBefore.devnode) / count;
      return { perSecond: (count * 1000) / elapsedMs, parties, devnode };
    };
    const cpuNote = ({ parties, devnode }, who) =>
      devnode === undefined
        ? `CPU per transfer: ${who} ${parties.toFixed(0)} µs`
        : `CPU per transfer: ${who} ${parties.toFixed(0)} µs, devnode ${devnode.toFixed(0)} µs; two cores give at most ${(2e6 / (parties + devnode)).toFixed(0)}/s, one core per process ${(1e6 / Math.max(parties, devnode)).toFixed(0)}/s`;
    const rawAggregate = await aggregate(rawOpen, rawTransfers, rawClose);
    log(`${CHANNELS} raw channels done`);
    const checkedAggregate = await aggregate((...pair) => rawOpen(...pair, true), rawTransfers, rawClose);
    log(`${CHANNELS} raw channels checking the peer's signature done`);
    const clientAggregate = await aggregate(openClients, clientTransfers, ({ i, r }) => {
      i.close();
      r.close();
    });
    log(`${CHANNELS} client channels done`);
    const spread = (rates) => `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}/s`;
    const rounds = `median of ${ROUNDS} rounds of ${PER_ROUND} transfers after ${WARM_UP} of warm-up`;
    return [
      { name: 'raw sockets, one channel (ceiling)', perSecond: median(rawRates), note: `${rounds}, ${spread(rawRates)}; devnode in a child process` },
      {
        name: 'ChannelClient, one channel',
        perSecond: median(clientRates),
        atLeast: 500,
        ceiling: median(rawRates),
        ceilingRatio: median(ratios),
        note: `${rounds}, ${spread(clientRates)}, each round after a raw one; update() p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms`,
      },
      { name: `raw sockets, ${CHANNELS} channels at once (ceiling)`, perSecond: rawAggregate.perSecond, note: `${CHANNELS} × ${PER_CHANNEL} transfers, all channels open and warm (${PER_CHANNEL / 2} each) first; ${cpuNote(rawAggregate, 'raw parties')}` },
      {
        name: `raw sockets + the peer's signature checked, ${CHANNELS} channels at once (ceiling of a checking client)`,
        perSecond: checkedAggregate.perSecond,
        note: `the raw parties also verify the peer's signature on each co-signed state, the one check a client that keeps co-signed states cannot skip; ${cpuNote(checkedAggregate, 'these parties')}`,
      },
      {
        name: `ChannelClient, ${CHANNELS} channels at once`,
        perSecond: clientAggregate.perSecond,
        atLeast: 1500,
        note: `${CHANNELS} × ${PER_CHANNEL} transfers, all channels open and warm (${PER_CHANNEL / 2} each) first; ${cpuNote(clientAggregate, 'clients')}`,
      },
    ];
  } finally {
    await node.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(row.name.padEnd(40), row.perSecond.toFixed(0).padStart(6), '/s', row.note);
}

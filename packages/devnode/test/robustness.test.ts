/**
 * Clients that misbehave at the transport: one that never reads, sockets of channels that died,
 * timeouts past Node's timer range, a malformed URL escape. devnode must keep bounded memory,
 * stop cleanly, and answer with the node's errors.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Chain } from '../src/chain.js';
import { type Devnode, startDevnode } from '../src/index.js';
import { ChannelService, MAX_UNREAD_BYTES } from '../src/service.js';
import { channelQuery, isInfo, party, RawParty } from './support/raw-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client-to-server text frame (masked with a zero key, as the protocol allows). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(payload.length), 2);
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}

describe('a client that never reads', () => {
  let server: Server;
  let service: ChannelService;
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer();
    server.on('connection', (socket) => serverSockets.push(socket));
    service = new ChannelService(server, { chain: new Chain([]), dialect: 'v0.14', minimumDepth: 4n });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => {
    service.close();
    server.closeAllConnections();
    server.close();
  });

  it('is dropped once it leaves MAX_UNREAD_BYTES unread, instead of devnode holding every echo for it', async () => {
    const [alice, bob] = await Promise.all([party(61), party(62)]);
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const query = channelQuery('responder', { initiator: alice, responder: bob, port: 1 });
    client.write(`GET /channel?${query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => client.once('data', resolve));
    client.pause(); // never reads again
    client.on('error', () => undefined); // the server hangs up on it
    // each frame is echoed back in an error frame of the same size
    const frame = maskedTextFrame(JSON.stringify({ action: 'nope', payload: { x: 'a'.repeat(512 * 1024) } }));
    for (let index = 0; index < 200 && !client.destroyed; index++) {
      if (!client.write(frame)) await new Promise((resolve) => client.once('drain', resolve).once('close', resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = Math.max(...serverSockets.map((socket) => socket.writableLength));
    expect(held).toBeLessThan(MAX_UNREAD_BYTES + 2 * 1024 * 1024);
    expect(serverSockets.every((socket) => socket.destroyed)).toBe(true);
    expect(service.sessionCount).toBe(0);
    client.destroy();
  }, 60_000);

  it('stays dropped when the frame that passes the limit is a peer’s event: its machine does not answer the peer', async () => {
    const [alice, bob] = await Promise.all([party(63), party(64)]);
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const terms = { initiator: alice, responder: bob, port: 2 };
    client.write(`GET /channel?${channelQuery('responder', terms)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => client.once('data', resolve));
    client.pause();
    client.on('error', () => undefined);
    const held = serverSockets.at(-1) as Socket;
    // Echoes up to just past the limit: the next frame devnode sends this client drops it.
    const frame = maskedTextFrame(JSON.stringify({ action: 'nope', payload: { x: 'a'.repeat(512 * 1024) } }));
    while (held.writableLength <= MAX_UNREAD_BYTES) {
      const sent = held.bytesWritten;
      client.write(frame);
      while (held.bytesWritten === sent) await sleep(5);
    }
    expect(held.destroyed).toBe(false);
    // The initiator arrives: the responder's channel_open report is that next frame.
    const initiator = await RawParty.connect(`ws://127.0.0.1:${port}/channel?${channelQuery('initiator', terms)}`, alice);
    await sleep(200);
    expect(held.destroyed).toBe(true);
    expect(initiator.summaries()).toEqual([]);
    initiator.close();
    client.destroy();
  }, 60_000);
});

describe('devnode', () => {
  it('closes, also while a client holds the socket of a channel that died (v0.14 leaves it open)', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0, dialect: 'v0.14' });
    const [alice, bob] = await Promise.all([party(81), party(82)]);
    const lone = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', { initiator: alice, responder: bob, port: 4444, extra: { timeout_awaiting_open: '50' } })}`, bob);
    await lone.next(isInfo('died'));
    const outcome = await Promise.race([node.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still pending after 5 s'), 5000))]);
    expect(outcome).toBe('closed');
    lone.close();
  }, 20_000);

  it('closes within the grace period while a client never answers its close frame (ws would wait 30 s)', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0 });
    const [alice, bob] = await Promise.all([party(87), party(88)]);
    const client = connect(node.wsPort, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const query = channelQuery('responder', { initiator: alice, responder: bob, port: 4448 });
    client.write(`GET /channel?${query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => client.once('data', resolve));
    client.pause(); // never reads again, so never answers the close frame
    client.on('error', () => undefined);
    const outcome = await Promise.race([node.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still pending after 5 s'), 5000))]);
    expect(outcome).toBe('closed');
    client.destroy();
  }, 40_000);

  it('waits a timeout above 2^31 - 1 ms (the parameters allow 2^32 - 1) instead of firing it at once', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0, dialect: 'v0.14' });
    try {
      const [alice, bob] = await Promise.all([party(83), party(84)]);
      const lone = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', { initiator: alice, responder: bob, port: 4445, extra: { timeout_awaiting_open: '3000000000' } })}`, bob);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lone.frames.filter(isInfo('died'))).toEqual([]);
      lone.close();
    } finally {
      await node.close();
    }
  });

  it('closes with 1000 a socket whose client sends nothing for the idle timeout; pings and text frames keep it open (BEHAVIOUR.md §1.4)', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0, dialect: 'v0.14', idleTimeoutMs: 200 });
    try {
      const [alice, bob] = await Promise.all([party(85), party(86)]);
      const silent = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', { initiator: alice, responder: bob, port: 4446 })}`, bob);
      const pinging = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', { initiator: alice, responder: bob, port: 4447 })}`, bob);
      const talking = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', { initiator: alice, responder: bob, port: 4449 })}`, bob);
      const pings = setInterval(() => pinging.socket.ping(), 50);
      const frames = setInterval(() => talking.send('not json'), 50); // any frame of the client's counts
      await new Promise((resolve) => setTimeout(resolve, 500));
      clearInterval(pings);
      clearInterval(frames);
      expect(silent.closed).toEqual({ code: 1000, reason: 'idle' });
      expect(pinging.closed).toBeUndefined();
      expect(talking.closed).toBeUndefined();
      pinging.close();
      talking.close();
    } finally {
      await node.close();
    }
  });

  describe('a machine stopped while it waits for the funding tx’s submission stays stopped', () => {
    /**
     * A channel whose initiator's machine waits for its submission of the funding tx: the chain
     * holds every submission until the test releases it.
     */
    async function whileSubmitting(initiatorExtra: Record<string, string>, run: (parties: { node: Devnode; initiator: RawParty; responder: RawParty }, release: () => void) => Promise<void>): Promise<void> {
      const [alice, bob] = await Promise.all([party(91), party(92)]);
      const node = await startDevnode({ httpPort: 0, wsPort: 0, dialect: 'v0.14', genesis: [alice, bob].map((signer) => ({ pubkey: signer.publicKey, balance: 50n })) });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const submit = node.chain.submit.bind(node.chain);
      vi.spyOn(node.chain, 'submit').mockImplementation(async (signedTx) => {
        await released;
        return submit(signedTx);
      });
      try {
        const terms = { initiator: alice, responder: bob, port: 4450 };
        const responder = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', terms)}`, bob);
        const initiator = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', { ...terms, extra: initiatorExtra })}`, alice);
        await initiator.next(isInfo('funding_signed')); // sent just before the submission
        await run({ node, initiator, responder }, release);
        initiator.close();
        responder.close();
      } finally {
        await node.close();
      }
    }

    /** Lets the submission through and mines the funding tx to depth. */
    async function fund(node: Devnode, responder: RawParty, release: () => void): Promise<void> {
      release();
      while (node.chain.mempool.length === 0) await sleep(5);
      await node.mine(5);
      await responder.next(isInfo('own_funding_locked'));
      await sleep(100); // a funding_locked of the peer's would have come
    }

    it('when its client leaves: it never tells the peer funding_locked', async () => {
      await whileSubmitting({}, async ({ node, initiator, responder }, release) => {
        initiator.close();
        await initiator.whenClosed();
        await sleep(50); // the node sees the close
        await fund(node, responder, release);
        expect(responder.frames.filter(isInfo('funding_locked'))).toEqual([]);
      });
    });

    it('when its timer fires: its client hears nothing after died (v0.14 leaves the socket open)', async () => {
      await whileSubmitting({ timeout_funding_sign: '300' }, async ({ node, initiator, responder }, release) => {
        await initiator.next(isInfo('died'));
        const died = initiator.frames.length;
        await fund(node, responder, release);
        expect(initiator.frames.slice(died)).toEqual([]);
      });
    });
  });

  it('closes with 1009 the socket of a client that sends a frame over 1 MiB; the peer is not told and times out (BEHAVIOUR.md §1.4, §5)', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0, dialect: 'v0.14' });
    try {
      const [alice, bob] = await Promise.all([party(93), party(94)]);
      const terms = { initiator: alice, responder: bob, port: 4451 };
      const responder = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', terms)}`, bob);
      const initiator = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', { ...terms, extra: { timeout_funding_sign: '300' } })}`, alice);
      await responder.next(isInfo('channel_open'));
      responder.send(`{"action":"message","payload":{"to":"${alice.address}","info":"${'a'.repeat(1 << 20)}"}}`);
      expect(await responder.whenClosed()).toEqual({ code: 1009, reason: '' });
      await initiator.next(isInfo('died')); // after signing the create tx, in half_signed
      expect(initiator.summaries()).toEqual(['info:channel_accept', 'sign:initiator_sign', 'info:died']);
      initiator.close();
    } finally {
      await node.close();
    }
  });

  it('answers a tx hash with a malformed percent-escape as an invalid hash (400), not a 500', async () => {
    const node = await startDevnode({ httpPort: 0, wsPort: 0 });
    try {
      const response = await fetch(`${node.httpUrl}/tx/th%24%E0%A4%A`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ reason: 'Invalid hash: tx_hash' });
    } finally {
      await node.close();
    }
  });
});

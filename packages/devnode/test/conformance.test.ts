/**
 * Statements of BEHAVIOUR.md's WebSocket sections that the other suites leave unexercised, each
 * checked over real sockets against a devnode in the v0.14 dialect: the listener's HTTP answers,
 * the connection-time refusals, the timers of the states the other suites do not reach, and what
 * each side sees when the mempool refuses the create or the mutual-close tx.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { type Signer, signTx } from '@aesc/signer';
import { type ChannelCreateTx, channelId, decodeTx, type SpendTx, txHash } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnode, startDevnode } from '../src/index.js';
import { CLOSE_BAD_PARAMS } from '../src/service.js';
import { type ChannelTerms, channelQuery, type Frame, isInfo, isSign, isState, party, RawParty } from './support/raw-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first line of what the server answers to a raw HTTP request (its status line). */
function statusLine(port: number, head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (data) => {
      text += data.toString('latin1');
      if (text.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', () => undefined);
  });
}

const upgradeHead = (path: string, headers: Record<string, string> = {}) => {
  const all = { Host: 'x', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...headers };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
};

describe('channel WebSocket, statements of BEHAVIOUR.md §1–§5 over real sockets', () => {
  let node: Devnode;
  let alice: Signer;
  let bob: Signer;
  let port = 20_000;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([party(111), party(112)]);
    node = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      dialect: 'v0.14',
      genesis: [
        { pubkey: alice.publicKey, balance: 1000n },
        { pubkey: bob.publicKey, balance: 1000n },
      ],
    });
  });

  afterAll(() => node.close());

  const termsOf = (extra: Record<string, string> = {}): ChannelTerms => ({ initiator: alice, responder: bob, port: port++, extra });
  const url = (role: 'initiator' | 'responder', terms: ChannelTerms, extra: Record<string, string> = {}) =>
    `${node.wsUrl}?${channelQuery(role, { ...terms, extra: { ...terms.extra, ...extra } })}`;
  const connectBoth = async (terms: ChannelTerms, extra: Partial<Record<'initiator' | 'responder', Record<string, string>>> = {}) => {
    const responder = await RawParty.connect(url('responder', terms, extra.responder), bob);
    const initiator = await RawParty.connect(url('initiator', terms, extra.initiator), alice);
    return { initiator, responder };
  };
  /** Mines the create tx to depth 4 once the initiator's node has posted it. */
  const fund = async (initiator: RawParty) => {
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    while (node.chain.mempool.length === 0) await sleep(5);
    await node.mine(5);
  };
  /** A spend of alice's with the given nonce, mined at once: that nonce is used up. */
  const useNonce = async (nonce: bigint) => {
    const spend: SpendTx = { type: 'spend_tx', sender: alice.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce, payload: new Uint8Array() };
    await node.chain.submit(await signTx(spend, alice));
    await node.mine(1);
  };
  const after = (side: RawParty, seen: number) => side.summaries().slice(seen);

  it('answers a plain HTTP request to the channel listener 426, and a malformed WebSocket upgrade or one to another path 400 (§1.1, §1.3)', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(`http://127.0.0.1:${node.wsPort}/channel`, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(426);
    const query = channelQuery('responder', termsOf());
    expect(await statusLine(node.wsPort, upgradeHead(`/channel?${query}`, { 'Sec-WebSocket-Key': 'short' }))).toBe('HTTP/1.1 400 Bad Request');
    expect(await statusLine(node.wsPort, upgradeHead(`/channel?${query}`, { 'Sec-WebSocket-Version': '7' }))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await statusLine(node.wsPort, upgradeHead(`/websocket?${query}`))).toMatch(/^HTTP\/1\.1 400 /);
    expect(node.chain.mempool).toEqual([]);
  });

  it('refuses after the upgrade an initiator without host, a role outside the enum and a report flag other than true/false; a responder may leave host out or give one (§1.2, §1.3)', async () => {
    const terms = termsOf();
    for (const [query, param] of [
      [channelQuery('initiator', terms).replace(/&host=[^&]*/, ''), 'host'],
      [channelQuery('initiator', terms).replace('role=initiator', 'role=open'), 'role'],
      [channelQuery('initiator', { ...terms, extra: { report_info: 'yes' } }), 'report_info'],
      [channelQuery('responder', { ...terms, extra: { report_error: 'TRUE' } }), 'report_error'],
      [channelQuery('initiator', { ...terms, lock_period: 65_536n }), 'lock_period'], // a 2-byte field on the wire
    ] as const) {
      const closed = await RawParty.refused(`${node.wsUrl}?${query}`, alice);
      expect(closed.code).toBe(CLOSE_BAD_PARAMS);
      expect(closed.reason.startsWith(`${param}:`)).toBe(true);
    }
    // host is read only for the initiator: a responder with one opens the channel all the same
    const { initiator, responder } = await connectBoth(terms, { responder: { host: 'elsewhere.example' } });
    await Promise.all([responder.next(isInfo('channel_open')), initiator.next(isInfo('channel_accept'))]);
    initiator.close();
    responder.close();
  });

  it('sends every outbound frame in its exact v0.14 shape, with no key more: info, sign, on_chain_tx, update, conflict, message, both error shapes (§2.1, §2.2, §3.1, §3.2, §4)', async () => {
    const { initiator, responder } = await connectBoth(termsOf());
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    const createTx = initiator.frames.find((frame) => frame.action === 'on_chain_tx')?.payload?.tx as string;
    const id = channelId(decodeTx(createTx, 'signed_tx').tx as ChannelCreateTx);
    const accept = initiator.frames.find(isInfo('channel_accept'));
    expect(accept).toEqual({ action: 'info', payload: { event: 'channel_accept' } });
    expect(initiator.frames.find(isSign('initiator_sign'))).toEqual({ action: 'sign', tag: 'initiator_sign', payload: { tx: expect.stringMatching(/^tx\$/) as string } });
    expect(responder.frames.find((frame) => frame.action === 'on_chain_tx')).toEqual({ action: 'on_chain_tx', payload: { tx: createTx } });
    expect(responder.frames.find(isState(1n))).toEqual({ action: 'update', payload: { state: expect.stringMatching(/^tx\$/) as string } });
    // a generic message, and both kinds of error for it
    let seen: [number, number] = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'hello' } });
    expect(await responder.next((frame) => frame.action === 'message', seen[1])).toEqual({ action: 'message', payload: { message: { channel_id: id, from: alice.address, to: bob.address, info: 'hello' } } });
    for (const to of ['ak$notakey', id, `${bob.address.slice(0, -1)}${bob.address.endsWith('1') ? '2' : '1'}`]) {
      const request = { action: 'message', payload: { to, info: 'x' } };
      initiator.send(request);
      expect(await initiator.next((frame) => frame.action === 'error', initiator.frames.length)).toEqual({ action: 'error', payload: { reason: 'broken_encoding', request } });
    }
    // a conflict
    initiator.autoSign = false;
    responder.autoSign = false;
    seen = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    responder.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 2n } });
    const [ownI, ownR] = await Promise.all([initiator.next(isSign('update'), seen[0]), responder.next(isSign('update'), seen[1])]);
    await Promise.all([initiator.signAndReply(ownI), responder.signAndReply(ownR)]);
    const conflict = { action: 'conflict', payload: { channel_id: id, round: 1n } };
    expect(await initiator.next((frame) => frame.action === 'conflict', seen[0])).toEqual(conflict);
    expect(await responder.next((frame) => frame.action === 'conflict', seen[1])).toEqual(conflict);
    // an abort: the peer's close comes while the initiator has an update to sign
    seen = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await initiator.next(isSign('update'), seen[0]);
    responder.send({ action: 'shutdown' });
    await responder.signAndReply(await responder.next(isSign('shutdown_sign'), seen[1]));
    await initiator.next(isInfo('died'), seen[0]);
    expect(initiator.frames.slice(seen[0] + 1)).toEqual([
      { action: 'error', payload: { message: 'unexpected_shutdown' } },
      { action: 'info', payload: { event: 'died' } },
    ]);
    initiator.close();
    responder.close();
  });

  it('has no deposit or withdraw action in v0.14: either is refused and the channel goes on (§2.7)', async () => {
    const { initiator, responder } = await connectBoth(termsOf());
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    for (const action of ['deposit', 'withdraw']) {
      const seen = initiator.frames.length;
      initiator.send({ action, payload: { amount: 1n } });
      const error = await initiator.next((frame) => frame.action === 'error', seen);
      expect(error.payload).toEqual({ reason: expect.stringMatching(new RegExp(`^unknown_action: .*"${action}"`)) as string, request: { action, payload: { amount: 1n } } });
    }
    const seen: [number, number] = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await Promise.all([initiator.next(isState(2n), seen[0]), responder.next(isState(2n), seen[1])]);
    initiator.close();
    responder.close();
  });

  it('the responder waiting for channel_open dies after timeout_idle, which awaiting_open falls back to (§5)', async () => {
    const lone = await RawParty.connect(url('responder', termsOf({ timeout_idle: '100' })), bob);
    await lone.next(isInfo('died'));
    expect(lone.summaries()).toEqual(['info:died']);
    lone.close();
  });

  it('the responder waiting for the initial state dies after timeout_accept (awaiting_initial_state); the initiator, asked to sign it, is not told (§5)', async () => {
    const terms = termsOf();
    const { initiator, responder } = await connectBoth(terms, { responder: { timeout_accept: '200' } });
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    initiator.autoSign = false; // it never signs round 1
    await fund(initiator);
    await initiator.next(isSign('update'));
    await responder.next(isInfo('died'));
    expect(responder.summaries().slice(-3)).toEqual(['info:own_funding_locked', 'info:funding_locked', 'info:died']);
    await sleep(50);
    expect(initiator.summaries().slice(-3)).toEqual(['info:own_funding_locked', 'info:funding_locked', 'sign:update']);
    initiator.close();
    responder.close();
  });

  it('the starter of a mutual close dies after timeout_accept when the shutdown_ack never comes (closing), with nothing posted (§5, §9.1)', async () => {
    const { initiator, responder } = await connectBoth(termsOf(), { initiator: { timeout_accept: '300' } });
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    responder.autoSign = false; // it never signs the close
    const seen: [number, number] = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'shutdown' });
    await initiator.next(isInfo('died'), seen[0]);
    expect(after(initiator, seen[0])).toEqual(['sign:shutdown_sign', 'info:died']);
    expect(after(responder, seen[1])).toEqual(['sign:shutdown_sign_ack']);
    expect(node.chain.mempool).toEqual([]);
    initiator.close();
    responder.close();
  });

  it('an initiator whose mempool refuses the create tx dies after on_chain_tx; the responder waits for its funding_lock timeout (§2.4 notes)', async () => {
    const { initiator, responder } = await connectBoth(termsOf(), { responder: { timeout_funding_lock: '300' } });
    initiator.autoSign = false;
    const request = await initiator.next(isSign('initiator_sign'));
    // the create tx's nonce is used by another tx before the initiator's node posts it
    await useNonce(decodeTx(request.payload?.tx as string, 'channel_create_tx').nonce);
    await initiator.signAndReply(request);
    await initiator.next(isInfo('died'));
    expect(initiator.summaries()).toEqual(['info:channel_accept', 'sign:initiator_sign', 'info:funding_signed', 'on_chain_tx', 'info:died']);
    expect(node.chain.mempool).toEqual([]);
    expect(responder.summaries()).toEqual(['info:channel_open', 'info:funding_created', 'sign:responder_sign', 'on_chain_tx']);
    await responder.next(isInfo('died'));
    initiator.close();
    responder.close();
  });

  it('a starter whose mempool refuses the co-signed close gets only died; the acknowledger, which never posts, gets on_chain_tx, close_mutual and died (§2.6 steps 6–7)', async () => {
    const { initiator, responder } = await connectBoth(termsOf());
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    responder.autoSign = false;
    const seen: [number, number] = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'shutdown' });
    const ack = await responder.next(isSign('shutdown_sign_ack'), seen[1]);
    await useNonce(decodeTx(ack.payload?.tx as string, 'channel_close_mutual_tx').nonce);
    await responder.signAndReply(ack);
    await Promise.all([initiator.next(isInfo('died'), seen[0]), responder.next(isInfo('died'), seen[1])]);
    expect(after(initiator, seen[0])).toEqual(['sign:shutdown_sign', 'info:died']);
    expect(after(responder, seen[1])).toEqual(['sign:shutdown_sign_ack', 'on_chain_tx', 'info:close_mutual', 'info:died']);
    expect(node.chain.mempool).toEqual([]);
    initiator.close();
    responder.close();
  });

  it('picks the initiator’s next nonce, its mempool txs counted, for the create tx, and for a close the responder starts (§2.3)', async () => {
    // a spend of alice's waits in the mempool: the create must come after it
    const pending: SpendTx = { type: 'spend_tx', sender: alice.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce: node.chain.nextNonce(alice.publicKey), payload: new Uint8Array() };
    await node.chain.submit(await signTx(pending, alice));
    const { initiator, responder } = await connectBoth(termsOf());
    const request = await initiator.next(isSign('initiator_sign'));
    expect(decodeTx(request.payload?.tx as string, 'channel_create_tx').nonce).toBe(pending.nonce + 1n);
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    while (node.chain.mempool.length < 2) await sleep(5);
    await node.mine(5);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    const seen: [number, number] = [initiator.frames.length, responder.frames.length];
    responder.send({ action: 'shutdown' });
    const sign = await responder.next(isSign('shutdown_sign'), seen[1]);
    expect(decodeTx(sign.payload?.tx as string, 'channel_close_mutual_tx').nonce).toBe(pending.nonce + 2n);
    const onChain = await initiator.next((frame) => frame.action === 'on_chain_tx', seen[0]);
    await node.mine(1);
    expect(node.chain.tx(txHash(decodeTx(onChain.payload?.tx as string, 'signed_tx')))?.blockHeight).toBe(node.chain.height);
    initiator.close();
    responder.close();
  });
  it('pairs the two parties whichever connects first: an initiator alone waits for its responder (§2.4 row 0)', async () => {
    const terms = termsOf();
    const initiator = await RawParty.connect(url('initiator', terms), alice);
    await sleep(50);
    expect(initiator.summaries()).toEqual([]);
    const responder = await RawParty.connect(url('responder', terms), bob);
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    initiator.close();
    responder.close();
  });

  it('a party whose peer dropped its socket is not told: its messages vanish, its update waits for the ack until timeout_accept (§1.4, §5)', async () => {
    const { initiator, responder } = await connectBoth(termsOf(), { initiator: { timeout_accept: '300' } });
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    responder.close();
    await responder.whenClosed();
    await sleep(50); // the node sees the close
    const seen = initiator.frames.length;
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'anyone there?' } });
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await initiator.next(isInfo('died'), seen);
    expect(after(initiator, seen)).toEqual(['sign:update', 'info:died']);
    expect(await initiator.stillOpen()).toBe(true); // v0.14 leaves the socket open after died
    // a dead channel answers every call and signing reply channel_not_active (v0.14: 1011, or the reply is lost)
    const stale = initiator.frames.find(isSign('update')) as Frame;
    initiator.autoSign = false;
    const dead = initiator.frames.length;
    await initiator.signAndReply(stale);
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'still?' } });
    initiator.send({ action: 'shutdown' });
    while (initiator.frames.length < dead + 3) await initiator.next(() => true, initiator.frames.length);
    expect(initiator.frames.slice(dead).map((frame) => [frame.action, frame.payload?.reason, (frame.payload?.request as Frame).action])).toEqual([
      ['error', 'channel_not_active', 'update'],
      ['error', 'channel_not_active', 'message'],
      ['error', 'channel_not_active', 'shutdown'],
    ]);
    initiator.close();
  });

  it('refuses a frame holding a key its action does not have (v0.14 ignored such keys), and the channel goes on', async () => {
    const { initiator, responder } = await connectBoth(termsOf());
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    for (const [request, key] of [
      [{ action: 'message', payload: { to: bob.address, info: 'hi', extra: 1n } }, 'extra'],
      [{ action: 'message', tag: 'note', payload: { to: bob.address, info: 'hi' } }, 'tag'],
      [{ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n }, id: 7n }, 'id'],
    ] as const) {
      const seen = initiator.frames.length;
      initiator.send(request);
      const error = await initiator.next((frame) => frame.action === 'error', seen);
      expect(error.payload).toEqual({ reason: expect.stringContaining(`unexpected key "${key}"`) as string, request });
    }
    expect(responder.frames.filter((frame) => frame.action === 'message')).toEqual([]);
    const seen: [number, number] = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await Promise.all([initiator.next(isState(2n), seen[0]), responder.next(isState(2n), seen[1])]);
    initiator.close();
    responder.close();
  });

  it('refuses a shutdown of a channel whose total cannot pay the close fee with an error frame (v0.14 swallows it), and the channel goes on (§2.6)', async () => {
    const terms: ChannelTerms = { ...termsOf(), initiator_amount: 0n, responder_amount: 0n, channel_reserve: 0n };
    const { initiator, responder } = await connectBoth(terms);
    await fund(initiator);
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    const seen = initiator.frames.length;
    initiator.send({ action: 'shutdown' });
    const error = await initiator.next((frame) => frame.action === 'error', seen);
    expect(error.payload).toEqual({ reason: 'insufficient_channel_funds', request: { action: 'shutdown' } });
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 0n } });
    await Promise.all([initiator.next(isState(2n), seen), responder.next(isState(2n))]);
    initiator.close();
    responder.close();
  });
});

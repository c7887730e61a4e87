import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { decode, type EncodedTx, encode, type TxHash } from '@aesc/encoding';
import { type ExactJson, parseJsonExact, serializeJson } from '@aesc/schema';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import { type ChannelCreateTx, channelId, decodeRlp, decodeTx, encodeRlp, encodeTx, type SignedTx, serializeTx, txHash, type UnsignedTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.js';
import { type ChannelTxBuilder, MAX_REQUEST_TIMEOUT_MS, MAX_RESPONSE_BYTES, NodeClient, type WaitProgress } from '../src/node-client.js';
import { clientError } from './support/client-error.js';

let devnode: Devnode;
let node: NodeClient;
let alice: Signer;
let bob: Signer;
let carol: Signer;
const servers: Server[] = [];

/** Above 2^64: a JSON.parse anywhere on the way would lose the last digits. */
const HUGE = 2n ** 70n + 12_345n;

beforeAll(async () => {
  [alice, bob, carol] = (await Promise.all([31, 32, 33].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  devnode = await startDevnode({
    httpPort: 0,
    wsPort: 0,
    genesis: [
      { pubkey: alice.publicKey, balance: HUGE },
      { pubkey: bob.publicKey, balance: 1_000_000n },
    ],
  });
  node = new NodeClient(devnode.httpUrl);
});

afterAll(async () => {
  await devnode.close();
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});


async function signedBy(tx: UnsignedTx, ...signers: Signer[]): Promise<SignedTx> {
  let signed = await signTx(tx, signers[0] as Signer);
  for (const signer of signers.slice(1)) signed = await signTx(signed, signer);
  return signed;
}

/** A local HTTP server answering every request with `answer` (or never, for `hang`). */
async function fakeNode(answer: { status: number; body: string } | 'hang'): Promise<string> {
  const server = createServer((_request, response) => {
    if (answer === 'hang') return;
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
}

/**
 * A local HTTP server answering 200 with `{"height":0}` padded to about `total` bytes with JSON
 * whitespace (valid JSON: only its size is wrong), written in 64 KiB chunks as fast as the client
 * reads them (so `written` is what the client took, plus socket buffers), and with `declare` as
 * its Content-Length if given. `closed` resolves when the client hangs up before the end.
 */
async function floodNode(total: number, declare?: number) {
  const flood = { url: '', requests: 0, written: 0, closed: undefined as unknown as Promise<void> };
  let hungUp: () => void;
  flood.closed = new Promise<void>((resolve) => {
    hungUp = resolve;
  });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const server = createServer((_request, response) => {
    flood.requests++;
    response.writeHead(200, { 'content-type': 'application/json', ...(declare === undefined ? {} : { 'content-length': String(declare) }) });
    response.on('close', () => {
      if (!response.writableFinished) hungUp();
    });
    const head = '{"height":0}';
    flood.written += head.length;
    response.write(head);
    const pump = () => {
      while (flood.written < total && !response.destroyed) {
        flood.written += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      // With a Content-Length larger than what was sent, the answer stays open: only the client can end it.
      if (declare === undefined) response.end();
    };
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  flood.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
  return flood;
}

/** A fetch that passes through to the devnode but rewrites the answers of matching paths. */
function tamperingFetch(matches: (url: string) => boolean, rewrite: (body: string) => string): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = String(input);
    if (!matches(url)) return response;
    return new Response(rewrite(await response.text()), { status: response.status, headers: response.headers });
  };
}

describe('NodeClient against devnode', () => {
  it('reads the height and follows mined blocks', async () => {
    const start = await node.getHeight();
    expect(typeof start).toBe('bigint');
    const mined = await node.debugMine(3n);
    expect(mined.height).toBe(start + 3n);
    expect(mined.hash.startsWith('bh$')).toBe(true);
    expect(await node.getHeight()).toBe(start + 3n);
    expect(await node.waitForHeight(start + 2n)).toBe(start + 3n);
  });

  it('keeps balances and amounts exact beyond 2^53 and 2^64, both ways', async () => {
    expect(await node.getBalance(alice.address)).toBe(HUGE);
    const credited = 2n ** 80n + 1n;
    expect(await node.debugFund(carol.address, credited)).toBe(credited);
    expect(await node.getBalance(carol.address)).toBe(credited);
    expect(devnode.chain.account(carol.publicKey)?.balance).toBe(credited);
  });

  it('answers undefined for an account the chain does not know, and counts nonces', async () => {
    const { signer: nobody } = await import('@aesc/signer').then((signer) => signer.generate());
    expect(await node.getBalance(nobody.address)).toBeUndefined();
    expect(await node.getNonce(nobody.address)).toBeUndefined();
    expect(await node.nextNonce(nobody.address)).toBe(1n);
    expect(await node.getNonce(bob.address)).toBe(0n);
    expect(await node.nextNonce(bob.address)).toBe(1n);
  });

  it('builds every channel tx with the node and checks it against the request', async () => {
    const id = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    const idBytes = decode(id, 'ch');
    const payload = await signedBy(
      { type: 'channel_offchain_tx', channel_id: idBytes, previous_round: 1n, round: 2n, initiator: alice.publicKey, responder: bob.publicKey, initiator_amount: 5n, responder_amount: 6n, updates: [], state: new Uint8Array() },
      alice,
      bob,
    );
    const create = await node.buildChannelTx('create', {
      initiator: alice.address,
      initiator_amount: HUGE - 10n,
      responder: bob.address,
      responder_amount: 4n,
      channel_reserve: 2n,
      lock_period: 10n,
      ttl: 1000n,
      fee: 1n,
    });
    const expectedCreate: ChannelCreateTx = {
      type: 'channel_create_tx',
      initiator: alice.publicKey,
      initiator_amount: HUGE - 10n,
      responder: bob.publicKey,
      responder_amount: 4n,
      channel_reserve: 2n,
      lock_period: 10n,
      ttl: 1000n,
      fee: 1n,
      nonce: await node.nextNonce(alice.address), // filled in by the node
    };
    expect(create.tx).toEqual(expectedCreate);
    expect(create.encoded).toBe(encodeTx(expectedCreate));

    const cases: [Parameters<NodeClient['buildChannelTx']>[0], Record<string, unknown>, UnsignedTx][] = [
      ['create', { initiator: alice.address, initiator_amount: 7n, responder: bob.address, responder_amount: 4n, push_amount: 3n, channel_reserve: 2n, lock_period: 10n, ttl: 1000n, fee: 1n, nonce: 4711n }, { ...expectedCreate, initiator_amount: 7n, nonce: 4711n }],
      ['deposit', { channel_id: id, from: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }, { type: 'channel_deposit_tx', channel_id: idBytes, from: bob.publicKey, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['withdrawal', { channel_id: id, to: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }, { type: 'channel_withdraw_tx', channel_id: idBytes, to: bob.publicKey, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['close/mutual', { channel_id: id, initiator_amount: 6n, responder_amount: 4n, ttl: 100n, fee: 1n, nonce: 2n }, { type: 'channel_close_mutual_tx', channel_id: idBytes, initiator_amount: 6n, responder_amount: 4n, ttl: 100n, fee: 1n, nonce: 2n }],
      ['close/solo', { channel_id: id, from: bob.address, payload: encodeTx(payload), ttl: 100n, fee: 1n }, { type: 'channel_close_solo_tx', channel_id: idBytes, from: bob.publicKey, payload: decode(encodeTx(payload), 'tx'), ttl: 100n, fee: 1n, nonce: 1n }],
      ['slash', { channel_id: id, from: alice.address, payload, ttl: 100n, fee: 1n, nonce: 77n }, { type: 'channel_slash_tx', channel_id: idBytes, from: alice.publicKey, payload: decode(encodeTx(payload), 'tx'), ttl: 100n, fee: 1n, nonce: 77n }],
      ['settle', { channel_id: id, from: alice.address, initiator_amount: 5n, responder_amount: 6n, ttl: 100n, fee: 1n, nonce: 3n }, { type: 'channel_settle_tx', channel_id: idBytes, from: alice.publicKey, initiator_amount: 5n, responder_amount: 6n, ttl: 100n, fee: 1n, nonce: 3n }],
    ];
    for (const [kind, body, expected] of cases) {
      const built = await node.buildChannelTx(kind, body as never);
      expect(built.tx, kind).toEqual(expected);
      expect(built.encoded, kind).toBe(encodeTx(expected));
    }
  });

  it('refuses a built tx that differs from the request, before anyone signs it', async () => {
    const other = encodeTx({ type: 'channel_deposit_tx', channel_id: new Uint8Array(32).fill(1), from: carol.publicKey, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n });
    const tampering = new NodeClient(devnode.httpUrl, {
      fetch: tamperingFetch((url) => url.endsWith('/tx/channel/deposit'), () => JSON.stringify({ tx: other })),
    });
    const body = { channel_id: channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey }), from: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n };
    const error = await clientError(tampering.buildChannelTx('deposit', body), 'BAD_RESPONSE');
    expect(error.message).toMatch(/channel_id differs/);
    const wrongType = new NodeClient(devnode.httpUrl, {
      fetch: tamperingFetch((url) => url.endsWith('/tx/channel/withdrawal'), () => JSON.stringify({ tx: other })),
    });
    const { from: _from, ...withdrawal } = body;
    await clientError(wrongType.buildChannelTx('withdrawal', { ...withdrawal, to: bob.address }), 'BAD_RESPONSE');
  });

  it('refuses a built tx that differs from the request in any field it fixed, or is of another type or layout', async () => {
    const id = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    const payload = await signedBy(
      { type: 'channel_offchain_tx', channel_id: decode(id, 'ch'), previous_round: 1n, round: 2n, initiator: alice.publicKey, responder: bob.publicKey, initiator_amount: 5n, responder_amount: 6n, updates: [], state: new Uint8Array() },
      alice,
      bob,
    );
    // Every field of each builder given (nonce included), so that every one is fixed by the request.
    const requests: [ChannelTxBuilder, Record<string, unknown>][] = [
      ['create', { initiator: alice.address, initiator_amount: 7n, responder: bob.address, responder_amount: 4n, channel_reserve: 2n, lock_period: 10n, ttl: 1000n, fee: 1n, nonce: 4711n }],
      ['deposit', { channel_id: id, from: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['withdrawal', { channel_id: id, to: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['close/mutual', { channel_id: id, initiator_amount: 6n, responder_amount: 4n, ttl: 100n, fee: 1n, nonce: 2n }],
      ['close/solo', { channel_id: id, from: bob.address, payload, ttl: 100n, fee: 1n, nonce: 5n }],
      ['slash', { channel_id: id, from: alice.address, payload, ttl: 100n, fee: 1n, nonce: 77n }],
      ['settle', { channel_id: id, from: alice.address, initiator_amount: 5n, responder_amount: 6n, ttl: 100n, fee: 1n, nonce: 3n }],
    ];
    /** A client whose node answers `kind` with its own built tx, passed through `change`. */
    const changing = (kind: ChannelTxBuilder, change: (built: Record<string, unknown>) => Record<string, unknown>) =>
      new NodeClient(devnode.httpUrl, {
        fetch: tamperingFetch(
          (url) => url.endsWith(`/tx/channel/${kind}`),
          (answer) => JSON.stringify({ tx: encodeTx(change(decodeTx(JSON.parse(answer).tx, 'unsigned') as unknown as Record<string, unknown>) as unknown as UnsignedTx) }),
        ),
      });
    for (const [kind, body] of requests) {
      for (const name of Object.keys(body)) {
        const changed = changing(kind, (built) => {
          const value = built[name];
          return { ...built, [name]: typeof value === 'bigint' ? value + 1n : (value as Uint8Array).map((byte, index) => (index === 0 ? byte ^ 1 : byte)) };
        });
        const error = await clientError(changed.buildChannelTx(kind, body as never), 'BAD_RESPONSE');
        expect(error.message, `${kind}: ${name}`).toContain(`the built tx's ${name} differs from the request`);
      }
    }
    // close_solo and slash have the same fields: only the type tells them apart.
    const [, soloBody] = requests[4] as [ChannelTxBuilder, Record<string, unknown>];
    const asSlash = changing('close/solo', (built) => ({ ...built, type: 'channel_slash_tx' }));
    expect((await clientError(asSlash.buildChannelTx('close/solo', soloBody as never), 'BAD_RESPONSE')).message).toContain('asked for a channel_close_solo_tx, got a channel_slash_tx');
    // The legacy close_mutual holds every field of the request, and `from` besides.
    const [, mutualBody] = requests[3] as [ChannelTxBuilder, Record<string, unknown>];
    const legacy = changing('close/mutual', (built) => ({ ...built, from: alice.publicKey }));
    expect((await clientError(legacy.buildChannelTx('close/mutual', mutualBody as never), 'BAD_RESPONSE')).message).toContain('legacy 7-field close_mutual');
  });

  it('checks builder arguments, and reports what the node refuses with its status and reason', async () => {
    const body = { channel_id: channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey }), from: bob.address, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n };
    const { nonce: _nonce, ...withoutNonce } = body;
    await expect(node.buildChannelTx('deposit', withoutNonce as never)).rejects.toThrow(/nonce is required/);
    await expect(node.buildChannelTx('deposit', { ...body, payload: 'x' } as never)).rejects.toThrow(/not a field/);
    await expect(node.buildChannelTx('deposit', { ...body, amount: 3 } as never)).rejects.toThrow(TypeError);
    await expect(node.buildChannelTx('deposit', { ...body, amount: -3n })).rejects.toThrow(RangeError);
    await expect(node.buildChannelTx('close' as never, body as never)).rejects.toThrow(TypeError);
    const error = await clientError(node.buildChannelTx('deposit', { ...body, from: 'ak$notakey' as never }), 'NODE_ERROR');
    expect(error.context.status).toBe(400);
    expect(error.context.reason).toBe('Invalid hash: from');
    expect(error.message).toContain('400 Invalid hash: from');
  });

  it('posts a signed tx, tracks it from the mempool into a block, and rebuilds it exactly', async () => {
    const create: ChannelCreateTx = {
      type: 'channel_create_tx',
      initiator: alice.publicKey,
      initiator_amount: 2n ** 65n,
      responder: bob.publicKey,
      responder_amount: 400n,
      channel_reserve: 20n,
      lock_period: 5n,
      ttl: (await node.getHeight()) + 50n,
      fee: 1n,
      nonce: await node.nextNonce(alice.address),
    };
    const signedTx = await signedBy(create, alice, bob);
    const hash = await node.postTx(signedTx);
    expect(hash).toBe(txHash(signedTx));

    const pending = await node.getTx(hash);
    expect(pending).toEqual({ signedTx, hash, blockHeight: -1n, blockHash: undefined });

    const progress: WaitProgress[] = [];
    const waiting = node.waitForTx(hash, { confirmations: 2n, pollMs: 10, onProgress: (step) => progress.push(step) });
    await expect.poll(() => progress.length).toBeGreaterThan(0);
    const [block] = await devnode.mine(1);
    await expect.poll(() => progress.some((step) => step.blockHeight === BigInt(block?.height ?? -1))).toBe(true);
    await devnode.mine(2);
    const mined = await waiting;
    expect(mined.blockHeight).toBe(BigInt(block?.height ?? -1));
    expect(mined.blockHash).toBe(block?.hash);
    expect(mined.signedTx).toEqual(signedTx);
    expect(progress[0]?.blockHeight).toBe(-1n);
    expect(progress.at(-1)).toEqual({ height: mined.blockHeight + 2n, blockHeight: mined.blockHeight });
    // Also found by the pre-v0.14 hash of the unsigned tx, which the seed's examples use.
    expect((await node.getTx(txHash(create)))?.hash).toBe(hash);

    const id = channelId(create);
    const channel = await node.getChannel(id);
    expect(channel).toEqual({
      id,
      initiator: alice.address,
      responder: bob.address,
      total_amount: 2n ** 65n + 400n,
      initiator_amount: 2n ** 65n,
      responder_amount: 400n,
      channel_reserve: 20n,
      round: 0n,
      lock_period: 5n,
      closes_at: 0n,
    });
    expect(await node.getNonce(alice.address)).toBe(create.nonce);

    // A tx$ string works as well as the object.
    const deposit = await signedBy(
      { type: 'channel_deposit_tx', channel_id: decode(id, 'ch'), from: bob.publicKey, amount: 10n, ttl: 10_000n, fee: 1n, nonce: await node.nextNonce(bob.address) },
      alice,
      bob,
    );
    const depositHash = await node.postTx(encodeTx(deposit));
    expect(depositHash).toBe(txHash(deposit));
    await devnode.mine(1);
    expect((await node.waitForTx(depositHash)).signedTx).toEqual(deposit); // the deposit's JSON calls its id `channel`
    expect((await node.getChannel(id))?.total_amount).toBe(2n ** 65n + 410n);
  });

  it('answers undefined for an unknown tx or channel, and NODE_ERROR for a malformed one', async () => {
    const unknownTx = txHash(await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 999n, payload: new Uint8Array() }, bob));
    expect(await node.getTx(unknownTx)).toBeUndefined();
    expect(await node.getChannel(channelId({ initiator: bob.publicKey, nonce: 77n, responder: carol.publicKey }))).toBeUndefined();
    const badHash = await clientError(node.getTx('th$nothash' as TxHash), 'NODE_ERROR');
    expect(badHash.context).toMatchObject({ status: 400, reason: 'Invalid hash: tx_hash' });
    const badChannel = await clientError(node.getChannel('ch$x' as never), 'NODE_ERROR');
    expect(badChannel.context).toMatchObject({ status: 400, reason: 'Invalid hash: channel_id' });
  });

  it('reports a refused post with the node’s status and reason', async () => {
    const reused = await signedBy({ type: 'spend_tx', sender: alice.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, alice);
    const error = await clientError(node.postTx(reused), 'NODE_ERROR');
    expect(error.context).toMatchObject({ status: 400, reason: 'account_nonce_too_high', request: 'POST /tx' });
    const garbage = await clientError(node.postTx('tx$abc' as EncodedTx), 'NODE_ERROR');
    expect(garbage.context).toMatchObject({ status: 400, reason: 'Invalid base58Check encoding' });
    await expect(node.postTx('th$abc' as never)).rejects.toThrow(TypeError);
    await expect(node.postTx({ type: 'spend_tx' } as never)).rejects.toThrow(TypeError);
  });

  it('ends a wait with TX_REJECTED when the chain drops the tx', async () => {
    // Admitted to the mempool (signatures and nonce are fine), refused at inclusion: the
    // responder cannot cover its amount.
    const create: ChannelCreateTx = {
      type: 'channel_create_tx',
      initiator: alice.publicKey,
      initiator_amount: 10n,
      responder: bob.publicKey,
      responder_amount: 10n ** 12n,
      channel_reserve: 1n,
      lock_period: 5n,
      ttl: 10_000n,
      fee: 1n,
      nonce: await node.nextNonce(alice.address),
    };
    const hash = await node.postTx(await signedBy(create, alice, bob));
    const waiting = node.waitForTx(hash, { pollMs: 10 });
    const [block] = await devnode.mine(1);
    const error = await clientError(waiting, 'TX_REJECTED');
    expect(error.context).toMatchObject({ reason: 'insufficient_funds', txHash: hash, height: BigInt(block?.height ?? -1), status: 404 });
    await clientError(node.getTx(hash), 'TX_REJECTED');
  });

  it('times out and aborts waits', async () => {
    const spend = await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: await node.nextNonce(bob.address), payload: new Uint8Array() }, bob);
    const hash = await node.postTx(spend);
    const started = Date.now();
    const timeout = await clientError(node.waitForTx(hash, { timeoutMs: 150, pollMs: 20 }), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(timeout.context.txHash).toBe(hash);
    await clientError(node.waitForHeight(10_000_000n, { timeoutMs: 100, pollMs: 20 }), 'TIMEOUT');
    // A pause longer than what remains of the wait ends at its deadline.
    const longPause = Date.now();
    await clientError(node.waitForHeight(10_000_000n, { timeoutMs: 100, pollMs: 60_000 }), 'TIMEOUT');
    expect(Date.now() - longPause).toBeLessThan(2_000);
    // Aborted between a poll and its pause (by onProgress here): no pause is begun.
    const stopping = new AbortController();
    const stopped = Date.now();
    await clientError(node.waitForHeight(10_000_000n, { pollMs: 60_000, signal: stopping.signal, onProgress: () => stopping.abort() }), 'ABORTED');
    expect(Date.now() - stopped).toBeLessThan(2_000);

    const controller = new AbortController();
    const waiting = node.waitForTx(hash, { pollMs: 20, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 60);
    const aborted = await clientError(waiting, 'ABORTED');
    expect((aborted.cause as Error).message).toBe('user gave up');
    await clientError(node.getHeight({ signal: AbortSignal.abort() }), 'ABORTED');
    await devnode.mine(1);
    expect((await node.waitForTx(hash)).signedTx).toEqual(spend);
  });

  it('takes fractional milliseconds everywhere, rounded up (a fraction used to reach AbortSignal.timeout)', async () => {
    const unknown = txHash(await signedBy({ type: 'spend_tx', sender: carol.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 4242n, payload: new Uint8Array() }, carol));
    const started = Date.now();
    const timeout = await clientError(node.waitForTx(unknown, { timeoutMs: 200.5, pollMs: 20.5 }), 'TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(timeout.message).toContain('after 201 ms');
    // The client's limit is a fraction too, and so is what remains of the wait at each poll.
    const fractional = new NodeClient(devnode.httpUrl, { timeoutMs: 1_000.25 });
    await clientError(fractional.waitForHeight(10_000_000n, { timeoutMs: 150.5, pollMs: 10.5 }), 'TIMEOUT');
    expect(await fractional.getHeight({ timeoutMs: 500.75 })).toBe(await node.getHeight());

    // What closeSolo does: post, then wait with the caller's (fractional) limit until inclusion.
    const spend = await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: carol.publicKey, amount: 1n, fee: 1n, nonce: await node.nextNonce(bob.address), payload: new Uint8Array() }, bob);
    const hash = await fractional.postTx(spend);
    const waiting = fractional.waitForTx(hash, { timeoutMs: 2_000.5, pollMs: 10.5 });
    await devnode.mine(1);
    expect((await waiting).signedTx).toEqual(spend);
  });

  it('keeps waiting through a node that fails for a while', async () => {
    let failures = 3;
    const flaky = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        if (failures > 0) {
          failures--;
          throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
        }
        return fetch(input, init);
      },
    });
    const height = await node.getHeight();
    expect(await flaky.waitForHeight(height, { pollMs: 10 })).toBe(height);
    expect(failures).toBe(0);
  });

  it('says NODE_ERROR, not "not found", for a base URL that is not the API', async () => {
    const wrong = new NodeClient(devnode.httpUrl.replace(/\/v2$/, ''));
    const error = await clientError(wrong.getTx(txHash(await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob))), 'NODE_ERROR');
    expect(error.context).toMatchObject({ status: 404, reason: 'Not found' });
    // The message says what is wrong with the URL, not only that the node found nothing.
    expect(error.message).toBe(`${error.context.request}: 404 Not found (the base URL ${wrong.baseUrl} names no API version: the node's API is at http://host:port/v2)`);
    expect((await clientError(wrong.getHeight(), 'NODE_ERROR')).message).toBe(`GET /top: 404 Not found (the base URL ${wrong.baseUrl} names no API version: the node's API is at http://host:port/v2)`);
  });
});

describe('NodeClient against nodes that misbehave', () => {
  it('NODE_UNREACHABLE when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await clientError(new NodeClient(`http://127.0.0.1:${port}/v2`).getHeight(), 'NODE_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.cause).toBeInstanceOf(Error);
    // A wait retries until its deadline, then reports the last failure.
    const timeout = await clientError(new NodeClient(`http://127.0.0.1:${port}/v2`).waitForHeight(1n, { timeoutMs: 100, pollMs: 20 }), 'TIMEOUT');
    expect((timeout.cause as ClientError).code).toBe('NODE_UNREACHABLE');
  });

  it('TIMEOUT when a request gets no answer, ABORTED when the caller gives up', async () => {
    const url = await fakeNode('hang');
    const started = Date.now();
    await clientError(new NodeClient(url, { timeoutMs: 100 }).getHeight(), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
    // The call's limit overrides the client's (10 s by default).
    const callStarted = Date.now();
    await clientError(new NodeClient(url).getHeight({ timeoutMs: 50 }), 'TIMEOUT');
    expect(Date.now() - callStarted).toBeLessThan(2_000);
    const controller = new AbortController();
    const request = new NodeClient(url).getHeight({ signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await clientError(request, 'ABORTED');
  });

  it('TIMEOUT, not a RangeError, for fractional request limits against a node that hangs', async () => {
    const url = await fakeNode('hang');
    await clientError(new NodeClient(url, { timeoutMs: 100.5 }).getHeight(), 'TIMEOUT');
    await clientError(new NodeClient(url).getHeight({ timeoutMs: 50.5 }), 'TIMEOUT');
    // Each poll's limit is what remains of the wait (150.5 ms, less the time spent), not the client's 10 s.
    const started = Date.now();
    const timeout = await clientError(new NodeClient(url).waitForHeight(1n, { timeoutMs: 150.5 }), 'TIMEOUT');
    expect((timeout.cause as ClientError).code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a request limit the timers cannot honour, before any request', async () => {
    let requests = 0;
    const counting: typeof fetch = async (input, init) => {
      requests++;
      return fetch(input, init);
    };
    // Node's timers fire after 1 ms for a delay above 2^31 - 1: such a limit would mean none.
    for (const timeoutMs of [2 ** 31, 2 ** 32, 2 ** 32 + 0.5, Number.MAX_SAFE_INTEGER]) {
      expect(() => new NodeClient(devnode.httpUrl, { fetch: counting, timeoutMs })).toThrow(RangeError);
      expect(() => new NodeClient(devnode.httpUrl, { fetch: counting, timeoutMs })).toThrow(/at most 2147483647 ms/);
      await expect(new NodeClient(devnode.httpUrl, { fetch: counting }).getHeight({ timeoutMs })).rejects.toThrow(RangeError);
    }
    expect(requests).toBe(0);
    const longest = new NodeClient(devnode.httpUrl, { fetch: counting, timeoutMs: MAX_REQUEST_TIMEOUT_MS - 0.5 });
    expect(await longest.getHeight()).toBe(await node.getHeight());
    expect(await longest.getHeight({ timeoutMs: MAX_REQUEST_TIMEOUT_MS })).toBe(await node.getHeight());
    expect(requests).toBe(2);
  });

  it('keeps a wait longer than the timers can count, and polls no faster for it', async () => {
    let requests = 0;
    const url = await fakeNode({ status: 200, body: '{"height":1}' });
    const counting = new NodeClient(url, {
      fetch: async (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    // A wait of weeks is legitimate (a lock period); the per-request limit stays the client's.
    expect(await counting.waitForHeight(1n, { timeoutMs: 2 ** 40 })).toBe(1n);
    requests = 0;
    // A pause of 2^32 ms used to become 1 ms: a poll every millisecond.
    const controller = new AbortController();
    const waiting = counting.waitForHeight(2n, { timeoutMs: 2 ** 40, pollMs: 2 ** 32, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await clientError(waiting, 'ABORTED');
    expect(requests).toBe(1);
  });

  it('leaves no pause timer and no listener on the caller’s signal once a wait ends', async () => {
    let height = 0n;
    const rising = new NodeClient('http://127.0.0.1:1/v2', { fetch: async () => new Response(serializeJson({ height: height++ })) });
    const controller = new AbortController();
    const { signal } = controller;
    let listeners = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => {
      listeners++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>) => {
      listeners--;
      remove(...args);
    };
    expect(await rising.waitForHeight(3n, { pollMs: 5, signal })).toBe(3n);
    expect(listeners).toBe(0);
    // An abort during a long pause clears its timer: nothing is left to keep the process alive.
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    let polled: () => void = () => undefined;
    const firstPoll = new Promise<void>((resolve) => {
      polled = resolve;
    });
    const waiting = rising.waitForHeight(1_000n, { pollMs: MAX_REQUEST_TIMEOUT_MS, signal, onProgress: () => polled() });
    await firstPoll;
    await new Promise((resolve) => setImmediate(resolve)); // the pause has begun
    expect(timers()).toBe(before + 1);
    controller.abort();
    await clientError(waiting, 'ABORTED');
    expect(timers()).toBe(before);
  });

  it('ends even with a fetch that ignores its signal', async () => {
    const stuck = new NodeClient('http://127.0.0.1:1/v2', { fetch: () => new Promise<Response>(() => undefined), timeoutMs: 50 });
    await clientError(stuck.getHeight(), 'TIMEOUT');
  });

  it('cancels, unread, the body of a fetch that ignored its signal and answered after the call ended', async () => {
    let pulls = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>(
      {
        pull: () => {
          pulls++;
          return new Promise(() => undefined);
        },
        cancel: () => {
          cancelled = true;
        },
      },
      { highWaterMark: 0 }, // pulled only when read
    );
    const late = new NodeClient('http://127.0.0.1:1/v2', {
      fetch: () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response(endless)), 100)),
      timeoutMs: 30,
    });
    await clientError(late.getHeight(), 'TIMEOUT');
    // It used to be read, and held open, with no one left to want it.
    await expect.poll(() => cancelled).toBe(true);
    expect(pulls).toBe(0);
  });

  it('BAD_RESPONSE for answers of the wrong shape', async () => {
    await clientError(new NodeClient(await fakeNode({ status: 200, body: 'hello' })).getHeight(), 'BAD_RESPONSE');
    // Not "no such tx or channel", which a lookup answers with undefined.
    const notJson = new NodeClient(await fakeNode({ status: 200, body: 'hello' }));
    const spend = await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob);
    expect((await clientError(notJson.getTx(txHash(spend)), 'BAD_RESPONSE')).message).toContain('not JSON');
    expect((await clientError(notJson.getChannel(channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey })), 'BAD_RESPONSE')).message).toContain('not JSON');
    expect((await clientError(notJson.getBalance(alice.address), 'BAD_RESPONSE')).message).toContain('not JSON');
    await clientError(new NodeClient(await fakeNode({ status: 200, body: '{"height":"5"}' })).getHeight(), 'BAD_RESPONSE');
    await clientError(new NodeClient(await fakeNode({ status: 200, body: '{"height":5.5}' })).getHeight(), 'BAD_RESPONSE');
    await clientError(new NodeClient(await fakeNode({ status: 200, body: '{"balance":-1}' })).getBalance(alice.address), 'BAD_RESPONSE');
    await clientError(new NodeClient(await fakeNode({ status: 200, body: '{"balance":"5"}' })).debugFund(alice.address, 5n), 'BAD_RESPONSE');
    await clientError(new NodeClient(await fakeNode({ status: 200, body: '{"tx_hash":"nope"}' })).postTx(await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob)), 'BAD_RESPONSE');
  });

  it('BAD_RESPONSE for a channel, a height or a posted tx’s hash the node gets wrong', async () => {
    const id = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    const channel = { id, initiator: alice.address, responder: bob.address, total_amount: HUGE + 4n, initiator_amount: HUGE, responder_amount: 4n, channel_reserve: 2n, round: 3n, lock_period: 10n, closes_at: 0n };
    const answering = async (body: Record<string, ExactJson>) => new NodeClient(await fakeNode({ status: 200, body: serializeJson(body) }));
    expect(await (await answering(channel)).getChannel(id)).toEqual(channel);
    const cases: [string, Record<string, ExactJson>, RegExp][] = [
      ['another channel', { ...channel, id: channelId({ initiator: alice.publicKey, nonce: 2n, responder: bob.publicKey }) }, /`id` is .*, not the channel asked for/],
      ['not a key', { ...channel, responder: 'ak$x' }, /`initiator`\/`responder` are not ak\$ keys/],
      ['amounts that do not add up', { ...channel, responder_amount: 5n }, /do not add up to `total_amount`/],
      ['a negative round', { ...channel, round: -3n }, /`round` is not a non-negative integer/],
      ['a round as text', { ...channel, round: '3' }, /`round` is not a non-negative integer/],
    ];
    for (const [what, body, message] of cases) {
      const error = await clientError((await answering(body)).getChannel(id), 'BAD_RESPONSE');
      expect(error.message, what).toMatch(message);
    }
    await clientError((await answering({ height: -1n })).getHeight(), 'BAD_RESPONSE');
    const spend = await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob);
    const otherHash = txHash(await signedBy({ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 2n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob));
    const error = await clientError((await answering({ tx_hash: otherHash })).postTx(spend), 'BAD_RESPONSE');
    expect(error.message).toContain(`the node says ${otherHash}, the tx hashes to ${txHash(spend)}`);
  });

  it('checks the hash a node gives a posted tx whose signatures another SDK left unsorted (v0.14 and devnode take it, hashed sorted): another th$ is BAD_RESPONSE (it was returned as the tx’s)', async () => {
    const create: ChannelCreateTx = {
      type: 'channel_create_tx',
      initiator: alice.publicKey,
      initiator_amount: 10n,
      responder: bob.publicKey,
      responder_amount: 10n,
      channel_reserve: 1n,
      lock_period: 5n,
      ttl: 1_000n,
      fee: 1n,
      nonce: await node.nextNonce(alice.address),
    };
    const signed = await signedBy(create, alice, bob);
    const [tag, vsn, signatures, inner] = decodeRlp(serializeTx(signed)) as [Uint8Array, Uint8Array, Uint8Array[], Uint8Array];
    const unsorted = encode('tx', encodeRlp([tag, vsn, [...signatures].reverse(), inner])) as EncodedTx;
    expect(() => decodeTx(unsorted, 'signed_tx')).toThrow(/sorts before/);
    const otherHash = txHash(await signedBy({ ...create, initiator_amount: 11n }, alice, bob));
    const lying = new NodeClient(await fakeNode({ status: 200, body: serializeJson({ tx_hash: otherHash }) }));
    const error = await clientError(lying.postTx(unsorted), 'BAD_RESPONSE');
    expect(error.message).toContain(`the node says ${otherHash}, the tx hashes to ${txHash(signed)}`);
    // An honest node takes it, under the hash of its sorted form.
    expect(await node.postTx(unsorted)).toBe(txHash(signed));
    await devnode.mine(1);
    expect((await node.getTx(txHash(signed)))?.signedTx).toEqual(signed);
  });

  it('takes only the node’s own 404 as "not found": the same reason with another status is NODE_ERROR', async () => {
    const id = channelId({ initiator: alice.publicKey, nonce: 1n, responder: bob.publicKey });
    expect(await new NodeClient(await fakeNode({ status: 404, body: '{"reason":"Channel not found"}' })).getChannel(id)).toBeUndefined();
    for (const status of [300, 400, 500, 503]) {
      const error = await clientError(new NodeClient(await fakeNode({ status, body: '{"reason":"Channel not found"}' })).getChannel(id), 'NODE_ERROR');
      expect(error.context).toMatchObject({ status, reason: 'Channel not found', request: `GET /channels/${id}` });
    }
    // Not even a 3xx with the answer a 200 would carry.
    const redirect = await clientError(new NodeClient(await fakeNode({ status: 300, body: '{"height":5}' })).getHeight(), 'NODE_ERROR');
    expect(redirect.context.status).toBe(300);
  });

  it('BAD_RESPONSE for a tx whose content does not hash to what the node claims', async () => {
    const spend = await signedBy({ type: 'spend_tx', sender: alice.publicKey, recipient: carol.publicKey, amount: 5n, fee: 1n, nonce: await node.nextNonce(alice.address), payload: new Uint8Array() }, alice);
    const hash = await node.postTx(spend);
    await devnode.mine(1);
    const lying = new NodeClient(devnode.httpUrl, {
      fetch: tamperingFetch((url) => url.includes('/tx/th$'), (body) => body.replace('"amount":5', '"amount":50')),
    });
    const error = await clientError(lying.getTx(hash), 'BAD_RESPONSE');
    expect(error.message).toMatch(/hashes to/);
    expect((await node.getTx(hash))?.signedTx).toEqual(spend);
  });

  it('BAD_RESPONSE for a tx answer of the wrong shape, or of another tx than the one asked for', async () => {
    const spends = await Promise.all(
      [6n, 7n].map(async (amount, index) =>
        signedBy({ type: 'spend_tx', sender: alice.publicKey, recipient: carol.publicKey, amount, fee: 1n, nonce: (await node.nextNonce(alice.address)) + BigInt(index), payload: new Uint8Array() }, alice),
      ),
    );
    const [asked, other] = await Promise.all(spends.map((spend) => node.postTx(spend)));
    await devnode.mine(1);
    const mined = await node.getTx(asked as TxHash);
    expect(mined?.blockHeight).toBeGreaterThan(0n);
    /** A node whose answer for the mined tx has `change` applied to its `transaction`. */
    const changing = (change: (transaction: Record<string, ExactJson>) => Record<string, ExactJson>) =>
      new NodeClient(devnode.httpUrl, {
        fetch: tamperingFetch(
          (url) => url.includes('/tx/th$'),
          (body) => {
            const answer = parseJsonExact(body) as Record<string, ExactJson>;
            return serializeJson({ ...answer, transaction: change(answer.transaction as Record<string, ExactJson>) });
          },
        ),
      });
    const cases: [string, (transaction: Record<string, ExactJson>) => Record<string, ExactJson>, RegExp][] = [
      ['below -1', (transaction) => ({ ...transaction, block_height: -2n }), /`block_height` is not an integer ≥ -1/],
      ['pending, with a block', (transaction) => ({ ...transaction, block_height: -1n }), /disagree on whether the tx is mined/],
      ['mined, without a block', (transaction) => ({ ...transaction, block_hash: 'none' }), /disagree on whether the tx is mined/],
      ['not a block hash', (transaction) => ({ ...transaction, block_hash: mined?.hash ?? '' }), /`block_hash` is neither/],
      ['vsn 2', (transaction) => ({ ...transaction, tx: { ...(transaction.tx as Record<string, ExactJson>), vsn: 2n } }), /`tx.vsn` is a bigint, not 1/],
      ['a bad signature', (transaction) => ({ ...transaction, signatures: ['sg$x'] }), /`signatures` is not a list of sg\$ strings/],
      ['a bad hash', (transaction) => ({ ...transaction, hash: 'th$x' }), /`hash` is not a th\$ hash/],
    ];
    for (const [what, change, message] of cases) {
      const error = await clientError(changing(change).getTx(asked as TxHash), 'BAD_RESPONSE');
      expect(error.message, what).toMatch(message);
    }
    // A whole tx, consistent in itself, but not the one asked for.
    const swapping = new NodeClient(devnode.httpUrl, { fetch: (input, init) => fetch(String(input).replace(asked as string, other as string), init) });
    const error = await clientError(swapping.getTx(asked as TxHash), 'BAD_RESPONSE');
    expect(error.message).toContain(`asked for ${asked}, got ${other}`);
  });

  it('BAD_RESPONSE for an answer above MAX_RESPONSE_BYTES, and stops reading it', async () => {
    const flood = await floodNode(256 * 1024 * 1024);
    const started = Date.now();
    const error = await clientError(new NodeClient(flood.url, { timeoutMs: 30_000 }).getHeight(), 'BAD_RESPONSE');
    expect(error.message).toContain(`${MAX_RESPONSE_BYTES}-byte limit`);
    expect(error.context).toMatchObject({ request: 'GET /top', status: 200 });
    await flood.closed; // the client hung up at once, not when its 30 s limit ended the request...
    expect(Date.now() - started).toBeLessThan(10_000);
    // ...having taken the limit and what the socket buffers held, not the 256 MiB on offer.
    expect(flood.written).toBeGreaterThan(MAX_RESPONSE_BYTES);
    expect(flood.written).toBeLessThan(MAX_RESPONSE_BYTES + 32 * 1024 * 1024);
  });

  it('BAD_RESPONSE without reading for a Content-Length above the limit', async () => {
    const declared = 200 * 1024 * 1024;
    const flood = await floodNode(64 * 1024, declared);
    const started = Date.now();
    const error = await clientError(new NodeClient(flood.url, { timeoutMs: 30_000 }).getHeight(), 'BAD_RESPONSE');
    expect(error.message).toContain(`Content-Length of ${declared} bytes`);
    expect(error.message).toContain(`${MAX_RESPONSE_BYTES}-byte limit`);
    await flood.closed; // at once, not when the client's 30 s limit (or a collection of the unread body) ended the request
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(flood.written).toBeLessThan(100 * 1024);
  });

  it('ends a wait at a 4xx, and keeps waiting through a 5xx', async () => {
    let requests = 0;
    let statuses = [400];
    const answering = new NodeClient('http://127.0.0.1:1/v2', {
      fetch: async () => {
        const status = statuses[requests++] ?? 200;
        return new Response(status === 200 ? '{"height":7}' : '{"reason":"nope"}', { status });
      },
    });
    const refused = await clientError(answering.waitForHeight(7n, { pollMs: 5 }), 'NODE_ERROR');
    expect(refused.context).toMatchObject({ status: 400, reason: 'nope' });
    expect(requests).toBe(1);
    requests = 0;
    statuses = [500, 502, 503];
    expect(await answering.waitForHeight(7n, { pollMs: 5 })).toBe(7n);
    expect(requests).toBe(4);
  });

  it('ends a wait on an oversize answer instead of downloading it again at every poll', async () => {
    const flood = await floodNode(16 * 1024 * 1024);
    await clientError(new NodeClient(flood.url).waitForHeight(1n, { timeoutMs: 2_000, pollMs: 10 }), 'BAD_RESPONSE');
    expect(flood.requests).toBe(1);
  });

  it('reads an answer of exactly MAX_RESPONSE_BYTES', async () => {
    const json = '{"height":5}';
    const url = await fakeNode({ status: 200, body: json + ' '.repeat(MAX_RESPONSE_BYTES - json.length) });
    expect(await new NodeClient(url).getHeight()).toBe(5n);
    const over = await fakeNode({ status: 200, body: json + ' '.repeat(MAX_RESPONSE_BYTES + 1 - json.length) });
    await clientError(new NodeClient(over).getHeight(), 'BAD_RESPONSE');
  });

  it('NODE_ERROR for an error status without a JSON body', async () => {
    const error = await clientError(new NodeClient(await fakeNode({ status: 502, body: '<html>bad gateway</html>' })).getHeight(), 'NODE_ERROR');
    expect(error.context.status).toBe(502);
    expect(error.context.reason).toBeUndefined();
    expect(error.message).toContain('bad gateway');
  });

  it('hints at the API path on a 404 only when the base URL’s path ends in no /vN', async () => {
    const answering = (baseUrl: string, status: number) =>
      new NodeClient(baseUrl, { fetch: async () => new Response('{"reason":"Not found"}', { status, headers: { 'content-type': 'application/json' } }) });
    const hint = (baseUrl: string) => ` (the base URL ${baseUrl} names no API version: the node's API is at http://host:port/v2)`;
    // a path that ends in no version segment, or none at all (a host named v2 is no path)
    for (const baseUrl of ['http://host:3013', 'http://host:3013/', 'http://host:3013/api', 'http://host:3013/dev2', 'http://host:3013/v2/api', 'http://v2']) {
      const { baseUrl: given } = new NodeClient(baseUrl);
      expect((await clientError(answering(baseUrl, 404).getHeight(), 'NODE_ERROR')).message).toBe(`GET /top: 404 Not found${hint(given)}`);
    }
    for (const baseUrl of ['http://host:3013/v2', 'http://host:3013/v2/', 'http://host:3013/api/v10']) {
      expect((await clientError(answering(baseUrl, 404).getHeight(), 'NODE_ERROR')).message).toBe('GET /top: 404 Not found');
    }
    // another status is no missing path
    expect((await clientError(answering('http://host:3013', 500).getHeight(), 'NODE_ERROR')).message).toBe('GET /top: 500 Not found');
  });

  it('checks its arguments', async () => {
    expect(() => new NodeClient('localhost:3013')).toThrow(TypeError);
    expect(() => new NodeClient('ftp://host/v2')).toThrow(TypeError);
    expect(() => new NodeClient('http://host/v2', { timeoutMs: 0 })).toThrow(TypeError);
    // A number out of range names the number (it said "got a number").
    expect(() => new NodeClient('http://host/v2', { timeoutMs: -1 })).toThrow(new TypeError('timeoutMs must be a positive number of milliseconds, got -1'));
    await expect(node.waitForHeight(1n, { pollMs: Number.NaN })).rejects.toThrow(new TypeError('pollMs must be a positive number of milliseconds, got NaN'));
    await expect(node.waitForHeight(1n, { timeoutMs: '5000' as never })).rejects.toThrow(new TypeError('timeoutMs must be a positive number of milliseconds, got a string of 4 characters'));
    expect(new NodeClient('http://host:3013/v2/').baseUrl).toBe('http://host:3013/v2');
    await expect(node.waitForTx('th$x' as TxHash, { confirmations: 1 as never })).rejects.toThrow(TypeError);
    // Before any request, as for waitForTx: it used to reach waitForHeight's first poll.
    let requests = 0;
    const counting = new NodeClient(devnode.httpUrl, {
      fetch: async (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    await expect(counting.waitForHeight(0n, { onProgress: 'log' as never })).rejects.toThrow('onProgress must be a function, got a string');
    await expect(counting.waitForTx('th$x' as TxHash, { onProgress: 1 as never })).rejects.toThrow('onProgress must be a function, got a number');
    expect(requests).toBe(0);
  });
});

import type { AddressInfo } from 'node:net';
import { decode, encode, MAX_VARIABLE_PAYLOAD } from '@aesc/encoding';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import { type ChannelCreateTx, channelId, decodeRlp, decodeTx, encodeRlp, encodeTx, type SignedTx, serializeTx, txHash, type UnsignedTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain.js';
import { createHttpServer } from '../src/http.js';
import { parseJsonExact as parseLosslessJSON } from '@aesc/schema';

let alice: Signer;
let bob: Signer;
let stranger: Signer;
let chain: Chain;
let base: string;
let close: () => Promise<void>;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)),
  });
  return { status: response.status, body: parseLosslessJSON(await response.text()) as Record<string, unknown> };
}

async function signed(tx: UnsignedTx, ...signers: Signer[]): Promise<SignedTx> {
  let result: UnsignedTx | SignedTx = tx;
  for (const signer of signers) result = await signTx(result, signer);
  return result as SignedTx;
}

const create = (): ChannelCreateTx => ({
  type: 'channel_create_tx',
  initiator: alice.publicKey,
  initiator_amount: 7n,
  responder: bob.publicKey,
  responder_amount: 4n,
  channel_reserve: 2n,
  lock_period: 10n,
  ttl: 1000n,
  fee: 1n,
  nonce: 1n,
});

beforeAll(async () => {
  [alice, bob, stranger] = (await Promise.all([11, 12, 13].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  chain = new Chain([
    { pubkey: alice.publicKey, balance: 50n },
    { pubkey: bob.publicKey, balance: 50n },
  ]);
  const server = createHttpServer(chain);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(() => close());

describe('HTTP API', () => {
  const channelIdOf = () => channelId(create());

  it('builds each channel tx exactly as the local codec does', async () => {
    const id = channelIdOf();
    const ak = (signer: Signer) => signer.address;
    const payload = encodeTx(await signed({ type: 'channel_offchain_tx', channel_id: decode(id, 'ch'), previous_round: 1n, round: 2n, initiator: alice.publicKey, responder: bob.publicKey, initiator_amount: 5n, responder_amount: 6n, updates: [], state: new Uint8Array() }, alice, bob));
    const cases: [string, Record<string, unknown>, UnsignedTx][] = [
      ['create', { initiator: ak(alice), initiator_amount: 7, responder: ak(bob), responder_amount: 4, push_amount: 3, channel_reserve: 2, lock_period: 10, ttl: 1000, fee: 1 }, create()],
      ['create', { initiator: ak(alice), initiator_amount: 7, responder: ak(bob), responder_amount: 4, push_amount: 3, channel_reserve: 2, lock_period: 10, ttl: 1000, fee: 1, nonce: 4711 }, { ...create(), nonce: 4711n }],
      ['deposit', { channel_id: id, from: ak(bob), amount: 3, ttl: 100, fee: 2, nonce: 9 }, { type: 'channel_deposit_tx', channel_id: decode(id, 'ch'), from: bob.publicKey, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['withdrawal', { channel_id: id, to: ak(bob), amount: 3, ttl: 100, fee: 2, nonce: 9 }, { type: 'channel_withdraw_tx', channel_id: decode(id, 'ch'), to: bob.publicKey, amount: 3n, ttl: 100n, fee: 2n, nonce: 9n }],
      ['close/mutual', { channel_id: id, initiator_amount: 6, responder_amount: 4, ttl: 100, fee: 1, nonce: 2 }, { type: 'channel_close_mutual_tx', channel_id: decode(id, 'ch'), initiator_amount: 6n, responder_amount: 4n, ttl: 100n, fee: 1n, nonce: 2n }],
      ['close/solo', { channel_id: id, from: ak(bob), payload, ttl: 100, fee: 1 }, { type: 'channel_close_solo_tx', channel_id: decode(id, 'ch'), from: bob.publicKey, payload: decode(payload, 'tx'), ttl: 100n, fee: 1n, nonce: 1n }],
      ['slash', { channel_id: id, from: ak(alice), payload, ttl: 100, fee: 1, nonce: 77 }, { type: 'channel_slash_tx', channel_id: decode(id, 'ch'), from: alice.publicKey, payload: decode(payload, 'tx'), ttl: 100n, fee: 1n, nonce: 77n }],
      ['settle', { channel_id: id, from: ak(alice), initiator_amount: 5, responder_amount: 6, ttl: 100, fee: 1, nonce: 3 }, { type: 'channel_settle_tx', channel_id: decode(id, 'ch'), from: alice.publicKey, initiator_amount: 5n, responder_amount: 6n, ttl: 100n, fee: 1n, nonce: 3n }],
    ];
    for (const [path, body, expected] of cases) {
      const response = await call('POST', `/v2/tx/channel/${path}`, body);
      expect(response.status, path).toBe(200);
      expect(response.body.tx, path).toBe(encodeTx(expected));
    }
  });

  it('answers the builders’ errors as the reference does', async () => {
    const good = { initiator: alice.address, initiator_amount: 7, responder: bob.address, responder_amount: 4, push_amount: 3, channel_reserve: 2, lock_period: 10, ttl: 1000, fee: 1 };
    const corrupted = `${alice.address.slice(0, -2)}zz`;
    expect(await call('POST', '/v2/tx/channel/create', { ...good, initiator: corrupted })).toMatchObject({ status: 400, body: { reason: 'Invalid hash: initiator' } });
    expect(await call('POST', '/v2/tx/channel/create', { ...good, responder: 'ch$x' })).toMatchObject({ status: 400, body: { reason: 'Invalid hash: responder' } });
    expect(await call('POST', '/v2/tx/channel/create', { ...good, initiator: stranger.address })).toMatchObject({ status: 404, body: { reason: 'Account of initiator not found' } });
    expect(await call('POST', '/v2/tx/channel/deposit', { channel_id: 'ch$1', from: bob.address, amount: 1, ttl: 1, fee: 1, nonce: 1 })).toMatchObject({ status: 400, body: { reason: 'Invalid hash: channel_id' } });
    expect(await call('POST', '/v2/tx/channel/settle', { channel_id: channelIdOf(), from: alice.address, initiator_amount: 5, ttl: 100, fee: 1, nonce: 3 })).toMatchObject({ status: 400, body: { reason: 'validation_error', info: { parameter: 'responder_amount' } } });
    expect(await call('POST', '/v2/tx/channel/create', { ...good, fee: -1 })).toMatchObject({ status: 400, body: { reason: 'validation_error' } });
    expect(await call('POST', '/v2/tx/channel/create', { ...good, sneaky: 1 })).toMatchObject({ status: 400, body: { reason: 'Invalid parameter: sneaky' } });
    // a name every object inherits is no parameter either
    expect(await call('POST', '/v2/tx/channel/create', { ...good, toString: 1 })).toMatchObject({ status: 400, body: { reason: 'Invalid parameter: toString' } });
    expect(await call('POST', '/v2/debug/mine', { constructor: 1 })).toMatchObject({ status: 400, body: { reason: 'Invalid parameter: constructor' } });
    // a required field left out is missing, before any check of the values: the nonce only the node may pick
    const missing = (parameter: string) => ({ status: 400, body: { reason: 'validation_error', parameter: 'body', info: { parameter, error: 'missing required property' } } });
    expect(await call('POST', '/v2/tx/channel/deposit', { channel_id: 'ch$1', from: bob.address, amount: 1, ttl: 1, fee: 1 })).toEqual(missing('nonce'));
    expect(await call('POST', '/v2/tx/channel/settle', { channel_id: 'ch$1', from: alice.address, initiator_amount: 5, responder_amount: 5, ttl: 100, fee: 1 })).toEqual(missing('nonce'));
    expect(await call('POST', '/v2/debug/fund', { account: bob.address })).toEqual(missing('amount'));
    expect(await call('POST', '/v2/debug/fund', { amount: 1 })).toEqual(missing('account'));
    expect(await call('POST', '/v2/tx/channel/create', '{"initiator":')).toMatchObject({ status: 400, body: { reason: 'validation_error' } });
    // Every field valid, but the tx they make does not fit a tx$: the request's fault, not a 500.
    const nearTheLimit = encode('tx', new Uint8Array(MAX_VARIABLE_PAYLOAD - 40));
    expect(await call('POST', '/v2/tx/channel/close/solo', { channel_id: channelIdOf(), from: bob.address, payload: nearTheLimit, ttl: 100, fee: 1, nonce: 1 })).toMatchObject({
      status: 400,
      body: { reason: 'Invalid tx', detail: expect.stringContaining(`at most ${MAX_VARIABLE_PAYLOAD} bytes`) },
    });
    expect(await call('POST', '/v2/tx/channel/deposit', `{"channel_id":"${channelIdOf()}","from":"${bob.address}","amount":${2n ** BigInt(8 * MAX_VARIABLE_PAYLOAD)},"ttl":1,"fee":1,"nonce":1}`)).toMatchObject({
      status: 400,
      body: { reason: 'Invalid tx' },
    });
    expect((await call('POST', '/v2/tx/channel/create', good, 'text/plain')).status).toBe(415);
    expect((await call('GET', '/v2/nothing')).status).toBe(404);
    expect((await call('DELETE', '/v2/tx/channel/create')).status).toBe(405);
  });

  it('reads the media type as cowboy does: case-insensitive, parameters aside, and nothing that merely starts like it', async () => {
    const good = { initiator: alice.address, initiator_amount: 7, responder: bob.address, responder_amount: 4, push_amount: 3, channel_reserve: 2, lock_period: 10, ttl: 1000, fee: 1, nonce: 1 };
    for (const type of ['Application/JSON', 'application/json; charset=UTF-8', 'application/json;charset=utf-8']) {
      const response = await fetch(`${base}/v2/tx/channel/create`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(good) });
      expect(response.headers.get('content-type'), type).toBe('application/json');
      expect({ status: response.status, body: await response.json() }, type).toEqual({ status: 200, body: { tx: encodeTx(create()) } });
    }
    for (const type of ['application/jsonx', 'application/json-patch+json', 'text/json']) {
      expect(await call('POST', '/v2/tx/channel/create', good, type), type).toEqual({ status: 415, body: { reason: 'Content-Type must be application/json' } });
    }
  });

  it('reads a body of up to 1 MiB, and answers 413 to one byte more', async () => {
    const padded = (size: number) => {
      const json = '{"tx":"tx$1"}';
      return `${json}${' '.repeat(size - json.length)}`;
    };
    expect(await call('POST', '/v2/tx', padded(1 << 20))).toMatchObject({ status: 400, body: { reason: 'Invalid base58Check encoding' } });
    expect(await call('POST', '/v2/tx', padded((1 << 20) + 1))).toEqual({ status: 413, body: { reason: 'body larger than 1048576 bytes' } });
  });

  it('names the methods a route takes in the Allow header of its 405, as cowboy_rest does', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/v2/tx/channel/create', 'POST, OPTIONS'],
      ['GET', '/v2/tx', 'POST, OPTIONS'],
      ['PUT', `/v2/account/${alice.address}/balance`, 'GET, OPTIONS'],
      ['HEAD', '/v2/top', 'GET, OPTIONS'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('content-type'), `${method} ${path}`).toBe('application/json');
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });

  it('validates every field of a body against the schema before it decodes any, as the reference does', async () => {
    const good = { initiator: alice.address, initiator_amount: 7, responder: bob.address, responder_amount: 4, push_amount: 3, channel_reserve: 2, lock_period: 10, ttl: 1000, fee: 1 };
    const corrupted = `${alice.address.slice(0, -2)}zz`;
    // An invalid hash and a wrong type: the schema fails first, whatever the order of the fields.
    expect(await call('POST', '/v2/tx/channel/create', { ...good, initiator: corrupted, fee: '1' })).toMatchObject({
      status: 400,
      body: { reason: 'validation_error', info: { parameter: 'fee', error: 'expected a non-negative integer' } },
    });
    expect(await call('POST', '/v2/tx/channel/deposit', { channel_id: 'ch$1', from: 7, amount: 1, ttl: 1, fee: 1, nonce: 1 })).toMatchObject({
      status: 400,
      body: { reason: 'validation_error', info: { parameter: 'from', error: 'expected an ak$ string' } },
    });
    // push_amount is ignored, but must still be a valid one.
    expect(await call('POST', '/v2/tx/channel/create', { ...good, push_amount: -3 })).toMatchObject({ status: 400, body: { reason: 'validation_error', info: { parameter: 'push_amount' } } });
    expect(await call('POST', '/v2/tx/channel/create', { ...good, nonce: 'next' })).toMatchObject({ status: 400, body: { reason: 'validation_error', info: { parameter: 'nonce' } } });
    expect(await call('POST', '/v2/tx/channel/settle', { channel_id: channelIdOf(), from: alice.address, initiator_amount: 5, ttl: 100, fee: 1, nonce: 3 })).toMatchObject({
      status: 400,
      body: { reason: 'validation_error', info: { parameter: 'responder_amount', error: 'missing required property' } },
    });
    expect(await call('POST', '/v2/tx', { tx: 5 })).toMatchObject({ status: 400, body: { reason: 'validation_error', info: { parameter: 'tx' } } });
  });

  it('keeps integers beyond 2^53 exact in both directions', async () => {
    const huge = 2n ** 70n + 1n;
    const response = await fetch(`${base}/v2/tx/channel/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"channel_id":"${channelIdOf()}","from":"${bob.address}","amount":${huge},"ttl":1,"fee":1,"nonce":1}`,
    });
    const tx = decodeTx(((await response.json()) as { tx: string }).tx, 'channel_deposit_tx');
    expect(tx.amount).toBe(huge);
    chain.fund(stranger.publicKey, huge);
    const balance = await fetch(`${base}/v2/account/${stranger.address}/balance`);
    expect(await balance.text()).toBe(`{"balance":${huge}}`);
  });

  it('posts a tx, shows it pending, then mined; refuses bad ones with the mempool’s reason', async () => {
    const tx = await signed(create(), alice, bob);
    const posted = await call('POST', '/v2/tx', { tx: encodeTx(tx) });
    expect(posted).toMatchObject({ status: 200, body: { tx_hash: chain.tx(posted.body.tx_hash as `th$${string}`)?.hash } });
    const hash = posted.body.tx_hash as string;

    const pending = await call('GET', `/v2/tx/${hash}?tx_encoding=json`);
    expect(pending.body).toMatchObject({ data_schema: 'SingleTxJSON', transaction: { block_height: -1n, block_hash: 'none', hash } });
    expect((await call('GET', `/v2/account/${alice.address}/balance`)).body).toEqual({ balance: 50n });

    expect((await call('POST', '/v2/debug/mine', { blocks: 1 })).body).toMatchObject({ height: 1n });
    const mined = await call('GET', `/v2/tx/${hash}?tx_encoding=json`);
    expect(mined.body.transaction).toMatchObject({
      block_height: 1n,
      hash,
      signatures: tx.signatures.map((signature) => encode('sg', signature)),
      tx: { type: 'channel_create_tx', vsn: 1n, data_schema: 'ChannelCreateTxJSON', initiator: alice.address, initiator_amount: 7n, responder_amount: 4n, nonce: 1n },
    });
    expect((mined.body.transaction as { block_hash: string }).block_hash).toMatch(/^bh\$/);
    expect((await call('GET', `/v2/account/${alice.address}/balance`)).body).toEqual({ balance: 42n });
    expect((await call('GET', `/v2/account/${bob.address}/balance`)).body).toEqual({ balance: 46n });
    expect((await call('GET', `/v2/account/${alice.address}/nonce`)).body).toEqual({ nonce: 1n });
    expect((await call('GET', `/v2/channels/${channelIdOf()}`)).body).toEqual({
      id: channelIdOf(),
      initiator: alice.address,
      responder: bob.address,
      total_amount: 11n,
      initiator_amount: 7n,
      responder_amount: 4n,
      channel_reserve: 2n,
      round: 0n,
      lock_period: 10n,
      closes_at: 0n,
    });
    expect(await call('GET', `/v2/channels/${encode('ch', new Uint8Array(32))}`)).toEqual({ status: 404, body: { reason: 'Channel not found' } });
    expect(await call('GET', '/v2/channels/ch$1')).toEqual({ status: 400, body: { reason: 'Invalid hash: channel_id' } });
    // A path segment escaped the standard way (`$` as %24) names the same channel, as for accounts and txs.
    expect(await call('GET', `/v2/channels/${encodeURIComponent(channelIdOf())}`)).toMatchObject({ status: 200, body: { total_amount: 11n } });
    expect((await call('GET', `/v2/account/${encodeURIComponent(alice.address)}/nonce`)).body).toEqual({ nonce: 1n });
    expect(await call('GET', `/v2/tx/${encodeURIComponent(hash)}?tx_encoding=json`)).toMatchObject({ status: 200, body: { transaction: { hash } } });

    // The seed's older rule: the hash of the unsigned tx finds the same tx.
    const unsignedHash = chain.tx(hash as `th$${string}`)?.unsignedHash ?? '';
    expect((await call('GET', `/v2/tx/${unsignedHash}`)).body).toMatchObject({ transaction: { hash } });

    expect(await call('POST', '/v2/tx', { tx: encodeTx(await signed({ ...create(), nonce: 2n }, alice)) })).toMatchObject({ status: 400, body: { reason: 'signature_check_failed' } });
    expect(await call('POST', '/v2/tx', { tx: encodeTx(create()) })).toMatchObject({ status: 400, body: { reason: 'Invalid tx' } });
    // a nonce already used: the reference's name says the account's nonce is too high for it
    const spend = { type: 'spend_tx', sender: alice.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() } as const;
    expect(await call('POST', '/v2/tx', { tx: encodeTx(await signed(spend, alice)) })).toMatchObject({ status: 400, body: { reason: 'account_nonce_too_high' } });
    // a legacy 65-byte secp256k1 sender: v0.14 verifies ed25519 only, so nothing signed it (not a 500)
    const legacySender = Uint8Array.of(4, ...new Uint8Array(64).fill(7));
    expect(await call('POST', '/v2/tx', { tx: encodeTx(await signed({ ...spend, sender: legacySender }, alice)) })).toMatchObject({ status: 400, body: { reason: 'signature_check_failed' } });
    expect(await call('POST', '/v2/tx', { tx: 'tx$garbage' })).toMatchObject({ status: 400, body: { reason: 'Invalid base58Check encoding' } });
    expect(await call('GET', '/v2/tx/th$nope')).toMatchObject({ status: 400, body: { reason: 'Invalid hash: tx_hash' } });
    expect(await call('GET', `/v2/tx/${encode('th', new Uint8Array(32))}`)).toMatchObject({ status: 404, body: { reason: 'Transaction not found' } });
    expect((await call('GET', `/v2/tx/${hash}?tx_encoding=message_pack`)).status).toBe(400);
    // a query parameter the schema refuses is named as such, not as the body
    expect(await call('GET', `/v2/tx/${hash}?tx_encoding=xml`)).toEqual({ status: 400, body: { reason: 'validation_error', parameter: 'tx_encoding', info: { parameter: 'tx_encoding', error: 'must be json or message_pack' } } });
    expect(await call('GET', `/v2/account/${stranger.address.replace('ak$', 'ak$1')}/balance`)).toMatchObject({ status: 400 });
  });

  it('takes a posted tx whose signatures are not sorted, as v0.14 does, under the hash of the sorted one', async () => {
    const deposit = { type: 'channel_deposit_tx', channel_id: decode(channelIdOf(), 'ch'), from: alice.publicKey, amount: 1n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    const sorted = await signed(deposit, alice, bob);
    const [tag, vsn, signatures, inner] = decodeRlp(serializeTx(sorted)) as [Uint8Array, Uint8Array, Uint8Array[], Uint8Array];
    const unsorted = encode('tx', encodeRlp([tag, vsn, [...signatures].reverse(), inner]));
    expect(unsorted).not.toBe(encodeTx(sorted));
    expect(await call('POST', '/v2/tx', { tx: unsorted })).toEqual({ status: 200, body: { tx_hash: txHash(sorted) } });
    await chain.mine();
    expect(chain.tx(txHash(sorted))?.blockHeight).toBe(chain.height);
    expect(chain.channel(deposit.channel_id)?.total_amount).toBe(12n);
    // The reference's JSON names the deposit's channel `channel` [quirk], and nothing else.
    expect((await call('GET', `/v2/tx/${txHash(sorted)}?tx_encoding=json`)).body.transaction).toMatchObject({
      block_height: BigInt(chain.height),
      tx: { type: 'channel_deposit_tx', vsn: 1n, data_schema: 'ChannelDepositTxJSON', channel: channelIdOf(), from: alice.address, amount: 1n, ttl: 1000n, fee: 1n, nonce: 2n },
    });
    expect(((await call('GET', `/v2/tx/${txHash(sorted)}`)).body.transaction as { tx: object }).tx).not.toHaveProperty('channel_id');
  });

  it('names each tx type’s data_schema as the reference does (a slash has none)', async () => {
    const id = decode(channelIdOf(), 'ch');
    const payload = serializeTx(await signed({ type: 'channel_offchain_tx', channel_id: id, previous_round: 0n, round: 1n, initiator: alice.publicKey, responder: bob.publicKey, initiator_amount: 6n, responder_amount: 6n, updates: [], state: new Uint8Array() }, alice, bob));
    const cases: [UnsignedTx, Signer[], string | undefined][] = [
      [{ type: 'channel_withdraw_tx', channel_id: id, to: bob.publicKey, amount: 1n, ttl: 1000n, fee: 1n, nonce: 1n }, [alice, bob], 'ChannelWithdrawalTxJSON'],
      [{ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 5n, responder_amount: 6n, ttl: 1000n, fee: 1n, nonce: 3n }, [alice, bob], 'ChannelCloseMutualTxJSON'],
      [{ type: 'channel_close_solo_tx', channel_id: id, from: bob.publicKey, payload, ttl: 1000n, fee: 1n, nonce: 2n }, [bob], 'ChannelCloseSoloTxJSON'],
      [{ type: 'channel_slash_tx', channel_id: id, from: bob.publicKey, payload, ttl: 1000n, fee: 1n, nonce: 3n }, [bob], undefined],
      [{ type: 'channel_settle_tx', channel_id: id, from: bob.publicKey, initiator_amount: 5n, responder_amount: 6n, ttl: 1000n, fee: 1n, nonce: 4n }, [bob], 'ChannelSettleTxJSON'],
      [{ type: 'spend_tx', sender: bob.publicKey, recipient: alice.publicKey, amount: 1n, fee: 1n, nonce: 5n, payload: new Uint8Array() }, [bob], 'SpendTxJSON'],
    ];
    for (const [tx, signers, schema] of cases) {
      const posted = await call('POST', '/v2/tx', { tx: encodeTx(await signed(tx, ...signers)) });
      expect(posted.status, tx.type).toBe(200);
      const shown = (await call('GET', `/v2/tx/${posted.body.tx_hash as string}?tx_encoding=json`)).body.transaction as { tx: Record<string, unknown> };
      expect(shown.tx.type, tx.type).toBe(tx.type);
      expect(shown.tx.data_schema, tx.type).toBe(schema);
      expect(shown.tx.channel_id ?? shown.tx.sender, tx.type).toBe(tx.type === 'spend_tx' ? bob.address : channelIdOf());
    }
  });

  it('mines through the dev endpoint, refusing an unknown key or a count out of range instead of mining a block anyway', async () => {
    const before = chain.height;
    expect(await call('POST', '/v2/debug/mine', { block: 5 })).toEqual({ status: 400, body: { reason: 'Invalid parameter: block' } });
    for (const blocks of [0, 10_001, -1]) expect((await call('POST', '/v2/debug/mine', { blocks })).status, String(blocks)).toBe(400);
    expect(chain.height).toBe(before);
    expect(await call('POST', '/v2/debug/mine', {})).toEqual({ status: 200, body: { height: BigInt(before + 1), hash: chain.topBlock.hash } });
    expect(await call('POST', '/v2/debug/mine', { blocks: 2 })).toEqual({ status: 200, body: { height: BigInt(before + 3), hash: chain.topBlock.hash } });
    expect((await call('GET', '/v2/top')).body).toEqual({ height: BigInt(before + 3), hash: chain.topBlock.hash });
  });

  it('funds accounts through the dev endpoint', async () => {
    const fresh = await createSigner(new Uint8Array(32).fill(99));
    expect(await call('GET', `/v2/account/${fresh.address}/balance`)).toMatchObject({ status: 404, body: { reason: 'Account not found' } });
    expect((await call('POST', '/v2/debug/fund', { account: fresh.address, amount: 123 })).body).toEqual({ balance: 123n });
    expect((await call('GET', `/v2/account/${fresh.address}/balance`)).body).toEqual({ balance: 123n });
  });

  it('gives a ChainError reason as the 400 of POST /tx at admission, and as `rejected` of GET /tx once a block dropped the tx', async () => {
    // a key with no account: a spend from it passes admission and no block takes it
    const nobody = await createSigner(new Uint8Array(32).fill(98));
    const spend = { type: 'spend_tx', sender: nobody.publicKey, recipient: bob.publicKey, amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array() } as const;
    expect(await call('POST', '/v2/tx', { tx: encodeTx(await signed({ ...spend, fee: 0n }, nobody)) })).toMatchObject({ status: 400, body: { reason: 'too_low_fee' } });
    const posted = await call('POST', '/v2/tx', { tx: encodeTx(await signed(spend, nobody)) });
    expect(posted.status).toBe(200);
    const { height } = (await call('POST', '/v2/debug/mine', {})).body;
    expect(await call('GET', `/v2/tx/${posted.body.tx_hash as string}?tx_encoding=json`)).toEqual({
      status: 404,
      body: { reason: 'Transaction not found', rejected: 'account_not_found', at_height: height },
    });
  });

  it('lets a page of another origin call it, as v0.14’s CORS middleware does: the preflight of a JSON POST, then the origin on every answer', async () => {
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${base}/v2/tx`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(200);
    expect(await preflight.text()).toBe('');
    expect(Object.fromEntries(['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'vary'].map((name) => [name, preflight.headers.get(name)]))).toEqual({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
      vary: 'origin',
    });
    const posted = await fetch(`${base}/v2/tx`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"tx":"tx$1"}' });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('access-control-allow-origin')).toBe(origin);
    const top = await fetch(`${base}/v2/top`, { headers: { origin } });
    expect(top.status).toBe(200);
    expect(top.headers.get('access-control-allow-origin')).toBe(origin);
    // No Origin (not a page): no CORS headers; an unknown path stays 404, preflight or not.
    expect((await fetch(`${base}/v2/top`)).headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${base}/v2/nothing`, { method: 'OPTIONS', headers: { origin } })).status).toBe(404);
  });
});

/**
 * The types the packages publish, as an app compiled with `strict` meets them. `tsc` checks
 * this file against the built declarations (dist/*.d.ts, through the packages' `exports`; see
 * test/tsconfig.json, run by `pnpm typecheck`): `expectTypeOf` fails to compile on a wrong type
 * and a `@ts-expect-error` line fails when the line compiles. vitest runs it against the sources,
 * where the values behind the types are checked as well.
 */
import { type CliIo, type FormatOptions, formatValueReport, type InspectOptions, inspectValue, type OverlongLine, readLines } from '@aesc/cli';
import type {
  ApproveHook,
  ChannelEvents,
  ChannelSnapshot,
  ChannelTxBuilder,
  ChannelTxBuilderBodies,
  ChannelTxBuilderResults,
  ChannelWatch,
  ClientError,
  CloseSoloOptions,
  CoSignedState,
  ConnectOptions,
  FileStoreFileSystem,
  FileStoreHandle,
  FileStoreOptions,
  NodeClientOptions,
  PolicyLimits,
  RequestOptions,
  SettleOptions,
  SignContext,
  SignPolicy,
  StateStore,
  WaitForHeightOptions,
  WaitForTxOptions,
  WaitOptions,
  WatchEvent,
  WatchOptions,
  WatchOutcome,
  WebSocketConstructor,
} from '@aesc/client';
import { ChannelClient, checkSignRequest, closeSolo, FileStore, MemoryStore, NodeClient, settle, WATCH_BAD_RESPONSE_LIMIT, watchChannel } from '@aesc/client';
import { type Block, type DevnodeOptions, startDevnode } from '@aesc/devnode';
import { type AccountPubkey, type ChannelId, encode, type Encoded, type EncodedTx, isEncoded, parse, type Parsed, type TxHash } from '@aesc/encoding';
import {
  type ChannelParams,
  type Dialect,
  type FromQueryOptions,
  fromQuery,
  type InfoEvent,
  type ParseJsonOptions,
  parseClientMessage,
  parseJsonExact,
  parseNodeMessage,
  type SeedNodeMessage,
  type SignTag,
  signReply,
  type SignReply,
  toQuery,
  type UpdateNewRequest,
} from '@aesc/schema';
import { createSigner, type SignatureVerifier, signTx, verifySignedTx, type VerifyOptions } from '@aesc/signer';
import {
  type ChannelCloseMutualTxLegacy,
  type ChannelCloseMutualTxV014,
  type ChannelCreateTx,
  type ChannelOffchainTx,
  channelId,
  decodeTx,
  deserializeTx,
  encodeTx,
  serializeTx,
  type SignedTx,
  type Tx,
  type TxExpectation,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { describe, expect, expectTypeOf, it } from 'vitest';

/** The seed's create tx (packages/tx/README.md). */
const CREATE_TX =
  'tx$5PhAaYRsMhZQv7TYgNhCG9k9BRFLZDSD6pDyGbQTWy4vfRADBcVvTck9xUG3nUvXwrFLAsZp9Hx5p9cXJcFUKmj1g6qrUDqGYGdYya5Bo3mSWbR1cfVKKWA3ao3m6SEom';

describe('@aesc/encoding', () => {
  it('types an encoded string by its prefix', () => {
    const account = encode('ak', new Uint8Array(32));
    expectTypeOf(account).toEqualTypeOf<AccountPubkey>();
    const id: ChannelId = encode('ch', new Uint8Array(32));
    // @ts-expect-error a ch$ id is no ak$ account
    const notAnAccount: AccountPubkey = id;
    expect(notAnAccount.startsWith('ch$')).toBe(true);

    const parsed = parse(account, ['ak', 'ch']);
    expectTypeOf(parsed).toEqualTypeOf<Parsed<'ak' | 'ch'>>();
    const value: unknown = account;
    if (isEncoded(value, 'ak')) expectTypeOf(value).toEqualTypeOf<Encoded<'ak'>>();
    expect(parsed.prefix).toBe('ak');
  });
});

describe('@aesc/tx', () => {
  it('gives decodeTx and deserializeTx the type the expectation names', () => {
    const create = decodeTx(CREATE_TX, 'channel_create_tx');
    expectTypeOf(create).toEqualTypeOf<ChannelCreateTx>();
    expectTypeOf(decodeTx(CREATE_TX, 'unsigned')).toEqualTypeOf<UnsignedTx>();
    expectTypeOf(decodeTx(CREATE_TX)).toEqualTypeOf<Tx>();
    expectTypeOf(decodeTx(CREATE_TX, 'any')).toEqualTypeOf<Tx>();
    const bytes = serializeTx(create);
    expectTypeOf(deserializeTx(bytes, 'channel_create_tx')).toEqualTypeOf<ChannelCreateTx>();
    expectTypeOf(deserializeTx(bytes, 'unsigned')).toEqualTypeOf<UnsignedTx>();
    expectTypeOf(deserializeTx).toBeCallableWith(bytes, 'signed_tx');
    expect(create.type).toBe('channel_create_tx');
  });

  it('takes an expectation held in a TxExpectation variable', () => {
    // The package exports TxExpectation as the type of `expected`; no overload took one.
    const expectations: TxExpectation[] = ['any', 'unsigned', 'channel_create_tx'];
    for (const expected of expectations) {
      const tx = decodeTx(CREATE_TX, expected);
      expectTypeOf(tx).toEqualTypeOf<Tx>();
      expect(deserializeTx(serializeTx(tx), expected)).toEqual(tx);
    }
  });

  it('narrows transactions on `type`, and a close_mutual on its layout', () => {
    const tx = decodeTx(CREATE_TX);
    if (tx.type === 'signed_tx') expectTypeOf(tx.tx).toEqualTypeOf<UnsignedTx>();
    else if (tx.type === 'channel_create_tx') expectTypeOf(tx.initiator_amount).toEqualTypeOf<bigint>();
    else if (tx.type === 'channel_close_mutual_tx') {
      if ('from' in tx) expectTypeOf(tx).toEqualTypeOf<ChannelCloseMutualTxLegacy>();
      else expectTypeOf(tx).toEqualTypeOf<ChannelCloseMutualTxV014>();
    }
    expect(tx.type).toBe('channel_create_tx');
    if (tx.type !== 'channel_create_tx') return;
    expectTypeOf(channelId(tx)).toEqualTypeOf<ChannelId>();
    expectTypeOf(txHash(tx)).toEqualTypeOf<TxHash>();
  });

  it('refuses a key the tx type does not have in an object literal, which writing would not write', () => {
    const create = decodeTx(CREATE_TX, 'channel_create_tx');
    // @ts-expect-error push_amount is no field of a channel_create_tx of this era
    const encoded = encodeTx({ ...create, push_amount: 5n });
    // The README says why the type is the check: the key is not written (and not checked).
    expect(encoded).toBe(encodeTx(create));
  });
});

describe('@aesc/signer', () => {
  it('signs for an ak$ address', async () => {
    const signer = await createSigner(new Uint8Array(32).fill(1));
    expectTypeOf(signer.address).toEqualTypeOf<AccountPubkey>();
    const signed = await signTx(decodeTx(CREATE_TX, 'channel_create_tx'), signer);
    expectTypeOf(signed).toEqualTypeOf<SignedTx>();
    const decoded = decodeTx(encodeTx(signed), 'signed_tx');
    expectTypeOf(decoded).toEqualTypeOf<SignedTx>();
    expect(decoded.signatures).toHaveLength(1);
  });
});

describe('@aesc/schema', () => {
  it('narrows frames by action, tag and dialect', () => {
    const request = parseNodeMessage(`{"action":"sign","tag":"initiator_signed","payload":{"tx":"${CREATE_TX}"}}`, { dialect: 'seed' });
    expectTypeOf(request).toEqualTypeOf<SeedNodeMessage>();
    expect(request.action).toBe('sign');
    if (request.action !== 'sign') return;
    expectTypeOf(request.payload.tx).toEqualTypeOf<EncodedTx>();
    expectTypeOf(signReply(request.tag, CREATE_TX).action).toEqualTypeOf<typeof request.tag>();

    const frame = parseClientMessage(`{"action":"update","payload":{"tx":"${CREATE_TX}"}}`);
    if (frame.action === 'update') {
      if ('tag' in frame) expectTypeOf(frame).toEqualTypeOf<UpdateNewRequest>();
      else expectTypeOf(frame).toEqualTypeOf<SignReply>();
    }
    expect('tag' in frame).toBe(false);
  });
});

describe('@aesc/client', () => {
  it('exports every type its public signatures name', async () => {
    expectTypeOf<Parameters<typeof checkSignRequest>[3]>().toEqualTypeOf<PolicyLimits>();
    expectTypeOf<Parameters<NodeClient['waitForHeight']>[1]>().toEqualTypeOf<WaitForHeightOptions | undefined>();
    expectTypeOf<WaitForHeightOptions>().toExtend<WaitOptions>();
    expectTypeOf<FileStoreOptions['fs']>().toEqualTypeOf<FileStoreFileSystem | undefined>();
    expectTypeOf<ReturnType<FileStoreFileSystem['open']>>().toEqualTypeOf<Promise<FileStoreHandle>>();
    expectTypeOf<ChannelTxBuilder>().toEqualTypeOf<keyof ChannelTxBuilderBodies>();
    expectTypeOf<ChannelTxBuilderResults['create']>().toEqualTypeOf<ChannelCreateTx>();
    expectTypeOf<Parameters<typeof watchChannel>[0]>().toEqualTypeOf<WatchOptions>();
    expectTypeOf<ReturnType<typeof watchChannel>>().toEqualTypeOf<ChannelWatch>();
    expectTypeOf<ChannelWatch['done']>().toEqualTypeOf<Promise<WatchOutcome>>();
    expectTypeOf<Parameters<NonNullable<WatchOptions['onEvent']>>[0]>().toEqualTypeOf<WatchEvent>();
    expectTypeOf<Extract<WatchEvent, { type: 'error' }>['error']>().toEqualTypeOf<ClientError>();
    expect(WATCH_BAD_RESPONSE_LIMIT).toBe(3);

    const body: ChannelTxBuilderBodies['deposit'] = {
      channel_id: encode('ch', new Uint8Array(32)),
      from: encode('ak', new Uint8Array(32)),
      amount: 1n,
      ttl: 10n,
      fee: 1n,
      nonce: 1n,
    };
    const node = new NodeClient('http://127.0.0.1:9/v2', { fetch: async () => new Response('{"tx":"not a tx"}') });
    const built = node.buildChannelTx('deposit', body);
    expectTypeOf(built).resolves.toEqualTypeOf<{ tx: ChannelTxBuilderResults['deposit']; encoded: EncodedTx }>();
    await expect(built).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('makes the frozen co-signed state read-only', async () => {
    const signed = await signTx(decodeTx(CREATE_TX, 'channel_create_tx'), await createSigner(new Uint8Array(32).fill(1)));
    // As the client hands it out: frozen (README, Events). Its tx is no offchain tx here; only the types matter.
    const state = Object.freeze({
      round: 1n,
      balances: Object.freeze({ initiator: 1n, responder: 2n }),
      state: Object.freeze({ ...signed, tx: Object.freeze(signed.tx) }) as unknown as SignedTx & { tx: ChannelOffchainTx },
      encoded: CREATE_TX,
    }) satisfies CoSignedState as CoSignedState;
    expect(() => {
      // @ts-expect-error a co-signed state is frozen
      state.round = 2n;
    }).toThrow(TypeError);
    expect(() => {
      // @ts-expect-error so are its balances
      state.balances.initiator = 0n;
    }).toThrow(TypeError);
    expect(() => {
      // @ts-expect-error and its tx
      state.state.tx.round = 2n;
    }).toThrow(TypeError);
    // Still what the functions that take a SignedTx take.
    expectTypeOf(state.state).toExtend<SignedTx>();
  });

  it('hands a store the snapshot to save as read-only', async () => {
    const snapshot: ChannelSnapshot = Object.freeze({ channelId: encode('ch', new Uint8Array(32)), role: 'initiator', createTx: CREATE_TX });
    const store: StateStore = {
      load: async () => undefined,
      list: async () => [],
      save: async (saved) => {
        // @ts-expect-error the client's own snapshots are frozen
        saved.round = 2n;
      },
    };
    await expect(store.save(snapshot)).rejects.toThrow(TypeError);
  });

  it("requires the initiator's host, which the node refuses to go without", async () => {
    const signer = await createSigner(new Uint8Array(32).fill(1));
    const terms = {
      initiator: signer.address,
      responder: encode('ak', new Uint8Array(32).fill(2)),
      lock_period: 10n,
      push_amount: 0n,
      initiator_amount: 500n,
      responder_amount: 300n,
      channel_reserve: 10n,
      ttl: 1000n,
      port: 20_000,
    };
    // The url is refused first, so that nothing connects: only the types are under test here.
    const url = 'http://not-a-websocket';
    await expect(ChannelClient.connect({ url, role: 'responder', params: terms, signer })).rejects.toThrow(TypeError);
    await expect(ChannelClient.connect({ url, role: 'initiator', params: { ...terms, host: 'localhost' }, signer })).rejects.toThrow(TypeError);
    // @ts-expect-error an initiator without a host
    await expect(ChannelClient.connect({ url, role: 'initiator', params: terms, signer })).rejects.toThrow(TypeError);
    // A role only known at run time takes the parameters of either role, as before.
    const options: ConnectOptions = { url, role: Math.random() < 2 ? 'initiator' : 'responder', params: terms, signer };
    await expect(ChannelClient.connect(options)).rejects.toThrow(TypeError);
  });

  it('types sign requests, refusals and info events by the values the node can send', () => {
    expectTypeOf<ChannelEvents['signRequest']['tag']>().toEqualTypeOf<SignTag>();
    expectTypeOf<ChannelEvents['signRequest']['encoded']>().toEqualTypeOf<EncodedTx>();
    expectTypeOf<ChannelEvents['signRefused']['tag']>().toEqualTypeOf<SignTag>();
    expectTypeOf<ChannelEvents['info']['event']>().toEqualTypeOf<InfoEvent>();
    expectTypeOf<Parameters<ApproveHook>[1]['tag']>().toEqualTypeOf<SignTag>();
    // a hook written against plain strings still fits
    const hook: ApproveHook = (_tx, { tag }: { tag: string }) => tag.length > 0;
    expect(hook).toBeTypeOf('function');
  });
});

/** A value an app holds as "maybe", e.g. from its config: typed `T | undefined`, here undefined. */
const unset = <T>(): T | undefined => undefined;

// Under the app's `exactOptionalPropertyTypes` (this repository's own setting), an option typed
// `x?: T` refused `{ x: maybeX }`. Each option an input may leave out takes an explicit undefined,
// which the code reads as left out.
describe('an option given as undefined is an option left out', () => {
  it('@aesc/schema and @aesc/signer', async () => {
    const jsonOptions: ParseJsonOptions = { duplicateKeys: unset<'last' | 'refuse'>() };
    expect(parseJsonExact('{"a":1,"a":2}', jsonOptions)).toEqual({ a: 2n });
    const responder = encode('ak', new Uint8Array(32).fill(2));
    const params: ChannelParams = {
      role: 'responder',
      initiator: encode('ak', new Uint8Array(32).fill(1)),
      responder,
      lock_period: 10n,
      push_amount: 0n,
      initiator_amount: 5n,
      responder_amount: 3n,
      channel_reserve: 1n,
      ttl: 100n,
      port: 3015,
      host: unset<string>(),
      minimum_depth: unset<bigint>(),
      timeout_idle: unset<number>(),
      report_info: unset<boolean>(),
    };
    const { host: _host, minimum_depth: _depth, timeout_idle: _idle, report_info: _info, ...given } = params;
    expect(toQuery(params)).toBe(toQuery(given));
    const queryOptions: FromQueryOptions = { ignoreUnknown: unset<boolean>() };
    expect(() => fromQuery(`${toQuery(params)}&timeout_acept=1`, queryOptions)).toThrow(expect.objectContaining({ code: 'UNKNOWN_PARAM' }));
    expect(parseNodeMessage('{"action":"info","payload":{"event":"open"}}', { dialect: unset<Dialect>() }).action).toBe('info');

    const signer = await createSigner(new Uint8Array(32).fill(1));
    const signed = await signTx(decodeTx(CREATE_TX, 'channel_create_tx'), signer);
    const verifyOptions: VerifyOptions = { legacy: unset<SignatureVerifier>() };
    expect(await verifySignedTx(signed, [signer.address], verifyOptions)).toMatchObject({ valid: true });
  });

  it('@aesc/cli as a library', async () => {
    const inspectOptions: InspectOptions = { signers: unset<readonly AccountPubkey[]>() };
    const formatOptions: FormatOptions = { signers: unset<readonly string[]>() };
    const report = await inspectValue(CREATE_TX, inspectOptions);
    expect(formatValueReport(report, formatOptions)).toBe(formatValueReport(await inspectValue(CREATE_TX)));
    // readLines names its overlong line by an exported type
    const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdin: async function* () { yield 'abcdef\nab\n'; } };
    const lines: (string | OverlongLine)[] = [];
    for await (const line of readLines(io.stdin(), 3)) lines.push(line);
    expect(lines).toEqual([{ overlong: true, length: 6 }, 'ab']);
  });

  it('@aesc/devnode and @aesc/client', async () => {
    const devnodeOptions: DevnodeOptions = {
      httpPort: 0,
      wsPort: 0,
      host: unset<string>(),
      genesis: unset<DevnodeOptions['genesis'] & object>(),
      blockInterval: unset<number>(),
      dialect: unset<Dialect>(),
      minimumDepth: unset<bigint>(),
      idleTimeoutMs: unset<number>(),
    };
    const devnode = await startDevnode(devnodeOptions);
    try {
      expect(devnode.dialect).toBe('seed');
      expect(devnode.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/);
      expectTypeOf<Parameters<typeof devnode.chain.onBlock>[0]>().toEqualTypeOf<(block: Block) => void>();

      const nodeOptions: NodeClientOptions = { fetch: unset<typeof fetch>(), timeoutMs: unset<number>() };
      const node = new NodeClient(devnode.httpUrl, nodeOptions);
      const requestOptions: RequestOptions = { signal: unset<AbortSignal>(), timeoutMs: unset<number>() };
      expect(await node.getHeight(requestOptions)).toBe(0n);
      const heightOptions: WaitForHeightOptions = { onProgress: unset<() => void>(), timeoutMs: unset<number>(), pollMs: unset<number>(), signal: unset<AbortSignal>() };
      expect(await node.waitForHeight(0n, heightOptions)).toBe(0n);
      const txOptions: WaitForTxOptions = { confirmations: unset<bigint>(), onProgress: unset<() => void>() };
      expectTypeOf(node.waitForTx).toBeCallableWith(encode('th', new Uint8Array(32)), txOptions);
      const [signer, peer] = await Promise.all([createSigner(new Uint8Array(32).fill(1)), createSigner(new Uint8Array(32).fill(2))]);
      const body: ChannelTxBuilderBodies['create'] = {
        initiator: signer.address,
        initiator_amount: 5n,
        responder: peer.address,
        responder_amount: 3n,
        push_amount: unset<bigint>(),
        channel_reserve: 1n,
        lock_period: 10n,
        ttl: 100n,
        fee: 1n,
        nonce: unset<bigint>(),
      };
      await node.debugFund(signer.address, 10n);
      expect((await node.buildChannelTx('create', body)).tx).toMatchObject({ type: 'channel_create_tx', nonce: 1n });

      const id = channelId({ initiator: signer.publicKey, nonce: 1n, responder: peer.publicKey });
      const dispute = {
        node,
        signer,
        channelId: id,
        fee: unset<bigint>(),
        ttl: unset<bigint>(),
        nonce: unset<bigint>(),
        confirmations: unset<bigint>(),
        timeoutMs: unset<number>(),
        pollMs: unset<number>(),
        signal: unset<AbortSignal>(),
        onProgress: unset<() => void>(),
      };
      // Past the option checks, to what the store and the chain hold.
      const closeOptions: CloseSoloOptions = { ...dispute, store: new MemoryStore() };
      await expect(closeSolo(closeOptions)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const settleOptions: SettleOptions = { ...dispute, waitUntilClosable: unset<boolean>() };
      await expect(settle(settleOptions)).rejects.toMatchObject({ code: 'CHANNEL_NOT_FOUND' });
      const { nonce: _n, confirmations: _c, onProgress: _p, ...watched } = dispute;
      const watchOptions: WatchOptions = { ...watched, store: new MemoryStore(), settle: unset<boolean>(), ttlMargin: unset<bigint>(), onEvent: unset<(event: WatchEvent) => void>() };
      await expect(watchChannel(watchOptions).done).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const fileStoreOptions: FileStoreOptions = { fs: unset<FileStoreFileSystem>() };
      expect(new FileStore('channels', fileStoreOptions).pathOf(id)).toMatch(/channels/);
      const snapshot: ChannelSnapshot = { channelId: id, role: 'initiator', createTx: CREATE_TX, state: unset<EncodedTx>(), round: unset<bigint>(), closeTx: unset<EncodedTx>() };
      expectTypeOf(new MemoryStore().save).toBeCallableWith(snapshot);

      const policy: SignPolicy = { maxFee: unset<bigint>(), approve: unset<ApproveHook>(), nextNonce: unset<(account: AccountPubkey) => Promise<bigint>>() };
      // The create's terms, without the tx fields no connection parameter has (connect refuses those).
      const { fee: _fee, nonce: _nonce, ...createTerms } = body;
      const options: ConnectOptions<'responder'> = {
        url: 'ws://127.0.0.1:9/channel',
        role: 'responder',
        params: { ...createTerms, lock_period: 10n, push_amount: 0n, port: 3015, host: unset<string>(), minimum_depth: unset<bigint>() },
        signer: peer,
        store: unset<StateStore>(),
        policy,
        signal: unset<AbortSignal>(),
        WebSocket: unset<WebSocketConstructor>(),
        pingIntervalMs: unset<number>(),
        callTimeoutMs: unset<number>(),
      };
      // Taken as left out: the client gets as far as dialing (nothing listens on port 9).
      await expect(ChannelClient.connect(options)).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });

      const create = decodeTx(CREATE_TX, 'channel_create_tx');
      const terms = { ...create, initiator_amount: create.initiator_amount, lock_period: create.lock_period, ttl: create.ttl };
      const context: SignContext = {
        role: 'responder',
        self: create.responder,
        terms,
        channelId: unset<Uint8Array>(),
        lastState: unset<ChannelOffchainTx>(),
        intent: undefined,
        closing: false,
        announced: unset<boolean>(),
        closed: false,
        died: unset<boolean>(),
        outstanding: undefined,
      };
      const { channelId: _id, lastState: _last, intent: _intent, announced: _announced, died: _died, outstanding: _outstanding, ...given } = context;
      expect(checkSignRequest('create', create, context, { maxFee: 100n })).toBe(checkSignRequest('create', create, given, { maxFee: 100n }));
    } finally {
      await devnode.close();
    }
  });
});

/**
 * An app's use of every package entry, as the READMEs show it, for test/packaging.test.ts to
 * compile against the packed packages as `.ts`, `.mts` and `.cts` under each module setting an
 * app may have. Never run. Every option an input may leave out is given as a value the app
 * holds as "maybe" (`T | undefined`): under the app's `exactOptionalPropertyTypes`, an option
 * typed `x?: T` refuses it, though the code reads undefined as left out.
 */
import { decode, encode, type EncodedTx, EncodingError, isEncoded, parse, type Prefix } from '@aesc/encoding';
import { channelId, decodeTx, encodeTx, toJSON, txHash, TxError, type TxExpectation } from '@aesc/tx';
import { applyTransfers, type ChannelBalances, closeMutualAmounts, type TransferProblem } from '@aesc/tx/channel';
import { createSigner, generate, signTx, verifySignedTx } from '@aesc/signer';
import type { SignatureVerifier, VerifyOptions } from '@aesc/signer';
import { legacyVerifier } from '@aesc/signer/legacy';
import { fromQuery, parseJsonExact, parseNodeMessage, SchemaError, signReply, toQuery, type Dialect } from '@aesc/schema';
import { startDevnode, type GenesisAccount } from '@aesc/devnode';
import { ChannelClient, ClientError, closeSolo, FileStore, MemoryStore, NodeClient, settle, slash } from '@aesc/client';
import type {
  ApproveHook,
  ChannelEvents,
  ChannelSnapshot,
  ConnectOptions,
  DisputeOptions,
  FileStoreFileSystem,
  SignPolicy,
  StateStore,
  WaitProgress,
  WebSocketConstructor,
} from '@aesc/client';
import { formatValueReport, inspectValue, readLines, type OverlongLine } from '@aesc/cli';

declare function maybe<T>(): T | undefined;

export async function consume(): Promise<void> {
  const key = decode('ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV', 'ak');
  const account = encode('ak', key);
  if (isEncoded(account, maybe<Prefix>())) console.log(parse(account, ['ak', 'ch']).prefix);

  const create = decodeTx('tx$', 'channel_create_tx');
  const id = channelId(create);
  console.log(txHash(create), toJSON(decodeTx(encodeTx(create), maybe<TxExpectation>())));

  const balances: ChannelBalances = { initiator: key, responder: decode(account, 'ak'), initiator_amount: 10n, responder_amount: 5n };
  const applied = applyTransfers(balances, [{ from: key, to: balances.responder, amount: 1n }], 0n);
  if ('problem' in applied) console.log(applied.problem satisfies TransferProblem, applied.index);
  else console.log(closeMutualAmounts(applied.initiator_amount, applied.responder_amount, 1n));

  const signer = await createSigner(new Uint8Array(32));
  const { signer: peer } = await generate();
  const signed = await signTx(create, signer);
  const verifyOptions: VerifyOptions = { legacy: maybe<SignatureVerifier>() };
  console.log((await verifySignedTx(signed, undefined, verifyOptions)).valid, await verifySignedTx(signed, [key], { legacy: legacyVerifier }));

  const frame = parseNodeMessage('{}', { dialect: maybe<Dialect>() });
  if (frame.action === 'sign') console.log(signReply(frame.tag, encodeTx(signed)));
  const params = fromQuery('role=responder', { ignoreUnknown: maybe<boolean>() });
  console.log(toQuery({ ...params, minimum_depth: maybe<bigint>(), timeout_idle: maybe<number>(), report_info: maybe<boolean>() }));
  console.log(parseJsonExact('{}', { duplicateKeys: maybe<'last' | 'refuse'>() }));

  const genesis: GenesisAccount[] = [{ pubkey: signer.publicKey, balance: 1000n }];
  const node = await startDevnode({
    httpPort: 0,
    wsPort: maybe<number>(),
    host: maybe<string>(),
    genesis,
    blockInterval: maybe<number>(),
    dialect: maybe<Dialect>(),
    minimumDepth: maybe<bigint>(),
    idleTimeoutMs: maybe<number>(),
  });
  await node.mine(5);
  node.chain.onBlock((block) => console.log(block.height));

  const store: StateStore = maybe<boolean>() ? new FileStore('./channels', { fs: maybe<FileStoreFileSystem>() }) : new MemoryStore();
  const policy: SignPolicy = { maxFee: maybe<bigint>(), approve: maybe<ApproveHook>(), nextNonce: maybe<SignPolicy['nextNonce'] & object>() };
  const options: ConnectOptions<'responder'> = {
    url: node.wsUrl,
    role: 'responder',
    params: { ...params, host: maybe<string>() },
    signer,
    store: maybe<StateStore>(),
    policy: maybe<SignPolicy>() ?? policy,
    signal: maybe<AbortSignal>(),
    WebSocket: maybe<WebSocketConstructor>(),
    pingIntervalMs: maybe<number>(),
    callTimeoutMs: maybe<number>(),
  };
  const channel = await ChannelClient.connect(options);
  const onError: (event: ChannelEvents['error']) => void = (error) => console.log(error.code);
  channel.on('error', onError);
  channel.on('signRefused', ({ tag, reason }) => console.warn(`refused ${tag}: ${reason}`));
  const { channelId: opened } = await channel.opened;
  const state = await channel.update({ from: signer.address, to: peer.address, amount: 10n });
  await channel.sendMessage(peer.address, 'thanks');
  const { hash } = await channel.shutdown();

  const chain = new NodeClient(node.httpUrl, { fetch: maybe<typeof fetch>(), timeoutMs: maybe<number>() });
  const onProgress = maybe<(progress: WaitProgress) => void>();
  const wait = { timeoutMs: maybe<number>(), pollMs: maybe<number>(), signal: maybe<AbortSignal>() };
  await chain.waitForTx(hash, { ...wait, confirmations: maybe<bigint>(), onProgress });
  await chain.waitForHeight(10n, { ...wait, onProgress: maybe<(progress: { height: bigint; target: bigint }) => void>() });
  console.log(await chain.getChannel(opened, { signal: maybe<AbortSignal>(), timeoutMs: maybe<number>() }));
  await chain.buildChannelTx('close/solo', { channel_id: id, from: account, payload: state.encoded, ttl: 1n, fee: 1n, nonce: maybe<bigint>() });
  const dispute: DisputeOptions = { ...wait, node: chain, signer, channelId: id, fee: maybe<bigint>(), ttl: maybe<bigint>(), nonce: maybe<bigint>(), confirmations: maybe<bigint>(), onProgress };
  await closeSolo({ ...dispute, store });
  await slash({ ...dispute, state: state.encoded });
  await settle({ ...dispute, waitUntilClosable: maybe<boolean>() });
  const snapshot: ChannelSnapshot = { channelId: id, role: 'initiator', createTx: encodeTx(signed), state: maybe<EncodedTx>(), round: maybe<bigint>(), closeTx: maybe<EncodedTx>() };
  await store.save(snapshot);
  channel.close();
  await node.close();

  const report = await inspectValue(encodeTx(signed), { signers: maybe<readonly Uint8Array[]>() });
  console.log(formatValueReport(report, { signers: maybe<readonly string[]>() }));
  for await (const line of readLines((async function* () {})())) if (typeof line !== 'string') console.log((line satisfies OverlongLine).length);

  try {
    decode('tx$', 'ak');
  } catch (error) {
    if (error instanceof EncodingError || error instanceof TxError || error instanceof SchemaError || error instanceof ClientError) console.log(error.code);
  }
}

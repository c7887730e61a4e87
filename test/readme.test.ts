import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ChannelClient, closeSolo, FileStore, MemoryStore, NodeClient } from '@aesc/client';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { createSigner, type Signer } from '@aesc/signer';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Part of each file this run writes beside package.json: two runs in one checkout must not share one. */
const RUN = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Runs `code` as an ES module written beside the root package.json, so that `@aesc/*` resolve to
 * the built packages as for any user, in the working directory `cwd`; resolves to its standard
 * output. The child runs beside this process, whose event loop stays free (a devnode of the test
 * may be serving it).
 */
async function runModule(name: string, code: string, cwd = ROOT): Promise<string> {
  const file = `${ROOT}.readme-${name}-${RUN}.mjs`;
  writeFileSync(file, code);
  try {
    return (await promisify(execFile)(process.execPath, [file], { encoding: 'utf8', cwd, timeout: 50_000 })).stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

/** The `index`th (from 0) code block of `lang` in a README. */
function codeBlock(readme: string, lang: string, index = 0): string {
  const blocks = [...readFileSync(`${ROOT}${readme}`, 'utf8').matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))];
  const block = blocks[index]?.[1];
  expect(block, `${readme}: block ${index} of ${lang}`).toBeDefined();
  return block ?? '';
}

/**
 * A README example made to print what each of its statements gives: a line that starts an
 * expression statement (`channelId(create); // 'ch$…'`, `await node.mine(5);`) prints its value on
 * one line, bytes as `Uint8Array(n)`, bigints as `5n`, a function as `function`, objects as
 * JSON; `console.log` lines print as written. `preamble` gives the names a fragment takes from its context (`secretKey`, `alice`).
 */
function instrument(example: string, preamble = ''): string {
  const show = `const __shown = (item) => typeof item === 'function' ? 'function' : item instanceof Uint8Array ? \`Uint8Array(\${item.length})\` : typeof item === 'bigint' ? \`\${item}n\` : item;
const __show = (value) => console.log(typeof __shown(value) === 'string' ? __shown(value) : JSON.stringify(value, (_key, item) => __shown(item)) ?? String(value));\n`;
  const statements = example.replace(
    /^(?!(?:import|export|const|let|var|if|try|for|while|return)\b|console\.)([^\s}/].*?);(\s*\/\/.*)?$/gm,
    (_line, expression: string) => `__show(${expression});`,
  );
  return `${show}${preamble}\n${statements}`;
}

/**
 * Type-checks TypeScript modules (name → text) as an app compiled with test/tsconfig.json meets
 * the packages: `strict`, the built declarations through the packages' `exports`. Resolves to
 * `tsc`'s report, empty when every module compiles.
 */
async function typecheck(modules: Record<string, string>): Promise<string> {
  const files = Object.keys(modules).map((name) => `.readme-${name}-${RUN}.ts`);
  const config = `${ROOT}.readme-tsconfig-${RUN}.json`;
  writeFileSync(config, JSON.stringify({ extends: './test/tsconfig.json', include: files }));
  for (const [name, text] of Object.entries(modules)) writeFileSync(`${ROOT}.readme-${name}-${RUN}.ts`, text);
  try {
    await promisify(execFile)(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '--noEmit', '-p', config], { encoding: 'utf8', cwd: ROOT });
    return '';
  } catch (error) {
    return (error as { stdout?: string }).stdout || String(error);
  } finally {
    for (const file of [config, ...files.map((file) => `${ROOT}${file}`)]) rmSync(file, { force: true });
  }
}

describe('README', () => {
  it('runs its ten-line example against the built packages', async () => {
    const output = (await runModule('example', codeBlock('README.md', 'js'))).trim().split('\n');
    expect(output[0]).toMatch(/^ch\$\w+ th\$\w+ true$/);
    expect(output[1]).toMatch(/^tx\$\w+$/);
  });

  it('its ten-line example compiles as TypeScript once the object has the type the README names', async () => {
    const example = codeBlock('README.md', 'js');
    const typed = example
      .replace("import { channelId, encodeTx, txHash } from '@aesc/tx';", "import { type ChannelCreateTx, channelId, encodeTx, txHash } from '@aesc/tx';")
      .replace('const create = {', 'const create: ChannelCreateTx = {');
    expect(typed).not.toBe(example);
    expect(await typecheck({ 'root-example': `${typed}\nexport {};\n` })).toBe('');
  });

  it('inspects the tx$ of its shell example', () => {
    const command = /^pnpm exec aesc inspect '([^']+)'$/m.exec(codeBlock('README.md', 'sh', 1))?.[1];
    expect(command).toBeDefined();
    const output = execFileSync(process.execPath, [`${ROOT}packages/cli/dist/main.js`, 'inspect', command ?? ''], { encoding: 'utf8' });
    expect(output).toMatch(/^channel_close_mutual_tx \(tag 53, vsn 1\)/);
    expect(output).toContain('th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP');
  });
});

describe('package READMEs: every example runs against the built packages and gives what its comments say', () => {
  it('@aesc/encoding', async () => {
    expect((await runModule('encoding', instrument(codeBlock('packages/encoding/README.md', 'ts')))).split('\n')).toEqual([
      'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV',
      '{"prefix":"th","bytes":"Uint8Array(32)"}',
      'false',
      'WRONG_PREFIX',
      '',
    ]);
  });

  it('@aesc/tx', async () => {
    const output = (await runModule('tx', instrument(codeBlock('packages/tx/README.md', 'ts')))).split('\n');
    expect(output.slice(0, 3)).toEqual(['839702399n', 'ch$278Xa6XdZv7a1tCFo8EjnmpHY8nXp2MsyL5vviFvicRxFRorUN', expect.stringMatching(/^th\$\w+$/)]);
    expect(output[3]).toMatch(/^tx\$\w+$/);
    expect(JSON.parse(output[4] ?? '')).toMatchObject({ type: 'channel_create_tx', tag: 50, vsn: 1, fields: { initiator_amount: '839702399', fee: '9' } });
  });

  it('@aesc/tx/channel', async () => {
    // The fragment's two parties: any two keys.
    const preamble = 'const initiator = new Uint8Array(32).fill(1);\nconst responder = new Uint8Array(32).fill(2);';
    const output = await runModule('tx-channel', instrument(codeBlock('packages/tx/README.md', 'ts', 1), preamble));
    expect(output.split('\n')).toEqual(['{"initiator_amount":"35n","responder_amount":"30n"}', '{"initiator_amount":"33n","responder_amount":"29n"}', '']);
  });

  it('@aesc/signer, and its legacy keys', async () => {
    // The fragment's `secretKey` and `unsignedTx`: one party's key and an off-chain state to sign.
    const preamble = `import { createSigner as __createSigner } from '@aesc/signer';
import { encodeTx as __encodeTx } from '@aesc/tx';
const secretKey = new Uint8Array(32).fill(1);
const [__me, __peer] = await Promise.all([__createSigner(secretKey), __createSigner(new Uint8Array(32).fill(2))]);
const unsignedTx = __encodeTx({ type: 'channel_offchain_tx', channel_id: new Uint8Array(32).fill(9), previous_round: 1n, round: 2n,
  initiator: __me.publicKey, responder: __peer.publicKey, initiator_amount: 5n, responder_amount: 5n, updates: [], state: new Uint8Array(0) });`;
    const output = await runModule('signer', instrument(codeBlock('packages/signer/README.md', 'ts'), preamble));
    // One of the two signatures a state needs: not valid yet, the other party's entry still empty.
    expect(output).toMatch(/^false \[\n {2}\{\n {4}publicKey: 'ak\$241gerYcVAvfk7Vc6gFuqBje5CfVJxT1fgzkym5cq2qtfxfKgD',\n {4}signature: Uint8Array\(64\)/);
    expect(output).toMatch(/signature: null\n {2}\}\n\] th\$\w+\n$/);

    const legacyPreamble = `import { verifySignedTx } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';
// the seed's create tx signed by its initiator, a legacy secp256k1 key
const seedTx = decodeTx('tx$Vb6U4dbYYjKr1eq2iU9ftCb3sVLoq3NzBdSpLqgrARkYJ1VgcubZhXRXDuYqoMFrtpJsxpfA5yq4woAUwc4SVYFHZNoUpLqpxbgtDBxDfFz3h3FBzLasqQcNAqqzjiufeuhmnFVWB1oLBTqdKGYTVsamt4zwL3bct7dVVrYfx2X51kXoom5WwPwmQxKjMSFtKgoYaDgNUx6RNLwnCjdJ1J1Jvcm5mi7JuaRsTzvr4HAmzWm6U9oXwSHih7VQ5VGJ5pA85nbCi6MPgmwZZFCU2xY5mKx4uo6jCXgnqQAQEpqpipuhLsoVnNRU3aY6B', 'signed_tx');
const initiatorKey65 = seedTx.tx.initiator;`;
    const legacy = (await runModule('legacy', instrument(codeBlock('packages/signer/README.md', 'ts', 1), legacyPreamble))).trim();
    expect(JSON.parse(legacy)).toMatchObject({ valid: true, signers: [{ signature: expect.stringMatching(/^Uint8Array\(7[0-2]\)$/) }] });
  });

  it('@aesc/devnode', async () => {
    const preamble = `import { createSigner } from '@aesc/signer';
const alice = await createSigner(new Uint8Array(32).fill(1));`;
    const output = (await runModule('devnode', instrument(codeBlock('packages/devnode/README.md', 'ts'), preamble))).split('\n');
    expect(output).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v2 ws:\/\/127\.0\.0\.1:\d+\/channel$/),
      expect.stringMatching(/^\[\{"height":1,"hash":"bh\$\w+","txHashes":\[\]\},.*\{"height":5,/),
      '{"balance":"1000n","nonce":"0n"}',
      'undefined',
      '',
    ]);
  });
});

/**
 * The client README's examples name a node on the ports `aesc devnode` listens on by default
 * (HTTP 3013, channels 3014), as a user runs them. The test's devnode listens on free ports, so
 * these two URLs, and only they, are replaced in the example's text by the devnode's; an
 * example that names a node any other way fails here rather than reach a node of this machine.
 */
const README_URLS = { http: 'http://127.0.0.1:3013/v2', ws: 'ws://127.0.0.1:3014/channel' } as const;

function onDevnode(example: string, devnode: Devnode): string {
  const text = example.replaceAll(README_URLS.http, devnode.httpUrl).replaceAll(README_URLS.ws, devnode.wsUrl);
  expect(text, 'a node URL other than the two the test replaces').not.toMatch(/(?:https?|wss?):\/\/[^\s'"`]*:301[34]\b/);
  return text;
}

describe('@aesc/client README: every example runs against a devnode, the other party played by the test', () => {
  // Blocks until a solo close can be settled: room for the slash the example posts meanwhile.
  const LOCK_PERIOD = 60n;
  let devnode: Devnode;
  let alice: Signer;
  let bob: Signer;
  let directory: string;
  /** The channel's terms, as the parties pass them to `ChannelClient.connect`: one channel per `port`. */
  const termsOn = (port: number) => ({
    initiator: alice.address,
    responder: bob.address,
    lock_period: LOCK_PERIOD,
    push_amount: 0n,
    initiator_amount: 50_000n,
    responder_amount: 50_000n,
    channel_reserve: 10n,
    ttl: 1_000_000n,
    host: 'localhost',
    port,
    minimum_depth: 1n,
  });
  /** `termsOn(port)` as module text, for a preamble. */
  const termsText = (port: number) =>
    `{ ${Object.entries(termsOn(port)).map(([name, value]) => `${name}: ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`).join(', ')} }`;
  /** Alice's secret key (as `beforeAll` makes it) as module text: the example's `signer` is hers. */
  const ALICE_SECRET_KEY = 'new Uint8Array(32).fill(1)';

  beforeAll(async () => {
    [alice, bob] = (await Promise.all([1, 2].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer];
    // Blocks on a timer, as on a real node: the example's waits end on their own.
    devnode = await startDevnode({ httpPort: 0, wsPort: 0, blockInterval: 50, genesis: [alice, bob].map((signer) => ({ pubkey: signer.publicKey, balance: 1_000_000n })) });
    directory = mkdtempSync(join(tmpdir(), 'aesc-readme-'));
  });

  afterAll(async () => {
    await devnode?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('connect, update, sendMessage, shutdown, waitForTx: the initiator, with the test as the responder', async () => {
    // The other party, Bob, connected before the example runs: it checks and co-signs what the
    // example's client proposes, and tells what it received.
    const responder = await ChannelClient.connect({ url: devnode.wsUrl, role: 'responder', params: termsOn(1234), signer: bob });
    onTestFinished(() => responder.close());
    const messages: string[] = [];
    responder.on('message', ({ from, info }) => messages.push(`${from}: ${info}`));
    // The fragment's `params`, `signer`, `me` and `peer`: Alice's terms with Bob, Alice's signer, both accounts.
    const preamble = `import { createSigner as __createSigner } from '@aesc/signer';
const params = ${termsText(1234)};
const signer = await __createSigner(${ALICE_SECRET_KEY});
const me = { address: '${alice.address}' };
const peer = { address: '${bob.address}' };`;
    const postamble = `\n__show({ channelId, round: state.round, balances: state.balances, update: Object.keys(state), status: channel.status, hash });`;
    const output = (await runModule('client', instrument(onDevnode(codeBlock('packages/client/README.md', 'ts'), devnode), preamble) + postamble, directory)).split('\n');
    expect(output).toEqual([
      'function', // channel.on(…): the listener's remover
      'undefined', // sendMessage
      expect.stringMatching(/^\{"signedTx":\{"type":"signed_tx","signatures":\["Uint8Array\(64\)","Uint8Array\(64\)"\],"tx":\{"type":"channel_close_mutual_tx",/),
      expect.stringMatching(/^\{"channelId":"ch\$\w+","round":"2n","balances":\{"initiator":"49990n","responder":"50010n"\},"update":\["round","balances","state","encoded"\],/),
      '',
    ]);
    const mined = JSON.parse(output[2] ?? '') as { hash: string; blockHeight: string; blockHash: string };
    const { channelId, status, hash } = JSON.parse(output[3] ?? '') as { channelId: `ch$${string}`; status: string; hash: string };
    // The close tx the shutdown gave, mined, and the channel closed.
    expect(mined).toMatchObject({ hash, blockHeight: expect.stringMatching(/^[1-9]\d*n$/), blockHash: expect.stringMatching(/^bh\$\w+$/) });
    expect(status).toBe('closed');
    expect(messages).toEqual([`${alice.address}: thanks`]);
    expect(responder.status).toBe('closed');
    // Store before report: the example's FileStore('./channels') kept the close and the last state.
    const stored = await new FileStore(join(directory, 'channels')).load(channelId);
    expect(stored?.round).toBe(2n);
    expect(stored?.closeTx).toMatch(/^tx\$\w+$/);
  });

  it('closeSolo, slash, settle: from a channel the test opened and left, its states on disk', async () => {
    const memory = new MemoryStore();
    const [initiator, responder] = await Promise.all([
      ChannelClient.connect({ url: devnode.wsUrl, role: 'initiator', params: termsOn(1235), signer: alice, store: memory }),
      ChannelClient.connect({ url: devnode.wsUrl, role: 'responder', params: termsOn(1235), signer: bob }),
    ]);
    const { channelId } = await initiator.opened;
    await initiator.update({ from: alice.address, to: bob.address, amount: 100n });
    // Alice's store as a crash left it: round 2. Round 3, co-signed after, is the newer state.
    const store = new FileStore(join(directory, 'alice'));
    await store.save((await memory.load(channelId)) ?? expect.fail('no snapshot'));
    const newer = await initiator.update({ from: alice.address, to: bob.address, amount: 200n });
    initiator.close();
    responder.close();
    // The fragment's names. One signer does all three for the test (the chain lets either peer
    // slash); a user slashes the peer's close with a state newer than the one it closed with.
    const preamble = `import { closeSolo, FileStore, NodeClient, settle, slash } from '@aesc/client';
import { createSigner } from '@aesc/signer';
const httpUrl = '${devnode.httpUrl}';
const signer = await createSigner(${ALICE_SECRET_KEY});
const channelId = '${channelId}';
const store = new FileStore('./alice');
const newerCoSignedState = '${newer.encoded}';`;
    const postamble = `\n__show(await node.getChannel(channelId));`;
    const output = (await runModule('dispute', instrument(codeBlock('packages/client/README.md', 'ts', 1), preamble) + postamble, directory)).split('\n');
    const results = output.slice(0, 3).map((line) => JSON.parse(line) as { hash: string; signedTx: { signatures: string[]; tx: Record<string, string> }; blockHeight: string });
    expect(results.map(({ signedTx }) => signedTx.tx.type)).toEqual(['channel_close_solo_tx', 'channel_slash_tx', 'channel_settle_tx']);
    for (const { hash, signedTx, blockHeight } of results) {
      expect(hash).toMatch(/^th\$\w+$/);
      expect(signedTx.signatures).toEqual(['Uint8Array(64)']);
      expect(blockHeight).toMatch(/^[1-9]\d*n$/);
    }
    // Settled with the amounts of the slash's state, round 3, not those of the close's, round 2.
    expect(results[2]?.signedTx.tx).toMatchObject({ initiator_amount: `${newer.balances.initiator}n`, responder_amount: `${newer.balances.responder}n` });
    expect(newer.balances).toEqual({ initiator: 49_700n, responder: 50_300n });
    expect(output.slice(3)).toEqual(['undefined', '']); // the channel is gone from the chain
  });

  it('watchChannel: the peer closes alone with an older state, the watch slashes with the stored one and settles', async () => {
    // Long enough that the slash is in long before closes_at however slowly the example starts;
    // the test mines the rest of the lock period at once when it sees the slash on chain.
    const lockPeriod = 1_000n;
    const bobsStore = new MemoryStore();
    const [initiator, responder] = await Promise.all([
      ChannelClient.connect({ url: devnode.wsUrl, role: 'initiator', params: { ...termsOn(1236), lock_period: lockPeriod }, signer: alice, store: new FileStore(join(directory, 'watch')) }),
      ChannelClient.connect({ url: devnode.wsUrl, role: 'responder', params: { ...termsOn(1236), lock_period: lockPeriod }, signer: bob, store: bobsStore }),
    ]);
    const { channelId } = await initiator.opened;
    await initiator.update({ from: alice.address, to: bob.address, amount: 100n });
    const older = (await bobsStore.load(channelId)) ?? expect.fail('no snapshot');
    const newer = await initiator.update({ from: alice.address, to: bob.address, amount: 200n });
    initiator.close();
    responder.close();
    // Bob closes alone from round 2; Alice's store (the example's) holds round 3.
    const node = new NodeClient(devnode.httpUrl);
    const bobsOlder = new MemoryStore();
    await bobsOlder.save(older);
    await closeSolo({ node, signer: bob, channelId, store: bobsOlder });
    let ended = false;
    const fastForward = (async () => {
      while (!ended && (await node.getChannel(channelId))?.round !== newer.round) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!ended) await devnode.mine(Number(lockPeriod));
    })();
    const preamble = `import { FileStore, NodeClient, watchChannel } from '@aesc/client';
import { createSigner } from '@aesc/signer';
const node = new NodeClient('${devnode.httpUrl}');
const store = new FileStore('./watch');
const signer = await createSigner(${ALICE_SECRET_KEY});
const channelId = '${channelId}';`;
    const postamble = `\n__show({ ...outcome, keys: Object.keys(outcome) });`;
    const output = await runModule('watch', instrument(codeBlock('packages/client/README.md', 'ts', 2), preamble) + postamble, directory).finally(() => {
      ended = true;
    });
    await fastForward;
    const lines = output.split('\n');
    // onEvent: the peer's close, the watch's slash and the close it starts, the settle.
    expect(lines.slice(0, 4)).toEqual(['closing', 'slashed', 'closing', 'settled']);
    const outcome = JSON.parse(lines[4] ?? '') as { outcome: string; keys: string[]; hash: string; blockHeight: string; signedTx: { tx: Record<string, string> } };
    expect(outcome).toMatchObject({ outcome: 'settled', keys: ['outcome', 'hash', 'signedTx', 'blockHeight'], hash: expect.stringMatching(/^th\$\w+$/), blockHeight: expect.stringMatching(/^[1-9]\d*n$/) });
    // Paid out with round 3's amounts, which the watch put on chain, not round 2's of Bob's close.
    expect(outcome.signedTx.tx).toMatchObject({ type: 'channel_settle_tx', initiator_amount: `${newer.balances.initiator}n`, responder_amount: `${newer.balances.responder}n` });
    expect(lines.slice(5)).toEqual(['']);
    expect(await node.getChannel(channelId)).toBeUndefined();
  });
});

describe('package READMEs: every ts block compiles against the built declarations', () => {
  it('with the types of the names a fragment takes from its context', async () => {
    const block = (readme: string, index = 0) => codeBlock(`packages/${readme}/README.md`, 'ts', index);
    const report = await typecheck({
      encoding: block('encoding'),
      tx: block('tx'),
      signer: `import type { EncodedTx } from '@aesc/encoding';
declare const secretKey: Uint8Array;
declare const unsignedTx: EncodedTx;
${block('signer')}`,
      'signer-legacy': `import { verifySignedTx } from '@aesc/signer';
import type { SignedTx } from '@aesc/tx';
declare const seedTx: SignedTx;
declare const initiatorKey65: Uint8Array;
${block('signer', 1)}`,
      devnode: `import type { Signer } from '@aesc/signer';
declare const alice: Signer;
${block('devnode')}`,
      'client-connect': `import type { ConnectParamsByRole } from '@aesc/client';
import type { Signer } from '@aesc/signer';
declare const params: ConnectParamsByRole['initiator'];
declare const signer: Signer;
declare const me: Signer;
declare const peer: Pick<Signer, 'address'>;
${block('client')}`,
      'client-dispute': `import { closeSolo, NodeClient, settle, slash, type StateStore } from '@aesc/client';
import type { ChannelId, EncodedTx } from '@aesc/encoding';
import type { Signer } from '@aesc/signer';
declare const httpUrl: string;
declare const signer: Signer;
declare const channelId: ChannelId;
declare const store: StateStore;
declare const newerCoSignedState: EncodedTx;
${block('client', 1)}`,
      'client-watch': `import { NodeClient, type StateStore, watchChannel } from '@aesc/client';
import type { ChannelId } from '@aesc/encoding';
import type { Signer } from '@aesc/signer';
declare const node: NodeClient;
declare const signer: Signer;
declare const channelId: ChannelId;
declare const store: StateStore;
${block('client', 2)}`,
    });
    expect(report).toBe('');
  });
});

/**
 * The typed error of each package and the property holding its code: `code` (UPPER_CASE), or
 * for `@aesc/devnode`'s `ChainError` the `reason` (the reference's snake_case error name). Its
 * README's errors table is headed by that property's name.
 */
const ERROR_CLASSES = {
  encoding: ['EncodingError', 'code'],
  tx: ['TxError', 'code'],
  signer: ['SignerError', 'code'],
  schema: ['SchemaError', 'code'],
  client: ['ClientError', 'code'],
  cli: ['CliError', 'code'],
  devnode: ['ChainError', 'reason'],
} as const;
type ErrorPackage = keyof typeof ERROR_CLASSES;

/**
 * The codes each package's error declares, as an app compiling against the built declarations
 * sees them: the string literals of the type of its `code` (or `reason`).
 */
function declaredCodes(): Record<ErrorPackage, string[]> {
  const file = `${ROOT}.readme-codes-${RUN}.ts`;
  const text = Object.entries(ERROR_CLASSES)
    .map(([name, [error, property]]) => `import type { ${error} } from '@aesc/${name}';\nexport type ${name}Code = ${error}['${property}'];`)
    .join('\n');
  const options = { module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, strict: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, ...rest) => (name === file ? ts.createSourceFile(name, text, ts.ScriptTarget.ES2022) : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file) ?? expect.fail('the module naming the error codes');
  expect(ts.getPreEmitDiagnostics(program, source).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([]);
  const checker = program.getTypeChecker();
  const codes: Partial<Record<ErrorPackage, string[]>> = {};
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const type = checker.getTypeAtLocation(statement.name);
    const name = statement.name.text.replace(/Code$/, '') as ErrorPackage;
    codes[name] = (type.isUnion() ? type.types : [type]).map((member) =>
      member.isStringLiteral() ? member.value : expect.fail(`${ERROR_CLASSES[name].join("['")}'] has a member that is no string literal: ${checker.typeToString(member)}`),
    );
  }
  return codes as Record<ErrorPackage, string[]>;
}

/**
 * The codes a README's errors table lists (the first table of its `## …Errors` section, headed
 * `| code | meaning |` or, for a `reason`, `| reason | meaning |`): the first cell of each row is
 * one code or several (`TIMEOUT` / `ABORTED`, `NOT_FOUND`, `NO_STATE`), the second says what each
 * means. A code is an identifier of letters and underscores, in either case.
 */
function documentedCodes(name: ErrorPackage): string[] {
  const readme = readFileSync(`${ROOT}packages/${name}/README.md`, 'utf8');
  const section = /^## (?:.* )?errors\n([\s\S]*?)(?=^## |(?![\s\S]))/im.exec(readme)?.[1] ?? expect.fail(`packages/${name}/README.md: no errors section`);
  const table = /(?:^\|.*\n?)+/m.exec(section)?.[0].trimEnd().split('\n') ?? expect.fail(`packages/${name}/README.md: no table of error codes`);
  expect(table.slice(0, 2), `packages/${name}/README.md: the errors table's header`).toEqual([`| ${ERROR_CLASSES[name][1]} | meaning |`, '|---|---|']);
  return table.slice(2).flatMap((row) => {
    const [, codes = '', meaning = ''] = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
    expect(codes, `packages/${name}/README.md: ${row}`).toMatch(/^`[A-Za-z_]+`(?: *[,/] *`[A-Za-z_]+`)*$/);
    expect(meaning, `packages/${name}/README.md: ${row}`).not.toBe('');
    return [...codes.matchAll(/`([A-Za-z_]+)`/g)].map((match) => match[1] as string);
  });
}

describe('package READMEs: the errors table lists exactly the codes the package declares', () => {
  const declared = declaredCodes();

  it.each(Object.keys(ERROR_CLASSES) as ErrorPackage[])('@aesc/%s', (name) => {
    const documented = documentedCodes(name);
    expect(new Set(documented).size, `packages/${name}/README.md: a code listed twice`).toBe(documented.length);
    expect([...documented].sort()).toEqual([...declared[name]].sort());
  });
});

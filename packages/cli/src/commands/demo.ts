import { ChannelClient, ClientError, type CoSignedState, NodeClient } from '@aesc/client';
import { type Devnode, startDevnode } from '@aesc/devnode';
import type { AccountPubkey } from '@aesc/encoding';
import { generate, type Signer } from '@aesc/signer';
import { type Command, quoteForMessage, stringOption, writeJson } from '../command.js';
import { CliError, EXIT } from '../errors.js';

const FUNDING = 100_000n;
const EMBEDDED_BLOCK_INTERVAL_MS = 200;
/**
 * How long the height of a devnode given with --node may stand still before the demo mines a
 * block itself: one started with --block-interval 0 mines only when asked, and the demo would
 * wait for its funding depth and its close tx for ever.
 */
const STILL_NODE_MS = 1_500;
/** The channel port of `aesc devnode` by default: where --node's channel service is when --ws is not given. */
const DEFAULT_DEVNODE_WS_PORT = 3014;

/**
 * One line of the timeline: who did what. With --json it is printed as it is, with `time`
 * (seconds since the start) added; integers are decimal strings, as in every JSON of aesc.
 */
type DemoEvent = { readonly event: string; readonly actor: string } & Record<string, unknown>;

/**
 * The whole life of a channel between two clients on one node: fund, open (waiting for the
 * funding depth), transfer both ways, ask for tokens, send a message, close mutually, wait for
 * the close tx by its hash, and print what happened on the way.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a whole channel between two clients on devnode and print its timeline',
  usage: ['demo [--json] [--node <http-url> [--ws <ws-url>]] [--dialect seed|v0.14]'],
  description: [
    'Starts devnode in this process on free ports (or uses the one at --node, which must be a',
    'devnode: the demo funds its two new accounts through /v2/debug/fund, and mines through',
    '/v2/debug/mine when no block comes for 1.5 s, as with --block-interval 0; its channel',
    'service is the one at --ws, by default port 3014 of the host of --node, as aesc devnode',
    'listens), opens a channel between two clients, makes transfers both ways, a request for',
    'tokens and a generic message, closes the channel mutually, waits for the close tx by its',
    'th$, and prints every round and balance, the tx hashes and the final on-chain balances.',
    '--json prints one JSON object per event, {"time","actor","event",…} (time in seconds since',
    'the start; amounts, rounds and heights as decimal strings; keys ak$, hashes th$, the channel',
    'ch$), the last one {"event":"done",…} with the channel, its rounds and the final balances.',
  ].join('\n'),
  options: {
    node: { type: 'string', placeholder: '<http-url>', description: 'a running devnode HTTP API, e.g. http://127.0.0.1:3013/v2' },
    ws: { type: 'string', placeholder: '<ws-url>', description: 'its channel service (default: port 3014 of the host of --node)' },
    dialect: { type: 'string', placeholder: '<name>', description: 'dialect of the embedded devnode: seed (default) or v0.14' },
  },
  arity: { min: 0, max: 0 },
  examples: ['aesc demo', 'aesc demo --json | jq -c \'select(.event == "transfer")\'', 'aesc demo --node http://127.0.0.1:3013/v2', 'aesc demo --node http://127.0.0.1:3013/v2 --ws ws://127.0.0.1:3015/channel'],
  async run(invocation) {
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
    /** Prints one event: its text line, or with --json the event itself. */
    const emit = ({ actor, event, ...details }: DemoEvent, text: string) =>
      invocation.json
        ? writeJson(invocation.io, { time: (Date.now() - started) / 1000, actor, event, ...details })
        : invocation.io.stdout(`${elapsed()}  ${text}\n`);
    const external = urlOption(stringOption(invocation, 'node'), 'node', ['http:', 'https:'], 'an http(s) URL such as http://127.0.0.1:3013/v2');
    const externalWs = urlOption(stringOption(invocation, 'ws'), 'ws', ['ws:', 'wss:'], 'a ws(s) URL such as ws://127.0.0.1:3014/channel');
    if (external === undefined && externalWs !== undefined) throw new CliError('USAGE', '--ws needs --node (the devnode whose channel service it is)');
    const dialect = stringOption(invocation, 'dialect') ?? 'seed';
    if (dialect !== 'seed' && dialect !== 'v0.14') throw new CliError('USAGE', `--dialect must be seed or v0.14, got ${JSON.stringify(dialect.slice(0, 20))}`);

    let devnode: Devnode | undefined;
    if (external === undefined) devnode = await startDevnode({ httpPort: 0, wsPort: 0, blockInterval: EMBEDDED_BLOCK_INTERVAL_MS, dialect });
    const httpUrl = external ?? (devnode as Devnode).httpUrl;
    const wsUrl = externalWs ?? (external === undefined ? (devnode as Devnode).wsUrl : defaultChannelService(external));
    const node = new NodeClient(httpUrl);
    /** A node call, its failure told in words that say what to do (the code stays the client's). */
    const atNode = <T>(call: Promise<T>, refused?: string): Promise<T> => call.catch((error: unknown) => Promise.reject(nodeFailure(error, external !== undefined, refused)));
    const clients: ChannelClient[] = [];
    let confirmations: ReturnType<typeof setInterval> | undefined;
    let miner: ReturnType<typeof setInterval> | undefined;
    try {
      await emit(
        { event: 'node', actor: 'node', embedded: external === undefined, ...(external === undefined ? { dialect, block_interval_ms: String(EMBEDDED_BLOCK_INTERVAL_MS) } : {}), http: httpUrl, ws: wsUrl },
        `node      ${external === undefined ? `devnode started (${dialect} dialect, a block every ${EMBEDDED_BLOCK_INTERVAL_MS} ms)` : 'using the node at'} ${httpUrl}  ${wsUrl}`,
      );
      const [alice, bob] = [(await generate()).signer, (await generate()).signer] as [Signer, Signer];
      for (const [name, signer] of [['alice', alice], ['bob', bob]] as const) {
        // Only devnode has this endpoint: a v0.14 node (or anything else) answers 404.
        await atNode(node.debugFund(signer.address, FUNDING), 'it has no POST /v2/debug/fund: --node must be a devnode (aesc devnode), since the demo funds its accounts through that endpoint');
        await emit({ event: 'fund', actor: name, account: signer.address, amount: String(FUNDING) }, `fund      ${name.padEnd(5)} ${signer.address}  ${FUNDING}`);
      }

      const startHeight = await atNode(node.getHeight());
      const params = {
        initiator: alice.address,
        responder: bob.address,
        lock_period: 10n,
        push_amount: 0n,
        initiator_amount: 40_000n,
        responder_amount: 25_000n,
        channel_reserve: 100n,
        ttl: startHeight + 10_000n,
        port: 10_000 + Math.floor(Math.random() * 50_000),
        host: 'localhost',
        minimum_depth: 4n,
      };
      if (external !== undefined) {
        // Through the debug endpoint the funding already relies on; a failure here shows up in
        // the demo's own calls to the node.
        let lastHeight = startHeight;
        let lastChange = Date.now();
        let told = false;
        let busy = false;
        miner = setInterval(() => {
          if (busy) return;
          busy = true;
          void (async () => {
            const height = await node.getHeight();
            // Stopped meanwhile (the demo ended): no line after its last.
            if (miner === undefined) return;
            if (height !== lastHeight || Date.now() - lastChange < STILL_NODE_MS) {
              if (height !== lastHeight) [lastHeight, lastChange] = [height, Date.now()];
              return;
            }
            if (!told) await emit({ event: 'mine', actor: 'demo' }, `mine      no block for ${STILL_NODE_MS} ms: the node mines only on demand, so the demo mines (POST /v2/debug/mine)`);
            told = true;
            [lastHeight, lastChange] = [(await node.debugMine(1n)).height, Date.now()];
          })()
            .catch(() => undefined)
            .finally(() => {
              busy = false;
            });
        }, 250);
      }
      const name = (signer: { address: string }) => (signer.address === alice.address ? 'alice' : 'bob');
      // Both check every request before signing; with the chain's view, the nonces too.
      const policy = { nextNonce: (account: AccountPubkey) => node.nextNonce(account) };
      const connected = await Promise.allSettled([
        ChannelClient.connect({ url: wsUrl, role: 'initiator', params, signer: alice, policy }),
        ChannelClient.connect({ url: wsUrl, role: 'responder', params, signer: bob, policy }),
      ]);
      // Whichever socket did open is closed on the way out, or it would keep the process alive.
      for (const outcome of connected) if (outcome.status === 'fulfilled') clients.push(outcome.value);
      for (const outcome of connected) if (outcome.status === 'rejected') throw channelFailure(outcome.reason, wsUrl, external !== undefined);
      const [initiator, responder] = clients as [ChannelClient, ChannelClient];
      await emit(
        {
          event: 'connect',
          actor: 'alice',
          initiator: alice.address,
          responder: bob.address,
          initiator_amount: String(params.initiator_amount),
          responder_amount: String(params.responder_amount),
          channel_reserve: String(params.channel_reserve),
          lock_period: String(params.lock_period),
          minimum_depth: String(params.minimum_depth),
        },
        `open      alice (initiator) puts in ${params.initiator_amount}, bob (responder) ${params.responder_amount}; reserve ${params.channel_reserve}, lock period ${params.lock_period}`,
      );
      for (const [who, client] of [['alice', initiator], ['bob', responder]] as const) {
        client.on('signRefused', ({ tag, reason }) => void emit({ event: 'sign_refused', actor: who, tag, reason }, `REFUSED   ${who} would not sign ${tag}: ${reason}`));
        client.on('error', (error) => void emit({ event: 'error', actor: who, code: error.code, message: error.message }, `error     ${who}: ${error.code} ${error.message}`));
      }
      initiator.on('onChainTx', ({ tx, hash }) => void emit({ event: 'on_chain', actor: 'alice', tx_type: tx.tx.type, hash }, `on chain  ${tx.tx.type} co-signed, posted: ${hash}`));
      initiator.on('info', ({ event }) => {
        if (event === 'funding_signed') {
          void emit({ event: 'funding_signed', actor: 'alice', minimum_depth: String(params.minimum_depth) }, `funding   waiting for ${params.minimum_depth} confirmations of the create tx…`);
          let lastHeight = -1n;
          confirmations = setInterval(() => {
            void node.getHeight().then((height) => {
              if (height !== lastHeight) void emit({ event: 'block', actor: 'node', height: String(height) }, `block     height ${height}`);
              lastHeight = height;
            }, () => undefined);
          }, 150);
        }
        if (event === 'own_funding_locked') {
          clearInterval(confirmations);
          void emit({ event: 'funding_locked', actor: 'alice', depth: String(params.minimum_depth) }, `funding   locked at depth ${params.minimum_depth}`);
        }
      });
      const { channelId, state } = await initiator.opened;
      await responder.opened;
      clearInterval(confirmations);
      const balances = (coSigned: CoSignedState) => ({ round: String(coSigned.round), balances: { alice: String(coSigned.balances.initiator), bob: String(coSigned.balances.responder) } });
      const stateText = (label: string, coSigned: CoSignedState) =>
        `${label.padEnd(9)} round ${String(coSigned.round).padStart(2)}  alice ${String(coSigned.balances.initiator).padStart(6)}  bob ${String(coSigned.balances.responder).padStart(6)}`;
      await emit({ event: 'open', actor: 'channel', channel_id: channelId }, `open      channel ${channelId}`);
      await emit({ event: 'state', actor: 'channel', ...balances(state) }, stateText('state', state));

      const transfers: [ChannelClient, Signer, Signer, bigint, string][] = [
        [initiator, alice, bob, 1_500n, 'pays'],
        [responder, bob, alice, 700n, 'pays'],
        [initiator, alice, bob, 2_000n, 'pays'],
        [responder, alice, bob, 300n, 'asks for'],
        [initiator, bob, alice, 250n, 'asks for'],
        [responder, bob, alice, 1_000n, 'pays'],
      ];
      for (const [starter, from, to, amount, verb] of transfers) {
        const coSigned = await starter.update({ from: from.address, to: to.address, amount });
        const text = verb === 'pays' ? `${name(from)} pays ${name(to)} ${amount}` : `${name(to)} asks ${name(from)} for ${amount}`;
        await emit(
          { event: 'transfer', actor: starter === initiator ? 'alice' : 'bob', from: name(from), to: name(to), amount: String(amount), request: verb !== 'pays', ...balances(coSigned) },
          `${stateText('transfer', coSigned)}\n${' '.repeat(17)}↳ ${text}`,
        );
      }

      const delivered = new Promise<string>((resolve) => responder.on('message', ({ info }) => resolve(info)));
      await initiator.sendMessage(bob.address, 'thanks for the lunch, bob');
      const info = await delivered;
      await emit({ event: 'message', actor: 'bob', from: 'alice', info }, `message   bob got from alice: "${info}"`);

      const last = initiator.state as CoSignedState;
      const closed = await responder.shutdown();
      const closeTx = closed.tx.tx.type === 'channel_close_mutual_tx' ? closed.tx.tx : undefined;
      const onClose = (amount: bigint | undefined) => (amount === undefined ? '?' : String(amount));
      await emit(
        {
          event: 'close',
          actor: 'bob',
          round: String(last.round),
          hash: closed.hash,
          amounts: { alice: closeTx === undefined ? null : String(closeTx.initiator_amount), bob: closeTx === undefined ? null : String(closeTx.responder_amount) },
          fee: closeTx === undefined ? null : String(closeTx.fee),
        },
        `close     bob asks to close at round ${last.round}; both signed ${closed.hash}\n${elapsed()}  close     amounts on close: alice ${onClose(closeTx?.initiator_amount)}, bob ${onClose(closeTx?.responder_amount)} (fee ${onClose(closeTx?.fee)})`,
      );
      let lastProgress = '';
      const mined = await atNode(
        node.waitForTx(closed.hash, {
          confirmations: 1n,
          pollMs: 100,
          timeoutMs: 60_000,
          onProgress: ({ height, blockHeight }) => {
            const progress = `height ${height}, close tx ${blockHeight < 0n ? 'in the mempool' : `in block ${blockHeight}`}`;
            if (progress !== lastProgress) void emit({ event: 'waiting', actor: 'node', height: String(height), block_height: blockHeight < 0n ? null : String(blockHeight) }, `waiting   ${progress}`);
            lastProgress = progress;
          },
        }),
      );
      await emit({ event: 'mined', actor: 'node', hash: mined.hash, block_height: String(mined.blockHeight) }, `mined     close tx in block ${mined.blockHeight}`);
      const final: Record<string, string> = {};
      for (const [who, signer] of [['alice', alice], ['bob', bob]] as const) {
        const balance = (await atNode(node.getBalance(signer.address))) ?? 0n;
        final[who] = String(balance);
        const change = `${balance - FUNDING >= 0n ? '+' : ''}${balance - FUNDING}`;
        await emit({ event: 'balance', actor: who, account: signer.address, balance: String(balance), change }, `balance   ${who.padEnd(5)} ${balance} on chain (${change})`);
      }
      await emit(
        {
          event: 'done',
          actor: 'demo',
          channel_id: channelId,
          rounds: String(last.round),
          close_hash: closed.hash,
          close_block_height: String(mined.blockHeight),
          accounts: { alice: alice.address, bob: bob.address },
          funded: String(FUNDING),
          balances: final,
        },
        `done      ${last.round} rounds, channel ${channelId} closed`,
      );
      return EXIT.OK;
    } finally {
      // An error while waiting for the funding depth must not leave the poll running.
      clearInterval(confirmations);
      clearInterval(miner);
      miner = undefined;
      for (const client of clients) client.close();
      await devnode?.close();
    }
  },
};

/** A URL option checked before anything starts: a malformed one is a bad command line. */
function urlOption(value: string | undefined, name: string, protocols: readonly string[], expected: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below, with what is expected
  }
  if (url === undefined || !protocols.includes(url.protocol)) {
    throw new CliError('USAGE', `--${name} must be ${expected}, got ${quoteForMessage(value)}`);
  }
  return value;
}

/**
 * The channel service of the devnode at `httpUrl` when --ws is not given: the same host, port
 * 3014 (where `aesc devnode` listens unless told otherwise), ws for http and wss for https.
 */
function defaultChannelService(httpUrl: string): string {
  const url = new URL(httpUrl);
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.hostname}:${DEFAULT_DEVNODE_WS_PORT}/channel`;
}

/**
 * A failed node call, with what to do about it. The code stays the client's (NODE_UNREACHABLE,
 * NODE_ERROR…; exit 1): the command line was fine, the node was not there or not a devnode.
 */
function nodeFailure(error: unknown, external: boolean, refused: string | undefined): unknown {
  if (!(error instanceof ClientError)) return error;
  const hint =
    error.code === 'NODE_UNREACHABLE' || error.code === 'TIMEOUT'
      ? external
        ? 'is a devnode running there? Start one with aesc devnode, or leave out --node and --ws to run the demo on its own'
        : undefined
      : (error.code === 'NODE_ERROR' || error.code === 'BAD_RESPONSE') && refused !== undefined
        ? refused
        : undefined;
  return hint === undefined ? error : new ClientError(error.code, `${error.message}; ${hint}`, error.context, { cause: error });
}

/** A channel WebSocket that did not open: --ws is not the devnode's channel service. */
function channelFailure(error: unknown, wsUrl: string, external: boolean): unknown {
  if (!(error instanceof ClientError) || error.code !== 'CONNECTION_FAILED') return error;
  // The client names the URL with the whole channel query; the reason is what helps.
  const reason = /^cannot connect to \S+: (.+)$/.exec(error.message)?.[1] ?? error.message;
  const hint = external ? '; --ws must be the channel service of the devnode at --node (aesc devnode prints both), e.g. ws://127.0.0.1:3014/channel' : '';
  return new ClientError(error.code, `cannot open a channel WebSocket at ${wsUrl}: ${reason}${hint}`, error.context, { cause: error });
}

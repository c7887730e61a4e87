import { ChannelClient, type CoSignedState, NodeClient } from '@aesc/client';
import { type Devnode, startDevnode } from '@aesc/devnode';
import { generate, type Signer } from '@aesc/signer';
import { type Command, stringOption } from '../command.js';
import { CliError, EXIT } from '../errors.js';

const FUNDING = 100_000n;

/**
 * The whole life of a channel between two clients on one node: fund, open (waiting for the
 * funding depth), transfer both ways, ask for tokens, send a message, close mutually, wait for
 * the close tx by its hash, and print what happened on the way.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a whole channel between two clients on devnode and print its timeline',
  usage: ['demo [--node <http-url> --ws <ws-url>] [--dialect seed|v0.14]'],
  description: [
    'Starts devnode in this process on free ports (or uses the one at --node and --ws, which must',
    'be a devnode: the demo funds its two new accounts through /v2/debug/fund), opens a channel',
    'between two clients, makes transfers both ways, a request for tokens and a generic message,',
    'closes the channel mutually, waits for the close tx by its th$, and prints every round and',
    'balance, the tx hashes and the final on-chain balances.',
  ].join('\n'),
  options: {
    node: { type: 'string', placeholder: '<http-url>', description: 'a running devnode HTTP API, e.g. http://127.0.0.1:3013/v2' },
    ws: { type: 'string', placeholder: '<ws-url>', description: 'its channel service, e.g. ws://127.0.0.1:3014/channel' },
    dialect: { type: 'string', placeholder: '<name>', description: 'dialect of the embedded devnode: seed (default) or v0.14' },
  },
  arity: { min: 0, max: 0 },
  examples: ['aesc demo', 'aesc demo --node http://127.0.0.1:3013/v2 --ws ws://127.0.0.1:3014/channel'],
  async run(invocation) {
    const out = (line: string) => invocation.io.stdout(`${line}\n`);
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
    const external = stringOption(invocation, 'node');
    const externalWs = stringOption(invocation, 'ws');
    if ((external === undefined) !== (externalWs === undefined)) throw new CliError('USAGE', '--node and --ws go together');
    const dialect = stringOption(invocation, 'dialect') ?? 'seed';
    if (dialect !== 'seed' && dialect !== 'v0.14') throw new CliError('USAGE', `--dialect must be seed or v0.14, got ${JSON.stringify(dialect.slice(0, 20))}`);

    let devnode: Devnode | undefined;
    if (external === undefined) devnode = await startDevnode({ httpPort: 0, wsPort: 0, blockInterval: 200, dialect });
    const httpUrl = external ?? (devnode as Devnode).httpUrl;
    const wsUrl = externalWs ?? (devnode as Devnode).wsUrl;
    const node = new NodeClient(httpUrl);
    const clients: ChannelClient[] = [];
    try {
      await out(`${elapsed()}  node      ${external === undefined ? `devnode started (${dialect} dialect, a block every 200 ms)` : 'using the node at'} ${httpUrl}  ${wsUrl}`);
      const [alice, bob] = [(await generate()).signer, (await generate()).signer] as [Signer, Signer];
      for (const [name, signer] of [['alice', alice], ['bob', bob]] as const) {
        await node.debugFund(signer.address, FUNDING);
        await out(`${elapsed()}  fund      ${name.padEnd(5)} ${signer.address}  ${FUNDING}`);
      }

      const params = {
        initiator: alice.address,
        responder: bob.address,
        lock_period: 10n,
        push_amount: 0n,
        initiator_amount: 40_000n,
        responder_amount: 25_000n,
        channel_reserve: 100n,
        ttl: (await node.getHeight()) + 10_000n,
        port: 10_000 + Math.floor(Math.random() * 50_000),
        host: 'localhost',
        minimum_depth: 4n,
      };
      const name = (signer: { address: string }) => (signer.address === alice.address ? 'alice' : 'bob');
      const [initiator, responder] = await Promise.all([
        ChannelClient.connect({ url: wsUrl, role: 'initiator', params, signer: alice }),
        ChannelClient.connect({ url: wsUrl, role: 'responder', params, signer: bob }),
      ]);
      clients.push(initiator, responder);
      await out(`${elapsed()}  open      alice (initiator) puts in ${params.initiator_amount}, bob (responder) ${params.responder_amount}; reserve ${params.channel_reserve}, lock period ${params.lock_period}`);
      for (const [who, client] of [['alice', initiator], ['bob', responder]] as const) {
        client.on('signRefused', ({ tag, reason }) => void out(`${elapsed()}  REFUSED   ${who} would not sign ${tag}: ${reason}`));
        client.on('error', (error) => void out(`${elapsed()}  error     ${who}: ${error.code} ${error.message}`));
      }
      initiator.on('onChainTx', ({ tx, hash }) => void out(`${elapsed()}  on chain  ${tx.tx.type} co-signed, posted: ${hash}`));
      let confirmations: ReturnType<typeof setInterval> | undefined;
      initiator.on('info', ({ event }) => {
        if (event === 'funding_signed') {
          void out(`${elapsed()}  funding   waiting for ${params.minimum_depth} confirmations of the create tx…`);
          let lastHeight = -1n;
          confirmations = setInterval(() => {
            void node.getHeight().then((height) => {
              if (height !== lastHeight) void out(`${elapsed()}  block     height ${height}`);
              lastHeight = height;
            }, () => undefined);
          }, 150);
        }
        if (event === 'own_funding_locked') {
          clearInterval(confirmations);
          void out(`${elapsed()}  funding   locked at depth ${params.minimum_depth}`);
        }
      });
      const { channelId, state } = await initiator.opened;
      await responder.opened;
      clearInterval(confirmations);
      const line = (label: string, coSigned: CoSignedState) =>
        out(`${elapsed()}  ${label.padEnd(9)} round ${String(coSigned.round).padStart(2)}  alice ${String(coSigned.balances.initiator).padStart(6)}  bob ${String(coSigned.balances.responder).padStart(6)}`);
      await out(`${elapsed()}  open      channel ${channelId}`);
      await line('state', state);

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
        await line('transfer', coSigned);
        await out(`${' '.repeat(17)}↳ ${text}`);
      }

      const delivered = new Promise<string>((resolve) => responder.on('message', ({ info }) => resolve(info)));
      await initiator.sendMessage(bob.address, 'thanks for the lunch, bob');
      await out(`${elapsed()}  message   bob got from alice: "${await delivered}"`);

      const last = initiator.state as CoSignedState;
      const closed = await responder.shutdown();
      await out(`${elapsed()}  close     bob asks to close at round ${last.round}; both signed ${closed.hash}`);
      await out(`${elapsed()}  close     amounts on close: alice ${closed.tx.tx.type === 'channel_close_mutual_tx' ? closed.tx.tx.initiator_amount : '?'}, bob ${closed.tx.tx.type === 'channel_close_mutual_tx' ? closed.tx.tx.responder_amount : '?'} (fee 1)`);
      let lastProgress = '';
      const mined = await node.waitForTx(closed.hash, {
        confirmations: 1n,
        pollMs: 100,
        timeoutMs: 60_000,
        onProgress: ({ height, blockHeight }) => {
          const progress = `height ${height}, close tx ${blockHeight < 0n ? 'in the mempool' : `in block ${blockHeight}`}`;
          if (progress !== lastProgress) void out(`${elapsed()}  waiting   ${progress}`);
          lastProgress = progress;
        },
      });
      await out(`${elapsed()}  mined     close tx in block ${mined.blockHeight}`);
      for (const [who, signer] of [['alice', alice], ['bob', bob]] as const) {
        const balance = (await node.getBalance(signer.address)) ?? 0n;
        await out(`${elapsed()}  balance   ${who.padEnd(5)} ${balance} on chain (${balance - FUNDING >= 0n ? '+' : ''}${balance - FUNDING})`);
      }
      await out(`${elapsed()}  done      ${last.round} rounds, channel ${channelId} closed`);
      return EXIT.OK;
    } finally {
      for (const client of clients) client.close();
      await devnode?.close();
    }
  },
};

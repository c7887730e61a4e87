import { bytesToHex, decode, EncodingError } from '@aesc/encoding';
import { type GenesisAccount, startDevnode } from '@aesc/devnode';
import { parseJsonExact, SchemaError } from '@aesc/schema';
import { createSigner } from '@aesc/signer';
import { blake2b256 } from '@aesc/tx';
import { type Command, stringOption, writeJson } from '../command.js';
import { CliError, EXIT, oneLine } from '../errors.js';
import { readFileAtMost } from '../io.js';

const DEFAULT_BALANCE = 1_000_000_000n;

/** A --genesis file is read up to this size (~100 bytes an account), so that /dev/zero or a wrong path fails at once. */
const MAX_GENESIS_FILE_SIZE = 16 * 2 ** 20;

/**
 * The demo accounts' keys come from a fixed text, so that the same `aesc devnode` always funds
 * the same accounts and a walk-through can use them. They are for a local test chain only.
 */
export async function demoAccount(index: number) {
  const seed = blake2b256(new TextEncoder().encode(`aesc devnode demo account ${index}`));
  const signer = await createSigner(seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed);
  secretKey.set(signer.publicKey, 32);
  return { signer, secretKey };
}

export const devnodeCommand: Command = {
  name: 'devnode',
  summary: 'run a local node: chain, HTTP API and channel WebSocket service',
  usage: ['devnode [--http-port <n>] [--port <n>] [--host <addr>] [--block-interval <ms>] [--dialect seed|v0.14] [--minimum-depth <n>] [--accounts <n>] [--genesis <file>]'],
  description: [
    'Starts devnode: a chain emulator with the on-chain rules of every channel tx, the node HTTP',
    'API under /v2 and the channel WebSocket service on /channel, as the v0.14 node had them.',
    'It prints its ports and the funded demo accounts (their secret keys too: they are fixed, for',
    'this local chain only), then runs until Ctrl-C (SIGINT) or SIGTERM, and stops cleanly.',
    'Blocks are mined every --block-interval ms (default 1000; 0: only on POST /v2/debug/mine).',
    '--genesis reads a JSON array of {"account": "ak$…", "balance": <integer or decimal string>}.',
    '--json prints one JSON line when ready: {"http","ws","dialect","accounts":[{address,secret_key,balance}]}.',
  ].join('\n'),
  options: {
    'http-port': { type: 'string', placeholder: '<n>', description: 'HTTP API port (default 3013; 0: any free port)' },
    port: { type: 'string', placeholder: '<n>', description: 'channel WebSocket port (default 3014; 0: any free port)' },
    host: { type: 'string', placeholder: '<addr>', description: 'address to listen on (default 127.0.0.1)' },
    'block-interval': { type: 'string', placeholder: '<ms>', description: 'mine a block every <ms> milliseconds (default 1000; 0: on demand)' },
    dialect: { type: 'string', placeholder: '<name>', description: 'names on the wire: seed (default) or v0.14' },
    'minimum-depth': { type: 'string', placeholder: '<n>', description: 'confirmations before a channel opens (default 4)' },
    accounts: { type: 'string', placeholder: '<n>', description: 'how many demo accounts to fund (default 2)' },
    genesis: { type: 'string', placeholder: '<file>', description: 'fund the accounts of a JSON file as well' },
  },
  arity: { min: 0, max: 0 },
  examples: ['aesc devnode', 'aesc devnode --port 0 --http-port 0 --block-interval 200 --dialect v0.14'],
  async run(invocation) {
    const number = (name: string, fallback: number, max: number) => {
      const text = stringOption(invocation, name);
      if (text === undefined) return fallback;
      if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) > max) {
        throw new CliError('INVALID_NUMBER', `--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(text.slice(0, 20))}`);
      }
      return Number(text);
    };
    const dialect = stringOption(invocation, 'dialect') ?? 'seed';
    if (dialect !== 'seed' && dialect !== 'v0.14') throw new CliError('USAGE', `--dialect must be seed or v0.14, got ${JSON.stringify(dialect.slice(0, 20))}`);
    const accountCount = number('accounts', 2, 100);
    const demo = await Promise.all(Array.from({ length: accountCount }, (_, index) => demoAccount(index)));
    const genesis: GenesisAccount[] = demo.map(({ signer }) => ({ pubkey: signer.publicKey, balance: DEFAULT_BALANCE }));
    const genesisFile = stringOption(invocation, 'genesis');
    const fromFile = genesisFile === undefined ? [] : await readGenesis(genesisFile);
    genesis.push(...fromFile);

    const httpPort = number('http-port', 3013, 65535);
    const wsPort = number('port', 3014, 65535);
    const host = stringOption(invocation, 'host') ?? '127.0.0.1';
    if (httpPort === wsPort && httpPort !== 0) {
      throw new CliError('USAGE', `--http-port and --port are both ${httpPort}: the HTTP API and the channel service need two ports`);
    }
    const node = await startDevnode({
      httpPort,
      wsPort,
      host,
      blockInterval: number('block-interval', 1000, 3_600_000),
      dialect,
      minimumDepth: BigInt(number('minimum-depth', 4, 1_000_000)),
      genesis,
    }).catch((error: unknown) => {
      throw listenError(error, { httpPort, host });
    });
    // The chain's balance: --genesis may fund a demo account as well, and funding adds up.
    const accounts = demo.map(({ signer, secretKey }) => ({
      address: signer.address,
      secret_key: bytesToHex(secretKey),
      balance: String(node.chain.account(signer.publicKey)?.balance ?? DEFAULT_BALANCE),
    }));
    if (invocation.json) {
      await writeJson(invocation.io, { http: node.httpUrl, ws: node.wsUrl, dialect, accounts });
    } else {
      await invocation.io.stdout(
        [
          `devnode (${dialect} dialect) is running`,
          `  HTTP API     ${node.httpUrl}`,
          `  channels     ${node.wsUrl}`,
          `  blocks       ${number('block-interval', 1000, 3_600_000) === 0 ? 'on demand (POST /v2/debug/mine)' : `every ${number('block-interval', 1000, 3_600_000)} ms`}`,
          ...(accounts.length === 0
            ? ['  no demo accounts (--accounts 0)']
            : [
                '  funded demo accounts (secret keys are fixed: for this local chain only):',
                ...accounts.map((account, index) => `    [${index}] ${account.address}  balance ${account.balance}\n        secret key ${account.secret_key}`),
              ]),
          ...(genesisFile === undefined ? [] : [`  --genesis    ${fromFile.length} more account${fromFile.length === 1 ? '' : 's'} funded from ${genesisFile}`]),
          'Ctrl-C stops it.',
          '',
        ].join('\n'),
      );
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await node.close();
    if (!invocation.json) await invocation.io.stdout('devnode stopped\n');
    return EXIT.OK;
  },
};

/**
 * Why a port could not be listened on, as one line that names the option to change. The command
 * line was well formed: a busy port is this machine's state, so it is `CANNOT_LISTEN` (exit 1),
 * not `USAGE`. Anything but a listen error is rethrown as it is.
 */
function listenError(error: unknown, { httpPort, host }: { httpPort: number; host: string }): unknown {
  const failure = error as NodeJS.ErrnoException & { port?: number; syscall?: string };
  if (!(error instanceof Error) || typeof failure.code !== 'string' || (failure.syscall !== 'listen' && failure.syscall !== 'getaddrinfo')) return error;
  if (failure.syscall === 'getaddrinfo' || failure.code === 'EADDRNOTAVAIL') {
    return new CliError('CANNOT_LISTEN', `cannot listen on --host ${JSON.stringify(host.slice(0, 60))} (${failure.code}): give an address of this machine, e.g. 127.0.0.1`);
  }
  // The two ports differ (checked before), so the port in the error names the option.
  const option = failure.port === httpPort ? '--http-port' : '--port';
  const where = `${host}:${failure.port ?? '?'} (${option})`;
  if (failure.code === 'EADDRINUSE') {
    return new CliError('CANNOT_LISTEN', `cannot listen on ${where}: the port is in use (another devnode or node?); choose another with ${option}, or 0 for any free port`);
  }
  if (failure.code === 'EACCES') {
    return new CliError('CANNOT_LISTEN', `cannot listen on ${where}: not permitted (ports below 1024 need privileges); choose a port from 1024 up, or 0 for any free port`);
  }
  return new CliError('CANNOT_LISTEN', `cannot listen on ${where}: ${failure.code}`);
}

async function readGenesis(file: string): Promise<GenesisAccount[]> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFileAtMost(file, MAX_GENESIS_FILE_SIZE);
  } catch (error) {
    throw new CliError('GENESIS_FILE_UNREADABLE', `cannot read --genesis ${JSON.stringify(file)}: ${oneLine((error as Error).message)}`);
  }
  if (bytes === undefined) {
    throw new CliError('GENESIS_FILE_UNREADABLE', `--genesis ${JSON.stringify(file)} is larger than ${MAX_GENESIS_FILE_SIZE / 2 ** 20} MiB, the most a genesis file may hold (about 200 000 accounts)`);
  }
  const text = new TextDecoder().decode(bytes);
  let entries: unknown;
  try {
    entries = parseJsonExact(text);
  } catch (error) {
    if (error instanceof SchemaError) throw new CliError('INVALID_JSON', `--genesis ${JSON.stringify(file)}: ${error.message}`);
    throw error;
  }
  if (!Array.isArray(entries)) throw new CliError('INVALID_JSON', '--genesis must hold a JSON array of {"account", "balance"}');
  return entries.map((entry: unknown, index) => {
    const record = entry as { account?: unknown; balance?: unknown } | null;
    const balance = typeof record?.balance === 'string' && /^(0|[1-9][0-9]*)$/.test(record.balance) ? BigInt(record.balance) : record?.balance;
    if (typeof record?.account !== 'string' || typeof balance !== 'bigint' || balance < 0n) {
      throw new CliError('INVALID_JSON', `--genesis entry ${index}: expected {"account": "ak$…", "balance": <non-negative integer>}`);
    }
    try {
      return { pubkey: decode(record.account, 'ak'), balance };
    } catch (error) {
      // Name the entry, as --initiator or --signers name themselves: the file may hold many keys.
      if (!(error instanceof EncodingError)) throw error;
      throw new EncodingError(error.code, `--genesis entry ${index}: ${error.message}`, error.context);
    }
  });
}

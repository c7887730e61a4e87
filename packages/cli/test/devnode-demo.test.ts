import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevnode } from '@aesc/devnode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAccount } from '../src/commands/devnode.js';
import { jsonLines, runCli } from './support.js';

/* `aesc demo` and `aesc devnode` as a user runs them: the built binary in a child process. */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/aesc.js', import.meta.url));

describe.each(['seed', 'v0.14'] as const)('aesc demo (%s dialect)', (dialect) => {
  it('runs a whole channel to the end and exits 0', () => {
    const result = spawnSync(process.execPath, [BIN, 'demo', '--dialect', dialect], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.some((line) => /open +channel ch\$\w+/.test(line))).toBe(true);
    expect(lines.filter((line) => / transfer +round +\d+/.test(line))).toHaveLength(6);
    expect(result.stdout).toMatch(/mined +close tx in block \d+/);
    // alice: 100000 − 40000 − 1 (create fee) + 38149; bob: 100000 − 25000 + 26850.
    expect(result.stdout).toMatch(/balance +alice 98148 on chain/);
    expect(result.stdout).toMatch(/balance +bob +101850 on chain/);
    expect(result.stdout).toMatch(/done +7 rounds/);
  });
});

/** The first line `aesc devnode --json` prints: where it listens and the accounts it funded. */
function startedLine(child: ChildProcess): Promise<{ http: string; ws: string; accounts: { address: string; balance: string }[] }> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(JSON.parse(output.split('\n')[0] as string));
    });
    child.once('exit', (code) => reject(new Error(`devnode exited early with ${code}`)));
  });
}

describe('aesc devnode', () => {
  it('prints its ports and funded accounts, serves, and stops cleanly on SIGINT', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'devnode', '--json', '--port', '0', '--http-port', '0', '--block-interval', '0'], { cwd: ROOT });
    const started = await startedLine(child);
    expect(started.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/channel$/);
    expect(started.accounts).toHaveLength(2);
    const balance = await fetch(`${started.http}/account/${started.accounts[0]?.address}/balance`);
    expect(await balance.json()).toEqual({ balance: Number(started.accounts[0]?.balance) });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  });
});

describe('aesc devnode --genesis', () => {
  it('prints the balance the chain holds when the genesis file funds a demo account too', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    const genesis = join(directory, 'genesis.json');
    const { signer } = await demoAccount(0);
    writeFileSync(genesis, JSON.stringify([{ account: signer.address, balance: '5' }]));
    const child: ChildProcess = spawn(process.execPath, [BIN, 'devnode', '--json', '--port', '0', '--http-port', '0', '--block-interval', '0', '--accounts', '1', '--genesis', genesis], { cwd: ROOT });
    try {
      const started = await startedLine(child);
      expect(started.accounts[0]?.address).toBe(signer.address);
      const balance = await fetch(`${started.http}/account/${signer.address}/balance`);
      expect(await balance.json()).toEqual({ balance: 1_000_000_005 });
      expect(started.accounts[0]?.balance).toBe('1000000005');
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('aesc devnode, its text when ready', () => {
  it('says when it funds no demo account, and how many accounts --genesis funded', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    const genesis = join(directory, 'genesis.json');
    const [first, second] = await Promise.all([demoAccount(5), demoAccount(6)]);
    writeFileSync(genesis, JSON.stringify([{ account: first.signer.address, balance: '5' }, { account: second.signer.address, balance: '7' }]));
    const child: ChildProcess = spawn(process.execPath, [BIN, 'devnode', '--port', '0', '--http-port', '0', '--block-interval', '0', '--accounts', '0', '--genesis', genesis], { cwd: ROOT });
    try {
      const text = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Ctrl-C stops it.')) resolve(output);
        });
        child.once('exit', (code) => reject(new Error(`devnode exited early with ${code}: ${output}`)));
      });
      expect(text).not.toContain('funded demo accounts');
      expect(text).toContain('  no demo accounts (--accounts 0)\n');
      expect(text).toContain(`  --genesis    2 more accounts funded from ${genesis}\n`);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('aesc devnode with a number option out of its range', () => {
  it.each([
    ['--port', '65536', 65535],
    ['--http-port', '1.5', 65535],
    ['--block-interval', '01', 3_600_000],
    ['--minimum-depth', '1e3', 1_000_000],
    ['--accounts', '101', 100],
  ])('%s %s: INVALID_NUMBER, one line naming the option, exit 1', async (option, value, max) => {
    // the other port on any free port (an option given twice would be a USAGE error)
    const ports = ['--port', '--http-port'].filter((name) => name !== option).flatMap((name) => [name, '0']);
    const { code, stdout, stderr } = await runCli(['devnode', ...ports, option, value]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^aesc devnode: INVALID_NUMBER: ${option} must be a whole number from 0 to ${max}, got "${value.replace('.', '\\.')}"\n$`));
  });
});

describe('aesc devnode --genesis with a bad key', () => {
  it('names the entry: one line, exit 1', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    const genesis = join(directory, 'genesis.json');
    const { signer } = await demoAccount(0);
    writeFileSync(genesis, JSON.stringify([{ account: signer.address, balance: '5' }, { account: 'ak$x', balance: '5' }]));
    try {
      const { code, stdout, stderr } = await runCli(['devnode', '--port', '0', '--http-port', '0', '--genesis', genesis]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^aesc devnode: BAD_CHECKSUM: --genesis entry 1: [^\n]+\n$/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.each([
    ['an empty account', '', 'EMPTY_INPUT', 'empty input'],
    ['an account a shell would have cut', 'ak', 'MISSING_PREFIX', 'no "$": expected prefix$base58check, like ak$… or tx$…'],
  ])('%s: the entry named, and no hint about the shell (no shell read the file)', async (_case, account, errorCode, message) => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    const genesis = join(directory, 'genesis.json');
    writeFileSync(genesis, JSON.stringify([{ account, balance: '5' }]));
    try {
      const { code, stdout, stderr } = await runCli(['devnode', '--port', '0', '--http-port', '0', '--genesis', genesis]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`aesc devnode: ${errorCode}: --genesis entry 0: ${message}\n`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('aesc devnode --genesis with a file it cannot read', () => {
  it.each([
    ['missing', (directory: string) => join(directory, 'none.json')],
    ['a directory', (directory: string) => directory],
  ])('%s: GENESIS_FILE_UNREADABLE, one line, exit 1', async (_, path) => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    try {
      const { code, stdout, stderr } = await runCli(['devnode', '--port', '0', '--http-port', '0', '--genesis', path(directory)]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^aesc devnode: GENESIS_FILE_UNREADABLE: cannot read --genesis "[^"\n]+": E[A-Z]+[^\n]*\n$/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('an endless file (/dev/zero): GENESIS_FILE_UNREADABLE once 16 MiB are read, not a read of all the memory there is', async () => {
    const { code, stdout, stderr } = await runCli(['devnode', '--port', '0', '--http-port', '0', '--genesis', '/dev/zero']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('aesc devnode: GENESIS_FILE_UNREADABLE: --genesis "/dev/zero" is larger than 16 MiB, the most a genesis file may hold (about 200 000 accounts)\n');
  });

  it('a file of exactly 16 MiB is read (and judged by its content)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-genesis-'));
    const genesis = join(directory, 'genesis.json');
    writeFileSync(genesis, `[${' '.repeat(16 * 2 ** 20 - 3)}1]`);
    try {
      const { code, stdout, stderr } = await runCli(['devnode', '--port', '0', '--http-port', '0', '--genesis', genesis]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe('aesc devnode: INVALID_JSON: --genesis entry 0: expected {"account": "ak$…", "balance": <non-negative integer>}\n');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('aesc demo --json', () => {
  it('prints one JSON object per event and a summary, with the text timeline\'s information', () => {
    const result = spawnSync(process.execPath, [BIN, 'demo', '--json'], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const events = jsonLines(result.stdout) as ({ time: number; actor: string; event: string } & Record<string, unknown>)[];
    for (const event of events) {
      expect(Object.keys(event).slice(0, 3)).toEqual(['time', 'actor', 'event']);
      expect(typeof event.time).toBe('number');
    }
    const times = events.map((event) => event.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const of = (name: string) => events.filter((event) => event.event === name);
    expect(of('fund').map((event) => [event.actor, event.amount])).toEqual([['alice', '100000'], ['bob', '100000']]);
    for (const event of of('fund')) expect(event.account).toMatch(/^ak\$\w+$/);
    expect(of('open')[0]?.channel_id).toMatch(/^ch\$\w+$/);
    expect(of('on_chain').map((event) => event.tx_type)).toEqual(['channel_create_tx', 'channel_close_mutual_tx']);
    for (const event of of('on_chain')) expect(event.hash).toMatch(/^th\$\w+$/);
    const transfers = of('transfer');
    expect(transfers).toHaveLength(6);
    expect(transfers[0]).toMatchObject({ actor: 'alice', from: 'alice', to: 'bob', amount: '1500', request: false, round: '2', balances: { alice: '38500', bob: '26500' } });
    expect(transfers[3]).toMatchObject({ actor: 'bob', from: 'alice', to: 'bob', amount: '300', request: true, round: '5' });
    expect(of('message')[0]).toMatchObject({ actor: 'bob', from: 'alice', info: 'thanks for the lunch, bob' });
    expect(of('close')[0]).toMatchObject({ actor: 'bob', round: '7', amounts: { alice: '38149', bob: '26850' }, fee: '1' });
    expect(of('balance').map((event) => [event.actor, event.balance, event.change])).toEqual([['alice', '98148', '-1852'], ['bob', '101850', '+1850']]);
    const last = events.at(-1);
    expect(last).toMatchObject({ actor: 'demo', event: 'done', rounds: '7', channel_id: of('open')[0]?.channel_id, balances: { alice: '98148', bob: '101850' } });
    expect(last?.close_hash).toBe(of('close')[0]?.hash);
  });
});

/**
 * `aesc demo --json --node … --ws …` against a devnode of this process, run as a user runs it: the
 * built binary in a child process. Resolves with its output once it exits, or with `still running`
 * when it has not exited 5 s after its last line (`done`): nothing of the demo may keep it alive.
 */
async function demoAt(devnode: { httpUrl: string; wsUrl: string }): Promise<{ code: number | null | 'still running'; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'demo', '--json', '--node', devnode.httpUrl, '--ws', devnode.wsUrl], { cwd: ROOT });
  let [stdout, stderr] = ['', ''];
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const code = await new Promise<number | null | 'still running'>((resolve) => {
      child.once('exit', resolve);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"event":"done"')) setTimeout(() => resolve('still running'), 5_000).unref();
      });
    });
    return { code, stdout, stderr };
  } finally {
    if (child.exitCode === null) {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

describe('aesc demo on a devnode that mines only on demand (--block-interval 0)', () => {
  it('mines the blocks it waits for itself, says so once, runs to the end and exits', async () => {
    const devnode = await startDevnode({ httpPort: 0, wsPort: 0, blockInterval: 0 });
    try {
      const { code, stdout, stderr } = await demoAt(devnode);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const events = jsonLines(stdout) as Record<string, unknown>[];
      expect(events.filter((event) => event.event === 'mine')).toEqual([expect.objectContaining({ actor: 'demo', event: 'mine' })]);
      expect(events.at(-1)).toMatchObject({ event: 'done', rounds: '7', balances: { alice: '98148', bob: '101850' } });
    } finally {
      await devnode.close();
    }
  });
});

describe('aesc demo on a devnode that mines by itself', () => {
  it('mines nothing itself (no block stands still for 1.5 s) and runs to the end', async () => {
    const devnode = await startDevnode({ httpPort: 0, wsPort: 0, blockInterval: 700 });
    try {
      const { code, stdout, stderr } = await demoAt(devnode);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const events = jsonLines(stdout) as Record<string, unknown>[];
      expect(events.filter((event) => event.event === 'mine')).toEqual([]);
      expect(events.at(-1)).toMatchObject({ event: 'done', rounds: '7' });
    } finally {
      await devnode.close();
    }
  });
});

describe('aesc demo with a node it cannot use', () => {
  let notADevnode: ReturnType<typeof createHttpServer>;
  let notADevnodeUrl: string;
  beforeAll(async () => {
    // Answers as a node without the debug endpoints does (a v0.14 node: 404).
    notADevnode = createHttpServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"reason":"Not found"}');
    });
    await new Promise<void>((resolve) => notADevnode.listen(0, '127.0.0.1', resolve));
    notADevnodeUrl = `http://127.0.0.1:${(notADevnode.address() as AddressInfo).port}/v2`;
  });
  afterAll(() => new Promise<void>((resolve) => notADevnode.close(() => resolve())));

  it('an unreachable node: NODE_UNREACHABLE, exit 1, one line that says what to do', async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(['demo', '--node', `http://127.0.0.1:${port}/v2`, '--ws', `ws://127.0.0.1:${port}/channel`]);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^aesc demo: NODE_UNREACHABLE: .*ECONNREFUSED.*aesc devnode/);
  });

  it('prints the error as JSON after the events with --json', async () => {
    const port = await freePort();
    const { code, stdout } = await runCli(['demo', '--json', '--node', `http://127.0.0.1:${port}/v2`, '--ws', `ws://127.0.0.1:${port}/channel`]);
    expect(code).toBe(1);
    const lines = jsonLines(stdout) as Record<string, unknown>[];
    expect(lines[0]).toMatchObject({ actor: 'node', event: 'node', embedded: false });
    expect(lines.at(-1)).toEqual({ error: { code: 'NODE_UNREACHABLE', message: expect.any(String) } });
  });

  it('--node alone takes the channel service at port 3014 of its host, where aesc devnode listens by default', async () => {
    const port = await freePort();
    const { code, stdout } = await runCli(['demo', '--json', '--node', `http://127.0.0.1:${port}/v2`]);
    // the node is not there: the run ends at the first node call, after it said which node it uses
    expect(code).toBe(1);
    const lines = jsonLines(stdout) as Record<string, unknown>[];
    expect(lines[0]).toMatchObject({ event: 'node', embedded: false, http: `http://127.0.0.1:${port}/v2`, ws: 'ws://127.0.0.1:3014/channel' });
    expect(lines.at(-1)).toEqual({ error: { code: 'NODE_UNREACHABLE', message: expect.any(String) } });
  });

  it('a node without /debug/fund: NODE_ERROR, exit 1, saying it must be a devnode', async () => {
    const { code, stderr } = await runCli(['demo', '--node', notADevnodeUrl, '--ws', 'ws://127.0.0.1:1/channel']);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^aesc demo: NODE_ERROR: POST \/debug\/fund: 404 .*must be a devnode/);
  });

  it.each([
    [['--node', 'notaurl', '--ws', 'ws://127.0.0.1:3014/channel'], '--node must be an http(s) URL'],
    [['--node', 'ws://127.0.0.1:3013/v2', '--ws', 'ws://127.0.0.1:3014/channel'], '--node must be an http(s) URL'],
    [['--node', 'http://127.0.0.1:3013/v2', '--ws', 'http://127.0.0.1:3014/channel'], '--ws must be a ws(s) URL'],
    [['--ws', 'ws://127.0.0.1:3014/channel'], '--ws needs --node'],
  ])('%j is a usage error (exit 2), before anything starts', async (argv, message) => {
    const { code, stdout, stderr } = await runCli(['demo', ...argv]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^aesc demo: USAGE: /);
    expect(stderr).toContain(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('aesc devnode on a port in use', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it.each([['--port'], ['--http-port']])('%s taken: CANNOT_LISTEN, exit 1, one line naming the option', (option) => {
    const other = option === '--port' ? '--http-port' : '--port';
    const result = spawnSync(process.execPath, [BIN, 'devnode', option, String(busyPort), other, '0'], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`aesc devnode: CANNOT_LISTEN: cannot listen on 127.0.0.1:${busyPort} (${option}): the port is in use`);
  });

  it('in-process, with --json: the error object too', async () => {
    const { code, stdout, stderr } = await runCli(['devnode', '--json', '--port', String(busyPort), '--http-port', '0']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'CANNOT_LISTEN', message: expect.stringContaining('in use') } });
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('the same port for both is a usage error', async () => {
    const { code, stderr } = await runCli(['devnode', '--port', String(busyPort), '--http-port', String(busyPort)]);
    expect(code).toBe(2);
    expect(stderr).toContain('USAGE: --http-port and --port are both');
  });
});

describe('standard input that cannot be read', () => {
  it('a directory: STDIN_UNREADABLE, exit 1, one line', () => {
    const directory = openSync(tmpdir(), 'r');
    try {
      const result = spawnSync(process.execPath, [BIN, 'inspect', '-'], { encoding: 'utf8', cwd: ROOT, stdio: [directory, 'pipe', 'pipe'], timeout: 30_000 });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^aesc inspect: STDIN_UNREADABLE: cannot read standard input: it is a directory;[^\n]*\n$/);
    } finally {
      closeSync(directory);
    }
  });

  it('/dev/null is empty input, not an error', () => {
    const empty = spawnSync('sh', ['-c', 'exec "$0" "$1" build - < /dev/null', process.execPath, BIN], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
    expect([empty.status, empty.stdout, empty.stderr]).toEqual([0, '', '']);
  });
});

/** A port nothing listens on (just freed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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

describe('aesc devnode', () => {
  it('prints its ports and funded accounts, serves, and stops cleanly on SIGINT', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'devnode', '--json', '--port', '0', '--http-port', '0', '--block-interval', '0'], { cwd: ROOT });
    const ready = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) resolve(output.split('\n')[0] as string);
      });
      child.once('exit', (code) => reject(new Error(`devnode exited early with ${code}`)));
    });
    const started = JSON.parse(ready) as { http: string; ws: string; accounts: { address: string; balance: string }[] };
    expect(started.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/channel$/);
    expect(started.accounts).toHaveLength(2);
    const balance = await fetch(`${started.http}/account/${started.accounts[0]?.address}/balance`);
    expect(await balance.json()).toEqual({ balance: Number(started.accounts[0]?.balance) });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  });
});

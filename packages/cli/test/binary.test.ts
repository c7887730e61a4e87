import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_ENCODED_LENGTH, MAX_VARIABLE_PAYLOAD } from '@aesc/encoding';
import { createSigner, signTx } from '@aesc/signer';
import { decodeTx, encodeTx, serializeTx, type UnsignedTx } from '@aesc/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceVectors } from '../../../test/support/vectors.js';

/*
 * The built command, run as a user runs it: `node packages/cli/bin/aesc.js`, which loads
 * dist/main.js, and `node_modules/.bin/aesc`, the link `pnpm exec aesc` runs. The root test
 * script builds first (`pnpm test` = build, typecheck, vitest).
 */

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(PACKAGE, '..', '..');
const BIN = join(PACKAGE, 'bin', 'aesc.js');
const LINKED_BIN = join(ROOT, 'node_modules', '.bin', 'aesc');
const LEGACY_CLOSE_MUTUAL =
  'tx$2C9etiP9wZr2iQVj6BUYk5sxHVNgcVhK4ngwv7fjsnnj2S1przQggcqyfhfJGgMPkpzoDfBZM7SyxVQykUCHvJw2N7E5gWSMuiuGjL4fYYUAXkEeyJygCAqKiszgqz8RuBDAfyCX44SsC5Ev1KU84jkui5EVxb';
const { vectors } = referenceVectors;

function aesc(argv: string[], input?: string, nodeOptions: string[] = []) {
  const result = spawnSync(process.execPath, [...nodeOptions, BIN, ...argv], { input, encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function newestSource(directory: string): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestSource(join(directory, entry.name)) : statSync(join(directory, entry.name)).mtimeMs,
    ),
  );
}

beforeAll(() => {
  const main = join(PACKAGE, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error('packages/cli is not built: run `npx pnpm@10.34.8 build` first (`pnpm test` does)');
  if (statSync(main).mtimeMs < newestSource(join(PACKAGE, 'src'))) {
    throw new Error('packages/cli/dist is older than its sources: run `npx pnpm@10.34.8 build` first (`pnpm test` does)');
  }
});

describe('the built aesc binary', () => {
  it("inspect --json shows the seed's legacy close_mutual with from and its th$ (acceptance)", () => {
    const { code, stdout, stderr } = aesc(['inspect', '--json', LEGACY_CLOSE_MUTUAL]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.type).toBe('channel_close_mutual_tx');
    expect(Object.keys(report.fields)).toContain('from');
    expect(report.hash).toBe('th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP');
  });

  it('gives the same hashes and strings under node --jitless, where there is no WebAssembly (the node build falls back on JavaScript)', () => {
    const normal = aesc(['inspect', '--json', LEGACY_CLOSE_MUTUAL]);
    const jitless = aesc(['inspect', '--json', LEGACY_CLOSE_MUTUAL], undefined, ['--jitless']);
    expect(jitless.code).toBe(0);
    expect(jitless.stdout).toBe(normal.stdout);
    // 300 and 1 500 bytes go to WebAssembly normally, 3 000 (past its 2 048) to the BigInt code either way
    for (const hex of ['ff'.repeat(300), 'ff'.repeat(1500), 'ff'.repeat(3000)]) {
      const encoded = aesc(['encode', 'tx', hex], undefined, ['--jitless']);
      expect(encoded.stdout).toMatch(/^tx\$[1-9A-HJ-NP-Za-km-z]+\n$/);
      expect(encoded.stdout).toBe(aesc(['encode', 'tx', hex]).stdout);
    }
    expect(aesc(['hash', LEGACY_CLOSE_MUTUAL], undefined, ['--jitless']).stdout).toBe(aesc(['hash', LEGACY_CLOSE_MUTUAL]).stdout);
  });

  it("inspect 'tx$garbage' exits non-zero with one line naming the problem (acceptance)", () => {
    const { code, stdout, stderr } = aesc(['inspect', 'tx$garbage']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^aesc inspect: BAD_CHECKSUM: [^\n]+\n$/);
  });

  it('runs through node_modules/.bin/aesc, the link of `pnpm exec aesc`', () => {
    if (!existsSync(LINKED_BIN)) throw new Error('node_modules/.bin/aesc is missing: run `npx pnpm@10.34.8 install` to link the bin');
    const result = spawnSync(LINKED_BIN, ['hash', vectors[0]?.signed.tx ?? ''], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${vectors[0]?.signed.th}\n`);
  });

  it('reads values from a pipe and writes one JSON object per line', () => {
    const input = `${vectors.map((vector) => vector.signed.tx).join('\n')}\ntx$garbage\n`;
    const { code, stdout } = aesc(['inspect', '-'], input);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(vectors.length + 1);
    expect(lines.slice(0, -1).map((report) => report.hash)).toEqual(vectors.map((vector) => vector.signed.th));
    expect(lines.at(-1)).toEqual({ error: { code: 'BAD_CHECKSUM', message: expect.any(String) } });
  });

  it('inspects and builds a signed spend_tx as large as a tx$ holds (MAX_VARIABLE_PAYLOAD), and refuses a longer value', async () => {
    const signer = await createSigner(new Uint8Array(32).fill(7));
    const payloadOf = (size: number) => Uint8Array.from({ length: size }, (_, index) => (index * 31 + 7) & 0xff);
    const spend = (size: number): UnsignedTx => ({
      type: 'spend_tx',
      sender: signer.publicKey,
      recipient: new Uint8Array(32).fill(9),
      amount: 10n ** 18n,
      fee: 20_000n,
      nonce: 3n,
      payload: payloadOf(size),
    });
    // the largest payload whose signed tx (one 64-byte signature) fits
    const signedSize = (size: number) => serializeTx({ type: 'signed_tx', signatures: [new Uint8Array(64)], tx: spend(size) }).length;
    let size = MAX_VARIABLE_PAYLOAD - 200;
    while (signedSize(size + 1) <= MAX_VARIABLE_PAYLOAD) size++;
    expect(signedSize(size)).toBe(MAX_VARIABLE_PAYLOAD);
    const signed = await signTx(spend(size), signer);
    const encoded = encodeTx(signed);
    expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_LENGTH);
    expect(decodeTx(encoded, 'signed_tx')).toStrictEqual(signed);

    const inspected = aesc(['inspect', '--json', encoded]);
    expect(inspected.stderr).toBe('');
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout);
    expect(report.type).toBe('signed_tx');
    expect(report.signatures).toEqual([expect.objectContaining({ signer: signer.address, valid: true })]);
    expect(report.tx.type).toBe('spend_tx');
    expect(report.tx.fields.payload).toBe(`0x${Buffer.from(payloadOf(size)).toString('hex')}`);
    expect(aesc(['build', '-'], inspected.stdout).stdout).toBe(`${encoded}\n`);

    // a pipe: the value, then one character more than any value can have
    const piped = aesc(['inspect', '-'], `${encoded}\ntx$${'2'.repeat(MAX_ENCODED_LENGTH - 2)}\n`);
    expect(piped.code).toBe(1);
    const lines = piped.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toEqual(report);
    expect(lines[1]).toEqual({ error: { code: 'INPUT_TOO_LONG', message: expect.any(String) } });
  });

  it('pipes inspect into build', () => {
    const inspected = aesc(['inspect', '-'], vectors.map((vector) => vector.unsigned.tx).join('\n'));
    const built = aesc(['build', '-'], inspected.stdout);
    expect(built.code).toBe(0);
    expect(built.stdout).toBe(`${vectors.map((vector) => vector.unsigned.tx).join('\n')}\n`);
  });

  it('prints its help, and exits 2 on a bad command line', () => {
    const help = aesc(['inspect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('single quotes');
    const usage = aesc(['inspect', '--frobnicate', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  describe('keys', () => {
    let directory = '';
    beforeAll(() => {
      directory = mkdtempSync(join(tmpdir(), 'aesc-bin-'));
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it('keygen, sign twice, verify', () => {
      const alice = join(directory, 'alice.key');
      const bob = join(directory, 'bob.key');
      const addresses = [alice, bob].map((path) => JSON.parse(aesc(['keygen', '--json', '--out', path]).stdout).address as string);
      const create = JSON.parse(aesc(['inspect', '--json', vectors.find((vector) => vector.id === 'channel_create_tx/typical')?.unsigned.tx ?? '']).stdout);
      create.fields.initiator = addresses[0];
      create.fields.responder = addresses[1];
      const unsigned = aesc(['build', JSON.stringify(create)]).stdout.trim();
      const once = aesc(['sign', '--key', alice, unsigned]).stdout.trim();
      expect(aesc(['verify', once]).code).toBe(3);
      const twice = aesc(['sign', '--key', bob, once]).stdout.trim();
      const verified = aesc(['verify', '--json', twice]);
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, signers: [{ signer: addresses[0] }, { signer: addresses[1] }] });
    });

    it('keygen --out that cannot write the whole file (a full disk) leaves no key file behind', () => {
      const path = join(directory, 'full.key');
      // `ulimit -f 0` fails every write with EFBIG (SIGXFSZ ignored), as a full disk fails it with ENOSPC
      const script = `trap '' XFSZ; ulimit -f 0; exec "$0" "$@"`;
      const result = spawnSync('sh', ['-c', script, process.execPath, BIN, 'keygen', '--out', path], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^aesc keygen: KEY_FILE_UNWRITABLE: cannot write [^\n]*EFBIG[^\n]*\n$/);
      expect(existsSync(path)).toBe(false);
      // so the same command succeeds once there is room
      expect(aesc(['keygen', '--out', path]).code).toBe(0);
    });
  });

  describe('standard output and standard error that cannot be written', () => {
    it('a full disk on standard output: one line on standard error, exit 1, no stack trace', () => {
      const full = openSync('/dev/full', 'w');
      try {
        for (const argv of [['keygen'], ['inspect', LEGACY_CLOSE_MUTUAL]]) {
          const result = spawnSync(process.execPath, [BIN, ...argv], { stdio: ['pipe', full, 'pipe'], encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
          expect(result.status).toBe(1);
          expect(result.stderr).toMatch(new RegExp(`^aesc ${argv[0]}: STDOUT_UNWRITABLE: cannot write standard output: ENOSPC[^\\n]*\\n$`));
        }
      } finally {
        closeSync(full);
      }
    });

    it('a full disk on standard error costs sign neither its output nor its exit code', () => {
      const full = openSync('/dev/full', 'w');
      const keyPath = join(mkdtempSync(join(tmpdir(), 'aesc-bin-')), 'k.key');
      try {
        aesc(['keygen', '--out', keyPath]);
        // this key is no signer of the tx: sign warns on standard error, then prints the tx
        const result = spawnSync(process.execPath, [BIN, 'sign', '--key', keyPath, vectors[0]?.unsigned.tx ?? ''], { stdio: ['pipe', 'pipe', full], encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^tx\$\w+\n$/);
      } finally {
        closeSync(full);
        rmSync(dirname(keyPath), { recursive: true, force: true });
      }
    });
  });

  it('ends with its own exit code, quietly, when the reader of its pipe is gone before it writes', () => {
    const directory = mkdtempSync(join(tmpdir(), 'aesc-bin-'));
    const fifo = join(directory, 'fifo');
    try {
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      // fd 4 writes into a pipe that no one reads any more (fd 3, its only reader, is closed), so
      // every write of aesc fails with EPIPE, before or after it has decided its exit code
      const script = [
        'exec 3<>"$2"; exec 4>"$2"; exec 3<&-',
        '"$0" "$1" inspect --json "$5" >&4; echo "inspect $?"',
        '"$0" "$1" hash "$3" >&4; echo "hash $?"',
        '"$0" "$1" verify --json --signers "$4" "$3" >&4; echo "verify $?"',
      ].join('\n');
      const otherKey = referenceVectors.keys.find((key) => !vectors[0]?.signers.includes(key.public_key_hex))?.ak ?? '';
      const result = spawnSync('bash', ['-c', script, process.execPath, BIN, fifo, vectors[0]?.signed.tx ?? '', otherKey, 'tx$garbage'], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
      expect(result.stdout).toBe('inspect 1\nhash 0\nverify 3\n');
      // each says its failure on standard error as ever, and nothing about the closed pipe
      expect(result.stderr).toMatch(/^aesc inspect: BAD_CHECKSUM: [^\n]*\n$/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('answers each line of a pipe as it comes, before the input ends', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', '-'], { cwd: ROOT });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines: string[] = [];
    let pending = '';
    const nextLine = () =>
      new Promise<string>((resolve) => {
        const take = () => {
          const newline = pending.indexOf('\n');
          if (newline < 0) return false;
          resolve(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          return true;
        };
        if (take()) return;
        const onData = (chunk: Buffer) => {
          pending += chunk.toString();
          if (take()) child.stdout.off('data', onData);
        };
        child.stdout.on('data', onData);
      });
    // each line is written only once the one before it was answered: a command that waited for
    // the end of its input would never answer the first, and this test would time out
    for (const vector of vectors.slice(0, 3)) {
      child.stdin.write(`${vector.signed.tx}\r\n`);
      lines.push(await nextLine());
    }
    child.stdin.end();
    expect(await closed).toBe(0);
    expect(lines.map((line) => JSON.parse(line).hash)).toEqual(vectors.slice(0, 3).map((vector) => vector.signed.th));
  });

  it('tells a $ value an unquoted shell cut short to quote it', () => {
    // sh expands $2 of tx$2C9e… (an unset positional parameter) to nothing
    const result = spawnSync('sh', ['-c', `"$0" "$1" hash ${LEGACY_CLOSE_MUTUAL}`, process.execPath, BIN], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^aesc hash: MISSING_PREFIX: [^\n]*"txC9etiP[^\n]*the shell expanded to nothing: quote \$ values in single quotes \('tx\$…'\)\n$/);
  });

  it('stops quietly, exit 0, when the reader closes the pipe though its input stays open', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', '-'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.on('error', () => {});
    // never ended: a command that went on reading after its reader left would wait here forever
    child.stdin.write(`${vectors[0]?.signed.tx}\n`.repeat(2_000));
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<'still running'>((resolve) => {
      guard = setTimeout(() => resolve('still running'), 30_000);
    });
    const outcome = await Promise.race([closed, hung]);
    clearTimeout(guard);
    if (outcome === 'still running') child.kill();
    child.stdin.destroy();
    expect(outcome).toBe(0);
    expect(stderr).toBe('');
  });

  it('reads no further ahead than its reader takes its output (back-pressure), and answers every line', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', '-'], { cwd: ROOT });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.pause();
    const count = 5_000;
    // some 1 MB of input, far more than the pipes and stream buffers between the two hold
    const allWritten = new Promise<'all input taken'>((resolve) => child.stdin.end(`${vectors[0]?.signed.tx}\n`.repeat(count), () => resolve('all input taken')));
    let wait: NodeJS.Timeout | undefined;
    const waited = new Promise<'waited'>((resolve) => {
      wait = setTimeout(() => resolve('waited'), 3_000);
    });
    // while no output is read, the input cannot all be taken: a command that kept answering
    // would hold every answer in memory, however much input there is
    expect(await Promise.race([allWritten, waited])).toBe('waited');
    clearTimeout(wait);
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines += 1;
    });
    child.stdout.resume();
    expect(await allWritten).toBe('all input taken');
    expect(await closed).toBe(0);
    expect(lines).toBe(count);
  });

  it('stops quietly when the reader closes the pipe early', async () => {
    const child = spawn(process.execPath, [BIN, 'inspect', '-'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.once('data', () => child.stdout.destroy());
    const line = `${vectors[0]?.signed.tx}\n`;
    child.stdin.on('error', () => {}); // the child may be gone before all input is written
    child.stdin.end(line.repeat(20_000));
    expect(await closed).toBe(0);
    expect(stderr).toBe('');
  });
});

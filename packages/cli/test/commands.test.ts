import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, MAX_VARIABLE_PAYLOAD } from '@aesc/encoding';
import { createSigner } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';
import { afterAll, describe, expect, it } from 'vitest';
import { hex, referenceVectors, seedVectors } from '../../../test/support/vectors.js';
import { COMMANDS } from '../src/run.js';
import { jsonLines, runCli } from './support.js';

const { vectors, keys } = referenceVectors;
const byId = new Map(vectors.map((vector) => [vector.id, vector]));
const LEGACY_CLOSE_MUTUAL =
  'tx$2C9etiP9wZr2iQVj6BUYk5sxHVNgcVhK4ngwv7fjsnnj2S1przQggcqyfhfJGgMPkpzoDfBZM7SyxVQykUCHvJw2N7E5gWSMuiuGjL4fYYUAXkEeyJygCAqKiszgqz8RuBDAfyCX44SsC5Ev1KU84jkui5EVxb';
const CHANNEL_SIGNED = new Set(['channel_deposit_tx', 'channel_withdraw_tx', 'channel_close_mutual_tx']);
const akOf = (publicKeyHex: string) => encode('ak', hex(publicKeyHex));
/** A ch$ value itself, or the channel id field of a tx (signed or not). */
const channelIdIn = (encoded: string): string => {
  if (encoded.startsWith('ch$')) return encoded;
  const tx = decodeTx(encoded);
  const inner = (tx.type === 'signed_tx' ? tx.tx : tx) as { channel_id?: Uint8Array };
  if (inner.channel_id === undefined) throw new Error(`${encoded.slice(0, 16)} has no channel id`);
  return encode('ch', inner.channel_id);
};
const vector = (id: string) => {
  const found = byId.get(id);
  if (found === undefined) throw new Error(`no vector ${id}`);
  return found;
};

const directory = mkdtempSync(join(tmpdir(), 'aesc-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Key files of the reference keys: k0.. as the JSON `keygen` writes, also as a bare seed. */
const keyFiles = new Map(
  keys.map((key) => {
    const path = join(directory, `${key.name}.key`);
    writeFileSync(path, JSON.stringify({ address: key.ak, secret_key: key.secret_key_hex }));
    const seedPath = join(directory, `${key.name}.seed`);
    writeFileSync(seedPath, `${key.seed_hex}\n`);
    return [key.name, { path, seedPath }];
  }),
);
const keyFile = (name: string) => keyFiles.get(name)?.path ?? '';

function expectOneLineError(stderr: string, code: string) {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toContain(code);
}

describe('aesc: help, usage and exit codes', () => {
  it('lists every verb and reminds to quote $ values', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command.name}`);
    expect(stdout).toContain('single quotes');
  });

  it('prints the help on standard error and exits 2 without a verb', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: aesc <command>');
  });

  it.each(COMMANDS.map((command) => [command.name]))('%s --help, -h and help %s', async (name) => {
    for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const { code, stdout } = await runCli(argv);
      expect(code).toBe(0);
      expect(stdout).toContain(`aesc ${name}: `);
      expect(stdout).toContain('Usage:');
      expect(stdout).toContain('--json');
      expect(stdout).toContain('single quotes');
    }
  });

  it('prints its version, as its help says', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await runCli(['--help'])).stdout).toContain('aesc --version');
  });

  it.each([
    [['frobnicate'], 'unknown command'],
    [['help', 'frobnicate'], 'unknown command'],
    [['inspect'], 'missing argument'],
    [['inspect', 'a', 'b'], 'unexpected argument'],
    [['inspect', '--bogus', 'x'], "Unknown option '--bogus'"],
    [['inspect', '--json=yes', 'x'], 'does not take an argument'],
    // A value that starts with a dash: node:util's hint of how to give one is kept, on the one line.
    [['devnode', '--block-interval', '-1'], "ambiguous. Did you forget to specify the option argument for '--block-interval'? To specify an option argument starting with a dash use '--block-interval=-XYZ'; see aesc devnode --help"],
    [['hash', '--unsigned'], 'missing argument'],
    [['channel-id', '--initiator', 'ak$x', '--nonce', '1'], 'missing --responder'],
    [['channel-id', 'extra'], 'unexpected argument'],
    [['sign', LEGACY_CLOSE_MUTUAL], 'missing --key'],
    [['encode', 'ak'], 'missing argument'],
  ])('%j is a usage error: exit 2 and one line with its code', async (argv, message) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expectOneLineError(stderr, ': USAGE: ');
    expect(stderr).toContain(message);
  });

  it('reports an unknown command as every failure: its code on standard error, and with --json on standard output', async () => {
    const { code, stdout, stderr } = await runCli(['frobnicate', '--json', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^aesc: USAGE: unknown command "frobnicate"; the commands are inspect, .*\n$/);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('unknown command "frobnicate"') } });
  });

  it.each([
    [['sign', '--key', keyFile('k0'), '--key', keyFile('k1'), vector('spend_tx/typical').unsigned.tx], '--key'],
    [['sign', `--key=${keyFile('k0')}`, '--key', keyFile('k1'), vector('spend_tx/typical').unsigned.tx], '--key'],
    [['keygen', '--out', join(directory, 'repeat-a.key'), '--out', join(directory, 'repeat-b.key')], '--out'],
    [['channel-id', '--initiator', keys[0]?.ak ?? '', '--nonce', '3', '--nonce', '4', '--responder', keys[1]?.ak ?? ''], '--nonce'],
    [['channel-id', '--initiator', keys[0]?.ak ?? '', '--nonce', '3', '--responder', keys[1]?.ak ?? '', '--initiator', keys[2]?.ak ?? ''], '--initiator'],
    [['demo', '--dialect', 'seed', '--dialect', 'v0.14'], '--dialect'],
    [['devnode', '--port', '0', '--port', '0'], '--port'],
  ])('%j repeats a single-value option: a usage error naming it, nothing done', async (argv, option) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expectOneLineError(stderr, 'USAGE');
    expect(stderr).toContain(`${option} given more than once`);
    expect(existsSync(join(directory, 'repeat-a.key')) || existsSync(join(directory, 'repeat-b.key'))).toBe(false);
  });

  it('takes a --json given in the place of the command: a usage error, in JSON too, that says where options go', async () => {
    const { code, stdout, stderr } = await runCli(['--json', 'inspect', LEGACY_CLOSE_MUTUAL]);
    expect(code).toBe(2);
    expectOneLineError(stderr, 'USAGE');
    expect(stderr).toContain('options go after the command');
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('unknown command "--json"') } });
  });

  it('takes any option in the place of the command for one: the usage error says where options go', async () => {
    const { code, stderr } = await runCli(['-q', 'inspect', LEGACY_CLOSE_MUTUAL]);
    expect(code).toBe(2);
    expectOneLineError(stderr, 'USAGE');
    expect(stderr).toContain('unknown command "-q"; options go after the command');
  });

  it('takes a --json just before --: a usage error then is JSON on standard output too', async () => {
    const { code, stdout, stderr } = await runCli(['decode', '--bogus', '--json', '--', 'x']);
    expect(code).toBe(2);
    expectOneLineError(stderr, 'USAGE');
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('--bogus') } });
  });

  it('takes a --json after -- for an argument: a usage error then prints nothing on standard output', async () => {
    const { code, stdout, stderr } = await runCli(['decode', '--bogus', '--', '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expectOneLineError(stderr, 'USAGE');
  });

  it('still takes the options meant to repeat, and a flag given twice', async () => {
    const deposit = vector('channel_deposit_tx/typical');
    const repeated = await runCli(['verify', '--json', '--json', ...deposit.signers.flatMap((key) => ['--signers', akOf(key)]), deposit.signed.tx]);
    expect(repeated.code).toBe(0);
    expect(JSON.parse(repeated.stdout).valid).toBe(true);
  });
});

describe('a $ value a shell expanded', () => {
  // What sh leaves of an unquoted or double-quoted value: `tx$2C9e…` loses `$2` (an empty
  // positional parameter), `"tx$abc"` and `ak$R2jD…` lose everything from the `$`.
  const [initiator, responder] = [keys[0]?.ak ?? '', keys[1]?.ak ?? ''];
  it.each([
    [['inspect', `tx${LEGACY_CLOSE_MUTUAL.slice(4)}`], 'tx'],
    [['hash', 'tx'], 'tx'],
    [['decode', 'ch'], 'ch'],
    [['sign', '--key', keyFile('k0'), 'tx'], 'tx'],
    [['verify', '--json', '--signers', `${initiator},ak`, LEGACY_CLOSE_MUTUAL], 'ak'],
    // a space after the comma, as --signers takes it
    [['verify', '--signers', `${initiator}, ak`, LEGACY_CLOSE_MUTUAL], 'ak'],
    [['channel-id', '--initiator', 'ak', '--nonce', '4', '--responder', responder], 'ak'],
  ])('%j: MISSING_PREFIX, and the message says to quote it', async (argv, prefix) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(1);
    expectOneLineError(stderr, 'MISSING_PREFIX');
    expect(stderr).toContain(`looks like ${prefix}$… whose $… the shell expanded to nothing: quote $ values in single quotes ('${prefix}$…')`);
    if (argv.includes('--json')) expect(JSON.parse(stdout).error.message).toContain('single quotes');
  });

  it.each([
    [['hash', '']],
    [['channel-id', '--initiator', '', '--nonce', '4', '--responder', keys[1]?.ak ?? '']],
  ])('%j: EMPTY_INPUT, and the message asks whether a variable was unset', async (argv) => {
    const { code, stderr } = await runCli(argv);
    expect(code).toBe(1);
    expectOneLineError(stderr, 'EMPTY_INPUT');
    expect(stderr).toContain('the argument is empty: did the shell expand an unset variable ("$TX") to nothing?');
  });

  it('gives no such hint for a value that is no prefix, nor for a line of standard input (no shell read it)', async () => {
    const garbage = await runCli(['inspect', 'garbage']);
    expectOneLineError(garbage.stderr, 'MISSING_PREFIX');
    expect(garbage.stderr).not.toContain('shell');
    const line = await runCli(['inspect', '-'], ['tx\n']);
    expect(jsonLines(line.stdout)).toEqual([{ error: { code: 'MISSING_PREFIX', message: 'no "$": expected prefix$base58check, like ak$… or tx$…' } }]);
  });

  it.each([
    // a prefix inside the value is not what a shell leaves of one
    [['inspect', 'my-tx'], 'MISSING_PREFIX'],
    // --nonce takes no $ value: its "tx" is not the value that lost its $ (the initiator is)
    [['channel-id', '--initiator', 'garbage', '--nonce', 'tx', '--responder', keys[1]?.ak ?? ''], 'MISSING_PREFIX'],
    // "nothing after ak$" is no empty argument, though another argument is empty
    [['channel-id', '--initiator', 'ak$', '--nonce', '4', '--responder', ''], 'EMPTY_INPUT'],
  ])('%j: %s with no hint about the shell', async (argv, errorCode) => {
    const { code, stderr } = await runCli(argv);
    expect(code).toBe(1);
    expectOneLineError(stderr, errorCode);
    expect(stderr).not.toContain('shell');
  });
});

describe('aesc inspect', () => {
  it("shows the seed's legacy close_mutual with from, hashed to the seed's th$ (acceptance)", async () => {
    const { code, stdout, stderr } = await runCli(['inspect', '--json', LEGACY_CLOSE_MUTUAL]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toHaveLength(2);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ type: 'channel_close_mutual_tx', tag: 53, vsn: 1, hash: 'th$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP' });
    expect(Object.keys(report)).toEqual(['type', 'tag', 'vsn', 'fields', 'hash']);
    expect(report.fields).toMatchObject({ from: expect.stringMatching(/^ak\$/), initiator_amount: '6', responder_amount: '3', fee: '1', nonce: '3' });
  });

  it('prints the same in text', async () => {
    const { code, stdout } = await runCli(['inspect', LEGACY_CLOSE_MUTUAL]);
    expect(code).toBe(0);
    expect(stdout).toContain('channel_close_mutual_tx (tag 53, vsn 1), legacy 7-field layout with from');
    expect(stdout).toMatch(/^ {2}from +ak\$\S+ {2}\[legacy secp256k1 key\]$/m);
    expect(stdout).toMatch(/^ {2}hash +th\$gCajQAyuCHwXFTSTyZWfmvJqNrikJnKfWmBsrPaAUswtNf7VP /m);
  });

  it("rejects 'tx$garbage' with exit 1 and one line naming the problem (acceptance)", async () => {
    const { code, stdout, stderr } = await runCli(['inspect', 'tx$garbage']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expectOneLineError(stderr, 'BAD_CHECKSUM');
    expect(stderr).toMatch(/^aesc inspect: BAD_CHECKSUM: tx\$ value has a bad checksum/);
  });

  it('also prints the error as JSON with --json', async () => {
    const { code, stdout, stderr } = await runCli(['inspect', '--json', 'tx$garbage']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'BAD_CHECKSUM', message: expect.any(String) } });
    expectOneLineError(stderr, 'BAD_CHECKSUM');
  });

  it.each([
    ['', 'EMPTY_INPUT'],
    ['tx2C9eti', 'MISSING_PREFIX'],
    ['zz$2C9eti', 'UNKNOWN_PREFIX'],
    ['tx$0OIl', 'INVALID_CHARACTER'],
    [`tx$${'2'.repeat(100_000)}`, 'INPUT_TOO_LONG'],
    ['ak$11BwW2qR', 'WRONG_PAYLOAD_SIZE'],
    [encode('tx', Uint8Array.of(0xc2, 0x0b, 0x01)), 'WRONG_FIELD_COUNT'],
    [encode('tx', Uint8Array.of(0xc3, 0x3a, 0x01, 0x00)), 'UNKNOWN_TAG'],
    [encode('tx', hex(`${vector('spend_tx/typical').unsigned.hex}00`)), 'TRAILING_BYTES'],
  ])('%s fails with %s', async (value, code) => {
    const result = await runCli(['inspect', value]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, code);
  });

  it('checks signatures against --signers for a tx that does not name its signers', async () => {
    const deposit = vector('channel_deposit_tx/typical');
    const without = await runCli(['inspect', deposit.signed.tx]);
    expect(without.stdout).toContain('unknown signers');
    expect(without.stdout).toContain('not made by any known key (pass --signers to name candidates)');
    const { code, stdout } = await runCli(['inspect', '--json', '--signers', deposit.signers.map(akOf).join(','), deposit.signed.tx]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.signers.map((entry: { signer: string }) => entry.signer)).toEqual(deposit.signers.map(akOf));
    expect(report.signatures.every((entry: { valid: boolean }) => entry.valid)).toBe(true);
    // Repeated flags are the same as a comma-separated list.
    const repeated = await runCli(['inspect', '--json', ...deposit.signers.flatMap((key) => ['--signers', akOf(key)]), deposit.signed.tx]);
    expect(repeated.stdout).toBe(stdout);
  });

  describe('names a key only by what it is to the tx', () => {
    // An off-chain state whose first update moves a third party's (k2's) tokens: k2 is in
    // neither a field of the tx nor --signers.
    const offchain = vector('channel_offchain_tx/updates_3');
    const withThirdParty = async () => {
      const report = JSON.parse((await runCli(['inspect', '--json', offchain.unsigned.tx])).stdout);
      report.fields.updates[0].from = keys[2]?.ak;
      return (await runCli(['build', JSON.stringify(report)])).stdout.trim();
    };

    it('a key only in an update gets no label', async () => {
      const tx = await withThirdParty();
      const { code, stdout } = await runCli(['inspect', tx]);
      expect(code).toBe(0);
      expect(stdout).not.toContain('--signers');
      expect(stdout).toMatch(new RegExp(`from ${keys[2]?.ak.replace('$', '\\$')}\n`));
      expect(stdout).toContain(`to   ${keys[1]?.ak} (responder)`);
    });

    it('a key given with --signers is called one, wherever it appears', async () => {
      const tx = await withThirdParty();
      const { stdout } = await runCli(['inspect', '--signers', keys[2]?.ak ?? '', tx]);
      expect(stdout).toContain(`from ${keys[2]?.ak} (a --signers key)`);
      const deposit = vector('channel_deposit_tx/typical');
      const signed = await runCli(['inspect', '--signers', deposit.signers.map(akOf).join(','), deposit.signed.tx]);
      // The depositor is the tx's `from`; the other peer is known only from --signers.
      for (const key of deposit.signers) expect(signed.stdout).toMatch(new RegExp(`verifies with ${akOf(key).replace('$', '\\$')} \\((from|a --signers key)\\)\n`));
      expect(signed.stdout).toContain('(a --signers key)');
      // In the tx inside a signed_tx as well.
      const signedThirdParty = (await runCli(['sign', '--key', keyFile('k0'), tx])).stdout.trim();
      const inner = await runCli(['inspect', '--signers', keys[2]?.ak ?? '', signedThirdParty]);
      expect(inner.stdout).toContain(`from ${keys[2]?.ak} (a --signers key)`);
      // A signature a candidate did not make is not said to be that candidate's.
      const unsigned = await runCli(['inspect', '--signers', deposit.signers.map(akOf).join(','), vector('spend_tx/typical').signed.tx]);
      expect(unsigned.stdout).not.toContain('(a --signers key)');
    });
  });

  it('rejects a bad --signers key, naming it', async () => {
    const { code, stderr } = await runCli(['inspect', '--signers', `${keys[0]?.ak},ak$garbage`, LEGACY_CLOSE_MUTUAL]);
    expect(code).toBe(1);
    expectOneLineError(stderr, 'BAD_CHECKSUM');
    expect(stderr).toContain('--signers key 2');
  });

  it('refuses an empty --signers instead of falling back to the signers the tx names', async () => {
    const deposit = vector('channel_deposit_tx/typical');
    for (const empty of ['', ' , ']) {
      for (const verb of ['verify', 'inspect']) {
        const { code, stdout, stderr } = await runCli([verb, '--signers', empty, deposit.signed.tx]);
        expect(code).toBe(2);
        expect(stdout).toBe('');
        expectOneLineError(stderr, 'USAGE');
        expect(stderr).toContain('--signers is empty');
      }
    }
  });

  it('shows what a value other than a tx holds', async () => {
    const zeroKey = 'ak$11111111111111111111111111111111273Yts';
    const { stdout } = await runCli(['inspect', '--json', zeroKey]);
    expect(JSON.parse(stdout)).toEqual({ type: 'account_pubkey', prefix: 'ak', size: 32, hex: '00'.repeat(32), algorithm: 'ed25519' });
    const text = await runCli(['inspect', 'st$3QJmnh']);
    expect(text.stdout).toContain('state');
    expect(text.stdout).toContain('0 bytes');
    expect(text.stdout).toMatch(/^ {2}hex +\(empty\)$/m);
  });

  describe('-: one value per line on standard input, one JSON object per line out', () => {
    it('answers every line in order, errors included, and exits 1 if one failed', async () => {
      const lines = [vector('spend_tx/typical').unsigned.tx, 'tx$garbage', 'st$3QJmnh', '', vector('channel_create_tx/typical').signed.tx];
      const { code, stdout, stderr } = await runCli(['inspect', '-'], [`${lines.join('\r\n')}\n`]);
      expect(code).toBe(1);
      expect(stderr).toBe('');
      const outputs = jsonLines(stdout);
      expect(outputs).toHaveLength(5);
      expect(outputs[0]).toMatchObject({ type: 'spend_tx' });
      expect(outputs[1]).toEqual({ error: { code: 'BAD_CHECKSUM', message: expect.any(String) } });
      expect(Object.keys(outputs[1] as object)).toEqual(['error']);
      expect(outputs[2]).toMatchObject({ type: 'state', size: 0 });
      expect(outputs[3]).toEqual({ error: { code: 'EMPTY_INPUT', message: 'empty input' } });
      expect(outputs[4]).toMatchObject({ type: 'signed_tx', hash: vector('channel_create_tx/typical').signed.th });
    });

    it('reads every vector in one stream, split at arbitrary chunk boundaries, and exits 0', async () => {
      const text = `${vectors.map((entry) => entry.signed.tx).join('\n')}\n`;
      const chunks: string[] = [];
      for (let start = 0; start < text.length; start += 997) chunks.push(text.slice(start, start + 997));
      const { code, stdout } = await runCli(['inspect', '-'], chunks);
      expect(code).toBe(0);
      expect(jsonLines(stdout).map((report) => (report as { hash: string }).hash)).toEqual(vectors.map((entry) => entry.signed.th));
    });

    it('answers a line longer than any value with LINE_TOO_LONG, and goes on', async () => {
      const { code, stdout } = await runCli(['inspect', '-'], [`tx$${'z'.repeat(3_000_000)}\n`, 'st$3QJmnh']);
      expect(code).toBe(1);
      const outputs = jsonLines(stdout);
      expect(outputs[0]).toEqual({ error: { code: 'LINE_TOO_LONG', message: expect.stringContaining('3000003') } });
      expect(outputs[1]).toMatchObject({ type: 'state' });
    });

    it('checks each line against --signers, and trims the blanks around a value', async () => {
      const deposit = vector('channel_deposit_tx/typical');
      const { code, stdout } = await runCli(['inspect', '--signers', deposit.signers.map(akOf).join(','), '-'], [` \t${deposit.signed.tx}  \n`]);
      expect(code).toBe(0);
      const [report] = jsonLines(stdout) as { signers: { signer: string }[] | null; signatures: { valid: boolean }[] }[];
      expect(report?.signers?.map((entry) => entry.signer)).toEqual(deposit.signers.map(akOf));
      expect(report?.signatures.every((entry) => entry.valid)).toBe(true);
    });

    it('reads nothing from empty input', async () => {
      expect(await runCli(['inspect', '-'], [])).toEqual({ code: 0, stdout: '', stderr: '' });
    });
  });
});

describe('aesc build', () => {
  it('builds every reference vector back from inspect --json, signed and unsigned', async () => {
    for (const entry of vectors) {
      const signers = CHANNEL_SIGNED.has(entry.type) ? ['--signers', entry.signers.map(akOf).join(',')] : [];
      for (const [tx, hash] of [
        [entry.unsigned.tx, encode('th', hex(entry.unsigned.blake2b_256))],
        [entry.signed.tx, entry.signed.th],
      ] as const) {
        const inspected = await runCli(['inspect', '--json', ...signers, tx]);
        const built = await runCli(['build', inspected.stdout.trim()]);
        expect(built).toEqual({ code: 0, stdout: `${tx}\n`, stderr: '' });
        const json = await runCli(['build', '--json', inspected.stdout.trim()]);
        expect(JSON.parse(json.stdout)).toEqual({ tx, hash });
      }
    }
  });

  it('with - and --json prints {"tx","hash"} for every line', async () => {
    const entries = vectors.slice(0, 3);
    const inspected = await runCli(['inspect', '-'], [entries.map((entry) => entry.signed.tx).join('\n')]);
    const built = await runCli(['build', '--json', '-'], [inspected.stdout]);
    expect(built.code).toBe(0);
    expect(jsonLines(built.stdout)).toEqual(entries.map((entry) => ({ tx: entry.signed.tx, hash: entry.signed.th })));
  });

  it('builds one tx per line from standard input (inspect - | build -)', async () => {
    const inspected = await runCli(['inspect', '-'], [vectors.map((entry) => entry.signed.tx).join('\n')]);
    const built = await runCli(['build', '-'], [inspected.stdout, '{not json}\n', '{"type":"spend_tx","fields":{}}\n']);
    expect(built.code).toBe(1);
    const lines = built.stdout.trimEnd().split('\n');
    expect(lines.slice(0, vectors.length)).toEqual(vectors.map((entry) => entry.signed.tx));
    expect(JSON.parse(lines[vectors.length] ?? '')).toEqual({ error: { code: 'INVALID_JSON', message: expect.stringMatching(/^not JSON/) } });
    expect(JSON.parse(lines[vectors.length + 1] ?? '')).toEqual({ error: { code: 'INVALID_JSON', message: expect.stringContaining('fields') } });
  });

  it('writes a settle from hand-written JSON', async () => {
    const settle = vector('channel_settle_tx/typical');
    const fields = Object.fromEntries(
      settle.fields.map((field) => [field.name, field.name === 'from' ? akOf(field.value as string) : field.name === 'channel_id' ? encode('ch', hex(field.value as string)) : field.value]),
    );
    const { code, stdout } = await runCli(['build', JSON.stringify({ type: 'channel_settle_tx', fields })]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${settle.unsigned.tx}\n`);
  });

  it.each([
    ['[1, 2', 'INVALID_JSON', 'not JSON'],
    ['[]', 'INVALID_JSON', 'an object'],
    ['{"type":"channel_create_tx","fields":{"initiator":1}}', 'INVALID_JSON', 'fields'],
    ['{"type":"spend_tx","tag":50,"fields":{}}', 'INVALID_JSON', 'tag'],
    // JSON.parse would keep the last value: an edited form must not show one fee and build another
    ['{"type":"spend_tx","fields":{"fee":"9","fee":"10"}}', 'INVALID_JSON', 'INVALID_JSON: not JSON: key "fee" given twice at position 39'],
    ['{"type":"signed_tx","type":"spend_tx"}', 'INVALID_JSON', 'INVALID_JSON: not JSON: key "type" given twice'],
  ])('%s fails with %s', async (json, code, message) => {
    const result = await runCli(['build', json]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, code);
    expect(result.stderr).toContain(message);
  });
});

describe('aesc hash, channel-id, encode, decode', () => {
  it('hashes a signed tx (v0.14 rule), an unsigned one, and with --unsigned the tx inside', async () => {
    const create = vector('channel_create_tx/typical');
    const unsignedHash = encode('th', hex(create.unsigned.blake2b_256));
    expect((await runCli(['hash', create.signed.tx])).stdout).toBe(`${create.signed.th}\n`);
    expect((await runCli(['hash', create.unsigned.tx])).stdout).toBe(`${unsignedHash}\n`);
    expect((await runCli(['hash', '--unsigned', create.signed.tx])).stdout).toBe(`${unsignedHash}\n`);
    expect(JSON.parse((await runCli(['hash', '--json', create.signed.tx])).stdout)).toEqual({ type: 'signed_tx', hash: create.signed.th });
    expect(JSON.parse((await runCli(['hash', '--json', '--unsigned', create.signed.tx])).stdout)).toEqual({
      type: 'channel_create_tx',
      hash: unsignedHash,
    });
  });

  it('reproduces both th$ of the seed', async () => {
    for (const hash of seedVectors.filter((entry) => entry.prefix === 'th')) {
      const tx = seedVectors.find((entry) => entry.encoded.startsWith(hash.matches?.[0] ?? '-'));
      expect((await runCli(['hash', tx?.encoded ?? ''])).stdout).toBe(`${hash.encoded}\n`);
    }
  });

  it('derives every channel id of the seed, with 32-byte and legacy 65-byte keys (WIRE.md §7.3)', async () => {
    const derived = seedVectors.filter((entry) => entry.channel_id_derivation !== undefined);
    expect(derived).toHaveLength(12);
    for (const entry of derived) {
      const { initiator, nonce, responder } = entry.channel_id_derivation as { initiator: string; nonce: number; responder: string };
      const argv = ['channel-id', '--initiator', akOf(initiator), '--nonce', String(nonce), '--responder', akOf(responder)];
      expect(await runCli(argv)).toEqual({ code: 0, stdout: `${channelIdIn(entry.encoded)}\n`, stderr: '' });
    }
  });

  it('gives the id of every reference channel, in JSON too', async () => {
    for (const channel of referenceVectors.channels) {
      const create = vector(channel.create_vector);
      const nonce = create.fields.find((field) => field.name === 'nonce')?.value as string;
      const argv = ['channel-id', '--json', '--initiator', akOf(channel.initiator), '--nonce', nonce, '--responder', akOf(channel.responder)];
      expect(JSON.parse((await runCli(argv)).stdout)).toEqual({ channel_id: channel.ch });
    }
  });

  it.each([['-1'], ['01'], ['1.5'], ['0x10'], [' 1']])('rejects --nonce %j', async (nonce) => {
    const key = keys[0]?.ak ?? '';
    const { code, stderr } = await runCli(['channel-id', '--initiator', key, `--nonce=${nonce}`, '--responder', key]);
    expect(code).toBe(1);
    expectOneLineError(stderr, 'INVALID_NUMBER');
  });

  it('rejects a key that is not an ak$, naming its option', async () => {
    const key = keys[0]?.ak ?? '';
    const channel = referenceVectors.channels[0]?.ch ?? '';
    const { code, stdout, stderr } = await runCli(['channel-id', '--initiator', key, '--nonce', '1', '--responder', channel]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expectOneLineError(stderr, 'WRONG_PREFIX');
    expect(stderr).toContain('--responder: ');
  });

  it('encodes and decodes the known answers of WIRE.md §1.1', async () => {
    expect((await runCli(['encode', 'st', ''])).stdout).toBe('st$3QJmnh\n');
    expect((await runCli(['encode', 'ak', `0x${'00'.repeat(32)}`])).stdout).toBe('ak$11111111111111111111111111111111273Yts\n');
    expect((await runCli(['decode', 'ak$11111111111111111111111111111111273Yts'])).stdout).toBe(`${'00'.repeat(32)}\n`);
    expect((await runCli(['decode', 'st$3QJmnh'])).stdout).toBe('\n');
    expect(JSON.parse((await runCli(['encode', '--json', 'ch', 'AB'.repeat(32)])).stdout)).toMatchObject({ prefix: 'ch', size: 32, hex: 'ab'.repeat(32) });
    expect(JSON.parse((await runCli(['encode', '--json', 'ch', `0x${'AB'.repeat(32)}`])).stdout)).toMatchObject({ prefix: 'ch', size: 32, hex: 'ab'.repeat(32) });
  });

  it('decodes every $ value of the seed to its bytes, and encodes them back', async () => {
    for (const entry of seedVectors) {
      const bytes = entry.payload_hex ?? entry.rlp_hex ?? '';
      const decoded = await runCli(['decode', '--json', entry.encoded]);
      expect(JSON.parse(decoded.stdout)).toEqual({ encoded: entry.encoded, prefix: entry.prefix, size: bytes.length / 2, hex: bytes });
      expect((await runCli(['encode', entry.prefix, bytes])).stdout).toBe(`${entry.encoded}\n`);
    }
  });

  it.each([
    [['encode', 'zz', '00'], 'UNKNOWN_PREFIX'],
    [['encode', 'ak', '0011'], 'WRONG_PAYLOAD_SIZE'],
    [['encode', 'tx', 'abc'], 'INVALID_CHARACTER'],
    [['encode', 'tx', 'zz'], 'INVALID_CHARACTER'],
    [['decode', 'ch$11BwW2qR'], 'WRONG_PAYLOAD_SIZE'],
    [['decode', 'nothing'], 'MISSING_PREFIX'],
  ])('%j fails with %s', async (argv, code) => {
    const result = await runCli(argv);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, code);
  });
});

describe('aesc encode --help', () => {
  it('gives the size limit of tx and st payloads, not "any size"', async () => {
    const { stdout } = await runCli(['encode', '--help']);
    expect(stdout).toContain(`tx and st\n0 to ${MAX_VARIABLE_PAYLOAD}`);
    expect(MAX_VARIABLE_PAYLOAD).toBe(65_532);
    for (const command of COMMANDS) expect((await runCli([command.name, '--help'])).stdout).not.toMatch(/any size/);
    const largest = await runCli(['encode', '--json', 'tx', '00'.repeat(MAX_VARIABLE_PAYLOAD)]);
    expect(largest.code).toBe(0);
    expect(JSON.parse(largest.stdout)).toMatchObject({ prefix: 'tx', size: MAX_VARIABLE_PAYLOAD });
    const over = await runCli(['encode', 'tx', '00'.repeat(MAX_VARIABLE_PAYLOAD + 1)]);
    expect(over.code).toBe(1);
    expectOneLineError(over.stderr, 'WRONG_PAYLOAD_SIZE');
  });
});

describe('aesc keygen, sign, verify', () => {
  it('signs every reference vector into exactly its signed tx, one signer at a time', async () => {
    for (const entry of vectors) {
      let tx = entry.unsigned.tx;
      for (const name of entry.signer_keys) {
        const { code, stdout } = await runCli(['sign', '--key', keyFile(name), tx]);
        expect(code).toBe(0);
        tx = stdout.trim();
      }
      expect(tx).toBe(entry.signed.tx);
    }
  });

  it('keeps the signatures sorted whatever order the signers sign in', async () => {
    const multi = vectors.filter((entry) => entry.signer_keys.length > 1);
    expect(multi.length).toBeGreaterThan(0);
    for (const entry of multi) {
      let tx = entry.unsigned.tx;
      for (const name of [...entry.signer_keys].reverse()) tx = (await runCli(['sign', '--key', keyFile(name), tx])).stdout.trim();
      expect(tx).toBe(entry.signed.tx);
    }
  });

  it('reads a key file holding only the hex seed, and prints JSON', async () => {
    const create = vector('channel_create_tx/typical');
    const { code, stdout } = await runCli(['sign', '--json', '--key', keyFiles.get('k0')?.seedPath ?? '', create.unsigned.tx]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.signer).toBe(keys[0]?.ak);
    expect(Object.keys(result)).toEqual(['tx', 'hash', 'signer']);
    // the hash of the signed tx printed, not of the tx inside it
    expect(result.hash).toBe((await runCli(['hash', result.tx])).stdout.trim());
  });

  it('signing twice with one key adds nothing', async () => {
    const create = vector('channel_create_tx/typical');
    const once = (await runCli(['sign', '--key', keyFile('k0'), create.unsigned.tx])).stdout.trim();
    expect((await runCli(['sign', '--key', keyFile('k0'), once])).stdout.trim()).toBe(once);
  });

  it('warns when the key is not a signer the tx names', async () => {
    const create = vector('channel_create_tx/typical');
    const { code, stderr } = await runCli(['sign', '--key', keyFile('k3'), create.unsigned.tx]);
    expect(code).toBe(0);
    expect(stderr).toContain(`warning: ${keys[3]?.ak} is not a signer of this channel_create_tx`);
  });

  it('makes a key file that sign reads, readable by its owner only, never overwritten', async () => {
    const path = join(directory, 'new.key');
    const made = await runCli(['keygen', '--json', '--out', path]);
    expect(made.code).toBe(0);
    const { address } = JSON.parse(made.stdout);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const content = JSON.parse(readFileSync(path, 'utf8'));
    expect(content.address).toBe(address);
    expect(content.secret_key).toMatch(/^[0-9a-f]{128}$/);
    expect((await createSigner(hex(content.secret_key))).address).toBe(address);
    const again = await runCli(['keygen', '--out', path]);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, 'KEY_FILE_EXISTS');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(content);

    const spend = vector('spend_tx/typical');
    const signed = await runCli(['sign', '--key', path, spend.unsigned.tx]);
    const verified = await runCli(['verify', '--json', '--signers', address, signed.stdout.trim()]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).valid).toBe(true);
  });

  it('with --out prints the address and the file, never the secret key', async () => {
    const path = join(directory, 'text.key');
    const { code, stdout } = await runCli(['keygen', '--out', path]);
    expect(code).toBe(0);
    const { address, secret_key: secretKey } = JSON.parse(readFileSync(path, 'utf8'));
    expect(stdout).toBe(`address     ${address}\nkey file    ${path}\n`);
    expect(stdout).not.toContain(secretKey);
  });

  it('reads a key file whose hex starts with 0x', async () => {
    const path = join(directory, 'k0-0x.seed');
    writeFileSync(path, `0x${keys[0]?.seed_hex}\n`);
    const create = vector('channel_create_tx/typical');
    const signed = await runCli(['sign', '--key', path, create.unsigned.tx]);
    expect(signed).toEqual(await runCli(['sign', '--key', keyFile('k0'), create.unsigned.tx]));
    expect(signed.code).toBe(0);
  });

  it.each([
    ['short', 'abcd', 'got 4 characters'],
    ['huge', '0'.repeat(100_000), 'longer than a key file (4096 bytes)'],
    ['one byte too long', '0'.repeat(4097), 'longer than a key file (4096 bytes)'],
    ['as long as one may be', '0'.repeat(4096), 'got 4096 characters'],
    ['a key given twice', `{"address":"${keys[0]?.ak}","secret_key":"${keys[0]?.secret_key_hex}","secret_key":"${keys[1]?.secret_key_hex}"}`, 'key "secret_key" given twice'],
  ])('says why a key file that is %s is refused', async (name, content, message) => {
    const path = join(directory, `why-${name}.key`);
    writeFileSync(path, content);
    const result = await runCli(['sign', '--key', path, vector('spend_tx/typical').unsigned.tx]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, 'INVALID_KEY_FILE');
    expect(result.stderr).toContain(message);
  });

  it('closes every key file it reads, whether it takes it or refuses it as too long', async () => {
    const huge = join(directory, 'too-long.key');
    writeFileSync(huge, '0'.repeat(5000));
    // the lowest free descriptor, which the next open gets
    const nextDescriptor = () => {
      const fd = openSync(huge, 'r');
      closeSync(fd);
      return fd;
    };
    const before = nextDescriptor();
    for (let run = 0; run < 20; run += 1) {
      expect((await runCli(['sign', '--key', keyFile('k0'), vector('spend_tx/typical').unsigned.tx])).code).toBe(0);
      expect((await runCli(['sign', '--key', huge, vector('spend_tx/typical').unsigned.tx])).code).toBe(1);
    }
    // 40 reads: a leak would hold 40 descriptors; a few to spare for whatever else the process opened meanwhile
    expect(nextDescriptor()).toBeLessThan(before + 5);
  });

  it('refuses --out - (it would write a file named "-") and makes no key', async () => {
    const dash = join(process.cwd(), '-');
    try {
      const { code, stdout, stderr } = await runCli(['keygen', '--out', '-']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expectOneLineError(stderr, 'USAGE');
      expect(stderr).toContain('aesc keygen --json');
      expect(existsSync(dash)).toBe(false);
    } finally {
      rmSync(dash, { force: true });
    }
  });

  it('prints a new key without --out', async () => {
    const { code, stdout } = await runCli(['keygen', '--json']);
    expect(code).toBe(0);
    const { address, secret_key: secretKey } = JSON.parse(stdout);
    expect((await createSigner(hex(secretKey))).address).toBe(address);
    expect((await runCli(['keygen'])).stdout).toMatch(/^address +ak\$\S+\nsecret_key +[0-9a-f]{128}\n$/);
  });

  it.each([
    ['missing', null, 'KEY_FILE_UNREADABLE'],
    ['empty', '', 'INVALID_KEY_FILE'],
    ['short', 'abcd', 'INVALID_KEY_FILE'],
    ['not hex', 'zz'.repeat(32), 'INVALID_KEY_FILE'],
    ['bad json', '{"secret_key":', 'INVALID_KEY_FILE'],
    ['json without key', '{"address":"ak$x"}', 'INVALID_KEY_FILE'],
    ['mismatched halves', `${'11'.repeat(32)}${'22'.repeat(32)}`, 'INVALID_KEY_FILE'],
    ['wrong address', JSON.stringify({ address: 'ak$11111111111111111111111111111111273Yts', secret_key: keys[0]?.secret_key_hex }), 'INVALID_KEY_FILE'],
    ['huge', '0'.repeat(100_000), 'INVALID_KEY_FILE'],
    // JSON.parse would sign with the last secret_key, not the one shown first
    ['a key given twice', `{"address":"${keys[0]?.ak}","secret_key":"${keys[0]?.secret_key_hex}","address":"${keys[1]?.ak}","secret_key":"${keys[1]?.secret_key_hex}"}`, 'INVALID_KEY_FILE'],
  ])('rejects a key file that is %s', async (name, content, code) => {
    const path = join(directory, `bad-${name.replace(/ /g, '-')}.key`);
    if (content !== null) writeFileSync(path, content);
    const result = await runCli(['sign', '--key', path, vector('spend_tx/typical').unsigned.tx]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr, code);
    expect(result.stdout).toBe('');
  });

  it('verifies every signed reference vector; the channel-signed ones need --signers', async () => {
    for (const entry of vectors) {
      if (CHANNEL_SIGNED.has(entry.type)) {
        const without = await runCli(['verify', entry.signed.tx]);
        expect(without.code).toBe(1);
        expectOneLineError(without.stderr, 'SIGNERS_REQUIRED');
      }
      const signers = CHANNEL_SIGNED.has(entry.type) ? ['--signers', entry.signers.map(akOf).join(',')] : [];
      const { code, stdout } = await runCli(['verify', ...signers, entry.signed.tx]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^valid: /);
      const json = await runCli(['verify', '--json', ...signers, entry.signed.tx]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, hash: entry.signed.th });
    }
  });

  it('exits 3 on a tx missing a signature, and says whose', async () => {
    const create = vector('channel_create_tx/typical');
    const half = (await runCli(['sign', '--key', keyFile('k0'), create.unsigned.tx])).stdout.trim();
    const { code, stdout } = await runCli(['verify', half]);
    expect(code).toBe(3);
    expect(stdout).toContain(`INVALID: no signature of ${keys[1]?.ak} (responder)`);
    expect(stdout).toContain(`  responder        ${keys[1]?.ak}  (no signature)\n`);
    const json = JSON.parse((await runCli(['verify', '--json', half])).stdout);
    expect(json).toMatchObject({ valid: false, signers: [{ signer: keys[0]?.ak }, { signer: keys[1]?.ak, signature: null }] });
  });

  it('with --signers checks exactly those keys', async () => {
    const create = vector('channel_create_tx/typical');
    const wrong = await runCli(['verify', '--signers', `${keys[0]?.ak},${keys[2]?.ak}`, create.signed.tx]);
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(new RegExp(`^INVALID: no signature of ${keys[2]?.ak.replace('$', '\\$')} \\(a --signers key\\); 1 signature\\(s\\) left over\n`));
    // The signature left over is still named: the responder's, a key the tx holds.
    const json = JSON.parse((await runCli(['verify', '--json', '--signers', `${keys[0]?.ak},${keys[2]?.ak}`, create.signed.tx])).stdout);
    expect(json.valid).toBe(false);
    expect(json.signatures.map((entry: { signer: string }) => entry.signer).sort()).toEqual([keys[0]?.ak, keys[1]?.ak].sort());
  });

  it('names every field that holds a signer', async () => {
    const { code, stdout } = await runCli(['verify', vector('spend_tx/self_spend').signed.tx]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}sender, recipient ak\$\S+ {2}sg\$\S+$/m);
  });

  it('verifies the seed signatures, legacy secp256k1 DER (one high-S) and ed25519', async () => {
    for (const entry of seedVectors.filter((seed) => seed.type === 'signed_tx')) {
      const recorded = (entry.fields?.signatures ?? []).map((signature) => akOf(signature.verifies_with[0]?.pubkey ?? ''));
      const { code, stdout } = await runCli(['verify', '--signers', recorded.join(','), entry.encoded]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^valid: /);
    }
  });

  it('refuses to verify an unsigned tx', async () => {
    const { code, stderr } = await runCli(['verify', vector('spend_tx/typical').unsigned.tx]);
    expect(code).toBe(1);
    expectOneLineError(stderr, 'NOT_SIGNED');
  });
});

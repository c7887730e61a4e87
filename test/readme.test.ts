import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `code` as an ES module written beside the root package.json, so that `@aesc/*` resolve to the built packages as for any user; resolves to its standard output. */
function runModule(name: string, code: string): string {
  const file = `${ROOT}.readme-${name}.mjs`;
  writeFileSync(file, code);
  try {
    return execFileSync(process.execPath, [file], { encoding: 'utf8' });
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
 * one line, bytes as `Uint8Array(n)`, bigints as `5n`, objects as JSON; `console.log` lines print
 * as written. `preamble` gives the names a fragment takes from its context (`secretKey`, `alice`).
 */
function instrument(example: string, preamble = ''): string {
  const show = `const __shown = (item) => item instanceof Uint8Array ? \`Uint8Array(\${item.length})\` : typeof item === 'bigint' ? \`\${item}n\` : item;
const __show = (value) => console.log(typeof __shown(value) === 'string' ? __shown(value) : JSON.stringify(value, (_key, item) => __shown(item)) ?? String(value));\n`;
  const statements = example.replace(
    /^(?!(?:import|export|const|let|var|if|try|for|while|return)\b|console\.)([^\s}/].*?);(\s*\/\/.*)?$/gm,
    (_line, expression: string) => `__show(${expression});`,
  );
  return `${show}${preamble}\n${statements}`;
}

describe('README', () => {
  it('runs its ten-line example against the built packages', () => {
    const output = runModule('example', codeBlock('README.md', 'js')).trim().split('\n');
    expect(output[0]).toMatch(/^ch\$\w+ th\$\w+ true$/);
    expect(output[1]).toMatch(/^tx\$\w+$/);
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
  it('@aesc/encoding', () => {
    expect(runModule('encoding', instrument(codeBlock('packages/encoding/README.md', 'ts'))).split('\n')).toEqual([
      'ak$2t6jf5jehLcCMSBUDg8smbYd3M5Jhv48i6eAGCehvXWn6hQMeV',
      '{"prefix":"th","bytes":"Uint8Array(32)"}',
      'false',
      'WRONG_PREFIX',
      '',
    ]);
  });

  it('@aesc/tx', () => {
    const output = runModule('tx', instrument(codeBlock('packages/tx/README.md', 'ts'))).split('\n');
    expect(output.slice(0, 3)).toEqual(['839702399n', 'ch$278Xa6XdZv7a1tCFo8EjnmpHY8nXp2MsyL5vviFvicRxFRorUN', expect.stringMatching(/^th\$\w+$/)]);
    expect(output[3]).toMatch(/^tx\$\w+$/);
    expect(JSON.parse(output[4] ?? '')).toMatchObject({ type: 'channel_create_tx', tag: 50, vsn: 1, fields: { initiator_amount: '839702399', fee: '9' } });
  });

  it('@aesc/signer, and its legacy keys', () => {
    // The fragment's `secretKey` and `unsignedTx`: one party's key and an off-chain state to sign.
    const preamble = `import { createSigner as __createSigner } from '@aesc/signer';
import { encodeTx as __encodeTx } from '@aesc/tx';
const secretKey = new Uint8Array(32).fill(1);
const [__me, __peer] = await Promise.all([__createSigner(secretKey), __createSigner(new Uint8Array(32).fill(2))]);
const unsignedTx = __encodeTx({ type: 'channel_offchain_tx', channel_id: new Uint8Array(32).fill(9), previous_round: 1n, round: 2n,
  initiator: __me.publicKey, responder: __peer.publicKey, initiator_amount: 5n, responder_amount: 5n, updates: [], state: new Uint8Array(0) });`;
    const output = runModule('signer', instrument(codeBlock('packages/signer/README.md', 'ts'), preamble));
    // One of the two signatures a state needs: not valid yet, the other party's entry still empty.
    expect(output).toMatch(/^false \[\n {2}\{\n {4}publicKey: 'ak\$241gerYcVAvfk7Vc6gFuqBje5CfVJxT1fgzkym5cq2qtfxfKgD',\n {4}signature: Uint8Array\(64\)/);
    expect(output).toMatch(/signature: null\n {2}\}\n\] th\$\w+\n$/);

    const legacyPreamble = `import { verifySignedTx } from '@aesc/signer';
import { decodeTx } from '@aesc/tx';
// the seed's create tx signed by its initiator, a legacy secp256k1 key
const seedTx = decodeTx('tx$Vb6U4dbYYjKr1eq2iU9ftCb3sVLoq3NzBdSpLqgrARkYJ1VgcubZhXRXDuYqoMFrtpJsxpfA5yq4woAUwc4SVYFHZNoUpLqpxbgtDBxDfFz3h3FBzLasqQcNAqqzjiufeuhmnFVWB1oLBTqdKGYTVsamt4zwL3bct7dVVrYfx2X51kXoom5WwPwmQxKjMSFtKgoYaDgNUx6RNLwnCjdJ1J1Jvcm5mi7JuaRsTzvr4HAmzWm6U9oXwSHih7VQ5VGJ5pA85nbCi6MPgmwZZFCU2xY5mKx4uo6jCXgnqQAQEpqpipuhLsoVnNRU3aY6B', 'signed_tx');
const initiatorKey65 = seedTx.tx.initiator;`;
    const legacy = runModule('legacy', instrument(codeBlock('packages/signer/README.md', 'ts', 1), legacyPreamble)).trim();
    expect(JSON.parse(legacy)).toMatchObject({ valid: true, signers: [{ signature: expect.stringMatching(/^Uint8Array\(7[0-2]\)$/) }] });
  });

  it('@aesc/devnode', () => {
    const preamble = `import { createSigner } from '@aesc/signer';
const alice = await createSigner(new Uint8Array(32).fill(1));`;
    const output = runModule('devnode', instrument(codeBlock('packages/devnode/README.md', 'ts'), preamble)).split('\n');
    expect(output).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v2 ws:\/\/127\.0\.0\.1:\d+\/channel$/),
      expect.stringMatching(/^\[\{"height":1,"hash":"bh\$\w+","txHashes":\[\]\},.*\{"height":5,/),
      '{"balance":"1000n","nonce":"0n"}',
      'undefined',
      '',
    ]);
  });
});

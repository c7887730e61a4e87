import { generate, signTx } from '@aesc/signer';
import { bytesToHex } from '@aesc/encoding';
import { decodeTx, encodeTx, txHash, txSigners } from '@aesc/tx';
import { type Command, requiredOption, stringOption, writeJson } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { keyFileContent, readKeyFile, writeKeyFile } from '../keyfile.js';

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'a new ed25519 key: its ak$ address and its secret key',
  usage: ['keygen [--json] [--out <file>]'],
  description: [
    'Makes a random ed25519 key (node:crypto). With --out, writes the key file that `aesc sign --key`',
    'reads, {"address","secret_key"} with the secret key as the hex of seed ‖ public key (the',
    "node's layout), readable by its owner only, and never over an existing file; prints the",
    'address. Without --out, prints the address and the secret key.',
    '--json prints {"address","key_file"} or {"address","secret_key"}.',
  ].join('\n'),
  options: {
    out: { type: 'string', placeholder: '<file>', description: 'write the key file here (mode 0600, never overwritten)' },
  },
  arity: { min: 0, max: 0 },
  examples: ['aesc keygen --out alice.key', 'aesc keygen --json'],
  async run(invocation) {
    const out = stringOption(invocation, 'out');
    if (out === '-') {
      // `-` is standard input elsewhere; a key file named "-" is surely not what was meant.
      throw new CliError('USAGE', '--out - would write a file named "-"; for the key file\'s content on standard output, use aesc keygen --json');
    }
    const { signer, secretKey } = await generate();
    try {
      if (out !== undefined) {
        await writeKeyFile(out, keyFileContent(signer, secretKey));
        if (invocation.json) await writeJson(invocation.io, { address: signer.address, key_file: out });
        else await invocation.io.stdout(`address     ${signer.address}\nkey file    ${out}\n`);
      } else if (invocation.json) {
        await writeJson(invocation.io, keyFileContent(signer, secretKey));
      } else {
        await invocation.io.stdout(`address     ${signer.address}\nsecret_key  ${bytesToHex(secretKey)}\n`);
      }
    } finally {
      secretKey.fill(0);
    }
    return EXIT.OK;
  },
};

export const signCommand: Command = {
  name: 'sign',
  summary: 'add your signature to a tx',
  usage: ["sign [--json] --key <file> '<tx$>'"],
  description: [
    'Signs the unsigned tx (given bare, or inside a signed_tx that holds the other signatures) with',
    'the key of --key: ed25519 over the canonical bytes of the unsigned tx. Prints the signed_tx with',
    'the signature added, the list sorted bytewise and free of duplicates, as the node merges them.',
    'Warns on standard error when the key is not one of the signers the tx names. Run',
    '`aesc inspect` first: a signature commits you to every field.',
    '--key: a file of `aesc keygen --out`, or one holding the hex of a 32-byte seed or 64-byte key.',
    '--json prints {"tx","hash","signer"}.',
  ].join('\n'),
  options: {
    key: { type: 'string', placeholder: '<file>', description: 'the key file to sign with' },
  },
  arity: { min: 1, max: 1 },
  examples: ["aesc sign --key alice.key 'tx$…'"],
  async run(invocation) {
    const signer = await readKeyFile(requiredOption(invocation, this, 'key'));
    const tx = decodeTx(invocation.positionals[0] as string);
    const unsigned = tx.type === 'signed_tx' ? tx.tx : tx;
    const signers = txSigners(unsigned);
    if (signers !== undefined && !signers.some((key) => bytesToHex(key) === bytesToHex(signer.publicKey))) {
      await invocation.io.stderr(`aesc sign: warning: ${signer.address} is not a signer of this ${unsigned.type}\n`);
    }
    const signed = await signTx(tx, signer);
    const encoded = encodeTx(signed);
    if (invocation.json) await writeJson(invocation.io, { tx: encoded, hash: txHash(signed), signer: signer.address });
    else await invocation.io.stdout(`${encoded}\n`);
    return EXIT.OK;
  },
};

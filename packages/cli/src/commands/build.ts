import type { EncodedTx, TxHash } from '@aesc/encoding';
import { parseJsonExact, SchemaError } from '@aesc/schema';
import { encodeTx, fromJSON, txHash } from '@aesc/tx';
import { type Command, writeJson } from '../command.js';
import { CliError, EXIT, oneLine } from '../errors.js';
import { eachLine } from './shared.js';

export interface BuildResult {
  tx: EncodedTx;
  hash: TxHash;
}

/** The `tx$` of a JSON form (as `aesc inspect --json` prints it; computed keys are ignored). */
export function buildFromJSON(text: string): BuildResult {
  let json: unknown;
  try {
    // A key given twice is refused: JSON.parse would keep the last value without a word, and
    // an edited form showing "fee":"9" above a "fee":"10" must not build a fee of 10.
    parseJsonExact(text, { duplicateKeys: 'refuse' });
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError('INVALID_JSON', error instanceof SchemaError ? error.message : `not JSON: ${oneLine((error as Error).message)}`);
  }
  const tx = fromJSON(json);
  return { tx: encodeTx(tx), hash: txHash(tx) };
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'turn the JSON form of a tx (as inspect --json prints it) into its tx$',
  usage: ["build [--json] '<json>'", 'build [--json] -'],
  description: [
    'Reads the JSON form of a tx: {type, tag, vsn, fields} for an unsigned tx, with every integer',
    'a decimal string, keys ak$, channel ids ch$, payloads tx$, state st$, a spend payload 0x hex;',
    'a signed_tx is {type:"signed_tx", tag, vsn, signatures, tx}. The keys inspect computes (hash,',
    'channel_id, payload_tx, signers) are ignored and recomputed, so `inspect --json` output can be',
    'edited and built again; a key given twice is refused. Prints the canonical tx$ (--json:',
    '{"tx","hash"}).',
    '',
    'With -, reads one JSON document per line from standard input and writes one line per line:',
    'the tx$ (or with --json {"tx","hash"}), or {"error":{"code":…,"message":…}} for a line that',
    'fails, in which case the exit code is 1.',
  ].join('\n'),
  options: {},
  arity: { min: 1, max: 1 },
  examples: [
    `aesc build '{"type":"channel_settle_tx","fields":{"channel_id":"ch$…","from":"ak$…","initiator_amount":"5","responder_amount":"5","ttl":"1000","fee":"1","nonce":"4"}}'`,
    "aesc inspect --json 'tx$…' | aesc build -",
  ],
  async run(invocation) {
    const input = invocation.positionals[0] as string;
    if (input === '-') {
      return eachLine(invocation, async (line) => {
        const result = buildFromJSON(line);
        return invocation.json ? JSON.stringify(result) : result.tx;
      });
    }
    const result = buildFromJSON(input);
    if (invocation.json) await writeJson(invocation.io, result);
    else await invocation.io.stdout(`${result.tx}\n`);
    return EXIT.OK;
  },
};

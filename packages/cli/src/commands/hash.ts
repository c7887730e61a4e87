import { decodeTx, txHash } from '@aesc/tx';
import { type Command, writeJson } from '../command.js';
import { EXIT } from '../errors.js';

export const hashCommand: Command = {
  name: 'hash',
  summary: 'the th$ hash of a tx',
  usage: ["hash [--json] [--unsigned] '<tx$>'"],
  description: [
    'Prints blake2b-256 of the canonical serialization of the tx as th$. Of a signed_tx that is the',
    'v0.14 tx hash the node reports; of an unsigned tx it is the rule before 2018-05-16, which the',
    "seed's th$ values follow. --unsigned hashes the tx inside a signed_tx (that older rule).",
    '--json prints {"type","hash"}, type being the type of the tx hashed.',
  ].join('\n'),
  options: {
    unsigned: { type: 'boolean', description: 'of a signed_tx, hash the unsigned tx inside it' },
  },
  arity: { min: 1, max: 1 },
  examples: ["aesc hash 'tx$…'", "aesc hash --unsigned 'tx$…'"],
  async run(invocation) {
    const decoded = decodeTx(invocation.positionals[0] as string);
    const tx = invocation.options.unsigned === true && decoded.type === 'signed_tx' ? decoded.tx : decoded;
    const hash = txHash(tx);
    if (invocation.json) await writeJson(invocation.io, { type: tx.type, hash });
    else await invocation.io.stdout(`${hash}\n`);
    return EXIT.OK;
  },
};

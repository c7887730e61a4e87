import { type Command, writeJson } from '../command.js';
import { EXIT } from '../errors.js';
import { formatValueReport } from '../format.js';
import { inspectValue } from '../inspect.js';
import { eachLine, SIGNERS_OPTION, signersOption } from './shared.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show what a $ value holds; a tx with every field, its th$ hash and its signatures checked',
  usage: ["inspect [--json] [--signers 'ak$…,ak$…'] '<value>'", "inspect [--signers 'ak$…,ak$…'] -"],
  description: [
    'Decodes any prefix$base58check value. A tx$ shows its type, every field, its th$ hash (of a',
    'signed_tx: the v0.14 hash of the signed tx; of the tx inside: the older hash of the unsigned',
    'tx), the channel id a channel_create_tx creates, and for a signed_tx each signature with the',
    'key it verifies against and the verdict of the reference rule (each signer consumes one',
    'signature, none left over). A close_solo or slash payload is decoded as well. Deposit,',
    "withdraw and close_mutual are signed by the channel's peers, whom they do not name: give",
    'their keys with --signers. Other values show their type, size and bytes.',
    '',
    'With -, reads one value per line from standard input and writes one JSON object per line;',
    'a line that fails gives {"error":{"code":…,"message":…}} and the exit code is 1.',
    '--json prints what `aesc build` reads back into the same tx.',
  ].join('\n'),
  options: { signers: SIGNERS_OPTION },
  arity: { min: 1, max: 1 },
  examples: [
    "aesc inspect 'tx$2C9etiP9wZr2iQVj6BUYk5sxHVNgcVhK4ngwv7fjsnnj2S1przQggcqyfhfJGgMPkpzoDfBZM7SyxVQykUCHvJw2N7E5gWSMuiuGjL4fYYUAXkEeyJygCAqKiszgqz8RuBDAfyCX44SsC5Ev1KU84jkui5EVxb'",
    "aesc inspect --json --signers 'ak$…,ak$…' 'tx$…' | jq .signatures",
    "aesc inspect 'ak$2KTP6oDmZcPKRoE8DZxHFQA7GCyYoc8TTRek5uCEwXDFovkFqz'",
    'cat values.txt | aesc inspect -',
  ],
  async run(invocation) {
    const signers = signersOption(invocation);
    const value = invocation.positionals[0] as string;
    if (value === '-') return eachLine(invocation, async (line) => JSON.stringify(await inspectValue(line, { signers })));
    const report = await inspectValue(value, { signers });
    if (invocation.json) await writeJson(invocation.io, report);
    else await invocation.io.stdout(formatValueReport(report, { signers }));
    return EXIT.OK;
  },
};

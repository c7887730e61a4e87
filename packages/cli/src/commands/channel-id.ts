import { decode, EncodingError } from '@aesc/encoding';
import { channelId } from '@aesc/tx';
import { type Command, quoteForMessage, requiredOption, writeJson } from '../command.js';
import { CliError, EXIT } from '../errors.js';

export const channelIdCommand: Command = {
  name: 'channel-id',
  summary: 'the ch$ id of the channel a create tx opens',
  usage: ["channel-id [--json] --initiator 'ak$…' --nonce <n> --responder 'ak$…'"],
  description: [
    'Prints blake2b-256(initiator ‖ nonce as 32 bytes big-endian ‖ responder) as ch$, where nonce',
    "is the create tx's nonce. Keys are hashed at their full width, so legacy 65-byte secp256k1",
    '`ak$` keys give the ids of the seed\'s early examples. --json prints {"channel_id"}.',
  ].join('\n'),
  options: {
    initiator: { type: 'string', placeholder: "'ak$…'", description: "the initiator's key" },
    nonce: { type: 'string', placeholder: '<n>', description: "the create tx's nonce, a decimal number" },
    responder: { type: 'string', placeholder: "'ak$…'", description: "the responder's key" },
  },
  arity: { min: 0, max: 0 },
  examples: [
    "aesc channel-id --initiator 'ak$2W2vDXjrDWCtVcJ3aKNHHr8BxJ37xaNg6o88AfxosTTyejiEM' --nonce 4 --responder 'ak$R2jDydYPpjsWckNte6bUFg6pJiyKRaYaLRBKnQFwZAuEiDxrb'",
  ],
  async run(invocation) {
    const [initiatorKey, nonceText, responderKey] = (['initiator', 'nonce', 'responder'] as const).map((name) =>
      requiredOption(invocation, this, name),
    ) as [string, string, string];
    const initiator = decodeOption(initiatorKey, 'initiator');
    const responder = decodeOption(responderKey, 'responder');
    if (!/^(0|[1-9][0-9]*)$/.test(nonceText)) {
      throw new CliError('INVALID_NUMBER', `--nonce ${quoteForMessage(nonceText)} is not a decimal number without sign or leading zero`);
    }
    const id = channelId({ initiator, nonce: BigInt(nonceText), responder });
    if (invocation.json) await writeJson(invocation.io, { channel_id: id });
    else await invocation.io.stdout(`${id}\n`);
    return EXIT.OK;
  },
};

/** The key of `--<name>`, or an error that names the option. */
function decodeOption(key: string, name: string): Uint8Array {
  try {
    return decode(key, 'ak');
  } catch (error) {
    if (!(error instanceof EncodingError)) throw error;
    throw new EncodingError(error.code, `--${name}: ${error.message}`, error.context);
  }
}

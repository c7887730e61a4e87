import { decode, encode } from '@aesc/encoding';
import { SignerError } from '@aesc/signer';
import { decodeTx, toJSON, txHash, txSigners } from '@aesc/tx';
import { type Command, writeJson } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { rolesOf, verdict } from '../format.js';
import { checkSignatures } from '../inspect.js';
import { SIGNERS_OPTION, signersOption } from './shared.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: "check a signed_tx's signatures with the reference's rule",
  usage: ["verify [--json] [--signers 'ak$…,ak$…'] '<tx$>'"],
  description: [
    'Checks a signed_tx as the node does: over the canonical bytes of the unsigned tx, each signer',
    'in turn consumes one signature that verifies with its key; the tx is valid when every signer',
    'found one and no signature is left over. The signers are the keys the tx names (create and',
    'off-chain: initiator and responder; spend: sender; close_solo, slash, settle: from), or those',
    "of --signers, which deposit, withdraw and close_mutual need (the channel's peers, in the order",
    'initiator, responder). Legacy secp256k1 keys and DER signatures of the seed are verified too.',
    'Exit code 0 when valid, 3 when not; --json prints {"valid","hash","signers","signatures"}.',
  ].join('\n'),
  options: { signers: { ...SIGNERS_OPTION, description: 'the signers to check against (default: those the tx names)' } },
  arity: { min: 1, max: 1 },
  examples: ["aesc verify 'tx$…'", "aesc verify --signers 'ak$…,ak$…' 'tx$…' && echo co-signed"],
  async run(invocation) {
    const given = signersOption(invocation).map((key) => decode(key, 'ak'));
    const tx = decodeTx(invocation.positionals[0] as string);
    if (tx.type !== 'signed_tx') {
      throw new CliError('NOT_SIGNED', `a bare ${tx.type} has no signatures to verify; sign it first (aesc sign)`);
    }
    if (given.length === 0 && txSigners(tx.tx) === undefined) {
      throw new SignerError(
        'SIGNERS_REQUIRED',
        `a ${tx.tx.type} does not name its signers (the channel's peers): pass --signers 'ak$initiator,ak$responder'`,
      );
    }
    const check = await checkSignatures(tx, given.length > 0 ? { signers: given } : {});
    if (check.valid === null || check.signers === null) throw new Error('checkSignatures had signers and gave no verdict');
    if (invocation.json) {
      await writeJson(invocation.io, { valid: check.valid, hash: txHash(tx), signers: check.signers, signatures: check.signatures });
    } else {
      const roles = rolesOf(toJSON(tx.tx));
      const lines = [verdict(check, tx.tx.type, roles, new Set(given.map((key) => encode('ak', key))))];
      for (const entry of check.signers) {
        const role = roles.get(entry.signer)?.join(', ') ?? 'a --signers key';
        lines.push(`  ${role.padEnd(16)} ${entry.signer}  ${entry.signature ?? '(no signature)'}`);
      }
      await invocation.io.stdout(`${lines.join('\n')}\n`);
    }
    return check.valid ? EXIT.OK : EXIT.NOT_VERIFIED;
  },
};

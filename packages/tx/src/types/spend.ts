import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `spend_tx`, tag 12, vsn 1 (no ttl in this era):
 * `RLP([12, 1, sender, recipient, amount, fee, nonce, payload])`. Signed by the sender.
 */
const layout = [
  ['sender', 'pubkey'],
  ['recipient', 'pubkey'],
  ['amount', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
  ['payload', 'bytes'],
] as const;

export interface SpendTx extends FieldsOf<typeof layout> {
  type: 'spend_tx';
}

export const spendTx: TxDefinition<'spend_tx', SpendTx> = {
  type: 'spend_tx',
  tag: 12,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.sender],
};

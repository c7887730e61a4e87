import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_withdraw_tx`, tag 52, vsn 1:
 * `RLP([52, 1, channel_id, to, amount, ttl, fee, nonce])`. `to` (not `from`, whatever
 * ON-CHAIN.md says) receives the amount and pays fee and nonce. Signed by both peers of the
 * channel on chain.
 */
const layout = [
  ['channel_id', 'id'],
  ['to', 'pubkey'],
  ['amount', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelWithdrawTx extends FieldsOf<typeof layout> {
  type: 'channel_withdraw_tx';
}

export const channelWithdrawTx: TxDefinition<'channel_withdraw_tx', ChannelWithdrawTx> = {
  type: 'channel_withdraw_tx',
  tag: 52,
  vsn: 1,
  layouts: [layout],
  signers: 'channel',
};

import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_deposit_tx`, tag 51, vsn 1:
 * `RLP([51, 1, channel_id, from, amount, ttl, fee, nonce])`. Fee and nonce are `from`'s.
 * Signed by both peers of the channel on chain (the tx does not name them).
 */
const layout = [
  ['channel_id', 'id'],
  ['from', 'pubkey'],
  ['amount', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelDepositTx extends FieldsOf<typeof layout> {
  type: 'channel_deposit_tx';
}

export const channelDepositTx: TxDefinition<'channel_deposit_tx', ChannelDepositTx> = {
  type: 'channel_deposit_tx',
  tag: 51,
  vsn: 1,
  layouts: [layout],
  signers: 'channel',
};

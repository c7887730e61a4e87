import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_settle_tx`, tag 56, vsn 1:
 * `RLP([56, 1, channel_id, from, initiator_amount, responder_amount, ttl, fee, nonce])`.
 * The amounts must equal the channel's on chain once its solo-close lock has run out.
 * Signed by `from`.
 */
const layout = [
  ['channel_id', 'id'],
  ['from', 'pubkey'],
  ['initiator_amount', 'int'],
  ['responder_amount', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelSettleTx extends FieldsOf<typeof layout> {
  type: 'channel_settle_tx';
}

export const channelSettleTx: TxDefinition<'channel_settle_tx', ChannelSettleTx> = {
  type: 'channel_settle_tx',
  tag: 56,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.from],
};

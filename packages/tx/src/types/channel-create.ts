import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_create_tx`, tag 50, vsn 1:
 * `RLP([50, 1, initiator, initiator_amount, responder, responder_amount, channel_reserve,
 * lock_period, ttl, fee, nonce])`. Signed by both parties; fee and nonce are the initiator's.
 * `ttl` is the last height at which the tx may be included. `push_amount` is no tx field.
 */
const layout = [
  ['initiator', 'pubkey'],
  ['initiator_amount', 'int'],
  ['responder', 'pubkey'],
  ['responder_amount', 'int'],
  ['channel_reserve', 'int'],
  ['lock_period', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelCreateTx extends FieldsOf<typeof layout> {
  type: 'channel_create_tx';
}

export const channelCreateTx: TxDefinition<'channel_create_tx', ChannelCreateTx> = {
  type: 'channel_create_tx',
  tag: 50,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.initiator, tx.responder],
};

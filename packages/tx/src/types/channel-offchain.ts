import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_offchain_tx`, tag 57, vsn 1 (a channel state; never posted on chain by itself):
 * `RLP([57, 1, channel_id, previous_round, round, initiator, responder, initiator_amount,
 * responder_amount, [[from, to, amount], …], state])`. `state` is empty in v0.14. The wire
 * order differs from the seed's "Channel state" table, which is descriptive only.
 * Signed by both parties.
 */
const layout = [
  ['channel_id', 'id'],
  ['previous_round', 'int'],
  ['round', 'int'],
  ['initiator', 'pubkey'],
  ['responder', 'pubkey'],
  ['initiator_amount', 'int'],
  ['responder_amount', 'int'],
  ['updates', 'updates'],
  ['state', 'state'],
] as const;

export interface ChannelOffchainTx extends FieldsOf<typeof layout> {
  type: 'channel_offchain_tx';
}

export const channelOffchainTx: TxDefinition<'channel_offchain_tx', ChannelOffchainTx> = {
  type: 'channel_offchain_tx',
  tag: 57,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.initiator, tx.responder],
};

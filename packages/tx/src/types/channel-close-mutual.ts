import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_close_mutual_tx`, tag 53, vsn 1, in two layouts under the same tag and vsn:
 * - v0.14 (since 2018-05-21): `RLP([53, 1, channel_id, initiator_amount, responder_amount, ttl, fee, nonce])`
 * - legacy (every example of the seed): `RLP([53, 1, channel_id, from, initiator_amount,
 *   responder_amount, ttl, fee, nonce])`
 * Decoding tells them apart by field count; encoding writes the legacy layout exactly when the
 * value has `from`. Signed by both peers of the channel on chain; the nonce is the initiator's.
 */
const layout = [
  ['channel_id', 'id'],
  ['initiator_amount', 'int'],
  ['responder_amount', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

const legacyLayout = [
  ['channel_id', 'id'],
  ['from', 'pubkey'],
  ['initiator_amount', 'int'],
  ['responder_amount', 'int'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

/** The v0.14 layout. */
export interface ChannelCloseMutualTxV014 extends FieldsOf<typeof layout> {
  type: 'channel_close_mutual_tx';
}

/** The pre-2018-05-21 layout with `from`, as in the seed (decoded and verified, never produced by v0.14). */
export interface ChannelCloseMutualTxLegacy extends FieldsOf<typeof legacyLayout> {
  type: 'channel_close_mutual_tx';
}

export type ChannelCloseMutualTx = ChannelCloseMutualTxV014 | ChannelCloseMutualTxLegacy;

export const channelCloseMutualTx: TxDefinition<'channel_close_mutual_tx', ChannelCloseMutualTx> = {
  type: 'channel_close_mutual_tx',
  tag: 53,
  vsn: 1,
  layouts: [layout, legacyLayout],
  signers: 'channel',
};

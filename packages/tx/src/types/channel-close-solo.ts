import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_close_solo_tx`, tag 54, vsn 1:
 * `RLP([54, 1, channel_id, from, payload, ttl, fee, nonce])`. `payload` is meant to be the
 * full serialization of a co-signed `signed_tx` wrapping a `channel_offchain_tx`, but the
 * reference accepts any bytes there, so any bytes are a valid field. Signed by `from`.
 */
const layout = [
  ['channel_id', 'id'],
  ['from', 'pubkey'],
  ['payload', 'payload'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelCloseSoloTx extends FieldsOf<typeof layout> {
  type: 'channel_close_solo_tx';
}

export const channelCloseSoloTx: TxDefinition<'channel_close_solo_tx', ChannelCloseSoloTx> = {
  type: 'channel_close_solo_tx',
  tag: 54,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.from],
};

import type { TxDefinition } from '../definition.js';
import type { FieldsOf } from '../fields.js';

/**
 * `channel_slash_tx`, tag 55, vsn 1, the layout of close_solo:
 * `RLP([55, 1, channel_id, from, payload, ttl, fee, nonce])`, `payload` a newer co-signed
 * off-chain state than the one a solo close put on chain. Signed by `from`.
 */
const layout = [
  ['channel_id', 'id'],
  ['from', 'pubkey'],
  ['payload', 'payload'],
  ['ttl', 'int'],
  ['fee', 'int'],
  ['nonce', 'int'],
] as const;

export interface ChannelSlashTx extends FieldsOf<typeof layout> {
  type: 'channel_slash_tx';
}

export const channelSlashTx: TxDefinition<'channel_slash_tx', ChannelSlashTx> = {
  type: 'channel_slash_tx',
  tag: 55,
  vsn: 1,
  layouts: [layout],
  signers: (tx) => [tx.from],
};

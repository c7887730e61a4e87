// The off-chain rules of a channel (applyTransfers, closeMutualAmounts) are the subpath
// `@aesc/tx/channel` (src/channel.ts): both ends of a channel need them, a codec user does not.
export {
  checkSignatures,
  compareBytes,
  decodeTx,
  deserializeTx,
  encodeTx,
  serializeTx,
  serializeUnsigned,
  type TxExpectation,
  txSigners,
} from './codec.js';
export type { SignersRule, TxDefinition } from './definition.js';
export { TxError, type TxErrorCode, type TxErrorContext } from './errors.js';
export { type FieldKind, type FieldSpec, type OffchainUpdate } from './fields.js';
export { blake2b256, type ChannelIdInput, channelId, txHash } from './hash.js';
export {
  type FieldJSON,
  fromJSON,
  type SignedTxJSON,
  toJSON,
  type TxJSON,
  type UnsignedTxJSON,
  type UpdateJSON,
} from './json.js';
export {
  DEFINITION_BY_TAG,
  DEFINITION_BY_TYPE,
  TX_DEFINITIONS,
  type Tx,
  type TxOfType,
  type TxType,
  type UnsignedTx,
  type UnsignedTxType,
} from './registry.js';
export { decodeRlp, encodeRlp, type RlpItem } from './rlp.js';
export type { ChannelCloseMutualTx, ChannelCloseMutualTxLegacy, ChannelCloseMutualTxV014 } from './types/channel-close-mutual.js';
export type { ChannelCloseSoloTx } from './types/channel-close-solo.js';
export type { ChannelCreateTx } from './types/channel-create.js';
export type { ChannelDepositTx } from './types/channel-deposit.js';
export type { ChannelOffchainTx } from './types/channel-offchain.js';
export type { ChannelSettleTx } from './types/channel-settle.js';
export type { ChannelSlashTx } from './types/channel-slash.js';
export type { ChannelWithdrawTx } from './types/channel-withdraw.js';
export type { SignedTx } from './types/signed.js';
export type { SpendTx } from './types/spend.js';

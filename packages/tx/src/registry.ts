import { describe } from '@aesc/encoding';
import type { TxDefinition } from './definition.js';
import { TxError } from './errors.js';
import { type ChannelCloseMutualTx, channelCloseMutualTx } from './types/channel-close-mutual.js';
import { type ChannelCloseSoloTx, channelCloseSoloTx } from './types/channel-close-solo.js';
import { type ChannelCreateTx, channelCreateTx } from './types/channel-create.js';
import { type ChannelDepositTx, channelDepositTx } from './types/channel-deposit.js';
import { type ChannelOffchainTx, channelOffchainTx } from './types/channel-offchain.js';
import { type ChannelSettleTx, channelSettleTx } from './types/channel-settle.js';
import { type ChannelSlashTx, channelSlashTx } from './types/channel-slash.js';
import { type ChannelWithdrawTx, channelWithdrawTx } from './types/channel-withdraw.js';
import type { SignedTx } from './types/signed.js';
import { type SpendTx, spendTx } from './types/spend.js';

/** Every transaction that can be signed (the inner tx of a `signed_tx`). */
export type UnsignedTx =
  | SpendTx
  | ChannelCreateTx
  | ChannelDepositTx
  | ChannelWithdrawTx
  | ChannelCloseMutualTx
  | ChannelCloseSoloTx
  | ChannelSlashTx
  | ChannelSettleTx
  | ChannelOffchainTx;

export type Tx = UnsignedTx | SignedTx;
export type TxType = Tx['type'];
export type UnsignedTxType = UnsignedTx['type'];
/** The transaction type named `T`: `TxOfType<'channel_create_tx'>` is `ChannelCreateTx`. */
export type TxOfType<T extends TxType> = Extract<Tx, { type: T }>;

export const TX_DEFINITIONS: readonly TxDefinition<UnsignedTxType, never>[] = [
  spendTx,
  channelCreateTx,
  channelDepositTx,
  channelWithdrawTx,
  channelCloseMutualTx,
  channelCloseSoloTx,
  channelSlashTx,
  channelSettleTx,
  channelOffchainTx,
] as readonly TxDefinition<UnsignedTxType, never>[];

export const DEFINITION_BY_TAG: ReadonlyMap<number, TxDefinition<UnsignedTxType, never>> = new Map(TX_DEFINITIONS.map((definition) => [definition.tag, definition]));
export const DEFINITION_BY_TYPE: ReadonlyMap<string, TxDefinition<UnsignedTxType, never>> = new Map(
  TX_DEFINITIONS.map((definition) => [definition.type, definition]),
);

/** Object tags of v0.14 that are not transactions, so an error can say what the bytes are. */
export const NON_TX_TAGS: ReadonlyMap<number, string> = new Map([
  [10, 'an account'],
  [20, 'an oracle'],
  [21, 'an oracle query'],
  [30, 'a name'],
  [31, 'a name commitment'],
  [40, 'a contract'],
  [41, 'a contract call'],
  [58, 'a channel state object'],
  [100, 'a block'],
]);

/**
 * The family of a transaction tag of v0.14 this codec does not model ("an oracle" for 22–25,
 * "a name" for 32–36, "a contract" for 42–43), for an error to say what the bytes are; by range
 * rather than a table of the eleven names, which cost the browser bundle 40 bytes more.
 */
export function unmodelledTxFamily(tag: number): string | undefined {
  return tag >= 22 && tag <= 25 ? 'an oracle' : tag >= 32 && tag <= 36 ? 'a name' : tag === 42 || tag === 43 ? 'a contract' : undefined;
}

/**
 * The definition of an unsigned tx's type, `tx` being the transaction at `path` ('' at the top).
 * A non-object is a TypeError; a `type` that is no string, or names no unsigned transaction, is
 * TxError INVALID_FIELD (never echoed in full).
 */
export function unsignedDefinition(tx: unknown, path: string): TxDefinition<UnsignedTxType, never> {
  if (typeof tx !== 'object' || tx === null) {
    throw new TypeError(`${path || 'tx'} must be a transaction object, got ${describe(tx)}`);
  }
  const type = (tx as { type?: unknown }).type;
  const definition = typeof type === 'string' ? DEFINITION_BY_TYPE.get(type) : undefined;
  if (definition !== undefined) return definition;
  const typePath = path === '' ? 'type' : `${path}.type`;
  const problem =
    type === 'signed_tx'
      ? 'a signed_tx where an unsigned transaction is required'
      : typeof type === 'string'
        ? `unknown transaction type ${JSON.stringify(clip(type))}`
        : `the transaction type must be a string, got ${describe(type)}`;
  throw new TxError('INVALID_FIELD', `${typePath}: ${problem}`, { path: typePath });
}

/** `text` cut to 40 characters (and an ellipsis), so that a message never echoes a long input. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

import type { FieldSpec } from './fields.js';

/**
 * Who must sign a transaction (WIRE.md §4, `aetx:signers`): keys named in the tx itself, or
 * `'channel'` when the reference looks the peers up in the channel on chain (deposit,
 * withdraw, close_mutual), so that a verifier has to be told them.
 */
export type SignersRule<Tx> = ((tx: Tx) => Uint8Array[]) | 'channel';

/** What a transaction module declares: its tag, its wire layout(s) and its signers. */
export interface TxDefinition<Type extends string = string, Tx = unknown> {
  readonly type: Type;
  readonly tag: number;
  readonly vsn: number;
  /**
   * Field lists in wire order, after tag and vsn. Most types have one; close_mutual has the
   * v0.14 layout first and the legacy one (with `from`) second. Decoding picks the layout by
   * field count, encoding by the field names the value carries.
   */
  readonly layouts: readonly (readonly FieldSpec[])[];
  readonly signers: SignersRule<Tx>;
}

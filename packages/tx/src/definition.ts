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

/**
 * The layout a value is written in: of those whose every field the value fills (anything but
 * `undefined`), the one with the most fields, so a close_mutual with `from` is legacy whatever
 * else the object carries. The codec and the JSON form both choose with this.
 */
export function pickLayout(layouts: TxDefinition['layouts'], values: Readonly<Record<string, unknown>>): readonly FieldSpec[] {
  if (layouts.length === 1) return layouts[0] as readonly FieldSpec[];
  let chosen: readonly FieldSpec[] | undefined;
  for (const layout of layouts) {
    if (layout.every(([name]) => values[name] !== undefined) && (chosen === undefined || layout.length > chosen.length)) {
      chosen = layout;
    }
  }
  return chosen ?? (layouts[0] as readonly FieldSpec[]);
}

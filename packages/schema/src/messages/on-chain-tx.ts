/**
 * `on_chain_tx`, node → client: the co-signed `channel_create_tx` after funding, or the
 * co-signed `channel_close_mutual_tx` after a mutual close (BEHAVIOUR.md §2.4, §2.6).
 */
import type { EncodedTx } from './primitives.js';

/** The node hands its client a co-signed transaction meant for the chain. */
export interface OnChainTx {
  action: 'on_chain_tx';
  payload: {
    /** A `signed_tx` with both parties' signatures. */
    tx: EncodedTx;
  };
}

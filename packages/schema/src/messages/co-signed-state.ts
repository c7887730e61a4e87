/**
 * The co-signed state frame, node → client: `{"action":"update","payload":{"state":"tx$…"}}`,
 * sent to both parties each time the latest co-signed round changes (the initial round 1 and
 * every completed update). It is what a client keeps to close alone (DESIGN.md decision 5:
 * both dialects send it).
 */
import type { EncodedTx } from './primitives.js';

/** The node hands its client the latest off-chain state, signed by both parties. */
export interface CoSignedState {
  action: 'update';
  payload: {
    /** A `signed_tx` wrapping a `channel_offchain_tx`, with both parties' signatures. */
    state: EncodedTx;
  };
}

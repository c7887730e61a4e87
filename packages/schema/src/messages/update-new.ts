/**
 * `update/new`, client → node: the starter proposes moving `amount` from `from` to `to`
 * (BEHAVIOUR.md §2.5). Either party may be `from`, so a starter can also request tokens.
 * `amount` is any integer here: a negative one is part of the protocol, answered by the node
 * with the error `negative_amount` (§3.1), so it must reach the node to get that answer.
 */
import type { AccountPubkey, Integer } from './primitives.js';

/** What moves in one off-chain update. */
export interface UpdateNewPayload {
  from: AccountPubkey;
  to: AccountPubkey;
  amount: Integer;
}

/** The client proposes a new off-chain state that moves `amount` from `from` to `to`. */
export interface UpdateNewRequest {
  action: 'update';
  tag: 'new';
  payload: UpdateNewPayload;
}

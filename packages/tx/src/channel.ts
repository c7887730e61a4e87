import { TxError } from './errors.js';
import type { OffchainUpdate } from './fields.js';

/*
 * The off-chain rules both ends of a channel apply, shared by the node emulator and the
 * client so that they cannot drift apart: transfers (WIRE.md §5) and the fee split of a
 * mutual close (WIRE.md §4.6).
 */

export interface ChannelBalances {
  initiator: Uint8Array;
  responder: Uint8Array;
  initiator_amount: bigint;
  responder_amount: bigint;
}

export type TransferProblem =
  /** `from` and `to` are not the two parties, in either direction */
  | 'invalid_pubkeys'
  /** a negative amount */
  | 'negative_amount'
  /** the sender would keep less than the channel reserve */
  | 'insufficient_balance';

/**
 * The amounts after applying `updates` in order (`aesc_offchain_state:apply_updates`), or the
 * first problem: each must move tokens between the two parties and leave the sender at or
 * above `reserve`.
 */
export function applyTransfers(
  balances: ChannelBalances,
  updates: readonly OffchainUpdate[],
  reserve: bigint,
): { initiator_amount: bigint; responder_amount: bigint } | { problem: TransferProblem; index: number } {
  let initiatorAmount = balances.initiator_amount;
  let responderAmount = balances.responder_amount;
  for (const [index, update] of updates.entries()) {
    if (update.amount < 0n) return { problem: 'negative_amount', index };
    const fromInitiator = sameKey(update.from, balances.initiator) && sameKey(update.to, balances.responder);
    const fromResponder = sameKey(update.from, balances.responder) && sameKey(update.to, balances.initiator);
    if (!fromInitiator && !fromResponder) return { problem: 'invalid_pubkeys', index };
    if (fromInitiator) {
      if (initiatorAmount - update.amount < reserve) return { problem: 'insufficient_balance', index };
      initiatorAmount -= update.amount;
      responderAmount += update.amount;
    } else {
      if (responderAmount - update.amount < reserve) return { problem: 'insufficient_balance', index };
      responderAmount -= update.amount;
      initiatorAmount += update.amount;
    }
  }
  return { initiator_amount: initiatorAmount, responder_amount: responderAmount };
}

/**
 * The amounts of a mutual close from the last co-signed amounts and the fee: ceil(fee/2) from
 * the initiator and floor(fee/2) from the responder when both can pay, otherwise the other
 * way round, otherwise whoever has more pays it all (`pay_close_mutual_fee`, WIRE.md §4.6).
 */
export function closeMutualAmounts(
  initiatorAmount: bigint,
  responderAmount: bigint,
  fee: bigint,
): { initiator_amount: bigint; responder_amount: bigint } {
  if (initiatorAmount < 0n || responderAmount < 0n || fee < 0n) throw new RangeError('amounts and fee must not be negative');
  if (initiatorAmount + responderAmount < fee) {
    throw new TxError('INVALID_FIELD', `the channel holds ${initiatorAmount + responderAmount}, less than the fee ${fee}`, { path: 'fee' });
  }
  const ceilHalf = (fee + 1n) / 2n;
  const floorHalf = fee / 2n;
  if (initiatorAmount >= ceilHalf && responderAmount >= floorHalf) {
    return { initiator_amount: initiatorAmount - ceilHalf, responder_amount: responderAmount - floorHalf };
  }
  if (responderAmount >= ceilHalf && initiatorAmount >= floorHalf) {
    return { initiator_amount: initiatorAmount - floorHalf, responder_amount: responderAmount - ceilHalf };
  }
  if (initiatorAmount > responderAmount) return { initiator_amount: initiatorAmount - fee + responderAmount, responder_amount: 0n };
  return { initiator_amount: 0n, responder_amount: responderAmount - fee + initiatorAmount };
}

function sameKey(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

import { assertBigint, assertBytes, describe } from '@aesc/encoding';
import { compareBytes } from './codec.js';
import { TxError } from './errors.js';
import type { OffchainUpdate } from './fields.js';

/*
 * The off-chain rules both ends of a channel apply, shared by the node emulator and the
 * client so that they cannot drift apart: transfers (WIRE.md §5) and the fee split of a
 * mutual close (WIRE.md §4.6). The entry of the subpath `@aesc/tx/channel`: an app that only
 * reads and builds transactions does not bundle them.
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
  if (typeof balances !== 'object' || balances === null) throw new TypeError(`balances must be an object, got ${describe(balances)}`);
  const { initiator, responder, initiator_amount: initiatorStart, responder_amount: responderStart } = balances;
  assertBytes(initiator, 'balances.initiator');
  assertBytes(responder, 'balances.responder');
  assertBigint(initiatorStart, 'balances.initiator_amount');
  assertBigint(responderStart, 'balances.responder_amount');
  if (!Array.isArray(updates)) throw new TypeError(`updates must be an array, got ${describe(updates)}`);
  assertBigint(reserve, 'reserve');
  let initiatorAmount = initiatorStart;
  let responderAmount = responderStart;
  // by index: a hole is a missing update, refused like any other non-update
  for (let index = 0; index < updates.length; index++) {
    const update: unknown = updates[index];
    if (typeof update !== 'object' || update === null) throw new TypeError(`updates[${index}] must be an object {from, to, amount}, got ${describe(update)}`);
    const { from, to, amount } = update as Record<string, unknown>;
    assertBytes(from, `updates[${index}].from`);
    assertBytes(to, `updates[${index}].to`);
    if (typeof amount !== 'bigint') throw new TypeError(`updates[${index}].amount must be a bigint, got ${describe(amount)}`);
    if (amount < 0n) return { problem: 'negative_amount', index };
    const fromInitiator = compareBytes(from, initiator) === 0 && compareBytes(to, responder) === 0;
    const fromResponder = compareBytes(from, responder) === 0 && compareBytes(to, initiator) === 0;
    if (!fromInitiator && !fromResponder) return { problem: 'invalid_pubkeys', index };
    if (fromInitiator) {
      if (initiatorAmount - amount < reserve) return { problem: 'insufficient_balance', index };
      initiatorAmount -= amount;
      responderAmount += amount;
    } else {
      if (responderAmount - amount < reserve) return { problem: 'insufficient_balance', index };
      responderAmount -= amount;
      initiatorAmount += amount;
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
  assertBigint(initiatorAmount, 'initiatorAmount');
  assertBigint(responderAmount, 'responderAmount');
  assertBigint(fee, 'fee');
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

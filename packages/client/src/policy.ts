import { type ChannelCloseMutualTx, type ChannelCreateTx, type ChannelOffchainTx, compareBytes, type OffchainUpdate, type UnsignedTx } from '@aesc/tx';
import { applyTransfers, closeMutualAmounts } from '@aesc/tx/channel';

/** The sign tags of both dialects, by what they ask for. */
export type SignPurpose = 'create' | 'update' | 'update_ack' | 'shutdown' | 'shutdown_ack';

export function purposeOfTag(tag: string): SignPurpose | undefined {
  switch (tag) {
    case 'initiator_sign':
    case 'initiator_signed':
    case 'responder_sign':
    case 'responder_signed':
      return 'create';
    case 'update':
      return 'update';
    case 'update_ack':
      return 'update_ack';
    case 'shutdown_sign':
      return 'shutdown';
    case 'shutdown_sign_ack':
      return 'shutdown_ack';
    default:
      return undefined;
  }
}

/** What the client knows when a sign request arrives: the terms, the last co-signed state, its own intent. */
export interface SignContext {
  role: 'initiator' | 'responder';
  /** Our own key. */
  self: Uint8Array;
  /** The negotiated terms (the connection parameters). */
  terms: {
    initiator: Uint8Array;
    responder: Uint8Array;
    initiator_amount: bigint;
    responder_amount: bigint;
    channel_reserve: bigint;
    lock_period: bigint;
    ttl: bigint;
  };
  /** The channel id, once the create tx is co-signed. */
  channelId?: Uint8Array | undefined;
  /** The newest state both parties signed. */
  lastState?: ChannelOffchainTx | undefined;
  /** The transfer we asked for, while our own `update` is in flight. */
  intent?: OffchainUpdate | undefined;
  /** Whether we asked to close. */
  closing: boolean;
  /**
   * Whether the node announced a proposal of the peer (`info update`) whose outcome has not
   * come. The node sends it before every `update_ack` request, the initial state's included
   * (BEHAVIOUR.md §2.4 row 12, §2.5 row 4, §9.1, and the seed), so `false` refuses an
   * `update_ack`; left out, it is not checked.
   */
  announced?: boolean | undefined;
  /** Whether a close is co-signed: nothing is signed after it. */
  closed: boolean;
  /** Whether the node's channel died or the connection closed: nothing is signed after it either. */
  died?: boolean | undefined;
  /**
   * What we signed last, while its outcome (the co-signed tx, or a `conflict` that voids our
   * own update) has not come: the peer can add its signature to it at any time.
   */
  outstanding?: SignPurpose | undefined;
}

export interface PolicyLimits {
  /** The highest fee we sign for a create or a mutual close (default 100). */
  maxFee: bigint;
}

export const DEFAULT_LIMITS: PolicyLimits = { maxFee: 100n };

/**
 * The built-in checks of a sign request (WIRE.md §4.12): the tx is the type the tag says and
 * exactly what the terms, the last co-signed state and our own intent allow. Returns the
 * reason of the first failed check, or undefined when the tx may be signed.
 */
export function checkSignRequest(purpose: SignPurpose, tx: UnsignedTx, context: SignContext, limits: PolicyLimits): string | undefined {
  const sequence = checkSequence(purpose, context);
  if (sequence !== undefined) return sequence;
  switch (purpose) {
    case 'create':
      return tx.type === 'channel_create_tx' ? checkCreate(tx, context, limits) : `a ${tx.type} under a create tag`;
    case 'update':
    case 'update_ack':
      return tx.type === 'channel_offchain_tx' ? checkOffchain(purpose, tx, context) : `a ${tx.type} under the ${purpose} tag`;
    case 'shutdown':
    case 'shutdown_ack':
      if (tx.type !== 'channel_close_mutual_tx') return `a ${tx.type} under a shutdown tag`;
      if (purpose === 'shutdown' && !context.closing) return 'a close we did not ask for';
      return checkClose(tx, context, limits);
  }
}

/**
 * Whether anything may be signed now, whatever the tx: one signature at a time, since any tx we
 * signed becomes co-signed the moment the peer adds its own. A second create would fund a second
 * channel; a second state of one round would let the peer close solo with whichever of the two
 * suits it, and a slash needs a higher round; a state after our close would be void. The
 * reference client ignores an `update_ack` while its own update is in flight (BEHAVIOUR.md §3.4).
 */
function checkSequence(purpose: SignPurpose, context: SignContext): string | undefined {
  if (context.closed) return 'the channel is closed: nothing more is signed';
  if (context.died === true) return 'the channel died: nothing more is signed';
  if (context.outstanding !== undefined) return `our signature of the ${context.outstanding} still waits for its outcome: one signature at a time`;
  const offchain = purpose === 'update' || purpose === 'update_ack';
  if (offchain && context.closing) return 'an off-chain state while our close is in flight';
  if (purpose === 'update_ack' && context.intent !== undefined) return 'an update_ack while our own update is in flight';
  if (purpose === 'update_ack' && context.announced === false) return 'an update_ack the node did not announce (no info update before it)';
  return undefined;
}

function checkCreate(tx: ChannelCreateTx, context: SignContext, limits: PolicyLimits): string | undefined {
  const { terms } = context;
  if (context.channelId !== undefined) return 'a second create for a channel that exists';
  if (!same(tx.initiator, terms.initiator)) return 'initiator is not the negotiated one';
  if (!same(tx.responder, terms.responder)) return 'responder is not the negotiated one';
  if (same(tx.initiator, tx.responder)) return 'initiator and responder are the same key';
  if (tx.initiator_amount !== terms.initiator_amount) return `initiator_amount ${tx.initiator_amount}, negotiated ${terms.initiator_amount}`;
  if (tx.responder_amount !== terms.responder_amount) return `responder_amount ${tx.responder_amount}, negotiated ${terms.responder_amount}`;
  if (tx.channel_reserve !== terms.channel_reserve) return `channel_reserve ${tx.channel_reserve}, negotiated ${terms.channel_reserve}`;
  if (tx.lock_period !== terms.lock_period) return `lock_period ${tx.lock_period}, negotiated ${terms.lock_period}`;
  if (tx.lock_period === 0n) return 'lock_period 0 leaves no time to dispute a solo close';
  if (tx.ttl !== terms.ttl) return `ttl ${tx.ttl}, negotiated ${terms.ttl}`;
  if (tx.channel_reserve > tx.initiator_amount || tx.channel_reserve > tx.responder_amount) return 'channel_reserve above an amount';
  return checkFee(tx.fee, tx.nonce, limits);
}

function checkOffchain(purpose: 'update' | 'update_ack', tx: ChannelOffchainTx, context: SignContext): string | undefined {
  const { terms, channelId, lastState } = context;
  if (channelId === undefined) return 'an off-chain state before the channel is funded';
  if (!same(tx.channel_id, channelId)) return 'channel_id is not our channel';
  if (!same(tx.initiator, terms.initiator) || !same(tx.responder, terms.responder)) return 'the parties changed';
  if (tx.state.length !== 0) return 'state is not empty (it is in v0.14)';
  if (lastState === undefined) {
    // The initial state: round 1 on top of round 0, no updates, the create amounts.
    if (tx.previous_round !== 0n || tx.round !== 1n) return `initial state with rounds ${tx.previous_round} → ${tx.round}, expected 0 → 1`;
    if (tx.updates.length !== 0) return 'updates in the initial state';
    if (tx.initiator_amount !== terms.initiator_amount || tx.responder_amount !== terms.responder_amount) {
      return 'initial amounts are not the create amounts';
    }
    return undefined;
  }
  if (tx.previous_round !== lastState.round) return `previous_round ${tx.previous_round}, last co-signed round ${lastState.round}`;
  if (tx.round !== tx.previous_round + 1n) return `round ${tx.round} is not previous_round + 1`;
  if (purpose === 'update') {
    const { intent } = context;
    if (intent === undefined) return 'an update we did not ask for';
    if (tx.updates.length !== 1) return `${tx.updates.length} updates, we asked for one transfer`;
    const [update] = tx.updates as [OffchainUpdate];
    if (!same(update.from, intent.from) || !same(update.to, intent.to)) return 'the transfer is not between the parties we asked for';
    if (update.amount !== intent.amount) return `amount ${update.amount}, we asked for ${intent.amount}`;
  } else if (tx.updates.length === 0) {
    return 'an update that changes nothing';
  }
  const applied = applyTransfers(lastState, tx.updates, terms.channel_reserve);
  if ('problem' in applied) return `update ${applied.index}: ${applied.problem}`;
  if (applied.initiator_amount !== tx.initiator_amount || applied.responder_amount !== tx.responder_amount) {
    return `amounts ${tx.initiator_amount}/${tx.responder_amount}, the updates give ${applied.initiator_amount}/${applied.responder_amount}`;
  }
  return undefined;
}

function checkClose(tx: ChannelCloseMutualTx, context: SignContext, limits: PolicyLimits): string | undefined {
  const { channelId, lastState } = context;
  if ('from' in tx) return 'the legacy 7-field close_mutual (v0.14 has 6 fields)';
  if (channelId === undefined || lastState === undefined) return 'a close before the channel is open';
  if (!same(tx.channel_id, channelId)) return 'channel_id is not our channel';
  const feeProblem = checkFee(tx.fee, tx.nonce, limits);
  if (feeProblem !== undefined) return feeProblem;
  if (lastState.initiator_amount + lastState.responder_amount < tx.fee) return 'the fee is above what the channel holds';
  const expected = closeMutualAmounts(lastState.initiator_amount, lastState.responder_amount, tx.fee);
  if (tx.initiator_amount !== expected.initiator_amount || tx.responder_amount !== expected.responder_amount) {
    return `amounts ${tx.initiator_amount}/${tx.responder_amount}, the last co-signed state less the fee gives ${expected.initiator_amount}/${expected.responder_amount}`;
  }
  if (tx.ttl !== context.terms.ttl) return `ttl ${tx.ttl}, negotiated ${context.terms.ttl}`;
  return undefined;
}

function checkFee(fee: bigint, nonce: bigint, limits: PolicyLimits): string | undefined {
  if (fee < 1n) return 'fee below the minimum of 1';
  if (fee > limits.maxFee) return `fee ${fee} above the limit ${limits.maxFee}`;
  if (nonce < 1n) return 'nonce 0';
  return undefined;
}

function same(left: Uint8Array, right: Uint8Array): boolean {
  return compareBytes(left, right) === 0;
}

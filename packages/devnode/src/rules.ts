import { bytesToHex, decode } from '@aesc/encoding';
import { verifySignedTx } from '@aesc/signer';
import { channelId, compareBytes, decodeRlp, deserializeTx, encodeRlp, type SignedTx, TxError, type UnsignedTx } from '@aesc/tx';
import type { Account } from './chain.js';

/** The on-chain channel object (tag 58 fields, WIRE.md §4.11); `closes_at = 0` ⇔ active. */
export interface ChannelObject {
  id: Uint8Array;
  initiator: Uint8Array;
  responder: Uint8Array;
  total_amount: bigint;
  initiator_amount: bigint;
  channel_reserve: bigint;
  round: bigint;
  lock_period: bigint;
  closes_at: bigint;
}

/**
 * Why the chain refuses a tx: the reference's (v0.14) error names where it has one, in the order
 * of the README's table, which says where devnode's differ. Admission (`Chain.submit`, `POST /v2/tx`) refuses with the first seven, some of which
 * a block gives too; every other drops the tx when a block would include it (`Chain.rejection`),
 * except `account_nonce_too_low` and `channel_not_closed`, which keep it waiting in the mempool.
 */
export type ChainErrorReason =
  // admission
  /** a bare `channel_offchain_tx` posted: off-chain states are never included */
  | 'not_an_on_chain_tx'
  /** the legacy 7-field `channel_close_mutual_tx` (with `from`), which v0.14 cannot read */
  | 'illegal_template_or_values'
  /** a fee below 1 */
  | 'too_low_fee'
  /** a nonce of 0 */
  | 'illegal_nonce'
  /** a nonce the paying account has used already (at admission and at inclusion) */
  | 'account_nonce_too_high'
  /** the tx's signatures are not exactly its signers' (one missing or left over, a legacy 65-byte key), or a close_solo/slash state's not exactly its two parties' */
  | 'signature_check_failed'
  /** no channel with the tx's `channel_id`: at admission for deposit, withdraw and close_mutual (their signers are its peers), at inclusion for any channel tx */
  | 'channel_does_not_exist'
  // inclusion, every tx
  /** the block's height is above the tx's `ttl` */
  | 'ttl_expired'
  /** the paying account, or a create's responder, has no account */
  | 'account_not_found'
  /** a nonce that leaves a gap after the paying account's: the tx waits in the mempool */
  | 'account_nonce_too_low'
  /** the paying account cannot cover amount + fee (or fee), or a create's responder its `responder_amount` */
  | 'insufficient_funds'
  // channel_create_tx
  /** `channel_reserve` above `initiator_amount` */
  | 'insufficient_initiator_amount'
  /** `channel_reserve` above `responder_amount` */
  | 'insufficient_responder_amount'
  /** a channel with the create's id exists */
  | 'channel_exists'
  // channel_deposit_tx, channel_withdraw_tx, channel_close_mutual_tx, close_solo/slash/settle
  /** `from`/`to` is no peer of the channel, or no party of the close_solo/slash state */
  | 'account_not_peer'
  /** a deposit, withdraw, close_mutual or close_solo of a channel being solo-closed */
  | 'channel_not_active'
  /** a withdrawal of more than the channel holds */
  | 'not_enough_channel_funds'
  /** a close_mutual whose amounts cannot cover its fee */
  | 'fee_too_big'
  /** a close_mutual whose amounts + fee are not the channel's total */
  | 'wrong_amounts'
  // channel_close_solo_tx, channel_slash_tx
  /** a payload that is no signed tx */
  | 'payload_deserialization_failed'
  /** a payload that is a signed tx, not of a `channel_offchain_tx` */
  | 'bad_offchain_state_type'
  /** a state of another channel than the tx's */
  | 'bad_state_channel_id'
  /** a state whose peers are not the channel's */
  | 'wrong_channel_peers'
  /** a close_solo state whose amounts do not sum to the channel's total */
  | 'payload_amounts_change_channel_funds'
  /** a slash of a channel not being solo-closed */
  | 'channel_not_closing'
  /** a slash state whose amounts do not sum to the channel's total */
  | 'wrong_state_amount'
  /** a slash state whose round is not above the one on chain */
  | 'state_round_too_small'
  // channel_settle_tx
  /** a settle before the channel's lock period ran out, or of an active channel: the tx waits in the mempool */
  | 'channel_not_closed'
  /** a settle whose amounts sum to more than the channel's total */
  | 'insufficient_channel_funds'
  /** a settle whose amounts are not the ones stored on chain */
  | 'wrong_amt';

/** A tx the chain refuses, with the reference's error name as `reason`. */
export class ChainError extends Error {
  override readonly name = 'ChainError';
  readonly reason: ChainErrorReason;

  constructor(reason: ChainErrorReason, message: string) {
    super(`${reason}: ${message}`);
    this.reason = reason;
  }
}

export interface LedgerView {
  accountByKey(accountKey: string): Account | undefined;
  channelByKey(channelKey: string): ChannelObject | undefined;
}

export interface Changes {
  accounts: Map<string, Account>;
  channels: Map<string, ChannelObject | undefined>;
}

const key = (bytes: Uint8Array): string => bytesToHex(bytes);

/** Which account pays the fee and supplies the nonce of `tx` (undefined: its channel is unknown). */
export function originOf(tx: UnsignedTx, ledger: LedgerView): { account: Uint8Array; nonce: bigint } | undefined {
  switch (tx.type) {
    case 'spend_tx':
      return { account: tx.sender, nonce: tx.nonce };
    case 'channel_create_tx':
      return { account: tx.initiator, nonce: tx.nonce };
    case 'channel_deposit_tx':
      return { account: tx.from, nonce: tx.nonce };
    case 'channel_withdraw_tx':
      return { account: tx.to, nonce: tx.nonce };
    case 'channel_close_mutual_tx': {
      const channel = ledger.channelByKey(key(tx.channel_id));
      return channel === undefined ? undefined : { account: channel.initiator, nonce: tx.nonce };
    }
    case 'channel_close_solo_tx':
    case 'channel_slash_tx':
    case 'channel_settle_tx':
      return { account: tx.from, nonce: tx.nonce };
    case 'channel_offchain_tx':
      return undefined;
  }
}

/** The state changes a block makes by including `tx` at `height`, or the rule it breaks. */
export async function applyTx(tx: UnsignedTx, ledger: LedgerView, height: number): Promise<Changes> {
  const staged = new Staged(ledger);
  const at = BigInt(height);
  if (tx.type === 'channel_offchain_tx') throw new ChainError('not_an_on_chain_tx', 'an off-chain state is never included');
  if ('ttl' in tx && tx.ttl < at) throw new ChainError('ttl_expired', `ttl ${tx.ttl} is below height ${height}`);
  switch (tx.type) {
    case 'spend_tx': {
      const sender = staged.payer(tx.sender, tx.nonce, tx.amount + tx.fee);
      sender.balance -= tx.amount + tx.fee;
      sender.nonce = tx.nonce;
      staged.accountOrNew(tx.recipient).balance += tx.amount;
      break;
    }
    case 'channel_create_tx': {
      const initiator = staged.payer(tx.initiator, tx.nonce, tx.initiator_amount + tx.fee);
      const responder = staged.existing(tx.responder);
      // initiator = responder is not refused (WIRE.md §4.3), and then both amounts come out of
      // one account: checked apart, each would see the whole balance and it could go negative.
      const responderOwes = tx.responder_amount + (responder === initiator ? tx.initiator_amount + tx.fee : 0n);
      if (responder.balance < responderOwes) throw new ChainError('insufficient_funds', 'the responder cannot cover responder_amount');
      if (tx.channel_reserve > tx.initiator_amount) {
        throw new ChainError('insufficient_initiator_amount', 'channel_reserve is above initiator_amount');
      }
      if (tx.channel_reserve > tx.responder_amount) {
        throw new ChainError('insufficient_responder_amount', 'channel_reserve is above responder_amount');
      }
      const id = decode(channelId(tx), 'ch');
      if (staged.channel(id) !== undefined) throw new ChainError('channel_exists', 'a channel with this id exists');
      initiator.balance -= tx.initiator_amount + tx.fee;
      initiator.nonce = tx.nonce;
      responder.balance -= tx.responder_amount; // responder nonce unchanged since 2018-05-18
      staged.setChannel({
        id,
        initiator: tx.initiator,
        responder: tx.responder,
        total_amount: tx.initiator_amount + tx.responder_amount,
        initiator_amount: tx.initiator_amount,
        channel_reserve: tx.channel_reserve,
        round: 0n,
        lock_period: tx.lock_period,
        closes_at: 0n,
      });
      break;
    }
    case 'channel_deposit_tx': {
      const from = staged.payer(tx.from, tx.nonce, tx.amount + tx.fee);
      const channel = staged.activeChannel(tx.channel_id);
      requirePeer(channel, tx.from);
      from.balance -= tx.amount + tx.fee;
      from.nonce = tx.nonce;
      channel.total_amount += tx.amount;
      staged.setChannel(channel);
      break;
    }
    case 'channel_withdraw_tx': {
      const to = staged.payer(tx.to, tx.nonce, tx.fee);
      const channel = staged.activeChannel(tx.channel_id);
      requirePeer(channel, tx.to);
      if (channel.total_amount < tx.amount) throw new ChainError('not_enough_channel_funds', 'the channel holds less than amount');
      to.balance += tx.amount - tx.fee;
      to.nonce = tx.nonce;
      channel.total_amount -= tx.amount;
      staged.setChannel(channel);
      break;
    }
    case 'channel_close_mutual_tx': {
      if ('from' in tx) throw new ChainError('illegal_template_or_values', 'the legacy 7-field close_mutual is not v0.14');
      const channel = staged.activeChannel(tx.channel_id);
      const initiator = staged.payer(channel.initiator, tx.nonce, 0n);
      if (tx.initiator_amount + tx.responder_amount < tx.fee) throw new ChainError('fee_too_big', 'the amounts cannot cover the fee');
      if (channel.total_amount !== tx.initiator_amount + tx.responder_amount + tx.fee) {
        throw new ChainError('wrong_amounts', 'initiator_amount + responder_amount + fee must equal the channel total');
      }
      initiator.balance += tx.initiator_amount;
      initiator.nonce = tx.nonce; // set, not bumped: the reference's close_mutual
      staged.accountOrNew(channel.responder).balance += tx.responder_amount;
      staged.deleteChannel(tx.channel_id);
      break;
    }
    case 'channel_close_solo_tx':
    case 'channel_slash_tx': {
      const from = staged.payer(tx.from, tx.nonce, tx.fee);
      const state = offchainState(tx.payload);
      if (!equal(tx.from, state.tx.initiator) && !equal(tx.from, state.tx.responder)) {
        throw new ChainError('account_not_peer', '`from` is no party of the state');
      }
      await checkStateSignatures(state);
      if (!equal(state.tx.channel_id, tx.channel_id)) throw new ChainError('bad_state_channel_id', 'the state is of another channel');
      const channel = staged.existingChannel(tx.channel_id);
      const stateSum = state.tx.initiator_amount + state.tx.responder_amount;
      if (tx.type === 'channel_close_solo_tx') {
        if (channel.closes_at !== 0n) throw new ChainError('channel_not_active', 'the channel is already closing');
        if (!samePeers(channel, state)) throw new ChainError('wrong_channel_peers', 'the state names other peers');
        if (stateSum !== channel.total_amount) {
          throw new ChainError('payload_amounts_change_channel_funds', 'the state amounts do not sum to the channel total');
        }
      } else {
        if (!(channel.closes_at > at)) throw new ChainError('channel_not_closing', 'the channel is not being solo-closed');
        if (!samePeers(channel, state)) throw new ChainError('wrong_channel_peers', 'the state names other peers');
        if (stateSum !== channel.total_amount) throw new ChainError('wrong_state_amount', 'the state amounts do not sum to the channel total');
        if (!(channel.round < state.tx.round)) {
          throw new ChainError('state_round_too_small', `round ${state.tx.round} is not above the on-chain round ${channel.round}`);
        }
      }
      from.balance -= tx.fee;
      from.nonce = tx.nonce;
      channel.initiator_amount = state.tx.initiator_amount;
      channel.round = state.tx.round;
      channel.closes_at = at + channel.lock_period;
      staged.setChannel(channel);
      break;
    }
    case 'channel_settle_tx': {
      const from = staged.payer(tx.from, tx.nonce, tx.fee);
      const channel = staged.existingChannel(tx.channel_id);
      requirePeer(channel, tx.from);
      if (channel.closes_at === 0n || channel.closes_at > at) {
        throw new ChainError('channel_not_closed', `the channel is not solo-closed up to height ${height}`);
      }
      const responderAmount = channel.total_amount - channel.initiator_amount;
      if (tx.initiator_amount + tx.responder_amount > channel.total_amount) {
        throw new ChainError('insufficient_channel_funds', 'the amounts exceed the channel total');
      }
      if (tx.initiator_amount !== channel.initiator_amount || tx.responder_amount !== responderAmount) {
        throw new ChainError('wrong_amt', 'the amounts must equal the ones stored on chain');
      }
      from.balance -= tx.fee;
      from.nonce = tx.nonce;
      staged.accountOrNew(channel.initiator).balance += tx.initiator_amount;
      staged.accountOrNew(channel.responder).balance += tx.responder_amount;
      staged.deleteChannel(tx.channel_id);
      break;
    }
  }
  return staged.changes;
}

/** Reads and stages accounts and channels, so a failed rule leaves the ledger untouched. */
class Staged {
  readonly changes: Changes = { accounts: new Map(), channels: new Map() };

  constructor(private readonly ledger: LedgerView) {}

  account(pubkey: Uint8Array): Account | undefined {
    const accountKey = key(pubkey);
    const staged = this.changes.accounts.get(accountKey);
    if (staged !== undefined) return staged;
    const found = this.ledger.accountByKey(accountKey);
    if (found !== undefined) this.changes.accounts.set(accountKey, found);
    return found;
  }

  existing(pubkey: Uint8Array): Account {
    const account = this.account(pubkey);
    if (account === undefined) throw new ChainError('account_not_found', 'no such account');
    return account;
  }

  accountOrNew(pubkey: Uint8Array): Account {
    const account = this.account(pubkey);
    if (account !== undefined) return account;
    const created = { balance: 0n, nonce: 0n };
    this.changes.accounts.set(key(pubkey), created);
    return created;
  }

  /**
   * The account that pays `cost` and whose nonce `nonce` must be next. The reference's names
   * (`aetx_utils:check_nonce`) say how the ACCOUNT's nonce compares: a gap is
   * `account_nonce_too_low` (checked first here: such a tx waits), a nonce already used is
   * `account_nonce_too_high`, reported after the balance as the reference orders them.
   */
  payer(pubkey: Uint8Array, nonce: bigint, cost: bigint): Account {
    const account = this.existing(pubkey);
    if (nonce > account.nonce + 1n) throw new ChainError('account_nonce_too_low', `nonce ${nonce} leaves a gap after the account's ${account.nonce}`);
    if (account.balance < cost) throw new ChainError('insufficient_funds', `balance ${account.balance} is below ${cost}`);
    if (nonce <= account.nonce) throw new ChainError('account_nonce_too_high', `nonce ${nonce} is not above the account's ${account.nonce}`);
    return account;
  }

  channel(id: Uint8Array): ChannelObject | undefined {
    const channelKey = key(id);
    if (this.changes.channels.has(channelKey)) return this.changes.channels.get(channelKey);
    return this.ledger.channelByKey(channelKey);
  }

  existingChannel(id: Uint8Array): ChannelObject {
    const channel = this.channel(id);
    if (channel === undefined) throw new ChainError('channel_does_not_exist', 'no such channel');
    return channel;
  }

  activeChannel(id: Uint8Array): ChannelObject {
    const channel = this.existingChannel(id);
    if (channel.closes_at !== 0n) throw new ChainError('channel_not_active', 'the channel is being solo-closed');
    return channel;
  }

  setChannel(channel: ChannelObject): void {
    this.changes.channels.set(key(channel.id), channel);
  }

  deleteChannel(id: Uint8Array): void {
    this.changes.channels.set(key(id), undefined);
  }
}

function requirePeer(channel: ChannelObject, pubkey: Uint8Array): void {
  if (!equal(channel.initiator, pubkey) && !equal(channel.responder, pubkey)) {
    throw new ChainError('account_not_peer', 'the account is no peer of the channel');
  }
}

type OffchainState = SignedTx & { tx: Extract<UnsignedTx, { type: 'channel_offchain_tx' }> };

function offchainState(payload: Uint8Array): OffchainState {
  let state: SignedTx;
  try {
    state = deserializeSignedTx(payload);
  } catch (error) {
    if (error instanceof TxError) throw new ChainError('payload_deserialization_failed', error.message);
    throw error;
  }
  if (state.tx.type !== 'channel_offchain_tx') throw new ChainError('bad_offchain_state_type', `the payload holds a ${state.tx.type}`);
  return state as OffchainState;
}

/**
 * A signed tx from its bytes, as v0.14 reads one (a posted tx, a close_solo/slash payload): its
 * signatures in any order, checked on the re-serialized (sorted) object (WIRE.md §6.4), so a tx
 * another SDK left unsorted is as good as the sorted one. Anything else non-canonical is a TxError.
 */
export function deserializeSignedTx(bytes: Uint8Array): SignedTx {
  try {
    return deserializeTx(bytes, 'signed_tx');
  } catch (error) {
    if (!(error instanceof TxError) || error.code !== 'NON_CANONICAL_ORDER') throw error;
    return deserializeTx(withSortedSignatures(bytes), 'signed_tx');
  }
}

/** A signed tx's bytes with its signatures sorted (its RLP is canonical: only their order was off). */
function withSortedSignatures(signedTx: Uint8Array): Uint8Array {
  const [tag, vsn, signatures, inner] = decodeRlp(signedTx) as [Uint8Array, Uint8Array, Uint8Array[], Uint8Array];
  return encodeRlp([tag, vsn, [...signatures].sort(compareBytes), inner]);
}

async function checkStateSignatures(state: OffchainState): Promise<void> {
  if (!(await signedByExactly(state, [state.tx.initiator, state.tx.responder]))) {
    throw new ChainError('signature_check_failed', 'the state is not signed by both of its parties, or carries extra signatures');
  }
}

/**
 * Whether `signers` signed `signedTx` and nobody else did (WIRE.md §6.4). v0.14 verifies
 * ed25519 only: a key of any other size (a legacy 65-byte secp256k1 one) has no valid
 * signature, so the tx is refused as unsigned rather than failing the check itself.
 */
export async function signedByExactly(signedTx: SignedTx, signers: readonly Uint8Array[]): Promise<boolean> {
  if (signers.some((signer) => signer.length !== 32)) return false;
  return (await verifySignedTx(signedTx, signers)).valid;
}

function samePeers(channel: ChannelObject, state: OffchainState): boolean {
  return equal(channel.initiator, state.tx.initiator) && equal(channel.responder, state.tx.responder);
}

function equal(left: Uint8Array, right: Uint8Array): boolean {
  return key(left) === key(right);
}

import { decode } from '@aesc/encoding';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import {
  blake2b256,
  type ChannelCreateTx,
  type ChannelOffchainTx,
  channelId,
  decodeRlp,
  deserializeTx,
  encodeRlp,
  type SignedTx,
  serializeTx,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain.js';
import { applyTx, ChainError, type ChainErrorReason } from '../src/rules.js';

let alice: Signer;
let bob: Signer;
let carol: Signer;
let chain: Chain;

async function signed(tx: UnsignedTx, ...signers: Signer[]): Promise<SignedTx> {
  let result: UnsignedTx | SignedTx = tx;
  for (const signer of signers) result = await signTx(result, signer);
  return result as SignedTx;
}

function createTx(overrides: Partial<ChannelCreateTx> = {}): ChannelCreateTx {
  return {
    type: 'channel_create_tx',
    initiator: alice.publicKey,
    initiator_amount: 70n,
    responder: bob.publicKey,
    responder_amount: 40n,
    channel_reserve: 2n,
    lock_period: 3n,
    ttl: 1000n,
    fee: 1n,
    nonce: 1n,
    ...overrides,
  };
}

/** Opens a channel on chain (alice 70, bob 40) and returns its id. */
async function openChannel(): Promise<Uint8Array> {
  await chain.submit(await signed(createTx(), alice, bob));
  await chain.mine();
  return decode(channelId(createTx()), 'ch');
}

function state(id: Uint8Array, round: bigint, initiatorAmount: bigint, responderAmount: bigint): ChannelOffchainTx {
  return {
    type: 'channel_offchain_tx',
    channel_id: id,
    previous_round: round - 1n,
    round,
    initiator: alice.publicKey,
    responder: bob.publicKey,
    initiator_amount: initiatorAmount,
    responder_amount: responderAmount,
    updates: [],
    state: new Uint8Array(),
  };
}

async function statePayload(id: Uint8Array, round: bigint, initiatorAmount = 60n, responderAmount = 50n, signers = [alice, bob]) {
  return serializeTx(await signed(state(id, round, initiatorAmount, responderAmount), ...signers));
}

/** The reason `applyTx` gives for `tx` at the next height. */
async function reasonOf(tx: UnsignedTx, height = chain.height + 1): Promise<string> {
  try {
    await applyTx(tx, chain, height);
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    return (error as ChainError).reason;
  }
  throw new Error('the tx passed its rules');
}

/** `tx` passes every rule at `height` (the next one by default). */
async function passes(tx: UnsignedTx, height = chain.height + 1): Promise<void> {
  await expect(applyTx(tx, chain, height)).resolves.toMatchObject({ accounts: expect.any(Map) });
}

/** A legacy secp256k1 public key (65 bytes, `04` first): v0.14 verifies none of its signatures. */
function legacyKey(): Uint8Array {
  const key = new Uint8Array(65).fill(7);
  key[0] = 0x04;
  return key;
}

beforeEach(async () => {
  [alice, bob, carol] = (await Promise.all([1, 2, 3].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer, Signer];
  chain = new Chain([
    { pubkey: alice.publicKey, balance: 1000n },
    { pubkey: bob.publicKey, balance: 1000n },
    { pubkey: carol.publicKey, balance: 1000n },
  ]);
});

describe('mempool admission', () => {
  it('takes a well-signed tx, shows it pending, and includes it in the next block', async () => {
    const record = await chain.submit(await signed(createTx(), alice, bob));
    expect(record.blockHeight).toBe(-1);
    expect(chain.tx(record.hash)?.blockHash).toBe('none');
    expect(chain.tx(record.unsignedHash)).toBe(record);
    expect(chain.account(alice.publicKey)?.balance).toBe(1000n);
    const [block] = await chain.mine();
    expect(block?.txHashes).toEqual([record.hash]);
    expect(chain.tx(record.hash)?.blockHeight).toBe(1);
    expect(chain.account(alice.publicKey)).toEqual({ balance: 929n, nonce: 1n });
    // The responder pays its amount; its nonce is unchanged (since 2018-05-18).
    expect(chain.account(bob.publicKey)).toEqual({ balance: 960n, nonce: 0n });
    const channel = chain.channel(decode(channelId(createTx()), 'ch'));
    expect(channel).toMatchObject({ total_amount: 110n, initiator_amount: 70n, round: 0n, closes_at: 0n, lock_period: 3n });
  });

  it('refuses a missing signature, an extra one, a fee below 1, nonce 0 and a used nonce', async () => {
    await expect(chain.submit(await signed(createTx(), alice))).rejects.toMatchObject({ reason: 'signature_check_failed' });
    await expect(chain.submit(await signed(createTx(), alice, bob, carol))).rejects.toMatchObject({ reason: 'signature_check_failed' });
    await expect(chain.submit(await signed(createTx({ fee: 0n }), alice, bob))).rejects.toMatchObject({ reason: 'too_low_fee' });
    await expect(chain.submit(await signed(createTx({ nonce: 0n }), alice, bob))).rejects.toMatchObject({ reason: 'illegal_nonce' });
    await openChannel();
    await expect(chain.submit(await signed(createTx({ nonce: 1n, ttl: 999n }), alice, bob))).rejects.toMatchObject({
      reason: 'account_nonce_too_high',
    });
  });

  it('refuses the legacy 7-field close_mutual and a bare off-chain state, at admission and at inclusion', async () => {
    const id = await openChannel();
    const legacy = { type: 'channel_close_mutual_tx', channel_id: id, from: alice.publicKey, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    await expect(chain.submit(await signed(legacy, alice, bob))).rejects.toMatchObject({ reason: 'illegal_template_or_values' });
    expect(await reasonOf(legacy)).toBe('illegal_template_or_values');
    await expect(chain.submit(await signed(state(id, 1n, 70n, 40n), alice, bob))).rejects.toMatchObject({ reason: 'not_an_on_chain_tx' });
    expect(await reasonOf(state(id, 1n, 70n, 40n))).toBe('not_an_on_chain_tx');
  });

  it('keeps a tx whose nonce is ahead until the gap is filled, and drops one whose ttl passed', async () => {
    const spend = (nonce: bigint, ttl = 1000n) => ({ type: 'spend_tx', sender: alice.publicKey, recipient: carol.publicKey, amount: 5n, fee: 1n, nonce, payload: new Uint8Array() }) as const;
    const later = await chain.submit(await signed(spend(2n), alice));
    await chain.mine();
    expect(chain.tx(later.hash)?.blockHeight).toBe(-1);
    await chain.submit(await signed(spend(1n), alice));
    await chain.mine();
    expect(chain.tx(later.hash)?.blockHeight).toBe(2);
    expect(chain.account(carol.publicKey)?.balance).toBe(1010n);
    expect(chain.nextNonce(alice.publicKey)).toBe(3n);

    const expiring = await chain.submit(await signed({ ...createTx({ nonce: 3n, ttl: 2n }) }, alice, bob));
    await chain.mine();
    expect(chain.tx(expiring.hash)).toBeUndefined();
    expect(chain.rejection(expiring.hash)?.reason).toBe('ttl_expired');
  });
});

describe('bookkeeping', () => {
  it('takes a tx it already has again as that tx, pending or mined; a dropped tx posted again is pending, its rejection forgotten', async () => {
    const tx = await signed(createTx(), alice, bob);
    const record = await chain.submit(tx);
    expect(await chain.submit(tx)).toBe(record);
    await chain.mine();
    // A client that posts again (its first answer lost) learns the hash, not a used-nonce refusal.
    expect(await chain.submit(tx)).toBe(record);
    expect(chain.mempool).toEqual([]);
    await chain.mine();
    expect(chain.account(alice.publicKey)).toEqual({ balance: 929n, nonce: 1n });

    const spend = { type: 'spend_tx', sender: bob.publicKey, recipient: carol.publicKey, amount: 5000n, fee: 1n, nonce: 1n, payload: new Uint8Array() } as const;
    const dropped = await chain.submit(await signed(spend, bob));
    await chain.mine();
    expect(chain.rejection(dropped.hash)).toMatchObject({ reason: 'insufficient_funds', height: chain.height });
    // gone under either hash, not left pending under the seed's older one
    expect(chain.tx(dropped.hash)).toBeUndefined();
    expect(chain.tx(dropped.unsignedHash)).toBeUndefined();
    chain.fund(bob.publicKey, 5000n);
    expect((await chain.submit(await signed(spend, bob))).hash).toBe(dropped.hash);
    expect(chain.rejection(dropped.hash)).toBeUndefined();
    await chain.mine();
    expect(chain.tx(dropped.hash)?.blockHeight).toBe(chain.height);
  });

  it('hands out copies, refuses a negative credit, and tells block listeners of a block once it is the top', async () => {
    const account = chain.account(alice.publicKey) as { balance: bigint };
    account.balance = 0n;
    expect(chain.account(alice.publicKey)).toEqual({ balance: 1000n, nonce: 0n });
    expect(() => chain.fund(alice.publicKey, -1n)).toThrow(RangeError);
    expect(chain.fund(alice.publicKey, 5n)).toEqual({ balance: 1005n, nonce: 0n });
    const seen: [number, number, boolean][] = [];
    const stop = chain.onBlock((block) => seen.push([block.height, chain.height, chain.topBlock === block]));
    await chain.mine(2);
    stop();
    // Two callers at once (the block timer and POST /debug/mine): one block after the other.
    const pending = await chain.submit(await signed(createTx(), alice, bob));
    const [first, second] = await Promise.all([chain.mine(), chain.mine()]);
    expect([first?.[0]?.height, second?.[0]?.height]).toEqual([3, 4]);
    expect(first?.[0]?.txHashes).toEqual([pending.hash]);
    expect(second?.[0]?.txHashes).toEqual([]);
    expect(seen).toEqual([
      [1, 1, true],
      [2, 2, true],
    ]);
  });

  it('includes a block’s txs in nonce order, so that one may spend what a lower nonce of another account pays it in that block', async () => {
    const spend = (from: Signer, to: Signer, amount: bigint, nonce: bigint) =>
      signed({ type: 'spend_tx', sender: from.publicKey, recipient: to.publicKey, amount, fee: 1n, nonce, payload: new Uint8Array() }, from);
    await chain.submit(await spend(carol, bob, 1n, 1n));
    await chain.mine();
    // carol (998) spends 1500 at nonce 2, posted first; alice's nonce 1 pays her 900 in the same block.
    const carols = await chain.submit(await spend(carol, bob, 1500n, 2n));
    const alices = await chain.submit(await spend(alice, carol, 900n, 1n));
    const [block] = await chain.mine();
    expect(block?.txHashes).toEqual([alices.hash, carols.hash]);
    expect(chain.account(carol.publicKey)).toEqual({ balance: 397n, nonce: 2n });
  });
});

describe('on-chain rules (aesc_txs_SUITE error names)', () => {
  it('create', async () => {
    expect(await reasonOf(createTx({ initiator: (await createSigner(new Uint8Array(32).fill(9))).publicKey }))).toBe('account_not_found');
    expect(await reasonOf(createTx({ initiator_amount: 1000n }))).toBe('insufficient_funds');
    expect(await reasonOf(createTx({ responder_amount: 1001n }))).toBe('insufficient_funds');
    expect(await reasonOf(createTx({ nonce: 5n }))).toBe('account_nonce_too_low');
    expect(await reasonOf(createTx({ channel_reserve: 71n }))).toBe('insufficient_initiator_amount');
    expect(await reasonOf(createTx({ channel_reserve: 41n }))).toBe('insufficient_responder_amount');
    expect(await reasonOf(createTx({ ttl: 0n }))).toBe('ttl_expired');
    await openChannel();
    expect(await reasonOf(createTx())).toBe('account_nonce_too_high');
  });

  it('create: channel_exists', async () => {
    await openChannel();
    // The id hashes the create nonce, which the initiator cannot reuse; a ledger whose
    // initiator nonce is behind its channels (as after a close_mutual that SETS the nonce)
    // shows the rule.
    const aliceKey = Buffer.from(alice.publicKey).toString('hex');
    const behind = {
      accountByKey: (accountKey: string) => (accountKey === aliceKey ? { balance: 1000n, nonce: 0n } : chain.accountByKey(accountKey)),
      channelByKey: (channelKey: string) => chain.channelByKey(channelKey),
    };
    await expect(applyTx(createTx(), behind, chain.height + 1)).rejects.toMatchObject({ reason: 'channel_exists' });
  });

  it('deposit and withdraw', async () => {
    const id = await openChannel();
    const deposit = (overrides = {}) => ({ type: 'channel_deposit_tx', channel_id: id, from: alice.publicKey, amount: 10n, ttl: 1000n, fee: 1n, nonce: 2n, ...overrides }) as const;
    expect(await reasonOf(deposit({ from: carol.publicKey, nonce: 1n }))).toBe('account_not_peer');
    expect(await reasonOf(deposit({ amount: 1000n }))).toBe('insufficient_funds');
    expect(await reasonOf(deposit({ channel_id: new Uint8Array(32) }))).toBe('channel_does_not_exist');
    await chain.submit(await signed(deposit(), alice, bob));
    await chain.mine();
    expect(chain.channel(id)?.total_amount).toBe(120n);
    expect(chain.account(alice.publicKey)).toEqual({ balance: 929n - 10n - 1n, nonce: 2n });

    const withdraw = (overrides = {}) => ({ type: 'channel_withdraw_tx', channel_id: id, to: bob.publicKey, amount: 20n, ttl: 1000n, fee: 1n, nonce: 1n, ...overrides }) as const;
    expect(await reasonOf(withdraw({ amount: 121n }))).toBe('not_enough_channel_funds');
    expect(await reasonOf(withdraw({ to: carol.publicKey }))).toBe('account_not_peer');
    await chain.submit(await signed(withdraw(), alice, bob));
    await chain.mine();
    expect(chain.channel(id)?.total_amount).toBe(100n);
    expect(chain.account(bob.publicKey)?.balance).toBe(960n + 20n - 1n);
  });

  it('close_mutual', async () => {
    const id = await openChannel();
    const close = (overrides = {}) => ({ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n, ...overrides }) as const;
    expect(await reasonOf(close({ initiator_amount: 70n }))).toBe('wrong_amounts');
    expect(await reasonOf(close({ initiator_amount: 0n, responder_amount: 0n, fee: 110n }))).toBe('fee_too_big');
    expect(await reasonOf(close({ channel_id: new Uint8Array(32) }))).toBe('channel_does_not_exist');
    const record = await chain.submit(await signed(close(), alice, bob));
    await chain.mine();
    expect(chain.tx(record.hash)?.blockHeight).toBe(2);
    expect(chain.channel(id)).toBeUndefined();
    expect(chain.account(alice.publicKey)).toEqual({ balance: 929n + 69n, nonce: 2n });
    expect(chain.account(bob.publicKey)?.balance).toBe(1000n);
  });

  it('a payload that fails only once its signatures are sorted is refused, and the chain goes on', async () => {
    // two signatures the wrong way round, around an inner tx of no known tag
    const payload = encodeRlp([Uint8Array.of(11), Uint8Array.of(1), [new Uint8Array(64).fill(2), new Uint8Array(64).fill(1)], encodeRlp([Uint8Array.of(99), Uint8Array.of(1)])]);
    const solo = { type: 'channel_close_solo_tx', channel_id: new Uint8Array(32).fill(9), from: carol.publicKey, payload, ttl: 1000n, fee: 1n, nonce: 1n } as const;
    expect(await reasonOf(solo)).toBe('payload_deserialization_failed');
    const record = await chain.submit(await signed(solo, carol));
    await chain.mine();
    expect(chain.rejection(record.hash)?.reason).toBe('payload_deserialization_failed');
    await openChannel(); // blocks are still made, with txs in them
    expect(chain.height).toBe(2);
  });

  it('create with initiator = responder: both amounts come out of one balance, never below zero', async () => {
    // one signature of carol's for each of her two roles
    const twiceSigned = async (tx: UnsignedTx) => {
      const once = await signed(tx, carol);
      return { ...once, signatures: [once.signatures[0], once.signatures[0]] } as SignedTx;
    };
    const self = createTx({ responder: carol.publicKey, initiator: carol.publicKey, initiator_amount: 600n, responder_amount: 600n });
    expect(await reasonOf(self)).toBe('insufficient_funds');
    const refused = await chain.submit(await twiceSigned(self));
    await chain.mine();
    expect(chain.rejection(refused.hash)?.reason).toBe('insufficient_funds');
    expect(chain.account(carol.publicKey)?.balance).toBe(1000n);
    const fits = createTx({ responder: carol.publicKey, initiator: carol.publicKey, initiator_amount: 500n, responder_amount: 499n });
    await chain.submit(await twiceSigned(fits));
    await chain.mine();
    expect(chain.account(carol.publicKey)?.balance).toBe(0n);
  });

  it('close_solo, slash and settle', async () => {
    const id = await openChannel();
    const solo = async (overrides: Record<string, unknown> = {}, payload?: Uint8Array) =>
      ({ type: 'channel_close_solo_tx', channel_id: id, from: bob.publicKey, payload: payload ?? (await statePayload(id, 5n)), ttl: 1000n, fee: 1n, nonce: 1n, ...overrides }) as const;
    expect(await reasonOf(await solo({}, await statePayload(id, 5n, 60n, 49n)))).toBe('payload_amounts_change_channel_funds');
    expect(await reasonOf(await solo({ from: carol.publicKey }))).toBe('account_not_peer');
    expect(await reasonOf(await solo({}, await statePayload(id, 5n, 60n, 50n, [alice])))).toBe('signature_check_failed');
    expect(await reasonOf(await solo({}, await statePayload(new Uint8Array(32).fill(7), 5n)))).toBe('bad_state_channel_id');
    expect(await reasonOf(await solo({ channel_id: new Uint8Array(32).fill(7) }, await statePayload(new Uint8Array(32).fill(7), 5n)))).toBe('channel_does_not_exist');
    expect(await reasonOf(await solo({}, Uint8Array.of(1, 2, 3)))).toBe('payload_deserialization_failed');
    expect(await reasonOf(await solo({}, serializeTx(await signed(createTx(), alice, bob))))).toBe('bad_offchain_state_type');
    const otherPeers = { ...state(id, 5n, 60n, 50n), initiator: carol.publicKey };
    expect(await reasonOf(await solo({}, serializeTx(await signed(otherPeers, carol, bob))))).toBe('wrong_channel_peers');
    const otherResponder = { ...state(id, 5n, 60n, 50n), responder: carol.publicKey };
    expect(await reasonOf(await solo({ from: alice.publicKey, nonce: 2n }, serializeTx(await signed(otherResponder, alice, carol))))).toBe('wrong_channel_peers');
    expect(await reasonOf(await solo({ nonce: 3n }))).toBe('account_nonce_too_low');

    // v0.14 reads a payload's signatures in any order (it checks them on the re-serialized,
    // sorted object): a payload with the two the wrong way round closes all the same.
    const [tag, vsn, signatures, inner] = decodeRlp(await statePayload(id, 5n)) as [Uint8Array, Uint8Array, Uint8Array[], Uint8Array];
    const unsorted = encodeRlp([tag, vsn, [...signatures].reverse(), inner]);
    expect(() => deserializeTx(unsorted, 'signed_tx')).toThrow(expect.objectContaining({ code: 'NON_CANONICAL_ORDER' }));
    await chain.submit(await signed(await solo({}, unsorted), bob));
    await chain.mine(); // height 2: closes_at = 2 + 3
    expect(chain.channel(id)).toMatchObject({ round: 5n, initiator_amount: 60n, closes_at: 5n });
    expect(await reasonOf(await solo({ nonce: 2n }))).toBe('channel_not_active');

    const slash = async (round: bigint, overrides: Record<string, unknown> = {}, payload?: Uint8Array) =>
      ({ type: 'channel_slash_tx', channel_id: id, from: alice.publicKey, payload: payload ?? (await statePayload(id, round, 80n, 30n)), ttl: 1000n, fee: 1n, nonce: 2n, ...overrides }) as const;
    expect(await reasonOf(await slash(5n))).toBe('state_round_too_small');
    expect(await reasonOf(await slash(6n, {}, await statePayload(id, 6n, 80n, 31n)))).toBe('wrong_state_amount');
    expect(await reasonOf(await slash(6n, { from: carol.publicKey, nonce: 1n }))).toBe('account_not_peer');
    const slashOtherResponder = { ...state(id, 6n, 80n, 30n), responder: carol.publicKey };
    expect(await reasonOf(await slash(6n, {}, serializeTx(await signed(slashOtherResponder, alice, carol))))).toBe('wrong_channel_peers');

    const settle = (overrides = {}) => ({ type: 'channel_settle_tx', channel_id: id, from: alice.publicKey, initiator_amount: 80n, responder_amount: 30n, ttl: 1000n, fee: 1n, nonce: 3n, ...overrides }) as const;
    expect(await reasonOf(settle({ nonce: 2n }))).toBe('channel_not_closed');

    await chain.submit(await signed(await slash(6n), alice));
    await chain.mine(); // height 3: the timer restarts, closes_at = 3 + 3
    expect(chain.channel(id)).toMatchObject({ round: 6n, initiator_amount: 80n, closes_at: 6n });
    expect(await reasonOf(settle(), 5)).toBe('channel_not_closed');
    expect(await reasonOf(settle({ initiator_amount: 79n, responder_amount: 31n }), 6)).toBe('wrong_amt');
    expect(await reasonOf(settle({ from: carol.publicKey, nonce: 1n }), 6)).toBe('account_not_peer');

    await chain.submit(await signed(settle(), alice));
    await chain.mine(2); // heights 4, 5: too early
    expect(chain.channel(id)).toBeDefined();
    await chain.mine(); // height 6: closes_at reached
    expect(chain.channel(id)).toBeUndefined();
    expect(chain.account(alice.publicKey)?.balance).toBe(929n - 1n - 1n + 80n);
    expect(chain.account(bob.publicKey)?.balance).toBe(960n - 1n + 30n);

    const closed = await slash(7n, { nonce: 4n });
    expect(await reasonOf(closed)).toBe('channel_does_not_exist');
  });
});

describe('each rule at its boundary (WIRE.md §4)', () => {
  const spend = (nonce: bigint, amount = 5n) =>
    ({ type: 'spend_tx', sender: alice.publicKey, recipient: carol.publicKey, amount, fee: 1n, nonce, payload: new Uint8Array() }) as const;

  it('nonce: exactly the next one; a used one is account_nonce_too_high and a gap account_nonce_too_low, as the reference names them', async () => {
    await chain.submit(await signed(spend(1n), alice));
    await chain.mine();
    await passes(spend(2n));
    expect(await reasonOf(spend(1n, 6n))).toBe('account_nonce_too_high');
    expect(await reasonOf(spend(3n))).toBe('account_nonce_too_low');
    await expect(chain.submit(await signed(spend(1n, 6n), alice))).rejects.toMatchObject({ reason: 'account_nonce_too_high' });
    // a gap is admitted and waits for the missing nonce ("can be ok in the future")
    const ahead = await chain.submit(await signed(spend(3n), alice));
    await chain.mine();
    expect(chain.tx(ahead.hash)?.blockHeight).toBe(-1);
    // aetx_utils:check_account reports the balance before a used nonce
    expect(await reasonOf(spend(1n, 5000n))).toBe('insufficient_funds');
  });

  it('fee: the paying account covers amount + fee exactly, before it earns anything', async () => {
    await passes(spend(1n, 999n));
    expect(await reasonOf(spend(1n, 1000n))).toBe('insufficient_funds');
    await passes(createTx({ initiator_amount: 999n, channel_reserve: 0n }));
    expect(await reasonOf(createTx({ initiator_amount: 999n, fee: 2n, channel_reserve: 0n }))).toBe('insufficient_funds');
    await passes(createTx({ responder_amount: 1000n })); // the responder pays no fee
    const id = await openChannel();
    // bob spends all he has left: a withdrawal to him is refused for its fee, though it would pay him 20
    await chain.submit(await signed({ type: 'spend_tx', sender: bob.publicKey, recipient: carol.publicKey, amount: 959n, fee: 1n, nonce: 1n, payload: new Uint8Array() }, bob));
    await chain.mine();
    expect(chain.account(bob.publicKey)).toEqual({ balance: 0n, nonce: 1n });
    const withdraw = { type: 'channel_withdraw_tx', channel_id: id, to: bob.publicKey, amount: 20n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(withdraw)).toBe('insufficient_funds');
    // nor can he pay for a close_solo, a slash or a settle, though each is his channel's
    const solo = async (from: Signer) => ({ type: 'channel_close_solo_tx', channel_id: id, from: from.publicKey, payload: await statePayload(id, 1n, 70n, 40n), ttl: 1000n, fee: 1n, nonce: 2n }) as const;
    expect(await reasonOf(await solo(bob))).toBe('insufficient_funds');
    await chain.submit(await signed(await solo(alice), alice));
    await chain.mine(); // height 3: closes_at = 3 + 3
    const slash = { type: 'channel_slash_tx', channel_id: id, from: bob.publicKey, payload: await statePayload(id, 2n, 70n, 40n), ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(slash)).toBe('insufficient_funds');
    const settle = { type: 'channel_settle_tx', channel_id: id, from: bob.publicKey, initiator_amount: 70n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(settle, 6)).toBe('insufficient_funds');
    await passes({ ...settle, from: alice.publicKey, nonce: 3n }, 6);
  });

  it('ttl: the last height that may include the tx', async () => {
    await passes(createTx({ ttl: 1n }), 1);
    expect(await reasonOf(createTx({ ttl: 1n }), 2)).toBe('ttl_expired');
  });

  it('create: the channel id is blake2b-256(initiator ‖ nonce as 32 bytes ‖ responder); a reserve equal to an amount is enough', async () => {
    await passes(createTx({ channel_reserve: 40n }));
    expect(await reasonOf(createTx({ channel_reserve: 41n }))).toBe('insufficient_responder_amount');
    await passes(createTx({ initiator_amount: 40n, responder_amount: 70n, channel_reserve: 40n }));
    expect(await reasonOf(createTx({ initiator_amount: 40n, responder_amount: 70n, channel_reserve: 41n }))).toBe('insufficient_initiator_amount');
    await openChannel();
    const idInput = new Uint8Array(96);
    idInput.set(alice.publicKey, 0);
    idInput[63] = 1; // create nonce 1, big-endian in 32 bytes
    idInput.set(bob.publicKey, 64);
    expect(chain.channel(blake2b256(idInput))).toMatchObject({ initiator_amount: 70n, total_amount: 110n, round: 0n, closes_at: 0n });
    // the same peers again: the next nonce makes another channel
    await chain.submit(await signed(createTx({ nonce: 2n }), alice, bob));
    await chain.mine();
    idInput[63] = 2;
    expect(chain.channel(blake2b256(idInput))).toMatchObject({ total_amount: 110n });
  });

  it('deposit, withdraw and close_mutual: on an active channel only; a withdrawal takes up to the whole total', async () => {
    const id = await openChannel();
    const withdraw = (amount: bigint) => ({ type: 'channel_withdraw_tx', channel_id: id, to: alice.publicKey, amount, ttl: 1000n, fee: 1n, nonce: 2n }) as const;
    await passes(withdraw(110n));
    expect(await reasonOf(withdraw(111n))).toBe('not_enough_channel_funds');
    const deposit = { type: 'channel_deposit_tx', channel_id: id, from: alice.publicKey, amount: 930n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(deposit)).toBe('insufficient_funds');
    await passes({ ...deposit, amount: 928n });
    await chain.submit(await signed({ type: 'channel_close_solo_tx', channel_id: id, from: bob.publicKey, payload: await statePayload(id, 1n), ttl: 1000n, fee: 1n, nonce: 1n }, bob));
    await chain.mine();
    expect(await reasonOf({ ...deposit, amount: 1n })).toBe('channel_not_active');
    expect(await reasonOf(withdraw(1n))).toBe('channel_not_active');
    const close = { type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(close)).toBe('channel_not_active');
  });

  it('close_mutual: amounts + fee = the total exactly, paid out of the channel; the initiator’s nonce, not its balance', async () => {
    const id = await openChannel();
    await chain.submit(await signed(spend(2n, 928n), alice)); // alice keeps nothing on chain
    await chain.mine();
    expect(chain.account(alice.publicKey)).toEqual({ balance: 0n, nonce: 2n });
    const close = (overrides = {}) => ({ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 3n, ...overrides }) as const;
    expect(await reasonOf(close({ initiator_amount: 68n }))).toBe('wrong_amounts');
    expect(await reasonOf(close({ fee: 2n }))).toBe('wrong_amounts');
    expect(await reasonOf(close({ nonce: chain.nextNonce(bob.publicKey) }))).toBe('account_nonce_too_high');
    // the amounts may be all fee, down to amounts that just cover it
    await passes(close({ initiator_amount: 55n, responder_amount: 0n, fee: 55n }));
    expect(await reasonOf(close({ initiator_amount: 54n, responder_amount: 0n, fee: 56n }))).toBe('fee_too_big');
    // admission and the next nonce count it as the initiator's tx
    await expect(chain.submit(await signed(close({ nonce: 2n }), alice, bob))).rejects.toMatchObject({ reason: 'account_nonce_too_high' });
    await chain.submit(await signed(close(), alice, bob));
    expect(chain.nextNonce(alice.publicKey)).toBe(4n);
    expect(chain.nextNonce(bob.publicKey)).toBe(1n);
    await chain.mine();
    expect(chain.channel(id)).toBeUndefined();
    expect(chain.account(alice.publicKey)).toEqual({ balance: 69n, nonce: 3n });
    expect(chain.account(bob.publicKey)).toEqual({ balance: 1000n, nonce: 0n });
  });

  it('close_solo, slash and settle around closes_at = height + lock_period', async () => {
    const id = await openChannel();
    const solo = { type: 'channel_close_solo_tx', channel_id: id, from: bob.publicKey, payload: await statePayload(id, 5n), ttl: 1000n, fee: 1n, nonce: 1n } as const;
    const settleActive = { type: 'channel_settle_tx', channel_id: id, from: alice.publicKey, initiator_amount: 70n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(settleActive)).toBe('channel_not_closed'); // closes_at = 0: active, never settled
    // close_solo checks no round: even a round-0 state closes (a slash then needs a round above it)
    const roundZero = serializeTx(await signed({ ...state(id, 0n, 60n, 50n), previous_round: 0n }, alice, bob));
    await passes({ ...solo, payload: roundZero });
    await chain.submit(await signed(solo, bob));
    await chain.mine(); // height 2
    expect(chain.channel(id)?.closes_at).toBe(5n);
    const slash = async (round: bigint) => ({ type: 'channel_slash_tx', channel_id: id, from: bob.publicKey, payload: await statePayload(id, round, 80n, 30n), ttl: 1000n, fee: 1n, nonce: 2n }) as const;
    // the closer itself may slash with a newer state; an older or equal round is refused
    await passes(await slash(6n), 4);
    expect(await reasonOf(await slash(4n), 4)).toBe('state_round_too_small');
    expect(await reasonOf(await slash(6n), 5)).toBe('channel_not_closing');
    const settle = { type: 'channel_settle_tx', channel_id: id, from: alice.publicKey, initiator_amount: 60n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n } as const;
    expect(await reasonOf(settle, 4)).toBe('channel_not_closed');
    await passes(settle, 5);
    expect(await reasonOf({ ...settle, initiator_amount: 50n, responder_amount: 60n }, 5)).toBe('wrong_amt');
    expect(await reasonOf({ ...settle, initiator_amount: 60n, responder_amount: 51n }, 5)).toBe('insufficient_channel_funds');
    expect(await reasonOf({ ...settle, responder_amount: 49n }, 5)).toBe('wrong_amt'); // short of the total: the rest would vanish
  });

  it('a tx or state signed for a legacy 65-byte key is refused as unsigned (signature_check_failed), as v0.14 verifies ed25519 only', async () => {
    const legacySpend = { ...spend(1n), sender: legacyKey() };
    await expect(chain.submit(await signed(legacySpend, alice))).rejects.toMatchObject({ reason: 'signature_check_failed' });
    const id = await openChannel();
    const legacyState = { ...state(id, 5n, 60n, 50n), initiator: legacyKey() };
    const payload = serializeTx(await signed(legacyState, alice, bob));
    const solo = { type: 'channel_close_solo_tx', channel_id: id, from: bob.publicKey, payload, ttl: 1000n, fee: 1n, nonce: 1n } as const;
    expect(await reasonOf(solo)).toBe('signature_check_failed');
    const record = await chain.submit(await signed(solo, bob));
    await chain.mine();
    expect(chain.rejection(record.hash)?.reason).toBe('signature_check_failed');
  });
});

/**
 * How a reason shows through the public API: `submit` refuses the tx (admission), or the next
 * block drops it and `rejection` names the reason (inclusion). `tx` readies the chain (txs
 * mined or waiting beside it) and gives the tx to post.
 */
type Provocation = readonly [how: string, at: 'submit' | 'block', tx: () => Promise<SignedTx>];

describe('every ChainErrorReason, provoked through the public API (submit, mine, rejection)', () => {
  const dave = () => createSigner(new Uint8Array(32).fill(4)); // no account on chain
  const spend = (sender: Signer, overrides: Record<string, unknown> = {}) =>
    signed({ type: 'spend_tx', sender: sender.publicKey, recipient: carol.publicKey, amount: 5n, fee: 1n, nonce: 1n, payload: new Uint8Array(), ...overrides } as UnsignedTx, sender);
  const unknownId = new Uint8Array(32).fill(7);
  // On the channel openChannel makes: alice 70, bob 40, alice's nonce 1, lock_period 3.
  const deposit = (id: Uint8Array, overrides: Record<string, unknown> = {}) =>
    signed({ type: 'channel_deposit_tx', channel_id: id, from: alice.publicKey, amount: 10n, ttl: 1000n, fee: 1n, nonce: 2n, ...overrides } as UnsignedTx, alice, bob);
  const withdraw = (id: Uint8Array, overrides: Record<string, unknown> = {}) =>
    signed({ type: 'channel_withdraw_tx', channel_id: id, to: bob.publicKey, amount: 10n, ttl: 1000n, fee: 1n, nonce: 1n, ...overrides } as UnsignedTx, alice, bob);
  const closeMutual = (id: Uint8Array, overrides: Record<string, unknown> = {}) =>
    signed({ type: 'channel_close_mutual_tx', channel_id: id, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n, ...overrides } as UnsignedTx, alice, bob);
  /** A close_solo (or slash) by `from`, of `payload` (bob's round-5 state, 60/50, by default). */
  const dispute = async (type: 'channel_close_solo_tx' | 'channel_slash_tx', id: Uint8Array, from: Signer, payload?: Uint8Array, nonce = 1n) =>
    signed({ type, channel_id: id, from: from.publicKey, payload: payload ?? (await statePayload(id, 5n)), ttl: 1000n, fee: 1n, nonce }, from);
  const settle = (id: Uint8Array, from: Signer, overrides: Record<string, unknown> = {}) =>
    signed({ type: 'channel_settle_tx', channel_id: id, from: from.publicKey, initiator_amount: 60n, responder_amount: 50n, ttl: 1000n, fee: 1n, nonce: 2n, ...overrides } as UnsignedTx, from);
  /** A channel bob solo-closed with his round-5 state (60/50) at height 2: closes_at 5. */
  async function soloClosed(): Promise<Uint8Array> {
    const id = await openChannel();
    await chain.submit(await dispute('channel_close_solo_tx', id, bob));
    await chain.mine();
    expect(chain.channel(id)).toMatchObject({ round: 5n, closes_at: 5n });
    return id;
  }
  /** As `soloClosed`, mined up to height 4: the next block may settle it. */
  async function settleable(): Promise<Uint8Array> {
    const id = await soloClosed();
    await chain.mine(2);
    return id;
  }

  // The two reasons that make a tx wait, and channel_exists, which no chain reaches: below.
  const provocations: Record<Exclude<ChainErrorReason, 'account_nonce_too_low' | 'channel_not_closed' | 'channel_exists'>, readonly Provocation[]> = {
    not_an_on_chain_tx: [['a bare off-chain state', 'submit', async () => signed(state(await openChannel(), 1n, 70n, 40n), alice, bob)]],
    illegal_template_or_values: [
      [
        'the legacy 7-field close_mutual',
        'submit',
        async () => signed({ type: 'channel_close_mutual_tx', channel_id: await openChannel(), from: alice.publicKey, initiator_amount: 69n, responder_amount: 40n, ttl: 1000n, fee: 1n, nonce: 2n }, alice, bob),
      ],
    ],
    too_low_fee: [['a spend of fee 0', 'submit', () => spend(alice, { fee: 0n })]],
    illegal_nonce: [['a spend of nonce 0', 'submit', () => spend(alice, { nonce: 0n })]],
    account_nonce_too_high: [
      [
        'a spend of a nonce mined already',
        'submit',
        async () => {
          await chain.submit(await spend(alice));
          await chain.mine();
          return spend(alice, { amount: 6n });
        },
      ],
      [
        'the second of two spends of one nonce, both admitted',
        'block',
        async () => {
          await chain.submit(await spend(alice));
          return spend(alice, { amount: 6n });
        },
      ],
    ],
    signature_check_failed: [
      ['a create without the responder’s signature', 'submit', () => signed(createTx(), alice)],
      ['a close_solo whose state only its initiator signed', 'block', async () => {
        const id = await openChannel();
        return dispute('channel_close_solo_tx', id, bob, await statePayload(id, 5n, 60n, 50n, [alice]));
      }],
    ],
    channel_does_not_exist: [
      ['a deposit to no channel (its signers are unknown)', 'submit', () => deposit(unknownId)],
      ['a close_mutual of no channel (its paying account is unknown)', 'submit', () => closeMutual(unknownId)],
      ['a settle of no channel', 'block', () => settle(unknownId, alice, { nonce: 1n })],
      ['a deposit behind the close_mutual of its channel in one block', 'block', async () => {
        const id = await openChannel();
        await chain.submit(await closeMutual(id));
        return deposit(id, { nonce: 3n });
      }],
    ],
    ttl_expired: [['a create of ttl 0 at height 1', 'block', () => signed(createTx({ ttl: 0n }), alice, bob)]],
    account_not_found: [
      ['a spend from a key with no account', 'block', async () => spend(await dave())],
      ['a create whose responder has no account', 'block', async () => {
        const responder = await dave();
        return signed(createTx({ responder: responder.publicKey }), alice, responder);
      }],
    ],
    insufficient_funds: [
      ['a spend of the whole balance, plus its fee', 'block', () => spend(alice, { amount: 1000n })],
      ['a create whose responder cannot cover responder_amount', 'block', () => signed(createTx({ responder_amount: 1001n }), alice, bob)],
    ],
    insufficient_initiator_amount: [['a create of a reserve above initiator_amount', 'block', () => signed(createTx({ channel_reserve: 71n }), alice, bob)]],
    insufficient_responder_amount: [['a create of a reserve above responder_amount', 'block', () => signed(createTx({ channel_reserve: 41n }), alice, bob)]],
    account_not_peer: [
      ['a deposit from an account not of the channel', 'block', async () => deposit(await openChannel(), { from: carol.publicKey, nonce: 1n })],
      ['a close_solo from an account not of its state', 'block', async () => dispute('channel_close_solo_tx', await openChannel(), carol)],
      ['a settle from an account not of the channel', 'block', async () => settle(await settleable(), carol, { nonce: 1n })],
    ],
    channel_not_active: [
      ['a deposit to a channel being solo-closed', 'block', async () => deposit(await soloClosed())],
      ['a close_solo of a channel being solo-closed', 'block', async () => dispute('channel_close_solo_tx', await soloClosed(), alice, undefined, 2n)],
    ],
    not_enough_channel_funds: [['a withdrawal of more than the channel holds', 'block', async () => withdraw(await openChannel(), { amount: 111n })]],
    fee_too_big: [['a close_mutual whose amounts cannot cover its fee', 'block', async () => closeMutual(await openChannel(), { initiator_amount: 0n, responder_amount: 0n, fee: 110n })]],
    wrong_amounts: [['a close_mutual whose amounts + fee exceed the total', 'block', async () => closeMutual(await openChannel(), { initiator_amount: 70n })]],
    payload_deserialization_failed: [['a close_solo whose payload is no tx', 'block', async () => dispute('channel_close_solo_tx', await openChannel(), bob, Uint8Array.of(1, 2, 3))]],
    bad_offchain_state_type: [
      ['a close_solo whose payload is a signed create', 'block', async () => dispute('channel_close_solo_tx', await openChannel(), bob, serializeTx(await signed(createTx(), alice, bob)))],
    ],
    bad_state_channel_id: [['a close_solo with a state of another channel', 'block', async () => dispute('channel_close_solo_tx', await openChannel(), bob, await statePayload(unknownId, 5n))]],
    wrong_channel_peers: [
      ['a close_solo with a state of other peers', 'block', async () => {
        const id = await openChannel();
        return dispute('channel_close_solo_tx', id, bob, serializeTx(await signed({ ...state(id, 5n, 60n, 50n), initiator: carol.publicKey }, carol, bob)));
      }],
    ],
    payload_amounts_change_channel_funds: [
      ['a close_solo with a state short of the total', 'block', async () => {
        const id = await openChannel();
        return dispute('channel_close_solo_tx', id, bob, await statePayload(id, 5n, 60n, 49n));
      }],
    ],
    channel_not_closing: [['a slash of an active channel', 'block', async () => dispute('channel_slash_tx', await openChannel(), bob)]],
    wrong_state_amount: [
      ['a slash with a newer state short of the total', 'block', async () => {
        const id = await soloClosed();
        return dispute('channel_slash_tx', id, alice, await statePayload(id, 6n, 60n, 49n), 2n);
      }],
    ],
    state_round_too_small: [['a slash with the round the channel closed with', 'block', async () => dispute('channel_slash_tx', await soloClosed(), alice, undefined, 2n)]],
    insufficient_channel_funds: [['a settle of more than the total', 'block', async () => settle(await settleable(), alice, { initiator_amount: 61n })]],
    wrong_amt: [['a settle of other amounts than the stored ones', 'block', async () => settle(await settleable(), alice, { initiator_amount: 59n })]],
  };
  const cases = Object.entries(provocations).flatMap(([reason, list]) => list.map(([how, at, tx]) => [reason, how, at, tx] as const));

  it.each(cases)('%s: %s', async (reason, _how, at, provoke) => {
    const tx = await provoke();
    if (at === 'submit') {
      await expect(chain.submit(tx)).rejects.toMatchObject({ name: 'ChainError', reason });
      expect(chain.tx(txHash(tx)), 'not admitted').toBeUndefined();
      return;
    }
    const record = await chain.submit(tx);
    const [block] = await chain.mine();
    expect(block?.txHashes).not.toContain(record.hash);
    expect(chain.tx(record.hash), 'dropped').toBeUndefined();
    expect(chain.rejection(record.hash)).toEqual({ hash: record.hash, reason, height: block?.height });
  });

  it('account_nonce_too_low: never reported; a tx whose nonce leaves a gap waits for the txs that fill it', async () => {
    const ahead = await chain.submit(await spend(alice, { nonce: 3n }));
    await chain.mine(3);
    expect(chain.tx(ahead.hash)?.blockHeight).toBe(-1);
    expect(chain.rejection(ahead.hash)).toBeUndefined();
    expect(await reasonOf(ahead.signedTx.tx)).toBe('account_nonce_too_low'); // the rule that holds it
    await chain.submit(await spend(alice, { nonce: 1n }));
    await chain.submit(await spend(alice, { nonce: 2n }));
    const [block] = await chain.mine();
    expect(block?.txHashes).toContain(ahead.hash);
  });

  it('channel_not_closed: never reported; a settle of an active channel, or before closes_at, waits until the channel can be settled', async () => {
    const id = await openChannel();
    const early = await chain.submit(await settle(id, alice, { initiator_amount: 60n, responder_amount: 50n }));
    expect(await reasonOf(early.signedTx.tx)).toBe('channel_not_closed'); // active: closes_at 0
    await chain.submit(await dispute('channel_close_solo_tx', id, bob));
    await chain.mine(); // height 2: the close_solo, closes_at 5; the settle waits
    expect(chain.channel(id)?.closes_at).toBe(5n);
    await chain.mine(2); // heights 3, 4: still before closes_at
    expect(chain.tx(early.hash)?.blockHeight).toBe(-1);
    expect(chain.rejection(early.hash)).toBeUndefined();
    const [block] = await chain.mine(); // height 5
    expect(block?.txHashes).toEqual([early.hash]);
    expect(chain.channel(id)).toBeUndefined();
  });

  it('channel_exists: no chain reaches it, as the id hashes a nonce of the initiator, which no tx uses twice', async () => {
    await openChannel();
    // the create of the channel that exists, posted again (another ttl, so another tx): its nonce is spent
    await expect(chain.submit(await signed(createTx({ ttl: 999n }), alice, bob))).rejects.toMatchObject({ name: 'ChainError', reason: 'account_nonce_too_high' });
  });
});

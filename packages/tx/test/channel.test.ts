import * as codec from '@aesc/tx';
import { applyTransfers, closeMutualAmounts } from '@aesc/tx/channel';
import { describe, expect, it } from 'vitest';

const initiator = new Uint8Array(32).fill(1);
const responder = new Uint8Array(32).fill(2);
const balances = { initiator, responder, initiator_amount: 7n, responder_amount: 3n };

describe('applyTransfers', () => {
  it('moves tokens both ways in order, as the seed’s example (7/3 → 5/5 by [I, R, 2])', () => {
    expect(applyTransfers(balances, [{ from: initiator, to: responder, amount: 2n }], 2n)).toEqual({ initiator_amount: 5n, responder_amount: 5n });
    expect(
      applyTransfers(balances, [
        { from: responder, to: initiator, amount: 1n },
        { from: initiator, to: responder, amount: 6n },
      ], 2n),
    ).toEqual({ initiator_amount: 2n, responder_amount: 8n });
    expect(applyTransfers(balances, [{ from: initiator, to: responder, amount: 0n }], 2n)).toEqual({ initiator_amount: 7n, responder_amount: 3n });
  });

  it('names the first broken rule and its index', () => {
    expect(applyTransfers(balances, [{ from: initiator, to: responder, amount: 6n }], 2n)).toEqual({ problem: 'insufficient_balance', index: 0 });
    expect(applyTransfers(balances, [{ from: responder, to: initiator, amount: 1n }, { from: responder, to: initiator, amount: 1n }], 2n)).toEqual({ problem: 'insufficient_balance', index: 1 });
    expect(applyTransfers(balances, [{ from: initiator, to: initiator, amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    expect(applyTransfers(balances, [{ from: responder, to: responder, amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    expect(applyTransfers(balances, [{ from: responder, to: new Uint8Array(32), amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    // a key is matched whole: a prefix of a party's key, or no bytes at all, is no party
    expect(applyTransfers(balances, [{ from: initiator, to: responder.subarray(0, 31), amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    expect(applyTransfers(balances, [{ from: new Uint8Array(0), to: initiator, amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    expect(applyTransfers(balances, [{ from: initiator, to: new Uint8Array(32), amount: 1n }], 2n)).toEqual({ problem: 'invalid_pubkeys', index: 0 });
    expect(applyTransfers(balances, [{ from: initiator, to: responder, amount: -1n }], 2n)).toEqual({ problem: 'negative_amount', index: 0 });
  });
});

describe('closeMutualAmounts (pay_close_mutual_fee)', () => {
  it.each([
    // I, R, fee → I', R'
    [7n, 3n, 1n, 6n, 3n], // the seed's tx$2C9eti: 7/3 with fee 1 gives 6/3
    [7n, 3n, 2n, 6n, 2n],
    [7n, 3n, 3n, 5n, 2n],
    [0n, 3n, 1n, 0n, 2n], // the initiator cannot pay its half: the responder pays
    [1n, 1n, 2n, 0n, 0n], // the fee takes everything
    [4n, 1n, 3n, 2n, 0n], // ceil(3/2) = 2 from the initiator, floor(3/2) = 1 from the responder
    [2n, 5n, 3n, 0n, 4n], // the initiator has exactly its ceil(3/2): it pays that
    [1n, 5n, 3n, 0n, 3n], // the initiator has only floor(3/2): the responder pays the ceil
    [5n, 0n, 3n, 2n, 0n], // neither split fits: the richer side pays it all
    [0n, 5n, 3n, 0n, 2n],
  ])('%i/%i with fee %i → %i/%i', (initiatorAmount, responderAmount, fee, expectedInitiator, expectedResponder) => {
    const result = closeMutualAmounts(initiatorAmount, responderAmount, fee);
    expect(result).toEqual({ initiator_amount: expectedInitiator, responder_amount: expectedResponder });
    expect(result.initiator_amount + result.responder_amount + fee).toBe(initiatorAmount + responderAmount);
  });

  it('refuses a fee above the channel’s total', () => {
    expect(() => closeMutualAmounts(1n, 1n, 3n)).toThrow(/less than the fee/);
  });
});

describe('the subpath @aesc/tx/channel', () => {
  it('holds the channel rules, which the codec’s entry @aesc/tx leaves out (a codec user bundles none of them)', () => {
    expect(Object.keys(codec)).not.toContain('applyTransfers');
    expect(Object.keys(codec)).not.toContain('closeMutualAmounts');
  });
});

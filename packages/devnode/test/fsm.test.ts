import { createSigner, type Signer, signTx, verifySignature, verifySignedTx } from '@aesc/signer';
import { decodeTx, encodeTx, type SignedTx } from '@aesc/tx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain.js';
import { type ChannelOptions, ChannelFsm, type ClientSink, DEFAULT_TIMEOUTS, type SignTag } from '../src/fsm.js';
import { linkPeers } from '../src/peer.js';

/** Records what the machine tells a client, and answers sign requests like an honest client. */
class RecordingClient implements ClientSink {
  readonly frames: { kind: string; value: unknown }[] = [];
  fsm!: ChannelFsm;
  autoSign = true;
  waiters: { test: (frame: { kind: string; value: unknown }) => boolean; resolve: () => void }[] = [];

  constructor(readonly signer: Signer) {}

  #push(kind: string, value: unknown): void {
    const frame = { kind, value };
    this.frames.push(frame);
    for (const waiter of [...this.waiters]) {
      if (waiter.test(frame)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  info(event: string) {
    this.#push('info', event);
  }
  sign(tag: SignTag, tx: `tx$${string}`) {
    this.#push('sign', { tag, tx });
    if (this.autoSign) void this.reply(tag, tx);
  }
  wireTag(tag: SignTag) {
    return tag;
  }
  async reply(tag: SignTag, tx: `tx$${string}`) {
    const signed = await signTx(decodeTx(tx, 'unsigned'), this.signer);
    await this.fsm.handleClient({ kind: 'sign_reply', tag, tx: encodeTx(signed), request: { action: tag } });
  }
  onChainTx(tx: string) {
    this.#push('on_chain_tx', tx);
  }
  state(tx: string) {
    this.#push('state', tx);
  }
  conflict(channelId: string, round: bigint) {
    this.#push('conflict', { channelId, round });
  }
  message(message: unknown) {
    this.#push('message', message);
  }
  requestError(reason: string) {
    this.#push('error', reason);
  }
  fatalError(message: string) {
    this.#push('fatal', message);
  }
  died() {
    this.#push('died', true);
  }

  until(test: (frame: { kind: string; value: unknown }) => boolean): Promise<void> {
    if (this.frames.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  events(): string[] {
    return this.frames.map((frame) => (frame.kind === 'info' ? `info:${frame.value}` : frame.kind === 'sign' ? `sign:${(frame.value as { tag: string }).tag}` : frame.kind));
  }
}

let alice: Signer;
let bob: Signer;
let chain: Chain;
let fsms: ChannelFsm[];

function options(role: 'initiator' | 'responder', overrides: Partial<ChannelOptions> = {}): ChannelOptions {
  return {
    role,
    initiator: alice.publicKey,
    responder: bob.publicKey,
    lock_period: 10n,
    push_amount: 10n,
    initiator_amount: 7n,
    responder_amount: 4n,
    channel_reserve: 2n,
    ttl: 1000n,
    minimum_depth: 4n,
    timeouts: { ...DEFAULT_TIMEOUTS },
    ...overrides,
  };
}

/**
 * The real signature check, made slow (as a check off the event loop's turn would be) once
 * `delayMs` is set; `started` resolves when the first slow check begins.
 */
function slowedVerify() {
  let begin!: () => void;
  const check = {
    delayMs: 0,
    started: new Promise<void>((resolve) => {
      begin = resolve;
    }),
    verify: async (signature: Uint8Array, message: Uint8Array, key: Uint8Array): Promise<boolean> => {
      if (check.delayMs > 0) begin();
      await new Promise((resolve) => setTimeout(resolve, check.delayMs));
      return verifySignature(signature, message, key);
    },
  };
  return check;
}

async function openChannel(initiatorOverrides: Partial<ChannelOptions> = {}) {
  const initiator = new RecordingClient(alice);
  const responder = new RecordingClient(bob);
  initiator.fsm = new ChannelFsm(options('initiator', initiatorOverrides), chain, initiator);
  responder.fsm = new ChannelFsm(options('responder'), chain, responder);
  fsms.push(initiator.fsm, responder.fsm);
  const link = linkPeers(
    (message) => initiator.fsm.handlePeer(message),
    (message) => responder.fsm.handlePeer(message),
  );
  responder.fsm.connect(link.responder);
  initiator.fsm.connect(link.initiator);
  await initiator.until((frame) => frame.kind === 'on_chain_tx');
  await new Promise((resolve) => setTimeout(resolve, 20)); // the create tx reaches the mempool
  await chain.mine(5);
  await Promise.all([initiator.until((frame) => frame.kind === 'state'), responder.until((frame) => frame.kind === 'state')]);
  return { initiator, responder };
}

beforeEach(async () => {
  [alice, bob] = (await Promise.all([21, 22].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer];
  chain = new Chain([
    { pubkey: alice.publicKey, balance: 50n },
    { pubkey: bob.publicKey, balance: 50n },
  ]);
  fsms = [];
});

afterEach(() => {
  for (const fsm of fsms) fsm.stop();
});

describe('ChannelFsm over an in-process peer link', () => {
  it('opens: the sequence of BEHAVIOUR.md §2.4 on each side, one co-signed round 1', async () => {
    const { initiator, responder } = await openChannel();
    expect(initiator.events()).toEqual([
      'info:channel_accept',
      'sign:initiator_sign',
      'info:funding_signed',
      'on_chain_tx',
      'info:own_funding_locked',
      'info:funding_locked',
      'sign:update',
      'info:open',
      'state',
    ]);
    expect(responder.events()).toEqual([
      'info:channel_open',
      'info:funding_created',
      'sign:responder_sign',
      'on_chain_tx',
      'info:own_funding_locked',
      'info:funding_locked',
      'info:update',
      'sign:update_ack',
      'info:open',
      'state',
    ]);
    const [initiatorState] = initiator.frames.filter((frame) => frame.kind === 'state');
    const [responderState] = responder.frames.filter((frame) => frame.kind === 'state');
    expect(initiatorState?.value).toBe(responderState?.value);
    const state = decodeTx(initiatorState?.value as string, 'signed_tx') as SignedTx;
    expect(state.tx).toMatchObject({ type: 'channel_offchain_tx', previous_round: 0n, round: 1n, initiator_amount: 7n, responder_amount: 4n });
    expect((await verifySignedTx(state)).valid).toBe(true);
    expect(chain.account(alice.publicKey)?.balance).toBe(50n - 7n - 1n);
  });

  it('transfers both ways, refuses impossible transfers with the reference’s reasons', async () => {
    const { initiator, responder } = await openChannel();
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 3n, request: {} });
    await responder.until((frame) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === 2n);
    await responder.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} }); // a request for tokens
    await initiator.until((frame) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === 3n);
    const last = decodeTx(initiator.frames.filter((frame) => frame.kind === 'state').at(-1)?.value as string, 'signed_tx').tx;
    expect(last).toMatchObject({ round: 3n, previous_round: 2n, initiator_amount: 3n, responder_amount: 8n });

    for (const [amount, from, to, reason] of [
      [2n, alice.address, bob.address, 'insufficient_balance'],
      [-1n, alice.address, bob.address, 'negative_amount'],
      [1n, alice.address, alice.address, 'invalid_pubkeys'],
      [1n, 'ak$nope', bob.address, 'broken_encoding'],
    ] as const) {
      await initiator.fsm.handleClient({ kind: 'transfer', from, to, amount, request: {} });
      expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: reason });
    }
  });

  it('refuses a sign reply that is not the requested body or not signed by its party, and keeps the request open', async () => {
    const { initiator } = await openChannel();
    initiator.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    const request = initiator.frames.at(-1)?.value as { tag: SignTag; tx: `tx$${string}` };
    const tx = decodeTx(request.tx, 'channel_offchain_tx');
    const reply = (signed: SignedTx | typeof tx) => initiator.fsm.handleClient({ kind: 'sign_reply', tag: 'update', tx: encodeTx(signed), request: {} });
    await reply(tx);
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'not_a_signed_tx' });
    await reply(await signTx({ ...tx, initiator_amount: tx.initiator_amount + 1n }, alice));
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'tx_mismatch' });
    await reply(await signTx(tx, bob));
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'bad_signature' });
    await initiator.fsm.handleClient({ kind: 'sign_reply', tag: 'update_ack', tx: encodeTx(await signTx(tx, alice)), request: {} });
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'expected_update_reply' });
    await reply(await signTx(tx, alice));
    await initiator.until((frame) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === 2n);
  });

  it('reports exactly one conflict to each side when both propose at once', async () => {
    const { initiator, responder } = await openChannel();
    initiator.autoSign = false;
    responder.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await responder.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 2n, request: {} });
    const own = (client: RecordingClient) => client.frames.filter((frame) => frame.kind === 'sign').at(-1)?.value as { tag: SignTag; tx: `tx$${string}` };
    await Promise.all([initiator.reply('update', own(initiator).tx), responder.reply('update', own(responder).tx)]);
    await Promise.all([initiator.until((frame) => frame.kind === 'conflict'), responder.until((frame) => frame.kind === 'conflict')]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const client of [initiator, responder]) {
      const conflicts = client.frames.filter((frame) => frame.kind === 'conflict');
      expect(conflicts).toHaveLength(1);
      expect((conflicts[0]?.value as { round: bigint }).round).toBe(1n);
    }
    // Both are back at round 1 and can go on.
    initiator.autoSign = true;
    responder.autoSign = true;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await responder.until((frame) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === 2n);
  });

  it('handles peer messages one at a time: an update right after an update_ack waits for the ack’s signature check', async () => {
    const check = slowedVerify();
    const { initiator, responder } = await openChannel({ verify: check.verify });
    check.delayMs = 200;
    const atRound = (round: bigint) => (frame: { kind: string; value: unknown }) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === round;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    // The responder is back in `open` with round 2 while the initiator still checks its ack.
    await responder.until(atRound(2n));
    await responder.fsm.handleClient({ kind: 'transfer', from: bob.address, to: alice.address, amount: 1n, request: {} });
    await Promise.race([
      Promise.all([initiator.until(atRound(3n)), responder.until(atRound(3n))]),
      Promise.all([initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]),
    ]);
    expect([...initiator.frames, ...responder.frames].filter((frame) => ['conflict', 'fatal', 'died'].includes(frame.kind))).toEqual([]);
  });

  it('handles a client request after the peer message being checked: a transfer during a shutdown’s check is refused, not lost', async () => {
    const check = slowedVerify();
    const { initiator, responder } = await openChannel({ verify: check.verify });
    const opened = initiator.frames.length;
    check.delayMs = 200;
    await responder.fsm.handleClient({ kind: 'shutdown', request: {} });
    await check.started; // the initiator checks the responder's signature of the close
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await Promise.all([initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]);
    expect(initiator.events().slice(opened)).toEqual(['sign:shutdown_sign_ack', 'error', 'on_chain_tx', 'info:close_mutual', 'info:died', 'died']);
    expect(initiator.frames.find((frame) => frame.kind === 'error')?.value).toBe('unknown_request');
  });

  it('delivers generic messages and refuses a recipient other than the peer', async () => {
    const { initiator, responder } = await openChannel();
    await initiator.fsm.handleClient({ kind: 'message', to: bob.address, info: 'hello', request: {} });
    await responder.until((frame) => frame.kind === 'message');
    expect(responder.frames.at(-1)?.value).toMatchObject({ from: alice.address, to: bob.address, info: 'hello' });
    await initiator.fsm.handleClient({ kind: 'message', to: alice.address, info: 'me', request: {} });
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'unknown_recipient' });
  });

  it.each(['initiator', 'responder'] as const)('closes mutually when the %s starts, with the fee split, and pays out on chain', async (starter) => {
    const { initiator, responder } = await openChannel();
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 2n, request: {} });
    const atRound2 = (frame: { kind: string; value: unknown }) => frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === 2n;
    await Promise.all([initiator.until(atRound2), responder.until(atRound2)]);
    const [starterClient, other] = starter === 'initiator' ? [initiator, responder] : [responder, initiator];
    await starterClient.fsm.handleClient({ kind: 'shutdown', request: {} });
    await Promise.all([starterClient.until((frame) => frame.kind === 'died'), other.until((frame) => frame.kind === 'died')]);
    expect(starterClient.events().slice(-5)).toEqual(['sign:shutdown_sign', 'on_chain_tx', 'info:close_mutual', 'info:died', 'died']);
    expect(other.events().slice(-5)).toEqual(['sign:shutdown_sign_ack', 'on_chain_tx', 'info:close_mutual', 'info:died', 'died']);
    const closeTx = decodeTx(starterClient.frames.filter((frame) => frame.kind === 'on_chain_tx').at(-1)?.value as string, 'signed_tx');
    expect(closeTx.tx).toMatchObject({ type: 'channel_close_mutual_tx', initiator_amount: 4n, responder_amount: 6n, fee: 1n, ttl: 1000n });
    await chain.mine();
    expect(chain.account(alice.publicKey)?.balance).toBe(42n + 4n);
    expect(chain.account(bob.publicKey)?.balance).toBe(46n + 6n);
  });

  it('dies when its timer runs out (timeout_accept with no responder)', async () => {
    const client = new RecordingClient(alice);
    client.fsm = new ChannelFsm(options('initiator', { timeouts: { ...DEFAULT_TIMEOUTS, accept: 50 } }), chain, client);
    fsms.push(client.fsm);
    await client.until((frame) => frame.kind === 'died');
    expect(client.events()).toEqual(['info:died', 'died']);
  });
});

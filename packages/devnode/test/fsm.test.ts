import { createSigner, type Signer, signTx, verifySignature, verifySignedTx } from '@aesc/signer';
import { type ChannelOffchainTx, decodeTx, encodeTx, type SignedTx } from '@aesc/tx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Chain } from '../src/chain.js';
import { type ChannelOptions, ChannelFsm, type ClientSink, DEFAULT_TIMEOUTS, type SignTag } from '../src/fsm.js';
import { linkPeers, type PeerMessage } from '../src/peer.js';

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

/**
 * The two machines of a channel, each with its recording client, linked (through `tamper`) and
 * started; `prepare` sets up the clients before anything is sent.
 */
function startChannel(
  initiatorOverrides: Partial<ChannelOptions> = {},
  responderOverrides: Partial<ChannelOptions> = {},
  prepare: (initiator: RecordingClient, responder: RecordingClient) => void = () => undefined,
) {
  const initiator = new RecordingClient(alice);
  const responder = new RecordingClient(bob);
  prepare(initiator, responder);
  initiator.fsm = new ChannelFsm(options('initiator', initiatorOverrides), chain, initiator);
  responder.fsm = new ChannelFsm(options('responder', responderOverrides), chain, responder);
  fsms.push(initiator.fsm, responder.fsm);
  const link = linkPeers(
    (message) => initiator.fsm.handlePeer(tamper(message, 'initiator')),
    (message) => responder.fsm.handlePeer(tamper(message, 'responder')),
  );
  responder.fsm.connect(link.responder);
  initiator.fsm.connect(link.initiator);
  return { initiator, responder };
}

async function openChannel(initiatorOverrides: Partial<ChannelOptions> = {}, responderOverrides: Partial<ChannelOptions> = {}) {
  const { initiator, responder } = startChannel(initiatorOverrides, responderOverrides);
  await Promise.race([initiator.until((frame) => frame.kind === 'on_chain_tx'), initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the create tx reaches the mempool
  await chain.mine(5);
  await Promise.race([
    Promise.all([initiator.until((frame) => frame.kind === 'state'), responder.until((frame) => frame.kind === 'state')]),
    initiator.until((frame) => frame.kind === 'died'),
    responder.until((frame) => frame.kind === 'died'),
  ]);
  return { initiator, responder };
}

/**
 * What the peer link does to a message on its way to `receiver`: nothing, unless a test plays a
 * peer node that misbehaves (two devnode machines never do, each checks its own client).
 */
let tamper: (message: PeerMessage, receiver: 'initiator' | 'responder') => PeerMessage;

/** A co-signed state frame of the given round. */
const stateAt = (round: bigint) => (frame: { kind: string; value: unknown }) =>
  frame.kind === 'state' && (decodeTx(frame.value as string, 'signed_tx').tx as { round: bigint }).round === round;

/** The last co-signed state a client was given. */
const lastState = (client: RecordingClient) => client.frames.filter((frame) => frame.kind === 'state').at(-1)?.value as `tx$${string}`;

beforeEach(async () => {
  [alice, bob] = (await Promise.all([21, 22].map((fill) => createSigner(new Uint8Array(32).fill(fill))))) as [Signer, Signer];
  chain = new Chain([
    { pubkey: alice.publicKey, balance: 50n },
    { pubkey: bob.publicKey, balance: 50n },
  ]);
  fsms = [];
  tamper = (message) => message;
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
      // the keys of the strings named before are kept: a string differing in its last character is decoded on its own
      [1n, alice.address, `${bob.address.slice(0, -1)}${bob.address.endsWith('1') ? '2' : '1'}`, 'broken_encoding'],
      [1n, `${alice.address.slice(0, -1)}${alice.address.endsWith('1') ? '2' : '1'}`, bob.address, 'broken_encoding'],
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

  it('moves 0 as a new round with the same balances (BEHAVIOUR.md §2.5: amount ≥ 0, 0 allowed)', async () => {
    const { initiator, responder } = await openChannel();
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 0n, request: {} });
    expect(initiator.events().at(-1)).toBe('sign:update');
    await Promise.all([initiator.until(stateAt(2n)), responder.until(stateAt(2n))]);
    expect(decodeTx(lastState(responder), 'signed_tx').tx).toMatchObject({ previous_round: 1n, round: 2n, initiator_amount: 7n, responder_amount: 4n, updates: [{ amount: 0n }] });
  });

  it('refuses every call while its client has a sign request open, where v0.14 dead-locks (BEHAVIOUR.md §9.2, awaiting_signature), and the request stays answerable', async () => {
    const { initiator, responder } = await openChannel();
    initiator.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    const request = initiator.frames.at(-1)?.value as { tag: SignTag; tx: `tx$${string}` };
    const seen = responder.frames.length;
    for (const call of [
      { kind: 'transfer', from: alice.address, to: bob.address, amount: 2n, request: {} },
      { kind: 'message', to: bob.address, info: 'hello', request: {} },
      { kind: 'shutdown', request: {} },
    ] as const) {
      await initiator.fsm.handleClient(call);
      expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'unknown_request' });
    }
    await initiator.reply(request.tag, request.tx);
    await Promise.all([initiator.until(stateAt(2n)), responder.until(stateAt(2n))]);
    expect(responder.events().slice(seen)).toEqual(['info:update', 'sign:update_ack', 'state']);
    expect(decodeTx(lastState(responder), 'signed_tx').tx).toMatchObject({ initiator_amount: 6n, responder_amount: 5n });
  });

  it('delivers a message whose info is 65 535 bytes and refuses one byte more (BEHAVIOUR.md §4: ≤ 65 535 bytes, a 2-byte length on the wire)', async () => {
    const { initiator, responder } = await openChannel();
    const longest = `${'é'.repeat(32_767)}a`; // 65 535 bytes in UTF-8, half as many characters
    await initiator.fsm.handleClient({ kind: 'message', to: bob.address, info: longest, request: {} });
    expect(initiator.frames.filter((frame) => frame.kind === 'error')).toEqual([]);
    await responder.until((frame) => frame.kind === 'message');
    expect((responder.frames.at(-1)?.value as { info: string }).info).toBe(longest);
    await initiator.fsm.handleClient({ kind: 'message', to: bob.address, info: `${longest}a`, request: {} });
    expect(initiator.frames.at(-1)).toEqual({ kind: 'error', value: 'message_too_long' });
  });

  it('once stopped, answers its client channel_not_active and passes on nothing from the peer (BEHAVIOUR.md §1.4: the client went away, its state is lost)', async () => {
    const { initiator, responder } = await openChannel();
    responder.fsm.stop();
    const seen = responder.frames.length;
    await initiator.fsm.handleClient({ kind: 'message', to: bob.address, info: 'still there?', request: {} });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the peer link delivers on a later turn
    expect(responder.frames.slice(seen)).toEqual([]);
    await responder.fsm.handleClient({ kind: 'transfer', from: bob.address, to: alice.address, amount: 1n, request: {} });
    expect(responder.frames.slice(seen)).toEqual([{ kind: 'error', value: 'channel_not_active' }]);
  });

  it('dies when its client leaves a sign request unanswered for timeout_sign; the peer is not told (BEHAVIOUR.md §5: sign governs awaiting_signature)', async () => {
    const { initiator, responder } = await openChannel({ timeouts: { ...DEFAULT_TIMEOUTS, sign: 300 } });
    initiator.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await initiator.until((frame) => frame.kind === 'died');
    expect(initiator.events().slice(-3)).toEqual(['sign:update', 'info:died', 'died']);
    expect(responder.fsm.state).toBe('open');
  });

  it('a state with another timeout replaces the timer: the initiator past timeout_accept, waiting for its client’s signature, lives on', async () => {
    const { initiator } = startChannel({ timeouts: { ...DEFAULT_TIMEOUTS, accept: 150 } }, {}, (initiatorClient) => {
      initiatorClient.autoSign = false; // awaiting_signature, under timeout_sign, past initialized's 150 ms
    });
    await initiator.until((frame) => frame.kind === 'sign');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(initiator.events()).toEqual(['info:channel_accept', 'sign:initiator_sign']);
    expect(initiator.fsm.state).toBe('awaiting_signature');
  });

  it('the responder dies in accepted after timeout_funding_create when the create tx never comes (BEHAVIOUR.md §5)', async () => {
    const { initiator, responder } = startChannel({}, { timeouts: { ...DEFAULT_TIMEOUTS, funding_create: 200 } }, (initiatorClient) => {
      initiatorClient.autoSign = false; // the initiator never signs the create tx
    });
    await responder.until((frame) => frame.kind === 'died');
    expect(responder.events()).toEqual(['info:channel_open', 'info:died', 'died']);
    expect(initiator.events()).toEqual(['info:channel_accept', 'sign:initiator_sign']);
  });

  it('keeps an open channel alive while messages flow, on both sides (BEHAVIOUR.md §4: a message resets both FSMs’ open timer)', async () => {
    const short = { timeouts: { ...DEFAULT_TIMEOUTS, open: 400 } };
    const { initiator, responder } = await openChannel(short, short);
    for (let sent = 0; sent < 6; sent++) {
      await initiator.fsm.handleClient({ kind: 'message', to: bob.address, info: `ping ${sent}`, request: {} });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect([initiator.fsm.state, responder.fsm.state]).toEqual(['open', 'open']);
    await Promise.all([initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]);
  });

  it('the responder adopts the initiator’s terms from channel_open, its own reserve included (BEHAVIOUR.md §1.2: R’s values are overwritten)', async () => {
    const { initiator, responder } = await openChannel({}, { initiator_amount: 1n, responder_amount: 1n, channel_reserve: 0n, lock_period: 99n, push_amount: 0n });
    expect(decodeTx(lastState(responder), 'signed_tx').tx).toMatchObject({ initiator_amount: 7n, responder_amount: 4n });
    expect(decodeTx(initiator.frames.find((frame) => frame.kind === 'on_chain_tx')?.value as string, 'signed_tx').tx).toMatchObject({ lock_period: 10n, channel_reserve: 2n });
    await responder.fsm.handleClient({ kind: 'transfer', from: bob.address, to: alice.address, amount: 3n, request: {} }); // 4 - 3 < the initiator's reserve 2
    expect(responder.frames.at(-1)).toEqual({ kind: 'error', value: 'insufficient_balance' });
  });

  it('locks after the responder’s minimum_depth, which the initiator adopts from channel_accept, and not a block sooner (BEHAVIOUR.md §1.2, §6)', async () => {
    const { initiator, responder } = startChannel({ minimum_depth: 6n }, { minimum_depth: 2n });
    await initiator.until((frame) => frame.kind === 'on_chain_tx');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the create tx reaches the mempool
    await chain.mine(2); // the inclusion block and one more: depth 1
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([...initiator.events(), ...responder.events()]).not.toContain('info:own_funding_locked');
    await chain.mine(1); // depth 2
    await Promise.all([initiator.until(stateAt(1n)), responder.until(stateAt(1n))]);
  });

  it('postpones the peer’s funding_locked that comes before its own depth is reached: own_funding_locked always first (BEHAVIOUR.md §2.4 rows 8–9, §6)', async () => {
    // a peer node that tells the initiator a deeper minimum_depth than its own: the responder locks first
    tamper = (message, to) => (message.type === 'channel_accept' && to === 'initiator' ? { ...message, minimum_depth: 6n } : message);
    const { initiator, responder } = startChannel({}, { minimum_depth: 2n });
    await initiator.until((frame) => frame.kind === 'on_chain_tx');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the create tx reaches the mempool
    await chain.mine(3); // depth 2: the responder's, not the initiator's
    await responder.until((frame) => frame.kind === 'info' && frame.value === 'own_funding_locked');
    await new Promise((resolve) => setTimeout(resolve, 20)); // its funding_locked reaches the initiator
    expect(initiator.events().slice(-2)).toEqual(['info:funding_signed', 'on_chain_tx']);
    expect(initiator.fsm.state).toBe('awaiting_locked');
    await chain.mine(4); // depth 6
    await Promise.all([initiator.until(stateAt(1n)), responder.until(stateAt(1n))]);
    expect(initiator.events().slice(4, 7)).toEqual(['info:own_funding_locked', 'info:funding_locked', 'sign:update']);
  });

  it('dies after timeout_initialized, which overrides accept, while no channel_accept comes (BEHAVIOUR.md §5)', async () => {
    const client = new RecordingClient(alice);
    client.fsm = new ChannelFsm(options('initiator', { timeouts: { ...DEFAULT_TIMEOUTS, initialized: 50 } }), chain, client);
    fsms.push(client.fsm);
    await client.until((frame) => frame.kind === 'died');
    expect(client.events()).toEqual(['info:died', 'died']);
  });

  it('the starter dies after timeout_accept when the update_ack never comes; the acknowledger is not told (BEHAVIOUR.md §5: accept governs awaiting_update_ack)', async () => {
    const { initiator, responder } = await openChannel({ timeouts: { ...DEFAULT_TIMEOUTS, accept: 300 } });
    responder.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await initiator.until((frame) => frame.kind === 'died');
    expect(initiator.events().slice(-3)).toEqual(['sign:update', 'info:died', 'died']);
    expect(responder.events().slice(-2)).toEqual(['info:update', 'sign:update_ack']);
  });

  it('stops both sides when the peer’s shutdown comes while its client has an update to sign: the initiator is told why (BEHAVIOUR.md §9.1: a protocol error in any state stops; §3.2)', async () => {
    const { initiator, responder } = await openChannel();
    initiator.autoSign = false;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await responder.fsm.handleClient({ kind: 'shutdown', request: {} });
    await Promise.all([initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]);
    expect(initiator.events().slice(-4)).toEqual(['sign:update', 'fatal', 'info:died', 'died']);
    expect(initiator.frames.find((frame) => frame.kind === 'fatal')?.value).toBe('unexpected_shutdown');
    expect(responder.events().slice(-3)).toEqual(['sign:shutdown_sign', 'info:died', 'died']);
    expect(chain.mempool).toEqual([]);
  });

  it('reports the conflict to a starter waiting for its update_ack through the peer’s update_error; the late reply of the other is refused (BEHAVIOUR.md §3.4)', async () => {
    const { initiator, responder } = await openChannel();
    responder.autoSign = false;
    await responder.fsm.handleClient({ kind: 'transfer', from: bob.address, to: alice.address, amount: 1n, request: {} });
    const late = responder.frames.at(-1)?.value as { tag: SignTag; tx: `tx$${string}` };
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 2n, request: {} }); // signed at once
    await Promise.all([initiator.until((frame) => frame.kind === 'conflict'), responder.until((frame) => frame.kind === 'conflict')]);
    for (const client of [initiator, responder]) {
      expect(client.frames.filter((frame) => ['conflict', 'fatal', 'died'].includes(frame.kind)).map((frame) => frame.value)).toEqual([{ channelId: expect.stringMatching(/^ch\$/), round: 1n }]);
    }
    await responder.reply(late.tag, late.tx);
    expect(responder.frames.at(-1)).toEqual({ kind: 'error', value: 'no_sign_request_pending' });
    responder.autoSign = true;
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await Promise.all([initiator.until(stateAt(2n)), responder.until(stateAt(2n))]);
  });

  it('the acknowledger of a close its own rebuild does not match (another ttl) dies without a word; the starter is not told (BEHAVIOUR.md §1.2, §2.6 step 4)', async () => {
    const { initiator, responder } = await openChannel({}, { ttl: 2000n });
    const seen = responder.frames.length;
    await initiator.fsm.handleClient({ kind: 'shutdown', request: {} });
    await responder.until((frame) => frame.kind === 'died');
    expect(responder.events().slice(seen)).toEqual(['info:died', 'died']);
    expect(initiator.fsm.state).toBe('closing');
    expect(chain.mempool).toEqual([]);
  });

  it('stops both sides when the peer’s update comes while its client has a close to sign (BEHAVIOUR.md §9.1: a protocol error in any state stops; §3.2)', async () => {
    const { initiator, responder } = await openChannel();
    responder.autoSign = false;
    await responder.fsm.handleClient({ kind: 'shutdown', request: {} });
    await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
    await Promise.all([initiator.until((frame) => frame.kind === 'died'), responder.until((frame) => frame.kind === 'died')]);
    expect(responder.events().slice(-4)).toEqual(['sign:shutdown_sign', 'fatal', 'info:died', 'died']);
    expect(responder.frames.find((frame) => frame.kind === 'fatal')?.value).toBe('unexpected_update');
    expect(initiator.events().slice(-3)).toEqual(['sign:update', 'info:died', 'died']);
  });

  it('dies in signed after timeout_funding_lock when the peer never confirms the funding (BEHAVIOUR.md §5: funding_lock governs awaiting_locked and signed)', async () => {
    const { initiator, responder } = startChannel({}, { timeouts: { ...DEFAULT_TIMEOUTS, funding_lock: 400 } });
    await initiator.until((frame) => frame.kind === 'on_chain_tx');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the create tx reaches the mempool
    initiator.fsm.stop(); // its client left: it never sends funding_locked
    await chain.mine(5);
    await responder.until((frame) => frame.kind === 'died');
    expect(responder.events().slice(-3)).toEqual(['info:own_funding_locked', 'info:died', 'died']);
  });

  type Offchain = SignedTx & { tx: ChannelOffchainTx };
  const withTx = <M extends PeerMessage & { signed_tx: SignedTx }>(message: M, change: Partial<ChannelOffchainTx>): M => ({
    ...message,
    signed_tx: { ...message.signed_tx, tx: { ...message.signed_tx.tx, ...change } as ChannelOffchainTx },
  });
  const noSignature = new Uint8Array(64);
  /** The last update the initiator sent (signed by it alone). */
  let sentUpdate: SignedTx | undefined;
  /** A peer node that misbehaves once: [what it sends, to whom, after the channel opened?, the change, the reason the receiver aborts with]. */
  const misbehaviours: [string, 'initiator' | 'responder', boolean, (message: PeerMessage) => PeerMessage | undefined, string | undefined][] = [
    // before the channel has an id, the machine dies without an error frame (BEHAVIOUR.md §3.2)
    ['a create tx the initiator did not sign', 'responder', false, (m) => (m.type === 'funding_created' ? { ...m, signed_tx: { ...m.signed_tx, signatures: [noSignature] } } : undefined), undefined],
    ['a create tx the responder did not sign', 'initiator', false, (m) => (m.type === 'funding_signed' ? { ...m, signed_tx: { ...m.signed_tx, signatures: [noSignature] } } : undefined), undefined],
    ['an initial state of round 2', 'responder', false, (m) => (m.type === 'update' ? withTx(m, { round: 2n }) : undefined), 'not_initial_round'],
    ['an initial state it did not sign', 'responder', false, (m) => (m.type === 'update' ? { ...m, signed_tx: { ...m.signed_tx, signatures: [noSignature] } } : undefined), 'invalid_update'],
    ['funding_locked for another channel', 'initiator', false, (m) => (m.type === 'funding_locked' ? { ...m, channel_id: new Uint8Array(32).fill(7) } : undefined), 'channel_id_mismatch'],
    ['an update that skips a round', 'responder', true, (m) => (m.type === 'update' ? withTx(m, { round: (m.signed_tx as Offchain).tx.round + 1n }) : undefined), 'invalid_previous_round'],
    ['an update whose amounts its transfers do not give', 'responder', true, (m) => (m.type === 'update' ? withTx(m, { initiator_amount: (m.signed_tx as Offchain).tx.initiator_amount + 1n }) : undefined), 'amount_mismatch'],
    ['an update it did not sign', 'responder', true, (m) => (m.type === 'update' ? { ...m, signed_tx: { ...m.signed_tx, signatures: [noSignature] } } : undefined), 'invalid_update'],
    ['an update_ack of another body', 'initiator', true, (m) => (m.type === 'update_ack' ? withTx(m, { responder_amount: (m.signed_tx as Offchain).tx.responder_amount + 1n }) : undefined), 'invalid_update_ack'],
    // the initiator's own signature (the one its update carried) twice: two signers, three signatures
    ['an update_ack with a signature too many', 'initiator', true, (m) => (m.type === 'update_ack' ? { ...m, signed_tx: { ...m.signed_tx, signatures: [...m.signed_tx.signatures, ...(sentUpdate?.signatures ?? [])] } } : undefined), 'not_mutually_signed'],
    ['an update_error for another round than the last co-signed one', 'initiator', true, (m) => (m.type === 'update_error' ? { ...m, round: m.round + 1n } : undefined), 'fallback_state_mismatch'],
    ['a shutdown_ack of another close', 'initiator', true, (m) => (m.type === 'shutdown_ack' ? { ...m, signed_tx: { ...m.signed_tx, tx: { ...m.signed_tx.tx, fee: 2n } as SignedTx['tx'] } } : undefined), 'shutdown_tx_mismatch'],
  ];

  it.each(misbehaviours)('aborts on %s from a misbehaving peer node, telling its client why once the channel has an id (BEHAVIOUR.md §3.2, §7.1)', async (_, receiver, afterOpen, change, reason) => {
    let armed = !afterOpen;
    tamper = (message, to) => {
      if (message.type === 'update' && to === 'responder') sentUpdate = message.signed_tx;
      return armed && to === receiver ? (change(message) ?? message) : message;
    };
    const { initiator, responder } = await openChannel();
    armed = true;
    if (reason === 'fallback_state_mismatch') {
      responder.autoSign = false; // its own update waits for its client when the initiator's comes
      await responder.fsm.handleClient({ kind: 'transfer', from: bob.address, to: alice.address, amount: 1n, request: {} });
    }
    if (afterOpen) {
      await initiator.fsm.handleClient({ kind: 'transfer', from: alice.address, to: bob.address, amount: 1n, request: {} });
      if (reason === 'shutdown_tx_mismatch') {
        await Promise.all([initiator.until(stateAt(2n)), responder.until(stateAt(2n))]);
        await initiator.fsm.handleClient({ kind: 'shutdown', request: {} });
      }
    }
    const victim = receiver === 'initiator' ? initiator : responder;
    await victim.until((frame) => frame.kind === 'died');
    expect(victim.frames.filter((frame) => frame.kind === 'fatal').map((frame) => frame.value)).toEqual(reason === undefined ? [] : [reason]);
    if (reason === undefined) expect(victim.events()).not.toContain('on_chain_tx');
    expect(chain.mempool.filter((record) => record.signedTx.tx.type === 'channel_close_mutual_tx')).toEqual([]);
  });

  it('dies when its timer runs out (timeout_accept with no responder)', async () => {
    const client = new RecordingClient(alice);
    client.fsm = new ChannelFsm(options('initiator', { timeouts: { ...DEFAULT_TIMEOUTS, accept: 50 } }), chain, client);
    fsms.push(client.fsm);
    await client.until((frame) => frame.kind === 'died');
    expect(client.events()).toEqual(['info:died', 'died']);
  });
});

/**
 * The reference's integration suite (aehttp_integration_SUITE, group channel_websocket,
 * BEHAVIOUR.md §10.1) replayed on devnode with raw sockets, in both dialects: one node, I and R
 * funded 50/50, port 12340, lock_period 10, push 10, amounts 7/4, reserve 2, ttl 1000, blocks
 * mined on demand.
 */
import { verifySignedTx } from '@aesc/signer';
import { type Signer, signTx } from '@aesc/signer';
import { decodeTx, encodeTx, type SignedTx } from '@aesc/tx';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Devnode, startDevnode } from '../src/index.js';
import { CLOSE_BAD_PARAMS } from '../src/service.js';
import { type ChannelTerms, channelQuery, type Frame, isInfo, isSign, isState, party, RawParty } from './support/raw-client.js';

describe.each(['seed', 'v0.14'] as const)('channel WebSocket, %s dialect', (dialect) => {
  const createTags = dialect === 'seed' ? ['initiator_signed', 'responder_signed'] : ['initiator_sign', 'responder_sign'];
  let node: Devnode;
  let alice: Signer;
  let bob: Signer;
  let terms: ChannelTerms;
  let initiator: RawParty;
  let responder: RawParty;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([party(dialect === 'seed' ? 31 : 41), party(dialect === 'seed' ? 32 : 42)]);
    node = await startDevnode({
      httpPort: 0,
      wsPort: 0,
      dialect,
      genesis: [
        { pubkey: alice.publicKey, balance: 50n },
        { pubkey: bob.publicKey, balance: 50n },
      ],
    });
    terms = { initiator: alice, responder: bob, port: 12340 };
  });

  afterAll(() => node.close());

  const url = (role: 'initiator' | 'responder', extra: Record<string, string> = {}) => `${node.wsUrl}?${channelQuery(role, { ...terms, extra })}`;
  const balance = (signer: Signer) => node.chain.account(signer.publicKey)?.balance;

  /** sc_ws_open: both parties connect, sign the create tx, wait for depth, co-sign round 1. */
  async function open(): Promise<void> {
    const balancesBefore = [balance(alice), balance(bob)];
    responder = await RawParty.connect(url('responder'), bob);
    initiator = await RawParty.connect(url('initiator'), alice);
    await responder.next(isInfo('channel_open'));
    await initiator.next(isInfo('channel_accept'));
    const initiatorSign = await initiator.next(isSign(createTags[0] as string));
    const responderSign = await responder.next(isSign(createTags[1] as string));
    expect(responderSign.payload?.tx).toBe(initiatorSign.payload?.tx);
    await responder.next(isInfo('funding_created'));
    await initiator.next(isInfo('funding_signed'));
    const [onChainI, onChainR] = await Promise.all([initiator.next((frame) => frame.action === 'on_chain_tx'), responder.next((frame) => frame.action === 'on_chain_tx')]);
    expect(onChainI.payload?.tx).toBe(onChainR.payload?.tx);
    const createTx = decodeTx(onChainI.payload?.tx as string, 'signed_tx');
    expect((await verifySignedTx(createTx)).valid).toBe(true);
    // In the mempool, not yet mined: balances unchanged.
    await waitFor(() => node.chain.mempool.length === 1);
    expect([balance(alice), balance(bob)]).toEqual(balancesBefore);
    await node.mine(1);
    expect(balance(alice)).toBe((balancesBefore[0] ?? 0n) - 7n - 1n);
    expect(balance(bob)).toBe((balancesBefore[1] ?? 0n) - 4n);
    await node.mine(4);
    for (const side of [initiator, responder]) {
      await side.next(isInfo('own_funding_locked'));
      await side.next(isInfo('funding_locked'));
    }
    const update = await initiator.next(isSign('update'));
    const updateAck = await responder.next(isSign('update_ack'));
    expect(updateAck.payload?.tx).toBe(update.payload?.tx);
    await responder.next(isInfo('update'));
    const [stateI, stateR] = await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    expect(stateI.payload?.state).toBe(stateR.payload?.state);
    await Promise.all([initiator.next(isInfo('open')), responder.next(isInfo('open'))]);
  }

  async function transfer(starter: RawParty, from: Signer, to: Signer, amount: bigint, round: bigint): Promise<SignedTx> {
    const acknowledger = starter === initiator ? responder : initiator;
    const seen = [starter.frames.length, acknowledger.frames.length];
    starter.send({ action: 'update', tag: 'new', payload: { from: from.address, to: to.address, amount } });
    const request = await starter.next(isSign('update'), seen[0]);
    const proposal = decodeTx(request.payload?.tx as string, 'channel_offchain_tx');
    expect(proposal.round).toBe(proposal.previous_round + 1n);
    expect(proposal.updates).toEqual([{ from: from.publicKey, to: to.publicKey, amount }]);
    await acknowledger.next(isInfo('update'), seen[1]);
    const [stateS, stateA] = await Promise.all([starter.next(isState(round), seen[0]), acknowledger.next(isState(round), seen[1])]);
    expect(stateS.payload?.state).toBe(stateA.payload?.state);
    if (dialect === 'seed') await starter.next(isInfo('update_finalized'), seen[0]);
    const state = decodeTx(stateS.payload?.state as string, 'signed_tx');
    expect((await verifySignedTx(state)).valid).toBe(true);
    return state;
  }

  async function closeBoth(): Promise<void> {
    initiator.close();
    responder.close();
    await Promise.all([initiator.whenClosed(), responder.whenClosed()]);
    await waitFor(() => true);
  }

  it('sc_ws_timeout_open: a lone initiator with timeout_accept=100 dies', async () => {
    const lone = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', { ...terms, initiator_amount: 8n, extra: { timeout_accept: '100' } })}`, alice);
    await lone.next(isInfo('died'));
    if (dialect === 'seed') expect((await lone.whenClosed()).code).toBe(1000);
    else expect(await lone.stillOpen()).toBe(true); // v0.14 leaves the socket open after died
    lone.close();
  });

  it('sc_ws_open + sc_ws_update: 5 transfers, rounds 2…6, identical co-signed states', async () => {
    await open();
    const senders: [RawParty, Signer, Signer][] = [
      [initiator, alice, bob],
      [responder, bob, alice],
      [responder, bob, alice],
      [initiator, alice, bob],
      [responder, bob, alice],
    ];
    let round = 2n;
    for (const [starter, from, to] of senders) {
      const state = await transfer(starter, from, to, 1n, round);
      expect(state.tx).toMatchObject({ round, previous_round: round - 1n });
      round++;
    }
    const last = decodeTx(initiator.frames.filter(isState(6n)).at(-1)?.payload?.state as string, 'signed_tx').tx;
    expect(last).toMatchObject({ initiator_amount: 8n, responder_amount: 3n });
    await closeBoth();
  });

  it('writes the frames of one step at once: channel_accept and the create sign request leave in one write, and so do a later step’s', async () => {
    // ws writes each frame on its own; devnode corks the stream for the rest of the tick
    type Written = Uint8Array | string | { chunk: Uint8Array | string };
    const socketWrites = vi.spyOn(Socket.prototype as unknown as { _writeGeneric(writev: boolean, data: Written | Written[], encoding: string, callback: () => void): void }, '_writeGeneric');
    let calls: (typeof socketWrites.mock.calls)[number][];
    try {
      responder = await RawParty.connect(url('responder'), bob);
      responder.autoSign = false; // the create goes no further: nothing reaches the chain
      initiator = await RawParty.connect(url('initiator'), alice);
      await initiator.next(isSign(createTags[0] as string));
      // the responder's second step (channel_open came first): each tick's frames are corked, not only the first's
      await responder.next(isSign(createTags[1] as string));
    } finally {
      calls = [...socketWrites.mock.calls]; // mockRestore forgets them
      socketWrites.mockRestore();
    }
    // the node's frames are not masked: their text shows in what it wrote (Node turns a writev's
    // entries into their chunks in place)
    const text = (written: Written) => {
      const bytes = typeof written === 'object' && 'chunk' in written ? written.chunk : written;
      return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
    };
    const writes = calls.map(([, data]) => (Array.isArray(data) ? data.map(text).join('') : text(data)));
    const accept = writes.filter((text) => text.includes('"channel_accept"'));
    try {
      expect(accept).toHaveLength(1);
      expect(accept[0]).toContain(`"tag":"${createTags[0]}"`);
      const created = writes.filter((text) => text.includes('"funding_created"'));
      expect(created).toHaveLength(1);
      expect(created[0]).toContain(`"tag":"${createTags[1]}"`);
    } finally {
      await closeBoth(); // a failure here must not leave the sockets to the next test
    }
  });

  it('sc_ws_update_fails_and_close: each error with its reason and the request echoed', async () => {
    await open();
    const stranger = await party(99);
    for (const [side, self, other] of [
      [initiator, alice, bob],
      [responder, bob, alice],
    ] as const) {
      for (const [payload, reason] of [
        [{ from: self.address, to: other.address, amount: 10_000 }, 'insufficient_balance'],
        [{ from: self.address, to: other.address, amount: -1 }, 'negative_amount'],
        [{ from: stranger.address, to: other.address, amount: 1 }, 'invalid_pubkeys'],
        [{ from: self.address, to: 'ak$notakey', amount: 1 }, 'broken_encoding'],
        [{ from: self.address, to: other.address, amount: 1.5 }, 'function_clause'],
        // a missing key is no malformed value: devnode says what is missing (v0.14 ignores it)
        [{ from: self.address, to: other.address }, expect.stringMatching(/^schema: .*missing key "amount"/)],
      ] as const) {
        const seen = side.frames.length;
        side.send({ action: 'update', tag: 'new', payload });
        const error = await side.next((frame) => frame.action === 'error', seen);
        expect(error.payload).toMatchObject({ reason, request: { action: 'update', tag: 'new' } });
      }
    }
    // Still usable.
    await transfer(initiator, alice, bob, 1n, 2n);
    await closeBoth();
  });

  it('judges a malformed update/new in v0.14’s order: broken_encoding, negative_amount, state, invalid_pubkeys, insufficient_balance, function_clause (BEHAVIOUR.md §3.1)', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    await open();
    const stranger = await party(99);
    const answer = async (payload: Record<string, unknown>) => {
      const seen = initiator.frames.length;
      initiator.send({ action: 'update', tag: 'new', payload });
      return (await initiator.next((frame) => frame.action === 'error', seen)).payload;
    };
    for (const [payload, reason] of [
      [{ from: 'ak$notakey', to: bob.address, amount: -1.5 }, 'broken_encoding'],
      [{ from: alice.address, to: 7n, amount: 'x' }, 'broken_encoding'],
      // the socket handler compares before the state machine looks at the type
      [{ from: alice.address, to: bob.address, amount: -1.5 }, 'negative_amount'],
      [{ from: alice.address, to: alice.address, amount: 1.5 }, 'invalid_pubkeys'],
      [{ from: stranger.address, to: bob.address, amount: 'x' }, 'invalid_pubkeys'],
      [{ from: alice.address, to: bob.address, amount: 10_000.5 }, 'insufficient_balance'],
      [{ from: alice.address, to: bob.address, amount: 1.5 }, 'function_clause'],
      [{ from: alice.address, to: bob.address, amount: '-1' }, 'function_clause'],
      [{ from: alice.address, to: bob.address, amount: null }, 'function_clause'],
    ] as const) {
      expect(await answer(payload)).toEqual({ reason, request: { action: 'update', tag: 'new', payload } });
    }
    // A non-integer while a sign request is open is a call in the wrong state first.
    initiator.autoSign = false;
    const seen = initiator.frames.length;
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    const request = await initiator.next(isSign('update'), seen);
    expect((await answer({ from: alice.address, to: bob.address, amount: 1.5 }))?.reason).toBe('unknown_request');
    initiator.autoSign = true;
    await initiator.signAndReply(request);
    await Promise.all([initiator.next(isState(2n)), responder.next(isState(2n))]);
    await closeBoth();
  });

  it('sc_ws_send_messages_and_close: messages both ways, two in a row', async () => {
    await open();
    const send = async (from: RawParty, to: RawParty, sender: Signer, receiver: Signer, text: string) => {
      const seen = to.frames.length;
      from.send({ action: 'message', payload: { to: receiver.address, info: text } });
      const received = await to.next((frame) => frame.action === 'message', seen);
      expect(received.payload?.message).toMatchObject({ from: sender.address, to: receiver.address, info: text });
      expect((received.payload?.message as { channel_id: string }).channel_id).toMatch(/^ch\$/);
    };
    await send(initiator, responder, alice, bob, 'hello');
    await send(responder, initiator, bob, alice, 'hi');
    await send(initiator, responder, alice, bob, 'one');
    await send(initiator, responder, alice, bob, 'two');
    await send(responder, initiator, bob, alice, 'three');
    await send(responder, initiator, bob, alice, 'four');
    const seen = initiator.frames.length;
    initiator.send({ action: 'message', payload: { to: alice.address, info: 'me' } });
    expect((await initiator.next((frame) => frame.action === 'error', seen)).payload).toMatchObject({ reason: 'unknown_recipient' });
    await closeBoth();
  });

  it('sc_ws_conflict_and_close: both propose at once, each gets exactly one conflict', async () => {
    await open();
    for (const [starter, other] of [
      [initiator, responder],
      [responder, initiator],
    ] as const) {
      const [from, to] = starter === initiator ? [alice, bob] : [bob, alice];
      starter.autoSign = false;
      other.autoSign = false;
      const seen = [starter.frames.length, other.frames.length];
      starter.send({ action: 'update', tag: 'new', payload: { from: from.address, to: to.address, amount: 1 } });
      other.send({ action: 'update', tag: 'new', payload: { from: from.address, to: to.address, amount: 2 } });
      const [ownS, ownO] = await Promise.all([starter.next(isSign('update'), seen[0]), other.next(isSign('update'), seen[1])]);
      await Promise.all([starter.signAndReply(ownS), other.signAndReply(ownO)]);
      const [conflictS, conflictO] = await Promise.all([
        starter.next((frame) => frame.action === 'conflict', seen[0]),
        other.next((frame) => frame.action === 'conflict', seen[1]),
      ]);
      expect(conflictS.payload).toEqual(conflictO.payload);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(starter.frames.slice(seen[0]).filter((frame) => frame.action === 'conflict')).toHaveLength(1);
      expect(other.frames.slice(seen[1]).filter((frame) => frame.action === 'conflict')).toHaveLength(1);
      starter.autoSign = true;
      other.autoSign = true;
    }
    // Both fell back to round 1 and go on from there.
    await transfer(initiator, alice, bob, 1n, 2n);
    await closeBoth();
  });

  it('handles a client’s frames in order: a call right after an update_ack reply finds the channel open', async () => {
    // The fixture's 50 each pay for the reference's tests; this one brings its own funds.
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    await open();
    responder.autoSign = false;
    const seen = responder.frames.length;
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    const ack = await responder.next(isSign('update_ack'), seen);
    const signed = await signTx(decodeTx(ack.payload?.tx as string, 'unsigned'), bob);
    const afterAck = responder.frames.length;
    // Both frames at once: v0.14 is in `open` as soon as it has the ack, and takes the next call.
    responder.send({ action: 'update_ack', payload: { tx: encodeTx(signed) } });
    responder.send({ action: 'update', tag: 'new', payload: { from: bob.address, to: alice.address, amount: 1n } });
    const request = await responder.next((frame) => isSign('update')(frame) || frame.action === 'error', afterAck);
    expect(request).toMatchObject({ action: 'sign', tag: 'update' });
    expect(decodeTx(request.payload?.tx as string, 'channel_offchain_tx')).toMatchObject({ previous_round: 2n, round: 3n });
    responder.autoSign = true;
    await responder.signAndReply(request);
    await Promise.all([initiator.next(isState(3n)), responder.next(isState(3n))]);
    await closeBoth();
  });

  it('a reply under another tag than the request’s: the error names the tag as the dialect sent it, and the request stays open', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    const own = { ...terms, port: 12342 };
    responder = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', own)}`, bob);
    initiator = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', own)}`, alice);
    initiator.autoSign = false;
    const request = await initiator.next(isSign(createTags[0] as string));
    const signed = encodeTx(await signTx(decodeTx(request.payload?.tx as string, 'unsigned'), alice));
    initiator.send({ action: createTags[1], payload: { tx: signed } });
    expect((await initiator.next((frame) => frame.action === 'error')).payload?.reason).toBe(`expected_${createTags[0]}_reply`);
    initiator.send({ action: createTags[0], payload: { tx: signed } });
    await responder.next(isSign(createTags[1] as string));
    await initiator.next(isInfo('funding_signed'));
    initiator.autoSign = true;
    await waitFor(() => node.chain.mempool.length === 1);
    await node.mine(1); // the later tests count the mempool
    await closeBoth();
  });

  it('report_update=false silences the co-signed state frames only: the seed’s update_finalized is an info report', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    const quiet = { ...terms, port: 12341, extra: { report_update: 'false', minimum_depth: '1' } };
    responder = await RawParty.connect(`${node.wsUrl}?${channelQuery('responder', quiet)}`, bob);
    initiator = await RawParty.connect(`${node.wsUrl}?${channelQuery('initiator', quiet)}`, alice);
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    await waitFor(() => node.chain.mempool.length === 1);
    await node.mine(2);
    await Promise.all([initiator.next(isInfo('open')), responder.next(isInfo('open'))]);
    responder.autoSign = false;
    const seen = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await responder.signAndReply(await responder.next(isSign('update_ack'), seen[1]));
    // A message each way after the ack: every frame of the finished round came before it.
    responder.send({ action: 'message', payload: { to: alice.address, info: 'after the round' } });
    await initiator.next((frame) => frame.action === 'message', seen[0]);
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'back' } });
    await responder.next((frame) => frame.action === 'message', seen[1]);
    const finished = dialect === 'seed' ? ['info:update_finalized', 'message'] : ['message'];
    expect(initiator.summaries().slice(seen[0])).toEqual(['sign:update', ...finished]);
    expect(responder.summaries().slice(seen[1])).toEqual(['info:update', 'sign:update_ack', ...finished]);
    responder.autoSign = true;
    await closeBoth();
  });

  it.each(['initiator', 'responder'] as const)('sc_ws_close_mutual_%s: on-chain balances equal the close tx amounts', async (starterRole) => {
    await open();
    await transfer(initiator, alice, bob, 2n, 2n);
    const [starter, other] = starterRole === 'initiator' ? [initiator, responder] : [responder, initiator];
    const before = [balance(alice) ?? 0n, balance(bob) ?? 0n];
    const seen = [starter.frames.length, other.frames.length];
    starter.send({ action: 'shutdown' });
    const sign = await starter.next(isSign('shutdown_sign'), seen[0]);
    const ack = await other.next(isSign('shutdown_sign_ack'), seen[1]);
    expect(ack.payload?.tx).toBe(sign.payload?.tx);
    const [txS, txO] = await Promise.all([starter.next((frame) => frame.action === 'on_chain_tx', seen[0]), other.next((frame) => frame.action === 'on_chain_tx', seen[1])]);
    expect(txS.payload?.tx).toBe(txO.payload?.tx);
    await Promise.all([starter.next(isInfo('died'), seen[0]), other.next(isInfo('died'), seen[1])]);
    if (dialect === 'v0.14') {
      await starter.next(isInfo('close_mutual'), seen[0]);
      expect(await starter.stillOpen()).toBe(true); // v0.14 leaves the socket open after died
    } else {
      expect(starter.summaries()).not.toContain('info:close_mutual');
      await starter.whenClosed();
    }
    const closeTx = decodeTx(txS.payload?.tx as string, 'signed_tx');
    expect(closeTx.tx).toMatchObject({ type: 'channel_close_mutual_tx', initiator_amount: 4n, responder_amount: 6n, fee: 1n, ttl: 1000n });
    await waitFor(() => node.chain.mempool.length === 1);
    expect([balance(alice), balance(bob)]).toEqual(before);
    await node.mine(1);
    expect(balance(alice)).toBe((before[0] ?? 0n) + 4n);
    expect(balance(bob)).toBe((before[1] ?? 0n) + 6n);
    await closeBoth();
  });

  it('report_<tag>=false silences its class of frames (info, update, conflict, message, error, on_chain_tx) but never a sign request (BEHAVIOUR.md §1.2)', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    const silenced = Object.fromEntries(['info', 'update', 'conflict', 'message', 'error', 'on_chain_tx'].map((tag) => [`report_${tag}`, 'false']));
    responder = await RawParty.connect(url('responder', silenced), bob);
    initiator = await RawParty.connect(url('initiator'), alice);
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    await waitFor(() => node.chain.mempool.length === 1);
    await node.mine(5);
    await initiator.next(isState(1n));
    // a message to the silenced side, then an update it acknowledges (the peer link keeps their order)
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'unheard' } });
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await initiator.next(isState(2n));
    // a refused request, then a message its peer receives after it
    responder.send({ action: 'update', tag: 'new', payload: { from: bob.address, to: alice.address, amount: 10_000n } });
    responder.send({ action: 'message', payload: { to: alice.address, info: 'after the refusal' } });
    await initiator.next((frame) => frame.action === 'message');
    // a conflict
    initiator.autoSign = false;
    responder.autoSign = false;
    let seen = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    responder.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 2n } });
    const [ownI, ownR] = await Promise.all([initiator.next(isSign('update'), seen[0]), responder.next(isSign('update'), seen[1])]);
    await Promise.all([initiator.signAndReply(ownI), responder.signAndReply(ownR)]);
    await initiator.next((frame) => frame.action === 'conflict', seen[0]);
    initiator.autoSign = true;
    responder.autoSign = true;
    seen = [initiator.frames.length, responder.frames.length];
    initiator.send({ action: 'update', tag: 'new', payload: { from: alice.address, to: bob.address, amount: 1n } });
    await initiator.next(isState(3n), seen[0]);
    // a protocol error (the peer's close while an update waits for its signature): neither the
    // error {message} nor died reaches the silenced side (BEHAVIOUR.md §3.2)
    responder.autoSign = false;
    responder.send({ action: 'update', tag: 'new', payload: { from: bob.address, to: alice.address, amount: 1n } });
    await responder.next(isSign('update'), seen[1]);
    initiator.send({ action: 'shutdown' });
    await initiator.next(isInfo('died'), seen[0]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(responder.summaries()).toEqual([createTags[1], 'update_ack', 'update_ack', 'update', 'update_ack', 'update'].map((tag) => `sign:${tag}`));
    await closeBoth();
  });

  it('opens after the responder’s minimum_depth, a parameter of the seed’s table (v0.14 fixes it at 4: BEHAVIOUR.md §1.2, §11), and the initiator adopts it', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    responder = await RawParty.connect(url('responder', { minimum_depth: '1' }), bob);
    initiator = await RawParty.connect(url('initiator'), alice);
    await initiator.next((frame) => frame.action === 'on_chain_tx');
    await waitFor(() => node.chain.mempool.length === 1);
    await node.mine(2); // the inclusion block and one more
    await Promise.all([initiator.next(isState(1n)), responder.next(isState(1n))]);
    await closeBoth();
  });

  it('refuses bad parameters with a close code and a reason naming the parameter', async () => {
    const missing = await RawParty.refused(`${node.wsUrl}?${channelQuery('initiator', terms).replace(/&ttl=\d+/, '')}`, alice);
    expect(missing).toEqual({ code: CLOSE_BAD_PARAMS, reason: expect.stringContaining('ttl') as string });
    const badKey = await RawParty.refused(`${node.wsUrl}?${channelQuery('responder', terms).replace(/responder=ak\$\w+/, 'responder=ak$123')}`, bob);
    expect(badKey.reason).toContain('responder');
    const badNumber = await RawParty.refused(url('responder', { timeout_idle: 'soon' }), bob);
    expect(badNumber.reason).toContain('timeout_idle');
  });

  it('refuses a second client for a role of a channel that still lives, waiting or open (1008), and the channel goes on', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    const firstResponder = await RawParty.connect(url('responder'), bob);
    const waitingTwice = await RawParty.refused(url('responder'), bob);
    expect(waitingTwice).toEqual({ code: CLOSE_BAD_PARAMS, reason: 'the responder of this channel is already connected on port 12340' });
    firstResponder.close();
    await firstResponder.whenClosed();
    await waitFor(() => true);
    await open();
    for (const [role, signer] of [
      ['responder', bob],
      ['initiator', alice],
    ] as const) {
      const refused = await RawParty.refused(url(role), signer);
      expect(refused).toEqual({ code: CLOSE_BAD_PARAMS, reason: `the ${role} of this channel is already connected on port 12340` });
    }
    await transfer(responder, bob, alice, 1n, 2n);
    await closeBoth();
  });

  it('answers a frame whose payload is not an object with an error naming it, echoing the frame as text, and goes on', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    await open();
    for (const text of [
      '{"action":"update","tag":"new","payload":"x"}',
      '{"action":"message","payload":null}',
      '{"action":"shutdown","payload":[1]}',
      '{"action":"update","payload":"tx$1"}',
      '{"action":"dance","payload":7}',
    ]) {
      const seen = initiator.frames.length;
      initiator.send(text);
      const error = await initiator.next((frame) => frame.action === 'error', seen);
      const action = (JSON.parse(text) as { action: string }).action;
      expect(error.payload).toEqual({ reason: expect.stringMatching(/^(schema|unknown_action): .*(payload|dance)/) as string, request: { action, text } });
    }
    await transfer(initiator, alice, bob, 1n, 2n);
    await closeBoth();
  });

  it('echoes as text a frame holding a number no JSON can write back (1e400), instead of an internal_error', async () => {
    node.chain.fund(alice.publicKey, 8n);
    node.chain.fund(bob.publicKey, 4n);
    await open();
    for (const text of [
      `{"action":"update","tag":"new","payload":{"from":"${alice.address}","to":"${bob.address}","amount":1e400}}`,
      '{"action":"shutdown","payload":{"x":-1e400}}',
      '{"action":"message","payload":{"to":1e999,"info":"hi"}}',
    ]) {
      const seen = initiator.frames.length;
      initiator.send(text);
      const error = await initiator.next((frame) => frame.action === 'error', seen);
      const action = (JSON.parse(text) as { action: string }).action;
      expect(error.payload).toEqual({ reason: expect.stringMatching(/^(schema|broken_encoding)/) as string, request: { action, text } });
    }
    await transfer(initiator, alice, bob, 1n, 2n);
    await closeBoth();
  });

  it('answers malformed frames with an error and goes on', async () => {
    await open();
    // binary frames are ignored (BEHAVIOUR.md §1.1), even one holding a request
    initiator.socket.send(Buffer.from(JSON.stringify({ action: 'message', payload: { to: bob.address, info: 'binary' } })), { binary: true });
    initiator.send({ action: 'message', payload: { to: bob.address, info: 'text' } });
    await responder.next((frame) => frame.action === 'message');
    expect(responder.frames.filter((frame) => frame.action === 'message').map((frame) => (frame.payload?.message as { info: string }).info)).toEqual(['text']);
    expect(initiator.frames.filter((frame) => frame.action === 'error')).toEqual([]);
    for (const text of ['not json', '[1,2]', '{"no":"action"}', '{"action":"dance"}', '{"action":"update","tag":"new","payload":{"from":1}}']) {
      const seen = initiator.frames.length;
      initiator.send(text);
      const error = await initiator.next((frame) => frame.action === 'error', seen);
      expect(typeof error.payload?.reason).toBe('string');
    }
    const seen = initiator.frames.length;
    initiator.send({ action: 'update', payload: { tx: 'tx$1' } }); // a sign reply with nothing to sign
    expect((await initiator.next((frame) => frame.action === 'error', seen)).payload?.reason).toBe('no_sign_request_pending');
    await transfer(initiator, alice, bob, 1n, 2n);
    await closeBoth();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}

export type { Frame };

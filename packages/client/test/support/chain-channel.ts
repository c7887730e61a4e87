/**
 * A channel opened on chain without the WebSocket service, for the dispute and watch tests: a
 * create tx built and co-signed locally, posted and mined on a devnode; then co-signed states of
 * it, a store holding one, and a co-signed mutual close.
 */
import type { Devnode } from '@aesc/devnode';
import { type ChannelId, decode } from '@aesc/encoding';
import { type Signer, signTx } from '@aesc/signer';
import { type ChannelCreateTx, channelId, encodeTx, type SignedTx, type UnsignedTx } from '@aesc/tx';
import { ChannelClient } from '../../src/channel-client.js';
import { MemoryStore } from '../../src/memory-store.js';
import type { NodeClient } from '../../src/node-client.js';
import type { StateStore } from '../../src/store.js';

/** `tx` signed by each of `signers` in turn. */
export async function signedBy(tx: UnsignedTx, ...signers: Signer[]): Promise<SignedTx> {
  let signed = await signTx(tx, signers[0] as Signer);
  for (const signer of signers.slice(1)) signed = await signTx(signed, signer);
  return signed;
}

/** Opens a channel with `lockPeriod` on the devnode that `chain()` gives (read at each call: the suites start theirs in `beforeAll`). */
export function channelOpener(chain: () => { node: NodeClient; devnode: Devnode }, lockPeriod: bigint) {
  return async function openChannel(initiator: Signer, responder: Signer, initiatorAmount: bigint, responderAmount: bigint) {
    const { node, devnode } = chain();
    const create: ChannelCreateTx = {
      type: 'channel_create_tx',
      initiator: initiator.publicKey,
      initiator_amount: initiatorAmount,
      responder: responder.publicKey,
      responder_amount: responderAmount,
      channel_reserve: 20n,
      lock_period: lockPeriod,
      ttl: (await node.getHeight()) + 10n,
      fee: 1n,
      nonce: await node.nextNonce(initiator.address),
    };
    const signedCreate = await signedBy(create, initiator, responder);
    const hash = await node.postTx(signedCreate);
    await devnode.mine(1);
    await node.waitForTx(hash);
    const id = channelId(create);
    const state = (round: bigint, initiatorAmount: bigint, responderAmount: bigint, signers: Signer[] = [initiator, responder]) =>
      signedBy(
        {
          type: 'channel_offchain_tx',
          channel_id: decode(id, 'ch'),
          previous_round: round - 1n,
          round,
          initiator: initiator.publicKey,
          responder: responder.publicKey,
          initiator_amount: initiatorAmount,
          responder_amount: responderAmount,
          updates: [{ from: initiator.publicKey, to: responder.publicKey, amount: 1n }],
          state: new Uint8Array(),
        },
        ...signers,
      );
    const createTx = encodeTx(signedCreate);
    /** A store holding the co-signed state of `round` (and `closeTx`, when given) as the last one. */
    const storeOf = async (round: bigint, initiatorAmount: bigint, responderAmount: bigint, role: 'initiator' | 'responder' = 'initiator', closeTx?: SignedTx) => {
      const store = new MemoryStore();
      const saved = encodeTx(await state(round, initiatorAmount, responderAmount));
      await store.save({ channelId: id, role, createTx, state: saved, round, ...(closeTx === undefined ? {} : { closeTx: encodeTx(closeTx) }) });
      return store;
    };
    /** The mutual close of `initiatorAmount`/`responderAmount` (fee 1), co-signed, with the initiator's `nonce`. */
    const mutualClose = (initiatorAmount: bigint, responderAmount: bigint, nonce: bigint) =>
      signedBy(
        { type: 'channel_close_mutual_tx', channel_id: decode(id, 'ch'), initiator_amount: initiatorAmount, responder_amount: responderAmount, ttl: 10_000n, fee: 1n, nonce },
        initiator,
        responder,
      );
    return { id, createTx, state, storeOf, mutualClose };
  };
}

/**
 * A channel between two `ChannelClient`s over the devnode's WebSocket service (1 000 and 500
 * coins, reserve 10), blocks mined every 10 ms until both have opened; the initiator keeps its
 * states in `initiatorStore`, the responder in `responderStore`.
 */
export async function openLiveChannel(
  devnode: Devnode,
  options: { initiator: Signer; responder: Signer; lockPeriod: bigint; port: number; initiatorStore: StateStore; responderStore: StateStore },
) {
  const { initiator, responder } = options;
  const params = {
    initiator: initiator.address,
    responder: responder.address,
    lock_period: options.lockPeriod,
    push_amount: 0n,
    initiator_amount: 1_000n,
    responder_amount: 500n,
    channel_reserve: 10n,
    ttl: 1_000_000n,
    port: options.port,
    host: 'localhost',
    minimum_depth: 1n,
  };
  const mining = setInterval(() => void devnode.mine(1), 10);
  try {
    const [initiatorClient, responderClient] = await Promise.all([
      ChannelClient.connect({ url: devnode.wsUrl, role: 'initiator', params, signer: initiator, store: options.initiatorStore }),
      ChannelClient.connect({ url: devnode.wsUrl, role: 'responder', params, signer: responder, store: options.responderStore }),
    ]);
    await Promise.all([initiatorClient.opened, responderClient.opened]);
    return { initiatorClient, responderClient, id: initiatorClient.channelId as ChannelId };
  } finally {
    clearInterval(mining);
  }
}

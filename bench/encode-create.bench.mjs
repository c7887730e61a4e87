/*
 * Row 2: `encodeTx` of a channel create (Tx object to `tx$`) against the SDK's `buildTx` of
 * the equivalent ChannelCreateTx (params to `tx_`), and, for context, against the same bytes
 * composed by hand.
 */
import { decodeTx, encodeTx } from '@aesc/tx';
import { encode as rlpEncode } from 'rlp';
import { base58checkEncode, intBytes } from './hand.mjs';
import { channelCreate } from './inputs.mjs';
import { fasterRow, withinRow } from './report.mjs';
import { buildTx, createParams, sdkAddress, Tag, unpackTx } from './sdk.mjs';

const CREATE_TAG = Uint8Array.of(50);
const VSN_1 = Uint8Array.of(1);

export async function run({ compare, pairedRatio }) {
  const tx = channelCreate.tx;
  const params = createParams(tx);
  const ours = () => encodeTx(tx);
  const sdk = () => buildTx(params);
  const hand = () =>
    base58checkEncode(
      'tx',
      rlpEncode([
        CREATE_TAG,
        VSN_1,
        tx.initiator,
        intBytes(tx.initiator_amount),
        tx.responder,
        intBytes(tx.responder_amount),
        intBytes(tx.channel_reserve),
        intBytes(tx.lock_period),
        intBytes(tx.ttl),
        intBytes(tx.fee),
        intBytes(tx.nonce),
      ]),
    );

  if (encodeTx(channelCreate.referenceValues) !== channelCreate.referenceTx) {
    throw new Error(`encodeTx of ${channelCreate.id} is not the reference's tx$`);
  }
  if (ours() !== hand()) throw new Error('encodeTx and the hand-composed encoding differ');
  const back = decodeTx(ours(), 'channel_create_tx');
  if (back.fee !== tx.fee || back.nonce !== tx.nonce) throw new Error('encodeTx does not decode back');
  const unpacked = unpackTx(sdk(), Tag.ChannelCreateTx);
  const expected = {
    initiator: sdkAddress(tx.initiator),
    responder: sdkAddress(tx.responder),
    initiatorAmount: tx.initiator_amount.toString(),
    responderAmount: tx.responder_amount.toString(),
    channelReserve: tx.channel_reserve.toString(),
    lockPeriod: tx.lock_period.toString(),
    fee: tx.fee.toString(),
    ttl: Number(tx.ttl),
    nonce: Number(tx.nonce),
  };
  for (const [name, value] of Object.entries(expected)) {
    if (unpacked[name] !== value) throw new Error(`SDK buildTx: ${name} is ${unpacked[name]}, expected ${value}`);
  }

  const [oursTime, sdkTime, handTime] = await compare([ours, sdk, hand]);
  return [
    fasterRow({
      id: 'encode-create-sdk',
      name: 'encodeTx create vs SDK buildTx',
      oursNs: oursTime.ns,
      otherNs: sdkTime.ns,
      ratio: pairedRatio(sdkTime, oursTime),
      timing: { ours: oursTime, other: sdkTime },
      otherLabel: 'SDK',
      atLeast: 20,
      notes: [
        `values of ${channelCreate.id} with fee ${tx.fee} (the SDK refuses a fee under its minimum); SDK builds its v2 layout (+ empty delegate lists, state hash) as base64 tx_ and checks the fee, which costs it a second build`,
      ],
    }),
    withinRow({
      id: 'encode-create-hand',
      name: 'encodeTx create vs hand-composed',
      oursNs: oursTime.ns,
      otherNs: handTime.ns,
      ratio: pairedRatio(oursTime, handTime),
      timing: { ours: oursTime, other: handTime },
      otherLabel: 'hand',
      notes: ['context only: rlp.encode of the byte fields + @aesc/encoding base58check'],
    }),
  ];
}

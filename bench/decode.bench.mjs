/*
 * Row 3: `decodeTx` of the sign request to a Tx object (strict: canonical RLP, tag, version,
 * field count and kinds, integers to bigint) against the floor of that work: base58check
 * decode and a raw RLP decode to nested byte arrays, nothing else.
 */
import { decodeTx, serializeTx } from '@aesc/tx';
import { encode as rlpEncode } from 'rlp';
import { decodeTxRaw } from './hand.mjs';
import { hexFromBytes, signRequest, vector } from './inputs.mjs';
import { withinRow } from './report.mjs';

export async function run({ compare, pairedRatio }) {
  const request = signRequest.tx;
  const ours = () => decodeTx(request, 'channel_offchain_tx');
  const hand = () => decodeTxRaw(request);

  const expectedHex = hexFromBytes(signRequest.unsignedBytes);
  const decoded = ours();
  if (hexFromBytes(serializeTx(decoded)) !== expectedHex) throw new Error('decodeTx does not give back the same tx');
  for (const field of vector(signRequest.id).fields) {
    const value = decoded[field.name];
    const shown =
      field.type === 'int'
        ? value.toString()
        : field.type === 'updates'
          ? JSON.stringify(value.map((update) => ({ from: hexFromBytes(update.from), to: hexFromBytes(update.to), amount: update.amount.toString() })))
          : hexFromBytes(value);
    const expected = field.type === 'updates' ? JSON.stringify(field.value) : field.value;
    if (shown !== expected) throw new Error(`decodeTx: ${field.name} is ${shown}, the vector says ${expected}`);
  }
  if (hexFromBytes(rlpEncode(hand())) !== expectedHex) throw new Error('hand-composed decode does not give back the same items');

  const [oursTime, handTime] = await compare([ours, hand]);
  return [
    withinRow({
      id: 'decode-hand',
      name: 'decodeTx vs base58check + rlp by hand',
      oursNs: oursTime.ns,
      otherNs: handTime.ns,
      ratio: pairedRatio(oursTime, handTime),
      timing: { ours: oursTime, other: handTime },
      otherLabel: 'hand',
      atMost: 1.3,
      notes: [
        `${signRequest.id} (${signRequest.unsignedBytes.length} B) to a Tx object vs @aesc/encoding base58check + rlp.decode to raw items`,
      ],
    }),
  ];
}

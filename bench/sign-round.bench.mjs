/*
 * Row 1: the sign-request round a channel client runs on every update. The node sends an
 * unsigned off-chain tx as `tx$`; the client decodes it strictly, checks it is the kind of tx
 * it expects, signs it with ed25519, wraps it in a `signed_tx`, encodes that as `tx$` and
 * computes its `th$`.
 */
import { sign as nodeSign } from 'node:crypto';
import { blake2b256, decode as decodeBase58check, encode as encodeBase58check } from '@aesc/encoding';
import { decodeTx, encodeTx, serializeTx, txHash } from '@aesc/tx';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { decode as rlpDecode } from 'rlp';
import { ed25519KeyObject, signRequestRound } from './hand.mjs';
import { hexFromBytes, key, signRequest } from './inputs.mjs';
import { fasterRow, skippedRow, withinRow } from './report.mjs';
import {
  buildTxHash,
  checkSdkRound,
  NETWORK_ID,
  offchainTxV2,
  sameSizeSpendTx,
  sdkAccount,
  sdkAddress,
  sdkDecode,
  sdkMessageToSign,
  sdkSignRound,
  sdkVerdictOnV014,
  Tag,
  unpackTx,
} from './sdk.mjs';

const NAMES = {
  sdkSameSize: 'sign round vs SDK (same-size SpendTx)',
  sdkOwnOffchain: 'sign round vs SDK (its ChannelOffChainTx v2)',
  hand: 'sign round vs hand-composed',
};

export async function run({ compare, pairedRatio }) {
  let signerPackage;
  try {
    signerPackage = await import('@aesc/signer');
  } catch (error) {
    return skipAll(`@aesc/signer cannot be imported (${error.message.split('\n')[0]}); run \`pnpm build\``);
  }
  const { createSigner, signTx } = signerPackage;
  if (typeof createSigner !== 'function' || typeof signTx !== 'function') {
    return skipAll('@aesc/signer is built without createSigner/signTx (not written yet?)');
  }

  const request = signRequest.tx;
  const signer = await createSigner(signRequest.signerKey.secretKey);
  const keyObject = ed25519KeyObject(signRequest.signerKey.seed);

  const ours = async () => {
    const tx = decodeTx(request, 'channel_offchain_tx');
    const signedTx = await signTx(tx, signer);
    return { tx: encodeTx(signedTx), hash: txHash(signedTx) };
  };
  const hand = () => signRequestRound(request, keyObject);

  const account = sdkAccount(signRequest.signerKey.seed);
  const sdkSameSizeTx = sameSizeSpendTx(
    signRequest.unsignedBytes.length,
    account.address,
    sdkAddress(key('k1').publicKey),
  );
  const channelIdBytes = rlpDecode(signRequest.unsignedBytes)[2];
  const sdkOffchainTx = offchainTxV2(channelIdBytes, 284);
  const sdkSameSize = () => sdkSignRound(account, sdkSameSizeTx, Tag.SpendTx);
  const sdkOwnOffchain = () => sdkSignRound(account, sdkOffchainTx, Tag.ChannelOffChainTx);

  // Every side is checked once, on its output, before anything is timed.
  const oursResult = await ours();
  const handResult = hand();
  if (oursResult.tx !== handResult.tx || oursResult.hash !== handResult.hash) {
    throw new Error(`ours and hand-composed differ:\n  ${JSON.stringify(oursResult)}\n  ${JSON.stringify(handResult)}`);
  }
  const signed = decodeTx(oursResult.tx, 'signed_tx');
  const [signature] = signed.signatures;
  if (signed.signatures.length !== 1 || hexFromBytes(signature) !== hexFromBytes(signRequest.expectedSignature)) {
    throw new Error("our signature is not the reference's k0 signature over the same bytes");
  }
  if (hexFromBytes(serializeTx(signed.tx)) !== hexFromBytes(signRequest.unsignedBytes)) {
    throw new Error('our signed tx does not wrap the request bytes');
  }
  checkSdkRound(await sdkSameSize(), sdkSameSizeTx, signRequest.signerKey.publicKey);
  checkSdkRound(await sdkOwnOffchain(), sdkOffchainTx, signRequest.signerKey.publicKey);

  const [oursTime, handTime, sdkSameSizeTime, sdkOwnOffchainTime] = await compare([
    ours,
    hand,
    sdkSameSize,
    sdkOwnOffchain,
  ]);
  const size = signRequest.unsignedBytes.length;
  const sdkOffchainSize = sdkDecode(sdkOffchainTx).length;
  const breakdown = await timeSteps(compare, { signer, signTx, keyObject, account, sdkSameSizeTx, oursResult });
  breakdown.unshift(
    { side: 'ours', name: 'whole round (from the comparison above)', ns: oursTime.ns },
    { side: 'SDK', name: 'whole round, same-size SpendTx (from the comparison above)', ns: sdkSameSizeTime.ns },
  );
  return [
    fasterRow({
      id: 'sign-round-sdk-same-size',
      name: NAMES.sdkSameSize,
      oursNs: oursTime.ns,
      otherNs: sdkSameSizeTime.ns,
      ratio: pairedRatio(sdkSameSizeTime, oursTime),
      timing: { ours: oursTime, other: sdkSameSizeTime },
      otherLabel: 'SDK',
      atLeast: 25,
      breakdownTitle: 'sign round, step by step (the steps of each side timed interleaved)',
      breakdown,
      notes: [
        `ours: decodeTx + signTx + encodeTx + txHash on ${signRequest.id} (${size} B, ${request.length} chars); SDK: unpackTx + MemoryAccount.signTransaction + buildTxHash on a SpendTx it built of the same ${size} B`,
        `the SDK cannot unpack the v0.14 off-chain tx: ${sdkVerdictOnV014(signRequest.unsignedBytes)}`,
      ],
    }),
    fasterRow({
      id: 'sign-round-sdk-own-offchain',
      name: NAMES.sdkOwnOffchain,
      oursNs: oursTime.ns,
      otherNs: sdkOwnOffchainTime.ns,
      ratio: pairedRatio(sdkOwnOffchainTime, oursTime),
      timing: { ours: oursTime, other: sdkOwnOffchainTime },
      otherLabel: 'SDK',
      atLeast: 25,
      notes: [`SDK on its own (v2) off-chain tx of ${sdkOffchainSize} B, ours still on the ${size} B v0.14 tx`],
    }),
    withinRow({
      id: 'sign-round-hand',
      name: NAMES.hand,
      oursNs: oursTime.ns,
      otherNs: handTime.ns,
      ratio: pairedRatio(oursTime, handTime),
      timing: { ours: oursTime, other: handTime },
      otherLabel: 'hand',
      atMost: 1.3,
      notes: [
        'hand: the fastest primitive of each step: @aesc/encoding base58check and blake2b256, rlp decode, tag/vsn/field-count check, node:crypto ed25519 (cached KeyObject), rlp encode; same tx$ and th$ out as ours',
      ],
    }),
  ];
}

/**
 * The steps of both rounds, to show where the time goes. Steps of one side are timed
 * interleaved with each other (`compare`), each group after the other.
 */
async function timeSteps(compare, { signer, signTx, keyObject, account, sdkSameSizeTx, oursResult }) {
  const request = signRequest.tx;
  const tx = decodeTx(request, 'channel_offchain_tx');
  const signedTx = await signTx(tx, signer);
  const signedBytes = serializeTx(signedTx);
  const signedWithChecksum = new Uint8Array(signedBytes.length + 4);
  signedWithChecksum.set(signedBytes);
  signedWithChecksum.set(sha256(sha256(signedBytes)).subarray(0, 4), signedBytes.length);
  if (`tx$${base58.encode(signedWithChecksum)}` !== oursResult.tx) throw new Error('breakdown: base58 step differs');
  const requestBody = request.slice(3);
  const sdkSigned = await account.signTransaction(sdkSameSizeTx, { networkId: NETWORK_ID });
  const sdkMessage = sdkMessageToSign(sdkSameSizeTx);
  const groups = [
    [
      ['ours', 'decodeTx (base58check, strict RLP, Tx object)', () => decodeTx(request, 'channel_offchain_tx')],
      ['ours', 'signTx (serialize unsigned, ed25519, sort)', () => signTx(tx, signer)],
      ['ours', 'encodeTx(signed)', () => encodeTx(signedTx)],
      ['ours', 'txHash(signed)', () => txHash(signedTx)],
    ],
    [
      ['primitive', `@scure/base base58 decode, ${requestBody.length} chars (request)`, () => base58.decode(requestBody)],
      ['primitive', `@scure/base base58 encode, ${signedWithChecksum.length} B (signed tx + checksum)`, () => base58.encode(signedWithChecksum)],
      ['primitive', 'node:crypto ed25519 sign, cached KeyObject', () => nodeSign(null, signRequest.unsignedBytes, keyObject)],
      ['primitive', `@noble/hashes blake2b-256, ${signedBytes.length} B`, () => blake2b(signedBytes, { dkLen: 32 })],
    ],
    [
      ['primitive', `@aesc/encoding base58check decode, ${requestBody.length} chars (request, with its checksum)`, () => decodeBase58check(request, 'tx')],
      ['primitive', `@aesc/encoding base58check encode, ${signedBytes.length} B (signed tx, with its checksum)`, () => encodeBase58check('tx', signedBytes)],
      ['primitive', `@scure/base base58 + @noble/hashes sha256² checksum, encode ${signedBytes.length} B`, () => base58.encode(withNobleChecksum(signedBytes))],
      ['primitive', `@aesc/encoding blake2b256, ${signedBytes.length} B`, () => blake2b256(signedBytes)],
    ],
    [
      ['SDK', 'unpackTx', () => unpackTx(sdkSameSizeTx, Tag.SpendTx)],
      ['SDK', 'MemoryAccount.signTransaction', () => account.signTransaction(sdkSameSizeTx, { networkId: NETWORK_ID })],
      ['SDK', 'its ed25519 signature alone (tweetnacl, via unsafeSign)', () => account.unsafeSign(sdkMessage)],
      ['SDK', 'buildTxHash', () => buildTxHash(sdkSigned)],
    ],
  ];
  const timed = [];
  for (const steps of groups) {
    const results = await compare(steps.map(([, , fn]) => fn));
    steps.forEach(([side, name], index) => timed.push({ side, name, ns: results[index].ns }));
  }
  return timed;
}

function withNobleChecksum(payload) {
  const withChecksum = new Uint8Array(payload.length + 4);
  withChecksum.set(payload);
  withChecksum.set(sha256(sha256(payload)).subarray(0, 4), payload.length);
  return withChecksum;
}

function skipAll(reason) {
  return Object.entries(NAMES).map(([id, name]) => skippedRow({ id: `sign-round-${id}`, name, reason }));
}

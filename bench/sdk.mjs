/*
 * @aeternity/aepp-sdk v14 on the work of each row. The SDK of today cannot read the bytes of
 * 2018: its `ChannelOffChainTx` is version 2 (`channelId, round, stateHash`), its
 * `ChannelCreateTx` version 2 (with delegate ids and a state hash), its `tx_` strings are
 * base64check and it signs `networkId ‖ blake2b(tx)`. `unpackTx` of the v0.14 off-chain tx
 * fails with `SchemaNotFoundError` (tag 57 version 1). So each row gives it its own nearest
 * equivalent, built by the SDK itself, and says which.
 */
import { createPublicKey, verify } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import {
  buildTx,
  buildTxHash,
  decode as sdkDecode,
  encode as sdkEncode,
  Encoding,
  MemoryAccount,
  Tag,
  unpackTx,
} from '@aeternity/aepp-sdk';
import { decode as rlpDecode } from 'rlp';
import { base58checkEncode } from './hand.mjs';

export const NETWORK_ID = 'ae_mainnet';
export { Tag, unpackTx, buildTx, buildTxHash };

/** What the SDK says when given the v0.14 sign request (for the README and the output). */
export function sdkVerdictOnV014(unsignedBytes) {
  try {
    unpackTx(sdkEncode(Buffer.from(unsignedBytes), Encoding.Transaction));
    return 'unpacked (unexpected)';
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

export function sdkAccount(seed) {
  return new MemoryAccount(sdkEncode(Buffer.from(seed), Encoding.AccountSecretKey));
}

export function sdkAddress(publicKey) {
  return sdkEncode(Buffer.from(publicKey), Encoding.AccountAddress);
}

/**
 * A SpendTx whose serialization has exactly `size` bytes: the same bytes through base64,
 * sha256, blake2b and RLP as the off-chain tx on our side.
 */
export function sameSizeSpendTx(size, sender, recipient) {
  for (let payloadSize = 0; payloadSize <= size; payloadSize++) {
    const encoded = buildTx({
      tag: Tag.SpendTx,
      senderId: sender,
      recipientId: recipient,
      amount: '954595',
      fee: '100000000000000',
      ttl: 0,
      nonce: 284,
      payload: sdkEncode(Buffer.alloc(payloadSize, 0x61), Encoding.Bytearray),
    });
    const length = sdkDecode(encoded).length;
    if (length === size) return encoded;
    if (length > size) break;
  }
  throw new Error(`no SpendTx of exactly ${size} bytes`);
}

/** The SDK's own off-chain state tx (version 2), for the same channel and round. */
export function offchainTxV2(channelIdBytes, round) {
  return buildTx({
    tag: Tag.ChannelOffChainTx,
    channelId: sdkEncode(Buffer.from(channelIdBytes), Encoding.Channel),
    round,
    stateHash: sdkEncode(Buffer.alloc(32, 0x5a), Encoding.State),
  });
}

/**
 * The bytes `signTransaction` signs, built as the SDK builds them (`getBufferToSign`, which the
 * package does not export): a Buffer of `networkId ‖ blake2b-256(tx)`.
 */
export function sdkMessageToSign(encodedTx) {
  return Buffer.concat([Buffer.from(NETWORK_ID), blake2b(sdkDecode(encodedTx), { dkLen: 32 })]);
}

/** The SDK's sign-request round: unpack (checks the tag), sign, hash. */
export async function sdkSignRound(account, requestTx, expectedTag) {
  unpackTx(requestTx, expectedTag);
  const signedTx = await account.signTransaction(requestTx, { networkId: NETWORK_ID });
  return { tx: signedTx, hash: buildTxHash(signedTx) };
}

/**
 * Checks one SDK round with independent primitives: the signed tx is `[11, 1, [sig], request
 * bytes]`, its one signature verifies (node:crypto) over `networkId ‖ blake2b(request)`, and
 * the hash is blake2b-256 of the signed bytes.
 */
export function checkSdkRound(result, requestTx, publicKey) {
  const requestBytes = sdkDecode(requestTx);
  const signedBytes = sdkDecode(result.tx);
  const [tag, vsn, signatures, inner] = rlpDecode(signedBytes);
  if (tag[0] !== 11 || vsn[0] !== 1 || signatures.length !== 1) throw new Error('SDK signed tx is not [11, 1, [sig], tx]');
  if (!Buffer.from(inner).equals(Buffer.from(requestBytes))) throw new Error('SDK signed a different tx');
  const message = sdkMessageToSign(requestTx);
  const publicKeyObject = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKey)]),
    format: 'der',
    type: 'spki',
  });
  if (!verify(null, message, publicKeyObject, signatures[0])) throw new Error('SDK signature does not verify');
  const expectedHash = base58checkEncode('th', blake2b(signedBytes, { dkLen: 32 })).replace('th$', 'th_');
  if (result.hash !== expectedHash) throw new Error(`SDK hash ${result.hash} is not ${expectedHash}`);
}

/** ChannelCreateTx (v2) parameters carrying the values of our create tx. */
export function createParams(tx) {
  return {
    tag: Tag.ChannelCreateTx,
    initiator: sdkAddress(tx.initiator),
    initiatorAmount: tx.initiator_amount.toString(),
    responder: sdkAddress(tx.responder),
    responderAmount: tx.responder_amount.toString(),
    channelReserve: tx.channel_reserve.toString(),
    lockPeriod: tx.lock_period.toString(),
    ttl: Number(tx.ttl),
    fee: tx.fee.toString(),
    initiatorDelegateIds: [],
    responderDelegateIds: [],
    stateHash: sdkEncode(Buffer.alloc(32), Encoding.State),
    nonce: Number(tx.nonce),
  };
}

export { sdkDecode, sdkEncode, Encoding };

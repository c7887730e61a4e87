export { assertBigint, assertBytes, assertString, describe, isBytes, plainBytes } from './assert.js';
export {
  assertEncoded,
  decode,
  encode,
  isEncoded,
  MAX_ENCODED_LENGTH,
  type Parsed,
  parse,
} from './base58check.js';
export { EncodingError, type EncodingErrorCode, type EncodingErrorContext } from './errors.js';
export { blake2b256, sha256 } from './hashes.js';
export { bytesToHex, hexToBytes } from './hex.js';
export {
  type AccountPubkey,
  type ChannelId,
  type Encoded,
  type EncodedSignature,
  type EncodedState,
  type EncodedTx,
  isDerSignature,
  isLegacyPubkey,
  isSignature,
  isPrefix,
  MAX_VARIABLE_PAYLOAD,
  maxPayloadSize,
  PREFIXES,
  type Prefix,
  type TxHash,
} from './prefixes.js';

import { assertString, isBytes } from './assert.js';
import { EncodingError } from './errors.js';

/**
 * The 14 prefixes of epoch v0.14 (`aec_base58c`), WIRE.md §1.2, and the payload sizes the node
 * produces for each. v0.14 itself checks no size; we do, so that a value of the wrong kind
 * cannot pass for another.
 */
export const PREFIXES = [
  'ak', // account public key
  'ok', // oracle public key
  'pp', // peer (noise) public key
  'ch', // channel id
  'th', // transaction hash
  'tx', // serialized transaction (unsigned or signed_tx)
  'sg', // signature
  'bh', // block hash
  'bx', // block transactions hash
  'bs', // block state hash
  'oq', // oracle query id
  'cm', // name commitment
  'nm', // name hash
  'st', // off-chain state (empty in v0.14)
] as const;

export type Prefix = (typeof PREFIXES)[number];

/** A `prefix$base58check` string, typed by its prefix: `Encoded<'ak'>` is `` `ak$${string}` ``. */
export type Encoded<P extends Prefix = Prefix> = `${P}$${string}`;

export type AccountPubkey = Encoded<'ak'>;
export type ChannelId = Encoded<'ch'>;
export type TxHash = Encoded<'th'>;
export type EncodedTx = Encoded<'tx'>;
export type EncodedSignature = Encoded<'sg'>;
export type EncodedState = Encoded<'st'>;

const PREFIX_SET: ReadonlySet<string> = new Set(PREFIXES);

export function isPrefix(value: unknown): value is Prefix {
  return typeof value === 'string' && PREFIX_SET.has(value);
}

/** A prefix argument: TypeError if not a string, EncodingError UNKNOWN_PREFIX if not one of the 14. */
export function assertPrefix(value: unknown, name: string): asserts value is Prefix {
  if (isPrefix(value)) return;
  assertString(value, name);
  throw new EncodingError('UNKNOWN_PREFIX', `${name}: unknown prefix "${printable(value)}"`, { prefix: printable(value) });
}

/** Keeps error messages one line, short and free of control characters, whatever the input held. */
export function printable(text: string): string {
  const clipped = text.length > 16 ? `${text.slice(0, 16)}…` : text;
  return clipped.replace(/[^\x20-\x7e…]/g, '?');
}

/**
 * Largest payload of a prefix that has no fixed size (`tx`, `st`): 65 532 bytes, so that payload
 * and checksum are at most 64 KiB. The node checks no size; this bound keeps base58's quadratic
 * work on hostile input bounded (the longest value, 89 503 characters, converts in some tens of
 * milliseconds; see the README), and the input length is capped before any base58 work. It
 * leaves room for any transaction of the channel protocol (a close_solo carrying a co-signed
 * state is ~400 bytes; a spend_tx may carry a payload of kilobytes, an off-chain state many
 * updates). Tools built on @scure/base 2 convert at most 2 048 bytes, so they cannot read a value
 * of more than 2 044 bytes; bs58check reads every size.
 */
export const MAX_VARIABLE_PAYLOAD = 65_532;

/** A DER ECDSA signature `30 len 02 rlen r 02 slen s` as the legacy secp256k1 era wrote them. */
export function isDerSignature(bytes: Uint8Array): boolean {
  if (!isBytes(bytes)) return false;
  const total = bytes.length;
  if (total < 8 || total > 72 || bytes[0] !== 0x30 || bytes[1] !== total - 2) return false;
  if (bytes[2] !== 0x02) return false;
  const rLength = bytes[3] ?? 0;
  if (rLength < 1 || rLength > 33 || 4 + rLength + 2 > total) return false;
  if (bytes[4 + rLength] !== 0x02) return false;
  const sLength = bytes[5 + rLength] ?? 0;
  return sLength >= 1 && sLength <= 33 && 6 + rLength + sLength === total;
}

/** A legacy uncompressed secp256k1 public key `04 ‖ X ‖ Y`. */
export function isLegacyPubkey(bytes: Uint8Array): boolean {
  return isBytes(bytes) && bytes.length === 65 && bytes[0] === 0x04;
}

/** A signature a `signed_tx` may hold (and an `sg$` payload): 64 bytes (ed25519) or DER (legacy secp256k1). */
export function isSignature(value: unknown): boolean {
  return isBytes(value) && (value.length === 64 || isDerSignature(value));
}

interface PayloadRule {
  /** Largest payload, in bytes (caps the input length before any base58 work). */
  readonly max: number;
  readonly fits: (bytes: Uint8Array) => boolean;
  /** The rule, as an error message says it. */
  readonly says: string;
}

const VARIABLE: PayloadRule = { max: MAX_VARIABLE_PAYLOAD, fits: (bytes) => bytes.length <= MAX_VARIABLE_PAYLOAD, says: `at most ${MAX_VARIABLE_PAYLOAD} bytes` };
const PUBKEY: PayloadRule = { max: 65, fits: (bytes) => bytes.length === 32 || isLegacyPubkey(bytes), says: '32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1)' };
const HASH: PayloadRule = { max: 32, fits: (bytes) => bytes.length === 32, says: '32 bytes' };

/** The payload each prefix carries (WIRE.md §1.2): one table for the size check and the length cap. */
const PAYLOAD_RULES: Readonly<Record<Prefix, PayloadRule>> = {
  ak: PUBKEY,
  ok: PUBKEY,
  pp: HASH,
  ch: HASH,
  th: HASH,
  tx: VARIABLE,
  sg: { max: 72, fits: isSignature, says: '64 bytes (ed25519), or DER (legacy secp256k1)' },
  bh: HASH,
  bx: HASH,
  bs: HASH,
  oq: HASH,
  cm: HASH,
  nm: HASH,
  st: VARIABLE,
};

/** Throws EncodingError WRONG_PAYLOAD_SIZE unless `bytes` is a valid payload for `prefix` (a known prefix). */
export function checkPayloadSize(prefix: Prefix, bytes: Uint8Array): void {
  const rule = PAYLOAD_RULES[prefix];
  if (!rule.fits(bytes)) {
    throw new EncodingError('WRONG_PAYLOAD_SIZE', `the ${prefix}$ payload must be ${rule.says}, got ${bytes.length} bytes`, {
      prefix,
      size: bytes.length,
    });
  }
}

/** Largest payload `prefix` can carry, in bytes (used to cap input length before decoding). */
export function maxPayloadSize(prefix: Prefix): number {
  assertPrefix(prefix, 'prefix');
  return PAYLOAD_RULES[prefix].max;
}

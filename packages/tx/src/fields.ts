import { bytesToHex, describe, hexToBytes, isBytes, isLegacyPubkey, plainBytes } from '@aesc/encoding';
import { pathError, type TxError, type TxErrorCode } from './errors.js';
import type { RlpItem } from './rlp.js';

/**
 * The kinds of field a transaction layout is made of. The kind fixes the wire form, the TS type
 * and the JSON form of a field, so a layout (a list of `[name, kind]`) drives every direction.
 *
 * | kind      | wire                       | TS               | JSON                 |
 * |-----------|----------------------------|------------------|----------------------|
 * | `int`     | minimal BE bytes, 0 = `00` | `bigint` ≥ 0     | decimal string       |
 * | `pubkey`  | 32 bytes (65 legacy)       | `Uint8Array`     | `ak$…`               |
 * | `id`      | 32 bytes                   | `Uint8Array`     | `ch$…`               |
 * | `bytes`   | any bytes                  | `Uint8Array`     | `0x…` lowercase hex  |
 * | `state`   | any bytes                  | `Uint8Array`     | `st$…`               |
 * | `payload` | any bytes (a signed tx)    | `Uint8Array`     | `tx$…`               |
 * | `updates` | list of `[from, to, amount]` | `OffchainUpdate[]` | `[{from, to, amount}]` |
 */
export type FieldKind = 'int' | 'pubkey' | 'id' | 'bytes' | 'state' | 'payload' | 'updates';

/** One transfer of an off-chain state (the only update kind of this era, WIRE.md §5). */
export interface OffchainUpdate {
  from: Uint8Array;
  to: Uint8Array;
  amount: bigint;
}

export interface FieldValueOf {
  int: bigint;
  pubkey: Uint8Array;
  id: Uint8Array;
  bytes: Uint8Array;
  state: Uint8Array;
  payload: Uint8Array;
  updates: OffchainUpdate[];
}

export type FieldSpec = readonly [name: string, kind: FieldKind];

/** The TS object shape a layout describes. */
export type FieldsOf<Layout extends readonly FieldSpec[]> = {
  -readonly [Spec in Layout[number] as Spec[0]]: FieldValueOf[Spec[1]];
};

// ---------------------------------------------------------------------------------------------
// Integers: unsigned, minimal big-endian, zero is the single byte 00 (WIRE.md §2.2).

const ZERO = Uint8Array.of(0);

export function intToBytes(value: bigint): Uint8Array {
  if (value < 0x100n) return value === 0n ? ZERO : Uint8Array.of(Number(value));
  if (value <= 0xffffffffffffn) {
    // amounts, nonces, rounds and ttls: exact as a number, and written faster than through hex
    let rest = Number(value);
    let size = 0;
    for (let left = rest; left >= 1; left /= 256) size++;
    const bytes = new Uint8Array(size);
    for (let index = size - 1; index >= 0; index--, rest = Math.floor(rest / 256)) bytes[index] = rest;
    return bytes;
  }
  const digits = value.toString(16);
  return hexToBytes(digits.length % 2 === 1 ? `0${digits}` : digits);
}

export function bytesToInt(bytes: Uint8Array, path: string): bigint {
  if (bytes.length === 0) throw pathError('NON_CANONICAL_INT', path, 'zero written as the empty string 80; canonical is 00');
  if (bytes.length > 1 && bytes[0] === 0) throw pathError('NON_CANONICAL_INT', path, 'integer with a leading zero byte');
  if (bytes.length <= 6) {
    let value = 0;
    for (const byte of bytes) value = value * 256 + byte;
    return BigInt(value);
  }
  return BigInt(`0x${bytesToHex(bytes)}`);
}

// ---------------------------------------------------------------------------------------------
// Wire <-> TS, per kind.

export function expectBytes(item: RlpItem, path: string): Uint8Array {
  if (!isBytes(item)) throw pathError('EXPECTED_BYTES', path, 'a list where a byte string is required');
  return item;
}

export function expectList(item: RlpItem, path: string): RlpItem[] {
  if (isBytes(item)) throw pathError('EXPECTED_LIST', path, 'a byte string where a list is required');
  return item;
}

/**
 * Checks the size of a key (`id` false) or channel id (`id` true) at `path`: a decoded one
 * (`code` WRONG_FIELD_SIZE) or one about to be written (INVALID_FIELD), with one message.
 */
function checkSize(bytes: Uint8Array, path: string, id: boolean, code: TxErrorCode): Uint8Array {
  if (id ? bytes.length !== 32 : bytes.length !== 32 && !isLegacyPubkey(bytes)) {
    throw pathError(code, path, `${id ? 'a channel id is 32 bytes' : PUBKEY_SIZES}, got ${bytes.length}`);
  }
  return bytes;
}

/** The sizes a public key may have, as messages say them. */
export const PUBKEY_SIZES = 'a public key is 32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1)';

/**
 * The TS value of a field from its RLP item. Byte fields are copies (plain Uint8Arrays of their
 * own), never views into the input: a caller that reuses its buffer must not change a decoded tx.
 */
export function decodeField(kind: FieldKind, item: RlpItem, path: string): FieldValueOf[FieldKind] {
  switch (kind) {
    case 'int':
      return bytesToInt(expectBytes(item, path), path);
    case 'pubkey':
    case 'id':
      return new Uint8Array(checkSize(expectBytes(item, path), path, kind === 'id', 'WRONG_FIELD_SIZE'));
    case 'bytes':
    case 'state':
    case 'payload':
      return new Uint8Array(expectBytes(item, path));
    case 'updates':
      return expectList(item, path).map((entry, index) => {
        const entryPath = `${path}[${index}]`;
        const triple = expectList(entry, entryPath);
        if (triple.length !== 3) throw pathError('WRONG_FIELD_COUNT', entryPath, `an update is [from, to, amount], got ${triple.length} item(s)`);
        return {
          from: decodeField('pubkey', triple[0] as RlpItem, `${entryPath}.from`) as Uint8Array,
          to: decodeField('pubkey', triple[1] as RlpItem, `${entryPath}.to`) as Uint8Array,
          amount: decodeField('int', triple[2] as RlpItem, `${entryPath}.amount`) as bigint,
        };
      });
  }
}

/**
 * Checks a TS value against its kind, so that a bad value fails with the field's name (TxError
 * INVALID_FIELD), and returns it ready to write: byte arrays of a subclass or of another realm
 * as plain views, updates as a new dense array of checked `{from, to, amount}`. The codec and
 * the JSON form both write what this returns.
 */
export function checkField<K extends FieldKind>(kind: K, value: unknown, path: string): FieldValueOf[K];
export function checkField(kind: FieldKind, value: unknown, path: string): FieldValueOf[FieldKind] {
  switch (kind) {
    case 'int':
      return checkInt(value, path);
    case 'pubkey':
    case 'id':
      if (!isBytes(value)) throw invalid(path, 'a 32-byte Uint8Array', value);
      return plainBytes(checkSize(value, path, kind === 'id', 'INVALID_FIELD'));
    case 'bytes':
    case 'state':
    case 'payload':
      if (!isBytes(value)) throw invalid(path, 'a Uint8Array', value);
      return plainBytes(value);
    case 'updates': {
      if (!Array.isArray(value)) throw invalid(path, 'an array of {from, to, amount}', value);
      const updates: OffchainUpdate[] = [];
      // by index: a hole is an update that is missing, not one to skip
      for (let index = 0; index < value.length; index++) {
        const entryPath = `${path}[${index}]`;
        const update: unknown = value[index];
        if (typeof update !== 'object' || update === null) throw invalid(entryPath, 'an object {from, to, amount}', update);
        const { from, to, amount } = update as Record<string, unknown>;
        updates.push({
          from: checkField('pubkey', from, `${entryPath}.from`),
          to: checkField('pubkey', to, `${entryPath}.to`),
          amount: checkField('int', amount, `${entryPath}.amount`),
        });
      }
      return updates;
    }
  }
}

/** The RLP item of a field's TS value, after {@link checkField}. */
export function encodeField(kind: FieldKind, value: unknown, path: string): RlpItem {
  switch (kind) {
    case 'int':
      return intToBytes(checkInt(value, path));
    case 'updates':
      return checkField(kind, value, path).map((update) => [update.from, update.to, intToBytes(update.amount)]);
    default:
      return checkField(kind, value, path);
  }
}

function checkInt(value: unknown, path: string): bigint {
  if (typeof value !== 'bigint') throw invalid(path, 'a bigint', value);
  if (value < 0n) throw pathError('INVALID_FIELD', path, 'integers are unsigned, got a negative bigint');
  return value;
}

function invalid(path: string, expected: string, value: unknown): TxError {
  return pathError('INVALID_FIELD', path, `expected ${expected}, got ${describe(value)}`);
}

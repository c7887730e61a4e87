import { assertBytes, decode, describe, type EncodedTx, encode, isBytes, isSignature, plainBytes } from '@aesc/encoding';
import { pickLayout, type TxDefinition } from './definition.js';
import { pathError, TxError, type TxErrorCode } from './errors.js';
import { bytesToInt, decodeField, encodeField, expectBytes, expectList, intToBytes } from './fields.js';
import {
  clip,
  DEFINITION_BY_TAG,
  DEFINITION_BY_TYPE,
  NON_TX_TAGS,
  unmodelledTxFamily,
  type Tx,
  type TxOfType,
  type TxType,
  type UnsignedTx,
  type UnsignedTxType,
  unsignedDefinition,
} from './registry.js';
import { decodeRlp, decodeRlpFrom, encodeRlp, type RlpItem } from './rlp.js';
import { SIGNED_TX_TAG, SIGNED_TX_VSN, type SignedTx } from './types/signed.js';

/** What `deserializeTx` may return: a given type, any unsigned tx, or (default) anything. */
export type TxExpectation = TxType | 'unsigned' | 'any';

// ---------------------------------------------------------------------------------------------
// Serialization

/** The canonical serialization of `tx` (WIRE.md §3): signatures sorted, zero as `00`. */
export function serializeTx(tx: Tx): Uint8Array {
  return encodeRlp(toRlp(tx));
}

/** `tx$…` of the canonical serialization. */
export function encodeTx(tx: Tx): EncodedTx {
  return encode('tx', serializeTx(tx));
}

function toRlp(tx: Tx): RlpItem {
  // anything but a signed_tx (a non-object too: its TypeError) is for unsignedDefinition to judge
  if ((tx as Tx | null | undefined)?.type !== 'signed_tx') return unsignedToRlp(tx as UnsignedTx, '');
  return [
    intToBytes(BigInt(SIGNED_TX_TAG)),
    intToBytes(BigInt(SIGNED_TX_VSN)),
    checkSignatures((tx as SignedTx).signatures).sort(compareBytes),
    encodeRlp(unsignedToRlp((tx as SignedTx).tx, 'tx')),
  ];
}

/**
 * The signature list of a signed_tx, checked as serializeTx checks it: an array whose every
 * entry (by index: a hole is a missing signature, not one to skip) is what the decoder accepts,
 * 64 bytes or DER; else TxError INVALID_FIELD. Returns a new array (of plain views), safe to sort.
 */
export function checkSignatures(signatures: unknown): Uint8Array[] {
  if (!Array.isArray(signatures)) throw pathError('INVALID_FIELD', 'signatures', `expected an array of Uint8Array, got ${describe(signatures)}`);
  const checked: Uint8Array[] = [];
  for (let index = 0; index < signatures.length; index++) {
    checked.push(plainBytes(checkSignature(signatures[index], `signatures[${index}]`, 'INVALID_FIELD')));
  }
  return checked;
}

/** A signature a signed_tx may hold (64 bytes or DER), to write (`code` INVALID_FIELD) or decoded (WRONG_FIELD_SIZE). */
function checkSignature(signature: unknown, path: string, code: TxErrorCode): Uint8Array {
  if (isSignature(signature)) return signature as Uint8Array;
  const found = isBytes(signature) ? `${signature.length} bytes` : describe(signature);
  throw pathError(code, path, `a signature is 64 bytes (ed25519), or DER (legacy secp256k1), got ${found}`);
}

/** The bytes a signature of `tx` is made over: the unsigned tx's serialization (WIRE.md §6.1). */
export function serializeUnsigned(tx: UnsignedTx): Uint8Array {
  return encodeRlp(unsignedToRlp(tx, ''));
}

function unsignedToRlp(tx: UnsignedTx, path: string): RlpItem[] {
  const definition = unsignedDefinition(tx, path);
  const values = tx as unknown as Record<string, unknown>;
  const items: RlpItem[] = [intToBytes(BigInt(definition.tag)), intToBytes(BigInt(definition.vsn))];
  for (const [name, kind] of pickLayout(definition.layouts, values)) {
    items.push(encodeField(kind, values[name], path === '' ? name : `${path}.${name}`));
  }
  return items;
}

/**
 * The keys that must sign `tx` (WIRE.md §4), in the reference's order, or `undefined` for
 * deposit, withdraw and close_mutual, whose signers are the channel's peers on chain. The tx is
 * checked as {@link serializeUnsigned} checks it: a tx it would refuse names no signers.
 */
export function txSigners(tx: UnsignedTx): Uint8Array[] | undefined {
  const definition = unsignedDefinition(tx, '') as TxDefinition<UnsignedTxType, UnsignedTx>;
  unsignedToRlp(tx, '');
  return definition.signers === 'channel' ? undefined : definition.signers(tx);
}

/** Bytewise order, a proper prefix first: Erlang's binary order, which sorts signature lists. */
export function compareBytes(left: Uint8Array, right: Uint8Array): number {
  assertBytes(left, 'left');
  assertBytes(right, 'right');
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] as number) - (right[index] as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

// ---------------------------------------------------------------------------------------------
// Deserialization

/**
 * Decodes the canonical serialization of a transaction. Strict: anything but the one canonical
 * form (which `serializeTx` gives back byte for byte) is a {@link TxError} with its own code.
 * `expected` restricts what is accepted: a type, `'unsigned'` (any tx but `signed_tx`) or
 * `'any'` (the default).
 */
export function deserializeTx<T extends TxType>(bytes: Uint8Array, expected: T): TxOfType<T>;
export function deserializeTx(bytes: Uint8Array, expected: 'unsigned'): UnsignedTx;
export function deserializeTx(bytes: Uint8Array, expected?: 'any'): Tx;
export function deserializeTx(bytes: Uint8Array, expected?: TxExpectation): Tx;
export function deserializeTx(bytes: Uint8Array, expected: TxExpectation = 'any'): Tx {
  checkExpectation(expected);
  assertBytes(bytes, 'bytes');
  const input = plainBytes(bytes);
  return fromRlp(decodeRlp(input), expected, input);
}

/** Decodes a `tx$…` string (see {@link deserializeTx}); base58 problems throw `EncodingError`. */
export function decodeTx<T extends TxType>(encoded: string, expected: T): TxOfType<T>;
export function decodeTx(encoded: string, expected: 'unsigned'): UnsignedTx;
export function decodeTx(encoded: string, expected?: 'any'): Tx;
export function decodeTx(encoded: string, expected?: TxExpectation): Tx;
export function decodeTx(encoded: string, expected: TxExpectation = 'any'): Tx {
  checkExpectation(expected);
  const input = decode(encoded, 'tx');
  return fromRlp(decodeRlp(input), expected, input);
}

const EXPECTATIONS: ReadonlySet<string> = new Set(['any', 'unsigned', 'signed_tx', ...DEFINITION_BY_TYPE.keys()]);

function checkExpectation(expected: unknown): void {
  if (typeof expected === 'string' && EXPECTATIONS.has(expected)) return;
  const shown = typeof expected === 'string' ? JSON.stringify(clip(expected)) : describe(expected);
  const message = `expected must be a transaction type, 'unsigned' or 'any', got ${shown}`;
  throw typeof expected === 'string' ? new RangeError(message) : new TypeError(message);
}

/** `item` is `decodeRlp(input)`, `input` a plain Uint8Array: it places an inner transaction's errors. */
function fromRlp(item: RlpItem, expected: TxExpectation, input: Uint8Array): Tx {
  const list = expectList(item, 'transaction');
  if (list.length < 2) {
    throw new TxError('WRONG_FIELD_COUNT', `a transaction starts with tag and version, got ${list.length} item(s)`, {
      path: 'transaction',
    });
  }
  const tagValue = bytesToInt(expectBytes(list[0] as RlpItem, 'tag'), 'tag');
  const tag = tagValue > 0xffffn ? -1 : Number(tagValue);
  const fields = list.slice(2);
  if (tag === SIGNED_TX_TAG) {
    if (expected !== 'any' && expected !== 'signed_tx') {
      throw new TxError('WRONG_TAG', `expected ${describeExpectation(expected)}, got a signed_tx (tag 11)`, { tag });
    }
    checkVersion(list[1] as RlpItem, SIGNED_TX_VSN, 'signed_tx');
    return signedFromRlp(fields, input);
  }
  const definition = DEFINITION_BY_TAG.get(tag);
  if (definition === undefined) {
    const what = NON_TX_TAGS.get(tag);
    const other = unmodelledTxFamily(tag);
    const message =
      what !== undefined
        ? `tag ${tag} is ${what}, not a transaction`
        : other !== undefined
          ? `tag ${tag} is ${other} transaction, which this codec does not model (channels and spend only)`
          : `unknown tag ${tagValue}`;
    throw new TxError('UNKNOWN_TAG', message, { tag });
  }
  if (expected !== 'any' && expected !== 'unsigned' && expected !== definition.type) {
    throw new TxError('WRONG_TAG', `expected ${describeExpectation(expected)}, got a ${definition.type} (tag ${tag})`, {
      tag,
    });
  }
  checkVersion(list[1] as RlpItem, definition.vsn, definition.type);
  const layout = definition.layouts.find((candidate) => candidate.length === fields.length);
  if (layout === undefined) {
    const counts = definition.layouts.map((candidate) => candidate.length).join(' or ');
    throw new TxError(
      'WRONG_FIELD_COUNT',
      `a ${definition.type} has ${counts} fields after tag and version, got ${fields.length}`,
      { tag },
    );
  }
  const tx: Record<string, unknown> = { type: definition.type };
  layout.forEach(([name, kind], index) => {
    tx[name] = decodeField(kind, fields[index] as RlpItem, name);
  });
  return tx as unknown as Tx;
}

function signedFromRlp(fields: RlpItem[], input: Uint8Array): SignedTx {
  if (fields.length !== 2) {
    throw new TxError(
      'WRONG_FIELD_COUNT',
      `a signed_tx has 2 fields after tag and version, got ${fields.length}`,
      { tag: SIGNED_TX_TAG },
    );
  }
  const signatures = expectList(fields[0] as RlpItem, 'signatures').map((item, index) => {
    const path = `signatures[${index}]`;
    // a copy, not a view into the caller's input
    return new Uint8Array(checkSignature(expectBytes(item, path), path, 'WRONG_FIELD_SIZE'));
  });
  for (let index = 1; index < signatures.length; index++) {
    if (compareBytes(signatures[index - 1] as Uint8Array, signatures[index] as Uint8Array) > 0) {
      throw new TxError(
        'NON_CANONICAL_ORDER',
        `signatures[${index}] sorts before signatures[${index - 1}] (canonical order: ascending bytewise)`,
        { path: `signatures[${index}]` },
      );
    }
  }
  const inner = expectBytes(fields[1] as RlpItem, 'transaction');
  let tx: UnsignedTx;
  try {
    // the last item of the list that fills `input`: its last bytes
    tx = fromRlp(decodeRlpFrom(input, input.length - inner.length), 'unsigned', input) as UnsignedTx;
  } catch (error) {
    if (!(error instanceof TxError)) throw error;
    const path = error.context.path === undefined ? 'tx' : `tx.${error.context.path}`;
    throw new TxError(error.code, `inner transaction: ${error.message}`, { ...error.context, path });
  }
  return { type: 'signed_tx', signatures, tx };
}

function checkVersion(item: RlpItem, expectedVsn: number, type: string): void {
  const vsn = bytesToInt(expectBytes(item, 'vsn'), 'vsn');
  if (vsn !== BigInt(expectedVsn)) {
    throw new TxError('WRONG_VERSION', `${type} version ${vsn} is not ${expectedVsn}, the only one of this era`, {
      path: 'vsn',
    });
  }
}

function describeExpectation(expected: TxExpectation): string {
  return expected === 'unsigned' ? 'an unsigned transaction' : `a ${expected}`;
}

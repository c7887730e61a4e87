import { assertBytes, decode, describe, type EncodedTx, encode, isDerSignature } from '@aesc/encoding';
import type { TxDefinition } from './definition.js';
import { TxError } from './errors.js';
import { bytesToInt, decodeField, encodeField, expectBytes, expectList, type FieldSpec, intToBytes } from './fields.js';
import {
  DEFINITION_BY_TAG,
  DEFINITION_BY_TYPE,
  NON_TX_TAGS,
  OTHER_TX_TAGS,
  type Tx,
  type TxOfType,
  type TxType,
  type UnsignedTx,
} from './registry.js';
import { decodeRlp, encodeRlp, type RlpItem } from './rlp.js';
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
  if (typeof tx !== 'object' || tx === null) throw new TypeError(`tx must be a transaction object, got ${describe(tx)}`);
  if (tx.type === 'signed_tx') {
    if (!Array.isArray(tx.signatures)) {
      throw new TxError('INVALID_FIELD', `signatures: expected an array of Uint8Array, got ${describe(tx.signatures)}`, {
        path: 'signatures',
      });
    }
    const signatures = tx.signatures.map((signature, index) => {
      assertSignatureShape(signature, `signatures[${index}]`);
      return signature;
    });
    return [
      intToBytes(BigInt(SIGNED_TX_TAG)),
      intToBytes(BigInt(SIGNED_TX_VSN)),
      signatures.sort(compareBytes),
      serializeUnsigned(tx.tx),
    ];
  }
  return unsignedToRlp(tx);
}

/** The bytes a signature of `tx` is made over: the unsigned tx's serialization (WIRE.md §6.1). */
export function serializeUnsigned(tx: UnsignedTx): Uint8Array {
  if (typeof tx !== 'object' || tx === null) throw new TypeError(`tx must be a transaction object, got ${describe(tx)}`);
  if ((tx as Tx).type === 'signed_tx') {
    throw new TxError('INVALID_FIELD', 'tx: a signed_tx cannot be wrapped in another signed_tx', { path: 'tx' });
  }
  return encodeRlp(unsignedToRlp(tx));
}

function unsignedToRlp(tx: UnsignedTx): RlpItem {
  const definition = DEFINITION_BY_TYPE.get(tx.type);
  if (definition === undefined) {
    throw new TxError('INVALID_FIELD', `type: unknown transaction type ${JSON.stringify(String(tx.type)).slice(0, 60)}`, {
      path: 'type',
    });
  }
  const values = tx as unknown as Record<string, unknown>;
  const layout = pickLayout(definition.layouts, values);
  const items: RlpItem[] = [intToBytes(BigInt(definition.tag)), intToBytes(BigInt(definition.vsn))];
  for (const [name, kind] of layout) items.push(encodeField(kind, values[name], name));
  return items;
}

/** The layout of the most fields that the value fills (close_mutual: with `from`, the legacy one). */
function pickLayout(layouts: TxDefinition['layouts'], values: Record<string, unknown>): readonly FieldSpec[] {
  if (layouts.length === 1) return layouts[0] as readonly FieldSpec[];
  let chosen: readonly FieldSpec[] | undefined;
  for (const layout of layouts) {
    if (layout.every(([name]) => values[name] !== undefined) && (chosen === undefined || layout.length > chosen.length)) {
      chosen = layout;
    }
  }
  return chosen ?? (layouts[0] as readonly FieldSpec[]);
}

function assertSignatureShape(signature: unknown, path: string): void {
  try {
    assertBytes(signature, path);
  } catch (error) {
    throw new TxError('INVALID_FIELD', (error as Error).message, { path });
  }
}

/** Bytewise order, a proper prefix first: Erlang's binary order, which sorts signature lists. */
export function compareBytes(left: Uint8Array, right: Uint8Array): number {
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
export function deserializeTx(bytes: Uint8Array, expected: TxExpectation = 'any'): Tx {
  assertBytes(bytes, 'bytes');
  return fromRlp(decodeRlp(bytes), expected);
}

/** Decodes a `tx$…` string (see {@link deserializeTx}); base58 problems throw `EncodingError`. */
export function decodeTx<T extends TxType>(encoded: string, expected: T): TxOfType<T>;
export function decodeTx(encoded: string, expected: 'unsigned'): UnsignedTx;
export function decodeTx(encoded: string, expected?: 'any'): Tx;
export function decodeTx(encoded: string, expected: TxExpectation = 'any'): Tx {
  return fromRlp(decodeRlp(decode(encoded, 'tx')), expected);
}

function fromRlp(item: RlpItem, expected: TxExpectation): Tx {
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
    return signedFromRlp(fields);
  }
  const definition = DEFINITION_BY_TAG.get(tag);
  if (definition === undefined) {
    const what = NON_TX_TAGS.get(tag);
    const other = OTHER_TX_TAGS.get(tag);
    const message =
      what !== undefined
        ? `tag ${tag} is ${what}, not a transaction`
        : other !== undefined
          ? `tag ${tag} is ${other}, which this codec does not model (channels and spend only)`
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

function signedFromRlp(fields: RlpItem[]): SignedTx {
  if (fields.length !== 2) {
    throw new TxError(
      'WRONG_FIELD_COUNT',
      `a signed_tx has 2 fields after tag and version (signatures, transaction), got ${fields.length}`,
      { tag: SIGNED_TX_TAG },
    );
  }
  const signatures = expectList(fields[0] as RlpItem, 'signatures').map((item, index) => {
    const path = `signatures[${index}]`;
    const signature = expectBytes(item, path);
    if (signature.length !== 64 && !isDerSignature(signature)) {
      throw new TxError(
        'WRONG_FIELD_SIZE',
        `${path}: a signature is 64 bytes (ed25519) or DER (legacy secp256k1), got ${signature.length} bytes`,
        { path },
      );
    }
    return signature.slice();
  });
  for (let index = 1; index < signatures.length; index++) {
    if (compareBytes(signatures[index - 1] as Uint8Array, signatures[index] as Uint8Array) > 0) {
      throw new TxError(
        'NON_CANONICAL_ORDER',
        `signatures[${index}] sorts before signatures[${index - 1}]: the canonical form sorts them ascending bytewise`,
        { path: `signatures[${index}]` },
      );
    }
  }
  const inner = expectBytes(fields[1] as RlpItem, 'transaction');
  let tx: UnsignedTx;
  try {
    tx = fromRlp(decodeRlp(inner), 'unsigned') as UnsignedTx;
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

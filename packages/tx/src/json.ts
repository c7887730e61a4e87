import {
  type AccountPubkey,
  bytesToHex,
  decode,
  describe,
  type EncodedSignature,
  EncodingError,
  encode,
  hexToBytes,
  type Prefix,
} from '@aesc/encoding';
import { checkSignatures } from './codec.js';
import { pickLayout } from './definition.js';
import { TxError } from './errors.js';
import { checkField, type FieldKind } from './fields.js';
import { clip, DEFINITION_BY_TYPE, type Tx, type UnsignedTx, type UnsignedTxType, unsignedDefinition } from './registry.js';
import { SIGNED_TX_TAG, SIGNED_TX_VSN, type SignedTx } from './types/signed.js';

/*
 * The JSON form (DESIGN.md): the reference's snake_case names, `ak$`/`ch$`/`tx$`/`st$` for
 * keys, ids, nested txs and state, decimal strings for every integer, `0x` hex for a spend
 * payload, `{from, to, amount}` for updates, `sg$` for signatures. It is what `aesc inspect
 * --json` prints and `aesc build` reads.
 */

export interface UpdateJSON {
  from: AccountPubkey;
  to: AccountPubkey;
  amount: string;
}

export type FieldJSON = string | UpdateJSON[];

export interface UnsignedTxJSON {
  type: UnsignedTxType;
  tag: number;
  vsn: number;
  fields: Record<string, FieldJSON>;
}

export interface SignedTxJSON {
  type: 'signed_tx';
  tag: typeof SIGNED_TX_TAG;
  vsn: typeof SIGNED_TX_VSN;
  signatures: EncodedSignature[];
  tx: UnsignedTxJSON;
}

export type TxJSON = UnsignedTxJSON | SignedTxJSON;

/**
 * Keys that `aesc inspect --json` adds beside the JSON form. They are computed from the tx,
 * so `fromJSON` ignores them (and `aesc build` recomputes them) rather than trusting them.
 */
const COMPUTED_KEYS = new Set(['hash', 'channel_id', 'payload_tx', 'signers']);

export function toJSON(tx: SignedTx): SignedTxJSON;
export function toJSON(tx: UnsignedTx): UnsignedTxJSON;
export function toJSON(tx: Tx): TxJSON;
export function toJSON(tx: Tx): TxJSON {
  // anything but a signed_tx (a non-object too: its TypeError) is for unsignedDefinition to judge
  if ((tx as Tx | null | undefined)?.type === 'signed_tx') {
    // the signatures serializeTx would write (64 bytes or DER), else INVALID_FIELD
    const signatures = checkSignatures((tx as SignedTx).signatures).map((signature) => encode('sg', signature));
    return { type: 'signed_tx', tag: SIGNED_TX_TAG, vsn: SIGNED_TX_VSN, signatures, tx: unsignedToJSON((tx as SignedTx).tx, 'tx') };
  }
  return unsignedToJSON(tx as UnsignedTx, '');
}

function unsignedToJSON(tx: UnsignedTx, at: string): UnsignedTxJSON {
  const definition = unsignedDefinition(tx, at);
  const values = tx as unknown as Record<string, unknown>;
  const fields: Record<string, FieldJSON> = {};
  // the layout serializeTx writes, chosen by the same rule
  for (const [name, kind] of pickLayout(definition.layouts, values)) {
    fields[name] = fieldToJSON(kind, values[name], join(at, name));
  }
  return { type: definition.type, tag: definition.tag, vsn: definition.vsn, fields };
}

/** The prefix of the JSON string of each kind of byte field but `bytes` (hex). */
const PREFIX_OF_KIND: Readonly<Record<'pubkey' | 'id' | 'state' | 'payload', Prefix>> = { pubkey: 'ak', id: 'ch', state: 'st', payload: 'tx' };

/** The JSON of a field, after the checks serializeTx makes ({@link checkField}). */
function fieldToJSON(kind: FieldKind, value: unknown, path: string): FieldJSON {
  try {
    switch (kind) {
      case 'int':
        return checkField(kind, value, path).toString(10);
      case 'bytes':
        return `0x${bytesToHex(checkField(kind, value, path))}`;
      case 'updates':
        return checkField(kind, value, path).map((update) => ({
          from: encode('ak', update.from),
          to: encode('ak', update.to),
          amount: update.amount.toString(10),
        }));
      default:
        return encode(PREFIX_OF_KIND[kind], checkField(kind, value, path));
    }
  } catch (error) {
    // a payload too large for its tx$/st$ string: a value this form cannot hold
    if (!(error instanceof EncodingError)) throw error;
    throw new TxError('INVALID_FIELD', `${path}: ${error.message}`, { path });
  }
}

/** Reads the JSON form back into a transaction; strict about names, kinds and digits. */
export function fromJSON(json: unknown): Tx {
  const record = asRecord(json, '');
  if (record.type === 'signed_tx') {
    checkKeys(record, ['type', 'tag', 'vsn', 'signatures', 'tx'], ['type', 'signatures', 'tx'], '');
    checkTagVsn(record, { tag: SIGNED_TX_TAG, vsn: SIGNED_TX_VSN }, '');
    if (!Array.isArray(record.signatures)) throw invalidJSON('signatures', 'an array of sg$ strings', record.signatures);
    const signatures = byIndex(record.signatures, (entry, index) => {
      const path = `signatures[${index}]`;
      // `aesc inspect --json` prints {signature, signer, valid}; the plain form is the string.
      const encoded = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).signature : entry;
      return decodeJSONString(encoded, 'sg', path);
    });
    return { type: 'signed_tx', signatures, tx: unsignedFromJSON(record.tx, 'tx') };
  }
  return unsignedFromJSON(record, '');
}

function unsignedFromJSON(json: unknown, at: string): UnsignedTx {
  const record = asRecord(json, at);
  const definition = typeof record.type === 'string' ? DEFINITION_BY_TYPE.get(record.type) : undefined;
  if (definition === undefined) {
    throw invalidJSON(join(at, 'type'), `one of ${[...DEFINITION_BY_TYPE.keys()].join(', ')}`, record.type);
  }
  checkKeys(record, ['type', 'tag', 'vsn', 'fields'], ['type', 'fields'], at);
  checkTagVsn(record, definition, at);
  const fields = asRecord(record.fields, join(at, 'fields'));
  const names = Object.keys(fields);
  const layout = definition.layouts.find(
    (candidate) => candidate.length === names.length && candidate.every(([name]) => names.includes(name)),
  );
  if (layout === undefined) {
    const expected = definition.layouts.map((candidate) => candidate.map(([name]) => name).join(', ')).join(' | or | ');
    throw new TxError(
      'INVALID_JSON',
      `${join(at, 'fields')}: a ${definition.type} has the fields ${expected}; got ${names.join(', ') || 'none'}`,
      { path: join(at, 'fields') },
    );
  }
  const tx: Record<string, unknown> = { type: definition.type };
  for (const [name, kind] of layout) tx[name] = fieldFromJSON(kind, fields[name], join(at, `fields.${name}`));
  return tx as unknown as UnsignedTx;
}

function fieldFromJSON(kind: FieldKind, value: unknown, path: string): unknown {
  switch (kind) {
    case 'int':
      return decimal(value, path);
    case 'bytes':
      if (typeof value !== 'string' || !/^0x([0-9a-f]{2})*$/.test(value)) {
        throw invalidJSON(path, 'lowercase hex starting 0x', value);
      }
      return hexToBytes(value);
    case 'updates':
      if (!Array.isArray(value)) throw invalidJSON(path, 'an array of {from, to, amount}', value);
      return byIndex(value, (entry, index) => {
        const entryPath = `${path}[${index}]`;
        const update = asRecord(entry, entryPath);
        // no computed keys here: those are only ignored beside a tx
        checkKeys(update, ['from', 'to', 'amount'], ['from', 'to', 'amount'], entryPath, NO_KEYS);
        return {
          from: fieldFromJSON('pubkey', update.from, `${entryPath}.from`),
          to: fieldFromJSON('pubkey', update.to, `${entryPath}.to`),
          amount: fieldFromJSON('int', update.amount, `${entryPath}.amount`),
        };
      });
    default:
      return decodeJSONString(value, PREFIX_OF_KIND[kind], path);
  }
}

function decimal(value: unknown, path: string): bigint {
  // Strings only: a JSON number above 2^53 has already lost digits by the time we see it.
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw invalidJSON(path, 'a decimal string of digits (no sign, no leading zero)', value);
  }
  return BigInt(value);
}

function decodeJSONString(value: unknown, prefix: Prefix, path: string): Uint8Array {
  if (typeof value !== 'string') throw invalidJSON(path, `${prefix === 'ak' ? 'an' : 'a'} ${prefix}$ string`, value);
  try {
    return decode(value, prefix);
  } catch (error) {
    if (!(error instanceof EncodingError)) throw error;
    throw new TxError('INVALID_JSON', `${path}: ${error.message}`, { path });
  }
}

function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidJSON(path || '(top level)', 'an object', value);
  }
  return value as Record<string, unknown>;
}

/** `map` by index: a hole of a JSON array is `undefined`, refused by `read`, never skipped. */
function byIndex<T>(array: readonly unknown[], read: (entry: unknown, index: number) => T): T[] {
  const result: T[] = [];
  for (let index = 0; index < array.length; index++) result.push(read(array[index], index));
  return result;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** Refuses a missing required key, and any key neither allowed nor `ignored` (by default, the computed keys beside a tx). */
function checkKeys(
  record: Record<string, unknown>,
  allowed: string[],
  required: string[],
  at: string,
  ignored: ReadonlySet<string> = COMPUTED_KEYS,
): void {
  for (const key of required) {
    if (record[key] === undefined) throw new TxError('INVALID_JSON', `${join(at, key)}: missing`, { path: join(at, key) });
  }
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key) && !ignored.has(key)) {
      const path = join(at, clip(key));
      throw new TxError('INVALID_JSON', `${path}: unknown key`, { path });
    }
  }
}

/** Refuses a `tag` or `vsn` other than the definition's (each may be left out). */
function checkTagVsn(record: Record<string, unknown>, definition: { readonly tag: number; readonly vsn: number }, at: string): void {
  for (const key of ['tag', 'vsn'] as const) {
    if (record[key] !== undefined && record[key] !== definition[key]) throw invalidJSON(join(at, key), `${definition[key]}`, record[key]);
  }
}

function join(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

function invalidJSON(path: string, expected: string, value: unknown): TxError {
  const shown = typeof value === 'string' && value.length <= 40 ? JSON.stringify(value) : describe(value);
  return new TxError('INVALID_JSON', `${path}: expected ${expected}, got ${shown}`, { path });
}

import {
  type AccountPubkey,
  assertString,
  bytesToHex,
  type ChannelId,
  decode,
  describe,
  type EncodedSignature,
  encode,
  isBytes,
  isDerSignature,
  parse,
  type Prefix,
  type TxHash,
} from '@aesc/encoding';
import { type SignatureVerifier, verifySignature, verifySignedTx } from '@aesc/signer';
import {
  channelId,
  DEFINITION_BY_TYPE,
  deserializeTx,
  type SignedTx,
  serializeUnsigned,
  type Tx,
  toJSON,
  txHash,
  txSigners,
  type UnsignedTx,
  type UnsignedTxJSON,
} from '@aesc/tx';
import { type ErrorReport, errorReport } from './errors.js';

/*
 * What `aesc inspect` reports, as data: the JSON form of @aesc/tx plus the keys it computes
 * (`hash`, `channel_id`, `payload_tx`, `signers`), which `fromJSON` and `aesc build` ignore,
 * so that the output of `inspect --json` builds back into the same tx. The text output is
 * made from these reports alone (format.ts), so both outputs always say the same.
 */

/** One signature of a `signed_tx`: the key it verifies against (of those known), or null. */
export interface SignatureReport {
  signature: EncodedSignature;
  /** The key this signature verifies against, among the tx's signers and the candidate keys. */
  signer: AccountPubkey | null;
  /** The signature verifies against `signer` (false when no known key made it). */
  valid: boolean;
}

/** One required signer of a `signed_tx` under the reference's rule: the signature it consumed, or null. */
export interface SignerReport {
  signer: AccountPubkey;
  signature: EncodedSignature | null;
}

export interface UnsignedTxReport extends UnsignedTxJSON {
  /** blake2b-256 of this unsigned serialization: the `th$` rule before 2018-05-16. */
  hash: TxHash;
  /** Of a `channel_create_tx`: the id of the channel it creates (WIRE.md §7.3). */
  channel_id?: ChannelId;
  /** Of a close_solo or slash: its `payload` decoded, or why it does not decode. */
  payload_tx?: PayloadReport;
}

export interface SignedTxReport {
  type: 'signed_tx';
  tag: number;
  vsn: number;
  /** blake2b-256 of the signed serialization: the v0.14 `th$`. */
  hash: TxHash;
  signatures: SignatureReport[];
  /**
   * The tx's signers in the reference's order with the signature each consumed (WIRE.md §6.4);
   * null when the tx does not name them (deposit, withdraw, close_mutual) and none were given.
   */
  signers: SignerReport[] | null;
  tx: UnsignedTxReport;
}

export type TxReport = UnsignedTxReport | SignedTxReport;

/**
 * A close_solo/slash payload. The reference accepts any bytes there, so bytes that do not
 * decode are a valid field, reported with their error and a note rather than failing the tx.
 */
export type PayloadReport = (TxReport & { note?: string }) | { error: ErrorReport; note: string };

/** Any `$` value that is not a tx: what it is and its bytes. */
export interface EncodedValueReport {
  /** The reference's name of the prefix's type, e.g. `account_pubkey`. */
  type: string;
  prefix: Prefix;
  size: number;
  hex: string;
  /** Of a key or a signature: ed25519, or the legacy secp256k1 era's. */
  algorithm?: 'ed25519' | 'secp256k1' | 'secp256k1-der';
}

export type ValueReport = TxReport | EncodedValueReport;

export interface InspectOptions {
  /**
   * Candidate signer keys. For a deposit, withdraw or close_mutual (whose signers are the
   * channel's peers, not named in the tx) they are the signers; for any tx they are also tried
   * on signatures none of its signers made, to say who made them.
   */
  readonly signers?: readonly (Uint8Array | AccountPubkey)[] | undefined;
}

/** `aec_base58c` type names of the prefixes (WIRE.md §1.2). */
export const PREFIX_TYPES: Readonly<Record<Prefix, string>> = {
  ak: 'account_pubkey',
  ok: 'oracle_pubkey',
  pp: 'peer_pubkey',
  ch: 'channel',
  th: 'tx_hash',
  tx: 'transaction',
  sg: 'signature',
  bh: 'block_hash',
  bx: 'block_tx_hash',
  bs: 'block_state_hash',
  oq: 'oracle_query_id',
  cm: 'commitment',
  nm: 'name',
  st: 'state',
};

/**
 * Payloads inside payloads: a valid one is a signed off-chain state, which holds none, so a
 * depth of one is all that is meaningful; deeper nesting is only decoded this far, so a
 * hostile tx cannot make the report grow with the square of its size.
 */
export const MAX_PAYLOAD_DEPTH = 3;

/** Reports any `$` value: a tx in full (fields, hashes, signatures), anything else as bytes. */
export async function inspectValue(value: string, options: InspectOptions = {}): Promise<ValueReport> {
  assertString(value, 'value');
  const candidates = candidateKeys(options);
  const { prefix, bytes } = parse(value);
  if (prefix === 'tx') return reportTx(deserializeTx(bytes), candidates, 0);
  return reportEncoded(prefix, bytes);
}

/** Reports a decoded transaction as `aesc inspect --json` prints it. */
export async function inspectTx(tx: Tx, options: InspectOptions = {}): Promise<TxReport> {
  if (typeof tx !== 'object' || tx === null) throw new TypeError(`tx must be a transaction object, got ${describe(tx)}`);
  return reportTx(tx, candidateKeys(options), 0);
}

function candidateKeys(options: InspectOptions): Uint8Array[] {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  return keyList(options.signers ?? [], 'options.signers');
}

/** A list of keys as the options take them (ak$ strings or 32/65-byte Uint8Arrays), as bytes. */
function keyList(keys: unknown, name: string): Uint8Array[] {
  if (!Array.isArray(keys)) throw new TypeError(`${name} must be an array, got ${describe(keys)}`);
  return keys.map((key: unknown, index) => {
    if (typeof key === 'string') return decode(key, 'ak');
    if (isBytes(key) && (key.length === 32 || key.length === 65)) return key;
    throw new TypeError(`${name}[${index}] must be an ak$ string or a 32/65-byte Uint8Array, got ${describe(key)}`);
  });
}

function reportEncoded(prefix: Prefix, bytes: Uint8Array): EncodedValueReport {
  const report: EncodedValueReport = { type: PREFIX_TYPES[prefix], prefix, size: bytes.length, hex: bytesToHex(bytes) };
  if (prefix === 'ak' || prefix === 'ok') report.algorithm = bytes.length === 32 ? 'ed25519' : 'secp256k1';
  if (prefix === 'sg') report.algorithm = bytes.length === 64 ? 'ed25519' : 'secp256k1-der';
  return report;
}

async function reportTx(tx: Tx, candidates: readonly Uint8Array[], depth: number): Promise<TxReport> {
  if (tx.type !== 'signed_tx') return reportUnsigned(tx, candidates, depth);
  const check = await checkSignatures(tx, { candidates });
  const { tag, vsn } = toJSON(tx);
  return {
    type: 'signed_tx',
    tag,
    vsn,
    hash: txHash(tx),
    signatures: check.signatures,
    signers: check.signers,
    tx: await reportUnsigned(tx.tx, candidates, depth),
  };
}

async function reportUnsigned(tx: UnsignedTx, candidates: readonly Uint8Array[], depth: number): Promise<UnsignedTxReport> {
  const report: UnsignedTxReport = { ...toJSON(tx), hash: txHash(tx) };
  if (tx.type === 'channel_create_tx') {
    report.channel_id = channelId({ initiator: tx.initiator, nonce: tx.nonce, responder: tx.responder });
  }
  if (tx.type === 'channel_close_solo_tx' || tx.type === 'channel_slash_tx') {
    report.payload_tx = await reportPayload(tx.payload, tx.channel_id, candidates, depth + 1);
  }
  return report;
}

async function reportPayload(
  payload: Uint8Array,
  outerChannelId: Uint8Array,
  candidates: readonly Uint8Array[],
  depth: number,
): Promise<PayloadReport> {
  if (depth > MAX_PAYLOAD_DEPTH) {
    return {
      error: { code: 'NESTING_TOO_DEEP', message: `payloads nested deeper than ${MAX_PAYLOAD_DEPTH} are not decoded` },
      note: 'no valid payload holds another payload: it is a signed channel_offchain_tx',
    };
  }
  let decoded: Tx;
  try {
    decoded = deserializeTx(payload);
  } catch (error) {
    return {
      error: errorReport(error),
      note: 'not a transaction; the reference accepts any bytes in this field, but a node rejects the tx (payload_deserialization_failed)',
    };
  }
  const report: TxReport & { note?: string } = await reportTx(decoded, candidates, depth);
  const notes: string[] = [];
  const state = decoded.type === 'signed_tx' ? decoded.tx : decoded;
  if (decoded.type !== 'signed_tx' || state.type !== 'channel_offchain_tx') {
    notes.push(
      `a ${decoded.type === 'signed_tx' ? `signed ${state.type}` : `bare ${decoded.type}`}, where the reference expects a signed channel_offchain_tx (bad_offchain_state_type)`,
    );
  }
  if (state.type === 'channel_offchain_tx' && bytesToHex(state.channel_id) !== bytesToHex(outerChannelId)) {
    notes.push("the state's channel_id is not this tx's channel_id (bad_state_channel_id)");
  }
  if (notes.length > 0) report.note = notes.join('; ');
  return report;
}

/** The outcome of checking a `signed_tx`'s signatures. */
export interface SignatureCheck {
  signatures: SignatureReport[];
  /** Per required signer, the signature it consumed; null when the signers are unknown. */
  signers: SignerReport[] | null;
  /** The reference's verdict (every signer consumed one signature, none left over); null when the signers are unknown. */
  valid: boolean | null;
}

/**
 * Checks a `signed_tx` with the reference's rule against `signers` (default: the keys the tx
 * names; for a deposit, withdraw or close_mutual, the candidates), then tries every other
 * known key (candidates, keys in the tx) on the signatures left over, to say who made them.
 */
export async function checkSignatures(
  signedTx: SignedTx,
  options: {
    signers?: readonly (Uint8Array | AccountPubkey)[] | undefined;
    candidates?: readonly (Uint8Array | AccountPubkey)[] | undefined;
  } = {},
): Promise<SignatureCheck> {
  if (typeof signedTx !== 'object' || signedTx === null || signedTx.type !== 'signed_tx' || !Array.isArray(signedTx.signatures)) {
    throw new TypeError(`signedTx must be a signed_tx object, got ${describe(signedTx)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const signers = options.signers === undefined ? undefined : keyList(options.signers, 'options.signers');
  const candidates = keyList(options.candidates ?? [], 'options.candidates');
  const named = txSigners(signedTx.tx);
  const required = signers ?? named ?? (candidates.length > 0 ? candidates : undefined);
  const attributed: (AccountPubkey | null)[] = signedTx.signatures.map(() => null);
  let signerReports: SignerReport[] | null = null;
  let valid: boolean | null = null;
  if (required !== undefined) {
    const result = await verifySignedTx(signedTx, required, { legacy: legacyVerifier });
    valid = result.valid;
    signerReports = result.signers.map(({ publicKey, signature }) => ({
      signer: publicKey,
      signature: signature === null ? null : encode('sg', signature),
    }));
    result.signatures.forEach(({ signer }, index) => {
      attributed[index] = signer;
    });
  }
  if (attributed.includes(null)) {
    const message = serializeUnsigned(signedTx.tx);
    const others = uniqueKeys([...(required ?? []), ...candidates, ...keysIn(signedTx.tx)]);
    for (const [index, signature] of signedTx.signatures.entries()) {
      if (attributed[index] !== null) continue;
      for (const key of others) {
        if (await verifyOne(signature, message, key)) {
          attributed[index] = encode('ak', key);
          break;
        }
      }
    }
  }
  return {
    signatures: signedTx.signatures.map((signature, index) => ({
      signature: encode('sg', signature),
      signer: attributed[index] ?? null,
      valid: attributed[index] !== null,
    })),
    signers: signerReports,
    valid,
  };
}

/** Every key a tx names (its pubkey fields and those of its updates), in field order. */
function keysIn(tx: UnsignedTx): Uint8Array[] {
  const definition = DEFINITION_BY_TYPE.get(tx.type);
  const values = tx as unknown as Record<string, unknown>;
  const keys: Uint8Array[] = [];
  for (const layout of definition?.layouts ?? []) {
    for (const [name, kind] of layout) {
      const value = values[name];
      if (kind === 'pubkey' && isBytes(value)) keys.push(value);
    }
  }
  return keys;
}

function uniqueKeys(keys: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const id = bytesToHex(key);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

async function verifyOne(signature: Uint8Array, message: Uint8Array, key: Uint8Array): Promise<boolean> {
  if (key.length === 32) return signature.length === 64 && verifySignature(signature, message, key);
  return isDerSignature(signature) && legacyVerifier(signature, message, key);
}

/**
 * Legacy secp256k1 verification, loaded on first use: only the seed's pre-May-2018 examples
 * need it, so nobody else pays for loading @noble/curves.
 */
const legacyVerifier: SignatureVerifier = async (signature, message, publicKey) => {
  const { legacyVerifier: verify } = await import('@aesc/signer/legacy');
  return verify(signature, message, publicKey);
};

import { decode, describe, encode, isEncoded, parse } from '@aesc/encoding';
import type { UpdateJSON } from '@aesc/tx';
import type {
  EncodedValueReport,
  PayloadReport,
  SignatureCheck,
  SignedTxReport,
  TxReport,
  UnsignedTxReport,
  ValueReport,
} from './inspect.js';

/*
 * The text form of the reports of inspect.ts. It reads nothing but the report, so the text
 * and the JSON output cannot disagree.
 */

const LABEL_WIDTH = 18;

export interface FormatOptions {
  /**
   * The keys given as candidate signers (`inspect --signers`), as given to `inspectValue`. The
   * report does not say where a key came from; with these, a key the tx does not name is said
   * to be "a --signers key" only when it is one.
   */
  readonly signers?: readonly string[] | undefined;
}

export function formatValueReport(report: ValueReport, options: FormatOptions = {}): string {
  if (typeof report !== 'object' || report === null || typeof (report as { type?: unknown }).type !== 'string') {
    throw new TypeError(`report must be a report of inspectValue, got ${describe(report)}`);
  }
  const lines = 'prefix' in report ? encodedLines(report) : txLines(report, '', givenSigners(options));
  return `${lines.join('\n')}\n`;
}

/** The --signers keys in the form the report writes them, whatever their spelling was. */
function givenSigners(options: FormatOptions): ReadonlySet<string> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { signers = [] } = options;
  if (!Array.isArray(signers)) throw new TypeError(`options.signers must be an array of ak$ strings, got ${describe(signers)}`);
  return new Set(signers.map((key: unknown) => encode('ak', decode(key as string, 'ak'))));
}

function encodedLines(report: EncodedValueReport): string[] {
  const kind = report.algorithm === undefined ? report.type : `${report.type} (${ALGORITHM_NAMES[report.algorithm]})`;
  return [`${report.prefix}$ value`, row('  ', 'type', kind), row('  ', 'size', byteCount(report.size)), row('  ', 'hex', report.hex || '(empty)')];
}

const ALGORITHM_NAMES = {
  ed25519: 'ed25519',
  secp256k1: 'legacy secp256k1, before 2018-05-03',
  'secp256k1-der': 'legacy secp256k1 DER ECDSA, before 2018-05-03',
} as const;

function txLines(report: TxReport, indent: string, signers: ReadonlySet<string>): string[] {
  return report.type === 'signed_tx' ? signedLines(report, indent, signers) : unsignedLines(report, indent, signers);
}

function signedLines(report: SignedTxReport, indent: string, signers: ReadonlySet<string>): string[] {
  const roles = rolesOf(report.tx);
  const lines = [
    `${indent}signed_tx (tag ${report.tag}, vsn ${report.vsn})`,
    row(`${indent}  `, 'hash', `${report.hash}  (of the signed tx: the v0.14 th$)`),
    row(`${indent}  `, 'signatures', `${report.signatures.length}`),
  ];
  report.signatures.forEach((entry, index) => {
    lines.push(`${indent}    [${index}] ${entry.signature}`);
    lines.push(
      entry.signer === null
        ? `${indent}        not made by any known key${report.signers === null ? ' (pass --signers to name candidates)' : ''}`
        : `${indent}        verifies with ${entry.signer}${describeKey(entry.signer, roles, signers)}`,
    );
  });
  lines.push(row(`${indent}  `, 'verdict', verdict(report, report.tx.type, roles, signers)));
  lines.push(`${indent}  tx:`);
  lines.push(...unsignedLines(report.tx, `${indent}    `, signers));
  return lines;
}

/**
 * The reference's verdict in words (WIRE.md §6.4: each signer consumes one signature, none left
 * over); `roles` names the keys by the fields that hold them, `signers` are the --signers keys.
 */
export function verdict(
  check: Pick<SignatureCheck, 'signers' | 'signatures'>,
  type: string,
  roles: ReadonlyMap<string, string[]> = new Map(),
  signers: ReadonlySet<string> = new Set(),
): string {
  if (check.signers === null) {
    return `unknown signers: a ${type} is signed by the channel's peers, which it does not name; pass --signers 'ak$…,ak$…'`;
  }
  const missing = check.signers.filter((entry) => entry.signature === null);
  const leftOver = check.signatures.length - (check.signers.length - missing.length);
  if (missing.length === 0 && leftOver === 0) {
    return `valid: all ${check.signers.length} signer(s) signed, no signature left over`;
  }
  const problems = [
    ...missing.map((entry) => `no signature of ${entry.signer}${describeKey(entry.signer, roles, signers)}`),
    ...(leftOver > 0 ? [`${leftOver} signature(s) left over`] : []),
  ];
  return `INVALID: ${problems.join('; ')}`;
}

function unsignedLines(report: UnsignedTxReport, indent: string, signers: ReadonlySet<string>): string[] {
  const roles = rolesOf(report);
  const legacyLayout = report.type === 'channel_close_mutual_tx' && 'from' in report.fields;
  const lines = [
    `${indent}${report.type} (tag ${report.tag}, vsn ${report.vsn})${legacyLayout ? ', legacy 7-field layout with from (before 2018-05-21; a v0.14 node rejects it)' : ''}`,
  ];
  const inner = `${indent}  `;
  for (const [name, value] of Object.entries(report.fields)) {
    if (Array.isArray(value)) {
      lines.push(row(inner, name, `${value.length}`));
      value.forEach((update: UpdateJSON, index) => {
        lines.push(`${inner}  [${index}] ${update.amount} from ${update.from}${describeKey(update.from, roles, signers)}`);
        lines.push(`${inner}      ${' '.repeat(update.amount.length)} to   ${update.to}${describeKey(update.to, roles, signers)}`);
      });
    } else {
      lines.push(row(inner, name, `${value}${value.startsWith('ak$') ? legacyKeyNote(value) : ''}`));
    }
  }
  lines.push(row(inner, 'hash', `${report.hash}  (of the unsigned tx: the th$ rule before 2018-05-16)`));
  if (report.channel_id !== undefined) lines.push(row(inner, 'channel_id', `${report.channel_id}  (of the channel this tx creates)`));
  if (report.payload_tx !== undefined) lines.push(...payloadLines(report.payload_tx, inner, signers));
  return lines;
}

function payloadLines(payload: PayloadReport, indent: string, signers: ReadonlySet<string>): string[] {
  if ('error' in payload) {
    return [row(indent, 'payload_tx', `does not decode: ${payload.error.code}: ${payload.error.message}`), `${indent}  note: ${payload.note}`];
  }
  return [
    `${indent}payload_tx:`,
    ...txLines(payload, `${indent}  `, signers),
    ...(payload.note === undefined ? [] : [`${indent}  note: ${payload.note}`]),
  ];
}

/** Which fields of the tx hold each key, so a signature can say "initiator", "from". */
export function rolesOf(report: Pick<UnsignedTxReport, 'fields'>): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  for (const [name, value] of Object.entries(report.fields)) {
    if (typeof value === 'string' && value.startsWith('ak$')) roles.set(value, [...(roles.get(value) ?? []), name]);
  }
  return roles;
}

/**
 * What a key is to this tx: the fields naming it, else "a --signers key" if it was given so,
 * else nothing (a key only in an update, say a third party's, is not vouched for).
 */
function describeKey(key: string, roles: ReadonlyMap<string, string[]>, signers: ReadonlySet<string>): string {
  const names = roles.get(key);
  const role = names !== undefined ? ` (${names.join(', ')})` : signers.has(key) ? ' (a --signers key)' : '';
  return `${role}${legacyKeyNote(key)}`;
}

function legacyKeyNote(key: string): string {
  return isEncoded(key, 'ak') && parse(key, 'ak').bytes.length === 65 ? '  [legacy secp256k1 key]' : '';
}

function row(indent: string, label: string, value: string): string {
  return `${indent}${label.padEnd(LABEL_WIDTH)}${value}`;
}

function byteCount(size: number): string {
  return size === 1 ? '1 byte' : `${size} bytes`;
}

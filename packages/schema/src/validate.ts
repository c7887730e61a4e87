/**
 * Runs a generated validator and turns its first problem into a {@link SchemaError} whose
 * message a person can act on (`/payload/tx must be a tx$… base58 string`) and whose context a
 * program can branch on (`path`, `keyword`).
 */
import { describe } from '@aesc/encoding';
import { SchemaError, type SchemaErrorContext } from './errors.js';
import type { GeneratedValidator, ValidationIssue } from './generated/validators.js';

/** Escapes one key for a JSON Pointer (RFC 6901 §3). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The length of `text` in UTF-8 bytes, as the node counts it on the wire, without encoding it.
 * A lone surrogate counts 3, as the U+FFFD an encoder writes for it.
 */
export function utf8Length(text: string): number {
  // One byte per UTF-16 unit, plus what each non-ASCII unit adds.
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // the pair is 4 bytes in all
      index++;
    } else bytes += 2;
  }
  return bytes;
}

/** The value at a JSON Pointer of `root`, or undefined. */
function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let value: unknown = root;
  for (const segment of pointer.slice(1).split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    value = Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function quoted(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** What the first issue means, with the pointer moved onto the key a `required`/`additionalProperties` issue is about. */
export function explainIssue(issue: ValidationIssue, data: unknown): { path: string; message: string } {
  const { params } = issue;
  switch (issue.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return { path: `${issue.instancePath}/${pointerSegment(key)}`, message: `missing key ${quoted(key)}` };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { path: `${issue.instancePath}/${pointerSegment(key)}`, message: `unexpected key ${quoted(key)}` };
    }
    default:
      break;
  }
  const found = valueAt(data, issue.instancePath);
  const got = typeof found === 'string' && found.length <= 32 ? JSON.stringify(found) : describe(found);
  let expected: string;
  switch (issue.keyword) {
    case 'type':
      expected = `must be ${params.type === 'integer' ? 'an integer' : `a${/^[aeio]/.test(String(params.type)) ? 'n' : ''} ${String(params.type)}`}`;
      break;
    case 'const':
      expected = `must be ${quoted(params.allowedValue)}`;
      break;
    case 'enum':
      expected = `must be one of ${(params.allowedValues as unknown[]).map(quoted).join(', ')}`;
      break;
    case 'pattern': {
      const prefix = /^\^([a-z]{2})\\\$/.exec(String(params.pattern));
      expected = prefix ? `must be a ${prefix[1]}$… base58 string` : `must match ${String(params.pattern)}`;
      break;
    }
    case 'maxLength':
      // Only the prefixed base58 values have one: no payload of their prefix encodes longer.
      expected = `must be at most ${String(params.limit)} characters`;
      break;
    case 'minimum':
    case 'maximum':
      expected = `must be ${issue.keyword === 'minimum' ? '≥' : '≤'} ${String(params.limit)}`;
      break;
    default:
      expected = issue.message ?? `fails ${issue.keyword}`;
  }
  return { path: issue.instancePath, message: `${expected}, got ${got}` };
}

/**
 * Checks `data` with `validator`; on failure throws `SCHEMA` with the first problem.
 * `what` names the frame in the message (`sign request`, `update/new`).
 */
export function check(validator: GeneratedValidator, data: unknown, what: string, context: SchemaErrorContext = {}): void {
  if (validator(data)) return;
  const issue = validator.errors?.[0];
  if (issue === undefined) throw new SchemaError('SCHEMA', `${what}: invalid`, { ...context, path: '' });
  const { path, message } = explainIssue(issue, data);
  throw new SchemaError('SCHEMA', `${what}: ${path || '(frame)'} ${message}`, { ...context, path, keyword: issue.keyword });
}

/**
 * JSON text with exact integers. `JSON.parse` turns 9007199254740993 into 9007199254740992
 * without a word, and `JSON.stringify` refuses bigints; amounts and rounds of this protocol go
 * past 2^53 (the node's fields are 8 bytes), so frames that carry integers are read with
 * {@link parseJsonExact} and written with {@link serializeJson}.
 */
import { describe } from '@aesc/encoding';
import { SchemaError } from './errors.js';

/** A JSON value whose integer literals are bigints and whose other numbers are numbers. */
export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

type Container = { array: ExactJson[] } | { object: { [key: string]: ExactJson }; key: string };

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** A string body with an escape or a raw control character (which JSON forbids) needs JSON.parse. */
const NEEDS_DECODING = /[\\\u0000-\u001f]/;

/** Options of {@link parseJsonExact}. */
export interface ParseJsonOptions {
  /**
   * A key given twice in one object: `'last'` (the default) keeps the last value, as
   * `JSON.parse` does; `'refuse'` makes it `INVALID_JSON`, for text a person wrote or edited,
   * where two values of one key are a mistake, or an attempt to show one and mean the other.
   */
  duplicateKeys?: 'last' | 'refuse' | undefined;
}

/**
 * Parses JSON like `JSON.parse` does (same objects, same handling of duplicate keys and of
 * `__proto__`), except that a number written without fraction or exponent becomes a bigint.
 * `1.0` and `1e3` stay numbers, so a caller can tell them from integer literals. Iterative, so
 * nesting depth costs heap, not stack.
 */
export function parseJsonExact(text: string, options: ParseJsonOptions = {}): ExactJson {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { duplicateKeys = 'last' } = options;
  if (duplicateKeys !== 'last' && duplicateKeys !== 'refuse') {
    throw new RangeError(`options.duplicateKeys must be 'last' or 'refuse', got ${describe(duplicateKeys)}`);
  }
  const refuseDuplicates = duplicateKeys === 'refuse';
  let index = 0;
  const stack: Container[] = [];

  const fail = (what: string, position = index): never => {
    throw new SchemaError('INVALID_JSON', `not JSON: ${what} at position ${position}`, { path: '', position });
  };
  const skipWhitespace = () => {
    while (index < text.length && WHITESPACE.has(text.charCodeAt(index))) index++;
  };
  const expect = (char: string) => {
    skipWhitespace();
    if (text[index] !== char) fail(`expected "${char}"`);
    index++;
  };
  const readString = (): string => {
    skipWhitespace();
    if (text[index] !== '"') fail('expected a string');
    let end = index + 1;
    for (;;) {
      end = text.indexOf('"', end);
      if (end < 0) fail('unterminated string');
      let backslashes = 0;
      while (text[end - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    const content = text.slice(index + 1, end);
    if (!NEEDS_DECODING.test(content)) {
      index = end + 1;
      return content;
    }
    try {
      // The native parser decodes escapes exactly as JSON.parse does, and rejects raw control
      // characters the same way.
      const decoded = JSON.parse(text.slice(index, end + 1)) as string;
      index = end + 1;
      return decoded;
    } catch {
      return fail('bad string');
    }
  };
  const readScalar = (): ExactJson => {
    const char = text[index];
    if (char === '"') return readString();
    if (text.startsWith('true', index)) {
      index += 4;
      return true;
    }
    if (text.startsWith('false', index)) {
      index += 5;
      return false;
    }
    if (text.startsWith('null', index)) {
      index += 4;
      return null;
    }
    NUMBER.lastIndex = index;
    const match = NUMBER.exec(text);
    if (match === null) return fail(index < text.length ? 'unexpected character' : 'unexpected end of input');
    index = NUMBER.lastIndex;
    return match[1] === undefined && match[2] === undefined ? BigInt(match[0]) : Number(match[0]);
  };

  for (;;) {
    skipWhitespace();
    let value: ExactJson;
    const char = text[index];
    if (char === '{') {
      index++;
      skipWhitespace();
      if (text[index] === '}') {
        index++;
        value = {};
      } else {
        const key = readString();
        expect(':');
        stack.push({ object: {}, key });
        continue;
      }
    } else if (char === '[') {
      index++;
      skipWhitespace();
      if (text[index] === ']') {
        index++;
        value = [];
      } else {
        stack.push({ array: [] });
        continue;
      }
    } else {
      value = readScalar();
    }

    // Hand the finished value to its container; close every container that ends here.
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) {
        skipWhitespace();
        if (index !== text.length) fail('text after the value');
        return value;
      }
      skipWhitespace();
      // The position of an error is the separator's own, not the one after it.
      const separator = text[index];
      if ('array' in top) {
        top.array.push(value);
        if (separator !== ',' && separator !== ']') fail('expected "," or "]"');
        index++;
        if (separator === ',') break;
        value = top.array;
      } else {
        setKey(top.object, top.key, value);
        if (separator !== ',' && separator !== '}') fail('expected "," or "}"');
        index++;
        if (separator === ',') {
          skipWhitespace();
          const keyAt = index;
          top.key = readString();
          if (refuseDuplicates && Object.hasOwn(top.object, top.key)) fail(`key ${JSON.stringify(top.key)} given twice`, keyAt);
          expect(':');
          break;
        }
        value = top.object;
      }
      stack.pop();
    }
  }
}

/** `JSON.parse` makes `"__proto__"` an own key, not the prototype; so must we. */
function setKey(object: { [key: string]: ExactJson }, key: string, value: ExactJson): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** A container being written: its members are visited one at a time, so depth costs heap, not stack. */
interface Open {
  readonly container: object;
  /** The keys of an object, in insertion order; `null` for an array. */
  readonly keys: string[] | null;
  /** The next member to visit. */
  next: number;
  /** Whether a member has been written (an object skips `undefined` members, so `next` cannot tell). */
  wrote: boolean;
  /** The key or index of the member being written, for the path of an error. */
  segment: string;
}

/**
 * Writes a frame as JSON text: bigints as integer literals, keys in their insertion order,
 * `undefined` members left out and `undefined` items or holes of an array written as `null`
 * (as `JSON.stringify` does: `[,1]` is not JSON). Anything JSON cannot carry — a function, a
 * symbol, NaN, a Map, a cycle — is a `TypeError` naming where it sits.
 *
 * Iterative, like {@link parseJsonExact}: whatever depth the parser accepts (a hostile frame
 * echoed in an error, 20 000 `[` in 40 KB) is written back without exhausting the stack.
 */
export function serializeJson(value: unknown): string {
  const stack: Open[] = [];
  const ancestors = new Set<object>();
  // Built only when an error needs it: the keys of the open containers, root first.
  const path = () => stack.map((open) => `/${open.segment}`).join('') || 'value';
  let text = '';
  let current = value;
  for (;;) {
    switch (typeof current) {
      case 'string':
        text += JSON.stringify(current);
        break;
      case 'bigint':
        text += current.toString();
        break;
      case 'boolean':
        text += current ? 'true' : 'false';
        break;
      case 'number':
        if (!Number.isFinite(current)) throw new TypeError(`${path()} must be a finite number, got ${current}`);
        text += JSON.stringify(current);
        break;
      case 'object': {
        if (current === null) {
          text += 'null';
          break;
        }
        if (ancestors.has(current)) throw new TypeError(`${path()} refers back to itself`);
        let keys: string[] | null = null;
        if (!Array.isArray(current)) {
          const prototype: unknown = Object.getPrototypeOf(current);
          if (prototype !== Object.prototype && prototype !== null) {
            throw new TypeError(`${path()} must be a plain object, got ${describe(current)}`);
          }
          keys = Object.keys(current);
        }
        ancestors.add(current);
        stack.push({ container: current, keys, next: 0, wrote: false, segment: '' });
        text += keys === null ? '[' : '{';
        break;
      }
      default:
        throw new TypeError(`${path()} cannot be written as JSON, got ${describe(current)}`);
    }

    // Find the next member to write, closing every container that has none left.
    let found = false;
    while (!found) {
      const open = stack.at(-1);
      if (open === undefined) return text;
      if (open.keys === null) {
        const array = open.container as unknown[];
        if (open.next < array.length) {
          const index = open.next++;
          // A hole reads as undefined: both are written as null.
          current = array[index] ?? null;
          open.segment = String(index);
          if (index > 0) text += ',';
          found = true;
          continue;
        }
        text += ']';
      } else {
        const object = open.container as Record<string, unknown>;
        while (open.next < open.keys.length) {
          const key = open.keys[open.next++] as string;
          const member = object[key];
          if (member === undefined) continue;
          text += `${open.wrote ? ',' : ''}${JSON.stringify(key)}:`;
          open.wrote = true;
          open.segment = key;
          current = member;
          found = true;
          break;
        }
        if (found) continue;
        text += '}';
      }
      ancestors.delete(open.container);
      stack.pop();
    }
  }
}

/**
 * JSON with exact integers. The node's HTTP API carries amounts, nonces and heights as JSON
 * integers, which can exceed 2^53; `JSON.parse` would round them silently. Here every integer
 * token becomes a `bigint` and every `bigint` is written as an integer token.
 */

export type LosslessJSON = null | boolean | string | number | bigint | LosslessJSON[] | { [key: string]: LosslessJSON };

export class JSONSyntaxError extends Error {
  override readonly name = 'JSONSyntaxError';
  readonly position: number;

  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.position = position;
  }
}

/** Largest nesting accepted: a request body is shallow, and recursion must stay bounded. */
const MAX_DEPTH = 64;

/** Parses JSON text; integers become `bigint`, other numbers `number`. */
export function parseLosslessJSON(text: string): LosslessJSON {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.position !== text.length) throw new JSONSyntaxError('unexpected text after the value', parser.position);
  return value;
}

class Parser {
  position = 0;

  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    while (this.position < this.text.length && ' \t\n\r'.includes(this.text[this.position] as string)) this.position++;
  }

  value(depth: number): LosslessJSON {
    if (depth > MAX_DEPTH) throw new JSONSyntaxError('nesting too deep', this.position);
    const char = this.text[this.position];
    if (char === '{') return this.object(depth);
    if (char === '[') return this.array(depth);
    if (char === '"') return this.string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    for (const [literal, result] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(literal, this.position)) {
        this.position += literal.length;
        return result;
      }
    }
    throw new JSONSyntaxError(char === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(char)}`, this.position);
  }

  object(depth: number): { [key: string]: LosslessJSON } {
    const result: { [key: string]: LosslessJSON } = {};
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') throw new JSONSyntaxError('expected a key', this.position);
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') throw new JSONSyntaxError('expected ":"', this.position);
      this.position++;
      this.skipWhitespace();
      Object.defineProperty(result, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const separator = this.text[this.position++];
      if (separator === '}') return result;
      if (separator !== ',') throw new JSONSyntaxError('expected "," or "}"', this.position - 1);
    }
  }

  array(depth: number): LosslessJSON[] {
    const result: LosslessJSON[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.value(depth + 1));
      this.skipWhitespace();
      const separator = this.text[this.position++];
      if (separator === ']') return result;
      if (separator !== ',') throw new JSONSyntaxError('expected "," or "]"', this.position - 1);
    }
  }

  string(): string {
    const start = this.position;
    const end = findStringEnd(this.text, start);
    if (end < 0) throw new JSONSyntaxError('unterminated string', start);
    this.position = end + 1;
    try {
      return JSON.parse(this.text.slice(start, end + 1)) as string;
    } catch {
      throw new JSONSyntaxError('invalid string', start);
    }
  }

  number(): number | bigint {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.position, this.position + 400));
    if (match === null) throw new JSONSyntaxError('invalid number', this.position);
    const token = match[0];
    if (token.length === 400) throw new JSONSyntaxError('number too long', this.position);
    this.position += token.length;
    return match[2] === undefined && match[3] === undefined ? BigInt(token) : Number(token);
  }
}

function findStringEnd(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (char === '\\') index++;
    else if (char === '"') return index;
  }
  return -1;
}

/** JSON text of `value`, writing every `bigint` as an integer token. */
export function stringifyLosslessJSON(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${marker}${item.toString(10)}` : item));
  return text.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
}

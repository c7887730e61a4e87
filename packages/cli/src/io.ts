import { fstatSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { CliError } from './errors.js';

/**
 * Where a run of `aesc` reads and writes. The process uses its standard streams
 * ({@link processIo}); tests pass their own, so every verb runs in-process as it does in a shell.
 */
export interface CliIo {
  /** Writes to standard output; the promise resolves when the stream can take more. */
  stdout(text: string): Promise<void> | void;
  stderr(text: string): Promise<void> | void;
  /** Standard input, read only by the verbs given `-`. */
  stdin(): AsyncIterable<Uint8Array | string>;
}

/** The process's standard streams, with back-pressure so that a slow reader bounds our memory. */
export function processIo(): CliIo {
  return {
    stdout: (text) => writeTo(process.stdout, text),
    // Not waited on: a line or two, and a standard error that fails (bin/aesc ignores its
    // errors) would never drain.
    stderr: (text) => {
      process.stderr.write(text);
    },
    stdin: () => readStdin(process.stdin),
  };
}

/**
 * Standard input, or `STDIN_UNREADABLE` if it cannot be read: a directory, or a read error.
 * Either would otherwise read as empty input and exit 0 with no output, as if every line had
 * been answered. (A standard input closed at start reads as empty: Node puts /dev/null in its
 * place before any script runs.)
 */
async function* readStdin(stream: Readable): AsyncGenerator<Uint8Array | string> {
  const unreadable = (why: string) => new CliError('STDIN_UNREADABLE', `cannot read standard input: ${why}; redirect a file into it (- < values.txt) or pipe the lines in`);
  let stats: Stats;
  try {
    stats = fstatSync(0);
  } catch (error) {
    throw unreadable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  // Node gives a directory (`- < /tmp`) as a stream that just ends.
  if (stats.isDirectory()) throw unreadable('it is a directory');
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await chunks.next();
      } catch (error) {
        // EIO, EISDIR… from the stream; what the caller does with a chunk is not caught here.
        throw unreadable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      }
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

/**
 * Writes with back-pressure. A stream that failed (a reader that closed the pipe: bin/aesc
 * listens to its errors) takes nothing more and is not waited on: the command still ends with
 * its own exit code.
 */
async function writeTo(stream: Writable, text: string): Promise<void> {
  if (stream.destroyed) return;
  if (stream.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      for (const event of ['drain', 'error', 'close']) stream.off(event, done);
      resolve();
    };
    for (const event of ['drain', 'error', 'close']) stream.on(event, done);
  });
}

/**
 * The longest standard-input line read. A `tx$` is at most `MAX_ENCODED_LENGTH` (89 503)
 * characters, as `tx` and `st` payloads are at most 65 532 bytes (`MAX_VARIABLE_PAYLOAD` of
 * @aesc/encoding), and the `inspect --json` form of such a tx is ~130 kB (its payload as hex):
 * 1 MiB leaves room for any line worth reading, with spacing, so only garbage is cut. A longer line is
 * skipped to its end without being kept, so input of any size costs bounded memory.
 */
export const MAX_LINE_LENGTH = 1 << 20;

/** A line that was longer than the limit; its text is not kept. */
export interface OverlongLine {
  readonly overlong: true;
  readonly length: number;
}

/**
 * Splits a byte stream into lines (`\n`, with a `\r` before it dropped), decoding UTF-8 across
 * chunk boundaries. A last line without a newline counts; the empty string after a final
 * newline does not.
 */
export async function* readLines(
  source: AsyncIterable<Uint8Array | string>,
  maxLength: number = MAX_LINE_LENGTH,
): AsyncGenerator<string | OverlongLine> {
  if (typeof (source as Partial<AsyncIterable<unknown>> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('source must be an async iterable of Uint8Array or string chunks');
  }
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let overlongBy = -1; // while skipping an overlong line: the characters dropped so far
  const finish = (line: string): string | OverlongLine => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (overlongBy >= 0 || text.length > maxLength) {
      const length = Math.max(overlongBy, 0) + text.length;
      overlongBy = -1;
      return { overlong: true, length };
    }
    return text;
  };
  for await (const chunk of source) {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw new TypeError('a chunk must be a Uint8Array or a string');
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n', start)) {
      yield finish(pending.slice(start, newline));
      start = newline + 1;
    }
    pending = pending.slice(start);
    if (pending.length > maxLength || (overlongBy >= 0 && pending.length > 0)) {
      overlongBy = Math.max(overlongBy, 0) + pending.length;
      pending = '';
    }
  }
  pending += decoder.decode();
  if (pending.length > 0 || overlongBy >= 0) yield finish(pending);
}

/**
 * The bytes of a file, or `undefined` when it holds more than `maxBytes`: reading stops there, so
 * `/dev/zero` or a huge file costs `maxBytes` of memory, not all the memory there is. A file
 * system error (missing, a directory, no permission) is thrown as it is, for the caller to name.
 */
export async function readFileAtMost(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) return buffer.subarray(0, length);
      length += bytesRead;
      if (length > maxBytes) {
        buffer.fill(0);
        return undefined;
      }
    }
  } finally {
    await handle.close();
  }
}

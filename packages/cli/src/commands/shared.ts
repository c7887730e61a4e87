import { type AccountPubkey, decode, EncodingError } from '@aesc/encoding';
import { type Invocation, listOption } from '../command.js';
import { EXIT, type ExitCode, errorReport } from '../errors.js';
import { MAX_LINE_LENGTH, readLines } from '../io.js';

/**
 * Runs `handle` on every line of standard input (trimmed) and writes one output line per input
 * line, in order: the handler's line, or `{"error":{"code","message"}}` for a line it rejects.
 * Every line is answered, so the outputs pair up with the inputs; the exit code is BAD_INPUT
 * if any line failed.
 */
export async function eachLine(invocation: Invocation, handle: (line: string) => Promise<string>): Promise<ExitCode> {
  let failed = false;
  for await (const line of readLines(invocation.io.stdin())) {
    let output: string;
    if (typeof line !== 'string') {
      failed = true;
      output = JSON.stringify({
        error: { code: 'LINE_TOO_LONG', message: `a line of ${line.length} characters is longer than ${MAX_LINE_LENGTH}` },
      });
    } else {
      try {
        output = await handle(line.trim());
      } catch (error) {
        failed = true;
        output = JSON.stringify({ error: errorReport(error) });
      }
    }
    await invocation.io.stdout(`${output}\n`);
  }
  return failed ? EXIT.BAD_INPUT : EXIT.OK;
}

/** The `--signers` keys (`ak$…`, comma-separated or repeated); a bad one names its position. */
export function signersOption(invocation: Invocation): AccountPubkey[] {
  return listOption(invocation, 'signers').map((key, index) => {
    try {
      decode(key, 'ak');
      return key as AccountPubkey;
    } catch (error) {
      if (!(error instanceof EncodingError)) throw error;
      throw new EncodingError(error.code, `--signers key ${index + 1}: ${error.message}`, error.context);
    }
  });
}

export const SIGNERS_OPTION = {
  type: 'string',
  multiple: true,
  placeholder: "'ak$…,ak$…'",
  description: 'candidate signer keys, comma-separated or repeated',
} as const;

import { run } from '../src/run.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aesc <argv>` in-process with `stdin` (chunks, as a pipe would deliver them). */
export async function runCli(argv: string[], stdin: readonly (string | Uint8Array)[] = []): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stdin: async function* () {
      yield* stdin;
    },
  });
  return { code, stdout, stderr };
}

/** Standard output of a `-` run, one parsed JSON value per line. */
export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './support.js';

/** The `console` block of the README: `$ aesc …` lines, each followed by what it prints. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /```console\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const sessions: { command: string; output: string }[] = [];
for (const line of block.split('\n')) {
  if (line.startsWith('$ ')) sessions.push({ command: line.slice(2), output: '' });
  else if (line !== '' && sessions.length > 0) (sessions.at(-1) as { output: string }).output += `${line}\n`;
}

/** Words of a command line as a POSIX shell splits them (bare words and single quotes are all it uses). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? '');
  return words;
}

describe('README example', () => {
  it('has the example', () => {
    expect(sessions.length).toBeGreaterThanOrEqual(5);
  });

  it.each(sessions.map((session) => [session.command.slice(0, 60), session] as const))('$ %s…', async (_name, { command, output }) => {
    const [program, ...argv] = shellWords(command);
    expect(program).toBe('aesc');
    const result = await runCli(argv);
    expect(result.stdout + result.stderr).toBe(output);
  });
});

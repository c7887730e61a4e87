import { parseArgs } from 'node:util';
import { CliError, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once; the values are collected in order. */
  readonly multiple?: boolean;
  /** The value's placeholder in the help, e.g. `<file>`. */
  readonly placeholder?: string;
  readonly description: string;
}

/** One verb of `aesc`: its help text, its command line and what it does. */
export interface Command {
  readonly name: string;
  /** One line for the list of verbs. */
  readonly summary: string;
  /** Synopsis lines, without the leading `aesc`. */
  readonly usage: readonly string[];
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments the verb takes. */
  readonly arity: { readonly min: number; readonly max: number };
  readonly examples: readonly string[];
  run(invocation: Invocation): Promise<ExitCode>;
}

/** A parsed command line and where to write. */
export interface Invocation {
  readonly io: CliIo;
  /** `--json`: machine output. */
  readonly json: boolean;
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | string[] | undefined>>;
}

/** Options every verb takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'print JSON (one object per line) instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** Parses `argv` (after the verb) for `command`; a bad command line is a `CliError('USAGE')`. */
export function parseInvocation(
  command: Command,
  argv: readonly string[],
  io: CliIo,
): { help: true } | { help: false; invocation: Invocation } {
  const options = { ...COMMON_OPTIONS, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          {
            type: spec.type,
            ...(spec.short === undefined ? {} : { short: spec.short }),
            ...(spec.multiple === true ? { multiple: true } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    // node:util's messages run over several lines: the first names the problem, the last may say
    // how to give a value that starts with a dash (`--block-interval=-1`). All of it, on one line.
    const message = error instanceof Error ? error.message.split('\n').map((line) => line.trim()).filter((line) => line !== '').join(' ').replace(/\.$/, '') : String(error);
    throw new CliError('USAGE', `${message}; see aesc ${command.name} --help`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) return { help: true };
  // node:util keeps the last of two values of a single-value option: `sign --key a --key b`
  // would sign with b without a word. Only `multiple` options collect repeats; a flag given
  // twice means what it means once.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || options[token.name]?.type !== 'string' || options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) {
      throw new CliError('USAGE', `--${token.name} given more than once; it takes one value: aesc ${command.usage[0] ?? command.name}`);
    }
    seen.add(token.name);
  }
  const { min, max } = command.arity;
  if (parsed.positionals.length < min) {
    throw new CliError('USAGE', `missing argument: aesc ${command.usage[0] ?? command.name}`);
  }
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals[max] ?? '';
    throw new CliError('USAGE', `unexpected argument ${quoteForMessage(extra)}: aesc ${command.usage[0] ?? command.name}`);
  }
  return {
    help: false,
    invocation: { io, json: values.json === true, positionals: parsed.positionals, options: values },
  };
}

/** The text of `aesc <verb> --help`. */
export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const optionLines = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.placeholder === undefined ? '' : ` ${spec.placeholder}`}`;
    return `  ${flag.padEnd(30)} ${spec.description}`;
  });
  return [
    `aesc ${command.name}: ${command.summary}`,
    '',
    'Usage:',
    ...command.usage.map((line) => `  aesc ${line}`),
    '',
    command.description,
    '',
    'Options:',
    ...optionLines,
    '',
    'Examples:',
    ...command.examples.map((line) => `  ${line}`),
    '',
    QUOTING_REMINDER,
    '',
  ].join('\n');
}

/** Every `$` value holds a `$`: unquoted or in double quotes, a shell expands what follows it. */
export const QUOTING_REMINDER =
  "Quote every $ value in single quotes: in a shell, tx$abc or \"tx$abc\" loses $abc (it expands to an empty variable).";

/** A string option's value, when given (parseInvocation refuses a non-multiple option given twice). */
export function stringOption(invocation: Invocation, name: string): string | undefined {
  const value = invocation.options[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable option, each split at commas: `--signers a,b --signers c`. */
export function listOption(invocation: Invocation, name: string): string[] {
  const value = invocation.options[name];
  const given = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const entries = given.flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  // Given but empty (--signers '', an unset shell variable): not the same as not given.
  if (given.length > 0 && entries.length === 0) throw new CliError('USAGE', `--${name} is empty: give at least one value, or leave the option out`);
  return entries;
}

export function requiredOption(invocation: Invocation, command: Command, name: string): string {
  const value = stringOption(invocation, name);
  if (value === undefined) throw new CliError('USAGE', `missing --${name}: aesc ${command.usage[0] ?? command.name}`);
  return value;
}

/** A command-line value shown in a message: clipped, and without control characters. */
export function quoteForMessage(value: string): string {
  const clipped = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(clipped);
}

/** Writes one JSON object as one line. */
export async function writeJson(io: CliIo, value: unknown): Promise<void> {
  await io.stdout(`${JSON.stringify(value)}\n`);
}

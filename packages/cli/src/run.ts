import { EncodingError, PREFIXES } from '@aesc/encoding';
import packageJson from '../package.json' with { type: 'json' };
import { buildCommand } from './commands/build.js';
import { channelIdCommand } from './commands/channel-id.js';
import { demoCommand } from './commands/demo.js';
import { devnodeCommand } from './commands/devnode.js';
import { decodeCommand, encodeCommand } from './commands/encode.js';
import { hashCommand } from './commands/hash.js';
import { inspectCommand } from './commands/inspect.js';
import { keygenCommand, signCommand } from './commands/keys.js';
import { verifyCommand } from './commands/verify.js';
import { type Command, commandHelp, type Invocation, parseInvocation, QUOTING_REMINDER, quoteForMessage } from './command.js';
import { CliError, type DeclaredError, EXIT, type ExitCode, errorReport, exitCodeOf, isDeclaredError, oneLine } from './errors.js';
import { type CliIo, processIo } from './io.js';

/** The verbs, in the order `aesc --help` lists them. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  buildCommand,
  hashCommand,
  channelIdCommand,
  encodeCommand,
  decodeCommand,
  keygenCommand,
  signCommand,
  verifyCommand,
  devnodeCommand,
  demoCommand,
];

export const VERSION: string = packageJson.version;

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'aesc: inspect, build, hash, sign and verify Aeternity state-channel transactions (epoch v0.14.0, May 2018)',
    '',
    'Usage: aesc <command> [options] [arguments]',
    '       aesc <command> --help',
    '       aesc --version',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command prints text by default and JSON with --json. Exit codes: 0 success, 1 bad input',
    'or a failure such as a port in use or a node out of reach (the message names the problem and',
    'its code), 2 bad command line, 3 `verify`: signatures do not satisfy the signers, 70 a bug.',
    '',
    QUOTING_REMINDER,
    '',
  ].join('\n');
}

/**
 * Runs one `aesc` command line (without the program name) and resolves to its exit code. Bad
 * input never throws: it is reported on standard error in one line (and, with --json, as
 * `{"error":{"code","message"}}` on standard output).
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  if (!Array.isArray(argv) || argv.some((argument) => typeof argument !== 'string')) {
    throw new TypeError('argv must be an array of strings');
  }
  if (typeof io !== 'object' || io === null || ['stdout', 'stderr', 'stdin'].some((name) => typeof (io as unknown as Record<string, unknown>)[name] !== 'function')) {
    throw new TypeError('io must be a CliIo: { stdout, stderr, stdin } functions');
  }
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    await io.stderr(mainHelp());
    return EXIT.USAGE;
  }
  if (verb === '--help' || verb === '-h' || (verb === 'help' && rest.length === 0)) {
    await io.stdout(mainHelp());
    return EXIT.OK;
  }
  if (verb === '--version' || verb === '-v') {
    await io.stdout(`${VERSION}\n`);
    return EXIT.OK;
  }
  // Until the command line is parsed, a --json before any `--` (after it, it is an argument),
  // also in the verb's place (`aesc --json inspect …` is a bad command line that asked for JSON).
  const terminator = argv.indexOf('--');
  let json = (terminator < 0 ? argv : argv.slice(0, terminator)).includes('--json');
  const name = verb === 'help' ? rest[0] : verb;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const known = COMMANDS.map((candidate) => candidate.name).join(', ');
    // `aesc --json inspect …`: an option in the command's place.
    const order = name?.startsWith('-') === true ? '; options go after the command, aesc <command> [options] [arguments]' : '';
    return reportError(io, 'aesc', new CliError('USAGE', `unknown command ${quoteForMessage(name ?? '')}${order}; the commands are ${known} (aesc --help)`), json);
  }
  if (verb === 'help') {
    await io.stdout(commandHelp(command));
    return EXIT.OK;
  }
  let invocation: Invocation | undefined;
  try {
    const parsed = parseInvocation(command, rest, io);
    if (parsed.help) {
      await io.stdout(commandHelp(command));
      return EXIT.OK;
    }
    invocation = parsed.invocation;
    json = invocation.json;
    return await command.run(invocation);
  } catch (error) {
    if (!isDeclaredError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      await io.stderr(`aesc ${command.name}: internal error: ${oneLine(message)}\n`);
      return EXIT.INTERNAL;
    }
    return reportError(io, `aesc ${command.name}`, invocation === undefined ? error : withQuotingHint(error, command, invocation), json);
  }
}

/** A known prefix followed by base58 letters only: what a shell leaves of `tx$2C9e…` (`txC9e…`: `$2` is empty) or of `"tx$abc"` (`tx`). */
const SHELL_EXPANDED = new RegExp(`^(${PREFIXES.join('|')})[1-9A-HJ-NP-Za-km-z]*$`);

/**
 * A value given on the command line where a `$` value goes (an argument, or an option whose
 * placeholder is one) that a shell expanded: `tx$abc` to `tx`, or `"$TX"` of an unset variable to
 * an empty argument. The code stays the encoding's; the message says why the value is cut and
 * how to keep it. Values read from standard input or from a file did not pass through a shell
 * and get no such hint.
 */
function withQuotingHint(error: DeclaredError, command: Command, invocation: Invocation): DeclaredError {
  if (!(error instanceof EncodingError) || (error.code !== 'MISSING_PREFIX' && error.code !== 'EMPTY_INPUT')) return error;
  const dollarOptions = Object.entries(command.options).filter(([, spec]) => spec.placeholder?.includes('$') === true);
  const given = [...invocation.positionals, ...dollarOptions.flatMap(([name]) => invocation.options[name] ?? [])].filter((value) => typeof value === 'string');
  let hint: string | undefined;
  if (error.code === 'MISSING_PREFIX') {
    const mangled = given.flatMap((value) => value.split(',')).map((value) => value.trim()).find((value) => SHELL_EXPANDED.test(value));
    const prefix = mangled?.slice(0, 2);
    if (mangled !== undefined) hint = `${quoteForMessage(mangled)} looks like ${prefix}$… whose $… the shell expanded to nothing: quote $ values in single quotes ('${prefix}$…')`;
  } else if (error.context.prefix === undefined && given.includes('')) {
    hint = 'the argument is empty: did the shell expand an unset variable ("$TX") to nothing?';
  }
  return hint === undefined ? error : new EncodingError(error.code, `${error.message}; ${hint}`, error.context);
}

/** A declared error as every failure is reported: `<where>: <CODE>: <message>` on standard error, and with --json its `{"error"}` on standard output. */
async function reportError(io: CliIo, where: string, error: DeclaredError, json: boolean): Promise<ExitCode> {
  const report = errorReport(error);
  if (json) await io.stdout(`${JSON.stringify({ error: report })}\n`);
  await io.stderr(`${where}: ${report.code}: ${report.message}\n`);
  return exitCodeOf(error);
}

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
import { type Command, commandHelp, parseInvocation, QUOTING_REMINDER, quoteForMessage } from './command.js';
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
  // Until the command line is parsed, a --json before any `--` (after it, it is an argument).
  const terminator = rest.indexOf('--');
  let json = (terminator < 0 ? rest : rest.slice(0, terminator)).includes('--json');
  const name = verb === 'help' ? rest[0] : verb;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const known = COMMANDS.map((candidate) => candidate.name).join(', ');
    return reportError(io, 'aesc', new CliError('USAGE', `unknown command ${quoteForMessage(name ?? '')}; the commands are ${known} (aesc --help)`), json);
  }
  if (verb === 'help') {
    await io.stdout(commandHelp(command));
    return EXIT.OK;
  }
  try {
    const parsed = parseInvocation(command, rest, io);
    if (parsed.help) {
      await io.stdout(commandHelp(command));
      return EXIT.OK;
    }
    json = parsed.invocation.json;
    return await command.run(parsed.invocation);
  } catch (error) {
    if (!isDeclaredError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      await io.stderr(`aesc ${command.name}: internal error: ${oneLine(message)}\n`);
      return EXIT.INTERNAL;
    }
    return reportError(io, `aesc ${command.name}`, error, json);
  }
}

/** A declared error as every failure is reported: `<where>: <CODE>: <message>` on standard error, and with --json its `{"error"}` on standard output. */
async function reportError(io: CliIo, where: string, error: DeclaredError, json: boolean): Promise<ExitCode> {
  const report = errorReport(error);
  if (json) await io.stdout(`${JSON.stringify({ error: report })}\n`);
  await io.stderr(`${where}: ${report.code}: ${report.message}\n`);
  return exitCodeOf(error);
}

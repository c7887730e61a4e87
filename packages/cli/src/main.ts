import { EXIT, oneLine } from './errors.js';
import { COMMANDS, run } from './run.js';

/*
 * The `aesc` process (bin/aesc.js loads this file). Exit codes are set, never forced with
 * process.exit, so that everything written reaches a pipe before the process ends.
 */

// A reader that stops early (`aesc inspect - < big | head -1`) closes the pipe: nothing is
// left to say to it, so stop quietly instead of dying on an unhandled EPIPE. Not at once: a
// command that was writing its last words (`aesc verify --json … | true`) ends first, with its
// own exit code (writes to the closed pipe are dropped); one that would go on reading (`-`)
// stops here.
// Any other write error (a full disk: `> /dev/full`, EIO) loses output the user asked for: say
// so in one line, as every failure is told, and exit 1 rather than die with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    setImmediate(() => process.exit(process.exitCode ?? EXIT.OK));
    return;
  }
  const verb = COMMANDS.find((command) => command.name === process.argv[2])?.name;
  process.stderr.write(`aesc${verb === undefined ? '' : ` ${verb}`}: STDOUT_UNWRITABLE: cannot write standard output: ${oneLine(error.message)}\n`);
  process.exit(EXIT.BAD_INPUT);
});
// Standard error is where failures are told; when it cannot be written there is nowhere left to
// tell anything, and a warning lost there must not cost the command its output and exit code.
process.stderr.on('error', () => undefined);

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`aesc: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);

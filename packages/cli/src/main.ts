import { EXIT } from './errors.js';
import { run } from './run.js';

/*
 * The `aesc` process (bin/aesc.js loads this file). Exit codes are set, never forced with
 * process.exit, so that everything written reaches a pipe before the process ends.
 */

// A reader that stops early (`aesc inspect - < big | head -1`) closes the pipe: nothing is
// left to say to it, so stop quietly instead of dying on an unhandled EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
  throw error;
});

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`aesc: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  },
);

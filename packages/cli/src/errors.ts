import { ClientError } from '@aesc/client';
import { EncodingError } from '@aesc/encoding';
import { SignerError } from '@aesc/signer';
import { TxError } from '@aesc/tx';

/** Stable codes of {@link CliError}; the README lists them beside the library codes the CLI passes on. */
export type CliErrorCode =
  /** a command line the verb does not accept: unknown verb or option, missing or extra argument */
  | 'USAGE'
  /** text that is not the JSON `aesc build` reads */
  | 'INVALID_JSON'
  /** a number argument that is not a decimal string of digits */
  | 'INVALID_NUMBER'
  /** a standard-input line longer than any value or JSON form can be */
  | 'LINE_TOO_LONG'
  /** `aesc verify` of a tx that is not a `signed_tx` */
  | 'NOT_SIGNED'
  /** a key file that cannot be read */
  | 'KEY_FILE_UNREADABLE'
  /** a key file that cannot be written */
  | 'KEY_FILE_UNWRITABLE'
  /** a key file that holds no ed25519 secret key */
  | 'INVALID_KEY_FILE'
  /** `aesc keygen --out` to a file that already exists */
  | 'KEY_FILE_EXISTS'
  /** a `devnode --genesis` file that cannot be read (missing, a directory, no permission) */
  | 'GENESIS_FILE_UNREADABLE'
  /** standard input that cannot be read: a directory, or a read error */
  | 'STDIN_UNREADABLE'
  /** standard output that cannot be written: a full disk, an I/O error (a closed pipe ends quietly) */
  | 'STDOUT_UNWRITABLE'
  /** `aesc devnode` cannot listen on a port: in use, not permitted, or an address not of this machine */
  | 'CANNOT_LISTEN';

/** A failure of the command line or of what it needs (standard input, a port); bad values fail with the error of the package that read them. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Process exit codes, documented in the README. */
export const EXIT = {
  OK: 0,
  /**
   * a value, a file or a line of input was rejected, or what the command needs failed: a port
   * in use, a node that cannot be reached or refuses a request
   */
  BAD_INPUT: 1,
  /** the command line was wrong */
  USAGE: 2,
  /** `aesc verify`: the tx decoded, its signatures do not satisfy its signers */
  NOT_VERIFIED: 3,
  /** a bug: an error none of the packages declares (sysexits EX_SOFTWARE) */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What a failed value reports: a stable code and a message of one line. */
export interface ErrorReport {
  code: string;
  message: string;
}

/** An error a package of this toolkit declares, which ends a command with its code. */
export type DeclaredError = CliError | EncodingError | TxError | SignerError | ClientError;

/**
 * Whether `error` is an error a package of this toolkit declares for bad input or a failure
 * around the command (a node, a channel). `ClientError('INTERNAL')` is the client's own bug,
 * so it stays a bug here too.
 */
export function isDeclaredError(error: unknown): error is DeclaredError {
  return (
    error instanceof CliError ||
    error instanceof EncodingError ||
    error instanceof TxError ||
    error instanceof SignerError ||
    (error instanceof ClientError && error.code !== 'INTERNAL')
  );
}

/** The `{code, message}` of a declared error; anything else is a bug and is rethrown. */
export function errorReport(error: unknown): ErrorReport {
  if (!isDeclaredError(error)) throw error;
  return { code: error.code, message: oneLine(error.message) };
}

/** The exit code a declared error ends the process with. */
export function exitCodeOf(error: DeclaredError): ExitCode {
  return error instanceof CliError && error.code === 'USAGE' ? EXIT.USAGE : EXIT.BAD_INPUT;
}

/** Messages are printed on one line whatever they quote: runs of control characters become a space. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

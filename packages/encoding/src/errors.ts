/**
 * Stable codes of {@link EncodingError}. Callers branch on `err.code`, never on the message.
 */
export type EncodingErrorCode =
  | 'EMPTY_INPUT'
  | 'INPUT_TOO_LONG'
  | 'MISSING_PREFIX'
  | 'UNKNOWN_PREFIX'
  | 'WRONG_PREFIX'
  | 'INVALID_CHARACTER'
  | 'BAD_CHECKSUM'
  | 'WRONG_PAYLOAD_SIZE';

export interface EncodingErrorContext {
  /** The prefix read from the input, when one was read. */
  readonly prefix?: string;
  /** The prefix the caller asked for. */
  readonly expected?: string;
  /** Index into the input string of an offending character. */
  readonly position?: number;
  /** Payload size found, in bytes. */
  readonly size?: number;
  /** Input length, in characters. */
  readonly length?: number;
}

/** Every failure of `@aesc/encoding` on bad input is one of these. */
export class EncodingError extends Error {
  override readonly name = 'EncodingError';
  readonly code: EncodingErrorCode;
  readonly context: EncodingErrorContext;

  constructor(code: EncodingErrorCode, message: string, context: EncodingErrorContext = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

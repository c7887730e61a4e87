/**
 * Stable codes of {@link TxError}; the package README explains each. Strictness codes name the
 * exact way bytes differ from the one canonical serialization (DESIGN.md decision 3).
 */
export type TxErrorCode =
  /** zero bytes where a transaction was expected */
  | 'EMPTY_INPUT'
  /** an RLP header claims more bytes than there are (in the input or in its enclosing list) */
  | 'TRUNCATED'
  /** bytes left after the top RLP item */
  | 'TRAILING_BYTES'
  /** a valid RLP item written in a non-shortest form (`81 05`, `b8 01 …`, length with leading zero) */
  | 'NON_CANONICAL_RLP'
  /** lists nested deeper than any transaction can be */
  | 'NESTING_TOO_DEEP'
  /** a byte string where a list is required (the object itself, `updates`, an update, `signatures`) */
  | 'EXPECTED_LIST'
  /** a list where a byte string is required (an integer, a key, a payload) */
  | 'EXPECTED_BYTES'
  /** a tag that is no transaction of this era */
  | 'UNKNOWN_TAG'
  /** a valid transaction of another type than the caller required */
  | 'WRONG_TAG'
  /** a version other than 1 */
  | 'WRONG_VERSION'
  /** more or fewer fields than the type's layout */
  | 'WRONG_FIELD_COUNT'
  /** an integer with a leading zero byte, or zero written as the empty string `80` */
  | 'NON_CANONICAL_INT'
  /** a key, channel id or signature of a size no key, id or signature has */
  | 'WRONG_FIELD_SIZE'
  /** signatures not in ascending byte order (the canonical form sorts them) */
  | 'NON_CANONICAL_ORDER'
  /** a value that cannot be serialized (negative integer, wrong type in a field) */
  | 'INVALID_FIELD'
  /** a JSON form that does not describe a transaction */
  | 'INVALID_JSON';

export interface TxErrorContext {
  /** Where in the transaction: `fee`, `updates[1].amount`, `tx.initiator`, `signatures[0]`. */
  readonly path?: string;
  /** Byte offset into the input where the problem starts, for RLP-level errors. */
  readonly offset?: number;
  /** The tag read, for tag errors. */
  readonly tag?: number;
}

/** Every failure of `@aesc/tx` on bad input is one of these (base58 problems are `EncodingError`). */
export class TxError extends Error {
  override readonly name = 'TxError';
  readonly code: TxErrorCode;
  readonly context: TxErrorContext;

  constructor(code: TxErrorCode, message: string, context: TxErrorContext = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

/** The TxError of a problem with the value at `path`: the message starts with the path, the context holds it. */
export function pathError(code: TxErrorCode, path: string, problem: string): TxError {
  return new TxError(code, `${path}: ${problem}`, { path });
}

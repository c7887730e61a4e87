/**
 * Stable codes of {@link SchemaError}; the package README explains each. Callers branch on
 * `err.code`, never on the message.
 */
export type SchemaErrorCode =
  /** the text is not JSON; or, to `parseJsonExact` with `duplicateKeys: 'refuse'`, a key given twice in one object */
  | 'INVALID_JSON'
  /** JSON, but not an object (an array, a string, null, …) */
  | 'NOT_AN_OBJECT'
  /** an object without a string `action` */
  | 'MISSING_ACTION'
  /** an `action` this direction of the protocol does not have */
  | 'UNKNOWN_ACTION'
  /** a sign request tag, or an `update` request tag, the protocol does not have */
  | 'UNKNOWN_TAG'
  /** a frame of the other dialect than the one asked for */
  | 'WRONG_DIALECT'
  /** a known frame whose content breaks its schema: a missing or extra key, a wrong type, a bad prefix */
  | 'SCHEMA'
  /** a connection parameter its role requires is absent */
  | 'MISSING_PARAM'
  /** a connection parameter with a value it cannot have */
  | 'INVALID_PARAM'
  /** a connection parameter that does not exist */
  | 'UNKNOWN_PARAM'
  /** a connection parameter given more than once */
  | 'DUPLICATE_PARAM';

export interface SchemaErrorContext {
  /**
   * JSON Pointer (RFC 6901) to the first problem in the frame: `/payload/amount`; `''` for the
   * whole frame. For a missing or an extra key, the pointer names that key.
   */
  readonly path?: string;
  /** The JSON Schema keyword that failed (`required`, `pattern`, `type`, …), for `SCHEMA`. */
  readonly keyword?: string;
  /** The frame's `action`, once it is known. */
  readonly action?: string;
  /** The tag in question, for `UNKNOWN_TAG` and `WRONG_DIALECT`. */
  readonly tag?: string;
  /** The dialect asked for, for `WRONG_DIALECT`. */
  readonly dialect?: string;
  /** Character offset into the text where JSON parsing stopped, for `INVALID_JSON` when known. */
  readonly position?: number;
  /** The connection parameter in question, for the `*_PARAM` codes. */
  readonly param?: string;
}

/** Every failure of `@aesc/schema` on bad input is one of these. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  readonly code: SchemaErrorCode;
  readonly context: SchemaErrorContext;

  constructor(code: SchemaErrorCode, message: string, context: SchemaErrorContext = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

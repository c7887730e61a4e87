/**
 * Argument checks shared by every `@aesc` package. Wrong argument *shapes* are programming
 * errors and throw `TypeError`/`RangeError` naming the argument; bad *content* of well-shaped
 * input throws the package's own error class with a stable code.
 */

/**
 * The `Symbol.toStringTag` getter of `%TypedArray%.prototype`: it reads the internal
 * [[TypedArrayName]] slot, so no prototype, `constructor`, Proxy or subclass name can fake it,
 * and it answers for typed arrays of every realm (vm, iframe). Anything else gives undefined.
 */
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)
  ?.get as (this: unknown) => string | undefined;

/** True for a Uint8Array (or a subclass such as Buffer), including one from another realm. */
export function isBytes(value: unknown): value is Uint8Array {
  return typedArrayName.call(value) === 'Uint8Array';
}

/**
 * `bytes` (already checked with {@link isBytes}) as a plain Uint8Array of this realm over the
 * same memory, without copying. A Buffer or other subclass (whose `subarray`/`slice` build
 * whatever its species says) and an array of another realm (which fails the `instanceof`
 * checks of other libraries) become an ordinary view; a plain Uint8Array comes back as is.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function assertBytes(value: unknown, name: string, ...lengths: number[]): asserts value is Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes long, got ${value.length}`);
  }
}

export function assertBigint(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${describe(value)}`);
  if (value < 0n) {
    // a huge bigint is not even converted to text: that alone takes time
    throw new RangeError(`${name} must not be negative, got ${value > -(10n ** 30n) ? value : 'a bigint of over 30 digits'}`);
  }
}

export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
}

/** A short, safe description of a value for an error message (never its full content). */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${typedArrayName.call(value) ?? 'DataView'}`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return `a ${typeof value}`;
}

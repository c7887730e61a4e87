/**
 * Building blocks shared by every message family. `tx$`/`ak$`/`ch$` strings use the template
 * literal types of `@aesc/encoding`; the schema generator turns each into a `pattern` over the
 * base58 alphabet and a `maxLength`, what the prefix's largest payload encodes to (the checksum
 * is left to whoever decodes the value).
 */
import type { AccountPubkey, ChannelId, EncodedTx } from '@aesc/encoding';

export type { AccountPubkey, ChannelId, EncodedTx };

/**
 * The two vocabularies of DESIGN.md decision 5: `seed` (the names of the seed document) and
 * `v0.14` (the names of the reference node).
 */
export const DIALECTS = ['seed', 'v0.14'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * A JSON integer literal (no fraction, no exponent), of any size: parsed exactly into a bigint.
 * @TJS-type integer
 */
export type Integer = bigint;

/**
 * A JSON integer literal that is zero or more, of any size: parsed exactly into a bigint.
 * @TJS-type integer
 * @minimum 0
 */
export type NonNegativeInteger = bigint;

/** The payload of a frame that carries nothing. (A `shutdown`'s is `ShutdownPayload`: any object.) */
export type EmptyPayload = Record<string, never>;

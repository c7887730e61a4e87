// Types of generate-schemas.mjs, for the tests that regenerate the schemas in memory.

export interface Family {
  readonly name: string;
  readonly source: string;
  readonly title: string;
  readonly description: string;
  readonly roots: readonly string[];
  readonly definitions: readonly string[];
}

export type JsonSchema = { readonly [keyword: string]: unknown };

export declare const PACKAGE_DIR: string;
export declare const SCHEMAS_DIR: string;
export declare const VALIDATORS_FILE: string;
export declare const VALIDATORS_TYPES_FILE: string;
export declare const TJS_SETTINGS: Readonly<{ required: true; noExtraProps: true; strictNullChecks: true }>;
export declare const FAMILIES: readonly Family[];
/** [export name, family, definition] of every standalone validator. */
export declare const VALIDATORS: readonly (readonly [string, string, string])[];
/** Largest payload in bytes of each prefix the frames carry (`maxPayloadSize` of @aesc/encoding). */
export declare const MAX_PAYLOAD_BYTES: Readonly<Record<'ak' | 'ch' | 'tx', number>>;

/** The most base58 characters after `prefix$`: the schemas' `maxLength` of such a value, less 3. */
export declare function maxBase58Length(prefix: 'ak' | 'ch' | 'tx'): number;

/** The pattern of the decimal integers `min` (0 or 1) to `max`, without sign or leading zeros. */
export declare function decimalRangePattern(min: bigint, max: bigint): string;

export declare function schemaId(family: string): string;
export declare function generateSchemaObjects(): Record<string, JsonSchema>;
export declare function schemaText(schema: JsonSchema): string;
export declare function generateValidatorCode(schemas: Record<string, JsonSchema>): { code: string; declarations: string };
/** Every generated file: absolute path → content. */
export declare function generateAll(): Map<string, string>;

#!/usr/bin/env node
/**
 * Generates, from the TypeScript types of src/messages/:
 *   - schemas/<family>.json: one JSON Schema (draft-07) per message family, with
 *     typescript-json-schema and the flags `--required --noExtraProps --strictNullChecks`
 *     (all three default to false, which would accept missing keys, extra keys and nulls);
 *   - src/generated/validators.js (+ .d.ts): ajv's standalone code for the validators the parser
 *     uses, so that nothing is compiled at run time.
 * Run by the package build; src/schemas.test.ts regenerates both in memory and fails when the
 * committed files differ.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const TJS = require('typescript-json-schema');
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const MESSAGES_DIR = join(PACKAGE_DIR, 'src', 'messages');
export const SCHEMAS_DIR = join(PACKAGE_DIR, 'schemas');
export const VALIDATORS_FILE = join(PACKAGE_DIR, 'src', 'generated', 'validators.js');
export const VALIDATORS_TYPES_FILE = join(PACKAGE_DIR, 'src', 'generated', 'validators.d.ts');

/** The settings the issue asks for, spelled as typescript-json-schema's API names them. */
export const TJS_SETTINGS = Object.freeze({ required: true, noExtraProps: true, strictNullChecks: true });

const BASE58 = '[1-9A-HJ-NP-Za-km-z]';

/**
 * The largest payload, in bytes, of each prefix the frames carry, as `maxPayloadSize` of
 * `@aesc/encoding` says (a 32-byte key or a legacy 65-byte one, a 32-byte channel id, a tx of at
 * most 65 532 bytes, `MAX_VARIABLE_PAYLOAD`); src/schemas.test.ts checks that they agree. Written
 * out because this script runs before any workspace package is built.
 */
export const MAX_PAYLOAD_BYTES = Object.freeze({ ak: 65, ch: 32, tx: 65_532 });

/**
 * The most base58 characters `payload ‖ 4-byte checksum` can take for `prefix`. Nothing longer
 * decodes, so a schema that allowed it would let a hostile node send kilobytes where 50
 * characters belong.
 */
export function maxBase58Length(prefix) {
  const bytes = MAX_PAYLOAD_BYTES[prefix];
  if (bytes === undefined) throw new Error(`no payload size known for the prefix ${prefix}$`);
  return Math.ceil(((bytes + 4) * Math.log(256)) / Math.log(58));
}

/**
 * The message families: one schema file each. `roots` are the frames a file validates as a
 * whole; `definitions` are the named types it also carries (dialect variants, parts).
 */
export const FAMILIES = [
  {
    name: 'channel-params',
    source: 'channel-params.ts',
    title: 'Channel WebSocket query parameters',
    description:
      'The query string of ws://host:port/channel?… as text, per role (BEHAVIOUR.md §1.2). The pattern of each numeric value holds its range (amounts < 2^64, lock_period < 2^16, minimum_depth < 2^32, timeouts < 2^32, port 1–65535); the checksum and key length of initiator and responder are checked by fromQuery.',
    roots: ['InitiatorQuery', 'ResponderQuery'],
    definitions: ['ChannelQuery', 'InitiatorQuery', 'ResponderQuery'],
  },
  {
    name: 'info',
    source: 'info.ts',
    title: 'info report (node → client)',
    description: 'Progress of the channel state machine; the event names of both dialects.',
    roots: ['InfoMessage'],
    definitions: ['InfoMessage', 'SeedInfoMessage', 'V014InfoMessage'],
  },
  {
    name: 'sign',
    source: 'sign.ts',
    title: 'sign request (node → client) and sign reply (client → node)',
    description: 'A reply repeats the request tag as its action and carries the signed_tx.',
    roots: ['SignRequest', 'SignReply'],
    definitions: ['SignRequest', 'SeedSignRequest', 'V014SignRequest', 'SignReply', 'SeedSignReply', 'V014SignReply'],
  },
  {
    name: 'update-new',
    source: 'update-new.ts',
    title: 'update/new (client → node)',
    description: 'Proposes an off-chain transfer; amount is an integer literal of any size.',
    roots: ['UpdateNewRequest'],
    definitions: ['UpdateNewRequest'],
  },
  {
    name: 'co-signed-state',
    source: 'co-signed-state.ts',
    title: 'update {state} (node → client)',
    description: 'The latest off-chain state, signed by both parties, after every completed round.',
    roots: ['CoSignedState'],
    definitions: ['CoSignedState'],
  },
  {
    name: 'on-chain-tx',
    source: 'on-chain-tx.ts',
    title: 'on_chain_tx (node → client)',
    description: 'The co-signed create or mutual-close transaction.',
    roots: ['OnChainTx'],
    definitions: ['OnChainTx'],
  },
  {
    name: 'conflict',
    source: 'conflict.ts',
    title: 'conflict (node → client)',
    description: 'Concurrent updates cancelled; round is the last co-signed round.',
    roots: ['Conflict'],
    definitions: ['Conflict'],
  },
  {
    name: 'generic-message',
    source: 'generic-message.ts',
    title: 'generic message (client → node and node → client)',
    description: 'A text sent to the other party, and its report on the receiving side.',
    roots: ['MessageRequest', 'MessageReport'],
    definitions: ['MessageRequest', 'MessageReport'],
  },
  {
    name: 'error',
    source: 'error.ts',
    title: 'error (node → client)',
    description: '{reason, request}: one request rejected; {message}: the state machine aborted (info died follows).',
    roots: ['RequestError', 'FsmError'],
    definitions: ['RequestError', 'FsmError'],
  },
  {
    name: 'shutdown',
    source: 'shutdown.ts',
    title: 'shutdown (client → node)',
    description: 'Starts a mutual close.',
    roots: ['ShutdownRequest'],
    definitions: ['ShutdownRequest'],
  },
  {
    name: 'node-message',
    source: 'unions.ts',
    title: 'any node → client frame',
    description: 'The union of the node → client families, with a variant per dialect.',
    roots: ['NodeMessage'],
    definitions: ['NodeMessage', 'SeedNodeMessage', 'V014NodeMessage'],
  },
  {
    name: 'client-message',
    source: 'unions.ts',
    title: 'any client → node frame',
    description: 'The union of the client → node families, with a variant per dialect.',
    roots: ['ClientMessage'],
    definitions: ['ClientMessage', 'SeedClientMessage', 'V014ClientMessage'],
  },
];

/** The validators the parser imports, by the schema definition each one checks. */
export const VALIDATORS = [
  ['validateInitiatorQuery', 'channel-params', 'InitiatorQuery'],
  ['validateResponderQuery', 'channel-params', 'ResponderQuery'],
  ['validateInfoMessage', 'info', 'InfoMessage'],
  ['validateSignRequest', 'sign', 'SignRequest'],
  ['validateSignReply', 'sign', 'SignReply'],
  ['validateUpdateNewRequest', 'update-new', 'UpdateNewRequest'],
  ['validateCoSignedState', 'co-signed-state', 'CoSignedState'],
  ['validateOnChainTx', 'on-chain-tx', 'OnChainTx'],
  ['validateConflict', 'conflict', 'Conflict'],
  ['validateMessageRequest', 'generic-message', 'MessageRequest'],
  ['validateMessageReport', 'generic-message', 'MessageReport'],
  ['validateRequestError', 'error', 'RequestError'],
  ['validateFsmError', 'error', 'FsmError'],
  ['validateShutdownRequest', 'shutdown', 'ShutdownRequest'],
];

export function schemaId(family) {
  return `urn:aesc:schema:${family}`;
}

/** The pattern of a decimal integer without sign or leading zeros (`DecimalText` and its kin). */
const DECIMAL = '^(0|[1-9][0-9]*)$';

/**
 * A pattern for the decimal integers from `min` (0 or 1) to `max`, without sign or leading
 * zeros: what a bounded `DecimalText` of the query means. A query value is text, so
 * `minimum`/`maximum` cannot say it; this regex can, in every validator's dialect. For
 * `max` = d1…dk: any shorter number, then for each i the numbers that agree with `max` on
 * d1…di and have a smaller next digit, then `max` itself.
 */
export function decimalRangePattern(min, max) {
  if (min !== 0n && min !== 1n) throw new Error(`decimal range from ${min}: only 0 or 1 is supported`);
  if (max < min) throw new Error(`empty decimal range ${min}–${max}`);
  const digits = max.toString();
  const any = (count) => (count === 0 ? '' : count === 1 ? '[0-9]' : `[0-9]{${count}}`);
  const between = (low, high) => (low === high ? String(low) : `[${low}-${high}]`);
  const alternatives = min === 0n ? ['0'] : [];
  if (digits.length === 2) alternatives.push('[1-9]');
  else if (digits.length > 2) alternatives.push(`[1-9][0-9]{0,${digits.length - 2}}`);
  for (let index = 0; index < digits.length; index++) {
    const low = index === 0 ? 1 : 0;
    const high = Number(digits[index]) - 1;
    if (high >= low) alternatives.push(`${digits.slice(0, index)}${between(low, high)}${any(digits.length - index - 1)}`);
  }
  if (max > 0n) alternatives.push(digits);
  return `^(?:${[...new Set(alternatives)].join('|')})$`;
}

/**
 * A bound of a decimal text, as typescript-json-schema read it from the JSDoc (a JSON number).
 * Past 2^53 only a power of two is exact, which an `exclusiveMaximum` of 2^64 is.
 */
function exactBound(value, where) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${where}: a bound must be a non-negative integer`);
  if (!Number.isSafeInteger(value) && value !== 2 ** Math.round(Math.log2(value))) {
    throw new Error(`${where}: ${value} past 2^53 is not exact; bound it by an exclusiveMaximum that is a power of two`);
  }
  return BigInt(value);
}

/**
 * Class escapes and constructs whose meaning differs between the regex dialects other SDKs
 * validate with (ECMA-262, Python `re`, Go RE2, Rust `regex`): `\s` is ASCII in Go and takes
 * \x1c–\x1f and \x85 in Python, `\d`/`\w` are Unicode in Python, `\u` is no escape in Go, and
 * Go and Rust have no lookaround or back-references. A pattern must spell its classes out.
 */
const UNPORTABLE = /\\[sSdDwWbBpP1-9]|\(\?[=!<]/;

/**
 * Makes a source pattern mean the same under every validator, or stops the build: a regex `\u`
 * escape becomes the character itself (Go has no `\u`; the file spells it as a JSON escape, see
 * `schemaText`). Python's `re.search` also lets a final `$` match before a final `\n`, which no
 * draft-07 pattern can forbid without an `allOf` and a `not` around every one: the README's
 * "Other languages" says what a Python consumer does about it.
 */
function portableString(node, where) {
  const source = node.pattern;
  if (UNPORTABLE.test(source)) throw new Error(`${where}: pattern ${source} has a class or construct other regex dialects read differently; spell it out`);
  if (!source.startsWith('^') || !source.endsWith('$')) throw new Error(`${where}: pattern ${source} must be anchored at both ends`);
  node.pattern = source.replace(/\\u([0-9a-fA-F]{4})/g, (escape, hex) => {
    const code = Number.parseInt(hex, 16);
    // ASCII may be regex syntax (`\u005d` is `]`); the escapes are for spaces past it.
    if (code < 0x80) throw new Error(`${where}: write ${escape} as an ASCII escape`);
    return String.fromCharCode(code);
  });
}

/**
 * typescript-json-schema turns `` `tx$${string}` `` into `^tx\$.*$`; every such value is
 * base58 after the `$` (a `tx$` with a space or an `l` is no tx), and no longer than its largest
 * payload encodes to (nor is a 10 kB `ak$`): the pattern says the first, `maxLength` the second.
 * (A counted `{1,89500}` in the pattern would say both, at twice the cost of the regex on the hot
 * path.) A `DecimalText` with `minimum`/`maximum`/`exclusiveMaximum` (the JSDoc of a bounded
 * query value) gets the pattern of exactly its range. Any other `.*` means a template type this
 * script does not know, and stops the build; so does a `maxLength` of the sources, since the
 * validators count UTF-16 units (see createAjv). Every pattern is then made portable.
 */
function tightenPatterns(node, where) {
  if (Array.isArray(node)) {
    node.forEach((item, index) => tightenPatterns(item, `${where}/${index}`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const key of ['maxLength', 'minLength']) {
    if (key in node) throw new Error(`${where}: ${key} in a source type; the validators count UTF-16 units, so check text limits in the parser`);
  }
  const bounds = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].filter((key) => key in node);
  if (bounds.length > 0 && node.type === 'string') {
    if (node.pattern !== DECIMAL || bounds.includes('exclusiveMinimum')) throw new Error(`${where}: bounds on a string other than a DecimalText`);
    if ('maximum' in node === 'exclusiveMaximum' in node) throw new Error(`${where}: a bounded DecimalText needs one of maximum and exclusiveMaximum`);
    const min = 'minimum' in node ? exactBound(node.minimum, where) : 0n;
    const max = 'maximum' in node ? exactBound(node.maximum, where) : exactBound(node.exclusiveMaximum, where) - 1n;
    for (const key of bounds) delete node[key];
    node.pattern = decimalRangePattern(min, max);
  }
  if (typeof node.pattern === 'string') {
    const prefixed = /^\^([a-z]{2})\\\$\.\*\$$/.exec(node.pattern);
    if (prefixed) {
      node.pattern = `^${prefixed[1]}\\$${BASE58}+$`;
      node.maxLength = 3 + maxBase58Length(prefixed[1]);
    } else if (node.pattern.includes('.*')) throw new Error(`${where}: unexpected template pattern ${node.pattern}`);
    portableString(node, where);
  }
  for (const [key, value] of Object.entries(node)) tightenPatterns(value, `${where}/${key}`);
}

/**
 * A TypeScript program of `files` under the package's own tsconfig (the paths that map
 * `@aesc/encoding` to its sources, the strict flags). TJS's `programFromConfig` passes the
 * config's base name only, so `types: ["node"]` would be looked up from the working directory.
 */
function createProgram(files) {
  const { ts } = TJS;
  const configPath = join(PACKAGE_DIR, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, PACKAGE_DIR, { noEmit: true }, configPath);
  return ts.createProgram({ rootNames: files, options: parsed.options });
}

/** Builds every family's schema from the sources; returns `{ name: schemaObject }`. */
export function generateSchemaObjects() {
  const files = [...new Set(FAMILIES.map((family) => join(MESSAGES_DIR, family.source)))];
  const program = createProgram(files);
  const generator = TJS.buildGenerator(program, TJS_SETTINGS);
  if (generator === null) throw new Error('typescript-json-schema: the message types do not compile (see above)');
  const schemas = {};
  for (const family of FAMILIES) {
    const generated = generator.getSchemaForSymbols(family.definitions);
    tightenPatterns(generated.definitions, `${family.name}#/definitions`);
    schemas[family.name] = {
      $schema: generated.$schema,
      $id: schemaId(family.name),
      title: family.title,
      description: family.description,
      anyOf: family.roots.map((root) => ({ $ref: `#/definitions/${root}` })),
      definitions: generated.definitions,
    };
  }
  return schemas;
}

export function schemaText(schema) {
  // A pattern's characters past ASCII (the host's spaces) as JSON escapes: visible in the file,
  // and read as the characters themselves by every JSON parser.
  // (By lines of the text: a regex's `.` and `^`/`$` would stop at U+2028 and U+2029.)
  const lines = JSON.stringify(schema, null, 2).split('\n');
  const ascii = lines.map((line) =>
    /^ *"pattern": /.test(line) ? line.replace(/[\u0080-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`) : line,
  );
  return `${ascii.join('\n')}\n`;
}

/** A fresh ajv holding every schema, set up as the standalone validators are compiled. */
export function createAjv(schemas, options = {}) {
  const ajv = new Ajv({
    strict: true,
    allErrors: false,
    // `u` makes the patterns' character classes code-point based, as JSON Schema means them.
    unicodeRegExp: true,
    // `maxLength` as `.length`, without ajv's ucs2length helper, which standalone code would
    // `require`. The only maxLengths are those of the base58 values (tightenPatterns), whose
    // characters are all ASCII: a value with any other character fails its pattern anyway.
    // ajv calls the option deprecated but honours it; its notice says nothing to act on here.
    unicode: false,
    logger: {
      log: console.log,
      warn: (...args) => {
        if (!String(args[0]).startsWith('DEPRECATED: option unicode')) console.warn(...args);
      },
      error: console.error,
    },
    ...options,
  });
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  return ajv;
}

/** ajv standalone ESM code of every validator in VALIDATORS, and its type declarations. */
export function generateValidatorCode(schemas) {
  const ajv = createAjv(schemas, { code: { source: true, esm: true, lines: true } });
  const refs = Object.fromEntries(
    VALIDATORS.map(([name, family, definition]) => [name, `${schemaId(family)}#/definitions/${definition}`]),
  );
  const code = standaloneCode(ajv, refs);
  if (/\brequire\(/.test(code)) {
    // ajv's ESM output still `require`s its runtime helpers (ucs2length for minLength, …);
    // the schemas must avoid the keywords that need them.
    throw new Error('standalone validators need an ajv runtime helper; avoid uniqueItems/format');
  }
  const header = [
    '// Generated by scripts/generate-schemas.mjs from schemas/*.json (ajv standalone); do not edit.',
    '// Regenerate with `pnpm --filter @aesc/schema build`; src/schemas.test.ts checks it is current.',
    '',
  ].join('\n');
  const declarations = [
    '// Generated by scripts/generate-schemas.mjs; do not edit.',
    '',
    '/** One problem, as ajv reports it (only the first is kept: validators stop there). */',
    'export interface ValidationIssue {',
    '  instancePath: string;',
    '  schemaPath: string;',
    '  keyword: string;',
    '  params: Record<string, unknown>;',
    '  message?: string;',
    '}',
    '',
    'export interface GeneratedValidator {',
    '  (data: unknown): boolean;',
    '  errors?: ValidationIssue[] | null;',
    '}',
    '',
    ...VALIDATORS.map(([name, family, definition]) => `/** schemas/${family}.json#/definitions/${definition} */\nexport declare const ${name}: GeneratedValidator;`),
    '',
  ].join('\n');
  return { code: `${header}${code}\n`, declarations };
}

/** Every generated file's path and content. */
export function generateAll() {
  const schemas = generateSchemaObjects();
  const files = new Map();
  for (const [name, schema] of Object.entries(schemas)) files.set(join(SCHEMAS_DIR, `${name}.json`), schemaText(schema));
  const { code, declarations } = generateValidatorCode(schemas);
  files.set(VALIDATORS_FILE, code);
  files.set(VALIDATORS_TYPES_FILE, declarations);
  return files;
}

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function main() {
  let written = 0;
  const files = generateAll();
  for (const [path, content] of files) {
    if (readOrEmpty(path) === content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written += 1;
    console.log(`wrote ${path.slice(PACKAGE_DIR.length)}`);
  }
  console.log(`generate-schemas: ${files.size} files, ${written} changed`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();

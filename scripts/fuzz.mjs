#!/usr/bin/env node
/**
 * Fuzzer of every decoder of @aesc/encoding and @aesc/tx.
 *
 *   node scripts/fuzz.mjs [count] [seed]      (pnpm fuzz 2000000)
 *
 * Run this way it imports the BUILT packages (`npx pnpm@10.34.8 build` first) and prints how
 * many inputs ended in each outcome per function. packages/tx/test/fuzz.test.ts runs the same
 * engine on the sources, with fewer inputs, in CI.
 *
 * Inputs: random bytes, random RLP shaped like transactions, and mutations of valid encodings
 * (bit flips, byte insert/delete/overwrite, truncation, RLP length-field tweaks, splices of two
 * valid txs, subtree swaps), of valid `$` strings, and of valid JSON forms, plus random JSON.
 * Each goes to `decodeRlp`, `deserializeTx` (every `expected` mode), `decodeTx`, `parse`,
 * `isEncoded` and `fromJSON`. A violation is:
 *  - an exception other than the package's typed error (TypeError, RangeError, stack overflow…);
 *  - an accepted input that does not re-serialize to exactly the input (bytes, string or JSON);
 *  - two entry points disagreeing on the same input (decodeTx vs deserializeTx, isEncoded vs parse);
 *  - the node build of @aesc/encoding (WebAssembly base58) and its portable build (BigInt
 *    base58, the one browsers get) disagreeing on a string or on an encoding, when both are
 *    given (the script runs the node build against the portable one, CI the sources, which
 *    are the portable build, against dist/node.js).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (sfc32, seeded through splitmix32): a failure is replayed by its seed.

export function createRandom(seed) {
  let state = seed >>> 0;
  const splitmix = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  const random = {
    uint32: next,
    /** integer in [0, n) */
    int: (n) => (n <= 0 ? 0 : Math.floor((next() / 4294967296) * n)),
    chance: (p) => next() / 4294967296 < p,
    pick: (items) => items[random.int(items.length)],
    bytes: (length) => {
      const out = new Uint8Array(length);
      for (let index = 0; index < length; index++) out[index] = next() & 0xff;
      return out;
    },
    /** small lengths mostly, sometimes long */
    length: (max = 64) => (random.chance(0.85) ? random.int(max + 1) : random.int(max * 10 + 1)),
  };
  return random;
}

// ---------------------------------------------------------------------------------------------
// Small helpers, independent of the packages under test.

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));
const concat = (...parts) => Uint8Array.from(Buffer.concat(parts.map((part) => Buffer.from(part))));
const equalBytes = (left, right) => left.length === right.length && Buffer.compare(Buffer.from(left), Buffer.from(right)) === 0;

function uintBytes(value) {
  if (value === 0n) return Uint8Array.of(0);
  let digits = value.toString(16);
  if (digits.length % 2) digits = `0${digits}`;
  return fromHex(digits);
}

function rlpHeader(offset, length) {
  if (length <= 55) return Uint8Array.of(offset + length);
  const lengthBytes = uintBytes(BigInt(length));
  return Uint8Array.of(offset + 55 + lengthBytes.length, ...lengthBytes);
}

/** Canonical RLP of nested Uint8Array / arrays. */
function rlp(item) {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return concat(rlpHeader(0x80, item.length), item);
  }
  const body = concat(...item.map(rlp));
  return concat(rlpHeader(0xc0, body.length), body);
}

/**
 * Spans of every RLP item in `bytes` (lenient: stops at the first inconsistency): where its
 * header starts, where its body starts, where it ends, and whether it is a list.
 */
function rlpSpans(bytes) {
  const spans = [];
  const walk = (start, end, depth) => {
    let offset = start;
    while (offset < end && spans.length < 4096) {
      const first = bytes[offset];
      let bodyStart;
      let length;
      let isList = false;
      if (first < 0x80) {
        spans.push({ start: offset, bodyStart: offset, end: offset + 1, isList: false, lengthOfLength: 0 });
        offset += 1;
        continue;
      }
      let lengthOfLength = 0;
      if (first <= 0xb7) [bodyStart, length] = [offset + 1, first - 0x80];
      else if (first < 0xc0) [lengthOfLength, isList] = [first - 0xb7, false];
      else if (first <= 0xf7) [bodyStart, length, isList] = [offset + 1, first - 0xc0, true];
      else [lengthOfLength, isList] = [first - 0xf7, true];
      if (lengthOfLength > 0) {
        length = 0;
        for (let index = 0; index < lengthOfLength; index++) length = length * 256 + (bytes[offset + 1 + index] ?? 0);
        bodyStart = offset + 1 + lengthOfLength;
      }
      const itemEnd = bodyStart + length;
      if (itemEnd > end) return;
      spans.push({ start: offset, bodyStart, end: itemEnd, isList, lengthOfLength });
      if (isList && depth < 16) walk(bodyStart, itemEnd, depth + 1);
      offset = itemEnd;
    }
  };
  walk(0, bytes.length, 0);
  return spans;
}

// ---------------------------------------------------------------------------------------------
// Corpus: valid transactions, `$` strings and JSON forms, from the reference vectors, the seed,
// and random transactions built from the codec's own layouts.

const FIXTURES = new URL('../fixtures/vectors/', import.meta.url);
const readFixture = (name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xb9, 0xbf, 0xc0, 0xc1, 0xf7, 0xf8, 0xf9, 0xff, 0x0b, 0x0c, 0x32, 0x39, 0x04, 0x30];
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const ODD_CHARACTERS = ['$', '0', 'O', 'I', 'l', ' ', '\n', '\t', '\u0000', '\u007f', 'é', 'ß', '€', '😀', '\u200b', '\ufeff', '\ud800', '+', '/', '=', '-', '_', '.'];

function randomUint(random) {
  switch (random.int(5)) {
    case 0:
      return BigInt(random.int(300));
    case 1:
      return (1n << BigInt(random.int(265))) + BigInt(random.int(3)) - 1n + (random.chance(0.5) ? 0n : 1n);
    case 2:
      return BigInt(`0x${hex(random.bytes(1 + random.int(32)))}`);
    case 3:
      return BigInt(random.uint32());
    default:
      return BigInt(`0x${hex(random.bytes(1 + random.int(80)))}`);
  }
}

function randomPubkey(random) {
  return random.chance(0.8) ? random.bytes(32) : Uint8Array.of(0x04, ...random.bytes(64));
}

function randomSignature(random) {
  if (random.chance(0.8)) return random.bytes(64);
  const r = random.bytes(1 + random.int(33));
  const s = random.bytes(1 + random.int(33));
  return Uint8Array.of(0x30, 4 + r.length + s.length, 0x02, r.length, ...r, 0x02, s.length, ...s);
}

/** A random valid transaction object of the layouts `TX_DEFINITIONS` declares. */
function randomTx(random, definitions, serializeTx, depth = 0) {
  const definition = random.pick(definitions);
  const layout = random.pick(definition.layouts);
  const tx = { type: definition.type };
  for (const [name, kind] of layout) {
    switch (kind) {
      case 'int':
        tx[name] = randomUint(random);
        break;
      case 'pubkey':
        tx[name] = randomPubkey(random);
        break;
      case 'id':
        tx[name] = random.bytes(32);
        break;
      case 'payload':
        tx[name] =
          depth === 0 && random.chance(0.6)
            ? serializeTx({ type: 'signed_tx', signatures: [randomSignature(random)], tx: randomTx(random, definitions, serializeTx, 1) })
            : random.bytes(random.length(40));
        break;
      case 'updates':
        tx[name] = Array.from({ length: random.int(4) }, () => ({ from: randomPubkey(random), to: randomPubkey(random), amount: randomUint(random) }));
        break;
      default:
        tx[name] = random.bytes(random.chance(0.3) ? 0 : random.length(40));
    }
  }
  if (depth > 0 || random.chance(0.5)) return tx;
  return { type: 'signed_tx', signatures: Array.from({ length: random.int(3) }, () => randomSignature(random)), tx };
}

export function buildCorpus(api, random, generated = 300) {
  const { encoding, tx: txApi } = api;
  const reference = readFixture('reference-vectors.json');
  const seed = readFixture('seed-vectors.json');
  const txBytes = [];
  const strings = [];
  for (const vector of reference.vectors) {
    txBytes.push(fromHex(vector.unsigned.hex), fromHex(vector.signed.hex));
    strings.push(vector.unsigned.tx, vector.signed.tx, vector.signed.th);
    if (vector.channel) strings.push(vector.channel.ch);
  }
  for (const key of reference.keys) strings.push(key.ak);
  for (const value of seed) {
    strings.push(value.encoded);
    if (value.prefix === 'tx' && value.rlp_hex) txBytes.push(fromHex(value.rlp_hex));
  }
  const negatives = reference.negative_vectors.flatMap((vector) => (vector.input_hex ? [fromHex(vector.input_hex)] : vector.input ? [vector.input] : []));
  for (const negative of negatives) (typeof negative === 'string' ? strings : txBytes).push(negative);
  for (let index = 0; index < generated; index++) {
    const generatedTx = randomTx(random, txApi.TX_DEFINITIONS, txApi.serializeTx);
    const bytes = txApi.serializeTx(generatedTx);
    txBytes.push(bytes);
    if (bytes.length <= encoding.MAX_VARIABLE_PAYLOAD) strings.push(encoding.encode('tx', bytes));
  }
  for (const prefix of encoding.PREFIXES) {
    const size = prefix === 'sg' ? 64 : prefix === 'tx' || prefix === 'st' ? random.int(100) : 32;
    strings.push(encoding.encode(prefix, random.bytes(size)));
  }
  const jsonForms = [];
  for (const bytes of txBytes) {
    try {
      jsonForms.push(JSON.parse(JSON.stringify(txApi.toJSON(txApi.deserializeTx(bytes)))));
    } catch {
      // negative vectors and legacy forms that do not decode
    }
  }
  return { txBytes, strings, jsonForms };
}

// ---------------------------------------------------------------------------------------------
// Mutators.

function mutateBytes(random, input, corpus) {
  let bytes = Uint8Array.from(input);
  const rounds = 1 + (random.chance(0.7) ? 0 : random.int(4));
  for (let round = 0; round < rounds; round++) {
    const at = random.int(bytes.length + 1);
    switch (random.int(13)) {
      case 0: // bit flip
        if (bytes.length) bytes[at % bytes.length] ^= 1 << random.int(8);
        break;
      case 1: // overwrite with an interesting byte
        if (bytes.length) bytes[at % bytes.length] = random.pick(INTERESTING_BYTES);
        break;
      case 2: // overwrite with a random byte
        if (bytes.length) bytes[at % bytes.length] = random.int(256);
        break;
      case 3: // insert
        bytes = concat(bytes.subarray(0, at), random.chance(0.5) ? Uint8Array.of(random.pick(INTERESTING_BYTES)) : random.bytes(1 + random.int(4)), bytes.subarray(at));
        break;
      case 4: // delete
        bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + random.int(4))));
        break;
      case 5: // truncate
        bytes = bytes.subarray(0, random.int(bytes.length + 1));
        break;
      case 6: // append
        bytes = concat(bytes, random.chance(0.5) ? Uint8Array.of(random.pick(INTERESTING_BYTES)) : random.bytes(1 + random.int(8)));
        break;
      case 7: // splice: head of this one, tail of another valid tx
      {
        const other = random.pick(corpus.txBytes);
        bytes = concat(bytes.subarray(0, at), other.subarray(random.int(other.length + 1)));
        break;
      }
      case 8: // RLP length-field tweak
      case 9: {
        const spans = rlpSpans(bytes).filter((span) => span.start !== span.bodyStart);
        if (spans.length === 0) break;
        const span = random.pick(spans);
        const length = span.end - span.bodyStart;
        const header = bytes[span.start];
        const base = span.isList ? 0xc0 : 0x80;
        let newHeader;
        switch (random.int(6)) {
          case 0: // one more or one less
            newHeader = rlpHeader(base, Math.max(0, length + (random.chance(0.5) ? 1 : -1)));
            break;
          case 1: // long form for a short length
            newHeader = Uint8Array.of(base + 56, length & 0xff);
            break;
          case 2: // long length with a leading zero
            newHeader = Uint8Array.of(base + 56 + uintBytes(BigInt(length)).length, 0, ...uintBytes(BigInt(length)));
            break;
          case 3: // huge claimed length
            newHeader = Uint8Array.of(base + 55 + 8, ...random.bytes(8));
            break;
          case 4: // list <-> string
            newHeader = Uint8Array.of(header ^ 0x40);
            newHeader = concat(newHeader, bytes.subarray(span.start + 1, span.bodyStart));
            break;
          default: // random header byte
            newHeader = concat(Uint8Array.of(random.int(256)), bytes.subarray(span.start + 1, span.bodyStart));
        }
        bytes = concat(bytes.subarray(0, span.start), newHeader, bytes.subarray(span.bodyStart));
        break;
      }
      case 10: // swap in a subtree of another valid tx
      case 11: {
        const spans = rlpSpans(bytes);
        const other = random.pick(corpus.txBytes);
        const otherSpans = rlpSpans(other);
        if (spans.length === 0 || otherSpans.length === 0) break;
        const target = random.pick(spans);
        const source = random.pick(otherSpans);
        bytes = concat(bytes.subarray(0, target.start), other.subarray(source.start, source.end), bytes.subarray(target.end));
        break;
      }
      default: // duplicate a chunk
      {
        const from = random.int(bytes.length + 1);
        const chunk = bytes.subarray(from, from + 1 + random.int(16));
        bytes = concat(bytes.subarray(0, at), chunk, bytes.subarray(at));
      }
    }
  }
  return bytes;
}

/** Random RLP shaped like a transaction: a list of tag, vsn and random fields. */
function randomTxShapedRlp(random) {
  const tag = random.chance(0.85) ? random.pick([11, 12, 50, 51, 52, 53, 54, 55, 56, 57]) : random.int(300);
  const vsn = random.chance(0.9) ? 1 : random.int(4);
  const fieldCount = random.chance(0.7) ? random.pick([2, 6, 7, 9]) : random.int(12);
  const randomItem = (depth) => {
    const kind = random.int(depth > 2 ? 4 : 6);
    if (kind === 0) return uintBytes(randomUint(random));
    if (kind === 1) return random.bytes(random.pick([0, 1, 31, 32, 33, 64, 65, random.length(60)]));
    if (kind === 2) return random.bytes(32);
    if (kind === 3) return Uint8Array.of(0x04, ...random.bytes(64));
    return Array.from({ length: random.int(4) }, () => randomItem(depth + 1));
  };
  const items = [uintBytes(BigInt(tag)), uintBytes(BigInt(vsn))];
  for (let index = 0; index < fieldCount; index++) items.push(randomItem(0));
  if (tag === 11 && random.chance(0.7)) {
    return rlp([uintBytes(11n), uintBytes(1n), Array.from({ length: random.int(3) }, () => randomItem(3)), rlp([uintBytes(BigInt(random.pick([12, 50, 57]))), uintBytes(1n), ...items.slice(2)])]);
  }
  return rlp(items);
}

/** `depth` nested lists around an empty list, with correct lengths (built in one pass). */
const nestedCache = new Map();
function nestedLists(depth) {
  const cached = nestedCache.get(depth);
  if (cached) return cached;
  const headers = [];
  let length = 1;
  for (let level = 0; level < depth; level++) {
    const header = rlpHeader(0xc0, length);
    headers.push(header);
    length += header.length;
  }
  const bytes = concat(...headers.reverse(), Uint8Array.of(0xc0));
  nestedCache.set(depth, bytes);
  return bytes;
}

function mutateString(random, input, corpus) {
  let text = input;
  const rounds = 1 + (random.chance(0.7) ? 0 : random.int(3));
  for (let round = 0; round < rounds; round++) {
    const at = random.int(text.length + 1);
    switch (random.int(12)) {
      case 0: // a character of the alphabet
        text = `${text.slice(0, at)}${random.pick([...ALPHABET])}${text.slice(at + 1)}`;
        break;
      case 1: // an odd character
        text = `${text.slice(0, at)}${random.pick(ODD_CHARACTERS)}${text.slice(at + 1)}`;
        break;
      case 2: // insert
        text = `${text.slice(0, at)}${random.chance(0.5) ? random.pick([...ALPHABET]) : random.pick(ODD_CHARACTERS)}${text.slice(at)}`;
        break;
      case 3: // delete
        text = `${text.slice(0, at)}${text.slice(at + 1 + random.int(3))}`;
        break;
      case 4: // truncate
        text = text.slice(0, at);
        break;
      case 5: // another prefix, or a broken one
        text = `${random.pick(['ak', 'ch', 'th', 'tx', 'sg', 'st', 'AK', 'Tx', 'zz', 'ct', '', 'a', 'akk', 'tx$tx'])}${text.slice(text.indexOf('$') < 0 ? 0 : text.indexOf('$'))}`;
        break;
      case 6: // splice two valid strings
      {
        const other = random.pick(corpus.strings);
        text = `${text.slice(0, at)}${other.slice(random.int(other.length + 1))}`;
        break;
      }
      case 7: // swap two adjacent characters
        if (at + 1 < text.length) text = `${text.slice(0, at)}${text[at + 1]}${text[at]}${text.slice(at + 2)}`;
        break;
      case 8: // whitespace around
        text = random.chance(0.5) ? ` ${text}` : `${text}\n`;
        break;
      case 9: // remove the $
        text = text.replace('$', '');
        break;
      case 10: // leading 1s (leading zero bytes)
        text = text.replace('$', `$${'1'.repeat(1 + random.int(5))}`);
        break;
      default: // repeat the body (long input)
        text = `${text}${text.slice(text.indexOf('$') + 1).repeat(1 + random.int(random.chance(0.1) ? 40 : 3))}`;
    }
  }
  return text;
}

function randomString(random) {
  const length = random.length(40);
  let text = random.pick(['', 'tx$', 'ak$', 'ch$', 'th$', 'sg$', 'st$', 'zz$', '$']);
  for (let index = 0; index < length; index++) {
    text += random.chance(0.8) ? ALPHABET[random.int(ALPHABET.length)] : random.chance(0.5) ? random.pick(ODD_CHARACTERS) : String.fromCharCode(random.int(0x10000));
  }
  return text;
}

/** Sets an own property, as JSON.parse would (`__proto__` included), never the prototype. */
function setOwn(target, key, value) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const JSON_KEYS = ['type', 'tag', 'vsn', 'fields', 'signatures', 'tx', 'hash', 'channel_id', 'from', 'to', 'amount', 'fee', 'nonce', 'ttl', 'payload', 'state', 'updates', 'initiator', 'responder', 'signature', '__proto__', 'constructor', 'toString'];
const TYPE_NAMES = ['signed_tx', 'spend_tx', 'channel_create_tx', 'channel_deposit_tx', 'channel_withdraw_tx', 'channel_close_mutual_tx', 'channel_close_solo_tx', 'channel_slash_tx', 'channel_settle_tx', 'channel_offchain_tx', 'channel_tx', 'SIGNED_TX', ''];

function randomJSON(random, corpus, depth = 0) {
  switch (random.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, 1, -1, 11, 53, 1.5, 2 ** 53, 1e308, -0, Number.MAX_SAFE_INTEGER]);
    case 3:
      return random.pick(['', '0', '1', '01', '-1', '1e3', ' 1', '0x', '0x00', '0x0', '0xAB', ...TYPE_NAMES, String(randomUint(random))]);
    case 4:
      return random.pick(corpus.strings);
    case 5:
      return mutateString(random, random.pick(corpus.strings), corpus);
    case 6:
      return Array.from({ length: random.int(4) }, () => randomJSON(random, corpus, depth + 1));
    default: {
      const record = {};
      const keys = random.int(5);
      for (let index = 0; index < keys; index++) setOwn(record, random.pick(JSON_KEYS), randomJSON(random, corpus, depth + 1));
      if (random.chance(0.5)) record.type = random.pick(TYPE_NAMES);
      return record;
    }
  }
}

/** Every node of a JSON value with its parent, for mutation in place. */
function jsonNodes(value, nodes = [], parent = null, key = null) {
  nodes.push({ value, parent, key });
  if (value !== null && typeof value === 'object') for (const [childKey, child] of Object.entries(value)) jsonNodes(child, nodes, value, Array.isArray(value) ? Number(childKey) : childKey);
  return nodes;
}

function mutateJSON(random, input, corpus) {
  const root = { root: structuredClone(input) };
  const rounds = 1 + random.int(3);
  for (let round = 0; round < rounds; round++) {
    const nodes = jsonNodes(root.root, [], root, 'root');
    const { value, parent, key } = random.pick(nodes);
    switch (random.int(8)) {
      case 0: // replace with a random value
        setOwn(parent, key, randomJSON(random, corpus, 2));
        break;
      case 1: // delete
        if (Array.isArray(parent)) parent.splice(key, 1);
        else delete parent[key];
        break;
      case 2: // add a key
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) setOwn(value, random.pick(JSON_KEYS), randomJSON(random, corpus, 3));
        break;
      case 3: // mutate a string
        if (typeof value === 'string') setOwn(parent, key, mutateString(random, value, corpus));
        break;
      case 4: // decimal string edge cases
        if (typeof value === 'string') setOwn(parent, key, random.pick(['0', '00', '01', '-0', '-1', '1.0', '1e2', '+1', ' 1', '1 ', '٣', String(randomUint(random)), `${value}0`]));
        break;
      case 5: // another type name
        if (value !== null && typeof value === 'object' && 'type' in value) setOwn(value, 'type', random.pick(TYPE_NAMES));
        break;
      case 6: // tag / vsn
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) setOwn(value, random.chance(0.5) ? 'tag' : 'vsn', random.pick([0, 1, 2, 11, 12, 50, 53, 57, '1', null, 1.5]));
        break;
      default: // swap with a value from another valid form
        setOwn(parent, key, structuredClone(random.pick(jsonNodes(random.pick(corpus.jsonForms))).value));
    }
  }
  return root.root;
}

// ---------------------------------------------------------------------------------------------
// Checks.

const MODES = ['any', 'unsigned', 'signed_tx', 'spend_tx', 'channel_create_tx', 'channel_deposit_tx', 'channel_withdraw_tx', 'channel_close_mutual_tx', 'channel_close_solo_tx', 'channel_slash_tx', 'channel_settle_tx', 'channel_offchain_tx'];
const COMPUTED_KEYS = ['hash', 'channel_id', 'payload_tx', 'signers'];

function describeInput(input) {
  if (input instanceof Uint8Array) return `bytes ${hex(input.subarray(0, 300))}${input.length > 300 ? `… (${input.length} bytes)` : ''}`;
  if (typeof input === 'string') return `string ${JSON.stringify(input.slice(0, 300))}${input.length > 300 ? `… (${input.length} chars)` : ''}`;
  const text = JSON.stringify(input);
  return `json ${text.slice(0, 400)}${text.length > 400 ? '…' : ''}`;
}

/** What a JSON form accepted by fromJSON must look like once toJSON writes it back. */
function normalizeJSON(json) {
  const strip = (record, signed) => {
    const out = {};
    for (const [key, value] of Object.entries(record)) if (!COMPUTED_KEYS.includes(key)) out[key] = value;
    if (signed) {
      out.signatures = out.signatures.map((entry) => (entry !== null && typeof entry === 'object' ? entry.signature : entry));
      out.tx = strip(out.tx, false);
    }
    return out;
  };
  return strip(json, json.type === 'signed_tx');
}

function deepEqualJSON(left, right) {
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right));
}
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
  return value;
}

/**
 * Runs the campaign. `api` is `{ encoding, tx }` (the two package namespaces), and optionally
 * `otherEncoding`: the other build of @aesc/encoding, whose `parse` and `encode` must agree with
 * the first's on every string and every payload. Returns counts per `function: outcome`, the
 * number of inputs, and the violations found (first few per kind).
 */
export function fuzz(api, { count = 100_000, seed = 1, mix = { bytes: 0.6, strings: 0.25, json: 0.15 }, onProgress } = {}) {
  const { encoding, tx: txApi, otherEncoding } = api;
  const { TxError } = txApi;
  const { EncodingError } = encoding;
  const random = createRandom(seed);
  const corpus = buildCorpus(api, random);
  const counts = new Map();
  const violations = new Map();
  let slowest = { ms: 0, input: '' };
  let inputs = 0;

  const count1 = (key) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const violate = (kind, input, detail) => {
    const entry = violations.get(kind) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(`${describeInput(input)}\n      ${detail}`);
    violations.set(kind, entry);
  };
  /** Calls `run`; returns { ok, value } or { code }, recording unexpected exceptions. */
  const attempt = (name, input, run, allowed) => {
    try {
      const value = run();
      count1(`${name}: ${typeof value === 'boolean' ? `returned ${value}` : 'accepted'}`);
      return { ok: true, value };
    } catch (error) {
      if (allowed.some((type) => error instanceof type) && typeof error.code === 'string') {
        count1(`${name}: ${error.code}`);
        if (typeof error.message !== 'string' || error.message.length > 1000) violate(`${name}: error message over 1000 characters`, input, error.message?.length);
        return { ok: false, code: error.code, error };
      }
      const kind = error instanceof RangeError && /call stack/i.test(String(error.message)) ? 'stack overflow' : `${error?.constructor?.name ?? typeof error}: ${String(error?.message ?? error).slice(0, 80)}`;
      count1(`${name}: UNEXPECTED ${error?.constructor?.name ?? typeof error}`);
      violate(`${name} threw ${kind}`, input, String(error?.stack ?? error).split('\n').slice(0, 3).join(' | '));
      return { ok: false, code: 'UNEXPECTED' };
    }
  };

  const checkBytes = (bytes) => {
    const rlpOutcome = attempt('decodeRlp', bytes, () => txApi.decodeRlp(bytes), [TxError]);
    if (rlpOutcome.ok) {
      const back = txApi.encodeRlp(rlpOutcome.value);
      if (!equalBytes(back, bytes)) violate('decodeRlp accepted a non-canonical encoding', bytes, `re-encodes to ${hex(back).slice(0, 200)}`);
    }
    const anyOutcome = attempt('deserializeTx', bytes, () => txApi.deserializeTx(bytes), [TxError]);
    if (!rlpOutcome.ok && rlpOutcome.code !== 'UNEXPECTED' && anyOutcome.code !== rlpOutcome.code) {
      violate('deserializeTx and decodeRlp disagree on an RLP error', bytes, `decodeRlp ${rlpOutcome.code}, deserializeTx ${anyOutcome.ok ? 'accepted' : anyOutcome.code}`);
    }
    let canonical;
    if (anyOutcome.ok) {
      canonical = txApi.serializeTx(anyOutcome.value);
      if (!equalBytes(canonical, bytes)) violate('deserializeTx accepted bytes that re-serialize differently', bytes, `re-serializes to ${hex(canonical).slice(0, 200)}`);
    }
    const mode = random.pick(MODES);
    const modeOutcome = attempt(`deserializeTx(${mode === 'any' || mode === 'unsigned' || mode === 'signed_tx' ? mode : 'type'})`, bytes, () => txApi.deserializeTx(bytes, mode), [TxError]);
    if (modeOutcome.ok) {
      const type = modeOutcome.value.type;
      const fits = mode === 'any' || mode === type || (mode === 'unsigned' && type !== 'signed_tx');
      if (!fits) violate(`deserializeTx(…, mode) returned another type`, bytes, `mode ${mode}, got ${type}`);
      if (!anyOutcome.ok) violate('deserializeTx accepts with a mode what it refuses with any', bytes, `mode ${mode}`);
      else if (!equalBytes(txApi.serializeTx(modeOutcome.value), canonical)) violate('deserializeTx gives another tx with a mode', bytes, mode);
    } else if (anyOutcome.ok && modeOutcome.code !== 'WRONG_TAG' && modeOutcome.code !== 'UNEXPECTED') {
      violate('a tx accepted with any is refused with a mode for another reason than WRONG_TAG', bytes, `mode ${mode}: ${modeOutcome.code}`);
    }
    // The same bytes as a tx$ string must meet the same fate through decodeTx.
    if (bytes.length <= encoding.MAX_VARIABLE_PAYLOAD && random.chance(0.25)) {
      const encoded = encoding.encode('tx', bytes);
      if (otherEncoding !== undefined && otherEncoding.encode('tx', bytes) !== encoded) {
        violate('the two builds of encode disagree', bytes, `tx$: ${encoded.slice(0, 200)}`);
      }
      const stringOutcome = attempt(`decodeTx`, encoded, () => txApi.decodeTx(encoded, mode), [TxError, EncodingError]);
      if (stringOutcome.ok !== modeOutcome.ok || (!stringOutcome.ok && stringOutcome.code !== modeOutcome.code)) {
        violate('decodeTx and deserializeTx disagree', bytes, `mode ${mode}: decodeTx ${stringOutcome.ok ? 'accepted' : stringOutcome.code}, deserializeTx ${modeOutcome.ok ? 'accepted' : modeOutcome.code}`);
      }
    }
  };

  /** What a parse gave (an `attempt` outcome), as text to compare across builds: the bytes, or the error's code and context. */
  const describeParse = (outcome) =>
    outcome.ok ? `accepted ${outcome.value.prefix}$ ${hex(outcome.value.bytes)}` : `${outcome.error?.name}: ${outcome.code} ${JSON.stringify(outcome.error?.context)}`;

  const checkString = (text) => {
    const parsed = attempt('parse', text, () => encoding.parse(text), [EncodingError]);
    if (parsed.ok) {
      const { prefix, bytes } = parsed.value;
      const again = encoding.encode(prefix, bytes);
      if (again !== text) violate('parse accepted a string that encodes differently', text, `encodes to ${again.slice(0, 200)}`);
      if (otherEncoding !== undefined && otherEncoding.encode(prefix, bytes) !== again) {
        violate('the two builds of encode disagree', bytes, `${prefix}$: ${again.slice(0, 200)}`);
      }
    }
    if (otherEncoding !== undefined) {
      const here = describeParse(parsed);
      const there = describeParse(attempt('parse (other build)', text, () => otherEncoding.parse(text), [otherEncoding.EncodingError]));
      count1(`parse, both builds: ${here === there ? 'same' : 'different'} outcome`);
      if (here !== there) violate('the two builds of parse disagree', text, `${here.slice(0, 120)} | other build: ${there.slice(0, 120)}`);
    }
    const isEncodedResult = attempt('isEncoded', text, () => encoding.isEncoded(text), []);
    if (isEncodedResult.ok && isEncodedResult.value !== parsed.ok) violate('isEncoded disagrees with parse', text, `isEncoded ${isEncodedResult.value}`);
    const prefix = random.pick(encoding.PREFIXES);
    const expectedOutcome = attempt('parse(prefix)', text, () => encoding.parse(text, prefix), [EncodingError]);
    if (expectedOutcome.ok !== (parsed.ok && parsed.value.prefix === prefix)) violate('parse with a prefix disagrees with parse', text, `prefix ${prefix}`);
    const mode = random.pick(MODES);
    const decoded = attempt('decodeTx', text, () => txApi.decodeTx(text, mode), [TxError, EncodingError]);
    if (decoded.ok) {
      const again = txApi.encodeTx(decoded.value);
      if (again !== text) violate('decodeTx accepted a string that re-encodes differently', text, `re-encodes to ${again.slice(0, 200)}`);
    }
  };

  const checkJSON = (json) => {
    const outcome = attempt('fromJSON', json, () => txApi.fromJSON(json), [TxError]);
    if (!outcome.ok) return;
    let written;
    try {
      written = txApi.toJSON(outcome.value);
      const bytes = txApi.serializeTx(outcome.value);
      txApi.deserializeTx(bytes);
    } catch (error) {
      violate('fromJSON accepted a form that does not serialize/deserialize', json, String(error));
      return;
    }
    let expected;
    try {
      expected = normalizeJSON(json);
    } catch (error) {
      violate('fromJSON accepted a malformed form', json, String(error));
      return;
    }
    const filled = { ...expected, tag: written.tag, vsn: written.vsn };
    if (filled.tx) filled.tx = { ...filled.tx, tag: written.tx.tag, vsn: written.tx.vsn };
    if (!deepEqualJSON(written, filled)) violate('fromJSON accepted a form toJSON does not write back', json, `toJSON gives ${JSON.stringify(written).slice(0, 300)}`);
  };

  const total = Math.max(0, Math.floor(count));
  for (; inputs < total; inputs++) {
    const roll = random.uint32() / 4294967296;
    let input;
    let check;
    if (roll < mix.bytes) {
      const source = random.int(20);
      if (source < 3) input = random.bytes(random.length(64));
      else if (source < 6) input = randomTxShapedRlp(random);
      else if (source === 6 && random.chance(0.05)) input = nestedLists(random.pick([7, 8, 9, 10, 64, 1000, 20_000, 100_000]));
      else input = mutateBytes(random, random.pick(corpus.txBytes), corpus);
      check = checkBytes;
    } else if (roll < mix.bytes + mix.strings) {
      const source = random.int(10);
      if (source < 2) input = randomString(random);
      else if (source === 2 && random.chance(0.2)) input = random.pick(['tx$', 'ak$']) + '2'.repeat(random.pick([4096, 4097, 8000, 89_504, 89_505, 100_000, 1_000_000]));
      else input = mutateString(random, random.pick(corpus.strings), corpus);
      check = checkString;
    } else {
      input = random.chance(0.3) ? randomJSON(random, corpus) : mutateJSON(random, random.pick(corpus.jsonForms), corpus);
      check = checkJSON;
    }
    // the decoders' time only: building an input (100 000 nested lists, say) is the fuzzer's
    const started = performance.now();
    check(input);
    const elapsed = performance.now() - started;
    if (elapsed > slowest.ms) slowest = { ms: elapsed, input: describeInput(input).slice(0, 120) };
    if (onProgress && inputs % 100_000 === 99_999) onProgress(inputs + 1);
  }
  return { inputs, counts, violations, slowest, corpusSize: corpus.txBytes.length + corpus.strings.length + corpus.jsonForms.length };
}

/** A printable report of a `fuzz` result. */
export function formatReport(result) {
  const lines = [`${result.inputs} inputs (corpus of ${result.corpusSize}); slowest single input ${result.slowest.ms.toFixed(1)} ms: ${result.slowest.input}`, '', 'outcomes:'];
  const byFunction = new Map();
  for (const [key, value] of result.counts) {
    const [name, outcome] = key.split(': ');
    const entry = byFunction.get(name) ?? [];
    entry.push([outcome, value]);
    byFunction.set(name, entry);
  }
  for (const [name, outcomes] of [...byFunction].sort()) {
    const total = outcomes.reduce((sum, [, value]) => sum + value, 0);
    lines.push(`  ${name} (${total})`);
    for (const [outcome, value] of outcomes.sort((left, right) => right[1] - left[1])) lines.push(`    ${String(value).padStart(9)}  ${outcome}`);
  }
  lines.push('', result.violations.size === 0 ? 'violations: none' : 'violations:');
  for (const [kind, { count, examples }] of result.violations) {
    lines.push(`  ${count} × ${kind}`);
    for (const example of examples) lines.push(`    e.g. ${example}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const count = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  if (!Number.isFinite(count) || count < 0 || !Number.isFinite(seed)) {
    console.error('usage: node scripts/fuzz.mjs [count] [seed]');
    process.exit(2);
  }
  let encoding;
  let tx;
  let otherEncoding;
  try {
    // Node gets the node build through the package's exports; the other is the browsers'
    encoding = await import('@aesc/encoding');
    tx = await import('@aesc/tx');
    otherEncoding = await import(new URL('../packages/encoding/dist/index.js', import.meta.url).href);
  } catch (error) {
    console.error(`cannot load the built packages (run \`npx pnpm@10.34.8 build\` first): ${error.message}`);
    process.exit(2);
  }
  console.log(`fuzzing @aesc/encoding and @aesc/tx (dist) with ${count} inputs, seed ${seed}`);
  const started = performance.now();
  const result = fuzz({ encoding, tx, otherEncoding }, { count, seed, onProgress: (done) => process.stderr.write(`  ${done} inputs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`) });
  console.log(formatReport(result));
  console.log(`\n${((performance.now() - started) / 1000).toFixed(1)} s; replay with: node scripts/fuzz.mjs ${count} ${seed}`);
  process.exit(result.violations.size === 0 ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

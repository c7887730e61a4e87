/*
 * The two hash functions of the protocol, written from their specifications: SHA-256 (FIPS
 * 180-4), whose double application gives the base58check checksum, and BLAKE2b with a 32-byte
 * digest and no key (RFC 7693), which gives `th$` tx hashes and `ch$` channel ids.
 *
 * Why not @noble/hashes: in a browser bundle its sha2 and blake2 modules with their shared
 * utilities are 11.8 kB minified, most of the size target of `@aesc/encoding` + `@aesc/tx`
 * (these two functions are ~2 kB), and its BLAKE2b is generic (keys, salts, any digest length,
 * streaming), where the sign path needs one 32-byte digest of a few hundred bytes. Neither
 * function handles a secret: there is no timing concern. Both are cross-checked against
 * @noble/hashes and node:crypto on random inputs of every length around the block boundaries,
 * and against the specifications' own test vectors (test/hashes.test.ts).
 */

import { assertBytes, plainBytes } from './assert.js';

/** SHA-256 (FIPS 180-4) of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'bytes');
  return sha256Of(plainBytes(bytes));
}

/** BLAKE2b with a 32-byte digest and no key (RFC 7693; libsodium's `crypto_generichash(32, …)`). */
export function blake2b256(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'bytes');
  return blake2b256Of(plainBytes(bytes));
}

// ---------------------------------------------------------------------------------------------
// SHA-256

/** The first 64 primes. */
const PRIMES: number[] = [];
for (let candidate = 2; PRIMES.length < 64; candidate++) if (PRIMES.every((prime) => candidate % prime !== 0)) PRIMES.push(candidate);
/** The first 32 bits of the fractional part of `root`: exact, as a float64 root holds 50 of them and no constant lies near a rounding edge (the FIPS test vectors pin every one). */
const fraction32 = (root: number) => (root - Math.floor(root)) * 2 ** 32;
/** K: the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2). */
const K = Uint32Array.from(PRIMES, (prime) => fraction32(Math.cbrt(prime)));
/** H(0): the fractional parts of the square roots of the first 8 primes (§5.3.3). */
const SHA256_IV = Uint32Array.from(PRIMES.slice(0, 8), (prime) => fraction32(Math.sqrt(prime)));
const W = new Uint32Array(64);

function sha256Block(state: Uint32Array, block: Uint8Array, at: number): void {
  for (let index = 0; index < 16; index++, at += 4) {
    W[index] = ((block[at] as number) << 24) | ((block[at + 1] as number) << 16) | ((block[at + 2] as number) << 8) | (block[at + 3] as number);
  }
  for (let index = 16; index < 64; index++) {
    const w15 = W[index - 15] as number;
    const w2 = W[index - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[index] = (W[index - 16] as number) + s0 + (W[index - 7] as number) + s1;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let index = 0; index < 64; index++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[index] as number) + (W[index] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] as number) + a;
  state[1] = (state[1] as number) + b;
  state[2] = (state[2] as number) + c;
  state[3] = (state[3] as number) + d;
  state[4] = (state[4] as number) + e;
  state[5] = (state[5] as number) + f;
  state[6] = (state[6] as number) + g;
  state[7] = (state[7] as number) + h;
}

/** SHA-256 of `bytes` (a plain Uint8Array: the exported {@link sha256} checks its argument). */
export function sha256Of(bytes: Uint8Array): Uint8Array {
  const state = SHA256_IV.slice();
  const full = bytes.length - (bytes.length % 64);
  for (let at = 0; at < full; at += 64) sha256Block(state, bytes, at);
  // the tail, 0x80, zeros, and the length in bits as 64 bits big-endian: one or two blocks
  const tail = new Uint8Array(bytes.length - full < 56 ? 64 : 128);
  tail.set(bytes.subarray(full));
  tail[bytes.length - full] = 0x80;
  const end = tail.length;
  // the length in bits, big-endian from the last byte back: a Uint8Array keeps the integer part of bits / 256^i modulo 256
  for (let index = end - 1, bits = bytes.length * 8; bits >= 1; index--, bits /= 256) tail[index] = bits;
  for (let at = 0; at < end; at += 64) sha256Block(state, tail, at);
  // the eight words big-endian
  const digest = new Uint8Array(32);
  for (let index = 0; index < 32; index++) digest[index] = (state[index >> 2] as number) >>> (24 - 8 * (index & 3));
  return digest;
}

// ---------------------------------------------------------------------------------------------
// BLAKE2b-256

/*
 * 64-bit words as pairs of 32-bit halves, the low half first: word i is at [2i] (low) and
 * [2i + 1] (high); the state as signed int32, the work vector V and the message M unsigned
 * (so that a sum of two low halves above 2^32 - 1 tells the carry).
 */

/**
 * BLAKE2b's IV is SHA-512's: the first 64 bits of the same square roots, whose high halves are
 * SHA-256's H(0); the low halves are the next 32 bits, past a float64's precision, so written out.
 */
const BLAKE2B_IV = Int32Array.from([0xf3bcc908, 0x84caa73b, 0xfe94f82b, 0x5f1d36f1, 0xade682d1, 0x2b3e6c1f, 0xfb41bd6b, 0x137e2179].flatMap((low, index) => [low, SHA256_IV[index] as number]));
/** The message schedule σ of each round (RFC 7693 §2.7; rounds 10 and 11 repeat 0 and 1), as half-word offsets. */
const SIGMA = Uint8Array.from(
  '0123456789abcdefea489fd61c02b753b8c052fdae3671947931dcbe265a40f8905724afe1bc683d2c6a0b834d75fe19c51fed4a0763928bdb7ec13950f4862a6fe9b308c2d714a5a2847615fb9e3cd0'.repeat(2).slice(0, 192),
  (digit) => parseInt(digit, 16) * 2,
);
const V = new Uint32Array(32);
const M = new Uint32Array(32);

/** V[a] += the 64-bit word (low, high): the low halves' carry goes into the high half. */
function add(a: number, low: number, high: number): void {
  const sum = (V[a] as number) + low;
  V[a] = sum;
  V[a + 1] = (V[a + 1] as number) + high + (sum > 0xffffffff ? 1 : 0);
}

/** V[d] = (V[d] ^ V[a]) rotated right by `by` bits: 32, 24, 16, or 63 (a rotation left by 1). */
function xorRotate(d: number, a: number, by: number): void {
  const low = (V[d] as number) ^ (V[a] as number);
  const high = (V[d + 1] as number) ^ (V[a + 1] as number);
  if (by === 32) {
    V[d] = high;
    V[d + 1] = low;
  } else if (by === 63) {
    V[d] = (low << 1) | (high >>> 31);
    V[d + 1] = (high << 1) | (low >>> 31);
  } else {
    V[d] = (low >>> by) | (high << (32 - by));
    V[d + 1] = (high >>> by) | (low << (32 - by));
  }
}

/**
 * The mixing function G (RFC 7693 §3.1) on words a, b, c, d of V (half-word offsets) with the
 * message words at M[x] and M[y], in place. Written for size, the bundle target of
 * `@aesc/encoding` + `@aesc/tx`: the form with the eight halves in locals and every step written
 * out hashed the 417 bytes of a signed tx in ~8 µs here (@noble/hashes: ~12 µs) against ~23 µs
 * for this one, but cost 93 bytes more of the gzipped bundle (one pass looped twice, 82). A
 * browser hashes a few hundred bytes a transaction; the `node` build hashes in WebAssembly
 * (hashes-node.ts, ~1.9 µs).
 */
function mix(a: number, b: number, c: number, d: number, x: number, y: number): void {
  add(a, V[b] as number, V[b + 1] as number);
  add(a, M[x] as number, M[x + 1] as number);
  xorRotate(d, a, 32);
  add(c, V[d] as number, V[d + 1] as number);
  xorRotate(b, c, 24);
  add(a, V[b] as number, V[b + 1] as number);
  add(a, M[y] as number, M[y + 1] as number);
  xorRotate(d, a, 16);
  add(c, V[d] as number, V[d + 1] as number);
  xorRotate(b, c, 63);
}

function blake2bBlock(state: Int32Array, block: Uint8Array, at: number, counted: number, last: boolean): void {
  for (let index = 0; index < 32; index++, at += 4) {
    M[index] = (block[at] as number) | ((block[at + 1] as number) << 8) | ((block[at + 2] as number) << 16) | ((block[at + 3] as number) << 24);
  }
  V.set(state);
  V.set(BLAKE2B_IV, 16);
  // the byte counter t (below 2^53 here) into word 12; word 13 is its high 64 bits, zero
  V[24] = (V[24] as number) ^ counted;
  V[25] = (V[25] as number) ^ Math.floor(counted / 0x100000000);
  if (last) {
    V[28] = ~(V[28] as number);
    V[29] = ~(V[29] as number);
  }
  // each round: G on the four columns, then on the four diagonals (RFC 7693 §3.2)
  for (let s = 0; s < 192; s += 16) {
    for (let g = 0; g < 8; g++) {
      const column = g & 3;
      const shift = g >> 2;
      mix(2 * column, 8 + 2 * ((column + shift) & 3), 16 + 2 * ((column + 2 * shift) & 3), 24 + 2 * ((column + 3 * shift) & 3), SIGMA[s + 2 * g] as number, SIGMA[s + 2 * g + 1] as number);
    }
  }
  for (let index = 0; index < 16; index++) state[index] = (state[index] as number) ^ (V[index] as number) ^ (V[index + 16] as number);
}

/** BLAKE2b-256 of `bytes` (a plain Uint8Array: the exported {@link blake2b256} checks its argument). */
export function blake2b256Of(bytes: Uint8Array): Uint8Array {
  const state = BLAKE2B_IV.slice();
  // the parameter block: digest length 32, key length 0, fanout 1, depth 1
  state[0] = (state[0] as number) ^ 0x01010020;
  // every full block but the last is compressed as it comes; the last, full or not, is final
  const full = bytes.length > 0 ? Math.floor((bytes.length - 1) / 128) * 128 : 0;
  for (let at = 0; at < full; at += 128) blake2bBlock(state, bytes, at, at + 128, false);
  const tail = new Uint8Array(128);
  tail.set(bytes.subarray(full));
  blake2bBlock(state, tail, 0, bytes.length, true);
  // the digest: the first four words (eight halves) little-endian
  const digest = new Uint8Array(32);
  for (let index = 0; index < 32; index++) digest[index] = (state[index >> 2] as number) >>> (8 * (index & 3));
  return digest;
}

import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import type { Ed25519Backend } from './backend.js';

// DER headers that wrap raw ed25519 keys for node:crypto (RFC 8410 PKCS#8 and SPKI).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function privateKeyObject(seed: Uint8Array): KeyObject {
  const der = new Uint8Array(PKCS8_PREFIX.length + 32);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'pkcs8' });
}

/**
 * Making a KeyObject costs ~270 µs, ten times a verification, and a channel verifies the same
 * two keys over and over: keep the most recent ones.
 */
const PUBLIC_KEY_CACHE_SIZE = 256;
const publicKeyObjects = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1');
  let keyObject = publicKeyObjects.get(cacheKey);
  if (keyObject === undefined) {
    const der = new Uint8Array(SPKI_PREFIX.length + 32);
    der.set(SPKI_PREFIX);
    der.set(publicKey, SPKI_PREFIX.length);
    keyObject = createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' });
    if (publicKeyObjects.size >= PUBLIC_KEY_CACHE_SIZE) {
      const oldest = publicKeyObjects.keys().next().value as string;
      publicKeyObjects.delete(oldest);
    }
  } else {
    publicKeyObjects.delete(cacheKey); // re-inserted below: most recently used last
  }
  publicKeyObjects.set(cacheKey, keyObject);
  return keyObject;
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export const nodeBackend: Ed25519Backend = {
  async publicKey(seed) {
    const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
    return Uint8Array.from(spki.subarray(spki.length - 32));
  },
  signerFor(seed) {
    const keyObject = privateKeyObject(seed);
    return async (message) => Uint8Array.from(sign(null, view(message), keyObject));
  },
  async verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return verify(null, view(message), publicKeyObject(publicKey), view(signature));
    } catch {
      return false; // a key OpenSSL will not load is no key any signature verifies with
    }
  },
  randomSeed() {
    return Uint8Array.from(randomBytes(32));
  },
};

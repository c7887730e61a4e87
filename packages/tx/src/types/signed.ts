import type { UnsignedTx } from '../registry.js';

/**
 * `signed_tx`, tag 11, vsn 1: `RLP([11, 1, [signature, …], transaction])`, where
 * `transaction` is the full serialization of the unsigned tx, as a byte string. The
 * signatures are sorted ascending bytewise (a proper prefix first); ed25519 signatures are 64
 * bytes, legacy secp256k1 ones DER. Signatures are made over the unsigned tx's bytes.
 */
export interface SignedTx {
  type: 'signed_tx';
  signatures: Uint8Array[];
  tx: UnsignedTx;
}

export const SIGNED_TX_TAG = 11;
export const SIGNED_TX_VSN = 1;

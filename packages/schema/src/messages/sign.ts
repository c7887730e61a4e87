/**
 * Sign requests (node → client) and sign replies (client → node), BEHAVIOUR.md §2.3.
 * A request `{"action":"sign","tag":T,"payload":{"tx":"tx$<unsigned>"}}` is answered with
 * `{"action":T,"payload":{"tx":"tx$<signed_tx>"}}`: the reply's action is the request's tag.
 * The dialects differ in the names of the two create-tx tags only.
 */
import type { EncodedTx } from './primitives.js';

export const SEED_SIGN_TAGS = [
  'initiator_signed',
  'responder_signed',
  'update',
  'update_ack',
  'shutdown_sign',
  'shutdown_sign_ack',
] as const;

export const V014_SIGN_TAGS = [
  'initiator_sign',
  'responder_sign',
  'update',
  'update_ack',
  'shutdown_sign',
  'shutdown_sign_ack',
] as const;

/**
 * A sign tag of the seed dialect: `initiator_signed`/`responder_signed` for the
 * `channel_create_tx`, `update`/`update_ack` for a `channel_offchain_tx`,
 * `shutdown_sign`/`shutdown_sign_ack` for the `channel_close_mutual_tx`.
 */
export type SeedSignTag = (typeof SEED_SIGN_TAGS)[number];
/**
 * A sign tag of the v0.14 dialect: `initiator_sign`/`responder_sign` for the
 * `channel_create_tx`, `update`/`update_ack` for a `channel_offchain_tx`,
 * `shutdown_sign`/`shutdown_sign_ack` for the `channel_close_mutual_tx`.
 */
export type V014SignTag = (typeof V014_SIGN_TAGS)[number];
/** A sign tag of either dialect. */
export type SignTag = SeedSignTag | V014SignTag;

/** The node asks its client to sign a transaction (either dialect). */
export interface SignRequest {
  action: 'sign';
  tag: SignTag;
  payload: {
    /** The unsigned transaction to inspect and sign. */
    tx: EncodedTx;
  };
}

/** The node asks its client to sign a transaction, seed dialect. */
export interface SeedSignRequest {
  action: 'sign';
  tag: SeedSignTag;
  payload: {
    /** The unsigned transaction to inspect and sign. */
    tx: EncodedTx;
  };
}

/** The node asks its client to sign a transaction, v0.14 dialect. */
export interface V014SignRequest {
  action: 'sign';
  tag: V014SignTag;
  payload: {
    /** The unsigned transaction to inspect and sign. */
    tx: EncodedTx;
  };
}

/** The client's answer to a sign request (either dialect); `action` repeats the request's tag. */
export interface SignReply {
  action: SignTag;
  payload: {
    /** A `signed_tx` wrapping the requested transaction, with the client's signature. */
    tx: EncodedTx;
  };
}

/** The client's answer to a sign request, seed dialect. */
export interface SeedSignReply {
  action: SeedSignTag;
  payload: {
    /** A `signed_tx` wrapping the requested transaction, with the client's signature. */
    tx: EncodedTx;
  };
}

/** The client's answer to a sign request, v0.14 dialect. */
export interface V014SignReply {
  action: V014SignTag;
  payload: {
    /** A `signed_tx` wrapping the requested transaction, with the client's signature. */
    tx: EncodedTx;
  };
}

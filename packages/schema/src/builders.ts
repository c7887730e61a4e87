/**
 * Typed constructors of every frame, so that no one writes protocol JSON by hand. Each builder
 * checks its result with the same validator `parse*Message` uses, so a built frame is always
 * one the parser accepts: wrong argument types are `TypeError`s, well-typed values the protocol
 * does not allow (a `ch$` where an `ak$` belongs, an unknown tag) are `SchemaError`s.
 * `serializeMessage` writes any of them as JSON text, bigints included.
 */
import { describe } from '@aesc/encoding';
import { serializeJson } from './json.js';
import type { Conflict } from './messages/conflict.js';
import type { CoSignedState } from './messages/co-signed-state.js';
import type { EchoedRequest, FsmError, RequestError } from './messages/error.js';
import { MAX_MESSAGE_INFO_BYTES, type MessageReport, type MessageRequest, type ReceivedMessage } from './messages/generic-message.js';
import type { InfoEvent, InfoMessage } from './messages/info.js';
import type { OnChainTx } from './messages/on-chain-tx.js';
import type { AccountPubkey, ChannelId, EncodedTx } from './messages/primitives.js';
import type { SignReply, SignRequest, SignTag } from './messages/sign.js';
import type { ShutdownRequest } from './messages/shutdown.js';
import type { ClientMessage, NodeMessage } from './messages/unions.js';
import type { UpdateNewPayload, UpdateNewRequest } from './messages/update-new.js';
import { checkFrame } from './parse.js';
import { utf8Length } from './validate.js';

function assertText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`);
}

function assertNonNegative(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint, got ${describe(value)}`);
  if (value < 0n) throw new RangeError(`${name} must not be negative, got ${value}`);
}

/** A generic message's text: a string of at most 65 535 UTF-8 bytes (BEHAVIOUR.md §4). */
function assertInfo(value: unknown, name: string): asserts value is string {
  assertText(value, name);
  const bytes = utf8Length(value);
  if (bytes > MAX_MESSAGE_INFO_BYTES) {
    throw new RangeError(`${name} must be at most ${MAX_MESSAGE_INFO_BYTES} bytes of UTF-8 (its length travels in 2 bytes), got ${bytes}`);
  }
}

function assertRecord(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
}

function client<T extends ClientMessage>(frame: T): T {
  checkFrame(frame as unknown as Record<string, unknown>, 'client');
  return frame;
}

function node<T extends NodeMessage>(frame: T): T {
  checkFrame(frame as unknown as Record<string, unknown>, 'node');
  return frame;
}

// ---- client → node ------------------------------------------------------------------------

/** The answer to a sign request: `{"action":<tag>,"payload":{"tx":<signed_tx>}}`. */
export function signReply<T extends SignTag>(tag: T, signedTx: EncodedTx): SignReply & { action: T } {
  assertText(tag, 'tag');
  assertText(signedTx, 'signedTx');
  return client({ action: tag, payload: { tx: signedTx } });
}

/**
 * Proposes an off-chain transfer: `{"action":"update","tag":"new","payload":{from,to,amount}}`.
 * A negative amount is a frame of the protocol too (the node answers it with `negative_amount`,
 * and tests of a node need to send it), so only its type is checked here.
 */
export function updateNew(transfer: UpdateNewPayload): UpdateNewRequest {
  assertRecord(transfer, 'transfer');
  const { from, to, amount } = transfer;
  assertText(from, 'transfer.from');
  assertText(to, 'transfer.to');
  if (typeof amount !== 'bigint') throw new TypeError(`transfer.amount must be a bigint, got ${describe(amount)}`);
  return client({ action: 'update', tag: 'new', payload: { from, to, amount } });
}

/**
 * Sends `info` to the other party: `{"action":"message","payload":{"to":…,"info":…}}`.
 * `info` longer than 65 535 UTF-8 bytes is a `RangeError`: the node cannot forward it.
 */
export function message(to: AccountPubkey, info: string): MessageRequest {
  assertText(to, 'to');
  assertInfo(info, 'info');
  return client({ action: 'message', payload: { to, info } });
}

/** Starts a mutual close: `{"action":"shutdown"}`. */
export function shutdown(): ShutdownRequest {
  return client({ action: 'shutdown' });
}

// ---- node → client ------------------------------------------------------------------------

/** A progress report: `{"action":"info","payload":{"event":…}}`. */
export function info(event: InfoEvent): InfoMessage {
  assertText(event, 'event');
  return node({ action: 'info', payload: { event } });
}

/** Asks the client to sign `unsignedTx`: `{"action":"sign","tag":…,"payload":{"tx":…}}`. */
export function signRequest(tag: SignTag, unsignedTx: EncodedTx): SignRequest {
  assertText(tag, 'tag');
  assertText(unsignedTx, 'unsignedTx');
  return node({ action: 'sign', tag, payload: { tx: unsignedTx } });
}

/** Hands the client a co-signed create or mutual-close tx: `{"action":"on_chain_tx",…}`. */
export function onChainTx(coSignedTx: EncodedTx): OnChainTx {
  assertText(coSignedTx, 'coSignedTx');
  return node({ action: 'on_chain_tx', payload: { tx: coSignedTx } });
}

/** Hands the client the latest co-signed off-chain state: `{"action":"update","payload":{"state":…}}`. */
export function coSignedState(state: EncodedTx): CoSignedState {
  assertText(state, 'state');
  return node({ action: 'update', payload: { state } });
}

/** Reports cancelled concurrent updates; `round` is the last co-signed round. */
export function conflict(channelId: ChannelId, round: bigint): Conflict {
  assertText(channelId, 'channelId');
  assertNonNegative(round, 'round');
  return node({ action: 'conflict', payload: { channel_id: channelId, round } });
}

/** Reports a generic message received from the other party (`info` at most 65 535 UTF-8 bytes). */
export function messageReport(received: ReceivedMessage): MessageReport {
  assertRecord(received, 'received');
  const { channel_id, from, to, info: text } = received;
  assertText(channel_id, 'received.channel_id');
  assertText(from, 'received.from');
  assertText(to, 'received.to');
  assertInfo(text, 'received.info');
  return node({ action: 'message', payload: { message: { channel_id, from, to, info: text } } });
}

/**
 * Rejects one client request, echoing it: `{"action":"error","payload":{reason,request}}`.
 * The echo is kept as given (integers as bigints), key order included.
 */
export function requestError(reason: string, request: EchoedRequest): RequestError {
  assertText(reason, 'reason');
  assertRecord(request, 'request');
  return node({ action: 'error', payload: { reason, request } });
}

/** Reports that the state machine aborted: `{"action":"error","payload":{"message":…}}`. */
export function fsmError(reason: string): FsmError {
  assertText(reason, 'reason');
  return node({ action: 'error', payload: { message: reason } });
}

/** One frame as JSON text, integers written exactly. */
export function serializeMessage(frame: NodeMessage | ClientMessage): string {
  assertRecord(frame, 'frame');
  return serializeJson(frame);
}

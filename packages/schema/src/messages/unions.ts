/**
 * Every frame by direction: `NodeMessage` (node → client) and `ClientMessage` (client → node),
 * each discriminated by `action` (and by `tag` for sign requests), for either dialect or for one.
 */
import type { Conflict } from './conflict.js';
import type { CoSignedState } from './co-signed-state.js';
import type { FsmError, RequestError } from './error.js';
import type { MessageReport, MessageRequest } from './generic-message.js';
import type { InfoMessage, SeedInfoMessage, V014InfoMessage } from './info.js';
import type { OnChainTx } from './on-chain-tx.js';
import type { Dialect } from './primitives.js';
import type { SeedSignReply, SeedSignRequest, SignReply, SignRequest, V014SignReply, V014SignRequest } from './sign.js';
import type { ShutdownRequest } from './shutdown.js';
import type { UpdateNewRequest } from './update-new.js';

/** A frame the node sends its client, in either dialect. */
export type NodeMessage =
  | InfoMessage
  | SignRequest
  | OnChainTx
  | CoSignedState
  | Conflict
  | MessageReport
  | RequestError
  | FsmError;

/** A frame the node sends its client, seed dialect. */
export type SeedNodeMessage =
  | SeedInfoMessage
  | SeedSignRequest
  | OnChainTx
  | CoSignedState
  | Conflict
  | MessageReport
  | RequestError
  | FsmError;

/** A frame the node sends its client, v0.14 dialect. */
export type V014NodeMessage =
  | V014InfoMessage
  | V014SignRequest
  | OnChainTx
  | CoSignedState
  | Conflict
  | MessageReport
  | RequestError
  | FsmError;

/** A frame a client sends its node, in either dialect. */
export type ClientMessage = SignReply | UpdateNewRequest | MessageRequest | ShutdownRequest;

/** A frame a client sends its node, seed dialect. */
export type SeedClientMessage = SeedSignReply | UpdateNewRequest | MessageRequest | ShutdownRequest;

/** A frame a client sends its node, v0.14 dialect. */
export type V014ClientMessage = V014SignReply | UpdateNewRequest | MessageRequest | ShutdownRequest;

/** The node frames of one dialect. */
export type NodeMessageOf<D extends Dialect> = D extends 'seed' ? SeedNodeMessage : V014NodeMessage;
/** The client frames of one dialect. */
export type ClientMessageOf<D extends Dialect> = D extends 'seed' ? SeedClientMessage : V014ClientMessage;

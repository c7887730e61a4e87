export {
  coSignedState,
  conflict,
  fsmError,
  info,
  message,
  messageReport,
  onChainTx,
  requestError,
  serializeMessage,
  shutdown,
  signReply,
  signRequest,
  updateNew,
} from './builders.js';
export { SchemaError, type SchemaErrorCode, type SchemaErrorContext } from './errors.js';
export { type ExactJson, type ParseJsonOptions, parseJsonExact, serializeJson } from './json.js';
export {
  type BooleanText,
  type ChannelParams,
  type ChannelParamsCommon,
  type ChannelQuery,
  type ChannelQueryCommon,
  type DecimalText,
  type HostText,
  type InitiatorParams,
  type InitiatorQuery,
  type MillisecondsText,
  PARAM_NAMES,
  type ParamName,
  type PortText,
  REPORT_TAGS,
  type ReportTag,
  type ResponderParams,
  type ResponderQuery,
  type Role,
  ROLES,
  TIMEOUT_NAMES,
  type TimeoutName,
  type U16Text,
  type U32Text,
  type U64Text,
} from './messages/channel-params.js';
export type { CoSignedState } from './messages/co-signed-state.js';
export type { Conflict } from './messages/conflict.js';
export {
  type EchoedRequest,
  FSM_ERROR_MESSAGES,
  type FsmError,
  type FsmErrorMessage,
  REQUEST_ERROR_REASONS,
  type RequestError,
  type RequestErrorReason,
} from './messages/error.js';
export { MAX_MESSAGE_INFO_BYTES, type MessageReport, type MessageRequest, type ReceivedMessage } from './messages/generic-message.js';
export {
  type InfoEvent,
  type InfoMessage,
  SEED_INFO_EVENTS,
  type SeedInfoEvent,
  type SeedInfoMessage,
  V014_INFO_EVENTS,
  type V014InfoEvent,
  type V014InfoMessage,
} from './messages/info.js';
export type { OnChainTx } from './messages/on-chain-tx.js';
export {
  type AccountPubkey,
  type ChannelId,
  DIALECTS,
  type Dialect,
  type EmptyPayload,
  type EncodedTx,
  type Integer,
  type NonNegativeInteger,
} from './messages/primitives.js';
export {
  SEED_SIGN_TAGS,
  type SeedSignReply,
  type SeedSignRequest,
  type SeedSignTag,
  type SignReply,
  type SignRequest,
  type SignTag,
  V014_SIGN_TAGS,
  type V014SignReply,
  type V014SignRequest,
  type V014SignTag,
} from './messages/sign.js';
export type { ShutdownPayload, ShutdownRequest } from './messages/shutdown.js';
export type {
  ClientMessage,
  ClientMessageOf,
  NodeMessage,
  NodeMessageOf,
  SeedClientMessage,
  SeedNodeMessage,
  V014ClientMessage,
  V014NodeMessage,
} from './messages/unions.js';
export type { UpdateNewPayload, UpdateNewRequest } from './messages/update-new.js';
export { type ParseOptions, parseClientMessage, parseNodeMessage } from './parse.js';
export { type FromQueryOptions, fromQuery, toQuery } from './query.js';

export {
  type ApproveHook,
  type Balances,
  type ChannelEvents,
  type ChannelStatus,
  ChannelClient,
  type CoSignedState,
  type ConnectOptions,
  type ConnectParamsByRole,
  MAX_PENDING_FRAME_TEXT,
  MAX_PENDING_FRAMES,
  type SignPolicy,
} from './channel-client.js';
export {
  type CloseSoloOptions,
  closeSolo,
  DEFAULT_DISPUTE_FEE,
  DEFAULT_TTL_MARGIN,
  type DisputeEquivalent,
  type DisputeOptions,
  type DisputePosted,
  type DisputeResult,
  type SettleOptions,
  type SlashOptions,
  settle,
  slash,
} from './dispute.js';
export { ClientError, type ClientErrorCode, type ClientErrorContext } from './errors.js';
export { FileStore, type FileStoreFileSystem, type FileStoreHandle, type FileStoreOptions } from './file-store.js';
export { MemoryStore, STORE_CACHE_CHANNELS } from './memory-store.js';
export {
  type ChannelInfo,
  type ChannelTxBuilder,
  type ChannelTxBuilderBodies,
  type ChannelTxBuilderResults,
  MAX_REQUEST_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  NodeClient,
  type NodeClientOptions,
  type RequestOptions,
  type TxInfo,
  type WaitForHeightOptions,
  type WaitForTxOptions,
  type WaitOptions,
  type WaitProgress,
} from './node-client.js';
export { checkSignRequest, type PolicyLimits, type SignContext, type SignPurpose } from './policy.js';
export { MAX_FRAME_BYTES, type WebSocketConstructor } from './socket.js';
export type { ChannelSnapshot, StateStore } from './store.js';
export { type ChannelWatch, WATCH_BAD_RESPONSE_LIMIT, type WatchEvent, type WatchOptions, type WatchOutcome, watchChannel } from './watch.js';

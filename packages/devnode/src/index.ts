export { type Account, type Block, Chain, type GenesisAccount, type Rejection, type TxRecord } from './chain.js';
export { type Devnode, type DevnodeOptions, startDevnode } from './devnode.js';
export { ChainError, type ChainErrorReason, type ChannelObject } from './rules.js';
export { CLOSE_BAD_PARAMS } from './service.js';

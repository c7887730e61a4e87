export type { ChannelSnapshot, StateStore } from './store.js';

import type { SignedTx } from '@aesc/tx';

/**
 * The node-to-node channel messages of v0.14 (`aesc_codec`, WIRE.md §11), as objects. devnode
 * links the two parties' state machines in process; every exchange goes through these
 * messages, so that a real Noise/TCP link could carry the same conversation.
 */
export type PeerMessage =
  | {
      type: 'channel_open';
      temporary_channel_id: Uint8Array;
      lock_period: bigint;
      push_amount: bigint;
      initiator_amount: bigint;
      responder_amount: bigint;
      channel_reserve: bigint;
      initiator: Uint8Array;
    }
  | {
      type: 'channel_accept';
      temporary_channel_id: Uint8Array;
      minimum_depth: bigint;
      initiator_amount: bigint;
      responder_amount: bigint;
      channel_reserve: bigint;
      responder: Uint8Array;
    }
  | { type: 'funding_created'; temporary_channel_id: Uint8Array; signed_tx: SignedTx }
  | { type: 'funding_signed'; temporary_channel_id: Uint8Array; signed_tx: SignedTx }
  | { type: 'funding_locked'; temporary_channel_id: Uint8Array; channel_id: Uint8Array }
  | { type: 'update'; channel_id: Uint8Array; signed_tx: SignedTx }
  | { type: 'update_ack'; channel_id: Uint8Array; signed_tx: SignedTx }
  | { type: 'update_error'; channel_id: Uint8Array; round: bigint }
  | { type: 'inband_msg'; channel_id: Uint8Array; from: Uint8Array; to: Uint8Array; info: string }
  | { type: 'error'; channel_id: Uint8Array; data: string }
  | { type: 'shutdown'; channel_id: Uint8Array; signed_tx: SignedTx }
  | { type: 'shutdown_ack'; channel_id: Uint8Array; signed_tx: SignedTx };

export interface PeerEndpoint {
  send(message: PeerMessage): void;
  /** Closes the link both ways: what was sent before still arrives, a later `send` is dropped. */
  close(): void;
}

/**
 * Two connected endpoints. Delivery is asynchronous and in order, as over a socket, so that
 * neither state machine ever runs inside the other's call stack.
 */
export function linkPeers(
  onInitiatorReceives: (message: PeerMessage) => void,
  onResponderReceives: (message: PeerMessage) => void,
): { initiator: PeerEndpoint; responder: PeerEndpoint } {
  let open = true;
  const deliver = (handler: (message: PeerMessage) => void) => (message: PeerMessage) => {
    if (!open) return;
    setImmediate(() => handler(message));
  };
  const close = () => {
    open = false;
  };
  return {
    initiator: { send: deliver(onResponderReceives), close },
    responder: { send: deliver(onInitiatorReceives), close },
  };
}

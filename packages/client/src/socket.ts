/**
 * The one WebSocket surface the client needs, over the platform's `WebSocket` (browsers, Node
 * ≥ 22) or the `ws` package (Node 20, which has no global WebSocket).
 */
export interface ChannelSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /**
   * Shows the node the client is there: the node closes a socket its client leaves silent for
   * 60 s (cowboy's idle timeout, reset only by the client's frames, BEHAVIOUR.md §1.4). A
   * protocol ping where the implementation has one (`ws`); else, as a page cannot ping, an empty
   * binary frame, which the node ignores (§1.1) but counts as a frame.
   */
  keepAlive(): void;
}

export interface SocketHandlers {
  onMessage(text: string): void;
  onClose(code: number, reason: string): void;
}

/** A constructor with the shape of the platform WebSocket. */
export type WebSocketConstructor = new (url: string) => {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  /** Text frames, and the empty binary frame of `keepAlive` where there is no `ping`. */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  ping?(): void;
};

/** Opens `url`; resolves once the socket is open, rejects if it cannot be. */
export async function openSocket(url: string, handlers: SocketHandlers, implementation?: WebSocketConstructor, signal?: AbortSignal): Promise<ChannelSocket> {
  const Implementation = implementation ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? (await import('ws')).WebSocket as unknown as WebSocketConstructor;
  const socket = new Implementation(url);
  // Frames may arrive in the same tick as the open event: listen before waiting for it.
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') handlers.onMessage(event.data);
    else if (event.data instanceof Uint8Array || event.data instanceof ArrayBuffer) {
      // ws hands text frames over as Buffers when asked for binary; the protocol is text.
      handlers.onMessage(new TextDecoder().decode(event.data));
    }
  };
  // An abort while opening closes the socket: a node that never answers the upgrade would
  // otherwise hold the connect for good (ws has no handshake timeout).
  const onAbort = () => socket.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while `ws` was being loaded: the listener came too late to hear it.
  if (signal?.aborted === true) socket.close();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = (event) => reject(new Error(`cannot connect to ${url}: ${(event as { message?: string }).message ?? 'connection failed'}`));
      socket.onclose = (event) => reject(new Error(`the node closed the connection (${event.code} ${event.reason})`));
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted === true) {
    socket.close();
    throw new Error('aborted');
  }
  socket.onclose = (event) => handlers.onClose(event.code, event.reason);
  socket.onerror = () => {
    // 'close' follows every 'error'; the close handler reports it.
  };
  return {
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    keepAlive: typeof socket.ping === 'function' ? () => (socket.ping as () => void).call(socket) : () => socket.send(new Uint8Array(0)),
  };
}

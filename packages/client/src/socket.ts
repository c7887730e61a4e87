/**
 * The one WebSocket surface the client needs, over the platform's `WebSocket` (browsers, Node
 * ≥ 22) or the `ws` package (Node 20, which has no global WebSocket).
 */

/**
 * The largest frame the client reads, in bytes of UTF-8. The largest frame of the protocol is a
 * message report (or an error echoing our message) whose `info` holds 65 535 bytes
 * (`MAX_MESSAGE_INFO_BYTES`), each escaped as `\u00XX` at worst: 6 × 65 535 = 393 210 bytes,
 * plus its envelope of keys and `ak$`/`ch$` values; a `tx$` is at most `MAX_ENCODED_LENGTH`
 * (89 503) characters of `@aesc/encoding`, so a frame carrying one is far smaller. A
 * larger frame ends the connection unread: `ws` refuses it at its header (`maxPayload`, close
 * code 1009), the platform `WebSocket`, which has no limit, once it has it.
 */
export const MAX_FRAME_BYTES = 512 * 1024;

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
  /** A frame above {@link MAX_FRAME_BYTES} came: it was not read, and `onClose(1009, …)` follows at once. */
  onFrameTooLarge(): void;
  /** Called once: when the socket closed, or when it was given up for a frame too large (the socket is closing). */
  onClose(code: number, reason: string): void;
}

/**
 * A constructor with the shape of the platform WebSocket. One with a `ping` method is taken for
 * `ws`'s, and given `{ maxPayload: MAX_FRAME_BYTES }` as its second argument.
 */
export type WebSocketConstructor = new (url: string, options?: { maxPayload: number }) => {
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
  // `ws` takes options where the platform takes protocols (an object there fails the handshake).
  const isWs = typeof (Implementation.prototype as { ping?: unknown } | undefined)?.ping === 'function';
  const socket = isWs ? new Implementation(url, { maxPayload: MAX_FRAME_BYTES }) : new Implementation(url);
  let ended = false;
  const end = (code: number, reason: string) => {
    if (ended) return;
    ended = true;
    handlers.onClose(code, reason);
  };
  const refuseFrame = () => {
    if (ended) return;
    handlers.onFrameTooLarge();
    end(1009, `a frame above ${MAX_FRAME_BYTES} bytes`);
    // `ws` is closing already (1009); the platform may send only 1000 or 3000–4999.
    if (!isWs) socket.close(1000, 'frame too large');
  };
  // Frames may arrive in the same tick as the open event: listen before waiting for it.
  socket.onmessage = (event) => {
    if (ended) return;
    const { data } = event;
    if (typeof data === 'string') {
      // Checked before anything reads it; at most 3 bytes of UTF-8 per UTF-16 unit.
      if (data.length > MAX_FRAME_BYTES || (data.length * 3 > MAX_FRAME_BYTES && utf8Length(data) > MAX_FRAME_BYTES)) refuseFrame();
      else handlers.onMessage(data);
    } else if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
      // ws hands text frames over as Buffers when asked for binary; the protocol is text.
      if (data.byteLength > MAX_FRAME_BYTES) refuseFrame();
      else handlers.onMessage(new TextDecoder().decode(data));
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
      socket.onerror = (event) => {
        if (isFrameTooLarge(event)) refuseFrame(); // a frame in the same tick as the open event
        else reject(new Error(`cannot connect to ${url}: ${(event as { message?: string }).message ?? 'connection failed'}`));
      };
      socket.onclose = (event) => reject(new Error(`the node closed the connection (${event.code} ${event.reason})`));
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted === true) {
    socket.close();
    throw new Error('aborted');
  }
  socket.onclose = (event) => end(event.code, event.reason);
  socket.onerror = (event) => {
    // `ws` reports a frame above maxPayload here (and closes with 1009); 'close' follows every
    // other 'error', and the close handler reports it.
    if (isFrameTooLarge(event)) refuseFrame();
  };
  return {
    send: (text) => socket.send(text),
    // The platform sends only 1000 and 3000–4999 (another code throws); `ws` any valid code.
    close: (code, reason) => socket.close(isWs || code === undefined || code === 1000 || code >= 3000 ? code : 1000, reason),
    keepAlive: typeof socket.ping === 'function' ? () => (socket.ping as () => void).call(socket) : () => socket.send(new Uint8Array(0)),
  };
}

/** `ws`'s error for a frame above `maxPayload`. */
function isFrameTooLarge(event: unknown): boolean {
  return (event as { error?: { code?: unknown } } | null)?.error?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
}

/** Bytes of `text` in UTF-8 (a received frame has no lone surrogate: it was decoded from UTF-8). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x800) bytes += unit >= 0xd800 && unit <= 0xdfff ? 1 : 2; // a surrogate pair is 4 bytes: 2 + 1 + 1
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}

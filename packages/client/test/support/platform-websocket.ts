import { WebSocket as WsWebSocket } from 'ws';

/**
 * The platform's WebSocket as browsers and Node ≥ 22 have it (`globalThis.WebSocket`), over
 * `ws`: the same surface, and its limits: no frame size limit of its own, no protocol ping (a
 * page cannot send one), options refused, and a close code other than 1000 or 3000–4999
 * throws. Records every frame the client sends, in `sent`.
 */
export class PlatformWebSocket {
  static readonly sent: (string | Uint8Array)[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly #inner: WsWebSocket;

  constructor(url: string, ...rest: unknown[]) {
    if (rest.length > 0) throw new SyntaxError('the platform WebSocket takes protocols, not options');
    this.#inner = new WsWebSocket(url, { maxPayload: 0 }); // 0: no limit
    this.#inner.onopen = (event) => this.onopen?.(event);
    this.#inner.onmessage = (event) => this.onmessage?.({ data: event.data });
    this.#inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.#inner.onerror = (event) => this.onerror?.(event);
  }

  get readyState(): number {
    return this.#inner.readyState;
  }

  send(data: string | Uint8Array): void {
    PlatformWebSocket.sent.push(data);
    this.#inner.send(data);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) throw new Error(`InvalidAccessError: close code ${code}`);
    this.#inner.close(code, reason);
  }
}

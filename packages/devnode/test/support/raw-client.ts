/**
 * A raw WebSocket party for devnode tests: `ws` and `@aesc/signer`, no client library. It
 * records every frame, answers sign requests like an honest wallet unless told otherwise, and
 * lets a test wait for a frame.
 */
import { parseJsonExact, serializeJson } from '@aesc/schema';
import { createSigner, type Signer, signTx } from '@aesc/signer';
import { decodeTx, encodeTx } from '@aesc/tx';
import WebSocket from 'ws';

export type Frame = { action: string; tag?: string; payload?: Record<string, unknown> };

export interface ChannelTerms {
  initiator: Signer;
  responder: Signer;
  port: number;
  lock_period?: bigint;
  push_amount?: bigint;
  initiator_amount?: bigint;
  responder_amount?: bigint;
  channel_reserve?: bigint;
  ttl?: bigint;
  extra?: Record<string, string>;
}

export function channelQuery(role: 'initiator' | 'responder', terms: ChannelTerms): string {
  const query = new URLSearchParams({
    initiator: terms.initiator.address,
    responder: terms.responder.address,
    lock_period: String(terms.lock_period ?? 10n),
    push_amount: String(terms.push_amount ?? 10n),
    initiator_amount: String(terms.initiator_amount ?? 7n),
    responder_amount: String(terms.responder_amount ?? 4n),
    channel_reserve: String(terms.channel_reserve ?? 2n),
    ttl: String(terms.ttl ?? 1000n),
    port: String(terms.port),
    role,
    ...(role === 'initiator' ? { host: 'localhost' } : {}),
    ...terms.extra,
  });
  return query.toString().replace(/%24/g, '$');
}

/** Parses a frame exactly: integer literals become bigint, so that nothing is rounded. */
function parseFrame(text: string): Frame {
  return parseJsonExact(text) as unknown as Frame;
}

export class RawParty {
  readonly frames: Frame[] = [];
  autoSign = true;
  closed: { code: number; reason: string } | undefined;
  #waiters: { test: (frame: Frame) => boolean; resolve: (frame: Frame) => void; reject: (error: Error) => void }[] = [];
  #closeWaiters: ((closed: { code: number; reason: string }) => void)[] = [];

  private constructor(
    readonly socket: WebSocket,
    readonly signer: Signer,
  ) {
    socket.on('message', (data) => this.#receive(parseFrame(data.toString())));
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const resolve of this.#closeWaiters.splice(0)) resolve(this.closed);
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`socket closed (${code} ${reason}) while waiting`));
    });
  }

  static async connect(url: string, signer: Signer): Promise<RawParty> {
    const socket = new WebSocket(url);
    const party = new RawParty(socket, signer);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return party;
  }

  /** Like `connect`, but for a connection the node refuses: resolves with the close. */
  static async refused(url: string, signer: Signer): Promise<{ code: number; reason: string }> {
    const party = new RawParty(new WebSocket(url), signer);
    return party.whenClosed();
  }

  /**
   * Whether the node still holds the socket open: a ping sent now is answered by a pong, unless
   * the node has closed (its close frame comes before any answer to a later ping).
   */
  stillOpen(): Promise<boolean> {
    if (this.closed !== undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.once('pong', () => resolve(this.closed === undefined));
      this.#closeWaiters.push(() => resolve(false));
      this.socket.ping();
    });
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    return this.closed !== undefined ? Promise.resolve(this.closed) : new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  #receive(frame: Frame): void {
    this.frames.push(frame);
    for (const waiter of [...this.#waiters]) {
      if (waiter.test(frame)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
    if (frame.action === 'sign' && this.autoSign) void this.signAndReply(frame);
  }

  async signAndReply(request: Frame): Promise<void> {
    const unsigned = decodeTx(request.payload?.tx as string, 'unsigned');
    const signed = await signTx(unsigned, this.signer);
    this.send({ action: request.tag as string, payload: { tx: encodeTx(signed) } });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : serializeJson(frame));
  }

  /** The next frame (counting from `after` frames already seen) that passes `test`. */
  next(test: (frame: Frame) => boolean, after = 0, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.slice(after).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames.map(summary))}`)), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Frames as `action[:tag|:event]`, for comparing sequences. */
  summaries(): string[] {
    return this.frames.map(summary);
  }

  close(): void {
    this.socket.close();
  }
}

export function summary(frame: Frame): string {
  if (frame.action === 'info') return `info:${String(frame.payload?.event)}`;
  if (frame.action === 'sign') return `sign:${String(frame.tag)}`;
  return frame.action;
}

export const isInfo = (event: string) => (frame: Frame) => frame.action === 'info' && frame.payload?.event === event;
export const isSign = (tag: string) => (frame: Frame) => frame.action === 'sign' && frame.tag === tag;
export const isState = (round: bigint) => (frame: Frame) =>
  frame.action === 'update' && typeof frame.payload?.state === 'string' && (decodeTx(frame.payload.state, 'signed_tx').tx as { round?: bigint }).round === round;

export async function party(seed: number): Promise<Signer> {
  return createSigner(new Uint8Array(32).fill(seed));
}

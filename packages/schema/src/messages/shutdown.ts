/**
 * `shutdown`, client → node: starts a mutual close (BEHAVIOUR.md §2.6). It never gets a direct
 * answer; the next frame is the `shutdown_sign` request. The payload is optional and v0.14
 * ignores it, whatever it holds, so any object is accepted (`{}`, `{"reason":"bye"}`, …).
 */

/** What a `shutdown` may carry: anything, ignored by the node. */
export type ShutdownPayload = { [key: string]: unknown };

/** The client starts a mutual close. */
export interface ShutdownRequest {
  action: 'shutdown';
  payload?: ShutdownPayload;
}

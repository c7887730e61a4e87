/**
 * `shutdown`, client → node: starts a mutual close (BEHAVIOUR.md §2.6). It never gets a direct
 * answer; the next frame is the `shutdown_sign` request. The node ignores any payload; an empty
 * one is accepted because clients commonly send `{}`.
 */
import type { EmptyPayload } from './primitives.js';

/** The client starts a mutual close. */
export interface ShutdownRequest {
  action: 'shutdown';
  payload?: EmptyPayload;
}

import { expect } from 'vitest';
import { ClientError } from '../../src/index.js';

/** Awaits `promise`, expects it to reject with a ClientError of `code`, and returns the error. */
export async function clientError(promise: Promise<unknown>, code: ClientError['code']): Promise<ClientError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ClientError ${code}`).toBeInstanceOf(ClientError);
  expect((caught as ClientError).code, (caught as Error).message).toBe(code);
  return caught as ClientError;
}

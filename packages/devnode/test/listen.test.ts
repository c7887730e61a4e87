import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnode } from '../src/devnode.js';

/* A port already in use: the listen error reaches the caller, nothing is thrown past it. */

let busy: Server;
let busyPort: number;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

describe('startDevnode on a port in use', () => {
  it.each([['wsPort'], ['httpPort']] as const)('rejects with EADDRINUSE and its port when %s is taken', async (taken) => {
    const ports = { httpPort: 0, wsPort: 0, [taken]: busyPort };
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const error = await startDevnode({ httpPort: ports.httpPort, wsPort: ports.wsPort }).then(
        () => undefined,
        (reason: unknown) => reason as NodeJS.ErrnoException,
      );
      expect(error?.code).toBe('EADDRINUSE');
      expect((error as NodeJS.ErrnoException & { port?: number }).port).toBe(busyPort);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });

  it('leaves nothing open: the other port is free again and a devnode starts on it', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expect(startDevnode({ httpPort: freePort, wsPort: busyPort })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const node = await startDevnode({ httpPort: freePort, wsPort: 0 });
    expect(node.httpPort).toBe(freePort);
    await node.close();
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dialect } from '@aesc/schema';
import { type Block, Chain, type GenesisAccount } from './chain.js';
import { createHttpServer } from './http.js';
import { ChannelService } from './service.js';

export interface DevnodeOptions {
  /** HTTP API port (`/v2`); 0 picks a free one. Default 3013. */
  httpPort?: number | undefined;
  /** Channel WebSocket port (`/channel`); 0 picks a free one. Default 3014. */
  wsPort?: number | undefined;
  /** Address to listen on. Default 127.0.0.1 (devnode is for this machine). */
  host?: string | undefined;
  genesis?: readonly GenesisAccount[] | undefined;
  /** Mine a block every this many milliseconds; 0 or absent: only on demand (`POST /v2/debug/mine`). */
  blockInterval?: number | undefined;
  /** Names on the wire: `seed` (default) or `v0.14`. */
  dialect?: Dialect | undefined;
  /** Confirmations before a channel opens (default 4, as v0.14), unless a connection sets its own. */
  minimumDepth?: bigint | undefined;
  /** Close a channel socket whose client sent no frame for this long (default 60 000 ms, as v0.14). */
  idleTimeoutMs?: number | undefined;
}

export interface Devnode {
  readonly chain: Chain;
  /** `http://host:port/v2` */
  readonly httpUrl: string;
  /** `ws://host:port/channel` */
  readonly wsUrl: string;
  readonly httpPort: number;
  readonly wsPort: number;
  readonly dialect: Dialect;
  /** Mines `count` blocks now. */
  mine(count?: number): Promise<Block[]>;
  /** Stops the timer, closes every channel socket and both servers. */
  close(): Promise<void>;
}

/**
 * Starts a devnode: a chain emulator, the node's HTTP API and the channel WebSocket service,
 * on two ports as the v0.14 node had them. A port that cannot be listened on (in use, not
 * permitted) rejects with Node's listen error (`code` EADDRINUSE…, its `port` and `address`),
 * and nothing is left open.
 */
export async function startDevnode(options: DevnodeOptions = {}): Promise<Devnode> {
  const host = options.host ?? '127.0.0.1';
  const dialect = options.dialect ?? 'seed';
  const chain = new Chain(options.genesis ?? []);
  const httpServer = createHttpServer(chain);
  const wsServer = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
    response.end('{"reason":"Upgrade Required: the channel service speaks WebSocket on /channel"}');
  });
  const channels = new ChannelService(wsServer, {
    chain,
    dialect,
    minimumDepth: options.minimumDepth ?? 4n,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  let httpPort: number;
  let wsPort: number;
  try {
    httpPort = await listen(httpServer, options.httpPort ?? 3013);
    wsPort = await listen(wsServer, options.wsPort ?? 3014);
  } catch (error) {
    // The listen error (EADDRINUSE…, with its `port`) is the caller's to report; nothing of
    // this node may stay open behind it, or a caller that goes on would hold a port.
    channels.close();
    if (httpServer.listening) httpServer.close();
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  if (options.blockInterval !== undefined && options.blockInterval > 0) {
    timer = setInterval(() => void chain.mine(), options.blockInterval);
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    chain,
    dialect,
    httpPort,
    wsPort,
    httpUrl: `http://${urlHost}:${httpPort}/v2`,
    wsUrl: `ws://${urlHost}:${wsPort}/channel`,
    mine: (count = 1) => chain.mine(count),
    async close() {
      clearInterval(timer);
      channels.close();
      httpServer.closeAllConnections();
      wsServer.closeAllConnections();
      await Promise.all([new Promise((resolve) => httpServer.close(resolve)), new Promise((resolve) => wsServer.close(resolve))]);
    },
  };
}

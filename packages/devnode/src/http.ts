import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decode, type Encoded, EncodingError, encode, parse, type Prefix, type TxHash } from '@aesc/encoding';
import { type ExactJson, parseJsonExact, SchemaError, serializeJson } from '@aesc/schema';
import { encodeTx, TxError, toJSON, type UnsignedTx } from '@aesc/tx';
import type { Chain, TxRecord } from './chain.js';
import { ChainError, deserializeSignedTx } from './rules.js';

/** A request body larger than this is refused (413): no tx of this era comes near it. */
const MAX_BODY_BYTES = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, ExactJson>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.reason));
  }
}

const reason = (status: number, text: string, extra: Record<string, ExactJson> = {}) => new HttpError(status, { reason: text, ...extra });

type Handler = (request: { match: RegExpExecArray; url: URL; body: () => Promise<Record<string, ExactJson>> }) => Promise<ExactJson>;

/**
 * The node's external HTTP API under `/v2` (BEHAVIOUR.md §8): tx lookup and posting, the
 * channel tx builders, balances and nonces, plus devnode's own `/v2/debug/*` endpoints.
 */
export function createHttpServer(chain: Chain): Server {
  const routes: [method: string, path: RegExp, handler: Handler][] = [
    ['GET', /^\/v2\/top$/, async () => ({ height: BigInt(chain.height), hash: chain.topBlock.hash })],
    ['GET', /^\/v2\/tx\/([^/]+)$/, async ({ match, url }) => getTx(chain, decodePathSegment(match[1] as string), url)],
    ['POST', /^\/v2\/tx$/, async ({ body }) => postTx(chain, await body())],
    ['GET', /^\/v2\/account\/([^/]+)\/balance$/, async ({ match }) => ({ balance: existingAccount(chain, match[1] as string).balance })],
    ['GET', /^\/v2\/account\/([^/]+)\/nonce$/, async ({ match }) => ({ nonce: existingAccount(chain, match[1] as string).nonce })],
    ['GET', /^\/v2\/channels\/([^/]+)$/, async ({ match }) => getChannel(chain, decodePathSegment(match[1] as string))],
    ['POST', /^\/v2\/tx\/channel\/(create|deposit|withdrawal|close\/mutual|close\/solo|slash|settle)$/, async ({ match, body }) => ({
      tx: encodeBuilt(buildChannelTx(chain, match[1] as BuilderName, await body())),
    })],
    ['POST', /^\/v2\/debug\/mine$/, async ({ body }) => {
      const request = await body();
      checkBody(request, { blocks: 'integer' }, []);
      const blocks = request.blocks === undefined ? 1n : integerField(request, 'blocks');
      if (blocks < 1n || blocks > 10_000n) throw reason(400, 'blocks must be between 1 and 10000');
      await chain.mine(Number(blocks));
      return { height: BigInt(chain.height), hash: chain.topBlock.hash };
    }],
    ['POST', /^\/v2\/debug\/fund$/, async ({ body }) => {
      const request = await body();
      checkBody(request, { account: 'ak', amount: 'integer' }, ['account', 'amount']);
      const account = chain.fund(encodedField(request, 'account', 'ak'), integerField(request, 'amount'));
      return { balance: account.balance };
    }],
  ];

  return createServer((request, response) => {
    void handle(routes, request, response);
  });
}

async function handle(routes: [string, RegExp, Handler][], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const cors = corsHeaders(request);
  try {
    const url = new URL(request.url ?? '/', 'http://devnode');
    const matching = routes.filter(([, path]) => path.test(url.pathname));
    if (matching.length === 0) throw reason(404, 'Not found');
    if (request.method === 'OPTIONS') {
      response.writeHead(200, { ...cors, 'content-length': 0 });
      response.end();
      return;
    }
    const route = matching.find(([method]) => method === request.method);
    if (route === undefined) {
      // As cowboy_rest: a 405 names the methods the resource takes.
      const allow = [...new Set([...matching.map(([method]) => method), 'OPTIONS'])].join(', ');
      throw new HttpError(405, { reason: `Method ${request.method ?? ''} not allowed` }, { allow });
    }
    const [, path, handler] = route;
    const result = await handler({ match: path.exec(url.pathname) as RegExpExecArray, url, body: () => readBody(request) });
    send(response, 200, result, cors);
  } catch (error) {
    if (error instanceof HttpError) send(response, error.status, error.body, { ...cors, ...error.headers });
    else send(response, 500, { reason: `internal error: ${(error as Error).message}` }, cors);
  }
}

/**
 * What the reference's `aehttp_cors_middleware` answers a request with an `Origin` (every origin
 * is allowed, as its default `allow_domains: ["*"]`), so that a page can call the API with
 * `fetch`: the origin back, the methods, the headers its preflight asked for. The OPTIONS
 * preflight of a route is answered with these alone.
 */
function corsHeaders(request: IncomingMessage): Record<string, string> {
  const { origin } = request.headers;
  if (origin === undefined) return {};
  const asked = request.headers['access-control-request-headers'];
  return {
    vary: 'origin',
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-max-age': String(30 * 60),
    ...(asked === undefined ? {} : { 'access-control-allow-headers': asked }),
  };
}

function send(response: ServerResponse, status: number, body: ExactJson, headers: Record<string, string>): void {
  if (response.headersSent) return;
  const text = serializeJson(body);
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<Record<string, ExactJson>> {
  // The media type without its parameters (`; charset=utf-8`); type and subtype are case-insensitive.
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') throw reason(415, 'Content-Type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw reason(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: ExactJson;
  try {
    body = parseJsonExact(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    if (error instanceof SchemaError) throw validationError('body', error.message);
    throw error;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw validationError('body', 'expected a JSON object');
  return body;
}

/** A schema failure: of a body field (`parameter` "body", as the reference names the body), or of a query parameter. */
function validationError(field: string, error: string, parameter: 'body' | 'tx_encoding' = 'body'): HttpError {
  return new HttpError(400, { reason: 'validation_error', parameter, info: { parameter: field, error } });
}

// ---------------------------------------------------------------------------------------------
// Transactions

const DATA_SCHEMAS: Partial<Record<UnsignedTx['type'], string>> = {
  spend_tx: 'SpendTxJSON',
  channel_create_tx: 'ChannelCreateTxJSON',
  channel_deposit_tx: 'ChannelDepositTxJSON',
  channel_withdraw_tx: 'ChannelWithdrawalTxJSON',
  channel_close_mutual_tx: 'ChannelCloseMutualTxJSON',
  channel_close_solo_tx: 'ChannelCloseSoloTxJSON',
  channel_settle_tx: 'ChannelSettleTxJSON',
};

function getTx(chain: Chain, hash: string, url: URL): ExactJson {
  const encoding = url.searchParams.get('tx_encoding') ?? 'json';
  if (encoding !== 'json') {
    throw encoding === 'message_pack'
      ? reason(400, 'tx_encoding message_pack is not served by devnode; ask for tx_encoding=json')
      : validationError('tx_encoding', 'must be json or message_pack', 'tx_encoding');
  }
  try {
    parse(hash, 'th');
  } catch {
    throw reason(400, 'Invalid hash: tx_hash');
  }
  const record = chain.tx(hash as TxHash);
  if (record === undefined) {
    const rejection = chain.rejection(hash as TxHash);
    throw rejection === undefined
      ? reason(404, 'Transaction not found')
      : reason(404, 'Transaction not found', { rejected: rejection.reason, at_height: BigInt(rejection.height) });
  }
  return { transaction: txForClient(record), data_schema: 'SingleTxJSON' };
}

/** The node's `for_client` JSON of a signed tx: integers as JSON integers, keys as `ak$`. */
function txForClient(record: TxRecord): ExactJson {
  const inner = record.signedTx.tx;
  const { fields } = toJSON(inner);
  const tx: Record<string, ExactJson> = { type: inner.type, vsn: 1n };
  const schema = DATA_SCHEMAS[inner.type];
  if (schema !== undefined) tx.data_schema = schema;
  for (const [name, value] of Object.entries(fields)) {
    const asInteger = typeof value === 'string' && /^[0-9]+$/.test(value) ? BigInt(value) : (value as ExactJson);
    // The reference names the deposit's channel `channel` (BEHAVIOUR.md §8.1).
    tx[inner.type === 'channel_deposit_tx' && name === 'channel_id' ? 'channel' : name] = asInteger;
  }
  return {
    tx,
    block_height: BigInt(record.blockHeight),
    block_hash: record.blockHash,
    hash: record.hash,
    signatures: record.signedTx.signatures.map((signature) => encode('sg', signature)),
  };
}

async function postTx(chain: Chain, body: Record<string, ExactJson>): Promise<ExactJson> {
  checkBody(body, { tx: 'tx' }, ['tx']);
  let signedTx;
  try {
    signedTx = deserializeSignedTx(decode(body.tx as string, 'tx'));
  } catch (error) {
    if (error instanceof EncodingError) throw reason(400, 'Invalid base58Check encoding', { detail: error.message });
    if (error instanceof TxError) throw reason(400, 'Invalid tx', { detail: error.message });
    throw error;
  }
  try {
    const record = await chain.submit(signedTx);
    return { tx_hash: record.hash };
  } catch (error) {
    // v0.14 answered 200 even when its mempool refused the tx; devnode says why.
    if (error instanceof ChainError) throw reason(400, error.reason, { message: error.message });
    throw error;
  }
}

function getChannel(chain: Chain, encodedId: string): ExactJson {
  let id: Uint8Array;
  try {
    id = parse(encodedId, 'ch').bytes;
  } catch {
    throw reason(400, 'Invalid hash: channel_id');
  }
  const channel = chain.channel(id);
  if (channel === undefined) throw reason(404, 'Channel not found');
  return {
    id: encode('ch', channel.id),
    initiator: encode('ak', channel.initiator),
    responder: encode('ak', channel.responder),
    total_amount: channel.total_amount,
    initiator_amount: channel.initiator_amount,
    responder_amount: channel.total_amount - channel.initiator_amount,
    channel_reserve: channel.channel_reserve,
    round: channel.round,
    lock_period: channel.lock_period,
    closes_at: channel.closes_at,
  };
}

function existingAccount(chain: Chain, encoded: string) {
  let pubkey: Uint8Array;
  try {
    pubkey = parse(decodeURIComponent(encoded), 'ak').bytes;
  } catch {
    throw reason(400, 'Invalid hash: account');
  }
  const account = chain.account(pubkey);
  if (account === undefined) throw reason(404, 'Account not found');
  return account;
}

// ---------------------------------------------------------------------------------------------
// Builders (BEHAVIOUR.md §8.3): return the unsigned tx, post nothing.

type BuilderName = 'create' | 'deposit' | 'withdrawal' | 'close/mutual' | 'close/solo' | 'slash' | 'settle';

function buildChannelTx(chain: Chain, name: BuilderName, request: Record<string, ExactJson>): UnsignedTx {
  const int = (field: string) => integerField(request, field);
  const key = (field: string) => encodedField(request, field, 'ak');
  const channel = () => encodedField(request, 'channel_id', 'ch');
  /** An optional nonce defaults to the account's next one (create, close/solo, slash). */
  const nonceOf = (field: string, account: Uint8Array) => {
    if (request.nonce !== undefined) return int('nonce');
    if (chain.account(account) === undefined) throw reason(404, `Account of ${field} not found`);
    return chain.nextNonce(account);
  };
  const fields = BUILDER_BODIES[name];
  checkBody(request, fields, Object.keys(fields).filter((field) => field !== 'nonce' || !NODE_PICKS_NONCE.has(name)));
  switch (name) {
    case 'create': {
      // push_amount is required and validated (above), then ignored, as in v0.14.
      const initiator = key('initiator');
      return {
        type: 'channel_create_tx',
        initiator,
        initiator_amount: int('initiator_amount'),
        responder: key('responder'),
        responder_amount: int('responder_amount'),
        channel_reserve: int('channel_reserve'),
        lock_period: int('lock_period'),
        ttl: int('ttl'),
        fee: int('fee'),
        nonce: nonceOf('initiator', initiator),
      };
    }
    case 'deposit':
      return { type: 'channel_deposit_tx', channel_id: channel(), from: key('from'), amount: int('amount'), ttl: int('ttl'), fee: int('fee'), nonce: int('nonce') };
    case 'withdrawal':
      return { type: 'channel_withdraw_tx', channel_id: channel(), to: key('to'), amount: int('amount'), ttl: int('ttl'), fee: int('fee'), nonce: int('nonce') };
    case 'close/mutual':
      return {
        type: 'channel_close_mutual_tx',
        channel_id: channel(),
        initiator_amount: int('initiator_amount'),
        responder_amount: int('responder_amount'),
        ttl: int('ttl'),
        fee: int('fee'),
        nonce: int('nonce'),
      };
    case 'close/solo':
    case 'slash': {
      const from = key('from');
      return {
        type: name === 'slash' ? 'channel_slash_tx' : 'channel_close_solo_tx',
        channel_id: channel(),
        from,
        // v0.14 copied this string verbatim, which no JSON string can carry; devnode takes the tx$.
        payload: encodedField(request, 'payload', 'tx'),
        ttl: int('ttl'),
        fee: int('fee'),
        nonce: nonceOf('from', from),
      };
    }
    case 'settle':
      return {
        type: 'channel_settle_tx',
        channel_id: channel(),
        from: key('from'),
        initiator_amount: int('initiator_amount'),
        responder_amount: int('responder_amount'),
        ttl: int('ttl'),
        fee: int('fee'),
        nonce: int('nonce'),
      };
  }
}

/**
 * The built tx as a tx$ string. Every field passed the schema, yet the whole may still not fit one
 * (a close/solo payload near the tx$ limit, an integer of thousands of digits): the request's fault.
 */
function encodeBuilt(tx: UnsignedTx): `tx$${string}` {
  try {
    return encodeTx(tx);
  } catch (error) {
    if (error instanceof EncodingError || error instanceof TxError) throw reason(400, 'Invalid tx', { detail: error.message });
    throw error;
  }
}

/** What a body field must be: a non-negative JSON integer, or a string (meant to hold that prefix). */
type BodyField = 'integer' | Prefix;

/** Each builder's body (BEHAVIOUR.md §8.3): every field required but the nonce the node may pick. */
const BUILDER_BODIES: Record<BuilderName, Record<string, BodyField>> = {
  create: {
    initiator: 'ak',
    initiator_amount: 'integer',
    responder: 'ak',
    responder_amount: 'integer',
    push_amount: 'integer',
    channel_reserve: 'integer',
    lock_period: 'integer',
    ttl: 'integer',
    fee: 'integer',
    nonce: 'integer',
  },
  deposit: { channel_id: 'ch', from: 'ak', amount: 'integer', ttl: 'integer', fee: 'integer', nonce: 'integer' },
  withdrawal: { channel_id: 'ch', to: 'ak', amount: 'integer', ttl: 'integer', fee: 'integer', nonce: 'integer' },
  'close/mutual': { channel_id: 'ch', initiator_amount: 'integer', responder_amount: 'integer', ttl: 'integer', fee: 'integer', nonce: 'integer' },
  'close/solo': { channel_id: 'ch', from: 'ak', payload: 'tx', ttl: 'integer', fee: 'integer', nonce: 'integer' },
  slash: { channel_id: 'ch', from: 'ak', payload: 'tx', ttl: 'integer', fee: 'integer', nonce: 'integer' },
  settle: { channel_id: 'ch', from: 'ak', initiator_amount: 'integer', responder_amount: 'integer', ttl: 'integer', fee: 'integer', nonce: 'integer' },
};

/** The builders whose nonce is optional: the node picks the account's next one. */
const NODE_PICKS_NONCE: ReadonlySet<BuilderName> = new Set(['create', 'close/solo', 'slash']);

/**
 * The reference's checks before any handler runs: an unknown key is refused as its JSON decoder
 * does (`Invalid parameter`), then the swagger schema: every required field present and each of
 * its JSON type. Only a body that passes them all has its values decoded, so a body with a wrong
 * type is a validation_error even when another field is also an invalid hash.
 */
function checkBody(body: Record<string, ExactJson>, fields: Record<string, BodyField>, required: readonly string[]): void {
  for (const name of Object.keys(body)) if (!Object.hasOwn(fields, name)) throw reason(400, `Invalid parameter: ${name}`);
  for (const name of required) if (body[name] === undefined) throw validationError(name, 'missing required property');
  for (const [name, kind] of Object.entries(fields)) {
    const value = body[name];
    if (value === undefined) continue;
    if (kind === 'integer') integerField(body, name);
    else if (typeof value !== 'string') throw validationError(name, `expected ${article(kind)} ${kind}$ string`);
  }
}

function integerField(body: Record<string, ExactJson>, name: string): bigint {
  const value = body[name];
  if (typeof value !== 'bigint' || value < 0n) throw validationError(name, 'expected a non-negative integer');
  return value;
}

function encodedField(body: Record<string, ExactJson>, name: string, prefix: Prefix): Uint8Array {
  const value = body[name];
  if (typeof value !== 'string') throw validationError(name, `expected ${article(prefix)} ${prefix}$ string`);
  try {
    return parse(value as Encoded, prefix).bytes;
  } catch {
    throw reason(400, `Invalid hash: ${name}`);
  }
}

/**
 * A path segment with its percent-escapes decoded; a malformed escape (`%E0%A4%A`) leaves it as
 * it is, so that it fails as the value it is (an invalid hash: 400), not as a 500.
 */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The article of a prefix as a message says it: an ak$, a tx$. */
function article(prefix: string): 'a' | 'an' {
  return /^[aeiou]/.test(prefix) ? 'an' : 'a';
}

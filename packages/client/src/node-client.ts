import {
  type AccountPubkey,
  assertBigint,
  assertString,
  bytesToHex,
  type ChannelId,
  decode,
  describe,
  type Encoded,
  type EncodedTx,
  isBytes,
  isEncoded,
  type TxHash,
} from '@aesc/encoding';
import { type ExactJson, parseJsonExact, serializeJson } from '@aesc/schema';
import {
  type ChannelCloseMutualTxV014,
  type ChannelCloseSoloTx,
  type ChannelCreateTx,
  type ChannelDepositTx,
  type ChannelSettleTx,
  type ChannelSlashTx,
  type ChannelWithdrawTx,
  compareBytes,
  DEFINITION_BY_TYPE,
  decodeRlp,
  decodeTx,
  deserializeTx,
  encodeRlp,
  encodeTx,
  type FieldKind,
  fromJSON,
  type SignedTx,
  TxError,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { ClientError, type ClientErrorContext } from './errors.js';

/** How long one HTTP request may take, unless the client or the call says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How long `waitForTx`/`waitForHeight` wait by default: long enough for a few blocks of v0.14 (about 3 minutes each). */
export const DEFAULT_WAIT_TIMEOUT_MS = 600_000;
/** Pause between two polls of a wait. */
export const DEFAULT_POLL_MS = 500;
/**
 * Longest limit of one request: 2^31 − 1 ms, about 24.8 days. Node's timers (`setTimeout`,
 * `AbortSignal.timeout`) fire after 1 ms for any longer delay, so a larger limit would
 * silently become none at all; it is refused with a RangeError instead.
 */
export const MAX_REQUEST_TIMEOUT_MS = 2 ** 31 - 1;
/**
 * Largest answer body read, in bytes; a larger one is `BAD_RESPONSE`, and reading stops there.
 * The largest legitimate answer of this API is one tx in its JSON form (`GET /tx`): a tx$ holds
 * at most 65 532 bytes (`MAX_VARIABLE_PAYLOAD` of `@aesc/encoding`), ~130 KiB once shown as hex
 * with its signatures; even a payload that filled devnode's 1 MiB request limit would be under
 * 2 MiB as hex. The cap only keeps a hostile node from growing the process without bound.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface NodeClientOptions {
  /** The `fetch` to use; the global one by default. */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Limit for each request, in milliseconds (default {@link DEFAULT_REQUEST_TIMEOUT_MS}, 10 s; at most
   * {@link MAX_REQUEST_TIMEOUT_MS}); a fraction is rounded up to the next millisecond.
   */
  timeoutMs?: number | undefined;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Limit for this request, in milliseconds, as {@link NodeClientOptions.timeoutMs}; overrides the client's. */
  timeoutMs?: number | undefined;
}

/** A transaction as the node knows it. */
export interface TxInfo {
  signedTx: SignedTx;
  /** `th$` of the signed tx (the v0.14 rule). */
  hash: TxHash;
  /** Height of the block that holds it; `-1n` while it waits in the mempool. */
  blockHeight: bigint;
  /** That block's hash; undefined while pending (the node says `"none"`). */
  blockHash: Encoded<'bh'> | undefined;
}

export interface WaitProgress {
  /** Chain height at this poll. */
  height: bigint;
  /** Height of the tx's block, `-1n` while it is not mined (or not yet known to the node). */
  blockHeight: bigint;
}

export interface WaitOptions {
  /**
   * Give up after this long, in milliseconds (default {@link DEFAULT_WAIT_TIMEOUT_MS}, 10 minutes);
   * `ClientError('TIMEOUT')`. Any positive finite number: a wait for a lock period may take weeks. A
   * fraction is rounded up to the next millisecond.
   */
  timeoutMs?: number | undefined;
  /** Pause between polls, in milliseconds (default {@link DEFAULT_POLL_MS}, 500 ms); a fraction is rounded up. */
  pollMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface WaitForTxOptions extends WaitOptions {
  /** Blocks on top of the tx's block before it counts (default 0n: included is enough). */
  confirmations?: bigint | undefined;
  /** Called after every poll, so that a caller can show progress. */
  onProgress?: ((progress: WaitProgress) => void) | undefined;
}

export interface WaitForHeightOptions extends WaitOptions {
  onProgress?: ((progress: { height: bigint; target: bigint }) => void) | undefined;
}

/** The channel object the node keeps (WIRE.md §4.11), with the responder's amount derived. */
export interface ChannelInfo {
  id: ChannelId;
  initiator: AccountPubkey;
  responder: AccountPubkey;
  total_amount: bigint;
  initiator_amount: bigint;
  responder_amount: bigint;
  channel_reserve: bigint;
  round: bigint;
  lock_period: bigint;
  /** Height from which the channel can be settled; 0n while it is active (not solo-closing). */
  closes_at: bigint;
}

/** Request bodies of the channel tx builders (BEHAVIOUR.md §8.3), keyed by the builder's path. */
export interface ChannelTxBuilderBodies {
  create: {
    initiator: AccountPubkey;
    initiator_amount: bigint;
    responder: AccountPubkey;
    responder_amount: bigint;
    /** Required by the node, then ignored (v0.14); 0n when left out. */
    push_amount?: bigint | undefined;
    channel_reserve: bigint;
    lock_period: bigint;
    ttl: bigint;
    fee: bigint;
    /** Default: the initiator's next nonce, picked by the node. */
    nonce?: bigint | undefined;
  };
  deposit: { channel_id: ChannelId; from: AccountPubkey; amount: bigint; ttl: bigint; fee: bigint; nonce: bigint };
  withdrawal: { channel_id: ChannelId; to: AccountPubkey; amount: bigint; ttl: bigint; fee: bigint; nonce: bigint };
  'close/mutual': { channel_id: ChannelId; initiator_amount: bigint; responder_amount: bigint; ttl: bigint; fee: bigint; nonce: bigint };
  'close/solo': { channel_id: ChannelId; from: AccountPubkey; payload: EncodedTx | SignedTx; ttl: bigint; fee: bigint; nonce?: bigint | undefined };
  slash: { channel_id: ChannelId; from: AccountPubkey; payload: EncodedTx | SignedTx; ttl: bigint; fee: bigint; nonce?: bigint | undefined };
  settle: { channel_id: ChannelId; from: AccountPubkey; initiator_amount: bigint; responder_amount: bigint; ttl: bigint; fee: bigint; nonce: bigint };
}

/** What each builder returns, decoded. */
export interface ChannelTxBuilderResults {
  create: ChannelCreateTx;
  deposit: ChannelDepositTx;
  withdrawal: ChannelWithdrawTx;
  'close/mutual': ChannelCloseMutualTxV014;
  'close/solo': ChannelCloseSoloTx;
  slash: ChannelSlashTx;
  settle: ChannelSettleTx;
}

export type ChannelTxBuilder = keyof ChannelTxBuilderBodies;

type BodyFieldKind = 'int' | 'account' | 'channel' | 'payload';

/** The tx type each builder returns. */
const BUILDER_TYPES: Record<ChannelTxBuilder, UnsignedTx['type']> = {
  create: 'channel_create_tx',
  deposit: 'channel_deposit_tx',
  withdrawal: 'channel_withdraw_tx',
  'close/mutual': 'channel_close_mutual_tx',
  'close/solo': 'channel_close_solo_tx',
  slash: 'channel_slash_tx',
  settle: 'channel_settle_tx',
};

/** Builders whose nonce the node picks when the body leaves it out (BEHAVIOUR.md §8.3). */
const NONCE_PICKED_BY_NODE: ReadonlySet<ChannelTxBuilder> = new Set(['create', 'close/solo', 'slash']);

const BODY_KINDS: Partial<Record<FieldKind, BodyFieldKind>> = { int: 'int', pubkey: 'account', id: 'channel', payload: 'payload' };

type BuilderField = { kind: BodyFieldKind; optional?: true; request?: true };

/**
 * Per builder: the tx type it returns and its body fields, read from that tx's v0.14 layout in
 * `@aesc/tx` (`?` optional; `request`: sent, but not a tx field).
 */
const BUILDERS = Object.fromEntries(
  Object.entries(BUILDER_TYPES).map(([builder, type]) => {
    const layout = DEFINITION_BY_TYPE.get(type)?.layouts[0] ?? [];
    const fields: Record<string, BuilderField> = {};
    for (const [name, kind] of layout) {
      const bodyKind = BODY_KINDS[kind];
      if (bodyKind === undefined) throw new Error(`no builder body kind for a ${kind} field (${type}.${name})`);
      fields[name] = name === 'nonce' && NONCE_PICKED_BY_NODE.has(builder as ChannelTxBuilder) ? { kind: bodyKind, optional: true } : { kind: bodyKind };
    }
    // v0.14 requires push_amount in a create request, then ignores it: no tx field.
    if (builder === 'create') fields.push_amount = { kind: 'int', optional: true, request: true };
    return [builder, { type, fields }];
  }),
) as Record<ChannelTxBuilder, { type: UnsignedTx['type']; fields: Record<string, BuilderField> }>;

/**
 * The node's HTTP API (BEHAVIOUR.md §8) over `fetch`, with exact integers both ways.
 *
 * A lookup of something the node does not have (a tx, a channel, an account) resolves to
 * `undefined`: "not there" is an answer, often the expected one while waiting. Only the node's
 * own 404 for that lookup counts (`Transaction not found`…); any other error status, a 404 of a
 * wrong base URL included, is `ClientError('NODE_ERROR')` with the status and the node's
 * `reason`. A tx the node refused after accepting it (devnode says so in its 404) is
 * `ClientError('TX_REJECTED')`. Every answer is checked for shape, and a tx for its hash, before
 * it is handed out (`BAD_RESPONSE`).
 */
export class NodeClient {
  /** `http://host:port/v2`, without a trailing slash. */
  readonly baseUrl: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: NodeClientOptions = {}) {
    if (typeof baseUrl !== 'string') throw new TypeError(`baseUrl must be a string, got ${describe(baseUrl)}`);
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL such as http://127.0.0.1:3013/v2, got ${JSON.stringify(baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`baseUrl must be an http(s) URL, got ${url.protocol}`);
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError(`fetch must be a function, got ${describe(options.fetch)}`);
    assertRequestTimeout(options.timeoutMs);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = Math.ceil(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  // -------------------------------------------------------------------------------------------
  // Transactions

  /** A tx by its `th$`; undefined if the node does not know it. */
  async getTx(hash: TxHash, options: RequestOptions = {}): Promise<TxInfo | undefined> {
    assertString(hash, 'hash');
    const request = `GET /tx/${hash}`;
    const answer = await this.#call('GET', `/tx/${pathSegment(hash)}?tx_encoding=json`, undefined, options, {
      notFound: 'Transaction not found',
      onNotFound: (body) => {
        // devnode remembers why it dropped a tx; v0.14 just forgot it.
        const rejected = field(body, 'rejected');
        if (typeof rejected === 'string') {
          const atHeight = field(body, 'at_height');
          throw new ClientError('TX_REJECTED', `${hash} was rejected by the node: ${rejected}`, {
            reason: rejected,
            txHash: hash,
            status: 404,
            body,
            ...(typeof atHeight === 'bigint' ? { height: atHeight } : {}),
          });
        }
      },
    });
    if (answer === undefined) return undefined;
    const bad = badResponse(request, answer);
    const transaction = field(answer, 'transaction');
    if (!isRecord(transaction)) throw bad('no `transaction` object');
    const blockHeight = field(transaction, 'block_height');
    const blockHash = field(transaction, 'block_hash');
    const txHashField = field(transaction, 'hash');
    const signatures = field(transaction, 'signatures');
    if (typeof blockHeight !== 'bigint' || blockHeight < -1n) throw bad('`block_height` is not an integer ≥ -1');
    if (blockHash !== 'none' && !isEncoded(blockHash, 'bh')) throw bad('`block_hash` is neither "none" nor a bh$ hash');
    if ((blockHeight === -1n) !== (blockHash === 'none')) throw bad('`block_height` and `block_hash` disagree on whether the tx is mined');
    if (!isEncoded(txHashField, 'th')) throw bad('`hash` is not a th$ hash');
    if (!Array.isArray(signatures) || !signatures.every((signature) => isEncoded(signature, 'sg'))) throw bad('`signatures` is not a list of sg$ strings');
    let signedTx: SignedTx;
    try {
      signedTx = fromJSON({ type: 'signed_tx', signatures, tx: unsignedFromNodeJson(field(transaction, 'tx')) }) as SignedTx;
    } catch (error) {
      throw bad(`\`tx\` does not describe a transaction: ${(error as Error).message}`, error);
    }
    // The node's JSON is rebuilt into bytes here; the hash proves nothing was lost or changed.
    const computed = txHash(signedTx);
    if (computed !== txHashField) throw bad(`the tx hashes to ${computed}, not to its \`hash\` ${txHashField}`);
    if (hash !== computed && hash !== txHash(signedTx.tx)) throw bad(`asked for ${hash}, got ${computed}`);
    return { signedTx, hash: computed, blockHeight, blockHash: blockHash === 'none' ? undefined : (blockHash as Encoded<'bh'>) };
  }

  /**
   * Waits until the tx is in a block with `confirmations` blocks on top, polling the node. An
   * unknown tx is waited for (it may reach this node later); a tx the node rejected ends the
   * wait with `TX_REJECTED`. Resolves with the mined tx.
   */
  async waitForTx(hash: TxHash, options: WaitForTxOptions = {}): Promise<TxInfo> {
    assertString(hash, 'hash');
    const confirmations = options.confirmations ?? 0n;
    assertBigint(confirmations, 'confirmations');
    assertOnProgress(options.onProgress);
    return this.#poll(options, `${hash} to be mined${confirmations > 0n ? ` with ${confirmations} confirmation(s)` : ''}`, { txHash: hash }, async (request) => {
      const info = await this.getTx(hash, request);
      const height = await this.getHeight(request);
      const blockHeight = info?.blockHeight ?? -1n;
      options.onProgress?.({ height, blockHeight });
      return info !== undefined && blockHeight >= 0n && height - blockHeight >= confirmations ? info : undefined;
    });
  }

  /** Waits until the chain's height is at least `height`; resolves with the height reached. */
  async waitForHeight(height: bigint, options: WaitForHeightOptions = {}): Promise<bigint> {
    assertBigint(height, 'height');
    assertOnProgress(options.onProgress);
    return this.#poll(options, `height ${height}`, { height }, async (request) => {
      const current = await this.getHeight(request);
      options.onProgress?.({ height: current, target: height });
      return current >= height ? current : undefined;
    });
  }

  /**
   * Posts a signed tx; resolves with its `th$`, checked against the tx (a node that names
   * another is `BAD_RESPONSE`). v0.14 answered 200 even when its mempool refused the tx, so the
   * hash proves only that the node read it: wait with `waitForTx`. A `tx$` the client cannot
   * read is posted all the same, for the node to say what is wrong with it; if the node takes
   * it, its hash is the node's word.
   */
  async postTx(tx: EncodedTx | SignedTx, options: RequestOptions = {}): Promise<TxHash> {
    let encoded: EncodedTx;
    let expectedHash: TxHash | undefined;
    if (typeof tx === 'string') {
      if (!tx.startsWith('tx$')) throw new TypeError('tx must be a tx$ string or a SignedTx');
      encoded = tx as EncodedTx;
      expectedHash = postedHash(encoded);
    } else if (typeof tx === 'object' && tx !== null && (tx as { type?: unknown }).type === 'signed_tx') {
      encoded = encodeTx(tx);
      expectedHash = txHash(tx);
    } else {
      throw new TypeError(`tx must be a tx$ string or a SignedTx, got ${describe(tx)}`);
    }
    const request = 'POST /tx';
    const answer = (await this.#call('POST', '/tx', { tx: encoded }, options)) as ExactJson;
    const hash = field(answer, 'tx_hash');
    if (!isEncoded(hash, 'th')) throw badResponse(request, answer)('`tx_hash` is not a th$ hash');
    if (expectedHash !== undefined && hash !== expectedHash) throw badResponse(request, answer)(`the node says ${hash}, the tx hashes to ${expectedHash}`);
    return hash;
  }

  // -------------------------------------------------------------------------------------------
  // Accounts, chain, channels

  /** The account's balance; undefined if the chain has no such account. */
  async getBalance(account: AccountPubkey, options: RequestOptions = {}): Promise<bigint | undefined> {
    return this.#accountInteger(account, 'balance', options);
  }

  /** The nonce of the account's last included tx (0n for none); undefined if there is no such account. */
  async getNonce(account: AccountPubkey, options: RequestOptions = {}): Promise<bigint | undefined> {
    return this.#accountInteger(account, 'nonce', options);
  }

  /**
   * The nonce the account's next tx must carry: the last included one + 1 (1n for an account
   * the chain does not know yet). Txs of the account still in the mempool are not counted.
   */
  async nextNonce(account: AccountPubkey, options: RequestOptions = {}): Promise<bigint> {
    return ((await this.getNonce(account, options)) ?? 0n) + 1n;
  }

  /** Height of the top block. */
  async getHeight(options: RequestOptions = {}): Promise<bigint> {
    const answer = (await this.#call('GET', '/top', undefined, options)) as ExactJson;
    const height = field(answer, 'height');
    if (typeof height !== 'bigint' || height < 0n) throw badResponse('GET /top', answer)('`height` is not a non-negative integer');
    return height;
  }

  /** The channel object on chain; undefined if there is none (never created, or closed). */
  async getChannel(channelId: ChannelId, options: RequestOptions = {}): Promise<ChannelInfo | undefined> {
    assertString(channelId, 'channelId');
    const request = `GET /channels/${channelId}`;
    const answer = await this.#call('GET', `/channels/${pathSegment(channelId)}`, undefined, options, { notFound: 'Channel not found' });
    if (answer === undefined) return undefined;
    const bad = badResponse(request, answer);
    const id = field(answer, 'id');
    const initiator = field(answer, 'initiator');
    const responder = field(answer, 'responder');
    if (id !== channelId) throw bad(`\`id\` is ${describe(id)}, not the channel asked for`);
    if (!isEncoded(initiator, 'ak') || !isEncoded(responder, 'ak')) throw bad('`initiator`/`responder` are not ak$ keys');
    const integer = (name: string): bigint => {
      const value = field(answer, name);
      if (typeof value !== 'bigint' || value < 0n) throw bad(`\`${name}\` is not a non-negative integer`);
      return value;
    };
    const channel: ChannelInfo = {
      id: channelId,
      initiator,
      responder,
      total_amount: integer('total_amount'),
      initiator_amount: integer('initiator_amount'),
      responder_amount: integer('responder_amount'),
      channel_reserve: integer('channel_reserve'),
      round: integer('round'),
      lock_period: integer('lock_period'),
      closes_at: integer('closes_at'),
    };
    if (channel.initiator_amount + channel.responder_amount !== channel.total_amount) throw bad('the amounts do not add up to `total_amount`');
    return channel;
  }

  // -------------------------------------------------------------------------------------------
  // Builders

  /**
   * Asks the node to build an unsigned channel tx (BEHAVIOUR.md §8.3) and checks what comes
   * back: the right tx type, and every field the request fixed equal to the request (a node
   * that changes an amount or a recipient is `BAD_RESPONSE`, before anyone signs it). Fields
   * the node fills in (an omitted nonce) are taken as they come.
   */
  async buildChannelTx<K extends ChannelTxBuilder>(
    kind: K,
    body: ChannelTxBuilderBodies[K],
    options: RequestOptions = {},
  ): Promise<{ tx: ChannelTxBuilderResults[K]; encoded: EncodedTx }> {
    const builder = Object.hasOwn(BUILDERS, kind) ? BUILDERS[kind] : undefined;
    if (builder === undefined) throw new TypeError(`kind must be one of ${Object.keys(BUILDERS).join(', ')}, got ${describe(kind)}`);
    if (typeof body !== 'object' || body === null) throw new TypeError(`body must be an object, got ${describe(body)}`);
    const given = body as unknown as Record<string, unknown>;
    const requestBody: Record<string, unknown> = {};
    for (const name of Object.keys(given)) {
      if (given[name] !== undefined && !Object.hasOwn(builder.fields, name)) throw new TypeError(`body.${name} is not a field of the ${kind} builder`);
    }
    for (const [name, spec] of Object.entries(builder.fields)) {
      const value = given[name];
      if (value === undefined) {
        if (name === 'push_amount') requestBody[name] = 0n;
        else if (spec.optional !== true) throw new TypeError(`body.${name} is required by the ${kind} builder`);
        continue;
      }
      requestBody[name] = checkBodyField(spec.kind, value, `body.${name}`);
    }

    const request = `POST /tx/channel/${kind}`;
    const answer = (await this.#call('POST', `/tx/channel/${kind}`, requestBody, options)) as ExactJson;
    const bad = badResponse(request, answer);
    const encoded = field(answer, 'tx');
    if (!isEncoded(encoded, 'tx')) throw bad('`tx` is not a tx$ string');
    let tx: UnsignedTx;
    try {
      tx = decodeTx(encoded, 'unsigned');
    } catch (error) {
      throw bad(`\`tx\` does not decode: ${(error as Error).message}`, error);
    }
    if (tx.type !== builder.type) throw bad(`asked for a ${builder.type}, got a ${tx.type}`);
    if (tx.type === 'channel_close_mutual_tx' && 'from' in tx) throw bad('got the legacy 7-field close_mutual, not the v0.14 layout');
    const built = tx as unknown as Record<string, unknown>;
    for (const [name, spec] of Object.entries(builder.fields)) {
      if (spec.request === true || given[name] === undefined) continue;
      if (!sameFieldValue(spec.kind, requestBody[name], built[name])) throw bad(`the built tx's ${name} differs from the request`);
    }
    return { tx: tx as ChannelTxBuilderResults[K], encoded };
  }

  // -------------------------------------------------------------------------------------------
  // devnode only

  /** Mines `blocks` blocks now (devnode's `POST /v2/debug/mine`; a real node has no such route). */
  async debugMine(blocks = 1n, options: RequestOptions = {}): Promise<{ height: bigint; hash: Encoded<'bh'> }> {
    assertBigint(blocks, 'blocks');
    const answer = (await this.#call('POST', '/debug/mine', { blocks }, options)) as ExactJson;
    const height = field(answer, 'height');
    const hash = field(answer, 'hash');
    if (typeof height !== 'bigint' || !isEncoded(hash, 'bh')) throw badResponse('POST /debug/mine', answer)('expected {height, hash}');
    return { height, hash };
  }

  /** Credits `amount` to `account`, creating it (devnode's `POST /v2/debug/fund`); resolves with the new balance. */
  async debugFund(account: AccountPubkey, amount: bigint, options: RequestOptions = {}): Promise<bigint> {
    assertString(account, 'account');
    assertBigint(amount, 'amount');
    const answer = (await this.#call('POST', '/debug/fund', { account, amount }, options)) as ExactJson;
    const balance = field(answer, 'balance');
    if (typeof balance !== 'bigint') throw badResponse('POST /debug/fund', answer)('`balance` is not an integer');
    return balance;
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  async #accountInteger(account: AccountPubkey, name: 'balance' | 'nonce', options: RequestOptions): Promise<bigint | undefined> {
    assertString(account, 'account');
    const path = `/account/${pathSegment(account)}/${name}`;
    const answer = await this.#call('GET', path, undefined, options, { notFound: 'Account not found' });
    if (answer === undefined) return undefined;
    const value = field(answer, name);
    if (typeof value !== 'bigint' || value < 0n) throw badResponse(`GET /account/${account}/${name}`, answer)(`\`${name}\` is not a non-negative integer`);
    return value;
  }

  /**
   * One request: resolves with the parsed 2xx answer, or undefined for the node's 404 named
   * `notFound`. Integers are exact both ways (`serializeJson`/`parseJsonExact`). The body is read
   * up to {@link MAX_RESPONSE_BYTES}; a larger one is `BAD_RESPONSE`.
   */
  async #call(
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    options: RequestOptions,
    lookup?: { notFound: string; onNotFound?: (body: ExactJson) => void },
  ): Promise<ExactJson | undefined> {
    const request = `${method} ${path.split('?')[0] as string}`;
    const signal = options.signal;
    assertRequestTimeout(options.timeoutMs);
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
    if (signal?.aborted) throw aborted(request, signal);
    const timeoutMs = timerDelay(options.timeoutMs ?? this.#timeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);

    let status: number;
    let read: BodyRead;
    try {
      // Raced against the signal as well, so that a fetch that ignores its signal still ends.
      [status, read] = await raceSignal(
        (async () => {
          const response = await this.#fetch(`${this.baseUrl}${path}`, {
            method,
            headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: serializeJson(body) }),
            signal: combined,
          });
          return [response.status, await readCapped(response, combined)] as const;
        })(),
        combined,
      );
    } catch (error) {
      if (signal?.aborted) throw aborted(request, signal);
      if (timeout.aborted) throw new ClientError('TIMEOUT', `${request}: no answer within ${timeoutMs} ms`, { request }, { cause: error });
      throw new ClientError('NODE_UNREACHABLE', `${request}: cannot reach the node at ${this.baseUrl}: ${describeFetchError(error)}`, { request }, { cause: error });
    }
    // Not transient: the same node would send the same flood on every poll of a wait.
    if (read.tooLarge !== undefined) {
      throw new ClientError(
        'BAD_RESPONSE',
        `${request}: the node answered ${status} with ${read.tooLarge}, above the ${MAX_RESPONSE_BYTES}-byte limit (MAX_RESPONSE_BYTES); no answer of this API comes near it`,
        { request, status },
      );
    }
    const text = read.text;

    let parsed: ExactJson | undefined;
    try {
      parsed = parseJsonExact(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined) throw new ClientError('BAD_RESPONSE', `${request}: the node answered ${status} with something that is not JSON`, { request, status });
      return parsed;
    }
    const reason = parsed === undefined ? undefined : field(parsed, 'reason');
    if (status === 404 && lookup !== undefined && parsed !== undefined && reason === lookup.notFound) {
      lookup.onNotFound?.(parsed);
      return undefined;
    }
    const context: ClientErrorContext = {
      request,
      status,
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(parsed === undefined ? {} : { body: parsed }),
    };
    const detail = typeof reason === 'string' ? reason : text.slice(0, 200).trim() || '(empty body)';
    // The usual cause: the node's address given without the API's path (`/v2`).
    const hint = status === 404 && !/\/v\d+$/.test(new URL(this.baseUrl).pathname) ? ` (the base URL ${this.baseUrl} names no API version: the node's API is at http://host:port/v2)` : '';
    throw new ClientError('NODE_ERROR', `${request}: ${status} ${detail}${hint}`, context);
  }

  /** Calls `attempt` until it returns a value, pausing `pollMs` between calls, within `timeoutMs`. */
  async #poll<T>(options: WaitOptions, what: string, context: ClientErrorContext, attempt: (request: RequestOptions) => Promise<T | undefined>): Promise<T> {
    assertMilliseconds(options.timeoutMs, 'timeoutMs');
    assertMilliseconds(options.pollMs, 'pollMs');
    // Whole milliseconds from here on, so that the deadline, what remains of it and every
    // request limit derived from it are integers, as the timers require.
    const timeoutMs = Math.ceil(options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
    const pollMs = Math.ceil(options.pollMs ?? DEFAULT_POLL_MS);
    const { signal } = options;
    const deadline = Date.now() + timeoutMs;
    let lastFailure: unknown;
    const timedOut = () =>
      new ClientError('TIMEOUT', `gave up waiting for ${what} after ${timeoutMs} ms`, context, lastFailure === undefined ? undefined : { cause: lastFailure });
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut();
      let result: T | undefined;
      try {
        result = await attempt({ ...(signal === undefined ? {} : { signal }), timeoutMs: Math.min(this.#timeoutMs, remaining) });
      } catch (error) {
        // A wait may span minutes of blocks: a node that restarts or hiccups meanwhile is
        // asked again until the deadline, which then reports the last failure as its cause.
        if (!isTransient(error)) throw error;
        lastFailure = error;
        result = undefined;
      }
      if (result !== undefined) return result;
      const pause = Math.min(pollMs, deadline - Date.now());
      if (pause <= 0) throw timedOut();
      // A pause beyond the timers' range is cut to it: one extra poll every 24.8 days.
      await sleep(timerDelay(pause), signal, what);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The `th$` the node gives a posted `tx$`: that of the signed tx as it reads it, re-serialized
 * (WIRE.md §7.2). v0.14 (and devnode) take the signatures in any order and sort them (§6.4),
 * as another SDK may leave them; undefined for a tx the client cannot read.
 */
function postedHash(encoded: EncodedTx): TxHash | undefined {
  try {
    const bytes = decode(encoded, 'tx');
    try {
      return txHash(deserializeTx(bytes, 'signed_tx'));
    } catch (error) {
      if (!(error instanceof TxError) || error.code !== 'NON_CANONICAL_ORDER') return undefined;
      const [tag, vsn, signatures, inner] = decodeRlp(bytes) as [Uint8Array, Uint8Array, Uint8Array[], Uint8Array];
      return txHash(deserializeTx(encodeRlp([tag, vsn, [...signatures].sort(compareBytes), inner]), 'signed_tx'));
    }
  } catch {
    return undefined;
  }
}

/** The node's `for_client` JSON of an unsigned tx, turned into the JSON form `fromJSON` reads. */
function unsignedFromNodeJson(nodeTx: ExactJson | undefined): unknown {
  if (!isRecord(nodeTx)) throw new TypeError('`tx` is not an object');
  const { type, vsn, data_schema: _schema, ...nodeFields } = nodeTx;
  if (typeof type !== 'string') throw new TypeError('`tx.type` is not a string');
  if (vsn !== 1n) throw new TypeError(`\`tx.vsn\` is ${describe(vsn)}, not 1`);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(nodeFields)) {
    // The reference names the deposit's channel `channel` (BEHAVIOUR.md §8.1).
    const fieldName = type === 'channel_deposit_tx' && name === 'channel' ? 'channel_id' : name;
    fields[fieldName] = typeof value === 'bigint' ? value.toString(10) : value;
  }
  return { type, fields };
}

function checkBodyField(kind: BodyFieldKind, value: unknown, name: string): unknown {
  switch (kind) {
    case 'int':
      assertBigint(value, name);
      return value;
    case 'account':
    case 'channel':
      // The node validates the encoding and answers `Invalid hash: <field>` (NODE_ERROR).
      assertString(value, name);
      return value;
    case 'payload':
      if (typeof value === 'string') return value;
      if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'signed_tx') return encodeTx(value as SignedTx);
      throw new TypeError(`${name} must be a tx$ string or a SignedTx, got ${describe(value)}`);
  }
}

function sameFieldValue(kind: BodyFieldKind, requested: unknown, built: unknown): boolean {
  switch (kind) {
    case 'int':
      return requested === built;
    case 'account':
    case 'channel':
    case 'payload': {
      if (!isBytes(built)) return false;
      const prefix = kind === 'account' ? 'ak' : kind === 'channel' ? 'ch' : 'tx';
      try {
        return bytesToHex(decode(requested as string, prefix)) === bytesToHex(built);
      } catch {
        return false;
      }
    }
  }
}

/** Failures a later poll may not meet: no connection, a request timing out, a 5xx. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof ClientError)) return false;
  if (error.code === 'NODE_UNREACHABLE' || error.code === 'TIMEOUT') return true;
  return error.code === 'NODE_ERROR' && (error.context.status ?? 0) >= 500;
}

/** A path segment: percent-encoded, but `$` kept as is (legal in a path, and how the node's own docs write ids). */
function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%24/g, '$');
}

function isRecord(value: unknown): value is { [key: string]: ExactJson } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: ExactJson | undefined, name: string): ExactJson | undefined {
  return isRecord(value) && Object.hasOwn(value, name) ? value[name] : undefined;
}

function badResponse(request: string, body: ExactJson) {
  return (what: string, cause?: unknown) =>
    new ClientError('BAD_RESPONSE', `${request}: unexpected answer: ${what}`, { request, body }, cause === undefined ? undefined : { cause });
}

function aborted(request: string, signal: AbortSignal): ClientError {
  return new ClientError('ABORTED', `${request}: aborted`, { request }, { cause: signal.reason });
}

function describeFetchError(error: unknown): string {
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED…) in `cause`.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

type BodyRead = { text: string; tooLarge?: undefined } | { text?: undefined; tooLarge: string };

/**
 * The body as text (UTF-8, as `response.text()` reads it), or what made it too large: a
 * `Content-Length` above {@link MAX_RESPONSE_BYTES} ends it unread, and a body without one is
 * read as a stream and cancelled (the connection closed) as soon as it passes the limit, so that
 * at most that much of it is ever held.
 */
async function readCapped(response: Response, signal: AbortSignal): Promise<BodyRead> {
  if (signal.aborted) {
    // A fetch that ignored its signal answered after raceSignal gave up on it: no one reads this
    // body, and a listener added now would never fire to cancel it.
    response.body?.cancel(signal.reason).catch(() => undefined);
    throw signal.reason;
  }
  const declared = response.headers.get('content-length')?.trim();
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > MAX_RESPONSE_BYTES) {
    response.body?.cancel().catch(() => undefined);
    return { tooLarge: `a Content-Length of ${declared} bytes` };
  }
  if (response.body === null) return { text: '' };
  const reader = response.body.getReader();
  // A fetch that ignores its signal is left behind by raceSignal: its body is cancelled here.
  const onAbort = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const decoder = new TextDecoder();
    let size = 0;
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode() };
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        // Not awaited: a cancel has nothing to wait for, and a stuck one must not hold the call.
        reader.cancel().catch(() => undefined);
        return { tooLarge: `a body of more than ${MAX_RESPONSE_BYTES} bytes` };
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ClientError('ABORTED', `waiting for ${what}: aborted`, {}, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClientError('ABORTED', `waiting for ${what}: aborted`, {}, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A delay as the timers take it: `AbortSignal.timeout` throws a RangeError for a fraction, and
 * both it and `setTimeout` fire after 1 ms for anything above 2^31 − 1. Rounded up, so that a
 * limit never ends before the time asked for.
 */
function timerDelay(ms: number): number {
  return Math.min(Math.ceil(ms), MAX_REQUEST_TIMEOUT_MS);
}

/** A positive, finite number of milliseconds (or nothing); a TypeError otherwise. */
export function assertMilliseconds(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of milliseconds, got ${typeof value === 'number' ? value : describe(value)}`);
  }
}

/** Checked before the first poll, so that a wrong one is a TypeError that no request preceded. */
function assertOnProgress(onProgress: unknown): void {
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
}

/** A request limit: {@link assertMilliseconds}, and one the timers can honour. */
function assertRequestTimeout(value: unknown): void {
  assertMilliseconds(value, 'timeoutMs');
  if ((value as number) > MAX_REQUEST_TIMEOUT_MS) {
    throw new RangeError(`timeoutMs must be at most ${MAX_REQUEST_TIMEOUT_MS} ms (MAX_REQUEST_TIMEOUT_MS, about 24.8 days), got ${value as number}`);
  }
}

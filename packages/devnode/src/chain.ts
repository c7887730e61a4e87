import { bytesToHex, type Encoded, type EncodedTx, encode, type TxHash } from '@aesc/encoding';
import {
  blake2b256,
  type ChannelCloseMutualTx,
  encodeTx,
  type SignedTx,
  serializeUnsigned,
  txHash,
  txSigners,
  type UnsignedTx,
} from '@aesc/tx';
import { applyTx, ChainError, type ChannelObject, type LedgerView, originOf, signedByExactly } from './rules.js';

export interface Account {
  balance: bigint;
  /** The nonce of the account's last included tx (0 for none). */
  nonce: bigint;
}

export interface Block {
  height: number;
  hash: Encoded<'bh'>;
  txHashes: TxHash[];
}

export interface TxRecord {
  /** v0.14 hash: of the signed tx. */
  hash: TxHash;
  /** The older rule, hash of the unsigned tx (the seed's examples use it). */
  unsignedHash: TxHash;
  signedTx: SignedTx;
  encoded: EncodedTx;
  /** -1 while in the mempool. */
  blockHeight: number;
  blockHash: Encoded<'bh'> | 'none';
}

/** A refused tx and why, kept so that a client can be told what happened to it. */
export interface Rejection {
  hash: TxHash;
  reason: string;
  height: number;
}

export interface GenesisAccount {
  pubkey: Uint8Array;
  balance: bigint;
}

type BlockListener = (block: Block) => void;

const key = (bytes: Uint8Array): string => bytesToHex(bytes);

/**
 * Rules a later block may satisfy: an earlier nonce still to come, or a settle posted before
 * the lock period ran out. Such a tx stays in the mempool (until its ttl passes); a tx that
 * breaks any other rule leaves it with its reason recorded.
 */
const WAITING_REASONS: ReadonlySet<string> = new Set(['account_nonce_too_low', 'channel_not_closed']);

/**
 * The chain of devnode: accounts, channel objects (tag 58 fields), a mempool and blocks, with
 * the inclusion rules of every tx of WIRE.md §4 and the reference's error names. Everything is
 * in memory; blocks are mined on demand or by a timer the caller runs.
 */
export class Chain implements LedgerView {
  readonly #accounts = new Map<string, Account>();
  readonly #channels = new Map<string, ChannelObject>();
  readonly #mempool = new Map<string, TxRecord>();
  readonly #txs = new Map<TxHash, TxRecord>();
  readonly #byUnsignedHash = new Map<TxHash, TxRecord>();
  readonly #rejections = new Map<TxHash, Rejection>();
  readonly #blocks: Block[] = [];
  readonly #listeners = new Set<BlockListener>();
  #mining: Promise<unknown> = Promise.resolve();

  constructor(genesis: readonly GenesisAccount[] = []) {
    for (const { pubkey, balance } of genesis) this.fund(pubkey, balance);
    this.#blocks.push({ height: 0, hash: encode('bh', blake2b256(new TextEncoder().encode('aesc devnode genesis'))), txHashes: [] });
  }

  get height(): number {
    return this.#blocks.length - 1;
  }

  get topBlock(): Block {
    return this.#blocks[this.#blocks.length - 1] as Block;
  }

  account(pubkey: Uint8Array): Account | undefined {
    const account = this.#accounts.get(key(pubkey));
    return account === undefined ? undefined : { ...account };
  }

  channel(id: Uint8Array): ChannelObject | undefined {
    const channel = this.#channels.get(key(id));
    return channel === undefined ? undefined : { ...channel };
  }

  /** Adds `amount` to an account, creating it (the dev endpoint and the genesis list). */
  fund(pubkey: Uint8Array, amount: bigint): Account {
    if (amount < 0n) throw new RangeError('amount must not be negative');
    const account = this.#accounts.get(key(pubkey)) ?? { balance: 0n, nonce: 0n };
    account.balance += amount;
    this.#accounts.set(key(pubkey), account);
    return { ...account };
  }

  /** The nonce the account's next tx must carry, counting its txs in the mempool. */
  nextNonce(pubkey: Uint8Array): bigint {
    let nonce = this.#accounts.get(key(pubkey))?.nonce ?? 0n;
    for (const record of this.#mempool.values()) {
      const origin = originOf(record.signedTx.tx, this);
      if (origin !== undefined && key(origin.account) === key(pubkey) && origin.nonce > nonce) nonce = origin.nonce;
    }
    return nonce + 1n;
  }

  /**
   * Admission to the mempool (the reference's checks at `POST /tx`): fee ≥ 1, nonce ≥ 1 and
   * above the account's, every signer signed and no signature left over. The rules that depend
   * on the state at inclusion (balances, ttl, channel state) run when a block is mined.
   */
  async submit(signedTx: SignedTx): Promise<TxRecord> {
    const hash = txHash(signedTx);
    const known = this.#txs.get(hash);
    if (known !== undefined) return known;
    const inner = signedTx.tx;
    if (inner.type === 'channel_offchain_tx') throw new ChainError('not_an_on_chain_tx', 'an off-chain state is never posted by itself');
    if (inner.type === 'channel_close_mutual_tx' && 'from' in inner) {
      throw new ChainError(
        'illegal_template_or_values',
        'the 7-field close_mutual layout with `from` was removed on 2018-05-21; v0.14 takes the 6-field layout',
      );
    }
    if ((inner as { fee: bigint }).fee < 1n) throw new ChainError('too_low_fee', 'fee must be at least 1');
    const origin = originOf(inner, this);
    if (origin === undefined) throw new ChainError('channel_does_not_exist', 'no such channel on chain');
    if (origin.nonce < 1n) throw new ChainError('illegal_nonce', 'nonce must be at least 1');
    const accountNonce = this.#accounts.get(key(origin.account))?.nonce ?? 0n;
    // The reference's name for a used nonce: the account's nonce is too high for it.
    if (origin.nonce <= accountNonce) {
      throw new ChainError('account_nonce_too_high', `nonce ${origin.nonce} is not above the account's ${accountNonce}`);
    }
    const signers = signersOf(inner, this);
    if (signers === undefined) throw new ChainError('channel_does_not_exist', 'no such channel on chain');
    if (!(await signedByExactly(signedTx, signers))) throw new ChainError('signature_check_failed', 'signatures do not match the signers of the tx');
    const record: TxRecord = {
      hash,
      unsignedHash: encode('th', blake2b256(serializeUnsigned(inner))),
      signedTx,
      encoded: encodeTx(signedTx),
      blockHeight: -1,
      blockHash: 'none',
    };
    this.#mempool.set(hash, record);
    this.#txs.set(hash, record);
    this.#byUnsignedHash.set(record.unsignedHash, record);
    this.#rejections.delete(hash);
    return record;
  }

  /** A tx by its `th$` (of the signed tx, or of the unsigned one as the seed's examples have it). */
  tx(hash: TxHash): TxRecord | undefined {
    return this.#txs.get(hash) ?? this.#byUnsignedHash.get(hash);
  }

  rejection(hash: TxHash): Rejection | undefined {
    return this.#rejections.get(hash);
  }

  /** The txs waiting for a block, oldest first. */
  get mempool(): readonly TxRecord[] {
    return [...this.#mempool.values()];
  }

  /**
   * Mines `count` blocks. Each takes every mempool tx that passes its inclusion rules at the
   * new height, in nonce order per account (see WAITING_REASONS for those that wait).
   */
  mine(count = 1): Promise<Block[]> {
    // Blocks are made one at a time even when a timer and an HTTP request ask at once.
    const mining = this.#mining.then(async () => {
      const mined: Block[] = [];
      for (let index = 0; index < count; index++) mined.push(await this.#mineOne());
      return mined;
    });
    this.#mining = mining.catch(() => undefined);
    return mining;
  }

  onBlock(listener: (block: Block) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #mineOne(): Promise<Block> {
    const height = this.height + 1;
    const included: TxRecord[] = [];
    let progress = true;
    while (progress) {
      progress = false;
      const pending = [...this.#mempool.values()].sort((left, right) => {
        const leftNonce = originOf(left.signedTx.tx, this)?.nonce ?? 0n;
        const rightNonce = originOf(right.signedTx.tx, this)?.nonce ?? 0n;
        return leftNonce < rightNonce ? -1 : leftNonce > rightNonce ? 1 : 0;
      });
      for (const record of pending) {
        const outcome = await this.#tryApply(record, height);
        if (outcome === 'wait') continue;
        this.#mempool.delete(record.hash);
        if (outcome === 'applied') {
          included.push(record);
          progress = true;
        }
      }
    }
    const previous = this.topBlock.hash;
    const preimage = new TextEncoder().encode(`${previous}:${height}:${included.map((record) => record.hash).join(',')}`);
    const block: Block = { height, hash: encode('bh', blake2b256(preimage)), txHashes: included.map((record) => record.hash) };
    for (const record of included) {
      record.blockHeight = height;
      record.blockHash = block.hash;
    }
    this.#blocks.push(block);
    for (const listener of this.#listeners) listener(block);
    return block;
  }

  /** Applies `tx` at `height` if its rules pass; 'wait' if only its nonce is ahead. */
  async #tryApply(record: TxRecord, height: number): Promise<'applied' | 'wait' | 'rejected'> {
    try {
      const changes = await applyTx(record.signedTx.tx, this, height);
      for (const [accountKey, account] of changes.accounts) this.#accounts.set(accountKey, account);
      for (const [channelKey, channel] of changes.channels) {
        if (channel === undefined) this.#channels.delete(channelKey);
        else this.#channels.set(channelKey, channel);
      }
      return 'applied';
    } catch (error) {
      // A rule that throws anything else is a bug of ours, but one tx must not stop the chain:
      // left in the mempool, it would fail every block after. It is dropped with the error named.
      const reason = error instanceof ChainError ? error.reason : `internal_error: ${(error as Error).message}`;
      if (WAITING_REASONS.has(reason)) return 'wait';
      this.#rejections.set(record.hash, { hash: record.hash, reason, height });
      this.#txs.delete(record.hash);
      this.#byUnsignedHash.delete(record.unsignedHash);
      return 'rejected';
    }
  }

  // LedgerView, for the rules
  accountByKey(accountKey: string): Account | undefined {
    const account = this.#accounts.get(accountKey);
    return account === undefined ? undefined : { ...account };
  }

  channelByKey(channelKey: string): ChannelObject | undefined {
    const channel = this.#channels.get(channelKey);
    return channel === undefined ? undefined : { ...channel };
  }
}

/** The keys that must have signed `tx`: named in it, or the channel's peers on chain. */
export function signersOf(tx: UnsignedTx, ledger: LedgerView): Uint8Array[] | undefined {
  const named = txSigners(tx);
  if (named !== undefined) return named;
  const channel = ledger.channelByKey(key((tx as ChannelCloseMutualTx).channel_id));
  return channel === undefined ? undefined : [channel.initiator, channel.responder];
}

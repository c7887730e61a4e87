/**
 * fast-check arbitraries for every transaction of WIRE.md §4, shared by the property and fuzz
 * tests of every package.
 *
 * The field names and kinds below are written from WIRE.md, not read from `TX_DEFINITIONS`, so
 * that a layout mistake in the codec cannot hide behind a generator that makes the same
 * mistake. Integers cover the interesting boundaries (0, 127/128, 255/256, 2^48 where the codec
 * switches from Number to bigint arithmetic, 2^k ± 1 up to 2^264) as well as uniform values up to
 * 2^256 and a few far beyond (integers are unbounded on the wire). Binaries cover empty, short
 * and a few KB (and, in `largeBinary`, around the 64 KiB a `tx$` holds).
 */
import { MAX_VARIABLE_PAYLOAD } from '@aesc/encoding';
import { serializeTx, type OffchainUpdate, type SignedTx, type Tx, type UnsignedTx, type UnsignedTxType } from '@aesc/tx';
import fc from 'fast-check';

/** `fc.record` with plain objects (fast-check 4 makes null-prototype ones by default). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

export const UINT256_MAX = (1n << 256n) - 1n;

/** 2^k - 1, 2^k and 2^k + 1 for k up to 264: every byte-length boundary of the minimal encoding. */
export const boundaryUint: fc.Arbitrary<bigint> = fc
  .tuple(fc.integer({ min: 0, max: 264 }), fc.constantFrom(-1n, 0n, 1n))
  .map(([exponent, delta]) => {
    const value = (1n << BigInt(exponent)) + delta;
    return value < 0n ? 0n : value;
  });

/** A non-negative integer: small, at a boundary, anywhere below 2^256, or (rarely) far above. */
export const uint: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 300n }) },
  { weight: 3, arbitrary: boundaryUint },
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: UINT256_MAX }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1n << 1024n }) },
);

/** Bytes of any length in the range (`size: 'max'`: fast-check would otherwise stop near 10). */
export function bytesOf(minLength: number, maxLength = minLength): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength, maxLength, size: 'max' });
}

/**
 * An opaque binary field: often empty, usually short (around the 55-byte RLP header boundary),
 * sometimes 1–1.2 KB (long RLP headers, two length bytes).
 */
export const binary: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 5, arbitrary: bytesOf(0, 80) },
  { weight: 1, arbitrary: bytesOf(1000, 1200) },
);

/**
 * 2045..8192 bytes (a `tx$` past the 2 048 bytes base58 hands to WebAssembly on Node), or within
 * 256 bytes of MAX_VARIABLE_PAYLOAD either side: a binary that often makes its transaction longer
 * than a `tx$` may be (the bound on base58's quadratic cost). Kept out of `binary`: the tests
 * that need it say what they expect at that size.
 */
export const largeBinary: fc.Arbitrary<Uint8Array> = fc.noShrink(
  fc.oneof(bytesOf(2045, 8192), bytesOf(MAX_VARIABLE_PAYLOAD - 256, MAX_VARIABLE_PAYLOAD + 256)),
);

/** 32-byte ed25519 key, or (legacy) 65-byte uncompressed secp256k1 key `04 ‖ X ‖ Y`. */
export const ed25519Pubkey: fc.Arbitrary<Uint8Array> = bytesOf(32);
export const legacyPubkey: fc.Arbitrary<Uint8Array> = bytesOf(64).map((xy) => Uint8Array.of(0x04, ...xy));
export const pubkey: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: ed25519Pubkey },
  { weight: 1, arbitrary: legacyPubkey },
);

export const channelIdBytes: fc.Arbitrary<Uint8Array> = bytesOf(32);

/** `30 len 02 rlen r 02 slen s` with r, s of 1..33 bytes: the structure `isDerSignature` accepts. */
export const derSignature: fc.Arbitrary<Uint8Array> = fc
  .tuple(bytesOf(1, 33), bytesOf(1, 33))
  .map(([r, s]) => Uint8Array.of(0x30, 4 + r.length + s.length, 0x02, r.length, ...r, 0x02, s.length, ...s));

export const signature: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: bytesOf(64) },
  { weight: 1, arbitrary: derSignature },
);

export const update: fc.Arbitrary<OffchainUpdate> = record({ from: pubkey, to: pubkey, amount: uint });
export const updates: fc.Arbitrary<OffchainUpdate[]> = fc.array(update, { maxLength: 5 });

// ---------------------------------------------------------------------------------------------
// One arbitrary per transaction type, fields as in WIRE.md §4 (wire order).

export const spendTx = record({
  type: fc.constant('spend_tx' as const),
  sender: pubkey,
  recipient: pubkey,
  amount: uint,
  fee: uint,
  nonce: uint,
  payload: binary,
});

export const channelCreateTx = record({
  type: fc.constant('channel_create_tx' as const),
  initiator: pubkey,
  initiator_amount: uint,
  responder: pubkey,
  responder_amount: uint,
  channel_reserve: uint,
  lock_period: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

export const channelDepositTx = record({
  type: fc.constant('channel_deposit_tx' as const),
  channel_id: channelIdBytes,
  from: pubkey,
  amount: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

export const channelWithdrawTx = record({
  type: fc.constant('channel_withdraw_tx' as const),
  channel_id: channelIdBytes,
  to: pubkey,
  amount: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

/** v0.14 layout (6 fields). */
export const channelCloseMutualTx = record({
  type: fc.constant('channel_close_mutual_tx' as const),
  channel_id: channelIdBytes,
  initiator_amount: uint,
  responder_amount: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

/** Legacy layout with `from` (7 fields), as in every close_mutual of the seed. */
export const channelCloseMutualTxLegacy = record({
  type: fc.constant('channel_close_mutual_tx' as const),
  channel_id: channelIdBytes,
  from: pubkey,
  initiator_amount: uint,
  responder_amount: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

export const channelSettleTx = record({
  type: fc.constant('channel_settle_tx' as const),
  channel_id: channelIdBytes,
  from: pubkey,
  initiator_amount: uint,
  responder_amount: uint,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

export const channelOffchainTx = record({
  type: fc.constant('channel_offchain_tx' as const),
  channel_id: channelIdBytes,
  previous_round: uint,
  round: uint,
  initiator: pubkey,
  responder: pubkey,
  initiator_amount: uint,
  responder_amount: uint,
  updates,
  state: binary,
});

/** A co-signed off-chain state, serialized: what a close_solo/slash `payload` is meant to hold. */
export const signedOffchainBytes: fc.Arbitrary<Uint8Array> = fc
  .record({ signatures: fc.array(signature, { maxLength: 2 }), tx: channelOffchainTx })
  .map(({ signatures, tx }) => serializeTx({ type: 'signed_tx', signatures, tx }));

/** close_solo/slash payload: usually a real signed off-chain state, but any bytes are a valid field. */
export const soloPayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: signedOffchainBytes },
  { weight: 1, arbitrary: binary },
);

export const channelCloseSoloTx = record({
  type: fc.constant('channel_close_solo_tx' as const),
  channel_id: channelIdBytes,
  from: pubkey,
  payload: soloPayload,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

export const channelSlashTx = record({
  type: fc.constant('channel_slash_tx' as const),
  channel_id: channelIdBytes,
  from: pubkey,
  payload: soloPayload,
  ttl: uint,
  fee: uint,
  nonce: uint,
});

/**
 * Every unsigned layout, by name: the nine types plus the legacy close_mutual. Each maps to an
 * arbitrary of the TS object the codec takes and gives back.
 */
export const unsignedTxArbitraries = {
  spend_tx: spendTx,
  channel_create_tx: channelCreateTx,
  channel_deposit_tx: channelDepositTx,
  channel_withdraw_tx: channelWithdrawTx,
  channel_close_mutual_tx: channelCloseMutualTx,
  channel_close_mutual_tx_legacy: channelCloseMutualTxLegacy,
  channel_close_solo_tx: channelCloseSoloTx,
  channel_slash_tx: channelSlashTx,
  channel_settle_tx: channelSettleTx,
  channel_offchain_tx: channelOffchainTx,
} as const satisfies Record<string, fc.Arbitrary<UnsignedTx>>;

export type LayoutName = keyof typeof unsignedTxArbitraries;
export const LAYOUT_NAMES = Object.keys(unsignedTxArbitraries) as LayoutName[];

/** The tx type a layout name stands for (`channel_close_mutual_tx_legacy` → close_mutual). */
export function typeOfLayout(name: LayoutName): UnsignedTxType {
  return name === 'channel_close_mutual_tx_legacy' ? 'channel_close_mutual_tx' : name;
}

export const unsignedTx: fc.Arbitrary<UnsignedTx> = fc.oneof(
  ...Object.values(unsignedTxArbitraries).map((arbitrary) => arbitrary as fc.Arbitrary<UnsignedTx>),
);

/** A `signed_tx` wrapping `inner`, with 0..4 signatures in any order (duplicates possible). */
export function signedTxOf(inner: fc.Arbitrary<UnsignedTx>): fc.Arbitrary<SignedTx> {
  return record({
    type: fc.constant('signed_tx' as const),
    signatures: fc.oneof(
      fc.array(signature, { maxLength: 4 }),
      // a duplicated signature (sorted form keeps both)
      signature.map((one) => [one, one.slice()]),
    ),
    tx: inner,
  });
}

export const signedTx: fc.Arbitrary<SignedTx> = signedTxOf(unsignedTx);

export const anyTx: fc.Arbitrary<Tx> = fc.oneof(unsignedTx, signedTx as fc.Arbitrary<Tx>);

/** What `deserializeTx(serializeTx(tx))` must give back: `tx` with its signatures sorted bytewise. */
export function canonical<T extends Tx>(tx: T): T {
  if (tx.type !== 'signed_tx') return tx;
  return { ...tx, signatures: [...tx.signatures].sort(compareUnsigned) };
}

/** Erlang binary order (unsigned bytewise, a proper prefix first), written independently of the codec. */
export function compareUnsigned(left: Uint8Array, right: Uint8Array): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

/**
 * Property tests of the transaction codec: every tx type (the nine of WIRE.md §4, the legacy
 * close_mutual, and `signed_tx` around each) with random fields. Besides the round trips, every
 * serialization is compared with an independent model of WIRE.md (field order from §4, integer
 * rule from §2.2, RLP from §2.1, written here without the codec's code), and canonical inputs
 * made non-canonical in one place must be refused with that place's error code.
 */
import { EncodingError, encode, MAX_VARIABLE_PAYLOAD, parse } from '@aesc/encoding';
import {
  channelId,
  compareBytes,
  decodeRlp,
  decodeTx,
  deserializeTx,
  encodeRlp,
  encodeTx,
  fromJSON,
  type RlpItem,
  serializeTx,
  serializeUnsigned,
  type Tx,
  TxError,
  type TxErrorCode,
  type TxType,
  toJSON,
  txHash,
  type UnsignedTx,
} from '@aesc/tx';
import { blake2b } from '@noble/hashes/blake2.js';
import bs58check from 'bs58check';
import fc from 'fast-check';
import { decode as referenceRlpDecode } from 'rlp';
import { describe, expect, it } from 'vitest';
import {
  canonical,
  LAYOUT_NAMES,
  largeBinary,
  type LayoutName,
  pubkey,
  signedTxOf,
  typeOfLayout,
  uint,
  unsignedTxArbitraries,
} from '../../../test/support/arbitraries.js';
import { thrown } from '../../../test/support/errors.js';

const RUNS = 80;

// Bound the time fast-check may spend shrinking a failure (a shrink of KB-sized binaries can
// otherwise run for minutes); a failure found is still reported.
fc.configureGlobal({ interruptAfterTimeLimit: 20_000 });

/**
 * A `tx$` (and a `st$`) holds at most MAX_VARIABLE_PAYLOAD bytes (the base58 step's bound); the
 * generators of test/support make no tx that large but through `largeBinary`, whose txs are left
 * to "transactions past MAX_VARIABLE_PAYLOAD".
 */
const fitsBase58 = (tx: Tx) => serializeTx(tx).length <= MAX_VARIABLE_PAYLOAD;

// ---------------------------------------------------------------------------------------------
// An independent model of WIRE.md: tags (§3.3), field order (§4), integers (§2.2), RLP (§2.1).

type ModelKind = 'int' | 'bin' | 'updates';
const WIRE: Record<LayoutName, { tag: number; fields: [string, ModelKind][] }> = {
  spend_tx: {
    tag: 12,
    fields: [['sender', 'bin'], ['recipient', 'bin'], ['amount', 'int'], ['fee', 'int'], ['nonce', 'int'], ['payload', 'bin']],
  },
  channel_create_tx: {
    tag: 50,
    fields: [
      ['initiator', 'bin'], ['initiator_amount', 'int'], ['responder', 'bin'], ['responder_amount', 'int'],
      ['channel_reserve', 'int'], ['lock_period', 'int'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int'],
    ],
  },
  channel_deposit_tx: {
    tag: 51,
    fields: [['channel_id', 'bin'], ['from', 'bin'], ['amount', 'int'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int']],
  },
  channel_withdraw_tx: {
    tag: 52,
    fields: [['channel_id', 'bin'], ['to', 'bin'], ['amount', 'int'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int']],
  },
  channel_close_mutual_tx: {
    tag: 53,
    fields: [
      ['channel_id', 'bin'], ['initiator_amount', 'int'], ['responder_amount', 'int'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int'],
    ],
  },
  channel_close_mutual_tx_legacy: {
    tag: 53,
    fields: [
      ['channel_id', 'bin'], ['from', 'bin'], ['initiator_amount', 'int'], ['responder_amount', 'int'],
      ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int'],
    ],
  },
  channel_close_solo_tx: {
    tag: 54,
    fields: [['channel_id', 'bin'], ['from', 'bin'], ['payload', 'bin'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int']],
  },
  channel_slash_tx: {
    tag: 55,
    fields: [['channel_id', 'bin'], ['from', 'bin'], ['payload', 'bin'], ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int']],
  },
  channel_settle_tx: {
    tag: 56,
    fields: [
      ['channel_id', 'bin'], ['from', 'bin'], ['initiator_amount', 'int'], ['responder_amount', 'int'],
      ['ttl', 'int'], ['fee', 'int'], ['nonce', 'int'],
    ],
  },
  channel_offchain_tx: {
    tag: 57,
    fields: [
      ['channel_id', 'bin'], ['previous_round', 'int'], ['round', 'int'], ['initiator', 'bin'], ['responder', 'bin'],
      ['initiator_amount', 'int'], ['responder_amount', 'int'], ['updates', 'updates'], ['state', 'bin'],
    ],
  },
};

/** An RLP tree for the model encoder; `{ raw }` is emitted verbatim (to build non-canonical forms). */
type ModelItem = Uint8Array | ModelItem[] | { raw: Uint8Array };

/** Minimal big-endian, zero as the single byte 00 (WIRE.md §2.2). */
function uintBytes(value: bigint): Uint8Array {
  if (value === 0n) return Uint8Array.of(0);
  let digits = value.toString(16);
  if (digits.length % 2 === 1) digits = `0${digits}`;
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

function header(offset: number, length: number): Uint8Array {
  if (length <= 55) return Uint8Array.of(offset + length);
  const lengthBytes = uintBytes(BigInt(length));
  return Uint8Array.of(offset + 55 + lengthBytes.length, ...lengthBytes);
}

function modelRlp(item: ModelItem): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] as number) < 0x80) return item;
    return Buffer.concat([header(0x80, item.length), item]);
  }
  if (Array.isArray(item)) {
    const body = Buffer.concat(item.map(modelRlp));
    return Buffer.concat([header(0xc0, body.length), body]);
  }
  return item.raw;
}

function layoutOf(tx: UnsignedTx): LayoutName {
  return tx.type === 'channel_close_mutual_tx' && 'from' in tx && tx.from !== undefined
    ? 'channel_close_mutual_tx_legacy'
    : tx.type;
}

/** `[tag, vsn, ...fields]` of an unsigned tx, per WIRE.md. */
function modelItems(tx: UnsignedTx): ModelItem[] {
  const { tag, fields } = WIRE[layoutOf(tx)];
  const values = tx as unknown as Record<string, unknown>;
  return [
    uintBytes(BigInt(tag)),
    uintBytes(1n),
    ...fields.map(([name, kind]): ModelItem => {
      const value = values[name];
      if (kind === 'int') return uintBytes(value as bigint);
      if (kind === 'bin') return value as Uint8Array;
      return (value as { from: Uint8Array; to: Uint8Array; amount: bigint }[]).map((entry) => [
        entry.from,
        entry.to,
        uintBytes(entry.amount),
      ]);
    }),
  ];
}

function modelSerialize(tx: Tx): Uint8Array {
  if (tx.type !== 'signed_tx') return modelRlp(modelItems(tx));
  const sorted = canonical(tx).signatures;
  return modelRlp([uintBytes(11n), uintBytes(1n), sorted, modelRlp(modelItems(tx.tx))]);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function codeOf(run: () => unknown): TxErrorCode | 'accepted' | `other: ${string}` {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof TxError) return error.code;
    return `other: ${String(error)}`;
  }
}

const ALL_TYPES: TxType[] = [
  'signed_tx',
  'spend_tx',
  'channel_create_tx',
  'channel_deposit_tx',
  'channel_withdraw_tx',
  'channel_close_mutual_tx',
  'channel_close_solo_tx',
  'channel_slash_tx',
  'channel_settle_tx',
  'channel_offchain_tx',
];

// ---------------------------------------------------------------------------------------------

describe.each(LAYOUT_NAMES.map((name) => [name] as const))('%s', (layoutName) => {
  const arbitrary = unsignedTxArbitraries[layoutName] as fc.Arbitrary<UnsignedTx>;
  const type = typeOfLayout(layoutName);

  it('serializes to the bytes of the WIRE.md model, and back to an equal object', () => {
    fc.assert(
      fc.property(arbitrary, (tx) => {
        const bytes = serializeTx(tx);
        expect(hex(bytes)).toBe(hex(modelSerialize(tx)));
        expect(hex(serializeUnsigned(tx))).toBe(hex(bytes));
        for (const expected of [undefined, 'any', 'unsigned', type] as const) {
          const decoded = expected === undefined ? deserializeTx(bytes) : deserializeTx(bytes, expected as 'any');
          expect(decoded).toStrictEqual(tx);
          expect(hex(serializeTx(decoded))).toBe(hex(bytes));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is refused (WRONG_TAG) by a decoder that expects another type or a signed_tx', () => {
    fc.assert(
      fc.property(arbitrary, fc.constantFrom(...ALL_TYPES.filter((other) => other !== type)), (tx, other) => {
        expect(codeOf(() => deserializeTx(serializeTx(tx), other as 'any'))).toBe('WRONG_TAG');
      }),
      { numRuns: 40 },
    );
  });

  it('encodes to tx$ + the bs58check of its bytes, and decodes back', () => {
    fc.assert(
      fc.property(arbitrary, (tx) => {
        fc.pre(fitsBase58(tx));
        const encoded = encodeTx(tx);
        expect(encoded).toBe(`tx$${bs58check.encode(serializeTx(tx))}`);
        expect(decodeTx(encoded)).toStrictEqual(tx);
        expect(decodeTx(encoded, type as 'any')).toStrictEqual(tx);
        expect(decodeTx(encoded, 'unsigned')).toStrictEqual(tx);
      }),
      { numRuns: RUNS },
    );
  });

  it('survives toJSON → JSON text → fromJSON, and the JSON form is the documented one', () => {
    fc.assert(
      fc.property(arbitrary, (tx) => {
        fc.pre(fitsBase58(tx));
        const json = toJSON(tx);
        const text = JSON.stringify(json);
        const reread = JSON.parse(text) as unknown;
        expect(reread).toStrictEqual(json);
        const back = fromJSON(reread);
        expect(back).toStrictEqual(tx);
        expect(toJSON(back)).toStrictEqual(json);
        expect(json).toMatchObject({ type, tag: WIRE[layoutName].tag, vsn: 1 });
        expect(Object.keys((json as { fields: object }).fields)).toEqual(WIRE[layoutName].fields.map(([name]) => name));
        const fields = (json as { fields: Record<string, unknown> }).fields;
        const values = tx as unknown as Record<string, unknown>;
        for (const [name, kind] of WIRE[layoutName].fields) {
          const value = values[name];
          if (kind === 'int') expect(fields[name]).toBe((value as bigint).toString(10));
          else if (kind === 'updates') {
            expect(fields[name]).toStrictEqual(
              (value as { from: Uint8Array; to: Uint8Array; amount: bigint }[]).map((entry) => ({
                from: encode('ak', entry.from),
                to: encode('ak', entry.to),
                amount: entry.amount.toString(10),
              })),
            );
          } else {
            const expected =
              name === 'channel_id'
                ? encode('ch', value as Uint8Array)
                : name === 'state'
                  ? encode('st', value as Uint8Array)
                  : name === 'payload' && type === 'spend_tx'
                    ? `0x${hex(value as Uint8Array)}`
                    : name === 'payload'
                      ? encode('tx', value as Uint8Array)
                      : encode('ak', value as Uint8Array);
            expect(fields[name]).toBe(expected);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('fromJSON refuses, with INVALID_JSON, every way a JSON form differs from what toJSON writes', () => {
    fc.assert(
      fc.property(arbitrary, (tx) => {
        fc.pre(fitsBase58(tx));
        const json = JSON.parse(JSON.stringify(toJSON(tx))) as { tag: number; vsn: number; fields: Record<string, unknown> };
        const refused = (change: (copy: typeof json) => void) => {
          const copy = structuredClone(json);
          change(copy);
          return codeOf(() => fromJSON(copy));
        };
        for (const [name, kind] of WIRE[layoutName].fields) {
          if (kind === 'int') {
            for (const written of [`0${json.fields[name]}`, `+${json.fields[name]}`, `-${json.fields[name]}`, ` ${json.fields[name]}`]) {
              expect(refused((copy) => (copy.fields[name] = written)), `${name}: ${written}`).toBe('INVALID_JSON');
            }
            expect(refused((copy) => (copy.fields[name] = Number(json.fields[name])))).toBe('INVALID_JSON');
          }
          if (name === 'payload' && type === 'spend_tx') {
            for (const written of [`0x${hex(Uint8Array.of(0xab, ...(tx as { payload: Uint8Array }).payload)).toUpperCase()}`, `0X${hex((tx as { payload: Uint8Array }).payload)}`, `0x${hex((tx as { payload: Uint8Array }).payload)}0`]) {
              expect(refused((copy) => (copy.fields[name] = written)), written.slice(0, 10)).toBe('INVALID_JSON');
            }
          }
          // (the legacy close_mutual without `from` is the v0.14 one)
          if (!(layoutName === 'channel_close_mutual_tx_legacy' && name === 'from')) expect(refused((copy) => delete copy.fields[name])).toBe('INVALID_JSON');
          // a field the object inherits is not one it has, and an unknown key in its place is no field
          const inherited = (copy: typeof json) => {
            const { [name]: value, ...own } = copy.fields;
            copy.fields = Object.assign(Object.create({ [name]: value }) as Record<string, unknown>, own, { bogus: '1' });
          };
          expect(refused(inherited), `${name} inherited`).toBe('INVALID_JSON');
        }
        expect(refused((copy) => (copy.tag = json.tag + 1))).toBe('INVALID_JSON');
        expect(refused((copy) => (copy.vsn = 2))).toBe('INVALID_JSON');
        expect(refused((copy) => ((copy as unknown as { tag: string }).tag = String(json.tag)))).toBe('INVALID_JSON');
        expect(refused((copy) => ((copy as unknown as { bogus: string }).bogus = ''))).toBe('INVALID_JSON');
        expect(refused((copy) => (copy.fields.bogus = '1'))).toBe('INVALID_JSON');
        // the computed keys of `aesc inspect --json` are ignored, and tag and vsn may be left out
        expect(refused((copy) => ((copy as unknown as { hash: string }).hash = 'th$…'))).toBe('accepted');
        expect(refused((copy) => delete (copy as { tag?: number }).tag)).toBe('accepted');
        expect(refused((copy) => delete (copy as { vsn?: number }).vsn)).toBe('accepted');
        // and the same for the signed_tx around it
        const signed = JSON.parse(JSON.stringify(toJSON({ type: 'signed_tx', signatures: [new Uint8Array(64)], tx }))) as Record<string, unknown>;
        expect(codeOf(() => fromJSON({ ...signed, tag: 12 }))).toBe('INVALID_JSON');
        expect(codeOf(() => fromJSON({ ...signed, vsn: 2 }))).toBe('INVALID_JSON');
        expect(codeOf(() => fromJSON({ ...signed, signatures: undefined }))).toBe('INVALID_JSON');
        expect(codeOf(() => fromJSON({ ...signed, signers: [] }))).toBe('accepted');
      }),
      { numRuns: 20 },
    );
  });

  it('hashes to th$ of blake2b-256 over its serialization', () => {
    fc.assert(
      fc.property(arbitrary, (tx) => {
        expect(txHash(tx)).toBe(`th$${bs58check.encode(blake2b(modelSerialize(tx), { dkLen: 32 }))}`);
      }),
      { numRuns: 40 },
    );
  });

  describe('signed_tx around it', () => {
    const signed = signedTxOf(arbitrary);

    it('serializes (signatures sorted) to the model bytes and back to the canonical object', () => {
      fc.assert(
        fc.property(signed, (tx) => {
          const bytes = serializeTx(tx);
          expect(hex(bytes)).toBe(hex(modelSerialize(tx)));
          const decoded = deserializeTx(bytes, 'signed_tx');
          expect(decoded).toStrictEqual(canonical(tx));
          expect(deserializeTx(bytes)).toStrictEqual(canonical(tx));
          expect(hex(serializeTx(decoded))).toBe(hex(bytes));
          expect(codeOf(() => deserializeTx(bytes, 'unsigned'))).toBe('WRONG_TAG');
          expect(codeOf(() => deserializeTx(bytes, type as 'any'))).toBe('WRONG_TAG');
          // The signed message is the unsigned serialization, carried as field 2.
          const items = decodeRlp(bytes) as RlpItem[];
          expect(hex(items[3] as Uint8Array)).toBe(hex(serializeUnsigned(tx.tx)));
          expect(txHash(tx)).toBe(txHash(canonical(tx)));
        }),
        { numRuns: RUNS },
      );
    });

    it('encodes and decodes as tx$, and survives the JSON form', () => {
      fc.assert(
        fc.property(signed, (tx) => {
          fc.pre(fitsBase58(tx));
          const encoded = encodeTx(tx);
          expect(encoded).toBe(`tx$${bs58check.encode(serializeTx(tx))}`);
          expect(decodeTx(encoded, 'signed_tx')).toStrictEqual(canonical(tx));
          const json = toJSON(tx);
          expect(json.signatures).toStrictEqual(tx.signatures.map((signature) => encode('sg', signature)));
          const back = fromJSON(JSON.parse(JSON.stringify(json)));
          expect(back).toStrictEqual(tx);
          expect(toJSON(back)).toStrictEqual(json);
        }),
        { numRuns: RUNS },
      );
    });
  });
});

describe('close_solo and slash payloads', () => {
  it('hold a signed off-chain state that decodes on its own (the recursive decode)', () => {
    const withSignedPayload = fc
      .tuple(signedTxOf(unsignedTxArbitraries.channel_offchain_tx as fc.Arbitrary<UnsignedTx>), unsignedTxArbitraries.channel_close_solo_tx)
      .map(([state, solo]) => ({ state, solo: { ...solo, payload: serializeTx(state) } }));
    fc.assert(
      fc.property(withSignedPayload, ({ state, solo }) => {
        const decoded = deserializeTx(serializeTx(solo), 'channel_close_solo_tx');
        expect(deserializeTx(decoded.payload, 'signed_tx')).toStrictEqual(canonical(state));
      }),
      { numRuns: 60 },
    );
  });
});

describe('transactions past the WebAssembly hand-over and around MAX_VARIABLE_PAYLOAD (a payload or state of 2–8 KB, or of 64 KB ± 256 bytes)', () => {
  // serializeTx/deserializeTx have no size limit (WIRE.md §2.1); a tx$ or a st$/tx$ JSON field
  // holds at most MAX_VARIABLE_PAYLOAD bytes, and a larger one is refused with a typed error.
  const large = fc.oneof(
    fc.tuple(unsignedTxArbitraries.spend_tx, largeBinary).map(([tx, payload]) => ({ ...tx, payload }) as UnsignedTx),
    fc.tuple(unsignedTxArbitraries.channel_close_solo_tx, largeBinary).map(([tx, payload]) => ({ ...tx, payload }) as UnsignedTx),
    fc.tuple(unsignedTxArbitraries.channel_offchain_tx, largeBinary).map(([tx, state]) => ({ ...tx, state }) as UnsignedTx),
  );

  const key = (fill: number) => new Uint8Array(32).fill(fill);
  const spend = (size: number): UnsignedTx => ({
    type: 'spend_tx',
    sender: key(1),
    recipient: key(2),
    amount: 10n ** 18n,
    fee: 20_000n,
    nonce: 7n,
    payload: Uint8Array.from({ length: size }, (_, index) => (index * 13 + 5) & 0xff),
  });
  const signedSpend = (size: number): Tx => ({ type: 'signed_tx', signatures: [new Uint8Array(64).fill(3)], tx: spend(size) });

  it('a signed spend_tx with a 3 kB payload, or one as large as a tx$ holds, round-trips through encodeTx/decodeTx and the JSON form', () => {
    let largest = MAX_VARIABLE_PAYLOAD - 200;
    while (serializeTx(signedSpend(largest + 1)).length <= MAX_VARIABLE_PAYLOAD) largest++;
    expect(serializeTx(signedSpend(largest)).length).toBe(MAX_VARIABLE_PAYLOAD);
    for (const size of [3000, largest]) {
      const tx = signedSpend(size);
      const encoded = encodeTx(tx);
      expect(parse(encoded, 'tx').bytes).toEqual(serializeTx(tx));
      expect(decodeTx(encoded)).toStrictEqual(tx);
      expect(decodeTx(encoded, 'signed_tx')).toStrictEqual(tx);
      expect(fromJSON(JSON.parse(JSON.stringify(toJSON(tx))))).toStrictEqual(tx);
    }
    // one byte more than a tx$ holds
    const over = signedSpend(largest + 1);
    expect(serializeTx(over).length).toBe(MAX_VARIABLE_PAYLOAD + 1);
    expect(() => encodeTx(over)).toThrow(expect.objectContaining({ code: 'WRONG_PAYLOAD_SIZE', context: { prefix: 'tx', size: MAX_VARIABLE_PAYLOAD + 1 } }));
  });

  it('an off-chain state of 40 transfer updates (some 3 kB) encodes as tx$ and decodes back', () => {
    const updates = Array.from({ length: 40 }, (_, index) => ({ from: key(index % 2 === 0 ? 4 : 5), to: key(index % 2 === 0 ? 5 : 4), amount: BigInt(index + 1) * 10n ** 15n }));
    const state: UnsignedTx = {
      type: 'channel_offchain_tx',
      channel_id: key(6),
      previous_round: 40n,
      round: 41n,
      initiator: key(4),
      responder: key(5),
      initiator_amount: 10n ** 18n,
      responder_amount: 10n ** 18n,
      updates,
      state: new Uint8Array(0),
    };
    const signed: Tx = { type: 'signed_tx', signatures: [new Uint8Array(64).fill(8), new Uint8Array(64).fill(9)], tx: state };
    expect(serializeTx(signed).length).toBeGreaterThan(2044);
    expect(decodeTx(encodeTx(signed), 'signed_tx')).toStrictEqual(signed);
  });

  it('serialize → deserialize round-trips at any size', () => {
    fc.assert(
      fc.property(large, (tx) => {
        const bytes = serializeTx(tx);
        expect(deserializeTx(bytes)).toStrictEqual(tx);
        expect(hex(bytes)).toBe(hex(modelSerialize(tx)));
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });

  it('encodeTx round-trips up to MAX_VARIABLE_PAYLOAD and refuses more with WRONG_PAYLOAD_SIZE', () => {
    fc.assert(
      fc.property(large, (tx) => {
        if (serializeTx(tx).length <= MAX_VARIABLE_PAYLOAD) {
          expect(decodeTx(encodeTx(tx))).toStrictEqual(tx);
        } else {
          expect(() => encodeTx(tx)).toThrow(EncodingError);
          expect(() => encodeTx(tx)).toThrow(expect.objectContaining({ code: 'WRONG_PAYLOAD_SIZE' }));
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });

  it('the JSON form round-trips, or refuses a tx$/st$ field over MAX_VARIABLE_PAYLOAD with INVALID_FIELD', () => {
    fc.assert(
      fc.property(large, (tx) => {
        const values = tx as unknown as Record<string, Uint8Array>;
        const base58Field = tx.type === 'channel_offchain_tx' ? values.state : tx.type === 'spend_tx' ? undefined : values.payload;
        if (base58Field === undefined || base58Field.length <= MAX_VARIABLE_PAYLOAD) {
          expect(fromJSON(JSON.parse(JSON.stringify(toJSON(tx))))).toStrictEqual(tx);
        } else {
          expect(codeOf(() => toJSON(tx))).toBe('INVALID_FIELD');
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });
});

describe('strictness: one non-canonical change, one error code', () => {
  const anyLayout = fc.constantFrom(...LAYOUT_NAMES).chain((name) =>
    (unsignedTxArbitraries[name] as fc.Arbitrary<UnsignedTx>).map((tx) => ({ name, tx })),
  );

  it('a trailing byte is TRAILING_BYTES; every strict prefix is TRUNCATED', () => {
    fc.assert(
      fc.property(anyLayout, fc.nat(), fc.integer({ min: 0, max: 255 }), ({ tx }, cutSeed, extra) => {
        const bytes = serializeTx(tx);
        expect(codeOf(() => deserializeTx(Uint8Array.of(...bytes, extra)))).toBe('TRAILING_BYTES');
        const cut = 1 + (cutSeed % (bytes.length - 1));
        expect(codeOf(() => deserializeTx(bytes.subarray(0, cut)))).toBe('TRUNCATED');
        expect(codeOf(() => deserializeTx(bytes.subarray(0, 0)))).toBe('EMPTY_INPUT');
      }),
      { numRuns: RUNS },
    );
  });

  /** Picks one field of `kind` of a random layout and lets `rewrite` change its RLP item. */
  function rewritten(
    kind: ModelKind,
    rewrite: (item: ModelItem) => fc.Arbitrary<ModelItem>,
  ): fc.Arbitrary<{ name: LayoutName; field: string; bytes: Uint8Array }> {
    return anyLayout
      .chain(({ name, tx }) => {
        const indexes = WIRE[name].fields.flatMap(([, fieldKind], index) => (fieldKind === kind ? [index] : []));
        return fc.constantFrom(...indexes).chain((index) => {
          const items = modelItems(tx);
          const [field] = WIRE[name].fields[index] as [string, ModelKind];
          return rewrite(items[index + 2] as ModelItem).map((item) => {
            items[index + 2] = item;
            return { name, field, bytes: modelRlp(items) };
          });
        });
      });
  }

  it('an integer with a leading zero byte is NON_CANONICAL_INT', () => {
    const cases = rewritten('int', (item) => fc.integer({ min: 1, max: 3 }).map((zeros) => Uint8Array.of(...new Uint8Array(zeros), ...(item as Uint8Array))));
    fc.assert(
      fc.property(cases, ({ bytes }) => {
        expect(codeOf(() => deserializeTx(bytes))).toBe('NON_CANONICAL_INT');
      }),
      { numRuns: RUNS },
    );
  });

  it('zero written as the empty string 80 is NON_CANONICAL_INT', () => {
    const cases = rewritten('int', () => fc.constant(new Uint8Array(0)));
    fc.assert(
      fc.property(cases, ({ bytes }) => {
        expect(codeOf(() => deserializeTx(bytes))).toBe('NON_CANONICAL_INT');
      }),
      { numRuns: 60 },
    );
  });

  it('a byte string in a longer RLP form than needed is NON_CANONICAL_RLP', () => {
    const cases = rewritten('int', (item) => {
      const body = item as Uint8Array;
      // `81 xx` for one byte below 80, `b8 len` for a short string: both decode to the same bytes.
      if (body.length === 1 && (body[0] as number) < 0x80) return fc.constant({ raw: Uint8Array.of(0x81, body[0] as number) });
      if (body.length <= 55) return fc.constant({ raw: Uint8Array.of(0xb8, body.length, ...body) });
      return fc.constant({ raw: Uint8Array.of(0xb9, 0x00, body.length, ...body) });
    });
    fc.assert(
      fc.property(cases, ({ bytes }) => {
        expect(codeOf(() => deserializeTx(bytes))).toBe('NON_CANONICAL_RLP');
      }),
      { numRuns: RUNS },
    );
  });

  it('a list where bytes belong is EXPECTED_BYTES', () => {
    const cases = rewritten('bin', (item) => fc.constantFrom<ModelItem>([], [item], [item, item]));
    fc.assert(
      fc.property(cases, ({ bytes }) => {
        expect(codeOf(() => deserializeTx(bytes))).toBe('EXPECTED_BYTES');
      }),
      { numRuns: RUNS },
    );
  });

  it('a key or channel id of another size is WRONG_FIELD_SIZE', () => {
    const keyLike = new Set(['sender', 'recipient', 'initiator', 'responder', 'from', 'to', 'channel_id']);
    // 65 bytes are a key only as a legacy one, starting 04
    const legacySizeNot04 = fc.uint8Array({ minLength: 65, maxLength: 65 }).filter((bytes) => bytes[0] !== 4);
    const cases = rewritten('bin', () =>
      fc.oneof(fc.uint8Array({ maxLength: 31 }), fc.uint8Array({ minLength: 33, maxLength: 64 }), legacySizeNot04, fc.uint8Array({ minLength: 66, maxLength: 100 })),
    ).filter(
      ({ field }) => keyLike.has(field),
    );
    fc.assert(
      fc.property(cases, ({ bytes }) => {
        expect(codeOf(() => deserializeTx(bytes))).toBe('WRONG_FIELD_SIZE');
      }),
      { numRuns: RUNS },
    );
  });

  it('a version other than 1 is WRONG_VERSION; another field count is WRONG_FIELD_COUNT', () => {
    fc.assert(
      fc.property(anyLayout, uint.filter((vsn) => vsn !== 1n), fc.nat(), ({ name, tx }, vsn, position) => {
        const items = modelItems(tx);
        const [tag, , ...fields] = items as [ModelItem, ModelItem, ...ModelItem[]];
        expect(codeOf(() => deserializeTx(modelRlp([tag, uintBytes(vsn), ...fields])))).toBe('WRONG_VERSION');
        // One item more or one less, anywhere. close_mutual's two layouts are 6 and 7 fields long,
        // so v0.14 + 1 and legacy - 1 are read as the other layout; those two are left out.
        const longer = [...fields];
        longer.splice(position % (fields.length + 1), 0, Uint8Array.of(1));
        if (name !== 'channel_close_mutual_tx') {
          expect(codeOf(() => deserializeTx(modelRlp([tag, uintBytes(1n), ...longer])))).toBe('WRONG_FIELD_COUNT');
        }
        const shorter = fields.filter((_, index) => index !== position % fields.length);
        if (name !== 'channel_close_mutual_tx_legacy') {
          expect(codeOf(() => deserializeTx(modelRlp([tag, uintBytes(1n), ...shorter])))).toBe('WRONG_FIELD_COUNT');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a tag of the right low bytes but larger, or a signed_tx tag so written, is UNKNOWN_TAG', () => {
    fc.assert(
      fc.property(anyLayout, fc.integer({ min: 1, max: 0xffffff }), ({ tx }, high) => {
        const [tag, ...rest] = modelItems(tx) as [Uint8Array, ...ModelItem[]];
        // the tag plus high · 2^16, 2^24…: never the tag itself
        const larger = uintBytes(BigInt(tag[0] as number) + (BigInt(high) << 16n));
        expect(codeOf(() => deserializeTx(modelRlp([larger, ...rest])))).toBe('UNKNOWN_TAG');
        expect(codeOf(() => deserializeTx(modelRlp([uintBytes(11n + (BigInt(high) << 16n)), uintBytes(1n), [], modelRlp(modelItems(tx))])))).toBe('UNKNOWN_TAG');
      }),
      { numRuns: 60 },
    );
  });

  it('UNKNOWN_TAG names what a tag of v0.14 is, every tag from 0 to 120', () => {
    const families: [number[], string][] = [
      [[22, 23, 24, 25], 'an oracle transaction, which this codec does not model (channels and spend only)'],
      [[32, 33, 34, 35, 36], 'a name transaction, which this codec does not model (channels and spend only)'],
      [[42, 43], 'a contract transaction, which this codec does not model (channels and spend only)'],
      [[10], 'an account, not a transaction'],
      [[20], 'an oracle, not a transaction'],
      [[21], 'an oracle query, not a transaction'],
      [[30], 'a name, not a transaction'],
      [[31], 'a name commitment, not a transaction'],
      [[40], 'a contract, not a transaction'],
      [[41], 'a contract call, not a transaction'],
      [[58], 'a channel state object, not a transaction'],
      [[100], 'a block, not a transaction'],
    ];
    const modelled = new Set([11, 12, 50, 51, 52, 53, 54, 55, 56, 57]);
    for (let tag = 0; tag <= 120; tag++) {
      if (modelled.has(tag)) continue;
      const known = families.find(([tags]) => tags.includes(tag));
      const error = thrown(TxError, () => deserializeTx(modelRlp([uintBytes(BigInt(tag)), uintBytes(1n)])));
      expect(error.code).toBe('UNKNOWN_TAG');
      expect(error.context.tag).toBe(tag);
      expect(error.message).toBe(known === undefined ? `unknown tag ${tag}` : `tag ${tag} is ${known[1]}`);
    }
  });

  it('signatures out of bytewise order are NON_CANONICAL_ORDER', () => {
    const unsorted = fc
      .tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), anyLayout)
      .filter(([left, right]) => Buffer.compare(Buffer.from(left), Buffer.from(right)) !== 0);
    fc.assert(
      fc.property(unsorted, ([left, right, { tx }]) => {
        const [low, high] = Buffer.compare(Buffer.from(left), Buffer.from(right)) < 0 ? [left, right] : [right, left];
        const inner = modelRlp(modelItems(tx));
        const wrongOrder = modelRlp([uintBytes(11n), uintBytes(1n), [high, low], inner]);
        expect(codeOf(() => deserializeTx(wrongOrder))).toBe('NON_CANONICAL_ORDER');
        const rightOrder = modelRlp([uintBytes(11n), uintBytes(1n), [low, high], inner]);
        expect(hex(serializeTx(deserializeTx(rightOrder)))).toBe(hex(rightOrder));
      }),
      { numRuns: 60 },
    );
  });

  it('an RLP error in the transaction of a signed_tx gives its offset in the whole input', () => {
    fc.assert(
      fc.property(anyLayout, fc.integer({ min: 0, max: 255 }), fc.nat({ max: 7 }), ({ tx }, extra, padding) => {
        const inner = modelRlp(modelItems(tx));
        const signed = modelRlp([uintBytes(11n), uintBytes(1n), [new Uint8Array(64)], Uint8Array.of(...inner, extra)]);
        // inside a larger buffer, as a Buffer from a pool is
        const input = new Uint8Array(padding + signed.length).subarray(padding);
        input.set(signed);
        const error = thrown(TxError, () => deserializeTx(input));
        expect(error.code).toBe('TRAILING_BYTES');
        // the extra byte is the last of the input
        expect(error.context).toMatchObject({ path: 'tx', offset: signed.length - 1 });
        const empty = modelRlp([uintBytes(11n), uintBytes(1n), [], new Uint8Array(0)]);
        expect(thrown(TxError, () => deserializeTx(empty)).context).toMatchObject({ path: 'tx', offset: empty.length });
      }),
      { numRuns: 40 },
    );
  });

  it('a field error in the transaction of a signed_tx names its field under tx.', () => {
    fc.assert(
      fc.property(anyLayout, ({ name, tx }) => {
        const items = modelItems(tx);
        const index = WIRE[name].fields.findIndex(([, kind]) => kind === 'int');
        const [field] = WIRE[name].fields[index] as [string, ModelKind];
        items[index + 2] = Uint8Array.of(0, ...(items[index + 2] as Uint8Array));
        const signed = modelRlp([uintBytes(11n), uintBytes(1n), [new Uint8Array(64)], modelRlp(items)]);
        const error = thrown(TxError, () => deserializeTx(signed));
        expect(error.code).toBe('NON_CANONICAL_INT');
        expect(error.context).toEqual({ path: `tx.${field}` });
        expect(error.message).toMatch(/^inner transaction: /);
      }),
      { numRuns: 40 },
    );
  });

  it('a signature that is a proper prefix of another sorts first (Erlang binary order)', () => {
    // a DER signature whose first 64 bytes are an ed25519 one: the shorter is the smaller
    const der = Uint8Array.of(0x30, 0x44, 0x02, 0x20, ...new Uint8Array(32).fill(0x11), 0x02, 0x20, ...new Uint8Array(32).fill(0x22));
    const prefix = der.slice(0, 64);
    expect(compareBytes(prefix, der)).toBeLessThan(0);
    expect(compareBytes(der, prefix)).toBeGreaterThan(0);
    expect(compareBytes(der, der.slice())).toBe(0);
    fc.assert(
      fc.property(anyLayout, ({ tx }) => {
        const inner = modelRlp(modelItems(tx));
        const sorted = modelRlp([uintBytes(11n), uintBytes(1n), [prefix, der], inner]);
        expect(hex(serializeTx({ type: 'signed_tx', signatures: [der, prefix], tx }))).toBe(hex(sorted));
        expect(hex(serializeTx(deserializeTx(sorted)))).toBe(hex(sorted));
        const reversed = modelRlp([uintBytes(11n), uintBytes(1n), [der, prefix], inner]);
        expect(codeOf(() => deserializeTx(reversed))).toBe('NON_CANONICAL_ORDER');
      }),
      { numRuns: 20 },
    );
  });
});

describe('RLP layer', () => {
  const rlpTree: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
    item: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.uint8Array({ maxLength: 70 }),
      fc.array(tie('item'), { maxLength: 5 }),
    ),
  })).item;

  it('decodeRlp(encodeRlp(tree)) is the tree, and the model encoder agrees with encodeRlp', () => {
    fc.assert(
      fc.property(rlpTree, (tree) => {
        const bytes = encodeRlp(tree);
        expect(hex(bytes)).toBe(hex(modelRlp(tree as ModelItem)));
        let depth = 0;
        const measure = (item: RlpItem, level: number): void => {
          depth = Math.max(depth, level);
          if (Array.isArray(item)) for (const child of item) measure(child, level + 1);
        };
        measure(tree, 0);
        if (depth <= 8) expect(decodeRlp(bytes)).toStrictEqual(tree);
        else expect(codeOf(() => decodeRlp(bytes))).toBe('NESTING_TOO_DEEP');
      }),
      { numRuns: 300 },
    );
  });

  it('a long-form header for a length of 55 or less is NON_CANONICAL_RLP, up to the boundary itself', () => {
    // Random inputs of up to 40 bytes never hold a long-form item of 55 bytes: every length is tried.
    for (let length = 0; length <= 55; length++) {
      const body = new Uint8Array(length).fill(0x80);
      expect(codeOf(() => decodeRlp(Uint8Array.of(0xb8, length, ...body))), `b8 ${length}`).toBe('NON_CANONICAL_RLP');
      expect(codeOf(() => decodeRlp(Uint8Array.of(0xf8, length, ...new Uint8Array(length)))), `f8 ${length}`).toBe('NON_CANONICAL_RLP');
    }
    expect(decodeRlp(Uint8Array.of(0xb8, 56, ...new Uint8Array(56).fill(0x80)))).toStrictEqual(new Uint8Array(56).fill(0x80));
    expect(decodeRlp(Uint8Array.of(0xf8, 56, ...new Uint8Array(56)))).toStrictEqual(Array.from({ length: 56 }, () => Uint8Array.of(0)));
  });

  it('a header that claims even one byte more than its input or its list holds is TRUNCATED, at the header', () => {
    for (const [bytes, offset] of [
      [[0x82, 0x01], 0], // a short string one byte short
      [[0xc2, 0x01], 0], // a short list one byte short
      [[0xc2, 0x82, 0x01, 0x02], 1], // a string running one byte past the end of its list
      [[0xc2, 0xc2, 0x01, 0x02], 1], // a list running one byte past the end of its list
      [[0xb9, 0x01], 0], // a two-byte length with one byte present
      [[0xf9, 0x01], 0],
      [[0xb8], 0], // a length of one byte with none present
      [[0xc2, 0xb9, 0x01, 0x00], 1], // the length itself runs past the end of its list
      [[0xb8, 0x38, ...new Uint8Array(55)], 0], // 56 claimed, 55 present
    ] as const) {
      const error = thrown(TxError, () => decodeRlp(Uint8Array.from(bytes)));
      expect(error.code, hex(Uint8Array.from(bytes))).toBe('TRUNCATED');
      expect(error.context.offset, hex(Uint8Array.from(bytes))).toBe(offset);
    }
  });

  it('lists nest 8 deep and no deeper, in decodeRlp as in encodeRlp', () => {
    const nested = (depth: number): RlpItem => (depth === 0 ? [] : [nested(depth - 1)]);
    const bytes = (lists: number) => Uint8Array.from({ length: lists }, (_, index) => 0xc0 + lists - 1 - index);
    expect(hex(encodeRlp(nested(7)))).toBe(hex(bytes(8)));
    expect(decodeRlp(bytes(8))).toStrictEqual(nested(7));
    const error = thrown(TxError, () => decodeRlp(bytes(9)));
    expect(error.code).toBe('NESTING_TOO_DEEP');
    expect(error.context.offset).toBe(8);
    expect(() => encodeRlp(nested(8))).toThrow(RangeError);
  });

  it('one byte wrapped as 81 xx is NON_CANONICAL_RLP below 80 (it encodes as itself) and the byte from 80 up', () => {
    for (let byte = 0; byte < 256; byte++) {
      if (byte < 0x80) {
        expect(decodeRlp(Uint8Array.of(byte))).toStrictEqual(Uint8Array.of(byte));
        expect(thrown(TxError, () => decodeRlp(Uint8Array.of(0x81, byte))).context).toMatchObject({ offset: 0 });
        expect(codeOf(() => decodeRlp(Uint8Array.of(0x81, byte))), `81 ${byte}`).toBe('NON_CANONICAL_RLP');
      } else {
        expect(decodeRlp(Uint8Array.of(0x81, byte)), `81 ${byte}`).toStrictEqual(Uint8Array.of(byte));
        expect(hex(encodeRlp(Uint8Array.of(byte)))).toBe(`81${byte.toString(16)}`);
      }
    }
  });

  it('what decodeRlp accepts, the reference-style decoder (rlp) reads the same way', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), rlpTree.map((tree) => encodeRlp(tree))), (bytes) => {
        let ours: RlpItem;
        try {
          ours = decodeRlp(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(TxError);
          return;
        }
        expect(hex(encodeRlp(ours))).toBe(hex(bytes));
        expect(referenceRlpDecode(bytes)).toStrictEqual(ours);
      }),
      { numRuns: 500 },
    );
  });
});

describe('channelId', () => {
  it('is blake2b-256(initiator ‖ uint256_be(nonce mod 2^256) ‖ responder), from bytes or ak$ alike', () => {
    fc.assert(
      fc.property(pubkey, uint, pubkey, (initiator, nonce, responder) => {
        const nonceBytes = Buffer.from((nonce % (1n << 256n)).toString(16).padStart(64, '0'), 'hex');
        const expected = encode('ch', blake2b(Buffer.concat([initiator, nonceBytes, responder]), { dkLen: 32 }));
        expect(channelId({ initiator, nonce, responder })).toBe(expected);
        expect(channelId({ initiator: encode('ak', initiator), nonce, responder: encode('ak', responder) })).toBe(expected);
        expect(parse(expected, 'ch').bytes).toHaveLength(32);
      }),
      { numRuns: 100 },
    );
  });

  it('takes the keys a tx or an ak$ may hold: 65 bytes only as a legacy key starting 04', () => {
    const key = new Uint8Array(32).fill(3);
    const legacy = Uint8Array.of(4, ...new Uint8Array(64).fill(5));
    expect(channelId({ initiator: legacy, nonce: 1n, responder: key })).toBe(
      channelId({ initiator: encode('ak', legacy), nonce: 1n, responder: key }),
    );
    for (const notAKey of [Uint8Array.of(5, ...legacy.subarray(1)), new Uint8Array(65), new Uint8Array(33)]) {
      expect(() => channelId({ initiator: notAKey, nonce: 1n, responder: key })).toThrow(RangeError);
      expect(() => channelId({ initiator: key, nonce: 1n, responder: notAKey })).toThrow(RangeError);
    }
  });
});

describe('encoder and decoder agree on what a transaction is', () => {
  const anyUnsigned = fc.constantFrom(...LAYOUT_NAMES).chain((name) => unsignedTxArbitraries[name] as fc.Arbitrary<UnsignedTx>);

  it('a non-object is no transaction to serializeTx, encodeTx, txHash or toJSON: a TypeError naming it', () => {
    for (const value of [null, undefined, 42, 'tx$abc']) {
      for (const run of [serializeTx, encodeTx, txHash, toJSON] as ((tx: unknown) => unknown)[]) {
        expect(thrown(TypeError, () => run(value)).message).toMatch(/^tx must be a transaction object, got /);
      }
    }
  });

  it('an unknown type is echoed up to 40 characters, a longer one cut to 40 and an ellipsis', () => {
    const forty = 'x'.repeat(40);
    expect(thrown(TxError, () => serializeTx({ type: forty } as unknown as Tx))).toMatchObject({ code: 'INVALID_FIELD', message: `type: unknown transaction type "${forty}"` });
    expect(thrown(TxError, () => serializeTx({ type: `${forty}yz` } as unknown as Tx)).message).toBe(`type: unknown transaction type "${forty}…"`);
  });

  it('names the value at fault: a signature of the wrong size to write, a long unknown JSON key cut to 40 characters, a wrapped byte', () => {
    const signed = (signature: Uint8Array) => ({ type: 'signed_tx', signatures: [new Uint8Array(64), signature], tx: { type: 'spend_tx' } }) as unknown as Tx;
    expect(thrown(TxError, () => serializeTx(signed(new Uint8Array(63))))).toMatchObject({ code: 'INVALID_FIELD', context: { path: 'signatures[1]' } });
    const key = 'k'.repeat(50);
    expect(thrown(TxError, () => fromJSON({ type: 'signed_tx', signatures: [], tx: {}, [key]: 1 }))).toMatchObject({ code: 'INVALID_JSON', message: `${'k'.repeat(40)}…: unknown key` });
    // a key's and an id's string kind, with its article
    const settle = {
      type: 'channel_settle_tx',
      fields: { channel_id: encode('ch', new Uint8Array(32)), from: encode('ak', new Uint8Array(32)), initiator_amount: '1', responder_amount: '1', ttl: '1', fee: '1', nonce: '1' },
    };
    expect(fromJSON(settle).type).toBe('channel_settle_tx');
    expect(thrown(TxError, () => fromJSON({ ...settle, fields: { ...settle.fields, from: 5 } })).message).toBe('fields.from: expected an ak$ string, got a number');
    expect(thrown(TxError, () => fromJSON({ ...settle, fields: { ...settle.fields, channel_id: null } })).message).toBe('fields.channel_id: expected a ch$ string, got null');
    expect(thrown(RangeError, () => deserializeTx(new Uint8Array(0), 'x'.repeat(50) as never)).message).toBe(`expected must be a transaction type, 'unsigned' or 'any', got "${'x'.repeat(40)}…"`);
    // 05 written as 81 05 inside a list, a byte after it: the message shows the one byte
    expect(thrown(TxError, () => decodeRlp(Uint8Array.of(0xc3, 0x81, 0x05, 0x01)))).toMatchObject({
      code: 'NON_CANONICAL_RLP',
      message: 'byte 0x05 wrapped as a one-byte string at offset 1: it encodes as itself',
    });
  });

  it('says the rule broken: key and signature sizes in the words of @aesc/encoding, a signed_tx’s two fields, the signatures’ order, a signed_tx in a signed_tx', () => {
    const spend: UnsignedTx = { type: 'spend_tx', sender: new Uint8Array(32).fill(1), recipient: new Uint8Array(32).fill(2), amount: 1n, fee: 1n, nonce: 1n, payload: new Uint8Array(0) };
    const spendBytes = serializeTx(spend);
    const [low, high] = [new Uint8Array(64).fill(1), new Uint8Array(64).fill(2)];
    expect(thrown(TxError, () => serializeTx({ ...spend, sender: new Uint8Array(33) })).message).toBe(
      'sender: a public key is 32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1), got 33',
    );
    expect(thrown(TxError, () => serializeTx({ type: 'signed_tx', signatures: [new Uint8Array(63)], tx: spend })).message).toBe(
      'signatures[0]: a signature is 64 bytes (ed25519), or DER (legacy secp256k1), got 63 bytes',
    );
    // the same rules as the prefixes say them
    expect(thrown(EncodingError, () => encode('ak', new Uint8Array(33))).message).toBe('the ak$ payload must be 32 bytes (ed25519), or 65 bytes starting 04 (legacy secp256k1), got 33 bytes');
    expect(thrown(EncodingError, () => encode('sg', new Uint8Array(63))).message).toBe('the sg$ payload must be 64 bytes (ed25519), or DER (legacy secp256k1), got 63 bytes');
    expect(thrown(TxError, () => deserializeTx(modelRlp([uintBytes(11n), uintBytes(1n), [low]])))).toMatchObject({
      code: 'WRONG_FIELD_COUNT',
      message: 'a signed_tx has 2 fields after tag and version, got 1',
    });
    expect(thrown(TxError, () => deserializeTx(modelRlp([uintBytes(11n), uintBytes(1n), [high, low], spendBytes])))).toMatchObject({
      code: 'NON_CANONICAL_ORDER',
      message: 'signatures[1] sorts before signatures[0] (canonical order: ascending bytewise)',
    });
    const signed: Tx = { type: 'signed_tx', signatures: [low], tx: spend };
    expect(thrown(TxError, () => serializeTx({ type: 'signed_tx', signatures: [low], tx: signed as never })).message).toBe(
      'tx.type: a signed_tx where an unsigned transaction is required',
    );
  });

  it('whatever serializeTx accepts, deserializeTx reads back (signatures of any size)', () => {
    // A signature is 64 bytes (ed25519) or DER (legacy) for the decoder (WRONG_FIELD_SIZE
    // otherwise); the encoder must not write bytes its own decoder refuses.
    const anySizeSignatures = fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(anyUnsigned, anySizeSignatures, (tx, signatures) => {
        const signed: Tx = { type: 'signed_tx', signatures, tx };
        let bytes: Uint8Array;
        try {
          bytes = serializeTx(signed);
        } catch (error) {
          expect(error).toBeInstanceOf(TxError);
          return;
        }
        expect(codeOf(() => deserializeTx(bytes))).toBe('accepted');
      }),
      { numRuns: 200 },
    );
  });

  it('a key of 65 bytes not starting 04 is no key to serializeTx and toJSON either (INVALID_FIELD)', () => {
    const keyNames = ['sender', 'recipient', 'initiator', 'responder', 'from', 'to'];
    const notAKey = fc.uint8Array({ minLength: 65, maxLength: 65 }).filter((bytes) => bytes[0] !== 4);
    fc.assert(
      fc.property(anyUnsigned.filter((tx) => keyNames.some((name) => name in tx)), notAKey, (tx, key) => {
        const name = keyNames.find((candidate) => candidate in tx) as string;
        const changed = { ...tx, [name]: key } as UnsignedTx;
        expect(thrown(TxError, () => serializeTx(changed)).context).toEqual({ path: name });
        expect(codeOf(() => serializeTx(changed))).toBe('INVALID_FIELD');
        expect(codeOf(() => toJSON(changed))).toBe('INVALID_FIELD');
        // the same bytes as a legacy key, 04 first, are one
        const legacy = { ...tx, [name]: Uint8Array.of(4, ...key.subarray(1)) } as UnsignedTx;
        expect(deserializeTx(serializeTx(legacy))).toStrictEqual(canonical(legacy));
      }),
      { numRuns: 60 },
    );
  });

  it('a channel id is 32 bytes to serializeTx and toJSON: 65 bytes starting 04, a legacy key, is none (INVALID_FIELD)', () => {
    // ids and keys share one size check; only a key may be a legacy one
    const legacyShaped = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((rest) => Uint8Array.of(4, ...rest));
    fc.assert(
      fc.property(anyUnsigned.filter((tx) => 'channel_id' in tx), legacyShaped, (tx, id) => {
        const changed = { ...tx, channel_id: id } as UnsignedTx;
        expect(thrown(TxError, () => serializeTx(changed))).toMatchObject({ code: 'INVALID_FIELD', context: { path: 'channel_id' } });
        expect(codeOf(() => toJSON(changed))).toBe('INVALID_FIELD');
      }),
      { numRuns: 60 },
    );
  });

  it('toJSON writes the layout serializeTx writes, even when the object carries an extra property', () => {
    // e.g. `{ ...decoded, note }`: serializeTx picks the layout by the fields present (a `from`
    // means legacy close_mutual), toJSON must not pick another one.
    fc.assert(
      fc.property(anyUnsigned, fc.constantFrom('note', 'hash', 'signers'), fc.string(), (tx, key, value) => {
        fc.pre(fitsBase58(tx));
        const extended = { ...tx, [key]: value } as UnsignedTx;
        expect(fromJSON(toJSON(extended))).toStrictEqual(deserializeTx(serializeTx(extended)));
      }),
      { numRuns: 200 },
    );
  });

  it('deserializeTx of a Buffer gives Uint8Array copies, not views into the caller’s buffer', () => {
    fc.assert(
      fc.property(fc.oneof(anyUnsigned, signedTxOf(anyUnsigned) as fc.Arbitrary<Tx>), (tx) => {
        const input = Buffer.from(serializeTx(tx));
        const decoded = deserializeTx(input);
        expect(decoded).toStrictEqual(canonical(tx));
        input.fill(0xee);
        expect(decoded).toStrictEqual(canonical(tx));
      }),
      { numRuns: 100 },
    );
  });

  it('fromJSON refuses keys an update does not have (hash, signers… are only ignored beside a tx)', () => {
    const offchainWithUpdate = (unsignedTxArbitraries.channel_offchain_tx as fc.Arbitrary<UnsignedTx>).filter(
      (tx) => tx.type === 'channel_offchain_tx' && tx.updates.length > 0,
    );
    fc.assert(
      fc.property(offchainWithUpdate, fc.constantFrom('hash', 'channel_id', 'signers', 'payload_tx', 'note', 'am'), (tx, key) => {
        fc.pre(fitsBase58(tx));
        const json = JSON.parse(JSON.stringify(toJSON(tx)));
        json.fields.updates[0][key] = 'anything';
        expect(codeOf(() => fromJSON(json))).toBe('INVALID_JSON');
      }),
      { numRuns: 60 },
    );
  });

  it('toJSON refuses an update amount serializeTx refuses (negative, or not a bigint)', () => {
    const offchainWithUpdate = (unsignedTxArbitraries.channel_offchain_tx as fc.Arbitrary<UnsignedTx>).filter(
      (tx) => tx.type === 'channel_offchain_tx' && tx.updates.length > 0,
    );
    fc.assert(
      fc.property(offchainWithUpdate, fc.constantFrom<unknown>(-1n, -(1n << 70n), 1.5, 2, '7', true, null), (tx, amount) => {
        fc.pre(fitsBase58(tx));
        const broken = structuredClone(tx) as UnsignedTx & { updates: { amount: unknown }[] };
        (broken.updates[0] as { amount: unknown }).amount = amount;
        expect(codeOf(() => serializeTx(broken))).toBe('INVALID_FIELD');
        expect(codeOf(() => toJSON(broken))).toBe('INVALID_FIELD');
      }),
      { numRuns: 60 },
    );
  });
});

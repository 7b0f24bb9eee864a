/**
 * fast-check arbitraries for RecordBatch v2 inputs, and the field-for-field checker that
 * says how a decoded batch differs from what was encoded (shared by the codec and the
 * kafkajs cross-check tests).
 */
import fc from 'fast-check';
import type { BatchInput, RecordBatch, RecordHeader, RecordInput } from '../../src/storage/records.ts';

export const HEADER_KEYS = ['a', 'b', 'trace-id', 'clé', '键'] as const;

export const bytesArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 3000 }) },
);
const nullableBytesArb = fc.option(bytesArb, { nil: null, freq: 4 });

/** Header keys from a small set, so duplicates are common (Kafka allows them). */
export const headerArb = (nullValues: boolean): fc.Arbitrary<RecordHeader> =>
  fc.record({
    key: fc.oneof(fc.constantFrom(...HEADER_KEYS), fc.string({ unit: 'binary', maxLength: 12 })),
    value: nullValues ? nullableBytesArb : bytesArb,
  });

export interface BatchArbOptions {
  /** kafkajs cannot encode null header values; its headers are an object keyed by name. */
  readonly nullHeaderValues?: boolean;
  readonly simpleHeaderKeys?: boolean;
  readonly allowEmpty?: boolean;
  readonly maxRecords?: number;
}

const timestampDeltaArb = fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }));

export function recordInputArb(baseTimestamp: number, options: BatchArbOptions = {}): fc.Arbitrary<RecordInput> {
  const header = options.simpleHeaderKeys
    ? fc.record({ key: fc.constantFrom(...HEADER_KEYS), value: options.nullHeaderValues === false ? bytesArb : nullableBytesArb })
    : headerArb(options.nullHeaderValues !== false);
  return fc.record(
    {
      key: nullableBytesArb,
      value: nullableBytesArb,
      headers: fc.array(header, { maxLength: 4 }),
      // Kafka rejects negative timestamps other than -1 (NO_TIMESTAMP)
      timestamp: fc.option(timestampDeltaArb.map((d) => Math.max(-1, baseTimestamp + d)), { nil: undefined }),
    },
    { requiredKeys: ['key', 'value'] },
  );
}

const producerArb = fc.oneof(
  fc.constant({ producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false }),
  fc.record({
    producerId: fc.oneof(fc.nat(10_000), fc.nat(2 ** 50)),
    producerEpoch: fc.nat(32767),
    baseSequence: fc.nat(2 ** 31 - 1),
    isTransactional: fc.boolean(),
  }),
);

export function batchInputArb(options: BatchArbOptions = {}): fc.Arbitrary<BatchInput> {
  return fc
    .record({
      baseOffset: fc.option(fc.oneof(fc.nat(1000), fc.nat(2 ** 50)), { nil: undefined }),
      partitionLeaderEpoch: fc.option(fc.integer({ min: -1, max: 2 ** 31 - 1 }), { nil: undefined }),
      compression: fc.option(fc.constantFrom('none' as const, 'gzip' as const), { nil: undefined }),
      timestampType: fc.option(fc.constantFrom('CreateTime' as const, 'LogAppendTime' as const), { nil: undefined }),
      firstTimestamp: fc.oneof(fc.nat(2 ** 45), fc.constant(1_700_000_000_000)),
      producer: producerArb,
    })
    .chain(({ firstTimestamp, producer, ...batch }) =>
      fc
        .record({
          records: fc.array(recordInputArb(firstTimestamp, options), { minLength: options.allowEmpty === false ? 1 : 0, maxLength: options.maxRecords ?? 30 }),
          emptyLastOffsetDelta: fc.nat(50),
          maxTimestamp: fc.option(fc.nat(2 ** 45), { nil: undefined, freq: 3 }),
        })
        .map(({ records, emptyLastOffsetDelta, maxTimestamp }) => ({
          ...batch,
          ...producer,
          ...(maxTimestamp !== undefined && batch.timestampType === 'LogAppendTime' ? { maxTimestamp } : {}),
          ...(records.length === 0 ? { lastOffsetDelta: emptyLastOffsetDelta } : {}),
          records,
        })),
    );
}

/** The batch `input` must decode to, by the defaults documented on BatchInput. */
export function expectedBatch(input: BatchInput): Omit<RecordBatch, 'sizeInBytes' | 'crc' | 'attributes'> {
  const count = input.records.length;
  const baseTimestamp = input.baseTimestamp ?? input.records[0]?.timestamp ?? (count === 0 ? -1 : 0);
  const recordTimestamps = input.records.map((r) => r.timestamp ?? baseTimestamp);
  // MemoryRecordsBuilder starts maxTimestamp at NO_TIMESTAMP (-1)
  const maxTimestamp = input.maxTimestamp ?? (count === 0 ? baseTimestamp : Math.max(-1, ...recordTimestamps));
  const baseOffset = input.baseOffset ?? 0;
  const timestampType = input.timestampType ?? 'CreateTime';
  const lastOffsetDelta = input.lastOffsetDelta ?? Math.max(0, count - 1);
  return {
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    magic: 2,
    crcValid: true,
    compression: input.compression ?? 'none',
    timestampType,
    isTransactional: input.isTransactional ?? false,
    isControl: input.isControl ?? false,
    hasDeleteHorizon: false,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: input.producerId ?? -1,
    producerEpoch: input.producerEpoch ?? -1,
    baseSequence: input.baseSequence ?? -1,
    recordsCount: count,
    records: input.records.map((r, i) => ({
      offset: baseOffset + i,
      timestamp: timestampType === 'LogAppendTime' ? maxTimestamp : (recordTimestamps[i] as number),
      key: r.key,
      value: r.value,
      headers: r.headers ?? [],
    })),
  };
}

/** Every field where `decoded` differs from what `input` should decode to ([] = equal). */
export function batchDifferences(input: BatchInput, decoded: RecordBatch): string[] {
  const expected = expectedBatch(input);
  const differences: string[] = [];
  for (const [field, want] of Object.entries(expected)) {
    if (field === 'records') continue;
    const got = (decoded as unknown as { [k: string]: unknown })[field];
    if (got !== want) differences.push(`${field}: expected ${String(want)}, got ${String(got)}`);
  }
  if (decoded.records.length !== expected.records.length) {
    differences.push(`records: expected ${expected.records.length}, got ${decoded.records.length}`);
  }
  expected.records.forEach((want, i) => {
    const got = decoded.records[i];
    if (got === undefined) return;
    if (got.offset !== want.offset) differences.push(`records[${i}].offset: expected ${want.offset}, got ${got.offset}`);
    if (got.timestamp !== want.timestamp) differences.push(`records[${i}].timestamp: expected ${want.timestamp}, got ${got.timestamp}`);
    if (!sameBytes(got.key, want.key)) differences.push(`records[${i}].key differs`);
    if (!sameBytes(got.value, want.value)) differences.push(`records[${i}].value differs`);
    if (!sameHeaders(got.headers, want.headers)) differences.push(`records[${i}].headers differ`);
  });
  return differences;
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameHeaders(a: readonly RecordHeader[], b: readonly RecordHeader[]): boolean {
  return a.length === b.length && a.every((h, i) => h.key === b[i]?.key && sameBytes(h.value, b[i]?.value ?? null));
}

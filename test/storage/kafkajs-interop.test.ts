/**
 * Cross-check of the RecordBatch v2 codec against kafkajs 2.2.4, an independent
 * implementation that talks to real brokers: kafkajs encodes, we decode (and produce the
 * same bytes); we encode, kafkajs decodes; our COMMIT/ABORT markers drive kafkajs's own
 * read_committed filter the way a broker's markers do.
 *
 * kafkajs conventions (`recordBatch/v0/index.js`): a producer without an id writes
 * pid -1 with epoch 0 and sequence 0 (the Java client writes -1/-1/-1), partition leader
 * epoch 0, CreateTime only, headers as an object keyed by name (so duplicates group
 * together, and a null header value cannot be encoded: `Buffer.byteLength(null)` throws).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBatch, decodeBatch, encodeBatch, encodeEndTxnMarker } from '../../src/storage/record-batch.ts';
import type { BatchInput, RecordHeader } from '../../src/storage/records.ts';
import { batchDifferences, batchInputArb, expectedBatch } from './record-batch.arbitraries.ts';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkaJsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const kafkaJsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkaJsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder.js');
const KafkaJsBatch = require('kafkajs/src/consumer/batch.js');
const Long = require('kafkajs/src/utils/long.js');

type Headers = { [key: string]: Buffer | null | (Buffer | null)[] };

interface KafkaJsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  isControlRecord: boolean;
}

interface KafkaJsDecodedBatch {
  firstOffset: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  firstTimestamp: string;
  maxTimestamp: string;
  timestampType: number;
  records: KafkaJsDecodedRecord[];
}

const buffer = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes));

/** kafkajs's header object: keys in first-appearance order, duplicates as arrays. */
function toKafkaJsHeaders(headers: readonly RecordHeader[]): Headers {
  const object: Headers = {};
  for (const { key, value } of headers) {
    const existing = object[key];
    const v = buffer(value);
    object[key] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
  }
  return object;
}

/** The header list kafkajs actually writes for `headers`: grouped by key. */
function groupedHeaders(headers: readonly RecordHeader[]): RecordHeader[] {
  const keys = [...new Set(headers.map((h) => h.key))];
  return keys.flatMap((key) => headers.filter((h) => h.key === key));
}

/** The input as kafkajs will write it: its producer conventions, CreateTime, grouped headers, resolved timestamps. */
function asKafkaJsWrites(input: BatchInput): BatchInput {
  const expected = expectedBatch(input);
  const hasProducer = (input.producerId ?? -1) >= 0;
  return {
    ...input,
    timestampType: 'CreateTime',
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? 0,
    producerEpoch: hasProducer ? input.producerEpoch : 0,
    baseSequence: hasProducer ? input.baseSequence : 0,
    baseTimestamp: expected.baseTimestamp,
    maxTimestamp: expected.maxTimestamp,
    records: input.records.map((r, i) => ({ ...r, timestamp: expected.records[i]?.timestamp, headers: groupedHeaders(r.headers ?? []) })),
  };
}

async function kafkaJsEncode(input: BatchInput): Promise<Uint8Array> {
  const expected = expectedBatch(input);
  const records = input.records.map((r, i) =>
    kafkaJsRecord({
      offsetDelta: i,
      timestampDelta: (expected.records[i]?.timestamp as number) - expected.baseTimestamp,
      key: buffer(r.key),
      value: buffer(r.value),
      headers: toKafkaJsHeaders(r.headers ?? []),
    }),
  );
  const batch = await KafkaJsRecordBatch({
    compression: input.compression === 'gzip' ? 1 : 0,
    firstOffset: Long.fromValue(expected.baseOffset),
    firstTimestamp: expected.baseTimestamp,
    maxTimestamp: expected.maxTimestamp,
    partitionLeaderEpoch: expected.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: expected.isTransactional,
    producerId: Long.fromValue(expected.producerId),
    producerEpoch: expected.producerEpoch,
    firstSequence: expected.baseSequence,
    records,
  });
  return new Uint8Array(batch.buffer);
}

async function kafkaJsDecode(bytes: Uint8Array): Promise<KafkaJsDecodedBatch> {
  return kafkaJsDecodeBatch(new KafkaJsDecoder(Buffer.from(bytes)));
}

/** Differences between what kafkajs decoded and what `input` should decode to. */
function kafkaJsDifferences(input: BatchInput, got: KafkaJsDecodedBatch): string[] {
  const want = expectedBatch(input);
  const differences: string[] = [];
  const same = (field: string, a: unknown, b: unknown) => {
    if (a !== b) differences.push(`${field}: kafkajs ${String(a)}, expected ${String(b)}`);
  };
  same('firstOffset', got.firstOffset, String(want.baseOffset));
  same('partitionLeaderEpoch', got.partitionLeaderEpoch, want.partitionLeaderEpoch);
  same('inTransaction', got.inTransaction, want.isTransactional);
  same('isControlBatch', got.isControlBatch, want.isControl);
  same('lastOffsetDelta', got.lastOffsetDelta, want.lastOffsetDelta);
  same('producerId', got.producerId, String(want.producerId));
  same('producerEpoch', got.producerEpoch, want.producerEpoch);
  same('firstSequence', got.firstSequence, want.baseSequence);
  same('firstTimestamp', got.firstTimestamp, String(want.baseTimestamp));
  same('maxTimestamp', got.maxTimestamp, String(want.maxTimestamp));
  same('timestampType', got.timestampType, want.timestampType === 'LogAppendTime' ? 1 : 0);
  same('records', got.records.length, want.records.length);
  want.records.forEach((r, i) => {
    const g = got.records[i];
    if (g === undefined) return;
    same(`records[${i}].offset`, g.offset, String(r.offset));
    same(`records[${i}].timestamp`, g.timestamp, String(r.timestamp));
    same(`records[${i}].key`, g.key?.toString('hex') ?? null, buffer(r.key)?.toString('hex') ?? null);
    same(`records[${i}].value`, g.value?.toString('hex') ?? null, buffer(r.value)?.toString('hex') ?? null);
    same(`records[${i}].headers`, JSON.stringify(g.headers), JSON.stringify(toKafkaJsHeaders(r.headers)));
  });
  return differences;
}

describe('kafkajs encodes, we decode', () => {
  it('reads every field of kafkajs batches and writes the same bytes (keys, null keys, headers, idempotent, transactional, gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(batchInputArb({ nullHeaderValues: false, simpleHeaderKeys: true, allowEmpty: false }), async (generated) => {
        const input = asKafkaJsWrites(generated);
        const theirs = await kafkaJsEncode(input);
        expect(checkBatch(theirs, 0).kind).toBe('valid'); // kafkajs's CRC passes our check
        expect(batchDifferences(input, decodeBatch(theirs))).toEqual([]);
        expect(encodeBatch(input)).toEqual(theirs); // same zlib underneath, so gzip too
      }),
      { numRuns: 150 },
    );
  });

  it('explicit cases: a null key, duplicate headers, an idempotent and a transactional producer, gzip', async () => {
    const te = new TextEncoder();
    const cases: BatchInput[] = [
      { records: [{ key: null, value: te.encode('v'), timestamp: 1 }] },
      { records: [{ key: te.encode('k'), value: te.encode('v'), timestamp: 1, headers: [{ key: 'a', value: te.encode('1') }, { key: 'a', value: te.encode('2') }, { key: 'b', value: new Uint8Array(0) }] }] },
      { producerId: 4004, producerEpoch: 0, baseSequence: 0, records: [0, 1, 2].map((i) => ({ key: te.encode(`key-${i}`), value: te.encode(`value-${i}`), timestamp: 1000 + i })) },
      { producerId: 103000, producerEpoch: 2, baseSequence: 4, isTransactional: true, partitionLeaderEpoch: 118, baseOffset: 4, records: [{ key: null, value: te.encode('x'), timestamp: 5 }, { key: null, value: te.encode('y'), timestamp: 6 }] },
      { compression: 'gzip', records: [0, 1, 2].map((i) => ({ key: te.encode(`key-${i}`), value: te.encode('v'.repeat(300)), timestamp: 7 })) },
    ];
    for (const generated of cases) {
      const input = asKafkaJsWrites(generated);
      const theirs = await kafkaJsEncode(input);
      const ours = decodeBatch(theirs);
      expect(batchDifferences(input, ours)).toEqual([]);
      expect(encodeBatch(input)).toEqual(theirs);
    }
    // kafkajs's convention for "no producer": pid -1 with epoch 0 and sequence 0.
    const plain = decodeBatch(await kafkaJsEncode(asKafkaJsWrites(cases[0] as BatchInput)));
    expect([plain.producerId, plain.producerEpoch, plain.baseSequence, plain.partitionLeaderEpoch]).toEqual([-1, 0, 0, 0]);
  });

  it('the cross-check has teeth: kafkajs bytes do not match a batch that differs in one field', async () => {
    const input = asKafkaJsWrites({ producerId: 9, producerEpoch: 1, baseSequence: 0, records: [{ key: null, value: new Uint8Array([1]), timestamp: 3 }] });
    const theirs = await kafkaJsEncode(input);
    expect(batchDifferences({ ...input, baseSequence: 1 }, decodeBatch(theirs))).toEqual(['baseSequence: expected 1, got 0']);
    expect(encodeBatch({ ...input, baseSequence: 1 })).not.toEqual(theirs);
  });
});

describe('we encode, kafkajs decodes', () => {
  it('kafkajs reads every field of our batches (null header values, LogAppendTime, empty batches included)', async () => {
    await fc.assert(
      fc.asyncProperty(batchInputArb({ simpleHeaderKeys: true }), async (input) => {
        expect(kafkaJsDifferences(input, await kafkaJsDecode(encodeBatch(input)))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('the checker has teeth: it reports a batch whose producer epoch differs', async () => {
    const input: BatchInput = { producerId: 1, producerEpoch: 3, baseSequence: 0, records: [{ key: null, value: null }] };
    const decoded = await kafkaJsDecode(encodeBatch({ ...input, producerEpoch: 4 }));
    expect(kafkaJsDifferences(input, decoded)).toEqual(['producerEpoch: kafkajs 4, expected 3']);
  });

  it('our ABORT and COMMIT markers look to kafkajs like the broker\'s (aborted.js / committed.js fixtures)', async () => {
    for (const [type, key] of [['ABORT', '00000000'], ['COMMIT', '00000001']] as const) {
      const marker = encodeEndTxnMarker({ type, coordinatorEpoch: 117, producerId: 103000, producerEpoch: 2, baseOffset: 6, partitionLeaderEpoch: 118, timestamp: 1_600_000_000_000 });
      const decoded = await kafkaJsDecode(marker);
      expect(decoded).toMatchObject({ firstOffset: '6', producerId: '103000', producerEpoch: 2, firstSequence: -1, inTransaction: true, isControlBatch: true, partitionLeaderEpoch: 118 });
      expect(decoded.records).toHaveLength(1);
      expect(decoded.records[0]?.isControlRecord).toBe(true);
      expect(decoded.records[0]?.key?.toString('hex')).toBe(key);
      expect(decoded.records[0]?.value?.toString('hex')).toBe('000000000075');
    }
  });

  it('kafkajs\'s read_committed filter ends an aborted transaction exactly at our ABORT marker', async () => {
    const te = new TextEncoder();
    const txn = (baseOffset: number) => encodeBatch({ baseOffset, producerId: 103000, producerEpoch: 2, baseSequence: baseOffset, isTransactional: true, records: [{ key: null, value: te.encode(`t${baseOffset}`) }, { key: null, value: te.encode(`t${baseOffset + 1}`) }] });
    const marker = (type: 'ABORT' | 'COMMIT', baseOffset: number) => encodeEndTxnMarker({ type, coordinatorEpoch: 117, producerId: 103000, producerEpoch: 2, baseOffset, timestamp: 1 });
    const plain = encodeBatch({ baseOffset: 10, records: [{ key: null, value: te.encode('plain') }] });
    // The broker lists the aborted transaction (pid 103000 from offset 4) in the Fetch response.
    const visible = async (firstMarker: 'ABORT' | 'COMMIT') => {
      const segment = [txn(4), marker(firstMarker, 6), txn(7), marker('COMMIT', 9), plain];
      const messages = (await Promise.all(segment.map(kafkaJsDecode))).flatMap((b) => b.records);
      const batch = new KafkaJsBatch('topic', '4', { partition: 0, highWatermark: '11', messages, abortedTransactions: [{ producerId: '103000', firstOffset: '4' }] });
      return (batch.messages as KafkaJsDecodedRecord[]).map((m) => m.value?.toString());
    };
    expect(await visible('ABORT')).toEqual(['t7', 't8', 'plain']);
    // Twin: were the marker not recognised as ABORT, the next (committed) transaction would be lost too.
    expect(await visible('COMMIT')).toEqual(['plain']);
  });
});

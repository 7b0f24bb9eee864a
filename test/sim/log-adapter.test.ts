import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { markerBatch } from '../../src/machines/txn-partition.ts';
import { placeBatch, type LogBatch } from '../../src/protocol/log.ts';
import { batchFromRecordBatch, batchToBytes } from '../../src/sim/log-adapter.ts';
import { checkBatch, decodeBatch } from '../../src/storage/record-batch.ts';
import { DEFAULT_LOG_CONFIG, PartitionLog } from '../../src/storage/partition-log.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';

const dataBatch = fc.record({
  producerId: fc.integer({ min: -1, max: 1000 }),
  producerEpoch: fc.integer({ min: 0, max: 5 }),
  isTransactional: fc.boolean(),
  values: fc.array(fc.string(), { minLength: 1, maxLength: 4 }),
  key: fc.option(fc.string(), { nil: null }),
  baseOffset: fc.nat(1000),
  epoch: fc.nat(10),
}).map(({ producerId, producerEpoch, isTransactional, values, key, baseOffset, epoch }): LogBatch =>
  placeBatch(
    {
      baseOffset: 0,
      lastOffset: values.length - 1,
      partitionLeaderEpoch: -1,
      producerId,
      producerEpoch: producerId < 0 ? -1 : producerEpoch,
      baseSequence: producerId < 0 ? -1 : 0,
      isTransactional: producerId >= 0 && isTransactional,
      isControl: false,
      records: values.map((value) => ({ key, value })),
    },
    baseOffset,
    epoch,
  ),
);

describe('log adapter: the abstract LogBatch and RecordBatch v2 bytes', () => {
  it('data batches round-trip through valid bytes', () => {
    fc.assert(
      fc.property(dataBatch, (batch) => {
        const bytes = batchToBytes(batch, 1_000);
        expect(checkBatch(bytes, 0).kind).toBe('valid');
        expect(batchFromRecordBatch(decodeBatch(bytes))).toEqual(batch);
      }),
      { numRuns: 200 },
    );
  });

  it('a marker is written as Kafka\'s 78-byte control batch and read back', () => {
    for (const type of ['COMMIT', 'ABORT'] as const) {
      const marker = placeBatch(markerBatch(7, 3, type, 117), 42, 2);
      const bytes = batchToBytes(marker, 5);
      expect(bytes.length).toBe(78);
      const decoded = decodeBatch(bytes);
      expect(decoded.isControl && decoded.isTransactional).toBe(true);
      expect(decoded.records[0]?.key).toEqual(new Uint8Array([0, 0, 0, type === 'COMMIT' ? 1 : 0]));
      expect(decoded.records[0]?.value).toEqual(new Uint8Array([0, 0, 0, 0, 0, 117]));
      expect(batchFromRecordBatch(decoded)).toEqual(marker);
    }
  });

  it('an ABORT marker written by the sim lands in the segment\'s aborted-transaction index; a COMMIT does not', () => {
    const aborted = (type: 'COMMIT' | 'ABORT') => {
      const fs = new SimFileSystem();
      fs.mkdirp('/data');
      const { log } = PartitionLog.open(fs, '/data/orders-0', { ...DEFAULT_LOG_CONFIG, topic: 'orders', partition: 0 });
      const data = placeBatch({ ...markerBatch(7, 3, type, 1), isControl: false, baseSequence: 0, records: [{ key: null, value: 'x' }] }, 0, 0);
      log.appendAsFollower(batchToBytes(data, 0));
      log.appendAsFollower(batchToBytes(placeBatch(markerBatch(7, 3, type, 1), 1, 0), 0));
      return log.producerState().abortedTxns;
    };
    expect(aborted('ABORT')).toEqual([expect.objectContaining({ producerId: 7, firstOffset: 0, lastOffset: 1 })]);
    expect(aborted('COMMIT')).toEqual([]);
  });

  it('refuses a control batch that is not a COMMIT/ABORT marker (the twin: garbage is not written as a marker)', () => {
    const bogus = placeBatch({ ...markerBatch(7, 3, 'COMMIT', 1), records: [{ key: 'LEADER_CHANGE', value: '0' }] }, 0, 0);
    expect(() => batchToBytes(bogus, 0)).toThrow(/not a COMMIT\/ABORT marker/);
  });
});

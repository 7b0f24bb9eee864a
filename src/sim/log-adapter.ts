/**
 * The refinement seam between the machines' abstract log (`LogBatch`: string keys and
 * values) and Kafka's bytes (RecordBatch v2, src/storage/record-batch.ts). Values are
 * UTF-8; the batch timestamp is the simulated clock's, so the bytes are deterministic.
 */
import { assert } from '../core/assert.ts';
import type { LogBatch } from '../protocol/log.ts';
import { encodeBatch } from '../storage/record-batch.ts';
import type { RecordBatch } from '../storage/records.ts';
import type { LogEntry } from '../../model/view.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function batchToBytes(batch: LogBatch, timestampMs: number): Uint8Array {
  assert(batch.records.length > 0, 'an empty batch has no bytes');
  return encodeBatch({
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    baseTimestamp: timestampMs,
    producerId: batch.producerId,
    producerEpoch: batch.producerId < 0 ? -1 : batch.producerEpoch,
    baseSequence: batch.baseSequence,
    records: batch.records.map((r) => ({ key: r.key === null ? null : encoder.encode(r.key), value: encoder.encode(r.value) })),
  });
}

export function batchFromRecordBatch(batch: RecordBatch): LogBatch {
  assert(batch.crcValid, `batch at ${batch.baseOffset} has a bad CRC`);
  const result: LogBatch = {
    baseOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
    records: batch.records.map((r) => ({
      key: r.key === null ? null : decoder.decode(r.key),
      value: r.value === null ? '' : decoder.decode(r.value),
    })),
  };
  assert(result.lastOffset === result.baseOffset + result.records.length - 1, `batch at ${batch.baseOffset}: offsets do not match its records`);
  return result;
}

/** The per-record view the invariants judge (model/view.ts). */
export function entriesOf(batch: LogBatch): LogEntry[] {
  return batch.records.map((record, i) => ({
    offset: batch.baseOffset + i,
    leaderEpoch: batch.partitionLeaderEpoch,
    value: record.value,
    producerId: batch.producerId,
    sequence: batch.baseSequence < 0 ? -1 : batch.baseSequence + i,
  }));
}

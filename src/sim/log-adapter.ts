/**
 * The refinement seam between the machines' abstract log (`LogBatch`: string keys and
 * values) and Kafka's bytes (RecordBatch v2, src/storage/record-batch.ts). Values are
 * UTF-8; the batch timestamp is the simulated clock's, so the bytes are deterministic.
 */
import { assert } from '../core/assert.ts';
import type { LogBatch } from '../protocol/log.ts';
import { markerOf } from '../machines/txn-partition.ts';
import { decodeEndTxnMarker, encodeBatch, encodeEndTxnMarker } from '../storage/record-batch.ts';
import type { RecordBatch } from '../storage/records.ts';
import type { LogEntry } from '../../model/view.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function batchToBytes(batch: LogBatch, timestampMs: number): Uint8Array {
  assert(batch.records.length > 0, 'an empty batch has no bytes');
  if (batch.isControl) return markerToBytes(batch, timestampMs);
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

/** A COMMIT/ABORT marker becomes Kafka's 78-byte control batch (§1.3), not UTF-8 records. */
function markerToBytes(batch: LogBatch, timestampMs: number): Uint8Array {
  const marker = markerOf(batch);
  assert(marker !== null, `control batch at ${batch.baseOffset} is not a COMMIT/ABORT marker`);
  return encodeEndTxnMarker({
    type: marker.type,
    coordinatorEpoch: marker.coordinatorEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    timestamp: timestampMs,
  });
}

function recordsOf(batch: RecordBatch): LogBatch['records'] {
  if (batch.isControl) {
    const record = batch.records[0];
    assert(batch.records.length === 1 && record !== undefined, `control batch at ${batch.baseOffset} holds one record`);
    const marker = decodeEndTxnMarker(record);
    return [{ key: marker.type, value: String(marker.coordinatorEpoch) }];
  }
  return batch.records.map((r) => ({
    key: r.key === null ? null : decoder.decode(r.key),
    value: r.value === null ? '' : decoder.decode(r.value),
  }));
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
    records: recordsOf(batch),
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

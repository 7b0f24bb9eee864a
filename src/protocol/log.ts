/**
 * The abstract log the machines reason about: one `LogBatch` per RecordBatch v2 in a
 * partition, with Kafka's header field names but records reduced to string keys and
 * values. The sim converts a `LogBatch` to and from real RecordBatch v2 bytes
 * (src/storage/record-batch.ts); the machines never see bytes.
 */
export interface LogRecord {
  readonly key: string | null;
  readonly value: string;
}

export interface LogBatch {
  /** Assigned by the leader on append; a producer sends 0. */
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Stamped by the leader on append; a producer sends -1. */
  readonly partitionLeaderEpoch: number;
  /** -1 = no producer id (idempotence off). */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 = none. The sequence of record i is baseSequence + i. */
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly records: readonly LogRecord[];
}

export const NO_PRODUCER_ID = -1;
export const NO_SEQUENCE = -1;

/** The sequence of the batch's last record (Kafka wraps at Int.MAX; we never get there). */
export function lastSequence(batch: LogBatch): number {
  return batch.baseSequence < 0 ? NO_SEQUENCE : batch.baseSequence + batch.records.length - 1;
}

/** `batch` placed at `baseOffset` in leader epoch `partitionLeaderEpoch`. */
export function placeBatch(batch: LogBatch, baseOffset: number, partitionLeaderEpoch: number): LogBatch {
  return {
    ...batch,
    baseOffset,
    lastOffset: baseOffset + batch.records.length - 1,
    partitionLeaderEpoch,
  };
}

/** A topic-partition's name as Kafka writes it in directory names: `orders-0`. */
export function topicPartitionName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

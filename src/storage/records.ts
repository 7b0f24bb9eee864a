/**
 * The data types of Kafka's RecordBatch v2 (magic 2), as `clients/.../record/
 * DefaultRecordBatch.java` and `DefaultRecord.java` define them. The codec that turns them
 * into bytes is `record-batch.ts`; every integer field keeps Kafka's name.
 *
 * int64 fields (offsets, timestamps, producerId) are JS numbers: every value this project
 * writes is far below 2^53, and the decoder rejects a value outside the safe-integer range
 * with a clear error instead of rounding it.
 */

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type ControlType = 'ABORT' | 'COMMIT';

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** One record as a reader sees it: absolute offset and timestamp already resolved. */
export interface Record {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

/** A decoded batch: every header field of the v2 format, plus its records. */
export interface RecordBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** batchLength + 12 (LOG_OVERHEAD): the bytes this batch takes in a segment. */
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  /** The CRC as stored in the batch, unsigned. */
  readonly crc: number;
  /** Whether `crc` equals the CRC-32C of bytes 21..end. */
  readonly crcValid: boolean;
  readonly attributes: number;
  readonly compression: CompressionType;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly hasDeleteHorizon: boolean;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
  readonly records: readonly Record[];
}

/** A record to encode; timestamp defaults to the batch's baseTimestamp. */
export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  readonly timestamp?: number;
}

/** What `encodeBatch` needs; omitted fields take the Java client's defaults. */
export interface BatchInput {
  readonly baseOffset?: number; // default 0 (the leader assigns it on append)
  readonly partitionLeaderEpoch?: number; // default -1
  readonly compression?: 'none' | 'gzip'; // we write only these two
  readonly timestampType?: TimestampType; // default CreateTime
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly baseTimestamp?: number; // default: the first record's timestamp (-1 if there are no records)
  /** Default: the largest record timestamp. Under LogAppendTime, the broker's append time. */
  readonly maxTimestamp?: number;
  /** Only for a batch with no records (as the log cleaner leaves them); default count - 1. */
  readonly lastOffsetDelta?: number;
  readonly producerId?: number; // default -1
  readonly producerEpoch?: number; // default -1
  readonly baseSequence?: number; // default -1
  readonly records: readonly RecordInput[];
}

/** A COMMIT or ABORT marker as its control record carries it (§1.3 of kafka-internals). */
export interface EndTxnMarker {
  readonly type: ControlType;
  readonly coordinatorEpoch: number;
}

export const LOG_OVERHEAD = 12; // baseOffset int64 + batchLength int32
export const RECORD_BATCH_OVERHEAD = 61; // the v2 header, up to and including recordsCount
export const HEADER_SIZE_UP_TO_MAGIC = 17; // LogSegment.recover stops if fewer bytes remain
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

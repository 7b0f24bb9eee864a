/**
 * One partition's log on segment files: what a replica machine's storage commands
 * (append, flush, truncate, checkpoint) are carried out on, and what a restart recovers.
 *
 * Layout (Kafka's, `kafka-internals.md` §1.4): the partition directory
 * `<logDir>/<topic>-<partition>` holds `N.log`, `N.index`, `N.txnindex`, `N.snapshot` and
 * `leader-epoch-checkpoint`; the log dir (its parent) holds `recovery-point-offset-checkpoint`
 * and `replication-offset-checkpoint`, shared by every partition of that log dir (each
 * write replaces only this partition's line).
 *
 * The interface is kept small on purpose: offsets in, offsets out, bytes as Kafka stores
 * them. Validation of what a producer may append (sequence numbers, epochs, transactions)
 * belongs to the replica machine, not here; the log only records what it is given and
 * rebuilds the producer state from it (as `ProducerAppendInfo` with origin REPLICATION).
 */
import type { RecordBatch } from './records.ts';

/** Kafka's topic-level configs this log honours (names as in `TopicConfig`). */
export interface LogConfig {
  readonly topic: string;
  readonly partition: number;
  /** segment.bytes: roll when an append would make the active segment exceed this. */
  readonly segmentBytes: number;
  /** index.interval.bytes: an offset-index entry after more than this many bytes. */
  readonly indexIntervalBytes: number;
  /** flush.messages: fsync after this many appended records; Number.MAX_SAFE_INTEGER = never. */
  readonly flushMessages: number;
}

export interface AppendResult {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** One entry of the leader-epoch cache (`leader-epoch-checkpoint` line `epoch startOffset`). */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** OffsetsForLeaderEpoch's answer; UNDEFINED_EPOCH(-1)/UNDEFINED_EPOCH_OFFSET(-1) when unknown. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

/** Metadata of one appended batch, kept per producer for duplicate detection. */
export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

/** A producer's state as `ProducerStateManager` holds it. */
export interface ProducerState {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  /** First offset of the open transaction, -1 if none. */
  readonly currentTxnFirstOffset: number;
  /** maxTimestamp of the producer's last batch or marker, -1 if unknown. */
  readonly lastTimestamp: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN (5); fewer after a reload from a snapshot. */
  readonly batches: readonly BatchMetadata[];
}

/** An aborted transaction as `.txnindex` stores it (`AbortedTxn.java`). */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The ABORT marker's offset. */
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** What the replica machine is re-seeded with after a restart. */
export interface ProducerStateSnapshot {
  /** The state reflects the log up to (excluding) this offset: the log end offset. */
  readonly mapEndOffset: number;
  /** Sorted by producerId. */
  readonly producers: readonly ProducerState[];
  /** Open transactions, sorted by firstOffset. */
  readonly ongoingTxns: readonly { readonly producerId: number; readonly firstOffset: number }[];
  /** Aborted transactions from the txn indexes, sorted by lastOffset. */
  readonly abortedTxns: readonly AbortedTxn[];
}

/** What recovery (LogLoader) found and did. */
export interface RecoveryReport {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Bytes cut from the log: torn tails, corrupt batches and everything after them. */
  readonly truncatedBytes: number;
  /** Segment files (`N.log`) deleted because they followed a truncation point. */
  readonly deletedSegments: readonly string[];
  /** Batches validated during this recovery. */
  readonly batches: number;
  /** The offset recovery started validating from (the recovery point used). */
  readonly recoveredFrom: number;
  readonly cleanShutdown: boolean;
  /** The high watermark from replication-offset-checkpoint, clamped to the log end offset. */
  readonly highWatermark: number;
  /** One line per thing found wrong and repaired (torn tail, bad CRC, garbled checkpoint...). */
  readonly problems: readonly string[];
}

/** The operations a host performs on one partition's log (implemented by `PartitionLog`). */
export interface PartitionLogApi {
  logStartOffset(): number;
  logEndOffset(): number;
  /** Everything below this offset is fsynced. */
  recoveryPoint(): number;
  /**
   * Leader append of one or more concatenated batches: assigns offsets from the log end
   * offset, stamps partitionLeaderEpoch (neither is under the CRC), records the epoch in the
   * cache, rolls at segment.bytes, fsyncs per flush.messages.
   */
  appendAsLeader(batches: Uint8Array, leaderEpoch: number): AppendResult;
  /** Follower append: the batches carry their offsets and epochs; the first must start at the log end offset. */
  appendAsFollower(batches: Uint8Array): AppendResult;
  /** Decoded batches holding offsets ≥ fromOffset, at least one, then up to maxBytes. */
  read(fromOffset: number, maxBytes?: number): RecordBatch[];
  /** The stored bytes of the same batches (for Fetch responses). */
  readRaw(fromOffset: number, maxBytes?: number): Uint8Array[];
  /** Remove every offset ≥ offset (durably): cut a segment, delete later ones, fix indexes and caches. */
  truncateTo(offset: number): void;
  /** fsync everything; recovery point := log end offset; write recovery-point-offset-checkpoint. */
  flush(): void;
  leaderEpochCache(): readonly EpochEntry[];
  /** Record that `epoch` starts at `startOffset` (a new leader calls it at its log end offset). */
  assignEpoch(epoch: number, startOffset: number): void;
  /** KIP-279: the largest cached epoch ≤ epoch and where it ends. */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  producerState(): ProducerStateSnapshot;
  /** Write replication-offset-checkpoint for this partition. */
  writeHighWatermark(highWatermark: number): void;
  /** Clean shutdown: flush, snapshot producer state, write the clean-shutdown marker. */
  close(): void;
}

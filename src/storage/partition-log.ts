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
import { assert, InputError } from '../core/assert.ts';
import { dirname, type FileSystem, joinPath } from './fs.ts';
import type { RecordBatch } from './records.ts';
import { type BatchHeader, checkBatch, decodeBatch, readBatchHeader, setBaseOffset, setPartitionLeaderEpoch } from './record-batch.ts';
import {
  CheckpointError,
  LEADER_EPOCH_CHECKPOINT,
  readOffsetCheckpoint,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  writeLeaderEpochCheckpoint,
  writeOffsetCheckpoint,
} from './checkpoint.ts';
import { writeProducerSnapshot } from './producer-snapshot.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { ProducerStateManager } from './producer-state.ts';
import { applyToProducerState, LogSegment, type RecoveryVariant } from './segment.ts';
import { CLEAN_SHUTDOWN_FILE, deleteSegments, loadLog, rebuildProducerState, removeSnapshotsAbove } from './log-loader.ts';

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

/** Kafka's defaults, except flush.messages (which Kafka leaves at "never" too). */
export const DEFAULT_LOG_CONFIG: Omit<LogConfig, 'topic' | 'partition'> = {
  segmentBytes: 1024 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: Number.MAX_SAFE_INTEGER,
};

/**
 * The log itself (`UnifiedLog` + `LocalLog`). Deviations from Kafka, all on the safe side
 * and listed in spec/storage.md: the old segment is flushed synchronously on roll (Kafka
 * schedules it), truncations are fsynced at once, the recovery-point checkpoint is written
 * at every flush and roll (Kafka: every 60 s), and the clean-shutdown marker lives in the
 * partition directory.
 */
export class PartitionLog implements PartitionLogApi {
  private closed = false;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly config: LogConfig,
    private segments: LogSegment[],
    private recoveryPointOffset: number,
    private readonly epochCache: LeaderEpochCache,
    private producers: ProducerStateManager,
  ) {}

  /**
   * Load the log at `dir` (`<logDir>/<topic>-<partition>`), recovering it if needed.
   * `variant` other than 'kafka' is a deliberately broken recovery for the crash campaign.
   */
  static open(fs: FileSystem, dir: string, config: LogConfig, variant: RecoveryVariant = 'kafka'): { log: PartitionLog; recovery: RecoveryReport } {
    checkConfig(config);
    const existed = fs.exists(dir);
    const loaded = loadLog(fs, dir, config, variant);
    if (!existed) makeDirDurable(fs, dir);
    const log = new PartitionLog(fs, dir, config, loaded.segments, loaded.recoveryPoint, loaded.epochCache, loaded.producerState);
    return { log, recovery: loaded.report };
  }

  logStartOffset(): number {
    return this.firstSegment().baseOffset;
  }

  logEndOffset(): number {
    return this.activeSegment().nextOffset();
  }

  recoveryPoint(): number {
    return this.recoveryPointOffset;
  }

  appendAsLeader(batches: Uint8Array, leaderEpoch: number): AppendResult {
    this.checkOpen();
    assert(Number.isInteger(leaderEpoch) && leaderEpoch >= 0, `bad leader epoch ${leaderEpoch}`);
    const bytes = batches.slice(); // the caller's buffer is not stamped
    const firstOffset = this.logEndOffset();
    for (const position of this.framesOf(bytes, 'appendAsLeader')) {
      const frame = bytes.subarray(position, position + (readBatchHeader(bytes, position).sizeInBytes));
      setBaseOffset(frame, this.logEndOffset());
      setPartitionLeaderEpoch(frame, leaderEpoch);
      this.appendBatch(frame, readBatchHeader(frame, 0));
    }
    return this.finishAppend(firstOffset);
  }

  appendAsFollower(batches: Uint8Array): AppendResult {
    this.checkOpen();
    const bytes = batches.slice();
    const firstOffset = this.logEndOffset();
    const headers = this.framesOf(bytes, 'appendAsFollower').map((position) => ({ position, header: readBatchHeader(bytes, position) }));
    // All or nothing: every batch must continue the one before it, the first the log.
    let expected = firstOffset;
    for (const { position, header } of headers) {
      if (header.baseOffset !== expected) {
        throw new InputError(`appendAsFollower: batch at position ${position} starts at offset ${header.baseOffset}, expected ${expected} (the log ends at ${firstOffset})`);
      }
      expected = header.lastOffset + 1;
    }
    for (const { position, header } of headers) this.appendBatch(bytes.subarray(position, position + header.sizeInBytes), header);
    return this.finishAppend(firstOffset);
  }

  read(fromOffset: number, maxBytes?: number): RecordBatch[] {
    return this.readRaw(fromOffset, maxBytes).map((raw) => decodeBatch(raw, 0));
  }

  readRaw(fromOffset: number, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array[] {
    this.checkOpen();
    if (fromOffset < this.logStartOffset() || fromOffset > this.logEndOffset()) {
      throw new InputError(`OFFSET_OUT_OF_RANGE: offset ${fromOffset} is outside [${this.logStartOffset()}, ${this.logEndOffset()}]`);
    }
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const segment of this.segments) {
      if (segment.nextOffset() <= fromOffset) continue;
      for (const batch of segment.readRaw(Math.max(fromOffset, segment.baseOffset), out.length === 0 ? maxBytes : maxBytes - bytes)) {
        if (out.length > 0 && bytes + batch.length > maxBytes) return out;
        out.push(batch);
        bytes += batch.length;
      }
    }
    return out;
  }

  truncateTo(offset: number): void {
    this.checkOpen();
    assert(Number.isSafeInteger(offset) && offset >= 0, `bad truncation offset ${offset}`);
    if (offset >= this.logEndOffset()) return;
    if (offset < this.logStartOffset()) return this.truncateFullyAndStartAt(offset);
    const doomed = this.segments.filter((s) => s.baseOffset > offset);
    this.segments = this.segments.filter((s) => s.baseOffset <= offset);
    deleteSegments(this.fs, this.dir, doomed);
    this.activeSegment().truncateTo(offset);
    this.afterTruncation();
  }

  flush(): void {
    this.checkOpen();
    for (const segment of this.segments) {
      if (segment.nextOffset() > this.recoveryPointOffset || segment === this.activeSegment()) segment.flush();
    }
    this.recoveryPointOffset = this.logEndOffset();
    this.writeRecoveryPointCheckpoint();
  }

  leaderEpochCache(): readonly EpochEntry[] {
    return [...this.epochCache.list()];
  }

  assignEpoch(epoch: number, startOffset: number): void {
    this.checkOpen();
    if (this.epochCache.assign(epoch, startOffset)) this.writeEpochCheckpoint();
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochCache.endOffsetFor(epoch, this.logEndOffset());
  }

  producerState(): ProducerStateSnapshot {
    return this.producers.view(this.segments.flatMap((s) => s.txnIndex.entries()));
  }

  writeHighWatermark(highWatermark: number): void {
    this.checkOpen();
    assert(Number.isSafeInteger(highWatermark) && highWatermark >= 0, `bad high watermark ${highWatermark}`);
    updateOffsetCheckpoint(this.fs, joinPath(dirname(this.dir), REPLICATION_OFFSET_CHECKPOINT), this.config, highWatermark);
  }

  close(): void {
    this.checkOpen();
    this.flush();
    writeProducerSnapshot(this.fs, this.dir, this.logEndOffset(), this.producers.toSnapshotEntries());
    const marker = joinPath(this.dir, CLEAN_SHUTDOWN_FILE);
    this.fs.writeFile(marker, new Uint8Array(0));
    this.fs.fsync(marker);
    this.fs.fsyncDir(this.dir);
    this.closed = true;
  }

  // -------------------------------------------------------------------------------------

  /** Positions of the whole, valid batches of an append; anything else is bad input. */
  private framesOf(bytes: Uint8Array, what: string): number[] {
    const positions: number[] = [];
    for (let at = 0; at < bytes.length; ) {
      const check = checkBatch(bytes, at);
      if (check.kind !== 'valid') {
        throw new InputError(`${what}: CORRUPT_MESSAGE at position ${at}: ${check.kind === 'partial' ? 'incomplete batch' : check.reason}`);
      }
      if (check.header.sizeInBytes > this.config.segmentBytes) {
        throw new InputError(`${what}: RECORD_BATCH_TOO_LARGE: ${check.header.sizeInBytes} bytes exceed segment.bytes ${this.config.segmentBytes}`);
      }
      positions.push(at);
      at += check.header.sizeInBytes;
    }
    if (positions.length === 0) throw new InputError(`${what}: no batch to append`);
    return positions;
  }

  /** One batch, offsets stamped: roll if needed, epoch cache, segment, producer state, txn index. */
  private appendBatch(batch: Uint8Array, header: BatchHeader): void {
    this.maybeRoll(header.sizeInBytes);
    if (header.partitionLeaderEpoch >= 0) this.assignEpoch(header.partitionLeaderEpoch, header.baseOffset);
    const segment = this.activeSegment();
    segment.append(batch, header);
    applyToProducerState(this.producers, batch, 0, header, (txn) => segment.appendAbortedTxn(txn));
  }

  private finishAppend(firstOffset: number): AppendResult {
    const lastOffset = this.logEndOffset() - 1;
    assert(lastOffset >= firstOffset, 'an append added no offsets');
    if (this.logEndOffset() - this.recoveryPointOffset >= this.config.flushMessages) this.flush();
    return { firstOffset, lastOffset };
  }

  /** Roll when the append would push the active segment past segment.bytes (`LogSegment.shouldRoll`). */
  private maybeRoll(size: number): void {
    const active = this.activeSegment();
    if (active.size() === 0 || active.size() + size <= this.config.segmentBytes) return;
    const baseOffset = this.logEndOffset();
    active.flush(); // Kafka schedules this flush; done at once here.
    this.segments.push(LogSegment.create(this.fs, this.dir, baseOffset, this.config.indexIntervalBytes));
    writeProducerSnapshot(this.fs, this.dir, baseOffset, this.producers.toSnapshotEntries());
    this.fs.fsyncDir(this.dir); // the new segment's names (the snapshot write did it too; say it here)
    this.recoveryPointOffset = baseOffset;
    this.writeRecoveryPointCheckpoint();
  }

  /** After a truncation: epoch cache, producer state, recovery point all follow the new end. */
  private afterTruncation(): void {
    const end = this.logEndOffset();
    if (this.epochCache.truncateFromEnd(end)) this.writeEpochCheckpoint();
    removeSnapshotsAbove(this.fs, this.dir, end);
    this.producers = rebuildProducerState(this.fs, this.dir, this.segments);
    if (this.recoveryPointOffset > end) {
      this.recoveryPointOffset = end;
      this.writeRecoveryPointCheckpoint();
    }
  }

  /** `UnifiedLog.truncateFullyAndStartAt`: every segment goes; an empty one starts at `offset`. */
  private truncateFullyAndStartAt(offset: number): void {
    const doomed = this.segments;
    deleteSegments(this.fs, this.dir, doomed);
    removeSnapshotsAbove(this.fs, this.dir, -1);
    this.segments = [LogSegment.create(this.fs, this.dir, offset, this.config.indexIntervalBytes)];
    this.activeSegment().flush();
    this.fs.fsyncDir(this.dir);
    if (this.epochCache.truncateFromEnd(0)) this.writeEpochCheckpoint();
    this.producers = new ProducerStateManager(offset);
    this.recoveryPointOffset = offset;
    this.writeRecoveryPointCheckpoint();
  }

  private writeRecoveryPointCheckpoint(): void {
    updateOffsetCheckpoint(this.fs, joinPath(dirname(this.dir), RECOVERY_POINT_CHECKPOINT), this.config, this.recoveryPointOffset);
  }

  private writeEpochCheckpoint(): void {
    writeLeaderEpochCheckpoint(this.fs, joinPath(this.dir, LEADER_EPOCH_CHECKPOINT), this.epochCache.list());
  }

  private activeSegment(): LogSegment {
    const active = this.segments[this.segments.length - 1];
    assert(active !== undefined, 'a log always has an active segment');
    return active;
  }

  private firstSegment(): LogSegment {
    return this.segments[0] as LogSegment;
  }

  private checkOpen(): void {
    assert(!this.closed, `${this.dir}: log used after close()`);
  }
}

function checkConfig(config: LogConfig): void {
  const positive = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
  if (!positive(config.segmentBytes)) throw new InputError(`segment.bytes must be a positive integer, got ${config.segmentBytes}`);
  if (!Number.isSafeInteger(config.indexIntervalBytes) || config.indexIntervalBytes < 0) throw new InputError(`index.interval.bytes must be ≥ 0, got ${config.indexIntervalBytes}`);
  if (!positive(config.flushMessages)) throw new InputError(`flush.messages must be a positive integer, got ${config.flushMessages}`);
  if (!/^[a-zA-Z0-9._-]+$/.test(config.topic)) throw new InputError(`invalid topic name '${config.topic}'`);
  if (!Number.isInteger(config.partition) || config.partition < 0) throw new InputError(`invalid partition ${config.partition}`);
}

/**
 * A new directory's name is durable only once its parent is fsynced: the partition
 * directory's in the log dir, and the log dir's own (Kafka's LogManager flushes the
 * parent of a log dir it creates).
 */
function makeDirDurable(fs: FileSystem, dir: string): void {
  fs.fsyncDir(dirname(dir));
  fs.fsyncDir(dirname(dirname(dir)));
}

/**
 * Replace this partition's line of a log-dir checkpoint shared by all its partitions
 * (read, replace, write: temp + fsync + rename). A garbled file is replaced.
 */
export function updateOffsetCheckpoint(fs: FileSystem, path: string, tp: { topic: string; partition: number }, offset: number): void {
  let entries: { topic: string; partition: number; offset: number }[] = [];
  try {
    entries = readOffsetCheckpoint(fs, path) ?? [];
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
  }
  const others = entries.filter((e) => e.topic !== tp.topic || e.partition !== tp.partition);
  const all = [...others, { topic: tp.topic, partition: tp.partition, offset }];
  all.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  writeOffsetCheckpoint(fs, path, all);
}

/**
 * One broker's disk: a simulated file system holding its log dir, and the partition's
 * `PartitionLog` while the broker process is up. The replica machine's storage commands are
 * carried out here on segment files; a crash closes nothing (process) or also drops the
 * unsynced page cache (power loss); a restart runs Kafka's recovery (LogLoader) and hands
 * the machine what recovery kept.
 *
 * A mirror of the log's records (offset, epoch, value) is kept for the invariants, updated
 * with every command and re-read from the files after every recovery; `verifyMirror()`
 * compares it with what the files hold (the refinement check, run at the end of a history).
 */
import { assert } from '../core/assert.ts';
import type { Chooser } from '../core/prng.ts';
import type { LogBatch } from '../protocol/log.ts';
import type { StorageCommand } from '../protocol/storage.ts';
import { PartitionLog } from '../storage/partition-log.ts';
import type { EpochEntry, LogConfig, PartitionLogApi, ProducerStateSnapshot, RecoveryReport } from '../storage/partition-log.ts';
import { SimFileSystem } from '../storage/sim-fs.ts';
import type { LogEntry } from '../../model/view.ts';
import { batchFromRecordBatch, batchToBytes, entriesOf } from './log-adapter.ts';
import { chooserKeeping } from './power-loss-cut.ts';

/** What a restarted replica machine is seeded with: everything recovery rebuilt from disk. */
export interface RecoveredPartition {
  readonly recovery: RecoveryReport;
  readonly batches: readonly LogBatch[];
  readonly highWatermark: number;
  readonly leaderEpochCache: readonly EpochEntry[];
  readonly producerState: ProducerStateSnapshot;
  /** Records the log held when the process went down and recovery did not keep. */
  readonly lostEntries: number;
}

export interface CrashOutcome {
  readonly tornWrites: number;
}

const READ_ALL_BYTES = 1 << 30;

export class BrokerStorage {
  readonly fs = new SimFileSystem();
  private log: PartitionLogApi | undefined;
  private mirror: LogEntry[] = [];
  /** Records removed by truncate commands (a `sometimes` witness). */
  truncatedEntries = 0;
  /** Bumped by every change of the mirrored log (lets the runner skip re-judging an unchanged world). */
  version = 0;

  constructor(
    readonly logDir: string,
    readonly config: LogConfig,
  ) {}

  get partitionDir(): string {
    return `${this.logDir}/${this.config.topic}-${this.config.partition}`;
  }

  isOpen(): boolean {
    return this.log !== undefined;
  }

  /** Start (or restart) the broker's log: recovery, then read back everything it kept. */
  open(): RecoveredPartition {
    assert(this.log === undefined, 'open an already open log');
    this.provisionLogDir();
    const { log, recovery } = PartitionLog.open(this.fs, this.partitionDir, this.config);
    this.log = log;
    const batches = readAll(log);
    const before = this.mirror.length;
    this.mirror = batches.flatMap(entriesOf);
    this.version++;
    const lostEntries = Math.max(0, before - this.mirror.length);
    return {
      recovery,
      batches,
      highWatermark: Math.min(recovery.highWatermark, log.logEndOffset()),
      leaderEpochCache: log.leaderEpochCache(),
      producerState: log.producerState(),
      lostEntries,
    };
  }

  /**
   * The log dir exists, durably, before the broker first starts (an operator provisioned
   * the disk): create it and fsync every ancestor, so a power loss never takes it away.
   */
  private provisionLogDir(): void {
    if (this.fs.exists(this.logDir)) return;
    this.fs.mkdirp(this.logDir);
    const parts = this.logDir.split('/').filter((p) => p !== '');
    for (let i = 0; i < parts.length; i++) this.fs.fsyncDir('/' + parts.slice(0, i).join('/'));
  }

  entries(): readonly LogEntry[] {
    return this.mirror;
  }

  logEndOffset(): number {
    const last = this.mirror[this.mirror.length - 1];
    return last === undefined ? 0 : last.offset + 1;
  }

  /** Carry out one command of the replica machine, as UnifiedLog would. */
  perform(command: StorageCommand, nowMs: number): void {
    const log = this.log;
    assert(log !== undefined, `storage command ${command.type} on a broker that is down`);
    switch (command.type) {
      case 'append':
        return this.append(log, command.batch, nowMs);
      case 'flush':
        return log.flush();
      case 'truncate':
        return this.truncate(log, command.offset);
      case 'checkpoint':
        if (command.checkpoint === 'replication-offset-checkpoint') return log.writeHighWatermark(command.highWatermark);
        return this.syncEpochCache(log, command.entries);
    }
  }

  /** The process dies: the log object is gone, the files (and page cache) stay. */
  crashProcess(): CrashOutcome {
    assert(this.log !== undefined, 'crash a broker that is down');
    this.log = undefined;
    this.fs.crashProcess();
    return { tornWrites: 0 };
  }

  /**
   * Power loss: the process dies and each file keeps a prefix of its unsynced writes
   * (its last kept write possibly torn, unless `tornWrites` is false).
   */
  powerLoss(chooser: Chooser, tornWrites = true): CrashOutcome {
    assert(this.log !== undefined, 'power loss on a broker that is down');
    this.log = undefined;
    const report = this.fs.powerLoss(chooser, { tornWrites });
    return { tornWrites: report.tornWrites };
  }

  /**
   * The chooser for `powerLoss` (torn writes off) under which recovery keeps exactly the
   * records below `cut`, as an explorer trace's power loss does (power-loss-cut.ts), or
   * undefined when no prefix of the unsynced writes leaves that.
   */
  chooserKeepingBelow(cut: number): Chooser | undefined {
    assert(this.log !== undefined, 'power loss on a broker that is down');
    if (cut > this.logEndOffset()) return undefined;
    const recover = (fs: SimFileSystem): LogEntry[] => readAll(PartitionLog.open(fs, this.partitionDir, this.config).log).flatMap(entriesOf);
    return chooserKeeping(this.fs, recover, this.mirror.filter((e) => e.offset < cut));
  }

  /** The mirror equals what the segment files hold (records, offsets, epochs). */
  verifyMirror(): string | undefined {
    if (this.log === undefined) return undefined;
    const onDisk = readAll(this.log).flatMap(entriesOf);
    if (onDisk.length !== this.mirror.length) return `${this.partitionDir}: ${onDisk.length} records on disk, ${this.mirror.length} mirrored`;
    for (let i = 0; i < onDisk.length; i++) {
      const a = onDisk[i] as LogEntry;
      const b = this.mirror[i] as LogEntry;
      if (a.offset !== b.offset || a.value !== b.value || a.leaderEpoch !== b.leaderEpoch)
        return `${this.partitionDir}: offset ${a.offset} holds ${a.value}/epoch ${a.leaderEpoch} on disk, mirror ${b.value}/epoch ${b.leaderEpoch}`;
    }
    return undefined;
  }

  private append(log: PartitionLogApi, batch: LogBatch, nowMs: number): void {
    assert(batch.baseOffset === log.logEndOffset(), `append at ${batch.baseOffset} but the log ends at ${log.logEndOffset()}`);
    const result = log.appendAsFollower(batchToBytes(batch, nowMs));
    assert(result.firstOffset === batch.baseOffset && result.lastOffset === batch.lastOffset, 'append landed elsewhere');
    this.mirror.push(...entriesOf(batch));
    this.version++;
  }

  private truncate(log: PartitionLogApi, offset: number): void {
    const before = this.mirror.length;
    log.truncateTo(offset);
    this.mirror = this.mirror.filter((e) => e.offset < offset);
    this.truncatedEntries += before - this.mirror.length;
    this.version++;
  }

  /** The machine's epoch cache is authoritative; the log's follows it (assign what is new). */
  private syncEpochCache(log: PartitionLogApi, entries: readonly EpochEntry[]): void {
    const known = log.leaderEpochCache();
    for (const entry of entries) {
      if (known.some((k) => k.epoch === entry.epoch && k.startOffset === entry.startOffset)) continue;
      log.assignEpoch(entry.epoch, entry.startOffset);
    }
  }
}

/** Every batch of an open log, decoded. */
export function readAll(log: PartitionLogApi): LogBatch[] {
  const batches: LogBatch[] = [];
  let offset = log.logStartOffset();
  while (offset < log.logEndOffset()) {
    const read = log.read(offset, READ_ALL_BYTES);
    assert(read.length > 0, `read at ${offset} below the log end ${log.logEndOffset()} returned nothing`);
    for (const batch of read) {
      batches.push(batchFromRecordBatch(batch));
      offset = batch.lastOffset + 1;
    }
  }
  return batches;
}

/**
 * The abstract storage the explorer puts under each replica (DESIGN.md "Storage refines
 * an abstract log"): the partition's batches with a `flushedOffset`, plus the two
 * checkpoint files, which Kafka writes temp + fsync + rename and so are durable once
 * written (`CheckpointFile.write`).
 *
 * - `append` adds a batch to the page cache (not yet durable);
 * - `flush` makes the log durable up to its end (`UnifiedLog.flush`);
 * - `truncate` removes every batch at or above an offset; Kafka flushes the truncation
 *   (`LogSegment.truncateTo` + the recovery point moves back), so the flushed offset
 *   drops with it;
 * - a **process crash** keeps everything (the page cache survives the process);
 * - a **power loss** keeps any batch-aligned prefix between `flushedOffset` and the log
 *   end: `powerLossCuts` lists them, one successor state each.
 *
 * `recover` is what the replica restarts from: the kept batches, the leader-epoch cache
 * truncated to the recovered log end (`LogLoader` does `leaderEpochCache.truncateFromEnd`),
 * the HW checkpoint, and producer state rebuilt by replay. The storage property tests
 * (test/storage) prove that real segment-file recovery yields such a prefix.
 */
import { assert, unreachable } from '../../src/core/assert.ts';
import type { LogBatch } from '../../src/protocol/log.ts';
import type { LeaderEpochEntry, StorageCommand } from '../../src/protocol/storage.ts';
import { truncateFromEnd } from '../../src/machines/leader-epoch-cache.ts';
import { producerStatesFromLog } from '../../src/machines/producer-state.ts';
import type { ReplicaPersisted } from '../../src/machines/replica.ts';

export interface AbstractLog {
  readonly batches: readonly LogBatch[];
  /** Every batch ending below this offset is durable. */
  readonly flushedOffset: number;
  readonly highWatermarkCheckpoint: number;
  readonly leaderEpochCheckpoint: readonly LeaderEpochEntry[];
}

export const EMPTY_LOG: AbstractLog = { batches: [], flushedOffset: 0, highWatermarkCheckpoint: 0, leaderEpochCheckpoint: [] };

export function logEndOffset(log: AbstractLog): number {
  const last = log.batches.at(-1);
  return last === undefined ? 0 : last.lastOffset + 1;
}

/** The log after one storage command of its replica. */
export function applyStorage(log: AbstractLog, command: StorageCommand): AbstractLog {
  switch (command.type) {
    case 'append':
      assert(command.batch.baseOffset === logEndOffset(log), `append at ${command.batch.baseOffset} to a log ending at ${logEndOffset(log)}`);
      return { ...log, batches: [...log.batches, command.batch] };
    case 'flush':
      return { ...log, flushedOffset: logEndOffset(log) };
    case 'truncate': {
      const batches = log.batches.filter((b) => b.lastOffset < command.offset);
      const end = batches.at(-1)?.lastOffset ?? -1;
      return { ...log, batches, flushedOffset: Math.min(log.flushedOffset, end + 1) };
    }
    case 'checkpoint':
      return command.checkpoint === 'replication-offset-checkpoint'
        ? { ...log, highWatermarkCheckpoint: command.highWatermark }
        : { ...log, leaderEpochCheckpoint: command.entries };
    default:
      return unreachable(command, 'storage command');
  }
}

/** The log ends a power loss may leave: each batch boundary in [flushedOffset, log end]. */
export function powerLossCuts(log: AbstractLog): number[] {
  const cuts: number[] = [];
  if (log.flushedOffset === 0 || log.batches.some((b) => b.lastOffset + 1 === log.flushedOffset)) cuts.push(log.flushedOffset);
  for (const b of log.batches) if (b.lastOffset + 1 > log.flushedOffset) cuts.push(b.lastOffset + 1);
  return cuts;
}

/** The log a power loss leaves when it keeps everything below `cut` (one of `powerLossCuts`). */
export function powerLoss(log: AbstractLog, cut: number): AbstractLog {
  assert(cut >= log.flushedOffset && cut <= logEndOffset(log), `power loss cut ${cut} outside [${log.flushedOffset}, ${logEndOffset(log)}]`);
  const batches = log.batches.filter((b) => b.lastOffset < cut);
  return { ...log, batches, flushedOffset: cut };
}

/** What the replica restarts from (LogLoader's recovery of this abstract log). */
export function recover(log: AbstractLog): ReplicaPersisted {
  const end = logEndOffset(log);
  return {
    log: log.batches,
    leaderEpochCache: truncateFromEnd(log.leaderEpochCheckpoint, end),
    highWatermarkCheckpoint: log.highWatermarkCheckpoint,
    producers: producerStatesFromLog(log.batches),
  };
}

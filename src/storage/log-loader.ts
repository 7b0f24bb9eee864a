/**
 * Loading a partition's log at startup, with recovery after an unclean shutdown
 * (`storage/.../log/LogLoader.java`, `LogSegment.recover`; kafka-internals.md §1.7):
 *
 * 1. Remove leftovers: `.tmp`/`.deleted`/`.cleaned`/`.swap` files, and indexes whose `.log`
 *    is gone.
 * 2. Open every `N.log` in offset order with its indexes; a segment whose index cannot be
 *    trusted must be recovered (Kafka's `recoverSegment` on a corrupt index).
 * 3. Without the clean-shutdown marker, recover from the segment holding the recovery point
 *    (recovery-point-offset-checkpoint; a missing or garbled file means from the first
 *    segment, as Kafka falls back) to the end: validate each batch, rebuild the indexes,
 *    the epoch cache and producer state, cut at the first invalid byte and delete every
 *    later segment.
 * 4. Producer state: the nearest valid `.snapshot` at or below where replay must start
 *    (corrupt snapshots are deleted), then a replay of the batches after it.
 * 5. Epoch cache truncated to the log end offset; snapshots above it deleted; the
 *    clean-shutdown marker removed (durably, so a later crash is not taken for clean).
 *
 * Every removal is followed by fsyncDir before anything else is written: a power loss must
 * not bring a deleted segment back behind new appends. For the same reason the recovered
 * segments and their names are fsynced before the log is used.
 */
import { dirname, type FileSystem, joinPath } from './fs.ts';
import { CheckpointError, LEADER_EPOCH_CHECKPOINT, readLeaderEpochCheckpoint, readOffsetCheckpoint, RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT, writeLeaderEpochCheckpoint } from './checkpoint.ts';
import { CorruptSnapshot, decodeProducerSnapshot, parseSegmentFileName, segmentFileName, snapshotFileName } from './producer-snapshot.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { ProducerStateManager } from './producer-state.ts';
import { applyToProducerState, type IndexState, LogSegment, type RecoveryVariant } from './segment.ts';
import type { LogConfig, RecoveryReport } from './partition-log.ts';

/** `CleanShutdownFileHandler`'s marker; kept in the partition directory here (see spec/storage.md). */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const LEFTOVER_SUFFIXES = ['.tmp', '.deleted', '.cleaned', '.swap'];
const INDEX_SUFFIXES = ['.index', '.txnindex', '.timeindex'];

export interface LoadedLog {
  /** Ascending by base offset; never empty. */
  readonly segments: LogSegment[];
  readonly recoveryPoint: number;
  readonly epochCache: LeaderEpochCache;
  readonly producerState: ProducerStateManager;
  readonly report: RecoveryReport;
}

interface Progress {
  problems: string[];
  deletedSegments: string[];
  truncatedBytes: number;
  batches: number;
}

export function loadLog(fs: FileSystem, dir: string, config: LogConfig, variant: RecoveryVariant = 'kafka'): LoadedLog {
  fs.mkdirp(dir);
  const progress: Progress = { problems: [], deletedSegments: [], truncatedBytes: 0, batches: 0 };
  removeLeftovers(fs, dir, progress);
  const cleanShutdown = fs.exists(joinPath(dir, CLEAN_SHUTDOWN_FILE));
  // Gone (durably) before anything is written, so a crash during or after loading is never
  // taken for a clean shutdown.
  removeDurably(fs, dir, [CLEAN_SHUTDOWN_FILE]);
  const checkpointed = readCheckpointedOffset(fs, joinPath(dirname(dir), RECOVERY_POINT_CHECKPOINT), config, progress, 'recovering from the first segment');
  const epochs = readEpochs(fs, dir, progress);
  const opened = openSegments(fs, dir, config);
  const segments = opened.map((o) => o.segment);
  const logStartOffset = segments[0]?.baseOffset ?? 0;
  const unclean = !cleanShutdown || epochs === undefined;
  const start = recoveryStart(opened, unclean ? (epochs === undefined ? logStartOffset : (checkpointed ?? logStartOffset)) : undefined, progress);
  const first = firstSegmentToRecover(segments, start);
  const epochCache = new LeaderEpochCache(epochs ?? []);
  const producerState = rebuildProducerStateUpTo(fs, dir, segments, first, progress);
  const recoveredFrom = segments[first]?.baseOffset;
  const kept = recoverSegments(fs, dir, segments, first, producerState, epochCache, progress, variant);
  makeRecoveredDurable(fs, dir, kept.slice(first));
  if (kept.length === 0) kept.push(createSegment(fs, dir, logStartOffset, config));
  const logEndOffset = (kept[kept.length - 1] as LogSegment).nextOffset();
  producerState.advanceTo(logEndOffset);
  finishEpochCache(fs, dir, epochCache, epochs, logStartOffset, logEndOffset);
  removeSnapshotsAbove(fs, dir, logEndOffset);
  const recoveryPoint = recoveredFrom === undefined ? logEndOffset : Math.min(checkpointed ?? logStartOffset, logEndOffset);
  const highWatermark = Math.min(readCheckpointedOffset(fs, joinPath(dirname(dir), REPLICATION_OFFSET_CHECKPOINT), config, progress, 'high watermark 0') ?? 0, logEndOffset);
  return {
    segments: kept,
    recoveryPoint,
    epochCache,
    producerState,
    report: {
      logStartOffset: (kept[0] as LogSegment).baseOffset,
      logEndOffset,
      truncatedBytes: progress.truncatedBytes,
      deletedSegments: progress.deletedSegments,
      batches: progress.batches,
      recoveredFrom: recoveredFrom ?? logEndOffset,
      cleanShutdown,
      highWatermark,
      problems: progress.problems,
    },
  };
}

/** Step 1: files an interrupted operation left behind. */
function removeLeftovers(fs: FileSystem, dir: string, progress: Progress): void {
  const names = fs.list(dir);
  const logs = new Set(names.filter((n) => n.endsWith('.log')).map((n) => n.slice(0, -'.log'.length)));
  const leftovers = names.filter((name) => {
    if (LEFTOVER_SUFFIXES.some((s) => name.endsWith(s))) return true;
    const parsed = parseSegmentFileName(name);
    return parsed !== undefined && INDEX_SUFFIXES.includes(parsed.suffix) && !logs.has(name.slice(0, -parsed.suffix.length));
  });
  for (const name of leftovers) progress.problems.push(`${joinPath(dir, name)}: leftover file removed`);
  removeDurably(fs, dir, leftovers);
}

function readCheckpointedOffset(fs: FileSystem, path: string, config: LogConfig, progress: Progress, fallback: string): number | undefined {
  try {
    const entries = readOffsetCheckpoint(fs, path);
    return entries?.find((e) => e.topic === config.topic && e.partition === config.partition)?.offset;
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    progress.problems.push(`${error.message} (ignored: ${fallback})`);
    return undefined;
  }
}

/** The leader-epoch checkpoint, or undefined when garbled (the cache is then rebuilt from every batch). */
function readEpochs(fs: FileSystem, dir: string, progress: Progress): { epoch: number; startOffset: number }[] | undefined {
  try {
    return readLeaderEpochCheckpoint(fs, joinPath(dir, LEADER_EPOCH_CHECKPOINT)) ?? [];
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    progress.problems.push(`${error.message} (ignored: rebuilding the epoch cache from the log)`);
    return undefined;
  }
}

function openSegments(fs: FileSystem, dir: string, config: LogConfig): { segment: LogSegment; indexState: IndexState }[] {
  return fs
    .list(dir)
    .map(parseSegmentFileName)
    .filter((p) => p !== undefined && p.suffix === '.log')
    .map((p) => (p as { baseOffset: number }).baseOffset)
    .sort((a, b) => a - b)
    .map((baseOffset) => LogSegment.open(fs, dir, baseOffset, config.indexIntervalBytes));
}

/**
 * Step 3's start: the recovery point (undefined after a clean shutdown: nothing to recover),
 * lowered to the first segment at or below it whose indexes or tail cannot be trusted.
 */
function recoveryStart(
  opened: readonly { segment: LogSegment; indexState: IndexState }[],
  recoveryPoint: number | undefined,
  progress: Progress,
): number | undefined {
  for (const { segment, indexState } of opened) {
    if (indexState.ok || (recoveryPoint !== undefined && segment.baseOffset > recoveryPoint)) continue;
    // A bad tail in the segment holding the recovery point is what recovery is for.
    const expected = recoveryPoint !== undefined && segment === lastAtOrBelow(opened, recoveryPoint);
    if (!expected) progress.problems.push(`${indexState.problem}: recovering from this segment`);
    return recoveryPoint === undefined ? segment.baseOffset : Math.min(recoveryPoint, segment.baseOffset);
  }
  return recoveryPoint;
}

function lastAtOrBelow(opened: readonly { segment: LogSegment }[], offset: number): LogSegment | undefined {
  return opened.filter((o) => o.segment.baseOffset <= offset).map((o) => o.segment).pop();
}

/** Index of the segment holding `start` (the last with base ≤ start, else the first); segments.length if none. */
function firstSegmentToRecover(segments: readonly LogSegment[], start: number | undefined): number {
  if (start === undefined) return segments.length;
  let index = 0;
  segments.forEach((s, i) => {
    if (s.baseOffset <= start) index = i;
  });
  return index;
}

/**
 * Producer state as of the first segment to recover (or the log end when none): the
 * nearest valid snapshot, then a replay of the segments in between.
 */
function rebuildProducerStateUpTo(fs: FileSystem, dir: string, segments: readonly LogSegment[], first: number, progress: Progress): ProducerStateManager {
  const target = segments[first]?.baseOffset ?? segments[segments.length - 1]?.nextOffset() ?? 0;
  const manager = loadNearestSnapshot(fs, dir, target, progress) ?? new ProducerStateManager(segments[0]?.baseOffset ?? 0);
  for (const segment of segments.slice(0, first)) {
    if (segment.nextOffset() <= manager.mapEndOffset()) continue;
    const buf = fs.read(segment.logPath);
    for (const { position, header } of segment.scan(0, buf).batches) {
      if (header.baseOffset < manager.mapEndOffset()) continue;
      applyToProducerState(manager, buf, position, header, () => {});
    }
  }
  if (manager.mapEndOffset() < target) manager.advanceTo(target);
  return manager;
}

function loadNearestSnapshot(fs: FileSystem, dir: string, atMost: number, progress: Progress): ProducerStateManager | undefined {
  const offsets = snapshotOffsets(fs, dir).filter((o) => o <= atMost).reverse();
  for (const offset of offsets) {
    const path = joinPath(dir, snapshotFileName(offset));
    try {
      return ProducerStateManager.fromSnapshot(offset, decodeProducerSnapshot(fs.read(path), path));
    } catch (error) {
      if (!(error instanceof CorruptSnapshot)) throw error;
      progress.problems.push(`${error.message} (corrupt snapshot removed)`);
      removeDurably(fs, dir, [snapshotFileName(offset)]);
    }
  }
  return undefined;
}

function snapshotOffsets(fs: FileSystem, dir: string): number[] {
  return fs
    .list(dir)
    .map(parseSegmentFileName)
    .filter((p) => p !== undefined && p.suffix === '.snapshot')
    .map((p) => (p as { baseOffset: number }).baseOffset)
    .sort((a, b) => a - b);
}

/** Producer state for the whole log (after a truncation): nearest snapshot + replay. */
export function rebuildProducerState(fs: FileSystem, dir: string, segments: readonly LogSegment[]): ProducerStateManager {
  const progress: Progress = { problems: [], deletedSegments: [], truncatedBytes: 0, batches: 0 };
  const manager = rebuildProducerStateUpTo(fs, dir, segments, segments.length, progress);
  return manager;
}

/** Step 3 proper: `LogSegment.recover` on each segment from `first`; the first cut ends it. */
function recoverSegments(
  fs: FileSystem,
  dir: string,
  segments: LogSegment[],
  first: number,
  producerState: ProducerStateManager,
  epochCache: LeaderEpochCache,
  progress: Progress,
  variant: RecoveryVariant,
): LogSegment[] {
  for (let i = first; i < segments.length; i++) {
    const segment = segments[i] as LogSegment;
    const minOffset = i === 0 ? segment.baseOffset : (segments[i - 1] as LogSegment).nextOffset();
    if (producerState.mapEndOffset() < segment.baseOffset) producerState.advanceTo(segment.baseOffset);
    const result = segment.recover(producerState, epochCache, minOffset, variant);
    progress.batches += result.batches;
    if (result.truncatedBytes === 0) continue;
    progress.truncatedBytes += result.truncatedBytes;
    progress.problems.push(`${result.problem ?? segment.logPath}: truncated ${result.truncatedBytes} bytes at position ${result.validBytes}`);
    const emptyAndBehind = i > 0 && result.validBytes === 0 && segment.baseOffset < minOffset;
    // Later segments go first (durably), then the cut: a crash in between leaves the bad
    // tail for the next recovery, never a cut segment followed by what came after it.
    const later = segments.splice(emptyAndBehind ? i : i + 1);
    deleteSegments(fs, dir, later, progress);
    if (!emptyAndBehind && variant !== 'no-truncate') segment.cutTail(result.validBytes);
    break;
  }
  return segments;
}

/**
 * What recovery read may still be only in the page cache (a process crash keeps unsynced
 * writes, truncations and names): make it durable before anything is built on it, or a
 * later power loss could bring back bytes a truncation had cut, or drop a segment whose
 * name was never synced. Kafka does not do this; see spec/storage.md.
 */
function makeRecoveredDurable(fs: FileSystem, dir: string, recovered: readonly LogSegment[]): void {
  for (const segment of recovered) segment.flush();
  if (recovered.length > 0) fs.fsyncDir(dir);
}

/** Delete segments, last first, and make it durable before going on. */
export function deleteSegments(fs: FileSystem, dir: string, doomed: readonly LogSegment[], progress?: Progress): void {
  for (const segment of [...doomed].reverse()) {
    if (progress !== undefined) {
      progress.truncatedBytes += segment.size();
      progress.deletedSegments.push(segmentFileName(segment.baseOffset, '.log'));
    }
    segment.deleteFiles();
  }
  if (doomed.length > 0) fs.fsyncDir(dir);
  if (progress !== undefined) progress.deletedSegments.sort();
}

function createSegment(fs: FileSystem, dir: string, baseOffset: number, config: LogConfig): LogSegment {
  const segment = LogSegment.create(fs, dir, baseOffset, config.indexIntervalBytes);
  segment.flush();
  fs.fsyncDir(dir);
  return segment;
}

/** Step 5 for the epoch cache: cut to [logStart, logEnd) and rewrite the checkpoint if it changed. */
function finishEpochCache(
  fs: FileSystem,
  dir: string,
  cache: LeaderEpochCache,
  checkpointed: readonly { epoch: number; startOffset: number }[] | undefined,
  logStartOffset: number,
  logEndOffset: number,
): void {
  cache.truncateFromEnd(logEndOffset);
  cache.truncateFromStart(logStartOffset);
  const now = cache.list();
  const same = checkpointed !== undefined && checkpointed.length === now.length && now.every((e, i) => e.epoch === checkpointed[i]?.epoch && e.startOffset === checkpointed[i]?.startOffset);
  if (!same) writeLeaderEpochCheckpoint(fs, joinPath(dir, LEADER_EPOCH_CHECKPOINT), now);
}

export function removeSnapshotsAbove(fs: FileSystem, dir: string, offset: number): void {
  removeDurably(fs, dir, snapshotOffsets(fs, dir).filter((o) => o > offset).map((o) => snapshotFileName(o)));
}

/** Remove files of `dir` (names) and fsync the directory. */
export function removeDurably(fs: FileSystem, dir: string, names: readonly string[]): void {
  const present = names.filter((n) => fs.exists(joinPath(dir, n)));
  for (const name of present) fs.remove(joinPath(dir, name));
  if (present.length > 0) fs.fsyncDir(dir);
}

/**
 * One log segment (`storage/.../log/LogSegment.java`): `N.log` (concatenated record
 * batches, N = base offset), its offset index `N.index` and its transaction index
 * `N.txnindex`.
 *
 * - `append` writes one batch and adds an index entry (the batch's last offset, its start
 *   position) when more than index.interval.bytes were written since the previous entry.
 * - `recover` is `LogSegment.recover`: validate every batch from the start (frame, size,
 *   CRC, offsets increasing), rebuild both indexes and feed producer state and the epoch
 *   cache, and cut the file at the first invalid byte.
 * - Truncations are made durable at once (fsync), unlike Kafka, which leaves the size
 *   change to the file system's journal: a power loss must not resurrect cut batches.
 *
 * The time index is not kept (no reader in this project needs offsets by timestamp).
 */
import { assert } from '../core/assert.ts';
import { type BatchCheck, type BatchFrame, type BatchHeader, checkBatch, frameBatch, controlRecordType, CorruptBatch, decodeBatch, decodeEndTxnMarker, readBatchHeader, UnsupportedCompression } from './record-batch.ts';
import { RECORD_BATCH_OVERHEAD } from './records.ts';
import { type FileSystem, joinPath } from './fs.ts';
import { OffsetIndex, parseOffsetIndex } from './offset-index.ts';
import { TxnIndex, parseTxnIndex } from './txn-index.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { ProducerBatchInfo, ProducerStateManager } from './producer-state.ts';
import type { AbortedTxn } from './partition-log.ts';
import type { EndTxnMarker } from './records.ts';
import { segmentFileName } from './producer-snapshot.ts';

/** A valid batch found at `position` of a segment. */
export interface LocatedBatch {
  readonly position: number;
  readonly header: BatchHeader;
}

/**
 * How recovery treats a segment: `kafka` (the default, LogSegment.recover) or one of two
 * deliberately broken variants that the storage crash campaign must catch: accepting
 * batches whose CRC does not match, and finding the bad tail but not cutting it off.
 */
export type RecoveryVariant = 'kafka' | 'skip-crc-check' | 'no-truncate';
export const RECOVERY_VARIANTS: readonly RecoveryVariant[] = ['kafka', 'skip-crc-check', 'no-truncate'];

/** What `LogSegment.recover` did to one segment. */
export interface SegmentRecovery {
  readonly batches: number;
  readonly validBytes: number;
  readonly truncatedBytes: number;
  /** Why the tail was cut ('torn' tails included); undefined when the whole file was valid. */
  readonly problem?: string;
}

/** Where a segment's index files stand after opening it. */
export type IndexState = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export class LogSegment {
  private sizeBytes: number;
  private bytesSinceLastIndexEntry = 0;
  private next: number;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
    public index: OffsetIndex,
    public txnIndex: TxnIndex,
    sizeBytes: number,
  ) {
    this.sizeBytes = sizeBytes;
    this.next = baseOffset;
  }

  get logPath(): string {
    return joinPath(this.dir, segmentFileName(this.baseOffset, '.log'));
  }

  /** A new, empty segment: creates `N.log` and `N.index` (the caller makes the names durable). */
  static create(fs: FileSystem, dir: string, baseOffset: number, indexIntervalBytes: number): LogSegment {
    const segment = LogSegment.handles(fs, dir, baseOffset, indexIntervalBytes, 0);
    fs.writeFile(segment.logPath, new Uint8Array(0));
    fs.writeFile(segment.index.path, new Uint8Array(0));
    return segment;
  }

  /**
   * An existing segment with its indexes as found on disk. The segment's next offset is
   * found by scanning from the last index entry; when an index cannot be trusted the
   * state says why, and the caller must `recover` the segment (which rebuilds them).
   */
  static open(fs: FileSystem, dir: string, baseOffset: number, indexIntervalBytes: number): { segment: LogSegment; indexState: IndexState } {
    const segment = LogSegment.handles(fs, dir, baseOffset, indexIntervalBytes, fs.size(joinPath(dir, segmentFileName(baseOffset, '.log'))));
    const indexState = segment.loadIndexes();
    return { segment, indexState };
  }

  private static handles(fs: FileSystem, dir: string, baseOffset: number, indexIntervalBytes: number, size: number): LogSegment {
    const index = new OffsetIndex(fs, joinPath(dir, segmentFileName(baseOffset, '.index')), baseOffset);
    const txnIndex = new TxnIndex(fs, joinPath(dir, segmentFileName(baseOffset, '.txnindex')));
    return new LogSegment(fs, dir, baseOffset, indexIntervalBytes, index, txnIndex, size);
  }

  private loadIndexes(): IndexState {
    const indexBytes = this.fs.exists(this.index.path) ? this.fs.read(this.index.path) : undefined;
    const txnBytes = this.fs.exists(this.txnIndex.path) ? this.fs.read(this.txnIndex.path) : new Uint8Array(0);
    const parsedIndex = indexBytes === undefined ? { problem: 'missing' } : parseOffsetIndex(indexBytes, this.baseOffset, this.sizeBytes);
    const parsedTxn = parseTxnIndex(txnBytes);
    if ('problem' in parsedIndex) return { ok: false, problem: `${this.index.path}: ${parsedIndex.problem}` };
    if ('problem' in parsedTxn) return { ok: false, problem: `${this.txnIndex.path}: ${parsedTxn.problem}` };
    this.index = new OffsetIndex(this.fs, this.index.path, this.baseOffset, parsedIndex.entries);
    this.txnIndex = new TxnIndex(this.fs, this.txnIndex.path, parsedTxn.entries);
    // Kafka reads the next offset from the last index entry on; we also insist that those
    // bytes are whole valid batches, so a segment that is not is recovered instead.
    const last = parsedIndex.entries[parsedIndex.entries.length - 1];
    const misplaced = parsedIndex.entries.find((e) => e !== last && this.lastOffsetAt(e.position) !== e.offset);
    if (misplaced !== undefined) return { ok: false, problem: `${this.index.path}: entry ${misplaced.offset}@${misplaced.position} does not point at its batch` };
    const scan = this.scan(last?.position ?? 0);
    if (scan.end !== this.sizeBytes) return { ok: false, problem: `${this.logPath}: invalid bytes at position ${scan.end} of ${this.sizeBytes}` };
    if (last !== undefined && scan.batches[0]?.header.lastOffset !== last.offset) {
      return { ok: false, problem: `${this.index.path}: last entry does not point at its batch` };
    }
    const lastBatch = scan.batches[scan.batches.length - 1];
    this.next = lastBatch === undefined ? this.baseOffset : lastBatch.header.lastOffset + 1;
    this.bytesSinceLastIndexEntry = this.sizeBytes - (last?.position ?? 0);
    return { ok: true };
  }

  /** The last offset of the batch whose header starts at `position`, undefined if none does. */
  private lastOffsetAt(position: number): number | undefined {
    const head = this.fs.read(this.logPath, position, RECORD_BATCH_OVERHEAD);
    if (head.length < RECORD_BATCH_OVERHEAD) return undefined;
    try {
      return readBatchHeader(head, 0).lastOffset;
    } catch (error) {
      if (error instanceof CorruptBatch) return undefined;
      throw error;
    }
  }

  size(): number {
    return this.sizeBytes;
  }

  /** The offset after this segment's last batch (its base offset when empty). */
  nextOffset(): number {
    return this.next;
  }

  /** Append one batch whose offsets are already stamped. */
  append(batch: Uint8Array, header: BatchHeader): void {
    assert(header.sizeInBytes === batch.length, `append of ${batch.length} bytes with a header of ${header.sizeInBytes}`);
    assert(header.baseOffset >= this.next, `batch at ${header.baseOffset} below segment's next offset ${this.next}`);
    assert(header.lastOffset - this.baseOffset <= 0x7fffffff, `offset ${header.lastOffset} overflows segment ${this.baseOffset}`);
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.index.append(header.lastOffset, this.sizeBytes);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.fs.append(this.logPath, batch);
    this.sizeBytes += batch.length;
    this.bytesSinceLastIndexEntry += batch.length;
    this.next = header.lastOffset + 1;
  }

  /** Record an aborted transaction whose marker landed here. */
  appendAbortedTxn(txn: AbortedTxn): void {
    this.txnIndex.append(txn);
  }

  /**
   * Valid batches from `position` until the end or the first invalid byte (`end`), read
   * from the file, or from `bytes` (the segment's bytes from 0) when given.
   */
  scan(position = 0, bytes?: Uint8Array): { batches: LocatedBatch[]; end: number; problem?: string } {
    const base = bytes === undefined ? position : 0;
    const buf = bytes ?? this.fs.read(this.logPath, position, this.sizeBytes - position);
    const batches: LocatedBatch[] = [];
    let at = position - base;
    while (at < buf.length) {
      const check = checkBatch(buf, at);
      if (check.kind !== 'valid') return { batches, end: base + at, problem: check.kind === 'partial' ? `torn batch at position ${base + at}` : check.reason };
      batches.push({ position: base + at, header: check.header });
      at += check.header.sizeInBytes;
    }
    return { batches, end: base + at };
  }

  /**
   * `LogSegment.recover`: validate every batch, rebuild the indexes, feed producer state and
   * the epoch cache, up to the first invalid byte. `minOffset` is the lowest offset the
   * first batch may have (the previous segment's next offset). The file is not cut here:
   * the caller first deletes the later segments, then calls `cutTail` (a crash in between
   * must leave a state the next recovery repairs the same way).
   */
  recover(producerState: ProducerStateManager, epochCache: LeaderEpochCache, minOffset: number, variant: RecoveryVariant = 'kafka'): SegmentRecovery {
    const buf = this.fs.read(this.logPath);
    this.index.reset();
    this.txnIndex.reset();
    this.bytesSinceLastIndexEntry = 0;
    this.next = Math.max(minOffset, this.baseOffset);
    let validBytes = 0;
    let batches = 0;
    let problem: string | undefined;
    while (validBytes < buf.length) {
      const verdict = this.validate(buf, validBytes, variant);
      if ('problem' in verdict) {
        problem = `${this.logPath}: ${verdict.problem}`;
        break;
      }
      this.replay(buf, validBytes, verdict.header, producerState, epochCache);
      validBytes += verdict.header.sizeInBytes;
      batches++;
    }
    const truncatedBytes = buf.length - validBytes;
    // The caller cuts the file (`cutTail`) once later segments are gone; the broken variant
    // never does, and its later appends land behind the bad bytes.
    this.sizeBytes = variant === 'no-truncate' ? buf.length : validBytes;
    return problem === undefined ? { batches, validBytes, truncatedBytes } : { batches, validBytes, truncatedBytes, problem };
  }

  /** checkBatch plus the offset rules: increasing, inside this segment, markers decodable. */
  private validate(buf: Uint8Array, position: number, variant: RecoveryVariant): { header: BatchHeader } | { problem: string } {
    const check = variant === 'skip-crc-check' ? withoutCrc(frameBatch(buf, position)) : checkBatch(buf, position);
    if (check.kind === 'partial') return { problem: `torn batch at position ${position} (${check.remaining} bytes remain)` };
    if (check.kind === 'corrupt') return { problem: `corrupt batch at position ${position}: ${check.reason}` };
    const h = check.header;
    if (h.baseOffset < this.next) return { problem: `batch at position ${position} has baseOffset ${h.baseOffset} below ${this.next}` };
    if (h.lastOffsetDelta < 0 || h.lastOffset - this.baseOffset > 0x7fffffff) {
      return { problem: `batch at position ${position} has impossible offsets ${h.baseOffset}..${h.lastOffset}` };
    }
    if (h.isControl && h.producerId >= 0 && markerOf(buf, position) instanceof CorruptBatch) {
      return { problem: `control batch at position ${position} has a malformed marker` };
    }
    return { header: h };
  }

  /** What an append of this valid batch does to the indexes, producer state and epoch cache. */
  private replay(buf: Uint8Array, position: number, header: BatchHeader, producerState: ProducerStateManager, epochCache: LeaderEpochCache): void {
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.index.append(header.lastOffset, position);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += header.sizeInBytes;
    this.sizeBytes = position + header.sizeInBytes;
    this.next = header.lastOffset + 1;
    // Recovery assigns only epochs newer than the cache's latest (LogSegment.recover): the
    // checkpoint may already hold a later epoch that a truncateFromEnd will drop.
    const latest = epochCache.latest()?.epoch ?? -1;
    if (header.partitionLeaderEpoch >= 0 && header.partitionLeaderEpoch > latest) epochCache.assign(header.partitionLeaderEpoch, header.baseOffset);
    applyToProducerState(producerState, buf, position, header, (txn) => this.appendAbortedTxn(txn));
  }

  /** Cut the file after recovery found `validBytes` valid bytes (durably). */
  cutTail(validBytes: number): void {
    assert(validBytes === this.sizeBytes, `cut at ${validBytes}, recovery kept ${this.sizeBytes}`);
    this.cutAt(validBytes);
  }

  /** Cut the log at `position` (a batch boundary), trim the indexes, make it durable. */
  private cutAt(position: number): void {
    this.fs.truncate(this.logPath, position);
    this.sizeBytes = position;
    this.index.truncateToPosition(position);
    this.fs.fsync(this.logPath);
    this.index.flush();
    if (this.fs.exists(this.txnIndex.path)) this.txnIndex.flush();
  }

  /**
   * Remove offsets ≥ `offset` (`LogSegment.truncateTo`): the file is cut at the start of the
   * first batch whose last offset is ≥ offset. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    const start = this.index.lookup(offset).position;
    const cut = this.scan(start).batches.find((b) => b.header.lastOffset >= offset);
    if (cut === undefined) return 0;
    const removed = this.sizeBytes - cut.position;
    this.cutAt(cut.position);
    this.txnIndex.truncateTo(offset);
    if (this.fs.exists(this.txnIndex.path)) this.txnIndex.flush();
    this.next = cut.header.baseOffset;
    this.bytesSinceLastIndexEntry = cut.position - (this.index.entries()[this.index.entries().length - 1]?.position ?? 0);
    return removed;
  }

  /** Raw batches holding offsets ≥ fromOffset: the first always, then while within maxBytes. */
  readRaw(fromOffset: number, maxBytes: number): Uint8Array[] {
    const start = this.index.lookup(fromOffset).position;
    const buf = this.fs.read(this.logPath, start, this.sizeBytes - start);
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (const b of this.scan(0, buf).batches) {
      if (b.header.lastOffset < fromOffset) continue;
      if (out.length > 0 && bytes + b.header.sizeInBytes > maxBytes) break;
      out.push(buf.slice(b.position, b.position + b.header.sizeInBytes));
      bytes += b.header.sizeInBytes;
    }
    return out;
  }

  flush(): void {
    this.fs.fsync(this.logPath);
    this.index.flush();
    if (this.fs.exists(this.txnIndex.path)) this.txnIndex.flush();
  }

  /** Delete the segment's files (the caller makes the removal durable with fsyncDir). */
  deleteFiles(): void {
    this.fs.remove(this.logPath);
    this.fs.remove(this.index.path);
    this.fs.remove(this.txnIndex.path);
    this.fs.remove(joinPath(this.dir, segmentFileName(this.baseOffset, '.timeindex')));
  }
}

/** The broken variant's check: the frame rules only. */
function withoutCrc(frame: BatchFrame): BatchCheck {
  return frame.kind === 'framed' ? { kind: 'valid', header: frame.header } : frame;
}

/** The end-transaction marker of a control batch, a CorruptBatch if malformed, undefined for other control types. */
function markerOf(buf: Uint8Array, position: number): EndTxnMarker | CorruptBatch | undefined {
  try {
    const record = decodeBatch(buf, position).records[0];
    // A control batch whose record was cleaned away, or a control type other than
    // COMMIT/ABORT (LEADER_CHANGE...), is legal and ignored by producer state.
    if (record === undefined) return undefined;
    const type = controlRecordType(record);
    return type === 'ABORT' || type === 'COMMIT' ? decodeEndTxnMarker(record) : undefined;
  } catch (error) {
    if (error instanceof CorruptBatch) return error;
    if (error instanceof UnsupportedCompression) return new CorruptBatch(error.message, position);
    throw error;
  }
}

/**
 * Feed one valid batch to producer state; an ABORT marker adds its txn-index entry (with
 * the LSO of `ProducerStateManager.lastStableOffset`) through `onAbort`.
 */
export function applyToProducerState(
  producerState: ProducerStateManager,
  buf: Uint8Array,
  position: number,
  header: BatchHeader,
  onAbort: (txn: AbortedTxn) => void,
): void {
  const marked = header.isControl && header.producerId >= 0 ? markerOf(buf, position) : undefined;
  const marker = marked instanceof CorruptBatch ? undefined : marked;
  const info: ProducerBatchInfo = { ...header, ...(marker === undefined ? {} : { marker }) };
  const completed = producerState.update(info);
  if (completed === undefined || !completed.isAborted) return;
  const lastStableOffset = producerState.lastStableOffset(completed);
  onAbort({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset });
}

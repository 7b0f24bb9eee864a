/**
 * Producer state as a partition's log implies it (`storage/.../log/ProducerStateManager.java`,
 * `ProducerAppendInfo.java` with origin REPLICATION, `ProducerStateEntry.java`): per
 * producerId its epoch, the metadata of its last NUM_BATCHES_TO_RETAIN batches (for
 * duplicate detection), its coordinator epoch and the first offset of its open
 * transaction; plus the open transactions in offset order.
 *
 * Recovery rebuilds it from the nearest `.snapshot` and a replay of the log after it; the
 * replica machine is re-seeded with it after a restart. Nothing is validated here (the
 * replication origin checks nothing): the log records what was appended.
 *
 * Simplified: no expiry by producer.id.expiration.ms (there is no wall clock), no
 * KIP-890 verification state.
 */
import { assert } from '../core/assert.ts';
import type { EndTxnMarker } from './records.ts';
import type { AbortedTxn, BatchMetadata, ProducerState, ProducerStateSnapshot } from './partition-log.ts';

/** ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the broker remembers 5 batches per producer. */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

/** What producer state needs of one appended batch (a header, plus the marker for a control batch). */
export interface ProducerBatchInfo {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** The COMMIT/ABORT marker of a control batch; undefined for other control records. */
  readonly marker?: EndTxnMarker;
}

/** A transaction whose marker was just appended (`CompletedTxn.java`). */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

/** One entry of a `.snapshot` file (the layout of `ProducerSnapshot.json`, §1.4). */
export interface SnapshotEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  readonly lastOffset: number;
  readonly offsetDelta: number;
  readonly timestamp: number;
  readonly coordinatorEpoch: number;
  readonly currentTxnFirstOffset: number;
}

interface MutableEntry {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
  lastTimestamp: number;
  batches: BatchMetadata[];
}

/** baseSequence + delta, wrapping at Int.MAX to 0 (`DefaultRecordBatch.incrementSequence`). */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > INT32_MAX - increment ? increment - (INT32_MAX - sequence) - 1 : sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  return sequence < decrement ? INT32_MAX - (decrement - sequence) + 1 : sequence - decrement;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, MutableEntry>();
  /** Offset up to which the log has been applied (exclusive). */
  private endOffset: number;

  constructor(mapEndOffset = 0) {
    this.endOffset = mapEndOffset;
  }

  mapEndOffset(): number {
    return this.endOffset;
  }

  /** Apply one appended batch (in log order). Returns the transaction a marker completed. */
  update(batch: ProducerBatchInfo): CompletedTxn | undefined {
    assert(batch.baseOffset >= this.endOffset, `producer state at ${this.endOffset} given a batch at ${batch.baseOffset}`);
    this.endOffset = batch.lastOffset + 1;
    if (batch.producerId < 0) return undefined;
    const entry = this.entryFor(batch.producerId);
    if (batch.isControl) return batch.marker === undefined ? undefined : this.appendMarker(entry, batch, batch.marker);
    this.appendData(entry, batch);
    return undefined;
  }

  /** Advance the end offset past offsets that carry no batch (an empty segment tail). */
  advanceTo(offset: number): void {
    assert(offset >= this.endOffset, `producer state cannot go back from ${this.endOffset} to ${offset}`);
    this.endOffset = offset;
  }

  /**
   * The `.txnindex` lastStableOffset of an abort (`ProducerStateManager.lastStableOffset`):
   * the first offset of the earliest open transaction of another producer, else marker + 1.
   */
  lastStableOffset(completed: CompletedTxn): number {
    const others = this.ongoingTxns().filter((t) => t.producerId !== completed.producerId);
    return others[0]?.firstOffset ?? completed.lastOffset + 1;
  }

  /** Open transactions sorted by first offset. */
  ongoingTxns(): { producerId: number; firstOffset: number }[] {
    return [...this.producers.values()]
      .filter((e) => e.currentTxnFirstOffset >= 0)
      .map((e) => ({ producerId: e.producerId, firstOffset: e.currentTxnFirstOffset }))
      .sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** The state as the replica machine sees it; aborted transactions come from the txn indexes. */
  view(abortedTxns: readonly AbortedTxn[]): ProducerStateSnapshot {
    const producers: ProducerState[] = this.sortedEntries().map((e) => ({ ...e, batches: [...e.batches] }));
    return { mapEndOffset: this.endOffset, producers, ongoingTxns: this.ongoingTxns(), abortedTxns: [...abortedTxns] };
  }

  /** The `.snapshot` entries: only each producer's last batch is kept, as in Kafka. */
  toSnapshotEntries(): SnapshotEntry[] {
    return this.sortedEntries().map((e) => {
      const last = e.batches[e.batches.length - 1];
      return {
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: last?.lastSeq ?? -1,
        lastOffset: last?.lastOffset ?? -1,
        offsetDelta: last === undefined ? 0 : last.lastOffset - last.firstOffset,
        timestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnFirstOffset: e.currentTxnFirstOffset,
      };
    });
  }

  /** A manager loaded from a snapshot taken at `offset` (`ProducerStateManager.loadFromSnapshot`). */
  static fromSnapshot(offset: number, entries: readonly SnapshotEntry[]): ProducerStateManager {
    const manager = new ProducerStateManager(offset);
    for (const s of entries) {
      const batches: BatchMetadata[] =
        s.lastOffset < 0
          ? []
          : [{ firstSeq: decrementSequence(s.lastSequence, s.offsetDelta), lastSeq: s.lastSequence, firstOffset: s.lastOffset - s.offsetDelta, lastOffset: s.lastOffset, timestamp: s.timestamp }];
      manager.producers.set(s.producerId, {
        producerId: s.producerId,
        producerEpoch: s.producerEpoch,
        coordinatorEpoch: s.coordinatorEpoch,
        currentTxnFirstOffset: s.currentTxnFirstOffset,
        lastTimestamp: s.timestamp,
        batches,
      });
    }
    return manager;
  }

  private appendData(entry: MutableEntry, batch: ProducerBatchInfo): void {
    this.maybeUpdateProducerEpoch(entry, batch.producerEpoch);
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: batch.baseSequence < 0 ? batch.baseSequence : incrementSequence(batch.baseSequence, batch.lastOffsetDelta),
      firstOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
      timestamp: batch.maxTimestamp,
    });
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    entry.lastTimestamp = batch.maxTimestamp;
    if (batch.isTransactional && entry.currentTxnFirstOffset < 0) entry.currentTxnFirstOffset = batch.baseOffset;
  }

  private appendMarker(entry: MutableEntry, batch: ProducerBatchInfo, marker: EndTxnMarker): CompletedTxn {
    const firstOffset = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : batch.baseOffset;
    this.maybeUpdateProducerEpoch(entry, batch.producerEpoch);
    entry.currentTxnFirstOffset = -1;
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.lastTimestamp = batch.maxTimestamp;
    return { producerId: entry.producerId, firstOffset, lastOffset: batch.baseOffset, isAborted: marker.type === 'ABORT' };
  }

  /** A new epoch forgets the old epoch's batches (`ProducerStateEntry.maybeUpdateProducerEpoch`). */
  private maybeUpdateProducerEpoch(entry: MutableEntry, producerEpoch: number): void {
    if (entry.producerEpoch === producerEpoch) return;
    entry.batches = [];
    entry.producerEpoch = producerEpoch;
  }

  private entryFor(producerId: number): MutableEntry {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      entry = { producerId, producerEpoch: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1, lastTimestamp: -1, batches: [] };
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  private sortedEntries(): MutableEntry[] {
    return [...this.producers.values()].sort((a, b) => a.producerId - b.producerId);
  }
}

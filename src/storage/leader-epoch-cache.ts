/**
 * The leader-epoch cache: the ordered list of (epoch, startOffset) a replica has seen, as
 * `storage/.../epoch/LeaderEpochFileCache.java` keeps it. It answers OffsetsForLeaderEpoch
 * (KIP-101, KIP-279) and is persisted as `leader-epoch-checkpoint` by its owner
 * (`PartitionLog`), which rewrites the file whenever a method here reports a change.
 *
 * Invariant: epochs and start offsets both strictly increase along the list.
 */
import { assert } from '../core/assert.ts';
import type { EpochEndOffset, EpochEntry } from './partition-log.ts';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

  constructor(initial: readonly EpochEntry[] = []) {
    // Kafka loads the checkpoint through assign(), which drops non-monotonic entries.
    for (const entry of initial) this.assign(entry.epoch, entry.startOffset);
  }

  list(): readonly EpochEntry[] {
    return this.entries;
  }

  latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /**
   * Record that `epoch` starts at `startOffset`. Needed when the epoch is new or starts
   * lower than cached; entries with an epoch ≥ it or a start offset ≥ its start are
   * dropped first (`maybeTruncateNonMonotonicEntries`). Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    assert(epoch >= 0 && startOffset >= 0, `invalid leader epoch entry (${epoch}, ${startOffset})`);
    const latest = this.latest();
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) return false;
    while (this.entries.length > 0) {
      const last = this.entries[this.entries.length - 1] as EpochEntry;
      if (last.epoch < epoch && last.startOffset < startOffset) break;
      this.entries.pop();
    }
    this.entries.push({ epoch, startOffset });
    this.checkMonotonic();
    return true;
  }

  /** Remove every entry starting at or after `endOffset` (log truncation). Returns whether it changed. */
  truncateFromEnd(endOffset: number): boolean {
    const latest = this.latest();
    if (endOffset < 0 || latest === undefined || latest.startOffset < endOffset) return false;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    return true;
  }

  /**
   * Drop entries wholly below `startOffset` (log start moved): the last entry starting at or
   * before it is kept and moved to start there (exclusive, as Kafka's truncateFromStart).
   */
  truncateFromStart(startOffset: number): boolean {
    const removed = this.entries.filter((e) => e.startOffset <= startOffset);
    const last = removed[removed.length - 1];
    if (last === undefined) return false;
    this.entries = [{ epoch: last.epoch, startOffset }, ...this.entries.filter((e) => e.startOffset > startOffset)];
    this.checkMonotonic();
    return true;
  }

  /**
   * KIP-279's OffsetsForLeaderEpoch answer: the largest cached epoch ≤ requested and its
   * end offset (the next epoch's start, or the log end offset for the latest epoch). A
   * request below every cached epoch gets (requested, first start offset), as Kafka does.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const latest = this.latest();
    if (latest !== undefined && latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higherIndex = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    const higher = this.entries[higherIndex];
    if (higher === undefined) return undefinedAnswer;
    const floor = this.entries[higherIndex - 1];
    if (floor === undefined) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  private checkMonotonic(): void {
    for (let i = 1; i < this.entries.length; i++) {
      const a = this.entries[i - 1] as EpochEntry;
      const b = this.entries[i] as EpochEntry;
      assert(a.epoch < b.epoch && a.startOffset < b.startOffset, `epoch cache not monotonic at ${i}`);
    }
  }
}

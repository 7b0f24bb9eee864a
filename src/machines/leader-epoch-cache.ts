/**
 * The leader-epoch cache of one partition (`storage/.../epoch/LeaderEpochFileCache.java`):
 * an ordered list of (epoch, startOffset), the first offset written in each leader epoch.
 * Persisted as `leader-epoch-checkpoint`. Plain arrays, never mutated: every function
 * returns a new list (or the same one when nothing changes).
 */
import { UNDEFINED_EPOCH, UNDEFINED_OFFSET, type EpochEndOffset } from '../protocol/messages.ts';
import type { LeaderEpochEntry } from '../protocol/storage.ts';

export type LeaderEpochCache = readonly LeaderEpochEntry[];

export function latestEpoch(cache: LeaderEpochCache): number {
  return cache.at(-1)?.epoch ?? UNDEFINED_EPOCH;
}

/**
 * `assign(epoch, startOffset)`: record that `epoch` starts at `startOffset`, when the epoch
 * is newer than the latest one. Entries that would no longer be monotonic (a start offset
 * at or above the new one) are dropped first, as Kafka does.
 */
export function assignEpoch(cache: LeaderEpochCache, epoch: number, startOffset: number): LeaderEpochCache {
  if (epoch <= latestEpoch(cache)) return cache;
  const kept = cache.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
  return [...kept, { epoch, startOffset }];
}

/** `truncateFromEnd(endOffset)`: drop entries starting at or after the new log end. */
export function truncateFromEnd(cache: LeaderEpochCache, endOffset: number): LeaderEpochCache {
  const kept = cache.filter((e) => e.startOffset < endOffset);
  return kept.length === cache.length ? cache : kept;
}

/**
 * `endOffsetFor(epoch)` (KIP-279): the largest cached epoch ≤ `epoch` and its end offset,
 * which is the next epoch's start offset, or the log end offset for the latest epoch.
 * UNDEFINED (-1, -1) when every cached epoch is above `epoch` or the cache is empty.
 */
export function endOffsetFor(cache: LeaderEpochCache, epoch: number, logEndOffset: number): EpochEndOffset {
  let index = -1;
  for (let i = 0; i < cache.length; i++) if ((cache[i]?.epoch ?? Infinity) <= epoch) index = i;
  if (index < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_OFFSET };
  const found = cache[index];
  const next = cache[index + 1];
  return { epoch: found?.epoch ?? UNDEFINED_EPOCH, endOffset: next === undefined ? logEndOffset : next.startOffset };
}

/** The start offset of `epoch` when it is cached, else -1. */
export function startOffsetOf(cache: LeaderEpochCache, epoch: number): number {
  return cache.find((e) => e.epoch === epoch)?.startOffset ?? UNDEFINED_OFFSET;
}

import { describe, expect, it } from 'vitest';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { LogSegment } from '../../src/storage/segment.ts';
import { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.ts';
import { ProducerStateManager } from '../../src/storage/producer-state.ts';
import { encodeBatch, readBatchHeader } from '../../src/storage/record-batch.ts';

const DIR = '/d';
const te = new TextEncoder();
const batchAt = (baseOffset: number, records = 1, extra: { producerId?: number; isControl?: boolean; isTransactional?: boolean; key?: Uint8Array; partitionLeaderEpoch?: number } = {}) =>
  encodeBatch({
    baseOffset,
    producerId: extra.producerId ?? -1,
    producerEpoch: extra.producerId === undefined ? -1 : 0,
    baseSequence: extra.producerId === undefined || extra.isControl ? -1 : 0,
    isControl: extra.isControl ?? false,
    isTransactional: extra.isTransactional ?? false,
    partitionLeaderEpoch: extra.partitionLeaderEpoch ?? 0,
    records: Array.from({ length: records }, (_, i) => ({ key: extra.key ?? null, value: te.encode(`v${baseOffset + i}`) })),
  });

/** A segment file holding exactly these bytes, opened fresh. */
function segmentWith(base: number, ...batches: Uint8Array[]): { fs: SimFileSystem; segment: LogSegment } {
  const fs = new SimFileSystem();
  fs.mkdirp(DIR);
  const created = LogSegment.create(fs, DIR, base, 0);
  for (const b of batches) fs.append(created.logPath, b);
  return { fs, segment: LogSegment.open(fs, DIR, base, 0).segment };
}

const recover = (segment: LogSegment, minOffset: number, variant: 'kafka' | 'skip-crc-check' | 'no-truncate' = 'kafka') =>
  segment.recover(new ProducerStateManager(segment.baseOffset), new LeaderEpochCache(), minOffset, variant);

describe('LogSegment.append', () => {
  it('adds an index entry once more than index.interval.bytes were appended since the last', () => {
    const fs = new SimFileSystem();
    fs.mkdirp(DIR);
    const segment = LogSegment.create(fs, DIR, 10, 150);
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const b = batchAt(10 + i);
      sizes.push(b.length);
      segment.append(b, readBatchHeader(b, 0));
    }
    // Entries at the batches where more than 150 bytes had accumulated since the previous entry.
    const expected: { offset: number; position: number }[] = [];
    let since = 0;
    let position = 0;
    sizes.forEach((size, i) => {
      if (since > 150) {
        expected.push({ offset: 10 + i, position });
        since = 0;
      }
      since += size;
      position += size;
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(segment.index.entries()).toEqual(expected);
    expect(segment.nextOffset()).toBe(16);
    // Recovery rebuilds exactly the same entries.
    const reopened = LogSegment.open(fs, DIR, 10, 150);
    expect(reopened.indexState).toEqual({ ok: true });
    reopened.segment.recover(new ProducerStateManager(10), new LeaderEpochCache(), 10);
    expect(reopened.segment.index.entries()).toEqual(expected);
  });
});

describe('LogSegment.recover', () => {
  it('cuts at a batch whose baseOffset is below the previous lastOffset + 1', () => {
    const { fs, segment } = segmentWith(0, batchAt(0, 3), batchAt(2, 1), batchAt(3, 1));
    const before = fs.size(segment.logPath);
    const result = recover(segment, 0);
    expect(result.batches).toBe(1);
    expect(result.problem).toMatch(/baseOffset 2 below 3/);
    expect(fs.size(segment.logPath)).toBe(before); // the caller cuts, after deleting later segments
    segment.cutTail(result.validBytes);
    expect(fs.size(segment.logPath)).toBe(batchAt(0, 3).length);
    expect(fs.unsyncedOpsOf(segment.logPath)).toBe(0);
    expect(segment.nextOffset()).toBe(3);
  });

  it('cuts at a first batch below the previous segment\'s end', () => {
    const { segment } = segmentWith(5, batchAt(5, 2));
    expect(recover(segment, 6).batches).toBe(0);
  });

  it('accepts gaps between batches, as Kafka does (compaction leaves them)', () => {
    const { segment } = segmentWith(0, batchAt(0, 1), batchAt(5, 1));
    expect(recover(segment, 0)).toEqual({ batches: 2, validBytes: 2 * batchAt(0).length, truncatedBytes: 0 });
    expect(segment.nextOffset()).toBe(6);
  });

  it('a control batch of a producer needs a decodable marker; other control types are ignored', () => {
    const leaderChange = batchAt(1, 1, { producerId: 4, isControl: true, isTransactional: true, key: new Uint8Array([0, 0, 0, 2]) });
    const badKey = batchAt(2, 1, { producerId: 4, isControl: true, isTransactional: true, key: new Uint8Array([0xff, 0xff, 0, 0]) });
    const { segment } = segmentWith(0, batchAt(0), leaderChange, badKey);
    const result = recover(segment, 0);
    expect(result.batches).toBe(2);
    expect(result.problem).toMatch(/malformed marker/);
  });

  it('feeds the epoch cache only with epochs newer than its latest', () => {
    const { segment } = segmentWith(0, batchAt(0, 1, { partitionLeaderEpoch: 2 }), batchAt(1, 1, { partitionLeaderEpoch: 3 }));
    const cache = new LeaderEpochCache([{ epoch: 2, startOffset: 0 }, { epoch: 5, startOffset: 9 }]);
    segment.recover(new ProducerStateManager(0), cache, 0);
    expect(cache.list()).toEqual([{ epoch: 2, startOffset: 0 }, { epoch: 5, startOffset: 9 }]);
  });

  it('the broken variants: skip-crc-check keeps a batch with a bad CRC, no-truncate keeps the bad tail in its size', () => {
    const bad = batchAt(1);
    bad[bad.length - 1]! ^= 0xff;
    expect(recover(segmentWith(0, batchAt(0), bad).segment, 0).batches).toBe(1);
    expect(recover(segmentWith(0, batchAt(0), bad).segment, 0, 'skip-crc-check').batches).toBe(2);
    const { fs, segment } = segmentWith(0, batchAt(0), bad);
    const result = recover(segment, 0, 'no-truncate');
    expect(result.truncatedBytes).toBe(bad.length);
    expect(segment.size()).toBe(2 * bad.length); // found, but later appends go behind it
    expect(fs.size(segment.logPath)).toBe(2 * bad.length);
  });

  it('truncateTo cuts at the start of the batch holding the offset, durably', () => {
    const { fs, segment } = segmentWith(0, batchAt(0, 2), batchAt(2, 2), batchAt(4, 2));
    recover(segment, 0);
    expect(segment.truncateTo(3)).toBe(2 * batchAt(0, 2).length);
    expect(segment.nextOffset()).toBe(2);
    expect(fs.unsyncedOpsOf(segment.logPath)).toBe(0);
    expect(segment.truncateTo(2)).toBe(0);
  });
});

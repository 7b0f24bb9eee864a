import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../src/storage/leader-epoch-cache.ts';

const cache = (...entries: [number, number][]) => new LeaderEpochCache(entries.map(([epoch, startOffset]) => ({ epoch, startOffset })));
const pairs = (c: LeaderEpochCache) => c.list().map((e) => [e.epoch, e.startOffset]);

describe('LeaderEpochCache.assign (LeaderEpochFileCache.assign)', () => {
  it('adds a new epoch, ignores the same epoch at a later offset', () => {
    const c = cache();
    expect(c.assign(1, 0)).toBe(true);
    expect(c.assign(1, 5)).toBe(false);
    expect(c.assign(2, 10)).toBe(true);
    expect(pairs(c)).toEqual([[1, 0], [2, 10]]);
  });

  it('the same latest epoch at a LOWER offset replaces it', () => {
    const c = cache([1, 0], [2, 10]);
    expect(c.assign(2, 7)).toBe(true);
    expect(pairs(c)).toEqual([[1, 0], [2, 7]]);
  });

  it('drops non-monotonic entries: later epochs and entries starting at or after the new start', () => {
    const c = cache([1, 0], [3, 10], [5, 20]);
    expect(c.assign(4, 15)).toBe(true);
    expect(pairs(c)).toEqual([[1, 0], [3, 10], [4, 15]]);
    expect(c.assign(2, 5)).toBe(true); // an older epoch clears everything from epoch 2 up
    expect(pairs(c)).toEqual([[1, 0], [2, 5]]);
  });

  it('loading a non-monotonic checkpoint keeps it monotonic', () => {
    expect(pairs(cache([1, 0], [3, 10], [2, 20]))).toEqual([[1, 0], [2, 20]]);
  });

  it('keeps epochs and start offsets strictly increasing under any sequence of assigns', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(100)), { maxLength: 30 }), (ops) => {
        const c = cache();
        for (const [e, o] of ops) c.assign(e, o);
        const list = c.list();
        for (let i = 1; i < list.length; i++) {
          expect(list[i]!.epoch).toBeGreaterThan(list[i - 1]!.epoch);
          expect(list[i]!.startOffset).toBeGreaterThan(list[i - 1]!.startOffset);
        }
        // Whatever came before, the epoch assigned last is the latest one.
        if (ops.length > 0) expect(list.at(-1)?.epoch).toBe(ops.at(-1)?.[0]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('truncateFromEnd / truncateFromStart', () => {
  it('truncateFromEnd removes entries starting at or after the end offset', () => {
    const c = cache([1, 0], [2, 10], [3, 20]);
    expect(c.truncateFromEnd(21)).toBe(false);
    expect(c.truncateFromEnd(20)).toBe(true);
    expect(pairs(c)).toEqual([[1, 0], [2, 10]]);
    expect(c.truncateFromEnd(5)).toBe(true);
    expect(pairs(c)).toEqual([[1, 0]]);
  });

  it('truncateFromStart keeps the epoch holding the new start, moved to it (exclusive)', () => {
    const c = cache([1, 0], [2, 10], [3, 20]);
    expect(c.truncateFromStart(15)).toBe(true);
    expect(pairs(c)).toEqual([[2, 15], [3, 20]]);
    expect(c.truncateFromStart(20)).toBe(true);
    expect(pairs(c)).toEqual([[3, 20]]);
  });
});

describe('endOffsetFor (KIP-279 OffsetsForLeaderEpoch)', () => {
  const c = cache([1, 0], [3, 10], [6, 25]);
  const answer = (epoch: number) => {
    const r = c.endOffsetFor(epoch, 40);
    return [r.epoch, r.endOffset];
  };

  it('the latest epoch ends at the log end offset', () => expect(answer(6)).toEqual([6, 40]));
  it('a known epoch ends where the next one starts', () => {
    expect(answer(1)).toEqual([1, 10]);
    expect(answer(3)).toEqual([3, 25]);
  });
  it('an unknown epoch between two gets the largest smaller epoch and the next start', () => {
    expect(answer(2)).toEqual([1, 10]);
    expect(answer(5)).toEqual([3, 25]);
  });
  it('below every cached epoch: the requested epoch and the first start offset', () => expect(answer(0)).toEqual([0, 0]));
  it('above every cached epoch, or UNDEFINED_EPOCH: undefined', () => {
    expect(answer(7)).toEqual([UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET]);
    expect(answer(UNDEFINED_EPOCH)).toEqual([UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET]);
  });
  it('an empty cache knows nothing', () => expect(cache().endOffsetFor(3, 9)).toEqual({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }));
});

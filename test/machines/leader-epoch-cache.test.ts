import { describe, expect, it } from 'vitest';
import { assignEpoch, endOffsetFor, latestEpoch, startOffsetOf, truncateFromEnd } from '../../src/machines/leader-epoch-cache.ts';

const cache = [
  { epoch: 1, startOffset: 0 },
  { epoch: 3, startOffset: 5 },
  { epoch: 4, startOffset: 9 },
];

describe('leader-epoch cache', () => {
  it('endOffsetFor answers the largest epoch ≤ the one asked, ending at the next start or the LEO (KIP-279)', () => {
    expect(endOffsetFor(cache, 1, 12)).toEqual({ epoch: 1, endOffset: 5 });
    expect(endOffsetFor(cache, 2, 12)).toEqual({ epoch: 1, endOffset: 5 });
    expect(endOffsetFor(cache, 4, 12)).toEqual({ epoch: 4, endOffset: 12 });
    expect(endOffsetFor(cache, 9, 12)).toEqual({ epoch: 4, endOffset: 12 });
    expect(endOffsetFor(cache, 0, 12)).toEqual({ epoch: -1, endOffset: -1 });
    expect(endOffsetFor([], 3, 0)).toEqual({ epoch: -1, endOffset: -1 });
  });

  it('assign adds only newer epochs and drops entries that would not be monotonic', () => {
    expect(assignEpoch(cache, 4, 20)).toBe(cache);
    expect(assignEpoch(cache, 2, 20)).toBe(cache);
    expect(assignEpoch(cache, 5, 12)).toEqual([...cache, { epoch: 5, startOffset: 12 }]);
    expect(assignEpoch(cache, 5, 7)).toEqual([cache[0], cache[1], { epoch: 5, startOffset: 7 }]);
  });

  it('truncateFromEnd drops the epochs starting at or after the new end', () => {
    expect(truncateFromEnd(cache, 9)).toEqual([cache[0], cache[1]]);
    expect(truncateFromEnd(cache, 10)).toBe(cache);
    expect(latestEpoch(truncateFromEnd(cache, 0))).toBe(-1);
    expect(startOffsetOf(cache, 3)).toBe(5);
    expect(startOffsetOf(cache, 2)).toBe(-1);
  });
});

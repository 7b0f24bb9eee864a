import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { encodeIndexEntries, INDEX_ENTRY_SIZE, OffsetIndex, parseOffsetIndex } from '../../src/storage/offset-index.ts';

const PATH = '/p/00000000000000000100.index';

function index(entries: [number, number][]): { fs: SimFileSystem; idx: OffsetIndex } {
  const fs = new SimFileSystem();
  fs.mkdirp('/p');
  const idx = new OffsetIndex(fs, PATH, 100);
  for (const [o, p] of entries) idx.append(o, p);
  return { fs, idx };
}

describe('OffsetIndex', () => {
  it('writes 8-byte entries: int32 relative offset, int32 position', () => {
    const { fs } = index([[105, 4096], [110, 8200]]);
    expect([...fs.read(PATH)]).toEqual([0, 0, 0, 5, 0, 0, 16, 0, 0, 0, 0, 10, 0, 0, 32, 8]);
    expect(parseOffsetIndex(fs.read(PATH), 100, 10_000)).toEqual({ entries: [{ offset: 105, position: 4096 }, { offset: 110, position: 8200 }] });
  });

  it('lookup finds the greatest entry at or below the target, else the segment start', () => {
    const { idx } = index([[105, 4096], [110, 8200], [120, 9000]]);
    expect(idx.lookup(100)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(104)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(105)).toEqual({ offset: 105, position: 4096 });
    expect(idx.lookup(119)).toEqual({ offset: 110, position: 8200 });
    expect(idx.lookup(5000)).toEqual({ offset: 120, position: 9000 });
  });

  it('lookup agrees with a linear search', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(1000), { maxLength: 40 }), fc.nat(1100), (offsets, target) => {
        const sorted = [...offsets].sort((a, b) => a - b);
        const { idx } = index(sorted.map((o, i) => [100 + o, (i + 1) * 10]));
        const linear = idx.entries().filter((e) => e.offset <= 100 + target).at(-1) ?? { offset: 100, position: 0 };
        expect(idx.lookup(100 + target)).toEqual(linear);
      }),
      { numRuns: 200 },
    );
  });

  it('truncateToPosition drops the entries of cut batches, in memory and on disk', () => {
    const { fs, idx } = index([[105, 100], [110, 200], [120, 300]]);
    idx.truncateToPosition(200);
    expect(idx.entries()).toEqual([{ offset: 105, position: 100 }]);
    expect(fs.size(PATH)).toBe(INDEX_ENTRY_SIZE);
  });

  it('rejects appends that do not increase (a bug, not input)', () => {
    const { idx } = index([[105, 100]]);
    expect(() => idx.append(105, 200)).toThrow(/does not increase/);
    expect(() => idx.append(106, 100)).toThrow(/does not increase/);
  });

  it('parse says why an index cannot be trusted', () => {
    const good = encodeIndexEntries(100, [{ offset: 105, position: 10 }, { offset: 107, position: 20 }]);
    expect('entries' in parseOffsetIndex(good, 100, 30)).toBe(true);
    expect(parseOffsetIndex(good.subarray(0, 12), 100, 30)).toEqual({ problem: 'size 12 is not a multiple of 8' });
    expect(parseOffsetIndex(good, 100, 20)).toHaveProperty('problem', 'entry 1 (107 @ 20) is outside the segment');
    const swapped = encodeIndexEntries(100, [{ offset: 107, position: 20 }, { offset: 105, position: 10 }]);
    expect(parseOffsetIndex(swapped, 100, 30)).toEqual({ problem: 'entry 1 does not increase' });
    // A preallocated Kafka index after an unclean shutdown: trailing zero entries.
    const padded = new Uint8Array(24);
    padded.set(good);
    expect(parseOffsetIndex(padded, 100, 30)).toHaveProperty('problem');
  });
});

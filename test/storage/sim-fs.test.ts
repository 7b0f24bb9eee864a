import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Prng } from '../../src/core/prng.ts';
import { FileNotFound } from '../../src/storage/fs.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { arbitraryOps, applyOps, snapshotOf, type FsOp } from './fs-ops.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('SimFileSystem: the page cache (what every reader sees at once)', () => {
  it('appends, writes at a position, truncates and zero-extends', () => {
    const fs = new SimFileSystem();
    fs.mkdirp('/d');
    fs.append('/d/f', bytes(1, 2, 3));
    fs.append('/d/f', bytes(4));
    fs.writeAt('/d/f', 1, bytes(9, 9));
    expect(fs.read('/d/f')).toEqual(bytes(1, 9, 9, 4));
    fs.truncate('/d/f', 2);
    fs.truncate('/d/f', 4);
    expect(fs.read('/d/f')).toEqual(bytes(1, 9, 0, 0));
    expect(fs.read('/d/f', 1, 2)).toEqual(bytes(9, 0));
    expect(fs.read('/d/f', 3, 10)).toEqual(bytes(0));
    expect(fs.read('/d/f', 10)).toEqual(bytes());
    expect(fs.size('/d/f')).toBe(4);
  });

  it('lists sorted names, reports missing files as FileNotFound, and keeps reads independent', () => {
    const fs = new SimFileSystem();
    fs.mkdirp('/d/sub');
    fs.writeFile('/d/b', text('b'));
    fs.writeFile('/d/a', text('a'));
    expect(fs.list('/d')).toEqual(['a', 'b', 'sub']);
    expect(fs.list('/missing')).toEqual([]);
    expect(() => fs.size('/d/nope')).toThrow(FileNotFound);
    expect(() => fs.read('/d/nope')).toThrow(FileNotFound);
    expect(() => fs.append('/nodir/f', text('x'))).toThrow(FileNotFound);
    const read = fs.read('/d/a');
    read[0] = 0;
    expect(decode(fs.read('/d/a'))).toBe('a');
    fs.remove('/d/a');
    fs.remove('/d/a');
    expect(fs.exists('/d/a')).toBe(false);
    fs.rename('/d/b', '/d/c');
    expect(fs.list('/d')).toEqual(['c', 'sub']);
  });

  it('crashProcess keeps everything, for any sequence of operations', () => {
    fc.assert(
      fc.property(arbitraryOps(), (ops) => {
        const fs = new SimFileSystem();
        applyOps(fs, ops);
        const before = snapshotOf(fs);
        const description = fs.describe().split('\n').slice(1).join('\n');
        fs.crashProcess();
        expect(snapshotOf(fs)).toEqual(before);
        expect(fs.describe().split('\n').slice(1).join('\n')).toBe(description);
      }),
      { numRuns: 200 },
    );
  });

  it('clone is deep: changing or crashing the copy leaves the original alone', () => {
    fc.assert(
      fc.property(arbitraryOps(), fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
        const fs = new SimFileSystem();
        applyOps(fs, ops);
        const before = snapshotOf(fs);
        const copy = fs.clone();
        expect(snapshotOf(copy)).toEqual(before);
        copy.powerLoss(new Prng(seed), { tornWrites: true });
        if (copy.exists('/d/a')) copy.append('/d/a', text('more'));
        expect(snapshotOf(fs)).toEqual(before);
        // The original still has its own unsynced operations: the same power loss on it and on
        // a second clone gives the same result.
        const twin = fs.clone();
        fs.powerLoss(new Prng(seed), { tornWrites: true });
        twin.powerLoss(new Prng(seed), { tornWrites: true });
        expect(snapshotOf(twin)).toEqual(snapshotOf(fs));
      }),
      { numRuns: 150 },
    );
  });
});

/** Content operations on existing files only, so that the reference model is per file. */
type ContentStep =
  | { op: 'append'; file: number; data: Uint8Array }
  | { op: 'writeAt'; file: number; at: number; data: Uint8Array }
  | { op: 'truncate'; file: number; at: number }
  | { op: 'writeFile'; file: number; data: Uint8Array }
  | { op: 'fsync'; file: number };

const FILES = ['/d/f0', '/d/f1', '/d/f2'];

const contentSteps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('append' as const), file: fc.nat(2), data: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
    fc.record({ op: fc.constant('writeAt' as const), file: fc.nat(2), at: fc.nat(20), data: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
    fc.record({ op: fc.constant('truncate' as const), file: fc.nat(2), at: fc.nat(20) }),
    fc.record({ op: fc.constant('writeFile' as const), file: fc.nat(2), data: fc.uint8Array({ maxLength: 5 }) }),
    fc.record({ op: fc.constant('fsync' as const), file: fc.nat(2) }),
  ),
  { maxLength: 25 },
);

/**
 * The reference: per file, the durable content and the states after each unsynced write,
 * plus, for each write, every torn state (a strict prefix of its bytes applied).
 */
class PrefixModel {
  durable: Uint8Array[] = FILES.map(() => new Uint8Array(0));
  /** states[f][i]: content after the first i unsynced operations (states[f][0] = durable). */
  states: Uint8Array[][] = FILES.map(() => [new Uint8Array(0)]);
  torn: Uint8Array[][] = FILES.map(() => []);

  step(fs: SimFileSystem, s: ContentStep): void {
    const path = FILES[s.file] as string;
    const current = fs.read(path);
    switch (s.op) {
      case 'append':
        this.write(s.file, current, current.length, s.data);
        fs.append(path, s.data);
        break;
      case 'writeAt': {
        const at = s.at % (current.length + 1);
        this.write(s.file, current, at, s.data);
        fs.writeAt(path, at, s.data);
        break;
      }
      case 'truncate':
        fs.truncate(path, s.at);
        if (s.at !== current.length) this.push(s.file, fs.read(path));
        break;
      case 'writeFile':
        if (current.length > 0) this.push(s.file, new Uint8Array(0));
        if (s.data.length > 0) this.write(s.file, new Uint8Array(0), 0, s.data);
        fs.writeFile(path, s.data);
        break;
      case 'fsync':
        fs.fsync(path);
        this.states[s.file] = [fs.read(path)];
        this.torn[s.file] = [];
        break;
    }
    expect(fs.read(path)).toEqual(this.states[s.file]?.at(-1));
  }

  /**
   * Whether `after` is the durable content plus exactly the first `kept` unsynced operations
   * (or, if torn, a strict prefix of one write applied after the others): nothing invented,
   * nothing reordered.
   */
  explains(file: number, after: Uint8Array, kept: number, torn: boolean): boolean {
    const same = (c: Uint8Array): boolean => c.length === after.length && c.every((b, i) => b === after[i]);
    if (torn) return (this.torn[file] ?? []).some(same);
    const state = this.states[file]?.[kept];
    return state !== undefined && same(state);
  }

  private write(file: number, current: Uint8Array, at: number, data: Uint8Array): void {
    for (let cut = 0; cut < data.length; cut++) this.torn[file]?.push(overwrite(current, at, data.subarray(0, cut)));
    this.push(file, overwrite(current, at, data));
  }

  private push(file: number, content: Uint8Array): void {
    this.states[file]?.push(content);
  }
}

function overwrite(content: Uint8Array, at: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(content.length, at + data.length));
  out.set(content);
  out.set(data, at);
  return out;
}

function setUpDurableFiles(): SimFileSystem {
  const fs = new SimFileSystem();
  fs.mkdirp('/d');
  for (const path of FILES) fs.writeFile(path, new Uint8Array(0));
  fs.fsyncDir('/');
  fs.fsyncDir('/d');
  return fs;
}

describe('SimFileSystem: power loss keeps a durable prefix of each file', () => {
  it('every file equals its durable content plus a prefix of its unsynced writes (the last maybe torn)', () => {
    fc.assert(
      fc.property(contentSteps, fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), (steps, seed, tornWrites) => {
        const fs = setUpDurableFiles();
        const model = new PrefixModel();
        for (const s of steps) model.step(fs, s);
        const report = fs.powerLoss(new Prng(seed), { tornWrites });
        FILES.forEach((path, f) => {
          const after = fs.read(path);
          const fileReport = report.files.find((r) => r.path === path);
          expect(fileReport?.bytesAfter).toBe(after.length);
          if (fileReport?.torn) expect(tornWrites).toBe(true);
          expect(model.explains(f, after, fileReport?.keptOps ?? -1, fileReport?.torn ?? false)).toBe(true);
          expect(fs.unsyncedOpsOf(path)).toBe(0);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('the same check rejects a survivor that skips an earlier write or invents bytes', () => {
    const fs = setUpDurableFiles();
    const model = new PrefixModel();
    model.step(fs, { op: 'append', file: 0, data: text('one') });
    model.step(fs, { op: 'append', file: 0, data: text('two') });
    model.step(fs, { op: 'writeAt', file: 0, at: 0, data: text('X') });
    expect(model.explains(0, text('Xnetwo'), 3, false)).toBe(true);
    expect(model.explains(0, text('onet'), 2, true)).toBe(true);
    expect(model.explains(0, text('two'), 1, false)).toBe(false); // a later write without an earlier one
    expect(model.explains(0, text('Xne'), 2, false)).toBe(false); // reordered
    expect(model.explains(0, text('onetwo!'), 2, false)).toBe(false); // invented bytes
    expect(model.explains(0, text('Xnetw'), 3, true)).toBe(false); // torn, but not the last kept write
  });

  it('fsynced content always survives, and a second power loss changes nothing', () => {
    fc.assert(
      fc.property(contentSteps, fc.integer({ min: 0, max: 2 ** 31 }), (steps, seed) => {
        const fs = setUpDurableFiles();
        const model = new PrefixModel();
        for (const s of steps) model.step(fs, s);
        for (const path of FILES) fs.fsync(path);
        const synced = snapshotOf(fs);
        const report = fs.powerLoss(new Prng(seed), { tornWrites: true });
        expect(report.lostData).toBe(false);
        expect(snapshotOf(fs)).toEqual(synced);
        fs.powerLoss(new Prng(seed + 1), { tornWrites: true });
        expect(snapshotOf(fs)).toEqual(synced);
      }),
      { numRuns: 150 },
    );
  });

  /** Whether a power loss after `ops` (and, if `syncFirst`, fsyncing every file and directory) loses nothing. */
  function losesNothing(ops: FsOp[], seed: number, syncFirst: boolean): boolean {
    const fs = new SimFileSystem();
    applyOps(fs, ops);
    if (syncFirst) {
      for (const [path, content] of Object.entries(snapshotOf(fs))) {
        if (content === 'dir') fs.fsyncDir(path);
        else fs.fsync(path);
      }
      fs.fsyncDir('/');
      expect(fs.unsyncedOps()).toBe(0);
    }
    const before = snapshotOf(fs);
    const report = fs.powerLoss(new Prng(seed), { tornWrites: true });
    const same = JSON.stringify(snapshotOf(fs)) === JSON.stringify(before);
    if (report.lostData) expect(syncFirst).toBe(false);
    return same && !report.lostData;
  }

  it('with renames and removals too: once every file and directory is fsynced, a power loss loses nothing', () => {
    fc.assert(
      fc.property(arbitraryOps(), fc.integer({ min: 0, max: 2 ** 31 }), (ops, seed) => losesNothing(ops, seed, true)),
      { numRuns: 200 },
    );
  });

  it('the same check fails without the fsyncs', () => {
    const result = fc.check(
      fc.property(arbitraryOps(), fc.integer({ min: 0, max: 2 ** 31 }), (ops, seed) => losesNothing(ops, seed, false)),
      { numRuns: 200, seed: 11 },
    );
    expect(result.failed).toBe(true);
  });

  it('sometimes loses unsynced data, sometimes tears a write, sometimes keeps everything', () => {
    let lost = 0;
    let torn = 0;
    let keptAll = 0;
    for (let seed = 0; seed < 200; seed++) {
      const fs = setUpDurableFiles();
      fs.append('/d/f0', text('durable'));
      fs.fsync('/d/f0');
      fs.append('/d/f0', text('batch-1'));
      fs.append('/d/f0', text('batch-2'));
      const report = fs.powerLoss(new Prng(seed), { tornWrites: true });
      const after = decode(fs.read('/d/f0'));
      expect(after.startsWith('durable')).toBe(true);
      if (report.lostData) lost += 1;
      else keptAll += 1;
      if (report.tornWrites > 0) torn += 1;
      if (!report.lostData) expect(after).toBe('durablebatch-1batch-2');
    }
    expect(lost).toBeGreaterThan(20);
    expect(torn).toBeGreaterThan(20);
    expect(keptAll).toBeGreaterThan(5);
  });

  it('without tornWrites no write is ever torn', () => {
    for (let seed = 0; seed < 100; seed++) {
      const fs = setUpDurableFiles();
      fs.append('/d/f0', text('abcdef'));
      fs.writeAt('/d/f0', 2, text('XY'));
      const report = fs.powerLoss(new Prng(seed));
      expect(report.tornWrites).toBe(0);
      expect(['', 'abcdef', 'abXYef']).toContain(decode(fs.read('/d/f0')));
    }
  });
});

describe('SimFileSystem: directory entries are durable only after fsyncDir', () => {
  /** Old content durable; new content written to a temp file, then renamed over it. */
  function replaceViaRename(options: { fsyncTemp: boolean; fsyncDir: boolean }): SimFileSystem {
    const fs = new SimFileSystem();
    fs.mkdirp('/d');
    fs.writeFile('/d/file', text('old'));
    fs.fsync('/d/file');
    fs.fsyncDir('/d');
    fs.fsyncDir('/');
    fs.writeFile('/d/file.tmp', text('new!'));
    if (options.fsyncTemp) fs.fsync('/d/file.tmp');
    fs.rename('/d/file.tmp', '/d/file');
    if (options.fsyncDir) fs.fsyncDir('/d');
    return fs;
  }

  const outcomes = (options: { fsyncTemp: boolean; fsyncDir: boolean }): Set<string> => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const fs = replaceViaRename(options);
      fs.powerLoss(new Prng(seed), { tornWrites: true });
      seen.add(`${decode(fs.read('/d/file'))}|${fs.list('/d').join(',')}`);
    }
    return seen;
  };

  it('fsync(temp) + rename + fsyncDir: the new content always survives', () => {
    expect(outcomes({ fsyncTemp: true, fsyncDir: true })).toEqual(new Set(['new!|file']));
  });

  it('without fsyncDir the old name comes back (sometimes), never a garbled file', () => {
    const seen = outcomes({ fsyncTemp: true, fsyncDir: false });
    // The temp file's creation may survive while the rename does not; its content was fsynced.
    expect(seen).toEqual(new Set(['new!|file', 'old|file', 'old|file,file.tmp']));
  });

  it('without fsync(temp) the renamed file may be empty or torn: the bug temp + fsync prevents', () => {
    const seen = outcomes({ fsyncTemp: false, fsyncDir: true });
    expect(seen.has('new!|file')).toBe(true);
    expect(seen.has('|file')).toBe(true);
    expect([...seen].some((s) => s !== 'new!|file' && s !== '|file')).toBe(true);
  });

  it('a new file or directory vanishes unless its parent was fsynced', () => {
    let vanished = 0;
    for (let seed = 0; seed < 50; seed++) {
      const fs = new SimFileSystem();
      fs.mkdirp('/a/b');
      fs.writeFile('/a/b/f', text('x'));
      fs.fsync('/a/b/f');
      fs.fsyncDir('/a/b');
      fs.fsyncDir('/a');
      const report = fs.powerLoss(new Prng(seed));
      if (!fs.exists('/a')) {
        vanished += 1;
        expect(report.files).toEqual([{ path: '/a/b/f', bytesBefore: 1, bytesAfter: undefined, unsyncedOps: 0, keptOps: 0, torn: false }]);
      } else expect(decode(fs.read('/a/b/f'))).toBe('x');
    }
    expect(vanished).toBeGreaterThan(5);
    expect(vanished).toBeLessThan(45);
  });

  it('a removed file comes back unless the directory was fsynced', () => {
    const seen = new Set<boolean>();
    for (let seed = 0; seed < 50; seed++) {
      const fs = setUpDurableFiles();
      fs.remove('/d/f1');
      const synced = seed % 2 === 0;
      if (synced) fs.fsyncDir('/d');
      fs.powerLoss(new Prng(seed));
      if (synced) expect(fs.exists('/d/f1')).toBe(false);
      else seen.add(fs.exists('/d/f1'));
    }
    expect(seen).toEqual(new Set([true, false]));
  });
});

describe('SimFileSystem: fault injection and introspection', () => {
  it('corruptByte flips one durable byte; corruptTruncate cuts durably', () => {
    const fs = setUpDurableFiles();
    fs.append('/d/f0', text('abc'));
    fs.corruptByte('/d/f0', 1, 0x20);
    fs.powerLoss(new Prng(1), { tornWrites: true });
    expect(decode(fs.read('/d/f0'))).toBe('aBc');
    fs.append('/d/f0', text('def'));
    fs.corruptTruncate('/d/f0', 4);
    fs.powerLoss(new Prng(2), { tornWrites: true });
    expect(decode(fs.read('/d/f0'))).toBe('aBcd');
  });

  it('describe() is stable and sorted; totalBytes counts visible bytes', () => {
    const fs = new SimFileSystem();
    fs.mkdirp('/z');
    fs.mkdirp('/a');
    fs.append('/z/f', text('12345'));
    fs.append('/a/g', text('1'));
    fs.fsync('/a/g');
    expect(fs.totalBytes()).toBe(6);
    expect(fs.describe()).toBe(
      [
        'SimFileSystem: 0 process crashes, 0 power losses',
        '/a/ dir, 1 unsynced entry ops',
        '/a/g 1 bytes, durable 1, 0 unsynced ops',
        '/z/ dir, 1 unsynced entry ops',
        '/z/f 5 bytes, durable 0, 1 unsynced ops',
      ].join('\n'),
    );
    expect(fs.clone().describe()).toBe(fs.describe());
  });

  it('replays a power loss exactly from its seed', () => {
    fc.assert(
      fc.property(arbitraryOps(), fc.integer({ min: 0, max: 2 ** 31 }), (ops: FsOp[], seed) => {
        const a = new SimFileSystem();
        const b = new SimFileSystem();
        applyOps(a, ops);
        applyOps(b, ops);
        expect(a.powerLoss(new Prng(seed), { tornWrites: true })).toEqual(b.powerLoss(new Prng(seed), { tornWrites: true }));
        expect(snapshotOf(a)).toEqual(snapshotOf(b));
      }),
      { numRuns: 100 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Prng } from '../../src/core/prng.ts';
import {
  CheckpointError,
  formatCheckpoint,
  LEADER_EPOCH_CHECKPOINT,
  readLeaderEpochCheckpoint,
  readOffsetCheckpoint,
  RECOVERY_POINT_CHECKPOINT,
  writeLeaderEpochCheckpoint,
  writeOffsetCheckpoint,
  type EpochEntry,
  type TopicPartitionOffset,
} from '../../src/storage/checkpoint.ts';
import type { FileSystem } from '../../src/storage/fs.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { forEachCrashPoint } from './crash-points.ts';

const DIR = '/kafka-logs';
const PATH = `${DIR}/${RECOVERY_POINT_CHECKPOINT}`;
const EPOCH_PATH = `${DIR}/orders-0/${LEADER_EPOCH_CHECKPOINT}`;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

const topic = fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/);
const offsetEntries = fc.array(
  fc.record({ topic, partition: fc.nat({ max: 2 ** 31 - 1 }), offset: fc.maxSafeNat() }),
  { maxLength: 12 },
);
const epochEntries = fc.array(fc.record({ epoch: fc.nat({ max: 2 ** 31 - 1 }), startOffset: fc.maxSafeNat() }), {
  maxLength: 12,
});

function durableDirs(): SimFileSystem {
  const fs = new SimFileSystem();
  fs.mkdirp(`${DIR}/orders-0`);
  fs.fsyncDir('/');
  fs.fsyncDir(DIR);
  return fs;
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('checkpoint files: Kafka text format', () => {
  it('writes version, count and one entry per line', () => {
    const fs = durableDirs();
    writeOffsetCheckpoint(fs, PATH, [
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: '__transaction_state', partition: 7, offset: 0 },
    ]);
    expect(decode(fs.read(PATH))).toBe('0\n2\norders 0 42\n__transaction_state 7 0\n');
    writeLeaderEpochCheckpoint(fs, EPOCH_PATH, [
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 120 },
    ]);
    expect(decode(fs.read(EPOCH_PATH))).toBe('0\n2\n0 0\n3 120\n');
    expect(fs.exists(`${PATH}.tmp`)).toBe(false);
    expect(fs.unsyncedOps()).toBe(0);
  });

  it('round-trips any entries (offset and leader-epoch checkpoints)', () => {
    fc.assert(
      fc.property(offsetEntries, epochEntries, (offsets, epochs) => {
        const fs = durableDirs();
        writeOffsetCheckpoint(fs, PATH, offsets);
        writeLeaderEpochCheckpoint(fs, EPOCH_PATH, epochs);
        expect(readOffsetCheckpoint(fs, PATH)).toEqual(offsets);
        expect(readLeaderEpochCheckpoint(fs, EPOCH_PATH)).toEqual(epochs);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a missing file as undefined, and an empty or version-only file as no entries (as Kafka does)', () => {
    const fs = durableDirs();
    expect(readOffsetCheckpoint(fs, PATH)).toBeUndefined();
    fs.writeFile(PATH, text(''));
    expect(readOffsetCheckpoint(fs, PATH)).toEqual([]);
    fs.writeFile(PATH, text('0\n'));
    expect(readOffsetCheckpoint(fs, PATH)).toEqual([]);
    fs.writeFile(PATH, text('0\r\n1\r\nt\t3   9 \r\n'));
    expect(readOffsetCheckpoint(fs, PATH)).toEqual([{ topic: 't', partition: 3, offset: 9 }]);
  });
});

/** A valid checkpoint text, garbled one way; `line` is where the reader must point. */
interface Garbling {
  readonly content: string;
  readonly line: number;
}

function garblings(lines: readonly string[]): fc.Arbitrary<Garbling> {
  const entryLine = fc.nat(Math.max(0, lines.length - 1)).map((i) => i + 3);
  const body = (edit: (all: string[]) => void): string => {
    const all = formatCheckpoint(lines).split('\n').slice(0, -1);
    edit(all);
    return all.map((l) => `${l}\n`).join('');
  };
  const options: fc.Arbitrary<Garbling>[] = [
    fc.integer({ min: 1, max: 9 }).map((v) => ({ content: body((all) => (all[0] = String(v))), line: 1 })),
    fc.constantFrom('x', '0.0', '', ' 0', '99999999999').map((v) => ({ content: body((all) => (all[0] = v)), line: 1 })),
    fc.constantFrom('two', '-1', '1e3', '', '2147483648').map((v) => ({ content: body((all) => (all[1] = v)), line: 2 })),
    fc.integer({ min: 1, max: 3 }).map((extra) => ({
      content: body((all) => (all[1] = String(lines.length + extra))),
      line: 2,
    })),
    fc.constant({ content: body((all) => all.push(lines[0] ?? 'orders 0 1')), line: 2 }),
  ];
  if (lines.length > 0) {
    options.push(
      entryLine.map((line) => ({ content: body((all) => (all[line - 1] += ' 7')), line })),
      entryLine.map((line) => ({ content: body((all) => (all[line - 1] = (all[line - 1] ?? '').replace(/ \S+$/, ''))), line })),
      fc.tuple(entryLine, fc.constantFrom('x', '1.5', '0x10', '--1', '9007199254740993')).map(([line, v]) => ({
        content: body((all) => (all[line - 1] = (all[line - 1] ?? '').replace(/\S+$/, v))),
        line,
      })),
      entryLine.map((line) => ({ content: body((all) => (all[line - 1] = ` ${all[line - 1] ?? ''}`)), line })),
      entryLine.map((line) => ({ content: body((all) => all.splice(line - 1, 1)), line: 2 })),
    );
  }
  return fc.oneof(...options);
}

describe('checkpoint files: garbled content is a CheckpointError naming file and line', () => {
  it('every garbling of a valid file is rejected at the right line', () => {
    const cases = offsetEntries.chain((entries) => {
      const lines = entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`);
      return fc.tuple(fc.constant(entries), garblings(lines));
    });
    fc.assert(
      fc.property(cases, ([, garbling]) => {
        const fs = durableDirs();
        fs.writeFile(PATH, text(garbling.content));
        const error = catchError(() => readOffsetCheckpoint(fs, PATH));
        expect(error).toBeInstanceOf(CheckpointError);
        expect((error as CheckpointError).message).toMatch(new RegExp(`^${PATH}:${garbling.line}: \\S`));
        expect((error as CheckpointError).message).not.toContain('\n');
      }),
      { numRuns: 400 },
    );
  });

  it('invalid UTF-8 is rejected with its line', () => {
    const fs = durableDirs();
    fs.writeFile(PATH, Uint8Array.from([...text('0\n1\nord'), 0xff, ...text('ers 0 1\n')]));
    expect(() => readOffsetCheckpoint(fs, PATH)).toThrow(`${PATH}:3: not valid UTF-8`);
  });

  it('a leader-epoch checkpoint with offset-checkpoint lines is rejected', () => {
    const fs = durableDirs();
    writeOffsetCheckpoint(fs, PATH, [{ topic: 'orders', partition: 0, offset: 5 }]);
    expect(() => readLeaderEpochCheckpoint(fs, PATH)).toThrow(`${PATH}:3: malformed entry 'orders 0 5': expected 2 fields`);
  });

  it('random byte damage either still parses or is a CheckpointError, never a crash', () => {
    fc.assert(
      fc.property(epochEntries, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (entries, damage) => {
        const fs = durableDirs();
        writeLeaderEpochCheckpoint(fs, EPOCH_PATH, entries);
        const bytes = fs.read(EPOCH_PATH);
        for (const [at, value] of damage) bytes[at % bytes.length] = value;
        fs.writeFile(EPOCH_PATH, bytes);
        const error = catchError(() => readLeaderEpochCheckpoint(fs, EPOCH_PATH));
        if (error !== undefined) expect(error).toBeInstanceOf(CheckpointError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkpoint files: a power loss at any point of a write leaves the old or the new file whole', () => {
  const OLD: TopicPartitionOffset[] = [{ topic: 'orders', partition: 0, offset: 10 }];
  const NEW: TopicPartitionOffset[] = [
    { topic: 'orders', partition: 0, offset: 250 },
    { topic: 'orders', partition: 1, offset: 7 },
  ];

  /** What each (crash point, seed) pair left readable; a garbled file is recorded as 'garbled'. */
  function outcomes(write: (fs: FileSystem) => void): { seen: Set<string>; points: number } {
    const base = durableDirs();
    writeOffsetCheckpoint(base, PATH, OLD);
    const seen = new Set<string>();
    const points = forEachCrashPoint(
      () => base.clone(),
      write,
      (fs) => {
        for (let seed = 0; seed < 40; seed++) {
          const crashed = fs.clone();
          crashed.powerLoss(new Prng(seed), { tornWrites: true });
          const error = catchError(() => seen.add(JSON.stringify(readOffsetCheckpoint(crashed, PATH))));
          if (error !== undefined) {
            expect(error).toBeInstanceOf(CheckpointError);
            seen.add('garbled');
          }
        }
      },
    );
    return { seen, points };
  }

  it('writeOffsetCheckpoint: every crash point and power loss reads OLD or NEW', () => {
    const { seen, points } = outcomes((fs) => writeOffsetCheckpoint(fs, PATH, NEW));
    expect(points).toBe(4); // writeFile, fsync, rename, fsyncDir
    expect(seen).toEqual(new Set([JSON.stringify(OLD), JSON.stringify(NEW)]));
  });

  it('the same checker catches a writer that overwrites in place (no temp file)', () => {
    const { seen } = outcomes((fs) => {
      fs.writeFile(PATH, text(formatCheckpoint(NEW.map((e) => `${e.topic} ${e.partition} ${e.offset}`))));
      fs.fsync(PATH);
    });
    expect(seen.has('garbled') || seen.has('[]')).toBe(true);
  });

  it('the same checker catches a writer that renames without fsyncing the temp file', () => {
    const { seen } = outcomes((fs) => {
      fs.writeFile(`${PATH}.tmp`, text(formatCheckpoint(NEW.map((e) => `${e.topic} ${e.partition} ${e.offset}`))));
      fs.rename(`${PATH}.tmp`, PATH);
      fs.fsyncDir(DIR);
    });
    expect([...seen].some((s) => s !== JSON.stringify(OLD) && s !== JSON.stringify(NEW))).toBe(true);
  });

  it('leader-epoch checkpoints are just as safe', () => {
    const before: EpochEntry[] = [{ epoch: 0, startOffset: 0 }];
    const after: EpochEntry[] = [...before, { epoch: 2, startOffset: 40 }];
    const base = durableDirs();
    base.fsyncDir(`${DIR}/orders-0`);
    writeLeaderEpochCheckpoint(base, EPOCH_PATH, before);
    forEachCrashPoint(
      () => base.clone(),
      (fs) => writeLeaderEpochCheckpoint(fs, EPOCH_PATH, after),
      (fs) => {
        for (let seed = 0; seed < 30; seed++) {
          const crashed = fs.clone();
          crashed.powerLoss(new Prng(seed), { tornWrites: true });
          expect([before, after]).toContainEqual(readLeaderEpochCheckpoint(crashed, EPOCH_PATH));
        }
      },
    );
  });
});

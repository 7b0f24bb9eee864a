/**
 * Recovery (LogLoader / LogSegment.recover) against damaged files: every single-byte change
 * and every truncation length of a small segment, damaged indexes, checkpoints and
 * snapshots, leftovers, and the choice of where recovery starts.
 */
import { describe, expect, it } from 'vitest';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { PartitionLog, type LogConfig } from '../../src/storage/partition-log.ts';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/log-loader.ts';
import { checkIndexFiles } from '../../src/storage/crash-campaign.ts';
import { decodeBatch, encodeBatch, encodeEndTxnMarker } from '../../src/storage/record-batch.ts';
import { segmentFileName, snapshotFileName } from '../../src/storage/producer-snapshot.ts';
import { RECOVERY_POINT_CHECKPOINT } from '../../src/storage/checkpoint.ts';
import type { RecordBatch } from '../../src/storage/records.ts';

const LOG_DIR = '/data';
const DIR = `${LOG_DIR}/t-0`;
const SEGMENT = `${DIR}/${segmentFileName(0, '.log')}`;
const te = new TextEncoder();

function config(over: Partial<LogConfig> = {}): LogConfig {
  return { topic: 't', partition: 0, segmentBytes: 1 << 20, indexIntervalBytes: 50, flushMessages: Number.MAX_SAFE_INTEGER, ...over };
}

function freshFs(): SimFileSystem {
  const fs = new SimFileSystem();
  fs.mkdirp(LOG_DIR);
  fs.fsyncDir('/');
  return fs;
}

/**
 * A small segment: a plain batch (unless `short`), a transactional batch of producer 7 and
 * its ABORT marker.
 */
function smallSegment(short = false): { fs: SimFileSystem; originals: RecordBatch[] } {
  const fs = freshFs();
  const { log } = PartitionLog.open(fs, DIR, config());
  if (!short) log.appendAsLeader(encodeBatch({ records: [{ key: te.encode('k0'), value: te.encode('v0') }, { key: null, value: te.encode('v1') }] }), 3);
  log.appendAsLeader(encodeBatch({ producerId: 7, producerEpoch: 1, baseSequence: 0, isTransactional: true, records: [{ key: te.encode('k'), value: te.encode('txn') }, { key: null, value: null }] }), 3);
  log.appendAsLeader(encodeEndTxnMarker({ type: 'ABORT', coordinatorEpoch: 2, producerId: 7, producerEpoch: 1, timestamp: 9 }), 3);
  const originals = log.read(0);
  fs.crashProcess();
  return { fs, originals };
}

function sameRecords(a: RecordBatch, b: RecordBatch): boolean {
  const records = (x: RecordBatch) => JSON.stringify(x.records.map((r) => ({ ...r, key: r.key && [...r.key], value: r.value && [...r.value], headers: r.headers.map((h) => ({ key: h.key, value: h.value && [...h.value] })) })));
  return a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && records(a) === records(b) && a.producerId === b.producerId && a.isControl === b.isControl;
}

function recoverAll(fs: SimFileSystem): { batches: RecordBatch[]; log: PartitionLog } {
  const { log } = PartitionLog.open(fs, DIR, config());
  const batches = log.logEndOffset() > log.logStartOffset() ? log.read(log.logStartOffset()) : [];
  return { batches, log };
}

/** Byte i of a batch belongs to its baseOffset field (bytes 0..7), which the CRC does not cover. */
function inBaseOffsetField(originals: readonly RecordBatch[], position: number): boolean {
  let start = 0;
  for (const b of originals) {
    if (position < start + b.sizeInBytes) return position - start < 8;
    start += b.sizeInBytes;
  }
  return false;
}

describe('recovery of a damaged segment', () => {
  it('every single-byte change: never throws, never returns a changed record (baseOffset, not under the CRC, aside)', () => {
    // Two batches (a transactional one and its ABORT marker): every position x every value
    // is ~40k recoveries.
    const { fs, originals } = smallSegment(true);
    const original = fs.read(SEGMENT);
    const starts = originals.map((_, i) => originals.slice(0, i).reduce((n, b) => n + b.sizeInBytes, 0));
    let cut = 0;
    let blindSpot = 0;
    for (let position = 0; position < original.length; position++) {
      for (let xor = 1; xor < 256; xor++) {
        const copy = fs.clone();
        copy.corruptByte(SEGMENT, position, xor);
        const { log } = PartitionLog.open(copy, DIR, config());
        const raw = log.logEndOffset() > 0 ? log.readRaw(0) : [];
        // A returned batch is unchanged when its bytes are the original's, apart from the
        // partitionLeaderEpoch (bytes 12..15: not part of any record).
        const changed = raw.findIndex((bytes, i) => bytes.some((x, j) => (j < 12 || j > 15) && x !== original[(starts[i] as number) + j]));
        if (changed >= 0) {
          // Kafka's blind spot: a larger baseOffset passes every check (offsets only have to
          // increase); the next batch then fails the offset rule, so nothing follows it.
          expect(inBaseOffsetField(originals, position)).toBe(true);
          expect(changed).toBe(raw.length - 1);
          blindSpot++;
        }
        if (raw.length < originals.length) cut++;
        expect(copy.size(SEGMENT)).toBe(raw.reduce((n, b) => n + b.length, 0));
      }
    }
    expect(cut).toBeGreaterThan(original.length * 200); // nearly every change is caught and cut
    expect(blindSpot).toBeGreaterThan(0); // the documented blind spot really exists
  });

  it('twin: recovery without the CRC check keeps changed records, which the same comparison sees', () => {
    const { fs, originals } = smallSegment(true);
    const original = fs.read(SEGMENT);
    const keptChanged = (variant: 'kafka' | 'skip-crc-check'): number => {
      let count = 0;
      let start = 0;
      for (const batch of originals) {
        // Bytes of the records (past the 61-byte header): under the CRC, never under the blind spot.
        for (let position = start + 61; position < start + batch.sizeInBytes; position++) {
          const copy = fs.clone();
          copy.corruptByte(SEGMENT, position, 0x20);
          PartitionLog.open(copy, DIR, config(), variant);
          if (copy.read(SEGMENT).some((x, j) => x !== original[j])) count++;
        }
        start += batch.sizeInBytes;
      }
      return count;
    };
    expect(keptChanged('kafka')).toBe(0);
    expect(keptChanged('skip-crc-check')).toBeGreaterThan(0);
  });

  it('every truncation length: recovery keeps exactly the whole batches before the cut', () => {
    const { fs, originals } = smallSegment();
    const size = fs.size(SEGMENT);
    for (let length = 0; length < size; length++) {
      const copy = fs.clone();
      copy.corruptTruncate(SEGMENT, length);
      const { batches, log } = recoverAll(copy);
      let whole = 0;
      let end = 0;
      for (const b of originals) {
        if (end + b.sizeInBytes > length) break;
        end += b.sizeInBytes;
        whole++;
      }
      expect(batches.length).toBe(whole);
      batches.forEach((b, i) => expect(sameRecords(b, originals[i] as RecordBatch)).toBe(true));
      expect(log.logEndOffset()).toBe(whole === 0 ? 0 : (originals[whole - 1] as RecordBatch).lastOffset + 1);
      expect(copy.size(SEGMENT)).toBe(end);
    }
  });

  it('the aborted transaction survives in the txn index and producer state after recovery', () => {
    const { fs } = smallSegment();
    const { log } = recoverAll(fs);
    const state = log.producerState();
    expect(state.abortedTxns).toEqual([{ producerId: 7, firstOffset: 2, lastOffset: 4, lastStableOffset: 5 }]);
    expect(state.producers.map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch, p.currentTxnFirstOffset])).toEqual([[7, 1, 2, -1]]);
  });
});

/** Three segments of 4 batches each, flushed up to the middle of the last. */
function threeSegments(): SimFileSystem {
  const fs = freshFs();
  const { log } = PartitionLog.open(fs, DIR, config({ segmentBytes: 4 * 90 }));
  for (let i = 0; i < 12; i++) log.appendAsLeader(encodeBatch({ records: [{ key: null, value: te.encode(`value-${i}`.padEnd(12, '.')) }] }), 0);
  expect(log.logEndOffset()).toBe(12);
  fs.crashProcess();
  return fs;
}

describe('where recovery starts', () => {
  it('from the segment holding the recovery point when the checkpoint is readable', () => {
    const fs = threeSegments();
    const { log } = PartitionLog.open(fs, DIR, config({ segmentBytes: 4 * 90 }));
    const report = PartitionLog.open(fs.clone(), DIR, config()).recovery;
    expect(log.recoveryPoint()).toBeGreaterThan(0);
    expect(report.recoveredFrom).toBe(log.recoveryPoint());
    expect(report.batches).toBeLessThan(12); // earlier segments were not re-validated
  });

  it('from the first segment when the recovery-point checkpoint is garbled (Kafka falls back)', () => {
    const fs = threeSegments();
    fs.writeFile(`${LOG_DIR}/${RECOVERY_POINT_CHECKPOINT}`, te.encode('0\n7\nnot a checkpoint\n'));
    const report = PartitionLog.open(fs, DIR, config()).recovery;
    expect(report.recoveredFrom).toBe(0);
    expect(report.batches).toBe(12);
    expect(report.problems.some((p) => p.includes(RECOVERY_POINT_CHECKPOINT))).toBe(true);
  });

  it('from the first segment when the checkpoint is missing', () => {
    const fs = threeSegments();
    fs.remove(`${LOG_DIR}/${RECOVERY_POINT_CHECKPOINT}`);
    expect(PartitionLog.open(fs, DIR, config()).recovery.batches).toBe(12);
  });

  it('nowhere after a clean shutdown, and the marker is gone durably afterwards', () => {
    const fs = threeSegments();
    const { log } = PartitionLog.open(fs, DIR, config());
    log.close();
    expect(fs.exists(`${DIR}/${CLEAN_SHUTDOWN_FILE}`)).toBe(true);
    const reopened = PartitionLog.open(fs, DIR, config());
    expect(reopened.recovery.cleanShutdown).toBe(true);
    expect(reopened.recovery.batches).toBe(0);
    expect(reopened.log.recoveryPoint()).toBe(12);
    fs.powerLoss({ below: () => 0 }, { tornWrites: true });
    expect(fs.exists(`${DIR}/${CLEAN_SHUTDOWN_FILE}`)).toBe(false);
  });

  it('a corrupt batch in a middle segment: cut there, later segments deleted and reported', () => {
    const fs = threeSegments();
    fs.remove(`${LOG_DIR}/${RECOVERY_POINT_CHECKPOINT}`);
    const middle = fs.list(DIR).filter((n) => n.endsWith('.log'))[1] as string;
    fs.corruptByte(`${DIR}/${middle}`, 30, 0x55);
    const { recovery, log } = PartitionLog.open(fs, DIR, config());
    expect(log.logEndOffset()).toBe(Number(middle.slice(0, 20)));
    expect(recovery.deletedSegments).toHaveLength(1);
    expect(recovery.truncatedBytes).toBeGreaterThan(0);
    expect(fs.list(DIR).filter((n) => n.endsWith('.log'))).toHaveLength(2);
    expect(checkIndexFiles(fs, DIR)).toEqual([]);
  });
});

describe('damaged indexes, snapshots and leftovers', () => {
  it('every single-byte change of an index file is detected and the index rebuilt, even after a clean shutdown', () => {
    const fs = freshFs();
    const { log } = PartitionLog.open(fs, DIR, config({ indexIntervalBytes: 0 }));
    for (let i = 0; i < 6; i++) log.appendAsLeader(encodeBatch({ records: [{ key: null, value: te.encode(`v${i}`) }] }), 0);
    log.close();
    const index = `${DIR}/${segmentFileName(0, '.index')}`;
    const size = fs.size(index);
    expect(size).toBe(5 * 8);
    let reallyWrong = 0;
    for (let position = 0; position < size; position++) {
      for (const xor of [1, 0x80, 0xff]) {
        const copy = fs.clone();
        copy.corruptByte(index, position, xor);
        if (checkIndexFiles(copy, DIR).length > 0) reallyWrong++; // the checker sees the damage before recovery
        const reopened = PartitionLog.open(copy, DIR, config({ indexIntervalBytes: 0 }));
        expect(reopened.log.logEndOffset()).toBe(6);
        expect(checkIndexFiles(copy, DIR)).toEqual([]);
        expect(reopened.log.read(0).map((b) => b.baseOffset)).toEqual([0, 1, 2, 3, 4, 5]);
      }
    }
    expect(reallyWrong).toBe(size * 3);
  });

  it('a corrupt producer snapshot is removed and the state replayed from the log instead', () => {
    const fs = freshFs();
    const { log } = PartitionLog.open(fs, DIR, config({ segmentBytes: 200 }));
    for (let i = 0; i < 6; i++) log.appendAsLeader(encodeBatch({ producerId: 5, producerEpoch: 0, baseSequence: i, records: [{ key: null, value: te.encode(`value-${i}`.padEnd(40)) }] }), 0);
    const expected = log.producerState();
    const snapshots = fs.list(DIR).filter((n) => n.endsWith('.snapshot'));
    expect(snapshots.length).toBeGreaterThan(0);
    for (const name of snapshots) fs.corruptByte(`${DIR}/${name}`, 8, 0x01);
    fs.crashProcess();
    const reopened = PartitionLog.open(fs, DIR, config({ segmentBytes: 200 }));
    expect(reopened.recovery.problems.some((p) => p.includes('corrupt snapshot removed'))).toBe(true);
    expect(fs.list(DIR).filter((n) => n.endsWith('.snapshot'))).toEqual([]);
    const state = reopened.log.producerState();
    expect(state.producers[0]?.batches.at(-1)).toEqual(expected.producers[0]?.batches.at(-1));
    expect(state.producers[0]?.batches).toHaveLength(5); // a replay restores all five, a snapshot only one
  });

  it('leftover temp files and orphan indexes are removed', () => {
    const fs = threeSegments();
    fs.writeFile(`${DIR}/${segmentFileName(99, '.index')}`, new Uint8Array(8));
    fs.writeFile(`${DIR}/leader-epoch-checkpoint.tmp`, te.encode('junk'));
    fs.writeFile(`${DIR}/${snapshotFileName(4)}.tmp`, te.encode('junk'));
    const { recovery } = PartitionLog.open(fs, DIR, config());
    expect(recovery.problems.filter((p) => p.includes('leftover file removed'))).toHaveLength(3);
    expect(fs.list(DIR).some((n) => n.endsWith('.tmp') || n.startsWith('00000000000000000099'))).toBe(false);
  });

  it('snapshots beyond the recovered end are deleted, and producer state is replayed', () => {
    const fs = freshFs();
    const { log } = PartitionLog.open(fs, DIR, config());
    for (let i = 0; i < 6; i++) log.appendAsLeader(encodeBatch({ producerId: 9, producerEpoch: 0, baseSequence: i, records: [{ key: null, value: te.encode(`value-${i}`) }] }), 0);
    log.close(); // writes the snapshot at 6
    expect(fs.exists(`${DIR}/${snapshotFileName(6)}`)).toBe(true);
    // Media damage in the last batch, and no clean-shutdown marker: recovery cuts to 5.
    fs.corruptByte(SEGMENT, fs.size(SEGMENT) - 1, 0x01);
    fs.remove(`${DIR}/${CLEAN_SHUTDOWN_FILE}`);
    fs.remove(`${LOG_DIR}/${RECOVERY_POINT_CHECKPOINT}`);
    const reopened = PartitionLog.open(fs, DIR, config());
    expect(reopened.log.logEndOffset()).toBe(5);
    expect(fs.exists(`${DIR}/${snapshotFileName(6)}`)).toBe(false);
    expect(reopened.log.producerState().producers[0]?.batches.at(-1)?.lastSeq).toBe(4);
  });
});

describe('decoded batches round-trip through the log', () => {
  it('read returns what was appended, stamped', () => {
    const { originals } = smallSegment();
    expect(originals.map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch, b.crcValid])).toEqual([
      [0, 1, 3, true],
      [2, 3, 3, true],
      [4, 4, 3, true],
    ]);
    expect(decodeBatch(encodeBatch({ records: [{ key: null, value: null }] })).crcValid).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/assert.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { PartitionLog, type LogConfig } from '../../src/storage/partition-log.ts';
import { encodeBatch, encodeEndTxnMarker, readBatchHeader } from '../../src/storage/record-batch.ts';
import { readLeaderEpochCheckpoint, readOffsetCheckpoint, REPLICATION_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from '../../src/storage/checkpoint.ts';
import { segmentFileName, snapshotFileName } from '../../src/storage/producer-snapshot.ts';
import { checkIndexFiles } from '../../src/storage/crash-campaign.ts';

const te = new TextEncoder();
const DIR = '/data/t-0';

function config(over: Partial<LogConfig> = {}): LogConfig {
  return { topic: 't', partition: 0, segmentBytes: 1 << 20, indexIntervalBytes: 4096, flushMessages: Number.MAX_SAFE_INTEGER, ...over };
}

function open(over: Partial<LogConfig> = {}): { fs: SimFileSystem; log: PartitionLog } {
  const fs = new SimFileSystem();
  fs.mkdirp('/data');
  return { fs, log: PartitionLog.open(fs, DIR, config(over)).log };
}

const batch = (value: string, records = 1, extra: Parameters<typeof encodeBatch>[0] extends infer I ? Partial<I> : never = {}) =>
  encodeBatch({ ...extra, records: Array.from({ length: records }, (_, i) => ({ key: null, value: te.encode(`${value}-${i}`) })) });
const logFiles = (fs: SimFileSystem) => fs.list(DIR).filter((n) => n.endsWith('.log'));

describe('appends', () => {
  it('leader append assigns offsets from the log end and stamps the epoch, leaving the caller\'s bytes alone', () => {
    const { log } = open();
    const bytes = batch('a', 3);
    const before = bytes.slice();
    expect(log.appendAsLeader(bytes, 4)).toEqual({ firstOffset: 0, lastOffset: 2 });
    expect(log.appendAsLeader(batch('b', 2), 5)).toEqual({ firstOffset: 3, lastOffset: 4 });
    expect(bytes).toEqual(before);
    expect(log.read(0).map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch, b.crcValid])).toEqual([
      [0, 2, 4, true],
      [3, 4, 5, true],
    ]);
    expect(log.leaderEpochCache()).toEqual([{ epoch: 4, startOffset: 0 }, { epoch: 5, startOffset: 3 }]);
  });

  it('several batches in one leader append get consecutive offsets', () => {
    const { log } = open();
    const two = new Uint8Array([...batch('a', 2), ...batch('b', 3)]);
    expect(log.appendAsLeader(two, 0)).toEqual({ firstOffset: 0, lastOffset: 4 });
    expect(log.read(0).map((b) => b.baseOffset)).toEqual([0, 2]);
  });

  it('follower append keeps the batch\'s offsets and must start at the log end', () => {
    const { log } = open();
    expect(log.appendAsFollower(batch('a', 2, { baseOffset: 0, partitionLeaderEpoch: 7 }))).toEqual({ firstOffset: 0, lastOffset: 1 });
    expect(() => log.appendAsFollower(batch('b', 1, { baseOffset: 5, partitionLeaderEpoch: 7 }))).toThrow(/starts at offset 5, expected 2/);
    expect(log.leaderEpochCache()).toEqual([{ epoch: 7, startOffset: 0 }]);
    expect(log.logEndOffset()).toBe(2);
    // All or nothing: a gap after the first batch rejects the whole append.
    const gapped = new Uint8Array([...batch('c', 1, { baseOffset: 2, partitionLeaderEpoch: 7 }), ...batch('d', 1, { baseOffset: 4, partitionLeaderEpoch: 7 })]);
    expect(() => log.appendAsFollower(gapped)).toThrow(/starts at offset 4, expected 3/);
    expect(log.logEndOffset()).toBe(2);
  });

  it('rejects corrupt, incomplete and oversized batches as bad input, appending nothing', () => {
    const { log } = open({ segmentBytes: 200 });
    const corrupt = batch('a');
    corrupt[corrupt.length - 1]! ^= 1;
    expect(() => log.appendAsLeader(corrupt, 0)).toThrow(InputError);
    expect(() => log.appendAsLeader(corrupt, 0)).toThrow(/CORRUPT_MESSAGE/);
    expect(() => log.appendAsLeader(batch('a').subarray(0, 40), 0)).toThrow(/incomplete batch/);
    expect(() => log.appendAsLeader(batch('x'.repeat(300)), 0)).toThrow(/RECORD_BATCH_TOO_LARGE/);
    expect(() => log.appendAsLeader(new Uint8Array(0), 0)).toThrow(/no batch/);
    expect(log.logEndOffset()).toBe(0);
  });
});

describe('segments, flushes and the recovery point', () => {
  it('rolls at segment.bytes: new segment named by its base offset, old one flushed, snapshot taken', () => {
    const { fs, log } = open({ segmentBytes: 250 });
    for (let i = 0; i < 7; i++) log.appendAsLeader(batch(`v${i}`, 1, { producerId: 3, producerEpoch: 0, baseSequence: i }), 0);
    const size = readBatchHeader(batch('v0'), 0).sizeInBytes;
    const perSegment = Math.floor(250 / size);
    expect(logFiles(fs)).toEqual([0, perSegment, 2 * perSegment].filter((o) => o < 7).map((o) => segmentFileName(o, '.log')));
    expect(fs.exists(`${DIR}/${snapshotFileName(perSegment)}`)).toBe(true);
    expect(log.recoveryPoint()).toBe(Math.floor(6 / perSegment) * perSegment);
    expect(readOffsetCheckpoint(fs, `/data/${RECOVERY_POINT_CHECKPOINT}`)).toEqual([{ topic: 't', partition: 0, offset: log.recoveryPoint() }]);
    expect(log.read(0).map((b) => b.baseOffset)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('flush makes the recovery point the log end and checkpoints it', () => {
    const { fs, log } = open();
    log.appendAsLeader(batch('a', 3), 0);
    expect(log.recoveryPoint()).toBe(0);
    log.flush();
    expect(log.recoveryPoint()).toBe(3);
    expect(readOffsetCheckpoint(fs, `/data/${RECOVERY_POINT_CHECKPOINT}`)).toEqual([{ topic: 't', partition: 0, offset: 3 }]);
    expect(fs.unsyncedOpsOf(`${DIR}/${segmentFileName(0, '.log')}`)).toBe(0);
  });

  it('flush.messages flushes once that many records are unflushed', () => {
    const { log } = open({ flushMessages: 4 });
    log.appendAsLeader(batch('a', 3), 0);
    expect(log.recoveryPoint()).toBe(0);
    log.appendAsLeader(batch('b', 1), 0);
    expect(log.recoveryPoint()).toBe(4);
  });

  it('index entries every index.interval.bytes, each pointing at its batch', () => {
    const { fs, log } = open({ indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batch(`v${i}`), 0);
    const entries = fs.size(`${DIR}/${segmentFileName(0, '.index')}`) / 8;
    const size = readBatchHeader(batch('v0'), 0).sizeInBytes;
    expect(entries).toBe(Math.floor((20 - 1) / Math.ceil(101 / size)));
    expect(checkIndexFiles(fs, DIR)).toEqual([]);
  });
});

describe('reads', () => {
  it('at least one batch, then only whole batches within maxBytes, across segments', () => {
    const { log } = open({ segmentBytes: 250 });
    for (let i = 0; i < 8; i++) log.appendAsLeader(batch(`v${i}`, 2), 0);
    const size = log.readRaw(0)[0]!.length;
    expect(log.readRaw(0, 1)).toHaveLength(1);
    expect(log.readRaw(0, 3 * size)).toHaveLength(3);
    expect(log.readRaw(0, 3 * size - 1)).toHaveLength(2);
    expect(log.read(5).map((b) => b.baseOffset)).toEqual([4, 6, 8, 10, 12, 14]); // 5 is inside the batch at 4
    expect(log.read(16)).toEqual([]);
    expect(() => log.read(17)).toThrow(/OFFSET_OUT_OF_RANGE/);
  });
});

describe('truncation', () => {
  it('across segments: later segments deleted, the cut durable, caches and producer state follow', () => {
    const { fs, log } = open({ segmentBytes: 250 });
    log.appendAsLeader(batch('a', 1, { producerId: 9, producerEpoch: 0, baseSequence: 0, isTransactional: true }), 1);
    for (let i = 0; i < 3; i++) log.appendAsLeader(batch(`b${i}`), 1);
    log.appendAsLeader(encodeEndTxnMarker({ type: 'ABORT', coordinatorEpoch: 1, producerId: 9, producerEpoch: 0, timestamp: 0 }), 2);
    for (let i = 0; i < 5; i++) log.appendAsLeader(batch(`c${i}`), 3);
    log.flush();
    expect(log.producerState().abortedTxns).toHaveLength(1);
    expect(logFiles(fs).length).toBeGreaterThan(2);
    log.truncateTo(2);
    expect(log.logEndOffset()).toBe(2);
    expect(logFiles(fs)).toEqual([segmentFileName(0, '.log')]);
    expect(log.leaderEpochCache()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(readLeaderEpochCheckpoint(fs, `${DIR}/leader-epoch-checkpoint`)).toEqual([{ epoch: 1, startOffset: 0 }]);
    const state = log.producerState();
    expect(state.abortedTxns).toEqual([]);
    expect(state.ongoingTxns).toEqual([{ producerId: 9, firstOffset: 0 }]); // the abort was cut
    expect(log.recoveryPoint()).toBe(2);
    expect(readOffsetCheckpoint(fs, `/data/${RECOVERY_POINT_CHECKPOINT}`)?.[0]?.offset).toBe(2);
    expect(fs.unsyncedOps()).toBe(0); // every change of the truncation is durable
    expect(checkIndexFiles(fs, DIR)).toEqual([]);
    expect(log.appendAsLeader(batch('d'), 4)).toEqual({ firstOffset: 2, lastOffset: 2 });
  });

  it('an offset inside a batch removes the whole batch; at or past the end is a no-op', () => {
    const { log } = open();
    log.appendAsLeader(batch('a', 3), 0);
    log.appendAsLeader(batch('b', 3), 0);
    log.truncateTo(6);
    expect(log.logEndOffset()).toBe(6);
    log.truncateTo(4);
    expect(log.logEndOffset()).toBe(3);
  });

  it('below the log start: everything goes and the log restarts there', () => {
    const { fs, log } = open();
    log.appendAsFollower(batch('a', 2, { baseOffset: 0, partitionLeaderEpoch: 0 }));
    log.truncateTo(2);
    expect(log.logEndOffset()).toBe(2);
    log.truncateTo(0);
    expect(log.logEndOffset()).toBe(0);
    expect(logFiles(fs)).toEqual([segmentFileName(0, '.log')]);
  });
});

describe('checkpoints and shutdown', () => {
  it('high watermarks of two partitions share one replication-offset-checkpoint', () => {
    const fs = new SimFileSystem();
    fs.mkdirp('/data');
    const a = PartitionLog.open(fs, '/data/t-0', config()).log;
    const b = PartitionLog.open(fs, '/data/t-1', config({ partition: 1 })).log;
    a.writeHighWatermark(5);
    b.writeHighWatermark(7);
    a.writeHighWatermark(6);
    expect(readOffsetCheckpoint(fs, `/data/${REPLICATION_OFFSET_CHECKPOINT}`)).toEqual([
      { topic: 't', partition: 0, offset: 6 },
      { topic: 't', partition: 1, offset: 7 },
    ]);
  });

  it('the high watermark comes back capped at the log end', () => {
    const { fs, log } = open();
    log.appendAsLeader(batch('a', 3), 0);
    log.writeHighWatermark(3);
    fs.crashProcess();
    expect(PartitionLog.open(fs, DIR, config()).recovery.highWatermark).toBe(3);
  });

  it('endOffsetForEpoch answers with the log end for the latest epoch', () => {
    const { log } = open();
    log.appendAsLeader(batch('a', 3), 2);
    log.assignEpoch(5, 3);
    log.appendAsLeader(batch('b', 2), 5);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 3 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 2, endOffset: 3 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 5 });
  });

  it('close writes a snapshot and the clean-shutdown marker; the log cannot be used after', () => {
    const { fs, log } = open();
    log.appendAsLeader(batch('a', 2, { producerId: 1, producerEpoch: 0, baseSequence: 0 }), 0);
    log.close();
    expect(fs.exists(`${DIR}/${snapshotFileName(2)}`)).toBe(true);
    expect(() => log.appendAsLeader(batch('b'), 0)).toThrow(/after close/);
    const reopened = PartitionLog.open(fs, DIR, config());
    expect(reopened.recovery.cleanShutdown).toBe(true);
    expect(reopened.log.producerState().producers[0]?.batches.at(-1)?.lastSeq).toBe(1);
  });

  it('bad configuration is bad input', () => {
    const fs = new SimFileSystem();
    expect(() => PartitionLog.open(fs, DIR, config({ segmentBytes: 0 }))).toThrow(/segment.bytes/);
    expect(() => PartitionLog.open(fs, DIR, config({ topic: 'a b' }))).toThrow(/invalid topic/);
    expect(() => PartitionLog.open(fs, DIR, config({ flushMessages: 0 }))).toThrow(/flush.messages/);
  });
});

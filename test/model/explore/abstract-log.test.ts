import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/core/assert.ts';
import type { LogBatch } from '../../../src/protocol/log.ts';
import { EMPTY_LOG, applyStorage, logEndOffset, powerLoss, powerLossCuts, recover } from '../../../model/explore/abstract-log.ts';

const tp = { topic: 'orders', partition: 0 };

function batch(offset: number, epoch: number, value: string): LogBatch {
  return { baseOffset: offset, lastOffset: offset, partitionLeaderEpoch: epoch, producerId: 7, producerEpoch: 0, baseSequence: offset, isTransactional: false, isControl: false, records: [{ key: null, value }] };
}

function logOf(n: number, flushAfter: number): typeof EMPTY_LOG {
  let log = EMPTY_LOG;
  for (let i = 0; i < n; i++) {
    log = applyStorage(log, { type: 'append', topicPartition: tp, batch: batch(i, 0, `v${i}`) });
    if (i + 1 === flushAfter) log = applyStorage(log, { type: 'flush', topicPartition: tp, logEndOffset: i + 1 });
  }
  return log;
}

describe('the abstract log', () => {
  it('a power loss may keep any batch boundary from the flushed offset to the end', () => {
    const log = logOf(4, 2);
    expect(log.flushedOffset).toBe(2);
    expect(powerLossCuts(log)).toEqual([2, 3, 4]);
    for (const cut of powerLossCuts(log)) {
      const after = powerLoss(log, cut);
      expect(logEndOffset(after)).toBe(cut);
      expect(after.batches).toEqual(log.batches.slice(0, cut));
    }
  });

  it('twin: a cut below the flushed offset is refused (flushed data survives)', () => {
    expect(() => powerLoss(logOf(4, 2), 1)).toThrow(AssertionError);
  });

  it('a truncation moves the flushed offset back with the log end', () => {
    const log = applyStorage(logOf(4, 4), { type: 'truncate', topicPartition: tp, offset: 1 });
    expect(logEndOffset(log)).toBe(1);
    expect(log.flushedOffset).toBe(1);
    expect(powerLossCuts(log)).toEqual([1]);
  });

  it('recovery truncates the leader-epoch cache to the kept log and rebuilds producer state', () => {
    let log = logOf(3, 0);
    log = applyStorage(log, { type: 'checkpoint', topicPartition: tp, checkpoint: 'leader-epoch-checkpoint', entries: [{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }] });
    log = applyStorage(log, { type: 'checkpoint', topicPartition: tp, checkpoint: 'replication-offset-checkpoint', highWatermark: 2 });
    const recovered = recover(powerLoss(log, 1));
    expect(recovered.log).toHaveLength(1);
    expect(recovered.leaderEpochCache).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect(recovered.highWatermarkCheckpoint).toBe(2);
    expect(recovered.producers).toEqual([{ producerId: 7, producerEpoch: 0, batches: [{ firstSeq: 0, lastSeq: 0, firstOffset: 0, lastOffset: 0 }] }]);
    expect(recover(log).leaderEpochCache).toHaveLength(2);
  });

  it('refuses a non-contiguous append', () => {
    expect(() => applyStorage(EMPTY_LOG, { type: 'append', topicPartition: tp, batch: batch(3, 0, 'x') })).toThrow(AssertionError);
  });
});

import { describe, expect, it } from 'vitest';
import type { LogBatch } from '../../src/protocol/log.ts';
import { checkProducerBatch, producerStatesFromLog, updateProducerState } from '../../src/machines/producer-state.ts';

function batch(baseOffset: number, producerId: number, producerEpoch: number, baseSequence: number, count = 1): LogBatch {
  return {
    baseOffset,
    lastOffset: baseOffset + count - 1,
    partitionLeaderEpoch: 0,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional: false,
    isControl: false,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: `v${baseOffset + i}` })),
  };
}

describe('producer state', () => {
  it('keeps the last 5 batches per producer, sorted by producer id, rebuilt identically from the log', () => {
    const log = [batch(0, 7, 0, 0), batch(1, 3, 0, 0, 2), ...[0, 1, 2, 3, 4].map((i) => batch(3 + i, 7, 0, 1 + i))];
    const states = producerStatesFromLog(log);
    expect(states.map((s) => s.producerId)).toEqual([3, 7]);
    expect(states[1]?.batches.map((b) => b.firstSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(states[0]?.batches).toEqual([{ firstSeq: 0, lastSeq: 1, firstOffset: 1, lastOffset: 2 }]);
    let incremental = producerStatesFromLog([]);
    for (const b of log) incremental = updateProducerState(incremental, b);
    expect(incremental).toEqual(states);
  });

  it('a batch without a producer id is neither checked nor remembered', () => {
    expect(checkProducerBatch([], batch(0, -1, -1, -1))).toEqual({ kind: 'append' });
    expect(updateProducerState([], batch(0, -1, -1, -1))).toEqual([]);
  });

  it('a new epoch forgets the old batches', () => {
    const states = producerStatesFromLog([batch(0, 7, 0, 0), batch(1, 7, 1, 0)]);
    expect(states).toEqual([{ producerId: 7, producerEpoch: 1, batches: [{ firstSeq: 0, lastSeq: 0, firstOffset: 1, lastOffset: 1 }] }]);
    expect(checkProducerBatch(states, batch(0, 7, 1, 0))).toMatchObject({ kind: 'duplicate', original: { firstOffset: 1 } });
    expect(checkProducerBatch(states, batch(0, 7, 0, 0))).toMatchObject({ kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH' });
  });
});

/**
 * Producer state as recovery rebuilds it: applied batch by batch, or loaded from a snapshot
 * and replayed from there. The two must agree on everything a snapshot keeps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decrementSequence, incrementSequence, NUM_BATCHES_TO_RETAIN, type ProducerBatchInfo, ProducerStateManager, type SnapshotEntry } from '../../src/storage/producer-state.ts';
import { decodeProducerSnapshot, encodeProducerSnapshot } from '../../src/storage/producer-snapshot.ts';
import type { ProducerStateSnapshot } from '../../src/storage/partition-log.ts';

let next = 0;
function data(producerId: number, epoch: number, seq: number, count = 1, transactional = false): ProducerBatchInfo {
  const baseOffset = next;
  next += count;
  return { producerId, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1, baseOffset, lastOffset: baseOffset + count - 1, maxTimestamp: 1000 + baseOffset, isTransactional: transactional, isControl: false };
}
function marker(producerId: number, epoch: number, type: 'COMMIT' | 'ABORT', coordinatorEpoch = 4): ProducerBatchInfo {
  const baseOffset = next++;
  return { producerId, producerEpoch: epoch, baseSequence: -1, lastOffsetDelta: 0, baseOffset, lastOffset: baseOffset, maxTimestamp: 1000 + baseOffset, isTransactional: true, isControl: true, marker: { type, coordinatorEpoch } };
}

describe('ProducerStateManager.update (origin REPLICATION)', () => {
  it('keeps the last 5 batches per producer; a new epoch forgets them', () => {
    next = 0;
    const m = new ProducerStateManager();
    for (let i = 0; i < 7; i++) m.update(data(1, 0, i * 2, 2));
    const p = m.view([]).producers[0];
    expect(p?.batches).toHaveLength(NUM_BATCHES_TO_RETAIN);
    expect(p?.batches.map((b) => [b.firstSeq, b.lastSeq])).toEqual([[4, 5], [6, 7], [8, 9], [10, 11], [12, 13]]);
    m.update(data(1, 1, 0));
    expect(m.view([]).producers[0]?.batches.map((b) => b.firstSeq)).toEqual([0]);
    expect(m.view([]).producers[0]?.producerEpoch).toBe(1);
  });

  it('ignores batches without a producer id', () => {
    next = 0;
    const m = new ProducerStateManager();
    m.update(data(-1, -1, -1, 3));
    expect(m.view([])).toEqual({ mapEndOffset: 3, producers: [], ongoingTxns: [], abortedTxns: [] });
  });

  it('opens a transaction at its first transactional batch and completes it at the marker', () => {
    next = 0;
    const m = new ProducerStateManager();
    m.update(data(1, 0, 0, 1, true));
    m.update(data(2, 0, 0, 1, true));
    m.update(data(1, 0, 1, 1, true));
    expect(m.ongoingTxns()).toEqual([{ producerId: 1, firstOffset: 0 }, { producerId: 2, firstOffset: 1 }]);
    const done = m.update(marker(1, 0, 'ABORT'));
    expect(done).toEqual({ producerId: 1, firstOffset: 0, lastOffset: 3, isAborted: true });
    // The LSO of the abort: the first offset of the other producer's open transaction.
    expect(m.lastStableOffset(done!)).toBe(1);
    const commit = m.update(marker(2, 0, 'COMMIT', 5));
    expect(commit?.isAborted).toBe(false);
    expect(m.lastStableOffset(commit!)).toBe(5); // nothing open: marker + 1
    expect(m.view([]).producers.map((p) => p.coordinatorEpoch)).toEqual([4, 5]);
  });

  it('sequences wrap at Int.MAX', () => {
    expect(incrementSequence(0x7fffffff, 1)).toBe(0);
    expect(incrementSequence(0x7ffffffe, 3)).toBe(1);
    expect(decrementSequence(1, 3)).toBe(0x7ffffffe);
    expect(decrementSequence(5, 2)).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------
// Rebuild vs snapshot

const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), producer: fc.integer({ min: 1, max: 3 }), epoch: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 1, max: 3 }), transactional: fc.boolean() }),
  fc.record({ kind: fc.constant('marker' as const), producer: fc.integer({ min: 1, max: 3 }), epoch: fc.integer({ min: 0, max: 2 }), abort: fc.boolean() }),
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function batchesOf(steps: readonly Step[]): ProducerBatchInfo[] {
  next = 0;
  const seqs = new Map<number, number>();
  return steps.map((s) => {
    if (s.kind === 'marker') return marker(s.producer, s.epoch, s.abort ? 'ABORT' : 'COMMIT');
    const seq = seqs.get(s.producer) ?? 0;
    seqs.set(s.producer, seq + s.count);
    return data(s.producer, s.epoch, seq, s.count, s.transactional);
  });
}

/** Everything a snapshot preserves: per producer all but the older batches and the batch timestamp. */
function kept(state: ProducerStateSnapshot): unknown {
  return { ...state, producers: state.producers.map((p) => ({ ...p, batches: p.batches.slice(-1).map(({ timestamp: _, ...b }) => b) })) };
}

type SnapshotCodec = (entries: SnapshotEntry[]) => SnapshotEntry[];
const throughTheFile: SnapshotCodec = (entries) => decodeProducerSnapshot(encodeProducerSnapshot(entries), 'test.snapshot');
/** A broken snapshot that forgets open transactions: the same comparison must catch it. */
const forgetsOpenTransactions: SnapshotCodec = (entries) => throughTheFile(entries).map((e) => ({ ...e, currentTxnFirstOffset: -1 }));

function rebuiltAgrees(steps: readonly Step[], cut: number, codec: SnapshotCodec): boolean {
  const batches = batchesOf(steps);
  const at = Math.min(cut, batches.length);
  const full = new ProducerStateManager();
  const prefix = new ProducerStateManager();
  batches.forEach((b, i) => {
    full.update(b);
    if (i < at) prefix.update(b);
  });
  const snapshotOffset = batches[at]?.baseOffset ?? next;
  prefix.advanceTo(snapshotOffset);
  const reloaded = ProducerStateManager.fromSnapshot(snapshotOffset, codec(prefix.toSnapshotEntries()));
  for (const b of batches.slice(at)) reloaded.update(b);
  return JSON.stringify(kept(reloaded.view([]))) === JSON.stringify(kept(full.view([])));
}

describe('producer-state rebuild vs snapshot', () => {
  it('snapshot at any offset + replay equals a full replay (on what a snapshot keeps)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), fc.nat(30), (steps, cut) => rebuiltAgrees(steps, cut, throughTheFile)),
      { numRuns: 400 },
    );
  });

  it('the same check catches a snapshot that forgets open transactions', () => {
    const result = fc.check(
      fc.property(fc.array(stepArb, { maxLength: 30 }), fc.nat(30), (steps, cut) => rebuiltAgrees(steps, cut, forgetsOpenTransactions)),
      { numRuns: 400, seed: 7 },
    );
    expect(result.failed).toBe(true);
  });

  it('a reload keeps only each producer\'s last batch, as Kafka\'s snapshot does', () => {
    next = 0;
    const m = new ProducerStateManager();
    for (let i = 0; i < 4; i++) m.update(data(3, 0, i));
    const reloaded = ProducerStateManager.fromSnapshot(m.mapEndOffset(), throughTheFile(m.toSnapshotEntries()));
    expect(reloaded.view([]).producers[0]?.batches).toEqual([{ firstSeq: 3, lastSeq: 3, firstOffset: 3, lastOffset: 3, timestamp: 1003 }]);
  });
});

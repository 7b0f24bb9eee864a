import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LogBatch, placeBatch } from '../../src/protocol/log.ts';
import type { WriteTxnMarkers } from '../../src/protocol/txn-messages.ts';
import {
  type AbortedTransaction,
  type TxnPartitionState,
  abortedTransactions,
  chainItems,
  checkMarker,
  checkTransactionalProduce,
  filterReadCommitted,
  filterReadUncommitted,
  lastStableOffset,
  markerBatch,
  markerOf,
  txnStateFromLog,
} from '../../src/machines/txn-partition.ts';

function data(producerId: number, producerEpoch: number, value: string, isTransactional = true, baseSequence = 0): LogBatch {
  return {
    baseOffset: 0,
    lastOffset: 0,
    partitionLeaderEpoch: -1,
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional,
    isControl: false,
    records: [{ key: null, value }],
  };
}

/** Place batches one after the other from offset 0. */
function logOf(batches: readonly LogBatch[]): LogBatch[] {
  const log: LogBatch[] = [];
  for (const b of batches) log.push(placeBatch(b, log.length === 0 ? 0 : (log.at(-1) as LogBatch).lastOffset + 1, 0));
  return log;
}

function marker(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch = 0): LogBatch {
  return markerBatch(producerId, producerEpoch, commit ? 'COMMIT' : 'ABORT', coordinatorEpoch);
}

function writeMarkers(producerId: number, producerEpoch: number, coordinatorEpoch: number, transactionVersion: number, commit = true): WriteTxnMarkers {
  return {
    type: 'WriteTxnMarkers',
    from: 'broker-0',
    correlationId: 1,
    topic: 't',
    partition: 0,
    producerId,
    producerEpoch,
    transactionResult: commit,
    coordinatorEpoch,
    transactionVersion,
  };
}

describe('replay, LSO and the aborted-transaction index', () => {
  it('an open transaction holds the LSO at its first offset; its marker releases it once below the HW', () => {
    const log = logOf([data(-1, -1, 'a', false, -1), data(7, 0, 'b'), data(7, 0, 'c')]);
    const open = txnStateFromLog(log);
    expect(open.producers).toEqual([{ producerId: 7, producerEpoch: 0, coordinatorEpoch: -1, currentTxnFirstOffset: 1 }]);
    expect(lastStableOffset(open, 3)).toBe(1);
    expect(lastStableOffset(open, 0)).toBe(0); // never above the HW
    const committed = txnStateFromLog(logOf([...log.map((b) => ({ ...b })), marker(7, 0, true, 4)]));
    expect(lastStableOffset(committed, 3)).toBe(1); // marker at 3 not yet below the HW
    expect(lastStableOffset(committed, 4)).toBe(4);
    expect(committed.producers[0]?.coordinatorEpoch).toBe(4);
    expect(chainItems(committed.aborted)).toEqual([]);
  });

  it('an abort adds a .txnindex entry whose LSO is the next open transaction of another producer, else marker + 1', () => {
    const log = logOf([data(1, 0, 'a'), data(2, 0, 'b'), marker(1, 0, false), data(1, 0, 'c'), marker(1, 0, false)]);
    const state = txnStateFromLog(log);
    expect(chainItems(state.aborted)).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 },
      { producerId: 1, firstOffset: 3, lastOffset: 4, lastStableOffset: 1 },
    ]);
    const alone = txnStateFromLog(logOf([data(1, 0, 'a'), marker(1, 0, false)]));
    expect(chainItems(alone.aborted)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 }]);
    expect(abortedTransactions(state, 0, 5)).toEqual([
      { producerId: 1, firstOffset: 0 },
      { producerId: 1, firstOffset: 3 },
    ]);
    expect(abortedTransactions(state, 3, 5)).toEqual([{ producerId: 1, firstOffset: 3 }]);
    expect(abortedTransactions(state, 0, 3)).toEqual([{ producerId: 1, firstOffset: 0 }]);
  });

  it('a marker for a producer with no data here completes nothing', () => {
    const state = txnStateFromLog(logOf([marker(9, 0, true, 2)]));
    expect(chainItems(state.completed)).toEqual([]);
    expect(state.producers[0]).toMatchObject({ producerId: 9, coordinatorEpoch: 2, currentTxnFirstOffset: -1 });
    expect(markerOf(data(1, 0, 'x'))).toBeNull();
  });
});

describe('checks before an append', () => {
  const open = txnStateFromLog(logOf([data(7, 3, 'a')]));
  const none = txnStateFromLog([]);

  it('KIP-890 part 1: the first transactional write of a transaction needs verification; later ones do not', () => {
    expect(checkTransactionalProduce(none, data(7, 3, 'a'), { verification: true, verified: false })).toEqual({ kind: 'verify' });
    expect(checkTransactionalProduce(none, data(7, 3, 'a'), { verification: true, verified: true }).kind).toBe('append');
    expect(checkTransactionalProduce(open, data(7, 3, 'b'), { verification: true, verified: false }).kind).toBe('append');
  });

  it('twin: with verification off (no-partition-verification) the unverified write is appended', () => {
    expect(checkTransactionalProduce(none, data(7, 3, 'a'), { verification: false, verified: false }).kind).toBe('append');
  });

  it('INVALID_TXN_STATE for a non-transactional batch inside an open transaction', () => {
    expect(checkTransactionalProduce(open, data(7, 3, 'b', false), { verification: true, verified: false })).toMatchObject({
      kind: 'reject',
      errorCode: 'INVALID_TXN_STATE',
    });
    expect(checkTransactionalProduce(none, data(7, 3, 'b', false), { verification: true, verified: false }).kind).toBe('append');
  });

  it('TV2: a late batch of an ended transaction (older epoch than its marker) is rejected', () => {
    const ended = txnStateFromLog(logOf([data(7, 3, 'a'), marker(7, 4, true)]));
    expect(checkTransactionalProduce(ended, data(7, 3, 'late'), { verification: false, verified: false })).toMatchObject({
      kind: 'reject',
      errorCode: 'INVALID_PRODUCER_EPOCH',
    });
    // TV1: the marker keeps the epoch, so the same late batch opens a new transaction.
    const endedTv1 = txnStateFromLog(logOf([data(7, 3, 'a'), marker(7, 3, true)]));
    expect(checkTransactionalProduce(endedTv1, data(7, 3, 'late'), { verification: false, verified: false }).kind).toBe('append');
  });

  it('markers: TRANSACTION_COORDINATOR_FENCED below the stored coordinator epoch', () => {
    const state = txnStateFromLog(logOf([data(7, 3, 'a'), marker(7, 3, true, 5), data(7, 3, 'b')]));
    expect(checkMarker(state, writeMarkers(7, 3, 4, 1))).toMatchObject({ kind: 'reject', errorCode: 'TRANSACTION_COORDINATOR_FENCED' });
    expect(checkMarker(state, writeMarkers(7, 3, 5, 1)).kind).toBe('append');
    expect(checkMarker(state, writeMarkers(7, 3, 6, 1)).kind).toBe('append');
  });

  it('markers: TV1 rejects an older producer epoch; TV2 needs a bumped epoch except for a retry with nothing open', () => {
    expect(checkMarker(open, writeMarkers(7, 2, 0, 1))).toMatchObject({ kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH' });
    expect(checkMarker(open, writeMarkers(7, 3, 0, 1)).kind).toBe('append');
    expect(checkMarker(open, writeMarkers(7, 3, 0, 2))).toMatchObject({ kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH' });
    expect(checkMarker(open, writeMarkers(7, 4, 0, 2)).kind).toBe('append');
    const done = txnStateFromLog(logOf([data(7, 3, 'a'), marker(7, 4, true)]));
    expect(checkMarker(done, writeMarkers(7, 4, 0, 2)).kind).toBe('append'); // KAFKA-19999: idempotent retry
    expect(checkMarker(none, writeMarkers(8, 0, 0, 2)).kind).toBe('append');
  });
});

describe('read_committed filtering', () => {
  const log = logOf([
    data(-1, -1, 'plain', false, -1),
    data(1, 0, 'aborted-1'),
    data(2, 0, 'committed-2'),
    data(1, 0, 'aborted-2'),
    marker(1, 0, false),
    marker(2, 0, true),
    data(1, 0, 'later-1'),
    marker(1, 0, true),
  ]);
  const state = txnStateFromLog(log);

  it('drops aborted data and every control batch, keeps committed and plain records', () => {
    const lso = lastStableOffset(state, 8);
    expect(lso).toBe(8);
    const { records, nextOffset } = filterReadCommitted(log, abortedTransactions(state, 0, lso), 0);
    expect(records.map((r) => r.value)).toEqual(['plain', 'committed-2', 'later-1']);
    expect(records.map((r) => r.offset)).toEqual([0, 2, 6]);
    expect(nextOffset).toBe(8);
  });

  it('twin: read_uncommitted (no aborted list) hands the aborted records to the application', () => {
    const { records } = filterReadUncommitted(log, 0);
    expect(records.map((r) => r.value)).toContain('aborted-1');
    expect(records.some((r) => r.value === 'COMMIT' || r.value === 'ABORT' || r.key === 'ABORT')).toBe(false);
  });
});

// ---- Property: the read_committed view equals the ideal one ------------------------------------

type Op = { kind: 'write'; producer: number } | { kind: 'end'; producer: number; commit: boolean } | { kind: 'plain' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), producer: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('end' as const), producer: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }),
  fc.constant({ kind: 'plain' as const }),
);

/** The ideal semantics: each value's fate from the op list alone. */
function build(ops: readonly Op[]): { log: LogBatch[]; committed: string[] } {
  const batches: LogBatch[] = [];
  const open = new Map<number, string[]>();
  const visible: string[] = [];
  ops.forEach((op, i) => {
    if (op.kind === 'plain') {
      batches.push(data(-1, -1, `p${i}`, false, -1));
      visible.push(`p${i}`);
    } else if (op.kind === 'write') {
      batches.push(data(op.producer, 0, `t${i}`));
      open.set(op.producer, [...(open.get(op.producer) ?? []), `t${i}`]);
    } else {
      batches.push(marker(op.producer, 0, op.commit));
      if (op.commit) visible.push(...(open.get(op.producer) ?? []));
      open.delete(op.producer);
    }
  });
  return { log: logOf(batches), committed: visible };
}

function readCommittedValues(log: readonly LogBatch[], state: TxnPartitionState, filter: typeof filterReadCommitted): Set<string> {
  const end = log.length === 0 ? 0 : (log.at(-1) as LogBatch).lastOffset + 1;
  const lso = lastStableOffset(state, end);
  const below = log.filter((b) => b.baseOffset < lso);
  return new Set(filter(below, abortedTransactions(state, 0, lso), 0).records.map((r) => r.value));
}

/** The property checker: below the LSO, read_committed sees exactly the decided-visible values. */
function agreesWithIdeal(ops: readonly Op[], filter: typeof filterReadCommitted): boolean {
  const { log, committed } = build(ops);
  const state = txnStateFromLog(log);
  const end = log.length === 0 ? 0 : (log.at(-1) as LogBatch).lastOffset + 1;
  const lso = lastStableOffset(state, end);
  const seen = readCommittedValues(log, state, filter);
  const expected = committed.filter((v) => log.some((b) => b.baseOffset < lso && b.records[0]?.value === v));
  // Nothing at or past the LSO is decided; nothing below it is undecided.
  const openFirst = state.producers.filter((p) => p.currentTxnFirstOffset >= 0).map((p) => p.currentTxnFirstOffset);
  if (lso !== Math.min(end, ...openFirst)) return false;
  return seen.size === expected.length && expected.every((v) => seen.has(v));
}

/** A broken consumer that ignores the AbortedTransactions list (read_uncommitted filtering). */
const ignoresAborted: typeof filterReadCommitted = (batches, _aborted: readonly AbortedTransaction[], offset) =>
  filterReadUncommitted(batches, offset);

describe('property: read_committed below the LSO = committed + plain records', () => {
  it('holds for the real filter', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => agreesWithIdeal(ops, filterReadCommitted)), { numRuns: 300 });
  });

  it('twin: the same checker fails a filter that ignores the aborted list', () => {
    const result = fc.check(fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => agreesWithIdeal(ops, ignoresAborted)), { numRuns: 300 });
    expect(result.failed).toBe(true);
  });
});

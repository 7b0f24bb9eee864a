/**
 * The transactions model with delayed completion messages (formal-specs-and-bugs.md §2
 * items 11(b) and 12, KAFKA-17754's class): a WriteTxnMarkers times out while in flight, its
 * retry overtakes it (one racing timeout, one reorder: the retry goes over a new connection),
 * and the original arrives after the producer began its next transaction on the partition.
 * Under transaction.version=1 the next transaction has the same epoch, so the stale COMMIT
 * ends it before its producer asked (open-transaction-invisible, 20 steps). Under TV2 the
 * marker check refuses a marker whose epoch is not above the open transaction's (8,877
 * states, holds, and the stale marker did arrive).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, type TransactionsBounds, TODAY, transactionsModel } from '../../../model/explore/models/transactions.ts';
import { NO_TXN_FAULTS } from '../../../model/explore/txn/world.ts';

const DELAYED: TransactionsBounds = { ...DEFAULT_TRANSACTIONS_BOUNDS, incarnations: 1, partitions: 1, transactions: 2, budget: { ...NO_TXN_FAULTS, timeouts: 1, reorders: 1 } };

describe('transactions model: delayed completion messages', () => {
  it('TV2: 8,877 states, holds; a stale marker was delivered', () => {
    const r = explore(transactionsModel(DELAYED, TODAY));
    expect(r).toMatchObject({ distinctStates: 8877, exhaustive: true, depth: 30 });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('stale-marker-delivered')).toBe(true);
  });

  it('TV1: the delayed COMMIT marker of the first transaction commits the second before its producer asked (20 steps)', () => {
    const r = explore(transactionsModel(DELAYED, { variant: null, transactionVersion: 1 }, ['open-transaction-invisible']));
    expect(r.violation?.invariant).toBe('open-transaction-invisible');
    expect(r.violation?.witness).toBe('read_committed returns a1.0 at output-0@2, of a transaction producer-a never asked to commit');
    const texts = r.violation?.steps.map((s) => s.text) ?? [];
    expect(texts).toHaveLength(20);
    expect(texts.filter((t) => t.includes('WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 0'))).toHaveLength(2);
    expect(texts.some((t) => t.startsWith('reorder broker-0→broker-1 WriteTxnMarkers'))).toBe(true);
    expect(texts.indexOf('producer-a: beginTransaction, send a1.0 to output-0')).toBeLessThan(texts.length - 1);
    expect(texts.at(-1)).toBe('deliver broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 0 coordinatorEpoch 0');
  });
});

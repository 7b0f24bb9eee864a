/**
 * The transactions model over the real machines (txn-coordinator, replica + txn-partition,
 * txn-producer): exhaustive on small bounds with the distinct-state counts pinned (a change
 * in the machines' meaning shows as a diff), each holds-case with its `sometimes` twins
 * reached, and each historical fix switched off caught with its shortest trace, as
 * spec/explorer-transactions.md's results table lists them:
 *
 * - today's protocol (transaction.version=2) holds; `no-zombie-fencing` is caught
 *   (zombie-write-invisible, 13 steps);
 * - transaction.version=1 is caught with KIP-890 part 1 on: KIP-890's late-message case
 *   (aborted-transaction-invisible, 21 steps): a timed-out Produce of an aborted transaction
 *   lands after its ABORT marker and the next transaction (same epoch under TV1) commits it.
 *   (Before the replica machine cleared a producer's verification guard on a marker, as
 *   Kafka's ProducerStateManager does, a 13-step hanging transaction came first: a
 *   verification answer overtaken by the ABORT marker. test/machines/replica-txn.test.ts
 *   pins the fix.);
 * - `no-partition-verification` under TV1 is caught by a hanging transaction (11 steps),
 *   and is masked under TV2 (the epoch bump rejects the late Produce anyway).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, type TransactionsBounds, type TransactionsProtocol, TODAY, transactionsModel } from '../../../model/explore/models/transactions.ts';
import { NO_TXN_FAULTS, type TxnBudget } from '../../../model/explore/txn/world.ts';

function bounds(change: Partial<Omit<TransactionsBounds, 'budget'>>, budget: Partial<TxnBudget> = {}): TransactionsBounds {
  return { ...DEFAULT_TRANSACTIONS_BOUNDS, ...change, budget: { ...NO_TXN_FAULTS, ...budget } };
}

/** One incarnation, one partition, two transactions, one racing timeout: the KIP-890 late-message configuration. */
const LATE = bounds({ incarnations: 1, partitions: 1, transactions: 2 }, { timeouts: 1 });

function run(b: TransactionsBounds, protocol: TransactionsProtocol = TODAY, invariants?: readonly string[]) {
  return explore(transactionsModel(b, protocol, invariants));
}

describe('transactions model: today\'s protocol holds, exhaustively', () => {
  it('default bounds (two incarnations, two partitions, one one-record transaction each): 14,610 states; a zombie was fenced, transactions committed and aborted', () => {
    const r = run(DEFAULT_TRANSACTIONS_BOUNDS);
    expect(r).toMatchObject({ distinctStates: 14610, exhaustive: true, depth: 30 });
    expect(r.violation).toBeUndefined();
    for (const name of ['zombie-fenced', 'transaction-committed', 'transaction-aborted', 'abort-marker-over-data']) expect(r.reached.has(name), name).toBe(true);
  }, 60_000);

  it('a timed-out Produce arriving after its transaction ended (TV2): 4,740 states, rejected; the late message did arrive after the marker', () => {
    const r = run(LATE);
    expect(r).toMatchObject({ distinctStates: 4740, exhaustive: true, depth: 29 });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('late-produce-after-marker')).toBe(true);
    expect(r.reached.has('timeout-raced-answer')).toBe(true);
  });

  it('a coordinator failover (one incarnation, two partitions): 384 states, holds; the next coordinator aborted a transaction', () => {
    const r = run(bounds({ incarnations: 1 }, { failovers: 1 }));
    expect(r).toMatchObject({ distinctStates: 384, exhaustive: true });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('abort-after-coordinator-failover')).toBe(true);
  });
});

describe('transactions model: each fix switched off is caught', () => {
  it('no-zombie-fencing: the old instance commits after the new one got the same producer id and epoch (13 steps)', () => {
    const r = run(DEFAULT_TRANSACTIONS_BOUNDS, { variant: 'no-zombie-fencing', transactionVersion: 2 });
    expect(r.violation?.invariant).toBe('zombie-write-invisible');
    expect(r.violation?.steps).toHaveLength(13);
    const texts = r.violation?.steps.map((s) => s.text) ?? [];
    expect(texts).toContain('deliver broker-0→producer-b InitProducerIdResponse NONE pid 1000000 epoch 0');
    expect(texts.at(-1)).toMatch(/WriteTxnMarkers output-0 COMMIT/);
  });

  it('transaction.version=1: the shortest counterexample is KIP-890\'s late message (aborted-transaction-invisible, 21 steps); a verification answer overtaken by the ABORT marker no longer lets a write in', () => {
    const r = run(LATE, { variant: null, transactionVersion: 1 });
    expect(r.violation?.invariant).toBe('aborted-transaction-invisible');
    const texts = r.violation?.steps.map((s) => s.text) ?? [];
    expect(texts).toHaveLength(21);
    const abortMarker = texts.findIndex((t) => t.includes('WriteTxnMarkers output-0 ABORT'));
    const verified = texts.findIndex((t) => t.includes('AddPartitionsToTxnResponse NONE') && t.startsWith('deliver broker-0→broker-1'));
    expect(abortMarker).toBeGreaterThan(0);
    expect(verified).toBeGreaterThan(abortMarker);
  });

  it('transaction.version=1, judged on aborted-transaction-invisible: the aborted transaction\'s late Produce lands after its ABORT marker and the next transaction commits it (21 steps)', () => {
    const r = run(LATE, { variant: null, transactionVersion: 1 }, ['aborted-transaction-invisible']);
    expect(r.violation?.invariant).toBe('aborted-transaction-invisible');
    expect(r.violation?.witness).toBe('read_committed returns a0.0 at output-0@1, of a transaction producer-a was told aborted');
    const texts = r.violation?.steps.map((s) => s.text) ?? [];
    expect(texts).toHaveLength(21);
    const abortMarker = texts.findIndex((t) => t.includes('WriteTxnMarkers output-0 ABORT'));
    const landed = texts.indexOf('deliver broker-1→producer-a ProduceResponse output-0 NONE @1');
    expect(abortMarker).toBeGreaterThan(0);
    expect(landed).toBeGreaterThan(abortMarker);
    expect(texts.at(-1)).toMatch(/WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 0/);
  });

  it('no-partition-verification under TV1: the late Produce itself opens a hanging transaction (11 steps)', () => {
    const one = bounds({ incarnations: 1, partitions: 1, transactions: 1 }, { timeouts: 1 });
    const off = run(one, { variant: 'no-partition-verification', transactionVersion: 1 });
    expect(off.violation?.invariant).toBe('no-hanging-transaction');
    expect(off.violation?.steps).toHaveLength(11);
    expect(off.violation?.steps.some((s) => s.text.includes('(verifyOnly)'))).toBe(false);
  });

  it('transaction.version=1 without faults holds (13,142 states): the late message needs a timeout racing its answer', () => {
    const r = run(DEFAULT_TRANSACTIONS_BOUNDS, { variant: null, transactionVersion: 1 });
    expect(r).toMatchObject({ distinctStates: 13142, exhaustive: true });
    expect(r.violation).toBeUndefined();
  }, 60_000);

  it('no-partition-verification under TV2 is masked by the epoch bump: 3,301 states, holds', () => {
    const r = run(LATE, { variant: 'no-partition-verification', transactionVersion: 2 });
    expect(r).toMatchObject({ distinctStates: 3301, exhaustive: true });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('late-produce-after-marker')).toBe(true);
  });
});

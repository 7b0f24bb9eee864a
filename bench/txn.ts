/**
 * Transactions: end-to-end transactions per second through the machines (transactional
 * producer client, coordinator, `__transaction_state` replica, data-partition replica, on
 * the in-test router of test/machines/txn-world.ts), and the partition side's pure
 * functions: log replay into transaction state, and the read_committed filter. Run with
 * `npm run bench txn`.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_CONFIG } from '../src/protocol/config.ts';
import { type LogBatch, placeBatch } from '../src/protocol/log.ts';
import { type TxnProducerContext, txnProducerMachine } from '../src/machines/txn-producer.ts';
import { abortedTransactions, emptyTxnState, filterReadCommitted, lastStableOffset, markerBatch, replayTxnBatch, txnStateFromLog } from '../src/machines/txn-partition.ts';
import { TxnWorld } from '../test/machines/txn-world.ts';

function endToEnd(transactions: number, version: 1 | 2): number {
  const w = new TxnWorld({ ...DEFAULT_CONFIG, 'transaction.version': version }, [{ topic: 't', partition: 0 }]);
  w.elect(0);
  w.clients.set('p0', 'p0');
  w.boot('p0', txnProducerMachine, { config: w.config, clientId: 'p0', transactionalId: 'tx', bootstrapBrokers: [0, 1] });
  w.dispatch('p0', { type: 'InitTransactions' });
  w.run();
  const started = performance.now();
  for (let i = 0; i < transactions; i++) {
    w.dispatch('p0', { type: 'BeginTransaction' });
    w.dispatch('p0', { type: 'Send', process: 0, topic: 't', partition: 0, value: `a${i}` });
    w.dispatch('p0', { type: 'Send', process: 0, topic: 't', partition: 0, value: `b${i}` });
    w.run();
    w.dispatch('p0', { type: 'CommitTransaction' });
    w.run();
    if ((w.slot('p0').snapshot.context as TxnProducerContext).phase !== 'ready') throw new Error(`transaction ${i} did not complete`);
  }
  return transactions / ((performance.now() - started) / 1000);
}

/** A log of `n` batches: 3 producers, transactions of 3 writes, one in three aborted. */
function mixedLog(n: number): LogBatch[] {
  const log: LogBatch[] = [];
  const open = [0, 0, 0];
  for (let i = 0; log.length < n; i++) {
    const p = i % 3;
    const offset = log.length === 0 ? 0 : (log.at(-1) as LogBatch).lastOffset + 1;
    const batch: LogBatch =
      open[p] === 3
        ? markerBatch(p + 1, 0, i % 9 === 0 ? 'ABORT' : 'COMMIT', 0)
        : { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: 0, producerId: p + 1, producerEpoch: 0, baseSequence: i, isTransactional: true, isControl: false, records: [{ key: null, value: `v${i}` }] };
    open[p] = open[p] === 3 ? 0 : (open[p] as number) + 1;
    log.push(placeBatch(batch, offset, 0));
  }
  return log;
}

function rate(label: string, units: number, unit: string, body: () => void): void {
  const t0 = performance.now();
  body();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${label}: ${Math.round(units / seconds).toLocaleString('en-US')} ${unit}/s (${seconds.toFixed(3)} s)`);
}

export async function run(): Promise<void> {
  endToEnd(50, 2); // warm up
  for (const version of [2, 1] as const) {
    const tps = endToEnd(500, version);
    console.log(`end-to-end, TV${version}: ${Math.round(tps).toLocaleString('en-US')} transactions/s (2 sends each; InitProducerId excluded)`);
  }
  const log = mixedLog(20000);
  rate('cold replay into transaction state (20,000 batches)', 20000 * 20, 'batches', () => {
    for (let i = 0; i < 20; i++) log.reduce(replayTxnBatch, emptyTxnState());
  });
  // What a replica does per append: a new array one batch longer (the copy is the caller's).
  const growing = Array.from({ length: 2000 }, (_, n) => log.slice(0, n + 1));
  rate('txnStateFromLog per append, logs up to 2,000 batches (memoized)', 2000, 'appends', () => {
    for (const prefix of growing) txnStateFromLog(prefix);
  });
  const state = txnStateFromLog(log);
  const end = (log.at(-1) as LogBatch).lastOffset + 1;
  const lso = lastStableOffset(state, end);
  const aborted = abortedTransactions(state, 0, lso);
  rate('filterReadCommitted (20,000 batches)', 20000 * 20, 'batches', () => {
    for (let i = 0; i < 20; i++) filterReadCommitted(log, aborted, 0);
  });
}

/**
 * The transactions explorer's figures on one core (model/explore/models/transactions.ts):
 * distinct states per wall-clock second and per CPU second of this process (what one core
 * gives when the machine is shared), transitions per second, bytes per state, for:
 *
 * - `today, default bounds`: two incarnations, two partitions, one one-record transaction
 *   each, no faults: exhausted (the pinned 14,610 states);
 * - `today, one racing timeout`: the default bounds with one request timeout racing its
 *   answer, exhausted (224,095 states: the frontier and the key at scale);
 * - `TV1 search`: transaction.version=1 with one incarnation, one partition, two
 *   transactions and one racing timeout, until BFS finds KIP-890's late-message
 *   counterexample (21 steps: the aborted transaction's late Produce joins the next one).
 */
import { performance } from 'node:perf_hooks';
import { explore } from '../model/explore/bfs.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, type TransactionsBounds, type TransactionsProtocol, TODAY, transactionsModel } from '../model/explore/models/transactions.ts';
import { NO_TXN_FAULTS, type TxnBudget } from '../model/explore/txn/world.ts';

interface Case {
  readonly name: string;
  readonly protocol: TransactionsProtocol;
  readonly bounds: Partial<Omit<TransactionsBounds, 'budget'>>;
  readonly budget: Partial<TxnBudget>;
}

const CASES: readonly Case[] = [
  { name: 'today, default bounds', protocol: TODAY, bounds: {}, budget: {} },
  { name: 'today, one racing timeout', protocol: TODAY, bounds: {}, budget: { timeouts: 1 } },
  { name: 'TV1 search (1 incarnation, 1 partition, 2 transactions, 1 racing timeout)', protocol: { variant: null, transactionVersion: 1 }, bounds: { incarnations: 1, partitions: 1, transactions: 2 }, budget: { timeouts: 1 } },
];

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

export async function run(): Promise<void> {
  for (const c of CASES) {
    const bounds: TransactionsBounds = { ...DEFAULT_TRANSACTIONS_BOUNDS, ...c.bounds, budget: { ...NO_TXN_FAULTS, ...c.budget } };
    const model = transactionsModel(bounds, c.protocol);
    const before = heapUsed();
    let peak = before;
    const cpuBefore = process.cpuUsage();
    const result = explore(model, { now: () => performance.now(), progressEvery: 10_000, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const verdict = result.violation === undefined ? (result.exhaustive ? 'exhaustive, holds' : 'stopped') : `${result.violation.invariant} violated, trace ${result.violation.steps.length} steps`;
    console.log(
      `${c.name}: ${result.distinctStates} states, ${result.transitions} transitions, depth ${result.depth}, ${result.seconds.toFixed(1)} s, ` +
        `${Math.round(result.distinctStates / Math.max(result.seconds, 1e-6))} states/s wall, ${Math.round(result.distinctStates / Math.max(cpuSeconds, 1e-6))} states per CPU second, ` +
        `${Math.round(result.transitions / Math.max(result.seconds, 1e-6))} transitions/s, visited ${(result.visitedBytes / result.distinctStates).toFixed(1)} B/state, ` +
        `heap peak +${((peak - before) / result.distinctStates).toFixed(0)} B/state; ${verdict}`,
    );
  }
}

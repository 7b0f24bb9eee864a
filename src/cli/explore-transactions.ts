/**
 * `kafka-oracle explore --model transactions [--variant V] [--transaction-version 1|2] [bounds...] [--json] [--trace FILE]`
 * `kafka-oracle explore --model transactions --replay FILE`
 *
 * Breadth-first (or, with `--search dfs`, depth-first) exploration of the transactions model (model/explore/models/transactions.ts:
 * one coordinator, two partitions, two incarnations of one transactional producer). Same
 * output as the replication model (src/cli/explore.ts): progress, totals, the `sometimes`
 * properties reached, the shortest counterexample as numbered steps; `--json` answers with
 * `{model, variant, transactionVersion, search, bounds, distinctStates, transitions, depth, seconds,
 * statesPerSecond, exhaustive, reached, violation?}`; `--trace FILE` writes the
 * counterexample, which `--replay FILE` re-runs through the same step functions, judging
 * every state again. Exit status: 0 no violation, 1 a violation, 2 bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import type { ExploreResult, Frontier } from '../../model/explore/bfs.ts';
import { replaySteps } from '../../model/explore/replay.ts';
import { CAMPAIGN_USAGE, FRONTIER_USAGE, type CampaignArgs, type Search, campaignFields, checkCampaign, parseCampaignFlag, parseFrontier, parseSearch, parseVariant, pausedLine, searchLines, runSearch, searchOf, searchOptions, traceHeading } from './explore-common.ts';
import type { Checkpoint } from './explore-checkpoint.ts';
import { collisionProbability } from '../../model/explore/fingerprint.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, TRANSACTIONS_VARIANTS, type TransactionsBounds, type TransactionsProtocol, transactionsModel } from '../../model/explore/models/transactions.ts';
import type { TxnAction } from '../../model/explore/txn/actions.ts';
import { TXN_INVARIANTS } from '../../model/explore/txn/judge.ts';
import { TXN_BUDGET_KEYS, type TxnBudget, type TxnWorld } from '../../model/explore/txn/world.ts';
import { type TxnTraceFile, txnTraceBounds, validateTxnTrace } from '../sim/eos/trace-file.ts';
import type { Io } from './io.ts';

const BOUND_FLAGS: Readonly<Record<string, { key: keyof Omit<TransactionsBounds, 'budget'>; min: number; max: number }>> = {
  '--transactions': { key: 'transactions', min: 0, max: 100 },
  '--records': { key: 'records', min: 1, max: 100 },
  '--incarnations': { key: 'incarnations', min: 1, max: 2 },
  '--partitions': { key: 'partitions', min: 1, max: 2 },
  '--retries': { key: 'retries', min: 0, max: 1000 },
};

const BUDGET_FLAGS: Readonly<Record<string, keyof TxnBudget>> = {
  '--drops': 'drops',
  '--duplicates': 'duplicates',
  '--reorders': 'reorders',
  '--timeouts': 'timeouts',
  '--failovers': 'failovers',
};

export const TRANSACTIONS_USAGE = [
  'usage: kafka-oracle explore --model transactions [--variant none|no-zombie-fencing|no-partition-verification] [--transaction-version 1|2] [--invariants A,B] [--json] [--max-states N] [--search bfs|dfs] [--workers N] [--trace FILE]',
  `       bounds: ${[...Object.keys(BOUND_FLAGS), ...Object.keys(BUDGET_FLAGS)].map((f) => `${f} N`).join(' ')}`,
  CAMPAIGN_USAGE,
  FRONTIER_USAGE,
  '       kafka-oracle explore --model transactions --replay FILE',
].join('\n');

export interface TransactionsArgs extends CampaignArgs {
  protocol: TransactionsProtocol;
  bounds: TransactionsBounds;
  json: boolean;
  maxStates: number | undefined;
  trace: string | undefined;
  replay: string | undefined;
  /** Judge only these invariants (default: all of TXN_INVARIANTS). */
  invariants: readonly string[];
  /** Threads (worker_threads) for the search; 1 runs it on the main thread. */
  workers: number;
  search: Search;
  /** Where a breadth-first search keeps its level: `memory` (worlds) or `replay` (rebuilt from the parent links). */
  frontier: Frontier;
}

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InputError(`${flag} must be an integer from ${min} to ${max}, not '${value}'`);
  return Number(value);
}

function parseInvariants(value: string): string[] {
  const names = value.split(',').filter((n) => n !== '');
  const unknown = names.filter((n) => !TXN_INVARIANTS.includes(n));
  if (names.length === 0 || unknown.length > 0) throw new InputError(`--invariants: unknown invariant '${unknown[0] ?? value}' (known: ${TXN_INVARIANTS.join(', ')})`);
  return names;
}

export function parseTransactionsArgs(args: readonly string[]): TransactionsArgs {
  const o: TransactionsArgs = { protocol: { variant: null, transactionVersion: 2 }, bounds: DEFAULT_TRANSACTIONS_BOUNDS, json: false, maxStates: undefined, trace: undefined, replay: undefined, invariants: TXN_INVARIANTS, workers: 1, search: 'bfs', frontier: 'memory', checkpoint: undefined, stopAfter: undefined, resume: undefined };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === '--json') {
      o.json = true;
      continue;
    }
    const value = args[++i];
    if (value === undefined) throw new InputError(`${flag} needs a value (${TRANSACTIONS_USAGE.split('\n')[0]})`);
    const bound = BOUND_FLAGS[flag];
    const fault = BUDGET_FLAGS[flag];
    if (flag === '--model') {
      if (value !== 'transactions') throw new InputError(`--model: expected 'transactions', not '${value}'`);
    } else if (flag === '--variant') o.protocol = { ...o.protocol, variant: parseVariant(value, TRANSACTIONS_VARIANTS, 'transactions') };
    else if (flag === '--transaction-version') o.protocol = { ...o.protocol, transactionVersion: integer(flag, value, 1, 2) as 1 | 2 };
    else if (flag === '--max-states') o.maxStates = integer(flag, value, 1, Number.MAX_SAFE_INTEGER);
    else if (flag === '--workers') o.workers = integer(flag, value, 1, 64);
    else if (flag === '--search') o.search = parseSearch(value);
    else if (flag === '--frontier') o.frontier = parseFrontier(value);
    else if (parseCampaignFlag(o, flag, value)) continue;
    else if (flag === '--trace') o.trace = value;
    else if (flag === '--replay') o.replay = value;
    else if (flag === '--invariants') o.invariants = parseInvariants(value);
    else if (bound !== undefined) o.bounds = { ...o.bounds, [bound.key]: integer(flag, value, bound.min, bound.max) };
    else if (fault !== undefined) o.bounds = { ...o.bounds, budget: { ...o.bounds.budget, [fault]: integer(flag, value, 0, 1000) } };
    else throw new InputError(`unknown option '${flag}' for --model transactions (${TRANSACTIONS_USAGE.split('\n')[0]})`);
  }
  if (o.resume !== undefined) o.search = 'dfs';
  checkCampaign(o);
  return o;
}

export function transactionsJson(o: TransactionsArgs, result: ExploreResult<TxnWorld, TxnAction>): Record<string, unknown> {
  const { budget, ...rest } = o.bounds;
  return {
    model: 'transactions',
    variant: o.protocol.variant ?? 'none',
    transactionVersion: o.protocol.transactionVersion,
    search: o.search,
    ...(o.invariants === TXN_INVARIANTS ? {} : { invariants: o.invariants }),
    bounds: { ...rest, ...Object.fromEntries(TXN_BUDGET_KEYS.map((k) => [k, budget[k]])) },
    distinctStates: result.distinctStates,
    transitions: result.transitions,
    depth: result.depth,
    seconds: Math.round(result.seconds * 1000) / 1000,
    statesPerSecond: Math.round(result.distinctStates / Math.max(result.seconds, 1e-6)),
    exhaustive: result.exhaustive,
    reached: Object.fromEntries([...result.reached].map(([name, r]) => [name, r.depth])),
    ...(result.violation === undefined ? {} : { violation: { invariant: result.violation.invariant, witness: result.violation.witness, steps: result.violation.steps.map((s) => s.text) } }),
  };
}

/** What `--trace FILE` writes (src/sim/eos/trace-file.ts reads it back). */
export type TransactionsTraceFile = TxnTraceFile;

function describeBounds(o: TransactionsArgs): string {
  const b = o.bounds;
  return `transaction.version ${o.protocol.transactionVersion}, ${b.incarnations} incarnations, ${b.partitions} partitions, ${b.transactions} transactions of ≤ ${b.records} records each, retries ${b.retries}; faults: ${TXN_BUDGET_KEYS.map((k) => `${k} ${b.budget[k]}`).join(', ')}`;
}

async function runExplore(o: TransactionsArgs, io: Io, checkpoint?: Checkpoint): Promise<number> {
  if (!o.json) io.out(`explore transactions | variant ${o.protocol.variant ?? 'none'} | ${describeBounds(o)}${o.invariants === TXN_INVARIANTS ? '' : ` | invariants ${o.invariants.join(', ')}`}`);
  const options = searchOptions(io, o, 50_000);
  const result = await runSearch<TxnWorld, TxnAction>({ model: 'transactions', bounds: o.bounds, protocol: o.protocol, invariants: o.invariants }, o, options, checkpoint);
  if (io.isTty) io.status('');
  const v = result.violation;
  if (o.trace !== undefined && v !== undefined) {
    const file: TransactionsTraceFile = { model: 'transactions', variant: o.protocol.variant, transactionVersion: o.protocol.transactionVersion, bounds: o.bounds, invariant: v.invariant, steps: v.steps.map((s) => ({ action: s.action, text: s.text })) };
    writeFileSync(o.trace, JSON.stringify(file, null, 1));
  }
  const paused = pausedLine(result, o);
  if (o.json) io.out(JSON.stringify({ ...transactionsJson(o, result), ...campaignFields(result, o) }));
  else printHuman(io, result, o.search);
  if (!o.json) for (const line of searchLines(result)) io.out(line);
  if (!o.json && paused !== undefined) io.out(paused);
  return v === undefined ? 0 : 1;
}

function printHuman(io: Io, r: ExploreResult<TxnWorld, TxnAction>, search: Search): void {
  io.out(`${r.exhaustive ? 'exhaustive' : 'stopped'}: ${r.distinctStates} distinct states, ${r.transitions} transitions, depth ${r.depth}, ${r.seconds.toFixed(1)} s, ${Math.round(r.distinctStates / Math.max(r.seconds, 1e-6))} states/s (fingerprint collision bound ${collisionProbability(r.distinctStates).toExponential(1)})`);
  io.out(`sometimes reached: ${[...r.reached].map(([name, x]) => `${name} (depth ${x.depth})`).join(', ') || 'none'}`);
  if (r.violation === undefined) {
    io.out('no invariant violated');
    return;
  }
  io.out(`VIOLATED ${r.violation.invariant}: ${r.violation.witness}`);
  io.out(traceHeading(search, r.violation.steps.length));
  r.violation.steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${s.text}`));
}

function readTrace(file: string): TxnTraceFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: not a readable JSON trace (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  return validateTxnTrace(data, file);
}

/** Re-run a trace file: each step must be enabled where it is taken; every state is judged. */
export function replayTransactions(file: string, io: Io): number {
  const trace = readTrace(file);
  const model = transactionsModel(txnTraceBounds(trace), { variant: trace.variant, transactionVersion: trace.transactionVersion });
  io.out(`replay ${file}: transactions | variant ${trace.variant ?? 'none'} | transaction.version ${trace.transactionVersion} | ${trace.steps.length} steps`);
  const outcome = replaySteps(model, trace.steps, file);
  outcome.lines.forEach((line) => io.out(line));
  return outcome.violation === undefined ? 0 : 1;
}

/** The `explore --model transactions ...` entry (src/cli/explore.ts dispatches here). */
/** `checkpoint`: a resumed transactions search's checkpoint (read by the replication CLI, which `--resume` goes through first). */
export async function runTransactionsExplore(args: readonly string[], io: Io, checkpoint?: Checkpoint): Promise<number> {
  if (args.includes('--help')) {
    io.out(TRANSACTIONS_USAGE);
    return 0;
  }
  const o = parseTransactionsArgs(args);
  if (o.replay !== undefined) return replayTransactions(o.replay, io);
  if (checkpoint !== undefined && checkpoint.recipe.model === 'transactions') {
    const r = checkpoint.recipe;
    Object.assign(o, { bounds: r.bounds, protocol: r.protocol, invariants: r.invariants, ...searchOf(checkpoint) });
  }
  return runExplore(o, io, checkpoint);
}

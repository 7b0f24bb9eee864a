/**
 * `kafka-oracle explore --model replication [--variant V] [bounds...] [--json]`
 * `kafka-oracle explore --replay FILE`
 *
 * Breadth-first exploration of every interleaving of a bounded configuration of the
 * machines (model/explore); `--frontier replay` keeps the breadth-first frontier as the
 * tree of parent links instead of worlds, and `--search dfs` explores the same states
 * depth-first, keeping only the current path: both for bounds whose held frontier does not
 * fit in memory. Prints progress (distinct states, depth, queue, states/s),
 * then totals, the `sometimes` properties reached, and the shortest counterexample as a
 * numbered step list. `--trace FILE` writes the counterexample as JSON, which
 * `explore --replay FILE` re-runs through the same step functions, re-checking the
 * invariant at every step (the simulator's `replay` schedules by seeded PRNG and cannot
 * name a particular message, so the explorer replays its own traces; spec/explorer.md).
 *
 * Exit status: 0 no violation, 1 a violation (or one reproduced by --replay), 2 bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import type { Variant } from '../protocol/config.ts';
import type { ExploreResult, Frontier } from '../../model/explore/bfs.ts';
import { CAMPAIGN_USAGE, FRONTIER_USAGE, type CampaignArgs, type Search, campaignFields, checkCampaign, parseCampaignFlag, parseFrontier, parseSearch, parseVariant, pausedLine, searchLines, resumed, runSearch, searchOf, searchOptions, traceHeading } from './explore-common.ts';
import type { Checkpoint } from './explore-checkpoint.ts';
import type { Action } from '../../model/explore/actions.ts';
import { DEFAULT_REPLICATION_BOUNDS, REPLICATION_VARIANTS, type ReplicationBounds, replicationModel } from '../../model/explore/models/replication.ts';
import { replayTrace, type TraceFile } from '../../model/explore/replay.ts';
import { REDUCTIONS, type Reduction } from '../../model/explore/reduction.ts';
import { BUDGET_KEYS, type Budget, type World } from '../../model/explore/world.ts';
import { collisionProbability } from '../../model/explore/fingerprint.ts';
import { simulate } from '../../model/explore/simulate.ts';
import type { Io } from './io.ts';
import { runTransactionsExplore } from './explore-transactions.ts';
import type { Command } from './main.ts';

const BOUND_FLAGS: Readonly<Record<string, keyof Omit<ReplicationBounds, 'budget' | 'idempotence'>>> = {
  '--replicas': 'replicas',
  '--records': 'records',
  '--leader-epochs': 'leaderEpochs',
  '--partition-epochs': 'partitionEpochs',
  '--retries': 'retries',
  '--min-isr': 'minIsr',
};

const BUDGET_FLAGS: Readonly<Record<string, keyof Budget>> = {
  '--crashes': 'crashes',
  '--power-losses': 'powerLosses',
  '--drops': 'drops',
  '--duplicates': 'duplicates',
  '--reorders': 'reorders',
  '--expirations': 'expirations',
  '--timeouts': 'timeouts',
  '--lags': 'lags',
};

const USAGE = [
  'usage: kafka-oracle explore [--model replication] [--variant NAME] [--enable-idempotence BOOL] [--json] [--max-states N] [--search bfs|dfs] [--workers N] [--trace FILE]',
  `       bounds: ${[...Object.keys(BOUND_FLAGS), ...Object.keys(BUDGET_FLAGS)].map((f) => `${f} N`).join(' ')}`,
  '       --search dfs   (depth-first: keeps the path instead of a level of worlds, for bounds whose frontier does not fit in memory; counterexamples are not shortest)',
  CAMPAIGN_USAGE,
  FRONTIER_USAGE,
  '       --reduction none|quiet-pushes   (quiet-pushes: deliver LeaderAndIsr pushes that change nothing observable at once; sound, spec/explorer.md)',
  '       kafka-oracle explore --simulate WALKS [--depth D] [--seed S] [bounds...]   (random walks, no exhaustiveness)',
  '       kafka-oracle explore --replay FILE',
].join('\n');

export interface ExploreArgs extends CampaignArgs {
  model: string;
  variant: Variant | null;
  bounds: ReplicationBounds;
  json: boolean;
  maxStates: number | undefined;
  /** Threads (worker_threads) for the search; 1 runs it on the main thread. */
  workers: number;
  search: Search;
  /** Where a breadth-first search keeps its level: `memory` (worlds) or `replay` (rebuilt from the parent links). */
  frontier: Frontier;
  trace: string | undefined;
  replay: string | undefined;
  /** Simulation mode: random walks instead of BFS. */
  simulate: { walks: number; depth: number; seed: number } | undefined;
  reduction: Reduction;
}

function integer(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new InputError(`${flag} must be an integer ≥ ${min}, not '${value}'`);
  return Number(value);
}

export function parseExploreArgs(args: readonly string[]): ExploreArgs {
  const o: ExploreArgs = { model: 'replication', variant: null, bounds: DEFAULT_REPLICATION_BOUNDS, json: false, maxStates: undefined, workers: 1, search: 'bfs', frontier: 'memory', checkpoint: undefined, stopAfter: undefined, resume: undefined, trace: undefined, replay: undefined, simulate: undefined, reduction: 'none' };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === '--json') {
      o.json = true;
      continue;
    }
    const value = args[++i];
    if (value === undefined) throw new InputError(`${flag} needs a value (${USAGE.split('\n')[0]})`);
    if (flag === '--model') {
      if (value !== 'replication') throw new InputError(`--model: unknown model '${value}' (known: replication, transactions)`);
      o.model = value;
    } else if (flag === '--variant') o.variant = parseVariant(value, REPLICATION_VARIANTS, 'replication');
    else if (flag === '--max-states') o.maxStates = integer(flag, value, 1);
    else if (flag === '--workers') {
      o.workers = integer(flag, value, 1);
      if (o.workers > 64) throw new InputError(`--workers must be at most 64, not ${o.workers}`);
    }
    else if (flag === '--enable-idempotence') {
      if (value !== 'true' && value !== 'false') throw new InputError(`--enable-idempotence must be true or false, not '${value}'`);
      o.bounds = { ...o.bounds, idempotence: value === 'true' };
    }
    else if (flag === '--reduction') o.reduction = parseReduction(value);
    else if (flag === '--search') o.search = parseSearch(value);
    else if (flag === '--frontier') o.frontier = parseFrontier(value);
    else if (parseCampaignFlag(o, flag, value)) continue;
    else if (flag === '--trace') o.trace = value;
    else if (flag === '--replay') o.replay = value;
    else if (flag === '--simulate') o.simulate = { ...(o.simulate ?? { depth: 100, seed: 1 }), walks: integer(flag, value, 1) };
    else if (flag === '--depth') o.simulate = { ...(o.simulate ?? { walks: 1000, seed: 1 }), depth: integer(flag, value, 1) };
    else if (flag === '--seed') o.simulate = { ...(o.simulate ?? { walks: 1000, depth: 100 }), seed: integer(flag, value, 0) };
    else if (flag in BOUND_FLAGS) o.bounds = { ...o.bounds, [BOUND_FLAGS[flag] as string]: integer(flag, value, flag === '--replicas' || flag === '--min-isr' ? 1 : 0) };
    else if (flag in BUDGET_FLAGS) o.bounds = { ...o.bounds, budget: { ...o.bounds.budget, [BUDGET_FLAGS[flag] as string]: integer(flag, value, 0) } };
    else throw new InputError(`unknown option '${flag}' (${USAGE.split('\n')[0]})`);
  }
  if (o.bounds.minIsr > o.bounds.replicas) throw new InputError(`--min-isr ${o.bounds.minIsr} exceeds --replicas ${o.bounds.replicas}`);
  if (o.resume !== undefined) {
    const shaping = args.find((a) => a in BOUND_FLAGS || a in BUDGET_FLAGS || ['--variant', '--reduction', '--enable-idempotence', '--model', '--search', '--frontier'].includes(a));
    if (shaping !== undefined) throw new InputError(`--resume takes the model, bounds and search from its checkpoint; do not give ${shaping}`);
    o.search = 'dfs';
  }
  checkCampaign(o);
  return o;
}

function parseReduction(value: string): Reduction {
  const found = REDUCTIONS.find((r) => r === value);
  if (found === undefined) throw new InputError(`--reduction: unknown reduction '${value}' (known: ${REDUCTIONS.join(', ')})`);
  return found;
}

/** The `--json` answer (issue 6's shape). */
export function jsonSummary(o: ExploreArgs, result: ExploreResult<World, Action>): Record<string, unknown> {
  const { budget, ...rest } = o.bounds;
  return {
    model: o.model,
    variant: o.variant ?? 'none',
    reduction: o.reduction,
    search: o.search,
    bounds: { ...rest, ...Object.fromEntries(BUDGET_KEYS.map((k) => [k, budget[k]])) },
    distinctStates: result.distinctStates,
    transitions: result.transitions,
    depth: result.depth,
    seconds: round(result.seconds),
    statesPerSecond: Math.round(result.distinctStates / Math.max(result.seconds, 1e-6)),
    exhaustive: result.exhaustive,
    reached: Object.fromEntries([...result.reached].map(([name, r]) => [name, r.depth])),
    ...(result.violation === undefined ? {} : { violation: { invariant: result.violation.invariant, witness: result.violation.witness, steps: result.violation.steps.map((s) => s.text) } }),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function traceFile(o: ExploreArgs, result: ExploreResult<World, Action>): TraceFile {
  const v = result.violation;
  if (v === undefined) throw new InputError('--trace: no violation was found, so there is no trace to write');
  return { model: 'replication', variant: o.variant, bounds: o.bounds, reduction: o.reduction, invariant: v.invariant, steps: v.steps.map((s) => ({ action: s.action, text: s.text })) };
}

async function runExplore(o: ExploreArgs, io: Io, checkpoint?: Checkpoint): Promise<number> {
  if (!o.json) io.out(`explore ${o.model} | variant ${o.variant ?? 'none'} | ${describeBounds(o.bounds)}${o.reduction === 'none' ? '' : ` | reduction ${o.reduction}`}${o.search === 'bfs' ? '' : ` | ${o.search}`}${o.frontier === 'replay' ? ' | frontier replay' : ''}${o.workers > 1 ? ` | ${o.workers} threads` : ''}`);
  const options = searchOptions(io, o, 100_000);
  const result = await runSearch<World, Action>({ model: 'replication', bounds: o.bounds, variant: o.variant, reduction: o.reduction }, o, options, checkpoint);
  if (io.isTty) io.status('');
  if (o.trace !== undefined && result.violation !== undefined) writeFileSync(o.trace, JSON.stringify(traceFile(o, result), null, 1));
  const paused = pausedLine(result, o);
  if (o.json) io.out(JSON.stringify({ ...jsonSummary(o, result), ...campaignFields(result, o) }));
  else printHuman(io, result, o.search);
  if (!o.json) for (const line of searchLines(result)) io.out(line);
  if (!o.json && paused !== undefined) io.out(paused);
  return result.violation === undefined ? 0 : 1;
}

function describeBounds(b: ReplicationBounds): string {
  const budget = BUDGET_KEYS.map((k) => `${k} ${b.budget[k]}`).join(', ');
  return `replicas ${b.replicas}, records ${b.records}, leader epochs ≤ ${b.leaderEpochs}, partition epochs ≤ ${b.partitionEpochs}, retries ${b.retries}, min ISR ${b.minIsr}, idempotence ${b.idempotence}; faults: ${budget}`;
}

function printHuman(io: Io, r: ExploreResult<World, Action>, search: Search): void {
  io.out(`${r.exhaustive ? 'exhaustive' : 'stopped'}: ${r.distinctStates} distinct states, ${r.transitions} transitions, depth ${r.depth}, ${r.seconds.toFixed(1)} s, ${Math.round(r.distinctStates / Math.max(r.seconds, 1e-6))} states/s, ${(r.visitedBytes / Math.max(r.distinctStates, 1)).toFixed(1)} bytes/state visited (fingerprint collision bound ${collisionProbability(r.distinctStates).toExponential(1)})`);
  io.out(`sometimes reached: ${[...r.reached].map(([name, x]) => `${name} (depth ${x.depth})`).join(', ') || 'none'}`);
  if (r.violation === undefined) {
    io.out('no invariant violated');
    return;
  }
  io.out(`VIOLATED ${r.violation.invariant}: ${r.violation.witness}`);
  io.out(traceHeading(search, r.violation.steps.length));
  r.violation.steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${s.text}`));
}

function runSimulate(o: ExploreArgs, options: { walks: number; depth: number; seed: number }, io: Io): number {
  const model = replicationModel(o.bounds, o.variant, undefined, o.reduction);
  const started = performance.now();
  const r = simulate(model, options);
  const seconds = (performance.now() - started) / 1000;
  const summary = { model: o.model, variant: o.variant ?? 'none', mode: 'simulate', ...options, walksRun: r.walks, states: r.states, seconds: round(seconds), statesPerSecond: Math.round(r.states / Math.max(seconds, 1e-6)), reached: [...r.reached.keys()] };
  const v = r.violation;
  if (o.trace !== undefined && v !== undefined) {
    const file: TraceFile = { model: 'replication', variant: o.variant, bounds: o.bounds, reduction: o.reduction, invariant: v.invariant, steps: v.steps.map((s) => ({ action: s.action, text: s.text })) };
    writeFileSync(o.trace, JSON.stringify(file, null, 1));
  }
  if (o.json) {
    io.out(JSON.stringify(v === undefined ? summary : { ...summary, violation: { invariant: v.invariant, witness: v.witness, walk: v.walk, steps: v.steps.map((s) => s.text) } }));
    return v === undefined ? 0 : 1;
  }
  io.out(`simulate ${o.model} | variant ${o.variant ?? 'none'} | ${describeBounds(o.bounds)} | ${options.walks} walks of depth ≤ ${options.depth}, seed ${options.seed}`);
  io.out(`${r.walks} walks, ${r.states} states, ${seconds.toFixed(1)} s; sometimes reached: ${[...r.reached.keys()].join(', ') || 'none'}`);
  if (v === undefined) {
    io.out('no invariant violated (not exhaustive)');
    return 0;
  }
  io.out(`VIOLATED ${v.invariant} in walk ${v.walk + 1}: ${v.witness}`);
  v.steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${s.text}`));
  return 1;
}

export function runReplay(file: string, io: Io): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: not a readable JSON trace (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const outcome = replayTrace(parsed, file);
  outcome.lines.forEach((line) => io.out(line));
  return outcome.violation === undefined ? 0 : 1;
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    // --model transactions: its own flags and runner (src/cli/explore-transactions.ts).
    if (args.includes('--model') && args[args.indexOf('--model') + 1] === 'transactions') return runTransactionsExplore(args, io);
    if (args.includes('--help')) {
      io.out(USAGE);
      return 0;
    }
    const o = parseExploreArgs(args);
    if (o.replay !== undefined) return runReplay(o.replay, io);
    if (o.simulate !== undefined) return runSimulate(o, o.simulate, io);
    const checkpoint = resumed(o);
    if (checkpoint !== undefined) {
      const r = checkpoint.recipe;
      if (r.model !== 'replication') return runTransactionsExplore(args, io, checkpoint);
      Object.assign(o, { bounds: r.bounds, variant: r.variant, reduction: r.reduction ?? 'none', ...searchOf(checkpoint) });
    }
    return runExplore(o, io, checkpoint);
  },
};

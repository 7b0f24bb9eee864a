/**
 * The explorer's figures, one thread and two threads measured in the same run:
 *
 * - `records 1, lags 1`: one late ISR check, exhausted (45,914 states);
 * - `KIP-101 search`: `--variant truncate-to-high-watermark --records 1` with two session
 *   expirations, until BFS finds the shortest counterexample (174,258 states on one thread);
 * - `records 1, 1 expiration, 1 racing timeout`: exhausted (375,548);
 * - the same two under `--reduction quiet-pushes` (model/explore/reduction.ts), and the
 *   default bounds with one expiration under it (465,800).
 *
 * Each case is run breadth-first (bfs.ts) with the frontier held and replayed
 * (`--frontier replay`, tree-walk.ts), and depth-first (dfs.ts, `--search dfs`), on one
 * thread and on two. Rates are distinct states per wall-clock second and, for one thread,
 * per CPU second of this process (what one core gives when the machine is shared). Bytes
 * per state: the visited set (fingerprints, and for BFS parent pointers) and the heap
 * growth per state (the BFS frontier's worlds, the DFS path, the caches) as V8 reports it,
 * after a GC when `--expose-gc` is on.
 *
 * `npm run bench explore-default` (bench/explore-default.ts) exhausts the default bounds.
 */
import { performance } from 'node:perf_hooks';
import { type ExploreModel, type ExploreOptions, type ExploreResult, explore } from '../model/explore/bfs.ts';
import { exploreDepthFirst } from '../model/explore/dfs.ts';
import { exploreDepthFirstParallel } from '../model/explore/dfs-parallel.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../model/explore/models/replication.ts';
import { exploreParallel } from '../model/explore/parallel.ts';
import type { ModelRecipe } from '../model/explore/models/registry.ts';
import type { Reduction } from '../model/explore/reduction.ts';
import { NO_FAULTS, type Budget } from '../model/explore/world.ts';
import type { Variant } from '../src/protocol/config.ts';

interface Case {
  readonly name: string;
  readonly variant: Variant | null;
  readonly records: number;
  readonly budget: Partial<Budget>;
  readonly reduction?: Reduction;
}

const CASES: readonly Case[] = [
  { name: 'records 1, lags 1 (exhaustive)', variant: null, records: 1, budget: { lags: 1 } },
  { name: 'KIP-101 search (truncate-to-high-watermark, records 1, expirations 2)', variant: 'truncate-to-high-watermark', records: 1, budget: { expirations: 2 } },
  { name: 'records 1, expirations 1, timeouts 1 (exhaustive)', variant: null, records: 1, budget: { expirations: 1, timeouts: 1 } },
  { name: 'KIP-101 search, quiet pushes', variant: 'truncate-to-high-watermark', records: 1, budget: { expirations: 2 }, reduction: 'quiet-pushes' },
  { name: 'records 1, expirations 1, timeouts 1, quiet pushes (exhaustive)', variant: null, records: 1, budget: { expirations: 1, timeouts: 1 }, reduction: 'quiet-pushes' },
  { name: 'defaults with expirations 1, quiet pushes (exhaustive)', variant: null, records: 2, budget: { expirations: 1 }, reduction: 'quiet-pushes' },
];

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function verdict(r: ExploreResult<unknown, unknown>): string {
  if (r.violation !== undefined) return `${r.violation.invariant} violated, trace ${r.violation.steps.length} steps`;
  return r.exhaustive ? 'exhaustive, holds' : 'stopped';
}

type OneThread = (model: ExploreModel<unknown, unknown>, options: ExploreOptions) => ExploreResult<unknown, unknown>;
type TwoThreads = (recipe: ModelRecipe, workers: number, options: ExploreOptions) => Promise<ExploreResult<unknown, unknown>>;

const SEARCHES: readonly { name: string; one: OneThread; two: TwoThreads; options: ExploreOptions }[] = [
  { name: 'bfs', one: explore, two: exploreParallel, options: {} },
  { name: 'bfs, frontier replay', one: (m, o) => explore(m, { ...o, frontier: 'replay' }), two: exploreParallel, options: { frontier: 'replay' } },
  { name: 'dfs', one: exploreDepthFirst, two: exploreDepthFirstParallel, options: { maxStates: 1 << 22 } },
];

export async function run(): Promise<void> {
  for (const c of CASES) {
    const bounds: ReplicationBounds = { ...DEFAULT_REPLICATION_BOUNDS, records: c.records, budget: { ...NO_FAULTS, ...c.budget } };
    for (const search of SEARCHES) {
      const before = heapUsed();
      let peak = before;
      const cpuBefore = process.cpuUsage();
      const model = replicationModel(bounds, c.variant, undefined, c.reduction ?? 'none') as unknown as ExploreModel<unknown, unknown>;
      const one = search.one(model, { now: () => performance.now(), progressEvery: 10_000, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) });
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const rate = one.distinctStates / Math.max(one.seconds, 1e-6);
      console.log(
        `${c.name}, ${search.name}, 1 thread: ${one.distinctStates} states, ${one.transitions} transitions, depth ${one.depth}, ${one.seconds.toFixed(1)} s, ` +
          `${Math.round(rate)} states/s wall, ${Math.round(one.distinctStates / Math.max(cpuSeconds, 1e-6))} states per CPU second, ${Math.round(one.transitions / Math.max(one.seconds, 1e-6))} transitions/s, ` +
          `visited ${(one.visitedBytes / one.distinctStates).toFixed(1)} B/state, heap peak +${((peak - before) / one.distinctStates).toFixed(0)} B/state; ${verdict(one)}`,
      );
      const two = await search.two({ model: 'replication', bounds, variant: c.variant, reduction: c.reduction ?? 'none' }, 2, { ...search.options, now: () => performance.now() });
      const rate2 = two.distinctStates / Math.max(two.seconds, 1e-6);
      console.log(`${c.name}, ${search.name}, 2 threads: ${two.distinctStates} states, depth ${two.depth}, ${two.seconds.toFixed(1)} s, ${Math.round(rate2)} states/s wall (${(rate2 / rate).toFixed(2)}x one thread); ${verdict(two)}`);
    }
  }
}

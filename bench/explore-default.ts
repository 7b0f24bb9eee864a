/**
 * Seconds to exhaust the replication model's default bounds (hachikuji/kafka-specification's
 * TLC constants: 3 replicas, ≤ 2 records, leader epochs ≤ 2; two session expirations) for
 * today's protocol, on two threads: the distinct-state count, depth, rate and memory.
 * A long campaign (about an hour), so it is not part of `npm run bench`'s default list:
 * `npm run bench explore-default` (threads: EXPLORE_WORKERS, default 2; EXPLORE_REDUCTION,
 * default quiet-pushes, or none; EXPLORE_SEARCH, default dfs, or bfs: breadth-first with
 * the replayed frontier, `--frontier replay`, since a held frontier of these bounds does not
 * fit in 24 GB, spec/explorer.md). The counts are compared with the ones pinned in
 * test/model/explore/fixtures/default-bounds.json, and a breadth-first run's depth with the
 * pinned breadth-first depth, when there is one.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_REPLICATION_BOUNDS } from '../model/explore/models/replication.ts';
import { exploreParallel } from '../model/explore/parallel.ts';
import { exploreDepthFirstParallel } from '../model/explore/dfs-parallel.ts';
import { readFileSync } from 'node:fs';

export async function run(): Promise<void> {
  const workers = Number(process.env['EXPLORE_WORKERS'] ?? 2);
  const reduction = process.env['EXPLORE_REDUCTION'] === 'none' ? 'none' : 'quiet-pushes';
  const search = process.env['EXPLORE_SEARCH'] === 'bfs' ? 'bfs' : 'dfs';
  let peakRss = 0;
  const recipe = { model: 'replication', bounds: DEFAULT_REPLICATION_BOUNDS, variant: null, reduction } as const;
  const r = await (search === 'bfs' ? exploreParallel : exploreDepthFirstParallel)(recipe, workers, {
    maxStates: 1 << 28,
    ...(search === 'bfs' ? { frontier: 'replay' } : {}),
    now: () => performance.now(),
    progressEvery: 1_000_000,
    onProgress: (p) => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      console.log(`  ${p.distinctStates} states, depth ${p.depth}, ${Math.round(p.statesPerSecond)} states/s, rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GiB`);
    },
  });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const verdict = r.violation === undefined ? (r.exhaustive ? 'exhaustive, no violation' : 'stopped') : `${r.violation.invariant} violated`;
  console.log(
    `default bounds, ${search}, ${workers} threads, reduction ${reduction}: ${r.distinctStates} states, ${r.transitions} transitions, depth ${r.depth}, ${r.seconds.toFixed(0)} s, ` +
      `${Math.round(r.distinctStates / Math.max(r.seconds, 1e-6))} states/s, peak RSS ${(peakRss / 2 ** 30).toFixed(1)} GiB (${Math.round(peakRss / r.distinctStates)} B/state); ${verdict}`,
  );
  const pinned = (JSON.parse(readFileSync('test/model/explore/fixtures/default-bounds.json', 'utf8')) as Record<string, Pinned>)[reduction];
  for (const line of compare(r, search, pinned)) console.log(line);
}

interface Pinned {
  readonly distinctStates: number;
  readonly transitions: number;
  readonly breadthFirstDepth?: number;
}

/** One line per pinned figure: whether this run matches it. */
function compare(r: { exhaustive: boolean; distinctStates: number; transitions: number; depth: number }, search: string, pinned: Pinned | undefined): string[] {
  if (pinned === undefined) return ['nothing pinned for this reduction'];
  const figures: [string, number, number | undefined][] = [
    ['count', r.distinctStates, pinned.distinctStates],
    ['transitions', r.transitions, pinned.transitions],
    ...(search === 'bfs' ? [['breadth-first depth', r.depth, pinned.breadthFirstDepth] as [string, number, number | undefined]] : []),
  ];
  return figures.map(([name, got, want]) => (want === undefined ? `no ${name} pinned` : r.exhaustive && got === want ? `matches the pinned ${name} (${want})` : `DIFFERS from the pinned ${name} (${want}): ${got}`));
}

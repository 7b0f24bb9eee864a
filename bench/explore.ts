/**
 * The explorer's figures on one core: distinct states per second, bytes per state, and
 * seconds to exhaust a bound, for three replication configurations:
 *
 * - `records 2, no faults`: the fault-free core (small: how fast a BFS level turns over);
 * - `records 1, lags 1`: one late ISR check, exhausted (tens of thousands of states);
 * - `KIP-101 search`: `--variant truncate-to-high-watermark --records 1` with two session
 *   expirations, until BFS finds the shortest counterexample (hundreds of thousands).
 *
 * Bytes per state: the visited set (fingerprints + parent pointers) per distinct state, and
 * the heap growth per state (frontier snapshots included) as V8 reports it after a GC when
 * `--expose-gc` is on. Rates are given per wall-clock second and per CPU second of this
 * process (the latter is what one core gives when the machine is shared).
 */
import { performance } from 'node:perf_hooks';
import { explore } from '../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../model/explore/models/replication.ts';
import { NO_FAULTS, type Budget } from '../model/explore/world.ts';
import type { Variant } from '../src/protocol/config.ts';

interface Case {
  readonly name: string;
  readonly variant: Variant | null;
  readonly records: number;
  readonly budget: Partial<Budget>;
}

const CASES: readonly Case[] = [
  { name: 'records 2, no faults', variant: null, records: 2, budget: {} },
  { name: 'records 1, lags 1', variant: null, records: 1, budget: { lags: 1 } },
  { name: 'KIP-101 search (truncate-to-high-watermark, records 1, expirations 2)', variant: 'truncate-to-high-watermark', records: 1, budget: { expirations: 2 } },
];

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

export async function run(): Promise<void> {
  for (const c of CASES) {
    const bounds: ReplicationBounds = { ...DEFAULT_REPLICATION_BOUNDS, records: c.records, budget: { ...NO_FAULTS, ...c.budget } };
    const model = replicationModel(bounds, c.variant);
    const before = heapUsed();
    let peak = before;
    const cpuBefore = process.cpuUsage();
    const result = explore(model, { now: () => performance.now(), progressEvery: 10_000, onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rate = Math.round(result.distinctStates / Math.max(result.seconds, 1e-6));
    const verdict = result.violation === undefined ? (result.exhaustive ? 'exhaustive, holds' : 'stopped') : `${result.violation.invariant} violated, trace ${result.violation.steps.length} steps`;
    console.log(
      `${c.name}: ${result.distinctStates} states, ${result.transitions} transitions, depth ${result.depth}, ${result.seconds.toFixed(1)} s, ` +
        `${rate} states/s wall, ${Math.round(result.distinctStates / Math.max(cpuSeconds, 1e-6))} states per CPU second, ${Math.round(result.transitions / Math.max(result.seconds, 1e-6))} transitions/s, ` +
        `visited ${(result.visitedBytes / result.distinctStates).toFixed(1)} B/state, heap peak +${((peak - before) / result.distinctStates).toFixed(0)} B/state; ${verdict}`,
    );
  }
}

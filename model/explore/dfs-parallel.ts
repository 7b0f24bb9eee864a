/**
 * Depth-first exploration on several threads (`--search dfs --workers N`): dfs.ts's search
 * run by N threads over one visited set in shared memory, sharing work as paths
 * (dfs-worker.ts). What stays the same as the one-thread search: the set of reachable
 * states, hence `distinctStates` and `transitions` of an exhaustive run, and the verdict.
 * What differs between runs: which counterexample is reported, `depth`, and how far past
 * a violation or the state budget the other threads got before they saw the stop flag.
 *
 * The shared table cannot grow while threads insert into it, so it is sized for the state
 * budget (`maxStates`, else `DEFAULT_DFS_CAPACITY`) at a load factor ≤ 1/2: 16 bytes per
 * state of budget. A search that fills it stops and says it is not exhaustive.
 */
import { assert } from '../../src/core/assert.ts';
import { type ExploreOptions, type ExploreResult, replayPath } from './bfs.ts';
import { Admission } from './admission.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import type { DepthFirstWorkerDone, DepthFirstWorkerInput } from './dfs-worker.ts';
import { runThreads } from './threads.ts';
import { DFS_STATES, DFS_STOP, MAILBOX_WORDS, SharedTable, WANT, allocateTable } from './shared.ts';

/** States the shared table holds when no `maxStates` is given (2 GiB of table, touched as used). */
export const DEFAULT_DFS_CAPACITY = 1 << 27;

export async function exploreDepthFirstParallel(recipe: ModelRecipe, workers: number, options: ExploreOptions = {}): Promise<ExploreResult<unknown, unknown>> {
  assert(workers >= 1 && workers <= 64, 'between 1 and 64 workers');
  const now = options.now ?? (() => 0);
  const started = now();
  const model = buildModel(recipe);
  const capacity = options.maxStates ?? DEFAULT_DFS_CAPACITY;
  const buffers = { table: allocateTable(capacity), control: new SharedArrayBuffer(4 * (WANT + workers)), mailboxes: new SharedArrayBuffer(4 * MAILBOX_WORDS * workers) };
  const table = new SharedTable(buffers.table);
  const control = new Int32Array(buffers.control);
  const print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
  table.add(print(model.initial));
  control[DFS_STATES] = 1;
  const admission = new Admission(model);
  const initial = admission.admit(model.initial, 0);
  const reached = admission.reached;
  if (initial !== undefined) {
    return { distinctStates: 1, transitions: 0, depth: 0, seconds: (now() - started) / 1000, exhaustive: false, reached, visitedBytes: buffers.table.byteLength, violation: { ...initial, steps: [], state: model.initial } };
  }
  const inputs = Array.from({ length: workers }, (_, index): DepthFirstWorkerInput & { entry: string } => ({ recipe, ...buffers, index, workers, capacity, progressEvery: options.progressEvery ?? 50_000, entry: './dfs-worker.ts' }));
  const done = await runThreads<DepthFirstWorkerDone>(inputs, options, now, started);
  let transitions = 0;
  let deepest = 0;
  let found: DepthFirstWorkerDone['violation'];
  for (const d of done) {
    transitions += d.transitions;
    deepest = Math.max(deepest, d.deepest);
    found ??= d.violation;
    for (const [name, r] of d.reached) admission.note(name, r.witness, r.depth);
  }
  const distinctStates = Math.min(control[DFS_STATES] as number, capacity);
  const result = { distinctStates, transitions, depth: deepest, seconds: (now() - started) / 1000, exhaustive: control[DFS_STOP] === 0, reached, visitedBytes: buffers.table.byteLength };
  if (found === undefined) return result;
  const { steps, state } = replayPath(model, found.indices);
  return { ...result, violation: { invariant: found.invariant, witness: found.witness, steps, state } };
}

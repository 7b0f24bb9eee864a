/**
 * Breadth-first exploration on several threads (worker_threads): the same search as
 * bfs.ts `explore`, with the visited set, the parent pointers and a level barrier in
 * shared memory (shared.ts) and each thread expanding its part of every level
 * (parallel-worker.ts). What stays the same as the one-thread search: the set of
 * states of each depth, hence `distinctStates` and `depth` of an exhaustive run, and
 * the length of the shortest counterexample. What may differ between runs: which of
 * several equally short traces is reported, and how far past a violation or the state
 * budget the other threads got before they saw the stop flag. With `frontier: 'replay'`
 * the threads hold no worlds and rebuild each level's from the shared parent links
 * (parallel-replay-worker.ts).
 */
import { assert } from '../../src/core/assert.ts';
import { type ExploreOptions, type ExploreResult, replayPath } from './bfs.ts';
import { Admission } from './admission.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import type { WorkerDone, WorkerInput } from './parallel-worker.ts';
import { runThreads } from './threads.ts';
import { NEXT_ID, STOP, Shared, VIOLATION_ID, allocate } from './shared.ts';

/** States the shared arrays hold when no `maxStates` is given (about 1 GB of address space, touched as used). */
export const DEFAULT_CAPACITY = 1 << 25;

export async function exploreParallel(recipe: ModelRecipe, workers: number, options: ExploreOptions = {}): Promise<ExploreResult<unknown, unknown>> {
  assert(workers >= 1 && workers <= 64, 'between 1 and 64 workers');
  const now = options.now ?? (() => 0);
  const started = now();
  const model = buildModel(recipe);
  const capacity = options.maxStates ?? DEFAULT_CAPACITY;
  const buffers = allocate(capacity);
  const shared = new Shared(buffers);
  const print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
  shared.add(print(model.initial));
  shared.link(0, -1, 0);
  shared.control[NEXT_ID] = 1;
  const admission = new Admission(model);
  const initial = admission.admit(model.initial, 0);
  const reached = admission.reached;
  if (initial !== undefined) {
    const seconds = (now() - started) / 1000;
    return { distinctStates: 1, transitions: 0, depth: 0, seconds, exhaustive: false, reached, visitedBytes: 0, violation: { ...initial, steps: [], state: model.initial } };
  }
  const entry = options.frontier === 'replay' ? { entry: './parallel-replay-worker.ts' } : {};
  const inputs = Array.from({ length: workers }, (_, index): WorkerInput => ({ recipe, buffers, index, workers, progressEvery: options.progressEvery ?? 50_000, ...entry }));
  const done = await runThreads<WorkerDone>(inputs, options, now, started);
  let transitions = 0;
  let deepest = 0;
  let found: { invariant: string; witness: string } | undefined;
  let replaySteps = 0;
  for (const d of done) {
    transitions += d.transitions;
    replaySteps += d.replayed;
    deepest = Math.max(deepest, d.deepest);
    found ??= d.violation;
    for (const [name, r] of d.reached) admission.note(name, r.witness, r.depth);
  }
  const stop = shared.control[STOP] as number;
  const distinctStates = Math.min(shared.control[NEXT_ID] as number, capacity);
  const visitedBytes = buffers.table.byteLength * (distinctStates / capacity) + 6 * distinctStates;
  const seconds = (now() - started) / 1000;
  const replay = options.frontier === 'replay' ? { replaySteps } : {};
  const result = { distinctStates, transitions, depth: deepest, seconds, exhaustive: stop === 0, reached, visitedBytes, ...replay };
  if (stop !== 1 || found === undefined) return result;
  const { steps, state } = replayPath(model, shared.path(shared.control[VIOLATION_ID] as number));
  return { ...result, depth: steps.length, violation: { ...found, steps, state } };
}

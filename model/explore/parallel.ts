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
 * (parallel-replay-worker.ts); such a search can be paused (`signal`) and resumed
 * (`resume`) in another process, like the depth-first one (dfs-parallel.ts).
 */
import { assert } from '../../src/core/assert.ts';
import { type ExploreOptions, type ExploreResult, replayPath } from './bfs.ts';
import type { CheckpointTotals } from './dfs-parallel.ts';
import { Admission } from './admission.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import type { PausedLevel, WorkerDone, WorkerInput } from './parallel-worker.ts';
import { runThreads } from './threads.ts';
import { CLAIMED, HALTED, NEXT_ID, PAUSED, PAUSE_DEPTH, PAUSE_END, PAUSE_FIRST, PAUSE_NEXT, STOP, Shared, VIOLATION_ID, allocate } from './shared.ts';

/** States the shared arrays hold when no `maxStates` is given (about 1 GB of address space, touched as used). */
export const DEFAULT_CAPACITY = 1 << 25;

/**
 * A paused breadth-first search with a replayed frontier: the visited set's fingerprints,
 * every state's parent and action index (the tree the levels are rebuilt from), the level
 * it was in and how far that level was expanded, and the totals so far.
 */
export interface BreadthFirstCheckpoint extends CheckpointTotals {
  readonly search: 'bfs';
  readonly replaySteps: number;
  readonly level: PausedLevel;
  /** Per state id, its parent's id and the index of the action that reached it. */
  readonly parents: Int32Array;
  readonly actions: Uint16Array;
}

export interface BreadthFirstOptions extends ExploreOptions {
  /** Pauses the search when aborted (replayed frontier only); the result then carries a `checkpoint`. */
  readonly signal?: AbortSignal;
  /** Continues a paused search (its recipe must be `recipe`). */
  readonly resume?: BreadthFirstCheckpoint;
}

export type BreadthFirstResult = ExploreResult<unknown, unknown> & { readonly checkpoint?: BreadthFirstCheckpoint };

export async function exploreParallel(recipe: ModelRecipe, workers: number, options: BreadthFirstOptions = {}): Promise<BreadthFirstResult> {
  assert(workers >= 1 && workers <= 64, 'between 1 and 64 workers');
  const replayed = options.frontier === 'replay';
  assert(replayed || (options.signal === undefined && options.resume === undefined), 'only a replayed frontier is paused and resumed');
  const now = options.now ?? (() => 0);
  const started = now();
  const model = buildModel(recipe);
  const resume = options.resume;
  const capacity = Math.max(options.maxStates ?? resume?.capacity ?? DEFAULT_CAPACITY, resume?.distinctStates ?? 0);
  const buffers = allocate(capacity);
  const shared = new Shared(buffers);
  const admission = new Admission(model);
  const reached = admission.reached;
  if (resume === undefined) {
    const print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
    shared.add(print(model.initial));
    shared.link(0, -1, 0);
    shared.control[NEXT_ID] = 1;
    const initial = admission.admit(model.initial, 0);
    if (initial !== undefined) {
      const seconds = (now() - started) / 1000;
      return { distinctStates: 1, transitions: 0, depth: 0, seconds, exhaustive: false, reached, visitedBytes: 0, violation: { ...initial, steps: [], state: model.initial } };
    }
  } else restore(resume, shared, admission);
  const entry = replayed ? { entry: './parallel-replay-worker.ts' } : {};
  const level = resume === undefined ? {} : { level: resume.level };
  const inputs = Array.from({ length: workers }, (_, index): WorkerInput => ({ recipe, buffers, index, workers, progressEvery: options.progressEvery ?? 50_000, ...entry, ...level }));
  const pause = (): void => void shared.stop(PAUSED);
  options.signal?.addEventListener('abort', pause);
  if (options.signal?.aborted === true) pause();
  const done = await runThreads<WorkerDone>(inputs, options, now, started, resume?.distinctStates ?? 0).finally(() => options.signal?.removeEventListener('abort', pause));
  let transitions = resume?.transitions ?? 0;
  let found: { invariant: string; witness: string } | undefined;
  let replaySteps = resume?.replaySteps ?? 0;
  for (const d of done) {
    transitions += d.transitions;
    replaySteps += d.replayed;
    admission.deepest = Math.max(admission.deepest, d.deepest);
    found ??= d.violation;
    for (const [name, r] of d.reached) admission.note(name, r.witness, r.depth);
  }
  // The replaying threads all stop on the flag as read at their last barrier: a pause that came after it did not happen.
  const stop = shared.control[replayed ? HALTED : STOP] as number;
  const distinctStates = Math.min(shared.control[NEXT_ID] as number, capacity);
  const visitedBytes = buffers.table.byteLength * (distinctStates / capacity) + 6 * distinctStates;
  const seconds = (resume?.seconds ?? 0) + (now() - started) / 1000;
  const result = { distinctStates, transitions, depth: admission.deepest, seconds, exhaustive: stop === 0, reached, visitedBytes, ...(replayed ? { replaySteps } : {}) };
  if (stop === PAUSED) return { ...result, checkpoint: checkpointOf(recipe, capacity, shared, { ...result, replaySteps }) };
  if (stop !== 1 || found === undefined) return result;
  const { steps, state } = replayPath(model, shared.path(shared.control[VIOLATION_ID] as number));
  return { ...result, depth: steps.length, violation: { ...found, steps, state } };
}

/** Loads a checkpoint's visited set, tree and `sometimes` properties, and how far its level was expanded. */
function restore(from: BreadthFirstCheckpoint, shared: Shared, admission: Admission<unknown>): void {
  shared.addAll(from.fingerprints);
  shared.parents.set(from.parents);
  shared.actions.set(from.actions);
  shared.control[NEXT_ID] = from.distinctStates;
  shared.control[CLAIMED] = from.level.next - from.level.first;
  admission.deepest = from.deepest;
  for (const [name, r] of from.reached) admission.note(name, r.witness, r.depth);
}

/** What a paused search leaves: every state inserted is numbered and linked, and the level notes where to go on. */
function checkpointOf(recipe: ModelRecipe, capacity: number, shared: Shared, totals: { distinctStates: number; transitions: number; depth: number; seconds: number; replaySteps: number; reached: Admission<unknown>['reached'] }): BreadthFirstCheckpoint {
  const { control } = shared;
  const states = control[NEXT_ID] as number;
  const fingerprints = shared.entries();
  assert(fingerprints.length === 2 * states, 'a paused table holds one fingerprint per state numbered');
  const level = { first: control[PAUSE_FIRST] as number, end: control[PAUSE_END] as number, next: control[PAUSE_NEXT] as number, depth: control[PAUSE_DEPTH] as number };
  return { search: 'bfs', recipe, capacity, distinctStates: states, transitions: totals.transitions, deepest: totals.depth, seconds: totals.seconds, replaySteps: totals.replaySteps, reached: [...totals.reached], level, fingerprints, parents: shared.parents.slice(0, states), actions: shared.actions.slice(0, states) };
}

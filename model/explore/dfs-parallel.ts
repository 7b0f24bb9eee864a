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
 *
 * A search can be paused (`signal`) and resumed (`resume`), in another process: the threads
 * stop at their next check, each reports the work it had left as paths, and the
 * checkpoint holds those paths and the visited set's fingerprints (8 bytes per state). On
 * resume the fingerprints are re-inserted and each path is rebuilt by replay, so every state
 * inserted before the pause is either fully expanded already or on a path, with exactly its
 * untaken actions left.
 */
import { assert } from '../../src/core/assert.ts';
import { type ExploreOptions, type ExploreResult, replayPath } from './bfs.ts';
import { Admission } from './admission.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import type { DepthFirstWorkerDone, DepthFirstWorkerInput, Path } from './dfs-worker.ts';
import { runThreads } from './threads.ts';
import { DFS_STATES, DFS_STOP, FULL, MAILBOX_WORDS, PAUSED, SharedTable, WANT, allocateTable } from './shared.ts';

/** States the shared table holds when no `maxStates` is given (2 GiB of table, touched as used). */
export const DEFAULT_DFS_CAPACITY = 1 << 27;

/** What every paused search keeps (this one's and parallel.ts's breadth-first one with a replayed frontier): the model, the totals so far, the visited set. */
export interface CheckpointTotals {
  readonly recipe: ModelRecipe;
  /** The state budget the table was sized for (a resumed search keeps it unless given another). */
  readonly capacity: number;
  readonly distinctStates: number;
  readonly transitions: number;
  readonly deepest: number;
  readonly seconds: number;
  readonly reached: readonly [string, { witness: string; depth: number }][];
  /** (hi, lo) pairs as the shared table stores them. */
  readonly fingerprints: Int32Array;
}

/**
 * A paused search (`signal` aborted): the visited set's fingerprints, the work every thread
 * had left (paths of untaken shares), and the totals so far. Resuming from it explores
 * exactly the states the uninterrupted search would have (test/model/explore/dfs.test.ts).
 */
export interface DepthFirstCheckpoint extends CheckpointTotals {
  readonly paths: readonly Path[];
}

export interface DepthFirstOptions extends ExploreOptions {
  /** Pauses the search when aborted; the result then carries a `checkpoint`, as it does when the state budget is spent. */
  readonly signal?: AbortSignal;
  /** Continues a paused search (its recipe must be `recipe`). */
  readonly resume?: DepthFirstCheckpoint;
}

/** How the threads shared work: the paths handed from a busy thread to a hungry one, and the replay steps spent rebuilding them. */
export interface WorkSharing {
  readonly paths: number;
  readonly replaySteps: number;
}

export type DepthFirstResult = ExploreResult<unknown, unknown> & { readonly checkpoint?: DepthFirstCheckpoint; readonly sharing?: WorkSharing };

export async function exploreDepthFirstParallel(recipe: ModelRecipe, workers: number, options: DepthFirstOptions = {}): Promise<DepthFirstResult> {
  assert(workers >= 1 && workers <= 64, 'between 1 and 64 workers');
  const now = options.now ?? (() => 0);
  const started = now();
  const model = buildModel(recipe);
  const resume = options.resume;
  const capacity = Math.max(options.maxStates ?? resume?.capacity ?? DEFAULT_DFS_CAPACITY, resume?.distinctStates ?? 0);
  const buffers = { table: allocateTable(capacity), control: new SharedArrayBuffer(4 * (WANT + workers)), mailboxes: new SharedArrayBuffer(4 * MAILBOX_WORDS * workers) };
  const table = new SharedTable(buffers.table);
  const control = new Int32Array(buffers.control);
  const admission = new Admission(model);
  const before = { transitions: resume?.transitions ?? 0, seconds: resume?.seconds ?? 0 };
  if (resume === undefined) {
    const print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
    table.add(print(model.initial));
    control[DFS_STATES] = 1;
    const initial = admission.admit(model.initial, 0);
    if (initial !== undefined) {
      return { distinctStates: 1, transitions: 0, depth: 0, seconds: (now() - started) / 1000, exhaustive: false, reached: admission.reached, visitedBytes: buffers.table.byteLength, violation: { ...initial, steps: [], state: model.initial } };
    }
  } else restore(resume, table, control, admission);
  const inputs = Array.from({ length: workers }, (_, index): DepthFirstWorkerInput & { entry: string } => ({
    recipe, ...buffers, index, workers, capacity, progressEvery: options.progressEvery ?? 50_000, entry: './dfs-worker.ts',
    ...(resume === undefined ? {} : { paths: resume.paths.filter((_, i) => i % workers === index) }),
  }));
  const pause = (): void => {
    Atomics.compareExchange(control, DFS_STOP, 0, PAUSED);
    for (let w = 0; w < workers; w++) Atomics.notify(control, WANT + w);
  };
  options.signal?.addEventListener('abort', pause);
  if (options.signal?.aborted === true) pause();
  const done = await runThreads<DepthFirstWorkerDone>(inputs, options, now, started, resume?.distinctStates ?? 0).finally(() => options.signal?.removeEventListener('abort', pause));
  let transitions = before.transitions;
  let found: DepthFirstWorkerDone['violation'];
  const sharing = { paths: 0, replaySteps: 0 };
  for (const d of done) {
    transitions += d.transitions;
    sharing.paths += d.received;
    sharing.replaySteps += d.replayedSteps;
    admission.deepest = Math.max(admission.deepest, d.deepest);
    found ??= d.violation;
    for (const [name, r] of d.reached) admission.note(name, r.witness, r.depth);
  }
  const distinctStates = Math.min(control[DFS_STATES] as number, capacity);
  const seconds = before.seconds + (now() - started) / 1000;
  const result = { distinctStates, transitions, depth: admission.deepest, seconds, exhaustive: control[DFS_STOP] === 0, reached: admission.reached, visitedBytes: (buffers.table.byteLength * distinctStates) / capacity, ...(workers > 1 ? { sharing } : {}) };
  if (control[DFS_STOP] === PAUSED || control[DFS_STOP] === FULL) {
    const paths = done.flatMap((d) => d.left ?? []);
    const fingerprints = table.entries();
    const inserted = control[DFS_STATES] as number;
    assert(fingerprints.length === 2 * inserted, 'a stopped table holds one fingerprint per state counted');
    return { ...result, checkpoint: { recipe, capacity, distinctStates: inserted, transitions, deepest: admission.deepest, seconds, reached: [...admission.reached], paths, fingerprints } };
  }
  if (found === undefined) return result;
  const { steps, state } = replayPath(model, found.indices);
  return { ...result, violation: { invariant: found.invariant, witness: found.witness, steps, state } };
}

/** Loads a checkpoint's visited set, count and `sometimes` properties. */
function restore(from: DepthFirstCheckpoint, table: SharedTable, control: Int32Array, admission: Admission<unknown>): void {
  table.addAll(from.fingerprints);
  control[DFS_STATES] = from.distinctStates;
  admission.deepest = from.deepest;
  for (const [name, r] of from.reached) admission.note(name, r.witness, r.depth);
}

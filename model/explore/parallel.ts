/**
 * Breadth-first exploration on several threads (worker_threads): the same search as
 * bfs.ts `explore`, with the visited set, the parent pointers and a level barrier in
 * shared memory (shared.ts) and each thread expanding its part of every level
 * (parallel-worker.ts). What stays the same as the one-thread search: the set of
 * states of each depth, hence `distinctStates` and `depth` of an exhaustive run, and
 * the length of the shortest counterexample. What may differ between runs: which of
 * several equally short traces is reported, and how far past a violation or the state
 * budget the other threads got before they saw the stop flag.
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../../src/core/assert.ts';
import { type ExploreOptions, type ExploreResult, replayPath } from './bfs.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import type { WorkerDone, WorkerInput, WorkerProgress } from './parallel-worker.ts';
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
  const reached = new Map<string, { witness: string; depth: number }>();
  for (const r of model.reached?.(model.initial) ?? []) reached.set(r.invariant, { witness: r.witness, depth: 0 });
  const initial = model.check(model.initial);
  if (initial !== undefined) {
    const seconds = (now() - started) / 1000;
    return { distinctStates: 1, transitions: 0, depth: 0, seconds, exhaustive: false, reached, visitedBytes: 0, violation: { ...initial, steps: [], state: model.initial } };
  }
  const done = await runWorkers(recipe, buffers, workers, options, now, started);
  let transitions = 0;
  let deepest = 0;
  let found: { invariant: string; witness: string } | undefined;
  for (const d of done) {
    transitions += d.transitions;
    deepest = Math.max(deepest, d.deepest);
    found ??= d.violation;
    for (const [name, r] of d.reached) {
      const known = reached.get(name);
      if (known === undefined || known.depth > r.depth) reached.set(name, r);
    }
  }
  const stop = shared.control[STOP] as number;
  const distinctStates = Math.min(shared.control[NEXT_ID] as number, capacity);
  const visitedBytes = buffers.table.byteLength * (distinctStates / capacity) + 6 * distinctStates;
  const seconds = (now() - started) / 1000;
  const result = { distinctStates, transitions, depth: deepest, seconds, exhaustive: stop === 0, reached, visitedBytes };
  if (stop !== 1 || found === undefined) return result;
  const { steps, state } = replayPath(model, shared.path(shared.control[VIOLATION_ID] as number));
  return { ...result, depth: steps.length, violation: { ...found, steps, state } };
}

function runWorkers(recipe: ModelRecipe, buffers: ReturnType<typeof allocate>, workers: number, options: ExploreOptions, now: () => number, started: number): Promise<WorkerDone[]> {
  return new Promise((resolve, reject) => {
    const done: WorkerDone[] = [];
    const threads: Worker[] = [];
    const fail = (error: unknown): void => {
      for (const t of threads) void t.terminate();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    for (let index = 0; index < workers; index++) {
      const workerData: WorkerInput = { recipe, buffers, index, workers, progressEvery: options.progressEvery ?? 50_000 };
      const thread = new Worker(new URL('./worker.mjs', import.meta.url), { workerData });
      threads.push(thread);
      thread.on('error', fail);
      thread.on('message', (message: WorkerDone | WorkerProgress) => {
        if (message.type === 'progress') {
          const seconds = (now() - started) / 1000;
          options.onProgress?.({ ...message, seconds, statesPerSecond: message.distinctStates / Math.max(seconds, 1e-9) });
          return;
        }
        done.push(message);
        if (done.length === workers) resolve(done);
      });
      thread.on('exit', (code) => {
        if (code !== 0 && done.length < workers) fail(new Error(`explorer worker ${index} exited with code ${code}`));
      });
    }
  });
}

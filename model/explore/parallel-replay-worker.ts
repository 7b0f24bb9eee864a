/**
 * One thread of the parallel breadth-first search with a replayed frontier (`--frontier
 * replay --workers N`, parallel.ts). No thread holds worlds: the level being expanded is
 * a range of ids in shared memory, handed out in chunks (`CLAIMED`), and a thread rebuilds
 * each world of its chunk from the tree of parent links (tree-walk.ts). New states are
 * numbered as they are inserted, by whichever thread got there first, so at the end of a
 * level the last thread at the barrier sorts the new level by (parent, action): the next
 * level's ids are then in tree order again, which keeps the walk's replays shared. Levels
 * stay whole, so the first violation is still at the smallest depth.
 *
 * Pausing (STOP = PAUSED): a thread stops before claiming another chunk, so every id
 * claimed is expanded, and the last thread at the barrier notes the level and the first id
 * not expanded. Resuming goes on from that id; the next level, part of it numbered before
 * the pause, is sorted whole when the level ends.
 */
import { workerData } from 'node:worker_threads';
import { LevelThread, STOPPED, VISITED } from './level-thread.ts';
import type { WorkerInput } from './parallel-worker.ts';
import { CLAIMED, HALTED, LEVEL_END, NEXT_ID, PAUSED, PAUSE_DEPTH, PAUSE_END, PAUSE_FIRST, PAUSE_NEXT } from './shared.ts';
import { TreeWalk } from './tree-walk.ts';

/** Ids of a level a thread claims at a time: small enough to balance, large enough that claims are rare. */
const CHUNK = 64;

const thread = new LevelThread(workerData as WorkerInput);
const { model, shared, input } = thread;
const walk = new TreeWalk(model, shared);

/** Expands the world numbered `id`, at `depth`; false when the search must stop. */
function expand(id: number, depth: number, first: number): boolean {
  const state = walk.at(id, depth);
  const actions = walk.enabled(depth);
  for (let a = 0; a < actions.length; a++) {
    const sid = thread.insert(model.next(state, actions[a]), id, a, depth + 1);
    if (sid === VISITED) continue;
    if (sid === STOPPED) return false;
    if (thread.due(sid)) thread.report(sid, depth + 1, sid + 1 - first - Atomics.load(shared.control, CLAIMED));
  }
  return true;
}

/** Expands chunks of the level [first, end) until none is left or the search stops; a chunk claimed is expanded whole unless a violation or the budget stops it. */
function expandLevel(first: number, end: number, depth: number): void {
  for (;;) {
    if (shared.stopped() !== 0) return;
    const start = first + Atomics.add(shared.control, CLAIMED, CHUNK);
    if (start >= end) return;
    const stop = Math.min(start + CHUNK, end);
    for (let id = start; id < stop; id++) if (!expand(id, depth, first)) return;
  }
}

/** Renumbers the level [first, end) in (parent, action) order: the tree order the walk needs. */
function sortLevel(first: number, end: number): void {
  const keys = new Float64Array(end - first);
  for (let i = first; i < end; i++) keys[i - first] = (shared.parents[i] as number) * 0x10000 + (shared.actions[i] as number);
  keys.sort();
  for (let i = first; i < end; i++) {
    const key = keys[i - first] as number;
    shared.parents[i] = Math.floor(key / 0x10000);
    shared.actions[i] = key % 0x10000;
  }
}

/** Where a paused search stood, for its checkpoint: every id of [first, next) is expanded, none of [next, end). */
function notePause(first: number, end: number, depth: number): void {
  const { control } = shared;
  Atomics.store(control, PAUSE_FIRST, first);
  Atomics.store(control, PAUSE_END, end);
  Atomics.store(control, PAUSE_NEXT, Math.min(first + Atomics.load(control, CLAIMED), end));
  Atomics.store(control, PAUSE_DEPTH, depth);
}

function run(): void {
  // A resumed search starts in the level it was paused in (the main thread set CLAIMED to what was expanded of it).
  let first = input.level?.first ?? 0;
  let end = input.level?.end ?? 1;
  let depth = input.level?.depth ?? 0;
  while (first < end) {
    expandLevel(first, end, depth);
    // Read once, by the last thread at the barrier, for all: the next level's end (a thread
    // past the barrier numbers more states) and whether to stop (the main thread may pause
    // at any time, and a thread that stopped alone would leave the others at the next barrier).
    shared.barrier(input.workers, () => {
      const stop = shared.stopped();
      Atomics.store(shared.control, HALTED, stop);
      if (stop === PAUSED) notePause(first, end, depth);
      Atomics.store(shared.control, CLAIMED, 0);
      Atomics.store(shared.control, LEVEL_END, Atomics.load(shared.control, NEXT_ID));
      if (stop === 0) sortLevel(end, Atomics.load(shared.control, LEVEL_END));
    });
    if (Atomics.load(shared.control, HALTED) !== 0) break;
    first = end;
    end = Atomics.load(shared.control, LEVEL_END);
    depth++;
  }
  thread.done(walk.steps);
}

run();

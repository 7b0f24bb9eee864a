/**
 * One thread of the parallel explorer (parallel.ts). Every thread builds the same model
 * from its recipe and runs the same level-synchronous BFS over its own part of each
 * frontier: a successor belongs to the thread whose compare-and-swap put its fingerprint
 * in the shared visited set first. At the end of a level the threads meet at a barrier,
 * publish their next frontiers' sizes, and rebalance: a thread holding more than its
 * share puts state ids in the shared mailbox, and a thread holding less rebuilds those
 * states by replaying their paths (parent pointers are shared) from the initial state.
 * Levels stay whole, so the first violation is still at the smallest depth.
 */
import { workerData } from 'node:worker_threads';
import { LevelThread, STOPPED, VISITED } from './level-thread.ts';
import type { ModelRecipe } from './models/registry.ts';
import { FRONTIER, MAILBOX_FILL, MAILBOX_TAKEN, type SharedBuffers } from './shared.ts';

export interface WorkerInput {
  readonly recipe: ModelRecipe;
  readonly buffers: SharedBuffers;
  readonly index: number;
  readonly workers: number;
  readonly progressEvery: number;
  /** The thread's module, when not this one (worker.mjs). */
  readonly entry?: string;
  /** A resumed replayed-frontier search (parallel-replay-worker.ts): the level it goes on in. */
  readonly level?: PausedLevel;
}

/** The level a paused breadth-first search (replayed frontier) was in: ids [first, end) at `depth`, those before `next` expanded. */
export interface PausedLevel {
  readonly first: number;
  readonly end: number;
  readonly next: number;
  readonly depth: number;
}

/** What a thread reports when it stops. */
export interface WorkerDone {
  readonly type: 'done';
  readonly transitions: number;
  readonly deepest: number;
  readonly reached: [string, { witness: string; depth: number }][];
  readonly violation?: { readonly invariant: string; readonly witness: string };
  /** States this thread rebuilt by replay when rebalancing (tree edges replayed, with a replayed frontier). */
  readonly replayed: number;
}

export interface WorkerProgress {
  readonly type: 'progress';
  readonly distinctStates: number;
  readonly depth: number;
  readonly queue: number;
}

interface Entry {
  readonly id: number;
  readonly state: unknown;
}

const thread = new LevelThread(workerData as WorkerInput);
const { model, shared, input } = thread;
let replayed = 0;
let queue = 0;

/** Expands this thread's part of one level; returns the successors it owns. */
function expand(frontier: readonly Entry[], depth: number): Entry[] {
  const next: Entry[] = [];
  for (let i = 0; i < frontier.length; i++) {
    if ((i & 31) === 0 && shared.stopped() !== 0) break;
    const { id, state } = frontier[i] as Entry;
    const actions = model.actions(state);
    for (let a = 0; a < actions.length; a++) {
      const successor = model.next(state, actions[a]);
      const sid = thread.insert(successor, id, a, depth + 1);
      if (sid === VISITED) continue;
      if (sid === STOPPED) return next;
      next.push({ id: sid, state: successor });
      if (thread.due(sid)) thread.report(sid, depth + 1, queue - i + next.length);
    }
  }
  return next;
}

/** Rebuilds the states numbered `ids` by replaying their paths, sharing common prefixes. */
function rebuild(ids: readonly number[]): Entry[] {
  const known = new Map<number, unknown>([[0, model.initial]]);
  const out: Entry[] = [];
  for (const id of ids) {
    const chain: number[] = [];
    let at = id;
    while (!known.has(at)) {
      chain.push(at);
      at = shared.parents[at] as number;
    }
    let state = known.get(at);
    for (let j = chain.length - 1; j >= 0; j--) {
      const sid = chain[j] as number;
      const action = model.actions(state)[shared.actions[sid] as number];
      state = model.next(state, action);
      known.set(sid, state);
    }
    replayed++;
    out.push({ id, state });
  }
  return out;
}

function claim(count: number): number[] {
  const start = Atomics.add(shared.control, MAILBOX_TAKEN, count);
  const end = Math.min(start + count, Atomics.load(shared.control, MAILBOX_FILL));
  const ids: number[] = [];
  for (let i = start; i < end; i++) ids.push(shared.mailbox[i] as number);
  return ids;
}

/** Evens out the next frontier across threads (see the header). */
function rebalance(next: Entry[], sizes: readonly number[], total: number): Entry[] {
  const { index, workers } = input;
  const target = Math.ceil(total / workers);
  const slack = Math.max(8, target >> 4);
  const mine = sizes[index] as number;
  if (mine > target + slack) {
    const give = mine - target;
    const at = Atomics.add(shared.control, MAILBOX_FILL, give);
    for (let i = 0; i < give; i++) shared.mailbox[at + i] = (next[next.length - 1 - i] as Entry).id;
    next.length -= give;
  }
  shared.barrier(workers);
  if (mine < target - slack) next.push(...rebuild(claim(target - mine)));
  shared.barrier(workers);
  if (index === 0) next.push(...rebuild(claim(total)));
  return next;
}

function run(): void {
  const { index, workers } = input;
  let frontier: Entry[] = index === 0 ? [{ id: 0, state: model.initial }] : [];
  let depth = 0;
  for (;;) {
    queue = frontier.length;
    const next = expand(frontier, depth);
    Atomics.store(shared.control, FRONTIER + index, next.length);
    shared.barrier(workers, () => {
      Atomics.store(shared.control, MAILBOX_FILL, 0);
      Atomics.store(shared.control, MAILBOX_TAKEN, 0);
    });
    if (shared.stopped() !== 0) break;
    const sizes = Array.from({ length: workers }, (_, w) => Atomics.load(shared.control, FRONTIER + w));
    const total = sizes.reduce((x, y) => x + y, 0);
    if (total === 0) break;
    frontier = rebalance(next, sizes, total);
    depth++;
  }
  thread.done(replayed);
}

run();

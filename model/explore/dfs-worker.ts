/**
 * One thread of the parallel depth-first explorer (dfs-parallel.ts). Each thread runs the
 * depth-first search of dfs.ts over its own path, inserting into one shared visited set: a
 * state is expanded by the thread whose compare-and-swap inserted its fingerprint, so every
 * reachable state is expanded exactly once, by some thread.
 *
 * Work sharing (Holzmann & Bošnački's multi-core SPIN shares states; here a thread shares
 * a path): a thread whose path is empty is hungry. A busy thread that sees a hungry one
 * gives it the untaken actions of its lowest level that has any, as the action indices
 * from the initial state to that level plus the first untaken index, and stops short of
 * them itself. The hungry thread rebuilds the path by replaying those indices (a few dozen
 * steps) and goes on from there, so no world ever crosses threads. The search ends when
 * every thread is hungry at once: a busy thread counts the thread it feeds as busy before
 * it could itself become hungry, so that count cannot reach the number of threads early.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Admission } from './admission.ts';
import { fingerprint } from './fingerprint.ts';
import { type ModelRecipe, buildModel } from './models/registry.ts';
import { DFS_DONE, DFS_IDLE, DFS_STATES, DFS_STOP, FED, FULL, HUNGRY, MAILBOX_WORDS, PAUSED, SharedTable, VIOLATED, WANT, WRITING } from './shared.ts';

export interface DepthFirstWorkerInput {
  readonly recipe: ModelRecipe;
  readonly table: SharedArrayBuffer;
  /** DFS_* counters, then one `want` slot per thread (0 busy, HUNGRY, WRITING, FED). */
  readonly control: SharedArrayBuffer;
  /** Per thread, `MAILBOX_WORDS` words: length, first untaken action, then the indices. */
  readonly mailboxes: SharedArrayBuffer;
  readonly index: number;
  readonly workers: number;
  readonly capacity: number;
  readonly progressEvery: number;
  /** Work to resume (a checkpoint's paths for this thread), searched before asking for more. */
  readonly paths?: readonly Path[];
}

/** A path as work: per level from the initial state, the next action to take and the end of the share (`taken - 1` led to the next level). */
export type Path = readonly (readonly [taken: number, end: number])[];

export interface DepthFirstWorkerDone {
  readonly type: 'done';
  readonly transitions: number;
  readonly deepest: number;
  readonly reached: [string, { witness: string; depth: number }][];
  readonly violation?: { readonly invariant: string; readonly witness: string; readonly indices: number[] };
  /** Paths this thread received from others, and replay steps spent rebuilding them. */
  readonly received: number;
  readonly replayedSteps: number;
  /** When the search was paused or the state budget spent (DFS_STOP = PAUSED or FULL): the work this thread had left. */
  readonly left?: Path[];
}

export interface DepthFirstWorkerProgress {
  readonly type: 'progress';
  readonly distinctStates: number;
  readonly depth: number;
  readonly queue: number;
}

const input = workerData as DepthFirstWorkerInput;
const model = buildModel(input.recipe);
const table = new SharedTable(input.table);
const control = new Int32Array(input.control);
const mailboxes = new Int32Array(input.mailboxes);
const print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
const admission = new Admission(model);
let transitions = 0;
let received = 0;
let replayedSteps = 0;
let violation: DepthFirstWorkerDone['violation'];
let nextReport = input.progressEvery;

/** The path: per level, the world, its actions, the next index to take and the end of this thread's share. */
const states: unknown[] = [];
const actions: (readonly unknown[])[] = [];
const taken: number[] = [];
const ends: number[] = [];

function push(state: unknown, list: readonly unknown[], from: number, end: number): void {
  states.push(state);
  actions.push(list);
  taken.push(from);
  ends.push(end);
}

function pop(): void {
  states.pop();
  actions.pop();
  taken.pop();
  ends.pop();
}

/** Gives a hungry thread the untaken actions of this path's lowest level that has any. */
function feed(): void {
  const level = taken.findIndex((t, i) => t < (ends[i] as number));
  if (level < 0 || level + 3 > MAILBOX_WORDS) return;
  for (let w = 0; w < input.workers; w++) {
    if (w === input.index || Atomics.compareExchange(control, WANT + w, HUNGRY, WRITING) !== HUNGRY) continue;
    const box = w * MAILBOX_WORDS;
    mailboxes[box] = level;
    mailboxes[box + 1] = taken[level] as number;
    for (let i = 0; i < level; i++) mailboxes[box + 2 + i] = (taken[i] as number) - 1;
    mailboxes[box + 2 + level] = ends[level] as number;
    ends[level] = taken[level] as number;
    Atomics.sub(control, DFS_IDLE, 1);
    Atomics.store(control, WANT + w, FED);
    Atomics.notify(control, WANT + w);
    return;
  }
}

/** Work handed to this thread at the start (a resumed checkpoint's). */
const pending: Path[] = [...(input.paths ?? [])];

/** Waits for a path from another thread; false when every thread is hungry (the search is over) or it stopped. */
function starve(): boolean {
  const next = pending.pop();
  if (next !== undefined) {
    rebuild(next);
    return true;
  }
  const want = WANT + input.index;
  Atomics.store(control, want, HUNGRY);
  if (Atomics.add(control, DFS_IDLE, 1) + 1 === input.workers) {
    Atomics.store(control, DFS_DONE, 1);
    for (let w = 0; w < input.workers; w++) Atomics.notify(control, WANT + w);
  }
  for (;;) {
    if (Atomics.load(control, want) === FED) break;
    if (Atomics.load(control, DFS_DONE) === 1 || Atomics.load(control, DFS_STOP) !== 0) {
      // A feeder that claimed this thread finishes writing; a path it wrote is kept (see `left`).
      while (Atomics.load(control, want) === WRITING) Atomics.wait(control, want, WRITING, 1);
      if (Atomics.load(control, want) === FED) rebuild(fromMailbox());
      return false;
    }
    Atomics.wait(control, want, Atomics.load(control, want), 50);
  }
  Atomics.store(control, want, 0);
  rebuild(fromMailbox());
  return true;
}

/** The path a feeder wrote in this thread's mailbox. */
function fromMailbox(): Path {
  const box = input.index * MAILBOX_WORDS;
  const level = mailboxes[box] as number;
  const path: [number, number][] = [];
  for (let i = 0; i < level; i++) {
    const index = mailboxes[box + 2 + i] as number;
    path.push([index + 1, index + 1]);
  }
  path.push([mailboxes[box + 1] as number, mailboxes[box + 2 + level] as number]);
  received++;
  return path;
}

/** Rebuilds `path` by replaying its action indices from the initial state. */
function rebuild(path: Path): void {
  let state = model.initial;
  path.forEach(([from, end], level) => {
    const list = model.actions(state);
    push(state, list, from, end);
    if (level === path.length - 1) return;
    state = model.next(state, list[from - 1]);
    replayedSteps++;
  });
}

/** This thread's work when paused: its path (each level's untaken share) and what it had not started. */
function left(): Path[] {
  const path: Path = taken.map((t, i) => [t, ends[i] as number] as const);
  return states.length === 0 ? [...pending] : [path, ...pending];
}

function stopWith(found: { invariant: string; witness: string }): void {
  if (Atomics.compareExchange(control, DFS_STOP, 0, VIOLATED) === 0) violation = { ...found, indices: taken.map((t) => t - 1) };
  for (let w = 0; w < input.workers; w++) Atomics.notify(control, WANT + w);
}

/** The depth-first search over this thread's share; false once the search must stop. */
function search(): boolean {
  let turns = 0;
  while (states.length > 0) {
    if ((++turns & 63) === 0) {
      if (Atomics.load(control, DFS_STOP) !== 0) return false;
      if (Atomics.load(control, DFS_IDLE) > 0) feed();
    }
    const top = states.length - 1;
    const a = taken[top] as number;
    if (a >= (ends[top] as number)) {
      pop();
      continue;
    }
    taken[top] = a + 1;
    const successor = model.next(states[top], (actions[top] as readonly unknown[])[a]);
    transitions++;
    if (successor === null || !table.add(print(successor))) continue;
    const count = Atomics.add(control, DFS_STATES, 1) + 1;
    const found = admission.admit(successor, top + 1);
    if (found !== undefined) {
      stopWith(found);
      return false;
    }
    const list = model.actions(successor);
    push(successor, list, 0, list.length);
    if (count >= input.capacity) {
      Atomics.compareExchange(control, DFS_STOP, 0, FULL);
      return false;
    }
    if (input.index === 0 && count >= nextReport) {
      nextReport = count + input.progressEvery;
      parentPort?.postMessage({ type: 'progress', distinctStates: count, depth: states.length - 1, queue: states.length } satisfies DepthFirstWorkerProgress);
    }
  }
  return true;
}

function run(): void {
  if (input.index === 0 && input.paths === undefined) {
    const list = model.actions(model.initial);
    push(model.initial, list, 0, list.length);
  }
  while (search() && starve()) {
    // each round searches one path: this thread's own, then ones fed by others
  }
  // Both stops leave every inserted state on a path with exactly its untaken actions (a new state is pushed before the budget is checked).
  const paused = Atomics.load(control, DFS_STOP) === PAUSED || Atomics.load(control, DFS_STOP) === FULL;
  const done: DepthFirstWorkerDone = { type: 'done', transitions, deepest: admission.deepest, reached: [...admission.reached], received, replayedSteps, ...(violation === undefined ? {} : { violation }), ...(paused ? { left: left() } : {}) };
  parentPort?.postMessage(done);
}

run();

/**
 * Breadth-first model checking, TLC- and Stateright-style, over any `ExploreModel`:
 * `init` (one initial state), `actions(state)` (the enabled actions, in a deterministic
 * order: the guards), `next(state, action)` (the effects; `null` when the successor lies
 * beyond the bounds, TLC's CONSTRAINT), `key(state)` (a canonical encoding: two states
 * with the same key behave the same) and `check(state)` (the named invariants).
 *
 * Every new state is checked when it is first reached; since the search is breadth-first
 * the first violation found has a shortest trace. Only fingerprints of visited states
 * are kept, plus, per state, its parent's number and the index of the action that reached
 * it (Int32Array + Uint16Array, 6 bytes): the counterexample is rebuilt by replaying the
 * action indices from the initial state, which also re-checks that the model is
 * deterministic. The level being expanded is held as worlds, or with `frontier: 'replay'`
 * not held at all: each of its worlds is rebuilt from those links (tree-walk.ts).
 */
import { assert } from '../../src/core/assert.ts';
import { Admission } from './admission.ts';
import { type Fingerprint, FingerprintSet, fingerprint } from './fingerprint.ts';
import { type Links, TreeWalk } from './tree-walk.ts';

export interface Violation {
  readonly invariant: string;
  readonly witness: string;
}

export interface ExploreModel<S, A> {
  readonly initial: S;
  actions(state: S): readonly A[];
  next(state: S, action: A): S | null;
  key(state: S): string;
  /** The 64-bit fingerprint of `key(state)`'s content, when the model computes it without the text. */
  fingerprint?(state: S): Fingerprint;
  /** The first violated invariant in `state`, if any. */
  check(state: S): Violation | undefined;
  /** A `sometimes` property this state reaches (name → witness), reported once each. */
  reached?(state: S): readonly Violation[];
  /** One line for a trace: the action as taken in `state`. */
  describe(action: A, state: S): string;
}

export interface Progress {
  readonly distinctStates: number;
  readonly depth: number;
  readonly queue: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export interface ExploreOptions {
  /** Stop after this many distinct states (the result says `exhaustive: false`). */
  readonly maxStates?: number;
  /** Called about every `progressEvery` new states. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEvery?: number;
  /** Logical-free wall clock for rates, injected by the caller (the model/ tree reads no clock). */
  readonly now?: () => number;
  /** Keep exploring after a violation (counting states) instead of stopping at the first. */
  readonly continueAfterViolation?: boolean;
  /** States the visited set is sized for at the start (it grows past it; sizing it up front avoids rehashing a large table). */
  readonly capacityHint?: number;
  /**
   * Breadth-first only: `memory` (the default) holds each level's worlds as they are found;
   * `replay` keeps none and rebuilds each level's worlds from the tree of parent links
   * (tree-walk.ts), trading replay steps for about 2.5 KB per queued world.
   */
  readonly frontier?: Frontier;
}

export type Frontier = 'memory' | 'replay';
export const FRONTIERS: readonly Frontier[] = ['memory', 'replay'];

export interface TraceStep<A> {
  readonly action: A;
  readonly text: string;
}

export interface ExploreResult<S, A> {
  readonly distinctStates: number;
  /** Transitions taken (successors computed, including already-visited ones). */
  readonly transitions: number;
  /** The depth of the deepest state reached (a violation's trace length when one was found). */
  readonly depth: number;
  readonly seconds: number;
  readonly exhaustive: boolean;
  readonly violation?: Violation & { readonly steps: readonly TraceStep<A>[]; readonly state: S };
  /** `sometimes` properties reached, with the first witness and its depth. */
  readonly reached: ReadonlyMap<string, { witness: string; depth: number }>;
  readonly visitedBytes: number;
  /** With `frontier: 'replay'`: the tree edges replayed to rebuild the levels' worlds. */
  readonly replaySteps?: number;
}

class Growable implements Links {
  parents = new Int32Array(1 << 16);
  actions = new Uint16Array(1 << 16);

  set(id: number, parent: number, action: number): void {
    if (id >= this.parents.length) {
      const parents = new Int32Array(this.parents.length * 2);
      parents.set(this.parents);
      this.parents = parents;
      const actions = new Uint16Array(this.actions.length * 2);
      actions.set(this.actions);
      this.actions = actions;
    }
    assert(action < 0x10000, 'at most 65535 actions per state');
    this.parents[id] = parent;
    this.actions[id] = action;
  }

  bytes(): number {
    return this.parents.byteLength + this.actions.byteLength;
  }
}

/** Where a level's worlds come from: held in memory as they are found, or rebuilt from the tree (tree-walk.ts). */
interface Level<S, A> {
  /** The world numbered `id`, of the level at `depth` being expanded; its enabled actions are `enabled(depth)` until the next call. */
  at(id: number, depth: number): S;
  enabled(depth: number): readonly A[];
  /** Keeps the successor numbered `id` for the next level (the first is numbered as the level begins). */
  keep(id: number, state: S): void;
  /** The next level begins. */
  advance(): void;
  /** Tree edges replayed to rebuild worlds. */
  readonly steps: number;
}

class HeldLevel<S, A> implements Level<S, A> {
  private current: S[];
  private next: S[] = [];
  private first = 0;
  private nextFirst = 1;
  private list: readonly A[] = [];
  readonly steps = 0;

  constructor(private readonly model: ExploreModel<S, A>) {
    this.current = [model.initial];
  }

  at(id: number): S {
    const state = this.current[id - this.first] as S;
    this.list = this.model.actions(state);
    return state;
  }

  enabled(): readonly A[] {
    return this.list;
  }

  keep(id: number, state: S): void {
    this.next[id - this.nextFirst] = state;
  }

  advance(): void {
    this.first = this.nextFirst;
    this.nextFirst += this.next.length;
    this.current = this.next;
    this.next = [];
  }
}

class ReplayedLevel<S, A> implements Level<S, A> {
  private readonly walk: TreeWalk<S, A>;

  constructor(model: ExploreModel<S, A>, links: Links) {
    this.walk = new TreeWalk(model, links);
  }

  at(id: number, depth: number): S {
    return this.walk.at(id, depth);
  }

  enabled(depth: number): readonly A[] {
    return this.walk.enabled(depth);
  }

  keep(): void {}

  advance(): void {}

  get steps(): number {
    return this.walk.steps;
  }
}

export function explore<S, A>(model: ExploreModel<S, A>, options: ExploreOptions = {}): ExploreResult<S, A> {
  const now = options.now ?? (() => 0);
  const started = now();
  const visited = new FingerprintSet(options.capacityHint);
  const links = new Growable();
  const every = options.progressEvery ?? 50_000;
  let transitions = 0;
  let depth = 0;
  let nextReport = every;
  let found: { id: number; violation: Violation } | undefined;

  const admission = new Admission(model);
  const level: Level<S, A> = options.frontier === 'replay' ? new ReplayedLevel(model, links) : new HeldLevel(model);

  const print = model.fingerprint === undefined ? (s: S) => fingerprint(model.key(s)) : (s: S) => (model.fingerprint as (s: S) => Fingerprint)(s);
  visited.add(print(model.initial));
  links.set(0, -1, 0);
  const initialViolation = admission.admit(model.initial, 0);
  if (initialViolation !== undefined) found = { id: 0, violation: initialViolation };
  // A level is the ids [first, end): ids are given in the order states are found.
  let first = 0;
  let end = 1;
  let exhaustive = true;
  outer: while (first < end && (found === undefined || options.continueAfterViolation)) {
    for (let id = first; id < end; id++) {
      const state = level.at(id, depth);
      const actions = level.enabled(depth);
      for (let a = 0; a < actions.length; a++) {
        const successor = model.next(state, actions[a] as A);
        transitions++;
        if (successor === null || !visited.add(print(successor))) continue;
        const sid = visited.size - 1;
        links.set(sid, id, a);
        const violation = admission.admit(successor, depth + 1);
        if (violation !== undefined && found === undefined) {
          found = { id: sid, violation };
          if (!options.continueAfterViolation) break outer;
        }
        level.keep(sid, successor);
        if (visited.size >= nextReport) {
          nextReport += every;
          const seconds = (now() - started) / 1000;
          options.onProgress?.({ distinctStates: visited.size, depth: depth + 1, queue: visited.size - id - 1, seconds, statesPerSecond: visited.size / Math.max(seconds, 1e-9) });
        }
        if (options.maxStates !== undefined && visited.size >= options.maxStates) {
          exhaustive = false;
          break outer;
        }
      }
    }
    first = end;
    end = visited.size;
    level.advance();
    if (first < end) depth++;
  }
  if (found !== undefined && !options.continueAfterViolation) exhaustive = false;
  const seconds = (now() - started) / 1000;
  const replay = options.frontier === 'replay' ? { replaySteps: level.steps } : {};
  const result = { distinctStates: visited.size, transitions, depth: admission.deepest, seconds, exhaustive, reached: admission.reached, visitedBytes: visited.bytes() + links.bytes(), ...replay };
  if (found === undefined) return result;
  const { steps, state } = rebuild(model, links, found.id);
  return { ...result, violation: { ...found.violation, steps, state } };
}

/** Replays the action indices from the initial state to the state numbered `id`. */
function rebuild<S, A>(model: ExploreModel<S, A>, links: Growable, id: number): { steps: TraceStep<A>[]; state: S } {
  const indices: number[] = [];
  for (let at = id; at > 0; at = links.parents[at] as number) indices.push(links.actions[at] as number);
  return replayPath(model, indices.reverse());
}

/** Takes the actions numbered `indices` (in each state's `actions` order) from the initial state. */
export function replayPath<S, A>(model: ExploreModel<S, A>, indices: readonly number[]): { steps: TraceStep<A>[]; state: S } {
  let state = model.initial;
  const steps: TraceStep<A>[] = [];
  for (const index of indices) {
    const action = model.actions(state)[index];
    assert(action !== undefined, 'the model is deterministic: the recorded action is enabled again');
    const successor = model.next(state, action);
    assert(successor !== null, 'the recorded successor is within the bounds again');
    steps.push({ action, text: model.describe(action, state) });
    state = successor;
  }
  return { steps, state };
}

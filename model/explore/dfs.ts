/**
 * Depth-first model checking over the same `ExploreModel` as bfs.ts (`--search dfs`), for
 * exhausting bounds whose breadth-first frontier does not fit in memory. SPIN's and
 * TLC's `-dfid` answer to the same problem: the search keeps only the visited set (8-byte
 * fingerprints, as bfs.ts) and the current path, one world per level, instead of a whole
 * level of worlds (about 2.5 KB of resident memory each, spec/explorer.md, Memory).
 *
 * What stays the same as the breadth-first search: the set of reachable states, hence
 * `distinctStates` of an exhaustive run and its verdict (each model's `next` is a function
 * of the state alone, reductions included, so the reachable graph does not depend on the
 * order of the search). What differs: a counterexample is the path on the stack when the
 * violation was found, not a shortest one, and `depth` is the longest path the search
 * took (a DFS path may revisit no state, but it is not a shortest path). Successors are
 * computed one at a time, when the search turns to them.
 */
import { type ExploreModel, type ExploreOptions, type ExploreResult, type Violation, replayPath } from './bfs.ts';
import { Admission } from './admission.ts';
import { type Fingerprint, FingerprintSet, fingerprint } from './fingerprint.ts';

/** The current path: per level, the world, its enabled actions and the next one to take. */
class Path<S, A> {
  readonly states: S[] = [];
  readonly actions: (readonly A[])[] = [];
  readonly taken: number[] = [];

  push(state: S, actions: readonly A[]): void {
    this.states.push(state);
    this.actions.push(actions);
    this.taken.push(0);
  }

  pop(): void {
    this.states.pop();
    this.actions.pop();
    this.taken.pop();
  }

  get length(): number {
    return this.states.length;
  }

  /** The indices of the actions taken from the initial state to the top's latest successor. */
  indices(): number[] {
    return this.taken.map((t) => t - 1);
  }
}

export function exploreDepthFirst<S, A>(model: ExploreModel<S, A>, options: ExploreOptions = {}): ExploreResult<S, A> {
  const now = options.now ?? (() => 0);
  const started = now();
  const visited = new FingerprintSet(options.capacityHint);
  const admission = new Admission(model);
  const every = options.progressEvery ?? 50_000;
  const print = model.fingerprint === undefined ? (s: S) => fingerprint(model.key(s)) : (s: S) => (model.fingerprint as (s: S) => Fingerprint)(s);
  let transitions = 0;
  let nextReport = every;
  let exhaustive = true;
  let found: { violation: Violation; indices: number[] } | undefined;

  visited.add(print(model.initial));
  const initial = admission.admit(model.initial, 0);
  if (initial !== undefined) found = { violation: initial, indices: [] };
  const path = new Path<S, A>();
  if (found === undefined || options.continueAfterViolation) path.push(model.initial, model.actions(model.initial));
  while (path.length > 0) {
    const top = path.length - 1;
    const list = path.actions[top] as readonly A[];
    const a = path.taken[top] as number;
    if (a >= list.length) {
      path.pop();
      continue;
    }
    path.taken[top] = a + 1;
    const successor = model.next(path.states[top] as S, list[a] as A);
    transitions++;
    if (successor === null || !visited.add(print(successor))) continue;
    const violation = admission.admit(successor, top + 1);
    if (violation !== undefined && found === undefined) {
      found = { violation, indices: path.indices() };
      if (!options.continueAfterViolation) break;
    }
    path.push(successor, model.actions(successor));
    if (visited.size >= nextReport) {
      nextReport += every;
      const seconds = (now() - started) / 1000;
      options.onProgress?.({ distinctStates: visited.size, depth: path.length - 1, queue: path.length, seconds, statesPerSecond: visited.size / Math.max(seconds, 1e-9) });
    }
    if (options.maxStates !== undefined && visited.size >= options.maxStates) {
      exhaustive = false;
      break;
    }
  }
  if (found !== undefined && !options.continueAfterViolation) exhaustive = false;
  const seconds = (now() - started) / 1000;
  const result = { distinctStates: visited.size, transitions, depth: admission.deepest, seconds, exhaustive, reached: admission.reached, visitedBytes: visited.bytes() };
  if (found === undefined) return result;
  const { steps, state } = replayPath(model, found.indices);
  return { ...result, violation: { ...found.violation, steps, state } };
}

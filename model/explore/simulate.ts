/**
 * Simulation mode (TLC's `-simulate`, Stateright's `spawn_simulation`): random walks over
 * the same model, actions chosen by the project's PRNG, every state judged by the same
 * invariants. It reaches depths breadth-first search cannot afford, at the price of
 * neither exhaustiveness nor shortest traces; a walk is a list of action indices, so a
 * found trace replays exactly (and through `explore --replay`).
 */
import { Prng } from '../../src/core/prng.ts';
import type { ExploreModel, TraceStep, Violation } from './bfs.ts';

export interface SimulateOptions {
  readonly seed: number;
  readonly walks: number;
  readonly depth: number;
}

export interface SimulateResult<S, A> {
  readonly walks: number;
  readonly states: number;
  readonly violation?: Violation & { readonly steps: readonly TraceStep<A>[]; readonly state: S; readonly walk: number };
  readonly reached: ReadonlyMap<string, string>;
}

export function simulate<S, A>(model: ExploreModel<S, A>, options: SimulateOptions): SimulateResult<S, A> {
  const prng = new Prng(options.seed);
  const reached = new Map<string, string>();
  let states = 0;
  for (let walk = 0; walk < options.walks; walk++) {
    let state = model.initial;
    const steps: TraceStep<A>[] = [];
    for (let d = 0; d < options.depth; d++) {
      const actions = model.actions(state);
      if (actions.length === 0) break;
      const action = actions[prng.below(actions.length)] as A;
      const next = model.next(state, action);
      if (next === null) continue;
      steps.push({ action, text: model.describe(action, state) });
      state = next;
      states++;
      for (const r of model.reached?.(state) ?? []) if (!reached.has(r.invariant)) reached.set(r.invariant, r.witness);
      const violation = model.check(state);
      if (violation !== undefined) return { walks: walk + 1, states, violation: { ...violation, steps, state, walk }, reached };
    }
  }
  return { walks: options.walks, states, reached };
}

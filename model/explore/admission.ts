/**
 * What every search does with a state it reaches first: note the deepest level seen, note
 * the `sometimes` properties the state reaches (keeping each one's shallowest witness),
 * and judge the invariants. Shared by bfs.ts, dfs.ts and their worker threads.
 */
import type { ExploreModel, Violation } from './bfs.ts';

export class Admission<S> {
  deepest = 0;
  readonly reached = new Map<string, { witness: string; depth: number }>();

  constructor(private readonly model: ExploreModel<S, unknown>) {}

  /** The first invariant `state`, reached at `depth`, violates. */
  admit(state: S, depth: number): Violation | undefined {
    if (depth > this.deepest) this.deepest = depth;
    const reached = this.model.reached?.(state);
    if (reached !== undefined) for (const r of reached) this.note(r.invariant, r.witness, depth);
    return this.model.check(state);
  }

  note(name: string, witness: string, depth: number): void {
    const known = this.reached.get(name);
    if (known === undefined || known.depth > depth) this.reached.set(name, { witness, depth });
  }
}

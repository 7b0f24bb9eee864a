/**
 * The breadth-first search's frontier kept as its tree instead of its worlds
 * (`--frontier replay`): every state's parent number and action index are kept anyway (6
 * bytes, for counterexamples), and a level's ids are in the order of their parents (a
 * level is numbered as its parents are expanded, and the parallel search sorts each new
 * level by parent and action, parallel-replay-worker.ts). So walking a level in id order
 * is a depth-first walk of the tree, and each world is rebuilt from its parent's by one
 * step, keeping only the path from the root: a tree edge is replayed once per level below
 * it, not once per state. This is SPIN's and TLC's trade of time for memory (TLC keeps its
 * queue on disk; here it is not kept at all): about 6 bytes per state instead of about 2.5
 * KB per queued world (spec/explorer.md, Memory).
 */
import { assert } from '../../src/core/assert.ts';
import type { ExploreModel } from './bfs.ts';

/** How each state was reached: its parent's number and the index of the action taken there. */
export interface Links {
  readonly parents: Int32Array;
  readonly actions: Uint16Array;
}

export class TreeWalk<S, A> {
  private readonly ids: number[] = [0];
  private readonly states: S[];
  private readonly lists: (readonly A[])[];
  private readonly chain: number[] = [];
  /** Tree edges replayed so far. */
  steps = 0;

  constructor(
    private readonly model: ExploreModel<S, A>,
    private readonly links: Links,
  ) {
    this.states = [model.initial];
    this.lists = [model.actions(model.initial)];
  }

  /** The world numbered `id`, which lies at `depth` (its enabled actions are `enabled(depth)` until the next call). */
  at(id: number, depth: number): S {
    const { parents, actions } = this.links;
    let k = depth;
    let node = id;
    while (k > 0 && this.ids[k] !== node) {
      this.chain[k] = node;
      node = parents[node] as number;
      k--;
    }
    for (let j = k + 1; j <= depth; j++) {
      const child = this.chain[j] as number;
      const action = (this.lists[j - 1] as readonly A[])[actions[child] as number];
      assert(action !== undefined, 'the model is deterministic: a tree edge is enabled again when replayed');
      const world = this.model.next(this.states[j - 1] as S, action);
      assert(world !== null, 'a tree edge stays within the bounds when replayed');
      this.ids[j] = child;
      this.states[j] = world;
      this.lists[j] = this.model.actions(world);
      this.steps++;
    }
    this.ids.length = this.states.length = this.lists.length = depth + 1;
    return this.states[depth] as S;
  }

  /** The actions enabled in the world `at` returned last, which lies at `depth`. */
  enabled(depth: number): readonly A[] {
    return this.lists[depth] as readonly A[];
  }
}

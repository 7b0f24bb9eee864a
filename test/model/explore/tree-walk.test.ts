/**
 * The replayed frontier (tree-walk.ts, `frontier: 'replay'`): a breadth-first search that
 * keeps no worlds, only the tree of parent links, explores exactly what the search holding
 * its levels in memory explores, on one thread and on several; and a model whose actions
 * are not a function of the state is caught when a level is rebuilt, not searched wrongly.
 */
import { describe, expect, it } from 'vitest';
import { type ExploreModel, explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../../../model/explore/models/replication.ts';
import { exploreParallel } from '../../../model/explore/parallel.ts';
import { TreeWalk } from '../../../model/explore/tree-walk.ts';
import { NO_FAULTS, type Budget } from '../../../model/explore/world.ts';

function bounds(records: number, budget: Partial<Budget>, idempotence = true): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records, idempotence, budget: { ...NO_FAULTS, ...budget } };
}

/** Pairs (x, y) with x, y ≤ 3: two actions, increment x or y. `forgetful`: every second call of `actions` forgets the last one. */
function grid(forgetful = false): ExploreModel<readonly [number, number], 'x' | 'y'> {
  let calls = 0;
  return {
    initial: [0, 0],
    actions: (s) => {
      const all: ('x' | 'y')[] = [];
      if (s[0] < 3) all.push('x');
      if (s[1] < 3) all.push('y');
      return forgetful && ++calls % 2 === 0 ? all.slice(0, 1) : all;
    },
    next: (s, a) => (a === 'x' ? [s[0] + 1, s[1]] : [s[0], s[1] + 1]),
    key: (s) => s.join(','),
    check: () => undefined,
    describe: (a) => a,
  };
}

describe('TreeWalk', () => {
  it('rebuilds every node of a level from the parent links, replaying each edge once per level below it', () => {
    // The grid's BFS tree numbered level by level: (0,0); (1,0) (0,1); (2,0) (1,1) (0,2); ...
    const parents = Int32Array.from([-1, 0, 0, 1, 1, 2]);
    const actions = Uint16Array.from([0, 0, 1, 0, 1, 1]);
    const walk = new TreeWalk(grid(), { parents, actions });
    expect([3, 4, 5].map((id) => walk.at(id, 2))).toEqual([[2, 0], [1, 1], [0, 2]]);
    // (1,0) once, its two children, (0,1) once, its child: 5 edges, not 2 per node.
    expect(walk.steps).toBe(5);
    expect(walk.enabled(2)).toEqual(['x', 'y']);
    // Back to (1,0): the path now runs through (0,1), so its edge is replayed again.
    expect(walk.at(1, 1)).toEqual([1, 0]);
    expect(walk.steps).toBe(6);
  });

  it('a model whose actions are not a function of the state is caught when a level is rebuilt', () => {
    expect(() => explore(grid(true), { frontier: 'replay' })).toThrow(/the model is deterministic: a tree edge is enabled again when replayed/);
    expect(explore(grid(), { frontier: 'replay' })).toMatchObject({ distinctStates: 16, depth: 6, exhaustive: true });
  });
});

describe('breadth-first search with a replayed frontier', () => {
  it('finds exactly the states, transitions and depth of the search that holds its levels (exhaustive)', () => {
    const b = bounds(1, { timeouts: 1, drops: 1, crashes: 1 });
    const held = explore(replicationModel(b, null));
    const replayed = explore(replicationModel(b, null), { frontier: 'replay' });
    expect(held.exhaustive).toBe(true);
    expect(replayed).toMatchObject({ distinctStates: held.distinctStates, transitions: held.transitions, depth: held.depth, exhaustive: true });
    expect([...replayed.reached]).toEqual([...held.reached]);
    expect(held.replaySteps).toBeUndefined();
    // Each state is rebuilt at least once (it is expanded), and its ancestors are shared.
    expect(replayed.replaySteps).toBeGreaterThanOrEqual(replayed.distinctStates - 1);
    expect(replayed.replaySteps).toBeLessThan(4 * replayed.distinctStates);
  }, 60_000);

  it('and the same shortest counterexample, step for step (KIP-101, pre-KIP-101 truncation)', () => {
    const b = { ...DEFAULT_REPLICATION_BOUNDS, records: 1 };
    const held = explore(replicationModel(b, 'truncate-to-high-watermark'));
    const replayed = explore(replicationModel(b, 'truncate-to-high-watermark'), { frontier: 'replay' });
    expect(replayed.violation?.invariant).toBe('leader-completeness');
    expect(replayed.violation?.steps.map((s) => s.text)).toEqual(held.violation?.steps.map((s) => s.text));
    expect(replayed.distinctStates).toBe(held.distinctStates);
  }, 60_000);

  it('on two threads: the same states and depth, with and without the quiet-push reduction', async () => {
    const b = bounds(1, { timeouts: 1, drops: 1, crashes: 1 });
    const one = explore(replicationModel(b, null));
    const two = await exploreParallel({ model: 'replication', bounds: b, variant: null }, 2, { frontier: 'replay', progressEvery: 1000 });
    expect(two).toMatchObject({ distinctStates: one.distinctStates, depth: one.depth, transitions: one.transitions, exhaustive: true });
    // Each new level is sorted back into tree order, so the two threads' walks share their replays
    // about as one thread's does (1.05x measured); unsorted, consecutive ids have unrelated parents and replays start higher (1.57x).
    const alone = explore(replicationModel(b, null), { frontier: 'replay' });
    expect(two.replaySteps).toBeGreaterThan(0);
    expect(two.replaySteps).toBeLessThan(1.25 * (alone.replaySteps as number));
    const reduced = await exploreParallel({ model: 'replication', bounds: bounds(1, { expirations: 1 }), variant: null, reduction: 'quiet-pushes' }, 2, { frontier: 'replay' });
    expect(reduced).toMatchObject({ distinctStates: 30_076, exhaustive: true });
  }, 120_000);

  it('on two threads: a counterexample of the shortest length, and the state budget', async () => {
    const b = bounds(1, { timeouts: 1 }, false);
    const one = explore(replicationModel(b, null));
    const two = await exploreParallel({ model: 'replication', bounds: b, variant: null }, 2, { frontier: 'replay' });
    expect(two.violation?.invariant).toBe('no-duplicate');
    expect(two.violation?.steps.length).toBe(one.violation?.steps.length);
    const budget = await exploreParallel({ model: 'replication', bounds: bounds(2, { expirations: 2 }), variant: null }, 2, { frontier: 'replay', maxStates: 2000 });
    expect(budget).toMatchObject({ distinctStates: 2000, exhaustive: false });
  }, 60_000);
});

/**
 * The depth-first explorer (`--search dfs`) reaches exactly the states the breadth-first
 * one reaches (same distinct states, same transitions: every state is expanded once), on
 * both models and with the reduction, on one thread and on two; it finds the same
 * violations, with a trace that replays to the violated invariant, though not a shortest
 * one; and it stops at the state budget.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { exploreDepthFirst } from '../../../model/explore/dfs.ts';
import { type DepthFirstCheckpoint, exploreDepthFirstParallel } from '../../../model/explore/dfs-parallel.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../../../model/explore/models/replication.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, TODAY, transactionsModel } from '../../../model/explore/models/transactions.ts';
import { NO_FAULTS, type Budget } from '../../../model/explore/world.ts';

function bounds(records: number, budget: Partial<Budget>, idempotence = true): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records, idempotence, budget: { ...NO_FAULTS, ...budget } };
}

describe('depth-first exploration reaches the states breadth-first exploration reaches', () => {
  it('replication with faults: the same states and transitions on one thread and on two', async () => {
    const b = bounds(1, { timeouts: 1, drops: 1, crashes: 1 });
    const bfs = explore(replicationModel(b, null));
    const dfs = exploreDepthFirst(replicationModel(b, null));
    const two = await exploreDepthFirstParallel({ model: 'replication', bounds: b, variant: null }, 2, { maxStates: 1 << 16 });
    expect(bfs.exhaustive).toBe(true);
    for (const r of [dfs, two]) {
      expect(r).toMatchObject({ distinctStates: bfs.distinctStates, transitions: bfs.transitions, exhaustive: true });
      expect(r.violation).toBeUndefined();
      expect([...r.reached.keys()].sort()).toEqual([...bfs.reached.keys()].sort());
    }
    expect(dfs.depth).toBeGreaterThanOrEqual(bfs.depth);
    // The second thread starts with nothing: it works only on paths the first hands it.
    expect(two.sharing?.paths).toBeGreaterThan(0);
    expect(dfs).not.toHaveProperty('sharing');
  }, 120_000);

  it('with the quiet-push reduction: 30,076 states, 144,925 transitions either way', async () => {
    const b = bounds(1, { expirations: 1 });
    const dfs = exploreDepthFirst(replicationModel(b, null, undefined, 'quiet-pushes'));
    const two = await exploreDepthFirstParallel({ model: 'replication', bounds: b, variant: null, reduction: 'quiet-pushes' }, 2, { maxStates: 1 << 16 });
    for (const r of [dfs, two]) expect(r).toMatchObject({ distinctStates: 30_076, transitions: 144_925, exhaustive: true });
  }, 120_000);

  it('transactions (default bounds): 14,610 states either way', () => {
    const model = transactionsModel(DEFAULT_TRANSACTIONS_BOUNDS, TODAY);
    const dfs = exploreDepthFirst(model);
    expect(dfs).toMatchObject({ distinctStates: 14_610, transitions: explore(model).transitions, exhaustive: true });
    expect(dfs.violation).toBeUndefined();
  }, 60_000);
});

describe('a paused depth-first search resumes to the same states', () => {
  /** Runs the search in legs, pausing each after `every` more states, until it ends. */
  async function inLegs(recipe: Parameters<typeof exploreDepthFirstParallel>[0], workers: number, every: number) {
    let resume: DepthFirstCheckpoint | undefined;
    for (let legs = 1; ; legs++) {
      const controller = new AbortController();
      const from = resume?.distinctStates ?? 0;
      const r = await exploreDepthFirstParallel(recipe, workers, { maxStates: 1 << 17, progressEvery: 1000, onProgress: (p) => p.distinctStates >= from + every && controller.abort(), signal: controller.signal, ...(resume === undefined ? {} : { resume }) });
      if (r.checkpoint === undefined) return { result: r, legs };
      expect(r.exhaustive).toBe(false);
      expect(r.checkpoint.fingerprints).toHaveLength(2 * r.distinctStates);
      resume = r.checkpoint;
    }
  }

  it('paused every 20,000 states: 81,371 states and 431,853 transitions, as without pauses, on one thread and on two', async () => {
    const recipe = { model: 'replication', bounds: bounds(1, { expirations: 1 }), variant: null } as const;
    const whole = exploreDepthFirst(replicationModel(recipe.bounds, null));
    for (const workers of [1, 2]) {
      const { result, legs } = await inLegs(recipe, workers, 20_000);
      expect(legs).toBeGreaterThanOrEqual(4);
      expect(result).toMatchObject({ distinctStates: 81_371, transitions: 431_853, exhaustive: true });
      expect([...result.reached.keys()].sort()).toEqual([...whole.reached.keys()].sort());
    }
  }, 180_000);

  it('a search that spends its state budget leaves a checkpoint too, which resumes with a larger budget to the same totals', async () => {
    const recipe = { model: 'replication', bounds: bounds(1, { expirations: 1 }), variant: null } as const;
    const full = await exploreDepthFirstParallel(recipe, 2, { maxStates: 30_000 });
    expect(full).toMatchObject({ distinctStates: 30_000, exhaustive: false });
    const checkpoint = full.checkpoint as DepthFirstCheckpoint;
    expect(checkpoint).toMatchObject({ capacity: 30_000 });
    const progress: { states: number; counted: number }[] = [];
    const onProgress = (p: { distinctStates: number; seconds: number; statesPerSecond: number }): void => void progress.push({ states: p.distinctStates, counted: Math.round(p.statesPerSecond * Math.max(p.seconds, 1e-9)) });
    const rest = await exploreDepthFirstParallel(recipe, 2, { maxStates: 1 << 17, resume: checkpoint, progressEvery: 10_000, onProgress, now: () => performance.now() });
    expect(rest).toMatchObject({ distinctStates: 81_371, transitions: 431_853, exhaustive: true });
    // The progress rate counts the states this run found, not the ones it resumed with.
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.counted).toBe(p.states - checkpoint.distinctStates);
  }, 60_000);

  it('twin: resuming with the paths dropped misses states (the paths are what is left to do)', async () => {
    const recipe = { model: 'replication', bounds: bounds(1, { expirations: 1 }), variant: null } as const;
    const controller = new AbortController();
    const first = await exploreDepthFirstParallel(recipe, 1, { maxStates: 1 << 17, progressEvery: 1000, onProgress: (p) => p.distinctStates >= 20_000 && controller.abort(), signal: controller.signal });
    const checkpoint = first.checkpoint as DepthFirstCheckpoint;
    expect(checkpoint.paths.length).toBeGreaterThan(0);
    const rest = await exploreDepthFirstParallel(recipe, 1, { maxStates: 1 << 17, resume: { ...checkpoint, paths: [] } });
    expect(rest.exhaustive).toBe(true);
    expect(rest.distinctStates).toBe(checkpoint.distinctStates);
    expect(rest.distinctStates).toBeLessThan(81_371);
  }, 60_000);
});

describe('depth-first exploration finds the same violations', () => {
  it('enable.idempotence=false: a duplicate, with a trace that replays to it (at least as long as the shortest)', async () => {
    const b = bounds(1, { timeouts: 1 }, false);
    const model = replicationModel(b, null);
    const shortest = explore(model).violation;
    const dfs = exploreDepthFirst(model).violation;
    const two = (await exploreDepthFirstParallel({ model: 'replication', bounds: b, variant: null }, 2, { maxStates: 1 << 16 })).violation as typeof dfs;
    expect(shortest?.invariant).toBe('no-duplicate');
    for (const v of [dfs, two]) {
      expect(v?.invariant).toBe('no-duplicate');
      expect(v?.steps.length).toBeGreaterThanOrEqual(shortest?.steps.length ?? Infinity);
      let state = model.initial;
      for (const step of v?.steps ?? []) {
        expect(model.actions(state)).toContainEqual(step.action);
        state = model.next(state, step.action) ?? state;
      }
      expect(model.check(state)?.invariant).toBe('no-duplicate');
    }
  }, 60_000);

  it('transactions, no-zombie-fencing: zombie-write-invisible', () => {
    const r = exploreDepthFirst(transactionsModel(DEFAULT_TRANSACTIONS_BOUNDS, { variant: 'no-zombie-fencing', transactionVersion: 2 }));
    expect(r.violation?.invariant).toBe('zombie-write-invisible');
    expect(r.exhaustive).toBe(false);
  });

  it('stops at the state budget and says it was not exhaustive', async () => {
    const b = bounds(2, { expirations: 2 });
    expect(exploreDepthFirst(replicationModel(b, null), { maxStates: 2000 })).toMatchObject({ distinctStates: 2000, exhaustive: false });
    expect(await exploreDepthFirstParallel({ model: 'replication', bounds: b, variant: null }, 2, { maxStates: 2000 })).toMatchObject({ distinctStates: 2000, exhaustive: false });
  }, 60_000);
});

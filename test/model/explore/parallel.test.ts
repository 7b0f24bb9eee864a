/**
 * The parallel explorer (worker threads over a shared visited set) explores the same
 * states as the one-thread BFS: the same distinct-state count and depth when exhaustive,
 * and a counterexample of the same (shortest) length for the same invariant.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../../../model/explore/models/replication.ts';
import { type BreadthFirstCheckpoint, exploreParallel } from '../../../model/explore/parallel.ts';
import { NO_FAULTS, type Budget } from '../../../model/explore/world.ts';

function bounds(records: number, budget: Partial<Budget>, idempotence = true): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records, idempotence, budget: { ...NO_FAULTS, ...budget } };
}

describe('parallel exploration', () => {
  it('two threads find exactly the states one thread finds (exhaustive)', async () => {
    const b = bounds(1, { timeouts: 1, drops: 1, crashes: 1 });
    const one = explore(replicationModel(b, null));
    const two = await exploreParallel({ model: 'replication', bounds: b, variant: null }, 2, { progressEvery: 1000 });
    expect(one.exhaustive).toBe(true);
    expect(two).toMatchObject({ distinctStates: one.distinctStates, depth: one.depth, exhaustive: true });
    expect(two.violation).toBeUndefined();
    expect([...two.reached.keys()].sort()).toEqual([...one.reached.keys()].sort());
  }, 60_000);

  it('with the quiet-push reduction too: 30,076 states on both', async () => {
    const b = bounds(1, { expirations: 1 });
    const two = await exploreParallel({ model: 'replication', bounds: b, variant: null, reduction: 'quiet-pushes' }, 2);
    expect(two).toMatchObject({ distinctStates: 30_076, exhaustive: true });
    expect(explore(replicationModel(b, null, undefined, 'quiet-pushes')).distinctStates).toBe(30_076);
  }, 120_000);

  it('and a counterexample of the same length (enable.idempotence=false duplicates a retried write)', async () => {
    const b = bounds(1, { timeouts: 1 }, false);
    const one = explore(replicationModel(b, null));
    const two = await exploreParallel({ model: 'replication', bounds: b, variant: null }, 2);
    expect(one.violation?.invariant).toBe('no-duplicate');
    expect(two.violation?.invariant).toBe(one.violation?.invariant);
    expect(two.violation?.steps.length).toBe(one.violation?.steps.length);
    expect(two.exhaustive).toBe(false);
  }, 60_000);

  it('a replayed frontier paused again and again, mid-level, and resumed each time, reaches the same totals', async () => {
    const b = bounds(1, { timeouts: 1, drops: 1, crashes: 1 });
    const recipe = { model: 'replication', bounds: b, variant: null } as const;
    const whole = await exploreParallel(recipe, 2, { frontier: 'replay' });
    let resume: BreadthFirstCheckpoint | undefined;
    const levels: number[] = [];
    for (let leg = 0; leg < 20; leg++) {
      const controller = new AbortController();
      const stopAt = (resume?.distinctStates ?? 0) + Math.ceil(whole.distinctStates / 8);
      const onProgress = (p: { distinctStates: number }): void => (p.distinctStates >= stopAt ? controller.abort() : undefined);
      const r = await exploreParallel(recipe, 2, { frontier: 'replay', progressEvery: 100, onProgress, signal: controller.signal, ...(resume === undefined ? {} : { resume }) });
      if (r.checkpoint === undefined) {
        expect(r).toMatchObject({ distinctStates: whole.distinctStates, transitions: whole.transitions, depth: whole.depth, exhaustive: true });
        expect([...r.reached.keys()].sort()).toEqual([...whole.reached.keys()].sort());
        break;
      }
      resume = r.checkpoint;
      expect(resume.fingerprints).toHaveLength(2 * resume.distinctStates);
      levels.push(resume.level.depth);
    }
    // It was paused at several depths, not only at level ends.
    expect(levels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(levels).size).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('stops at the state budget', async () => {
    const two = await exploreParallel({ model: 'replication', bounds: bounds(2, { expirations: 2 }), variant: null }, 2, { maxStates: 2000 });
    expect(two).toMatchObject({ distinctStates: 2000, exhaustive: false });
  }, 60_000);
});

/**
 * The largest replication exploration pinned as exhaustive: the default bounds (3 replicas,
 * 2 records, leader epochs ≤ 2, partition epochs ≤ 6, retries 1) with one session
 * expiration instead of two. Today's protocol holds on all 1,245,861 states (depth 41), with
 * an election after an acknowledged write reached. The default bounds themselves (two
 * expirations) are not exhausted (spec/explorer.md). About 100 s on one core: the longest
 * test file, kept alone so that vitest runs the others beside it.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';

describe('replication model, default bounds with one expiration', () => {
  it('is exhausted: 1,245,861 states, depth 41, no invariant violated', () => {
    const bounds = { ...DEFAULT_REPLICATION_BOUNDS, budget: { ...DEFAULT_REPLICATION_BOUNDS.budget, expirations: 1 } };
    const r = explore(replicationModel(bounds, null));
    expect(r).toMatchObject({ distinctStates: 1_245_861, exhaustive: true, depth: 41 });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('leader-changed-after-ack')).toBe(true);
  }, 900_000);
});

/**
 * The same bounds as replication-default-one-election.test.ts (the default bounds with one
 * session expiration) under the quiet-push reduction (model/explore/reduction.ts): 465,800
 * states instead of 1,245,861, no violation, the same `sometimes` properties reached. Its
 * own file so that vitest runs it beside the unreduced one (about 45 s on one core).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';

describe('replication model, default bounds with one expiration, quiet pushes eager', () => {
  it('is exhausted: 465,800 states, depth 37, no invariant violated', () => {
    const bounds = { ...DEFAULT_REPLICATION_BOUNDS, budget: { ...DEFAULT_REPLICATION_BOUNDS.budget, expirations: 1 } };
    const r = explore(replicationModel(bounds, null, undefined, 'quiet-pushes'));
    expect(r).toMatchObject({ distinctStates: 465_800, exhaustive: true, depth: 37 });
    expect(r.violation).toBeUndefined();
    expect([...r.reached.keys()].sort()).toEqual(['isr-shrank', 'leader-changed-after-ack', 'producer-retried', 'some-write-acked', 'truncation-happened']);
  }, 900_000);
});

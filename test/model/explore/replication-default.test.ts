/**
 * The replication model's default bounds (hachikuji/kafka-specification's TLC constants: 3
 * replicas, ≤ 2 records, leader epochs ≤ 2, reached by two session expirations), today's
 * protocol, exhausted depth-first on two threads under the quiet-push reduction: the count
 * pinned in fixtures/default-bounds.json, no violation.
 *
 * About an hour on this 2-core machine, so it is beyond `npm test`'s ten minutes and runs
 * only when asked: `KAFKA_ORACLE_LONG=1 npx vitest run test/model/explore/replication-default.test.ts`
 * (`npm run bench explore-default` runs the same search and compares its count with the
 * same file). `npm test` pins the same bounds with one expiration instead
 * (replication-default-one-election*.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exploreDepthFirstParallel } from '../../../model/explore/dfs-parallel.ts';
import { DEFAULT_REPLICATION_BOUNDS } from '../../../model/explore/models/replication.ts';

describe.runIf(process.env['KAFKA_ORACLE_LONG'] === '1')('replication model, default bounds, quiet pushes eager (long: KAFKA_ORACLE_LONG=1)', () => {
  it('is exhausted with the pinned count and no invariant violated', async () => {
    const pinned = JSON.parse(readFileSync('test/model/explore/fixtures/default-bounds.json', 'utf8')) as Record<string, { distinctStates: number; transitions: number }>;
    const r = await exploreDepthFirstParallel({ model: 'replication', bounds: DEFAULT_REPLICATION_BOUNDS, variant: null, reduction: 'quiet-pushes' }, 2, { maxStates: 1 << 28 });
    expect(r.violation).toBeUndefined();
    expect(r).toMatchObject({ exhaustive: true, distinctStates: pinned['quiet-pushes']?.distinctStates, transitions: pinned['quiet-pushes']?.transitions });
  }, 4 * 3600_000);
});

/**
 * judge.ts's ghost fold: a state's own view is folded in, and only the leader HWs that
 * `high-watermark-monotonic` can never read again are forgotten. The twin: the entry it
 * keeps is the one that catches a leader lowering its HW.
 */
import { describe, expect, it } from 'vitest';
import { firstViolation, foldOwnView, invariantsNamed } from '../../../model/explore/judge.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';
import type { World } from '../../../model/explore/world.ts';

const initial = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1 }, null).initial;
const HW_MONOTONIC = invariantsNamed(['high-watermark-monotonic']);

function withHighWatermarks(world: World, hws: World['ghost']['leaderHighWatermarks']): World {
  return { ...world, ghost: { ...world.ghost, leaderHighWatermarks: hws } };
}

describe('the ghost fold', () => {
  it('the settled initial state has folded its own leader: broker-0, epoch 0, HW 0', () => {
    expect(initial.ghost.leaderHighWatermarks).toEqual([{ epoch: 0, incarnation: 0, highWatermark: 0 }]);
  });

  it('keeps the current leader incarnation\'s entry and forgets an older epoch\'s and a restarted process\'s', () => {
    const world = withHighWatermarks(initial, [
      { epoch: 0, incarnation: 0, highWatermark: 3 },
      { epoch: -1, incarnation: 0, highWatermark: 2 },
      { epoch: 0, incarnation: 1, highWatermark: 1 },
    ]);
    expect(foldOwnView(world).leaderHighWatermarks).toEqual([{ epoch: 0, incarnation: 0, highWatermark: 3 }]);
  });

  it('twin: the kept entry is what catches the leader (HW 0) lowering the HW it exposed (3)', () => {
    const world = withHighWatermarks(initial, [{ epoch: 0, incarnation: 0, highWatermark: 3 }]);
    expect(firstViolation(world, HW_MONOTONIC)?.invariant).toBe('high-watermark-monotonic');
    expect(firstViolation(withHighWatermarks(initial, []), HW_MONOTONIC)).toBeUndefined();
  });
});

/**
 * `worldFingerprint` hashes the same pieces `worldKey` joins, part by part: over every
 * state of a small exhaustive exploration (and every transition into it), two states
 * have equal fingerprints exactly when they have equal keys.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';
import { worldFingerprint, worldKey } from '../../../model/explore/state-key.ts';
import { NO_FAULTS, type World } from '../../../model/explore/world.ts';

describe('state fingerprints', () => {
  it('agree with the canonical keys: equal keys ⇔ equal fingerprints', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: { ...NO_FAULTS, timeouts: 1, drops: 1, expirations: 1 } }, null);
    const byKey = new Map<string, string>();
    const byPrint = new Map<string, string>();
    let frontier: World[] = [model.initial];
    let transitions = 0;
    while (frontier.length > 0 && byKey.size < 4000) {
      const next: World[] = [];
      for (const world of frontier)
        for (const action of model.actions(world)) {
          const successor = model.next(world, action);
          if (successor === null) continue;
          transitions++;
          const key = worldKey(successor, 3);
          const fp = worldFingerprint(successor, 3);
          const print = `${fp.hi}:${fp.lo}`;
          expect(byKey.get(key) ?? print).toBe(print);
          expect(byPrint.get(print) ?? key).toBe(key);
          if (!byKey.has(key)) next.push(successor);
          byKey.set(key, print);
          byPrint.set(print, key);
        }
      frontier = next;
    }
    expect(byKey.size).toBeGreaterThan(1000);
    expect(transitions).toBeGreaterThan(2 * byKey.size);
  });

  it('twin: a different correlation-id equality changes the fingerprint', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: NO_FAULTS }, null);
    const world = model.initial;
    const sent = model.next(world, { kind: 'send' }) as World;
    expect(worldFingerprint(sent, 3)).not.toEqual(worldFingerprint(world, 3));
    expect(worldKey(sent, 3)).not.toBe(worldKey(world, 3));
  });
});

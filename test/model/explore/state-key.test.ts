/**
 * `worldFingerprint` hashes the same pieces `worldKey` joins, part by part: over every
 * state of a small exploration (and every transition into it), two states have equal
 * fingerprints exactly when they have equal keys.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';
import { worldFingerprint, worldKey } from '../../../model/explore/state-key.ts';
import { NO_FAULTS, type World } from '../../../model/explore/world.ts';
import { expectFingerprintsMatchKeys } from './fingerprint-agreement.ts';

describe('state fingerprints', () => {
  it('agree with the canonical keys: equal keys ⇔ equal fingerprints', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: { ...NO_FAULTS, timeouts: 1, drops: 1, expirations: 1 } }, null);
    const seen = expectFingerprintsMatchKeys(model, (w) => worldKey(w, 3), (w) => worldFingerprint(w, 3), 4000);
    expect(seen.states).toBeGreaterThan(1000);
    expect(seen.transitions).toBeGreaterThan(2 * seen.states);
  });

  it('agree where the ghost holds two acknowledged writes, committed offsets and lost data', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 2, budget: { ...NO_FAULTS, powerLosses: 1 } }, null);
    const seen = expectFingerprintsMatchKeys(model, (w) => worldKey(w, 3), (w) => worldFingerprint(w, 3));
    expect(seen.states).toBe(2834);
  });

  it('hash the ghost by its content: a copy prints the same, each field changed prints differently', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: NO_FAULTS }, null);
    const world = model.initial;
    const ghost = { sent: 1, acked: [{ value: 'v0', offset: 0, depth: 3 }], ackConflicts: [], committed: [{ value: 'v0', depth: 4, brokerId: 0 }], leaderHighWatermarks: [undefined, { epoch: 1, incarnation: 0, highWatermark: 1 }] };
    const print = (g: Partial<World['ghost']>): string => JSON.stringify(worldFingerprint({ ...world, ghost: { ...ghost, ...g } }, 3));
    expect(print({ acked: [{ value: 'v0', offset: 0, depth: 9 }] })).toBe(print({}));
    const changed = [
      print({ sent: 2 }),
      print({ acked: [{ value: 'v0', offset: 1, depth: 3 }] }),
      print({ acked: [] }),
      print({ ackConflicts: [{ value: 'v0', offsets: [0, 1] }] }),
      print({ committed: [] }),
      print({ committed: [undefined, { value: 'v0', depth: 4, brokerId: 0 }] }),
      print({ leaderHighWatermarks: [{ epoch: 1, incarnation: 0, highWatermark: 1 }] }),
      print({ leaderHighWatermarks: [undefined, { epoch: 1, incarnation: 0, highWatermark: 2 }] }),
    ];
    expect(new Set([print({}), ...changed]).size).toBe(changed.length + 1);
  });

  it('twin: a different correlation-id equality changes the fingerprint', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: NO_FAULTS }, null);
    const world = model.initial;
    const sent = model.next(world, { kind: 'send' }) as World;
    expect(worldFingerprint(sent, 3)).not.toEqual(worldFingerprint(world, 3));
    expect(worldKey(sent, 3)).not.toBe(worldKey(world, 3));
  });
});

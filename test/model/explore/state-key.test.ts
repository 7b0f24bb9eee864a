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

  it('twin: a different correlation-id equality changes the fingerprint', () => {
    const model = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: NO_FAULTS }, null);
    const world = model.initial;
    const sent = model.next(world, { kind: 'send' }) as World;
    expect(worldFingerprint(sent, 3)).not.toEqual(worldFingerprint(world, 3));
    expect(worldKey(sent, 3)).not.toBe(worldKey(world, 3));
  });
});

/**
 * The storage refinement property: whatever operations ran and however the machine went
 * down, recovery yields a prefix of what was appended (same offsets, same bytes) that
 * contains everything flushed, never a corrupt batch, with indexes, epoch cache and
 * producer state consistent with it; a process crash loses nothing. The 'sometimes' side
 * is counted over the whole run: power losses really lose unflushed data and really tear
 * batches. The broken recovery variants are caught by the same checker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRASH_KINDS, runCampaign, runScenario, type Scenario, type StorageOp } from '../../src/storage/crash-campaign.ts';

const opArb: fc.Arbitrary<StorageOp> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('append' as const), as: fc.constantFrom('leader' as const, 'follower' as const), records: fc.integer({ min: 1, max: 4 }), valueBytes: fc.constantFrom(1, 10, 40, 120), producer: fc.integer({ min: 0, max: 3 }), transactional: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('marker' as const), producer: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'bumpEpoch' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('highWatermark' as const), back: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('crash' as const),
      kind: fc.constantFrom(...CRASH_KINDS),
      seed: fc.nat(),
      after: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
      duringRecovery: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    }),
  },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  config: fc.record({
    segmentBytes: fc.constantFrom(300, 600, 1500),
    indexIntervalBytes: fc.constantFrom(0, 100, 300),
    flushMessages: fc.oneof(fc.integer({ min: 1, max: 15 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  }),
  ops: fc.tuple(fc.array(opArb, { maxLength: 50 }), fc.constantFrom(...CRASH_KINDS), fc.nat()).map(([ops, kind, seed]) => [...ops, { op: 'crash' as const, kind, seed }]),
});

describe('storage crash property (fast-check, SimFileSystem)', () => {
  it('recovery yields a prefix containing everything flushed, and sometimes loses unflushed data or tears a batch', () => {
    const seen = { powerLossesThatLostData: 0, tornBatches: 0, garbled: 0, processCrashes: 0, truncations: 0, interrupted: 0 };
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const outcome = runScenario(scenario);
        for (const r of outcome.recoveries) {
          if (r.kind !== 'process' && r.kind !== 'restart' && r.offsetsLost > 0) seen.powerLossesThatLostData++;
          if (r.tornBatch) seen.tornBatches++;
          if (r.garbled) seen.garbled++;
          if (r.kind === 'process') seen.processCrashes++;
          if (r.truncated) seen.truncations++;
          if (r.interrupted) seen.interrupted++;
          // Between operations a process crash or a restart loses nothing.
          if ((r.kind === 'process' || r.kind === 'restart') && !r.interrupted) expect(r.offsetsLost).toBe(0);
        }
        expect(outcome.violations).toEqual([]);
      }),
      { numRuns: 500 },
    );
    // The 'sometimes' twins: the interesting cases really happened.
    expect(seen.powerLossesThatLostData).toBeGreaterThan(0);
    expect(seen.tornBatches).toBeGreaterThan(0);
    expect(seen.garbled).toBeGreaterThan(0);
    expect(seen.processCrashes).toBeGreaterThan(0);
    expect(seen.truncations).toBeGreaterThan(0);
    expect(seen.interrupted).toBeGreaterThan(0);
  });
});

describe('the campaign over seeds', () => {
  it('holds for Kafka recovery, and every crash class shows its effect', () => {
    const result = runCampaign({ firstSeed: 1, seeds: 120 });
    expect(result.violations).toEqual([]);
    expect(result.byClass.process.interrupted).toBeGreaterThan(0);
    expect(result.byClass.power.runsThatLostData).toBeGreaterThan(0);
    expect(result.byClass.torn.tornBatches).toBeGreaterThan(0);
    expect(result.byClass.garbled.garbled).toBeGreaterThan(0);
  });

  it('catches recovery that skips the CRC check (a garbled batch is kept)', () => {
    const result = runCampaign({ firstSeed: 1, seeds: 120, variant: 'skip-crc-check' });
    expect(result.violations.length).toBeGreaterThan(0);
    // Only the class that garbles bytes can expose it: torn tails never pass the frame rules.
    for (const v of result.violations) expect(v.seed % CRASH_KINDS.length).toBe(CRASH_KINDS.indexOf('garbled'));
  });

  it('catches recovery that does not truncate (later appends land behind the bad bytes and are lost)', () => {
    const result = runCampaign({ firstSeed: 1, seeds: 120, variant: 'no-truncate' });
    expect(result.violations.length).toBeGreaterThan(0);
    expect(result.violations.some((v) => v.message.includes('data lost'))).toBe(true);
  });

  it('replays a seed exactly', () => {
    const a = runCampaign({ firstSeed: 77, seeds: 3 });
    const b = runCampaign({ firstSeed: 77, seeds: 3 });
    expect(a).toEqual(b);
  });
});

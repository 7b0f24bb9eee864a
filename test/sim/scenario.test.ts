import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/assert.ts';
import { Prng } from '../../src/core/prng.ts';
import { CRASH_PARTITION_MESSAGE, ONE_POWER_LOSS } from '../../src/sim/matrix.ts';
import { type FaultBudget, parseScenario, scenarioArbitrary, scenarioFromSeed, scenarioToString, type Step, TARGET_CONTROLLER, TARGET_LEADER } from '../../src/sim/scenario.ts';

const CHAINS: FaultBudget = { name: 'chains', maxSteps: 30, processCrashes: 8, powerLosses: 0, isolations: 3, messageFaults: 0, linkFaults: 3, generator: 'failover-chains' };
const REJOINS: FaultBudget = { name: 'rejoins', maxSteps: 30, processCrashes: 8, powerLosses: 0, isolations: 3, messageFaults: 0, generator: 'rejoin-chains' };
const LINKS: FaultBudget = { name: 'links', maxSteps: 30, processCrashes: 2, powerLosses: 0, isolations: 0, messageFaults: 0, linkFaults: 3 };

describe('scenario language', () => {
  it('prints every step as one readable line and parses it back', () => {
    fc.assert(
      fc.property(scenarioArbitrary(CRASH_PARTITION_MESSAGE, 3), scenarioArbitrary(ONE_POWER_LOSS, 3), (a, b) => {
        for (const steps of [a, b]) expect(parseScenario(scenarioToString(steps))).toEqual(steps);
      }),
      { numRuns: 200 },
    );
  });

  it('reads the pinned form', () => {
    const steps: Step[] = parseScenario('send; run(500 ms, seed 7); crash(broker-1, power-loss, seed 3); crash(leader, process) + failover; restart(down); isolate(broker-2); heal; delay(#0); drop(#2); failover');
    expect(steps.map((s) => s.kind)).toEqual(['send', 'run', 'crash', 'crash', 'restart', 'isolate', 'heal', 'delay', 'drop', 'failover']);
    expect(steps[2]).toEqual({ kind: 'crash', broker: 1, mode: 'power-loss', seed: 3, failover: false });
    expect(steps[3]).toEqual({ kind: 'crash', broker: TARGET_LEADER, mode: 'process', seed: 0, failover: true });
    expect(steps[4]).toEqual({ kind: 'restart', broker: TARGET_LEADER });
    expect(() => parseScenario('send; explode')).toThrow(InputError);
  });

  it('never draws a fault kind the budget forbids', () => {
    fc.assert(
      fc.property(scenarioArbitrary(ONE_POWER_LOSS, 3), (steps) => {
        for (const s of steps) {
          expect(['drop', 'duplicate', 'reorder']).not.toContain(s.kind);
          if (s.kind === 'crash') expect(s.mode).toBe('power-loss');
        }
        expect(steps.length).toBeLessThanOrEqual(ONE_POWER_LOSS.maxSteps);
      }),
      { numRuns: 200 },
    );
    const seeded = scenarioFromSeed(new Prng(5), ONE_POWER_LOSS, 3);
    expect(seeded.some((s) => s.kind === 'drop' || (s.kind === 'crash' && s.mode === 'process'))).toBe(false);
  });

  it('draws the same scenario from the same seed', () => {
    expect(scenarioFromSeed(new Prng(9), CRASH_PARTITION_MESSAGE, 3)).toEqual(scenarioFromSeed(new Prng(9), CRASH_PARTITION_MESSAGE, 3));
  });

  it('prints and parses partial partitions and slow links, and draws them only under a link budget', () => {
    const steps = parseScenario('partition(leader, controller) + failover; partition(broker-1, broker-2); slow(controller→broker-2, 900 ms); slow(leader->broker-0, 5 ms)');
    expect(steps).toEqual([
      { kind: 'partition', a: TARGET_LEADER, b: TARGET_CONTROLLER, failover: true },
      { kind: 'partition', a: 1, b: 2, failover: false },
      { kind: 'slow', from: TARGET_CONTROLLER, to: 2, ms: 900 },
      { kind: 'slow', from: TARGET_LEADER, to: 0, ms: 5 },
    ]);
    expect(scenarioToString(steps)).toBe('partition(leader, controller) + failover; partition(broker-1, broker-2); slow(controller→broker-2, 900 ms); slow(leader→broker-0, 5 ms)');
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenarioArbitrary(LINKS, 3), scenarioArbitrary(CRASH_PARTITION_MESSAGE, 3), (withLinks, without) => {
        expect(parseScenario(scenarioToString(withLinks))).toEqual(withLinks);
        for (const s of withLinks) seen.add(s.kind);
        for (const s of without) expect(['partition', 'slow']).not.toContain(s.kind);
      }),
      { numRuns: 200 },
    );
    expect(seen.has('partition') && seen.has('slow')).toBe(true);
    const seeded = Array.from({ length: 20 }, (_, i) => scenarioFromSeed(new Prng(i), LINKS, 3)).flat();
    expect(seeded.some((s) => s.kind === 'partition') && seeded.some((s) => s.kind === 'slow')).toBe(true);
  });

  it('failover-chains: a distribution of failover rounds within the budget (any order and target), printable and parseable', () => {
    const counts = new Map<string, number>();
    fc.assert(
      fc.property(scenarioArbitrary(CHAINS, 3), scenarioArbitrary({ ...CHAINS, linkFaults: 0, isolations: 0 }, 3), (steps, noLinks) => {
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.length).toBeLessThanOrEqual(CHAINS.maxSteps);
        expect(parseScenario(scenarioToString(steps))).toEqual(steps);
        for (const s of steps) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
        for (const s of noLinks) expect(['partition', 'slow', 'isolate', 'heal']).not.toContain(s.kind);
      }),
      { numRuns: 200 },
    );
    for (const kind of ['send', 'run', 'crash', 'restart', 'isolate', 'partition', 'slow', 'heal']) expect(counts.get(kind) ?? 0).toBeGreaterThan(0);
  });

  it('rejoin-chains: rounds that end in a leader failover, brokers leaving and returning, within the budget, printable and parseable', () => {
    const counts = new Map<string, number>();
    let followerLeft = false;
    let waitedForDecision = false;
    fc.assert(
      fc.property(scenarioArbitrary(REJOINS, 3), scenarioArbitrary({ ...REJOINS, isolations: 0 }, 3), (steps, noIsolations) => {
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.length).toBeLessThanOrEqual(REJOINS.maxSteps);
        expect(parseScenario(scenarioToString(steps))).toEqual(steps);
        for (const s of steps) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
        // Every round ends with the leader failing and the controller deciding.
        const last = steps[steps.length - 1];
        if (steps.length < REJOINS.maxSteps) expect(last?.kind === 'crash' || last?.kind === 'isolate' ? [last.broker, last.failover] : last).toEqual([TARGET_LEADER, true]);
        if (steps.some((s) => (s.kind === 'isolate' || s.kind === 'crash') && s.broker !== TARGET_LEADER && !s.failover)) followerLeft = true;
        if (steps.some((s, i) => s.kind === 'failover' && steps[i + 1]?.kind === 'crash')) waitedForDecision = true;
        for (const s of noIsolations) expect(['isolate', 'heal', 'partition', 'slow']).not.toContain(s.kind);
      }),
      { numRuns: 200 },
    );
    for (const kind of ['send', 'run', 'crash', 'restart', 'isolate', 'heal', 'failover']) expect(counts.get(kind) ?? 0).toBeGreaterThan(0);
    expect(counts.get('partition') ?? 0).toBe(0);
    expect(followerLeft && waitedForDecision).toBe(true);
  });
});

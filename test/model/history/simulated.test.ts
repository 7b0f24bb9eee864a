/**
 * Every simulated history is also checked, and the history checker and the model's
 * invariants must agree on every run (a disagreement is a bug in one of them):
 *
 * - durability: the invariants `no-acked-write-lost` / `acked-writes-read` are violated
 *   exactly when the checker finds `lost-write`, `unseen` or `inconsistent-offsets`;
 * - idempotence: `no-duplicate` is violated exactly when the checker finds `duplicate`;
 * - nothing else makes the checker complain.
 *
 * Compared only when the healed cluster reached quiescence: otherwise the final consumer may
 * find no leader to read from, and `unseen` is expected while no invariant is broken.
 * (`per-partition-order` has no counterpart: the simulator gives each send its own process,
 * so the history does not carry one producer's send order.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../model/history/check.ts';
import { brokersOf } from '../../../src/sim/checker.ts';
import { machineRoles } from '../../../src/sim/machine-roles.ts';
import { MATRIX } from '../../../src/sim/matrix.ts';
import { runHistory } from '../../../src/sim/runner.ts';
import { scenarioArbitrary } from '../../../src/sim/scenario.ts';

const DURABILITY_INVARIANTS = ['acked-writes-read', 'no-acked-write-lost'];
const DURABILITY_ANOMALIES = ['inconsistent-offsets', 'lost-write', 'unseen'];

interface Outcome {
  readonly durable: boolean;
  readonly duplicate: boolean;
}

/** Runs one simulated history, checks it, asserts agreement; undefined when not quiescent. */
function judgeOne(rowIndex: number, steps: Parameters<typeof runHistory>[0]): Outcome | undefined {
  const row = MATRIX[rowIndex]!;
  const run = runHistory(steps, { config: row.config, budget: row.budget, roles: machineRoles });
  const result = checkHistory(run.world.history.events, {});
  expect(result.valid).not.toBe('unknown');
  if (!run.quiescent) return undefined;
  const broken = new Set(run.violations.map((v) => v.invariant));
  const found = new Set(result.anomalyTypes);
  const durable = DURABILITY_INVARIANTS.some((name) => broken.has(name));
  const context = `row ${rowIndex}, invariants [${[...broken].join(', ')}], checker [${[...found].join(', ')}]`;
  expect(DURABILITY_ANOMALIES.some((type) => found.has(type)), context).toBe(durable);
  expect(found.has('duplicate'), context).toBe(broken.has('no-duplicate'));
  expect(result.valid, context).toBe(!durable && !broken.has('no-duplicate'));
  return { durable, duplicate: broken.has('no-duplicate') };
}

function scenarios(rowIndex: number, runs: number) {
  const row = MATRIX[rowIndex]!;
  return fc.sample(scenarioArbitrary(row.budget, brokersOf(row)), { numRuns: runs, seed: 1000 + rowIndex });
}

describe('simulated histories: checker and invariants agree', () => {
  MATRIX.forEach((row, i) => {
    it(`row ${i}: ${row.guarantee}, expected ${row.expected}`, () => {
      let quiescent = 0;
      for (const steps of scenarios(i, 8)) if (judgeOne(i, steps) !== undefined) quiescent++;
      expect(quiescent).toBeGreaterThan(0);
    });
  });

  /** Sometimes twins: search a row known to break the guarantee until a run does (bounded). */
  function firstViolation(guarantee: string, config: (c: Record<string, unknown>) => boolean, want: keyof Outcome): boolean {
    const rowIndex = MATRIX.findIndex((r) => r.guarantee === guarantee && r.expected === 'violated' && config(r.config as unknown as Record<string, unknown>));
    expect(rowIndex).toBeGreaterThanOrEqual(0);
    for (const steps of scenarios(rowIndex, 200)) if (judgeOne(rowIndex, steps)?.[want] === true) return true;
    return false;
  }

  it('sometimes: a lost acknowledged write (acks=1) is found by both', () => {
    expect(firstViolation('no-acked-write-lost', (c) => c['acks'] === 1, 'durable')).toBe(true);
  });

  it('sometimes: a duplicate (idempotence off) is found by both', () => {
    expect(firstViolation('idempotent-producer', (c) => c['enable.idempotence'] === false, 'duplicate')).toBe(true);
  });
});

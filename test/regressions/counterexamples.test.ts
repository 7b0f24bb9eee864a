import { describe, expect, it } from 'vitest';
import { guarantee } from '../../model/guarantees.ts';
import { formatConfig, parseConfig } from '../../src/protocol/config.ts';
import { machineRoles } from '../../src/sim/machine-roles.ts';
import { BASELINE, MATRIX, type MatrixRow } from '../../src/sim/matrix.ts';
import { replayRow } from '../../src/sim/checker.ts';
import { runHistory } from '../../src/sim/runner.ts';
import { parseScenario } from '../../src/sim/scenario.ts';
import { PINNED, type PinnedCounterexample } from './counterexamples.ts';

/** The baseline with `changes` applied, in canonical text form. */
function configOf(changes: string): string {
  const pairs = new Map(formatConfig(BASELINE).split(' ').map((p) => p.split('=') as [string, string]));
  for (const p of changes.split(' ').filter((x) => x !== '')) {
    const [key, value] = p.split('=') as [string, string];
    pairs.set(key, value);
  }
  return formatConfig(parseConfig([...pairs].map(([k, v]) => `${k}=${v}`).join(' ')));
}

function rowOf(pin: PinnedCounterexample): MatrixRow {
  const config = configOf(pin.config);
  const row = MATRIX.find((r) => r.guarantee === pin.guarantee && formatConfig(r.config) === config);
  if (row === undefined) throw new Error(`no matrix row for ${pin.guarantee} | ${config}`);
  return row;
}

function judge(pin: PinnedCounterexample, config: string): string[] {
  const row = rowOf(pin);
  const result = runHistory(parseScenario(pin.steps), {
    config: parseConfig(config),
    budget: row.budget,
    roles: machineRoles,
    judge: guarantee(pin.guarantee).invariants,
  });
  return result.violations.map((v) => v.invariant);
}

describe('pinned counterexamples (test/regressions/counterexamples.ts)', () => {
  for (const pin of PINNED) {
    it(`${pin.name}: violates ${pin.invariant}`, () => {
      expect(judge(pin, configOf(pin.config))).toContain(pin.invariant);
    });
    if (pin.path !== '')
      it(`${pin.name}: fast-check regenerates it from seed ${pin.seed} and path ${pin.path}`, () => {
        const replayed = replayRow(rowOf(pin), machineRoles, pin.seed, pin.path);
        expect(replayed?.result.violations.map((v) => v.invariant)).toContain(pin.invariant);
      });
    if (pin.fixedBy !== '')
      it(`${pin.name}: the same steps keep the guarantee with ${pin.fixedBy}`, () => {
        expect(judge(pin, configOf(pin.fixedBy))).toEqual([]);
      });
  }
});

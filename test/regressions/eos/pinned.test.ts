import { describe, expect, it } from 'vitest';
import { EOS_BASELINE, EOS_MATRIX } from '../../../src/sim/eos/matrix.ts';
import { runEosHistory } from '../../../src/sim/eos/runner.ts';
import { parseEosScenario } from '../../../src/sim/eos/scenario.ts';
import { formatConfig } from '../../../src/protocol/config.ts';
import { PINNED_EOS, type PinnedEos } from './pinned.ts';

function rowOf(pin: PinnedEos) {
  const config = formatConfig({ ...EOS_BASELINE, ...pin.changes });
  const row = EOS_MATRIX.find((r) => formatConfig(r.config) === config);
  if (row === undefined) throw new Error(`no exactly-once row has config ${config}`);
  return row;
}

function violated(pin: PinnedEos, changes: PinnedEos['changes']): string[] {
  const row = rowOf(pin);
  const result = runEosHistory(parseEosScenario(pin.steps), { config: { ...row.config, ...changes }, budget: row.budget });
  return result.violations.map((v) => v.invariant);
}

describe('pinned exactly-once counterexamples (test/regressions/eos/pinned.ts)', () => {
  for (const pin of PINNED_EOS) {
    it(`${pin.name}: violates ${pin.invariant}, and holds with ${JSON.stringify(pin.fixedBy)}`, () => {
      expect(rowOf(pin).expected).toBe('violated');
      expect(violated(pin, {})).toContain(pin.invariant);
      expect(violated(pin, pin.fixedBy)).toEqual([]);
    });
  }
});

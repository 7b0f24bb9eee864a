/**
 * Judges an exactly-once matrix row with fast-check, as src/sim/checker.ts judges the
 * replication rows: histories are generated as step lists within the row's budget, each is
 * run and judged (runner.ts), the first failing one is shrunk, and the counterexample
 * carries the `seed` and `path` that regenerate it plus its steps as data. Results have the
 * replication rows' shape (`RowResult`), so `kafka-oracle check` prints both alike.
 */
import fc from 'fast-check';
import { assert } from '../../core/assert.ts';
import { formatConfig } from '../../protocol/config.ts';
import { eosGuarantee } from '../../../model/eos/invariants.ts';
import type { CheckOptions, Counterexample, RowResult } from '../checker.ts';
import type { MatrixRow } from '../matrix.ts';
import { WORKER_SLOTS } from './app.ts';
import { type EosHistoryResult, runEosHistory } from './runner.ts';
import { type EosBudget, type EosStep, eosScenarioArbitrary, eosStepToString } from './scenario.ts';
import { BROKERS } from './topology.ts';

/** An exactly-once row: a matrix row whose budget also bounds the application's faults. */
export interface EosRow extends MatrixRow {
  readonly budget: EosBudget;
  readonly eos: true;
}

export function isEosRow(row: MatrixRow): row is EosRow {
  return (row as Partial<EosRow>).eos === true;
}

/** Shrinking an exactly-once history costs ~0.2–0.5 s a history: a smaller budget than the replication rows' (the pinned counterexamples were shrunk further). */
export const EOS_SHRINK_HISTORIES = 40;

function arbitrary(row: EosRow): fc.Arbitrary<EosStep[]> {
  return eosScenarioArbitrary(row.budget, BROKERS, WORKER_SLOTS);
}

function run(row: EosRow, steps: readonly EosStep[], trace = false): EosHistoryResult {
  return runEosHistory(steps, { config: row.config, budget: row.budget, judge: eosGuarantee(row.guarantee).invariants, trace });
}

export function checkEosRow(row: EosRow, options: Omit<CheckOptions, 'roles'>): RowResult {
  const g = eosGuarantee(row.guarantee);
  const total = options.runs ?? row.histories;
  const shrinkHistories = options.shrinkHistories ?? EOS_SHRINK_HISTORIES;
  const sometimes = Object.fromEntries(g.sometimes.map((name) => [name, 0])) as Record<string, number>;
  let histories = 0;
  let failures = 0;
  let afterFailure = 0;
  const property = fc.property(arbitrary(row), (steps) => {
    if (failures > 0 && ++afterFailure > shrinkHistories) return true;
    const result = run(row, steps);
    if (failures === 0) {
      histories++;
      for (const name of g.sometimes) if (result.reached.has(name)) sometimes[name] = (sometimes[name] ?? 0) + 1;
      options.onHistory?.(histories, total);
    }
    if (result.violations.length === 0) return true;
    failures++;
    return false;
  });
  const details = fc.check(property, { seed: options.seed, numRuns: total });
  if (!details.failed || details.counterexample === null) return { row, verdict: 'holds', histories, sometimes };
  const [steps] = details.counterexample;
  return { row, verdict: 'violated', histories, sometimes, counterexample: explainEos(row, steps, details.seed, details.counterexamplePath ?? '') };
}

/** Re-run a failing scenario with the trace on and package it for a person. */
export function explainEos(row: EosRow, steps: readonly EosStep[], seed: number, path: string): Counterexample {
  const result = run(row, steps, true);
  const violation = result.violations[0];
  assert(violation !== undefined, `counterexample for ${formatConfig(row.config)} does not fail when replayed`);
  return {
    seed,
    path,
    steps: steps.map((s, i) => `${eosStepToString(s)}${result.skipped.includes(i) ? '   (skipped: fault budget spent or nothing to do)' : ''}`),
    violation,
    trace: result.world.trace.map((t) => `[${t.step}] ${t.text}`),
    cluster: describeEnd(result),
  };
}

/** fast-check regenerates the scenario at `path` from `seed`; returns it with its judgement (trace on). */
export function replayEosRow(row: EosRow, seed: number, path: string): { steps: EosStep[]; result: EosHistoryResult } | undefined {
  let found: { steps: EosStep[]; result: EosHistoryResult } | undefined;
  const property = fc.property(arbitrary(row), (steps) => {
    const result = run(row, steps, true);
    found = { steps, result };
    return result.violations.length === 0;
  });
  fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  return found;
}

/** Run a step list (a pinned regression) with the trace on. */
export function runEosSteps(row: EosRow, steps: readonly EosStep[]): EosHistoryResult {
  return run(row, steps, true);
}

/** The world at the end of a history: partitions at their leaders, workers, the verifier's reads. */
export function describeEnd(result: EosHistoryResult): string[] {
  const lines: string[] = [];
  for (const b of result.world.brokers) lines.push(`broker-${b.id}: ${b.machines === undefined ? 'down' : `up (incarnation ${b.incarnation})`}`);
  for (const tpName of [...b0Partitions(result)]) lines.push(tpName);
  const c = result.world.counters;
  lines.push(`faults: ${c.crashes} crashes, ${c.restarts} restarts, ${c.pauses} pauses; coordinator failovers: ${c.txnFailovers} transaction, ${c.groupFailovers} group`);
  lines.push(...result.pipeline.describe());
  lines.push(`verifier read: ${result.ledger.verifierReads().map((r) => `${r.value}@${r.key}/${r.offset}`).join(' ')}`);
  return lines;
}

function b0Partitions(result: EosHistoryResult): string[] {
  const lines: string[] = [];
  for (const tp of ['input-0', 'input-1', 'output-0', 'output-1']) {
    const [topic, partition] = [tp.slice(0, tp.lastIndexOf('-')), Number(tp.slice(tp.lastIndexOf('-') + 1))];
    const log = result.world.logOf({ topic, partition });
    const text = log.map((b) => (b.isControl ? `${b.records[0]?.key ?? 'marker'}(${b.producerId}/e${b.producerEpoch})@${b.baseOffset}` : b.records.map((r, i) => `${r.value}@${b.baseOffset + i}${b.isTransactional ? `(${b.producerId}/e${b.producerEpoch})` : ''}`).join(' ')));
    lines.push(`${tp} at its leader: ${text.join(' ')}`);
  }
  return lines;
}

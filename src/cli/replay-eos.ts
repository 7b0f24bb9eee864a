/**
 * `kafka-oracle replay` for the exactly-once rows (src/sim/eos): the same flags as the
 * replication rows (`--seed S --path P` or `--steps "..."`, `--config`, `--history FILE`),
 * dispatched here by replay.ts when the config names an exactly-once row. The scenario runs
 * in the transactional world with the trace on; every step prints with what it did, then the
 * partitions, workers and the verifier's reads at the end. Exit 1 when the violation
 * reproduces, 0 when it does not. `--data-dir` is not supported for these rows (each broker
 * holds six partitions; `dump-log` a replication row's files instead).
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { formatConfig } from '../protocol/config.ts';
import { describeEnd, type EosRow, replayEosRow, runEosSteps } from '../sim/eos/checker.ts';
import type { EosHistoryResult } from '../sim/eos/runner.ts';
import { type EosStep, eosStepToString, parseEosScenario } from '../sim/eos/scenario.ts';
import type { Io } from './io.ts';

export interface EosReplayOptions {
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly steps: string | undefined;
  readonly dataDir: string | undefined;
  readonly history: string | undefined;
}

export function replayEos(row: EosRow, o: EosReplayOptions, io: Io): number {
  if (o.dataDir !== undefined) throw new InputError('--data-dir is not supported for the exactly-once rows (use --history FILE)');
  const { steps, result } = run(row, o);
  io.out(`replay: ${row.guarantee} | ${formatConfig(row.config)} | faults ${row.budget.name}`);
  if (o.seed !== undefined && o.path !== undefined) io.out(`seed ${o.seed} path ${o.path}`);
  io.out('scenario:');
  steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${eosStepToString(s)}${result.skipped.includes(i) ? '   (skipped: fault budget spent or nothing to do)' : ''}`));
  io.out('what happened:');
  result.world.trace.forEach((t, i) => io.out(`  ${String(i + 1).padStart(4)}. [${t.step}] ${t.text}`));
  io.out('at the end:');
  for (const line of describeEnd(result)) io.out(`  ${line}`);
  if (result.violations.length === 0) io.out('the violation does not reproduce: every invariant held');
  for (const v of result.violations) io.out(`VIOLATED ${v.invariant} (${v.kind}, step ${v.step}, phase ${v.phase}): ${v.witness}`);
  if (o.history !== undefined) writeFileSync(o.history, result.world.history.toJsonLines());
  return result.violations.length > 0 ? 1 : 0;
}

function run(row: EosRow, o: EosReplayOptions): { steps: EosStep[]; result: EosHistoryResult } {
  if (o.steps !== undefined) {
    const steps = parseEosScenario(o.steps);
    return { steps, result: runEosSteps(row, steps) };
  }
  const found = replayEosRow(row, o.seed as number, o.path as string);
  if (found === undefined) throw new InputError(`seed ${o.seed} path ${o.path} generates no scenario for this row`);
  return found;
}

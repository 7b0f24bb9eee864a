/**
 * Judges one matrix row with fast-check: histories are generated as step lists within the
 * row's fault budget, each is run and judged (runner.ts), and the first failing one is
 * shrunk to a minimal scenario. Every counterexample carries the fast-check `seed` and
 * `path` that regenerate it (`kafka-oracle replay`), plus its step list as data.
 */
import fc from 'fast-check';
import { assert } from '../core/assert.ts';
import { formatConfig } from '../protocol/config.ts';
import { guarantee, type Guarantee } from '../../model/guarantees.ts';
import type { MatrixRow, Verdict } from './matrix.ts';
import type { Roles } from './roles.ts';
import { type HistoryResult, runHistory, type Violation } from './runner.ts';
import { checkEosRow, isEosRow } from './eos/checker.ts';
import { scenarioArbitrary, stepToString, type Step } from './scenario.ts';

export interface Counterexample {
  readonly seed: number;
  readonly path: string;
  /** The shrunk scenario, one readable step per line. */
  readonly steps: readonly string[];
  readonly violation: Violation;
  /** Everything that happened, numbered by scenario step (who did what, each replica's log and HW). */
  readonly trace: readonly string[];
  /** The cluster when the history ended. */
  readonly cluster: readonly string[];
}

export interface RowResult {
  readonly row: MatrixRow;
  /** `error`: the row's run threw (a bug in its world or machines); reported, never a pass. */
  readonly verdict: Verdict | 'error';
  readonly error?: string;
  readonly histories: number;
  readonly counterexample?: Counterexample;
  /** How many histories reached each `sometimes` twin of the guarantee. */
  readonly sometimes: Readonly<Record<string, number>>;
}

export interface CheckOptions {
  readonly seed: number;
  /** Overrides the row's own number of histories. */
  readonly runs?: number;
  readonly roles: Roles;
  /** Histories shrinking may spend after the first failure (default SHRINK_HISTORIES). */
  readonly shrinkHistories?: number;
  /** Called after every history (progress display). */
  readonly onHistory?: (done: number, total: number) => void;
}

/** Shrinking stops after this many further histories (the best counterexample so far is kept). */
export const SHRINK_HISTORIES = 300;

export function brokersOf(row: MatrixRow): number {
  return row.config['replication.factor'];
}

/** The property fast-check checks for a row: a history violates none of the guarantee's invariants. */
export function rowProperty(row: MatrixRow, roles: Roles, onResult: (result: HistoryResult, shrinking: boolean) => void, shrinkHistories = SHRINK_HISTORIES): fc.IProperty<[Step[]]> {
  const g = guarantee(row.guarantee);
  let failures = 0;
  let afterFailure = 0;
  return fc.property(scenarioArbitrary(row.budget, brokersOf(row)), (steps) => {
    if (failures > 0 && ++afterFailure > shrinkHistories) return true;
    const result = runHistory(steps, { config: row.config, budget: row.budget, roles, judge: g.invariants });
    onResult(result, failures > 0);
    if (result.violations.length === 0) return true;
    failures++;
    return false;
  });
}

export function checkRow(row: MatrixRow, options: CheckOptions): RowResult {
  if (isEosRow(row)) return checkEosRow(row, options); // the exactly-once rows run in their own world (src/sim/eos)
  const g = guarantee(row.guarantee);
  const total = options.runs ?? row.histories;
  const twins = [...g.sometimes, ...(row.sometimes ?? [])];
  const sometimes = Object.fromEntries(twins.map((name) => [name, 0])) as Record<string, number>;
  let histories = 0;
  const property = rowProperty(row, options.roles, (result, shrinking) => {
    if (shrinking) return;
    histories++;
    for (const name of twins) if (result.reached.has(name)) sometimes[name] = (sometimes[name] ?? 0) + 1;
    options.onHistory?.(histories, total);
  }, options.shrinkHistories);
  const details = fc.check(property, { seed: options.seed, numRuns: total });
  if (!details.failed || details.counterexample === null) return { row, verdict: 'holds', histories, sometimes };
  const [steps] = details.counterexample;
  const counterexample = explain(row, g, steps, options.roles, details.seed, details.counterexamplePath ?? '');
  return { row, verdict: 'violated', histories, sometimes, counterexample };
}

/**
 * Re-run a failing scenario with the trace on and package it for a person. A safety
 * violation seen during phase 1 at step k does not depend on the steps after k: they are
 * cut (and the cut scenario re-run, so what is printed is what fails). The trace stops a
 * few lines after the first violation; `replay` prints all of it.
 */
export function explain(row: MatrixRow, g: Guarantee, steps: readonly Step[], roles: Roles, seed: number, path: string): Counterexample {
  const run = (s: readonly Step[]): HistoryResult => runHistory(s, { config: row.config, budget: row.budget, roles, judge: g.invariants, trace: true });
  let shown = steps;
  let result = run(steps);
  const first = result.violations[0];
  assert(first !== undefined, `counterexample for ${formatConfig(row.config)} does not fail when replayed`);
  if (first.phase === 1 && first.step < steps.length) {
    const cut = run(steps.slice(0, first.step));
    if (cut.violations.length > 0) [shown, result] = [steps.slice(0, first.step), cut];
  }
  const violation = result.violations[0] as Violation;
  const trace = result.world.trace.map((t) => `[${t.step}] ${t.text}`);
  const end = trace.findIndex((line) => line.includes('VIOLATED'));
  const kept = end < 0 || end + TRACE_AFTER_VIOLATION >= trace.length ? trace : [...trace.slice(0, end + TRACE_AFTER_VIOLATION + 1), `... ${trace.length - end - TRACE_AFTER_VIOLATION - 1} more lines (kafka-oracle replay prints them)`];
  return {
    seed,
    path,
    steps: shown.map((s, i) => `${stepToString(s)}${result.skipped.includes(i) ? '   (skipped: fault budget spent)' : ''}`),
    violation,
    trace: kept,
    cluster: result.world.describeCluster(),
  };
}

/** Trace lines a counterexample prints after its first violation. */
export const TRACE_AFTER_VIOLATION = 8;

/** fast-check regenerates the scenario at `path` from `seed`; returns it with its judgement. */
export function replayRow(row: MatrixRow, roles: Roles, seed: number, path: string): { steps: Step[]; result: HistoryResult } | undefined {
  let found: { steps: Step[]; result: HistoryResult } | undefined;
  const g = guarantee(row.guarantee);
  const property = fc.property(scenarioArbitrary(row.budget, brokersOf(row)), (steps) => {
    const result = runHistory(steps, { config: row.config, budget: row.budget, roles, judge: g.invariants, trace: true });
    found = { steps, result };
    return result.violations.length === 0;
  });
  fc.check(property, { seed, path, numRuns: 1, endOnFailure: true });
  return found;
}

/**
 * The scenario language: what happens to the simulated cluster, as data. A history is a
 * list of steps; each prints as one readable line, so a shrunk counterexample reads as a
 * program. Steps come from fast-check (`scenarioArbitrary`, so failures shrink) or from a
 * seed (`scenarioFromSeed`, the project's PRNG), bounded by a named fault budget.
 *
 * Steps:
 * - `send`: the application hands the producer the next value (values are numbered `v0`,
 *   `v1`, ... in send order).
 * - `run(n, seed)`: n scheduler events (deliver the oldest message of some link, or fire
 *   the next timer), chosen by a PRNG seeded with `seed`: free interleaving, no fault.
 * - `tick`: advance the clock to the next timer and fire it (time passes; lag builds up).
 * - `drop(i)`, `duplicate(i)`, `reorder(i)`: message faults on the i-th in-flight message
 *   (modulo their count); `reorder` delivers it ahead of older ones on its link.
 * - `crash(b, process|power-loss)`, `restart(b)`: broker b dies (page cache kept, or
 *   unsynced writes lost) and comes back through storage recovery.
 * - `isolate(b)`, `heal`: cut every link of broker b (to peers, controller and clients),
 *   restore all links.
 */
import fc from 'fast-check';
import { InputError, unreachable } from '../core/assert.ts';
import type { Prng } from '../core/prng.ts';

export type CrashMode = 'process' | 'power-loss';

export type Step =
  | { readonly kind: 'send' }
  | { readonly kind: 'run'; readonly events: number; readonly seed: number }
  | { readonly kind: 'tick' }
  | { readonly kind: 'drop'; readonly pick: number }
  | { readonly kind: 'duplicate'; readonly pick: number }
  | { readonly kind: 'reorder'; readonly pick: number }
  /** `seed` chooses what a power loss keeps of each file's unsynced writes; 0 keeps none of them. */
  | { readonly kind: 'crash'; readonly broker: number; readonly mode: CrashMode; readonly seed: number }
  | { readonly kind: 'restart'; readonly broker: number }
  | { readonly kind: 'isolate'; readonly broker: number }
  | { readonly kind: 'heal' };

/** How many of each fault one history may use (steps beyond the budget are skipped). */
export interface FaultBudget {
  readonly name: string;
  /** Longest phase-1 scenario, in steps. */
  readonly maxSteps: number;
  readonly processCrashes: number;
  readonly powerLosses: number;
  readonly isolations: number;
  /** Drops + duplicates + reorders together. */
  readonly messageFaults: number;
}

export function stepToString(step: Step): string {
  switch (step.kind) {
    case 'send':
    case 'tick':
    case 'heal':
      return step.kind;
    case 'run':
      return `run(${step.events}, seed ${step.seed})`;
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return `${step.kind}(#${step.pick})`;
    case 'crash':
      return `crash(broker-${step.broker}, ${step.mode}${step.seed === 0 ? '' : `, seed ${step.seed}`})`;
    case 'restart':
    case 'isolate':
      return `${step.kind}(broker-${step.broker})`;
    default:
      return unreachable(step, 'step');
  }
}

/** A step list as data in one line, the form pinned regressions use: `send; run(5, seed 1); ...`. */
export function scenarioToString(steps: readonly Step[]): string {
  return steps.map(stepToString).join('; ');
}

/** The fast-check arbitrary of one step within `budget` (kinds the budget forbids are never drawn). */
export function stepArbitrary(budget: FaultBudget, brokers: number): fc.Arbitrary<Step> {
  const broker = fc.integer({ min: 0, max: brokers - 1 });
  const pick = fc.nat({ max: 15 });
  const choices: fc.WeightedArbitrary<Step>[] = [
    { weight: 6, arbitrary: fc.constant({ kind: 'send' } as const) },
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('run' as const), events: fc.integer({ min: 1, max: 30 }), seed: fc.nat({ max: 999 }) }) },
    { weight: 3, arbitrary: fc.constant({ kind: 'tick' } as const) },
  ];
  if (budget.messageFaults > 0)
    choices.push({
      weight: 2,
      arbitrary: fc.record({ kind: fc.constantFrom('drop' as const, 'duplicate' as const, 'reorder' as const), pick }),
    });
  if (budget.processCrashes > 0)
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker, mode: fc.constant('process' as const), seed: fc.constant(0) }) });
  if (budget.powerLosses > 0)
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker, mode: fc.constant('power-loss' as const), seed: fc.oneof(fc.constant(0), fc.nat({ max: 999 })) }) });
  if (budget.processCrashes > 0 || budget.powerLosses > 0)
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), broker }) });
  if (budget.isolations > 0) {
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('isolate' as const), broker }) });
    choices.push({ weight: 1, arbitrary: fc.constant({ kind: 'heal' } as const) });
  }
  return fc.oneof(...choices);
}

export function scenarioArbitrary(budget: FaultBudget, brokers: number): fc.Arbitrary<Step[]> {
  return fc.array(stepArbitrary(budget, brokers), { minLength: 1, maxLength: budget.maxSteps });
}

/** A scenario drawn from the project's PRNG instead of fast-check (for `replay --seed` without a path, and benches). */
export function scenarioFromSeed(prng: Prng, budget: FaultBudget, brokers: number): Step[] {
  const length = prng.between(1, budget.maxSteps);
  const steps: Step[] = [];
  for (let i = 0; i < length; i++) steps.push(randomStep(prng, budget, brokers));
  return steps;
}

function randomStep(prng: Prng, budget: FaultBudget, brokers: number): Step {
  const crashes = budget.processCrashes > 0 || budget.powerLosses > 0;
  for (;;) {
    const roll = prng.below(30);
    if (roll < 6) return { kind: 'send' };
    if (roll < 16) return { kind: 'run', events: prng.between(1, 30), seed: prng.below(1000) };
    if (roll < 19) return { kind: 'tick' };
    if (roll < 21 && budget.messageFaults > 0) return { kind: prng.pick(['drop', 'duplicate', 'reorder'] as const), pick: prng.below(16) };
    if (roll < 23 && budget.processCrashes > 0) return { kind: 'crash', broker: prng.below(brokers), mode: 'process', seed: 0 };
    if (roll < 25 && budget.powerLosses > 0) return { kind: 'crash', broker: prng.below(brokers), mode: 'power-loss', seed: prng.chance(1, 2) ? 0 : prng.below(1000) };
    if (roll < 27 && crashes) return { kind: 'restart', broker: prng.below(brokers) };
    if (roll < 29 && budget.isolations > 0) return { kind: 'isolate', broker: prng.below(brokers) };
    if (roll < 30 && budget.isolations > 0) return { kind: 'heal' };
  }
}

/** Parse the one-line form written by `scenarioToString` (pinned regressions). */
export function parseScenario(text: string): Step[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseStep);
}

function parseStep(text: string): Step {
  if (text === 'send' || text === 'tick' || text === 'heal') return { kind: text };
  let m = /^run\((\d+), seed (\d+)\)$/.exec(text);
  if (m) return { kind: 'run', events: Number(m[1]), seed: Number(m[2]) };
  m = /^(drop|duplicate|reorder)\(#(\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'drop' | 'duplicate' | 'reorder', pick: Number(m[2]) };
  m = /^crash\(broker-(\d+), (process|power-loss)(?:, seed (\d+))?\)$/.exec(text);
  if (m) return { kind: 'crash', broker: Number(m[1]), mode: m[2] as CrashMode, seed: Number(m[3] ?? 0) };
  m = /^(restart|isolate)\(broker-(\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'restart' | 'isolate', broker: Number(m[2]) };
  throw new InputError(`not a scenario step: '${text}' (expected e.g. send, run(5, seed 1), crash(broker-0, power-loss))`);
}

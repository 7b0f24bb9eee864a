/**
 * The scenario language of the exactly-once world, as data: the replication world's steps
 * (src/sim/scenario.ts: `send`, `run`, message faults, `crash`, `restart`, `isolate`,
 * `heal`) plus the application's faults. Each step prints as one line and parses back, so a
 * shrunk counterexample is pinned as text (test/regressions/eos/).
 *
 * - `send`: the input producer sends the next input record `in-n` (to input partition n mod 2).
 * - `crash(b)`: broker b's process dies (page cache kept: process crashes only, so no acked
 *   input or committed transaction can be lost to a power loss; durability is the replication
 *   rows' business). `b` is an id, `txn-coordinator` (the broker leading
 *   `__transaction_state-0`) or `group-coordinator` (leading `__consumer_offsets-0`): a
 *   coordinator failover. `restart(down)` restarts the lowest-numbered broker that is down.
 * - `pause(w)`, `resume(w)`: worker slot w's newest instance stops (a long GC pause: nothing
 *   reaches it, its timers wait) / every paused instance of w continues with what it missed.
 * - `replace(w)`: a new instance of worker slot w starts with the slot's transactional.id
 *   (an orchestrator gave up on the paused one): the old one, when resumed, is a zombie.
 * - `abort(w)`: worker w's next transaction aborts instead of committing.
 */
import fc from 'fast-check';
import { InputError, unreachable } from '../../core/assert.ts';
import type { FaultBudget } from '../scenario.ts';
import { RUN_MS_MAX, RUN_MS_SHORT } from '../scenario.ts';

/** Broker targets besides an id. */
export const TXN_COORDINATOR_TARGET = -1;
export const GROUP_COORDINATOR_TARGET = -2;
export const DOWN = -1;

export type EosStep =
  | { readonly kind: 'send' }
  | { readonly kind: 'run'; readonly ms: number; readonly seed: number }
  | { readonly kind: 'drop' | 'duplicate' | 'delay' | 'reorder'; readonly pick: number }
  | { readonly kind: 'crash'; readonly broker: number }
  | { readonly kind: 'restart'; readonly broker: number }
  | { readonly kind: 'isolate'; readonly broker: number }
  | { readonly kind: 'heal' }
  | { readonly kind: 'pause' | 'resume' | 'replace' | 'abort'; readonly worker: number };

/** The replication world's budget plus the application's faults. */
export interface EosBudget extends FaultBudget {
  /** pause + replace steps together. */
  readonly pauses: number;
}

function target(broker: number): string {
  if (broker === TXN_COORDINATOR_TARGET) return 'txn-coordinator';
  if (broker === GROUP_COORDINATOR_TARGET) return 'group-coordinator';
  return `broker-${broker}`;
}

export function eosStepToString(step: EosStep): string {
  switch (step.kind) {
    case 'send':
    case 'heal':
      return step.kind;
    case 'run':
      return `run(${step.ms} ms, seed ${step.seed})`;
    case 'drop':
    case 'duplicate':
    case 'delay':
    case 'reorder':
      return `${step.kind}(#${step.pick})`;
    case 'crash':
    case 'isolate':
      return `${step.kind}(${target(step.broker)})`;
    case 'restart':
      return `restart(${step.broker === DOWN ? 'down' : `broker-${step.broker}`})`;
    case 'pause':
    case 'resume':
    case 'replace':
    case 'abort':
      return `${step.kind}(worker-${step.worker})`;
    default:
      return unreachable(step, 'step');
  }
}

export function eosScenarioToString(steps: readonly EosStep[]): string {
  return steps.map(eosStepToString).join('; ');
}

function parseTarget(text: string): number {
  if (text === 'txn-coordinator' || text === 'down') return TXN_COORDINATOR_TARGET;
  if (text === 'group-coordinator') return GROUP_COORDINATOR_TARGET;
  return Number(text.slice('broker-'.length));
}

function parseStep(text: string): EosStep {
  if (text === 'send' || text === 'heal') return { kind: text };
  let m = /^run\((\d+) ms, seed (\d+)\)$/.exec(text);
  if (m) return { kind: 'run', ms: Number(m[1]), seed: Number(m[2]) };
  m = /^(drop|duplicate|delay|reorder)\(#(\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'drop', pick: Number(m[2]) };
  m = /^(crash|isolate|restart)\((txn-coordinator|group-coordinator|down|broker-\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'crash', broker: parseTarget(m[2] as string) };
  m = /^(pause|resume|replace|abort)\(worker-(\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'pause', worker: Number(m[2]) };
  throw new InputError(`not an exactly-once scenario step: '${text}' (expected e.g. send, run(500 ms, seed 1), crash(txn-coordinator), pause(worker-0))`);
}

/** Parse the one-line form written by `eosScenarioToString`. */
export function parseEosScenario(text: string): EosStep[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseStep);
}

/** The fast-check arbitrary of one step within `budget` (kinds the budget forbids are never drawn). */
export function eosStepArbitrary(budget: EosBudget, brokers: number, workers: number): fc.Arbitrary<EosStep> {
  const broker = fc.oneof(
    { weight: 2, arbitrary: fc.constant(TXN_COORDINATOR_TARGET) },
    { weight: 1, arbitrary: fc.constant(GROUP_COORDINATOR_TARGET) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: brokers - 1 }) },
  );
  const worker = fc.integer({ min: 0, max: workers - 1 });
  const choices: fc.WeightedArbitrary<EosStep>[] = [
    { weight: 6, arbitrary: fc.constant({ kind: 'send' } as const) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.oneof(fc.integer({ min: 1, max: RUN_MS_SHORT }), fc.integer({ min: 1, max: RUN_MS_MAX })), seed: fc.nat({ max: 999 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), worker }) },
  ];
  if (budget.messageFaults > 0)
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('drop' as const, 'duplicate' as const, 'delay' as const, 'reorder' as const), pick: fc.nat({ max: 15 }) }) });
  if (budget.processCrashes > 0) {
    choices.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker }) });
    choices.push({ weight: 2, arbitrary: fc.constant({ kind: 'restart' as const, broker: DOWN }) });
  }
  if (budget.isolations > 0) {
    choices.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('isolate' as const), broker }) });
    choices.push({ weight: 1, arbitrary: fc.constant({ kind: 'heal' } as const) });
  }
  if (budget.pauses > 0) {
    choices.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('pause' as const), worker }) });
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), worker }) });
    choices.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('resume' as const), worker }) });
  }
  return fc.oneof(...choices);
}

export function eosScenarioArbitrary(budget: EosBudget, brokers: number, workers: number): fc.Arbitrary<EosStep[]> {
  return fc.array(eosStepArbitrary(budget, brokers, workers), { minLength: 1, maxLength: budget.maxSteps, size: 'max' });
}

/**
 * The scenario language: what happens to the simulated cluster, as data. A history is a
 * list of steps; each prints as one readable line, so a shrunk counterexample reads as a
 * program. Steps come from fast-check (`scenarioArbitrary`, so failures shrink) or from a
 * seed (`scenarioFromSeed`, the project's PRNG), bounded by a named fault budget.
 *
 * Steps:
 * - `send`: the application hands the producer the next value (values are numbered `v0`,
 *   `v1`, ... in send order).
 * - `run(ms, seed)`: let ms of logical time pass: messages arrive and timers fire in time
 *   order; the latency of each message sent meanwhile is drawn from a PRNG seeded with
 *   `seed` (so messages on different links interleave differently). No fault.
 * - `failover`: let time pass until the controller changes the partition (a new leader,
 *   an ISR shrink or expansion), at most FAILOVER_MS_MAX; it stops right after the
 *   decision, before the replicas hear of it: the race Kafka's fencing is for.
 * - `drop(i)`, `duplicate(i)`, `delay(i)`, `reorder(i)`: message faults on the i-th
 *   in-flight message (modulo their count): lost, copied, held back a second, or delivered
 *   at once ahead of older ones on its link.
 * - `crash(b, process|power-loss)`, `restart(b)`: broker b dies (page cache kept, or
 *   unsynced writes lost) and comes back through storage recovery.
 * - `isolate(b)`, `heal`: cut every link of broker b (to peers, controller and clients),
 *   restore all links.
 * - `partition(x, y)`: cut the one link between two nodes (brokers or the controller), both
 *   ways, until `heal`: a partial partition, e.g. a leader cut from the controller that
 *   still serves its followers (the zombie leader of KAFKA-6880).
 * - `slow(x→y, ms)`: until `heal`, every message from x to y arrives ms later, in order:
 *   e.g. a broker whose controller request queue is backlogged misses LeaderAndIsr
 *   decisions while it keeps fetching from the leader (the KIP-320 traces).
 * - `crash(...) + failover`, `isolate(...) + failover`, `partition(...) + failover`: the
 *   fault, then a `failover` wait.
 *
 * A broker is named by id, or as `leader` (the controller's current leader; broker-0 when
 * there is none) for crash, isolate, partition and slow, `controller` for the controller in
 * partition and slow, and `down` (the lowest-numbered broker that is
 * down) for restart: faults aimed where they matter, and still exact on replay.
 */
import fc from 'fast-check';
import { InputError, unreachable } from '../core/assert.ts';
import type { Prng } from '../core/prng.ts';

export type CrashMode = 'process' | 'power-loss';

/** `broker` value meaning "the current leader" (crash, isolate) or "the first broker that is down" (restart). */
export const TARGET_LEADER = -1;
/** `partition`/`slow` endpoint meaning the controller. */
export const TARGET_CONTROLLER = -2;

/** The longest `run` step: about one replica.lag.time.max.ms of the matrix's configs. */
export const RUN_MS_MAX = 1500;
/** The longest a `failover` step waits for the controller to change the leader. */
export const FAILOVER_MS_MAX = 2000;
/** A short `run`: about one message latency. */
export const RUN_MS_SHORT = 40;

export type Step =
  | { readonly kind: 'send' }
  | { readonly kind: 'run'; readonly ms: number; readonly seed: number }
  | { readonly kind: 'failover' }
  | { readonly kind: 'drop'; readonly pick: number }
  | { readonly kind: 'duplicate'; readonly pick: number }
  | { readonly kind: 'delay'; readonly pick: number }
  | { readonly kind: 'reorder'; readonly pick: number }
  /**
   * `seed` chooses what a power loss keeps of each file's unsynced writes; 0 keeps none of
   * them. `failover`: then wait for the controller to move leadership (as the `failover` step).
   */
  | { readonly kind: 'crash'; readonly broker: number; readonly mode: CrashMode; readonly seed: number; readonly failover: boolean }
  | { readonly kind: 'restart'; readonly broker: number }
  | { readonly kind: 'isolate'; readonly broker: number; readonly failover: boolean }
  | { readonly kind: 'heal' }
  /** Endpoints: a broker id, TARGET_LEADER or TARGET_CONTROLLER. */
  | { readonly kind: 'partition'; readonly a: number; readonly b: number; readonly failover: boolean }
  | { readonly kind: 'slow'; readonly from: number; readonly to: number; readonly ms: number };

/** How many of each fault one history may use (steps beyond the budget are skipped). */
export interface FaultBudget {
  readonly name: string;
  /** Longest phase-1 scenario, in steps. */
  readonly maxSteps: number;
  readonly processCrashes: number;
  readonly powerLosses: number;
  readonly isolations: number;
  /** Drops + duplicates + delays + reorders together. */
  readonly messageFaults: number;
  /** Partial partitions + slow links together (absent: none). */
  readonly linkFaults?: number;
  /**
   * How histories are drawn: `swarm` (default: independent steps, swarm-selected kinds) or
   * `failover-chains` (a targeted distribution: a sequence of failover moves, see
   * `failoverChainArbitrary`) or `rejoin-chains` (a targeted distribution: brokers leave and
   * come back around leader failovers, see `rejoinChainArbitrary`). Either way only the
   * budget's faults happen.
   */
  readonly generator?: 'swarm' | 'failover-chains' | 'rejoin-chains';
}

/** The slowest a `slow` link gets: a controller queue backlogged for several failovers. */
export const SLOW_MS_MAX = 8000;

export function stepToString(step: Step): string {
  switch (step.kind) {
    case 'send':
    case 'heal':
    case 'failover':
      return step.kind;
    case 'run':
      return `run(${step.ms} ms, seed ${step.seed})`;
    case 'drop':
    case 'duplicate':
    case 'delay':
    case 'reorder':
      return `${step.kind}(#${step.pick})`;
    case 'crash':
      return `crash(${brokerText(step.broker)}, ${step.mode}${step.seed === 0 ? '' : `, seed ${step.seed}`})${step.failover ? ' + failover' : ''}`;
    case 'restart':
      return `restart(${step.broker === TARGET_LEADER ? 'down' : `broker-${step.broker}`})`;
    case 'isolate':
      return `isolate(${brokerText(step.broker)})${step.failover ? ' + failover' : ''}`;
    case 'partition':
      return `partition(${nodeText(step.a)}, ${nodeText(step.b)})${step.failover ? ' + failover' : ''}`;
    case 'slow':
      return `slow(${nodeText(step.from)}→${nodeText(step.to)}, ${step.ms} ms)`;
    default:
      return unreachable(step, 'step');
  }
}

function brokerText(broker: number): string {
  return broker === TARGET_LEADER ? 'leader' : `broker-${broker}`;
}

function nodeText(node: number): string {
  return node === TARGET_CONTROLLER ? 'controller' : brokerText(node);
}

/** A step list as data in one line, the form pinned regressions use: `send; run(5, seed 1); ...`. */
export function scenarioToString(steps: readonly Step[]): string {
  return steps.map(stepToString).join('; ');
}

/** The optional step kinds a swarm profile may switch off. */
const OPTIONAL_KINDS = ['failover', 'message', 'process-crash', 'power-loss', 'isolate', 'heal', 'link'] as const;
type OptionalKind = (typeof OPTIONAL_KINDS)[number];

/**
 * The fast-check arbitrary of one step within `budget`, drawing only the `enabled` optional
 * kinds (kinds the budget forbids are never drawn).
 */
export function stepArbitrary(budget: FaultBudget, brokers: number, enabled: ReadonlySet<OptionalKind> = new Set(OPTIONAL_KINDS)): fc.Arbitrary<Step> {
  // Faults aim at the leader two times in three: that is where a failover starts.
  const broker = fc.oneof({ weight: 2, arbitrary: fc.constant(TARGET_LEADER) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: brokers - 1 }) });
  const restartTarget = fc.oneof({ weight: 2, arbitrary: fc.constant(TARGET_LEADER) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: brokers - 1 }) });
  const pick = fc.nat({ max: 15 });
  // Half the crashes and isolations wait for the failover they cause: "kill the leader,
  // wait for a new one" twice in a row is how most replication bugs are reached.
  const failover = fc.boolean();
  const on = (kind: OptionalKind, allowed: boolean): boolean => allowed && enabled.has(kind);
  const choices: fc.WeightedArbitrary<Step>[] = [
    // Weights favour faults and failovers: a bug needs a few of them close together.
    { weight: 5, arbitrary: fc.constant({ kind: 'send' } as const) },
    // Short runs (a message or two) as often as long ones: races between an append, a fetch
    // and a crash live in windows of a few milliseconds.
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.oneof(fc.integer({ min: 1, max: RUN_MS_SHORT }), fc.integer({ min: 1, max: RUN_MS_MAX })), seed: fc.nat({ max: 999 }) }) },
  ];
  const crashes = budget.processCrashes > 0 || budget.powerLosses > 0;
  const links = (budget.linkFaults ?? 0) > 0;
  if (on('failover', crashes || budget.isolations > 0 || links)) choices.push({ weight: 5, arbitrary: fc.constant({ kind: 'failover' } as const) });
  if (on('message', budget.messageFaults > 0))
    choices.push({
      weight: 2,
      arbitrary: fc.record({ kind: fc.constantFrom('drop' as const, 'duplicate' as const, 'delay' as const, 'reorder' as const), pick }),
    });
  if (on('process-crash', budget.processCrashes > 0))
    choices.push({ weight: 4, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker, mode: fc.constant('process' as const), seed: fc.constant(0), failover }) });
  if (on('power-loss', budget.powerLosses > 0))
    choices.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker, mode: fc.constant('power-loss' as const), seed: fc.oneof(fc.constant(0), fc.nat({ max: 999 })), failover }) });
  // Restarts come with crashes (a crashed broker that never returns starves the history).
  if (on('process-crash', budget.processCrashes > 0) || on('power-loss', budget.powerLosses > 0))
    choices.push({ weight: 4, arbitrary: fc.record({ kind: fc.constant('restart' as const), broker: restartTarget }) });
  if (on('isolate', budget.isolations > 0)) choices.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('isolate' as const), broker, failover }) });
  if (on('heal', budget.isolations > 0 || links)) choices.push({ weight: 1, arbitrary: fc.constant({ kind: 'heal' } as const) });
  if (on('link', links)) choices.push(...linkStepArbitraries(brokers));
  return fc.oneof(...choices);
}

/** Partial partitions and slow links; the controller's links to the leader are where failovers start. */
function linkStepArbitraries(brokers: number): fc.WeightedArbitrary<Step>[] {
  const broker = fc.oneof({ weight: 2, arbitrary: fc.constant(TARGET_LEADER) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: brokers - 1 }) });
  const node = fc.oneof({ weight: 1, arbitrary: fc.constant(TARGET_CONTROLLER) }, { weight: 2, arbitrary: broker });
  return [
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('partition' as const), a: node, b: node, failover: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('slow' as const), from: node, to: node, ms: fc.integer({ min: 1, max: SLOW_MS_MAX }) }) },
  ];
}

/**
 * A scenario: swarm testing (Groce et al., ISSTA 2012) first draws which optional step
 * kinds this history may use (each with probability 3/4, or every kind in one history
 * out of four), then the steps. A history without, say, restarts or message faults explores
 * deeper into what the remaining faults can do, which finds the rarer bugs far sooner.
 */
export function scenarioArbitrary(budget: FaultBudget, brokers: number): fc.Arbitrary<Step[]> {
  if (budget.generator === 'failover-chains') return failoverChainArbitrary(budget, brokers);
  if (budget.generator === 'rejoin-chains') return rejoinChainArbitrary(budget, brokers);
  // 'link' is a kind only for budgets with link faults, so older budgets draw exactly the
  // histories (and replay the seeds and paths) they drew before link faults existed.
  const kinds = OPTIONAL_KINDS.filter((k) => k !== 'link' || (budget.linkFaults ?? 0) > 0);
  const kept = fc.tuple(...kinds.map(() => fc.nat({ max: 3 }))).map((rolls) => new Set(kinds.filter((_, i) => rolls[i] !== 0)));
  const profile = fc.oneof({ weight: 1, arbitrary: fc.constant(new Set<OptionalKind>(kinds)) }, { weight: 3, arbitrary: kept });
  // size 'max': lengths spread over the whole budget (fast-check's default 'small' stays near 10 steps).
  return profile.chain((enabled) => fc.array(stepArbitrary(budget, brokers, enabled), { minLength: 1, maxLength: budget.maxSteps, size: 'max' }));
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
    const roll = prng.below(32);
    if (roll < 6) return { kind: 'send' };
    if (roll < 19) return { kind: 'run', ms: prng.between(1, prng.chance(1, 2) ? RUN_MS_SHORT : RUN_MS_MAX), seed: prng.below(1000) };
    if (roll < 21 && budget.messageFaults > 0) return { kind: prng.pick(['drop', 'duplicate', 'delay', 'reorder'] as const), pick: prng.below(16) };
    const broker = prng.chance(1, 2) ? TARGET_LEADER : prng.below(brokers);
    const failover = prng.chance(1, 2);
    if (roll < 23 && budget.processCrashes > 0) return { kind: 'crash', broker, mode: 'process', seed: 0, failover };
    if (roll < 25 && budget.powerLosses > 0) return { kind: 'crash', broker, mode: 'power-loss', seed: prng.chance(1, 2) ? 0 : prng.below(1000), failover };
    if (roll < 27 && crashes) return { kind: 'restart', broker };
    if (roll < 29 && budget.isolations > 0) return { kind: 'isolate', broker, failover };
    if (roll < 30 && (budget.isolations > 0 || (budget.linkFaults ?? 0) > 0)) return { kind: 'heal' };
    if (roll < 31 && (budget.linkFaults ?? 0) > 0) return randomLinkStep(prng, brokers);
    if (roll < 32) return { kind: 'failover' };
  }
}

function randomLinkStep(prng: Prng, brokers: number): Step {
  const node = (): number => (prng.chance(1, 3) ? TARGET_CONTROLLER : prng.chance(1, 2) ? TARGET_LEADER : prng.below(brokers));
  if (prng.chance(1, 2)) return { kind: 'partition', a: node(), b: node(), failover: prng.chance(1, 2) };
  return { kind: 'slow', from: node(), to: node(), ms: prng.between(1, SLOW_MS_MAX) };
}

function parseBroker(text: string): number {
  if (text === 'controller') return TARGET_CONTROLLER;
  return text === 'leader' || text === 'down' ? TARGET_LEADER : Number(text.slice('broker-'.length));
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
  if (text === 'send' || text === 'heal' || text === 'failover') return { kind: text };
  let m = /^run\((\d+) ms, seed (\d+)\)$/.exec(text);
  if (m) return { kind: 'run', ms: Number(m[1]), seed: Number(m[2]) };
  m = /^(drop|duplicate|delay|reorder)\(#(\d+)\)$/.exec(text);
  if (m) return { kind: m[1] as 'drop' | 'duplicate' | 'delay' | 'reorder', pick: Number(m[2]) };
  m = /^crash\((leader|broker-\d+), (process|power-loss)(?:, seed (\d+))?\)( \+ failover)?$/.exec(text);
  if (m) return { kind: 'crash', broker: parseBroker(m[1] as string), mode: m[2] as CrashMode, seed: Number(m[3] ?? 0), failover: m[4] !== undefined };
  m = /^isolate\((leader|broker-\d+)\)( \+ failover)?$/.exec(text);
  if (m) return { kind: 'isolate', broker: parseBroker(m[1] as string), failover: m[2] !== undefined };
  m = /^partition\((leader|controller|broker-\d+), (leader|controller|broker-\d+)\)( \+ failover)?$/.exec(text);
  if (m) return { kind: 'partition', a: parseBroker(m[1] as string), b: parseBroker(m[2] as string), failover: m[3] !== undefined };
  m = /^slow\((leader|controller|broker-\d+) ?(?:→|->) ?(leader|controller|broker-\d+), (\d+) ms\)$/.exec(text);
  if (m) return { kind: 'slow', from: parseBroker(m[1] as string), to: parseBroker(m[2] as string), ms: Number(m[3]) };
  m = /^restart\((down|broker-\d+)\)$/.exec(text);
  if (m) return { kind: 'restart', broker: parseBroker(m[1] as string) };
  throw new InputError(`not a scenario step: '${text}' (expected e.g. send, run(500 ms, seed 1), crash(broker-0, power-loss))`);
}

/**
 * A targeted distribution for the leader-epoch bugs (KAFKA-7128, KIP-320): a history is a
 * chain of failover rounds, each what an operator sees in those incidents: maybe a write
 * (`send`, then a wait short or long enough for the followers to fetch), one fault that
 * moves leadership or hides it from a broker (crash or isolate a broker and wait for the
 * failover; cut a broker from the controller only, a zombie; back up the controller's
 * queue to one broker, `slow(controller→x)`), then maybe a recovery (heal, restart, or a
 * write). Rounds are drawn independently, so any order and any target can come out;
 * fast-check shrinks by dropping whole rounds, then simplifying inside them. Faults the
 * budget forbids are never drawn; the budget still caps every fault.
 */
export function failoverChainArbitrary(budget: FaultBudget, brokers: number): fc.Arbitrary<Step[]> {
  const { before, fault, after } = failoverRoundParts(budget, brokers);
  const round = fc.tuple(before, fault, after).map(([b, f, a]) => [...b, ...f, ...a]);
  return fc.array(round, { minLength: 1, maxLength: Math.max(1, Math.floor(budget.maxSteps / 4)), size: 'max' }).map((chain) => chain.flat().slice(0, budget.maxSteps));
}

function failoverRoundParts(budget: FaultBudget, brokers: number): { before: fc.Arbitrary<Step[]>; fault: fc.Arbitrary<Step[]>; after: fc.Arbitrary<Step[]> } {
  const seed = fc.nat({ max: 999 });
  const brokerId = fc.integer({ min: 0, max: brokers - 1 });
  const target = fc.oneof({ weight: 3, arbitrary: fc.constant(TARGET_LEADER) }, { weight: 1, arbitrary: brokerId });
  const run = (max: number): fc.Arbitrary<Step> => fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max }), seed });
  const wait = fc.oneof(run(RUN_MS_SHORT), run(RUN_MS_MAX));
  const write = wait.map((w): Step[] => [{ kind: 'send' }, w]);
  const nothing = fc.constant<Step[]>([]);
  const faults: fc.Arbitrary<Step[]>[] = [];
  const recoveries: fc.Arbitrary<Step[]>[] = [nothing, write];
  if (budget.processCrashes > 0) {
    faults.push(fc.record({ kind: fc.constant('crash' as const), broker: target, mode: fc.constant('process' as const), seed: fc.constant(0), failover: fc.constant(true) }).map((c): Step[] => [c]));
    recoveries.push(wait.map((w): Step[] => [{ kind: 'restart', broker: TARGET_LEADER }, w]));
  }
  if (budget.isolations > 0) faults.push(fc.record({ kind: fc.constant('isolate' as const), broker: target, failover: fc.constant(true) }).map((i): Step[] => [i]));
  if ((budget.linkFaults ?? 0) > 0) {
    faults.push(fc.record({ kind: fc.constant('partition' as const), a: target, b: fc.constant(TARGET_CONTROLLER), failover: fc.constant(true) }).map((p): Step[] => [p]));
    faults.push(fc.record({ kind: fc.constant('slow' as const), from: fc.constant(TARGET_CONTROLLER), to: brokerId, ms: fc.integer({ min: 1, max: SLOW_MS_MAX }) }).map((l): Step[] => [l]));
  }
  if (budget.isolations > 0 || (budget.linkFaults ?? 0) > 0) recoveries.push(wait.map((w): Step[] => [{ kind: 'heal' }, w]));
  if (faults.length === 0) faults.push(write);
  return { before: fc.oneof(nothing, write, wait.map((w): Step[] => [w])), fault: fc.oneof(...faults), after: fc.oneof(...recoveries) };
}

/**
 * A targeted distribution for KAFKA-7128 (a follower rejoining the ISR of a leader whose high
 * watermark lags): a chain of rounds, each ending with a leader failover (crash or isolate
 * the leader and wait for the controller's decision). A round is either an *out* round (maybe
 * a broker leaves, crashed or isolated, with or without waiting for the controller; then
 * zero to two writes, each followed by a wait of up to RUN_MS_MAX) or a *return* round (heal
 * or restart the first broker that is down; then wait for the controller's next decision, or
 * for a while; then the leader fails). The bug's windows are hundreds of milliseconds wide (a
 * follower learns the HW up to replica.fetch.wait.max.ms late), so waits are drawn up to
 * RUN_MS_MAX only; the leaving broker is named by id three times in four, since a *follower*
 * must miss the committed record. Rounds, order, targets and waits are random; fast-check
 * shrinks by dropping rounds and simplifying inside them. The budget still caps every fault.
 */
export function rejoinChainArbitrary(budget: FaultBudget, brokers: number): fc.Arbitrary<Step[]> {
  const { out, back } = rejoinRoundParts(budget, brokers);
  const round = fc.oneof(out, back);
  return fc.array(round, { minLength: 1, maxLength: Math.max(1, Math.floor(budget.maxSteps / 4)), size: 'max' }).map((chain) => chain.flat().slice(0, budget.maxSteps));
}

function rejoinRoundParts(budget: FaultBudget, brokers: number): { out: fc.Arbitrary<Step[]>; back: fc.Arbitrary<Step[]> } {
  const target = fc.oneof({ weight: 1, arbitrary: fc.constant(TARGET_LEADER) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: brokers - 1 }) });
  const wait = fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max: RUN_MS_MAX }), seed: fc.nat({ max: 999 }) });
  const write = wait.map((w): Step[] => [{ kind: 'send' }, w]);
  const nothing = fc.constant<Step[]>([]);
  const leaves: fc.WeightedArbitrary<Step[]>[] = [];
  const strikes: fc.Arbitrary<Step[]>[] = [];
  const returns: fc.Arbitrary<Step[]>[] = [];
  if (budget.isolations > 0) {
    leaves.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant('isolate' as const), broker: target, failover: fc.boolean() }).map((s): Step[] => [s]) });
    strikes.push(fc.constant<Step[]>([{ kind: 'isolate', broker: TARGET_LEADER, failover: true }]));
    returns.push(fc.constant<Step[]>([{ kind: 'heal' }]));
  }
  if (budget.processCrashes > 0) {
    leaves.push({ weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), broker: target, mode: fc.constant('process' as const), seed: fc.constant(0), failover: fc.boolean() }).map((s): Step[] => [s]) });
    strikes.unshift(fc.constant<Step[]>([{ kind: 'crash', broker: TARGET_LEADER, mode: 'process', seed: 0, failover: true }]));
    returns.push(fc.constant<Step[]>([{ kind: 'restart', broker: TARGET_LEADER }]));
  }
  if (leaves.length === 0) return { out: fc.array(write, { maxLength: 2 }).map((w) => w.flat()), back: write };
  const writes = fc.oneof(nothing, write, fc.tuple(write, write).map(([a, b]) => [...a, ...b]));
  const strike = fc.oneof(...strikes);
  const settle = fc.oneof({ weight: 2, arbitrary: fc.constant<Step[]>([{ kind: 'failover' }]) }, { weight: 1, arbitrary: wait.map((w): Step[] => [w]) });
  return {
    out: fc.tuple(fc.oneof(...leaves), writes, strike).map((parts) => parts.flat()),
    back: fc.tuple(fc.oneof(...returns), settle, strike).map((parts) => parts.flat()),
  };
}

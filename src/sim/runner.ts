/**
 * One history, judged: build the world, apply the scenario's steps (phase 1: faults;
 * safety judged after every machine step), then heal everything and run to quiescence
 * (phase 2: every broker restarted, every link restored, fair scheduling), let a consumer
 * read the partition from offset 0, and judge the `eventually` and `sometimes` properties.
 */
import { Prng } from '../core/prng.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import { checkHistory } from '../../model/history/check.ts';
import { INVARIANTS, type Invariant } from '../../model/invariants.ts';
import { currentLeader, logEndOffset } from '../../model/view.ts';
import type { Roles } from './roles.ts';
import { PARTITION, TOPIC } from './roles.ts';
import type { FaultBudget, Step } from './scenario.ts';
import { World } from './world.ts';

export interface Violation {
  readonly invariant: string;
  readonly kind: Invariant['kind'];
  /** The scenario step (1-based) after which it was seen; phase-2 ones are past the last step. */
  readonly step: number;
  readonly phase: 1 | 2;
  readonly witness: string;
}

export interface HistoryResult {
  /** The first violation of each invariant, in the order found. */
  readonly violations: readonly Violation[];
  /** The history checker's anomaly types on this history (when `oracle-agrees` was judged). */
  readonly anomalyTypes?: readonly string[];
  /** `sometimes` properties reached in this history, with their witnesses. */
  readonly reached: ReadonlyMap<string, string>;
  readonly quiescent: boolean;
  /** Steps the fault budget turned into no-ops (index into the scenario). */
  readonly skipped: readonly number[];
  readonly world: World;
}

export interface RunOptions {
  readonly config: ClusterConfig;
  readonly budget: FaultBudget;
  readonly roles: Roles;
  /** Record a readable trace (counterexamples, replay). */
  readonly trace?: boolean;
  /** Which always/eventually invariants to judge (default: all). */
  readonly judge?: readonly string[];
  /** Logical time (ms) phase 2 may take to reach quiescence. */
  readonly healMs?: number;
}

/** Logical time phase 2 may take to reach quiescence (many request timeouts and session timeouts). */
export const HEAL_MS = 30_000;
const QUIESCENCE_CHECK_MS = 50;

export function runHistory(steps: readonly Step[], options: RunOptions): HistoryResult {
  const world = new World({ config: options.config, budget: options.budget, roles: options.roles, trace: options.trace ?? false });
  const violations = judgeEveryStep(world, options.judge);
  const skipped: number[] = [];
  steps.forEach((s, i) => {
    if (!world.apply(s)) skipped.push(i);
  });
  const quiescent = heal(world, options.healMs ?? HEAL_MS);
  consume(world);
  const wanted = (name: string): boolean => options.judge === undefined || options.judge.includes(name);
  const oracle = wanted('oracle-agrees') ? checkHistory(world.history.events, { subVia: 'assign' }) : undefined;
  for (const invariant of INVARIANTS) {
    if (invariant.kind !== 'eventually' || !wanted(invariant.name)) continue;
    const end = { view: world.view(), ledger: world.ledger, quiescent, oracle, violated: violations.map((v) => v.invariant) };
    const found = invariant.check(end);
    if (found !== undefined) violations.push({ invariant: invariant.name, kind: 'eventually', step: world.stepIndex, phase: 2, witness: found.summary });
  }
  const end = { view: world.view(), ledger: world.ledger, quiescent };
  const reached = new Map<string, string>();
  for (const invariant of INVARIANTS) {
    if (invariant.kind !== 'sometimes') continue;
    const found = invariant.check(end);
    if (found !== undefined) reached.set(invariant.name, found.summary);
  }
  world.observer = undefined;
  return { violations, reached, quiescent, skipped, world, ...(oracle === undefined ? {} : { anomalyTypes: oracle.anomalyTypes }) };
}

/**
 * Judge the world's `always` invariants (those named in `judge`, default all) now and
 * after every machine step and fault from now on (`world.observer`), then fold the view
 * into the ledger. Returns the list the first violation of each invariant is appended to.
 */
export function judgeEveryStep(world: World, judge?: readonly string[]): Violation[] {
  const judged = INVARIANTS.filter((i) => i.kind === 'always' && (judge === undefined || judge.includes(i.name)));
  const violations: Violation[] = [];
  const seen = new Set<string>();
  let judgedKey = '';
  const check = (): void => {
    const view = world.view();
    // HW-monotonic needs the ledger's memory of HWs: the key covers HWs, so skipping is safe.
    const key = world.fingerprint(view);
    if (key === judgedKey) return;
    judgedKey = key;
    for (const invariant of judged) {
      if (seen.has(invariant.name)) continue;
      const found = invariant.check({ view, ledger: world.ledger });
      if (found === undefined) continue;
      seen.add(invariant.name);
      violations.push({ invariant: invariant.name, kind: invariant.kind, step: world.stepIndex, phase: world.phase, witness: found.summary });
      world.note(`VIOLATED ${invariant.name}: ${found.summary}`);
    }
    world.ledger.observe(view);
  };
  world.observer = check;
  check();
  return violations;
}

/** Phase 2: restore every link, restart every broker, then let time pass until quiescent. */
function heal(world: World, maxMs: number): boolean {
  world.phase = 2;
  world.stepIndex++;
  world.network.heal();
  world.note('phase 2: heal every link, restart every broker, run to quiescence');
  for (const id of world.brokerIds()) world.restart(id);
  const latency = new Prng(0);
  for (let elapsed = 0; elapsed < maxMs; elapsed += QUIESCENCE_CHECK_MS) {
    if (isQuiescent(world)) return true;
    world.run(QUIESCENCE_CHECK_MS, latency);
  }
  return isQuiescent(world);
}

/**
 * Quiescent: a current leader, every broker up, in the ISR, at the leader's log end, with
 * the high watermark at the log end, and no client operation left open.
 */
export function isQuiescent(world: World): boolean {
  const view = world.view();
  const leader = currentLeader(view);
  if (leader === undefined) return false;
  const end = logEndOffset(leader);
  if (view.controller.isr.length !== view.replicas.length) return false;
  for (const replica of view.replicas) {
    if (!replica.alive || logEndOffset(replica) !== end || replica.highWatermark !== end) return false;
  }
  return world.history.openOperations() === 0;
}

/**
 * A consumer reads the partition from offset 0 up to the leader's high watermark
 * (read_uncommitted sees exactly what is below the HW). It reads the leader's log through
 * its storage view; a Fetch-driven consumer machine is future work (spec/guarantees.md).
 */
function consume(world: World): void {
  const view = world.view();
  const leader = currentLeader(view);
  const records: [number, string][] = [];
  if (leader !== undefined)
    for (const entry of leader.log) {
      if (entry.offset >= leader.highWatermark) break;
      records.push([entry.offset, entry.value]);
      world.ledger.recordConsumed(entry.value, entry.offset);
    }
  world.history.poll('consumer-0', `${TOPIC}-${PARTITION}`, records, world.now());
  world.note(`consumer-0 reads ${records.length} records from ${leader === undefined ? 'no leader' : `broker-${leader.brokerId}`}`);
}

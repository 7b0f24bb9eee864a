/**
 * One exactly-once history, judged: build the world and the pipeline, let it start
 * (WARMUP_MS: brokers register, leaders and coordinators are elected, the workers join the
 * group), apply the scenario's steps (phase 1: safety judged after every machine step), then
 * heal everything (every link, every broker, every paused worker resumed, a dead worker slot
 * restarted) and run until the pipeline has processed its whole input (phase 2), and judge
 * the `eventually` and `sometimes` properties.
 */
import { Prng } from '../../core/prng.ts';
import type { ClientEvent } from '../../protocol/client.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import type { TxnCoordinatorContext } from '../../machines/txn-coordinator.ts';
import type { GroupCoordinatorContext } from '../../machines/group-coordinator.ts';
import { EOS_INVARIANTS, type EosInvariant } from '../../../model/eos/invariants.ts';
import { EosLedger } from '../../../model/eos/ledger.ts';
import { type EosPartitionView, type EosView, partitionView, type TxnOutcome } from '../../../model/eos/view.ts';
import type { Violation } from '../runner.ts';
import type { HistoryEvent } from '../../../model/history/types.ts';
import { Pipeline } from './app.ts';
import { DOWN, type EosBudget, type EosStep, GROUP_COORDINATOR_TARGET, TXN_COORDINATOR_TARGET } from './scenario.ts';
import { GROUP_ID, INPUTS, OFFSETS_LOG, OUTPUTS, TXN_LOG, type TopicPartition, tpName } from './topology.ts';
import { EosWorld, GROUP_COORDINATOR, TXN_COORDINATOR } from './world.ts';

export const WARMUP_MS = 1500;
export const EOS_HEAL_MS = 60_000;
const QUIESCENCE_CHECK_MS = 100;
const JUDGED_PARTITIONS = [...INPUTS, ...OUTPUTS, OFFSETS_LOG, TXN_LOG];

export interface EosRunOptions {
  readonly config: ClusterConfig;
  readonly budget: EosBudget;
  readonly trace?: boolean;
  /** Which always/eventually invariants to judge (default: all). */
  readonly judge?: readonly string[];
}

export interface EosHistoryResult {
  readonly violations: readonly Violation[];
  readonly reached: ReadonlyMap<string, string>;
  readonly quiescent: boolean;
  readonly skipped: readonly number[];
  readonly world: EosWorld;
  readonly pipeline: Pipeline;
  readonly ledger: EosLedger;
}

export function runEosHistory(steps: readonly EosStep[], options: EosRunOptions): EosHistoryResult {
  const world = new EosWorld({ config: options.config, trace: options.trace ?? false });
  const ledger = new EosLedger();
  const pipeline = new Pipeline(world, ledger, options.config);
  const { violations, judge } = judgeEosEveryStep(world, ledger, options.judge);
  world.run(WARMUP_MS, new Prng(1));
  world.observer = judge;
  judge();
  const budget = new Budget(options.budget);
  const skipped: number[] = [];
  steps.forEach((s, i) => {
    world.stepIndex++;
    if (!applyStep(world, pipeline, budget, s)) skipped.push(i);
  });
  const quiescent = heal(world, pipeline);
  const history = { events: world.history.events as unknown as readonly HistoryEvent[], isolation: options.config['isolation.level'] };
  const end = { view: eosView(world, true), ledger, quiescent, history };
  for (const invariant of EOS_INVARIANTS) {
    if (invariant.kind !== 'eventually' || (options.judge !== undefined && !options.judge.includes(invariant.name))) continue;
    const found = invariant.check(end);
    if (found !== undefined) violations.push({ invariant: invariant.name, kind: 'eventually', step: world.stepIndex, phase: 2, witness: found.summary });
  }
  const reached = new Map<string, string>();
  for (const invariant of EOS_INVARIANTS) {
    if (invariant.kind !== 'sometimes') continue;
    const found = invariant.check(end);
    if (found !== undefined) reached.set(invariant.name, found.summary);
  }
  world.observer = undefined;
  return { violations, reached, quiescent, skipped, world, pipeline, ledger };
}

/**
 * The `always` invariants (those `names` lists; default all), for the caller to run after
 * every machine step and fault (`world.observer`): each judge skips a state whose logs,
 * leaders, HWs and reads are unchanged, keeps the first violation of each invariant, then
 * lets the ledger observe the view and hands it to `onJudged` (trace replay's ideal reader).
 */
export function judgeEosEveryStep(world: EosWorld, ledger: EosLedger, names?: readonly string[], onJudged?: (view: EosView) => void): { readonly violations: Violation[]; readonly judge: () => void } {
  const judged = EOS_INVARIANTS.filter((i) => i.kind === 'always' && (names === undefined || names.includes(i.name)));
  const violations: Violation[] = [];
  const seen = new Set<string>();
  let judgedKey = '';
  const judge = (): void => {
    // Invariants read logs, leaders, HWs and the verifier's reads: skip the view when none changed.
    const key = `${ledger.version()}|${world.judgeKey(JUDGED_PARTITIONS)}`;
    if (key === judgedKey) return;
    judgedKey = key;
    const view = eosView(world, false);
    noteFirstElection(world, ledger);
    for (const invariant of judged) {
      if (seen.has(invariant.name)) continue;
      const found = invariant.check({ view, ledger });
      if (found === undefined) continue;
      seen.add(invariant.name);
      violations.push({ invariant: invariant.name, kind: invariant.kind, step: world.stepIndex, phase: world.phase, witness: found.summary });
      world.note(`VIOLATED ${invariant.name}: ${found.summary}`);
    }
    ledger.observe(view);
    onJudged?.(view);
  };
  return { violations, judge };
}

class Budget {
  private readonly used = { processCrashes: 0, isolations: 0, messageFaults: 0, pauses: 0 };
  constructor(private readonly budget: EosBudget) {}

  spend(fault: keyof Budget['used']): boolean {
    if (this.used[fault] >= this.budget[fault]) return false;
    this.used[fault]++;
    return true;
  }
}

function applyStep(world: EosWorld, pipeline: Pipeline, budget: Budget, step: EosStep): boolean {
  world.note(`step: ${step.kind}`);
  switch (step.kind) {
    case 'send':
      pipeline.sendInput();
      return true;
    case 'run':
      world.run(step.ms, new Prng(step.seed));
      return true;
    case 'drop':
    case 'duplicate':
    case 'delay':
    case 'reorder':
      return world.network.pending().length > 0 && budget.spend('messageFaults') && world.messageFault(step.kind, step.pick);
    case 'crash': {
      const id = brokerTarget(world, step.broker);
      return id >= 0 && world.isUp(id) && budget.spend('processCrashes') && world.crash(id);
    }
    case 'restart': {
      const id = step.broker === DOWN ? world.brokerIds().find((b) => !world.isUp(b)) : step.broker;
      return id !== undefined && world.restart(id);
    }
    case 'isolate': {
      const id = brokerTarget(world, step.broker);
      if (id < 0 || !budget.spend('isolations')) return false;
      world.isolate(id);
      return true;
    }
    case 'heal':
      world.network.heal();
      world.note('heal: every link restored');
      return true;
    case 'pause':
      return pipeline.latest(step.worker) !== undefined && budget.spend('pauses') && pipeline.pause(step.worker);
    case 'replace':
      if (!budget.spend('pauses')) return false;
      pipeline.startInstance(step.worker);
      return true;
    case 'resume':
      return pipeline.resume(step.worker);
    case 'abort':
      return pipeline.abortNext(step.worker);
    default:
      return false;
  }
}

function brokerTarget(world: EosWorld, broker: number): number {
  if (broker === TXN_COORDINATOR_TARGET) return world.leaderOf(TXN_LOG);
  if (broker === GROUP_COORDINATOR_TARGET) return world.leaderOf(OFFSETS_LOG);
  return broker;
}

/** Phase 2: heal links, restart brokers, resume and restart workers, run until the pipeline is done. */
function heal(world: EosWorld, pipeline: Pipeline): boolean {
  world.phase = 2;
  world.stepIndex++;
  world.network.heal();
  world.note('phase 2: heal every link, restart every broker, resume every worker, run to quiescence');
  for (const id of world.brokerIds()) world.restart(id);
  pipeline.heal();
  const latency = new Prng(0);
  for (let elapsed = 0; elapsed < EOS_HEAL_MS; elapsed += QUIESCENCE_CHECK_MS) {
    if (pipelineDone(world, pipeline)) return true;
    world.run(QUIESCENCE_CHECK_MS, latency);
  }
  return pipelineDone(world, pipeline);
}

/**
 * Done: the input producer has nothing left, every partition settled (LSO = HW = log end),
 * no transaction open, the group Stable, and the verifier has read up to every output's end.
 */
export function pipelineDone(world: EosWorld, pipeline: Pipeline): boolean {
  if (!pipeline.inputDrained()) return false;
  const view = eosView(world, false);
  for (const p of [...view.inputs, ...view.outputs, view.offsetsLog]) if (p.leaderKey === null || p.lastStableOffset !== p.logEndOffset || p.highWatermark !== p.logEndOffset) return false;
  if (view.openTransactions === null || view.openTransactions.length > 0 || view.groupState !== 'Stable') return false;
  // Every input consumed: the group's committed offsets reached each input's log end.
  const committed = committedOffsets(world);
  for (const p of view.inputs) if ((committed.get(p.name) ?? 0) < p.logEndOffset) return false;
  const verifier = pipeline.consumerContext('verifier');
  for (const p of view.outputs) if ((verifier?.partitions.find((q) => `${q.topic}-${q.partition}` === p.name)?.position ?? -1) < p.logEndOffset) return false;
  return true;
}

function committedOffsets(world: EosWorld): Map<string, number> {
  const leader = world.leaderOf(OFFSETS_LOG);
  const out = new Map<string, number>();
  if (leader < 0) return out;
  const gc = world.broker(leader).machines?.get(GROUP_COORDINATOR)?.context as GroupCoordinatorContext | undefined;
  const group = gc?.volatile.groups.find((g) => g.groupId === GROUP_ID);
  for (const o of group?.offsets ?? []) out.set(`${o.topic}-${o.partition}`, o.offset);
  return out;
}

function noteFirstElection(world: EosWorld, ledger: EosLedger): void {
  if (ledger.firstCoordinatorEpoch !== null) return;
  const leader = world.leaderOf(TXN_LOG);
  if (leader < 0) return;
  const tc = world.broker(leader).machines?.get(TXN_COORDINATOR)?.context as TxnCoordinatorContext | undefined;
  if (tc !== undefined && tc.volatile.coordinatorEpoch >= 0) ledger.firstCoordinatorEpoch = tc.volatile.coordinatorEpoch;
}

function partition(world: EosWorld, tp: TopicPartition): EosPartitionView {
  const leader = world.leaderReplica(tp);
  if (leader === undefined) return partitionView(tpName(tp), null, world.logOf(tp), 0);
  return partitionView(tpName(tp), `broker-${leader.brokerId}/${leader.incarnation}/e${leader.leaderEpoch}`, leader.context.persisted.log, leader.highWatermark);
}

/** What the model sees: the data partitions at their leaders, the coordinators' open transactions and group state. */
export function eosView(world: EosWorld, withOutcomes: boolean): EosView {
  const txnLeader = world.leaderReplica(TXN_LOG);
  const tc = txnLeader === undefined ? undefined : (world.broker(txnLeader.brokerId).machines?.get(TXN_COORDINATOR)?.context as TxnCoordinatorContext | undefined);
  const openTransactions =
    tc === undefined || tc.volatile.coordinatorEpoch < 0 ? null : tc.volatile.txns.filter((t) => t.state === 'Ongoing' || t.state === 'PrepareCommit' || t.state === 'PrepareAbort' || t.state === 'PrepareEpochFence').map((t) => `${t.transactionalId} (${t.state})`);
  const groupLeader = world.leaderReplica(OFFSETS_LOG);
  const gc = groupLeader === undefined ? undefined : (world.broker(groupLeader.brokerId).machines?.get(GROUP_COORDINATOR)?.context as GroupCoordinatorContext | undefined);
  const groupState = gc === undefined || gc.volatile.coordinatorEpoch < 0 ? null : (gc.volatile.groups.find((g) => g.groupId === GROUP_ID)?.state ?? 'Empty');
  return {
    step: world.stepIndex,
    phase: world.phase,
    inputs: INPUTS.map((tp) => partition(world, tp)),
    outputs: OUTPUTS.map((tp) => partition(world, tp)),
    offsetsLog: partition(world, OFFSETS_LOG),
    openTransactions,
    groupState,
    txnOutcomes: withOutcomes ? txnOutcomes(world.history.events as readonly (ClientEvent & { process: string })[]) : [],
  };
}

function txnOutcomes(events: readonly (ClientEvent & { process: string })[]): TxnOutcome[] {
  const out: TxnOutcome[] = [];
  for (const e of events) {
    if ((e.f as string) !== 'txn' || e.type === 'invoke') continue;
    const values = e.value.map((op) => {
      const v = op[2] as unknown;
      return Array.isArray(v) ? String(v[1]) : String(v);
    });
    out.push({ type: e.type, process: String(e.process), values });
  }
  return out;
}

export type { EosInvariant };

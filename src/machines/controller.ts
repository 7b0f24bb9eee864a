/**
 * # The controller: broker liveness, leader election, ISR changes
 *
 * The KRaft controller's `ReplicationControlManager` + `BrokerHeartbeatManager` +
 * `PartitionChangeBuilder`, for a fixed set of brokers and partitions, as one pure machine.
 * Its metadata log is not modelled: a decision takes effect when made, and is pushed to
 * the replicas as LeaderAndIsr (see protocol/messages.ts for why).
 *
 * - **Liveness.** A broker registers (BrokerRegistration, a new incarnation per process
 *   start) and gets a broker epoch; it then heartbeats every `broker.heartbeat.interval.ms`.
 *   A broker silent for `broker.session.timeout.ms` is **fenced**: it leaves every ISR and
 *   loses every leadership. A new incarnation cannot register while the old one's session
 *   is still valid (DUPLICATE_BROKER_REGISTRATION), so a restarted broker is always fenced
 *   first. A heartbeat from a fenced broker with the current epoch unfences it.
 * - **Election** (`PartitionChangeBuilder.electLeader`): the first live ISR member in
 *   replica order; else (KIP-966) the first live eligible leader replica (ELR); else, only
 *   if `unclean.leader.election.enable`, any live replica (data loss allowed); else no
 *   leader. Every leader change bumps the leader epoch; every change bumps the partition
 *   epoch.
 * - **ISR changes** come from the leader (AlterPartition, KIP-497), checked against the
 *   current leader epoch (FENCED_LEADER_EPOCH) and partition epoch
 *   (INVALID_UPDATE_VERSION); only live brokers may join (INELIGIBLE_REPLICA).
 * - **KIP-966 ELR** (`eligible.leader.replicas.enable`): a replica removed from the ISR
 *   while the ISR is below min.insync.replicas still has every committed record (the HW
 *   cannot advance then), so it becomes eligible to lead; the ISR may become empty. A
 *   broker that registers after an unclean shutdown (its previousBrokerEpoch is not the
 *   epoch it had, KAFKA-15586) may have lost unflushed records and leaves every ELR.
 *   Not modelled: KIP-966's "last known leader" fallback of its unclean-recovery part. Without ELR, Kafka keeps the last ISR
 *   member in the ISR when it is fenced, and re-elects it when it returns.
 * - **Producer ids**: the controller allocates them for InitProducerId of idempotent
 *   producers (Kafka's brokers hand out blocks the controller allocates; same uniqueness).
 *
 * Every event carries `nowMs`. Timer: `SessionCheckTimer` every heartbeat interval.
 */
import { setup } from 'xstate';
import type { ClusterConfig } from '../protocol/config.ts';
import { effectiveMinIsr } from '../protocol/config.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import {
  type AlterPartition,
  type AlterPartitionResponse,
  type BrokerHeartbeat,
  type BrokerId,
  type BrokerRegistration,
  type Delivered,
  type InitProducerId,
  type LeaderAndIsr,
  CONTROLLER,
  NO_LEADER,
  brokerNode,
} from '../protocol/messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, perform, send, setTimer, sortedIds } from './machine-kit.ts';

export interface BrokerState {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  readonly incarnationId: number;
  readonly fenced: boolean;
  readonly lastHeartbeatMs: number;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly BrokerId[];
  readonly leader: BrokerId;
  readonly leaderEpoch: number;
  readonly isr: readonly BrokerId[];
  readonly elr: readonly BrokerId[];
  readonly partitionEpoch: number;
}

export interface ControllerContext {
  readonly config: ClusterConfig;
  /** Registered brokers, by brokerId. */
  readonly brokers: readonly BrokerState[];
  /** By (topic, partition). */
  readonly partitions: readonly PartitionState[];
  readonly nextBrokerEpoch: number;
  readonly nextProducerId: number;
}

export interface ControllerInput {
  readonly config: ClusterConfig;
  /** The partitions and their replica lists (replica order = preferred leader first). */
  readonly partitions: readonly { topic: string; partition: number; replicas: readonly BrokerId[] }[];
}

export type SessionCheckTimer = { readonly type: 'SessionCheckTimer'; readonly nowMs: number };

export type ControllerEvent =
  | Delivered<BrokerRegistration>
  | Delivered<BrokerHeartbeat>
  | Delivered<AlterPartition>
  | Delivered<InitProducerId>
  | SessionCheckTimer;

type Ev<T extends ControllerEvent['type']> = Extract<ControllerEvent, { type: T }>;
type Ctx = ControllerContext;

export const SESSION_CHECK_TIMER = 'session-check';

function initialContext(input: ControllerInput): Ctx {
  const partitions = input.partitions
    .map((p) => ({
      topic: p.topic,
      partition: p.partition,
      replicas: [...p.replicas],
      leader: NO_LEADER,
      leaderEpoch: -1,
      isr: sortedIds(p.replicas), // a new partition's replicas are all in sync (empty logs)
      elr: [],
      partitionEpoch: 0,
    }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return { config: input.config, brokers: [], partitions, nextBrokerEpoch: 1, nextProducerId: 1000 };
}

function startTimers(c: Ctx): Effect[] {
  return [setTimer(SESSION_CHECK_TIMER, c.config['broker.heartbeat.interval.ms'], { type: 'SessionCheckTimer' })];
}

// ---- Partition changes ------------------------------------------------------------------

function isLive(c: Ctx, id: BrokerId): boolean {
  const broker = c.brokers.find((b) => b.brokerId === id);
  return broker !== undefined && !broker.fenced;
}

function leaderAndIsr(p: PartitionState, incarnationId: number): LeaderAndIsr {
  return {
    type: 'LeaderAndIsr',
    from: CONTROLLER,
    incarnationId,
    topic: p.topic,
    partition: p.partition,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    isr: p.isr,
    elr: p.elr,
    partitionEpoch: p.partitionEpoch,
    replicas: p.replicas,
  };
}

/** Push a partition's state to each of its registered replicas. */
function publish(c: Ctx, p: PartitionState): Effect[] {
  const effects: Effect[] = [];
  for (const id of p.replicas) {
    const broker = c.brokers.find((b) => b.brokerId === id);
    if (broker !== undefined) effects.push(send(brokerNode(id), leaderAndIsr(p, broker.incarnationId)));
  }
  return effects;
}

/**
 * Choose a leader when the current one is gone (`PartitionChangeBuilder.electLeader`):
 * ISR, then ELR (KIP-966), then, if allowed, any live replica (unclean).
 */
export function electLeader(c: Ctx, p: PartitionState): PartitionState {
  if (p.leader !== NO_LEADER && isLive(c, p.leader)) return p;
  const fromIsr = p.replicas.find((id) => p.isr.includes(id) && isLive(c, id));
  if (fromIsr !== undefined) return newLeader(p, fromIsr, p.isr, p.elr);
  const fromElr = p.replicas.find((id) => p.elr.includes(id) && isLive(c, id));
  if (fromElr !== undefined) {
    return newLeader(p, fromElr, [fromElr], p.elr.filter((id) => id !== fromElr));
  }
  const unclean = p.replicas.find((id) => isLive(c, id));
  if (c.config['unclean.leader.election.enable'] && unclean !== undefined) {
    return newLeader(p, unclean, [unclean], []);
  }
  return p.leader === NO_LEADER ? p : newLeader(p, NO_LEADER, p.isr, p.elr);
}

function newLeader(p: PartitionState, leader: BrokerId, isr: readonly BrokerId[], elr: readonly BrokerId[]): PartitionState {
  return {
    ...p,
    leader,
    leaderEpoch: p.leaderEpoch + 1,
    isr: sortedIds(isr),
    elr: sortedIds(elr),
    partitionEpoch: p.partitionEpoch + 1,
  };
}

/**
 * The ISR becomes `newIsr`. With ELR (KIP-966), replicas leaving an ISR that is below
 * min.insync.replicas become eligible leaders; joining the ISR leaves the ELR; once the
 * ISR reaches min ISR again the ELR is cleared. Without ELR the last member stays in the ISR.
 */
export function changeIsr(c: Ctx, p: PartitionState, newIsr: readonly BrokerId[]): PartitionState {
  const isr = sortedIds(newIsr);
  const removed = p.isr.filter((id) => !isr.includes(id));
  const minIsr = effectiveMinIsr(c.config);
  if (!c.config['eligible.leader.replicas.enable']) {
    const kept = isr.length === 0 ? p.isr.filter((id) => removed.includes(id)).slice(-1) : isr;
    return { ...p, isr: kept, elr: [], partitionEpoch: p.partitionEpoch + 1 };
  }
  let elr = p.elr.filter((id) => !isr.includes(id));
  if (isr.length < minIsr) elr = sortedIds([...elr, ...removed]);
  else elr = [];
  return { ...p, isr, elr, partitionEpoch: p.partitionEpoch + 1 };
}

function replacePartition(c: Ctx, p: PartitionState): Ctx {
  return { ...c, partitions: c.partitions.map((q) => (q.topic === p.topic && q.partition === p.partition ? p : q)) };
}

function replaceBroker(c: Ctx, b: BrokerState): Ctx {
  const others = c.brokers.filter((x) => x.brokerId !== b.brokerId);
  return { ...c, brokers: [...others, b].sort((x, y) => x.brokerId - y.brokerId) };
}

/** Elect leaders for every partition whose leader is gone; publish what changed. */
function electAll(c: Ctx): [Ctx, Effect[]] {
  let next = c;
  const effects: Effect[] = [];
  for (const p of c.partitions) {
    const elected = electLeader(next, p);
    if (elected === p) continue;
    next = replacePartition(next, elected);
    effects.push(...publish(next, elected));
  }
  return [next, effects];
}

// ---- Broker lifecycle -------------------------------------------------------------------

export function onBrokerRegistration(c: Ctx, e: Ev<'BrokerRegistration'>): Outcome<Ctx> {
  const existing = c.brokers.find((b) => b.brokerId === e.brokerId);
  if (existing !== undefined && existing.incarnationId === e.incarnationId) {
    // A retry of a registration that succeeded: answer it again.
    return acted(c, [registrationResponse(e, 'NONE', existing.brokerEpoch)]);
  }
  if (existing !== undefined && !existing.fenced && hasValidSession(c, existing, e.nowMs)) {
    return { context: c, effects: [registrationResponse(e, 'DUPLICATE_BROKER_REGISTRATION', -1)], reason: 'old incarnation still has a session' };
  }
  // The old incarnation (if any) is fenced first: its replicas lost their volatile state.
  const [fenced, effects] = existing === undefined ? [c, []] : fenceBroker(c, existing.brokerId);
  const brokerEpoch = c.nextBrokerEpoch;
  let next = replaceBroker({ ...fenced, nextBrokerEpoch: brokerEpoch + 1 }, {
    brokerId: e.brokerId,
    brokerEpoch,
    incarnationId: e.incarnationId,
    fenced: false,
    lastHeartbeatMs: e.nowMs,
  });
  // KAFKA-15586: a clean shutdown is a registration naming the epoch the broker had.
  const cleanShutdown = existing !== undefined && e.previousBrokerEpoch === existing.brokerEpoch;
  if (!cleanShutdown) next = leaveEligibleLeaders(next, e.brokerId);
  const [elected, published] = electAll(next);
  // A registered broker catches up with the metadata: the state of each of its partitions.
  const catchUp = elected.partitions
    .filter((p) => p.replicas.includes(e.brokerId) && !published.some((x) => x.type === 'send' && x.to === e.from && isAbout(x.message, p)))
    .map((p) => send(e.from, leaderAndIsr(p, e.incarnationId)));
  return acted(elected, [...effects, registrationResponse(e, 'NONE', brokerEpoch), ...published, ...catchUp]);
}

function isAbout(message: { type: string }, p: PartitionState): boolean {
  return message.type === 'LeaderAndIsr' && (message as LeaderAndIsr).topic === p.topic && (message as LeaderAndIsr).partition === p.partition;
}

/** KIP-966: after an unclean shutdown a replica may miss committed records: not eligible. */
function leaveEligibleLeaders(c: Ctx, brokerId: BrokerId): Ctx {
  let next = c;
  for (const p of c.partitions) {
    if (!p.elr.includes(brokerId)) continue;
    next = replacePartition(next, { ...p, elr: p.elr.filter((id) => id !== brokerId), partitionEpoch: p.partitionEpoch + 1 });
  }
  return next;
}

function hasValidSession(c: Ctx, b: BrokerState, nowMs: number): boolean {
  return nowMs - b.lastHeartbeatMs <= c.config['broker.session.timeout.ms'];
}

function registrationResponse(e: BrokerRegistration, errorCode: ErrorCode, brokerEpoch: number): Effect {
  return send(e.from, { type: 'BrokerRegistrationResponse', from: CONTROLLER, correlationId: e.correlationId, errorCode, brokerEpoch });
}

export function onBrokerHeartbeat(c: Ctx, e: Ev<'BrokerHeartbeat'>): Outcome<Ctx> {
  const broker = c.brokers.find((b) => b.brokerId === e.brokerId);
  const response = (errorCode: ErrorCode, isFenced: boolean): Effect =>
    send(e.from, { type: 'BrokerHeartbeatResponse', from: CONTROLLER, correlationId: e.correlationId, errorCode, isFenced });
  if (broker === undefined || broker.brokerEpoch !== e.brokerEpoch) {
    return { context: c, effects: [response('STALE_BROKER_EPOCH', true)], reason: 'stale broker epoch' };
  }
  let next = replaceBroker(c, { ...broker, fenced: false, lastHeartbeatMs: e.nowMs });
  const effects: Effect[] = [response('NONE', false)];
  if (broker.fenced) {
    const [elected, published] = electAll(next);
    next = elected;
    effects.push(...published);
  }
  // Metadata propagation: the broker learns the current state of its partitions.
  for (const p of next.partitions) {
    if (p.replicas.includes(e.brokerId)) effects.push(send(e.from, leaderAndIsr(p, broker.incarnationId)));
  }
  return acted(next, effects);
}

/** A broker's session expired: out of every ISR, out of every leadership. */
function fenceBroker(c: Ctx, brokerId: BrokerId): [Ctx, Effect[]] {
  const broker = c.brokers.find((b) => b.brokerId === brokerId);
  if (broker === undefined) return [c, []];
  let next = replaceBroker(c, { ...broker, fenced: true });
  const effects: Effect[] = [];
  for (const p of next.partitions) {
    if (!p.replicas.includes(brokerId)) continue;
    let changed = p.isr.includes(brokerId) ? changeIsr(next, p, p.isr.filter((id) => id !== brokerId)) : p;
    if (changed.leader === brokerId) changed = electLeader(next, changed);
    if (changed === p) continue;
    next = replacePartition(next, changed);
    effects.push(...publish(next, changed));
  }
  return [next, effects];
}

export function onSessionCheck(c: Ctx, e: Ev<'SessionCheckTimer'>): Outcome<Ctx> {
  let next = c;
  const effects: Effect[] = [...startTimers(c)];
  for (const b of c.brokers) {
    if (b.fenced || hasValidSession(c, b, e.nowMs)) continue;
    const [fenced, published] = fenceBroker(next, b.brokerId);
    next = fenced;
    effects.push(...published);
  }
  return { context: next, effects, reason: next === c ? 'every session valid' : null };
}

// ---- AlterPartition ---------------------------------------------------------------------

export function onAlterPartition(c: Ctx, e: Ev<'AlterPartition'>): Outcome<Ctx> {
  const p = c.partitions.find((q) => q.topic === e.topic && q.partition === e.partition);
  if (p === undefined) return rejectAlter(c, e, null, 'UNKNOWN_TOPIC_OR_PARTITION');
  if (e.brokerId !== p.leader || e.leaderEpoch !== p.leaderEpoch) return rejectAlter(c, e, p, 'FENCED_LEADER_EPOCH');
  if (e.partitionEpoch !== p.partitionEpoch) return rejectAlter(c, e, p, 'INVALID_UPDATE_VERSION');
  if (!e.newIsr.includes(p.leader)) return rejectAlter(c, e, p, 'INVALID_REQUEST');
  const added = e.newIsr.filter((id) => !p.isr.includes(id));
  if (added.some((id) => !p.replicas.includes(id) || !isLive(c, id))) return rejectAlter(c, e, p, 'INELIGIBLE_REPLICA');
  const changed = changeIsr(c, p, e.newIsr);
  const next = replacePartition(c, changed);
  return acted(next, [alterResponse(e, changed, 'NONE'), ...publish(next, changed)]);
}

function rejectAlter(c: Ctx, e: AlterPartition, p: PartitionState | null, errorCode: ErrorCode): Outcome<Ctx> {
  return { context: c, effects: [alterResponse(e, p, errorCode)], reason: errorCode };
}

function alterResponse(e: AlterPartition, p: PartitionState | null, errorCode: ErrorCode): Effect {
  const message: AlterPartitionResponse = {
    type: 'AlterPartitionResponse',
    from: CONTROLLER,
    correlationId: e.correlationId,
    topic: e.topic,
    partition: e.partition,
    errorCode,
    leaderId: p?.leader ?? NO_LEADER,
    leaderEpoch: p?.leaderEpoch ?? -1,
    isr: p?.isr ?? [],
    partitionEpoch: p?.partitionEpoch ?? -1,
  };
  return send(e.from, message);
}

// ---- InitProducerId (idempotent producers) -----------------------------------------------

export function onInitProducerId(c: Ctx, e: Ev<'InitProducerId'>): Outcome<Ctx> {
  const reply = (errorCode: ErrorCode, producerId: number, producerEpoch: number): Effect =>
    send(e.from, { type: 'InitProducerIdResponse', from: CONTROLLER, correlationId: e.correlationId, errorCode, producerId, producerEpoch });
  if (e.transactionalId !== null) {
    return { context: c, effects: [reply('NOT_COORDINATOR', -1, -1)], reason: 'transactional ids go to a transaction coordinator' };
  }
  const producerId = c.nextProducerId;
  return acted({ ...c, nextProducerId: producerId + 1 }, [reply('NONE', producerId, 0)]);
}

export function onStart(c: Ctx): Outcome<Ctx> {
  return acted(c, startTimers(c));
}

// ---- The machine ----------------------------------------------------------------------

export const controllerMachine = setup({
  types: {} as { context: ControllerContext; input: ControllerInput; events: ControllerEvent; emitted: Effect },
  actions: {
    onStart: perform((c: Ctx) => onStart(c)),
    onBrokerRegistration: perform(onBrokerRegistration),
    onBrokerHeartbeat: perform(onBrokerHeartbeat),
    onSessionCheck: perform(onSessionCheck),
    onAlterPartition: perform(onAlterPartition),
    onInitProducerId: perform(onInitProducerId),
  },
}).createMachine({
  id: 'controller',
  context: ({ input }) => initialContext(input),
  initial: 'active',
  entry: 'onStart',
  states: {
    /** The single active controller (KRaft quorum failover is not modelled). */
    active: {
      on: {
        BrokerRegistration: { actions: 'onBrokerRegistration' },
        BrokerHeartbeat: { actions: 'onBrokerHeartbeat' },
        SessionCheckTimer: { actions: 'onSessionCheck' },
        AlterPartition: { actions: 'onAlterPartition' },
        InitProducerId: { actions: 'onInitProducerId' },
      },
    },
  },
});


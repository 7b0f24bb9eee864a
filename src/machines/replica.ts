/**
 * # The replica: one partition on one broker, as leader or follower
 *
 * Kafka's `Partition` + `ReplicaManager` + the follower's `AbstractFetcherThread`, for one
 * topic-partition, as a pure xstate machine. The controller tells each replica who leads in
 * which epoch (LeaderAndIsr); the replica then:
 *
 * - **as leader** appends Produce requests to its log (stamping its leader epoch), answers
 *   the followers' Fetch requests from its log, learns each follower's log end offset
 *   (LEO) from the `fetchOffset` it asks for, and advances the **high watermark** (HW) to
 *   the minimum LEO over the ISR (`Partition.maybeIncrementLeaderHW`). A Produce with
 *   acks=all is answered once the HW passes it (`DelayedProduce`). It shrinks the ISR of
 *   followers that stopped catching up for `replica.lag.time.max.ms`, and expands it with
 *   followers that caught up, through AlterPartition to the controller (KIP-497).
 * - **as follower** first truncates its log to where it agrees with the leader
 *   (OffsetsForLeaderEpoch, KIP-101 / KIP-279), then fetches from its LEO, appends what
 *   comes back and sets HW = min(leader's HW, own LEO).
 *
 * Every request is fenced by the leader epoch it was sent in (KIP-320): a Fetch or
 * OffsetsForLeaderEpoch from an older epoch gets FENCED_LEADER_EPOCH, from a newer one
 * UNKNOWN_LEADER_EPOCH. Responses are matched by correlation id; anything else (stale,
 * duplicated, reordered) is ignored. A leader also checks the idempotent producer's
 * sequence numbers (producer-state.ts) before appending.
 *
 * Context: `persisted` is what the segment files hold (the abstract log, the leader-epoch
 * cache, the HW checkpoint, producer state); `volatile` is lost on a crash. Restart =
 * `start(replicaMachine, input)` with what storage recovery returned; the replica then
 * waits for the controller's LeaderAndIsr. Storage work is emitted as `storage` effects
 * in order (append, flush every `flush.messages` records, truncate, checkpoint).
 *
 * Time: every event carries `nowMs` (the host's logical clock). Timers are explicit.
 *
 * Variants (config.variant), each removing one fix, marked `VARIANT` below:
 * `truncate-to-high-watermark` (pre KIP-101), `no-leader-epoch-fencing` (pre KIP-320),
 * `no-isr-join-epoch-check` (KAFKA-7128).
 */
import { and, or, setup } from 'xstate';
import { assert } from '../core/assert.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import { effectiveMinIsr, hasVariant } from '../protocol/config.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { type LogBatch, placeBatch } from '../protocol/log.ts';
import {
  type AlterPartitionResponse,
  type BrokerId,
  type Delivered,
  type Fetch,
  type FetchResponse,
  type LeaderAndIsr,
  type Metadata,
  type OffsetsForLeaderEpoch,
  type OffsetsForLeaderEpochResponse,
  type Produce,
  CONTROLLER,
  NO_LEADER,
  UNDEFINED_EPOCH,
  brokerIdOf,
  brokerNode,
} from '../protocol/messages.ts';
import type { TopicPartition } from '../protocol/storage.ts';
import type { Effect } from './effects.ts';
import {
  type LeaderEpochCache,
  assignEpoch,
  endOffsetFor,
  latestEpoch,
  startOffsetOf,
  truncateFromEnd,
} from './leader-epoch-cache.ts';
import {
  type Outcome,
  acted,
  cancelTimer,
  ignore,
  perform,
  send,
  setTimer,
  sameIds,
  sortedIds,
  storage,
} from './machine-kit.ts';
import { type ProducerStates, checkProducerBatch, producerStatesFromLog, updateProducerState } from './producer-state.ts';
import {
  type AddPartitionsToTxnResponse,
  type WriteTxnMarkers,
  transactionCoordinatorOf,
} from '../protocol/txn-messages.ts';
import { abortedTransactions, checkMarker, checkTransactionalProduce, lastStableOffset, txnStateFromLog } from './txn-partition.ts';

// ---- Context -------------------------------------------------------------------------

/** What survives a crash: rebuilt by storage recovery from the partition directory. */
export interface ReplicaPersisted {
  readonly log: readonly LogBatch[];
  readonly leaderEpochCache: LeaderEpochCache;
  /** `replication-offset-checkpoint`. */
  readonly highWatermarkCheckpoint: number;
  readonly producers: ProducerStates;
}

/** The leader's view of one follower (`Replica.scala` state). */
export interface FollowerState {
  readonly brokerId: BrokerId;
  /** -1 until the follower's first Fetch in this leader epoch. */
  readonly logEndOffset: number;
  readonly lastCaughtUpTimeMs: number;
  readonly lastFetchLeaderLogEndOffset: number;
  readonly lastFetchTimeMs: number;
}

/** An acks=all Produce waiting in purgatory for the HW to pass `lastOffset`. */
export interface PendingProduce {
  readonly from: string;
  readonly correlationId: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Set for a WriteTxnMarkers (answered with WriteTxnMarkersResponse), not a Produce. */
  readonly markerProducerId?: number;
}

/** KIP-890 part 1: a transactional Produce waiting for the coordinator's VerifyOnly answer. */
export interface PendingVerification {
  readonly correlationId: number;
  readonly produce: Produce;
  /**
   * A marker for this producer was written while the verification was out: Kafka clears
   * the producer's VerificationGuard then (ProducerStateManager.clearVerificationStateEntry),
   * so the held write is refused even if the coordinator says yes.
   */
  readonly guardCleared?: true;
}

export interface PendingIsr {
  readonly newIsr: readonly BrokerId[];
  readonly correlationId: number;
  readonly sentMs: number;
}

export interface ReplicaVolatile {
  readonly leaderId: BrokerId;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly BrokerId[];
  readonly replicas: readonly BrokerId[];
  readonly highWatermark: number;
  /** Leader only: one entry per other replica, by brokerId. */
  readonly followers: readonly FollowerState[];
  readonly pendingProduces: readonly PendingProduce[];
  readonly pendingVerifications: readonly PendingVerification[];
  readonly pendingIsr: PendingIsr | null;
  /** Follower only: the correlation id of the outstanding Fetch / OffsetsForLeaderEpoch, or -1. */
  readonly fetchCorrelationId: number;
  readonly nextCorrelationId: number;
  readonly unflushedRecords: number;
}

export interface ReplicaContext {
  readonly config: ClusterConfig;
  readonly brokerId: BrokerId;
  /** This broker process's incarnation (a new one per start). */
  readonly incarnationId: number;
  readonly topic: string;
  readonly partition: number;
  readonly persisted: ReplicaPersisted;
  readonly volatile: ReplicaVolatile;
}

export interface ReplicaInput {
  readonly config: ClusterConfig;
  readonly brokerId: BrokerId;
  readonly incarnationId: number;
  readonly topic: string;
  readonly partition: number;
  /** What storage recovered (an empty log for a new replica: `emptyPersisted()`). */
  readonly recovered: ReplicaPersisted;
}

export function emptyPersisted(): ReplicaPersisted {
  return { log: [], leaderEpochCache: [], highWatermarkCheckpoint: 0, producers: [] };
}

// ---- Events --------------------------------------------------------------------------

/** Timers the replica sets; the host delivers them back with `nowMs`. */
export type IsrCheckTimer = { readonly type: 'IsrCheckTimer'; readonly nowMs: number };
export type FetchTimer = { readonly type: 'FetchTimer'; readonly nowMs: number };
export type VerificationTimeout = { readonly type: 'VerificationTimeout'; readonly nowMs: number; readonly correlationId: number };
export type ProduceTimeout = {
  readonly type: 'ProduceTimeout';
  readonly nowMs: number;
  readonly from: string;
  readonly correlationId: number;
};

export type ReplicaEvent =
  | Delivered<LeaderAndIsr>
  | Delivered<Produce>
  | Delivered<Fetch>
  | Delivered<FetchResponse>
  | Delivered<OffsetsForLeaderEpoch>
  | Delivered<OffsetsForLeaderEpochResponse>
  | Delivered<AlterPartitionResponse>
  | Delivered<Metadata>
  | Delivered<WriteTxnMarkers>
  | Delivered<AddPartitionsToTxnResponse>
  | VerificationTimeout
  | IsrCheckTimer
  | FetchTimer
  | ProduceTimeout;

type Ev<T extends ReplicaEvent['type']> = Extract<ReplicaEvent, { type: T }>;
type Ctx = ReplicaContext;

export const ISR_CHECK_TIMER = 'isr-check';
export const FETCH_TIMER = 'fetch';
/** Most batches one FetchResponse carries (Kafka bounds it by bytes). */
export const MAX_FETCH_BATCHES = 16;

export function produceTimerId(from: string, correlationId: number): string {
  return `produce-timeout/${from}/${correlationId}`;
}

// ---- Small derived facts ---------------------------------------------------------------

export function logEndOffset(log: readonly LogBatch[]): number {
  const last = log.at(-1);
  return last === undefined ? 0 : last.lastOffset + 1;
}

function tp(c: Ctx): TopicPartition {
  return { topic: c.topic, partition: c.partition };
}

function withVolatile(c: Ctx, change: Partial<ReplicaVolatile>): Ctx {
  return { ...c, volatile: { ...c.volatile, ...change } };
}

function withPersisted(c: Ctx, change: Partial<ReplicaPersisted>): Ctx {
  return { ...c, persisted: { ...c.persisted, ...change } };
}

function nextCorrelation(c: Ctx): [Ctx, number] {
  const id = c.volatile.nextCorrelationId;
  return [withVolatile(c, { nextCorrelationId: id + 1 }), id];
}

function isLeader(c: Ctx): boolean {
  return c.volatile.leaderId === c.brokerId && c.volatile.leaderEpoch >= 0;
}

// ---- Storage: append, flush, truncate (shared by leader and follower) -------------------

/** Append batches already placed at their offsets; flush every `flush.messages` records. */
function appendToLog(c: Ctx, batches: readonly LogBatch[]): [Ctx, Effect[]] {
  const effects: Effect[] = [];
  let { log, leaderEpochCache, producers } = c.persisted;
  let unflushed = c.volatile.unflushedRecords;
  for (const batch of batches) {
    assert(batch.baseOffset === logEndOffset(log), 'appends are contiguous');
    log = [...log, batch];
    effects.push(storage({ type: 'append', topicPartition: tp(c), batch }));
    const cache = assignEpoch(leaderEpochCache, batch.partitionLeaderEpoch, batch.baseOffset);
    if (cache !== leaderEpochCache) effects.push(epochCheckpoint(c, cache));
    leaderEpochCache = cache;
    producers = updateProducerState(producers, batch);
    unflushed += batch.records.length;
  }
  if (unflushed >= c.config['flush.messages']) {
    effects.push(storage({ type: 'flush', topicPartition: tp(c), logEndOffset: logEndOffset(log) }));
    unflushed = 0;
  }
  const next = withPersisted(c, { log, leaderEpochCache, producers });
  return [withVolatile(next, { unflushedRecords: unflushed }), effects];
}

function epochCheckpoint(c: Ctx, entries: LeaderEpochCache): Effect {
  return storage({ type: 'checkpoint', topicPartition: tp(c), checkpoint: 'leader-epoch-checkpoint', entries });
}

function hwCheckpoint(c: Ctx, highWatermark: number): Effect {
  return storage({
    type: 'checkpoint',
    topicPartition: tp(c),
    checkpoint: 'replication-offset-checkpoint',
    highWatermark,
  });
}

/** `UnifiedLog.truncateTo`: drop every batch ending at or after `offset`. */
export function truncateLog(c: Ctx, offset: number): [Ctx, Effect[]] {
  const log = c.persisted.log.filter((b) => b.lastOffset < offset);
  if (log.length === c.persisted.log.length) return [c, []];
  const end = logEndOffset(log);
  const leaderEpochCache = truncateFromEnd(c.persisted.leaderEpochCache, end);
  const effects: Effect[] = [storage({ type: 'truncate', topicPartition: tp(c), offset: end })];
  if (leaderEpochCache !== c.persisted.leaderEpochCache) effects.push(epochCheckpoint(c, leaderEpochCache));
  let next = withPersisted(c, { log, leaderEpochCache, producers: producerStatesFromLog(log) });
  if (c.volatile.highWatermark > end) {
    next = withVolatile(next, { highWatermark: end });
    next = withPersisted(next, { highWatermarkCheckpoint: end });
    effects.push(hwCheckpoint(c, end));
  }
  return [next, effects];
}

function setHighWatermark(c: Ctx, highWatermark: number): [Ctx, Effect[]] {
  if (highWatermark === c.volatile.highWatermark) return [c, []];
  const next = withPersisted(withVolatile(c, { highWatermark }), { highWatermarkCheckpoint: highWatermark });
  return [next, [hwCheckpoint(c, highWatermark)]];
}

// ---- Start --------------------------------------------------------------------------------

function initialContext(input: ReplicaInput): Ctx {
  const { recovered } = input;
  const end = logEndOffset(recovered.log);
  return {
    config: input.config,
    brokerId: input.brokerId,
    incarnationId: input.incarnationId,
    topic: input.topic,
    partition: input.partition,
    persisted: recovered,
    volatile: {
      leaderId: NO_LEADER,
      leaderEpoch: UNDEFINED_EPOCH,
      partitionEpoch: -1,
      isr: [],
      replicas: [],
      highWatermark: Math.min(recovered.highWatermarkCheckpoint, end),
      followers: [],
      pendingProduces: [],
      pendingVerifications: [],
      pendingIsr: null,
      fetchCorrelationId: -1,
      nextCorrelationId: 0,
      unflushedRecords: 0,
    },
  };
}

// ---- LeaderAndIsr: the controller's decision --------------------------------------------

export type LeaderAndIsrDecision = 'other-incarnation' | 'stale' | 'not-a-replica' | 'update' | 'leader' | 'follower' | 'no-leader';

/** What a LeaderAndIsr means for this replica; guards and handlers share this one rule. */
export function decideLeaderAndIsr(c: Ctx, e: LeaderAndIsr): LeaderAndIsrDecision {
  const v = c.volatile;
  if (e.incarnationId !== c.incarnationId) return 'other-incarnation';
  if (e.leaderEpoch < v.leaderEpoch) return 'stale';
  if (e.leaderEpoch === v.leaderEpoch && e.partitionEpoch <= v.partitionEpoch) return 'stale';
  if (!e.replicas.includes(c.brokerId)) return 'not-a-replica';
  if (e.leaderEpoch === v.leaderEpoch) return 'update';
  if (e.leader === c.brokerId) return 'leader';
  if (e.leader === NO_LEADER) return 'no-leader';
  return 'follower';
}

/** Same leader epoch, newer partition epoch: only the ISR changed. */
export function onLeaderAndIsrUpdate(c: Ctx, e: Ev<'LeaderAndIsr'>): Outcome<Ctx> {
  const decision = decideLeaderAndIsr(c, e);
  if (decision !== 'update') return ignore(c, `LeaderAndIsr is ${decision}`);
  const pending = c.volatile.pendingIsr;
  const pendingIsr = pending !== null && sameIds(pending.newIsr, e.isr) ? null : pending;
  const next = withVolatile(c, { isr: sortedIds(e.isr), partitionEpoch: e.partitionEpoch, pendingIsr });
  if (!isLeader(next)) return acted(next, []);
  const [done, effects] = maybeIncrementHighWatermark(next, e.nowMs);
  return acted(done, effects);
}

/**
 * Become leader of a new epoch (`Partition.makeLeader`): record the epoch's start offset
 * in the leader-epoch cache, forget what followers had (they must fetch again in this
 * epoch), start the ISR check.
 */
export function becomeLeader(c: Ctx, e: Ev<'LeaderAndIsr'>): Outcome<Ctx> {
  assert(decideLeaderAndIsr(c, e) === 'leader', 'becomeLeader on a leader decision');
  const effects: Effect[] = [cancelTimer(FETCH_TIMER)];
  const end = logEndOffset(c.persisted.log);
  const cache = assignEpoch(c.persisted.leaderEpochCache, e.leaderEpoch, end);
  if (cache !== c.persisted.leaderEpochCache) effects.push(epochCheckpoint(c, cache));
  const isr = sortedIds(e.isr);
  const followers = sortedIds(e.replicas)
    .filter((id) => id !== c.brokerId)
    .map((brokerId) => freshFollower(brokerId, isr.includes(brokerId), e.nowMs));
  let next = withPersisted(c, { leaderEpochCache: cache });
  next = withVolatile(next, {
    leaderId: c.brokerId,
    leaderEpoch: e.leaderEpoch,
    partitionEpoch: e.partitionEpoch,
    isr,
    replicas: sortedIds(e.replicas),
    followers,
    pendingIsr: null,
    fetchCorrelationId: -1,
  });
  effects.push(setTimer(ISR_CHECK_TIMER, isrCheckInterval(c), { type: 'IsrCheckTimer' }));
  const [done, hwEffects] = maybeIncrementHighWatermark(next, e.nowMs);
  return acted(done, [...effects, ...hwEffects]);
}

/** Kafka resets a follower's state on leader change; ISR members count as caught up now. */
function freshFollower(brokerId: BrokerId, inIsr: boolean, nowMs: number): FollowerState {
  return {
    brokerId,
    logEndOffset: -1,
    lastCaughtUpTimeMs: inIsr ? nowMs : Number.MIN_SAFE_INTEGER,
    lastFetchLeaderLogEndOffset: -1,
    lastFetchTimeMs: nowMs,
  };
}

function isrCheckInterval(c: Ctx): number {
  return Math.max(1, Math.floor(c.config['replica.lag.time.max.ms'] / 2));
}

/**
 * Become follower (or leaderless) in a new epoch (`Partition.makeFollower`): answer the
 * produces still waiting with NOT_LEADER_OR_FOLLOWER, then find where this log agrees
 * with the new leader's before fetching.
 */
export function becomeFollower(c: Ctx, e: Ev<'LeaderAndIsr'>): Outcome<Ctx> {
  const decision = decideLeaderAndIsr(c, e);
  assert(decision === 'follower' || decision === 'no-leader', 'becomeFollower on a follower decision');
  const effects: Effect[] = [cancelTimer(ISR_CHECK_TIMER), cancelTimer(FETCH_TIMER)];
  for (const p of c.volatile.pendingProduces) {
    effects.push(cancelTimer(produceTimerId(p.from, p.correlationId)));
    effects.push(answerPending(c, p, 'NOT_LEADER_OR_FOLLOWER', -1));
  }
  for (const v of c.volatile.pendingVerifications) {
    effects.push(cancelTimer(verificationTimerId(v.correlationId)));
    effects.push(produceResponse(c, v.produce.from, v.produce.correlationId, 'NOT_LEADER_OR_FOLLOWER', -1));
  }
  let next = withVolatile(c, {
    pendingVerifications: [],
    leaderId: e.leader,
    leaderEpoch: e.leaderEpoch,
    partitionEpoch: e.partitionEpoch,
    isr: sortedIds(e.isr),
    replicas: sortedIds(e.replicas),
    followers: [],
    pendingProduces: [],
    pendingIsr: null,
    fetchCorrelationId: -1,
  });
  if (decision === 'no-leader') return acted(next, effects);
  if (hasVariant(c.config, 'truncate-to-high-watermark')) {
    // VARIANT truncate-to-high-watermark (pre KIP-101, KAFKA-1211): the follower trusts
    // its own high watermark, which lags the leader's, and drops everything above it.
    const [truncated, truncation] = truncateLog(next, next.volatile.highWatermark);
    const [fetching, fetch] = sendFetch(truncated);
    return acted(fetching, [...effects, ...truncation, ...fetch]);
  }
  if (latestEpoch(next.persisted.leaderEpochCache) === UNDEFINED_EPOCH) {
    const [fetching, fetch] = sendFetch(next);
    return acted(fetching, [...effects, ...fetch]);
  }
  const [asking, ask] = sendOffsetsForLeaderEpoch(next);
  return acted(asking, [...effects, ...ask]);
}

// ---- Follower: truncation (KIP-101 / KIP-279) and fetching ------------------------------

function leaderNode(c: Ctx): string {
  return brokerNode(c.volatile.leaderId);
}

/** The epoch we send for fencing: -1 under the pre-KIP-320 variant (no such field). */
function fencingEpoch(c: Ctx): number {
  // VARIANT no-leader-epoch-fencing (pre KIP-320): requests carry no current leader epoch.
  return hasVariant(c.config, 'no-leader-epoch-fencing') ? UNDEFINED_EPOCH : c.volatile.leaderEpoch;
}

function sendOffsetsForLeaderEpoch(c: Ctx): [Ctx, Effect[]] {
  const [next, correlationId] = nextCorrelation(c);
  const message = {
    type: 'OffsetsForLeaderEpoch' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    topic: c.topic,
    partition: c.partition,
    replicaId: c.brokerId,
    currentLeaderEpoch: fencingEpoch(c),
    leaderEpoch: latestEpoch(c.persisted.leaderEpochCache),
  };
  const timer = setTimer(FETCH_TIMER, c.config['request.timeout.ms'], { type: 'FetchTimer' });
  return [withVolatile(next, { fetchCorrelationId: correlationId }), [send(leaderNode(c), message), timer]];
}

function sendFetch(c: Ctx): [Ctx, Effect[]] {
  const [next, correlationId] = nextCorrelation(c);
  const last = c.persisted.log.at(-1);
  // VARIANTS truncate-to-high-watermark and no-leader-epoch-fencing: before KIP-101 there
  // were no epochs to compare, and before KIP-320 a Fetch carried no epoch at all (the
  // LastFetchedEpoch divergence check, Fetch v12, builds on KIP-320's fencing).
  const noEpochs = hasVariant(c.config, 'truncate-to-high-watermark') || hasVariant(c.config, 'no-leader-epoch-fencing');
  const lastFetchedEpoch = last === undefined || noEpochs ? UNDEFINED_EPOCH : last.partitionLeaderEpoch;
  const message = {
    type: 'Fetch' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    topic: c.topic,
    partition: c.partition,
    replicaId: c.brokerId,
    fetchOffset: logEndOffset(c.persisted.log),
    currentLeaderEpoch: fencingEpoch(c),
    lastFetchedEpoch,
    isolationLevel: 'read_uncommitted' as const,
  };
  const timer = setTimer(FETCH_TIMER, c.config['request.timeout.ms'], { type: 'FetchTimer' });
  return [withVolatile(next, { fetchCorrelationId: correlationId }), [send(leaderNode(c), message), timer]];
}

/**
 * Where to truncate given the leader's (epoch, endOffset) (`AbstractFetcherThread.
 * getOffsetTruncationState`, KIP-279). If this log has the leader's epoch, truncate to
 * the smaller end offset of the two and stop. If not, truncate to this log's end of the
 * largest smaller epoch and ask again for that epoch.
 */
export function truncationTarget(c: Ctx, leaderEpoch: number, leaderEndOffset: number): { offset: number; done: boolean } {
  const end = logEndOffset(c.persisted.log);
  if (leaderEpoch === UNDEFINED_EPOCH) return { offset: Math.min(c.volatile.highWatermark, end), done: true };
  const mine = endOffsetFor(c.persisted.leaderEpochCache, leaderEpoch, end);
  if (mine.epoch === UNDEFINED_EPOCH) return { offset: Math.min(c.volatile.highWatermark, end), done: true };
  if (mine.epoch === leaderEpoch) return { offset: Math.min(leaderEndOffset, mine.endOffset, end), done: true };
  return { offset: Math.min(mine.endOffset, end), done: false };
}

export function isTruncationComplete(c: Ctx, e: Ev<'OffsetsForLeaderEpochResponse'>): boolean {
  if (e.correlationId !== c.volatile.fetchCorrelationId || e.errorCode !== 'NONE') return false;
  return truncationTarget(c, e.leaderEpoch, e.endOffset).done;
}

export function onOffsetsForLeaderEpochResponse(c: Ctx, e: Ev<'OffsetsForLeaderEpochResponse'>): Outcome<Ctx> {
  if (e.correlationId !== c.volatile.fetchCorrelationId) return ignore(c, 'not the outstanding request');
  if (e.errorCode !== 'NONE') return backOff(c, `leader answered ${e.errorCode}`);
  const target = truncationTarget(c, e.leaderEpoch, e.endOffset);
  const [truncated, truncation] = truncateLog(c, target.offset);
  const [next, request] = target.done ? sendFetch(truncated) : sendOffsetsForLeaderEpoch(truncated);
  return acted(next, [...truncation, ...request]);
}

/** An error from the leader: wait `replica.fetch.wait.max.ms`, then ask again. */
function backOff(c: Ctx, reason: string): Outcome<Ctx> {
  const delay = Math.max(1, c.config['replica.fetch.wait.max.ms']);
  const next = withVolatile(c, { fetchCorrelationId: -1 });
  return { context: next, effects: [setTimer(FETCH_TIMER, delay, { type: 'FetchTimer' })], reason };
}

export function onTruncatingTimer(c: Ctx, _e: Ev<'FetchTimer'>): Outcome<Ctx> {
  const [next, effects] = sendOffsetsForLeaderEpoch(c);
  return acted(next, effects);
}

export function onFetchingTimer(c: Ctx, _e: Ev<'FetchTimer'>): Outcome<Ctx> {
  const [next, effects] = sendFetch(c);
  return acted(next, effects);
}

export function onFetchResponse(c: Ctx, e: Ev<'FetchResponse'>): Outcome<Ctx> {
  if (e.correlationId !== c.volatile.fetchCorrelationId) return ignore(c, 'not the outstanding fetch');
  if (e.errorCode === 'OFFSET_OUT_OF_RANGE') return onOffsetOutOfRange(c, e);
  if (e.errorCode !== 'NONE') return backOff(c, `leader answered ${e.errorCode}`);
  if (e.divergingEpoch !== null) {
    // KIP-595 / Fetch v12+: the leader saw our last epoch diverge from its log.
    const target = truncationTarget(c, e.divergingEpoch.epoch, e.divergingEpoch.endOffset);
    const [truncated, truncation] = truncateLog(c, target.offset);
    const [next, fetch] = sendFetch(truncated);
    return acted(next, [...truncation, ...fetch]);
  }
  const end = logEndOffset(c.persisted.log);
  const contiguous = contiguousFrom(e.records, end);
  const [appended, appendEffects] = appendToLog(c, contiguous);
  const newEnd = logEndOffset(appended.persisted.log);
  const hw = Math.max(appended.volatile.highWatermark, Math.min(e.highWatermark, newEnd));
  const [withHw, hwEffects] = setHighWatermark(appended, hw);
  if (contiguous.length > 0) {
    const [next, fetch] = sendFetch(withHw);
    return acted(next, [...appendEffects, ...hwEffects, ...fetch]);
  }
  const waited = backOff(withHw, 'no new data');
  return acted(waited.context, [...hwEffects, ...waited.effects]);
}

/** The batches that continue a log ending at `end`, in order, stopping at a gap. */
function contiguousFrom(batches: readonly LogBatch[], end: number): LogBatch[] {
  const result: LogBatch[] = [];
  let next = end;
  for (const batch of batches) {
    if (batch.lastOffset < next) continue;
    if (batch.baseOffset !== next) break;
    result.push(batch);
    next = batch.lastOffset + 1;
  }
  return result;
}

/**
 * We are ahead of the leader (only after an unclean election, or without epoch-based
 * truncation): truncate to the leader's high watermark, which is below its log end.
 */
function onOffsetOutOfRange(c: Ctx, e: Ev<'FetchResponse'>): Outcome<Ctx> {
  const [truncated, truncation] = truncateLog(c, Math.min(e.highWatermark, logEndOffset(c.persisted.log)));
  const [next, fetch] = sendFetch(truncated);
  return acted(next, [...truncation, ...fetch]);
}

// ---- Leader: Fetch and OffsetsForLeaderEpoch ----------------------------------------------

/** KIP-320: a request from another leader epoch is fenced. Null when it may proceed. */
function epochFencing(c: Ctx, currentLeaderEpoch: number): ErrorCode | null {
  // VARIANT no-leader-epoch-fencing (pre KIP-320, KAFKA-6880): any epoch is served.
  if (hasVariant(c.config, 'no-leader-epoch-fencing')) return null;
  if (currentLeaderEpoch === UNDEFINED_EPOCH) return null; // a client that does not fence
  if (currentLeaderEpoch < c.volatile.leaderEpoch) return 'FENCED_LEADER_EPOCH';
  if (currentLeaderEpoch > c.volatile.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
  return null;
}

function fetchResponse(c: Ctx, e: Fetch, errorCode: ErrorCode, change: Partial<FetchResponse> = {}): Effect {
  const message: FetchResponse = {
    type: 'FetchResponse',
    from: brokerNode(c.brokerId),
    correlationId: e.correlationId,
    topic: c.topic,
    partition: c.partition,
    errorCode,
    currentLeaderEpoch: c.volatile.leaderEpoch,
    highWatermark: c.volatile.highWatermark,
    lastStableOffset: lastStableOffset(txnStateFromLog(c.persisted.log), c.volatile.highWatermark),
    logStartOffset: 0,
    records: [],
    divergingEpoch: null,
    ...change,
  };
  return send(e.from, message);
}

/** Fetch at a replica that is not the leader. */
export function rejectFetch(c: Ctx, e: Ev<'Fetch'>): Outcome<Ctx> {
  return { context: c, effects: [fetchResponse(c, e, 'NOT_LEADER_OR_FOLLOWER')], reason: 'not the leader' };
}

export function onFetch(c: Ctx, e: Ev<'Fetch'>): Outcome<Ctx> {
  const fenced = epochFencing(c, e.currentLeaderEpoch);
  if (fenced !== null) return { context: c, effects: [fetchResponse(c, e, fenced)], reason: fenced };
  const isFollower = e.replicaId >= 0;
  if (isFollower && !c.volatile.followers.some((f) => f.brokerId === e.replicaId)) {
    return { context: c, effects: [fetchResponse(c, e, 'NOT_LEADER_OR_FOLLOWER')], reason: 'not a replica' };
  }
  const end = logEndOffset(c.persisted.log);
  const diverging = isFollower ? divergence(c, e) : null;
  if (diverging !== null) {
    return { context: c, effects: [fetchResponse(c, e, 'NONE', { divergingEpoch: diverging })], reason: 'diverging' };
  }
  if (e.fetchOffset > end) {
    return { context: c, effects: [fetchResponse(c, e, 'OFFSET_OUT_OF_RANGE')], reason: 'fetch offset beyond the log end' };
  }
  if (!isFollower) return acted(c, [consumerFetchResponse(c, e)]);
  const [updated, effects] = onFollowerProgress(c, e.replicaId, e.fetchOffset, e.nowMs);
  const records = readFrom(updated, e.fetchOffset, end);
  return acted(updated, [...effects, fetchResponse(updated, e, 'NONE', { records })]);
}

/** Fetch v12+: the follower's last fetched epoch ends earlier here (`Partition.readRecords`). */
function divergence(c: Ctx, e: Fetch): { epoch: number; endOffset: number } | null {
  if (e.lastFetchedEpoch === UNDEFINED_EPOCH) return null;
  const ours = endOffsetFor(c.persisted.leaderEpochCache, e.lastFetchedEpoch, logEndOffset(c.persisted.log));
  if (ours.epoch < e.lastFetchedEpoch || ours.endOffset < e.fetchOffset) return ours;
  return null;
}

function readFrom(c: Ctx, fetchOffset: number, upTo: number): LogBatch[] {
  return c.persisted.log
    .filter((b) => b.lastOffset >= fetchOffset && b.baseOffset < upTo)
    .slice(0, MAX_FETCH_BATCHES);
}

/**
 * A follower fetched at `fetchOffset` (= its LEO): record it (`Replica.updateFetchState`),
 * maybe add it to the ISR, maybe advance the high watermark.
 */
function onFollowerProgress(c: Ctx, brokerId: BrokerId, fetchOffset: number, nowMs: number): [Ctx, Effect[]] {
  const end = logEndOffset(c.persisted.log);
  const followers = c.volatile.followers.map((f) => {
    if (f.brokerId !== brokerId) return f;
    let lastCaughtUpTimeMs = f.lastCaughtUpTimeMs;
    if (fetchOffset >= end) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, f.lastFetchTimeMs);
    return { brokerId, logEndOffset: fetchOffset, lastCaughtUpTimeMs, lastFetchLeaderLogEndOffset: end, lastFetchTimeMs: nowMs };
  });
  const next = withVolatile(c, { followers });
  const [expanded, expandEffects] = maybeExpandIsr(next, brokerId, nowMs);
  const [done, hwEffects] = maybeIncrementHighWatermark(expanded, nowMs);
  return [done, [...expandEffects, ...hwEffects]];
}

/**
 * `Partition.isFollowerInSync`: a follower may join the ISR once its LEO reaches the HW
 * and the start offset of the leader's current epoch.
 */
export function canJoinIsr(c: Ctx, follower: FollowerState): boolean {
  if (follower.logEndOffset < c.volatile.highWatermark) return false;
  // VARIANT no-isr-join-epoch-check (KAFKA-7128): a new leader's HW may lag, so without
  // this check a follower missing records committed in the previous epoch joins the ISR.
  if (hasVariant(c.config, 'no-isr-join-epoch-check')) return true;
  const epochStart = startOffsetOf(c.persisted.leaderEpochCache, c.volatile.leaderEpoch);
  return follower.logEndOffset >= epochStart;
}

function maybeExpandIsr(c: Ctx, brokerId: BrokerId, nowMs: number): [Ctx, Effect[]] {
  const v = c.volatile;
  if (v.pendingIsr !== null || v.isr.includes(brokerId)) return [c, []];
  const follower = v.followers.find((f) => f.brokerId === brokerId);
  if (follower === undefined || !canJoinIsr(c, follower)) return [c, []];
  return sendAlterPartition(c, sortedIds([...v.isr, brokerId]), nowMs);
}

function sendAlterPartition(c: Ctx, newIsr: readonly BrokerId[], nowMs: number): [Ctx, Effect[]] {
  const [next, correlationId] = nextCorrelation(c);
  const message = {
    type: 'AlterPartition' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    topic: c.topic,
    partition: c.partition,
    brokerId: c.brokerId,
    leaderEpoch: c.volatile.leaderEpoch,
    newIsr,
    partitionEpoch: c.volatile.partitionEpoch,
  };
  return [withVolatile(next, { pendingIsr: { newIsr, correlationId, sentMs: nowMs } }), [send(CONTROLLER, message)]];
}

/** The ISR plus pending additions (KIP-497's "maximal ISR"): what the HW must wait for. */
export function maximalIsr(c: Ctx): BrokerId[] {
  return sortedIds([...c.volatile.isr, ...(c.volatile.pendingIsr?.newIsr ?? [])]);
}

/**
 * `Partition.maybeIncrementLeaderHW`: HW = min LEO over the maximal ISR. Under KIP-966
 * (eligible leader replicas enabled) it does not advance while the ISR is below
 * min.insync.replicas, so replicas dropped from the ISR still hold every committed record.
 */
function maybeIncrementHighWatermark(c: Ctx, nowMs: number): [Ctx, Effect[]] {
  const v = c.volatile;
  if (c.config['eligible.leader.replicas.enable'] && v.isr.length < effectiveMinIsr(c.config)) return [c, []];
  let hw = logEndOffset(c.persisted.log);
  for (const id of maximalIsr(c)) {
    if (id === c.brokerId) continue;
    const f = v.followers.find((x) => x.brokerId === id);
    hw = Math.min(hw, f === undefined ? -1 : f.logEndOffset);
  }
  if (hw <= v.highWatermark) return [c, []];
  const [raised, effects] = setHighWatermark(c, hw);
  const [done, completions] = completePendingProduces(raised, nowMs);
  return [done, [...effects, ...completions]];
}

/** `DelayedProduce`: answer every waiting acks=all produce the HW has passed. */
function completePendingProduces(c: Ctx, _nowMs: number): [Ctx, Effect[]] {
  const hw = c.volatile.highWatermark;
  const done = c.volatile.pendingProduces.filter((p) => p.lastOffset < hw);
  if (done.length === 0) return [c, []];
  const errorCode = enoughReplicasAfterAppend(c) ? 'NONE' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';
  const effects: Effect[] = [];
  for (const p of done) {
    effects.push(cancelTimer(produceTimerId(p.from, p.correlationId)));
    effects.push(answerPending(c, p, errorCode, p.baseOffset));
  }
  const pendingProduces = c.volatile.pendingProduces.filter((p) => p.lastOffset >= hw);
  return [withVolatile(c, { pendingProduces }), effects];
}

/** `Partition.checkEnoughReplicasReachOffset`: the maximal ISR is still ≥ min ISR. */
function enoughReplicasAfterAppend(c: Ctx): boolean {
  return maximalIsr(c).length >= effectiveMinIsr(c.config);
}

export function onOffsetsForLeaderEpoch(c: Ctx, e: Ev<'OffsetsForLeaderEpoch'>): Outcome<Ctx> {
  const fenced = epochFencing(c, e.currentLeaderEpoch);
  const answer = fenced === null ? endOffsetFor(c.persisted.leaderEpochCache, e.leaderEpoch, logEndOffset(c.persisted.log)) : null;
  const message: OffsetsForLeaderEpochResponse = {
    type: 'OffsetsForLeaderEpochResponse',
    from: brokerNode(c.brokerId),
    correlationId: e.correlationId,
    topic: c.topic,
    partition: c.partition,
    errorCode: fenced ?? 'NONE',
    leaderEpoch: answer?.epoch ?? UNDEFINED_EPOCH,
    endOffset: answer?.endOffset ?? -1,
  };
  return { context: c, effects: [send(e.from, message)], reason: fenced };
}

export function rejectOffsetsForLeaderEpoch(c: Ctx, e: Ev<'OffsetsForLeaderEpoch'>): Outcome<Ctx> {
  const message: OffsetsForLeaderEpochResponse = {
    type: 'OffsetsForLeaderEpochResponse',
    from: brokerNode(c.brokerId),
    correlationId: e.correlationId,
    topic: c.topic,
    partition: c.partition,
    errorCode: 'NOT_LEADER_OR_FOLLOWER',
    leaderEpoch: UNDEFINED_EPOCH,
    endOffset: -1,
  };
  return { context: c, effects: [send(e.from, message)], reason: 'not the leader' };
}

// ---- Leader: Produce -----------------------------------------------------------------

function produceResponse(c: Ctx, to: string, correlationId: number, errorCode: ErrorCode, baseOffset: number): Effect {
  return send(to, {
    type: 'ProduceResponse',
    from: brokerNode(c.brokerId),
    correlationId,
    topic: c.topic,
    partition: c.partition,
    errorCode,
    baseOffset,
  });
}

function rejectProduce(c: Ctx, e: Produce, errorCode: ErrorCode, reason: string): Outcome<Ctx> {
  // acks=0: Kafka sends no response (it closes the connection on error).
  const effects = e.acks === 0 ? [] : [produceResponse(c, e.from, e.correlationId, errorCode, -1)];
  return { context: c, effects, reason };
}

export function rejectProduceNotLeader(c: Ctx, e: Ev<'Produce'>): Outcome<Ctx> {
  return rejectProduce(c, e, 'NOT_LEADER_OR_FOLLOWER', 'not the leader');
}

/** `ReplicaManager.appendRecords` + `Partition.appendRecordsToLeader` + `DelayedProduce`. */
export function onProduce(c: Ctx, e: Ev<'Produce'>): Outcome<Ctx> {
  const batch = e.records;
  if (batch.records.length === 0 || batch.isControl) return rejectProduce(c, e, 'INVALID_RECORD', 'empty or control batch');
  if (batch.producerId >= 0 && batch.baseSequence < 0 && !isCoordinatorOrigin(e)) return rejectProduce(c, e, 'INVALID_RECORD', 'producer id without sequence');
  if (e.acks === -1 && c.volatile.isr.length < effectiveMinIsr(c.config)) {
    return rejectProduce(c, e, 'NOT_ENOUGH_REPLICAS', 'ISR below min.insync.replicas before append');
  }
  return transactionalCheck(c, e, false) ?? appendProduce(c, e);
}

/** The idempotence checks, then the append (`UnifiedLog.append`). */
function appendProduce(c: Ctx, e: Ev<'Produce'>): Outcome<Ctx> {
  const batch = e.records;
  // A coordinator's own append (transactional offsets) is not sequence-checked.
  const check = isCoordinatorOrigin(e) ? ({ kind: 'append' } as const) : checkProducerBatch(c.persisted.producers, batch);
  if (check.kind === 'reject') return rejectProduce(c, e, check.errorCode, check.reason);
  if (check.kind === 'duplicate') {
    // Answered with the original offsets, but still only once the HW passes them.
    return acknowledge(c, e, check.original.firstOffset, check.original.lastOffset, []);
  }
  const placed = placeBatch(batch, logEndOffset(c.persisted.log), c.volatile.leaderEpoch);
  const [appended, appendEffects] = appendToLog(c, [placed]);
  const [raised, hwEffects] = maybeIncrementHighWatermark(appended, e.nowMs);
  return acknowledge(raised, e, placed.baseOffset, placed.lastOffset, [...appendEffects, ...hwEffects]);
}

/** acks=0: no answer; acks=1: answer now; acks=all: answer once HW > lastOffset. */
function acknowledge(c: Ctx, e: Produce, baseOffset: number, lastOffset: number, effects: Effect[]): Outcome<Ctx> {
  if (e.acks === 0) return acted(c, effects);
  if (e.acks === 1) return acted(c, [...effects, produceResponse(c, e.from, e.correlationId, 'NONE', baseOffset)]);
  if (c.volatile.highWatermark > lastOffset) {
    const errorCode = enoughReplicasAfterAppend(c) ? 'NONE' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';
    return acted(c, [...effects, produceResponse(c, e.from, e.correlationId, errorCode, baseOffset)]);
  }
  const pending: PendingProduce = { from: e.from, correlationId: e.correlationId, baseOffset, lastOffset };
  const others = c.volatile.pendingProduces.filter((p) => !(p.from === e.from && p.correlationId === e.correlationId));
  const next = withVolatile(c, { pendingProduces: [...others, pending] });
  const timer = setTimer(produceTimerId(e.from, e.correlationId), e.timeoutMs, {
    type: 'ProduceTimeout',
    from: e.from,
    correlationId: e.correlationId,
  } as { type: string });
  return acted(next, [...effects, timer]);
}

export function onProduceTimeout(c: Ctx, e: Ev<'ProduceTimeout'>): Outcome<Ctx> {
  const found = c.volatile.pendingProduces.find((p) => p.from === e.from && p.correlationId === e.correlationId);
  if (found === undefined) return ignore(c, 'produce already answered');
  const pendingProduces = c.volatile.pendingProduces.filter((p) => p !== found);
  const response = answerPending(c, found, 'REQUEST_TIMED_OUT', -1);
  return acted(withVolatile(c, { pendingProduces }), [response]);
}

// ---- Transactions (the partition side: txn-partition.ts) ---------------------------------

/**
 * A Produce from a broker is a coordinator's internal append (Kafka's
 * `AppendOrigin.COORDINATOR`: the group coordinator's transactional offset commits): its
 * batches carry the producer's id and epoch without sequence numbers.
 */
function isCoordinatorOrigin(e: Produce): boolean {
  return brokerIdOf(e.from) >= 0;
}

export function verificationTimerId(correlationId: number): string {
  return `verify/${correlationId}`;
}

/** Answer a request waiting for the HW: a Produce, or a WriteTxnMarkers. */
function answerPending(c: Ctx, p: PendingProduce, errorCode: ErrorCode, baseOffset: number): Effect {
  if (p.markerProducerId === undefined) return produceResponse(c, p.from, p.correlationId, errorCode, baseOffset);
  return markerResponse(c, p.from, p.correlationId, p.markerProducerId, errorCode);
}

function markerResponse(c: Ctx, to: string, correlationId: number, producerId: number, errorCode: ErrorCode): Effect {
  return send(to, { type: 'WriteTxnMarkersResponse', from: brokerNode(c.brokerId), correlationId, topic: c.topic, partition: c.partition, producerId, errorCode });
}

/**
 * KIP-98/890 checks before the idempotence ones; null = go on. A transactional batch that
 * would open a transaction is first verified with the coordinator (KIP-890 part 1), whose
 * address the host resolves like the broker's metadata cache does.
 */
function transactionalCheck(c: Ctx, e: Produce, verified: boolean): Outcome<Ctx> | null {
  // VARIANT no-partition-verification (KIP-890 part 1 off): the first write is not verified.
  const verification = !hasVariant(c.config, 'no-partition-verification');
  const check = checkTransactionalProduce(txnStateFromLog(c.persisted.log), e.records, { verification, verified });
  if (check.kind === 'append') return null;
  if (check.kind === 'reject') return rejectProduce(c, e, check.errorCode, check.reason);
  if (e.transactionalId === null) return rejectProduce(c, e, 'INVALID_TXN_STATE', 'transactional batch without a transactional id');
  const [next, correlationId] = nextCorrelation(c);
  const ask = {
    type: 'AddPartitionsToTxn' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    transactionalId: e.transactionalId,
    producerId: e.records.producerId,
    producerEpoch: e.records.producerEpoch,
    verifyOnly: true,
    partitions: [{ topic: c.topic, partition: c.partition }],
  };
  const pending = withVolatile(next, { pendingVerifications: [...next.volatile.pendingVerifications, { correlationId, produce: e }] });
  const timer = setTimer(verificationTimerId(correlationId), c.config['request.timeout.ms'], { type: 'VerificationTimeout', correlationId } as { type: string });
  return { context: pending, effects: [send(transactionCoordinatorOf(e.transactionalId), ask), timer], reason: 'verifying with the coordinator (KIP-890)' };
}

/** The coordinator's VerifyOnly answer: append the held Produce, or refuse it. */
export function onAddPartitionsToTxnResponse(c: Ctx, e: Ev<'AddPartitionsToTxnResponse'>): Outcome<Ctx> {
  const held = c.volatile.pendingVerifications.find((v) => v.correlationId === e.correlationId);
  if (held === undefined) return ignore(c, 'not an outstanding verification');
  const next = withVolatile(c, { pendingVerifications: c.volatile.pendingVerifications.filter((v) => v !== held) });
  const cancel = cancelTimer(verificationTimerId(e.correlationId));
  const error = e.results[0]?.errorCode ?? e.errorCode;
  const produce = { ...held.produce, nowMs: e.nowMs };
  const outcome =
    error !== 'NONE'
      ? rejectProduce(next, produce, verificationError(error), `verification: ${error}`)
      : held.guardCleared === true
        ? rejectProduce(next, produce, 'INVALID_TXN_STATE', 'a marker cleared the verification guard (UnifiedLog: the guard no longer matches)')
        : (transactionalCheck(next, produce, true) ?? appendProduce(next, produce));
  return { ...outcome, effects: [cancel, ...outcome.effects] };
}

/** What the producer is told when verification fails (`AddPartitionsToTxnManager`). */
function verificationError(error: ErrorCode): ErrorCode {
  if (error === 'PRODUCER_FENCED' || error === 'INVALID_PRODUCER_EPOCH') return 'INVALID_PRODUCER_EPOCH';
  if (error === 'INVALID_TXN_STATE' || error === 'INVALID_PRODUCER_ID_MAPPING') return 'INVALID_TXN_STATE';
  return 'NOT_ENOUGH_REPLICAS'; // the coordinator could not answer: retriable, nothing appended
}

export function onVerificationTimeout(c: Ctx, e: Ev<'VerificationTimeout'>): Outcome<Ctx> {
  const held = c.volatile.pendingVerifications.find((v) => v.correlationId === e.correlationId);
  if (held === undefined) return ignore(c, 'verification already answered');
  const next = withVolatile(c, { pendingVerifications: c.volatile.pendingVerifications.filter((v) => v !== held) });
  return rejectProduce(next, held.produce, 'NOT_ENOUGH_REPLICAS', 'verification timed out');
}

/** WriteTxnMarkers (coordinator origin): fenced by coordinator epoch, appended with acks=all. */
export function onWriteTxnMarkers(c: Ctx, e: Ev<'WriteTxnMarkers'>): Outcome<Ctx> {
  const check = checkMarker(txnStateFromLog(c.persisted.log), e);
  if (check.kind === 'reject') return { context: c, effects: [markerResponse(c, e.from, e.correlationId, e.producerId, check.errorCode)], reason: check.reason };
  if (c.volatile.isr.length < effectiveMinIsr(c.config)) {
    return { context: c, effects: [markerResponse(c, e.from, e.correlationId, e.producerId, 'NOT_ENOUGH_REPLICAS')], reason: 'ISR below min.insync.replicas' };
  }
  const placed = placeBatch(check.batch, logEndOffset(c.persisted.log), c.volatile.leaderEpoch);
  const [appended, appendEffects] = appendToLog(clearVerificationGuards(c, e.producerId), [placed]);
  const [raised, hwEffects] = maybeIncrementHighWatermark(appended, e.nowMs);
  const effects = [...appendEffects, ...hwEffects];
  if (raised.volatile.highWatermark > placed.lastOffset) return acted(raised, [...effects, markerResponse(c, e.from, e.correlationId, e.producerId, 'NONE')]);
  const pending: PendingProduce = { from: e.from, correlationId: e.correlationId, baseOffset: placed.baseOffset, lastOffset: placed.lastOffset, markerProducerId: e.producerId };
  const next = withVolatile(raised, { pendingProduces: [...raised.volatile.pendingProduces, pending] });
  const timer = setTimer(produceTimerId(e.from, e.correlationId), c.config['request.timeout.ms'], { type: 'ProduceTimeout', from: e.from, correlationId: e.correlationId } as { type: string });
  return acted(next, [...effects, timer]);
}

/** A marker ends the producer's transaction here: its outstanding verifications no longer hold. */
function clearVerificationGuards(c: Ctx, producerId: number): Ctx {
  const pending = c.volatile.pendingVerifications;
  if (!pending.some((v) => v.produce.records.producerId === producerId && v.guardCleared !== true)) return c;
  return withVolatile(c, { pendingVerifications: pending.map((v) => (v.produce.records.producerId === producerId ? { ...v, guardCleared: true as const } : v)) });
}

export function rejectWriteTxnMarkers(c: Ctx, e: Ev<'WriteTxnMarkers'>): Outcome<Ctx> {
  return { context: c, effects: [markerResponse(c, e.from, e.correlationId, e.producerId, 'NOT_LEADER_OR_FOLLOWER')], reason: 'not the leader' };
}

/** A consumer's Fetch: up to the HW, or the LSO with the AbortedTransactions under read_committed. */
function consumerFetchResponse(c: Ctx, e: Fetch): Effect {
  const state = txnStateFromLog(c.persisted.log);
  const lso = lastStableOffset(state, c.volatile.highWatermark);
  const committed = e.isolationLevel === 'read_committed';
  const upTo = committed ? lso : c.volatile.highWatermark;
  const aborted = committed ? abortedTransactions(state, e.fetchOffset, upTo) : [];
  return fetchResponse(c, e, 'NONE', { records: readFrom(c, e.fetchOffset, upTo), lastStableOffset: lso, abortedTransactions: aborted });
}

// ---- Leader: ISR maintenance ---------------------------------------------------------

/** `Partition.maybeShrinkIsr`, every replica.lag.time.max.ms / 2. */
export function onIsrCheck(c: Ctx, e: Ev<'IsrCheckTimer'>): Outcome<Ctx> {
  const effects: Effect[] = [setTimer(ISR_CHECK_TIMER, isrCheckInterval(c), { type: 'IsrCheckTimer' })];
  let next = c;
  const pending = c.volatile.pendingIsr;
  if (pending !== null && e.nowMs - pending.sentMs >= c.config['request.timeout.ms']) {
    next = withVolatile(next, { pendingIsr: null }); // the AlterPartition or its answer was lost
  }
  if (next.volatile.pendingIsr !== null) return { context: next, effects, reason: 'AlterPartition in flight' };
  const lag = c.config['replica.lag.time.max.ms'];
  const outOfSync = next.volatile.followers.filter(
    (f) => next.volatile.isr.includes(f.brokerId) && e.nowMs - f.lastCaughtUpTimeMs > lag,
  );
  if (outOfSync.length === 0) return { context: next, effects, reason: next === c ? 'ISR in sync' : null };
  const newIsr = next.volatile.isr.filter((id) => !outOfSync.some((f) => f.brokerId === id));
  const [sent, alter] = sendAlterPartition(next, newIsr, e.nowMs);
  return acted(sent, [...effects, ...alter]);
}

export function onAlterPartitionResponse(c: Ctx, e: Ev<'AlterPartitionResponse'>): Outcome<Ctx> {
  const pending = c.volatile.pendingIsr;
  if (pending === null || pending.correlationId !== e.correlationId) return ignore(c, 'not the outstanding AlterPartition');
  const cleared = withVolatile(c, { pendingIsr: null });
  if (e.errorCode !== 'NONE') return { context: cleared, effects: [], reason: `controller answered ${e.errorCode}` };
  if (e.leaderEpoch !== c.volatile.leaderEpoch || e.partitionEpoch <= c.volatile.partitionEpoch) {
    return { context: cleared, effects: [], reason: 'answer is about an older partition state' };
  }
  const next = withVolatile(cleared, { isr: sortedIds(e.isr), partitionEpoch: e.partitionEpoch });
  const [done, effects] = maybeIncrementHighWatermark(next, e.nowMs);
  return acted(done, effects);
}

// ---- Metadata ---------------------------------------------------------------------------

export function onMetadata(c: Ctx, e: Ev<'Metadata'>): Outcome<Ctx> {
  const known = c.volatile.leaderId !== NO_LEADER;
  const message = {
    type: 'MetadataResponse' as const,
    from: brokerNode(c.brokerId),
    correlationId: e.correlationId,
    topic: c.topic,
    partition: c.partition,
    errorCode: known ? ('NONE' as const) : ('LEADER_NOT_AVAILABLE' as const),
    leaderId: c.volatile.leaderId,
    leaderEpoch: c.volatile.leaderEpoch,
  };
  return acted(c, [send(e.from, message)]);
}

// ---- The machine ----------------------------------------------------------------------

const is =
  (decision: LeaderAndIsrDecision) =>
  ({ context, event }: { context: Ctx; event: ReplicaEvent }): boolean =>
    event.type === 'LeaderAndIsr' && decideLeaderAndIsr(context, event) === decision;

export const replicaMachine = setup({
  types: {} as {
    context: ReplicaContext;
    input: ReplicaInput;
    events: ReplicaEvent;
    emitted: Effect;
  },
  guards: {
    makesLeader: is('leader'),
    makesFollower: is('follower'),
    makesLeaderless: is('no-leader'),
    followerLogIsEmpty: ({ context }) => latestEpoch(context.persisted.leaderEpochCache) === UNDEFINED_EPOCH,
    truncatesToHighWatermark: ({ context }) => hasVariant(context.config, 'truncate-to-high-watermark'),
    truncationComplete: ({ context, event }) =>
      event.type === 'OffsetsForLeaderEpochResponse' && isTruncationComplete(context, event),
  },
  actions: {
    becomeLeader: perform(becomeLeader),
    becomeFollower: perform(becomeFollower),
    onLeaderAndIsrUpdate: perform(onLeaderAndIsrUpdate),
    onProduce: perform(onProduce),
    rejectProduceNotLeader: perform(rejectProduceNotLeader),
    onProduceTimeout: perform(onProduceTimeout),
    onFetch: perform(onFetch),
    rejectFetch: perform(rejectFetch),
    onOffsetsForLeaderEpoch: perform(onOffsetsForLeaderEpoch),
    rejectOffsetsForLeaderEpoch: perform(rejectOffsetsForLeaderEpoch),
    onIsrCheck: perform(onIsrCheck),
    onAlterPartitionResponse: perform(onAlterPartitionResponse),
    onOffsetsForLeaderEpochResponse: perform(onOffsetsForLeaderEpochResponse),
    onTruncatingTimer: perform(onTruncatingTimer),
    onFetchingTimer: perform(onFetchingTimer),
    onFetchResponse: perform(onFetchResponse),
    onMetadata: perform(onMetadata),
    onWriteTxnMarkers: perform(onWriteTxnMarkers),
    rejectWriteTxnMarkers: perform(rejectWriteTxnMarkers),
    onAddPartitionsToTxnResponse: perform(onAddPartitionsToTxnResponse),
    onVerificationTimeout: perform(onVerificationTimeout),
  },
}).createMachine({
  id: 'replica',
  context: ({ input }) => initialContext(input),
  initial: 'unassigned',
  on: {
    LeaderAndIsr: [
      { guard: 'makesLeader', target: '.leader', actions: 'becomeLeader' },
      { guard: 'makesLeaderless', target: '.follower.noLeader', actions: 'becomeFollower' },
      // Without epochs to compare (empty log, or pre KIP-101) the follower fetches at once.
      {
        guard: and(['makesFollower', or(['truncatesToHighWatermark', 'followerLogIsEmpty'])]),
        target: '.follower.fetching',
        actions: 'becomeFollower',
      },
      { guard: 'makesFollower', target: '.follower.truncating', actions: 'becomeFollower' },
      { actions: 'onLeaderAndIsrUpdate' },
    ],
    Metadata: { actions: 'onMetadata' },
  },
  states: {
    /** Started (or restarted): waiting for the controller to say who leads. */
    unassigned: {
      on: {
        WriteTxnMarkers: { actions: 'rejectWriteTxnMarkers' },
        Produce: { actions: 'rejectProduceNotLeader' },
        Fetch: { actions: 'rejectFetch' },
        OffsetsForLeaderEpoch: { actions: 'rejectOffsetsForLeaderEpoch' },
      },
    },
    leader: {
      on: {
        Produce: { actions: 'onProduce' },
        ProduceTimeout: { actions: 'onProduceTimeout' },
        Fetch: { actions: 'onFetch' },
        OffsetsForLeaderEpoch: { actions: 'onOffsetsForLeaderEpoch' },
        IsrCheckTimer: { actions: 'onIsrCheck' },
        AlterPartitionResponse: { actions: 'onAlterPartitionResponse' },
        WriteTxnMarkers: { actions: 'onWriteTxnMarkers' },
        AddPartitionsToTxnResponse: { actions: 'onAddPartitionsToTxnResponse' },
        VerificationTimeout: { actions: 'onVerificationTimeout' },
      },
    },
    follower: {
      initial: 'fetching',
      on: {
        WriteTxnMarkers: { actions: 'rejectWriteTxnMarkers' },
        Produce: { actions: 'rejectProduceNotLeader' },
        Fetch: { actions: 'rejectFetch' },
        OffsetsForLeaderEpoch: { actions: 'rejectOffsetsForLeaderEpoch' },
      },
      states: {
        /** The leader is gone and no replica may lead (offline partition). */
        noLeader: {},
        /** Finding where this log diverges from the leader's (OffsetsForLeaderEpoch). */
        truncating: {
          on: {
            OffsetsForLeaderEpochResponse: [
              { guard: 'truncationComplete', target: 'fetching', actions: 'onOffsetsForLeaderEpochResponse' },
              { actions: 'onOffsetsForLeaderEpochResponse' },
            ],
            FetchTimer: { actions: 'onTruncatingTimer' },
          },
        },
        /** Copying the leader's log from our log end offset. */
        fetching: {
          on: {
            FetchResponse: { actions: 'onFetchResponse' },
            FetchTimer: { actions: 'onFetchingTimer' },
          },
        },
      },
    },
  },
});

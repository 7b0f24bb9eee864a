/**
 * # The consumer client
 *
 * Kafka's `KafkaConsumer` (classic group protocol) as a pure machine, one record batch
 * list per partition and poll:
 *
 * - **assign** (manual assignment: positions from the group's committed offsets when a
 *   group id is set, else from 0) or **subscribe** (group membership: FindCoordinator,
 *   JoinGroup, the leader assigns partitions round-robin in SyncGroup, heartbeats every
 *   session.timeout.ms / 3, and a rejoin on REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or
 *   UNKNOWN_MEMBER_ID). A newly assigned partition starts at its committed offset
 *   (OffsetFetch with RequireStable: UNSTABLE_OFFSET_COMMIT is retried, KIP-447) or at 0
 *   (`auto.offset.reset=earliest`).
 * - **poll** fetches every assigned partition with a position from its leader (learned
 *   by Metadata), with `isolation.level`. read_committed: the leader answers up to the
 *   last stable offset with the AbortedTransactions list, and the consumer drops aborted
 *   data and control records (txn-partition.ts `filterReadCommitted`); read_uncommitted
 *   hides control records only. The position moves past everything looked at.
 * - **seek** sets a position; **seekToCommitted** resets every position to the group's
 *   committed offset: what a consume-transform-produce application does after aborting a
 *   transaction, so the aborted input is processed again.
 * - **commitSync** commits the current positions (OffsetCommit with the generation).
 *
 * History (`client` effects): `assign`/`subscribe` ops (invoke and ok, value = the keys; the
 * keys are not micro-operations, hence a cast at this one seam), and `poll` ops:
 * invoke, then ok with `[['poll', {key: [[offset, value], ...]}]]`.
 *
 * Every event carries `nowMs`. Timers: `ConsumerHeartbeatTimer`, `ConsumerRequestTimeout`,
 * `ConsumerBackoff`, `PollTimeout`.
 */
import { setup } from 'xstate';
import type { ClientEvent, Process } from '../protocol/client.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import {
  type GroupTopicPartition,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
  type SyncGroupResponse,
  UNKNOWN_MEMBER_ID,
} from '../protocol/group-messages.ts';
import { topicPartitionName } from '../protocol/log.ts';
import { type Delivered, type FetchResponse, type MetadataResponse, type NodeId, CONSUMER_REPLICA_ID, brokerNode } from '../protocol/messages.ts';
import { type FindCoordinatorResponse, COORDINATOR_GROUP } from '../protocol/txn-messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, cancelTimer, ignore, perform, send, setTimer } from './machine-kit.ts';
import { type AbortedTransaction, filterReadCommitted, filterReadUncommitted } from './txn-partition.ts';

export interface ConsumerPartition extends GroupTopicPartition {
  readonly leader: number;
  /** The next offset to read; -1 until known (committed offset being fetched). */
  readonly position: number;
  readonly metadataCorrelationId: number;
  readonly fetchCorrelationId: number;
}

export type GroupRequestKind = 'FindCoordinator' | 'JoinGroup' | 'SyncGroup' | 'OffsetFetch' | 'OffsetCommit' | 'Heartbeat';

export interface ConsumerContext {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly bootstrapBrokers: readonly number[];
  readonly groupId: string | null;
  readonly mode: 'none' | 'assign' | 'subscribe';
  readonly process: Process;
  /** subscribe: the partitions this consumer can consume (resolved subscription). */
  readonly subscription: readonly GroupTopicPartition[];
  /** By (topic, partition). */
  readonly partitions: readonly ConsumerPartition[];
  readonly coordinator: number;
  readonly memberId: string;
  readonly generationId: number;
  /** subscribe: a (re)join is needed. */
  readonly needsJoin: boolean;
  readonly joinMembers: readonly { readonly memberId: string; readonly subscription: readonly GroupTopicPartition[] }[] | null;
  readonly groupRequest: { readonly kind: GroupRequestKind; readonly correlationId: number; readonly tp: GroupTopicPartition | null } | null;
  /** Commit requested: the partitions still to commit. */
  readonly toCommit: readonly GroupTopicPartition[];
  readonly heartbeatDue: boolean;
  readonly nextCorrelationId: number;
  readonly cursor: number;
  readonly poll: { readonly process: Process; readonly records: Readonly<Record<string, readonly (readonly [number, string])[]>>; readonly waiting: readonly string[] } | null;
}

export interface ConsumerInput {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly bootstrapBrokers: readonly number[];
  readonly groupId: string | null;
}

type App<T extends string, X = object> = { readonly type: T; readonly nowMs: number } & X;
export type Assign = App<'Assign', { readonly process: Process; readonly partitions: readonly GroupTopicPartition[] }>;
export type Subscribe = App<'Subscribe', { readonly process: Process; readonly partitions: readonly GroupTopicPartition[] }>;
export type Poll = App<'Poll', { readonly process: Process }>;
export type Seek = App<'Seek', { readonly topic: string; readonly partition: number; readonly offset: number }>;
export type SeekToCommitted = App<'SeekToCommitted'>;
export type CommitSync = App<'CommitSync'>;
export type ConsumerHeartbeatTimer = App<'ConsumerHeartbeatTimer'>;
export type ConsumerRequestTimeout = App<'ConsumerRequestTimeout', { readonly correlationId: number }>;
export type ConsumerBackoff = App<'ConsumerBackoff'>;
export type PollTimeout = App<'PollTimeout'>;

export type ConsumerEvent =
  | Assign
  | Subscribe
  | Poll
  | Seek
  | SeekToCommitted
  | CommitSync
  | Delivered<FindCoordinatorResponse>
  | Delivered<JoinGroupResponse>
  | Delivered<SyncGroupResponse>
  | Delivered<HeartbeatResponse>
  | Delivered<OffsetFetchResponse>
  | Delivered<OffsetCommitResponse>
  | Delivered<MetadataResponse>
  | Delivered<FetchResponse>
  | ConsumerHeartbeatTimer
  | ConsumerRequestTimeout
  | ConsumerBackoff
  | PollTimeout;

type Ctx = ConsumerContext;
type Ev<T extends ConsumerEvent['type']> = Extract<ConsumerEvent, { type: T }>;

export const HEARTBEAT_TIMER = 'consumer-heartbeat';
export const GROUP_REQUEST_TIMER = 'consumer-group-request';
export const BACKOFF_TIMER = 'consumer-backoff';
export const POLL_TIMER = 'consumer-poll';

const REJOIN: readonly ErrorCode[] = ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'];

// ---- Helpers ---------------------------------------------------------------------------------

function key(p: GroupTopicPartition): string {
  return topicPartitionName(p.topic, p.partition);
}

function sameTp(a: GroupTopicPartition, b: GroupTopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}

function correlation(c: Ctx): [Ctx, number] {
  return [{ ...c, nextCorrelationId: c.nextCorrelationId + 1 }, c.nextCorrelationId];
}

function putPartition(c: Ctx, p: ConsumerPartition): Ctx {
  return { ...c, partitions: c.partitions.map((q) => (sameTp(q, p) ? p : q)) };
}

function fresh(p: GroupTopicPartition, position: number): ConsumerPartition {
  return { topic: p.topic, partition: p.partition, leader: -1, position, metadataCorrelationId: -1, fetchCorrelationId: -1 };
}

function sorted(ps: readonly GroupTopicPartition[]): GroupTopicPartition[] {
  return [...ps].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

function clientOp(event: ClientEvent): Effect {
  return { type: 'client', event };
}

function backoff(c: Ctx): Effect {
  return setTimer(BACKOFF_TIMER, Math.max(1, c.config['retry.backoff.ms']), { type: 'ConsumerBackoff' });
}

/** The leader's assignment (round-robin over the sorted partitions, members by id). */
export function assignRoundRobin(members: readonly { memberId: string; subscription: readonly GroupTopicPartition[] }[]): { memberId: string; partitions: GroupTopicPartition[] }[] {
  const ids = [...members].map((m) => m.memberId).sort();
  const all: GroupTopicPartition[] = [];
  for (const m of members) for (const p of m.subscription) if (!all.some((q) => sameTp(p, q))) all.push(p);
  const result = ids.map((memberId) => ({ memberId, partitions: [] as GroupTopicPartition[] }));
  sorted(all).forEach((p, i) => {
    const candidates = result.filter((r) => members.find((m) => m.memberId === r.memberId)?.subscription.some((q) => sameTp(p, q)));
    const target = candidates[i % Math.max(1, candidates.length)];
    target?.partitions.push(p);
  });
  return result;
}

// ---- Start and application calls ---------------------------------------------------------------------

function initialContext(input: ConsumerInput): Ctx {
  return {
    config: input.config,
    clientId: input.clientId,
    bootstrapBrokers: [...input.bootstrapBrokers],
    groupId: input.groupId,
    mode: 'none',
    process: input.clientId,
    subscription: [],
    partitions: [],
    coordinator: -1,
    memberId: UNKNOWN_MEMBER_ID,
    generationId: -1,
    needsJoin: false,
    joinMembers: null,
    groupRequest: null,
    toCommit: [],
    heartbeatDue: false,
    nextCorrelationId: 0,
    cursor: 0,
    poll: null,
  };
}

export function onAssign(c: Ctx, e: Ev<'Assign'>): Outcome<Ctx> {
  if (c.mode === 'subscribe') return ignore(c, 'already subscribed');
  const needsCommitted = c.groupId !== null;
  const partitions = sorted(e.partitions).map((p) => fresh(p, needsCommitted ? -1 : 0));
  const keys = partitions.map(key) as never;
  const ops = [clientOp({ process: e.process, type: 'invoke', f: 'assign', value: keys }), clientOp({ process: e.process, type: 'ok', f: 'assign', value: keys })];
  return pumped({ ...c, mode: 'assign', process: e.process, partitions }, ops);
}

export function onSubscribe(c: Ctx, e: Ev<'Subscribe'>): Outcome<Ctx> {
  if (c.groupId === null || c.mode === 'assign') return ignore(c, 'subscribe needs a group id and no manual assignment');
  const keys = sorted(e.partitions).map(key) as never;
  const ops = [clientOp({ process: e.process, type: 'invoke', f: 'subscribe', value: keys }), clientOp({ process: e.process, type: 'ok', f: 'subscribe', value: keys })];
  const heartbeat = setTimer(HEARTBEAT_TIMER, heartbeatInterval(c), { type: 'ConsumerHeartbeatTimer' });
  return pumped({ ...c, mode: 'subscribe', process: e.process, subscription: sorted(e.partitions), needsJoin: true }, [...ops, heartbeat]);
}

export function onSeek(c: Ctx, e: Ev<'Seek'>): Outcome<Ctx> {
  const p = c.partitions.find((q) => sameTp(q, e));
  if (p === undefined) return ignore(c, 'partition not assigned');
  return acted(putPartition(c, { ...p, position: e.offset }), []);
}

export function onSeekToCommitted(c: Ctx, _e: Ev<'SeekToCommitted'>): Outcome<Ctx> {
  if (c.groupId === null) return ignore(c, 'no group: nothing committed');
  return pumped({ ...c, partitions: c.partitions.map((p) => ({ ...p, position: -1, fetchCorrelationId: -1 })) }, []);
}

export function onCommitSync(c: Ctx, _e: Ev<'CommitSync'>): Outcome<Ctx> {
  if (c.groupId === null) return ignore(c, 'no group');
  return pumped({ ...c, toCommit: c.partitions.filter((p) => p.position >= 0).map((p) => ({ topic: p.topic, partition: p.partition })) }, []);
}

function heartbeatInterval(c: Ctx): number {
  return Math.max(1, Math.floor(c.config['session.timeout.ms'] / 3));
}

// ---- Group requests, one at a time ---------------------------------------------------------------------

function pumped(c: Ctx, effects: Effect[], reason: string | null = null): Outcome<Ctx> {
  const [next, more] = pump(c);
  return { context: next, effects: [...effects, ...more], reason };
}

function groupRequest(c: Ctx, kind: GroupRequestKind, tp: GroupTopicPartition | null, build: (correlationId: number) => Parameters<typeof send>[1]): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const timer = setTimer(GROUP_REQUEST_TIMER, c.config['request.timeout.ms'], { type: 'ConsumerRequestTimeout', correlationId } as { type: string });
  const to = kind === 'FindCoordinator' ? (c.bootstrapBrokers[c.cursor % Math.max(1, c.bootstrapBrokers.length)] ?? 0) : c.coordinator;
  const moved = kind === 'FindCoordinator' ? { ...next, cursor: c.cursor + 1 } : next;
  return [{ ...moved, groupRequest: { kind, correlationId, tp } }, [send(brokerNode(to), build(correlationId)), timer]];
}

/** The next group request, in the client's order: coordinator, join, sync, positions, commit, heartbeat. */
export function pump(c: Ctx): [Ctx, Effect[]] {
  if (c.groupRequest !== null || c.groupId === null || c.mode === 'none') return [c, []];
  const groupId = c.groupId;
  const needsPosition = c.partitions.find((p) => p.position < 0);
  const wantsGroup = c.mode === 'subscribe' || needsPosition !== undefined || c.toCommit.length > 0;
  if (!wantsGroup) return [c, []];
  if (c.coordinator < 0) return groupRequest(c, 'FindCoordinator', null, (correlationId) => ({ type: 'FindCoordinator', from: c.clientId, correlationId, key: groupId, keyType: COORDINATOR_GROUP }));
  if (c.mode === 'subscribe' && c.needsJoin) {
    return groupRequest(c, 'JoinGroup', null, (correlationId) => ({
      type: 'JoinGroup', from: c.clientId, correlationId, groupId, sessionTimeoutMs: c.config['session.timeout.ms'], memberId: c.memberId, groupInstanceId: null, subscription: c.subscription,
    }));
  }
  if (c.joinMembers !== null) {
    const assignments = c.joinMembers.length > 0 ? assignRoundRobin(c.joinMembers) : [];
    return groupRequest(c, 'SyncGroup', null, (correlationId) => ({ type: 'SyncGroup', from: c.clientId, correlationId, groupId, generationId: c.generationId, memberId: c.memberId, assignments }));
  }
  if (needsPosition !== undefined) {
    return groupRequest(c, 'OffsetFetch', needsPosition, (correlationId) => ({ type: 'OffsetFetch', from: c.clientId, correlationId, groupId, requireStable: true, topic: needsPosition.topic, partition: needsPosition.partition }));
  }
  const commit = c.toCommit[0];
  if (commit !== undefined) {
    const position = c.partitions.find((p) => sameTp(p, commit))?.position ?? 0;
    const generationId = c.mode === 'subscribe' ? c.generationId : -1;
    const memberId = c.mode === 'subscribe' ? c.memberId : UNKNOWN_MEMBER_ID;
    return groupRequest(c, 'OffsetCommit', commit, (correlationId) => ({ type: 'OffsetCommit', from: c.clientId, correlationId, groupId, generationId, memberId, topic: commit.topic, partition: commit.partition, committedOffset: position }));
  }
  if (c.heartbeatDue && c.mode === 'subscribe') {
    return groupRequest({ ...c, heartbeatDue: false }, 'Heartbeat', null, (correlationId) => ({ type: 'Heartbeat', from: c.clientId, correlationId, groupId, generationId: c.generationId, memberId: c.memberId }));
  }
  return [c, []];
}

function answered(c: Ctx, kind: GroupRequestKind, correlationId: number): Ctx | null {
  if (c.groupRequest === null || c.groupRequest.kind !== kind || c.groupRequest.correlationId !== correlationId) return null;
  return { ...c, groupRequest: null };
}

/** An error from the group coordinator: rejoin, find it again, or retry later. */
function groupError(c: Ctx, error: ErrorCode, effects: Effect[]): Outcome<Ctx> {
  if (REJOIN.includes(error) && c.mode === 'subscribe') {
    const memberId = error === 'UNKNOWN_MEMBER_ID' ? UNKNOWN_MEMBER_ID : c.memberId;
    return pumped({ ...c, needsJoin: true, joinMembers: null, memberId }, effects, `rejoin after ${error}`);
  }
  const next = error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'REQUEST_TIMED_OUT' ? { ...c, coordinator: -1 } : c;
  return { context: next, effects: [...effects, backoff(c)], reason: `retry after ${error}` };
}

export function onFindCoordinatorResponse(c: Ctx, e: Ev<'FindCoordinatorResponse'>): Outcome<Ctx> {
  const next = answered(c, 'FindCoordinator', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding FindCoordinator');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return { context: next, effects: [cancel, backoff(c)], reason: e.errorCode };
  return pumped({ ...next, coordinator: e.nodeId }, [cancel]);
}

export function onJoinGroupResponse(c: Ctx, e: Ev<'JoinGroupResponse'>): Outcome<Ctx> {
  const next = answered(c, 'JoinGroup', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding JoinGroup');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return groupError(next, e.errorCode, [cancel]);
  const isLeader = e.leader === e.memberId;
  return pumped({ ...next, needsJoin: false, memberId: e.memberId, generationId: e.generationId, joinMembers: isLeader ? e.members : [] }, [cancel]);
}

export function onSyncGroupResponse(c: Ctx, e: Ev<'SyncGroupResponse'>): Outcome<Ctx> {
  const next = answered(c, 'SyncGroup', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding SyncGroup');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return groupError({ ...next, joinMembers: null }, e.errorCode, [cancel]);
  // Kept partitions keep their position; new ones start from the committed offset.
  const partitions = sorted(e.assignment).map((p) => next.partitions.find((q) => sameTp(p, q)) ?? fresh(p, -1));
  return pumped({ ...next, joinMembers: null, partitions }, [cancel]);
}

export function onHeartbeatResponse(c: Ctx, e: Ev<'HeartbeatResponse'>): Outcome<Ctx> {
  const next = answered(c, 'Heartbeat', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding Heartbeat');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return groupError(next, e.errorCode, [cancel]);
  return pumped(next, [cancel]);
}

export function onOffsetFetchResponse(c: Ctx, e: Ev<'OffsetFetchResponse'>): Outcome<Ctx> {
  const next = answered(c, 'OffsetFetch', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding OffsetFetch');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  // UNSTABLE_OFFSET_COMMIT: a transactional commit is pending; ask again later (KIP-447).
  if (e.errorCode !== 'NONE') return groupError(next, e.errorCode, [cancel]);
  const p = next.partitions.find((q) => sameTp(q, e));
  if (p === undefined) return pumped(next, [cancel]);
  return pumped(putPartition(next, { ...p, position: Math.max(0, e.committedOffset) }), [cancel]);
}

export function onOffsetCommitResponse(c: Ctx, e: Ev<'OffsetCommitResponse'>): Outcome<Ctx> {
  const next = answered(c, 'OffsetCommit', e.correlationId);
  if (next === null) return ignore(c, 'not the outstanding OffsetCommit');
  const cancel = cancelTimer(GROUP_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return groupError({ ...next, toCommit: [] }, e.errorCode, [cancel]);
  return pumped({ ...next, toCommit: next.toCommit.filter((p) => !sameTp(p, e)) }, [cancel]);
}

export function onGroupRequestTimeout(c: Ctx, e: Ev<'ConsumerRequestTimeout'>): Outcome<Ctx> {
  if (c.groupRequest === null || c.groupRequest.correlationId !== e.correlationId) return ignore(c, 'request already answered');
  return groupError({ ...c, groupRequest: null, joinMembers: c.groupRequest.kind === 'SyncGroup' ? null : c.joinMembers, needsJoin: c.needsJoin || c.groupRequest.kind === 'SyncGroup' }, 'REQUEST_TIMED_OUT', []);
}

export function onHeartbeatTimer(c: Ctx, _e: Ev<'ConsumerHeartbeatTimer'>): Outcome<Ctx> {
  const timer = setTimer(HEARTBEAT_TIMER, heartbeatInterval(c), { type: 'ConsumerHeartbeatTimer' });
  return pumped({ ...c, heartbeatDue: c.memberId !== UNKNOWN_MEMBER_ID }, [timer]);
}

export function onBackoff(c: Ctx, _e: Ev<'ConsumerBackoff'>): Outcome<Ctx> {
  return pumped(c, []);
}

// ---- Poll ------------------------------------------------------------------------------------------

/** `poll()`: fetch every assigned partition with a known position; answer when all reply. */
export function onPoll(c: Ctx, e: Ev<'Poll'>): Outcome<Ctx> {
  const invoke = clientOp({ process: e.process, type: 'invoke', f: 'poll', value: [['poll']] });
  if (c.poll !== null) return ignore(c, 'a poll is in progress');
  let next: Ctx = { ...c, poll: { process: e.process, records: {}, waiting: [] } };
  const effects: Effect[] = [invoke];
  for (const p of c.partitions.filter((q) => q.position >= 0)) {
    const [sent, out] = fetchOrLocate(next, p);
    next = sent;
    effects.push(...out);
  }
  if ((next.poll?.waiting.length ?? 0) === 0) return completePoll(next, effects);
  effects.push(setTimer(POLL_TIMER, c.config['request.timeout.ms'], { type: 'PollTimeout' }));
  return acted(next, effects);
}

function fetchOrLocate(c: Ctx, p: ConsumerPartition): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const poll = c.poll as NonNullable<Ctx['poll']>;
  const waiting = { ...next, poll: { ...poll, waiting: [...poll.waiting.filter((k) => k !== key(p)), key(p)] } };
  if (p.leader < 0) {
    const broker = c.bootstrapBrokers[c.cursor % Math.max(1, c.bootstrapBrokers.length)] ?? 0;
    const ask = { type: 'Metadata' as const, from: c.clientId, correlationId, topic: p.topic, partition: p.partition };
    return [putPartition({ ...waiting, cursor: c.cursor + 1 }, { ...p, metadataCorrelationId: correlationId }), [send(brokerNode(broker), ask)]];
  }
  const fetch = {
    type: 'Fetch' as const,
    from: c.clientId,
    correlationId,
    topic: p.topic,
    partition: p.partition,
    replicaId: CONSUMER_REPLICA_ID,
    fetchOffset: p.position,
    currentLeaderEpoch: -1,
    lastFetchedEpoch: -1,
    isolationLevel: c.config['isolation.level'],
  };
  return [putPartition(waiting, { ...p, fetchCorrelationId: correlationId }), [send(brokerNode(p.leader), fetch)]];
}

export function onMetadataResponse(c: Ctx, e: Ev<'MetadataResponse'>): Outcome<Ctx> {
  const p = c.partitions.find((q) => sameTp(q, e) && q.metadataCorrelationId === e.correlationId);
  if (p === undefined || c.poll === null) return ignore(c, 'not an outstanding Metadata');
  const known = { ...p, metadataCorrelationId: -1, leader: e.errorCode === 'NONE' ? e.leaderId : -1 };
  if (known.leader < 0) return partitionDone(putPartition(c, known), known, [], known.position);
  const [next, effects] = fetchOrLocate(putPartition(c, known), known);
  return acted(next, effects);
}

export function onFetchResponse(c: Ctx, e: Ev<'FetchResponse'>): Outcome<Ctx> {
  const p = c.partitions.find((q) => sameTp(q, e) && q.fetchCorrelationId === e.correlationId);
  if (p === undefined || c.poll === null) return ignore(c, 'not an outstanding Fetch');
  const cleared = { ...p, fetchCorrelationId: -1 };
  if (e.errorCode !== 'NONE') return partitionDone(putPartition(c, { ...cleared, leader: -1 }), cleared, [], p.position);
  const aborted = (e as FetchResponse & { abortedTransactions?: readonly AbortedTransaction[] }).abortedTransactions ?? [];
  const readCommitted = c.config['isolation.level'] === 'read_committed';
  const upTo = readCommitted ? e.lastStableOffset : e.highWatermark;
  const visible = e.records.filter((b) => b.baseOffset < upTo);
  const { records, nextOffset } = readCommitted ? filterReadCommitted(visible, aborted, p.position) : filterReadUncommitted(visible, p.position);
  const got = records.map((r) => [r.offset, r.value] as const);
  return partitionDone(putPartition(c, { ...cleared, position: Math.max(p.position, nextOffset) }), cleared, got, Math.max(p.position, nextOffset));
}

function partitionDone(c: Ctx, p: GroupTopicPartition, got: readonly (readonly [number, string])[], _position: number): Outcome<Ctx> {
  const poll = c.poll as NonNullable<Ctx['poll']>;
  const records = got.length === 0 ? poll.records : { ...poll.records, [key(p)]: [...(poll.records[key(p)] ?? []), ...got] };
  const next = { ...c, poll: { ...poll, records, waiting: poll.waiting.filter((k) => k !== key(p)) } };
  if (next.poll.waiting.length > 0) return acted(next, []);
  return completePoll(next, [cancelTimer(POLL_TIMER)]);
}

function completePoll(c: Ctx, effects: Effect[]): Outcome<Ctx> {
  const poll = c.poll as NonNullable<Ctx['poll']>;
  const keys = Object.keys(poll.records).sort();
  const map: Record<string, readonly (readonly [number, string])[]> = {};
  for (const k of keys) map[k] = poll.records[k] ?? [];
  const ok = clientOp({ process: poll.process, type: 'ok', f: 'poll', value: [['poll', map]] });
  const partitions = c.partitions.map((p) => ({ ...p, fetchCorrelationId: -1, metadataCorrelationId: -1 }));
  return acted({ ...c, poll: null, partitions }, [...effects, ok]);
}

export function onPollTimeout(c: Ctx, _e: Ev<'PollTimeout'>): Outcome<Ctx> {
  if (c.poll === null) return ignore(c, 'no poll in progress');
  // Partitions that did not answer: their leader may have moved.
  const waiting = c.poll.waiting;
  const partitions = c.partitions.map((p) => (waiting.includes(key(p)) ? { ...p, leader: -1 } : p));
  return completePoll({ ...c, partitions }, []);
}

// ---- The machine ----------------------------------------------------------------------------------

export const consumerMachine = setup({
  types: {} as { context: ConsumerContext; input: ConsumerInput; events: ConsumerEvent; emitted: Effect },
  actions: {
    onAssign: perform(onAssign),
    onSubscribe: perform(onSubscribe),
    onPoll: perform(onPoll),
    onSeek: perform(onSeek),
    onSeekToCommitted: perform(onSeekToCommitted),
    onCommitSync: perform(onCommitSync),
    onFindCoordinatorResponse: perform(onFindCoordinatorResponse),
    onJoinGroupResponse: perform(onJoinGroupResponse),
    onSyncGroupResponse: perform(onSyncGroupResponse),
    onHeartbeatResponse: perform(onHeartbeatResponse),
    onOffsetFetchResponse: perform(onOffsetFetchResponse),
    onOffsetCommitResponse: perform(onOffsetCommitResponse),
    onGroupRequestTimeout: perform(onGroupRequestTimeout),
    onHeartbeatTimer: perform(onHeartbeatTimer),
    onBackoff: perform(onBackoff),
    onMetadataResponse: perform(onMetadataResponse),
    onFetchResponse: perform(onFetchResponse),
    onPollTimeout: perform(onPollTimeout),
  },
}).createMachine({
  id: 'consumer',
  context: ({ input }) => initialContext(input),
  initial: 'idle',
  on: {
    Poll: { actions: 'onPoll' },
    Seek: { actions: 'onSeek' },
    SeekToCommitted: { actions: 'onSeekToCommitted' },
    CommitSync: { actions: 'onCommitSync' },
    FindCoordinatorResponse: { actions: 'onFindCoordinatorResponse' },
    OffsetFetchResponse: { actions: 'onOffsetFetchResponse' },
    OffsetCommitResponse: { actions: 'onOffsetCommitResponse' },
    ConsumerRequestTimeout: { actions: 'onGroupRequestTimeout' },
    ConsumerBackoff: { actions: 'onBackoff' },
    MetadataResponse: { actions: 'onMetadataResponse' },
    FetchResponse: { actions: 'onFetchResponse' },
    PollTimeout: { actions: 'onPollTimeout' },
  },
  states: {
    /** Neither assigned nor subscribed. */
    idle: {
      on: {
        Assign: { target: 'assigned', actions: 'onAssign' },
        Subscribe: { target: 'subscribed', actions: 'onSubscribe' },
      },
    },
    /** Manual assignment (`assign`): no group membership. */
    assigned: {
      on: { Assign: { actions: 'onAssign' } },
    },
    /** Group membership (`subscribe`): join, sync, heartbeat, rejoin. */
    subscribed: {
      on: {
        JoinGroupResponse: { actions: 'onJoinGroupResponse' },
        SyncGroupResponse: { actions: 'onSyncGroupResponse' },
        HeartbeatResponse: { actions: 'onHeartbeatResponse' },
        ConsumerHeartbeatTimer: { actions: 'onHeartbeatTimer' },
      },
    },
  },
});

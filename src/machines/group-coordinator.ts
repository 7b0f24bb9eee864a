/**
 * # The group coordinator (classic protocol): one `__consumer_offsets` partition on one broker
 *
 * Kafka's `GroupCoordinator` + `GroupMetadataManager` for the groups that hash to one
 * partition of `__consumer_offsets`, as a pure machine. The broker leading that
 * partition is their coordinator.
 *
 * - **Membership.** JoinGroup moves the group to PreparingRebalance; when every known
 *   member has (re)joined, or the rebalance timeout expires (members that did not rejoin
 *   are removed), the next generation starts (`initNextGeneration`: generationId + 1,
 *   CompletingRebalance, or Empty with no members) and every member gets its
 *   JoinGroupResponse (the leader with the member list). The leader's SyncGroup carries
 *   the assignment; it is written to the log (GroupMetadata) and, once written, the group
 *   is Stable and every waiting SyncGroup is answered. Heartbeats keep a member's session
 *   (`session.timeout.ms`); a silent member or a LeaveGroup triggers a rebalance.
 * - **Offsets.** OffsetCommit is validated (group-state.ts: UNKNOWN_MEMBER_ID,
 *   ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS) and written with acks=all before it is
 *   answered and visible. OffsetFetch returns the committed offset; with `requireStable`
 *   (KIP-447) UNSTABLE_OFFSET_COMMIT while a transactional commit for the partition is
 *   pending.
 * - **TxnOffsetCommit** is written as a *transactional* batch (the producer's id and epoch)
 *   and held pending per producer id until the transaction's marker lands in this
 *   partition: COMMIT makes the offsets visible, ABORT drops them. The host delivers
 *   `TxnMarkerWritten` when this broker's `__consumer_offsets` replica appends a marker
 *   (Kafka's `onTransactionCompleted`). KIP-447: a TxnOffsetCommit carrying a member id or a
 *   generation is fenced like an OffsetCommit (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION).
 * - **Failover.** `GroupCoordinatorElected` (with the partition's log) loads the groups:
 *   the last GroupMetadata record per group (Stable with its members, or Empty), the
 *   committed offsets, and the transactional offsets still pending (no marker yet).
 *
 * Records in the abstract log: key `offset/<group>/<topic>/<partition>`, value
 * `{"offset":N}`; key `group/<group>`, value the generation, leader and members as JSON.
 *
 * Variant: `no-generation-fencing` (pre KIP-447: TxnOffsetCommit is not checked against
 * the group's generation or members), marked VARIANT below.
 *
 * Context: all `volatile` (the cache); the log is the replica's. Events carry `nowMs`.
 * Timers: `RebalanceTimeout`, `MemberSessionTimeout`, `GroupLogWriteTimeout`.
 */
import { setup } from 'xstate';
import type { ClusterConfig } from '../protocol/config.ts';
import { hasVariant } from '../protocol/config.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import {
  type GroupTopicPartition,
  type Heartbeat,
  type JoinGroup,
  type LeaveGroup,
  type OffsetCommit,
  type OffsetFetch,
  type SyncGroup,
  UNKNOWN_MEMBER_ID,
} from '../protocol/group-messages.ts';
import type { LogBatch } from '../protocol/log.ts';
import { type Delivered, type NodeId, type ProduceResponse, brokerNode } from '../protocol/messages.ts';
import {
  type FindCoordinator,
  type TxnOffsetCommit,
  CONSUMER_OFFSETS_TOPIC,
  COORDINATOR_GROUP,
  partitionFor,
} from '../protocol/txn-messages.ts';
import type { Effect } from './effects.ts';
import { type GroupRequest, type GroupState, checkGroupTransition, groupOutcome } from './group-state.ts';
import { type Outcome, acted, cancelTimer, ignore, perform, send, setTimer } from './machine-kit.ts';
import { markerOf } from './txn-partition.ts';

// ---- Context -------------------------------------------------------------------------------

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly subscription: readonly GroupTopicPartition[];
  readonly assignment: readonly GroupTopicPartition[];
  /** A JoinGroup waiting for the join phase to complete: (from, correlationId), or null. */
  readonly awaitingJoin: { readonly from: NodeId; readonly correlationId: number } | null;
  /** A SyncGroup waiting for the leader's assignment to be stored, or null. */
  readonly awaitingSync: { readonly from: NodeId; readonly correlationId: number } | null;
}

export interface CommittedOffset extends GroupTopicPartition {
  readonly offset: number;
}

export interface PendingTxnOffset extends CommittedOffset {
  readonly producerId: number;
}

export interface Group {
  readonly groupId: string;
  readonly state: GroupState;
  readonly generationId: number;
  readonly leader: string | null;
  /** By memberId. */
  readonly members: readonly GroupMember[];
  /** By (topic, partition). */
  readonly offsets: readonly CommittedOffset[];
  /** Transactional commits waiting for their marker. */
  readonly pendingTxnOffsets: readonly PendingTxnOffset[];
}

export type GroupWritePurpose =
  | { readonly kind: 'assignment'; readonly generationId: number }
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'commit';
      readonly request: 'OffsetCommit' | 'TxnOffsetCommit';
      readonly to: NodeId;
      readonly correlationId: number;
      readonly offset: CommittedOffset;
      readonly producerId: number;
    };

export interface PendingGroupWrite {
  readonly correlationId: number;
  readonly groupId: string;
  readonly purpose: GroupWritePurpose;
}

export interface GroupCoordinatorVolatile {
  /** The `__consumer_offsets` leader epoch while this broker coordinates, else -1. */
  readonly coordinatorEpoch: number;
  /** By groupId. */
  readonly groups: readonly Group[];
  readonly pendingWrites: readonly PendingGroupWrite[];
  readonly nextCorrelationId: number;
  readonly nextMemberId: number;
}

export interface GroupCoordinatorContext {
  readonly config: ClusterConfig;
  readonly brokerId: number;
  readonly offsetsPartition: number;
  readonly offsetsTopicPartitions: number;
  readonly volatile: GroupCoordinatorVolatile;
}

export interface GroupCoordinatorInput {
  readonly config: ClusterConfig;
  readonly brokerId: number;
  readonly offsetsPartition: number;
  readonly offsetsTopicPartitions: number;
}

// ---- Events --------------------------------------------------------------------------------

export type GroupCoordinatorElected = { readonly type: 'GroupCoordinatorElected'; readonly nowMs: number; readonly coordinatorEpoch: number; readonly log: readonly LogBatch[] };
export type GroupCoordinatorResigned = { readonly type: 'GroupCoordinatorResigned'; readonly nowMs: number; readonly coordinatorEpoch: number };
/** The host: this broker's `__consumer_offsets` replica appended a marker (`onTransactionCompleted`). */
export type TxnMarkerWritten = { readonly type: 'TxnMarkerWritten'; readonly nowMs: number; readonly producerId: number; readonly committed: boolean };
export type RebalanceTimeout = { readonly type: 'RebalanceTimeout'; readonly nowMs: number; readonly groupId: string; readonly generationId: number };
export type MemberSessionTimeout = { readonly type: 'MemberSessionTimeout'; readonly nowMs: number; readonly groupId: string; readonly memberId: string };
export type GroupLogWriteTimeout = { readonly type: 'GroupLogWriteTimeout'; readonly nowMs: number; readonly correlationId: number };

export type GroupCoordinatorEvent =
  | GroupCoordinatorElected
  | GroupCoordinatorResigned
  | TxnMarkerWritten
  | Delivered<FindCoordinator>
  | Delivered<JoinGroup>
  | Delivered<SyncGroup>
  | Delivered<Heartbeat>
  | Delivered<LeaveGroup>
  | Delivered<OffsetCommit>
  | Delivered<OffsetFetch>
  | Delivered<TxnOffsetCommit>
  | Delivered<ProduceResponse>
  | RebalanceTimeout
  | MemberSessionTimeout
  | GroupLogWriteTimeout;

type Ctx = GroupCoordinatorContext;
type Ev<T extends GroupCoordinatorEvent['type']> = Extract<GroupCoordinatorEvent, { type: T }>;

export function rebalanceTimerId(groupId: string): string {
  return `rebalance/${groupId}`;
}
export function sessionTimerId(groupId: string, memberId: string): string {
  return `session/${groupId}/${memberId}`;
}
export function groupWriteTimerId(correlationId: number): string {
  return `group-log-write/${correlationId}`;
}

// ---- Helpers -----------------------------------------------------------------------------

function withVolatile(c: Ctx, change: Partial<GroupCoordinatorVolatile>): Ctx {
  return { ...c, volatile: { ...c.volatile, ...change } };
}

export function findGroup(c: Ctx, groupId: string): Group | undefined {
  return c.volatile.groups.find((g) => g.groupId === groupId);
}

function emptyGroup(groupId: string): Group {
  return { groupId, state: 'Empty', generationId: 0, leader: null, members: [], offsets: [], pendingTxnOffsets: [] };
}

function putGroup(c: Ctx, g: Group): Ctx {
  const others = c.volatile.groups.filter((x) => x.groupId !== g.groupId);
  const groups = [...others, g].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return withVolatile(c, { groups });
}

function transition(g: Group, to: GroupState): Group {
  if (g.state !== to) checkGroupTransition(g.state, to);
  return { ...g, state: to };
}

function putMember(g: Group, m: GroupMember): Group {
  const members = [...g.members.filter((x) => x.memberId !== m.memberId), m].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  return { ...g, members };
}

function samePartition(a: GroupTopicPartition, b: GroupTopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}

function setOffset(offsets: readonly CommittedOffset[], o: CommittedOffset): CommittedOffset[] {
  return [...offsets.filter((x) => !samePartition(x, o)), { topic: o.topic, partition: o.partition, offset: o.offset }].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  );
}

function isActive(c: Ctx): boolean {
  return c.volatile.coordinatorEpoch >= 0;
}

function ownsGroup(c: Ctx, groupId: string): boolean {
  return isActive(c) && partitionFor(groupId, c.offsetsTopicPartitions) === c.offsetsPartition;
}

function from(c: Ctx): NodeId {
  return brokerNode(c.brokerId);
}

/** Append errors as the client sees them (`GroupMetadataManager` remapping). */
function mapAppendError(error: ErrorCode): ErrorCode {
  if (error === 'NOT_ENOUGH_REPLICAS' || error === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' || error === 'REQUEST_TIMED_OUT' || error === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return 'COORDINATOR_NOT_AVAILABLE';
  }
  if (error === 'NOT_LEADER_OR_FOLLOWER') return 'NOT_COORDINATOR';
  return error;
}

// ---- Log writes -----------------------------------------------------------------------------

interface RecordToWrite {
  readonly key: string;
  readonly value: string;
  /** A transactional offset commit: the producer's id and epoch and its transactional id. */
  readonly producer: { readonly producerId: number; readonly producerEpoch: number; readonly transactionalId: string } | null;
}

function offsetKey(groupId: string, p: GroupTopicPartition): string {
  return `offset/${groupId}/${p.topic}/${p.partition}`;
}

function groupRecord(g: Group): RecordToWrite {
  const members = g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, sessionTimeoutMs: m.sessionTimeoutMs, subscription: m.subscription, assignment: m.assignment }));
  return { key: `group/${g.groupId}`, value: JSON.stringify({ generationId: g.generationId, leader: g.leader, members }), producer: null };
}

function writeLog(c: Ctx, groupId: string, record: RecordToWrite, purpose: GroupWritePurpose): [Ctx, Effect[]] {
  const correlationId = c.volatile.nextCorrelationId;
  const message = {
    type: 'Produce' as const,
    from: from(c),
    correlationId,
    topic: CONSUMER_OFFSETS_TOPIC,
    partition: c.offsetsPartition,
    transactionalId: record.producer?.transactionalId ?? null,
    acks: -1 as const,
    timeoutMs: c.config['request.timeout.ms'],
    records: {
      baseOffset: 0,
      lastOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: record.producer?.producerId ?? -1,
      producerEpoch: record.producer?.producerEpoch ?? -1,
      // A coordinator-origin append: no sequence (the replica checks only the epoch).
      baseSequence: -1,
      isTransactional: record.producer !== null,
      isControl: false,
      records: [{ key: record.key, value: record.value }],
    },
  };
  const pending: PendingGroupWrite = { correlationId, groupId, purpose };
  const next = withVolatile(c, { nextCorrelationId: correlationId + 1, pendingWrites: [...c.volatile.pendingWrites, pending] });
  const timer = setTimer(groupWriteTimerId(correlationId), c.config['request.timeout.ms'] * 2, { type: 'GroupLogWriteTimeout', correlationId } as { type: string });
  return [next, [send(from(c), message), timer]];
}

// ---- Loading -----------------------------------------------------------------------------------

interface LoadedMember {
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  subscription: GroupTopicPartition[];
  assignment: GroupTopicPartition[];
}

/** The groups a `__consumer_offsets` log holds (`GroupMetadataManager.doLoadGroupsAndOffsets`). */
export function loadGroupLog(log: readonly LogBatch[]): Group[] {
  const groups = new Map<string, Group>();
  const get = (id: string): Group => groups.get(id) ?? emptyGroup(id);
  for (const batch of log) {
    const marker = markerOf(batch);
    if (marker !== null) {
      for (const [id, g] of groups) groups.set(id, completeTxnOffsets(g, batch.producerId, marker.type === 'COMMIT'));
      continue;
    }
    if (batch.isControl) continue;
    for (const r of batch.records) {
      if (r.key === null) continue;
      const [kind, groupId, topic, partition] = r.key.split('/');
      if (groupId === undefined) continue;
      const g = get(groupId);
      if (kind === 'offset' && topic !== undefined && partition !== undefined) {
        const o = { topic, partition: Number(partition), offset: (JSON.parse(r.value) as { offset: number }).offset };
        groups.set(groupId, batch.isTransactional ? { ...g, pendingTxnOffsets: [...g.pendingTxnOffsets, { ...o, producerId: batch.producerId }] } : { ...g, offsets: setOffset(g.offsets, o) });
      } else if (kind === 'group') {
        const v = JSON.parse(r.value) as { generationId: number; leader: string | null; members: LoadedMember[] };
        const members = v.members.map((m) => ({ ...m, awaitingJoin: null, awaitingSync: null }));
        groups.set(groupId, { ...g, generationId: v.generationId, leader: v.leader, members, state: members.length > 0 ? 'Stable' : 'Empty' });
      }
    }
  }
  return [...groups.keys()].sort().map((id) => groups.get(id) as Group);
}

function completeTxnOffsets(g: Group, producerId: number, committed: boolean): Group {
  const mine = g.pendingTxnOffsets.filter((o) => o.producerId === producerId);
  if (mine.length === 0) return g;
  const pendingTxnOffsets = g.pendingTxnOffsets.filter((o) => o.producerId !== producerId);
  if (!committed) return { ...g, pendingTxnOffsets };
  let offsets = g.offsets;
  for (const o of mine) offsets = setOffset(offsets, o);
  return { ...g, offsets, pendingTxnOffsets };
}

function initialContext(input: GroupCoordinatorInput): Ctx {
  return {
    config: input.config,
    brokerId: input.brokerId,
    offsetsPartition: input.offsetsPartition,
    offsetsTopicPartitions: input.offsetsTopicPartitions,
    volatile: { coordinatorEpoch: -1, groups: [], pendingWrites: [], nextCorrelationId: 0, nextMemberId: 0 },
  };
}

export function onElected(c: Ctx, e: Ev<'GroupCoordinatorElected'>): Outcome<Ctx> {
  if (e.coordinatorEpoch < c.volatile.coordinatorEpoch) return ignore(c, 'election from an older epoch');
  const groups = loadGroupLog(e.log);
  const effects: Effect[] = [];
  for (const g of groups) for (const m of g.members) effects.push(sessionTimer(g.groupId, m));
  return acted(withVolatile(c, { coordinatorEpoch: e.coordinatorEpoch, groups, pendingWrites: [] }), effects);
}

export function onResigned(c: Ctx, e: Ev<'GroupCoordinatorResigned'>): Outcome<Ctx> {
  if (e.coordinatorEpoch < c.volatile.coordinatorEpoch) return ignore(c, 'resignation from an older epoch');
  const effects: Effect[] = [];
  for (const g of c.volatile.groups) {
    effects.push(cancelTimer(rebalanceTimerId(g.groupId)));
    for (const m of g.members) effects.push(cancelTimer(sessionTimerId(g.groupId, m.memberId)));
  }
  for (const w of c.volatile.pendingWrites) effects.push(cancelTimer(groupWriteTimerId(w.correlationId)));
  return acted(withVolatile(c, { coordinatorEpoch: -1, groups: [], pendingWrites: [] }), effects);
}

export function onFindCoordinator(c: Ctx, e: Ev<'FindCoordinator'>): Outcome<Ctx> {
  const mine = e.keyType === COORDINATOR_GROUP && ownsGroup(c, e.key);
  const message = {
    type: 'FindCoordinatorResponse' as const,
    from: from(c),
    correlationId: e.correlationId,
    errorCode: mine ? ('NONE' as const) : ('NOT_COORDINATOR' as const),
    key: e.key,
    keyType: e.keyType,
    nodeId: mine ? c.brokerId : -1,
  };
  return { context: c, effects: [send(e.from, message)], reason: mine ? null : 'not the coordinator for this group' };
}

// ---- Membership ----------------------------------------------------------------------------

function sessionTimer(groupId: string, m: GroupMember): Effect {
  return setTimer(sessionTimerId(groupId, m.memberId), m.sessionTimeoutMs, { type: 'MemberSessionTimeout', groupId, memberId: m.memberId } as { type: string });
}

function joinResponse(c: Ctx, to: NodeId, correlationId: number, groupId: string, errorCode: ErrorCode, g?: Group, memberId = UNKNOWN_MEMBER_ID): Effect {
  const isLeader = g !== undefined && g.leader === memberId;
  return send(to, {
    type: 'JoinGroupResponse',
    from: from(c),
    correlationId,
    groupId,
    errorCode,
    generationId: g?.generationId ?? -1,
    leader: g?.leader ?? '',
    memberId,
    members: isLeader ? g.members.map((m) => ({ memberId: m.memberId, subscription: m.subscription })) : [],
  });
}

/** `handleJoinGroup`: add or refresh the member, start (or join) a rebalance. */
export function onJoinGroup(c: Ctx, e: Ev<'JoinGroup'>): Outcome<Ctx> {
  const reject = (errorCode: ErrorCode, reason: string): Outcome<Ctx> => ({ context: c, effects: [joinResponse(c, e.from, e.correlationId, e.groupId, errorCode)], reason });
  if (!ownsGroup(c, e.groupId)) return reject('NOT_COORDINATOR', 'not the coordinator for this group');
  const g = findGroup(c, e.groupId) ?? emptyGroup(e.groupId);
  if (g.state === 'Dead') return reject('COORDINATOR_NOT_AVAILABLE', 'the group is being removed');
  const known = g.members.find((m) => m.memberId === e.memberId);
  if (e.memberId !== UNKNOWN_MEMBER_ID && known === undefined) return reject('UNKNOWN_MEMBER_ID', 'not a member');
  let next = c;
  let memberId = e.memberId;
  if (memberId === UNKNOWN_MEMBER_ID) {
    memberId = `${e.from}-${c.volatile.nextMemberId}`;
    next = withVolatile(next, { nextMemberId: c.volatile.nextMemberId + 1 });
  }
  const member: GroupMember = {
    memberId,
    groupInstanceId: e.groupInstanceId,
    sessionTimeoutMs: e.sessionTimeoutMs,
    subscription: e.subscription,
    assignment: known?.assignment ?? [],
    awaitingJoin: { from: e.from, correlationId: e.correlationId },
    awaitingSync: null,
  };
  const effects: Effect[] = [sessionTimer(e.groupId, member)];
  let group = putMember(g, member);
  if (group.state !== 'PreparingRebalance') {
    group = transition(group, 'PreparingRebalance');
    effects.push(setTimer(rebalanceTimerId(e.groupId), e.sessionTimeoutMs, { type: 'RebalanceTimeout', groupId: e.groupId, generationId: g.generationId } as { type: string }));
  }
  const [done, completion] = maybeCompleteJoin(putGroup(next, group), e.groupId, false);
  return acted(done, [...effects, ...completion]);
}

/**
 * `onCompleteJoin`: once every member has rejoined (or the timeout removed the others),
 * start the next generation and answer every waiting JoinGroup.
 */
function maybeCompleteJoin(c: Ctx, groupId: string, timedOut: boolean): [Ctx, Effect[]] {
  const g = findGroup(c, groupId) as Group;
  if (g.state !== 'PreparingRebalance') return [c, []];
  if (!timedOut && g.members.some((m) => m.awaitingJoin === null)) return [c, []];
  const effects: Effect[] = [cancelTimer(rebalanceTimerId(groupId))];
  const gone = g.members.filter((m) => m.awaitingJoin === null);
  for (const m of gone) effects.push(cancelTimer(sessionTimerId(groupId, m.memberId)));
  const members = g.members.filter((m) => m.awaitingJoin !== null);
  const leader = members.some((m) => m.memberId === g.leader) ? g.leader : (members[0]?.memberId ?? null);
  let next = transition({ ...g, members, leader, generationId: g.generationId + 1 }, members.length > 0 ? 'CompletingRebalance' : 'Empty');
  for (const m of members) {
    const waiting = m.awaitingJoin as { from: NodeId; correlationId: number };
    effects.push(joinResponse(c, waiting.from, waiting.correlationId, groupId, 'NONE', next, m.memberId));
  }
  next = { ...next, members: members.map((m) => ({ ...m, awaitingJoin: null })) };
  if (next.state === 'Empty') {
    const [written, write] = writeLog(putGroup(c, next), groupId, groupRecord(next), { kind: 'empty' });
    return [written, [...effects, ...write]];
  }
  return [putGroup(c, next), effects];
}

export function onRebalanceTimeout(c: Ctx, e: Ev<'RebalanceTimeout'>): Outcome<Ctx> {
  const g = findGroup(c, e.groupId);
  if (g === undefined || g.state !== 'PreparingRebalance' || g.generationId !== e.generationId) return ignore(c, 'no rebalance of that generation');
  const [next, effects] = maybeCompleteJoin(c, e.groupId, true);
  return acted(next, effects);
}

/** Known member, current generation: null, or the rejection. */
function memberCheck(c: Ctx, groupId: string, memberId: string, generationId: number): { errorCode: ErrorCode; reason: string } | null {
  if (!ownsGroup(c, groupId)) return { errorCode: 'NOT_COORDINATOR', reason: 'not the coordinator for this group' };
  const g = findGroup(c, groupId);
  if (g === undefined || !g.members.some((m) => m.memberId === memberId)) {
    return { errorCode: g?.state === 'Dead' ? 'COORDINATOR_NOT_AVAILABLE' : 'UNKNOWN_MEMBER_ID', reason: 'not a member' };
  }
  if (generationId !== g.generationId) return { errorCode: 'ILLEGAL_GENERATION', reason: `generation ${generationId} is not ${g.generationId}` };
  return null;
}

function tableCheck(g: Group, request: GroupRequest): { errorCode: ErrorCode; reason: string } | null {
  const o = groupOutcome(request, g.state);
  return o.kind === 'reply' ? { errorCode: o.errorCode, reason: `${request} in ${g.state}` } : null;
}

function syncResponse(c: Ctx, to: NodeId, correlationId: number, groupId: string, errorCode: ErrorCode, assignment: readonly GroupTopicPartition[] = []): Effect {
  return send(to, { type: 'SyncGroupResponse', from: from(c), correlationId, groupId, errorCode, assignment });
}

/** `handleSyncGroup`: followers wait; the leader's assignment is written, then all are answered. */
export function onSyncGroup(c: Ctx, e: Ev<'SyncGroup'>): Outcome<Ctx> {
  const rejected = memberCheck(c, e.groupId, e.memberId, e.generationId) ?? tableCheck(findGroup(c, e.groupId) as Group, 'SyncGroup');
  if (rejected !== null) return { context: c, effects: [syncResponse(c, e.from, e.correlationId, e.groupId, rejected.errorCode)], reason: rejected.reason };
  const g = findGroup(c, e.groupId) as Group;
  const member = g.members.find((m) => m.memberId === e.memberId) as GroupMember;
  if (g.state === 'Stable') return acted(c, [syncResponse(c, e.from, e.correlationId, e.groupId, 'NONE', member.assignment)]);
  let group = putMember(g, { ...member, awaitingSync: { from: e.from, correlationId: e.correlationId } });
  if (e.memberId !== g.leader || c.volatile.pendingWrites.some((w) => w.groupId === g.groupId && w.purpose.kind === 'assignment')) {
    return acted(putGroup(c, group), []);
  }
  const members = group.members.map((m) => ({ ...m, assignment: e.assignments.find((a) => a.memberId === m.memberId)?.partitions ?? [] }));
  group = { ...group, members };
  const [next, effects] = writeLog(putGroup(c, group), g.groupId, groupRecord(group), { kind: 'assignment', generationId: g.generationId });
  return acted(next, effects);
}

export function onHeartbeat(c: Ctx, e: Ev<'Heartbeat'>): Outcome<Ctx> {
  const respond = (errorCode: ErrorCode, reason: string | null, effects: Effect[] = []): Outcome<Ctx> => ({
    context: c,
    effects: [...effects, send(e.from, { type: 'HeartbeatResponse', from: from(c), correlationId: e.correlationId, groupId: e.groupId, errorCode })],
    reason,
  });
  const rejected = memberCheck(c, e.groupId, e.memberId, e.generationId);
  if (rejected !== null) return respond(rejected.errorCode, rejected.reason);
  const g = findGroup(c, e.groupId) as Group;
  const member = g.members.find((m) => m.memberId === e.memberId) as GroupMember;
  const refresh = [sessionTimer(g.groupId, member)]; // a live member keeps its session
  const table = tableCheck(g, 'Heartbeat');
  if (table !== null) return respond(table.errorCode, table.reason, refresh);
  return respond('NONE', null, refresh);
}

export function onLeaveGroup(c: Ctx, e: Ev<'LeaveGroup'>): Outcome<Ctx> {
  const respond = (next: Ctx, errorCode: ErrorCode, reason: string | null, effects: Effect[] = []): Outcome<Ctx> => ({
    context: next,
    effects: [...effects, send(e.from, { type: 'LeaveGroupResponse', from: from(c), correlationId: e.correlationId, groupId: e.groupId, errorCode })],
    reason,
  });
  const g = findGroup(c, e.groupId);
  const rejected = memberCheck(c, e.groupId, e.memberId, g?.generationId ?? -1) ?? (g === undefined ? null : tableCheck(g, 'LeaveGroup'));
  if (rejected !== null) return respond(c, rejected.errorCode, rejected.reason);
  const [next, effects] = removeMember(c, e.groupId, e.memberId);
  return respond(next, 'NONE', null, effects);
}

/** A member leaves or times out: rebalance the rest (`removeMemberAndUpdateGroup`). */
function removeMember(c: Ctx, groupId: string, memberId: string): [Ctx, Effect[]] {
  const g = findGroup(c, groupId) as Group;
  const effects: Effect[] = [cancelTimer(sessionTimerId(groupId, memberId))];
  let group: Group = { ...g, members: g.members.filter((m) => m.memberId !== memberId) };
  if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
    group = transition(group, 'PreparingRebalance');
    // Members waiting on a SyncGroup of the ended generation are told to rejoin.
    for (const m of group.members) if (m.awaitingSync !== null) effects.push(syncResponse(c, m.awaitingSync.from, m.awaitingSync.correlationId, groupId, 'REBALANCE_IN_PROGRESS'));
    group = { ...group, members: group.members.map((m) => ({ ...m, awaitingSync: null })) };
    const timeout = Math.max(1, ...group.members.map((m) => m.sessionTimeoutMs));
    effects.push(setTimer(rebalanceTimerId(groupId), timeout, { type: 'RebalanceTimeout', groupId, generationId: group.generationId } as { type: string }));
  }
  const [next, completion] = maybeCompleteJoin(putGroup(c, group), groupId, false);
  return [next, [...effects, ...completion]];
}

export function onSessionTimeout(c: Ctx, e: Ev<'MemberSessionTimeout'>): Outcome<Ctx> {
  const g = findGroup(c, e.groupId);
  if (g === undefined || !g.members.some((m) => m.memberId === e.memberId)) return ignore(c, 'member already gone');
  const [next, effects] = removeMember(c, e.groupId, e.memberId);
  return acted(next, effects);
}

// ---- Offsets -------------------------------------------------------------------------------------

function commitResponse(c: Ctx, type: 'OffsetCommitResponse' | 'TxnOffsetCommitResponse', to: NodeId, correlationId: number, groupId: string, p: GroupTopicPartition, errorCode: ErrorCode): Effect {
  if (type === 'OffsetCommitResponse') return send(to, { type, from: from(c), correlationId, groupId, topic: p.topic, partition: p.partition, errorCode });
  return send(to, { type, from: from(c), correlationId, topic: p.topic, partition: p.partition, errorCode });
}

/** `validateOffsetCommit` then the table; null = accepted. */
export function offsetCommitCheck(c: Ctx, e: OffsetCommit): { errorCode: ErrorCode; reason: string } | null {
  if (!ownsGroup(c, e.groupId)) return { errorCode: 'NOT_COORDINATOR', reason: 'not the coordinator for this group' };
  const g = findGroup(c, e.groupId) ?? emptyGroup(e.groupId);
  if (g.state === 'Dead') return { errorCode: 'COORDINATOR_NOT_AVAILABLE', reason: 'the group is being removed' };
  if (e.generationId < 0 && g.state === 'Empty') return null; // a commit from outside the group
  return memberCheck(c, e.groupId, e.memberId, e.generationId) ?? tableCheck(g, 'OffsetCommit');
}

export function onOffsetCommit(c: Ctx, e: Ev<'OffsetCommit'>): Outcome<Ctx> {
  const rejected = offsetCommitCheck(c, e);
  if (rejected !== null) {
    return { context: c, effects: [commitResponse(c, 'OffsetCommitResponse', e.from, e.correlationId, e.groupId, e, rejected.errorCode)], reason: rejected.reason };
  }
  const offset = { topic: e.topic, partition: e.partition, offset: e.committedOffset };
  const record: RecordToWrite = { key: offsetKey(e.groupId, e), value: JSON.stringify({ offset: e.committedOffset }), producer: null };
  const purpose: GroupWritePurpose = { kind: 'commit', request: 'OffsetCommit', to: e.from, correlationId: e.correlationId, offset, producerId: -1 };
  const [next, effects] = writeLog(putGroup(c, findGroup(c, e.groupId) ?? emptyGroup(e.groupId)), e.groupId, record, purpose);
  return acted(next, effects);
}

/** `validateTxnOffsetCommit` (KIP-447): null = accepted. */
export function txnOffsetCommitCheck(c: Ctx, e: TxnOffsetCommit): { errorCode: ErrorCode; reason: string } | null {
  if (!ownsGroup(c, e.groupId)) return { errorCode: 'NOT_COORDINATOR', reason: 'not the coordinator for this group' };
  // VARIANT no-generation-fencing (pre KIP-447): the group's members and generation are not consulted.
  if (hasVariant(c.config, 'no-generation-fencing')) return null;
  const g = findGroup(c, e.groupId) ?? emptyGroup(e.groupId);
  if (e.memberId !== UNKNOWN_MEMBER_ID && !g.members.some((m) => m.memberId === e.memberId)) {
    return { errorCode: 'UNKNOWN_MEMBER_ID', reason: 'not a member (KIP-447)' };
  }
  if (e.generationId >= 0 && e.generationId !== g.generationId) {
    return { errorCode: 'ILLEGAL_GENERATION', reason: `generation ${e.generationId} is not ${g.generationId} (KIP-447)` };
  }
  return null;
}

export function onTxnOffsetCommit(c: Ctx, e: Ev<'TxnOffsetCommit'>): Outcome<Ctx> {
  const rejected = txnOffsetCommitCheck(c, e);
  if (rejected !== null) {
    return { context: c, effects: [commitResponse(c, 'TxnOffsetCommitResponse', e.from, e.correlationId, e.groupId, e, rejected.errorCode)], reason: rejected.reason };
  }
  const offset = { topic: e.topic, partition: e.partition, offset: e.committedOffset };
  const record: RecordToWrite = {
    key: offsetKey(e.groupId, e),
    value: JSON.stringify({ offset: e.committedOffset }),
    producer: { producerId: e.producerId, producerEpoch: e.producerEpoch, transactionalId: e.transactionalId },
  };
  const purpose: GroupWritePurpose = { kind: 'commit', request: 'TxnOffsetCommit', to: e.from, correlationId: e.correlationId, offset, producerId: e.producerId };
  const [next, effects] = writeLog(putGroup(c, findGroup(c, e.groupId) ?? emptyGroup(e.groupId)), e.groupId, record, purpose);
  return acted(next, effects);
}

export function onOffsetFetch(c: Ctx, e: Ev<'OffsetFetch'>): Outcome<Ctx> {
  const respond = (errorCode: ErrorCode, committedOffset: number, reason: string | null): Outcome<Ctx> => ({
    context: c,
    effects: [send(e.from, { type: 'OffsetFetchResponse', from: from(c), correlationId: e.correlationId, groupId: e.groupId, topic: e.topic, partition: e.partition, errorCode, committedOffset })],
    reason,
  });
  if (!ownsGroup(c, e.groupId)) return respond('NOT_COORDINATOR', -1, 'not the coordinator for this group');
  const g = findGroup(c, e.groupId) ?? emptyGroup(e.groupId);
  if (e.requireStable && g.pendingTxnOffsets.some((o) => samePartition(o, e))) {
    return respond('UNSTABLE_OFFSET_COMMIT', -1, 'a transactional commit for the partition is pending (KIP-447)');
  }
  return respond('NONE', g.offsets.find((o) => samePartition(o, e))?.offset ?? -1, null);
}

/** A marker for `producerId` landed in this partition: its pending offsets commit or vanish. */
export function onTxnMarkerWritten(c: Ctx, e: Ev<'TxnMarkerWritten'>): Outcome<Ctx> {
  let next = c;
  for (const g of c.volatile.groups) next = putGroup(next, completeTxnOffsets(g, e.producerId, e.committed));
  return next === c ? ignore(c, 'no pending offsets of that producer') : acted(next, []);
}

// ---- Writes landing -------------------------------------------------------------------------------

export function onProduceResponse(c: Ctx, e: Ev<'ProduceResponse'>): Outcome<Ctx> {
  const write = c.volatile.pendingWrites.find((w) => w.correlationId === e.correlationId);
  if (write === undefined || e.topic !== CONSUMER_OFFSETS_TOPIC) return ignore(c, 'not an outstanding group log write');
  return landed(withVolatile(c, { pendingWrites: c.volatile.pendingWrites.filter((w) => w !== write) }), write, e.errorCode, [cancelTimer(groupWriteTimerId(write.correlationId))]);
}

export function onWriteTimeout(c: Ctx, e: Ev<'GroupLogWriteTimeout'>): Outcome<Ctx> {
  const write = c.volatile.pendingWrites.find((w) => w.correlationId === e.correlationId);
  if (write === undefined) return ignore(c, 'write already answered');
  return landed(withVolatile(c, { pendingWrites: c.volatile.pendingWrites.filter((w) => w !== write) }), write, 'REQUEST_TIMED_OUT', []);
}

function landed(c: Ctx, write: PendingGroupWrite, error: ErrorCode, effects: Effect[]): Outcome<Ctx> {
  const g = findGroup(c, write.groupId);
  if (g === undefined) return { context: c, effects, reason: 'group unloaded' };
  const p = write.purpose;
  if (p.kind === 'commit') {
    const type = p.request === 'OffsetCommit' ? 'OffsetCommitResponse' : 'TxnOffsetCommitResponse';
    const response = commitResponse(c, type, p.to, p.correlationId, g.groupId, p.offset, error === 'NONE' ? 'NONE' : mapAppendError(error));
    if (error !== 'NONE') return { context: c, effects: [...effects, response], reason: `offset write failed: ${error}` };
    const group = p.request === 'OffsetCommit' ? { ...g, offsets: setOffset(g.offsets, p.offset) } : { ...g, pendingTxnOffsets: [...g.pendingTxnOffsets, { ...p.offset, producerId: p.producerId }] };
    return acted(putGroup(c, group), [...effects, response]);
  }
  if (p.kind === 'empty') return { context: c, effects, reason: error === 'NONE' ? null : `group write failed: ${error}` };
  return assignmentLanded(c, g, p.generationId, error, effects);
}

/** The leader's assignment is stored: Stable, and every waiting SyncGroup is answered. */
function assignmentLanded(c: Ctx, g: Group, generationId: number, error: ErrorCode, effects: Effect[]): Outcome<Ctx> {
  if (g.state !== 'CompletingRebalance' || g.generationId !== generationId) return { context: c, effects, reason: 'the generation moved on' };
  const out = [...effects];
  if (error !== 'NONE') {
    // Kafka answers the waiting members with the mapped error; they rejoin.
    for (const m of g.members) if (m.awaitingSync !== null) out.push(syncResponse(c, m.awaitingSync.from, m.awaitingSync.correlationId, g.groupId, mapAppendError(error)));
    const [next, rebalance] = rebalanceAfterFailure(c, g);
    return { context: next, effects: [...out, ...rebalance], reason: `assignment write failed: ${error}` };
  }
  for (const m of g.members) if (m.awaitingSync !== null) out.push(syncResponse(c, m.awaitingSync.from, m.awaitingSync.correlationId, g.groupId, 'NONE', m.assignment));
  const stable = transition({ ...g, members: g.members.map((m) => ({ ...m, awaitingSync: null })) }, 'Stable');
  return acted(putGroup(c, stable), out);
}

function rebalanceAfterFailure(c: Ctx, g: Group): [Ctx, Effect[]] {
  const group = transition({ ...g, members: g.members.map((m) => ({ ...m, awaitingSync: null })) }, 'PreparingRebalance');
  const timeout = Math.max(1, ...group.members.map((m) => m.sessionTimeoutMs));
  const timer = setTimer(rebalanceTimerId(g.groupId), timeout, { type: 'RebalanceTimeout', groupId: g.groupId, generationId: g.generationId } as { type: string });
  return [putGroup(c, group), [timer]];
}

// ---- Not the coordinator ----------------------------------------------------------------------

function notCoordinator(c: Ctx, e: GroupCoordinatorEvent): Outcome<Ctx> {
  switch (e.type) {
    case 'JoinGroup':
      return onJoinGroup(c, e);
    case 'SyncGroup':
      return onSyncGroup(c, e);
    case 'Heartbeat':
      return onHeartbeat(c, e);
    case 'LeaveGroup':
      return onLeaveGroup(c, e);
    case 'OffsetCommit':
      return onOffsetCommit(c, e);
    case 'OffsetFetch':
      return onOffsetFetch(c, e);
    case 'TxnOffsetCommit':
      return onTxnOffsetCommit(c, e);
    default:
      return ignore(c, 'not the coordinator');
  }
}

// ---- The machine --------------------------------------------------------------------------------

export const groupCoordinatorMachine = setup({
  types: {} as { context: GroupCoordinatorContext; input: GroupCoordinatorInput; events: GroupCoordinatorEvent; emitted: Effect },
  guards: {
    electedNow: ({ context, event }) => event.type === 'GroupCoordinatorElected' && event.coordinatorEpoch >= context.volatile.coordinatorEpoch,
    resignedNow: ({ context, event }) => event.type === 'GroupCoordinatorResigned' && event.coordinatorEpoch >= context.volatile.coordinatorEpoch,
  },
  actions: {
    onElected: perform(onElected),
    onResigned: perform(onResigned),
    onFindCoordinator: perform(onFindCoordinator),
    onJoinGroup: perform(onJoinGroup),
    onSyncGroup: perform(onSyncGroup),
    onHeartbeat: perform(onHeartbeat),
    onLeaveGroup: perform(onLeaveGroup),
    onOffsetCommit: perform(onOffsetCommit),
    onOffsetFetch: perform(onOffsetFetch),
    onTxnOffsetCommit: perform(onTxnOffsetCommit),
    onTxnMarkerWritten: perform(onTxnMarkerWritten),
    onProduceResponse: perform(onProduceResponse),
    onWriteTimeout: perform(onWriteTimeout),
    onRebalanceTimeout: perform(onRebalanceTimeout),
    onSessionTimeout: perform(onSessionTimeout),
    notCoordinator: perform(notCoordinator),
  },
}).createMachine({
  id: 'groupCoordinator',
  context: ({ input }) => initialContext(input),
  initial: 'inactive',
  on: {
    FindCoordinator: { actions: 'onFindCoordinator' },
    GroupCoordinatorElected: { guard: 'electedNow', target: '.active', actions: 'onElected' },
  },
  states: {
    /** Not leading the partition: requests get NOT_COORDINATOR (the handlers' first check). */
    inactive: {
      on: {
        JoinGroup: { actions: 'notCoordinator' },
        SyncGroup: { actions: 'notCoordinator' },
        Heartbeat: { actions: 'notCoordinator' },
        LeaveGroup: { actions: 'notCoordinator' },
        OffsetCommit: { actions: 'notCoordinator' },
        OffsetFetch: { actions: 'notCoordinator' },
        TxnOffsetCommit: { actions: 'notCoordinator' },
      },
    },
    active: {
      on: {
        GroupCoordinatorResigned: { guard: 'resignedNow', target: 'inactive', actions: 'onResigned' },
        JoinGroup: { actions: 'onJoinGroup' },
        SyncGroup: { actions: 'onSyncGroup' },
        Heartbeat: { actions: 'onHeartbeat' },
        LeaveGroup: { actions: 'onLeaveGroup' },
        OffsetCommit: { actions: 'onOffsetCommit' },
        OffsetFetch: { actions: 'onOffsetFetch' },
        TxnOffsetCommit: { actions: 'onTxnOffsetCommit' },
        TxnMarkerWritten: { actions: 'onTxnMarkerWritten' },
        ProduceResponse: { actions: 'onProduceResponse' },
        GroupLogWriteTimeout: { actions: 'onWriteTimeout' },
        RebalanceTimeout: { actions: 'onRebalanceTimeout' },
        MemberSessionTimeout: { actions: 'onSessionTimeout' },
      },
    },
  },
});


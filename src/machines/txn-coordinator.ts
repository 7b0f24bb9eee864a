/**
 * # The transaction coordinator: one `__transaction_state` partition on one broker
 *
 * Kafka's `TransactionCoordinator` + `TransactionStateManager` +
 * `TransactionMarkerChannelManager`, for the transactional ids that hash to one partition
 * of `__transaction_state` (`partitionFor`), as a pure machine. The broker that leads that
 * partition is the coordinator; its leader epoch is the **coordinator epoch**.
 *
 * - **Transaction log.** Each transactional id's metadata (producer id and epoch, state,
 *   partitions, timeout, timestamps) is a record (key = transactionalId) in the
 *   `__transaction_state` partition, a replicated partition on segment files (the replica
 *   machine). Every state change is first written there with acks=all (a `Produce` to
 *   this broker's own replica); only its ProduceResponse makes it take effect, and only
 *   then is the client answered (`appendTransactionToLog`). A write in flight is Kafka's
 *   `pendingState`: any other request for that id gets CONCURRENT_TRANSACTIONS.
 * - **Decisions** come from the TransactionState table (txn-state.ts), after the producer
 *   checks: unknown id or another producer id → INVALID_PRODUCER_ID_MAPPING, another epoch
 *   → PRODUCER_FENCED.
 * - **InitProducerId** gives a new id a producer id; otherwise bumps the epoch (a new
 *   producer id once the epoch is exhausted, ≥ 32766), fencing zombies. With a transaction
 *   open it enters PrepareEpochFence (epoch + 1), aborts that transaction and answers
 *   CONCURRENT_TRANSACTIONS; the client's retry then bumps again.
 * - **EndTxn** writes PrepareCommit/PrepareAbort, answers the client, sends
 *   **WriteTxnMarkers** (with the coordinator epoch) to every partition's leader (learned
 *   by Metadata), retrying until each is written, then writes CompleteCommit/CompleteAbort.
 *   TV2 (`transaction.version=2`, KIP-890 part 2) bumps the epoch on every EndTxn; the
 *   markers carry the bumped epoch and the response returns it.
 * - **Timeout.** Every 10 s (`transaction.abort.timed.out.transaction.cleanup.interval.ms`)
 *   an Ongoing transaction older than its timeout is fenced (epoch + 1) and aborted.
 * - **Failover.** The host tells the machine when this broker becomes leader of the
 *   partition (`TxnCoordinatorElected`, with the coordinator epoch and the partition's
 *   log) or stops leading it (`TxnCoordinatorResigned`). Loading replays the log (last
 *   record per id wins) and resumes every PrepareCommit/PrepareAbort by sending its
 *   markers again (`TransactionStateManager.loadTransactionsForTxnTopicPartition`).
 *
 * Context: everything is `volatile` (Kafka's in-memory cache); what persists is the
 * `__transaction_state` log, held by the replica machine, from which a new term reloads.
 *
 * Variants: `no-zombie-fencing` (InitProducerId with no transaction open returns the same
 * producer id and epoch instead of bumping it, so an old instance with that epoch keeps
 * writing and committing; aborting an open transaction still bumps), marked VARIANT below.
 *
 * Events carry `nowMs`. Timers: `TxnTimeoutCheck`, `TxnLogWriteTimeout`, `TxnMarkerTimer`.
 */
import { setup } from 'xstate';
import { assert } from '../core/assert.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import { hasVariant } from '../protocol/config.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { type LogBatch, NO_PRODUCER_ID } from '../protocol/log.ts';
import {
  type Delivered,
  type InitProducerId,
  type InitProducerIdResponse,
  type MetadataResponse,
  type NodeId,
  type ProduceResponse,
  brokerNode,
} from '../protocol/messages.ts';
import {
  type AddOffsetsToTxn,
  type AddPartitionsToTxn,
  type EndTxn,
  type FindCoordinator,
  type TxnTopicPartition,
  type WriteTxnMarkersResponse,
  CONSUMER_OFFSETS_TOPIC,
  COORDINATOR_TRANSACTION,
  TRANSACTION_STATE_TOPIC,
  partitionFor,
} from '../protocol/txn-messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, cancelTimer, ignore, perform, send, setTimer } from './machine-kit.ts';
import {
  type TransactionState,
  type TransactionVersion,
  type TxnRequest,
  checkTransition,
  stateId,
  stateOfId,
  txnOutcome,
} from './txn-state.ts';

/** Short.MaxValue; an epoch ≥ MAX_EPOCH - 1 is exhausted (`TransactionMetadata.isEpochExhausted`). */
export const MAX_EPOCH = 32767;
export const TXN_ABORT_CHECK_INTERVAL_MS = 10000;

// ---- Context -----------------------------------------------------------------------------

/** `TransactionMetadata`: what the log holds per transactional id. */
export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: number;
  /** KIP-360/890: the id before the last rotation, -1 if none. */
  readonly previousProducerId: number;
  /** TV2: the id a commit/abort at an exhausted epoch rotates to, -1 if none. */
  readonly nextProducerId: number;
  readonly producerEpoch: number;
  /** The epoch before the last bump (a TV2 EndTxn retry carries it), -1 if none. */
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  /** Sorted by (topic, partition). */
  readonly partitions: readonly TxnTopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  readonly clientTransactionVersion: TransactionVersion;
}

/** Who is answered once a log write lands. */
export type PendingReply =
  | { readonly kind: 'InitProducerId'; readonly to: NodeId; readonly correlationId: number }
  | { readonly kind: 'AddPartitionsToTxn'; readonly to: NodeId; readonly correlationId: number; readonly partitions: readonly TxnTopicPartition[] }
  | { readonly kind: 'AddOffsetsToTxn'; readonly to: NodeId; readonly correlationId: number }
  | { readonly kind: 'EndTxn'; readonly to: NodeId; readonly correlationId: number };

/** A write to `__transaction_state` in flight (Kafka's `pendingState`). */
export interface PendingWrite {
  readonly correlationId: number;
  readonly transactionalId: string;
  readonly target: TxnMetadata;
  readonly reply: PendingReply | null;
}

/** A marker still to be written to one partition. */
export interface PendingMarker {
  readonly transactionalId: string;
  readonly topic: string;
  readonly partition: number;
  /** The partition's leader, -1 until a Metadata answer names it. */
  readonly leader: number;
  /** Outstanding WriteTxnMarkers or Metadata request, -1 if none. */
  readonly correlationId: number;
}

export interface TxnCoordinatorVolatile {
  /** -1 when this broker is not the coordinator of the partition. */
  readonly coordinatorEpoch: number;
  /** By transactionalId. */
  readonly txns: readonly TxnMetadata[];
  readonly pendingWrites: readonly PendingWrite[];
  readonly markers: readonly PendingMarker[];
  readonly nextProducerId: number;
  readonly nextCorrelationId: number;
  readonly metadataCursor: number;
}

export interface TxnCoordinatorContext {
  readonly config: ClusterConfig;
  readonly brokerId: number;
  /** The `__transaction_state` partition served, and how many there are. */
  readonly txnLogPartition: number;
  readonly txnLogPartitions: number;
  /** `offsets.topic.num.partitions` (AddOffsetsToTxn's partition). */
  readonly offsetsTopicPartitions: number;
  /** Brokers to ask for partition leaders (Metadata). */
  readonly bootstrapBrokers: readonly number[];
  readonly volatile: TxnCoordinatorVolatile;
}

export interface TxnCoordinatorInput {
  readonly config: ClusterConfig;
  readonly brokerId: number;
  readonly txnLogPartition: number;
  readonly txnLogPartitions: number;
  readonly offsetsTopicPartitions: number;
  readonly bootstrapBrokers: readonly number[];
}

// ---- Events ------------------------------------------------------------------------------

/** The host: this broker now leads the partition (`onElection`); `log` is its log. */
export type TxnCoordinatorElected = {
  readonly type: 'TxnCoordinatorElected';
  readonly nowMs: number;
  readonly coordinatorEpoch: number;
  readonly log: readonly LogBatch[];
};
/** The host: this broker no longer leads the partition (`onResignation`). */
export type TxnCoordinatorResigned = { readonly type: 'TxnCoordinatorResigned'; readonly nowMs: number; readonly coordinatorEpoch: number };
export type TxnTimeoutCheck = { readonly type: 'TxnTimeoutCheck'; readonly nowMs: number };
export type TxnLogWriteTimeout = { readonly type: 'TxnLogWriteTimeout'; readonly nowMs: number; readonly correlationId: number };
export type TxnMarkerTimer = {
  readonly type: 'TxnMarkerTimer';
  readonly nowMs: number;
  readonly transactionalId: string;
  readonly topic: string;
  readonly partition: number;
};

export type TxnCoordinatorEvent =
  | TxnCoordinatorElected
  | TxnCoordinatorResigned
  | Delivered<FindCoordinator>
  | Delivered<InitProducerId>
  | Delivered<AddPartitionsToTxn>
  | Delivered<AddOffsetsToTxn>
  | Delivered<EndTxn>
  | Delivered<ProduceResponse>
  | Delivered<WriteTxnMarkersResponse>
  | Delivered<MetadataResponse>
  | TxnTimeoutCheck
  | TxnLogWriteTimeout
  | TxnMarkerTimer;

type Ctx = TxnCoordinatorContext;
type Ev<T extends TxnCoordinatorEvent['type']> = Extract<TxnCoordinatorEvent, { type: T }>;

export const TXN_TIMEOUT_CHECK_TIMER = 'txn-timeout-check';
export function writeTimerId(correlationId: number): string {
  return `txn-log-write/${correlationId}`;
}
export function markerTimerId(transactionalId: string, topic: string, partition: number): string {
  return `txn-marker/${transactionalId}/${topic}-${partition}`;
}

/**
 * Producer ids this coordinator hands out: a range per (broker, partition), above the
 * controller's idempotent ids, continued after the largest id already in the log. (Kafka
 * gets blocks of ids from the controller, KIP-730; the uniqueness is the same.)
 */
export function producerIdBase(brokerId: number, txnLogPartition: number): number {
  return 1_000_000 * (1 + brokerId * 100 + txnLogPartition);
}
const PRODUCER_ID_RANGE = 1_000_000;

// ---- Small helpers -----------------------------------------------------------------------

function withVolatile(c: Ctx, change: Partial<TxnCoordinatorVolatile>): Ctx {
  return { ...c, volatile: { ...c.volatile, ...change } };
}

function nextCorrelation(c: Ctx): [Ctx, number] {
  const id = c.volatile.nextCorrelationId;
  return [withVolatile(c, { nextCorrelationId: id + 1 }), id];
}

export function findTxn(c: Ctx, transactionalId: string): TxnMetadata | undefined {
  return c.volatile.txns.find((t) => t.transactionalId === transactionalId);
}

function putTxn(c: Ctx, m: TxnMetadata): Ctx {
  const others = c.volatile.txns.filter((t) => t.transactionalId !== m.transactionalId);
  const txns = [...others, m].sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  return withVolatile(c, { txns });
}

function pendingWriteFor(c: Ctx, transactionalId: string): PendingWrite | undefined {
  return c.volatile.pendingWrites.find((w) => w.transactionalId === transactionalId);
}

function comparePartitions(a: TxnTopicPartition, b: TxnTopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function unionPartitions(a: readonly TxnTopicPartition[], b: readonly TxnTopicPartition[]): TxnTopicPartition[] {
  const all = [...a];
  for (const p of b) if (!all.some((q) => q.topic === p.topic && q.partition === p.partition)) all.push({ topic: p.topic, partition: p.partition });
  return all.sort(comparePartitions);
}

function transactionVersion(c: Ctx): TransactionVersion {
  return c.config['transaction.version'] >= 2 ? 2 : 1;
}

function isActive(c: Ctx): boolean {
  return c.volatile.coordinatorEpoch >= 0;
}

function ownsId(c: Ctx, transactionalId: string): boolean {
  return partitionFor(transactionalId, c.txnLogPartitions) === c.txnLogPartition;
}

/** The producer id and epoch after a bump: a new producer id once the epoch is exhausted. */
function bumpEpoch(c: Ctx, m: TxnMetadata): [Ctx, Pick<TxnMetadata, 'producerId' | 'producerEpoch' | 'previousProducerId' | 'lastProducerEpoch'>] {
  if (m.producerEpoch >= MAX_EPOCH - 1) {
    const [next, producerId] = allocateProducerId(c);
    return [next, { producerId, producerEpoch: 0, previousProducerId: m.producerId, lastProducerEpoch: -1 }];
  }
  return [c, { producerId: m.producerId, producerEpoch: m.producerEpoch + 1, previousProducerId: m.previousProducerId, lastProducerEpoch: m.producerEpoch }];
}

function allocateProducerId(c: Ctx): [Ctx, number] {
  const id = c.volatile.nextProducerId;
  return [withVolatile(c, { nextProducerId: id + 1 }), id];
}

// ---- The transaction log ---------------------------------------------------------------------

/** The record value (`TransactionLogValue` fields), as canonical JSON. */
export function encodeTxnMetadata(m: TxnMetadata): string {
  return JSON.stringify({
    producerId: m.producerId,
    previousProducerId: m.previousProducerId,
    nextProducerId: m.nextProducerId,
    producerEpoch: m.producerEpoch,
    lastProducerEpoch: m.lastProducerEpoch,
    txnTimeoutMs: m.txnTimeoutMs,
    state: stateId(m.state),
    partitions: m.partitions.map((p) => [p.topic, p.partition]),
    txnStartTimestamp: m.txnStartTimestamp,
    txnLastUpdateTimestamp: m.txnLastUpdateTimestamp,
    clientTransactionVersion: m.clientTransactionVersion,
  });
}

export function decodeTxnMetadata(transactionalId: string, value: string): TxnMetadata {
  const v = JSON.parse(value) as Record<string, unknown>;
  const num = (k: string): number => {
    const x = v[k];
    assert(typeof x === 'number' && Number.isInteger(x), `__transaction_state record for ${transactionalId}: ${k} is not an integer`);
    return x;
  };
  const partitions = v['partitions'];
  assert(Array.isArray(partitions), `__transaction_state record for ${transactionalId}: no partitions`);
  return {
    transactionalId,
    producerId: num('producerId'),
    previousProducerId: num('previousProducerId'),
    nextProducerId: num('nextProducerId'),
    producerEpoch: num('producerEpoch'),
    lastProducerEpoch: num('lastProducerEpoch'),
    txnTimeoutMs: num('txnTimeoutMs'),
    state: stateOfId(num('state')),
    partitions: (partitions as [string, number][]).map(([topic, partition]) => ({ topic, partition })),
    txnStartTimestamp: num('txnStartTimestamp'),
    txnLastUpdateTimestamp: num('txnLastUpdateTimestamp'),
    clientTransactionVersion: num('clientTransactionVersion') >= 2 ? 2 : 1,
  };
}

/** The transactions a log holds: the last record per transactional id. */
export function loadTxnLog(log: readonly LogBatch[]): TxnMetadata[] {
  const latest = new Map<string, string>();
  for (const batch of log) {
    if (batch.isControl) continue;
    for (const r of batch.records) if (r.key !== null) latest.set(r.key, r.value);
  }
  return [...latest.keys()].sort().map((id) => decodeTxnMetadata(id, latest.get(id) as string));
}

/** Write `target` for its id (acks=all, to this broker's own `__transaction_state` replica). */
function writeTxnLog(c: Ctx, target: TxnMetadata, reply: PendingReply | null): [Ctx, Effect[]] {
  assert(pendingWriteFor(c, target.transactionalId) === undefined, 'one write per transactional id at a time');
  const [next, correlationId] = nextCorrelation(c);
  const message = {
    type: 'Produce' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    topic: TRANSACTION_STATE_TOPIC,
    partition: c.txnLogPartition,
    transactionalId: null,
    acks: -1 as const,
    timeoutMs: c.config['request.timeout.ms'],
    records: {
      baseOffset: 0,
      lastOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
      isControl: false,
      records: [{ key: target.transactionalId, value: encodeTxnMetadata(target) }],
    },
  };
  const pending: PendingWrite = { correlationId, transactionalId: target.transactionalId, target, reply };
  const written = withVolatile(next, { pendingWrites: [...next.volatile.pendingWrites, pending] });
  const timer = setTimer(writeTimerId(correlationId), c.config['request.timeout.ms'] * 2, {
    type: 'TxnLogWriteTimeout',
    correlationId,
  } as { type: string });
  return [written, [send(brokerNode(c.brokerId), message), timer]];
}

/** Move `m` along `path` (checked against the table of legal transitions). */
function checkPath(from: TransactionState, path: readonly TransactionState[], version: TransactionVersion): void {
  let state = from;
  for (const to of path) {
    checkTransition(state, to, version);
    state = to;
  }
}

// ---- Responses -----------------------------------------------------------------------------

function initProducerIdResponse(c: Ctx, to: NodeId, correlationId: number, errorCode: ErrorCode, m?: TxnMetadata): Effect {
  const message: InitProducerIdResponse = {
    type: 'InitProducerIdResponse',
    from: brokerNode(c.brokerId),
    correlationId,
    errorCode,
    producerId: errorCode === 'NONE' && m !== undefined ? m.producerId : NO_PRODUCER_ID,
    producerEpoch: errorCode === 'NONE' && m !== undefined ? m.producerEpoch : -1,
  };
  return send(to, message);
}

function addPartitionsResponse(
  c: Ctx,
  to: NodeId,
  correlationId: number,
  transactionalId: string,
  partitions: readonly TxnTopicPartition[],
  errorCode: ErrorCode,
): Effect {
  return send(to, {
    type: 'AddPartitionsToTxnResponse',
    from: brokerNode(c.brokerId),
    correlationId,
    transactionalId,
    errorCode,
    results: partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode })),
  });
}

function addOffsetsResponse(c: Ctx, to: NodeId, correlationId: number, transactionalId: string, errorCode: ErrorCode): Effect {
  return send(to, { type: 'AddOffsetsToTxnResponse', from: brokerNode(c.brokerId), correlationId, transactionalId, errorCode });
}

function endTxnResponse(c: Ctx, to: NodeId, correlationId: number, transactionalId: string, errorCode: ErrorCode, next?: { producerId: number; producerEpoch: number }): Effect {
  const tv2 = transactionVersion(c) >= 2 && errorCode === 'NONE' && next !== undefined;
  return send(to, {
    type: 'EndTxnResponse',
    from: brokerNode(c.brokerId),
    correlationId,
    transactionalId,
    errorCode,
    producerId: tv2 ? next.producerId : NO_PRODUCER_ID,
    producerEpoch: tv2 ? next.producerEpoch : -1,
  });
}

/** The id and epoch a TV2 client continues with after `m` completes. */
function continuation(m: TxnMetadata): { producerId: number; producerEpoch: number } {
  if (m.nextProducerId >= 0) return { producerId: m.nextProducerId, producerEpoch: 0 };
  return { producerId: m.producerId, producerEpoch: m.producerEpoch };
}

function replyWith(c: Ctx, reply: PendingReply, transactionalId: string, errorCode: ErrorCode, m?: TxnMetadata): Effect {
  switch (reply.kind) {
    case 'InitProducerId':
      return initProducerIdResponse(c, reply.to, reply.correlationId, errorCode, m);
    case 'AddPartitionsToTxn':
      return addPartitionsResponse(c, reply.to, reply.correlationId, transactionalId, reply.partitions, errorCode);
    case 'AddOffsetsToTxn':
      return addOffsetsResponse(c, reply.to, reply.correlationId, transactionalId, errorCode);
    case 'EndTxn':
      return endTxnResponse(c, reply.to, reply.correlationId, transactionalId, errorCode, m === undefined ? undefined : continuation(m));
  }
}

// ---- Election, resignation, FindCoordinator ------------------------------------------------------

function initialContext(input: TxnCoordinatorInput): Ctx {
  return {
    config: input.config,
    brokerId: input.brokerId,
    txnLogPartition: input.txnLogPartition,
    txnLogPartitions: input.txnLogPartitions,
    offsetsTopicPartitions: input.offsetsTopicPartitions,
    bootstrapBrokers: [...input.bootstrapBrokers],
    volatile: {
      coordinatorEpoch: -1,
      txns: [],
      pendingWrites: [],
      markers: [],
      nextProducerId: producerIdBase(input.brokerId, input.txnLogPartition),
      nextCorrelationId: 0,
      metadataCursor: 0,
    },
  };
}

/** Load the partition's log, then resume every transaction caught between Prepare and Complete. */
export function onElected(c: Ctx, e: Ev<'TxnCoordinatorElected'>): Outcome<Ctx> {
  if (e.coordinatorEpoch < c.volatile.coordinatorEpoch) return ignore(c, 'election from an older epoch');
  const txns = loadTxnLog(e.log);
  const base = producerIdBase(c.brokerId, c.txnLogPartition);
  const ours = txns.flatMap((t) => [t.producerId, t.nextProducerId]).filter((id) => id >= base && id < base + PRODUCER_ID_RANGE);
  let next: Ctx = {
    ...c,
    volatile: {
      ...c.volatile,
      coordinatorEpoch: e.coordinatorEpoch,
      txns,
      pendingWrites: [],
      markers: [],
      nextProducerId: Math.max(base, c.volatile.nextProducerId, ...ours.map((id) => id + 1)),
    },
  };
  const effects: Effect[] = [setTimer(TXN_TIMEOUT_CHECK_TIMER, TXN_ABORT_CHECK_INTERVAL_MS, { type: 'TxnTimeoutCheck' })];
  for (const m of txns) {
    if (m.state !== 'PrepareCommit' && m.state !== 'PrepareAbort') continue;
    const [resumed, sent] = startMarkers(next, m);
    next = resumed;
    effects.push(...sent);
  }
  return acted(next, effects);
}

export function onResigned(c: Ctx, e: Ev<'TxnCoordinatorResigned'>): Outcome<Ctx> {
  if (e.coordinatorEpoch < c.volatile.coordinatorEpoch) return ignore(c, 'resignation from an older epoch');
  const effects: Effect[] = [cancelTimer(TXN_TIMEOUT_CHECK_TIMER)];
  for (const w of c.volatile.pendingWrites) effects.push(cancelTimer(writeTimerId(w.correlationId)));
  for (const m of c.volatile.markers) effects.push(cancelTimer(markerTimerId(m.transactionalId, m.topic, m.partition)));
  const next = withVolatile(c, { coordinatorEpoch: -1, txns: [], pendingWrites: [], markers: [] });
  return acted(next, effects);
}

export function onFindCoordinator(c: Ctx, e: Ev<'FindCoordinator'>): Outcome<Ctx> {
  const mine = e.keyType === COORDINATOR_TRANSACTION && isActive(c) && ownsId(c, e.key);
  const message = {
    type: 'FindCoordinatorResponse' as const,
    from: brokerNode(c.brokerId),
    correlationId: e.correlationId,
    errorCode: mine ? ('NONE' as const) : ('NOT_COORDINATOR' as const),
    key: e.key,
    keyType: e.keyType,
    nodeId: mine ? c.brokerId : -1,
  };
  return { context: c, effects: [send(e.from, message)], reason: mine ? null : 'not the coordinator for this id' };
}

// ---- InitProducerId ----------------------------------------------------------------------------

/** `handleInitProducerId`. */
export function onInitProducerId(c: Ctx, e: Ev<'InitProducerId'>): Outcome<Ctx> {
  const reject = (errorCode: ErrorCode, reason: string): Outcome<Ctx> => ({
    context: c,
    effects: [initProducerIdResponse(c, e.from, e.correlationId, errorCode)],
    reason,
  });
  const id = e.transactionalId;
  if (id === null) return reject('INVALID_REQUEST', 'not a transactional InitProducerId');
  if (!isActive(c) || !ownsId(c, id)) return reject('NOT_COORDINATOR', 'not the coordinator for this id');
  if (pendingWriteFor(c, id) !== undefined) return reject('CONCURRENT_TRANSACTIONS', 'a write for this id is in flight');
  const m = findTxn(c, id);
  const reply: PendingReply = { kind: 'InitProducerId', to: e.from, correlationId: e.correlationId };
  if (m === undefined) return newTransactionalId(c, e, reply);
  if (e.producerId !== NO_PRODUCER_ID && (e.producerId !== m.producerId || e.producerEpoch !== m.producerEpoch)) {
    return reject('PRODUCER_FENCED', 'the given producer id and epoch are not the current ones');
  }
  const outcome = txnOutcome('InitProducerId', m.state, m.clientTransactionVersion);
  if (outcome.kind !== 'transit') return reject(outcome.kind === 'reply' ? outcome.errorCode : 'INVALID_TXN_STATE', outcome.note);
  checkPath(m.state, outcome.path, m.clientTransactionVersion);
  if (m.state === 'Ongoing') {
    // PrepareEpochFence: bump the epoch, abort the open transaction, make the client retry.
    const [fenced, effects] = fenceAndAbort(c, m, e.nowMs);
    return acted(fenced, [...effects, initProducerIdResponse(c, e.from, e.correlationId, 'CONCURRENT_TRANSACTIONS')]);
  }
  const [bumped, ids] = hasVariant(c.config, 'no-zombie-fencing')
    ? // VARIANT no-zombie-fencing: the same producer id and epoch again, so a zombie keeps writing.
      [c, { producerId: m.producerId, producerEpoch: m.producerEpoch, previousProducerId: m.previousProducerId, lastProducerEpoch: m.lastProducerEpoch }]
    : bumpEpoch(c, m);
  const target: TxnMetadata = {
    ...m,
    ...ids,
    nextProducerId: -1,
    state: 'Empty',
    partitions: [],
    txnTimeoutMs: e.transactionTimeoutMs,
    txnLastUpdateTimestamp: e.nowMs,
    clientTransactionVersion: transactionVersion(c),
  };
  const [next, effects] = writeTxnLog(bumped, target, reply);
  return acted(next, effects);
}

function newTransactionalId(c: Ctx, e: Ev<'InitProducerId'>, reply: PendingReply): Outcome<Ctx> {
  const [allocated, producerId] = allocateProducerId(c);
  const target: TxnMetadata = {
    transactionalId: e.transactionalId as string,
    producerId,
    previousProducerId: -1,
    nextProducerId: -1,
    producerEpoch: 0,
    lastProducerEpoch: -1,
    txnTimeoutMs: e.transactionTimeoutMs,
    state: 'Empty',
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: e.nowMs,
    clientTransactionVersion: transactionVersion(c),
  };
  const [next, effects] = writeTxnLog(allocated, target, reply);
  return acted(next, effects);
}

/**
 * `prepareFenceProducerEpoch` + an abort not from the client: the in-memory state becomes
 * PrepareEpochFence at epoch + 1, then PrepareAbort is written with that epoch.
 */
function fenceAndAbort(c: Ctx, m: TxnMetadata, nowMs: number): [Ctx, Effect[]] {
  checkTransition(m.state, 'PrepareEpochFence', m.clientTransactionVersion);
  const epoch = Math.min(m.producerEpoch + 1, MAX_EPOCH);
  const fencing: TxnMetadata = { ...m, state: 'PrepareEpochFence', producerEpoch: epoch, lastProducerEpoch: m.producerEpoch };
  checkTransition('PrepareEpochFence', 'PrepareAbort', m.clientTransactionVersion);
  const target: TxnMetadata = { ...fencing, state: 'PrepareAbort', txnLastUpdateTimestamp: nowMs };
  return writeTxnLog(putTxn(c, fencing), target, null);
}

// ---- AddPartitionsToTxn / AddOffsetsToTxn ---------------------------------------------------------

type ProducerCheck = { readonly ok: true; readonly m: TxnMetadata } | { readonly ok: false; readonly errorCode: ErrorCode; readonly reason: string };

/** The checks every request from a transactional producer passes first. */
export function checkProducer(c: Ctx, transactionalId: string, producerId: number, producerEpoch: number): ProducerCheck {
  if (!isActive(c) || !ownsId(c, transactionalId)) return { ok: false, errorCode: 'NOT_COORDINATOR', reason: 'not the coordinator for this id' };
  const m = findTxn(c, transactionalId);
  if (m === undefined || m.producerId !== producerId) {
    return { ok: false, errorCode: 'INVALID_PRODUCER_ID_MAPPING', reason: 'unknown transactional id or another producer id' };
  }
  if (m.producerEpoch !== producerEpoch) return { ok: false, errorCode: 'PRODUCER_FENCED', reason: 'another producer epoch' };
  if (pendingWriteFor(c, transactionalId) !== undefined) {
    return { ok: false, errorCode: 'CONCURRENT_TRANSACTIONS', reason: 'a write for this id is in flight' };
  }
  return { ok: true, m };
}

export function onAddPartitionsToTxn(c: Ctx, e: Ev<'AddPartitionsToTxn'>): Outcome<Ctx> {
  const respond = (errorCode: ErrorCode, reason: string | null): Outcome<Ctx> => ({
    context: c,
    effects: [addPartitionsResponse(c, e.from, e.correlationId, e.transactionalId, e.partitions, errorCode)],
    reason,
  });
  const check = checkProducer(c, e.transactionalId, e.producerId, e.producerEpoch);
  if (e.verifyOnly) return verify(c, e, check, respond);
  if (!check.ok) return respond(check.errorCode, check.reason);
  const reply: PendingReply = { kind: 'AddPartitionsToTxn', to: e.from, correlationId: e.correlationId, partitions: e.partitions };
  return addPartitions(c, check.m, e.partitions, reply, e.nowMs, respond);
}

/** KIP-890 part 1: is every partition in the producer's open transaction? Nothing changes. */
function verify(
  c: Ctx,
  e: Ev<'AddPartitionsToTxn'>,
  check: ProducerCheck,
  respond: (errorCode: ErrorCode, reason: string | null) => Outcome<Ctx>,
): Outcome<Ctx> {
  if (!check.ok) return respond(check.errorCode, check.reason);
  const m = check.m;
  const inTxn = m.state === 'Ongoing' && e.partitions.every((p) => m.partitions.some((q) => q.topic === p.topic && q.partition === p.partition));
  return respond(inTxn ? 'NONE' : 'INVALID_TXN_STATE', inTxn ? null : 'partition not in the open transaction');
}

export function onAddOffsetsToTxn(c: Ctx, e: Ev<'AddOffsetsToTxn'>): Outcome<Ctx> {
  const respond = (errorCode: ErrorCode, reason: string | null): Outcome<Ctx> => ({
    context: c,
    effects: [addOffsetsResponse(c, e.from, e.correlationId, e.transactionalId, errorCode)],
    reason,
  });
  const check = checkProducer(c, e.transactionalId, e.producerId, e.producerEpoch);
  if (!check.ok) return respond(check.errorCode, check.reason);
  const offsets = { topic: CONSUMER_OFFSETS_TOPIC, partition: partitionFor(e.groupId, c.offsetsTopicPartitions) };
  const reply: PendingReply = { kind: 'AddOffsetsToTxn', to: e.from, correlationId: e.correlationId };
  return addPartitions(c, check.m, [offsets], reply, e.nowMs, respond);
}

function addPartitions(
  c: Ctx,
  m: TxnMetadata,
  partitions: readonly TxnTopicPartition[],
  reply: PendingReply,
  nowMs: number,
  respond: (errorCode: ErrorCode, reason: string | null) => Outcome<Ctx>,
): Outcome<Ctx> {
  const outcome = txnOutcome('AddPartitionsToTxn', m.state, m.clientTransactionVersion);
  if (outcome.kind !== 'transit') return respond(outcome.kind === 'reply' ? outcome.errorCode : 'INVALID_TXN_STATE', outcome.note);
  checkPath(m.state, outcome.path, m.clientTransactionVersion);
  const all = unionPartitions(m.partitions, partitions);
  if (m.state === 'Ongoing' && all.length === m.partitions.length) return respond('NONE', null); // already in
  const target: TxnMetadata = {
    ...m,
    state: 'Ongoing',
    partitions: all,
    txnStartTimestamp: m.state === 'Ongoing' ? m.txnStartTimestamp : nowMs,
    txnLastUpdateTimestamp: nowMs,
  };
  const [next, effects] = writeTxnLog(c, target, reply);
  return acted(next, effects);
}

// ---- EndTxn ------------------------------------------------------------------------------------

/** `handleEndTransaction`. */
export function onEndTxn(c: Ctx, e: Ev<'EndTxn'>): Outcome<Ctx> {
  const respond = (errorCode: ErrorCode, reason: string | null, m?: TxnMetadata): Outcome<Ctx> => ({
    context: c,
    effects: [endTxnResponse(c, e.from, e.correlationId, e.transactionalId, errorCode, m === undefined ? undefined : continuation(m))],
    reason,
  });
  const retry = tv2Retry(c, e);
  if (retry !== null) return respond(retry.errorCode, retry.reason, retry.m);
  const check = checkProducer(c, e.transactionalId, e.producerId, e.producerEpoch);
  if (!check.ok) return respond(check.errorCode, check.reason);
  const m = check.m;
  const request: TxnRequest = e.committed ? 'EndTxn(commit)' : 'EndTxn(abort)';
  const outcome = txnOutcome(request, m.state, m.clientTransactionVersion);
  if (outcome.kind === 'reply') return respond(outcome.errorCode, outcome.errorCode === 'NONE' ? null : outcome.note, m);
  if (outcome.kind === 'ignore') return respond('INVALID_TXN_STATE', outcome.note);
  checkPath(m.state, outcome.path, m.clientTransactionVersion);
  const [prepared, ids] = endTxnIds(c, m);
  const target: TxnMetadata = {
    ...m,
    ...ids,
    state: e.committed ? 'PrepareCommit' : 'PrepareAbort',
    txnLastUpdateTimestamp: e.nowMs,
  };
  const [next, effects] = writeTxnLog(prepared, target, { kind: 'EndTxn', to: e.from, correlationId: e.correlationId });
  return acted(next, effects);
}

/**
 * TV2: the epoch and (on exhaustion) next producer id the markers and the client use. The
 * markers carry epoch + 1; once complete, an exhausted id rotates to `nextProducerId`.
 * TV1 keeps the epoch.
 */
function endTxnIds(c: Ctx, m: TxnMetadata): [Ctx, Pick<TxnMetadata, 'producerEpoch' | 'lastProducerEpoch' | 'nextProducerId'>] {
  if (m.clientTransactionVersion < 2) return [c, { producerEpoch: m.producerEpoch, lastProducerEpoch: m.lastProducerEpoch, nextProducerId: -1 }];
  const producerEpoch = m.producerEpoch + 1;
  if (producerEpoch < MAX_EPOCH) return [c, { producerEpoch, lastProducerEpoch: m.producerEpoch, nextProducerId: -1 }];
  const [next, nextProducerId] = allocateProducerId(c);
  return [next, { producerEpoch, lastProducerEpoch: m.producerEpoch, nextProducerId }];
}

/**
 * TV2: an EndTxn carrying the epoch before the bump (`lastProducerEpoch`) is a retry of the
 * EndTxn that bumped it: the same result again (or CONCURRENT_TRANSACTIONS while its
 * markers are written); any other request with that epoch is fenced. Null: not a retry.
 */
function tv2Retry(c: Ctx, e: Ev<'EndTxn'>): { errorCode: ErrorCode; reason: string | null; m?: TxnMetadata } | null {
  if (!isActive(c) || !ownsId(c, e.transactionalId)) return null;
  const m = findTxn(c, e.transactionalId);
  if (m === undefined || m.clientTransactionVersion < 2 || m.lastProducerEpoch < 0) return null;
  const sameProducer = e.producerId === m.producerId || (e.producerId === m.previousProducerId && m.producerEpoch === 0);
  if (!sameProducer || e.producerEpoch !== m.lastProducerEpoch || e.producerEpoch === m.producerEpoch) return null;
  const done = e.committed ? 'CompleteCommit' : 'CompleteAbort';
  const preparing = e.committed ? 'PrepareCommit' : 'PrepareAbort';
  if (m.state === done) return { errorCode: 'NONE', reason: 'a retried EndTxn', m };
  if (m.state === preparing) return { errorCode: 'CONCURRENT_TRANSACTIONS', reason: 'the retried EndTxn is still completing' };
  return { errorCode: 'PRODUCER_FENCED', reason: 'TV2: an EndTxn from before the last bump' };
}

// ---- Writes landing --------------------------------------------------------------------------------

/** Our write to `__transaction_state` was answered. */
export function onProduceResponse(c: Ctx, e: Ev<'ProduceResponse'>): Outcome<Ctx> {
  const write = c.volatile.pendingWrites.find((w) => w.correlationId === e.correlationId);
  if (write === undefined || e.topic !== TRANSACTION_STATE_TOPIC) return ignore(c, 'not an outstanding transaction log write');
  const rest = c.volatile.pendingWrites.filter((w) => w !== write);
  const cleared = withVolatile(c, { pendingWrites: rest });
  const cancel = cancelTimer(writeTimerId(write.correlationId));
  if (e.errorCode !== 'NONE') return writeFailed(cleared, write, e.errorCode, [cancel]);
  return writeLanded(cleared, write, [cancel]);
}

export function onWriteTimeout(c: Ctx, e: Ev<'TxnLogWriteTimeout'>): Outcome<Ctx> {
  const write = c.volatile.pendingWrites.find((w) => w.correlationId === e.correlationId);
  if (write === undefined) return ignore(c, 'write already answered');
  const cleared = withVolatile(c, { pendingWrites: c.volatile.pendingWrites.filter((w) => w !== write) });
  return writeFailed(cleared, write, 'REQUEST_TIMED_OUT', []);
}

/**
 * The write failed: the client gets the mapped error (`TransactionStateManager`:
 * NOT_LEADER_OR_FOLLOWER → NOT_COORDINATOR, others → COORDINATOR_NOT_AVAILABLE) and the
 * cached state stays as it was. A PrepareEpochFence left in the cache by a failed fence
 * goes back to Ongoing so the timeout or a retry fences again.
 */
function writeFailed(c: Ctx, write: PendingWrite, error: ErrorCode, effects: Effect[]): Outcome<Ctx> {
  const mapped: ErrorCode = error === 'NOT_LEADER_OR_FOLLOWER' ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE';
  let next = c;
  const current = findTxn(c, write.transactionalId);
  if (current?.state === 'PrepareEpochFence') next = putTxn(c, { ...current, state: 'Ongoing' });
  const out = [...effects];
  if (write.reply !== null) out.push(replyWith(c, write.reply, write.transactionalId, mapped));
  if (write.reply === null && isComplete(write.target.state) && mapped !== 'NOT_COORDINATOR') {
    // A Complete* write is the coordinator's own: retry it.
    const [retried, sent] = writeTxnLog(next, write.target, null);
    return { context: retried, effects: [...out, ...sent], reason: `transaction log write failed: ${error}` };
  }
  return { context: next, effects: out, reason: `transaction log write failed: ${error}` };
}

function isComplete(state: TransactionState): boolean {
  return state === 'CompleteCommit' || state === 'CompleteAbort';
}

/** The write is in the log: it takes effect, the client is answered, markers go out. */
function writeLanded(c: Ctx, write: PendingWrite, effects: Effect[]): Outcome<Ctx> {
  const target = write.target;
  const current = findTxn(c, write.transactionalId);
  if (current !== undefined && current.state !== target.state) checkTransition(current.state, target.state, target.clientTransactionVersion);
  let next = putTxn(c, target);
  const out = [...effects];
  if (write.reply !== null) out.push(replyWith(c, write.reply, write.transactionalId, 'NONE', target));
  if (target.state === 'PrepareCommit' || target.state === 'PrepareAbort') {
    const [sending, sent] = startMarkers(next, target);
    next = sending;
    out.push(...sent);
  }
  return acted(next, out);
}

// ---- Markers -------------------------------------------------------------------------------------

/** Queue a marker per partition and send them; no partitions: complete at once. */
function startMarkers(c: Ctx, m: TxnMetadata): [Ctx, Effect[]] {
  if (m.partitions.length === 0) return completeTxn(c, m);
  const fresh: PendingMarker[] = m.partitions.map((p) => ({ transactionalId: m.transactionalId, topic: p.topic, partition: p.partition, leader: -1, correlationId: -1 }));
  const others = c.volatile.markers.filter((x) => x.transactionalId !== m.transactionalId);
  let next = withVolatile(c, { markers: [...others, ...fresh] });
  const effects: Effect[] = [];
  for (const marker of fresh) {
    const [sent, out] = sendMarker(next, marker);
    next = sent;
    effects.push(...out);
  }
  return [next, effects];
}

function putMarker(c: Ctx, marker: PendingMarker): Ctx {
  const markers = c.volatile.markers.map((x) =>
    x.transactionalId === marker.transactionalId && x.topic === marker.topic && x.partition === marker.partition ? marker : x,
  );
  return withVolatile(c, { markers });
}

function markerTimer(c: Ctx, marker: PendingMarker, delayMs: number): Effect {
  return setTimer(markerTimerId(marker.transactionalId, marker.topic, marker.partition), delayMs, {
    type: 'TxnMarkerTimer',
    transactionalId: marker.transactionalId,
    topic: marker.topic,
    partition: marker.partition,
  } as { type: string });
}

/** Ask for the leader (Metadata) or send WriteTxnMarkers to it. */
function sendMarker(c: Ctx, marker: PendingMarker): [Ctx, Effect[]] {
  const m = findTxn(c, marker.transactionalId);
  assert(m !== undefined, 'a marker belongs to a known transaction');
  const [next, correlationId] = nextCorrelation(c);
  const timer = markerTimer(c, marker, c.config['request.timeout.ms']);
  if (marker.leader < 0) {
    const broker = c.bootstrapBrokers[c.volatile.metadataCursor % Math.max(1, c.bootstrapBrokers.length)] ?? c.brokerId;
    const ask = { type: 'Metadata' as const, from: brokerNode(c.brokerId), correlationId, topic: marker.topic, partition: marker.partition };
    const moved = withVolatile(next, { metadataCursor: c.volatile.metadataCursor + 1 });
    return [putMarker(moved, { ...marker, correlationId }), [send(brokerNode(broker), ask), timer]];
  }
  const message = {
    type: 'WriteTxnMarkers' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    topic: marker.topic,
    partition: marker.partition,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionResult: m.state === 'PrepareCommit',
    coordinatorEpoch: c.volatile.coordinatorEpoch,
    transactionVersion: m.clientTransactionVersion,
  };
  return [putMarker(next, { ...marker, correlationId }), [send(brokerNode(marker.leader), message), timer]];
}

function markerFor(c: Ctx, correlationId: number): PendingMarker | undefined {
  return correlationId < 0 ? undefined : c.volatile.markers.find((x) => x.correlationId === correlationId);
}

export function onMetadataResponse(c: Ctx, e: Ev<'MetadataResponse'>): Outcome<Ctx> {
  const marker = markerFor(c, e.correlationId);
  if (marker === undefined) return ignore(c, 'not an outstanding Metadata');
  if (e.errorCode !== 'NONE' || e.leaderId < 0) {
    const waiting = { ...marker, correlationId: -1 };
    return { context: putMarker(c, waiting), effects: [markerTimer(c, waiting, c.config['retry.backoff.ms'])], reason: 'no leader known' };
  }
  const [next, effects] = sendMarker(c, { ...marker, leader: e.leaderId, correlationId: -1 });
  return acted(next, effects);
}

/** Errors after which the marker is retried (to a leader looked up again). */
const RETRY_MARKER: readonly ErrorCode[] = [
  'NOT_LEADER_OR_FOLLOWER',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'COORDINATOR_LOAD_IN_PROGRESS',
];

/** `TransactionMarkerRequestCompletionHandler`. */
export function onWriteTxnMarkersResponse(c: Ctx, e: Ev<'WriteTxnMarkersResponse'>): Outcome<Ctx> {
  const marker = markerFor(c, e.correlationId);
  if (marker === undefined) return ignore(c, 'not an outstanding WriteTxnMarkers');
  const cancel = cancelTimer(markerTimerId(marker.transactionalId, marker.topic, marker.partition));
  if (e.errorCode === 'NONE') {
    const markers = c.volatile.markers.filter((x) => x !== marker);
    const next = withVolatile(c, { markers });
    if (markers.some((x) => x.transactionalId === marker.transactionalId)) return acted(next, [cancel]);
    const m = findTxn(next, marker.transactionalId) as TxnMetadata;
    const [done, effects] = completeTxn(next, m);
    return acted(done, [cancel, ...effects]);
  }
  if (RETRY_MARKER.includes(e.errorCode)) {
    const waiting = { ...marker, leader: -1, correlationId: -1 };
    return { context: putMarker(c, waiting), effects: [cancel, markerTimer(c, waiting, c.config['retry.backoff.ms'])], reason: `retry: ${e.errorCode}` };
  }
  // INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED: stop sending this transaction's
  // markers; it stays prepared until a coordinator reload resumes it (cf. KAFKA-19999).
  const markers = c.volatile.markers.filter((x) => x.transactionalId !== marker.transactionalId);
  const cancels = c.volatile.markers.filter((x) => x.transactionalId === marker.transactionalId).map((x) => cancelTimer(markerTimerId(x.transactionalId, x.topic, x.partition)));
  return { context: withVolatile(c, { markers }), effects: cancels, reason: `markers abandoned: ${e.errorCode}` };
}

export function onMarkerTimer(c: Ctx, e: Ev<'TxnMarkerTimer'>): Outcome<Ctx> {
  const marker = c.volatile.markers.find((x) => x.transactionalId === e.transactionalId && x.topic === e.topic && x.partition === e.partition);
  if (marker === undefined) return ignore(c, 'marker already written');
  // Timed out (or backing off): look the leader up again and resend.
  const [next, effects] = sendMarker(c, { ...marker, leader: marker.correlationId >= 0 ? -1 : marker.leader, correlationId: -1 });
  return acted(next, effects);
}

/** Every marker is written: write CompleteCommit/CompleteAbort with the partitions cleared. */
function completeTxn(c: Ctx, m: TxnMetadata): [Ctx, Effect[]] {
  const outcome = txnOutcome('TxnMarkersWritten', m.state, m.clientTransactionVersion);
  assert(outcome.kind === 'transit', `markers completed in ${m.state}`);
  checkPath(m.state, outcome.path, m.clientTransactionVersion);
  const rotated = m.nextProducerId >= 0;
  const target: TxnMetadata = {
    ...m,
    state: outcome.path.at(-1) as TransactionState,
    partitions: [],
    producerId: rotated ? m.nextProducerId : m.producerId,
    producerEpoch: rotated ? 0 : m.producerEpoch,
    previousProducerId: rotated ? m.producerId : m.previousProducerId,
    nextProducerId: -1,
  };
  if (pendingWriteFor(c, m.transactionalId) !== undefined) return [c, []];
  return writeTxnLog(c, target, null);
}

// ---- Timeout ---------------------------------------------------------------------------------

/** `abortTimedOutTransactions`: fence and abort every expired Ongoing transaction. */
export function onTimeoutCheck(c: Ctx, e: Ev<'TxnTimeoutCheck'>): Outcome<Ctx> {
  const effects: Effect[] = [setTimer(TXN_TIMEOUT_CHECK_TIMER, TXN_ABORT_CHECK_INTERVAL_MS, { type: 'TxnTimeoutCheck' })];
  let next = c;
  for (const m of c.volatile.txns) {
    if (txnOutcome('TxnTimeout', m.state, m.clientTransactionVersion).kind !== 'transit') continue;
    if (m.txnStartTimestamp + m.txnTimeoutMs >= e.nowMs || pendingWriteFor(next, m.transactionalId) !== undefined) continue;
    const [aborted, out] = fenceAndAbort(next, m, e.nowMs);
    next = aborted;
    effects.push(...out);
  }
  return { context: next, effects, reason: next === c ? 'nothing expired' : null };
}

// ---- Not the coordinator ------------------------------------------------------------------------

function notCoordinator(c: Ctx, e: TxnCoordinatorEvent): Outcome<Ctx> {
  switch (e.type) {
    case 'InitProducerId':
      return { context: c, effects: [initProducerIdResponse(c, e.from, e.correlationId, 'NOT_COORDINATOR')], reason: 'not the coordinator' };
    case 'AddPartitionsToTxn':
      return { context: c, effects: [addPartitionsResponse(c, e.from, e.correlationId, e.transactionalId, e.partitions, 'NOT_COORDINATOR')], reason: 'not the coordinator' };
    case 'AddOffsetsToTxn':
      return { context: c, effects: [addOffsetsResponse(c, e.from, e.correlationId, e.transactionalId, 'NOT_COORDINATOR')], reason: 'not the coordinator' };
    case 'EndTxn':
      return { context: c, effects: [endTxnResponse(c, e.from, e.correlationId, e.transactionalId, 'NOT_COORDINATOR')], reason: 'not the coordinator' };
    default:
      return ignore(c, 'not the coordinator');
  }
}

// ---- The machine -------------------------------------------------------------------------------

export const txnCoordinatorMachine = setup({
  types: {} as { context: TxnCoordinatorContext; input: TxnCoordinatorInput; events: TxnCoordinatorEvent; emitted: Effect },
  guards: {
    electedNow: ({ context, event }) => event.type === 'TxnCoordinatorElected' && event.coordinatorEpoch >= context.volatile.coordinatorEpoch,
    resignedNow: ({ context, event }) => event.type === 'TxnCoordinatorResigned' && event.coordinatorEpoch >= context.volatile.coordinatorEpoch,
  },
  actions: {
    onElected: perform(onElected),
    onResigned: perform(onResigned),
    onFindCoordinator: perform(onFindCoordinator),
    onInitProducerId: perform(onInitProducerId),
    onAddPartitionsToTxn: perform(onAddPartitionsToTxn),
    onAddOffsetsToTxn: perform(onAddOffsetsToTxn),
    onEndTxn: perform(onEndTxn),
    onProduceResponse: perform(onProduceResponse),
    onWriteTimeout: perform(onWriteTimeout),
    onWriteTxnMarkersResponse: perform(onWriteTxnMarkersResponse),
    onMetadataResponse: perform(onMetadataResponse),
    onMarkerTimer: perform(onMarkerTimer),
    onTimeoutCheck: perform(onTimeoutCheck),
    notCoordinator: perform(notCoordinator),
  },
}).createMachine({
  id: 'txnCoordinator',
  context: ({ input }) => initialContext(input),
  initial: 'inactive',
  on: {
    FindCoordinator: { actions: 'onFindCoordinator' },
    TxnCoordinatorElected: { guard: 'electedNow', target: '.active', actions: 'onElected' },
  },
  states: {
    /** Not leading the partition: every client request gets NOT_COORDINATOR. */
    inactive: {
      on: {
        InitProducerId: { actions: 'notCoordinator' },
        AddPartitionsToTxn: { actions: 'notCoordinator' },
        AddOffsetsToTxn: { actions: 'notCoordinator' },
        EndTxn: { actions: 'notCoordinator' },
      },
    },
    /** The coordinator of the partition for `coordinatorEpoch`. */
    active: {
      on: {
        TxnCoordinatorResigned: { guard: 'resignedNow', target: 'inactive', actions: 'onResigned' },
        InitProducerId: { actions: 'onInitProducerId' },
        AddPartitionsToTxn: { actions: 'onAddPartitionsToTxn' },
        AddOffsetsToTxn: { actions: 'onAddOffsetsToTxn' },
        EndTxn: { actions: 'onEndTxn' },
        ProduceResponse: { actions: 'onProduceResponse' },
        TxnLogWriteTimeout: { actions: 'onWriteTimeout' },
        WriteTxnMarkersResponse: { actions: 'onWriteTxnMarkersResponse' },
        MetadataResponse: { actions: 'onMetadataResponse' },
        TxnMarkerTimer: { actions: 'onMarkerTimer' },
        TxnTimeoutCheck: { actions: 'onTimeoutCheck' },
      },
    },
  },
});

/**
 * # The transactional producer client
 *
 * Kafka's `KafkaProducer` with a `transactional.id`: the `TransactionManager` half, as a
 * pure machine. The data path (metadata, per-partition sequences, in-flight limits, retries
 * of Produce) is the idempotent producer's (producer.ts), reused by import: this machine
 * holds a `ProducerContext` (`sender`) and calls its handlers, marking every Produce it
 * sends as transactional and turning its per-send history into the transaction's.
 *
 * The application's calls are events: `InitTransactions`, `BeginTransaction`, `Send`,
 * `SendOffsetsToTransaction` (consume-transform-produce: offsets committed with the
 * transaction, KIP-447 group metadata included), `CommitTransaction`,
 * `AbortTransaction`. Coordinator requests go one at a time, in Kafka's priority order:
 * FindCoordinator, InitProducerId, AddPartitionsToTxn (before a partition's first batch
 * is sent), AddOffsetsToTxn then TxnOffsetCommit (to the group coordinator), EndTxn (after
 * every batch of the transaction is answered).
 *
 * Errors (`TransactionManager`):
 * - **retriable**: CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, and
 *   NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a timeout (find the coordinator again):
 *   the request is resent after `retry.backoff.ms`;
 * - **abortable**: a batch that failed, TRANSACTION_ABORTABLE, a TxnOffsetCommit fenced by
 *   the group (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID): only `AbortTransaction` is allowed;
 * - **fatal**: PRODUCER_FENCED (also INVALID_PRODUCER_EPOCH on a batch),
 *   INVALID_PRODUCER_ID_MAPPING, INVALID_TXN_STATE from the coordinator: the producer is
 *   unusable.
 * TV2: EndTxn's response carries the next producer id and epoch; sequences restart at 0.
 *
 * History (`client` effects, f = 'txn'): a transaction is one operation, invoked when the
 * application commits or aborts it, with its sends as micro-operations (Jepsen's txn op);
 * `ok` with each send's offset once EndTxn(commit) succeeds; `fail` once an abort
 * succeeds, or when the transaction cannot have committed; `info` when a commit's outcome
 * is unknown (a fatal error or an abortable one after EndTxn(commit) was sent).
 *
 * Every event carries `nowMs`. Timers: the sender's, plus `TxnRequestTimeout`, `TxnBackoff`.
 */
import { setup } from 'xstate';
import type { ClusterConfig } from '../protocol/config.ts';
import type { ClientEvent, Process } from '../protocol/client.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { NO_PRODUCER_ID, topicPartitionName } from '../protocol/log.ts';
import { type Delivered, type InitProducerIdResponse, type MetadataResponse, type NodeId, type ProduceResponse, brokerNode } from '../protocol/messages.ts';
import {
  type AddOffsetsToTxnResponse,
  type AddPartitionsToTxnResponse,
  type EndTxnResponse,
  type FindCoordinatorResponse,
  type TxnOffsetCommitResponse,
  type TxnTopicPartition,
  COORDINATOR_GROUP,
  COORDINATOR_TRANSACTION,
} from '../protocol/txn-messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, cancelTimer, ignore, perform, send, setTimer } from './machine-kit.ts';
import {
  type MetadataTimer,
  type ProducerContext,
  type RequestTimeout,
  type RetryTimer,
  onMetadataResponse,
  onMetadataTimer,
  onProduceResponse,
  onRequestTimeout,
  onRetryTimer,
  onSend as senderOnSend,
} from './producer.ts';

export type TxnPhase = 'uninitialized' | 'initializing' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'abortableError' | 'fatalError';

/** One Send of the current transaction. */
export interface TxnSend {
  readonly process: Process;
  readonly topic: string;
  readonly partition: number;
  readonly value: string;
  /** 'buffered' until its partition is in the transaction, then handed to the sender. */
  readonly status: 'buffered' | 'sent' | 'acked' | 'failed';
  readonly offset: number | null;
}

export interface TxnOffsets {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
  /** 'add': AddOffsetsToTxn next; 'commit': TxnOffsetCommit of `offsets[next]`. */
  readonly stage: 'add' | 'commit';
  readonly next: number;
}

export type InFlightKind = 'FindCoordinator' | 'FindGroupCoordinator' | 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'TxnOffsetCommit' | 'EndTxn';

export interface TxnProducerContext {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly transactionalId: string;
  readonly bootstrapBrokers: readonly number[];
  /** The idempotent producer's state (producer.ts), driven by this machine. */
  readonly sender: ProducerContext;
  readonly phase: TxnPhase;
  readonly coordinator: number;
  readonly groupCoordinator: number;
  readonly findCursor: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sorted; in the transaction at the coordinator. */
  readonly partitionsInTxn: readonly TxnTopicPartition[];
  readonly sends: readonly TxnSend[];
  readonly offsets: TxnOffsets | null;
  /** The history process of the current transaction (of its first Send). */
  readonly process: Process | null;
  readonly inFlight: { readonly kind: InFlightKind; readonly correlationId: number } | null;
  /** EndTxn(commit) was sent at least once: an error after it leaves the outcome unknown. */
  readonly commitSent: boolean;
  readonly lastError: ErrorCode | null;
}

export interface TxnProducerInput {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly transactionalId: string;
  readonly bootstrapBrokers: readonly number[];
}

// ---- Events ---------------------------------------------------------------------------------

type App<T extends string, X = object> = { readonly type: T; readonly nowMs: number } & X;
export type InitTransactions = App<'InitTransactions'>;
export type BeginTransaction = App<'BeginTransaction'>;
export type TxnSendEvent = App<'Send', { readonly process: Process; readonly topic: string; readonly partition: number; readonly value: string }>;
export type SendOffsetsToTransaction = App<'SendOffsetsToTransaction', Omit<TxnOffsets, 'stage' | 'next'>>;
export type CommitTransaction = App<'CommitTransaction'>;
export type AbortTransaction = App<'AbortTransaction'>;
export type TxnRequestTimeout = App<'TxnRequestTimeout', { readonly correlationId: number }>;
export type TxnBackoff = App<'TxnBackoff'>;

export type TxnProducerEvent =
  | InitTransactions
  | BeginTransaction
  | TxnSendEvent
  | SendOffsetsToTransaction
  | CommitTransaction
  | AbortTransaction
  | Delivered<FindCoordinatorResponse>
  | Delivered<InitProducerIdResponse>
  | Delivered<AddPartitionsToTxnResponse>
  | Delivered<AddOffsetsToTxnResponse>
  | Delivered<TxnOffsetCommitResponse>
  | Delivered<EndTxnResponse>
  | Delivered<ProduceResponse>
  | Delivered<MetadataResponse>
  | MetadataTimer
  | RetryTimer
  | RequestTimeout
  | TxnRequestTimeout
  | TxnBackoff;

type Ctx = TxnProducerContext;
type Ev<T extends TxnProducerEvent['type']> = Extract<TxnProducerEvent, { type: T }>;

export const TXN_REQUEST_TIMER = 'txn-request';
export const TXN_BACKOFF_TIMER = 'txn-backoff';

const FATAL: readonly ErrorCode[] = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'INVALID_TXN_STATE'];
const REDISCOVER: readonly ErrorCode[] = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT'];

// ---- Helpers ---------------------------------------------------------------------------------

function correlation(c: Ctx): [Ctx, number] {
  const id = c.sender.nextCorrelationId;
  return [{ ...c, sender: { ...c.sender, nextCorrelationId: id + 1 } }, id];
}

function sameTp(a: TxnTopicPartition, b: TxnTopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}

function key(s: { topic: string; partition: number }): string {
  return topicPartitionName(s.topic, s.partition);
}

/** The sender's Produce requests become transactional; its history becomes the transaction's. */
function adopt(c: Ctx, outcome: Outcome<ProducerContext>): [Ctx, Effect[]] {
  let next: Ctx = { ...c, sender: outcome.context };
  const effects: Effect[] = [];
  for (const effect of outcome.effects) {
    if (effect.type === 'send' && effect.message.type === 'Produce') {
      const m = effect.message;
      effects.push(send(effect.to, { ...m, transactionalId: c.transactionalId, records: { ...m.records, isTransactional: true } }));
    } else if (effect.type === 'client') {
      next = noteSendOutcome(next, effect.event);
    } else {
      effects.push(effect);
    }
  }
  if (next.sender.producerEpoch !== c.producerEpoch && next.phase !== 'fatalError') {
    // The sender's KIP-360 local bump is for idempotent producers; a transactional one
    // instead goes abortable (and bumps through the coordinator).
    next = { ...next, sender: { ...next.sender, producerEpoch: c.producerEpoch }, phase: abortable(next.phase), lastError: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
  }
  return [next, effects];
}

function abortable(phase: TxnPhase): TxnPhase {
  return phase === 'fatalError' || phase === 'aborting' || phase === 'ready' ? phase : 'abortableError';
}

/** A send of this transaction completed at the sender. */
function noteSendOutcome(c: Ctx, event: ClientEvent): Ctx {
  if (event.type === 'invoke') return c;
  const op = event.value[0];
  if (op === undefined || op[0] !== 'send') return c;
  const [, k, v] = op as readonly ['send', string, unknown];
  const value = Array.isArray(v) ? (v[1] as string) : (v as string);
  const offset = Array.isArray(v) ? (v[0] as number | null) : null;
  const sends = c.sends.map((s) => (key(s) === k && s.value === value && s.status === 'sent' ? { ...s, status: event.type === 'ok' ? ('acked' as const) : ('failed' as const), offset } : s));
  if (event.type === 'ok') return { ...c, sends };
  const fatal = event.error === 'INVALID_PRODUCER_EPOCH' || event.error === 'PRODUCER_FENCED';
  return { ...c, sends, phase: fatal ? 'fatalError' : abortable(c.phase), lastError: (event.error as ErrorCode | undefined) ?? null };
}

function history(c: Ctx, type: ClientEvent['type'], error?: string): Effect {
  const withOffsets = type === 'ok';
  const value = c.sends.map((s) => (withOffsets ? (['send', key(s), [s.offset, s.value]] as const) : (['send', key(s), s.value] as const)));
  const event: ClientEvent = { process: c.process ?? c.clientId, type, f: 'txn', value, ...(error === undefined ? {} : { error }) };
  return { type: 'client', event };
}

function requestTimer(c: Ctx, correlationId: number): Effect {
  return setTimer(TXN_REQUEST_TIMER, c.config['request.timeout.ms'], { type: 'TxnRequestTimeout', correlationId } as { type: string });
}

function backoff(c: Ctx): Effect {
  return setTimer(TXN_BACKOFF_TIMER, Math.max(1, c.config['retry.backoff.ms']), { type: 'TxnBackoff' });
}

// ---- Start ------------------------------------------------------------------------------------

function initialContext(input: TxnProducerInput): Ctx {
  const config = { ...input.config, 'enable.idempotence': true, acks: -1 as const };
  return {
    config,
    clientId: input.clientId,
    transactionalId: input.transactionalId,
    bootstrapBrokers: [...input.bootstrapBrokers],
    sender: {
      config,
      clientId: input.clientId,
      bootstrapBrokers: [...input.bootstrapBrokers],
      producerId: NO_PRODUCER_ID,
      producerEpoch: -1,
      initCorrelationId: -1,
      nextCorrelationId: 0,
      metadataCursor: 0,
      partitions: [],
    },
    phase: 'uninitialized',
    coordinator: -1,
    groupCoordinator: -1,
    findCursor: 0,
    producerId: NO_PRODUCER_ID,
    producerEpoch: -1,
    partitionsInTxn: [],
    sends: [],
    offsets: null,
    process: null,
    inFlight: null,
    commitSent: false,
    lastError: null,
  };
}

// ---- The request pump --------------------------------------------------------------------------

/** Send the next coordinator request, if any and none is in flight. */
export function pump(c: Ctx): [Ctx, Effect[]] {
  if (c.inFlight !== null || c.phase === 'fatalError') return [c, []];
  if (c.phase === 'uninitialized' || c.phase === 'ready') return [c, []];
  if (c.coordinator < 0) return find(c, COORDINATOR_TRANSACTION, c.transactionalId, 'FindCoordinator');
  if (c.phase === 'initializing') return initProducerId(c);
  if (c.phase === 'abortableError') return [c, []];
  const toAdd = unaddedPartitions(c);
  if (toAdd.length > 0 && (c.phase === 'inTransaction' || c.phase === 'committing')) return addPartitions(c, toAdd);
  if (c.offsets !== null && c.phase !== 'aborting') return offsetsStep(c, c.offsets);
  if (c.phase === 'committing' || c.phase === 'aborting') return endTxn(c);
  return [c, []];
}

function unaddedPartitions(c: Ctx): TxnTopicPartition[] {
  const result: TxnTopicPartition[] = [];
  for (const s of c.sends) {
    if (s.status !== 'buffered' || c.partitionsInTxn.some((p) => sameTp(p, s)) || result.some((p) => sameTp(p, s))) continue;
    result.push({ topic: s.topic, partition: s.partition });
  }
  return result;
}

function inFlight(c: Ctx, kind: InFlightKind, correlationId: number, to: number, message: Parameters<typeof send>[1]): [Ctx, Effect[]] {
  return [{ ...c, inFlight: { kind, correlationId } }, [send(brokerNode(to), message), requestTimer(c, correlationId)]];
}

function find(c: Ctx, keyType: 0 | 1, key: string, kind: InFlightKind): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const broker = c.bootstrapBrokers[c.findCursor % Math.max(1, c.bootstrapBrokers.length)] ?? 0;
  const message = { type: 'FindCoordinator' as const, from: c.clientId, correlationId, key, keyType };
  return inFlight({ ...next, findCursor: c.findCursor + 1 }, kind, correlationId, broker, message);
}

function initProducerId(c: Ctx): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const message = {
    type: 'InitProducerId' as const,
    from: c.clientId,
    correlationId,
    transactionalId: c.transactionalId,
    transactionTimeoutMs: c.config['transaction.timeout.ms'],
    producerId: c.producerId,
    producerEpoch: c.producerEpoch,
  };
  return inFlight(next, 'InitProducerId', correlationId, c.coordinator, message);
}

function addPartitions(c: Ctx, partitions: readonly TxnTopicPartition[]): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const message = {
    type: 'AddPartitionsToTxn' as const,
    from: c.clientId,
    correlationId,
    transactionalId: c.transactionalId,
    producerId: c.producerId,
    producerEpoch: c.producerEpoch,
    verifyOnly: false,
    partitions,
  };
  return inFlight(next, 'AddPartitionsToTxn', correlationId, c.coordinator, message);
}

function offsetsStep(c: Ctx, o: TxnOffsets): [Ctx, Effect[]] {
  const [next, correlationId] = correlation(c);
  const base = { from: c.clientId, correlationId, transactionalId: c.transactionalId, producerId: c.producerId, producerEpoch: c.producerEpoch };
  if (o.stage === 'add') return inFlight(next, 'AddOffsetsToTxn', correlationId, c.coordinator, { ...base, type: 'AddOffsetsToTxn', groupId: o.groupId });
  if (c.groupCoordinator < 0) return find(c, COORDINATOR_GROUP, o.groupId, 'FindGroupCoordinator');
  const offset = o.offsets[o.next];
  if (offset === undefined) return [c, []];
  const message = {
    ...base,
    type: 'TxnOffsetCommit' as const,
    groupId: o.groupId,
    generationId: o.generationId,
    memberId: o.memberId,
    groupInstanceId: null,
    topic: offset.topic,
    partition: offset.partition,
    committedOffset: offset.offset,
  };
  return inFlight(next, 'TxnOffsetCommit', correlationId, c.groupCoordinator, message);
}

/** EndTxn once every batch of the transaction is answered (`flush` before commit). */
function endTxn(c: Ctx): [Ctx, Effect[]] {
  // Every send must be added, sent and answered first (a buffered one is not yet added).
  const unresolved = c.sends.some((s) => s.status === 'sent' || s.status === 'buffered') || c.sender.partitions.some((p) => p.batches.length > 0);
  if (unresolved) return [c, []];
  const committed = c.phase === 'committing';
  if (committed && c.sends.some((s) => s.status === 'failed')) return [{ ...c, phase: 'abortableError' }, []];
  const [next, correlationId] = correlation(c);
  const message = { type: 'EndTxn' as const, from: c.clientId, correlationId, transactionalId: c.transactionalId, producerId: c.producerId, producerEpoch: c.producerEpoch, committed };
  return inFlight({ ...next, commitSent: c.commitSent || committed }, 'EndTxn', correlationId, c.coordinator, message);
}

function pumped(c: Ctx, effects: Effect[], reason: string | null = null): Outcome<Ctx> {
  const [next, more] = pump(c);
  return { context: next, effects: [...effects, ...more], reason };
}

/** The in-flight request `kind` answered with correlationId? Then clear it. */
function answer(c: Ctx, kind: InFlightKind | readonly InFlightKind[], correlationId: number): Ctx | null {
  const kinds = typeof kind === 'string' ? [kind] : kind;
  if (c.inFlight === null || !kinds.includes(c.inFlight.kind) || c.inFlight.correlationId !== correlationId) return null;
  return { ...c, inFlight: null };
}

/** A retriable coordinator error: maybe find the coordinator again, then back off. */
function retryLater(c: Ctx, error: ErrorCode, effects: Effect[], group = false): Outcome<Ctx> {
  let next = c;
  if (REDISCOVER.includes(error)) next = group ? { ...c, groupCoordinator: -1 } : { ...c, coordinator: -1 };
  return { context: next, effects: [...effects, backoff(c)], reason: `retry after ${error}` };
}

function fatal(c: Ctx, error: ErrorCode, effects: Effect[]): Outcome<Ctx> {
  const out = [...effects];
  if (c.phase === 'committing' || c.phase === 'aborting') out.push(history(c, c.phase === 'committing' && c.commitSent ? 'info' : 'fail', error));
  return { context: { ...c, phase: 'fatalError', lastError: error }, effects: out, reason: `fatal: ${error}` };
}

// ---- Application calls -----------------------------------------------------------------------------

export function onInitTransactions(c: Ctx, _e: Ev<'InitTransactions'>): Outcome<Ctx> {
  if (c.phase !== 'uninitialized') return ignore(c, `initTransactions in ${c.phase}`);
  return pumped({ ...c, phase: 'initializing' }, []);
}

export function onBeginTransaction(c: Ctx, _e: Ev<'BeginTransaction'>): Outcome<Ctx> {
  if (c.phase !== 'ready') return ignore(c, `beginTransaction in ${c.phase}`);
  return acted({ ...c, phase: 'inTransaction', sends: [], offsets: null, partitionsInTxn: [], process: null, commitSent: false, lastError: null }, []);
}

export function onSend(c: Ctx, e: Ev<'Send'>): Outcome<Ctx> {
  if (c.phase !== 'inTransaction') return ignore(c, `send in ${c.phase}`);
  const s: TxnSend = { process: e.process, topic: e.topic, partition: e.partition, value: e.value, status: 'buffered', offset: null };
  const next: Ctx = { ...c, sends: [...c.sends, s], process: c.process ?? e.process };
  if (!c.partitionsInTxn.some((p) => sameTp(p, s))) return pumped(next, []);
  const [flushed, effects] = releaseBuffered(next, e.nowMs);
  return pumped(flushed, effects);
}

/** Hand the buffered sends of partitions now in the transaction to the sender. */
function releaseBuffered(c: Ctx, nowMs: number): [Ctx, Effect[]] {
  let next = c;
  const effects: Effect[] = [];
  c.sends.forEach((s, i) => {
    if (s.status !== 'buffered' || !next.partitionsInTxn.some((p) => sameTp(p, s))) return;
    const [sent, out] = adopt(next, senderOnSend(next.sender, { type: 'Send', nowMs, process: s.process, topic: s.topic, partition: s.partition, value: s.value }));
    next = { ...sent, sends: sent.sends.map((x, j) => (j === i && x.status === 'buffered' ? { ...x, status: 'sent' as const } : x)) };
    effects.push(...out);
  });
  return [next, effects];
}

export function onSendOffsets(c: Ctx, e: Ev<'SendOffsetsToTransaction'>): Outcome<Ctx> {
  if (c.phase !== 'inTransaction' || c.offsets !== null) return ignore(c, `sendOffsetsToTransaction in ${c.phase}`);
  const offsets: TxnOffsets = { groupId: e.groupId, generationId: e.generationId, memberId: e.memberId, offsets: e.offsets, stage: 'add', next: 0 };
  return pumped({ ...c, offsets }, []);
}

export function onCommitTransaction(c: Ctx, _e: Ev<'CommitTransaction'>): Outcome<Ctx> {
  if (c.phase === 'abortableError') return ignore(c, 'commit after an abortable error: abort instead');
  if (c.phase !== 'inTransaction') return ignore(c, `commitTransaction in ${c.phase}`);
  const next = { ...c, phase: 'committing' as const };
  return pumped(next, [history(next, 'invoke')]);
}

export function onAbortTransaction(c: Ctx, _e: Ev<'AbortTransaction'>): Outcome<Ctx> {
  if (c.phase !== 'inTransaction' && c.phase !== 'abortableError' && c.phase !== 'committing') return ignore(c, `abortTransaction in ${c.phase}`);
  const effects = c.phase === 'committing' ? [] : [history(c, 'invoke')];
  // Buffered sends were never sent: drop them; offsets not yet committed are dropped.
  const next: Ctx = { ...c, phase: 'aborting', offsets: null, sends: c.sends.filter((s) => s.status !== 'buffered') };
  return pumped(next, effects);
}

// ---- Coordinator responses --------------------------------------------------------------------------

export function onFindCoordinatorResponse(c: Ctx, e: Ev<'FindCoordinatorResponse'>): Outcome<Ctx> {
  const cleared = answer(c, ['FindCoordinator', 'FindGroupCoordinator'], e.correlationId);
  if (cleared === null) return ignore(c, 'not the outstanding FindCoordinator');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  if (e.errorCode !== 'NONE') return { context: cleared, effects: [cancel, backoff(c)], reason: `FindCoordinator: ${e.errorCode}` };
  const next = c.inFlight?.kind === 'FindCoordinator' ? { ...cleared, coordinator: e.nodeId } : { ...cleared, groupCoordinator: e.nodeId };
  return pumped(next, [cancel]);
}

export function onInitProducerIdResponse(c: Ctx, e: Ev<'InitProducerIdResponse'>): Outcome<Ctx> {
  const cleared = answer(c, 'InitProducerId', e.correlationId);
  if (cleared === null) return ignore(c, 'not the outstanding InitProducerId');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  if (e.errorCode === 'NONE') {
    const sender = { ...cleared.sender, producerId: e.producerId, producerEpoch: e.producerEpoch, partitions: cleared.sender.partitions.map((p) => ({ ...p, nextSequence: 0 })) };
    return acted({ ...cleared, sender, producerId: e.producerId, producerEpoch: e.producerEpoch, phase: 'ready' }, [cancel]);
  }
  if (FATAL.includes(e.errorCode)) return fatal(cleared, e.errorCode, [cancel]);
  return retryLater(cleared, e.errorCode, [cancel]);
}

export function onAddPartitionsToTxnResponse(c: Ctx, e: Ev<'AddPartitionsToTxnResponse'>): Outcome<Ctx> {
  const cleared = answer(c, 'AddPartitionsToTxn', e.correlationId);
  if (cleared === null) return ignore(c, 'not the outstanding AddPartitionsToTxn');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  const error = e.results.find((r) => r.errorCode !== 'NONE')?.errorCode ?? e.errorCode;
  if (error === 'NONE') {
    const added = e.results.map((r) => ({ topic: r.topic, partition: r.partition }));
    const partitionsInTxn = [...cleared.partitionsInTxn, ...added.filter((p) => !cleared.partitionsInTxn.some((q) => sameTp(p, q)))];
    if (cleared.phase !== 'inTransaction' && cleared.phase !== 'committing') return pumped({ ...cleared, partitionsInTxn }, [cancel]);
    const [released, effects] = releaseBuffered({ ...cleared, partitionsInTxn }, e.nowMs);
    return pumped(released, [cancel, ...effects]);
  }
  if (FATAL.includes(error)) return fatal(cleared, error, [cancel]);
  if (error === 'TRANSACTION_ABORTABLE') return { context: { ...cleared, phase: abortable(cleared.phase), lastError: error }, effects: [cancel], reason: error };
  return retryLater(cleared, error, [cancel]);
}

export function onAddOffsetsToTxnResponse(c: Ctx, e: Ev<'AddOffsetsToTxnResponse'>): Outcome<Ctx> {
  const cleared = answer(c, 'AddOffsetsToTxn', e.correlationId);
  if (cleared === null || cleared.offsets === null) return ignore(c, 'not the outstanding AddOffsetsToTxn');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  if (e.errorCode === 'NONE') return pumped({ ...cleared, offsets: { ...cleared.offsets, stage: 'commit' } }, [cancel]);
  if (FATAL.includes(e.errorCode)) return fatal(cleared, e.errorCode, [cancel]);
  return retryLater(cleared, e.errorCode, [cancel]);
}

export function onTxnOffsetCommitResponse(c: Ctx, e: Ev<'TxnOffsetCommitResponse'>): Outcome<Ctx> {
  const cleared = answer(c, 'TxnOffsetCommit', e.correlationId);
  if (cleared === null || cleared.offsets === null) return ignore(c, 'not the outstanding TxnOffsetCommit');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  const o = cleared.offsets;
  if (e.errorCode === 'NONE') {
    const nextIndex = o.next + 1;
    return pumped({ ...cleared, offsets: nextIndex >= o.offsets.length ? null : { ...o, next: nextIndex } }, [cancel]);
  }
  if (e.errorCode === 'ILLEGAL_GENERATION' || e.errorCode === 'UNKNOWN_MEMBER_ID' || e.errorCode === 'FENCED_INSTANCE_ID') {
    // KIP-447: CommitFailedException, abortable.
    return { context: { ...cleared, offsets: null, phase: abortable(cleared.phase), lastError: e.errorCode }, effects: [cancel], reason: e.errorCode };
  }
  if (FATAL.includes(e.errorCode)) return fatal(cleared, e.errorCode, [cancel]);
  return retryLater(cleared, e.errorCode, [cancel], true);
}

export function onEndTxnResponse(c: Ctx, e: Ev<'EndTxnResponse'>): Outcome<Ctx> {
  const cleared = answer(c, 'EndTxn', e.correlationId);
  if (cleared === null) return ignore(c, 'not the outstanding EndTxn');
  const cancel = cancelTimer(TXN_REQUEST_TIMER);
  if (e.errorCode === 'NONE') {
    const committed = cleared.phase === 'committing';
    const done = history(cleared, committed ? 'ok' : 'fail', committed ? undefined : 'aborted');
    const bumped = e.producerId >= 0; // TV2: continue with the returned id and epoch
    const producerId = bumped ? e.producerId : cleared.producerId;
    const producerEpoch = bumped ? e.producerEpoch : cleared.producerEpoch;
    const sender = { ...cleared.sender, producerId, producerEpoch, partitions: bumped ? cleared.sender.partitions.map((p) => ({ ...p, nextSequence: 0 })) : cleared.sender.partitions };
    const next: Ctx = { ...cleared, sender, producerId, producerEpoch, phase: 'ready', sends: [], offsets: null, partitionsInTxn: [], process: null, commitSent: false };
    return acted(next, [cancel, done]);
  }
  if (FATAL.includes(e.errorCode)) return fatal(cleared, e.errorCode, [cancel]);
  return retryLater(cleared, e.errorCode, [cancel]);
}

export function onTxnRequestTimeout(c: Ctx, e: Ev<'TxnRequestTimeout'>): Outcome<Ctx> {
  if (c.inFlight === null || c.inFlight.correlationId !== e.correlationId) return ignore(c, 'request already answered');
  const group = c.inFlight.kind === 'TxnOffsetCommit' || c.inFlight.kind === 'FindGroupCoordinator';
  const cleared = { ...c, inFlight: null };
  return retryLater(cleared, 'REQUEST_TIMED_OUT', [], group);
}

export function onBackoff(c: Ctx, _e: Ev<'TxnBackoff'>): Outcome<Ctx> {
  return pumped(c, []);
}

// ---- The data path (delegated to producer.ts) -------------------------------------------------------

function delegate<E>(handler: (s: ProducerContext, e: E) => Outcome<ProducerContext>): (c: Ctx, e: E) => Outcome<Ctx> {
  return (c, e) => {
    const [next, effects] = adopt(c, handler(c.sender, e));
    return pumped(next, effects);
  };
}

export const onProduceResponse_ = delegate(onProduceResponse);
const onMetadataResponse_ = delegate(onMetadataResponse);
const onMetadataTimer_ = delegate(onMetadataTimer);
const onRetryTimer_ = delegate(onRetryTimer);
const onRequestTimeout_ = delegate(onRequestTimeout);

// ---- The machine -------------------------------------------------------------------------------------

const phaseIs =
  (phase: TxnPhase) =>
  ({ context }: { context: Ctx }): boolean =>
    context.phase === phase;

/** Every phase's legal successors (the producer's state machine, for the diagram). */
const to = (...phases: TxnPhase[]) => phases.map((phase) => ({ guard: `is_${phase}` as const, target: phase }));

export const txnProducerMachine = setup({
  types: {} as { context: TxnProducerContext; input: TxnProducerInput; events: TxnProducerEvent; emitted: Effect },
  guards: {
    is_uninitialized: phaseIs('uninitialized'),
    is_initializing: phaseIs('initializing'),
    is_ready: phaseIs('ready'),
    is_inTransaction: phaseIs('inTransaction'),
    is_committing: phaseIs('committing'),
    is_aborting: phaseIs('aborting'),
    is_abortableError: phaseIs('abortableError'),
    is_fatalError: phaseIs('fatalError'),
  },
  actions: {
    onInitTransactions: perform(onInitTransactions),
    onBeginTransaction: perform(onBeginTransaction),
    onSend: perform(onSend),
    onSendOffsets: perform(onSendOffsets),
    onCommitTransaction: perform(onCommitTransaction),
    onAbortTransaction: perform(onAbortTransaction),
    onFindCoordinatorResponse: perform(onFindCoordinatorResponse),
    onInitProducerIdResponse: perform(onInitProducerIdResponse),
    onAddPartitionsToTxnResponse: perform(onAddPartitionsToTxnResponse),
    onAddOffsetsToTxnResponse: perform(onAddOffsetsToTxnResponse),
    onTxnOffsetCommitResponse: perform(onTxnOffsetCommitResponse),
    onEndTxnResponse: perform(onEndTxnResponse),
    onTxnRequestTimeout: perform(onTxnRequestTimeout),
    onBackoff: perform(onBackoff),
    onProduceResponse: perform(onProduceResponse_),
    onMetadataResponse: perform(onMetadataResponse_),
    onMetadataTimer: perform(onMetadataTimer_),
    onRetryTimer: perform(onRetryTimer_),
    onRequestTimeout: perform(onRequestTimeout_),
  },
}).createMachine({
  id: 'txnProducer',
  context: ({ input }) => initialContext(input),
  initial: 'uninitialized',
  on: {
    InitTransactions: { actions: 'onInitTransactions' },
    BeginTransaction: { actions: 'onBeginTransaction' },
    Send: { actions: 'onSend' },
    SendOffsetsToTransaction: { actions: 'onSendOffsets' },
    CommitTransaction: { actions: 'onCommitTransaction' },
    AbortTransaction: { actions: 'onAbortTransaction' },
    FindCoordinatorResponse: { actions: 'onFindCoordinatorResponse' },
    InitProducerIdResponse: { actions: 'onInitProducerIdResponse' },
    AddPartitionsToTxnResponse: { actions: 'onAddPartitionsToTxnResponse' },
    AddOffsetsToTxnResponse: { actions: 'onAddOffsetsToTxnResponse' },
    TxnOffsetCommitResponse: { actions: 'onTxnOffsetCommitResponse' },
    EndTxnResponse: { actions: 'onEndTxnResponse' },
    TxnRequestTimeout: { actions: 'onTxnRequestTimeout' },
    TxnBackoff: { actions: 'onBackoff' },
    ProduceResponse: { actions: 'onProduceResponse' },
    MetadataResponse: { actions: 'onMetadataResponse' },
    MetadataTimer: { actions: 'onMetadataTimer' },
    RetryTimer: { actions: 'onRetryTimer' },
    RequestTimeout: { actions: 'onRequestTimeout' },
  },
  states: {
    uninitialized: { always: to('initializing') },
    initializing: { always: to('ready', 'fatalError') },
    ready: { always: to('inTransaction') },
    inTransaction: { always: to('committing', 'aborting', 'abortableError', 'fatalError') },
    committing: { always: to('ready', 'abortableError', 'aborting', 'fatalError') },
    aborting: { always: to('ready', 'fatalError') },
    abortableError: { always: to('aborting', 'fatalError') },
    fatalError: { type: 'final' },
  },
});

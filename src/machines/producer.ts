/**
 * # The producer client (idempotent by default)
 *
 * Kafka's `KafkaProducer` `Sender` + `RecordAccumulator` + the idempotent half of
 * `TransactionManager`, one record per batch, as a pure machine.
 *
 * - The application's `Send` (one value to one topic-partition) is recorded in the history
 *   as an `invoke`, queued per partition, and sent to the partition's leader (learned by a
 *   Metadata request to a bootstrap broker) with at most
 *   `max.in.flight.requests.per.connection` (≤ 5 when idempotent) requests in flight.
 * - **Idempotence** (`enable.idempotence`, default on): the producer first gets a
 *   (producerId, epoch) from InitProducerId, numbers each partition's batches from sequence
 *   0, and retries a batch with the **same** sequence, so the leader answers a duplicate
 *   with the original offset instead of writing it twice.
 * - **Retries**: a retriable error or a request timeout (`request.timeout.ms`) resends the
 *   batch (up to `retries`), after a metadata refresh when the leader may have moved.
 * - **KIP-360**: on OUT_OF_ORDER_SEQUENCE_NUMBER (with no earlier batch still unresolved,
 *   which would explain the gap) or UNKNOWN_PRODUCER_ID, the batch fails, the producer
 *   bumps its epoch locally and restarts every partition's sequences at 0. Batches already
 *   sent under the old epoch are never resent under the new one (that could duplicate
 *   them): they complete with whatever their outstanding request returns.
 * - With idempotence off there are no producer ids or sequences: a retry after a timeout
 *   may write the record twice (that is Kafka's documented behaviour).
 *
 * History (`client` effects, contracts/history.md): `invoke` on Send; `ok` with the offset
 * on success; `fail` when the error proves nothing was appended; `info` when it may have
 * been (timeouts, NOT_ENOUGH_REPLICAS_AFTER_APPEND, exhausted retries after any such
 * attempt, and every acks=0 send, whose outcome the client never learns).
 *
 * Every event carries `nowMs`. Timers: `InitTimer`, `MetadataTimer`, `RequestTimeout`,
 * `RetryTimer` (a retry waits `retry.backoff.ms`).
 */
import { setup } from 'xstate';
import type { ClusterConfig } from '../protocol/config.ts';
import type { ClientEvent, Process } from '../protocol/client.ts';
import { type ErrorCode, isDefinitelyNotAppended, isRetriable } from '../protocol/errors.ts';
import { NO_PRODUCER_ID, NO_SEQUENCE, topicPartitionName } from '../protocol/log.ts';
import {
  type BrokerId,
  type Delivered,
  type InitProducerIdResponse,
  type MetadataResponse,
  type NodeId,
  type ProduceResponse,
  CONTROLLER,
  NO_LEADER,
  brokerNode,
} from '../protocol/messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, cancelTimer, ignore, perform, send, setTimer } from './machine-kit.ts';

export interface ProducerBatch {
  readonly process: Process;
  readonly value: string;
  /** -1 until the batch is first sent (idempotent: then fixed for every retry). */
  readonly sequence: number;
  readonly producerEpoch: number;
  /** The correlation id of the outstanding request, or -1 when not in flight. */
  readonly correlationId: number;
  readonly attempts: number;
  /** Some attempt may have written it (a timeout, or an error after append). */
  readonly maybeAppended: boolean;
  /** Sent under an epoch the producer has since bumped (KIP-360): never resent. */
  readonly staleEpoch: boolean;
  /** A retry waits `retry.backoff.ms` after its failed attempt: not before this time. */
  readonly retryAfterMs: number;
}

export interface ProducerPartition {
  readonly topic: string;
  readonly partition: number;
  readonly leader: BrokerId;
  readonly metadataCorrelationId: number;
  readonly nextSequence: number;
  /** Queued and in-flight batches, oldest first (= sequence order). */
  readonly batches: readonly ProducerBatch[];
}

export interface ProducerContext {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly bootstrapBrokers: readonly BrokerId[];
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly initCorrelationId: number;
  readonly nextCorrelationId: number;
  readonly metadataCursor: number;
  /** By (topic, partition). */
  readonly partitions: readonly ProducerPartition[];
}

export interface ProducerInput {
  readonly config: ClusterConfig;
  readonly clientId: NodeId;
  readonly bootstrapBrokers: readonly BrokerId[];
}

/** The application sends `value` to one partition; `process` names the history process. */
export type Send = {
  readonly type: 'Send';
  readonly nowMs: number;
  readonly process: Process;
  readonly topic: string;
  readonly partition: number;
  readonly value: string;
};
export type InitTimer = { readonly type: 'InitTimer'; readonly nowMs: number };
export type MetadataTimer = { readonly type: 'MetadataTimer'; readonly nowMs: number; readonly topic: string; readonly partition: number };
export type RetryTimer = { readonly type: 'RetryTimer'; readonly nowMs: number; readonly topic: string; readonly partition: number };
export type RequestTimeout = {
  readonly type: 'RequestTimeout';
  readonly nowMs: number;
  readonly topic: string;
  readonly partition: number;
  readonly correlationId: number;
};

export type ProducerEvent =
  | Send
  | Delivered<InitProducerIdResponse>
  | Delivered<MetadataResponse>
  | Delivered<ProduceResponse>
  | InitTimer
  | MetadataTimer
  | RetryTimer
  | RequestTimeout;

type Ctx = ProducerContext;
type Ev<T extends ProducerEvent['type']> = Extract<ProducerEvent, { type: T }>;

export const INIT_TIMER = 'init';
export function metadataTimerId(topic: string, partition: number): string {
  return `metadata/${topicPartitionName(topic, partition)}`;
}
export function retryTimerId(topic: string, partition: number): string {
  return `retry/${topicPartitionName(topic, partition)}`;
}
export function requestTimerId(correlationId: number): string {
  return `request/${correlationId}`;
}

function idempotent(c: Ctx): boolean {
  return c.config['enable.idempotence'];
}

function nextCorrelation(c: Ctx): [Ctx, number] {
  return [{ ...c, nextCorrelationId: c.nextCorrelationId + 1 }, c.nextCorrelationId];
}

function findPartition(c: Ctx, topic: string, partition: number): ProducerPartition | undefined {
  return c.partitions.find((p) => p.topic === topic && p.partition === partition);
}

function putPartition(c: Ctx, p: ProducerPartition): Ctx {
  const others = c.partitions.filter((q) => !(q.topic === p.topic && q.partition === p.partition));
  const partitions = [...others, p].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  );
  return { ...c, partitions };
}

// ---- History -----------------------------------------------------------------------------

function clientEffect(event: ClientEvent): Effect {
  return { type: 'client', event };
}

function completion(p: ProducerPartition, b: ProducerBatch, type: 'ok' | 'fail' | 'info', offset: number | null, error?: string): Effect {
  const key = topicPartitionName(p.topic, p.partition);
  const value =
    type === 'ok' ? [['send', key, [offset, b.value]] as const] : [['send', key, b.value] as const];
  return clientEffect({ process: b.process, type, f: 'send', value, ...(error === undefined ? {} : { error }) });
}

/** A batch ends without success: `fail` only if no attempt can have written it. */
function failure(p: ProducerPartition, b: ProducerBatch, error: string): Effect {
  return completion(p, b, b.maybeAppended ? 'info' : 'fail', null, error);
}

// ---- Start and InitProducerId --------------------------------------------------------------

function initialContext(input: ProducerInput): Ctx {
  return {
    config: input.config,
    clientId: input.clientId,
    bootstrapBrokers: [...input.bootstrapBrokers],
    producerId: NO_PRODUCER_ID,
    producerEpoch: -1,
    initCorrelationId: -1,
    nextCorrelationId: 0,
    metadataCursor: 0,
    partitions: [],
  };
}

export function sendInitProducerId(c: Ctx): Outcome<Ctx> {
  if (!idempotent(c)) return ignore(c, 'idempotence is off');
  const [next, correlationId] = nextCorrelation(c);
  const message = {
    type: 'InitProducerId' as const,
    from: c.clientId,
    correlationId,
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: NO_PRODUCER_ID,
    producerEpoch: -1,
  };
  const timer = setTimer(INIT_TIMER, c.config['request.timeout.ms'], { type: 'InitTimer' });
  return acted({ ...next, initCorrelationId: correlationId }, [send(CONTROLLER, message), timer]);
}

export function isProducerIdGranted(c: Ctx, e: Ev<'InitProducerIdResponse'>): boolean {
  return e.correlationId === c.initCorrelationId && e.errorCode === 'NONE';
}

export function onInitProducerIdResponse(c: Ctx, e: Ev<'InitProducerIdResponse'>): Outcome<Ctx> {
  if (e.correlationId !== c.initCorrelationId) return ignore(c, 'not the outstanding InitProducerId');
  if (e.errorCode !== 'NONE') {
    const retry = setTimer(INIT_TIMER, c.config['retry.backoff.ms'], { type: 'InitTimer' });
    return { context: { ...c, initCorrelationId: -1 }, effects: [retry], reason: e.errorCode };
  }
  const granted = { ...c, producerId: e.producerId, producerEpoch: e.producerEpoch, initCorrelationId: -1 };
  const [next, effects] = drainAll(granted, e.nowMs);
  return acted(next, [cancelTimer(INIT_TIMER), ...effects]);
}

// ---- Send, metadata, drain -------------------------------------------------------------------

export function onSend(c: Ctx, e: Ev<'Send'>): Outcome<Ctx> {
  const key = topicPartitionName(e.topic, e.partition);
  const invoke = clientEffect({ process: e.process, type: 'invoke', f: 'send', value: [['send', key, e.value]] });
  const p = findPartition(c, e.topic, e.partition) ?? {
    topic: e.topic,
    partition: e.partition,
    leader: NO_LEADER,
    metadataCorrelationId: -1,
    nextSequence: 0,
    batches: [],
  };
  const batch: ProducerBatch = {
    process: e.process,
    value: e.value,
    sequence: NO_SEQUENCE,
    producerEpoch: -1,
    correlationId: -1,
    attempts: 0,
    maybeAppended: false,
    staleEpoch: false,
    retryAfterMs: 0,
  };
  const queued = putPartition(c, { ...p, batches: [...p.batches, batch] });
  const [next, effects] = drain(queued, e.topic, e.partition, e.nowMs);
  return acted(next, [invoke, ...effects]);
}

function drainAll(c: Ctx, nowMs: number): [Ctx, Effect[]] {
  let next = c;
  const effects: Effect[] = [];
  for (const p of c.partitions) {
    const [drained, sent] = drain(next, p.topic, p.partition, nowMs);
    next = drained;
    effects.push(...sent);
  }
  return [next, effects];
}

/**
 * Send what the in-flight limit allows, in order; ask for metadata if the leader is
 * unknown. A retry waits for its backoff, and (idempotent) is resent only once every
 * earlier batch is resolved, so the leader sees sequences in order
 * (`RecordAccumulator.shouldStopDrainBatchesForPartition`).
 */
function drain(c: Ctx, topic: string, partition: number, nowMs: number): [Ctx, Effect[]] {
  if (idempotent(c) && c.producerId === NO_PRODUCER_ID) return [c, []];
  const p = findPartition(c, topic, partition);
  if (p === undefined || p.batches.length === 0) return [c, []];
  if (p.leader === NO_LEADER) return p.metadataCorrelationId >= 0 ? [c, []] : sendMetadata(c, p);
  let next = c;
  const effects: Effect[] = [];
  let inFlight = p.batches.filter((b) => b.correlationId >= 0).length;
  for (let i = 0; i < p.batches.length && inFlight < c.config['max.in.flight.requests.per.connection']; i++) {
    const current = findPartition(next, topic, partition);
    const batch = current?.batches[i];
    if (current === undefined || batch === undefined || batch.correlationId >= 0) continue;
    if (batch.retryAfterMs > nowMs) break;
    if (idempotent(c) && batch.attempts > 0 && hasEarlierUnresolved(current, i)) break;
    const [sent, produced] = sendBatch(next, current, i, nowMs);
    next = sent;
    effects.push(...produced);
    inFlight += 1;
  }
  return [next, effects];
}

function sendMetadata(c: Ctx, p: ProducerPartition): [Ctx, Effect[]] {
  const [next, correlationId] = nextCorrelation(c);
  const broker = c.bootstrapBrokers[c.metadataCursor % c.bootstrapBrokers.length] ?? 0;
  const message = { type: 'Metadata' as const, from: c.clientId, correlationId, topic: p.topic, partition: p.partition };
  const timer = setTimer(metadataTimerId(p.topic, p.partition), c.config['request.timeout.ms'], {
    type: 'MetadataTimer',
    topic: p.topic,
    partition: p.partition,
  } as { type: string });
  const updated = putPartition({ ...next, metadataCursor: c.metadataCursor + 1 }, { ...p, metadataCorrelationId: correlationId });
  return [updated, [send(brokerNode(broker), message), timer]];
}

/** Send batch `index` of `p` to the leader; an idempotent batch keeps its first sequence. */
function sendBatch(c: Ctx, p: ProducerPartition, index: number, _nowMs: number): [Ctx, Effect[]] {
  const batch = p.batches[index];
  if (batch === undefined) return [c, []];
  const [next, correlationId] = nextCorrelation(c);
  let nextSequence = p.nextSequence;
  let sequence = batch.sequence;
  if (idempotent(c) && sequence === NO_SEQUENCE) {
    sequence = nextSequence;
    nextSequence += 1;
  }
  const producerEpoch = idempotent(c) ? (batch.sequence === NO_SEQUENCE ? c.producerEpoch : batch.producerEpoch) : -1;
  const message = {
    type: 'Produce' as const,
    from: c.clientId,
    correlationId,
    topic: p.topic,
    partition: p.partition,
    transactionalId: null,
    acks: c.config.acks,
    timeoutMs: c.config['request.timeout.ms'],
    records: {
      baseOffset: 0,
      lastOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: idempotent(c) ? c.producerId : NO_PRODUCER_ID,
      producerEpoch,
      baseSequence: sequence,
      isTransactional: false,
      isControl: false,
      records: [{ key: null, value: batch.value }],
    },
  };
  const effects: Effect[] = [send(brokerNode(p.leader), message)];
  const sent: ProducerBatch = { ...batch, sequence, producerEpoch, correlationId, attempts: batch.attempts + 1 };
  if (c.config.acks === 0) {
    // acks=0: no response will come; the client never learns whether it was written.
    const remaining = p.batches.filter((_, i) => i !== index);
    effects.push(completion(p, { ...sent, maybeAppended: true }, 'info', null, 'acks=0'));
    return [putPartition(next, { ...p, nextSequence, batches: remaining }), effects];
  }
  const timer = setTimer(requestTimerId(correlationId), c.config['request.timeout.ms'], {
    type: 'RequestTimeout',
    topic: p.topic,
    partition: p.partition,
    correlationId,
  } as { type: string });
  effects.push(timer);
  const batches = p.batches.map((b, i) => (i === index ? sent : b));
  return [putPartition(next, { ...p, nextSequence, batches }), effects];
}

export function onMetadataResponse(c: Ctx, e: Ev<'MetadataResponse'>): Outcome<Ctx> {
  const p = findPartition(c, e.topic, e.partition);
  if (p === undefined || p.metadataCorrelationId !== e.correlationId) return ignore(c, 'not the outstanding Metadata');
  const timerId = metadataTimerId(p.topic, p.partition);
  if (e.errorCode !== 'NONE' || e.leaderId === NO_LEADER) {
    const retry = setTimer(timerId, c.config['retry.backoff.ms'], { type: 'MetadataTimer', topic: p.topic, partition: p.partition } as { type: string });
    return { context: putPartition(c, { ...p, metadataCorrelationId: -1 }), effects: [retry], reason: 'no leader known' };
  }
  const known = putPartition(c, { ...p, leader: e.leaderId, metadataCorrelationId: -1 });
  const [next, effects] = drain(known, p.topic, p.partition, e.nowMs);
  return acted(next, [cancelTimer(timerId), ...effects]);
}

export function onMetadataTimer(c: Ctx, e: Ev<'MetadataTimer'>): Outcome<Ctx> {
  const p = findPartition(c, e.topic, e.partition);
  if (p === undefined || p.leader !== NO_LEADER) return ignore(c, 'leader already known');
  const [next, effects] = sendMetadata(c, p);
  return acted(next, effects);
}

export function onInitTimer(c: Ctx, _e: Ev<'InitTimer'>): Outcome<Ctx> {
  return sendInitProducerId(c);
}

// ---- Responses and timeouts -----------------------------------------------------------------

export function onProduceResponse(c: Ctx, e: Ev<'ProduceResponse'>): Outcome<Ctx> {
  const p = findPartition(c, e.topic, e.partition);
  const index = p?.batches.findIndex((b) => b.correlationId === e.correlationId) ?? -1;
  if (p === undefined || index < 0) return ignore(c, 'not an outstanding request');
  const cancel = cancelTimer(requestTimerId(e.correlationId));
  const batch = p.batches[index] as ProducerBatch;
  if (e.errorCode === 'NONE') {
    const done = putPartition(c, { ...p, batches: p.batches.filter((_, i) => i !== index) });
    const [next, effects] = drain(done, p.topic, p.partition, e.nowMs);
    return acted(next, [cancel, completion(p, batch, 'ok', e.baseOffset), ...effects]);
  }
  const [next, effects] = onFailedAttempt(c, p, index, e.errorCode, e.nowMs);
  return acted(next, [cancel, ...effects]);
}

export function onRequestTimeout(c: Ctx, e: Ev<'RequestTimeout'>): Outcome<Ctx> {
  const p = findPartition(c, e.topic, e.partition);
  const index = p?.batches.findIndex((b) => b.correlationId === e.correlationId) ?? -1;
  if (p === undefined || index < 0) return ignore(c, 'request already answered');
  const [next, effects] = onFailedAttempt(c, p, index, 'REQUEST_TIMED_OUT', e.nowMs);
  return acted(next, effects);
}

/** Errors after which the leader may have moved: refresh metadata before resending. */
const LEADER_MAY_HAVE_MOVED: readonly ErrorCode[] = [
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REQUEST_TIMED_OUT',
  'UNKNOWN_TOPIC_OR_PARTITION',
];

/** One attempt of batch `index` failed with `error`: retry, bump the epoch, or complete. */
function onFailedAttempt(c: Ctx, p: ProducerPartition, index: number, error: ErrorCode, nowMs: number): [Ctx, Effect[]] {
  const old = p.batches[index] as ProducerBatch;
  const batch: ProducerBatch = { ...old, correlationId: -1, maybeAppended: old.maybeAppended || !isDefinitelyNotAppended(error) };
  const sequenceError = error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || error === 'UNKNOWN_PRODUCER_ID';
  if (idempotent(c) && sequenceError && !batch.staleEpoch && !hasEarlierUnresolved(p, index)) {
    return bumpEpoch(c, p, index, batch, error, nowMs);
  }
  const retriable = isRetriable(error) || (sequenceError && !batch.staleEpoch);
  // The leader may have moved: ask for metadata before the next send, retried or not.
  const leader = LEADER_MAY_HAVE_MOVED.includes(error) ? NO_LEADER : p.leader;
  if (batch.staleEpoch || !retriable || batch.attempts > c.config.retries) {
    const done = putPartition(c, { ...p, leader, batches: p.batches.filter((_, i) => i !== index) });
    const [next, effects] = drain(done, p.topic, p.partition, nowMs);
    return [next, [failure(p, batch, error), ...effects]];
  }
  const backoff = c.config['retry.backoff.ms'];
  const waiting = { ...batch, retryAfterMs: nowMs + backoff };
  const requeued = putPartition(c, { ...p, leader, batches: p.batches.map((b, i) => (i === index ? waiting : b)) });
  const timer = setTimer(retryTimerId(p.topic, p.partition), backoff, {
    type: 'RetryTimer',
    topic: p.topic,
    partition: p.partition,
  } as { type: string });
  const [next, effects] = drain(requeued, p.topic, p.partition, nowMs);
  return [next, [timer, ...effects]];
}

export function onRetryTimer(c: Ctx, e: Ev<'RetryTimer'>): Outcome<Ctx> {
  const [next, effects] = drain(c, e.topic, e.partition, e.nowMs);
  return next === c ? ignore(c, 'nothing to resend') : acted(next, effects);
}

/** An earlier batch of the same epoch is still unresolved: it explains a sequence gap. */
function hasEarlierUnresolved(p: ProducerPartition, index: number): boolean {
  const batch = p.batches[index];
  return p.batches.some((b, i) => i < index && !b.staleEpoch && b.producerEpoch === batch?.producerEpoch);
}

/**
 * KIP-360 (`TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded`): fail the batch,
 * bump the epoch locally, restart sequences at 0. Batches already sent are marked stale:
 * those not in flight complete now, those in flight when their request returns.
 */
function bumpEpoch(c: Ctx, p: ProducerPartition, index: number, failed: ProducerBatch, error: ErrorCode, nowMs: number): [Ctx, Effect[]] {
  const effects: Effect[] = [failure(p, failed, error)];
  let next: Ctx = { ...c, producerEpoch: c.producerEpoch + 1 };
  for (const q of c.partitions) {
    const batches: ProducerBatch[] = [];
    q.batches.forEach((b, i) => {
      if (q === p && i === index) return;
      if (b.attempts === 0) return void batches.push({ ...b, sequence: NO_SEQUENCE, producerEpoch: -1 });
      if (b.correlationId >= 0) return void batches.push({ ...b, staleEpoch: true });
      effects.push(failure(q, b, 'epoch bumped before retry'));
    });
    next = putPartition(next, { ...q, nextSequence: 0, batches });
  }
  const [drained, sent] = drainAll(next, nowMs);
  return [drained, [...effects, ...sent]];
}

// ---- The machine ----------------------------------------------------------------------------

export const producerMachine = setup({
  types: {} as { context: ProducerContext; input: ProducerInput; events: ProducerEvent; emitted: Effect },
  guards: {
    idempotenceOff: ({ context }) => !idempotent(context),
    producerIdGranted: ({ context, event }) =>
      event.type === 'InitProducerIdResponse' && isProducerIdGranted(context, event),
  },
  actions: {
    sendInitProducerId: perform((c: Ctx) => sendInitProducerId(c)),
    onInitTimer: perform(onInitTimer),
    onInitProducerIdResponse: perform(onInitProducerIdResponse),
    onSend: perform(onSend),
    onMetadataResponse: perform(onMetadataResponse),
    onMetadataTimer: perform(onMetadataTimer),
    onProduceResponse: perform(onProduceResponse),
    onRequestTimeout: perform(onRequestTimeout),
    onRetryTimer: perform(onRetryTimer),
  },
}).createMachine({
  id: 'producer',
  context: ({ input }) => initialContext(input),
  initial: 'initializing',
  on: {
    Send: { actions: 'onSend' },
  },
  states: {
    /** Idempotent: waiting for a producer id (sends are queued). */
    initializing: {
      entry: 'sendInitProducerId',
      always: { guard: 'idempotenceOff', target: 'ready' },
      on: {
        InitProducerIdResponse: [
          { guard: 'producerIdGranted', target: 'ready', actions: 'onInitProducerIdResponse' },
          { actions: 'onInitProducerIdResponse' },
        ],
        InitTimer: { actions: 'onInitTimer' },
      },
    },
    /** Sending, retrying, completing. */
    ready: {
      on: {
        MetadataResponse: { actions: 'onMetadataResponse' },
        MetadataTimer: { actions: 'onMetadataTimer' },
        ProduceResponse: { actions: 'onProduceResponse' },
        RequestTimeout: { actions: 'onRequestTimeout' },
        RetryTimer: { actions: 'onRetryTimer' },
      },
    },
  },
});


/**
 * Idempotent-producer state of one partition (`ProducerStateManager`, `ProducerAppendInfo`,
 * `UnifiedLog.analyzeAndValidateProducerState`): per producerId, its epoch and the
 * metadata of its last 5 batches (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`), which is
 * what lets a leader answer a retried batch with its original offset.
 *
 * Entries are kept sorted by producerId (canonical order for hashing). Rebuilt from the
 * log by replay after a truncation or a restart, as Kafka rebuilds it from snapshots.
 */
import { type LogBatch, NO_PRODUCER_ID, lastSequence } from '../protocol/log.ts';
import type { ErrorCode } from '../protocol/errors.ts';

export const NUM_BATCHES_TO_RETAIN = 5;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export interface ProducerStateEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: readonly BatchMetadata[];
}

export type ProducerStates = readonly ProducerStateEntry[];

/** What the leader decides for a client batch before appending it. */
export type ProducerCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly original: BatchMetadata }
  | { readonly kind: 'reject'; readonly errorCode: ErrorCode; readonly reason: string };

export function findProducer(states: ProducerStates, producerId: number): ProducerStateEntry | undefined {
  return states.find((e) => e.producerId === producerId);
}

/** The checks Kafka applies to a batch of client origin (kafka-internals §3). */
export function checkProducerBatch(states: ProducerStates, batch: LogBatch): ProducerCheck {
  if (batch.producerId === NO_PRODUCER_ID) return { kind: 'append' };
  const entry = findProducer(states, batch.producerId);
  if (entry === undefined) return { kind: 'append' }; // KIP-360: no state, any sequence
  const firstSeq = batch.baseSequence;
  const lastSeq = lastSequence(batch);
  if (entry.producerEpoch === batch.producerEpoch) {
    const original = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (original !== undefined) return { kind: 'duplicate', original };
  }
  if (batch.producerEpoch < entry.producerEpoch) {
    return { kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH', reason: 'producer epoch is older than the current one (KIP-588)' };
  }
  if (batch.producerEpoch > entry.producerEpoch) {
    return firstSeq === 0
      ? { kind: 'append' }
      : { kind: 'reject', errorCode: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: 'a new producer epoch must start at sequence 0' };
  }
  const last = entry.batches.at(-1);
  if (last === undefined || firstSeq === last.lastSeq + 1) return { kind: 'append' };
  return {
    kind: 'reject',
    errorCode: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    reason: `sequence ${firstSeq} does not follow ${last.lastSeq}`,
  };
}

/** The state after `batch` (already placed at its offsets) is in the log. */
export function updateProducerState(states: ProducerStates, batch: LogBatch): ProducerStates {
  if (batch.producerId === NO_PRODUCER_ID || batch.isControl) return states;
  const entry = findProducer(states, batch.producerId);
  const sameEpoch = entry !== undefined && entry.producerEpoch === batch.producerEpoch;
  const previous = sameEpoch ? entry.batches : [];
  const metadata: BatchMetadata = {
    firstSeq: batch.baseSequence,
    lastSeq: lastSequence(batch),
    firstOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
  };
  const updated: ProducerStateEntry = {
    producerId: batch.producerId,
    producerEpoch: Math.max(batch.producerEpoch, entry?.producerEpoch ?? batch.producerEpoch),
    batches: [...previous, metadata].slice(-NUM_BATCHES_TO_RETAIN),
  };
  const others = states.filter((e) => e.producerId !== batch.producerId);
  return [...others, updated].sort((a, b) => a.producerId - b.producerId);
}

/** Producer state from scratch by replaying `log` (recovery, truncation). */
export function producerStatesFromLog(log: readonly LogBatch[]): ProducerStates {
  let states: ProducerStates = [];
  for (const batch of log) states = updateProducerState(states, batch);
  return states;
}

/**
 * # The partition side of transactions, as pure functions over a replica's log
 *
 * What a partition leader (and every follower, by replay) knows about transactions
 * (`ProducerStateManager`, `ProducerAppendInfo`, `UnifiedLog`, `LogSegment` txn index):
 *
 * - per producer id: its latest epoch (data batches *and* markers), the coordinator epoch
 *   of its last marker, and the first offset of its open transaction
 *   (`currentTxnFirstOffset`);
 * - the completed transactions (for the first unstable offset) and the aborted ones: the
 *   `.txnindex` entries (producerId, firstOffset, lastOffset = the marker's offset,
 *   lastStableOffset at abort time);
 * - the **last stable offset** LSO = min(HW, first unstable offset), where a transaction
 *   is unstable while it is open or its marker is not yet below the HW;
 * - read_committed: fetches stop at the LSO and carry the AbortedTransactions list; the
 *   consumer drops aborted data and every control batch (`filterReadCommitted`).
 *
 * The checks before appending: a transactional batch that would open a transaction must
 * be verified with the coordinator first (KIP-890 part 1, AddPartitionsToTxn VerifyOnly);
 * a non-transactional batch may not interleave with its producer's open transaction; a
 * COMMIT/ABORT marker (WriteTxnMarkers) is fenced by the coordinator epoch and, by the
 * transaction version's rule, by the producer epoch (KIP-890 part 2 bumps it per EndTxn).
 *
 * State is derived from the log by replay (`txnStateFromLog`, memoized per append), so a
 * follower, a truncated log and a restarted broker all agree with the leader by
 * construction: the same replay Kafka does from its producer snapshots.
 *
 * A marker in the abstract log (`LogBatch`): a control + transactional batch of one record
 * whose key is 'COMMIT' or 'ABORT' and whose value is the coordinator epoch in decimal
 * (the bytes are Kafka's 4-byte key and 6-byte value, `EndTransactionMarker`).
 */
import { assert } from '../core/assert.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { type LogBatch, type LogRecord, NO_PRODUCER_ID, NO_SEQUENCE } from '../protocol/log.ts';
import type { WriteTxnMarkers } from '../protocol/txn-messages.ts';

export interface TxnProducerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Of the last marker; -1 before any. */
  readonly coordinatorEpoch: number;
  /** The open transaction's first offset, or -1. */
  readonly currentTxnFirstOffset: number;
}

export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The marker's offset. */
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

/** One `.txnindex` entry (`AbortedTxn.java`). */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

/** An immutable list, newest first: O(1) to extend, shared between successive states. */
export type Chain<T> = { readonly head: T; readonly rest: Chain<T> } | null;

export interface TxnPartitionState {
  /** Sorted by producerId. */
  readonly producers: readonly TxnProducerEntry[];
  /** Newest marker first (markers are in offset order). */
  readonly completed: Chain<CompletedTxn>;
  /** The `.txnindex`, newest first. */
  readonly aborted: Chain<AbortedTxn>;
}

/** A chain's items, oldest first, stopping (going back) at the first that fails `keep`. */
export function chainItems<T>(chain: Chain<T>, keep: (item: T) => boolean = () => true): T[] {
  const items: T[] = [];
  for (let c = chain; c !== null && keep(c.head); c = c.rest) items.push(c.head);
  return items.reverse();
}

export type MarkerType = 'COMMIT' | 'ABORT';

export interface Marker {
  readonly type: MarkerType;
  readonly coordinatorEpoch: number;
}

export function emptyTxnState(): TxnPartitionState {
  return { producers: [], completed: null, aborted: null };
}

// ---- Markers in the abstract log --------------------------------------------------------

/** The control batch WriteTxnMarkers appends (placed by the leader like any batch). */
export function markerBatch(producerId: number, producerEpoch: number, type: MarkerType, coordinatorEpoch: number): LogBatch {
  return {
    baseOffset: 0,
    lastOffset: 0,
    partitionLeaderEpoch: -1,
    producerId,
    producerEpoch,
    baseSequence: NO_SEQUENCE,
    isTransactional: true,
    isControl: true,
    records: [{ key: type, value: String(coordinatorEpoch) }],
  };
}

/** The marker a control batch holds, or null (a control batch of another kind). */
export function markerOf(batch: LogBatch): Marker | null {
  if (!batch.isControl) return null;
  const record = batch.records[0];
  if (record === undefined || (record.key !== 'COMMIT' && record.key !== 'ABORT')) return null;
  const coordinatorEpoch = Number(record.value);
  assert(Number.isInteger(coordinatorEpoch), `marker at ${batch.baseOffset} has no coordinator epoch`);
  return { type: record.key, coordinatorEpoch };
}

// ---- Replay --------------------------------------------------------------------------------

export function findTxnProducer(state: TxnPartitionState, producerId: number): TxnProducerEntry | undefined {
  return state.producers.find((p) => p.producerId === producerId);
}

function putProducer(state: TxnPartitionState, entry: TxnProducerEntry): TxnPartitionState {
  const others = state.producers.filter((p) => p.producerId !== entry.producerId);
  const producers = [...others, entry].sort((a, b) => a.producerId - b.producerId);
  return { ...state, producers };
}

/** The state after `batch` (placed at its offsets) is appended: `ProducerAppendInfo`. */
export function replayTxnBatch(state: TxnPartitionState, batch: LogBatch): TxnPartitionState {
  if (batch.producerId === NO_PRODUCER_ID) return state;
  const entry = findTxnProducer(state, batch.producerId) ?? {
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    coordinatorEpoch: -1,
    currentTxnFirstOffset: -1,
  };
  const producerEpoch = Math.max(entry.producerEpoch, batch.producerEpoch);
  const marker = markerOf(batch);
  if (marker !== null) return completeTxn(state, { ...entry, producerEpoch }, marker, batch.baseOffset);
  if (batch.isControl) return state;
  const opens = batch.isTransactional && entry.currentTxnFirstOffset < 0;
  const currentTxnFirstOffset = opens ? batch.baseOffset : entry.currentTxnFirstOffset;
  return putProducer(state, { ...entry, producerEpoch, currentTxnFirstOffset });
}

function completeTxn(state: TxnPartitionState, entry: TxnProducerEntry, marker: Marker, offset: number): TxnPartitionState {
  const closed: TxnProducerEntry = { ...entry, coordinatorEpoch: marker.coordinatorEpoch, currentTxnFirstOffset: -1 };
  const next = putProducer(state, closed);
  if (entry.currentTxnFirstOffset < 0) return next; // a marker with no data here
  const isAborted = marker.type === 'ABORT';
  const txn: CompletedTxn = { producerId: entry.producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: offset, isAborted };
  const completed = { head: txn, rest: next.completed };
  if (!isAborted) return { ...next, completed };
  // kafka-internals §4.4: the next open transaction of another producer, else marker + 1.
  const othersOpen = next.producers.filter((p) => p.currentTxnFirstOffset >= 0).map((p) => p.currentTxnFirstOffset);
  const lastStableOffset = othersOpen.length > 0 ? Math.min(...othersOpen) : offset + 1;
  const aborted = { head: { producerId: entry.producerId, firstOffset: txn.firstOffset, lastOffset: offset, lastStableOffset }, rest: next.aborted };
  return { ...next, completed, aborted };
}

/** The last log seen ending with a given batch object, and its state (a memo, not state). */
const byLastBatch = new WeakMap<LogBatch, { readonly log: readonly LogBatch[]; readonly state: TxnPartitionState }>();

/**
 * Transaction state by replaying `log` from the start. Memoized: a log that extends a log
 * seen before by one batch (the same batch objects in the same places, checked by identity)
 * replays only that batch, as Kafka updates its ProducerStateManager per append.
 */
export function txnStateFromLog(log: readonly LogBatch[]): TxnPartitionState {
  const last = log.at(-1);
  if (last === undefined) return emptyTxnState();
  const hit = byLastBatch.get(last);
  if (hit !== undefined && samePrefix(hit.log, log, log.length)) return hit.state;
  const before = log.at(-2);
  const parent = before === undefined ? null : byLastBatch.get(before);
  let state: TxnPartitionState;
  if (before === undefined) state = replayTxnBatch(emptyTxnState(), last);
  else if (parent !== undefined && parent !== null && samePrefix(parent.log, log, log.length - 1)) state = replayTxnBatch(parent.state, last);
  else state = log.reduce(replayTxnBatch, emptyTxnState());
  byLastBatch.set(last, { log, state });
  return state;
}

/** `a` has exactly `length` batches, the same objects as `b`'s first `length`. */
function samePrefix(a: readonly LogBatch[], b: readonly LogBatch[], length: number): boolean {
  if (a.length !== length) return false;
  if (a === b) return true;
  for (let i = length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

// ---- Checks before an append ---------------------------------------------------------------

/** What the leader decides for a client batch, before the idempotence checks. */
export type TxnProduceCheck =
  | { readonly kind: 'append' }
  /** KIP-890 part 1: ask the coordinator (AddPartitionsToTxn VerifyOnly) first. */
  | { readonly kind: 'verify' }
  | { readonly kind: 'reject'; readonly errorCode: ErrorCode; readonly reason: string };

/**
 * `verified`: the coordinator confirmed this partition is in the producer's transaction
 * at this epoch (the VerificationGuard). `verification`: KIP-890 part 1 is on (it is off
 * under the `no-partition-verification` variant).
 */
export function checkTransactionalProduce(
  state: TxnPartitionState,
  batch: LogBatch,
  options: { readonly verification: boolean; readonly verified: boolean },
): TxnProduceCheck {
  if (batch.producerId === NO_PRODUCER_ID) return { kind: 'append' };
  const entry = findTxnProducer(state, batch.producerId);
  const open = entry !== undefined && entry.currentTxnFirstOffset >= 0;
  if (!batch.isTransactional) {
    if (open) return { kind: 'reject', errorCode: 'INVALID_TXN_STATE', reason: 'non-transactional batch while its transaction is open' };
    return { kind: 'append' };
  }
  if (entry !== undefined && batch.producerEpoch < entry.producerEpoch) {
    // Also a late batch of an ended TV2 transaction: its marker carried the bumped epoch.
    return { kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH', reason: 'producer epoch is older than the current one' };
  }
  if (open) return { kind: 'append' };
  if (!options.verification || options.verified) return { kind: 'append' };
  return { kind: 'verify' };
}

export type MarkerCheck =
  | { readonly kind: 'append'; readonly batch: LogBatch }
  | { readonly kind: 'reject'; readonly errorCode: ErrorCode; readonly reason: string };

/** WriteTxnMarkers on the leader: coordinator-epoch fencing, then the TV1/TV2 epoch rule. */
export function checkMarker(state: TxnPartitionState, m: WriteTxnMarkers): MarkerCheck {
  const entry = findTxnProducer(state, m.producerId);
  const type: MarkerType = m.transactionResult ? 'COMMIT' : 'ABORT';
  const batch = markerBatch(m.producerId, m.producerEpoch, type, m.coordinatorEpoch);
  if (entry === undefined) return { kind: 'append', batch };
  if (m.coordinatorEpoch < entry.coordinatorEpoch) {
    return { kind: 'reject', errorCode: 'TRANSACTION_COORDINATOR_FENCED', reason: 'marker from an older coordinator epoch' };
  }
  const open = entry.currentTxnFirstOffset >= 0;
  if (m.transactionVersion >= 2) {
    // TV2: the marker carries the epoch EndTxn bumped, so it must exceed the data's; the
    // same epoch again with no transaction open is a retried marker (KAFKA-19999).
    const retry = m.producerEpoch === entry.producerEpoch && !open;
    if (m.producerEpoch <= entry.producerEpoch && !retry) {
      return { kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH', reason: 'TV2 marker epoch not above the producer epoch' };
    }
    return { kind: 'append', batch };
  }
  if (m.producerEpoch < entry.producerEpoch) {
    return { kind: 'reject', errorCode: 'INVALID_PRODUCER_EPOCH', reason: 'marker epoch older than the producer epoch' };
  }
  return { kind: 'append', batch };
}

// ---- Last stable offset and read_committed ---------------------------------------------------

/** `ProducerStateManager.firstUnstableOffset`: open, or completed with the marker ≥ HW. */
export function firstUnstableOffset(state: TxnPartitionState, highWatermark: number): number | null {
  let first: number | null = null;
  const consider = (offset: number): void => {
    first = first === null ? offset : Math.min(first, offset);
  };
  for (const p of state.producers) if (p.currentTxnFirstOffset >= 0) consider(p.currentTxnFirstOffset);
  // Newest first: once a marker is below the HW, every older one is too.
  for (const t of chainItems(state.completed, (x) => x.lastOffset >= highWatermark)) consider(t.firstOffset);
  return first;
}

/** LSO = min(HW, first unstable offset). */
export function lastStableOffset(state: TxnPartitionState, highWatermark: number): number {
  const unstable = firstUnstableOffset(state, highWatermark);
  return unstable === null ? highWatermark : Math.min(highWatermark, unstable);
}

export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** The Fetch response's AbortedTransactions for [fetchOffset, upperBound) (`collectAbortedTxns`). */
export function abortedTransactions(state: TxnPartitionState, fetchOffset: number, upperBound: number): AbortedTransaction[] {
  return chainItems(state.aborted, (a) => a.lastOffset >= fetchOffset)
    .filter((a) => a.firstOffset < upperBound)
    .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
}

/** A record handed to the application. */
export interface ConsumedRecord extends LogRecord {
  readonly offset: number;
}

/**
 * The consumer's read_committed filter (`Fetcher`'s `CompletedFetch.nextFetchedRecord`):
 * a producer listed as aborted from `firstOffset` on has its transactional batches
 * dropped until its ABORT marker; control batches never reach the application.
 * Returns the records and the offset after the last batch looked at.
 */
export function filterReadCommitted(
  batches: readonly LogBatch[],
  aborted: readonly AbortedTransaction[],
  fetchOffset: number,
): { readonly records: ConsumedRecord[]; readonly nextOffset: number } {
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId);
  const abortedProducers = new Set<number>();
  const records: ConsumedRecord[] = [];
  let nextOffset = fetchOffset;
  for (const batch of batches) {
    if (batch.lastOffset < fetchOffset) continue;
    while (pending.length > 0 && (pending[0] as AbortedTransaction).firstOffset <= batch.lastOffset) {
      abortedProducers.add((pending.shift() as AbortedTransaction).producerId);
    }
    nextOffset = batch.lastOffset + 1;
    if (batch.isControl) {
      if (markerOf(batch)?.type === 'ABORT') abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    batch.records.forEach((r, i) => {
      const offset = batch.baseOffset + i;
      if (offset >= fetchOffset) records.push({ offset, key: r.key, value: r.value });
    });
  }
  return { records, nextOffset };
}

/** read_uncommitted: every data record, control batches still hidden. */
export function filterReadUncommitted(batches: readonly LogBatch[], fetchOffset: number): { readonly records: ConsumedRecord[]; readonly nextOffset: number } {
  return filterReadCommitted(batches, [], fetchOffset);
}

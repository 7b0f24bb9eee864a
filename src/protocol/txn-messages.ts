/**
 * The transaction requests and responses (KIP-98, KIP-447, KIP-890), with Kafka's API and
 * field names (`clients/src/main/resources/common/message/*.json`), reduced like
 * messages.ts: partition-level requests carry one topic-partition, AddPartitionsToTxn a
 * list (it is the request that names the transaction's partitions).
 *
 * `InitProducerId` (transactional form: `transactionalId` set) is declared in messages.ts
 * and shared with the idempotent producer.
 *
 * Routing (what a host must know): every request here goes to a broker node
 * (`broker-N`); the host hands it to the machine on that broker that serves it:
 * FindCoordinator(keyType TRANSACTION), InitProducerId with a transactionalId,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn go to the transaction coordinator;
 * WriteTxnMarkers and transactional Produce go to the replica of their partition;
 * FindCoordinator(keyType GROUP), TxnOffsetCommit and the group requests to the group
 * coordinator. Responses go back to the node that asked.
 */
import type { ErrorCode } from './errors.ts';

/** FindCoordinator `keyType` (FindCoordinatorRequest.json): 0 = group, 1 = transaction. */
export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;
export type CoordinatorType = typeof COORDINATOR_GROUP | typeof COORDINATOR_TRANSACTION;

interface Header {
  readonly from: string;
  readonly correlationId: number;
}

export interface TxnTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

// ---- FindCoordinator -------------------------------------------------------------------

/**
 * Kafka answers from any broker's metadata cache. Here a broker answers for itself only:
 * NONE and its own node id when it is the active coordinator for the key, else
 * NOT_COORDINATOR; a client tries its bootstrap brokers in turn.
 */
export interface FindCoordinator extends Header {
  readonly type: 'FindCoordinator';
  readonly key: string;
  readonly keyType: CoordinatorType;
}

export interface FindCoordinatorResponse extends Header {
  readonly type: 'FindCoordinatorResponse';
  readonly errorCode: ErrorCode;
  readonly key: string;
  readonly keyType: CoordinatorType;
  readonly nodeId: number;
}

// ---- AddPartitionsToTxn (v4+ VerifyOnly: KIP-890 part 1) ----------------------------------

export interface AddPartitionsToTxn extends Header {
  readonly type: 'AddPartitionsToTxn';
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** KIP-890 part 1: a partition leader asking whether the partitions are in the transaction. */
  readonly verifyOnly: boolean;
  readonly partitions: readonly TxnTopicPartition[];
}

export interface AddPartitionsToTxnResult extends TxnTopicPartition {
  readonly errorCode: ErrorCode;
}

export interface AddPartitionsToTxnResponse extends Header {
  readonly type: 'AddPartitionsToTxnResponse';
  readonly transactionalId: string;
  /** Top-level error (v4+); per-partition errors in `results`. */
  readonly errorCode: ErrorCode;
  readonly results: readonly AddPartitionsToTxnResult[];
}

// ---- AddOffsetsToTxn ---------------------------------------------------------------------

export interface AddOffsetsToTxn extends Header {
  readonly type: 'AddOffsetsToTxn';
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly groupId: string;
}

export interface AddOffsetsToTxnResponse extends Header {
  readonly type: 'AddOffsetsToTxnResponse';
  readonly transactionalId: string;
  readonly errorCode: ErrorCode;
}

// ---- EndTxn (v5: the bumped producer id / epoch, KIP-890 part 2) --------------------------

export interface EndTxn extends Header {
  readonly type: 'EndTxn';
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true = commit, false = abort. */
  readonly committed: boolean;
}

export interface EndTxnResponse extends Header {
  readonly type: 'EndTxnResponse';
  readonly transactionalId: string;
  readonly errorCode: ErrorCode;
  /** TV2: the producer id and epoch to use next (-1 under TV1). */
  readonly producerId: number;
  readonly producerEpoch: number;
}

// ---- WriteTxnMarkers (coordinator -> partition leader) -------------------------------------

export interface WriteTxnMarkers extends Header, TxnTopicPartition {
  readonly type: 'WriteTxnMarkers';
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true = COMMIT, false = ABORT. */
  readonly transactionResult: boolean;
  readonly coordinatorEpoch: number;
  /** 1 or 2 (KIP-890 part 2 changes the partition's epoch check). */
  readonly transactionVersion: number;
}

export interface WriteTxnMarkersResponse extends Header, TxnTopicPartition {
  readonly type: 'WriteTxnMarkersResponse';
  readonly producerId: number;
  readonly errorCode: ErrorCode;
}

// ---- TxnOffsetCommit (to the group coordinator; KIP-447 generation fields) ------------------

export interface TxnOffsetCommit extends Header, TxnTopicPartition {
  readonly type: 'TxnOffsetCommit';
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** KIP-447 (v3+): -1 / '' when the client sends no group metadata. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly committedOffset: number;
}

export interface TxnOffsetCommitResponse extends Header, TxnTopicPartition {
  readonly type: 'TxnOffsetCommitResponse';
  readonly errorCode: ErrorCode;
}

export type TxnMessage =
  | FindCoordinator
  | FindCoordinatorResponse
  | AddPartitionsToTxn
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxn
  | AddOffsetsToTxnResponse
  | EndTxn
  | EndTxnResponse
  | WriteTxnMarkers
  | WriteTxnMarkersResponse
  | TxnOffsetCommit
  | TxnOffsetCommitResponse;

/**
 * The address a partition leader sends its KIP-890 verification to: the host resolves it
 * to the broker currently leading `__transaction_state`'s partition for the id, as a
 * broker resolves it from its metadata cache.
 */
export function transactionCoordinatorOf(transactionalId: string): string {
  return `txn-coordinator-of:${transactionalId}`;
}

/** Kafka's internal topics. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** Java's `String.hashCode` (UTF-16 code units, 32-bit wrap). */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * `Utils.abs(key.hashCode) % partitionCount`: the internal partition of a transactional id
 * (`TransactionStateManager.partitionFor`) or a group id (`GroupMetadataManager`).
 * Kafka's `Utils.abs` maps Integer.MIN_VALUE to 0.
 */
export function partitionFor(key: string, partitionCount: number): number {
  const h = javaStringHashCode(key);
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitionCount;
}

/**
 * Kafka's error codes, by the names `clients/.../common/protocol/Errors.java` gives them,
 * with their numeric codes and Kafka's classification: a **retriable** error
 * (`RetriableException` subclasses) may succeed if the client tries again; a **fatal** one
 * will not. `NONE` is success.
 */
export const ERROR_CODES = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  STALE_BROKER_EPOCH: 77,
  FENCED_INSTANCE_ID: 82,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  PRODUCER_FENCED: 90,
  INVALID_UPDATE_VERSION: 95,
  DUPLICATE_BROKER_REGISTRATION: 101,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  TRANSACTION_ABORTABLE: 120,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Retriable in Kafka's client (a `RetriableException`, or `InvalidMetadataException`). */
const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'CONCURRENT_TRANSACTIONS',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNSTABLE_OFFSET_COMMIT',
  'CORRUPT_MESSAGE',
]);

export function isRetriable(error: ErrorCode): boolean {
  return RETRIABLE.has(error);
}

/** A failure the client cannot retry its way out of (NONE is neither). */
export function isFatal(error: ErrorCode): boolean {
  return error !== 'NONE' && !RETRIABLE.has(error);
}

/**
 * Errors after which a Produce's records are known NOT to be in the log: the broker
 * refused before appending. Any other error leaves the outcome unknown to the client: a
 * timeout, NOT_ENOUGH_REPLICAS_AFTER_APPEND, and NOT_LEADER_OR_FOLLOWER too (a leader that
 * loses leadership completes its waiting acks=all produces with it, after appending).
 */
const DEFINITELY_NOT_APPENDED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_ENOUGH_REPLICAS',
  'INVALID_REQUIRED_ACKS',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_TXN_STATE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'PRODUCER_FENCED',
  'TRANSACTION_ABORTABLE',
]);

export function isDefinitelyNotAppended(error: ErrorCode): boolean {
  return DEFINITELY_NOT_APPENDED.has(error);
}

/**
 * Every request and response the machines exchange, as one discriminated union
 * `ProtocolMessage` (field `type` = Kafka's API name, `...Response` for the answer).
 * Field names are Kafka's (the JSON schemas in `clients/src/main/resources/common/message/`),
 * reduced to one topic-partition per request: the simulated cluster sends one request per
 * partition, which is how the protocol's fencing and retry rules are stated anyway.
 *
 * Every message carries `from` (the sending node, where Kafka has a connection) and, where
 * Kafka has one, `correlationId` (the request header's id, echoed by the response): a
 * client matches a response to its request by it, and ignores any other (stale, duplicated).
 *
 * Metadata propagation: the controller pushes **LeaderAndIsr** (leader, leaderEpoch, isr,
 * elr, partitionEpoch, replicas) to the replicas. In KRaft, brokers instead replicate the
 * metadata log and apply `PartitionChangeRecord`s in order; we do not model the metadata
 * log's own replication. Pushing the state over the faulty network is strictly more
 * adversarial (messages may be lost, duplicated and reordered, as in hachikuji's TLA+
 * spec), and replicas fence stale ones by leaderEpoch / partitionEpoch. The controller
 * re-sends the current state on every broker heartbeat, so brokers converge as they do by
 * fetching the metadata log.
 */
import type { Acks } from './config.ts';
import type { ErrorCode } from './errors.ts';
import type { LogBatch } from './log.ts';

export type NodeId = string;
export type BrokerId = number;

export const CONTROLLER: NodeId = 'controller';

export function brokerNode(brokerId: BrokerId): NodeId {
  return `broker-${brokerId}`;
}

/** The broker id of a `broker-N` node, or -1. */
export function brokerIdOf(node: NodeId): BrokerId {
  const match = /^broker-(\d+)$/.exec(node);
  return match === null ? -1 : Number(match[1]);
}

/** No leader / no epoch / no offset, as Kafka writes them. */
export const NO_LEADER = -1;
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_OFFSET = -1;
/** `replicaId` of a consumer's Fetch (Kafka's CONSUMER_REPLICA_ID). */
export const CONSUMER_REPLICA_ID = -1;

interface Header {
  readonly from: NodeId;
  readonly correlationId: number;
}

interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

// ---- Produce (KafkaApis.handleProduceRequest) -------------------------------------------

export interface Produce extends Header, PartitionRef {
  readonly type: 'Produce';
  readonly transactionalId: string | null;
  readonly acks: Acks;
  readonly timeoutMs: number;
  /** One batch, as the client built it (baseOffset 0, partitionLeaderEpoch -1). */
  readonly records: LogBatch;
}

export interface ProduceResponse extends Header, PartitionRef {
  readonly type: 'ProduceResponse';
  readonly errorCode: ErrorCode;
  /** The offset of the batch's first record (the original one for a duplicate), or -1. */
  readonly baseOffset: number;
}

// ---- Fetch (KIP-320 CurrentLeaderEpoch, KIP-595 LastFetchedEpoch / DivergingEpoch) --------

export interface Fetch extends Header, PartitionRef {
  readonly type: 'Fetch';
  /** The follower's broker id, or CONSUMER_REPLICA_ID (-1) for a consumer. */
  readonly replicaId: BrokerId;
  readonly fetchOffset: number;
  /** KIP-320: the epoch the fetcher believes current; -1 = not fenced. */
  readonly currentLeaderEpoch: number;
  /** Epoch of the last batch the fetcher has (-1 = none): the leader checks divergence. */
  readonly lastFetchedEpoch: number;
  readonly isolationLevel: 'read_uncommitted' | 'read_committed';
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface FetchResponse extends Header, PartitionRef {
  readonly type: 'FetchResponse';
  readonly errorCode: ErrorCode;
  /** The leader epoch the response was produced under (the leader's current epoch). */
  readonly currentLeaderEpoch: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: readonly LogBatch[];
  /** Set when the fetcher's log diverges: it must truncate and fetch again. */
  readonly divergingEpoch: EpochEndOffset | null;
  /** read_committed: the aborted transactions in the returned range (`.txnindex`), else empty or absent. */
  readonly abortedTransactions?: readonly { readonly producerId: number; readonly firstOffset: number }[];
}

// ---- OffsetsForLeaderEpoch (KIP-101, KIP-279, KIP-320) ------------------------------------

export interface OffsetsForLeaderEpoch extends Header, PartitionRef {
  readonly type: 'OffsetsForLeaderEpoch';
  readonly replicaId: BrokerId;
  readonly currentLeaderEpoch: number;
  /** The epoch whose end offset is asked for (the follower's latest). */
  readonly leaderEpoch: number;
}

export interface OffsetsForLeaderEpochResponse extends Header, PartitionRef {
  readonly type: 'OffsetsForLeaderEpochResponse';
  readonly errorCode: ErrorCode;
  /** KIP-279: the largest epoch ≤ the requested one that the leader has, or -1. */
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

// ---- AlterPartition (KIP-497; KIP-903 broker epochs) --------------------------------------

export interface AlterPartition extends Header, PartitionRef {
  readonly type: 'AlterPartition';
  /** The leader asking. */
  readonly brokerId: BrokerId;
  readonly leaderEpoch: number;
  readonly newIsr: readonly BrokerId[];
  /** The partition epoch the leader's ISR is based on (INVALID_UPDATE_VERSION if stale). */
  readonly partitionEpoch: number;
}

export interface AlterPartitionResponse extends Header, PartitionRef {
  readonly type: 'AlterPartitionResponse';
  readonly errorCode: ErrorCode;
  readonly leaderId: BrokerId;
  readonly leaderEpoch: number;
  readonly isr: readonly BrokerId[];
  readonly partitionEpoch: number;
}

// ---- Broker lifecycle (KRaft; KIP-966 clean-shutdown flag) -------------------------------

export interface BrokerRegistration extends Header {
  readonly type: 'BrokerRegistration';
  readonly brokerId: BrokerId;
  /** A fresh id per process start (KIP-631), so a restart is told from a retry. */
  readonly incarnationId: number;
  /**
   * KIP-966: the broker epoch before a clean shutdown, or -1 when the broker did not shut
   * down cleanly (no `.kafka_cleanshutdown` marker): it may have lost unflushed data.
   */
  readonly previousBrokerEpoch: number;
}

export interface BrokerRegistrationResponse extends Header {
  readonly type: 'BrokerRegistrationResponse';
  readonly errorCode: ErrorCode;
  readonly brokerEpoch: number;
}

export interface BrokerHeartbeat extends Header {
  readonly type: 'BrokerHeartbeat';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
}

export interface BrokerHeartbeatResponse extends Header {
  readonly type: 'BrokerHeartbeatResponse';
  readonly errorCode: ErrorCode;
  readonly isFenced: boolean;
}

/** The controller's partition state, pushed to each replica (see the header). */
export interface LeaderAndIsr extends PartitionRef {
  readonly type: 'LeaderAndIsr';
  readonly from: NodeId;
  /**
   * The incarnation of the receiving broker that the controller has registered. A
   * restarted broker ignores state addressed to its previous process: our stand-in for
   * KIP-380's broker epoch on LeaderAndIsr (and for KRaft brokers acting on metadata only
   * after registering), which keeps a restarted replica from leading an epoch it lost.
   */
  readonly incarnationId: number;
  readonly leader: BrokerId;
  readonly leaderEpoch: number;
  readonly isr: readonly BrokerId[];
  /** KIP-966 eligible leader replicas. */
  readonly elr: readonly BrokerId[];
  readonly partitionEpoch: number;
  readonly replicas: readonly BrokerId[];
}

// ---- Metadata and InitProducerId (clients) -----------------------------------------------

export interface Metadata extends Header, PartitionRef {
  readonly type: 'Metadata';
}

export interface MetadataResponse extends Header, PartitionRef {
  readonly type: 'MetadataResponse';
  readonly errorCode: ErrorCode;
  readonly leaderId: BrokerId;
  readonly leaderEpoch: number;
}

export interface InitProducerId extends Header {
  readonly type: 'InitProducerId';
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** KIP-360: the current id/epoch when re-initialising, else -1. */
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface InitProducerIdResponse extends Header {
  readonly type: 'InitProducerIdResponse';
  readonly errorCode: ErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export type ProtocolMessage =
  | Produce
  | ProduceResponse
  | Fetch
  | FetchResponse
  | OffsetsForLeaderEpoch
  | OffsetsForLeaderEpochResponse
  | AlterPartition
  | AlterPartitionResponse
  | BrokerRegistration
  | BrokerRegistrationResponse
  | BrokerHeartbeat
  | BrokerHeartbeatResponse
  | LeaderAndIsr
  | Metadata
  | MetadataResponse
  | InitProducerId
  | InitProducerIdResponse
  | import('./txn-messages.ts').TxnMessage | import('./group-messages.ts').GroupMessage;

export type MessageType = ProtocolMessage['type'];

/** A message as the host delivers it: stamped with the receiver's logical time. */
export type Delivered<M extends ProtocolMessage> = M & { readonly nowMs: number };

/** The topic-partition a message is about, or null (broker lifecycle, InitProducerId). */
export function partitionOf(message: ProtocolMessage): PartitionRef | null {
  return 'topic' in message ? { topic: message.topic, partition: message.partition } : null;
}

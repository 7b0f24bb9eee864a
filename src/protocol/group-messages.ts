/**
 * The classic consumer-group protocol's requests and responses (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch), with Kafka's names. Reduced: the
 * subscription and assignment are lists of topic-partitions (Kafka sends them as opaque
 * `ConsumerProtocol` bytes the coordinator never reads), one protocol ("range"), commits
 * and fetches of one partition per request. JoinGroup gives a new member its id at once
 * (the pre-KIP-394 form, without the MEMBER_ID_REQUIRED round trip).
 */
import type { ErrorCode } from './errors.ts';

interface Header {
  readonly from: string;
  readonly correlationId: number;
}

export interface GroupTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** JoinGroup's empty member id (a new member). */
export const UNKNOWN_MEMBER_ID = '';
export const NO_GENERATION = -1;

export interface JoinGroup extends Header {
  readonly type: 'JoinGroup';
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** The partitions this member can consume (its subscription, resolved). */
  readonly subscription: readonly GroupTopicPartition[];
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly subscription: readonly GroupTopicPartition[];
}

export interface JoinGroupResponse extends Header {
  readonly type: 'JoinGroupResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
  readonly generationId: number;
  readonly leader: string;
  readonly memberId: string;
  /** Only the leader gets the members (it computes the assignment). */
  readonly members: readonly JoinGroupMember[];
}

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly partitions: readonly GroupTopicPartition[];
}

export interface SyncGroup extends Header {
  readonly type: 'SyncGroup';
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** The leader's assignment; empty from followers. */
  readonly assignments: readonly SyncGroupAssignment[];
}

export interface SyncGroupResponse extends Header {
  readonly type: 'SyncGroupResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
  readonly assignment: readonly GroupTopicPartition[];
}

export interface Heartbeat extends Header {
  readonly type: 'Heartbeat';
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
}

export interface HeartbeatResponse extends Header {
  readonly type: 'HeartbeatResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
}

export interface LeaveGroup extends Header {
  readonly type: 'LeaveGroup';
  readonly groupId: string;
  readonly memberId: string;
}

export interface LeaveGroupResponse extends Header {
  readonly type: 'LeaveGroupResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
}

export interface OffsetCommit extends Header, GroupTopicPartition {
  readonly type: 'OffsetCommit';
  readonly groupId: string;
  /** -1 with an empty member id: a commit from outside the group (admin, manual assignment). */
  readonly generationId: number;
  readonly memberId: string;
  readonly committedOffset: number;
}

export interface OffsetCommitResponse extends Header, GroupTopicPartition {
  readonly type: 'OffsetCommitResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
}

export interface OffsetFetch extends Header, GroupTopicPartition {
  readonly type: 'OffsetFetch';
  readonly groupId: string;
  /** KIP-447 (v7+): UNSTABLE_OFFSET_COMMIT while a transactional commit is pending. */
  readonly requireStable: boolean;
}

export interface OffsetFetchResponse extends Header, GroupTopicPartition {
  readonly type: 'OffsetFetchResponse';
  readonly groupId: string;
  readonly errorCode: ErrorCode;
  /** -1 when nothing is committed. */
  readonly committedOffset: number;
}

export type GroupMessage =
  | JoinGroup
  | JoinGroupResponse
  | SyncGroup
  | SyncGroupResponse
  | Heartbeat
  | HeartbeatResponse
  | LeaveGroup
  | LeaveGroupResponse
  | OffsetCommit
  | OffsetCommitResponse
  | OffsetFetch
  | OffsetFetchResponse;

/**
 * What the invariants see of the simulated world after each step: per broker, the log as
 * it is on that broker's segment files (offset, leader epoch, value), the replica's high
 * watermark and role as its machine holds them, and the controller's partition state.
 * The sim builds it (src/sim/view.ts); the model never reaches into machines or storage.
 */

/** One record of a replica's log. `value` is the producer's value (unique per partition). */
export interface LogEntry {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly value: string;
  readonly producerId: number;
  readonly sequence: number;
}

export type ReplicaRole = 'leader' | 'follower' | 'offline';

export interface ReplicaView {
  readonly brokerId: number;
  /** False while the broker process is down. */
  readonly alive: boolean;
  /** Process lifetimes so far: 0 until the first restart. */
  readonly incarnation: number;
  readonly role: ReplicaRole;
  /** The leader epoch this replica has applied. */
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  /** Every record in this replica's log, in offset order (log start is 0: no retention here). */
  readonly log: readonly LogEntry[];
}

/** The controller's record of the partition (KRaft `PartitionRegistration`). */
export interface ControllerView {
  /** -1 when the partition is offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** KIP-966 eligible leader replicas (empty when ELR is off). */
  readonly elr: readonly number[];
}

export interface WorldView {
  readonly step: number;
  readonly phase: 1 | 2;
  readonly replicas: readonly ReplicaView[];
  readonly controller: ControllerView;
}

/** The replica that currently leads: the controller's leader, alive, leading in the controller's epoch. */
export function currentLeader(view: WorldView): ReplicaView | undefined {
  const { leader, leaderEpoch } = view.controller;
  if (leader < 0) return undefined;
  const replica = view.replicas.find((r) => r.brokerId === leader);
  if (replica === undefined || !replica.alive || replica.role !== 'leader') return undefined;
  return replica.leaderEpoch === leaderEpoch ? replica : undefined;
}

export function entryAt(replica: ReplicaView, offset: number): LogEntry | undefined {
  const first = replica.log[0];
  if (first === undefined) return undefined;
  return replica.log[offset - first.offset];
}

export function logEndOffset(replica: ReplicaView): number {
  const last = replica.log[replica.log.length - 1];
  return last === undefined ? 0 : last.offset + 1;
}

/**
 * How the world hosts each role: the one place that knows the machines' input, event and
 * context shapes (src/machines/*). The world (world.ts) only steps `Hosted` machines and
 * carries out their effects; the model only sees the states this file extracts.
 */
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { Effect } from '../machines/effects.ts';
import { step } from '../machines/step.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import type { LogConfig } from '../storage/partition-log.ts';
import type { ControllerView, ReplicaRole } from '../../model/view.ts';
import type { RecoveredPartition } from './broker-storage.ts';

export const TOPIC = 'orders';
export const PARTITION = 0;
export const PRODUCER = 'producer-0';

export function brokerName(id: number): string {
  return `broker-${id}`;
}

/** A machine and its current snapshot; stepping replaces the snapshot. */
export class Hosted<M extends AnyStateMachine = AnyStateMachine> {
  constructor(
    readonly machine: M,
    public snapshot: SnapshotFrom<M>,
  ) {}

  step(event: { readonly type: string }): Effect[] {
    const result = step(this.machine, this.snapshot, event as never);
    this.snapshot = result.snapshot;
    return result.effects;
  }

  get context(): unknown {
    return (this.snapshot as { context: unknown }).context;
  }
}

export interface Started {
  readonly hosted: Hosted;
  readonly effects: readonly Effect[];
}

export interface ReplicaState {
  readonly role: ReplicaRole;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
}

/** Which machine of a node an event is for: a broker process runs a lifecycle machine and a replica. */
export type Slot = 'main' | 'lifecycle';

export interface Roles {
  logConfig(config: ClusterConfig): LogConfig;
  startController(config: ClusterConfig, brokers: readonly number[]): Started;
  /** The broker process's lifecycle machine (registration, heartbeats), or undefined if the roles have none. */
  startLifecycle(brokerId: number, incarnation: number, config: ClusterConfig): Started | undefined;
  /** The slot of a broker node an event of this type goes to. */
  brokerSlot(eventType: string): Slot;
  startReplica(brokerId: number, incarnation: number, recovered: RecoveredPartition, config: ClusterConfig, brokers: readonly number[], nowMs: number): Started;
  startProducer(config: ClusterConfig): Started;
  /** The event that hands the producer one application value (`process` names the history process). */
  sendEvent(value: string, process: number, nowMs: number): { readonly type: string };
  replicaState(hosted: Hosted): ReplicaState;
  controllerState(hosted: Hosted): ControllerView;
  describeProducer(hosted: Hosted): string;
}

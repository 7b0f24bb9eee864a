/**
 * The roles of src/machines hosted in the simulated world: the replica of the one
 * partition on each broker, the controller, and one idempotent (or not) producer.
 * Restarting a replica seeds it with what storage recovery kept (log, leader-epoch cache,
 * HW checkpoint, producer state as `ProducerStateManager` rebuilt it).
 */
import { assert } from '../core/assert.ts';
import { brokerMachine } from '../machines/broker.ts';
import { start } from '../machines/step.ts';
import { replicaMachine, type ReplicaContext, type ReplicaPersisted } from '../machines/replica.ts';
import { controllerMachine, type ControllerContext } from '../machines/controller.ts';
import { producerMachine, type ProducerContext } from '../machines/producer.ts';
import type { ProducerStates } from '../machines/producer-state.ts';
import type { ClusterConfig } from '../protocol/config.ts';
import type { ProducerStateSnapshot } from '../storage/partition-log.ts';
import type { ControllerView, ReplicaRole } from '../../model/view.ts';
import type { RecoveredPartition } from './broker-storage.ts';
import { Hosted, PARTITION, PRODUCER, type ReplicaState, type Roles, type Started, TOPIC } from './roles.ts';

/** Small segments so that histories roll segments and recovery spans several of them. */
export const SIM_SEGMENT_BYTES = 1024;

export const machineRoles: Roles = {
  logConfig: (config) => ({
    topic: TOPIC,
    partition: PARTITION,
    segmentBytes: Math.min(config['segment.bytes'], SIM_SEGMENT_BYTES),
    indexIntervalBytes: 256,
    // The replica machine emits `flush` every flush.messages records; the log never flushes on its own.
    flushMessages: Number.MAX_SAFE_INTEGER,
  }),

  startController(config: ClusterConfig, brokers: readonly number[]): Started {
    const started = start(controllerMachine, { config, partitions: [{ topic: TOPIC, partition: PARTITION, replicas: [...brokers] }] });
    return { hosted: new Hosted(controllerMachine, started.snapshot), effects: started.effects };
  },

  startLifecycle(brokerId: number, incarnation: number, config: ClusterConfig): Started {
    // Every restart in the sim follows a crash: no clean-shutdown marker, previousBrokerEpoch = -1 (KIP-966).
    const started = start(brokerMachine, { config, brokerId, incarnationId: incarnationId(brokerId, incarnation), previousBrokerEpoch: -1 });
    return { hosted: new Hosted(brokerMachine, started.snapshot), effects: started.effects };
  },

  brokerSlot: (type) => (LIFECYCLE_EVENTS.has(type) ? 'lifecycle' : 'main'),

  startReplica(brokerId: number, incarnation: number, recovered: RecoveredPartition, config: ClusterConfig): Started {
    const persisted: ReplicaPersisted = {
      log: recovered.batches,
      leaderEpochCache: recovered.leaderEpochCache,
      highWatermarkCheckpoint: recovered.highWatermark,
      producers: producerStatesOf(recovered.producerState),
    };
    const started = start(replicaMachine, {
      config,
      brokerId,
      incarnationId: incarnationId(brokerId, incarnation),
      topic: TOPIC,
      partition: PARTITION,
      recovered: persisted,
    });
    return { hosted: new Hosted(replicaMachine, started.snapshot), effects: started.effects };
  },

  startProducer(config: ClusterConfig): Started {
    const started = start(producerMachine, { config, clientId: PRODUCER, bootstrapBrokers: brokersOf(config) });
    return { hosted: new Hosted(producerMachine, started.snapshot), effects: started.effects };
  },

  sendEvent: (value, process, nowMs) => ({ type: 'Send', nowMs, process, topic: TOPIC, partition: PARTITION, value }),

  replicaState(hosted: Hosted): ReplicaState {
    const c = hosted.context as ReplicaContext;
    const value = (hosted.snapshot as { value: unknown }).value;
    const role: ReplicaRole = value === 'leader' ? 'leader' : value === 'unassigned' ? 'offline' : 'follower';
    return { role, leaderEpoch: c.volatile.leaderEpoch, highWatermark: c.volatile.highWatermark };
  },

  controllerState(hosted: Hosted): ControllerView {
    const c = hosted.context as ControllerContext;
    const p = c.partitions[0];
    assert(p !== undefined && p.topic === TOPIC && p.partition === PARTITION, 'the controller knows the partition');
    return { leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, elr: p.elr };
  },

  describeProducer(hosted: Hosted): string {
    const c = hosted.context as ProducerContext;
    const batches = c.partitions.flatMap((p) => p.batches);
    const pending = batches.map((b) => `${b.value}${b.sequence >= 0 ? `#${b.sequence}` : ''}${b.correlationId >= 0 ? '(in flight)' : ''}`);
    return `pid ${c.producerId} epoch ${c.producerEpoch}${pending.length > 0 ? ` pending [${pending.join(' ')}]` : ''}`;
  },
};

const LIFECYCLE_EVENTS = new Set(['BrokerRegistrationResponse', 'BrokerHeartbeatResponse', 'LifecycleTimer']);

/** A fresh id per broker process start (KIP-631), shared by its lifecycle and replica machines. */
function incarnationId(brokerId: number, incarnation: number): number {
  return brokerId * 1000 + incarnation;
}

function brokersOf(config: ClusterConfig): number[] {
  return Array.from({ length: config['replication.factor'] }, (_, i) => i);
}

/** Storage's rebuilt producer state in the replica machine's shape. */
function producerStatesOf(snapshot: ProducerStateSnapshot): ProducerStates {
  return snapshot.producers.map((p) => ({
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    batches: p.batches.map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, firstOffset: b.firstOffset, lastOffset: b.lastOffset })),
  }));
}

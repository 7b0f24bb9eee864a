/**
 * `--model replication`: one partition replicated on N brokers (the replica machine on
 * each), the controller machine, and one idempotent producer with acks=all: the
 * configuration of hachikuji/kafka-specification (`KafkaReplication.tla` and its
 * per-KIP modules), over the real machines of src/machines rather than a re-statement.
 *
 * Bounds (TLC's CONSTRAINT): at most `records` values sent, the controller's leader
 * epoch ≤ `leaderEpochs` and partition epoch ≤ `partitionEpochs` (every ISR change bumps
 * the latter, so it bounds the ISR shrink/expand cycles TLA+ leaves unbounded but finite
 * in its abstract state), the producer's `retries`, and the fault budget. A successor
 * beyond a bound is not generated.
 *
 * The invariants are the simulator's (model/invariants.ts, via judge.ts); the `sometimes`
 * twins show the interesting states were reached.
 */
import { assert } from '../../../src/core/assert.ts';
import { controllerMachine, type ControllerContext } from '../../../src/machines/controller.ts';
import { producerMachine, type ProducerContext } from '../../../src/machines/producer.ts';
import { emptyPersisted, replicaMachine, type ReplicaContext } from '../../../src/machines/replica.ts';
import { start } from '../../../src/machines/step.ts';
import { DEFAULT_CONFIG, type ClusterConfig, type Variant } from '../../../src/protocol/config.ts';
import { CONTROLLER, brokerNode } from '../../../src/protocol/messages.ts';
import { type AbstractLog, EMPTY_LOG, recover } from '../abstract-log.ts';
import { type Action, type Host, type Limits, applyAction, clockJump, describeAction, describeMessage, enabledActions, registration } from '../actions.ts';
import type { ExploreModel, Violation } from '../bfs.ts';
import { REPLICATION_INVARIANTS, firstViolation, foldOwnView, invariantsNamed } from '../judge.ts';
import { NO_PUSHES, type QuietRule, type Reduction, deliverQuietPushes, isQuietPush } from '../reduction.ts';
import { worldFingerprint, worldKey } from '../state-key.ts';
import { type Budget, CONTROLLER_NODE, Draft, type Envelope, type Machines, NO_FAULTS, PRODUCER_NODE, type Snapshot, type World } from '../world.ts';

export const TOPIC = 'orders';
export const PARTITION = 0;

export interface ReplicationBounds {
  readonly replicas: number;
  readonly records: number;
  /** Largest leader epoch the controller may reach (epochs start at 0). */
  readonly leaderEpochs: number;
  readonly partitionEpochs: number;
  readonly retries: number;
  readonly minIsr: number;
  /** The producer's `enable.idempotence` (off: a retry may write a record twice). */
  readonly idempotence: boolean;
  readonly budget: Budget;
}

/** hachikuji/kafka-specification's TLC constants: Replicas = 3, MaxRecords = 2, MaxLeaderEpoch = 2. */
export const DEFAULT_REPLICATION_BOUNDS: ReplicationBounds = {
  replicas: 3,
  records: 2,
  leaderEpochs: 2,
  partitionEpochs: 6,
  retries: 1,
  minIsr: 1,
  idempotence: true,
  // Two session expirations let the controller reach leader epoch 2, as TLC's
  // MaxLeaderEpoch = 2 does; every other fault is off unless asked for.
  budget: { ...NO_FAULTS, expirations: 2 },
};

export const REPLICATION_VARIANTS: readonly (Variant | null)[] = [null, 'truncate-to-high-watermark', 'no-leader-epoch-fencing', 'no-isr-join-epoch-check'];

const MACHINES: Machines = { replica: replicaMachine, controller: controllerMachine, producer: producerMachine };

export function replicationConfig(bounds: ReplicationBounds, variant: Variant | null): ClusterConfig {
  return {
    ...DEFAULT_CONFIG,
    'replication.factor': bounds.replicas,
    'min.insync.replicas': bounds.minIsr,
    retries: bounds.retries,
    'enable.idempotence': bounds.idempotence,
    variant,
  };
}

function startReplica(config: ClusterConfig, b: number, incarnationId: number, draft: Draft): void {
  const recovered = recover(draft.disks[b] ?? EMPTY_LOG);
  const started = start(replicaMachine, { config, brokerId: b, incarnationId, topic: TOPIC, partition: PARTITION, recovered });
  draft.set('disks', b, { ...(draft.disks[b] ?? EMPTY_LOG), leaderEpochCheckpoint: recovered.leaderEpochCache });
  draft.adopt(brokerNode(b), started.snapshot as unknown as Snapshot, started.effects);
}

export function initialWorld(config: ClusterConfig, replicas: number): World {
  const ids = Array.from({ length: replicas }, (_, i) => i);
  const controller = start(controllerMachine, { config, partitions: [{ topic: TOPIC, partition: PARTITION, replicas: ids }] });
  const producer = start(producerMachine, { config, clientId: PRODUCER_NODE, bootstrapBrokers: ids });
  const bare: World = {
    replicas: ids.map(() => null),
    controller: controller.snapshot as unknown as Snapshot,
    producer: producer.snapshot as unknown as Snapshot,
    disks: ids.map(() => EMPTY_LOG),
    incarnations: ids.map(() => 1),
    restarts: ids.map(() => 0),
    clocks: ids.map(() => 0),
    controllerClock: 0,
    producerClock: 0,
    network: [],
    timers: [],
    used: NO_FAULTS,
    ghost: { acked: [], ackConflicts: [], committed: [], leaderHighWatermarks: [], sent: 0 },
    depth: -1,
    events: [],
  };
  const draft = new Draft(bare, MACHINES);
  draft.perform(CONTROLLER_NODE, controller.effects);
  draft.perform(PRODUCER_NODE, producer.effects);
  for (const b of ids) startReplica(config, b, 1, draft);
  // Every broker registers at start (broker.ts's first BrokerRegistration), in id order.
  for (const b of ids) draft.deliver(CONTROLLER, { ...registration(b, 1), nowMs: 0 });
  settle(draft);
  draft.ghost = foldOwnView(draft);
  return draft.freeze();
}

/**
 * Boot to a settled cluster before exploring: deliver every message in send order until
 * none is in flight (the leader is elected and known, the followers have fetched once
 * and wait on their fetch timers, the producer has its id). The orders in which a cluster
 * can boot are not what the explorer is for; TLA+ specs start from such an Init too.
 */
function settle(draft: Draft): void {
  for (let i = 0; i < 1000 && draft.network.length > 0; i++) {
    const e = draft.network.shift();
    if (e !== undefined) draft.deliver(e.to, { ...e.message, nowMs: draft.nowAt(e.to) });
  }
  assert(draft.network.length === 0, 'the boot settles');
}

/** The replica machine's log and checkpoints equal its abstract log (refinement). */
function checkRefinement(world: World): void {
  world.replicas.forEach((snapshot, b) => {
    if (snapshot === null) return;
    const c = snapshot.context as ReplicaContext;
    const disk = world.disks[b];
    // Both are immutable: a pair checked once stays checked.
    if (disk !== undefined && refined.get(c) === disk) return;
    assert(disk !== undefined && c.persisted.log.length === disk.batches.length && c.persisted.log.every((x, i) => x === disk.batches[i]), `broker-${b}: the replica's log and its abstract log differ`);
    assert(c.persisted.highWatermarkCheckpoint === disk.highWatermarkCheckpoint, `broker-${b}: HW checkpoint differs`);
    assert(
      c.persisted.leaderEpochCache === disk.leaderEpochCheckpoint || JSON.stringify(c.persisted.leaderEpochCache) === JSON.stringify(disk.leaderEpochCheckpoint),
      `broker-${b}: leader-epoch checkpoint differs`,
    );
    refined.set(c, disk);
  });
}

const refined = new WeakMap<object, AbstractLog>();

function partitionOf(world: Pick<World, 'controller'>): ControllerContext['partitions'][number] {
  const p = (world.controller.context as ControllerContext).partitions[0];
  assert(p !== undefined, 'the controller knows the partition');
  return p;
}

/** Sometimes-events a step shows by comparing the world before and the draft after. */
function addDerivedEvents(before: World, after: Draft): void {
  const p = partitionOf(before);
  const q = partitionOf(after);
  if (q.leader !== p.leader && p.leader !== -1 && before.ghost.acked.length > 0) after.events.push('leader-changed-after-ack');
  if (q.isr.length < p.isr.length) after.events.push('isr-shrank');
  const producer = after.producer.context as ProducerContext;
  if (producer.partitions.some((x) => x.batches.some((b) => b.attempts > 1))) after.events.push('producer-retried');
}

export interface ReplicationModel extends ExploreModel<World, Action> {
  readonly config: ClusterConfig;
  readonly bounds: ReplicationBounds;
  readonly reduction: Reduction | 'custom';
  /** `world` after the reduction's eager steps (itself without a reduction): the form the reduced search keeps. */
  normalForm(world: World): World;
}

export function replicationModel(
  bounds: ReplicationBounds,
  variant: Variant | null,
  invariants: readonly string[] = REPLICATION_INVARIANTS,
  reduction: Reduction | QuietRule = 'none',
): ReplicationModel {
  const config = replicationConfig(bounds, variant);
  const judged = invariantsNamed(invariants);
  const limits: Limits = { records: bounds.records, budget: bounds.budget };
  const quiet: QuietRule | undefined = typeof reduction === 'function' ? reduction : reduction === 'quiet-pushes' ? isQuietPush : undefined;
  const sends = new Map<string, { readonly type: string }>();
  const host: Host = {
    jump: clockJump(config as unknown as Record<string, unknown>),
    sendEvent: (value) => {
      const known = sends.get(value);
      if (known !== undefined) return known;
      const event = { type: 'Send', process: 0, topic: TOPIC, partition: PARTITION, value };
      sends.set(value, event);
      return event;
    },
    restart: (draft, b) => {
      const restarts = (draft.restarts[b] as number) + 1;
      draft.set('restarts', b, restarts);
      draft.set('incarnations', b, restarts + 1);
      startReplica(config, b, restarts + 1, draft);
      draft.send(brokerNode(b), CONTROLLER_NODE, registration(b, restarts + 1));
    },
  };
  /** The action's effects, then the reduction's eager steps (returns the pushes they delivered). */
  const advance = (draft: Draft, action: Action): readonly Envelope[] => {
    applyAction(draft, action, host);
    return quiet === undefined ? NO_PUSHES : deliverQuietPushes(draft, limits, quiet);
  };
  return {
    config,
    bounds,
    reduction: typeof reduction === 'function' ? 'custom' : reduction,
    initial: initialWorld(config, bounds.replicas),
    actions: (world) => enabledActions(world, limits),
    next(world, action) {
      const draft = new Draft(world, MACHINES);
      advance(draft, action);
      const p = partitionOf(draft);
      if (p.leaderEpoch > bounds.leaderEpochs || p.partitionEpoch > bounds.partitionEpochs) return null;
      draft.ghost = foldOwnView(draft);
      addDerivedEvents(world, draft);
      const after = draft.freeze();
      checkRefinement(after);
      return after;
    },
    key: (world) => worldKey(world, bounds.replicas),
    fingerprint: (world) => worldFingerprint(world, bounds.replicas),
    check: (world) => firstViolation(world, judged),
    reached: (world): Violation[] => world.events.map((name) => ({ invariant: name, witness: `reached at depth ${world.depth}` })),
    describe(action, world) {
      const text = describeAction(action, world);
      const delivered = quiet === undefined ? NO_PUSHES : advance(new Draft(world, MACHINES), action);
      return delivered.length === 0 ? text : `${text}; then quietly ${delivered.map((e) => describeMessage(e)).join('; ')}`;
    },
    normalForm(world) {
      if (quiet === undefined) return world;
      const draft = new Draft(world, MACHINES);
      if (deliverQuietPushes(draft, limits, quiet).length === 0) return world;
      draft.ghost = foldOwnView(draft);
      return { ...draft.freeze(), depth: world.depth };
    },
  };
}

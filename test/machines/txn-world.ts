/**
 * A tiny in-test router for the transaction machines: a transaction coordinator on
 * broker 0 writing to a real replica machine of `__transaction_state-0` (RF 1); data
 * partitions as real replica machines (RF 1) on broker 1, so produce verification (KIP-890),
 * markers and read_committed run through the replica's own handlers; and optionally a group
 * coordinator on broker 0 over its replica of `__consumer_offsets-0`, told of markers there
 * by `TxnMarkerWritten` as the host contract says. Clients are the test itself (any node
 * name: responses land in `inbox`) or hosted client machines (`clients`). Delivery is FIFO;
 * the test can hold messages back (a delayed network), drop them, and fire timers by
 * advancing the clock. `txn-coordinator-of:<id>` resolves to the one coordinator, and any
 * broker answers Metadata (the brokers' metadata cache).
 */
import type { AnyStateMachine } from 'xstate';
import type { ClusterConfig } from '../../src/protocol/config.ts';
import type { LogBatch } from '../../src/protocol/log.ts';
import type { ProtocolMessage } from '../../src/protocol/messages.ts';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../src/protocol/txn-messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { emptyPersisted, replicaMachine, type ReplicaContext } from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';
import { lastStableOffset, markerOf, txnStateFromLog } from '../../src/machines/txn-partition.ts';
import { txnCoordinatorMachine, type TxnCoordinatorContext } from '../../src/machines/txn-coordinator.ts';
import { groupCoordinatorMachine, type GroupCoordinatorContext } from '../../src/machines/group-coordinator.ts';

export interface Envelope {
  readonly to: string;
  readonly message: ProtocolMessage;
}

interface Slot {
  readonly name: string;
  readonly machine: AnyStateMachine;
  snapshot: any;
}

interface Timer {
  readonly slot: string;
  readonly id: string;
  readonly dueMs: number;
  readonly event: { readonly type: string };
}

/** A message without its sender (the router stamps it). */
export type Outgoing = ProtocolMessage extends infer M ? (M extends ProtocolMessage ? Omit<M, 'from'> : never) : never;

export const COORDINATOR_BROKER = 0;
export const DATA_BROKER = 1;

/** A read-only view of a partition hosted by a real replica machine (RF 1, so HW = LEO). */
export class PartitionView {
  constructor(
    private readonly world: TxnWorld,
    readonly topic: string,
    readonly partition: number,
    readonly brokerId: number,
  ) {}

  get slotName(): string {
    return `replica:${this.topic}-${this.partition}`;
  }

  private get context(): ReplicaContext {
    return this.world.slot(this.slotName).snapshot.context as ReplicaContext;
  }

  get log(): readonly LogBatch[] {
    return this.context.persisted.log;
  }

  get logEndOffset(): number {
    const last = this.log.at(-1);
    return last === undefined ? 0 : last.lastOffset + 1;
  }

  get lastStableOffset(): number {
    return lastStableOffset(txnStateFromLog(this.log), this.context.volatile.highWatermark);
  }

  values(): string[] {
    return this.log.filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value));
  }

  markers(): string[] {
    return this.log.flatMap((b) => {
      const m = markerOf(b);
      return m === null ? [] : [`${m.type}:${b.producerId}/${b.producerEpoch}@${m.coordinatorEpoch}`];
    });
  }
}

export class TxnWorld {
  nowMs = 0;
  queue: Envelope[] = [];
  held: Envelope[] = [];
  /** Messages delivered to nodes the router does not host (the test's clients). */
  inbox: Envelope[] = [];
  timers: Timer[] = [];
  slots: Slot[] = [];
  partitions: PartitionView[] = [];
  /** Messages matching this are held back instead of delivered. */
  holdIf: ((e: Envelope) => boolean) | null = null;
  /** Machines hosted for clients: node -> slot name. */
  clients = new Map<string, string>();
  history: unknown[] = [];

  constructor(
    readonly config: ClusterConfig,
    topics: readonly { topic: string; partition: number }[] = [{ topic: 't', partition: 0 }],
    groups = false,
  ) {
    this.bootReplica(TRANSACTION_STATE_TOPIC, 0, COORDINATOR_BROKER);
    this.boot('txn-coordinator', txnCoordinatorMachine, {
      config,
      brokerId: COORDINATOR_BROKER,
      txnLogPartition: 0,
      txnLogPartitions: 1,
      offsetsTopicPartitions: 1,
      bootstrapBrokers: [DATA_BROKER],
    });
    for (const p of topics) {
      this.bootReplica(p.topic, p.partition, DATA_BROKER);
      this.partitions.push(new PartitionView(this, p.topic, p.partition, DATA_BROKER));
    }
    if (groups) this.bootGroups();
  }

  /** A group coordinator on broker 0 over its replica of `__consumer_offsets-0`. */
  bootGroups(): void {
    this.bootReplica(CONSUMER_OFFSETS_TOPIC, 0, COORDINATOR_BROKER);
    this.partitions.push(new PartitionView(this, CONSUMER_OFFSETS_TOPIC, 0, COORDINATOR_BROKER));
    this.boot('group-coordinator', groupCoordinatorMachine, { config: this.config, brokerId: COORDINATOR_BROKER, offsetsPartition: 0, offsetsTopicPartitions: 1 });
  }

  electGroups(coordinatorEpoch: number): void {
    this.dispatch('group-coordinator', { type: 'GroupCoordinatorElected', coordinatorEpoch, log: [...this.partition(CONSUMER_OFFSETS_TOPIC, 0).log] });
  }

  /** A leader replica (RF 1) of topic-partition on `brokerId`. */
  bootReplica(topic: string, partition: number, brokerId: number, recovered = emptyPersisted()): void {
    const name = `replica:${topic}-${partition}`;
    this.replicaBroker.set(name, brokerId);
    this.boot(name, replicaMachine, { config: this.config, brokerId, incarnationId: 1, topic, partition, recovered });
    this.dispatch(name, {
      type: 'LeaderAndIsr', from: 'controller', incarnationId: 1, topic, partition, leader: brokerId,
      leaderEpoch: 0, isr: [brokerId], elr: [], partitionEpoch: 0, replicas: [brokerId],
    });
  }

  /** Which broker hosts each replica slot. */
  replicaBroker = new Map<string, number>();

  boot(name: string, machine: AnyStateMachine, input: unknown): void {
    const slot: Slot = { name, machine, snapshot: null };
    this.slots = [...this.slots.filter((s) => s.name !== name), slot];
    const result = start(machine, input as never);
    slot.snapshot = result.snapshot;
    this.perform(slot, result.effects);
  }

  slot(name: string): Slot {
    const s = this.slots.find((x) => x.name === name);
    if (s === undefined) throw new Error(`no slot ${name}`);
    return s;
  }

  coordinator(): TxnCoordinatorContext {
    return this.slot('txn-coordinator').snapshot.context as TxnCoordinatorContext;
  }

  groupCoordinator(): GroupCoordinatorContext {
    return this.slot('group-coordinator').snapshot.context as GroupCoordinatorContext;
  }

  txnLog(): LogBatch[] {
    return [...(this.slot(`replica:${TRANSACTION_STATE_TOPIC}-0`).snapshot.context as ReplicaContext).persisted.log];
  }

  partition(topic = 't', partition = 0): PartitionView {
    const p = this.partitions.find((x) => x.topic === topic && x.partition === partition);
    if (p === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return p;
  }

  /** Make broker 0 the coordinator in `coordinatorEpoch`, loading the current txn log. */
  elect(coordinatorEpoch: number, slot = 'txn-coordinator'): void {
    this.dispatch(slot, { type: 'TxnCoordinatorElected', coordinatorEpoch, log: this.txnLog() });
  }

  dispatch(name: string, event: Record<string, unknown> & { type: string }): void {
    const slot = this.slot(name);
    const result = step(slot.machine, slot.snapshot, { ...event, nowMs: this.nowMs } as never);
    slot.snapshot = result.snapshot;
    this.perform(slot, result.effects);
  }

  send(from: string, to: string, message: Outgoing): void {
    this.queue.push({ to, message: { ...message, from } as ProtocolMessage });
  }

  /** Deliver until nothing is left (held messages stay held). */
  run(limit = 10000): void {
    for (let i = 0; i < limit; i++) {
      const next = this.queue.shift();
      if (next === undefined) return;
      if (this.holdIf?.(next)) {
        this.held.push(next);
        continue;
      }
      this.deliver(next);
    }
    throw new Error('router did not quiesce');
  }

  /** Release held messages matching `pick` (all by default) and run. */
  release(pick: (e: Envelope) => boolean = () => true): void {
    const released = this.held.filter(pick);
    this.held = this.held.filter((e) => !pick(e));
    const hold = this.holdIf;
    this.holdIf = null;
    for (const e of released) this.deliver(e);
    this.run();
    this.holdIf = hold;
  }

  drop(pick: (e: Envelope) => boolean): number {
    const before = this.held.length;
    this.held = this.held.filter((e) => !pick(e));
    return before - this.held.length;
  }

  /** Advance the clock by `ms`, firing due timers in order (and delivering their messages). */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.dueMs <= until).sort((a, b) => a.dueMs - b.dueMs)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.dueMs);
      if (this.slots.some((s) => s.name === due.slot)) this.dispatch(due.slot, due.event as never);
      this.run();
    }
    this.nowMs = until;
  }

  /** Responses the clients got, of a type (removed from the inbox). */
  take<T extends ProtocolMessage['type']>(type: T, to?: string): Extract<ProtocolMessage, { type: T }>[] {
    const taken = this.inbox.filter((e) => e.message.type === type && (to === undefined || e.to === to));
    this.inbox = this.inbox.filter((e) => !taken.includes(e));
    return taken.map((e) => e.message as Extract<ProtocolMessage, { type: T }>);
  }

  private deliver(e: Envelope): void {
    const m = e.message;
    if (m.type === 'FindCoordinator' && e.to !== `broker-${COORDINATOR_BROKER}` && this.clients.get(e.to) === undefined) {
      // Broker 1 hosts no coordinator: as an inactive coordinator, it answers NOT_COORDINATOR.
      this.queue.push({ to: m.from, message: { type: 'FindCoordinatorResponse', from: e.to, correlationId: m.correlationId, errorCode: 'NOT_COORDINATOR', key: m.key, keyType: m.keyType, nodeId: -1 } });
      return;
    }
    const slotName = this.route(e);
    if (slotName === null) {
      this.inbox.push(e);
      return;
    }
    if (!this.slots.some((s) => s.name === slotName)) return; // crashed, or not hosted
    this.dispatch(slotName, e.message as never);
  }

  /** Which machine handles the message (what a host must know). */
  route(e: Envelope): string | null {
    const m = e.message;
    const client = this.clients.get(e.to);
    if (client !== undefined) return client;
    if (e.to.startsWith('txn-coordinator-of:')) return 'txn-coordinator'; // one coordinator here
    const broker = /^broker-(\d+)$/.exec(e.to);
    if (broker === null) return null;
    const brokerId = Number(broker[1]);
    const tp = 'topic' in m ? { topic: m.topic, partition: m.partition } : m.type === 'AddPartitionsToTxnResponse' ? m.results[0] ?? null : null;
    const replica = tp === null ? null : `replica:${tp.topic}-${tp.partition}`;
    const hosted = replica !== null && this.replicaBroker.get(replica) === brokerId;
    // Any broker answers Metadata (its metadata cache): hand it to the partition's leader.
    if (m.type === 'Metadata') return replica;
    if (m.type === 'ProduceResponse' && tp?.topic === TRANSACTION_STATE_TOPIC) return 'txn-coordinator';
    if (m.type === 'ProduceResponse' && tp?.topic === CONSUMER_OFFSETS_TOPIC) return 'group-coordinator';
    if (['Produce', 'Fetch', 'WriteTxnMarkers', 'AddPartitionsToTxnResponse'].includes(m.type)) return hosted ? replica : null;
    const group = ['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'TxnOffsetCommit'];
    if (brokerId !== COORDINATOR_BROKER) return null;
    if (group.includes(m.type) || (m.type === 'FindCoordinator' && m.keyType === 0)) return 'group-coordinator';
    return 'txn-coordinator';
  }

  private perform(slot: Slot, effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.queue.push({ to: effect.to, message: effect.message });
          break;
        case 'setTimer':
          this.timers = this.timers.filter((t) => !(t.slot === slot.name && t.id === effect.id));
          this.timers.push({ slot: slot.name, id: effect.id, dueMs: this.nowMs + effect.delayMs, event: effect.event });
          break;
        case 'cancelTimer':
          this.timers = this.timers.filter((t) => !(t.slot === slot.name && t.id === effect.id));
          break;
        case 'client':
          this.history.push(effect.event);
          break;
        case 'storage': {
          // The replica's persisted log is the disk here. A marker appended to
          // __consumer_offsets completes the group coordinator's pending offsets.
          const c = effect.command;
          const marker = c.type === 'append' && c.topicPartition.topic === CONSUMER_OFFSETS_TOPIC ? markerOf(c.batch) : null;
          if (marker !== null && c.type === 'append' && this.slots.some((x) => x.name === 'group-coordinator')) {
            this.dispatch('group-coordinator', { type: 'TxnMarkerWritten', producerId: c.batch.producerId, committed: marker.type === 'COMMIT' });
          }
          break;
        }
      }
    }
  }
}

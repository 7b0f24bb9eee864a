/**
 * A tiny in-test world for the machine tests: it wires a controller, brokers (a broker
 * lifecycle machine + one replica machine per partition) and one producer by hand. The
 * network is a FIFO queue the test drives message by message (deliver, drop); timers fire
 * when the test advances the clock. Storage commands are applied to an abstract disk per
 * replica and compared with the replica's own `persisted.log` after every step, so a
 * machine that forgets to emit a storage command fails here. No faults beyond what a test
 * does explicitly. (The real host with faults is src/sim.)
 */
import { expect } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import type { ClusterConfig } from '../../src/protocol/config.ts';
import type { ClientEvent } from '../../src/protocol/client.ts';
import type { LogBatch } from '../../src/protocol/log.ts';
import { type BrokerId, type NodeId, type ProtocolMessage, CONTROLLER, brokerNode } from '../../src/protocol/messages.ts';
import type { LeaderEpochEntry } from '../../src/protocol/storage.ts';
import { brokerMachine } from '../../src/machines/broker.ts';
import { controllerMachine } from '../../src/machines/controller.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { producerMachine } from '../../src/machines/producer.ts';
import { producerStatesFromLog } from '../../src/machines/producer-state.ts';
import { type ReplicaContext, replicaMachine } from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';

export interface Envelope {
  readonly to: NodeId;
  readonly message: ProtocolMessage;
}

interface Slot {
  readonly node: NodeId;
  readonly name: string; // 'controller' | 'broker' | 'replica:t-0' | 'producer'
  readonly machine: AnyStateMachine;
  snapshot: any;
}

interface Timer {
  readonly node: NodeId;
  readonly slot: string;
  readonly id: string;
  readonly dueMs: number;
  readonly event: { readonly type: string };
}

interface Disk {
  log: LogBatch[];
  highWatermarkCheckpoint: number;
  leaderEpochCheckpoint: readonly LeaderEpochEntry[];
}

export interface PartitionSpec {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly BrokerId[];
}

export const PRODUCER: NodeId = 'producer-0';

export class World {
  nowMs = 0;
  queue: Envelope[] = [];
  timers: Timer[] = [];
  slots: Slot[] = [];
  disks = new Map<string, Disk>();
  history: ClientEvent[] = [];
  /** Every message ever sent, in order (for assertions on what was said). */
  sent: Envelope[] = [];
  /** Observers called with each effect and the slot that emitted it. */
  onEffect: ((effect: Effect, slot: Slot) => void) | null = null;
  private incarnation = 0;

  constructor(
    readonly config: ClusterConfig,
    readonly brokerIds: readonly BrokerId[],
    readonly partitions: readonly PartitionSpec[],
  ) {
    this.boot(CONTROLLER, 'controller', controllerMachine, { config, partitions });
    for (const id of brokerIds) this.startBroker(id, -1);
    this.boot(PRODUCER, 'producer', producerMachine, { config, clientId: PRODUCER, bootstrapBrokers: brokerIds });
  }

  private boot(node: NodeId, name: string, machine: AnyStateMachine, input: unknown): void {
    const slot: Slot = { node, name, machine, snapshot: null };
    this.slots.push(slot);
    const result = start(machine, input as never);
    slot.snapshot = result.snapshot;
    this.perform(slot, result.effects);
  }

  startBroker(brokerId: BrokerId, previousBrokerEpoch: number): void {
    const incarnationId = ++this.incarnation;
    const node = brokerNode(brokerId);
    this.boot(node, 'broker', brokerMachine, { config: this.config, brokerId, incarnationId, previousBrokerEpoch });
    for (const p of this.partitions.filter((q) => q.replicas.includes(brokerId))) {
      const disk = this.disk(brokerId, p.topic, p.partition);
      const recovered = {
        log: disk.log,
        leaderEpochCache: disk.leaderEpochCheckpoint,
        highWatermarkCheckpoint: disk.highWatermarkCheckpoint,
        producers: producerStatesFromLog(disk.log),
      };
      const input = { config: this.config, brokerId, incarnationId, topic: p.topic, partition: p.partition, recovered };
      this.boot(node, `replica:${p.topic}-${p.partition}`, replicaMachine, input);
    }
  }

  /** A process crash: the page cache survives, volatile state and in-flight messages do not. */
  crash(brokerId: BrokerId): void {
    const node = brokerNode(brokerId);
    this.slots = this.slots.filter((s) => s.node !== node);
    this.timers = this.timers.filter((t) => t.node !== node);
    this.queue = this.queue.filter((e) => e.to !== node && e.message.from !== node);
  }

  disk(brokerId: BrokerId, topic: string, partition: number): Disk {
    const key = `${brokerId}/${topic}-${partition}`;
    let disk = this.disks.get(key);
    if (disk === undefined) {
      disk = { log: [], highWatermarkCheckpoint: 0, leaderEpochCheckpoint: [] };
      this.disks.set(key, disk);
    }
    return disk;
  }

  replica(brokerId: BrokerId, topic = 't', partition = 0): ReplicaContext {
    const slot = this.slots.find((s) => s.node === brokerNode(brokerId) && s.name === `replica:${topic}-${partition}`);
    if (slot === undefined) throw new Error(`no replica ${brokerId} ${topic}-${partition}`);
    return slot.snapshot.context as ReplicaContext;
  }

  replicaState(brokerId: BrokerId, topic = 't', partition = 0): unknown {
    const slot = this.slots.find((s) => s.node === brokerNode(brokerId) && s.name === `replica:${topic}-${partition}`);
    return slot?.snapshot.value;
  }

  controller(): any {
    return this.slots.find((s) => s.name === 'controller')?.snapshot.context;
  }

  /** The application sends `value` to t-0 as history process `process`. */
  send(process: number, value: string, topic = 't', partition = 0): void {
    this.dispatch(PRODUCER, 'producer', { type: 'Send', nowMs: this.nowMs, process, topic, partition, value });
  }

  private slotFor(to: NodeId, message: ProtocolMessage): Slot | undefined {
    const onNode = this.slots.filter((s) => s.node === to);
    if ('topic' in message) return onNode.find((s) => s.name === `replica:${message.topic}-${message.partition}`) ?? onNode[0];
    if (message.type === 'BrokerRegistrationResponse' || message.type === 'BrokerHeartbeatResponse') {
      return onNode.find((s) => s.name === 'broker');
    }
    return onNode[0];
  }

  private dispatch(node: NodeId, name: string, event: { readonly type: string; readonly nowMs: number; readonly [field: string]: unknown }): void {
    const slot = this.slots.find((s) => s.node === node && s.name === name);
    if (slot === undefined) return;
    const result = step(slot.machine, slot.snapshot, event as never);
    slot.snapshot = result.snapshot;
    this.perform(slot, result.effects);
  }

  private perform(slot: Slot, effects: readonly Effect[]): void {
    for (const effect of effects) {
      this.onEffect?.(effect, slot);
      switch (effect.type) {
        case 'send':
          this.queue.push({ to: effect.to, message: effect.message });
          this.sent.push({ to: effect.to, message: effect.message });
          break;
        case 'client':
          this.history.push(effect.event);
          break;
        case 'setTimer':
          this.timers = this.timers.filter((t) => !(t.node === slot.node && t.slot === slot.name && t.id === effect.id));
          this.timers.push({ node: slot.node, slot: slot.name, id: effect.id, dueMs: this.nowMs + effect.delayMs, event: effect.event });
          break;
        case 'cancelTimer':
          this.timers = this.timers.filter((t) => !(t.node === slot.node && t.slot === slot.name && t.id === effect.id));
          break;
        case 'storage':
          this.applyStorage(slot, effect.command);
          break;
      }
    }
    if (slot.name.startsWith('replica:')) this.checkRefinement(slot);
  }

  private applyStorage(slot: Slot, command: Extract<Effect, { type: 'storage' }>['command']): void {
    const brokerId = Number(slot.node.slice('broker-'.length));
    const disk = this.disk(brokerId, command.topicPartition.topic, command.topicPartition.partition);
    if (command.type === 'append') disk.log.push(command.batch);
    else if (command.type === 'truncate') disk.log = disk.log.filter((b) => b.lastOffset < command.offset);
    else if (command.type === 'checkpoint' && command.checkpoint === 'replication-offset-checkpoint') {
      disk.highWatermarkCheckpoint = command.highWatermark;
    } else if (command.type === 'checkpoint' && command.checkpoint === 'leader-epoch-checkpoint') {
      disk.leaderEpochCheckpoint = command.entries;
    }
  }

  /** The storage commands carried out so far leave the disk equal to the machine's log. */
  private checkRefinement(slot: Slot): void {
    const context = slot.snapshot.context as ReplicaContext;
    const disk = this.disk(context.brokerId, context.topic, context.partition);
    expect(disk.log).toEqual(context.persisted.log);
    expect(disk.leaderEpochCheckpoint).toEqual(context.persisted.leaderEpochCache);
  }

  /** Deliver the first queued message matching `pred`; false if none. */
  deliver(pred: (e: Envelope) => boolean = () => true): boolean {
    const index = this.queue.findIndex(pred);
    if (index < 0) return false;
    const [envelope] = this.queue.splice(index, 1);
    if (envelope === undefined) return false;
    const slot = this.slotFor(envelope.to, envelope.message);
    if (slot === undefined) return true; // the node is down: lost
    this.dispatch(slot.node, slot.name, { ...envelope.message, nowMs: this.nowMs });
    return true;
  }

  /** Deliver the queued message at `index` (modulo the queue length), if any. */
  deliverAt(index: number): void {
    if (this.queue.length === 0) return;
    const target = this.queue[index % this.queue.length];
    this.deliver((e) => e === target);
  }

  /** Duplicate / drop the queued message at `index` (modulo the queue length). */
  duplicateAt(index: number): void {
    const target = this.queue[index % Math.max(1, this.queue.length)];
    if (target !== undefined) this.queue.push(target);
  }

  dropAt(index: number): void {
    if (this.queue.length > 0) this.queue.splice(index % this.queue.length, 1);
  }

  /** Fire the earliest timer (advancing the clock to it). */
  fireNextTimer(): void {
    const due = [...this.timers].sort((a, b) => a.dueMs - b.dueMs)[0];
    if (due === undefined) return;
    this.timers = this.timers.filter((t) => t !== due);
    this.nowMs = Math.max(this.nowMs, due.dueMs);
    this.dispatch(due.node, due.slot, { ...due.event, nowMs: this.nowMs });
  }

  /** Drop every queued message matching `pred`. */
  drop(pred: (e: Envelope) => boolean): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((e) => !pred(e));
    return before - this.queue.length;
  }

  /** Deliver until the queue is empty (messages matching `hold` are dropped instead). */
  deliverAll(hold: (e: Envelope) => boolean = () => false, limit = 10_000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const head = this.queue[0];
      if (head !== undefined && hold(head)) this.queue.shift();
      else this.deliver();
    }
    expect(this.queue.length).toBe(0);
  }

  /** Advance the clock by `ms`, firing due timers in order and delivering what they send. */
  advance(ms: number, hold: (e: Envelope) => boolean = () => false): void {
    const end = this.nowMs + ms;
    for (;;) {
      this.deliverAll(hold);
      const due = [...this.timers].sort((a, b) => a.dueMs - b.dueMs).find((t) => t.dueMs <= end);
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.dueMs);
      this.dispatch(due.node, due.slot, { ...due.event, nowMs: this.nowMs });
    }
    this.nowMs = end;
  }

  /**
   * Run message by message (dropping those matching `hold` when they reach the head of
   * the queue), firing the next timer whenever the queue is empty, until `done()` holds.
   * False if `maxMs` of logical time passed first.
   */
  runUntil(done: () => boolean, hold: (e: Envelope) => boolean = () => false, maxMs = 60_000): boolean {
    const end = this.nowMs + maxMs;
    for (let i = 0; i < 100_000; i++) {
      if (done()) return true;
      const head = this.queue[0];
      if (head !== undefined) {
        if (hold(head)) this.queue.shift();
        else this.deliver();
        continue;
      }
      const due = [...this.timers].sort((a, b) => a.dueMs - b.dueMs)[0];
      if (due === undefined || due.dueMs > end) return false;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.dueMs);
      this.dispatch(due.node, due.slot, { ...due.event, nowMs: this.nowMs });
    }
    return false;
  }

  leaderOf(topic = 't', partition = 0): BrokerId {
    const p = this.controller().partitions.find((q: PartitionSpec) => q.topic === topic && q.partition === partition);
    return p.leader;
  }
}

export const toBroker = (id: BrokerId) => (e: Envelope) => e.to === brokerNode(id);
export const fromBroker = (id: BrokerId) => (e: Envelope) => e.message.from === brokerNode(id);
export const ofType = (type: ProtocolMessage['type']) => (e: Envelope) => e.message.type === type;

/** The values in a replica's log, in offset order. */
export function values(context: ReplicaContext): string[] {
  return context.persisted.log.flatMap((b) => b.records.map((r) => r.value));
}

/**
 * A tiny in-test router for the transaction machines: a transaction coordinator on
 * broker 0 writing to a real replica machine of `__transaction_state-0` (RF 1), data
 * partitions on broker 1 hosted by `PartitionHost` (the partition side of transactions,
 * txn-partition.ts, over an in-memory log: produce with KIP-890 verification, markers,
 * read_committed fetch), and an optional group coordinator on broker 0 with its own
 * `__consumer_offsets-0` replica. The test is the client (node `client`, or any other name
 * it sends from): it sends requests, the router delivers FIFO, and it can hold messages
 * back (a delayed network) and fire timers by advancing the clock.
 */
import type { AnyStateMachine } from 'xstate';
import type { ClusterConfig } from '../../src/protocol/config.ts';
import { hasVariant } from '../../src/protocol/config.ts';
import { type LogBatch, placeBatch } from '../../src/protocol/log.ts';
import type { ProtocolMessage } from '../../src/protocol/messages.ts';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../src/protocol/txn-messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { emptyPersisted, replicaMachine, type ReplicaContext } from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';
import {
  abortedTransactions,
  checkMarker,
  checkTransactionalProduce,
  lastStableOffset,
  markerOf,
  txnStateFromLog,
} from '../../src/machines/txn-partition.ts';
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

/** One data partition's leader: the partition side of transactions over an in-memory log. */
export class PartitionHost {
  log: LogBatch[] = [];
  private pending = new Map<number, Extract<ProtocolMessage, { type: 'Produce' }>>();
  private static nextCorrelationId = 0;

  /** Called after a marker is appended (the host's `TxnMarkerWritten` for `__consumer_offsets`). */
  onMarker: ((producerId: number, committed: boolean) => void) | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly config: ClusterConfig,
    readonly brokerId = DATA_BROKER,
  ) {}

  get logEndOffset(): number {
    return this.log.length === 0 ? 0 : (this.log.at(-1) as LogBatch).lastOffset + 1;
  }

  /** RF 1: everything appended is committed. */
  get lastStableOffset(): number {
    return lastStableOffset(txnStateFromLog(this.log), this.logEndOffset);
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

  handle(message: ProtocolMessage): Envelope[] {
    switch (message.type) {
      case 'Produce':
        return this.produce(message, false);
      case 'AddPartitionsToTxnResponse':
        return this.verified(message);
      case 'WriteTxnMarkers': {
        const check = checkMarker(txnStateFromLog(this.log), message);
        if (check.kind === 'append') {
          this.append(check.batch);
          this.onMarker?.(message.producerId, message.transactionResult);
        }
        const errorCode = check.kind === 'append' ? 'NONE' : check.errorCode;
        return [{ to: message.from, message: { type: 'WriteTxnMarkersResponse', from: this.node, correlationId: message.correlationId, topic: this.topic, partition: this.partition, producerId: message.producerId, errorCode } }];
      }
      case 'Metadata':
        return [{ to: message.from, message: { type: 'MetadataResponse', from: this.node, correlationId: message.correlationId, topic: this.topic, partition: this.partition, errorCode: 'NONE', leaderId: this.brokerId, leaderEpoch: 0 } }];
      case 'Fetch': {
        const state = txnStateFromLog(this.log);
        const committed = message.isolationLevel === 'read_committed';
        const upper = committed ? this.lastStableOffset : this.logEndOffset;
        const records = this.log.filter((b) => b.lastOffset >= message.fetchOffset && b.baseOffset < upper);
        return [{ to: message.from, message: { type: 'FetchResponse', from: this.node, correlationId: message.correlationId, topic: this.topic, partition: this.partition, errorCode: 'NONE', currentLeaderEpoch: 0, highWatermark: this.logEndOffset, lastStableOffset: this.lastStableOffset, logStartOffset: 0, records, divergingEpoch: null, abortedTransactions: committed ? abortedTransactions(state, message.fetchOffset, upper) : [] } as ProtocolMessage }];
      }
      default:
        return [];
    }
  }

  private get node(): string {
    return `broker-${this.brokerId}`;
  }

  private produce(message: Extract<ProtocolMessage, { type: 'Produce' }>, verified: boolean): Envelope[] {
    const verification = !hasVariant(this.config, 'no-partition-verification');
    const check = checkTransactionalProduce(txnStateFromLog(this.log), message.records, { verification, verified });
    if (check.kind === 'reject') return [this.produceResponse(message, check.errorCode, -1)];
    if (check.kind === 'verify') {
      const correlationId = PartitionHost.nextCorrelationId++;
      this.pending.set(correlationId, message);
      const ask: ProtocolMessage = {
        type: 'AddPartitionsToTxn',
        from: this.node,
        correlationId,
        transactionalId: message.transactionalId ?? '',
        producerId: message.records.producerId,
        producerEpoch: message.records.producerEpoch,
        verifyOnly: true,
        partitions: [{ topic: this.topic, partition: this.partition }],
      };
      return [{ to: `broker-${COORDINATOR_BROKER}`, message: ask }];
    }
    const placed = this.append(message.records);
    return [this.produceResponse(message, 'NONE', placed.baseOffset)];
  }

  private verified(message: Extract<ProtocolMessage, { type: 'AddPartitionsToTxnResponse' }>): Envelope[] {
    const produce = this.pending.get(message.correlationId);
    if (produce === undefined) return [];
    this.pending.delete(message.correlationId);
    const errorCode = message.results[0]?.errorCode ?? message.errorCode;
    if (errorCode !== 'NONE') return [this.produceResponse(produce, errorCode === 'PRODUCER_FENCED' ? 'INVALID_PRODUCER_EPOCH' : 'INVALID_TXN_STATE', -1)];
    return this.produce(produce, true);
  }

  private append(batch: LogBatch): LogBatch {
    const placed = placeBatch(batch, this.logEndOffset, 0);
    this.log = [...this.log, placed];
    return placed;
  }

  private produceResponse(message: Extract<ProtocolMessage, { type: 'Produce' }>, errorCode: any, baseOffset: number): Envelope {
    return { to: message.from, message: { type: 'ProduceResponse', from: this.node, correlationId: message.correlationId, topic: this.topic, partition: this.partition, errorCode, baseOffset } };
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
  partitions: PartitionHost[] = [];
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
    this.bootReplica(TRANSACTION_STATE_TOPIC);
    this.boot('txn-coordinator', txnCoordinatorMachine, {
      config,
      brokerId: COORDINATOR_BROKER,
      txnLogPartition: 0,
      txnLogPartitions: 1,
      offsetsTopicPartitions: 1,
      bootstrapBrokers: [DATA_BROKER],
    });
    for (const p of topics) this.partitions.push(new PartitionHost(p.topic, p.partition, config));
    if (groups) this.bootGroups();
  }

  /** A group coordinator on broker 0 over `__consumer_offsets-0` (a PartitionHost). */
  bootGroups(): void {
    const offsets = new PartitionHost(CONSUMER_OFFSETS_TOPIC, 0, this.config, COORDINATOR_BROKER);
    offsets.onMarker = (producerId, committed) => {
      if (this.slots.some((s) => s.name === 'group-coordinator')) this.dispatch('group-coordinator', { type: 'TxnMarkerWritten', producerId, committed });
    };
    this.partitions.push(offsets);
    this.boot('group-coordinator', groupCoordinatorMachine, { config: this.config, brokerId: COORDINATOR_BROKER, offsetsPartition: 0, offsetsTopicPartitions: 1 });
  }

  electGroups(coordinatorEpoch: number): void {
    this.dispatch('group-coordinator', { type: 'GroupCoordinatorElected', coordinatorEpoch, log: this.partition(CONSUMER_OFFSETS_TOPIC, 0).log });
  }

  bootReplica(topic: string, recovered = emptyPersisted()): void {
    this.slots = this.slots.filter((s) => s.name !== `replica:${topic}`);
    this.boot(`replica:${topic}`, replicaMachine, { config: this.config, brokerId: COORDINATOR_BROKER, incarnationId: 1, topic, partition: 0, recovered });
    this.dispatch(`replica:${topic}`, {
      type: 'LeaderAndIsr', from: 'controller', incarnationId: 1, topic, partition: 0, leader: COORDINATOR_BROKER,
      leaderEpoch: 0, isr: [COORDINATOR_BROKER], elr: [], partitionEpoch: 0, replicas: [COORDINATOR_BROKER],
    });
  }

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
    return [...(this.slot(`replica:${TRANSACTION_STATE_TOPIC}`).snapshot.context as ReplicaContext).persisted.log];
  }

  partition(topic = 't', partition = 0): PartitionHost {
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
    if (slotName === 'partition') {
      const m = e.message as { topic?: string; partition?: number };
      // A verification answer has no partition: the host that asked recognises it.
      const hosts = m.topic === undefined ? this.partitions : this.partitions.filter((p) => p.topic === m.topic && p.partition === m.partition);
      for (const host of hosts) for (const out of host.handle(e.message)) this.queue.push(out);
      return;
    }
    if (slotName === null) {
      this.inbox.push(e);
      return;
    }
    if (!this.slots.some((s) => s.name === slotName)) return; // crashed
    this.dispatch(slotName, e.message as never);
  }

  /** Which machine on the receiving node handles the message (what a host must know). */
  route(e: Envelope): string | 'partition' | null {
    const m = e.message;
    const client = this.clients.get(e.to);
    if (client !== undefined) return client;
    if (e.to === `broker-${DATA_BROKER}`) return 'partition';
    const hostsPartitions = ['Produce', 'WriteTxnMarkers', 'Fetch', 'Metadata'];
    if (e.to !== `broker-${COORDINATOR_BROKER}`) return null;
    const topic = 'topic' in m ? m.topic : null;
    if (topic === TRANSACTION_STATE_TOPIC) {
      return m.type === 'ProduceResponse' ? 'txn-coordinator' : `replica:${TRANSACTION_STATE_TOPIC}`;
    }
    if (topic !== null && hostsPartitions.includes(m.type) && this.partitions.some((p) => p.topic === topic)) return 'partition';
    const group = ['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'TxnOffsetCommit'];
    if (group.includes(m.type) || (m.type === 'ProduceResponse' && topic === CONSUMER_OFFSETS_TOPIC)) return 'group-coordinator';
    if (m.type === 'FindCoordinator' && m.keyType === 0) return 'group-coordinator';
    if (m.type === 'AddPartitionsToTxnResponse') return 'partition';
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
        case 'storage':
          break; // the replica's own persisted log is the disk here
      }
    }
  }
}

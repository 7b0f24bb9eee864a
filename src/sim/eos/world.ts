/**
 * The exactly-once world: three brokers, each a replica of every partition of the topology
 * (topology.ts) on its own segment files, its lifecycle machine, a transaction coordinator
 * and a group coordinator; the controller; and the clients: an idempotent producer writing
 * the input, the workers (consumer + transactional producer pairs, app.ts) and a
 * downstream `verifier` consumer reading the output with the row's `isolation.level`.
 *
 * Same hosting contract as the replication world (src/sim/world.ts), with its Network,
 * TimerQueue, BrokerStorage and HistoryRecorder, generalised to several machines per broker.
 * What the host adds, as spec/transactions.md and spec/groups.md ask:
 * - routing: a message to `broker-N` goes to the lifecycle machine, the group coordinator
 *   (group requests, FindCoordinator of a group, ProduceResponse of `__consumer_offsets`),
 *   the transaction coordinator (transaction requests, FindCoordinator of a transactional
 *   id, ProduceResponse of `__transaction_state`, MetadataResponse, WriteTxnMarkersResponse)
 *   or the replica of the message's topic-partition (AddPartitionsToTxnResponse by its
 *   `results[0]`); `txn-coordinator-of:<id>` goes to the broker leading
 *   `__transaction_state-0` as the controller last decided (a broker's metadata cache);
 * - elections: after every step, a broker whose replica of `__transaction_state-0`
 *   (`__consumer_offsets-0`) leads in epoch E and whose coordinator was not told gets
 *   `TxnCoordinatorElected` (`GroupCoordinatorElected`) with epoch E and the replica's log;
 *   one that stopped leading gets `...Resigned`;
 * - markers: a control batch appended to a broker's `__consumer_offsets-0` replica is told
 *   to that broker's group coordinator as `TxnMarkerWritten`.
 * A paused client (a zombie: a long GC pause, SIGSTOP) neither receives nor fires anything
 * until resumed; what reached it meanwhile is delivered, in order, when it resumes.
 */
import { assert, unreachable } from '../../core/assert.ts';
import { Prng, type Chooser } from '../../core/prng.ts';
import type { Effect } from '../../machines/effects.ts';
import { start } from '../../machines/step.ts';
import { replicaMachine, type ReplicaContext } from '../../machines/replica.ts';
import { controllerMachine, type ControllerContext } from '../../machines/controller.ts';
import { producerMachine } from '../../machines/producer.ts';
import { txnCoordinatorMachine } from '../../machines/txn-coordinator.ts';
import { groupCoordinatorMachine } from '../../machines/group-coordinator.ts';
import { markerOf } from '../../machines/txn-partition.ts';
import type { ClientEvent } from '../../protocol/client.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import type { LogBatch } from '../../protocol/log.ts';
import { CONTROLLER, type ProtocolMessage } from '../../protocol/messages.ts';
import { COORDINATOR_GROUP } from '../../protocol/txn-messages.ts';
import { BrokerStorage } from '../broker-storage.ts';
import { HistoryRecorder } from '../history.ts';
import { machineRoles, SIM_SEGMENT_BYTES } from '../machine-roles.ts';
import { type Envelope, Network } from '../network.ts';
import { Hosted, brokerName } from '../roles.ts';
import { TimerQueue } from '../timers.ts';
import { takeNextEvent } from '../next-event.ts';
import { DELAY_MS, DUPLICATE_LATER_MS, LATENCY_MIN_MS, LATENCY_SPREAD_MS } from '../world.ts';
import { BROKERS, INPUT_PRODUCER, OFFSETS_LOG, PARTITIONS, TXN_LOG, type TopicPartition, tpName } from './topology.ts';

/** Which machine of a broker: a replica (by partition name), the lifecycle or a coordinator. */
export type BrokerSlot = string;
export const LIFECYCLE = 'lifecycle';
export const TXN_COORDINATOR = 'txn-coordinator';
export const GROUP_COORDINATOR = 'group-coordinator';

/** An event as machines take it (every one carries `nowMs` when delivered). */
export type AnyEvent = { readonly type: string; readonly [key: string]: unknown };

export interface TimerPayload {
  readonly node: string;
  readonly slot: string;
  readonly event: AnyEvent;
}

export interface BrokerHost {
  readonly id: number;
  /** By partition name. */
  readonly storages: ReadonlyMap<string, BrokerStorage>;
  /** By slot, while the process is up. */
  machines: Map<BrokerSlot, Hosted> | undefined;
  incarnation: number;
  /** The coordinator epoch each coordinator was last told (-1: not a coordinator). */
  announced: { txn: number; group: number };
}

export interface EosCounters {
  crashes: number;
  restarts: number;
  pauses: number;
  /** Coordinator elections after the first one of each coordinator (a failover). */
  txnFailovers: number;
  groupFailovers: number;
}

export interface EosWorldOptions {
  readonly config: ClusterConfig;
  readonly trace: boolean;
  /**
   * Each partition's replicas (by partition name), preferred leader first, for a partition
   * this leaves out: the default rotation (partition i on brokers i, i+1, i+2 mod 3). Trace
   * replay (trace-driver.ts) places the transactions explorer's partitions with it.
   */
  readonly replicaAssignment?: ReadonlyMap<string, readonly number[]>;
  /** Message latencies before the first `run` (which brings its own); default a PRNG seeded 0. */
  readonly latency?: Chooser;
}

/** Consumer/group requests whose topic-partition is not a hosted replica's. */
const GROUP_REQUESTS = new Set(['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'TxnOffsetCommit']);
const TXN_REQUESTS = new Set(['InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'WriteTxnMarkersResponse', 'MetadataResponse']);
const LIFECYCLE_EVENTS = new Set(['BrokerRegistrationResponse', 'BrokerHeartbeatResponse', 'LifecycleTimer']);

export class EosWorld {
  readonly clock = new TimerQueue<TimerPayload>();
  readonly network = new Network<ProtocolMessage>();
  readonly history = new HistoryRecorder();
  readonly trace: { step: number; text: string }[] = [];
  readonly brokers: BrokerHost[] = [];
  readonly clients = new Map<string, Hosted>();
  readonly counters: EosCounters = { crashes: 0, restarts: 0, pauses: 0, txnFailovers: 0, groupFailovers: 0 };
  /** Paused client nodes, with what reached them meanwhile (messages and timers, in order). */
  private readonly paused = new Map<string, { readonly event: AnyEvent; readonly slot: string }[]>();
  readonly controller: Hosted;
  private latency: Chooser = new Prng(0);
  /** Each client process's invoked, not yet completed operation. */
  private readonly openOps = new Map<string, ClientEvent>();
  /** Operations closed as `info` because their process invoked again (see closeDangling). */
  danglingClosed = 0;
  /** Host-side reactions queued by a step (elections, marker notifications), run after it. */
  private readonly after: (() => void)[] = [];
  private draining = false;
  stepIndex = 0;
  phase: 1 | 2 = 1;
  /** Called with every client event once recorded (the application reacts to its clients). */
  onClientEvent: ((node: string, event: ClientEvent) => void) | undefined;
  /** Called after every machine step and fault (invariants). */
  observer: (() => void) | undefined;
  /** Host timers of the application (ticks), fired through the same clock. */
  onAppTimer: ((node: string, id: string) => void) | undefined;
  /** Elections seen per coordinator kind: the first is the start, later ones are failovers. */
  private elections = { txn: 0, group: 0 };

  constructor(readonly options: EosWorldOptions) {
    const { config } = options;
    if (options.latency !== undefined) this.latency = options.latency;
    for (let id = 0; id < BROKERS; id++) {
      const storages = new Map<string, BrokerStorage>();
      for (const tp of PARTITIONS) storages.set(tpName(tp), new BrokerStorage(`/broker-${id}/kafka-logs`, logConfig(tp, config)));
      this.brokers.push({ id, storages, machines: undefined, incarnation: 0, announced: { txn: -1, group: -1 } });
    }
    const rotation = (i: number): number[] => Array.from({ length: BROKERS }, (_, k) => (i + k) % BROKERS);
    const partitions = PARTITIONS.map((tp, i) => ({ ...tp, replicas: [...(options.replicaAssignment?.get(tpName(tp)) ?? rotation(i))] }));
    const started = start(controllerMachine, { config, partitions });
    this.controller = new Hosted(controllerMachine, started.snapshot);
    this.perform(CONTROLLER, 'main', started.effects);
    for (const broker of this.brokers) this.startBroker(broker);
    this.addClient(INPUT_PRODUCER, 'main', producerMachine, { config, clientId: INPUT_PRODUCER, bootstrapBrokers: this.brokerIds() });
    this.drain();
  }

  brokerIds(): number[] {
    return this.brokers.map((b) => b.id);
  }

  now(): number {
    return this.clock.now();
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Let `ms` pass: every message and timer due by then happens, in time order. */
  run(ms: number, latency: Chooser): void {
    const until = this.now() + ms;
    this.latency = latency;
    while (this.nextEvent(until));
    this.clock.advanceTo(until);
  }

  private nextEvent(until: number): boolean {
    const next = takeNextEvent(this.network, this.clock, until);
    if (next === undefined) return false;
    if (next.kind === 'message') {
      this.deliver(next.envelope);
      return true;
    }
    const fired = this.clock.fireNext();
    if (fired === undefined) return false;
    const { node, slot, event } = fired.payload;
    if (slot === APP_SLOT) this.fireAppTimer(node, event.type);
    else this.dispatch(node, slot, { ...event, nowMs: this.now() }, this.options.trace ? `timer ${fired.id}` : '');
    return true;
  }

  /**
   * Deliver the in-flight envelope `id` now, or at its arrival time if that is later,
   * whatever is ahead of it on its link (trace replay names the message delivered next).
   */
  deliverInFlight(id: number, how = ''): void {
    const envelope = this.network.take(id);
    this.clock.advanceTo(Math.max(this.now(), envelope.deliverAt));
    this.deliver(envelope, how);
  }

  /**
   * Fire the pending timer `id` (its clock id, `node/slot:name`) at `atMs` or, if later, at
   * its deadline; false when it is not pending (trace replay names the timer that fires).
   */
  fireTimerAt(id: string, atMs: number): boolean {
    const timer = this.clock.take(id);
    if (timer === undefined) return false;
    this.clock.advanceTo(Math.max(this.now(), timer.deadlineMs, atMs));
    const { node, slot, event } = timer.payload;
    if (slot === APP_SLOT) this.fireAppTimer(node, event.type);
    else this.dispatch(node, slot, { ...event, nowMs: this.now() }, this.options.trace ? `timer ${timer.id}` : '');
    return true;
  }

  /** An application timer (a worker's tick): host code, not a machine; a paused node's waits. */
  setAppTimer(node: string, id: string, delayMs: number): void {
    this.clock.set(`${node}/${APP_SLOT}:${id}`, delayMs, { node, slot: APP_SLOT, event: { type: id } });
  }

  private fireAppTimer(node: string, id: string): void {
    const held = this.paused.get(node);
    if (held !== undefined) {
      held.push({ slot: APP_SLOT, event: { type: id } });
      return;
    }
    this.onAppTimer?.(node, id);
    this.drain();
  }

  // ---- clients --------------------------------------------------------------------------------

  addClient(node: string, slot: string, machine: Parameters<typeof start>[0], input: unknown): void {
    const started = start(machine, input as never);
    this.clients.set(node, new Hosted(machine, started.snapshot));
    this.perform(node, slot, started.effects);
  }

  /** Remove a client process (it died): its timers and connections go with it. */
  removeClient(node: string): void {
    this.clients.delete(node);
    this.paused.delete(node);
    for (const t of this.clock.pending()) if (t.payload.node === node) this.clock.cancel(t.id);
    this.network.loseConnectionsOf(node);
  }

  /** An application call on a client machine (Poll, BeginTransaction, ...). */
  call(node: string, event: { readonly type: string } & Record<string, unknown>): void {
    this.dispatch(node, 'main', { ...event, nowMs: this.now() }, this.options.trace ? `app ${event.type}` : '');
  }

  pause(node: string): boolean {
    if (!this.clients.has(node) || this.paused.has(node)) return false;
    this.paused.set(node, []);
    this.counters.pauses++;
    return true;
  }

  isPaused(node: string): boolean {
    return this.paused.has(node);
  }

  resume(node: string): boolean {
    const held = this.paused.get(node);
    if (held === undefined) return false;
    this.paused.delete(node);
    this.note(`resume ${node}: ${held.length} held events delivered`);
    for (const h of held) {
      if (!this.clients.has(node) || this.paused.has(node)) break;
      if (h.slot === APP_SLOT) this.fireAppTimer(node, h.event.type);
      else this.dispatch(node, h.slot, h.event, this.options.trace ? 'held' : '');
    }
    return true;
  }

  // ---- faults ---------------------------------------------------------------------------------

  messageFault(kind: 'drop' | 'duplicate' | 'delay' | 'reorder', pick: number): boolean {
    const pending = this.network.pending();
    if (pending.length === 0) return false;
    const envelope = pending[pick % pending.length] as Envelope<ProtocolMessage>;
    if (kind === 'drop') this.network.drop(envelope.id);
    else if (kind === 'duplicate') this.network.duplicate(envelope.id, DUPLICATE_LATER_MS);
    else if (kind === 'delay') this.network.delay(envelope.id, DELAY_MS);
    else this.deliver(this.network.take(envelope.id), 'out of order');
    this.note(`${kind} ${envelope.from}→${envelope.to} ${envelope.message.type}`);
    this.observer?.();
    return true;
  }

  crash(id: number): boolean {
    const broker = this.broker(id);
    if (broker.machines === undefined) return false;
    broker.machines = undefined;
    broker.announced = { txn: -1, group: -1 };
    for (const t of this.clock.pending()) if (t.payload.node === brokerName(id)) this.clock.cancel(t.id);
    this.network.loseConnectionsOf(brokerName(id));
    for (const storage of broker.storages.values()) storage.crashProcess();
    this.counters.crashes++;
    this.history.nemesis('crash', { broker: id, mode: 'process' }, this.now());
    this.note(`crash broker-${id}`);
    this.observer?.();
    return true;
  }

  restart(id: number): boolean {
    const broker = this.broker(id);
    if (broker.machines !== undefined) return false;
    broker.incarnation++;
    this.counters.restarts++;
    this.startBroker(broker);
    this.history.nemesis('restart', { broker: id }, this.now());
    this.drain();
    return true;
  }

  isolate(id: number): void {
    const everyone = [CONTROLLER, ...this.clients.keys(), ...this.brokers.map((b) => brokerName(b.id))];
    this.network.isolate(brokerName(id), everyone);
    this.history.nemesis('partition', { isolated: id }, this.now());
    this.note(`isolate broker-${id}`);
  }

  isUp(id: number): boolean {
    return this.broker(id).machines !== undefined;
  }

  // ---- hosting --------------------------------------------------------------------------------

  private startBroker(broker: BrokerHost): void {
    const { config } = this.options;
    const name = brokerName(broker.id);
    const machines = new Map<BrokerSlot, Hosted>();
    broker.machines = machines;
    const adopt = (slot: string, machine: Parameters<typeof start>[0], input: unknown): void => {
      const started = start(machine, input as never);
      machines.set(slot, new Hosted(machine, started.snapshot));
      this.perform(name, slot, started.effects);
    };
    const lifecycle = machineRoles.startLifecycle(broker.id, broker.incarnation, config);
    assert(lifecycle !== undefined, 'the machine roles have a lifecycle machine');
    machines.set(LIFECYCLE, lifecycle.hosted);
    this.perform(name, LIFECYCLE, lifecycle.effects);
    for (const tp of PARTITIONS) {
      const storage = broker.storages.get(tpName(tp)) as BrokerStorage;
      const recovered = storage.open();
      const persisted = { log: recovered.batches, leaderEpochCache: recovered.leaderEpochCache, highWatermarkCheckpoint: recovered.highWatermark, producers: producerStatesOf(recovered.producerState) };
      adopt(tpName(tp), replicaMachine, { config, brokerId: broker.id, incarnationId: broker.id * 1000 + broker.incarnation, ...tp, recovered: persisted });
    }
    const bootstrapBrokers = this.brokerIds();
    adopt(TXN_COORDINATOR, txnCoordinatorMachine, { config, brokerId: broker.id, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers });
    adopt(GROUP_COORDINATOR, groupCoordinatorMachine, { config, brokerId: broker.id, offsetsPartition: 0, offsetsTopicPartitions: 1 });
    this.note(`start broker-${broker.id} (incarnation ${broker.incarnation})`);
  }

  private deliver(envelope: Envelope<ProtocolMessage>, how = ''): void {
    const event = { ...envelope.message, nowMs: this.now() };
    const cause = this.options.trace ? `${how === '' ? '' : how + ' '}${envelope.from}→${envelope.to} ${describeMessage(envelope.message)}` : '';
    if (envelope.to.startsWith('txn-coordinator-of:')) {
      const leader = this.leaderOf(TXN_LOG);
      if (leader >= 0) this.dispatch(brokerName(leader), TXN_COORDINATOR, event, cause);
      return;
    }
    const slot = envelope.to.startsWith('broker-') ? brokerSlotOf(envelope.message) : 'main';
    if (slot !== null) this.dispatch(envelope.to, slot, event, cause);
  }

  /** Step `node`'s machine in `slot` with `event` and carry out its effects (a down node ignores it). */
  private dispatch(node: string, slot: string, event: AnyEvent, cause: string): void {
    const held = this.paused.get(node);
    if (held !== undefined) {
      held.push({ slot, event });
      return;
    }
    const hosted = this.hostedAt(node, slot);
    if (hosted === undefined) return;
    const effects = hosted.step(event);
    if (this.options.trace && cause !== '' && effects.length > 0 && !isChatter(event.type)) this.note(`${cause} → ${node}/${slot}`);
    this.perform(node, slot, effects);
    if (slot === TXN_LOG_SLOT || slot === OFFSETS_LOG_SLOT) this.after.push(() => this.checkElections());
    this.drain();
    this.observer?.();
  }

  /** Run the queued host reactions (outside any machine step). */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let reaction = this.after.shift(); reaction !== undefined; reaction = this.after.shift()) reaction();
    } finally {
      this.draining = false;
    }
  }

  /** The machine in `slot` of `node` (a broker's slot, a client's or the controller's `main`), while up. */
  hostedAt(node: string, slot: string): Hosted | undefined {
    if (node === CONTROLLER) return this.controller;
    const match = /^broker-(\d+)$/.exec(node);
    if (match === null) return this.clients.get(node);
    return this.broker(Number(match[1])).machines?.get(slot);
  }

  private perform(node: string, slot: string, effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.network.send(node, effect.to, effect.message, this.now() + LATENCY_MIN_MS + this.latency.below(LATENCY_SPREAD_MS));
          break;
        case 'storage':
          this.performStorage(node, slot, effect.command);
          break;
        case 'setTimer':
          this.clock.set(`${node}/${slot}:${effect.id}`, effect.delayMs, { node, slot, event: effect.event });
          break;
        case 'cancelTimer':
          this.clock.cancel(`${node}/${slot}:${effect.id}`);
          break;
        case 'client': {
          const event = effect.event;
          if (this.continuesOpenOp(event)) break;
          this.history.record(event, this.now());
          this.after.push(() => this.onClientEvent?.(node, event));
          break;
        }
        default:
          unreachable(effect, 'effect');
      }
    }
  }

  /**
   * Jepsen's history contract allows one pending operation per process. The transactional
   * producer invokes a transaction when the application commits it and again when it then
   * aborts it (after an abortable error): the second invoke continues the same operation and
   * is not recorded. A client that invokes another operation while one is still open gets the
   * open one closed first as `info` (outcome unknown, what the oracle then assumes).
   */
  private continuesOpenOp(event: ClientEvent): boolean {
    const key = String(event.process);
    if (event.type !== 'invoke') {
      this.openOps.delete(key);
      return false;
    }
    const open = this.openOps.get(key);
    if (open !== undefined && open.f === event.f && JSON.stringify(open.value) === JSON.stringify(event.value)) return true;
    if (open !== undefined) {
      this.history.record({ ...open, type: 'info', error: 'superseded: the client invoked again' }, this.now());
      this.danglingClosed++;
    }
    this.openOps.set(key, event);
    return false;
  }

  private performStorage(node: string, slot: string, command: Extract<Effect, { type: 'storage' }>['command']): void {
    const broker = this.brokerOf(node);
    const storage = broker.storages.get(slot);
    assert(storage !== undefined, `storage command from ${node}/${slot}, which has no partition`);
    storage.perform(command, this.now());
    if (command.type !== 'append' || slot !== tpName(OFFSETS_LOG)) return;
    const marker = markerOf(command.batch);
    if (marker === null) return;
    const { producerId } = command.batch;
    this.after.push(() => this.dispatch(node, GROUP_COORDINATOR, { type: 'TxnMarkerWritten', nowMs: this.now(), producerId, committed: marker.type === 'COMMIT' }, ''));
  }

  /** Tell coordinators of leadership changes of the internal partitions (the host contract). */
  private checkElections(): void {
    for (const broker of this.brokers) {
      const machines = broker.machines;
      if (machines === undefined) continue;
      this.checkElection(broker, machines, 'txn', TXN_LOG, TXN_COORDINATOR, 'TxnCoordinatorElected', 'TxnCoordinatorResigned');
      this.checkElection(broker, machines, 'group', OFFSETS_LOG, GROUP_COORDINATOR, 'GroupCoordinatorElected', 'GroupCoordinatorResigned');
    }
  }

  private checkElection(broker: BrokerHost, machines: Map<string, Hosted>, kind: 'txn' | 'group', tp: TopicPartition, slot: string, elected: string, resigned: string): void {
    const replica = machines.get(tpName(tp)) as Hosted;
    const state = machineRoles.replicaState(replica);
    const announced = broker.announced[kind];
    const epoch = state.role === 'leader' ? state.leaderEpoch : -1;
    if (epoch === announced) return;
    broker.announced = { ...broker.announced, [kind]: epoch };
    const node = brokerName(broker.id);
    if (epoch < 0) {
      this.dispatch(node, slot, { type: resigned, nowMs: this.now(), coordinatorEpoch: announced }, this.options.trace ? `${tpName(tp)} no longer led here` : '');
      return;
    }
    if (this.elections[kind]++ > 0) this.counters[kind === 'txn' ? 'txnFailovers' : 'groupFailovers']++;
    const log = (replica.context as ReplicaContext).persisted.log;
    this.dispatch(node, slot, { type: elected, nowMs: this.now(), coordinatorEpoch: epoch, log: [...log] }, this.options.trace ? `${tpName(tp)} led here in epoch ${epoch}` : '');
  }

  // ---- what the model sees --------------------------------------------------------------------

  /** The controller's current leader of a partition (-1 when none). */
  leaderOf(tp: TopicPartition): number {
    const c = this.controller.context as ControllerContext;
    return c.partitions.find((p) => p.topic === tp.topic && p.partition === tp.partition)?.leader ?? -1;
  }

  /** The replica machine of `tp` on broker `id`, while up. */
  replica(id: number, tp: TopicPartition): Hosted | undefined {
    return this.broker(id).machines?.get(tpName(tp));
  }

  /** The broker whose replica of `tp` is a leader in the highest leader epoch (what clients reach). */
  leaderReplica(tp: TopicPartition): { brokerId: number; context: ReplicaContext; leaderEpoch: number; highWatermark: number; incarnation: number } | undefined {
    let best: ReturnType<EosWorld['leaderReplica']>;
    for (const broker of this.brokers) {
      const hosted = this.replica(broker.id, tp);
      if (hosted === undefined) continue;
      const s = machineRoles.replicaState(hosted);
      if (s.role !== 'leader' || (best !== undefined && best.leaderEpoch >= s.leaderEpoch)) continue;
      best = { brokerId: broker.id, context: hosted.context as ReplicaContext, leaderEpoch: s.leaderEpoch, highWatermark: s.highWatermark, incarnation: broker.incarnation };
    }
    return best;
  }

  /** The log of `tp` on its current leader (or the longest one when none leads). */
  logOf(tp: TopicPartition): readonly LogBatch[] {
    const leader = this.leaderReplica(tp);
    if (leader !== undefined) return leader.context.persisted.log;
    let longest: readonly LogBatch[] = [];
    for (const broker of this.brokers) {
      const hosted = this.replica(broker.id, tp);
      const log = hosted === undefined ? [] : (hosted.context as ReplicaContext).persisted.log;
      if (log.length > longest.length) longest = log;
    }
    return longest;
  }

  /**
   * A key that changes whenever what the invariants read may have changed: any log, and each
   * data partition's leader and high watermark (the LSO follows them).
   */
  judgeKey(partitions: readonly TopicPartition[]): string {
    let key = String(this.storageVersion());
    for (const tp of partitions) {
      const leader = this.leaderOf(tp);
      const hosted = leader < 0 ? undefined : this.replica(leader, tp);
      key += `|${leader}:${hosted === undefined ? -1 : (hosted.context as ReplicaContext).volatile.highWatermark}`;
    }
    return key;
  }

  /** A number that changes whenever any partition's log changes (the runner's re-judge key). */
  storageVersion(): number {
    let v = 0;
    for (const b of this.brokers) for (const s of b.storages.values()) v += s.version;
    return v;
  }

  note(text: string): void {
    if (this.options.trace) this.trace.push({ step: this.stepIndex, text });
  }

  broker(id: number): BrokerHost {
    const broker = this.brokers[id];
    assert(broker !== undefined, `no broker ${id}`);
    return broker;
  }

  private brokerOf(node: string): BrokerHost {
    const match = /^broker-(\d+)$/.exec(node);
    assert(match !== null, `storage effect from ${node}, which has no disk`);
    return this.broker(Number(match[1]));
  }
}

const APP_SLOT = 'app';
const TXN_LOG_SLOT = tpName(TXN_LOG);
const OFFSETS_LOG_SLOT = tpName(OFFSETS_LOG);

/** The slot of a broker a message goes to; null when no machine there takes it. */
export function brokerSlotOf(m: ProtocolMessage): string | null {
  if (LIFECYCLE_EVENTS.has(m.type)) return LIFECYCLE;
  if (GROUP_REQUESTS.has(m.type)) return GROUP_COORDINATOR;
  if (m.type === 'FindCoordinator') return m.keyType === COORDINATOR_GROUP ? GROUP_COORDINATOR : TXN_COORDINATOR;
  if (m.type === 'ProduceResponse' && m.topic === OFFSETS_LOG.topic) return GROUP_COORDINATOR;
  if (m.type === 'ProduceResponse' && m.topic === TXN_LOG.topic) return TXN_COORDINATOR;
  if (TXN_REQUESTS.has(m.type)) return TXN_COORDINATOR;
  if (m.type === 'AddPartitionsToTxnResponse') {
    const first = m.results[0];
    return first === undefined ? null : tpName(first);
  }
  if ('topic' in m) return tpName(m);
  return null;
}

/**
 * Small segments, so histories roll them; the internal topics' records (group metadata with
 * every member, transaction metadata) are larger than a data record, so theirs are larger.
 */
function logConfig(tp: TopicPartition, config: ClusterConfig): ConstructorParameters<typeof BrokerStorage>[1] {
  const internal = tp.topic === TXN_LOG.topic || tp.topic === OFFSETS_LOG.topic;
  return { ...machineRoles.logConfig(config), topic: tp.topic, partition: tp.partition, segmentBytes: Math.min(config['segment.bytes'], internal ? INTERNAL_SEGMENT_BYTES : SIM_SEGMENT_BYTES) };
}

const INTERNAL_SEGMENT_BYTES = 16 * 1024;

function producerStatesOf(snapshot: ReturnType<BrokerStorage['open']>['producerState']): { producerId: number; producerEpoch: number; batches: { firstSeq: number; lastSeq: number; firstOffset: number; lastOffset: number }[] }[] {
  return snapshot.producers.map((p) => ({
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    batches: p.batches.map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, firstOffset: b.firstOffset, lastOffset: b.lastOffset })),
  }));
}

/** Fetch loops and heartbeats: not worth a trace line each. */
function isChatter(type: string): boolean {
  return type === 'Fetch' || type === 'FetchResponse' || type === 'BrokerHeartbeat' || type === 'BrokerHeartbeatResponse' || type === 'LifecycleTimer' || type === 'Heartbeat' || type === 'HeartbeatResponse' || type === 'ConsumerHeartbeatTimer';
}

function describeMessage(m: ProtocolMessage): string {
  switch (m.type) {
    case 'Produce':
      return `Produce ${m.topic}-${m.partition} [${m.records.records.map((r) => r.value).join(',')}] pid ${m.records.producerId}/e${m.records.producerEpoch}`;
    case 'ProduceResponse':
      return `ProduceResponse ${m.topic}-${m.partition} ${m.errorCode}`;
    case 'WriteTxnMarkers':
      return `WriteTxnMarkers ${m.topic}-${m.partition} ${m.transactionResult ? 'COMMIT' : 'ABORT'} pid ${m.producerId}/e${m.producerEpoch}`;
    case 'EndTxn':
      return `EndTxn ${m.transactionalId} ${m.committed ? 'commit' : 'abort'} e${m.producerEpoch}`;
    case 'TxnOffsetCommit':
      return `TxnOffsetCommit ${m.topic}-${m.partition}@${m.committedOffset} gen ${m.generationId}`;
    case 'LeaderAndIsr':
      return `LeaderAndIsr ${m.topic}-${m.partition} leader ${m.leader} e${m.leaderEpoch}`;
    default:
      return 'errorCode' in m ? `${m.type} ${m.errorCode}` : m.type;
  }
}

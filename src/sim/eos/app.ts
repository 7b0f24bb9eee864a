/**
 * The application under test: consume-transform-produce workers, as Kafka Streams' EOS
 * (`processing.guarantee=exactly_once_v2`) runs them, plus the input's producer and a
 * downstream `verifier` consumer.
 *
 * A worker instance = a consumer in group `eos-app` subscribed to the input topic + a
 * transactional producer whose `transactional.id` belongs to the worker's slot. Its loop,
 * driven by a tick every `APP_TICK_MS` and by its clients' history events:
 *   poll → (records) BeginTransaction, one Send per record (`in-n` → `out-n` on output
 *   partition n mod 2), SendOffsetsToTransaction (the positions, with the consumer's
 *   generation and member id: KIP-447), CommitTransaction (AbortTransaction when the
 *   scenario asked for one) → on `ok` poll again; on `fail`/`info` SeekToCommitted first,
 *   so the input of an aborted transaction is processed again.
 * An abortable error is answered by AbortTransaction; a fatal one (fenced) kills the
 * instance (its process exits, as Streams closes a fenced task's producer). A replacement
 * instance of the slot reuses the slot's `transactional.id`: its InitProducerId bumps the
 * epoch, fencing the old instance, which is a zombie if it was paused meanwhile.
 *
 * The verifier assigns itself both output partitions (no group) and polls them every
 * `VERIFY_TICK_MS` with the row's `isolation.level`: what it sees is what a downstream
 * application of the pipeline sees, and what the exactly-once property is judged on.
 */
import type { ClientEvent } from '../../protocol/client.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import { consumerMachine, type ConsumerContext } from '../../machines/consumer.ts';
import { txnProducerMachine, type TxnProducerContext } from '../../machines/txn-producer.ts';
import type { ProducerContext } from '../../machines/producer.ts';
import type { EosLedger } from '../../../model/eos/ledger.ts';
import { GROUP_ID, INPUTS, INPUT_PRODUCER, INPUT_TOPIC, OUTPUTS, OUTPUT_TOPIC, VERIFIER, inputValue, outputValueOf, partitionOfValue, transactionalIdOf, workerNodes } from './topology.ts';
import type { EosWorld } from './world.ts';

export const APP_TICK_MS = 20;
export const VERIFY_TICK_MS = 100;
export const WORKER_SLOTS = 2;
/** A supervisor (Kubernetes, systemd) starts a new instance this long after one exits. */
export const RESTART_DELAY_MS = 500;
const TICK = 'tick';
const RESTART = 'restart';
const SUPERVISOR = 'supervisor-';

function supervisorNode(slot: number): string {
  return `${SUPERVISOR}${slot}`;
}

export type WorkerStage = 'idle' | 'polling' | 'processing' | 'dead';

export interface WorkerInstance {
  readonly slot: number;
  readonly instance: number;
  readonly consumer: string;
  readonly producer: string;
  stage: WorkerStage;
  abortNext: boolean;
  /** The consumer generation the open transaction began in (-2: none open). */
  txnGeneration: number;
  /** A newer instance of the slot was started: this one is a zombie if it still runs. */
  superseded: boolean;
  /** The consumer generation the outstanding poll began in. */
  pollGeneration: number;
}

export class Pipeline {
  readonly workers: WorkerInstance[] = [];
  private nextInput = 0;
  /** Processing attempts (transactions begun) so far: makes every output value unique. */
  private attempts = 0;

  constructor(
    readonly world: EosWorld,
    readonly ledger: EosLedger,
    readonly config: ClusterConfig,
  ) {
    world.onClientEvent = (node, event) => this.onClientEvent(node, event);
    world.onAppTimer = (node, id) => this.onTick(node, id);
    const bootstrapBrokers = world.brokerIds();
    world.addClient(VERIFIER, 'main', consumerMachine, { config, clientId: VERIFIER, bootstrapBrokers, groupId: null });
    world.call(VERIFIER, { type: 'Assign', process: VERIFIER, partitions: OUTPUTS });
    world.setAppTimer(VERIFIER, TICK, VERIFY_TICK_MS);
    for (let slot = 0; slot < WORKER_SLOTS; slot++) this.startInstance(slot);
  }

  /** The input producer sends the next input record (to input partition n mod 2). */
  sendInput(): void {
    const n = this.nextInput++;
    const value = inputValue(n);
    this.ledger.recordInputSent(value);
    this.world.call(INPUT_PRODUCER, { type: 'Send', process: n, topic: INPUT_TOPIC, partition: partitionOfValue(value), value });
  }

  /** A new instance of worker `slot` (a restart, or a replacement while the old one is paused). */
  startInstance(slot: number): WorkerInstance {
    const instance = this.workers.filter((w) => w.slot === slot).length;
    for (const old of this.workers) if (old.slot === slot) old.superseded = true;
    const { consumer, producer } = workerNodes(slot, instance);
    const worker: WorkerInstance = { slot, instance, consumer, producer, stage: 'idle', abortNext: false, txnGeneration: -2, superseded: false, pollGeneration: -1 };
    this.workers.push(worker);
    const bootstrapBrokers = this.world.brokerIds();
    this.world.addClient(consumer, 'main', consumerMachine, { config: this.config, clientId: consumer, bootstrapBrokers, groupId: GROUP_ID });
    this.world.call(consumer, { type: 'Subscribe', process: consumer, partitions: INPUTS });
    this.world.addClient(producer, 'main', txnProducerMachine, { config: this.config, clientId: producer, transactionalId: transactionalIdOf(slot), bootstrapBrokers });
    this.world.call(producer, { type: 'InitTransactions' });
    this.world.setAppTimer(consumer, TICK, APP_TICK_MS);
    this.world.note(`start worker ${slot} instance ${instance} (transactional.id ${transactionalIdOf(slot)})`);
    return worker;
  }

  /** The newest instance of a slot that still runs. */
  latest(slot: number): WorkerInstance | undefined {
    return this.workers.filter((w) => w.slot === slot && w.stage !== 'dead').at(-1);
  }

  pause(slot: number): boolean {
    const w = this.latest(slot);
    if (w === undefined || this.world.isPaused(w.consumer)) return false;
    this.world.pause(w.consumer);
    this.world.pause(w.producer);
    this.world.note(`pause worker ${slot} instance ${w.instance}`);
    return true;
  }

  /** Resume every paused instance of `slot` (oldest first). */
  resume(slot: number): boolean {
    let any = false;
    for (const w of this.workers.filter((x) => x.slot === slot)) {
      if (!this.world.isPaused(w.consumer)) continue;
      if (w.superseded) this.ledger.events.zombiesResumed++;
      this.world.resume(w.consumer);
      this.world.resume(w.producer);
      any = true;
    }
    return any;
  }

  /** The slot's next transaction aborts instead of committing. */
  abortNext(slot: number): boolean {
    const w = this.latest(slot);
    if (w === undefined) return false;
    w.abortNext = true;
    return true;
  }

  /** Phase 2: every paused instance resumes; a slot with no live instance gets a new one. */
  heal(): void {
    for (let slot = 0; slot < WORKER_SLOTS; slot++) this.resume(slot);
    for (let slot = 0; slot < WORKER_SLOTS; slot++) if (this.latest(slot) === undefined) this.startInstance(slot);
  }

  // ---- the loop --------------------------------------------------------------------------------

  private onTick(node: string, id: string): void {
    if (id === RESTART) {
      const slot = Number(node.slice(SUPERVISOR.length));
      if (this.latest(slot) === undefined) this.startInstance(slot);
      return;
    }
    if (node === VERIFIER) {
      const c = this.consumerContext(VERIFIER);
      if (c !== undefined && c.poll === null) this.world.call(VERIFIER, { type: 'Poll', process: VERIFIER });
      this.world.setAppTimer(VERIFIER, TICK, VERIFY_TICK_MS);
      return;
    }
    const w = this.workers.find((x) => x.consumer === node);
    if (w === undefined || w.stage === 'dead') return;
    this.step(w);
    if (!this.isDead(w)) this.world.setAppTimer(w.consumer, TICK, APP_TICK_MS);
  }

  private step(w: WorkerInstance): void {
    const p = this.producerContext(w);
    const c = this.consumerContext(w.consumer);
    if (p === undefined || c === undefined) return;
    if (p.phase === 'fatalError') return this.die(w, p);
    if (p.phase === 'abortableError' && w.stage === 'processing') {
      this.world.call(w.producer, { type: 'AbortTransaction' });
      return;
    }
    if (w.stage !== 'idle' || p.phase !== 'ready' || c.poll !== null || !membershipStable(c)) return;
    if (!c.partitions.some((q) => q.position >= 0)) return;
    w.stage = 'polling';
    w.pollGeneration = c.generationId;
    this.world.call(w.consumer, { type: 'Poll', process: w.consumer });
  }

  private isDead(w: WorkerInstance): boolean {
    return w.stage === 'dead';
  }

  private die(w: WorkerInstance, p: TxnProducerContext): void {
    w.stage = 'dead';
    const fenced = p.lastError === 'PRODUCER_FENCED' || p.lastError === 'INVALID_PRODUCER_EPOCH';
    if (fenced && w.superseded) this.ledger.events.zombiesFenced++;
    this.world.note(`worker ${w.slot} instance ${w.instance} exits: producer ${p.lastError ?? 'failed'}`);
    this.world.removeClient(w.consumer);
    this.world.removeClient(w.producer);
    // The supervisor restarts the slot's newest instance; a superseded one just ends.
    if (!w.superseded) this.world.setAppTimer(supervisorNode(w.slot), RESTART, RESTART_DELAY_MS);
  }

  private onClientEvent(node: string, event: ClientEvent): void {
    if (node === VERIFIER) {
      if (event.type === 'ok' && event.f === 'poll') this.ledger.recordVerifierPoll(pollRecords(event), this.world.stepIndex);
      return;
    }
    const w = this.workers.find((x) => x.consumer === node || x.producer === node);
    if (w === undefined || w.stage === 'dead') return;
    if (node === w.consumer && event.f === 'poll' && event.type === 'ok' && w.stage === 'polling') return this.process(w, event);
    if (node === w.producer && (event.f as string) === 'txn' && event.type !== 'invoke') this.completed(w, event);
  }

  private process(w: WorkerInstance, event: ClientEvent): void {
    const records = pollRecords(event);
    const p = this.producerContext(w);
    const c = this.consumerContext(w.consumer);
    // Records polled across a rebalance may belong to partitions the new generation gave to
    // another member: KafkaConsumer's eager rebalance revokes every partition before it
    // rejoins (ConsumerCoordinator.onJoinPrepare) and only then moves groupMetadata() to the
    // new generation (onJoinComplete), so such records never reach the application.
    const moved = c === undefined || !membershipStable(c) || c.generationId !== w.pollGeneration;
    if (records.length === 0 || p === undefined || c === undefined || p.phase !== 'ready' || moved) {
      w.stage = 'idle';
      if (records.length > 0) this.world.call(w.consumer, { type: 'SeekToCommitted' });
      return;
    }
    w.stage = 'processing';
    w.txnGeneration = w.pollGeneration;
    this.world.call(w.producer, { type: 'BeginTransaction' });
    const attempt = this.attempts++;
    for (const r of records) {
      const value = outputValueOf(r.value, attempt);
      this.world.call(w.producer, { type: 'Send', process: w.producer, topic: OUTPUT_TOPIC, partition: partitionOfValue(value), value });
    }
    const offsets = c.partitions.filter((q) => q.position >= 0).map((q) => ({ topic: q.topic, partition: q.partition, offset: q.position }));
    this.world.call(w.producer, { type: 'SendOffsetsToTransaction', groupId: GROUP_ID, generationId: w.pollGeneration, memberId: c.memberId, offsets });
    const abort = w.abortNext;
    w.abortNext = false;
    this.world.call(w.producer, { type: abort ? 'AbortTransaction' : 'CommitTransaction' });
  }

  private completed(w: WorkerInstance, event: ClientEvent): void {
    const c = this.consumerContext(w.consumer);
    if (c !== undefined && w.txnGeneration !== -2 && c.generationId !== w.txnGeneration) this.ledger.events.rebalancesMidTxn++;
    if (event.type === 'ok') this.ledger.events.commits++;
    else this.ledger.events.aborts++;
    w.txnGeneration = -2;
    w.stage = 'idle';
    if (event.type !== 'ok') this.world.call(w.consumer, { type: 'SeekToCommitted' });
  }

  // ---- reading the clients ---------------------------------------------------------------------

  consumerContext(node: string): ConsumerContext | undefined {
    return this.world.clients.get(node)?.context as ConsumerContext | undefined;
  }

  producerContext(w: WorkerInstance): TxnProducerContext | undefined {
    return this.world.clients.get(w.producer)?.context as TxnProducerContext | undefined;
  }

  /** The input producer has nothing left to send or retry. */
  inputDrained(): boolean {
    const c = this.world.clients.get(INPUT_PRODUCER)?.context as ProducerContext | undefined;
    return c !== undefined && c.partitions.every((p) => p.batches.length === 0);
  }

  describe(): string[] {
    return this.workers.map((w) => {
      const p = this.producerContext(w);
      const c = this.consumerContext(w.consumer);
      const owned = c?.partitions.map((q) => `${q.topic}-${q.partition}@${q.position}`).join(' ') ?? '';
      return `worker ${w.slot}.${w.instance}: ${w.stage}${this.world.isPaused(w.consumer) ? ' (paused)' : ''}${w.superseded ? ' superseded' : ''}, producer ${p?.phase ?? 'gone'} pid ${p?.producerId ?? '-'}/e${p?.producerEpoch ?? '-'}, consumer gen ${c?.generationId ?? '-'} [${owned}]`;
    });
  }
}

/**
 * The consumer is a settled member: not rejoining, no JoinGroup/SyncGroup outstanding, its
 * assignment received. (The consumer machine keeps fetching during a rebalance and takes the
 * new generation at JoinGroupResponse; the application waits, as KafkaConsumer would.)
 */
export function membershipStable(c: ConsumerContext): boolean {
  const rejoining = c.groupRequest !== null && (c.groupRequest.kind === 'JoinGroup' || c.groupRequest.kind === 'SyncGroup');
  return c.generationId >= 0 && !c.needsJoin && c.joinMembers === null && !rejoining;
}

export interface PolledRecord {
  readonly key: string;
  readonly offset: number;
  readonly value: string;
}

/** The records of a completed poll op, by partition key then offset. */
export function pollRecords(event: ClientEvent): PolledRecord[] {
  const op = event.value[0] as readonly ['poll', Readonly<Record<string, readonly (readonly [number, string])[]>>] | undefined;
  const map = op?.[1] ?? {};
  const out: PolledRecord[] = [];
  for (const key of Object.keys(map).sort()) for (const [offset, value] of map[key] ?? []) out.push({ key, offset, value });
  return out;
}

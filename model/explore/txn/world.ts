/**
 * The transactions explorer's world: an immutable value holding the transaction
 * coordinator's snapshot and its `__transaction_state` log, the two data partitions (each
 * one leader: the replica machine, which hosts the partition side of transactions,
 * txn-partition.ts), two incarnations of the transactional producer (the same
 * transactional.id: the second one's InitProducerId fences the first, the zombie), the
 * in-flight messages (FIFO per direction of a connection, `Link`), the pending timers, the producers' clocks, the
 * faults spent and the ghost state the invariants need.
 *
 * Hosting follows src/machines/effects.ts as the simulator's exactly-once world
 * (src/sim/eos/world.ts) does, with these abstractions (spec/explorer-transactions.md):
 * - nodes: `broker-0` hosts the coordinator (coordinator epoch = its term), `broker-1` and
 *   `broker-2` the leaders of `output-0` and `output-1` (replication factor 1: no
 *   followers, the HW is the log end); the clients bootstrap from broker-0;
 * - the coordinator's write to `__transaction_state` (a Produce to its own broker) is one
 *   atomic durable append: the record lands in the abstract log and the ProduceResponse is
 *   delivered in the same step (Vanlightly's TLA+ spec abstracts it the same way);
 * - Metadata and FindCoordinator are answered in the same step they are sent: the
 *   topology is static (one coordinator, fixed leaders), so the answer is the same whenever
 *   it arrives; their delay is subsumed by the delays of the requests that follow;
 * - a partition leader's KIP-890 verification (`txn-coordinator-of:<id>`) is routed to
 *   broker-0, as a broker's metadata cache resolves it;
 * - storage effects of the partitions are not carried out: the replica's context holds its
 *   log, and partitions do not crash here;
 * - timers the configuration makes inert are not kept: the leaders' ISR checks (no
 *   followers) and the coordinator's transaction-timeout check (its clock never advances,
 *   so no transaction expires).
 */
import type { AnyStateMachine } from 'xstate';
import { assert } from '../../../src/core/assert.ts';
import type { Effect } from '../../../src/machines/effects.ts';
import { step } from '../../../src/machines/step.ts';
import type { ClientEvent } from '../../../src/protocol/client.ts';
import type { LogBatch } from '../../../src/protocol/log.ts';
import type { ProtocolMessage } from '../../../src/protocol/messages.ts';
import { TRANSACTION_STATE_TOPIC } from '../../../src/protocol/txn-messages.ts';
import { type PendingTimer, type Snapshot, memoStep } from '../world.ts';

export const COORDINATOR_NODE = 'broker-0';
/** The node of a crashed coordinator process (actions.ts `failover`): answers addressed to it are lost. */
export const DEAD_COORDINATOR_NODE = 'broker-0-dead';
export const TOPIC = 'output';
export const TRANSACTIONAL_ID = 'txn-app';
/** Incarnation i of the transactional producer: `producer-a` (the zombie once fenced), `producer-b`. */
export const INCARNATION_NAMES = ['a', 'b'] as const;

export function producerNode(incarnation: number): string {
  return `producer-${INCARNATION_NAMES[incarnation] ?? String(incarnation)}`;
}

/** The leader of data partition p. */
export function partitionNode(p: number): string {
  return `broker-${p + 1}`;
}

export function partitionOfNode(node: string): number {
  const match = /^broker-(\d+)$/.exec(node);
  return match === null ? -1 : Number(match[1]) - 1;
}

export function incarnationOfNode(node: string): number {
  const match = /^producer-([a-z])$/.exec(node);
  return match === null ? -1 : INCARNATION_NAMES.indexOf(match[1] as 'a');
}

export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly message: ProtocolMessage;
}

export interface TxnBudget {
  readonly drops: number;
  readonly duplicates: number;
  readonly reorders: number;
  /** Request timeouts racing their answer (producer, verification, marker). */
  readonly timeouts: number;
  /** Coordinator process crashes, each followed by a restart in the next coordinator epoch. */
  readonly failovers: number;
}

export const NO_TXN_FAULTS: TxnBudget = { drops: 0, duplicates: 0, reorders: 0, timeouts: 0, failovers: 0 };
export const TXN_BUDGET_KEYS: readonly (keyof TxnBudget)[] = ['drops', 'duplicates', 'reorders', 'timeouts', 'failovers'];

/** What the application was told about one of its transactions (its history outcome). */
export type TxnStatus = 'open' | 'committing' | 'aborting' | 'ok' | 'fail' | 'info';

export interface GhostSend {
  readonly value: string;
  readonly partition: number;
}

export interface GhostTxn {
  readonly incarnation: number;
  readonly index: number;
  readonly sends: readonly GhostSend[];
  readonly status: TxnStatus;
}

/** Ghost state: exists only to state the invariants. */
export interface TxnGhost {
  /** Every transaction begun, in order. */
  readonly txns: readonly GhostTxn[];
  /** Per partition: the log end offset when incarnation b was first told its producer id (a fenced from then on), or null. */
  readonly fence: readonly number[] | null;
  /** Per partition: what an ideal read_committed reader has returned so far, `offset=value`, sorted by offset. */
  readonly reads: readonly (readonly string[])[];
  /** Per partition: the highest LSO exposed. */
  readonly maxLso: readonly number[];
}

export interface TxnWorld {
  readonly coordinator: Snapshot;
  readonly coordinatorEpoch: number;
  /** The abstract `__transaction_state-0` log (durable; what a restarted coordinator loads). */
  readonly txnLog: readonly LogBatch[];
  readonly partitions: readonly Snapshot[];
  readonly producers: readonly Snapshot[];
  readonly clocks: readonly number[];
  readonly network: readonly Envelope[];
  readonly timers: readonly PendingTimer[];
  readonly used: TxnBudget;
  readonly ghost: TxnGhost;
  /** Steps from the initial state (not part of the key). */
  readonly depth: number;
  /** `sometimes` events of the step into this state (not part of the key). */
  readonly events: readonly string[];
}

export interface TxnMachines {
  readonly coordinator: AnyStateMachine;
  readonly replica: AnyStateMachine;
  readonly producer: AnyStateMachine;
}

/** Timers that cannot change anything under this model's configuration (see the header). */
const INERT_TIMERS = new Set(['isr-check', 'txn-timeout-check']);

/** Requests answered by the host in the same step they are sent (see the header). */
const IMMEDIATE = new Set(['Metadata', 'FindCoordinator']);

/** Mutable scratch copy of a world while one action runs; `freeze` returns the new world. */
export class TxnDraft {
  coordinator: Snapshot;
  coordinatorEpoch: number;
  txnLog: readonly LogBatch[];
  partitions: Snapshot[];
  producers: Snapshot[];
  clocks: number[];
  network: Envelope[];
  timers: PendingTimer[];
  used: TxnBudget;
  ghost: TxnGhost;
  events: string[] = [];
  /** Host reactions queued by a step (immediate answers), run after its effects. */
  private readonly after: (() => void)[] = [];
  private draining = false;

  constructor(
    readonly base: TxnWorld,
    readonly machines: TxnMachines,
  ) {
    this.coordinator = base.coordinator;
    this.coordinatorEpoch = base.coordinatorEpoch;
    this.txnLog = base.txnLog;
    this.partitions = [...base.partitions];
    this.producers = [...base.producers];
    this.clocks = [...base.clocks];
    this.network = [...base.network];
    this.timers = [...base.timers];
    this.used = base.used;
    this.ghost = base.ghost;
  }

  freeze(): TxnWorld {
    return {
      coordinator: this.coordinator,
      coordinatorEpoch: this.coordinatorEpoch,
      txnLog: this.txnLog,
      partitions: this.partitions,
      producers: this.producers,
      clocks: this.clocks,
      network: this.network,
      timers: this.timers.sort(compareTxnTimers),
      used: this.used,
      ghost: this.ghost,
      depth: this.base.depth + 1,
      events: this.events,
    };
  }

  nowAt(node: string): number {
    const i = incarnationOfNode(node);
    return i < 0 ? 0 : (this.clocks[i] as number);
  }

  /** Step the machine at `node` with `event` and carry out its effects, then the queued host reactions. */
  deliver(node: string, event: object): void {
    const machine = this.machineAt(node);
    const result = step(machine, this.snapshotAt(node) as never, event as never);
    this.setSnapshot(node, result.snapshot as unknown as Snapshot);
    this.perform(node, result.effects);
    this.drain();
  }

  /** Deliver a message as it arrives at its node (stamped with the node's clock). */
  deliverMessage(e: Envelope): void {
    this.deliverShared(e.to, e.message);
  }

  /**
   * Deliver `payload` (a message or a timer's event: immutable objects shared between
   * states) stamped with the node's clock. Machine steps are pure, so the result for the
   * same snapshot, payload and clock is reused: successors in other branches then share
   * the same snapshot and message objects, whose encodings canonical.ts caches.
   */
  deliverShared(node: string, payload: object): void {
    const nowMs = this.nowAt(node);
    const hit = memoStep(this.machineAt(node), this.snapshotAt(node), payload, nowMs);
    this.setSnapshot(node, hit.snapshot);
    this.perform(node, hit.effects);
    this.drain();
  }

  perform(node: string, effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.send(node, effect.to, effect.message);
          break;
        case 'storage':
          assert(partitionOfNode(node) >= 0, `storage effect from ${node}`);
          break;
        case 'setTimer':
          if (INERT_TIMERS.has(effect.id)) break;
          this.timers = this.timers.filter((t) => !(t.node === node && t.id === effect.id));
          this.timers.push({ node, id: effect.id, event: effect.event });
          break;
        case 'cancelTimer':
          this.timers = this.timers.filter((t) => !(t.node === node && t.id === effect.id));
          break;
        case 'client':
          this.onClient(node, effect.event);
          break;
      }
    }
  }

  private send(from: string, to: string, message: ProtocolMessage): void {
    const target = to.startsWith('txn-coordinator-of:') ? COORDINATOR_NODE : to;
    if (target === DEAD_COORDINATOR_NODE) return;
    if (message.type === 'Produce' && message.topic === TRANSACTION_STATE_TOPIC) {
      assert(from === COORDINATOR_NODE && target === COORDINATOR_NODE, 'only the coordinator writes __transaction_state');
      this.appendTxnLog(message.correlationId, message.records);
      return;
    }
    if (IMMEDIATE.has(message.type)) {
      this.after.push(() => this.roundTrip({ from, to: target, message }));
      return;
    }
    this.network.push({ from, to: target, message });
  }

  /** The atomic durable append of a `__transaction_state` record, answered at once. */
  private appendTxnLog(correlationId: number, batch: LogBatch): void {
    const last = this.txnLog.at(-1);
    const baseOffset = last === undefined ? 0 : last.lastOffset + 1;
    const placed: LogBatch = { ...batch, baseOffset, lastOffset: baseOffset + batch.records.length - 1, partitionLeaderEpoch: this.coordinatorEpoch };
    this.txnLog = [...this.txnLog, placed];
    const response = { type: 'ProduceResponse' as const, from: COORDINATOR_NODE, correlationId, topic: TRANSACTION_STATE_TOPIC, partition: 0, errorCode: 'NONE' as const, baseOffset };
    this.after.push(() => this.deliver(COORDINATOR_NODE, { ...response, nowMs: 0 }));
  }

  /** Metadata (answered from the static topology) or FindCoordinator (by the coordinator), with the answer delivered too. */
  private roundTrip(e: Envelope): void {
    if (e.message.type === 'Metadata') {
      const { topic, partition, correlationId } = e.message;
      const leaderId = topic === TOPIC ? partition + 1 : -1;
      const response = { type: 'MetadataResponse' as const, from: e.to, correlationId, topic, partition, errorCode: leaderId < 0 ? ('UNKNOWN_TOPIC_OR_PARTITION' as const) : ('NONE' as const), leaderId, leaderEpoch: 0 };
      this.deliver(e.from, { ...response, nowMs: this.nowAt(e.from) });
      return;
    }
    const mark = this.network.length;
    this.deliverMessage(e);
    const at = this.network.findIndex((x, i) => i >= mark && x.to === e.from && x.message.type === 'FindCoordinatorResponse' && x.message.correlationId === (e.message as { correlationId: number }).correlationId);
    assert(at >= 0, 'the coordinator answers FindCoordinator');
    const [response] = this.network.splice(at, 1) as [Envelope];
    this.deliverMessage(response);
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let reaction = this.after.shift(); reaction !== undefined; reaction = this.after.shift()) reaction();
    } finally {
      this.draining = false;
    }
  }

  /** A producer's history event: the ghost's record of what the application was told (an invoke was noted by the app action). */
  private onClient(node: string, event: ClientEvent): void {
    const incarnation = incarnationOfNode(node);
    assert(incarnation >= 0 && event.f === 'txn', `client event from ${node}`);
    if (event.type === 'invoke') return;
    const at = this.currentTxn(incarnation);
    assert(at >= 0, `${node} reported a transaction it never began`);
    this.setTxn(at, { ...(this.ghost.txns[at] as GhostTxn), status: event.type });
  }

  /** Index in the ghost of incarnation `incarnation`'s latest transaction, or -1. */
  currentTxn(incarnation: number): number {
    for (let i = this.ghost.txns.length - 1; i >= 0; i--) if ((this.ghost.txns[i] as GhostTxn).incarnation === incarnation) return i;
    return -1;
  }

  setTxn(at: number, txn: GhostTxn): void {
    const txns = [...this.ghost.txns];
    txns[at] = txn;
    this.ghost = { ...this.ghost, txns };
  }

  private machineAt(node: string): AnyStateMachine {
    if (node === COORDINATOR_NODE) return this.machines.coordinator;
    if (partitionOfNode(node) >= 0) return this.machines.replica;
    assert(incarnationOfNode(node) >= 0, `no machine at ${node}`);
    return this.machines.producer;
  }

  snapshotAt(node: string): Snapshot {
    if (node === COORDINATOR_NODE) return this.coordinator;
    const p = partitionOfNode(node);
    if (p >= 0) return this.partitions[p] as Snapshot;
    return this.producers[incarnationOfNode(node)] as Snapshot;
  }

  setSnapshot(node: string, snapshot: Snapshot): void {
    if (node === COORDINATOR_NODE) this.coordinator = snapshot;
    else if (partitionOfNode(node) >= 0) this.partitions[partitionOfNode(node)] = snapshot;
    else this.producers[incarnationOfNode(node)] = snapshot;
  }

  spend(fault: keyof TxnBudget): void {
    this.used = { ...this.used, [fault]: this.used[fault] + 1 };
  }
}

/** Timers in canonical order: by node, then id with a trailing number compared as a number. */
export function compareTxnTimers(a: PendingTimer, b: PendingTimer): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  const x = /^(.*?)(\d*)$/.exec(a.id) as RegExpExecArray;
  const y = /^(.*?)(\d*)$/.exec(b.id) as RegExpExecArray;
  if (x[1] !== y[1]) return (x[1] as string) < (y[1] as string) ? -1 : 1;
  return Number(x[2] || -1) - Number(y[2] || -1);
}

/**
 * A link is one direction of one connection: Kafka's requests from A to B and B's responses
 * travel over the connection A opened, in order; B's own requests to A travel over another
 * connection. So the messages from A to B form two FIFO links, the requests and the responses
 * (e.g. the coordinator's WriteTxnMarkers and its answers to a leader's verification).
 */
export interface Link {
  readonly from: string;
  readonly to: string;
  readonly response: boolean;
}

export function isResponse(e: Envelope): boolean {
  return e.message.type.endsWith('Response');
}

/** Index of the first message on `link` (its head), or -1. */
export function headOf(network: readonly Envelope[], link: Link): number {
  return network.findIndex((e) => e.from === link.from && e.to === link.to && isResponse(e) === link.response);
}

export function onLink(e: Envelope, link: Link): boolean {
  return e.from === link.from && e.to === link.to && isResponse(e) === link.response;
}

/** The links with messages, in canonical order. */
export function linksOf(network: readonly Envelope[]): Link[] {
  const seen = new Map<string, Link>();
  for (const e of network) {
    const response = isResponse(e);
    const key = `${e.from}>${e.to}${response ? '<' : ''}`;
    if (!seen.has(key)) seen.set(key, { from: e.from, to: e.to, response });
  }
  return [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, l]) => l);
}

/**
 * The explorer's world: an immutable value holding every machine snapshot (one replica
 * per broker, the controller, the producer), each broker's abstract log, the in-flight
 * messages, the pending timers, each broker's logical clock, the budget of faults spent
 * and the ghost state the invariants need. Every change returns a new world, so BFS can
 * keep the frontier and never copies a state it does not change.
 *
 * Hosting follows src/machines/effects.ts exactly as the simulator does: a machine is
 * stepped with `step()` (src/machines/step.ts) on a delivered message stamped with its
 * node's clock, a fired timer's event, or a client operation; its effects are carried
 * out in order: `send` puts an envelope on the network (per-link FIFO, as Kafka's TCP
 * connections are), `storage` changes the broker's abstract log, `setTimer` /
 * `cancelTimer` change the pending timers, `client` feeds the ghost ledger.
 *
 * What differs from the simulator (spec/explorer.md): storage is the abstract log, not
 * segment files; timers have no deadlines (any pending timer may fire next: every
 * message delay is possible); clocks advance only in jumps beyond every timeout; the
 * broker lifecycle machine is replaced by the environment actions of actions.ts
 * (registration on restart, heartbeats, session expiry) stepping the real controller.
 */
import type { AnyStateMachine } from 'xstate';
import { assert } from '../../src/core/assert.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { step } from '../../src/machines/step.ts';
import { type ProtocolMessage, brokerNode } from '../../src/protocol/messages.ts';
import type { StorageCommand } from '../../src/protocol/storage.ts';
import { type AbstractLog, applyStorage } from './abstract-log.ts';
import { sortSmall } from './sort.ts';

export const CONTROLLER_NODE = 'controller';
export const PRODUCER_NODE = 'producer-0';

export interface Envelope {
  readonly from: string;
  readonly to: string;
  readonly message: ProtocolMessage;
  /** The link from → to (one shared object per pair). */
  readonly link: Link;
}

export interface PendingTimer {
  readonly node: string;
  readonly id: string;
  readonly event: { readonly type: string };
}

/** A machine's snapshot as the explorer handles it (xstate's, kept opaque). */
export interface Snapshot {
  readonly value: unknown;
  readonly context: unknown;
}

export interface AckedWrite {
  readonly value: string;
  readonly offset: number;
  readonly depth: number;
}

/** Ghost state (model/ledger.ts's, as an immutable value that is part of the state). */
export interface Ghost {
  readonly acked: readonly AckedWrite[];
  readonly ackConflicts: readonly { value: string; offsets: [number, number] }[];
  /** Offset → the first value seen below a current leader's HW. */
  readonly committed: readonly ({ value: string; depth: number; brokerId: number } | undefined)[];
  /** Per broker: the highest HW its latest leader incarnation (epoch, process) exposed. */
  readonly leaderHighWatermarks: readonly ({ epoch: number; incarnation: number; highWatermark: number } | undefined)[];
  /** Values handed to the producer so far (v0, v1, ...). */
  readonly sent: number;
}

export interface Budget {
  readonly crashes: number;
  readonly powerLosses: number;
  readonly drops: number;
  readonly duplicates: number;
  readonly reorders: number;
  readonly expirations: number;
  /** Request timeouts racing an answer (producer RequestTimeout, leader ProduceTimeout). */
  readonly timeouts: number;
  /** Late ISR checks: a leader's clock jumps past replica.lag.time.max.ms. */
  readonly lags: number;
}

export const NO_FAULTS: Budget = { crashes: 0, powerLosses: 0, drops: 0, duplicates: 0, reorders: 0, expirations: 0, timeouts: 0, lags: 0 };
export const BUDGET_KEYS: readonly (keyof Budget)[] = ['crashes', 'powerLosses', 'drops', 'duplicates', 'reorders', 'expirations', 'timeouts', 'lags'];

export interface World {
  readonly replicas: readonly (Snapshot | null)[];
  readonly controller: Snapshot;
  readonly producer: Snapshot;
  readonly disks: readonly AbstractLog[];
  /** Each broker's current process incarnation id (the one the controller must register). */
  readonly incarnations: readonly number[];
  /** Process starts so far per broker (0 until the first restart): ReplicaView.incarnation. */
  readonly restarts: readonly number[];
  readonly clocks: readonly number[];
  readonly controllerClock: number;
  readonly producerClock: number;
  readonly network: readonly Envelope[];
  readonly timers: readonly PendingTimer[];
  readonly used: Budget;
  readonly ghost: Ghost;
  /** Steps from the initial state (for witnesses; not part of the key). */
  readonly depth: number;
  /** `sometimes` events the step into this state produced (not part of the key). */
  readonly events: readonly string[];
}

/** An event for a machine: a delivered message, a timer's event or a client operation, stamped with `nowMs`. */
export type MachineEvent = object;

export interface Machines {
  readonly replica: AnyStateMachine;
  readonly controller: AnyStateMachine;
  readonly producer: AnyStateMachine;
}

/** Node names that host no explorer machine: what they are sent is dropped (see header). */
const UNHOSTED_TYPES = new Set(['BrokerRegistrationResponse', 'BrokerHeartbeatResponse']);

const brokerIds = new Map<string, number>();

/** The broker id a node name stands for (`broker-2` → 2), -1 for any other node. */
export function brokerOf(node: string): number {
  let id = brokerIds.get(node);
  if (id === undefined) {
    const match = /^broker-(\d+)$/.exec(node);
    id = match === null ? -1 : Number(match[1]);
    brokerIds.set(node, id);
  }
  return id;
}

/** The events of a step that produced none, shared by every such world. */
const NO_EVENTS: readonly string[] = Object.freeze([]);

/** Mutable scratch copy of a world while one action runs; `freeze` returns the new world. */
export class Draft {
  /** These five are shared with the base world until `set` copies one (copy on write). */
  replicas: readonly (Snapshot | null)[];
  controller: Snapshot;
  producer: Snapshot;
  disks: readonly AbstractLog[];
  incarnations: readonly number[];
  restarts: readonly number[];
  clocks: readonly number[];
  controllerClock: number;
  producerClock: number;
  network: Envelope[];
  timers: PendingTimer[];
  used: Budget;
  ghost: Ghost;
  events: string[] = [];
  /** The depth the frozen world will have. */
  readonly depth: number;

  constructor(
    readonly base: World,
    readonly machines: Machines,
  ) {
    this.replicas = base.replicas;
    this.controller = base.controller;
    this.producer = base.producer;
    this.disks = base.disks;
    this.incarnations = base.incarnations;
    this.restarts = base.restarts;
    this.clocks = base.clocks;
    this.controllerClock = base.controllerClock;
    this.producerClock = base.producerClock;
    this.network = [...base.network];
    this.timers = [...base.timers];
    this.used = base.used;
    this.ghost = base.ghost;
    this.depth = base.depth + 1;
  }

  freeze(): World {
    return {
      replicas: this.replicas,
      controller: this.controller,
      producer: this.producer,
      disks: this.disks,
      incarnations: this.incarnations,
      restarts: this.restarts,
      clocks: this.clocks,
      controllerClock: this.controllerClock,
      producerClock: this.producerClock,
      network: same(byLink(this.network), this.base.network),
      timers: same(sortSmall(this.timers, compareTimers), this.base.timers),
      used: this.used,
      ghost: this.ghost,
      depth: this.depth,
      events: this.events.length === 0 ? NO_EVENTS : this.events,
    };
  }

  nowAt(node: string): number {
    if (node === CONTROLLER_NODE) return this.controllerClock;
    if (node === PRODUCER_NODE) return this.producerClock;
    const b = brokerOf(node);
    return b < 0 ? 0 : (this.clocks[b] as number);
  }

  isUp(node: string): boolean {
    const b = brokerOf(node);
    return b < 0 || this.replicas[b] !== null;
  }

  /** Step the machine at `node` with `event`; carry out its effects. A down node ignores it. */
  deliver(node: string, event: MachineEvent): void {
    const machine = this.machineAt(node);
    const snapshot = this.snapshotAt(node);
    if (machine === undefined || snapshot === null) return;
    const result = step(machine, snapshot as never, event as never);
    this.setSnapshot(node, result.snapshot as unknown as Snapshot);
    this.perform(node, result.effects);
  }

  /**
   * Step the machine at `node` with `source` (a message or a timer event, shared between
   * worlds) stamped with `nowMs`. Memoized: a machine step is a pure function of the
   * snapshot and the event, and BFS meets the same (snapshot, source, clock) in many
   * worlds (every pair of commuting actions), so the result is computed once and its
   * snapshot object is shared, which also keeps its key encoding cached (canonical.ts).
   */
  deliverFrom(node: string, source: object, nowMs: number): void {
    const machine = this.machineAt(node);
    const snapshot = this.snapshotAt(node);
    if (machine === undefined || snapshot === null) return;
    const result = memoStep(machine, snapshot, source, nowMs);
    this.setSnapshot(node, result.snapshot);
    this.perform(node, result.effects);
  }

  /** Adopt a freshly started machine's snapshot and effects. */
  adopt(node: string, snapshot: Snapshot, effects: readonly Effect[]): void {
    this.setSnapshot(node, snapshot);
    this.perform(node, effects);
  }

  perform(node: string, effects: readonly Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.send(node, effect.to, effect.message);
          break;
        case 'storage':
          this.store(node, effect.command);
          break;
        case 'setTimer':
          if (node === CONTROLLER_NODE) break; // session checks are the `expire` action
          this.setTimer(node, effect.id, effect.event);
          break;
        case 'cancelTimer':
          this.cancelTimer(node, effect.id);
          break;
        case 'client':
          this.onClient(effect.event);
          break;
      }
    }
  }

  /**
   * (Re)arms timer `id` at `node`, in place: `timers` is this draft's own copy, and
   * `freeze` sorts it. Re-arming with the same event keeps the timer object, so an
   * unchanged timer list stays the base world's.
   */
  private setTimer(node: string, id: string, event: PendingTimer['event']): void {
    const at = this.timerIndex(node, id);
    if (at < 0) this.timers.push({ node, id, event });
    else if ((this.timers[at] as PendingTimer).event !== event) this.timers[at] = { node, id, event };
  }

  private cancelTimer(node: string, id: string): void {
    const at = this.timerIndex(node, id);
    if (at >= 0) this.timers.splice(at, 1);
  }

  private timerIndex(node: string, id: string): number {
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i] as PendingTimer;
      if (t.node === node && t.id === id) return i;
    }
    return -1;
  }

  send(from: string, to: string, message: ProtocolMessage): void {
    if (UNHOSTED_TYPES.has(message.type) || !this.isUp(to)) return;
    this.network.push({ from, to, message, link: linkOf(from, to) });
  }

  private store(node: string, command: StorageCommand): void {
    const b = brokerOf(node);
    assert(b >= 0, `storage effect from ${node}`);
    const before = this.disks[b] as AbstractLog;
    const after = applyStorage(before, command);
    if (command.type === 'truncate' && after.batches.length < before.batches.length) this.events.push('truncation-happened');
    this.set('disks', b, after);
  }

  private onClient(event: { readonly type: string; readonly f: string; readonly value: readonly (readonly unknown[])[] }): void {
    if (event.f !== 'send' || event.type !== 'ok') return;
    for (const op of event.value) {
      const result = op[2];
      if (!Array.isArray(result)) continue;
      const [offset, value] = result as [number | null, string];
      if (offset !== null) this.recordAck(value, offset);
    }
  }

  private recordAck(value: string, offset: number): void {
    const previous = this.ghost.acked.find((a) => a.value === value);
    if (previous !== undefined && previous.offset !== offset) {
      this.ghost = { ...this.ghost, ackConflicts: [...this.ghost.ackConflicts, { value, offsets: [previous.offset, offset] }] };
      return;
    }
    if (previous !== undefined) return;
    const acked = sortSmall([...this.ghost.acked, { value, offset, depth: this.base.depth + 1 }], (a, b) => a.offset - b.offset || (a.value < b.value ? -1 : 1));
    this.ghost = { ...this.ghost, acked };
    this.events.push('some-write-acked');
  }

  private machineAt(node: string): AnyStateMachine | undefined {
    if (node === CONTROLLER_NODE) return this.machines.controller;
    if (node === PRODUCER_NODE) return this.machines.producer;
    return brokerOf(node) >= 0 ? this.machines.replica : undefined;
  }

  snapshotAt(node: string): Snapshot | null {
    if (node === CONTROLLER_NODE) return this.controller;
    if (node === PRODUCER_NODE) return this.producer;
    const b = brokerOf(node);
    assert(b >= 0, `unknown node ${node}`);
    return this.replicas[b] ?? null;
  }

  private setSnapshot(node: string, snapshot: Snapshot): void {
    if (node === CONTROLLER_NODE) this.controller = snapshot;
    else if (node === PRODUCER_NODE) this.producer = snapshot;
    else this.set('replicas', brokerOf(node), snapshot);
  }

  /** Remove a crashed broker's machine, its timers and the messages addressed to it. */
  crash(b: number): void {
    const node = brokerNode(b);
    this.set('replicas', b, null);
    this.timers = this.timers.filter((t) => t.node !== node);
    this.network = this.network.filter((e) => e.to !== node);
  }

  /** Write entry `b` of a copy-on-write array (the first write copies it). */
  set<K extends 'replicas' | 'disks' | 'incarnations' | 'restarts' | 'clocks'>(array: K, b: number, value: Draft[K][number]): void {
    if (this[array][b] === value) return;
    const copy = [...this[array]] as Draft[K][number][];
    copy[b] = value;
    (this as { [key in K]: readonly Draft[K][number][] })[array] = copy;
  }

  spend(fault: keyof Budget): void {
    this.used = { ...this.used, [fault]: this.used[fault] + 1 };
  }
}

export interface Memo {
  readonly snapshot: Snapshot;
  readonly effects: readonly Effect[];
}

type MemoTable = WeakMap<object, WeakMap<object, Map<number, Memo>>>;

/**
 * The memo, in two generations. A memoized result holds its successor snapshot strongly,
 * and that snapshot is itself a key of the memo, so one table would keep every snapshot
 * ever computed from a live one alive: about 380 bytes per state in a depth-first search,
 * where no world outlives its path. So entries go into `memo`, a hit in `olderMemo` is
 * moved back into it, and every `MEMO_GENERATION` new entries the older table is
 * dropped.
 */
let memo: MemoTable = new WeakMap();
let olderMemo: MemoTable = new WeakMap();
let memoEntries = 0;
const MEMO_GENERATION = 1 << 17;

function memoFor(snapshot: Snapshot): WeakMap<object, Map<number, Memo>> {
  let bySource = memo.get(snapshot);
  if (bySource !== undefined) return bySource;
  bySource = olderMemo.get(snapshot) ?? new WeakMap();
  memo.set(snapshot, bySource);
  return bySource;
}

/** `step(machine, snapshot, {...source, nowMs})`, computed once per (snapshot, source, clock) (see `deliverFrom`). */
export function memoStep(machine: AnyStateMachine, snapshot: Snapshot, source: object, nowMs: number): Memo {
  const bySource = memoFor(snapshot);
  let byClock = bySource.get(source);
  if (byClock === undefined) {
    byClock = new Map();
    bySource.set(source, byClock);
  }
  let result = byClock.get(nowMs);
  if (result === undefined) {
    const stepped = step(machine, snapshot as never, { ...source, nowMs } as never);
    result = { snapshot: stepped.snapshot as unknown as Snapshot, effects: stepped.effects };
    byClock.set(nowMs, result);
    if (++memoEntries >= MEMO_GENERATION) {
      olderMemo = memo;
      memo = new WeakMap();
      memoEntries = 0;
    }
  }
  return result;
}

/**
 * Timers in canonical order: by node, then id, comparing a trailing correlation id as a
 * number (`request/9` before `request/10`), so that renaming ids by rank keeps the order.
 */
export function compareTimers(a: PendingTimer, b: PendingTimer): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  if (a.id === b.id) return 0;
  const x = timerId(a.id);
  const y = timerId(b.id);
  if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
  return x.n - y.n;
}

const timerIds = new Map<string, { kind: string; n: number }>();

function timerId(id: string): { kind: string; n: number } {
  let parsed = timerIds.get(id);
  if (parsed === undefined) {
    const m = /^(.*?)(\d*)$/.exec(id) as RegExpExecArray;
    parsed = { kind: m[1] as string, n: Number(m[2] || -1) };
    timerIds.set(id, parsed);
  }
  return parsed;
}

/** `next` itself, or `base` when they hold the same elements (the frontier's worlds share unchanged arrays). */
function same<T>(next: T[], base: readonly T[]): readonly T[] {
  if (next.length !== base.length) return next;
  for (let i = 0; i < next.length; i++) if (next[i] !== base[i]) return next;
  return base;
}

/** Index of the first message on the link from → to (its head), or -1. */
export function headOf(network: readonly Envelope[], from: string, to: string): number {
  return network.findIndex((e) => e.from === from && e.to === to);
}

export interface Link {
  readonly from: string;
  readonly to: string;
  /** `from>to`, the link's name in keys. */
  readonly name: string;
}

const linkNames = new Map<string, Map<string, Link>>();

/** The one `Link` object for from → to. */
export function linkOf(from: string, to: string): Link {
  let byTo = linkNames.get(from);
  if (byTo === undefined) {
    byTo = new Map();
    linkNames.set(from, byTo);
  }
  let link = byTo.get(to);
  if (link === undefined) {
    link = { from, to, name: `${from}>${to}` };
    byTo.set(to, link);
  }
  return link;
}

/**
 * The network in canonical order: by link name, FIFO within a link (a stable insertion
 * sort: networks hold a handful of messages). Only the order within a link means anything
 * (the head is the next delivered), so every frozen world keeps its network this way and
 * keys read the links' messages off it in one pass.
 */
function byLink(network: Envelope[]): Envelope[] {
  for (let i = 1; i < network.length; i++) {
    const e = network[i] as Envelope;
    let j = i - 1;
    while (j >= 0 && (network[j] as Envelope).link.name > e.link.name) {
      network[j + 1] = network[j] as Envelope;
      j--;
    }
    network[j + 1] = e;
  }
  return network;
}

/** The links with messages, in canonical order (a frozen world's network is sorted by link). */
export function links(network: readonly Envelope[]): readonly Link[] {
  const out: Link[] = [];
  for (const e of network) if (!out.includes(e.link)) out.push(e.link);
  return sortSmall(out, (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Transactions explorer counterexamples replayed in the exactly-once simulator
 * (`kafka-oracle replay --trace FILE --in sim` for a trace whose model is `transactions`).
 * The explorer (model/explore/txn) names every action exactly; this driver builds the EOS
 * world with the trace's configuration (models/transactions.ts `transactionsConfig`:
 * variant, transaction.version, retries; trace-host.ts places its partitions and clients),
 * boots it to the explorer's initial state and checks that it did, then takes each action as
 * the simulator event that is the same machine step, judging every state (trace-judge.ts).
 *
 * - `init {incarnation}`, `send {incarnation, partition}`, `commit`, `abort`: the
 *   application's call on that producer (InitTransactions; BeginTransaction when ready, then
 *   Send of the value the explorer names; CommitTransaction; AbortTransaction), when the
 *   producer's phase allows it as the explorer's guard does.
 * - `deliver {from, to, response}`: the head of that link (trace-network.ts), at its
 *   arrival time.
 * - `fire {node, id}`: the node's pending timer of that name, at its deadline; a timeout
 *   racing its request or answer (actions.ts `timerKind`) spends the `timeouts` budget. A
 *   producer's timer moves the clock past its retry backoffs, as the explorer's producer
 *   clock jumps (src/sim/trace-clock.ts).
 * - `drop`, `duplicate`, `reorder {index}`: the message the step's text names, at `index`
 *   in send order; a duplicate's copy is last; a reorder delivers it ahead of its link's head.
 * - `failover`: trace-failover.ts.
 *
 * After every step, as the explorer's host does within it: Metadata and FindCoordinator
 * are answered at once (Metadata by the partition's leader: see `roundTrip`), the
 * coordinator's write to `__transaction_state` and its answer are delivered at once (the
 * explorer's atomic durable append), and messages to a broker that is down are lost.
 * Message latencies are the simulator's smallest, so time moves only as far as each event
 * needs.
 *
 * Each step checks that its event exists: the message on the named link and with the text
 * the step names (fields that differ are reported, not refused: a twin trace carries
 * another variant's values; a named message further down its link is refused), the timer on
 * the node, the producer in the phase the explorer's guard requires, the fault within the
 * trace's budget. A step without a faithful counterpart stops the replay with one line:
 * `FILE: step N (TEXT) does not apply in the simulator: REASON`.
 */
import { InputError } from '../../core/assert.ts';
import type { EosLedger } from '../../../model/eos/ledger.ts';
import type { TxnProducerContext } from '../../machines/txn-producer.ts';
import { formatConfig } from '../../protocol/config.ts';
import { TRANSACTION_STATE_TOPIC } from '../../protocol/txn-messages.ts';
import { type TransactionsBounds, transactionsConfig } from '../../../model/explore/models/transactions.ts';
import { type TxnAction, timerKind } from '../../../model/explore/txn/actions.ts';
import { type Link, NO_TXN_FAULTS, TOPIC, type TxnBudget, incarnationOfNode, producerNode } from '../../../model/explore/txn/world.ts';
import type { Timer } from '../timers.ts';
import { backoffChangesStep, producerJump } from '../trace-clock.ts';
import { brokerName } from '../roles.ts';
import { type TxnTraceFile, txnTraceBounds, validateTxnTrace } from './trace-file.ts';
import { failOver } from './trace-failover.ts';
import { INERT_TIMERS, bootDifferences, bootTraceWorld, buildTraceWorld, describeTxnCluster, explorerSlot } from './trace-host.ts';
import { type JudgedViolation, TxnTraceJudge } from './trace-judge.ts';
import { type InFlight, type SimEnvelope, TxnTraceNetwork, isLost } from './trace-network.ts';
import type { EosWorld, TimerPayload } from './world.ts';

export interface TxnSimReplayOutcome {
  readonly lines: string[];
  /** The first invariant the simulator saw violated, and the trace step it happened in. */
  readonly violation?: JudgedViolation;
  /** Every invariant violated, the first time each was, in the order found. */
  readonly violations: readonly JudgedViolation[];
  /** The EOS judge's ghost: the ideal reader's reads (as the verifier's), the LSOs exposed. */
  readonly ledger: EosLedger;
  /** Where the simulator's messages differ from what the trace's text names (`step N: ...`); empty when it took the explorer's path message for message. */
  readonly divergences: readonly string[];
  readonly world: EosWorld;
}

/** Replay a transactions explorer trace (`kafka-oracle explore --model transactions --trace FILE`) in the EOS simulator. */
export function replayTxnTraceInSim(data: unknown, file: string): TxnSimReplayOutcome {
  return new TxnTraceDriver(validateTxnTrace(data, file), file).run();
}

/** Requests the explorer's host answers in the step that sends them (model/explore/txn/world.ts). */
function isImmediate(e: SimEnvelope): boolean {
  const m = e.message;
  return m.type === 'Metadata' || m.type === 'FindCoordinator' || (m.type === 'Produce' && m.topic === TRANSACTION_STATE_TOPIC);
}

const FAULT_BUDGET = { drop: 'drops', duplicate: 'duplicates', reorder: 'reorders' } as const;

/** One replay. Its world, network view, judge and checks are shared with trace-failover.ts, which takes the `failover` step. */
export class TxnTraceDriver {
  readonly world: EosWorld;
  readonly net: TxnTraceNetwork;
  readonly judge: TxnTraceJudge;
  readonly bounds: TransactionsBounds;
  private used: TxnBudget = NO_TXN_FAULTS;
  /** Simulator time of each producer's last explorer clock jump (its last timer). */
  private readonly jumpedAt = new Map<string, number>();
  private readonly divergences: string[] = [];
  private step = { index: 0, text: '' };
  private notesShown = 0;

  constructor(
    private readonly trace: TxnTraceFile,
    private readonly file: string,
  ) {
    this.bounds = txnTraceBounds(trace);
    this.world = buildTraceWorld(transactionsConfig(this.bounds, { variant: trace.variant, transactionVersion: trace.transactionVersion }));
    this.net = new TxnTraceNetwork(this.world);
    this.judge = new TxnTraceJudge(this.world, this.bounds, () => this.world.network.pending().map((e) => this.net.named(e)));
  }

  run(): TxnSimReplayOutcome {
    const lines = [...this.header(), this.boot()];
    this.world.observer = () => this.judge.judge();
    this.judge.judge();
    this.trace.steps.forEach((s, i) => {
      this.step = { index: i + 1, text: s.text };
      this.world.stepIndex = i + 1;
      this.apply(s.action);
      this.afterStep();
      lines.push(`  ${String(i + 1).padStart(2)}. ${s.text}   [${this.world.now()} ms]`, ...this.newNotes());
    });
    this.world.observer = undefined;
    return this.outcome(lines);
  }

  private header(): string[] {
    const t = this.trace;
    return [`replay ${this.file} in the simulator: transactions | variant ${t.variant ?? 'none'} | transaction.version ${t.transactionVersion} | ${t.steps.length} steps`, `config: ${formatConfig(this.world.options.config)}`];
  }

  /** Boot and check that the simulator is in the explorer's initial state. */
  private boot(): string {
    if (!bootTraceWorld(this.world, this.bounds)) throw new InputError(`${this.file}: the simulator's cluster does not settle at boot`);
    const differences = bootDifferences(this.world, this.bounds);
    if (differences.length > 0) throw new InputError(`${this.file}: the simulator does not boot to the explorer's initial state: ${differences.join('; ')}`);
    this.notesShown = this.world.trace.length;
    return `boot: settled as the explorer's initial state (producer-a initialized)   [${this.world.now()} ms]`;
  }

  private outcome(lines: string[]): TxnSimReplayOutcome {
    lines.push(`at the end   [${this.world.now()} ms]:`, ...describeTxnCluster(this.world, this.bounds).map((line) => `  ${line}`));
    const { divergences, world } = this;
    const { violations, ledger } = this.judge;
    if (divergences.length > 0) lines.push(`${divergences.length} differences from the trace's text (the simulator's messages are not the explorer's there):`, ...divergences.map((d) => `  ${d}`));
    const first = violations[0];
    if (first === undefined) {
      lines.push('the violation does not reproduce in the simulator: every invariant held');
      return { lines, violations, ledger, divergences, world };
    }
    const named = first.invariant === this.trace.invariant ? '' : ` (the explorer's trace names ${this.trace.invariant})`;
    lines.push(`VIOLATED ${first.invariant} at step ${first.step} in the simulator${named}: ${first.witness}`);
    return { lines, violation: first, violations, ledger, divergences, world };
  }

  private newNotes(): string[] {
    const notes = this.world.trace.slice(this.notesShown).map((t) => `      ${t.text}`);
    this.notesShown = this.world.trace.length;
    return notes;
  }

  // ---- the actions -----------------------------------------------------------------------------

  private apply(action: TxnAction): void {
    switch (action.kind) {
      case 'init':
        return this.init(action.incarnation);
      case 'send':
        return this.send(action.incarnation, action.partition);
      case 'commit':
      case 'abort':
        return this.end(action.incarnation, action.kind);
      case 'deliver':
        return this.deliverHead(action, this.named('deliver'));
      case 'fire':
        return this.fire(action.node, action.id);
      case 'drop':
      case 'duplicate':
      case 'reorder':
        return this.messageFault(action.kind, action.index, this.named(action.kind));
      case 'failover':
        this.spend('failovers');
        return failOver(this);
    }
  }

  private init(i: number): void {
    const c = this.producer(i);
    if (c.phase !== 'uninitialized') this.refuse(`${producerNode(i)} is ${c.phase}: initTransactions is a new incarnation's first call`);
    this.call(producerNode(i), { type: 'InitTransactions' });
  }

  /** beginTransaction when ready, then send the transaction's next value to the partition (actions.ts `sendRecord`). */
  private send(i: number, partition: number): void {
    if (partition < 0 || partition >= this.bounds.partitions) this.refuse(`no partition ${TOPIC}-${partition} within the trace's bounds`);
    const c = this.producer(i);
    const txn = this.judge.current(i);
    const canBegin = c.phase === 'ready' && this.judge.begun(i) < this.bounds.transactions;
    const canSend = c.phase === 'inTransaction' && txn !== undefined && txn.sends.length < this.bounds.records;
    if (!canBegin && !canSend) this.refuse(`${producerNode(i)} is ${c.phase} with ${this.judge.begun(i)} transactions begun: it cannot send within the trace's bounds`);
    const node = producerNode(i);
    if (canBegin) {
      this.judge.begin(i);
      this.call(node, { type: 'BeginTransaction' });
    }
    const value = this.judge.send(i, partition);
    if (!this.step.text.includes(`send ${value} to ${TOPIC}-${partition}`)) this.diverge(`the application sends ${value} to ${TOPIC}-${partition}`);
    this.call(node, { type: 'Send', process: node, topic: TOPIC, partition, value });
  }

  /** commitTransaction, abortTransaction: when the explorer's guard allows them (actions.ts `applicationActions`). */
  private end(i: number, kind: 'commit' | 'abort'): void {
    const c = this.producer(i);
    const txn = this.judge.current(i);
    const hasSends = txn !== undefined && txn.status === 'open' && txn.sends.length > 0;
    const abortable = c.phase === 'abortableError' && (txn?.status === 'open' || txn?.status === 'committing');
    const allowed = (c.phase === 'inTransaction' && hasSends) || (kind === 'abort' && abortable);
    if (!allowed) this.refuse(`${producerNode(i)} is ${c.phase}${txn === undefined ? '' : ` with its transaction ${txn.status}`}: the application cannot ${kind} now`);
    this.judge.ending(i, kind);
    this.call(producerNode(i), { type: kind === 'commit' ? 'CommitTransaction' : 'AbortTransaction' });
  }

  private deliverHead(link: Link, expected: string): void {
    const head = this.net.head(link);
    const name = `${link.from}→${link.to}${link.response ? ' (answers)' : ''}`;
    if (head === undefined) this.refuse(`nothing is in flight on ${name}`);
    if (isLost(head)) this.refuse(`the explorer's head of ${name} is ${this.net.text(head)}, ${TxnTraceNetwork.why(head)}`);
    this.expectNamed(expected, head);
    this.deliver(head);
  }

  private fire(node: string, id: string): void {
    const slot = explorerSlot(node, this.bounds);
    if (slot === undefined) this.refuse(`the explorer hosts no machine at ${node}`);
    if (INERT_TIMERS.has(id)) this.refuse(`the explorer keeps no ${id} timer (inert under its configuration)`);
    const timer = this.timerOf(node, slot, id);
    if (timer === undefined) this.refuse(`no timer ${id} is pending on ${node}`);
    const racing = this.racing(node, slot, timer);
    if (racing) this.spend('timeouts');
    if (racing !== this.step.text.endsWith('(racing its answer)')) this.diverge(`the timer ${racing ? 'races' : 'does not race'} its request or answer in the simulator`);
    let at = Math.max(this.world.now(), timer.deadlineMs);
    const producer = incarnationOfNode(node) >= 0 ? (this.world.clients.get(node)?.context as TxnProducerContext | undefined) : undefined;
    if (producer !== undefined) {
      at = producerJump(producer.sender, at);
      this.jumpedAt.set(node, at);
    }
    this.world.fireTimerAt(timer.id, at);
  }

  /** Whether the timer races its request or answer in the explorer's terms (actions.ts `timerKind`). */
  private racing(node: string, slot: string, timer: Timer<TimerPayload>): boolean {
    const world = this.judge.adapter();
    if (world === undefined) this.refuse('broker-0 is down');
    const id = timer.id.slice(`${node}/${slot}:`.length);
    return timerKind({ ...world, network: this.net.explorerEnvelopes() }, { node, id, event: timer.payload.event }) === 'racing';
  }

  private messageFault(kind: 'drop' | 'duplicate' | 'reorder', index: number, expected: string): void {
    const e = this.namedAt(index, expected, kind === 'reorder');
    this.spend(FAULT_BUDGET[kind]);
    if (kind === 'reorder') return this.deliver(e, 'out of order');
    if (kind === 'drop') this.world.network.drop(e.id);
    else this.world.network.duplicate(e.id, 0);
    this.world.note(`${kind} ${this.net.text(e)}${kind === 'duplicate' ? ' (the copy is last in send order)' : ''}`);
  }

  /**
   * The message a drop, duplicate or reorder takes (not its link's head, for a reorder): the
   * one at the explorer's `index` if it is the one the text names; else the first with the
   * text; else the one at `index` if only its fields differ (noted).
   */
  private namedAt(index: number, expected: string, behindHead: boolean): SimEnvelope {
    const order = this.net.inExplorerOrder();
    const atIndex = order[index];
    if (atIndex !== undefined && isLost(atIndex) && this.net.text(atIndex) === expected) this.refuse(`the explorer's #${index} is ${expected}, ${TxnTraceNetwork.why(atIndex)}`);
    const candidates = order.filter((e): e is SimEnvelope => !isLost(e) && linkAndType(this.net.text(e)) === linkAndType(expected) && (!behindHead || this.net.head(this.net.linkOf(e)) !== e));
    const exact = candidates.filter((e) => this.net.text(e) === expected);
    if (atIndex !== undefined && !isLost(atIndex) && exact.includes(atIndex)) return atIndex;
    if (exact[0] !== undefined) return exact[0];
    if (atIndex === undefined || isLost(atIndex) || !candidates.includes(atIndex)) this.refuse(`no ${expected} is in flight${behindHead ? ' behind the head of its link' : ''}`);
    this.diverge(`${this.net.text(atIndex)} (the trace's ${expected})`);
    return atIndex;
  }

  // ---- the host's part of every step -------------------------------------------------------------

  afterStep(): void {
    for (let e = this.world.network.pending().find(isImmediate); e !== undefined; e = this.world.network.pending().find(isImmediate)) this.roundTrip(e);
    for (const e of this.world.network.pending().filter((x) => this.isDownBroker(x.to))) {
      this.world.network.drop(e.id);
      this.world.note(`lost ${this.net.text(e)}: ${e.to} is down`);
    }
    this.judge.judge();
  }

  /**
   * A request the explorer's host answers within the step, delivered with its answer. Kafka
   * answers Metadata from any broker's metadata cache; the simulator's replica machine
   * answers it only where it is a replica, which with replication factor 1 is the leader
   * alone, so a Metadata goes to the partition's leader (what every cache names; the
   * explorer answers from the static topology: leader broker-(p+1), epoch 0).
   */
  private roundTrip(e: SimEnvelope): void {
    const request = e.message.type === 'Metadata' ? this.toLeader(e) : e;
    const before = new Set(this.world.network.pending().map((x) => x.id));
    this.deliver(request, 'at once');
    const correlationId = (request.message as { correlationId: number }).correlationId;
    const answer = this.world.network.pending().find((x) => !before.has(x.id) && x.from === request.to && x.to === request.from && x.message.type === `${request.message.type}Response` && (x.message as { correlationId: number }).correlationId === correlationId);
    if (answer !== undefined) this.deliver(answer, 'at once');
  }

  private toLeader(e: SimEnvelope): SimEnvelope {
    const m = e.message as { topic: string; partition: number };
    const leader = this.world.leaderOf({ topic: m.topic, partition: m.partition });
    if (leader < 0 || e.to === brokerName(leader)) return e;
    this.world.network.drop(e.id);
    const copy = this.world.network.send(e.from, brokerName(leader), e.message, this.world.now());
    if (copy === undefined) this.refuse(`the link ${e.from}→${brokerName(leader)} is cut`);
    this.world.note(`${e.from}'s Metadata ${m.topic}-${m.partition} goes to its leader ${brokerName(leader)} (a broker's metadata cache names it)`);
    return copy;
  }

  /** Deliver `e` (a producer first checks the explorer's clock would take the same step). */
  deliver(e: SimEnvelope, how = ''): void {
    this.checkBackoff(e.to, e.message, Math.max(this.world.now(), e.deliverAt));
    this.world.deliverInFlight(e.id, how);
  }

  private call(node: string, event: { readonly type: string } & Record<string, unknown>): void {
    this.checkBackoff(node, event, this.world.now());
    this.world.call(node, event);
  }

  // ---- checks and lookups ------------------------------------------------------------------------

  /** The step takes `e`: it must be on the link and of the type the text names; other differences are noted. */
  private expectNamed(expected: string, e: InFlight): void {
    const actual = this.net.text(e);
    if (actual === expected) return;
    if (linkAndType(actual) !== linkAndType(expected)) this.refuse(`the trace names ${expected}, the simulator has ${actual} there`);
    const link = this.net.onLink(this.net.linkOf(e));
    if (link.slice(link.indexOf(e) + 1).some((x) => this.net.text(x) === expected)) this.refuse(`the trace names ${expected}, which is behind ${actual} on its link`);
    this.diverge(`${actual} (the trace's ${expected})`);
  }

  /** The step text's part naming a message, after its verb (`deliver `, `drop `, ...). */
  private named(verb: string): string {
    const text = this.step.text;
    if (!text.startsWith(`${verb} `)) this.refuse(`its text does not ${verb} a message`);
    return text.slice(verb.length + 1);
  }

  diverge(text: string): void {
    this.divergences.push(`step ${this.step.index}: ${text}`);
    this.world.note(`differs from the trace's text: ${text}`);
  }

  private checkBackoff(node: string, event: object, atMs: number): void {
    const hosted = incarnationOfNode(node) >= 0 ? this.world.clients.get(node) : undefined;
    if (hosted === undefined) return;
    const why = backoffChangesStep(hosted, event, atMs, this.jumpedAt.get(node) ?? -Infinity, (hosted.context as TxnProducerContext).sender);
    if (why !== undefined) this.refuse(why);
  }

  /** The node's pending timer `id` in `slot`; a correlation-numbered id (`request/7`) matches the node's one timer of that kind. */
  private timerOf(node: string, slot: string, id: string): Timer<TimerPayload> | undefined {
    const prefix = `${node}/${slot}:`;
    const mine = this.world.clock.pending().filter((t) => t.id.startsWith(prefix));
    const exact = mine.find((t) => t.id === prefix + id);
    const kind = numberedKind(id);
    if (exact !== undefined || kind === undefined) return exact;
    const same = mine.filter((t) => numberedKind(t.id.slice(prefix.length)) === kind);
    return same.length === 1 ? same[0] : undefined;
  }

  private producer(i: number): TxnProducerContext {
    const c = i >= 0 && i < this.bounds.incarnations ? (this.world.clients.get(producerNode(i))?.context as TxnProducerContext | undefined) : undefined;
    if (c === undefined) this.refuse(`no incarnation ${i} within the trace's bounds`);
    return c;
  }

  isDownBroker(node: string): boolean {
    const match = /^broker-(\d+)$/.exec(node);
    return match !== null && !this.world.isUp(Number(match[1]));
  }

  /** Count a fault against the trace's budget (the explorer enables a fault only within it). */
  private spend(fault: keyof TxnBudget): void {
    if (this.used[fault] >= this.bounds.budget[fault]) this.refuse(`the trace's ${fault} budget (${this.bounds.budget[fault]}) is spent`);
    this.used = { ...this.used, [fault]: this.used[fault] + 1 };
  }

  refuse(reason: string): never {
    throw new InputError(`${this.file}: step ${this.step.index} (${this.step.text}) does not apply in the simulator: ${reason}`);
  }
}

/** `from→to Type` of a message's text. */
function linkAndType(text: string): string {
  return /^\S+→\S+ \S+/.exec(text)?.[0] ?? text;
}

/** `request/12` → `request/`; undefined for an id without a trailing number. */
function numberedKind(id: string): string | undefined {
  return /^(.*?)\d+$/.exec(id)?.[1];
}

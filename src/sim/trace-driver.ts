/**
 * Explorer counterexamples replayed in the simulator (`kafka-oracle replay --trace FILE
 * --in sim`). The explorer (model/explore) names every action exactly; this driver builds
 * the simulated world with the trace's configuration (models/replication.ts
 * `replicationConfig`) over the real segment-file storage, and takes each action as the
 * simulator event that is the same machine step, judging every state with the simulator's
 * invariants (runner.ts `judgeEveryStep`, after every machine step).
 *
 * - Boot: every message is delivered in send order until none is in flight, no timer
 *   fired (the explorer's settled initial state, which it is then compared with).
 * - `send`: the application hands the producer the next value.
 * - `deliver {from, to}`: the head of that link (the first in send order), at its arrival
 *   time. Fetch, OffsetsForLeaderEpoch and Metadata are round trips, as in the explorer:
 *   the answer is delivered right after (`loseAnswer`: dropped instead).
 * - `fire {node, id, late}`: the node's pending timer of that name, at its deadline. A
 *   `late` ISR check first moves the clock past replica.lag.time.max.ms (and
 *   request.timeout.ms); a producer timer moves it past every retry backoff (trace-clock.ts).
 * - `drop`, `duplicate`, `reorder {index}`: the message the step's text names, at `index`
 *   in the explorer's network order (by link name, send order within a link).
 * - `expire {broker}`: the clock moves past broker.session.timeout.ms, every other live
 *   registered broker's lifecycle machine heartbeats (the controller's repeated pushes on
 *   those heartbeats are dropped, as the explorer drops them), the controller's
 *   SessionCheckTimer fires. `rejoin`: the broker's lifecycle machine heartbeats.
 * - `crash`, `power-loss {cut}`, `restart`: the simulator's process crash, a power loss
 *   whose surviving unsynced writes recover to exactly the records below `cut`
 *   (power-loss-cut.ts), and a restart through Kafka's recovery.
 *
 * After every step, as the explorer has it: the controller's answers to the lifecycle
 * machines are delivered at once (the explorer hosts no lifecycle machine; Kafka's
 * BrokerLifecycleManager has its own channel), messages to a broker that is down are lost
 * (no connection), and under the `quiet-pushes` reduction its eager deliveries follow.
 * Message latencies are the simulator's smallest, so time moves only as far as each event
 * needs.
 *
 * Each step checks that its event exists in the simulator: the message on the named link
 * and of the type its text names (trace-messages.ts; fields that differ from the text are
 * reported, not refused: a twin trace carries another variant's values), the timer on the
 * node, the broker in the state the explorer's guard requires, the fault within the
 * trace's budget. Where the simulator has no faithful counterpart (a crashed broker's
 * messages in flight, trace-network.ts; a timed decision its one clock would take
 * otherwise, trace-clock.ts) the step is refused too. A refusal stops the replay with a
 * one-line error naming the step.
 */
import { InputError } from '../core/assert.ts';
import type { Chooser } from '../core/prng.ts';
import type { ControllerContext, BrokerState } from '../machines/controller.ts';
import { SESSION_CHECK_TIMER } from '../machines/controller.ts';
import type { ProducerContext } from '../machines/producer.ts';
import type { ReplicaContext } from '../machines/replica.ts';
import { formatConfig } from '../protocol/config.ts';
import { CONTROLLER } from '../protocol/messages.ts';
import { type Action, RACING_TIMERS, ROUND_TRIPS } from '../../model/explore/actions.ts';
import { replicationConfig, type ReplicationBounds } from '../../model/explore/models/replication.ts';
import { isQuietPush, reductionApplies } from '../../model/explore/reduction.ts';
import { type TraceFile, traceBounds, validateTrace } from '../../model/explore/replay.ts';
import { type Budget, NO_FAULTS, type Snapshot, linkOf } from '../../model/explore/world.ts';
import { machineRoles } from './machine-roles.ts';
import { PRODUCER, brokerName } from './roles.ts';
import { type Violation, judgeEveryStep } from './runner.ts';
import type { Timer } from './timers.ts';
import { backoffChangesStep, isrCheckLate, lateJump, producerJump } from './trace-clock.ts';
import { bootDifferences, settle } from './trace-boot.ts';
import { type NamedMessage, fieldDifferences, nameOf, parseNamed, sameMessage, splitStepText } from './trace-messages.ts';
import { type SimEnvelope, TraceNetwork, isGhost } from './trace-network.ts';
import { type TimerPayload, World } from './world.ts';

export interface SimReplayOutcome {
  readonly lines: string[];
  /** The first invariant the simulator saw violated, and the trace step it happened in. */
  readonly violation?: { readonly invariant: string; readonly witness: string; readonly step: number };
  /**
   * Where the simulator's messages differ from what the trace's text names (`step N: ...`):
   * a field's value, or the reduction's eager deliveries. Empty when the simulator took the
   * explorer's path message for message; a twin trace (another variant) has some.
   */
  readonly divergences: readonly string[];
  readonly world: World;
}

/** Replay an explorer trace (`kafka-oracle explore --trace FILE`) in the simulator. */
export function replayTraceInSim(data: unknown, file: string): SimReplayOutcome {
  const trace = validateTrace(data, file);
  checkShape(trace, file);
  return new TraceDriver(trace, file).run();
}

/** What the driver reads of a trace beyond `validateTrace`: whole-number bounds (at least one replica) and `{action, text}` steps. */
function checkShape(trace: TraceFile, file: string): void {
  const bounds = traceBounds(trace);
  const numbers: [string, unknown][] = [...Object.entries(bounds).filter(([k]) => k !== 'budget' && k !== 'idempotence'), ...Object.entries(bounds.budget).map(([k, v]): [string, unknown] => [`budget.${k}`, v])];
  for (const [key, value] of numbers) if (!Number.isInteger(value) || (value as number) < (key === 'replicas' ? 1 : 0)) throw new InputError(`${file}: bounds.${key} must be a whole number${key === 'replicas' ? ' ≥ 1' : ''}, not ${JSON.stringify(value)}`);
  trace.steps.forEach((step, i) => {
    const s = step as { action?: unknown; text?: unknown } | null;
    if (s === null || typeof s !== 'object' || typeof s.action !== 'object' || s.action === null || typeof s.text !== 'string') throw new InputError(`${file}: step ${i + 1} must be {"action": {...}, "text": "..."}`);
  });
}

/** Every message takes the simulator's smallest latency (world.ts LATENCY_MIN_MS). */
const SHORTEST_LATENCY: Chooser = { below: () => 0 };


/** The controller's answers to a broker's lifecycle machine (unhosted in the explorer). */
const LIFECYCLE_ANSWERS = new Set(['BrokerRegistrationResponse', 'BrokerHeartbeatResponse']);



class TraceDriver {
  readonly world: World;
  private readonly net: TraceNetwork;
  private readonly bounds: ReplicationBounds;
  private readonly violations: Violation[];
  private used: Budget = NO_FAULTS;
  /** Simulator time of each node's last explorer clock jump (see trace-clock.ts). */
  private readonly jumpedAt = new Map<string, number>();
  private readonly divergences: string[] = [];
  private step = { index: 0, text: '' };
  private notesShown = 0;

  constructor(
    private readonly trace: TraceFile,
    private readonly file: string,
  ) {
    this.bounds = traceBounds(trace);
    const { budget } = this.bounds;
    const faults = { name: 'explorer trace', maxSteps: trace.steps.length, processCrashes: budget.crashes, powerLosses: budget.powerLosses, isolations: 0, messageFaults: 0 };
    this.world = new World({ config: replicationConfig(this.bounds, trace.variant), budget: faults, roles: machineRoles, trace: true, latency: SHORTEST_LATENCY });
    this.net = new TraceNetwork(this.world.network);
    this.violations = judgeEveryStep(this.world);
  }

  run(): SimReplayOutcome {
    const lines = [...this.header(), ...this.boot()];
    this.trace.steps.forEach((s, i) => {
      this.step = { index: i + 1, text: s.text };
      this.world.stepIndex = i + 1;
      const { main, quiet } = splitStepText(s.text);
      this.apply(s.action, main);
      this.afterStep(quiet);
      lines.push(`  ${String(i + 1).padStart(2)}. ${s.text}   [${this.world.now()} ms]`, ...this.newNotes());
    });
    this.world.observer = undefined;
    return this.outcome(lines);
  }

  private header(): string[] {
    const reduction = this.trace.reduction ?? 'none';
    return [
      `replay ${this.file} in the simulator: replication | variant ${this.trace.variant ?? 'none'}${reduction === 'none' ? '' : ` | reduction ${reduction}`} | ${this.trace.steps.length} steps`,
      `config: ${formatConfig(this.world.options.config)}`,
    ];
  }

  /** Settle the booting cluster and check it is the explorer's initial state. */
  private boot(): string[] {
    if (!settle(this.world)) throw new InputError(`${this.file}: the simulator's cluster does not settle at boot`);
    const differences = bootDifferences(this.world, this.bounds, this.trace.variant);
    if (differences.length > 0) throw new InputError(`${this.file}: the simulator's cluster does not boot to the explorer's initial state: ${differences.join('; ')}`);
    this.notesShown = this.world.trace.length;
    return [`boot: settled as the explorer's initial state   [${this.world.now()} ms]`];
  }

  private outcome(lines: string[]): SimReplayOutcome {
    lines.push(`at the end   [${this.world.now()} ms]:`, ...this.world.describeCluster().map((line) => `  ${line}`));
    const first = this.violations[0];
    const { divergences, world } = this;
    if (divergences.length > 0) lines.push(`${divergences.length} differences from the trace's text (the simulator's messages are not the explorer's there):`, ...divergences.map((d) => `  ${d}`));
    if (first === undefined) {
      lines.push('the violation does not reproduce in the simulator: every invariant held');
      return { lines, divergences, world };
    }
    const named = first.invariant === this.trace.invariant ? '' : ` (the explorer's trace names ${this.trace.invariant})`;
    lines.push(`VIOLATED ${first.invariant} at step ${first.step} in the simulator${named}: ${first.witness}`);
    return { lines, violation: { invariant: first.invariant, witness: first.witness, step: first.step }, divergences, world };
  }

  private newNotes(): string[] {
    const notes = this.world.trace.slice(this.notesShown).map((t) => `      ${t.text}`);
    this.notesShown = this.world.trace.length;
    return notes;
  }

  /** Stop the replay: this step has no counterpart in the simulator. */
  private refuse(reason: string): never {
    throw new InputError(`${this.file}: step ${this.step.index} (${this.step.text}) does not apply in the simulator: ${reason}`);
  }

  // ---- one action ------------------------------------------------------------------------

  private apply(action: Action, main: string): void {
    switch (action.kind) {
      case 'send':
        this.world.clientSend();
        return;
      case 'deliver':
        return this.deliverHead(action.from, action.to, main, action.loseAnswer === true);
      case 'fire':
        return this.fire(action.node, action.id, action.late === true);
      case 'drop':
      case 'duplicate':
      case 'reorder':
        return this.messageFault(action.kind, action.index, main);
      case 'expire':
        return this.expire(this.brokerArg(action.broker));
      case 'rejoin':
        return this.rejoin(this.brokerArg(action.broker));
      case 'crash':
        return this.crash(this.brokerArg(action.broker));
      case 'power-loss':
        return this.powerLoss(this.brokerArg(action.broker), action.cut);
      case 'restart':
        return this.restart(this.brokerArg(action.broker));
      default:
        return this.refuse(`unknown action ${JSON.stringify(action)}`);
    }
  }

  /**
   * The in-flight message a drop, duplicate or reorder takes (not its link's head, for a
   * reorder): the one at the explorer's `index` (its network order) if it is the message
   * the text names; else the first on that link with the named type and fields; else the
   * one at `index` if only its fields differ (noted).
   */
  private namedInFlight(main: string, index: number, behindHead: boolean): SimEnvelope {
    const expected = parseNamed(main);
    if (expected === undefined) this.refuse('its text names no message');
    const atIndex = this.net.inExplorerOrder()[index];
    if (atIndex !== undefined && isGhost(atIndex) && sameMessage(expected, atIndex.named)) this.refuse(`the explorer's #${index} is ${atIndex.named.text}, ${TraceNetwork.lost(atIndex)}`);
    const named = (e: SimEnvelope): NamedMessage => nameOf(e.from, e.to, e.message);
    const link = this.net.link(expected.from, expected.to);
    const candidates = (behindHead ? link.slice(1) : link).filter((e): e is SimEnvelope => !isGhost(e) && sameMessage(expected, named(e)));
    const exact = candidates.filter((e) => fieldDifferences(expected, named(e)).length === 0);
    if (atIndex !== undefined && !isGhost(atIndex) && exact.includes(atIndex)) return atIndex;
    if (exact[0] !== undefined) return exact[0];
    if (atIndex === undefined || isGhost(atIndex) || !candidates.includes(atIndex)) this.refuse(`no ${expected.text} is in flight${behindHead ? ' behind the head of its link' : ''}`);
    this.expectNamed(main, atIndex);
    return atIndex;
  }

  private deliverHead(from: string, to: string, main: string, loseAnswer: boolean): void {
    const head = this.net.link(from, to)[0];
    if (head === undefined) this.refuse(`nothing is in flight on ${from}→${to}`);
    if (isGhost(head)) this.refuse(`the explorer's head of ${from}→${to} is ${head.named.text}, ${TraceNetwork.lost(head)}`);
    this.expectNamed(main, head);
    if (loseAnswer && ROUND_TRIPS[head.message.type] === undefined) this.refuse(`only a round trip's answer can be lost, and ${head.message.type} is not one`);
    if (loseAnswer) this.spend('drops');
    this.deliverRoundTrip(head, loseAnswer);
  }

  /** Deliver `envelope`; a round trip's answer follows at once (or is lost). */
  private deliverRoundTrip(envelope: SimEnvelope, loseAnswer: boolean, how = ''): void {
    this.checkBackoff(envelope);
    const before = this.net.ids();
    this.world.deliverInFlight(envelope.id, how);
    const answerType = ROUND_TRIPS[envelope.message.type];
    if (answerType === undefined) return;
    const answer = this.world.network.pending().find((e) => !before.has(e.id) && e.from === envelope.to && e.to === envelope.from && e.message.type === answerType);
    if (answer === undefined) return;
    if (loseAnswer) {
      this.world.network.drop(answer.id);
      this.world.note(`answer lost: ${nameOf(answer.from, answer.to, answer.message).text}`);
      return;
    }
    this.checkBackoff(answer);
    this.world.note(`answer ${nameOf(answer.from, answer.to, answer.message).text}`);
    this.world.deliverInFlight(answer.id);
  }

  private fire(node: string, id: string, late: boolean): void {
    const timer = this.timerOf(node, id);
    if (timer === undefined) this.refuse(`no timer ${id} is pending on ${node}`);
    let at = Math.max(this.world.now(), timer.deadlineMs);
    const isrCheck = timer.payload.event.type === 'IsrCheckTimer';
    if (late && !isrCheck) this.refuse(`only a leader's ISR check fires late, and ${id} is a ${timer.payload.event.type}`);
    if (RACING_TIMERS.has(timer.payload.event.type)) this.spend('timeouts');
    if (late) {
      this.spend('lags');
      at = Math.max(at, this.world.now() + lateJump(this.world.options.config));
      this.jumpedAt.set(node, at);
    } else if (isrCheck) {
      const replica = this.world.hostedAt(node, 'main')?.context as ReplicaContext;
      const why = isrCheckLate(replica, at, this.jumpedAt.get(node) ?? -Infinity);
      if (why !== undefined) this.refuse(why);
    }
    if (node === PRODUCER) {
      at = producerJump(this.producer(), at);
      this.jumpedAt.set(PRODUCER, at);
    }
    this.world.fireTimerAt(timer.id, at);
  }

  private messageFault(kind: 'drop' | 'duplicate' | 'reorder', index: number, main: string): void {
    const e = this.namedInFlight(main, index, kind === 'reorder');
    this.spend(kind === 'drop' ? 'drops' : kind === 'duplicate' ? 'duplicates' : 'reorders');
    if (kind === 'reorder') return this.deliverRoundTrip(e, false, 'out of order');
    if (kind === 'drop') this.world.network.drop(e.id);
    else this.world.network.duplicate(e.id, 0);
    this.world.note(`${kind} ${nameOf(e.from, e.to, e.message).text}${kind === 'duplicate' ? ' (the copy is last on its link)' : ''}`);
  }

  private expire(b: number): void {
    const registered = this.registered(b);
    if (registered === undefined || registered.fenced) this.refuse(`the controller holds no live session of broker-${b}`);
    this.spend('expirations');
    const others = this.controller().brokers.filter((x) => x.brokerId !== b && !x.fenced && this.runs(x));
    this.world.clock.advanceTo(this.world.now() + this.world.options.config['broker.session.timeout.ms'] + 1);
    this.jumpedAt.set(CONTROLLER, this.world.now());
    for (const other of others) this.heartbeat(other.brokerId, true);
    const check = this.timerWhere((t) => t.payload.node === CONTROLLER && t.payload.id === SESSION_CHECK_TIMER);
    if (check === undefined) this.refuse('the controller has no session check pending');
    this.world.fireTimerAt(check.id, this.world.now());
  }

  private rejoin(b: number): void {
    const registered = this.registered(b);
    if (registered === undefined || !registered.fenced || !this.runs(registered)) this.refuse(`broker-${b} is not a running broker whose session the controller fenced`);
    this.heartbeat(b, false);
  }

  /**
   * Broker b's lifecycle machine heartbeats and the controller answers it. `quiet`: the
   * pushes the controller sends on it repeat what it sent before and are dropped, as the
   * explorer's `expire` drops them.
   */
  private heartbeat(b: number, quiet: boolean): void {
    const node = brokerName(b);
    const lifecycle = this.world.hostedAt(node, 'lifecycle');
    const timer = this.timerWhere((t) => t.payload.node === node && t.payload.slot === 'lifecycle');
    if (lifecycle === undefined || (lifecycle.snapshot as { value: unknown }).value !== 'running' || timer === undefined) this.refuse(`broker-${b}'s lifecycle machine is not registered, so it cannot heartbeat`);
    let before = this.net.ids();
    this.world.fireTimerAt(timer.id, this.world.now());
    const beat = this.net.sentSince(before).find((e) => e.from === node && e.to === CONTROLLER && e.message.type === 'BrokerHeartbeat');
    if (beat === undefined) this.refuse(`broker-${b}'s lifecycle machine sent no heartbeat`);
    before = this.net.ids();
    this.world.note(`broker-${b} heartbeats (broker epoch ${(beat.message as { brokerEpoch: number }).brokerEpoch})`);
    this.world.deliverInFlight(beat.id);
    for (const e of this.net.sentSince(before)) {
      if (LIFECYCLE_ANSWERS.has(e.message.type)) this.world.deliverInFlight(e.id);
      else if (quiet && e.message.type === 'LeaderAndIsr') {
        this.world.network.drop(e.id);
        this.world.note(`dropped ${nameOf(e.from, e.to, e.message).text}: it repeats the state, as the explorer's expiry drops it`);
      }
    }
  }

  private crash(b: number): void {
    this.requireUp(b);
    this.spend('crashes');
    this.net.crashing(brokerName(b), this.step.index);
    this.world.crashBroker(b, { mode: 'process' });
  }

  private powerLoss(b: number, cut: number): void {
    this.requireUp(b);
    const storage = this.world.brokers[b]?.storage;
    const chooser = Number.isInteger(cut) ? storage?.chooserKeepingBelow(cut) : undefined;
    if (chooser === undefined) this.refuse(`no prefix of broker-${b}'s unsynced writes recovers to exactly the records below offset ${cut} (log end ${storage?.logEndOffset()})`);
    this.spend('powerLosses');
    this.net.crashing(brokerName(b), this.step.index);
    this.world.crashBroker(b, { mode: 'power-loss', chooser, tornWrites: false });
  }

  private restart(b: number): void {
    if (this.world.brokers[b]?.hosted !== undefined) this.refuse(`broker-${b} is running`);
    const registered = this.registered(b);
    if (registered !== undefined && !registered.fenced) this.refuse(`the controller still holds broker-${b}'s session (it accepts a new incarnation only once the old one is fenced)`);
    this.world.restart(b);
  }

  // ---- after every step ------------------------------------------------------------------

  private afterStep(quiet: readonly NamedMessage[]): void {
    for (let e = this.lifecycleAnswer(); e !== undefined; e = this.lifecycleAnswer()) this.world.deliverInFlight(e.id);
    for (const e of this.world.network.pending().filter((x) => this.isDownBroker(x.to))) {
      this.world.network.drop(e.id);
      this.world.note(`lost ${nameOf(e.from, e.to, e.message).text}: ${e.to} is down`);
    }
    if (this.trace.reduction === 'quiet-pushes') this.deliverQuietPushes(quiet);
  }

  private lifecycleAnswer(): SimEnvelope | undefined {
    return this.world.network.pending().find((e) => LIFECYCLE_ANSWERS.has(e.message.type));
  }

  /** The reduction's eager steps: quiet LeaderAndIsr pushes at a link's head, once the faults that could remove them are spent. */
  private deliverQuietPushes(named: readonly NamedMessage[]): void {
    const delivered: NamedMessage[] = [];
    if (reductionApplies(this.used, this.bounds.budget)) {
      for (let e = this.quietHead(); e !== undefined; e = this.quietHead()) {
        const push = nameOf(e.from, e.to, e.message);
        delivered.push(push);
        this.world.note(`quietly ${push.text}`);
        this.world.deliverInFlight(e.id, 'quietly');
      }
    }
    // Quiet pushes commute (reduction.ts), so only which ones were delivered counts, not their order.
    const texts = (list: readonly NamedMessage[]): string => list.map((m) => m.text).sort().join('; ');
    if (texts(delivered) !== texts(named)) this.diverge(`the reduction delivers [${texts(delivered)}] quietly, the trace's text names [${texts(named)}]`);
  }

  private quietHead(): SimEnvelope | undefined {
    const replicas = this.world.brokers.map((b) => (b.hosted?.snapshot ?? null) as Snapshot | null);
    return this.net.inExplorerOrder().find((e): e is SimEnvelope => !isGhost(e) && e.from === CONTROLLER && this.net.isHead(e) && isQuietPush({ from: e.from, to: e.to, message: e.message, link: linkOf(e.from, e.to) }, replicas));
  }

  // ---- checks and lookups ----------------------------------------------------------------

  /** The step takes `envelope`: it must be the message the text names (link and type); differing fields are noted. */
  private expectNamed(main: string, envelope: SimEnvelope): void {
    const expected = parseNamed(main);
    if (expected === undefined) this.refuse('its text names no message');
    const actual = nameOf(envelope.from, envelope.to, envelope.message);
    if (!sameMessage(expected, actual)) this.refuse(`the trace names ${expected.text}, the simulator has ${actual.text} there`);
    const fields = fieldDifferences(expected, actual);
    if (fields.length > 0 && this.onLinkBehind(envelope).some((e) => fieldDifferences(expected, e).length === 0)) this.refuse(`the trace names ${expected.text}, which is behind ${actual.text} on its link`);
    if (fields.length > 0) this.diverge(`${actual.type} has ${fields.join(', ')}`);
  }

  private diverge(text: string): void {
    this.divergences.push(`step ${this.step.index}: ${text}`);
    this.world.note(`differs from the trace's text: ${text}`);
  }

  private checkBackoff(envelope: SimEnvelope): void {
    const producer = this.world.hostedAt(PRODUCER, 'main');
    if (envelope.to !== PRODUCER || producer === undefined) return;
    const why = backoffChangesStep(producer, envelope.message, Math.max(this.world.now(), envelope.deliverAt), this.jumpedAt.get(PRODUCER) ?? -Infinity);
    if (why !== undefined) this.refuse(why);
  }

  /** The node's pending timer `id`; a correlation-numbered id matches the node's one timer of its kind. */
  private timerOf(node: string, id: string): Timer<TimerPayload> | undefined {
    const mine = this.world.clock.pending().filter((t) => t.payload.node === node && t.payload.slot === 'main');
    const exact = mine.find((t) => t.payload.id === id);
    const kind = numberedKind(id);
    if (exact !== undefined || kind === undefined) return exact;
    const same = mine.filter((t) => numberedKind(t.payload.id) === kind);
    return same.length === 1 ? same[0] : undefined;
  }

  private timerWhere(accept: (t: Timer<TimerPayload>) => boolean): Timer<TimerPayload> | undefined {
    return this.world.clock.pending().find(accept);
  }

  /** The messages after `e` on its link, named. */
  private onLinkBehind(e: SimEnvelope): NamedMessage[] {
    const link = this.net.link(e.from, e.to);
    return link.slice(link.indexOf(e) + 1).map((x) => (isGhost(x) ? x.named : nameOf(x.from, x.to, x.message)));
  }

  private controller(): ControllerContext {
    return this.world.hostedAt(CONTROLLER, 'main')?.context as ControllerContext;
  }

  private producer(): ProducerContext {
    return this.world.hostedAt(PRODUCER, 'main')?.context as ProducerContext;
  }

  private registered(b: number): BrokerState | undefined {
    return this.controller().brokers.find((x) => x.brokerId === b);
  }

  /** The broker's current process is the incarnation the controller registered. */
  private runs(registered: BrokerState): boolean {
    const lifecycle = this.world.hostedAt(brokerName(registered.brokerId), 'lifecycle');
    return lifecycle !== undefined && (lifecycle.context as { incarnationId: number }).incarnationId === registered.incarnationId;
  }

  private isDownBroker(node: string): boolean {
    const match = /^broker-(\d+)$/.exec(node);
    return match !== null && this.world.brokers[Number(match[1])]?.hosted === undefined;
  }

  private brokerArg(b: number): number {
    if (!Number.isInteger(b) || b < 0 || b >= this.world.brokers.length) this.refuse(`no broker ${JSON.stringify(b)}`);
    return b;
  }

  private requireUp(b: number): void {
    if (this.world.brokers[b]?.hosted === undefined) this.refuse(`broker-${b} is down`);
  }

  /** Count a fault against the trace's budget (the explorer enables a fault only within it). */
  private spend(fault: keyof Budget): void {
    if (this.used[fault] >= this.bounds.budget[fault]) this.refuse(`the trace's ${fault} budget (${this.bounds.budget[fault]}) is spent`);
    this.used = { ...this.used, [fault]: this.used[fault] + 1 };
  }
}

/** `request/12` → `request/`; undefined for an id without a trailing number. */
function numberedKind(id: string): string | undefined {
  return /^(.*?)\d+$/.exec(id)?.[1];
}

/**
 * The explorer's actions: every way one world may step (the enabled actions are the
 * guards, `apply` the effects). Machine steps go through the machines' own `step()`;
 * environment and fault actions are bounded by the budget.
 *
 * - `send`: the application hands the producer the next value (v0, v1, ... ≤ records).
 * - `deliver`: the head message of one link (FIFO per link, as over one TCP connection).
 * - `fire`: one pending timer. Timers have no deadlines here; a timeout (every timer but
 *   the leader's periodic ISR check) fires only while no message is in flight TO its
 *   node: an answer on its way arrives before the timeout, while the node's own request
 *   may still be in flight (so a retry can overtake a delayed original, the case that
 *   makes idempotence necessary). A lost answer is the `drop` fault. `late` first advances the
 *   node's clock past every threshold (only for a leader's ISR check, the one timer
 *   whose handler compares times), so followers that have not caught up since the
 *   previous jump leave the ISR.
 * - `drop`, `duplicate`, `reorder` (deliver a message ahead of its link's head): message
 *   faults, each within its budget. A round trip (below) may also be delivered with its
 *   answer lost, within the `drops` budget.
 * - `expire(b)`: broker b's session lapses at the controller (b crashed, or its link to
 *   the controller is cut: a zombie). The controller's clock jumps past the session
 *   timeout, every other running registered broker heartbeats, and SessionCheckTimer
 *   fires: b is fenced, out of every ISR, a new leader is elected if b led.
 * - `rejoin(b)`: a running, fenced broker heartbeats again and is unfenced.
 * - `crash(b)` (process crash: page cache kept) and `power-loss(b, cut)` (the log keeps
 *   a prefix ending at `cut` ≥ its flushed offset), each within its budget.
 * - `restart(b)`: a crashed broker whose session the controller has fenced (KRaft
 *   refuses a new incarnation while the old session is valid) starts a new incarnation
 *   from its recovered log and sends BrokerRegistration (previousBrokerEpoch -1: an
 *   unclean shutdown, KIP-966).
 */
import type { ControllerContext } from '../../src/machines/controller.ts';
import type { BrokerRegistration, BrokerHeartbeat } from '../../src/protocol/messages.ts';
import { brokerNode } from '../../src/protocol/messages.ts';
import { assert, unreachable } from '../../src/core/assert.ts';
import { logEndOffset, powerLoss, powerLossCuts } from './abstract-log.ts';
import { type Budget, CONTROLLER_NODE, Draft, PRODUCER_NODE, type Envelope, type World, brokerOf, headOf, links } from './world.ts';

export type Action =
  | { readonly kind: 'send' }
  | { readonly kind: 'deliver'; readonly from: string; readonly to: string; readonly loseAnswer?: true }
  | { readonly kind: 'fire'; readonly node: string; readonly id: string; readonly late: boolean }
  | { readonly kind: 'drop' | 'duplicate' | 'reorder'; readonly index: number }
  | { readonly kind: 'expire' | 'rejoin' | 'crash' | 'restart'; readonly broker: number }
  | { readonly kind: 'power-loss'; readonly broker: number; readonly cut: number };

/** The limits of one exploration (named options of `kafka-oracle explore`). */
export interface Limits {
  readonly records: number;
  readonly budget: Budget;
}

/** Larger than every threshold a machine compares a clock against (see canonical.ts). */
export function clockJump(config: Record<string, unknown>): number {
  let max = 0;
  for (const [key, value] of Object.entries(config)) if (key.endsWith('.ms') && typeof value === 'number') max = Math.max(max, value);
  return max + 1;
}

export function controllerContext(world: World): ControllerContext {
  return world.controller.context as ControllerContext;
}

/**
 * Timeouts that may fire while their node has messages in flight, within the `timeouts`
 * budget: the two whose race with a slow answer matters (the producer's retry overtaking
 * its delayed original; the leader timing out an acks=all produce). The leader's periodic
 * ISR check may always fire (on time it changes nothing unless a follower is already
 * out of sync; late, within the `lags` budget). Every other timer is a retry or backoff
 * that fires once its node's conversations are quiet (a lost message is the `drop` fault).
 */
export const RACING_TIMERS: ReadonlySet<string> = new Set(['RequestTimeout', 'ProduceTimeout']);

/** Requests answered in the same step they are delivered (see `deliverAt`). */
export const ROUND_TRIPS: Readonly<Record<string, string>> = {
  Fetch: 'FetchResponse',
  OffsetsForLeaderEpoch: 'OffsetsForLeaderEpochResponse',
  Metadata: 'MetadataResponse',
};

export function enabledActions(world: World, limits: Limits): Action[] {
  const actions: Action[] = [];
  if (world.ghost.sent < limits.records) actions.push({ kind: 'send' });
  for (const { from, to } of links(world.network)) {
    actions.push({ kind: 'deliver', from, to });
    // A round trip whose answer is lost (a `drop`): the responder acted, the requester never hears.
    const head = world.network[headOf(world.network, from, to)] as Envelope;
    if (ROUND_TRIPS[head.message.type] !== undefined && within(world, limits.budget, 'drops')) actions.push({ kind: 'deliver', from, to, loseAnswer: true });
  }
  for (const t of world.timers) {
    const racing = RACING_TIMERS.has(t.event.type);
    if (racing && !within(world, limits.budget, 'timeouts')) continue;
    if (!racing && t.event.type !== 'IsrCheckTimer' && world.network.some((e) => inConversation(e, t.node))) continue;
    actions.push({ kind: 'fire', node: t.node, id: t.id, late: false });
    if (t.event.type === 'IsrCheckTimer' && within(world, limits.budget, 'lags')) actions.push({ kind: 'fire', node: t.node, id: t.id, late: true });
  }
  messageFaults(world, limits.budget, actions);
  brokerFaults(world, limits.budget, actions);
  return actions;
}

/**
 * A message of `node`'s own conversations: a request it sent, or an answer on its way to
 * it. The controller's LeaderAndIsr pushes are not answers, so a broker whose controller
 * link is slow still times out and fetches (the KAFKA-6880 zombie follower).
 */
function inConversation(e: Envelope, node: string): boolean {
  return e.from === node || (e.to === node && e.message.type !== 'LeaderAndIsr');
}

function within(world: World, budget: Budget, fault: keyof Budget): boolean {
  return world.used[fault] < budget[fault];
}

function messageFaults(world: World, budget: Budget, actions: Action[]): void {
  const { network } = world;
  for (let i = 0; i < network.length; i++) {
    const e = network[i] as Envelope;
    if (within(world, budget, 'drops')) actions.push({ kind: 'drop', index: i });
    if (within(world, budget, 'duplicates')) actions.push({ kind: 'duplicate', index: i });
    if (within(world, budget, 'reorders') && headOf(network, e.from, e.to) !== i) actions.push({ kind: 'reorder', index: i });
  }
}

function brokerFaults(world: World, budget: Budget, actions: Action[]): void {
  const controller = controllerContext(world);
  world.replicas.forEach((replica, b) => {
    const registered = controller.brokers.find((x) => x.brokerId === b);
    if (registered !== undefined && !registered.fenced && within(world, budget, 'expirations')) actions.push({ kind: 'expire', broker: b });
    if (replica !== null && registered !== undefined && registered.fenced && registered.incarnationId === world.incarnations[b]) actions.push({ kind: 'rejoin', broker: b });
    if (replica !== null && within(world, budget, 'crashes')) actions.push({ kind: 'crash', broker: b });
    const disk = world.disks[b];
    if (replica !== null && disk !== undefined && within(world, budget, 'powerLosses'))
      for (const cut of powerLossCuts(disk)) actions.push({ kind: 'power-loss', broker: b, cut });
    if (replica === null && (registered === undefined || registered.fenced)) actions.push({ kind: 'restart', broker: b });
  });
}

/** What a restart does: start the replica machine from the recovered log (models/*). */
export type Restart = (draft: Draft, broker: number) => void;

export interface Host {
  readonly jump: number;
  /** The client's send of `value`, without its `nowMs`: one object per value, so the producer's step on it is memoized (world.ts `memoStep`). */
  readonly sendEvent: (value: string) => { readonly type: string };
  readonly restart: Restart;
}

export function applyAction(draft: Draft, action: Action, host: Host): void {
  switch (action.kind) {
    case 'send': {
      const value = `v${draft.ghost.sent}`;
      draft.ghost = { ...draft.ghost, sent: draft.ghost.sent + 1 };
      draft.deliverFrom('producer-0', host.sendEvent(value), 0);
      return;
    }
    case 'deliver':
      if (action.loseAnswer === true) draft.spend('drops');
      return deliverAt(draft, headOf(draft.network, action.from, action.to), action.loseAnswer === true);
    case 'reorder':
      draft.spend('reorders');
      return deliverAt(draft, action.index);
    case 'drop':
      draft.spend('drops');
      draft.network.splice(action.index, 1);
      return;
    case 'duplicate': {
      draft.spend('duplicates');
      const e = draft.network[action.index] as Envelope;
      draft.network.push(e);
      return;
    }
    case 'fire':
      if (action.late) draft.spend('lags');
      if (RACING_TIMERS.has(timerType(draft, action.node, action.id))) draft.spend('timeouts');
      return fire(draft, action.node, action.id, action.late, host.jump);
    case 'expire':
      draft.spend('expirations');
      return expire(draft, action.broker, host.jump);
    case 'rejoin':
      return heartbeat(draft, action.broker);
    case 'crash':
      draft.spend('crashes');
      draft.crash(action.broker);
      return;
    case 'power-loss': {
      draft.spend('powerLosses');
      const disk = draft.disks[action.broker];
      assert(disk !== undefined, 'a disk per broker');
      if (action.cut < logEndOffset(disk)) draft.events.push('power-loss-lost-data');
      draft.crash(action.broker);
      draft.set('disks', action.broker, powerLoss(disk, action.cut));
      return;
    }
    case 'restart':
      return host.restart(draft, action.broker);
    default:
      return unreachable(action, 'action');
  }
}

/**
 * Deliver one message. A Fetch, OffsetsForLeaderEpoch or Metadata request is a round
 * trip: its answer is delivered to the requester in the same step (as FollowerReplicate
 * is one action in the TLA+ spec). The request still carries the requester's epoch and
 * the answer the responder's, so every fencing check runs; what is lost is only a
 * response overtaken by a later state change of its requester, which the requester's
 * correlation id check discards anyway.
 */
function timerType(draft: Draft, node: string, id: string): string {
  return draft.timers.find((t) => t.node === node && t.id === id)?.event.type ?? '';
}

export function deliverAt(draft: Draft, index: number, loseAnswer = false): void {
  const e = draft.network[index];
  assert(e !== undefined, 'a message to deliver');
  draft.network.splice(index, 1);
  const before = draft.network.length;
  draft.deliverFrom(e.to, e.message, draft.nowAt(e.to));
  const answer = ROUND_TRIPS[e.message.type];
  if (answer === undefined) return;
  const at = draft.network.findIndex((x, i) => i >= before && x.from === e.to && x.to === e.from && x.message.type === answer);
  if (at < 0) return;
  const response = draft.network[at] as Envelope;
  draft.network.splice(at, 1);
  if (loseAnswer) return;
  draft.deliverFrom(response.to, response.message, draft.nowAt(response.to));
}

function fire(draft: Draft, node: string, id: string, late: boolean, jump: number): void {
  const index = draft.timers.findIndex((t) => t.node === node && t.id === id);
  const timer = draft.timers[index];
  assert(timer !== undefined, `timer ${node}:${id} is pending`);
  draft.timers.splice(index, 1);
  const b = brokerOf(node);
  if (late && b >= 0) draft.set('clocks', b, (draft.clocks[b] as number) + jump);
  // The producer's timers are timeouts and backoffs: when one fires, its time has passed.
  if (node === PRODUCER_NODE) draft.producerClock += jump;
  draft.deliverFrom(node, timer.event, draft.nowAt(node));
}

/** The controller's view of broker b's session lapses (see the header). */
function expire(draft: Draft, b: number, jump: number): void {
  draft.controllerClock += jump;
  for (const other of (draft.controller.context as ControllerContext).brokers) {
    if (other.brokerId === b || other.fenced || draft.replicas[other.brokerId] === null) continue;
    if (other.incarnationId !== draft.incarnations[other.brokerId]) continue;
    stepControllerQuietly(draft, heartbeatOf(other.brokerId, other.brokerEpoch));
  }
  draft.deliverFrom(CONTROLLER_NODE, SESSION_CHECK, draft.controllerClock);
}

const SESSION_CHECK = { type: 'SessionCheckTimer' };

/**
 * A heartbeat whose metadata push only repeats what the broker was already sent: the
 * explorer keeps the controller's state change and drops the repeated LeaderAndIsr, so
 * that session bookkeeping does not multiply the network's contents (spec/explorer.md).
 */
function stepControllerQuietly(draft: Draft, message: BrokerHeartbeat): void {
  const network = draft.network.length;
  draft.deliverFrom(CONTROLLER_NODE, message, draft.controllerClock);
  draft.network.length = network;
}

/** A running fenced broker heartbeats: the controller unfences it and tells it the state. */
function heartbeat(draft: Draft, b: number): void {
  const registered = (draft.controller.context as ControllerContext).brokers.find((x) => x.brokerId === b);
  assert(registered !== undefined, 'rejoin of a registered broker');
  draft.deliverFrom(CONTROLLER_NODE, heartbeatOf(b, registered.brokerEpoch), draft.controllerClock);
}

const heartbeats = new Map<string, BrokerHeartbeat>();

/** One shared BrokerHeartbeat per (broker, epoch), so that its controller step is memoized (world.ts). */
function heartbeatOf(b: number, brokerEpoch: number): BrokerHeartbeat {
  const key = `${b}:${brokerEpoch}`;
  let message = heartbeats.get(key);
  if (message === undefined) {
    message = { type: 'BrokerHeartbeat', from: brokerNode(b), correlationId: -1, brokerId: b, brokerEpoch };
    heartbeats.set(key, message);
  }
  return message;
}

/** The BrokerRegistration a restarted broker process sends (broker.ts's `register`). */
export function registration(b: number, incarnationId: number): BrokerRegistration {
  return { type: 'BrokerRegistration', from: brokerNode(b), correlationId: -1, brokerId: b, incarnationId, previousBrokerEpoch: -1 };
}

export function describeAction(action: Action, world?: World): string {
  switch (action.kind) {
    case 'send':
      return `send v${world?.ghost.sent ?? '?'}`;
    case 'deliver':
      return `deliver ${world === undefined ? `${action.from}→${action.to}` : describeMessage(world.network[headOf(world.network, action.from, action.to)])}${action.loseAnswer === true ? ' (answer lost)' : ''}`;
    case 'fire':
      return `fire ${action.node} ${action.id}${action.late ? ' (late: clock jumps past every timeout)' : ''}`;
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return `${action.kind} #${action.index}${world === undefined ? '' : ` ${describeMessage(world.network[action.index])}`}`;
    case 'power-loss':
      return `power-loss broker-${action.broker} (log keeps offsets < ${action.cut})`;
    default:
      return `${action.kind} broker-${action.broker}`;
  }
}

export function describeMessage(e: Envelope | undefined): string {
  if (e === undefined) return '';
  const m = e.message as unknown as Record<string, unknown>;
  const parts: string[] = [`${e.from}→${e.to} ${m['type'] as string}`];
  for (const key of ['leader', 'leaderEpoch', 'isr', 'errorCode', 'fetchOffset', 'currentLeaderEpoch', 'highWatermark', 'baseOffset', 'endOffset', 'newIsr']) {
    if (key in m) parts.push(`${key}=${JSON.stringify(m[key])}`);
  }
  if (m['type'] === 'Produce') parts.push(`value=${JSON.stringify((m['records'] as { records: { value: string }[] }).records.map((r) => r.value))}`);
  if (m['type'] === 'FetchResponse') parts.push(`records=${(m['records'] as unknown[]).length}`);
  return parts.join(' ');
}

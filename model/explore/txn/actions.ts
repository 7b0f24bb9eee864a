/**
 * The transactions explorer's actions: every way one world may step.
 *
 * - Application steps on incarnation i (the machine's own events, so its guards decide):
 *   `init` (incarnation b's InitTransactions: the new instance that fences a, which was
 *   initialized at boot), `send(p)` (beginTransaction when ready, then a send to partition
 *   p, ≤ `records` per transaction, ≤ `transactions` per incarnation), `commit`, `abort`
 *   (also after an abortable error).
 * - `deliver`: the head message of one link (world.ts `Link`: one direction of one TCP
 *   connection, FIFO).
 * - `fire`: one pending timer. A backoff (TxnBackoff, RetryTimer, MetadataTimer, a marker
 *   retry) may fire at any time. A request timeout fires freely once neither its request
 *   nor its answer is in flight or held (the request or the answer was lost); while they
 *   are, it races them within the `timeouts` budget (the late-message case of KIP-890: a
 *   Produce that timed out still arrives). A producer's clock jumps past every threshold
 *   when one of its timers fires (canonical.ts: deadlines are then reached).
 * - `drop`, `duplicate`, `reorder` (deliver a message ahead of its link's head): message
 *   faults within their budgets.
 * - `failover`: the coordinator process crashes and restarts in the next coordinator epoch,
 *   reloading `__transaction_state` (resuming prepared transactions). Requests in flight to
 *   it are lost with their connections; what it sent is still delivered (stale markers,
 *   fenced by the coordinator epoch), but answers to the dead process are lost.
 */
import { assert, unreachable } from '../../../src/core/assert.ts';
import { start } from '../../../src/machines/step.ts';
import { type TxnCoordinatorContext, txnCoordinatorMachine } from '../../../src/machines/txn-coordinator.ts';
import type { TxnProducerContext } from '../../../src/machines/txn-producer.ts';
import type { ReplicaContext } from '../../../src/machines/replica.ts';
import type { ClusterConfig } from '../../../src/protocol/config.ts';
import type { PendingTimer, Snapshot } from '../world.ts';
import {
  COORDINATOR_NODE,
  DEAD_COORDINATOR_NODE,
  type Envelope,
  type GhostTxn,
  INCARNATION_NAMES,
  type TxnBudget,
  TxnDraft,
  type TxnWorld,
  TOPIC,
  headOf,
  isResponse,
  incarnationOfNode,
  linksOf,
  partitionNode,
  producerNode,
} from './world.ts';

export type TxnAction =
  | { readonly kind: 'init'; readonly incarnation: number }
  | { readonly kind: 'send'; readonly incarnation: number; readonly partition: number }
  | { readonly kind: 'commit' | 'abort'; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly from: string; readonly to: string; readonly response: boolean }
  | { readonly kind: 'fire'; readonly node: string; readonly id: string }
  | { readonly kind: 'drop' | 'duplicate' | 'reorder'; readonly index: number }
  | { readonly kind: 'failover' };

export interface TxnLimits {
  readonly transactions: number;
  readonly records: number;
  readonly incarnations: number;
  readonly partitions: number;
  readonly budget: TxnBudget;
}


const BACKOFFS = new Set(['TxnBackoff', 'RetryTimer', 'MetadataTimer']);
const TIMEOUTS = new Set(['TxnRequestTimeout', 'RequestTimeout', 'VerificationTimeout']);

export function producerContext(world: TxnWorld, incarnation: number): TxnProducerContext {
  return (world.producers[incarnation] as Snapshot).context as TxnProducerContext;
}

export function coordinatorContext(world: TxnWorld): TxnCoordinatorContext {
  return world.coordinator.context as TxnCoordinatorContext;
}

export function replicaContext(world: TxnWorld, p: number): ReplicaContext {
  return (world.partitions[p] as Snapshot).context as ReplicaContext;
}

/** The ghost's latest transaction of `incarnation`. */
export function currentGhostTxn(world: TxnWorld, incarnation: number): GhostTxn | undefined {
  for (let i = world.ghost.txns.length - 1; i >= 0; i--) if ((world.ghost.txns[i] as GhostTxn).incarnation === incarnation) return world.ghost.txns[i];
  return undefined;
}

function begun(world: TxnWorld, incarnation: number): number {
  return world.ghost.txns.filter((t) => t.incarnation === incarnation).length;
}

export function enabledTxnActions(world: TxnWorld, limits: TxnLimits): TxnAction[] {
  const actions: TxnAction[] = [];
  for (let i = 0; i < limits.incarnations; i++) applicationActions(world, limits, i, actions);
  for (const link of linksOf(world.network)) actions.push({ kind: 'deliver', ...link });
  for (const t of world.timers) if (timerKind(world, t) === 'free' || within(world, limits.budget, 'timeouts')) actions.push({ kind: 'fire', node: t.node, id: t.id });
  world.network.forEach((e, i) => {
    if (within(world, limits.budget, 'drops')) actions.push({ kind: 'drop', index: i });
    if (within(world, limits.budget, 'duplicates')) actions.push({ kind: 'duplicate', index: i });
    if (within(world, limits.budget, 'reorders') && headOf(world.network, { from: e.from, to: e.to, response: isResponse(e) }) !== i) actions.push({ kind: 'reorder', index: i });
  });
  if (within(world, limits.budget, 'failovers')) actions.push({ kind: 'failover' });
  return actions;
}

function applicationActions(world: TxnWorld, limits: TxnLimits, i: number, actions: TxnAction[]): void {
  const c = producerContext(world, i);
  const txn = currentGhostTxn(world, i);
  if (c.phase === 'uninitialized') {
    actions.push({ kind: 'init', incarnation: i });
    return;
  }
  const canBegin = c.phase === 'ready' && begun(world, i) < limits.transactions;
  const canSend = c.phase === 'inTransaction' && txn !== undefined && txn.sends.length < limits.records;
  if (canBegin || canSend) for (let p = 0; p < limits.partitions; p++) actions.push({ kind: 'send', incarnation: i, partition: p });
  const hasSends = txn !== undefined && txn.status === 'open' && txn.sends.length > 0;
  if (c.phase === 'inTransaction' && hasSends) actions.push({ kind: 'commit', incarnation: i });
  // After an abortable error the application's only call is abortTransaction, also when the
  // error surfaced from commitTransaction (a batch failed before EndTxn could be sent).
  const abortable = c.phase === 'abortableError' && (txn?.status === 'open' || txn?.status === 'committing');
  if ((c.phase === 'inTransaction' && hasSends) || abortable) actions.push({ kind: 'abort', incarnation: i });
}

function within(world: TxnWorld, budget: TxnBudget, fault: keyof TxnBudget): boolean {
  return world.used[fault] < budget[fault];
}

/**
 * `free`: a backoff, or a timeout whose request and answer are both gone; `racing`: a
 * timeout whose request or answer is still in flight or held (see the header).
 */
export function timerKind(world: TxnWorld, t: PendingTimer): 'free' | 'racing' {
  const event = t.event as { readonly type: string; readonly correlationId?: number; readonly transactionalId?: string; readonly topic?: string; readonly partition?: number };
  if (BACKOFFS.has(event.type)) return 'free';
  if (event.type === 'TxnMarkerTimer') {
    const marker = coordinatorContext(world).volatile.markers.find((m) => m.transactionalId === event.transactionalId && m.topic === event.topic && m.partition === event.partition);
    if (marker === undefined || marker.correlationId < 0) return 'free';
    return awaiting(world, t.node, marker.correlationId) ? 'racing' : 'free';
  }
  if (TIMEOUTS.has(event.type) && event.correlationId !== undefined) return awaiting(world, t.node, event.correlationId) ? 'racing' : 'free';
  return 'racing';
}

/** Is `node`'s request `correlationId` (or its answer) in flight, or held by a partition awaiting verification? */
function awaiting(world: TxnWorld, node: string, correlationId: number): boolean {
  for (const e of world.network) {
    if ((e.message as { correlationId?: number }).correlationId !== correlationId) continue;
    const response = e.message.type.endsWith('Response');
    if ((!response && e.from === node) || (response && e.to === node)) return true;
  }
  for (let p = 0; p < world.partitions.length; p++) {
    if (replicaContext(world, p).volatile.pendingVerifications.some((v) => v.produce.from === node && v.produce.correlationId === correlationId)) return true;
  }
  return false;
}

/** How the model restarts the coordinator (models/transactions.ts). */
export interface TxnHost {
  readonly config: ClusterConfig;
  readonly jump: number;
}

export function applyTxnAction(draft: TxnDraft, action: TxnAction, host: TxnHost): void {
  switch (action.kind) {
    case 'init':
      draft.deliver(producerNode(action.incarnation), { type: 'InitTransactions', nowMs: draft.nowAt(producerNode(action.incarnation)) });
      return;
    case 'send':
      return sendRecord(draft, action.incarnation, action.partition);
    case 'commit':
    case 'abort':
      return endTransaction(draft, action.incarnation, action.kind);
    case 'deliver':
      return deliverAt(draft, headOf(draft.network, action));
    case 'reorder':
      draft.spend('reorders');
      return deliverAt(draft, action.index);
    case 'drop':
      draft.spend('drops');
      draft.network.splice(action.index, 1);
      return;
    case 'duplicate':
      draft.spend('duplicates');
      draft.network.push(draft.network[action.index] as Envelope);
      return;
    case 'fire':
      return fire(draft, action.node, action.id, host.jump);
    case 'failover':
      draft.spend('failovers');
      return failover(draft, host.config);
    default:
      return unreachable(action, 'action');
  }
}

/** beginTransaction (when ready) and send the next value of the transaction to partition p. */
function sendRecord(draft: TxnDraft, incarnation: number, partition: number): void {
  const node = producerNode(incarnation);
  const nowMs = draft.nowAt(node);
  let at = draft.currentTxn(incarnation);
  const phase = (draft.producers[incarnation]?.context as TxnProducerContext).phase;
  if (phase === 'ready') {
    const index = draft.ghost.txns.filter((t) => t.incarnation === incarnation).length;
    draft.ghost = { ...draft.ghost, txns: [...draft.ghost.txns, { incarnation, index, sends: [], status: 'open' }] };
    at = draft.ghost.txns.length - 1;
    draft.deliver(node, { type: 'BeginTransaction', nowMs });
  }
  const txn = draft.ghost.txns[at] as GhostTxn;
  const value = `${INCARNATION_NAMES[incarnation]}${txn.index}.${txn.sends.length}`;
  draft.setTxn(at, { ...txn, sends: [...txn.sends, { value, partition }] });
  draft.deliver(node, { type: 'Send', nowMs, process: node, topic: TOPIC, partition, value });
}

function endTransaction(draft: TxnDraft, incarnation: number, kind: 'commit' | 'abort'): void {
  const node = producerNode(incarnation);
  const at = draft.currentTxn(incarnation);
  assert(at >= 0, 'a transaction to end');
  draft.setTxn(at, { ...(draft.ghost.txns[at] as GhostTxn), status: kind === 'commit' ? 'committing' : 'aborting' });
  draft.deliver(node, { type: kind === 'commit' ? 'CommitTransaction' : 'AbortTransaction', nowMs: draft.nowAt(node) });
}

function deliverAt(draft: TxnDraft, index: number): void {
  const e = draft.network[index];
  assert(e !== undefined, 'a message to deliver');
  draft.network.splice(index, 1);
  noteLateProduce(draft, e);
  noteStaleMarker(draft, e);
  draft.deliverMessage(e);
}

/** `sometimes`: a Produce of a transaction the application already saw end reaches a partition holding its producer's marker. */
function noteLateProduce(draft: TxnDraft, e: Envelope): void {
  const m = e.message;
  if (m.type !== 'Produce') return;
  const value = m.records.records[0]?.value;
  const txn = draft.ghost.txns.find((t) => t.sends.some((s) => s.value === value));
  if (txn === undefined || (txn.status !== 'ok' && txn.status !== 'fail' && txn.status !== 'info')) return;
  const p = draft.partitions.findIndex((_, i) => partitionNode(i) === e.to);
  const log = ((draft.partitions[p] as Snapshot).context as ReplicaContext).persisted.log;
  if (log.some((b) => b.isControl && b.producerId === m.records.producerId)) draft.events.push('late-produce-after-marker');
}

/** `sometimes`: a WriteTxnMarkers arrives when the coordinator no longer prepares its transaction (a delayed or retried marker). */
function noteStaleMarker(draft: TxnDraft, e: Envelope): void {
  const m = e.message;
  if (m.type !== 'WriteTxnMarkers') return;
  const txn = (draft.coordinator.context as TxnCoordinatorContext).volatile.txns.find((t) => t.producerId === m.producerId || t.previousProducerId === m.producerId);
  if (txn !== undefined && !txn.state.startsWith('Prepare')) draft.events.push('stale-marker-delivered');
}

function fire(draft: TxnDraft, node: string, id: string, jump: number): void {
  const index = draft.timers.findIndex((t) => t.node === node && t.id === id);
  const timer = draft.timers[index];
  assert(timer !== undefined, `timer ${node}:${id} is pending`);
  if (timerKind(draft.base, timer) === 'racing') {
    draft.spend('timeouts');
    draft.events.push('timeout-raced-answer');
  }
  draft.timers.splice(index, 1);
  const i = incarnationOfNode(node);
  if (i >= 0) draft.clocks[i] = (draft.clocks[i] as number) + jump;
  draft.deliverShared(node, timer.event);
}

/** The coordinator process crashes; the next one loads `__transaction_state` in the next epoch. */
function failover(draft: TxnDraft, config: ClusterConfig): void {
  draft.network = draft.network
    .filter((e) => e.to !== COORDINATOR_NODE)
    .map((e) => (e.from === COORDINATOR_NODE && !e.message.type.endsWith('Response') ? { ...e, from: DEAD_COORDINATOR_NODE, message: { ...e.message, from: DEAD_COORDINATOR_NODE } } : e));
  draft.timers = draft.timers.filter((t) => t.node !== COORDINATOR_NODE);
  draft.coordinatorEpoch += 1;
  const started = startCoordinator(config);
  draft.coordinator = started.snapshot;
  draft.perform(COORDINATOR_NODE, started.effects);
  draft.deliver(COORDINATOR_NODE, { type: 'TxnCoordinatorElected', nowMs: 0, coordinatorEpoch: draft.coordinatorEpoch, log: [...draft.txnLog] });
  draft.events.push('coordinator-failed-over');
}

export function startCoordinator(config: ClusterConfig): { snapshot: Snapshot; effects: ReturnType<typeof start>['effects'] } {
  const started = start(txnCoordinatorMachine, { config, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [0] });
  return { snapshot: started.snapshot as unknown as Snapshot, effects: started.effects };
}

// ---- Descriptions (trace lines) --------------------------------------------------------------

export function describeTxnAction(action: TxnAction, world?: TxnWorld): string {
  switch (action.kind) {
    case 'init':
      return `${producerNode(action.incarnation)}: initTransactions`;
    case 'send': {
      const c = world === undefined ? undefined : producerContext(world, action.incarnation);
      const txn = world === undefined ? undefined : currentGhostTxn(world, action.incarnation);
      const begins = c?.phase === 'ready';
      const index = begins ? (world === undefined ? 0 : begun(world, action.incarnation)) : (txn?.index ?? 0);
      const k = begins ? 0 : (txn?.sends.length ?? 0);
      return `${producerNode(action.incarnation)}: ${begins ? 'beginTransaction, ' : ''}send ${INCARNATION_NAMES[action.incarnation]}${index}.${k} to ${TOPIC}-${action.partition}`;
    }
    case 'commit':
      return `${producerNode(action.incarnation)}: commitTransaction`;
    case 'abort':
      return `${producerNode(action.incarnation)}: abortTransaction`;
    case 'deliver':
      return `deliver ${world === undefined ? `${action.from}→${action.to}` : describeEnvelope(world.network[headOf(world.network, action)])}`;
    case 'fire': {
      const t = world?.timers.find((x) => x.node === action.node && x.id === action.id);
      return `fire ${action.node} ${action.id}${t !== undefined && world !== undefined && timerKind(world, t) === 'racing' ? ' (racing its answer)' : ''}`;
    }
    case 'drop':
    case 'duplicate':
    case 'reorder':
      return `${action.kind} ${world === undefined ? `#${action.index}` : describeEnvelope(world.network[action.index])}`;
    case 'failover':
      return 'coordinator fails over (crash, restart in the next coordinator epoch)';
    default:
      return unreachable(action, 'action');
  }
}

export function describeEnvelope(e: Envelope | undefined): string {
  if (e === undefined) return '?';
  const m = e.message;
  const head = `${e.from}→${e.to} ${m.type}`;
  switch (m.type) {
    case 'Produce':
      return `${head} ${m.topic}-${m.partition} [${m.records.records.map((r) => r.value).join(',')}] pid ${m.records.producerId} epoch ${m.records.producerEpoch} seq ${m.records.baseSequence}`;
    case 'ProduceResponse':
      return `${head} ${m.topic}-${m.partition} ${m.errorCode}${m.errorCode === 'NONE' ? ` @${m.baseOffset}` : ''}`;
    case 'WriteTxnMarkers':
      return `${head} ${m.topic}-${m.partition} ${m.transactionResult ? 'COMMIT' : 'ABORT'} pid ${m.producerId} epoch ${m.producerEpoch} coordinatorEpoch ${m.coordinatorEpoch}`;
    case 'EndTxn':
      return `${head} ${m.committed ? 'commit' : 'abort'} epoch ${m.producerEpoch}`;
    case 'AddPartitionsToTxn':
      return `${head}${m.verifyOnly ? ' (verifyOnly)' : ''} [${m.partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}] epoch ${m.producerEpoch}`;
    case 'InitProducerId':
      return `${head} ${m.transactionalId ?? ''}`;
    case 'InitProducerIdResponse':
    case 'EndTxnResponse':
      return `${head} ${m.errorCode}${m.producerId >= 0 ? ` pid ${m.producerId} epoch ${m.producerEpoch}` : ''}`;
    default:
      return 'errorCode' in m ? `${head} ${m.errorCode}` : head;
  }
}

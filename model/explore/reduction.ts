/**
 * The quiet-push reduction (`--reduction quiet-pushes`): a τ-confluence reduction (Groote & van de Pol;
 * Blom & van de Pol's "prioritised τ") of the controller's LeaderAndIsr pushes.
 *
 * A push at the head of the controller→broker-b link is **quiet** when delivering it
 * changes nothing any invariant reads and nothing any other action reads or writes:
 *
 * - the replica ignores it (`stale`, `other-incarnation`, `not-a-replica` in
 *   `decideLeaderAndIsr`): delivery only removes the message; or
 * - it is an ISR-only change (`update`: same leader epoch, newer partition epoch) and the
 *   replica is not the leader: a follower records `isr` and `partitionEpoch`, which only a
 *   leader reads (ISR checks, AlterPartition, the HW, min ISR) and which the next
 *   LeaderAndIsr of a new epoch overwrites; the only other reader is the staleness check
 *   of the pushes queued behind it on the same link, which FIFO keeps behind it.
 *
 * The invariants read each replica's role, leader epoch, HW and log, and the controller's
 * partition (judge.ts `buildView`): a quiet push changes none of them. Every other action
 * commutes with it and leaves it enabled, except two that absorb it: a crash or power
 * loss of its broker discards the replica's volatile state and the messages to it, which
 * is all the push touched, so crashing after it is crashing without it (a `restart` needs
 * a crash first). A drop, duplicate or reorder could remove or repeat the push itself, so
 * the reduction applies only once those budgets are spent. A new push only joins the
 * link's tail. So quiet pushes are confluent and invisible, and delivering them eagerly,
 * right after the step that made them a link's head, makes the reduced search reach
 * exactly the quiet-normal forms of the full search's states, with the same verdicts.
 * test/model/explore/reduction.test.ts checks that equality, and that every quiet push
 * commutes with (or is absorbed by) every other enabled action, over every state of
 * exhaustive runs, and that the same checks catch two unsound rules (every push eager;
 * quiet pushes eager while a drop remains).
 *
 * Quiet pushes cannot loop: each removes a message and only a controller decision (a new
 * partition epoch, bounded) adds one.
 */
import { decideLeaderAndIsr, type ReplicaContext } from '../../src/machines/replica.ts';
import type { LeaderAndIsr } from '../../src/protocol/messages.ts';
import { assert } from '../../src/core/assert.ts';
import { deliverAt, type Limits } from './actions.ts';
import { type Budget, CONTROLLER_NODE, type Draft, type Envelope, type Snapshot, type World, brokerOf } from './world.ts';

/** The reductions `explore` knows: none, or quiet pushes delivered eagerly. */
export type Reduction = 'none' | 'quiet-pushes';
export const REDUCTIONS: readonly Reduction[] = ['none', 'quiet-pushes'];

/**
 * Whether the quiet-push reduction is on: the faults that could remove, repeat or overtake
 * a queued push (drop, duplicate, reorder; a crash absorbs it: see above) are spent.
 */
export function reductionApplies(used: Budget, budget: Budget): boolean {
  return used.drops >= budget.drops && used.duplicates >= budget.duplicates && used.reorders >= budget.reorders;
}

/** Whether `e`, the head of its link, is a quiet push in a world whose replicas are `replicas`. */
export function isQuietPush(e: Envelope, replicas: World['replicas']): boolean {
  if (e.from !== CONTROLLER_NODE || e.message.type !== 'LeaderAndIsr') return false;
  const b = brokerOf(e.to);
  const snapshot = b < 0 ? null : replicas[b];
  if (snapshot === null || snapshot === undefined) return false;
  const decision = decideLeaderAndIsr(snapshot.context as ReplicaContext, e.message as LeaderAndIsr);
  if (decision === 'stale' || decision === 'other-incarnation' || decision === 'not-a-replica') return true;
  return decision === 'update' && snapshot.value !== 'leader';
}

/**
 * Which pushes a reduction delivers eagerly. Tests pass unsound ones to see them caught,
 * among them one that ignores the fault budgets (`ignoresFaultBudgets`).
 */
export type QuietRule = ((e: Envelope, replicas: World['replicas']) => boolean) & { readonly ignoresFaultBudgets?: true };

/** Index of the first link head that `quiet` accepts, or -1. */
function quietHead(draft: Draft, quiet: QuietRule): number {
  const network = draft.network;
  for (let i = 0; i < network.length; i++) {
    const e = network[i] as Envelope;
    if (e.from !== CONTROLLER_NODE || !isHead(network, i)) continue;
    if (quiet(e, draft.replicas)) return i;
  }
  return -1;
}

export function isHead(network: readonly Envelope[], i: number): boolean {
  const e = network[i] as Envelope;
  for (let j = 0; j < i; j++) if ((network[j] as Envelope).link === e.link) return false;
  return true;
}

/**
 * Deliver quiet pushes until none is at a link's head; returns the messages delivered
 * (for traces). Each must leave its replica's role and effects unchanged (asserted: the
 * argument above depends on it).
 */
export function deliverQuietPushes(draft: Draft, limits: Limits, quiet: QuietRule = isQuietPush): readonly Envelope[] {
  if (quiet.ignoresFaultBudgets !== true && !reductionApplies(draft.used, limits.budget)) return NO_PUSHES;
  let i = quietHead(draft, quiet);
  if (i < 0) return NO_PUSHES;
  const delivered: Envelope[] = [];
  for (; i >= 0; i = quietHead(draft, quiet)) {
    const e = draft.network[i] as Envelope;
    const b = brokerOf(e.to);
    const before = draft.replicas[b];
    const timers = draft.timers.length;
    const messages = draft.network.length;
    deliverAt(draft, i);
    const after = draft.replicas[b];
    if (quiet === isQuietPush) assert(sameValue(after, before) && draft.timers.length === timers && draft.network.length === messages - 1, `a quiet push to broker-${b} had an effect`);
    delivered.push(e);
  }
  return delivered;
}

/** What a step that delivered no quiet push returns (shared: most steps deliver none). */
export const NO_PUSHES: readonly Envelope[] = Object.freeze([]);

function sameValue(a: Snapshot | null | undefined, b: Snapshot | null | undefined): boolean {
  return a?.value === b?.value || JSON.stringify(a?.value) === JSON.stringify(b?.value);
}

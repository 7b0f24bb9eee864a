/**
 * The simulator's named invariants (model/invariants.ts), judged on explorer states. The
 * invariants read a `WorldView` and a `Ledger`; this adapter builds the view from the
 * explorer world (each broker's abstract log, its replica's role, epoch and HW, the
 * controller's partition) and answers the ledger's questions from the immutable ghost
 * state, so the exact same invariant code judges both the sim and the explorer.
 *
 * As in src/sim/runner.ts, a state is judged against the ghost state of its
 * predecessors, then `observe` folds it into the ghost (committed offsets, the HW each
 * leader incarnation exposed).
 */
import type { ControllerContext } from '../../src/machines/controller.ts';
import type { ReplicaContext } from '../../src/machines/replica.ts';
import { INVARIANTS, type Invariant } from '../invariants.ts';
import { Ledger } from '../ledger.ts';
import { currentLeader, entryAt, type LogEntry, type ReplicaRole, type ReplicaView, type WorldView } from '../view.ts';
import type { AbstractLog } from './abstract-log.ts';
import type { Ghost, World } from './world.ts';

/** The `always` invariants of model/invariants.ts (replication and the idempotent producer). */
export const REPLICATION_INVARIANTS: readonly string[] = INVARIANTS.filter((i) => i.kind === 'always').map((i) => i.name);

export function invariantsNamed(names: readonly string[]): Invariant[] {
  return names.map((name) => {
    const found = INVARIANTS.find((i) => i.name === name);
    if (found === undefined) throw new Error(`no invariant named ${name}`);
    return found;
  });
}

function entries(log: AbstractLog): LogEntry[] {
  const out: LogEntry[] = [];
  for (const batch of log.batches)
    batch.records.forEach((r, i) =>
      out.push({ offset: batch.baseOffset + i, leaderEpoch: batch.partitionLeaderEpoch, value: r.value, producerId: batch.producerId, sequence: batch.baseSequence < 0 ? -1 : batch.baseSequence + i }),
    );
  return out;
}

function roleOf(value: unknown): ReplicaRole {
  return value === 'leader' ? 'leader' : value === 'unassigned' ? 'offline' : 'follower';
}

/**
 * The ghost state a world passes to its successors, computed when the world is judged
 * (from the same view) and kept per world, since a world is expanded once per action.
 * The view itself is not kept: the frontier holds many worlds.
 */
const observed = new WeakMap<World, Ghost>();

export function viewOf(world: World): WorldView {
  return buildView(world);
}

function buildView(world: World): WorldView {
  const replicas: ReplicaView[] = world.disks.map((disk, b) => {
    const snapshot = world.replicas[b];
    const context = snapshot?.context as ReplicaContext | undefined;
    return {
      brokerId: b,
      alive: snapshot !== null && snapshot !== undefined,
      incarnation: world.restarts[b] as number,
      role: snapshot === null || snapshot === undefined ? 'offline' : roleOf(snapshot.value),
      leaderEpoch: context?.volatile.leaderEpoch ?? -1,
      highWatermark: context?.volatile.highWatermark ?? 0,
      log: entries(disk),
    };
  });
  const p = (world.controller.context as ControllerContext).partitions[0];
  const controller = p === undefined ? { leader: -1, leaderEpoch: -1, isr: [], elr: [] } : { leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, elr: p.elr };
  return { step: world.depth, phase: 1, replicas, controller };
}

/**
 * A real model/ledger.ts `Ledger` holding the ghost state, so the invariants read exactly
 * what they read in the simulator: sends and acknowledgements are recorded as the sim
 * records them, and the committed offsets and leader high watermarks are folded in through
 * `Ledger.observe` on one-leader views built from the ghost (offsets in increasing order,
 * each at the depth it was first committed). The explorer has no consumer: nothing is read.
 */
export function ledgerOf(ghost: Ghost): Ledger {
  const cached = ledgers.get(ghost);
  if (cached !== undefined) return cached;
  const ledger = new Ledger();
  ledgers.set(ghost, ledger);
  for (let i = 0; i < ghost.sent; i++) ledger.recordSend(`v${i}`);
  for (const a of ghost.acked) ledger.recordAck(a.value, a.offset, a.depth);
  for (const c of ghost.ackConflicts) ledger.recordAck(c.value, c.offsets[1], 0);
  const log: LogEntry[] = [];
  ghost.committed.forEach((c, offset) => {
    if (c === undefined) return;
    log.push({ offset, leaderEpoch: 0, value: c.value, producerId: -1, sequence: -1 });
    ledger.observe(oneLeaderView(c.brokerId, 0, 0, offset + 1, [...log], c.depth));
  });
  ghost.leaderHighWatermarks.forEach((h, brokerId) => {
    if (h !== undefined) ledger.observe(oneLeaderView(brokerId, h.epoch, h.incarnation, h.highWatermark, [], 0));
  });
  return ledger;
}

/** Ghost states are immutable and shared by many worlds: one ledger each (never written after). */
const ledgers = new WeakMap<Ghost, Ledger>();

function oneLeaderView(brokerId: number, leaderEpoch: number, incarnation: number, highWatermark: number, log: LogEntry[], step: number): WorldView {
  const replica: ReplicaView = { brokerId, alive: true, incarnation, role: 'leader', leaderEpoch, highWatermark, log };
  return { step, phase: 1, replicas: [replica], controller: { leader: brokerId, leaderEpoch, isr: [brokerId], elr: [] } };
}

/** The first violated invariant among `judged`, with its witness. */
export function firstViolation(world: World, judged: readonly Invariant[]): { invariant: string; witness: string } | undefined {
  const view = viewOf(world);
  if (!observed.has(world)) observed.set(world, fold(world, view));
  const ledger = ledgerOf(world.ghost);
  for (const invariant of judged) {
    const found = invariant.check({ view, ledger });
    if (found !== undefined) return { invariant: invariant.name, witness: found.summary };
  }
  return undefined;
}

/** Ledger.observe: fold a judged state into the ghost state. */
export function observe(world: World): Ghost {
  let ghost = observed.get(world);
  if (ghost === undefined) {
    ghost = fold(world, viewOf(world));
    observed.set(world, ghost);
  }
  return ghost;
}

function fold(world: World, view: WorldView): Ghost {
  const leader = currentLeader(view);
  if (leader === undefined) return world.ghost;
  let ghost = world.ghost;
  const previous = ghost.leaderHighWatermarks[leader.brokerId];
  const same = previous !== undefined && previous.epoch === leader.leaderEpoch && previous.incarnation === leader.incarnation;
  const highWatermark = same ? Math.max(previous.highWatermark, leader.highWatermark) : leader.highWatermark;
  if (!same || highWatermark !== previous.highWatermark) {
    const leaderHighWatermarks = [...ghost.leaderHighWatermarks];
    leaderHighWatermarks[leader.brokerId] = { epoch: leader.leaderEpoch, incarnation: leader.incarnation, highWatermark };
    ghost = { ...ghost, leaderHighWatermarks };
  }
  let committed = ghost.committed;
  for (let offset = 0; offset < leader.highWatermark; offset++) {
    const entry = entryAt(leader, offset);
    if (entry === undefined || committed[offset] !== undefined) continue;
    if (committed === ghost.committed) committed = [...committed];
    (committed as ({ value: string; depth: number; brokerId: number } | undefined)[])[offset] = { value: entry.value, depth: world.depth, brokerId: leader.brokerId };
  }
  return committed === ghost.committed ? ghost : { ...ghost, committed };
}

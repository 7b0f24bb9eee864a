/**
 * The simulator's named invariants (model/invariants.ts), judged on explorer states. The
 * invariants read a `WorldView` and a `Ledger`; this adapter builds the view from the
 * explorer world (each broker's abstract log, its replica's role, epoch and HW, the
 * controller's partition) and answers the ledger's questions from the immutable ghost
 * state, so the exact same invariant code judges both the sim and the explorer.
 *
 * Each state's ghost folds in its own view as well as its predecessors' (`foldOwnView`,
 * called when the state is made): the simulator folds a step into its ledger after
 * judging it, which for these invariants gives the same verdicts (a committed value is
 * kept from its first sighting, a leader's HW is the maximum it exposed), while a ghost
 * that lagged one step behind its state made the same state two keys, depending on
 * whether the step into it changed the view. The fold also forgets what no invariant can
 * read again: the HW of a leader incarnation whose epoch the controller has left behind.
 */
import type { ControllerContext } from '../../src/machines/controller.ts';
import type { ReplicaContext } from '../../src/machines/replica.ts';
import { INVARIANTS, type Invariant } from '../invariants.ts';
import { Ledger } from '../ledger.ts';
import { type LogEntry, type ReplicaRole, type ReplicaView, type WorldView } from '../view.ts';
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

/** A log's entries, as the invariants read them: computed once per immutable abstract log (logs are shared by many worlds). */
function entries(log: AbstractLog): readonly LogEntry[] {
  let out = entryCache.get(log);
  if (out === undefined) {
    out = entriesOf(log);
    entryCache.set(log, out);
  }
  return out;
}

const entryCache = new WeakMap<AbstractLog, readonly LogEntry[]>();

function entriesOf(log: AbstractLog): LogEntry[] {
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
  const cached = ledgers.get(ghost) ?? olderLedgers.get(ghost);
  if (cached !== undefined) return cached;
  const ledger = new Ledger();
  if (ledgers.size >= LEDGERS_KEPT) {
    olderLedgers = ledgers;
    ledgers = new Map();
  }
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

/**
 * Ghost states are immutable and shared by many worlds: one ledger each (never written
 * after), for the most recently judged ghosts only (two generations of at most 4,096; no
 * deletes, so no Map holes to skip). A ledger is five Maps (about 1.7 KB); kept for every
 * live ghost they were a sixth of the search's heap, while a world is judged once, right
 * after its siblings, which mostly share its ghost.
 */
let ledgers = new Map<Ghost, Ledger>();
let olderLedgers = new Map<Ghost, Ledger>();
const LEDGERS_KEPT = 4096;

function oneLeaderView(brokerId: number, leaderEpoch: number, incarnation: number, highWatermark: number, log: LogEntry[], step: number): WorldView {
  const replica: ReplicaView = { brokerId, alive: true, incarnation, role: 'leader', leaderEpoch, highWatermark, log };
  return { step, phase: 1, replicas: [replica], controller: { leader: brokerId, leaderEpoch, isr: [brokerId], elr: [] } };
}

/** The first violated invariant among `judged`, with its witness. */
export function firstViolation(world: World, judged: readonly Invariant[]): { invariant: string; witness: string } | undefined {
  const view = viewOf(world);
  const ledger = ledgerOf(world.ghost);
  for (const invariant of judged) {
    const found = invariant.check({ view, ledger });
    if (found !== undefined) return { invariant: invariant.name, witness: found.summary };
  }
  return undefined;
}

/** What the fold reads: a frozen world, or a draft about to be frozen (world.ts `Draft`). */
export type Foldable = Pick<World, 'controller' | 'replicas' | 'restarts' | 'disks' | 'ghost' | 'depth'>;

/**
 * `world`'s ghost with `world`'s own view folded in (Ledger.observe), then without the
 * leader HWs no invariant can read again: `high-watermark-monotonic` reads the entry of
 * the current leader, whose epoch is the controller's, so an entry of an older epoch, or
 * of a process that has since restarted, is dead (the controller's epoch only grows).
 */
export function foldOwnView(world: Foldable): Ghost {
  return forgetDead(world, fold(world));
}

function isLive(h: Ghost['leaderHighWatermarks'][number], epoch: number, incarnation: number): boolean {
  return h !== undefined && h.epoch >= epoch && h.incarnation === incarnation;
}

function forgetDead(world: Foldable, ghost: Ghost): Ghost {
  const p = (world.controller.context as ControllerContext).partitions[0];
  const epoch = p === undefined ? -1 : p.leaderEpoch;
  const hws = ghost.leaderHighWatermarks;
  let dead = false;
  for (let b = 0; b < hws.length; b++) if (hws[b] !== undefined && !isLive(hws[b], epoch, world.restarts[b] as number)) dead = true;
  if (!dead) return ghost;
  const kept = hws.map((h, b) => (isLive(h, epoch, world.restarts[b] as number) ? h : undefined));
  while (kept.length > 0 && kept[kept.length - 1] === undefined) kept.pop();
  return { ...ghost, leaderHighWatermarks: kept };
}

/**
 * Ledger.observe on the world's current leader (view.ts `currentLeader`: the controller's
 * leader, running as leader in the controller's epoch), read straight off the world: the
 * HW its incarnation exposed, and each offset below that HW first seen committed.
 */
function fold(world: Foldable): Ghost {
  const p = (world.controller.context as ControllerContext).partitions[0];
  const b = p === undefined ? -1 : p.leader;
  const snapshot = b < 0 ? null : world.replicas[b];
  if (p === undefined || snapshot === null || snapshot === undefined || roleOf(snapshot.value) !== 'leader') return world.ghost;
  const v = (snapshot.context as ReplicaContext).volatile;
  if (v.leaderEpoch !== p.leaderEpoch) return world.ghost;
  let ghost = world.ghost;
  const incarnation = world.restarts[b] as number;
  const previous = ghost.leaderHighWatermarks[b];
  const same = previous !== undefined && previous.epoch === v.leaderEpoch && previous.incarnation === incarnation;
  const highWatermark = same ? Math.max(previous.highWatermark, v.highWatermark) : v.highWatermark;
  if (!same || highWatermark !== previous.highWatermark) {
    const leaderHighWatermarks = [...ghost.leaderHighWatermarks];
    leaderHighWatermarks[b] = { epoch: v.leaderEpoch, incarnation, highWatermark };
    ghost = { ...ghost, leaderHighWatermarks };
  }
  return foldCommitted(world, ghost, b, v.highWatermark);
}

function foldCommitted(world: Foldable, ghost: Ghost, b: number, highWatermark: number): Ghost {
  let committed = ghost.committed;
  let log: readonly LogEntry[] | undefined;
  for (let offset = 0; offset < highWatermark; offset++) {
    if (committed[offset] !== undefined) continue;
    log ??= entries(world.disks[b] as AbstractLog);
    const first = log[0];
    const entry = first === undefined ? undefined : log[offset - first.offset];
    if (entry === undefined) continue;
    if (committed === ghost.committed) committed = [...committed];
    (committed as ({ value: string; depth: number; brokerId: number } | undefined)[])[offset] = { value: entry.value, depth: world.depth, brokerId: b };
  }
  return committed === ghost.committed ? ghost : { ...ghost, committed };
}

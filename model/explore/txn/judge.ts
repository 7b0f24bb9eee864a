/**
 * The invariants of the transactions explorer, judged at every new state.
 *
 * Reused from the simulator's exactly-once model (model/eos/invariants.ts) through an
 * adapter, as model/explore/judge.ts does for replication: an `EosView` built from the two
 * partitions' leaders (log, HW, LSO) and the coordinator's open transactions, and a real
 * `EosLedger` rebuilt from the immutable ghost state (the highest LSO each partition
 * exposed, and what an ideal read_committed reader returned so far: every record below the
 * LSO that read_committed returns, read at every state). The same invariant code judges
 * both: `no-aborted-read`, `no-fenced-epoch-write`, `lso-monotonic` (always) and
 * `transactions-atomic` (eventually: judged at quiet states, with no message in flight
 * and no marker left to write).
 *
 * Stated here, since model/eos states them only after healing or about its pipeline's
 * values, over the ghost record of what each application was told (its history):
 * - `aborted-transaction-invisible`: read_committed never returns a record of a
 *   transaction its producer aborted (told `fail`, or abort invoked);
 * - `open-transaction-invisible`: nor one of a transaction its producer has not asked to
 *   commit (the LSO never passes an open transaction's records unless they are aborted);
 * - `committed-transaction-durable`: a record of a transaction told `ok` is never
 *   filtered out as aborted;
 * - `no-partial-transaction`: no transaction is returned on one partition and filtered
 *   out as aborted on another (atomicity, at every state);
 * - `read-committed-exactly-once`: read_committed returns each value at most once;
 * - `zombie-write-invisible`: once incarnation b was given its producer id, no record of
 *   incarnation a (the zombie) appended after that moment is ever returned.
 */
import { assert } from '../../../src/core/assert.ts';
import { markerOf, txnStateFromLog } from '../../../src/machines/txn-partition.ts';
import type { LogBatch } from '../../../src/protocol/log.ts';
import { EOS_INVARIANTS, type EosInvariant } from '../../eos/invariants.ts';
import { EosLedger } from '../../eos/ledger.ts';
import { type EosPartitionView, type EosView, type TxnOutcome, partitionView, readCommitted } from '../../eos/view.ts';
import type { Violation } from '../bfs.ts';
import { coordinatorContext, replicaContext } from './actions.ts';
import { type GhostTxn, INCARNATION_NAMES, type TxnGhost, type TxnWorld, TOPIC, partitionNode, producerNode } from './world.ts';

/** The model/eos invariants judged at every state. */
const EOS_ALWAYS = ['no-aborted-read', 'no-fenced-epoch-write', 'lso-monotonic'];
/** The model/eos `eventually` invariant judged at quiet states. */
const EOS_AT_QUIET = ['transactions-atomic'];

/** One data record of a partition as read_committed sees it now. */
export interface Row {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly seen: 'visible' | 'aborted' | 'pending';
}

export interface TxnJudged {
  readonly world: TxnWorld;
  readonly view: EosView;
  readonly rows: readonly Row[];
}

interface LocalInvariant {
  readonly name: string;
  readonly statement: string;
  check(j: TxnJudged): string | undefined;
}

function txnOf(ghost: TxnGhost, value: string): GhostTxn | undefined {
  const match = /^([a-z])(\d+)\.\d+$/.exec(value);
  if (match === null) return undefined;
  const incarnation = INCARNATION_NAMES.indexOf(match[1] as 'a');
  return ghost.txns.find((t) => t.incarnation === incarnation && t.index === Number(match[2]));
}

function where(r: Row): string {
  return `${r.value} at ${TOPIC}-${r.partition}@${r.offset}`;
}

function firstRow(j: TxnJudged, bad: (r: Row, t: GhostTxn | undefined) => boolean): Row | undefined {
  return j.rows.find((r) => bad(r, txnOf(j.world.ghost, r.value)));
}

const LOCAL: readonly LocalInvariant[] = [
  {
    name: 'aborted-transaction-invisible',
    statement: 'read_committed never returns a record of a transaction its producer aborted',
    check(j) {
      const r = firstRow(j, (row, t) => row.seen === 'visible' && (t?.status === 'fail' || t?.status === 'aborting'));
      return r === undefined ? undefined : `read_committed returns ${where(r)}, of a transaction ${producerNode(txnOf(j.world.ghost, r.value)?.incarnation ?? 0)} ${txnOf(j.world.ghost, r.value)?.status === 'fail' ? 'was told aborted' : 'is aborting'}`;
    },
  },
  {
    name: 'open-transaction-invisible',
    statement: 'read_committed never returns a record of a transaction its producer has not asked to commit',
    check(j) {
      const r = firstRow(j, (row, t) => row.seen === 'visible' && t?.status === 'open');
      return r === undefined ? undefined : `read_committed returns ${where(r)}, of a transaction ${producerNode(txnOf(j.world.ghost, r.value)?.incarnation ?? 0)} never asked to commit`;
    },
  },
  {
    name: 'committed-transaction-durable',
    statement: 'a record of a transaction whose producer was told it committed is never filtered out as aborted',
    check(j) {
      const r = firstRow(j, (row, t) => row.seen === 'aborted' && t?.status === 'ok');
      return r === undefined ? undefined : `${where(r)} is aborted, but its transaction was told committed`;
    },
  },
  {
    name: 'no-partial-transaction',
    statement: 'no transaction is returned by read_committed on one partition and filtered out as aborted on another',
    check(j) {
      for (const v of j.rows) {
        if (v.seen !== 'visible') continue;
        const t = txnOf(j.world.ghost, v.value);
        const a = j.rows.find((r) => r.seen === 'aborted' && t !== undefined && txnOf(j.world.ghost, r.value) === t);
        if (a !== undefined) return `${where(v)} is returned but ${where(a)}, of the same transaction, is aborted`;
      }
      return undefined;
    },
  },
  {
    name: 'read-committed-exactly-once',
    statement: 'read_committed returns each value at most once',
    check(j) {
      const seen = new Map<string, Row>();
      for (const r of j.rows) {
        if (r.seen !== 'visible') continue;
        const before = seen.get(r.value);
        if (before !== undefined) return `${r.value} is returned twice: ${TOPIC}-${before.partition}@${before.offset} and ${TOPIC}-${r.partition}@${r.offset}`;
        seen.set(r.value, r);
      }
      return undefined;
    },
  },
  {
    name: 'zombie-write-invisible',
    statement: 'once the new instance has its producer id, no record the fenced instance appends afterwards is returned by read_committed',
    check(j) {
      const fence = j.world.ghost.fence;
      if (fence === null) return undefined;
      const r = j.rows.find((row) => row.seen === 'visible' && row.value.startsWith(INCARNATION_NAMES[0]) && row.offset >= (fence[row.partition] as number));
      return r === undefined ? undefined : `read_committed returns ${where(r)}, written by the fenced ${producerNode(0)} after ${producerNode(1)} got its producer id (log end ${fence[r.partition]} then)`;
    },
  },
  {
    name: 'no-hanging-transaction',
    statement: 'at a quiet state, every transaction open on a partition is one the coordinator holds open with that partition, and no prepared transaction is left without markers to send',
    check(j) {
      if (!isQuiet(j.world)) return undefined;
      const txns = coordinatorContext(j.world).volatile.txns;
      const prepared = txns.find((t) => t.state === 'PrepareCommit' || t.state === 'PrepareAbort');
      if (prepared !== undefined) return `${prepared.transactionalId} is ${prepared.state} at the coordinator with no marker left to send`;
      for (let p = 0; p < j.world.partitions.length; p++) {
        for (const entry of txnStateFromLog(replicaContext(j.world, p).persisted.log).producers) {
          if (entry.currentTxnFirstOffset < 0) continue;
          const open = txns.some((t) => t.producerId === entry.producerId && (t.state === 'Ongoing' || t.state === 'PrepareEpochFence') && t.partitions.some((q) => q.topic === TOPIC && q.partition === p));
          if (!open) return `${TOPIC}-${p}: producer ${entry.producerId}'s transaction from offset ${entry.currentTxnFirstOffset} is open, but no coordinator transaction will end it (a hanging transaction holds the LSO)`;
        }
      }
      return undefined;
    },
  },
];

export const TXN_INVARIANTS: readonly string[] = [...LOCAL.map((i) => i.name), ...EOS_ALWAYS, ...EOS_AT_QUIET];

/** Every invariant this model judges, with its statement (for the spec and --help). */
export function txnInvariantStatements(): { name: string; statement: string; from: string }[] {
  const eos = EOS_INVARIANTS.filter((i) => EOS_ALWAYS.includes(i.name) || EOS_AT_QUIET.includes(i.name)).map((i) => ({ name: i.name, statement: i.statement, from: `model/eos (${i.kind === 'eventually' ? 'at quiet states' : 'always'})` }));
  return [...LOCAL.map((i) => ({ name: i.name, statement: i.statement, from: 'model/explore/txn' })), ...eos];
}

// ---- Views ---------------------------------------------------------------------------------------

function partitionName(p: number): string {
  return `${TOPIC}-${p}`;
}

/** The partitions as their leaders hold them. */
export function partitionViews(world: TxnWorld): EosPartitionView[] {
  return world.partitions.map((_, p) => {
    const c = replicaContext(world, p);
    return partitionView(partitionName(p), `${partitionNode(p)}/1/${c.volatile.leaderEpoch}`, c.persisted.log, c.volatile.highWatermark);
  });
}

const EMPTY_OFFSETS = partitionView('__consumer_offsets-0', null, [], 0);

export function eosView(world: TxnWorld, outputs: readonly EosPartitionView[]): EosView {
  const c = coordinatorContext(world);
  const open = c.volatile.coordinatorEpoch < 0 ? null : c.volatile.txns.filter((t) => t.state === 'Ongoing' || t.state.startsWith('Prepare')).map((t) => t.transactionalId);
  const txnOutcomes: TxnOutcome[] = world.ghost.txns
    .filter((t) => t.status === 'ok' || t.status === 'fail' || t.status === 'info')
    .map((t) => ({ type: t.status as TxnOutcome['type'], process: producerNode(t.incarnation), values: t.sends.map((s) => s.value) }));
  return { step: world.depth, phase: 1, inputs: [], outputs, offsetsLog: EMPTY_OFFSETS, openTransactions: open, groupState: null, txnOutcomes };
}

function rowsOf(p: number, view: EosPartitionView): Row[] {
  const rc = readCommitted(view);
  const rows: Row[] = [];
  for (const b of view.log as readonly LogBatch[]) {
    if (b.isControl || markerOf(b) !== null) continue;
    b.records.forEach((r, i) => {
      const offset = b.baseOffset + i;
      const seen = offset >= view.lastStableOffset ? 'pending' : rc.aborted.has(offset) ? 'aborted' : 'visible';
      rows.push({ partition: p, offset, value: r.value, seen });
    });
  }
  return rows;
}

// ---- The ledger adapter ------------------------------------------------------------------------------

const ledgers = new WeakMap<TxnGhost, EosLedger>();

/** A real EosLedger holding the ghost's reads and highest LSOs (one per immutable ghost). */
export function ledgerOf(ghost: TxnGhost, outputs: readonly EosPartitionView[]): EosLedger {
  const hit = ledgers.get(ghost);
  if (hit !== undefined) return hit;
  const ledger = new EosLedger();
  const exposed = outputs.map((p, i) => ({ ...p, lastStableOffset: ghost.maxLso[i] ?? 0 }));
  ledger.observe({ step: 0, phase: 1, inputs: [], outputs: exposed, offsetsLog: EMPTY_OFFSETS, openTransactions: null, groupState: null, txnOutcomes: [] });
  ghost.reads.forEach((reads, p) => {
    const records = reads.map((text) => {
      const eq = text.indexOf('=');
      return { key: partitionName(p), offset: Number(text.slice(0, eq)), value: text.slice(eq + 1) };
    });
    ledger.recordVerifierPoll(records, 0);
  });
  ledgers.set(ghost, ledger);
  return ledger;
}

/** The ghost after the reader and the LSO watch have seen `world` (the explorer's Ledger.observe). */
export function foldGhost(world: TxnWorld): TxnGhost {
  const views = partitionViews(world);
  let ghost = world.ghost;
  views.forEach((view, p) => {
    const before = ghost.reads[p] ?? [];
    const known = new Set(before);
    const added: string[] = [];
    for (const [value, offsets] of readCommitted(view).visible) for (const o of offsets) if (!known.has(`${o}=${value}`)) added.push(`${o}=${value}`);
    const maxLso = Math.max(ghost.maxLso[p] ?? 0, view.lastStableOffset);
    if (added.length === 0 && maxLso === ghost.maxLso[p]) return;
    const reads = [...ghost.reads];
    reads[p] = [...before, ...added].sort((a, b) => Number(a.slice(0, a.indexOf('='))) - Number(b.slice(0, b.indexOf('='))));
    const lsos = [...ghost.maxLso];
    lsos[p] = maxLso;
    ghost = { ...ghost, reads, maxLso: lsos };
  });
  return ghost;
}

/** No message in flight and no marker left to write: what is committed is wholly visible. */
export function isQuiet(world: TxnWorld): boolean {
  return world.network.length === 0 && coordinatorContext(world).volatile.markers.length === 0;
}

const eosByName = new Map<string, EosInvariant>(EOS_INVARIANTS.map((i) => [i.name, i]));

export function firstTxnViolation(world: TxnWorld, names: readonly string[] = TXN_INVARIANTS): Violation | undefined {
  const outputs = partitionViews(world);
  const view = eosView(world, outputs);
  const rows = outputs.flatMap((v, p) => rowsOf(p, v));
  const judged: TxnJudged = { world, view, rows };
  const ledger = ledgerOf(world.ghost, outputs);
  for (const name of names) {
    const local = LOCAL.find((i) => i.name === name);
    if (local !== undefined) {
      const witness = local.check(judged);
      if (witness !== undefined) return { invariant: name, witness };
      continue;
    }
    const eos = eosByName.get(name);
    assert(eos !== undefined, `no invariant named ${name}`);
    if (EOS_AT_QUIET.includes(name) && !isQuiet(world)) continue;
    const found = eos.check({ view, ledger });
    if (found !== undefined) return { invariant: name, witness: found.summary };
  }
  return undefined;
}

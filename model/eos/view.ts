/**
 * What the exactly-once invariants see of the transactional world after a step: each data
 * partition as its current leader holds it (log, high watermark, last stable offset), the
 * transactions the current coordinator has open, the group's state, and the transaction
 * outcomes the workers' producers reported. Plain data: the model never reaches into the
 * simulator; src/sim/eos/runner.ts builds it.
 */
import type { LogBatch } from '../../src/protocol/log.ts';
import { abortedTransactions, filterReadCommitted, lastStableOffset, markerOf, txnStateFromLog } from '../../src/machines/txn-partition.ts';

export interface EosPartitionView {
  /** `topic-partition`. */
  readonly name: string;
  /** `broker/incarnation/leaderEpoch` of the leader this view is from, null when none leads. */
  readonly leaderKey: string | null;
  readonly log: readonly LogBatch[];
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logEndOffset: number;
}

export interface TxnOutcome {
  readonly type: 'ok' | 'fail' | 'info';
  readonly process: string;
  /** The values the transaction sent. */
  readonly values: readonly string[];
}

export interface EosView {
  readonly step: number;
  readonly phase: 1 | 2;
  readonly inputs: readonly EosPartitionView[];
  readonly outputs: readonly EosPartitionView[];
  readonly offsetsLog: EosPartitionView;
  /** Transactional ids the current coordinator holds in Ongoing or Prepare* (null: no coordinator). */
  readonly openTransactions: readonly string[] | null;
  /** The consumer group's state at its current coordinator (null: no coordinator). */
  readonly groupState: string | null;
  readonly txnOutcomes: readonly TxnOutcome[];
}

/** A partition view from a leader's log and high watermark. */
export function partitionView(name: string, leaderKey: string | null, log: readonly LogBatch[], highWatermark: number): EosPartitionView {
  const last = log.at(-1);
  const logEndOffset = last === undefined ? 0 : last.lastOffset + 1;
  const hw = Math.min(highWatermark, logEndOffset);
  return { name, leaderKey, log, highWatermark: hw, lastStableOffset: lastStableOffset(txnStateFromLog(log), hw), logEndOffset };
}

export interface ReadCommittedView {
  /** value -> offsets where read_committed returns it (below the LSO). */
  readonly visible: ReadonlyMap<string, readonly number[]>;
  /** Offsets of transactional data records below the LSO that read_committed does not return (aborted). */
  readonly aborted: ReadonlySet<number>;
}

const cache = new WeakMap<readonly LogBatch[], { lso: number; view: ReadCommittedView }>();

/** What read_committed returns of the partition below its LSO, and what it filters out as aborted. */
export function readCommitted(p: EosPartitionView): ReadCommittedView {
  const hit = cache.get(p.log);
  if (hit !== undefined && hit.lso === p.lastStableOffset) return hit.view;
  const below = p.log.filter((b) => b.baseOffset < p.lastStableOffset);
  const state = txnStateFromLog(p.log);
  const { records } = filterReadCommitted(below, abortedTransactions(state, 0, p.lastStableOffset), 0);
  const visible = new Map<string, number[]>();
  for (const r of records) visible.set(r.value, [...(visible.get(r.value) ?? []), r.offset]);
  const shown = new Set(records.map((r) => r.offset));
  const aborted = new Set<number>();
  for (const b of below) {
    if (!b.isTransactional || b.isControl || markerOf(b) !== null) continue;
    b.records.forEach((_, i) => {
      if (!shown.has(b.baseOffset + i)) aborted.add(b.baseOffset + i);
    });
  }
  const view = { visible, aborted };
  cache.set(p.log, { lso: p.lastStableOffset, view });
  return view;
}

/** Every non-control record below the high watermark (what read_uncommitted returns), in offset order. */
export function readUncommitted(p: EosPartitionView): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  for (const b of p.log) {
    if (b.isControl) continue;
    b.records.forEach((r, i) => {
      if (b.baseOffset + i < p.highWatermark) out.push({ offset: b.baseOffset + i, value: r.value });
    });
  }
  return out;
}

/**
 * The named properties of the exactly-once pipeline (consume-transform-produce with
 * transactions), in the shape of model/invariants.ts: each states its claim and source and
 * returns a witness, never a bare boolean.
 *
 * - `always`: judged after every step of a history (safety);
 * - `eventually`: judged once phase 2 healed everything and ran to quiescence;
 * - `sometimes`: twins showing that a green verdict is not vacuous (a zombie was fenced, an
 *   abort followed a coordinator failover, a rebalance moved a partition mid-transaction).
 *
 * Sources: KIP-98 (transactions, read_committed, LSO), KIP-447 (generation fencing of
 * TxnOffsetCommit), KIP-890 (partition verification, epoch bump per transaction);
 * reference/formal-specs-and-bugs.md §2 items 8–15; Kafka's TransactionsTest / EOS system
 * tests (`processing.guarantee=exactly_once_v2`), which judge the same "every input's output
 * exactly once in the read_committed view" property.
 */
import { markerOf } from '../../src/machines/txn-partition.ts';
import { checkHistory } from '../history/check.ts';
import type { HistoryEvent, Isolation } from '../history/types.ts';
import type { EosLedger } from './ledger.ts';
import { type EosPartitionView, type EosView, readCommitted } from './view.ts';

export type EosInvariantKind = 'always' | 'sometimes' | 'eventually';

export interface EosJudged {
  readonly view: EosView;
  readonly ledger: EosLedger;
  /** For `eventually`: whether phase 2 reached quiescence. */
  readonly quiescent?: boolean;
  /** For `eventually`: the client history the world recorded, and the consumers' isolation level. */
  readonly history?: { readonly events: readonly HistoryEvent[]; readonly isolation: Isolation };
}

export interface EosInvariant {
  readonly name: string;
  readonly kind: EosInvariantKind;
  readonly statement: string;
  readonly source: string;
  check(judged: EosJudged): { readonly summary: string } | undefined;
}

const witness = (summary: string): { summary: string } => ({ summary });

// ---- safety (always) --------------------------------------------------------------------------

const noAbortedRead: EosInvariant = {
  name: 'no-aborted-read',
  kind: 'always',
  statement: 'the downstream consumer never returns a record of an aborted transaction',
  source: 'KIP-98 read_committed; Jepsen G1a (aborted read); KAFKA-17754',
  check({ view, ledger }) {
    const byName = new Map(view.outputs.map((p) => [p.name, p]));
    for (const read of ledger.verifierReads()) {
      const p = byName.get(read.key);
      if (p === undefined || read.offset >= p.lastStableOffset) continue;
      if (readCommitted(p).aborted.has(read.offset)) return witness(`verifier read ${read.value} at ${read.key}@${read.offset} (step ${read.step}), a record of an aborted transaction`);
    }
    return undefined;
  },
};

const noReadPastLso: EosInvariant = {
  name: 'no-read-past-lso',
  kind: 'always',
  statement: 'the downstream consumer never returns a record at or beyond the last stable offset its partition had exposed',
  source: 'KIP-98: a read_committed fetch returns data below the LSO only (Partition.fetchRecords, FetchIsolation.TXN_COMMITTED)',
  check({ ledger }) {
    for (const read of ledger.verifierReads()) {
      if (read.offset >= read.lsoSeen) return witness(`verifier read ${read.value} at ${read.key}@${read.offset} (step ${read.step}) while the partition's LSO had never passed ${read.lsoSeen}`);
    }
    return undefined;
  },
};

const noFencedEpochWrite: EosInvariant = {
  name: 'no-fenced-epoch-write',
  kind: 'always',
  statement: 'in every partition a producer id\'s transactional batches and markers never go back to a lower epoch: no write from a fenced epoch is accepted',
  source: 'ProducerAppendInfo.checkProducerEpoch (INVALID_PRODUCER_EPOCH); KIP-98 zombie fencing; KIP-890 part 2',
  check({ view }) {
    for (const p of [...view.outputs, view.offsetsLog]) {
      const epochs = new Map<number, { epoch: number; offset: number }>();
      for (const b of p.log) {
        if (!b.isTransactional || b.producerId < 0) continue;
        const before = epochs.get(b.producerId);
        if (before !== undefined && b.producerEpoch < before.epoch)
          return witness(`${p.name}@${b.baseOffset}: producer ${b.producerId} wrote ${markerOf(b) === null ? 'data' : 'a marker'} with epoch ${b.producerEpoch} after epoch ${before.epoch} (at ${before.offset})`);
        epochs.set(b.producerId, { epoch: b.producerEpoch, offset: b.baseOffset });
      }
    }
    return undefined;
  },
};

const lsoMonotonic: EosInvariant = {
  name: 'lso-monotonic',
  kind: 'always',
  statement: 'a leader never lowers the last stable offset it exposed, within its epoch and process lifetime',
  source: 'KIP-98: the LSO follows the HW and the first unstable offset, both only move forward',
  check({ view, ledger }) {
    const r = ledger.lsoRegressions(view)[0];
    return r === undefined ? undefined : witness(`${r.name}: leader ${r.leaderKey} lowered its LSO from ${r.before} to ${r.now}`);
  },
};

// ---- after healing (eventually) ---------------------------------------------------------------

/** Input values the input log holds below its high watermark (what the pipeline must process). */
function inputValues(view: EosView): string[] {
  const values: string[] = [];
  for (const p of view.inputs) for (const b of p.log) if (!b.isControl) b.records.forEach((r, i) => b.baseOffset + i < p.highWatermark && values.push(r.value));
  return values.sort();
}

function outputOf(input: string): string {
  return `out-${input.slice('in-'.length)}`;
}

/** Output values carry their processing attempt (`out-n.k`); exactly-once is judged per input. */
function baseOf(output: string): string {
  const dot = output.indexOf('.');
  return dot < 0 ? output : output.slice(0, dot);
}

const exactlyOnceRead: EosInvariant = {
  name: 'exactly-once-read',
  kind: 'eventually',
  statement: 'after healing, the downstream consumer has read every input record\'s output exactly once, and nothing that is no input\'s output',
  source: 'KIP-98/KIP-129/KIP-447 exactly-once stream processing; Kafka EOS system tests (every input\'s output once in the read_committed output)',
  check({ view, ledger }) {
    const seen = new Map<string, string[]>();
    for (const r of ledger.verifierReads()) seen.set(baseOf(r.value), [...(seen.get(baseOf(r.value)) ?? []), `${r.key}@${r.offset}`]);
    const inputs = inputValues(view);
    for (const input of inputs) {
      const at = seen.get(outputOf(input)) ?? [];
      if (at.length !== 1) return witness(`${input}'s output ${outputOf(input)} was read ${at.length} times${at.length > 0 ? ` (${at.join(', ')})` : ''}`);
    }
    const expected = new Set(inputs.map(outputOf));
    for (const [value, at] of seen) if (!expected.has(value)) return witness(`${value} read at ${at.join(', ')} is no input's output`);
    return undefined;
  },
};

const exactlyOnceLog: EosInvariant = {
  name: 'exactly-once-log',
  kind: 'eventually',
  statement: 'after healing, the read_committed view of the output holds every input record\'s output exactly once',
  source: 'KIP-98/KIP-447; the view any read_committed consumer of the output gets',
  check({ view }) {
    const counts = new Map<string, string[]>();
    for (const p of view.outputs) for (const [value, offsets] of readCommitted(p).visible) counts.set(baseOf(value), [...(counts.get(baseOf(value)) ?? []), ...offsets.map((o) => `${p.name}@${o}`)]);
    for (const input of inputValues(view)) {
      const at = counts.get(outputOf(input)) ?? [];
      if (at.length !== 1) return witness(`${outputOf(input)} is committed ${at.length} times in the output${at.length > 0 ? ` (${at.join(', ')})` : ''}`);
    }
    return undefined;
  },
};

const transactionsAtomic: EosInvariant = {
  name: 'transactions-atomic',
  kind: 'eventually',
  statement: 'a transaction a worker saw commit is wholly visible to read_committed, on every output partition it wrote',
  source: 'KIP-98 atomic multi-partition writes; Jepsen G1a/G1b',
  check({ view }) {
    const visible = new Set<string>();
    for (const p of view.outputs) for (const value of readCommitted(p).visible.keys()) visible.add(value);
    for (const t of view.txnOutcomes) {
      // Only a commit the worker saw is certain: the input of an aborted or unknown
      // transaction is processed again, so its values may be committed by a later one
      // (exactly-once-read and exactly-once-log judge those).
      if (t.type !== 'ok') continue;
      const missing = t.values.filter((v) => !visible.has(v));
      if (missing.length > 0) return witness(`${t.process}'s transaction [${t.values.join(',')}] committed but ${missing.join(',')} not visible to read_committed`);
    }
    return undefined;
  },
};

function dataPartitions(view: EosView): EosPartitionView[] {
  return [...view.inputs, ...view.outputs, view.offsetsLog];
}

const healedPipelineSettles: EosInvariant = {
  name: 'healed-pipeline-settles',
  kind: 'eventually',
  statement: 'after healing: no hanging transaction (every LSO reaches the high watermark and the log end), no transaction left open at the coordinator, the group is Stable',
  source: 'KIP-890 (hanging transactions, KAFKA-14402); KIP-98 transaction timeout; spec/groups.md',
  check({ view, quiescent }) {
    for (const p of dataPartitions(view)) {
      if (p.leaderKey === null) return witness(`${p.name} has no leader`);
      if (p.lastStableOffset !== p.logEndOffset || p.highWatermark !== p.logEndOffset)
        return witness(`${p.name}: LSO ${p.lastStableOffset}, HW ${p.highWatermark}, log end ${p.logEndOffset} (a hanging transaction holds the LSO)`);
    }
    if (view.openTransactions === null) return witness('no transaction coordinator');
    if (view.openTransactions.length > 0) return witness(`transactions left open: ${view.openTransactions.join(', ')}`);
    if (view.groupState !== 'Stable') return witness(`group is ${view.groupState ?? 'without a coordinator'}, not Stable`);
    if (quiescent === false) return witness('the pipeline did not finish processing its input after healing');
    return undefined;
  },
};

const historyChecker: EosInvariant = {
  name: 'history-checker',
  kind: 'eventually',
  statement: 'the clients\' history passes the oracle\'s history checker (Jepsen\'s Kafka anomalies, transactions atomic)',
  source: 'model/history (checkHistory): Jepsen kafka workload, contracts/history.md',
  check({ history }) {
    if (history === undefined) return undefined;
    const result = checkHistory(history.events, { txn: true, subVia: ['subscribe', 'assign'], isolation: history.isolation });
    if (result.valid === true) return undefined;
    // An empty history (no transaction completed) is unknown, not a failure of the pipeline.
    if (result.valid === 'unknown' && result.anomalyTypes.every((t) => t === 'empty-transaction-graph') && result.error === undefined) return undefined;
    const first = result.badAnomalyTypes[0] ?? result.anomalyTypes[0] ?? 'unknown';
    return witness(`history checker: ${result.valid === 'unknown' ? `unknown (${result.error ?? first})` : `${result.badAnomalyTypes.join(', ')}`}; first ${first}: ${JSON.stringify(result.anomalies[first]?.[0] ?? {}).slice(0, 300)}`);
  },
};

// ---- sometimes twins ---------------------------------------------------------------------------

const zombieFenced: EosInvariant = {
  name: 'zombie-fenced',
  kind: 'sometimes',
  statement: 'a paused worker instance resumed after its replacement started, and its producer was fenced',
  source: 'KIP-98 zombie fencing by transactional.id epoch',
  check({ ledger }) {
    return ledger.events.zombiesFenced > 0 ? witness(`${ledger.events.zombiesFenced} zombie producers fenced (${ledger.events.zombiesResumed} resumed)`) : undefined;
  },
};

const abortAfterFailover: EosInvariant = {
  name: 'abort-after-coordinator-failover',
  kind: 'sometimes',
  statement: 'a transaction was aborted by a coordinator elected after a failover (an ABORT marker with a later coordinator epoch)',
  source: 'TransactionStateManager.loadTransactionsForTxnTopicPartition; formal-specs-and-bugs.md §2',
  check({ view, ledger }) {
    const first = ledger.firstCoordinatorEpoch;
    if (first === null) return undefined;
    for (const p of [...view.outputs, view.offsetsLog])
      for (const b of p.log) {
        const m = markerOf(b);
        if (m?.type === 'ABORT' && m.coordinatorEpoch > first) return witness(`${p.name}@${b.baseOffset}: ABORT of producer ${b.producerId} by coordinator epoch ${m.coordinatorEpoch} (first ${first})`);
      }
    return undefined;
  },
};

const rebalanceMidTxn: EosInvariant = {
  name: 'rebalance-mid-transaction',
  kind: 'sometimes',
  statement: 'a rebalance changed a worker\'s generation while its transaction was open',
  source: 'KIP-447 (TxnOffsetCommit fenced by generation)',
  check({ ledger }) {
    return ledger.events.rebalancesMidTxn > 0 ? witness(`${ledger.events.rebalancesMidTxn} transactions spanned a rebalance`) : undefined;
  },
};

export const EOS_INVARIANTS: readonly EosInvariant[] = [
  noAbortedRead,
  noReadPastLso,
  noFencedEpochWrite,
  lsoMonotonic,
  exactlyOnceRead,
  exactlyOnceLog,
  transactionsAtomic,
  healedPipelineSettles,
  historyChecker,
  zombieFenced,
  abortAfterFailover,
  rebalanceMidTxn,
];

export interface EosGuarantee {
  readonly name: string;
  readonly statement: string;
  readonly invariants: readonly string[];
  readonly sometimes: readonly string[];
}

export const EXACTLY_ONCE = 'exactly-once-pipeline';

export const EOS_GUARANTEES: readonly EosGuarantee[] = [
  {
    name: EXACTLY_ONCE,
    statement: 'a consume-transform-produce pipeline with transactions: every input\'s output exactly once downstream, transactions atomic, no aborted read, no read past the LSO, no fenced write; after healing no hanging transaction and a Stable group',
    invariants: ['no-aborted-read', 'no-read-past-lso', 'no-fenced-epoch-write', 'lso-monotonic', 'exactly-once-read', 'exactly-once-log', 'transactions-atomic', 'healed-pipeline-settles', 'history-checker'],
    sometimes: ['zombie-fenced', 'abort-after-coordinator-failover', 'rebalance-mid-transaction'],
  },
];

export function eosGuarantee(name: string): EosGuarantee {
  const g = EOS_GUARANTEES.find((x) => x.name === name);
  if (g === undefined) throw new Error(`no exactly-once guarantee named ${name}`);
  return g;
}

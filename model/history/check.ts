/**
 * `checkHistory`: a client history in, Jepsen's Kafka anomalies out, each with witnesses.
 * Pure: no I/O, no clock. Streaming: events are folded one at a time into compact columns
 * (`ingest.ts`), then every anomaly function reads the shared analysis once.
 *
 * The verdict has three values (Jepsen `checker.clj` `check-safe`): a checker that throws,
 * or a history with nothing to judge, answers `"unknown"`, never a pass.
 */
import { InputError } from '../../src/core/assert.ts';
import { Analysis, Findings } from './analysis.ts';
import { abortedReads, garbageReads, precommittedReads } from './anomalies/aborted-read.ts';
import { cycles } from './anomalies/cycles.ts';
import { internalPolls, internalSends } from './anomalies/internal-order.ts';
import { lostWrites, unseen } from './anomalies/lost-write.ts';
import { pollCursors, sendCursors } from './anomalies/process-order.ts';
import { duplicates, inconsistentOffsets } from './anomalies/version-order.ts';
import { F_POLL, F_SEND, F_TXN, HistoryIngest, TYPE_FAIL, TYPE_INFO, TYPE_OK, type HistoryLog } from './ingest.ts';
import type { CheckOptions, CheckResult, HistoryEvent, HistoryStats, ResolvedOptions, SubVia, Witness } from './types.ts';

export const DEFAULT_WITNESS_LIMIT = 32;

/** An anomaly function reports witnesses into `Findings`; it never answers a bare boolean. */
export type AnomalyFunction = (analysis: Analysis, findings: Findings) => void;

/** Every anomaly function, in report order. */
export const ANOMALY_FUNCTIONS: readonly AnomalyFunction[] = [
  inconsistentOffsets, duplicates, abortedReads, precommittedReads, garbageReads, lostWrites,
  unseen, internalPolls, internalSends, pollCursors, sendCursors, cycles,
];

/** Reported when no `ok` send, poll or txn exists: nothing was observed, so nothing passes. */
export const EMPTY_HISTORY = 'empty-transaction-graph';

export function checkHistory(events: Iterable<HistoryEvent>, options: CheckOptions = {}): CheckResult {
  const resolved = resolveOptions(options);
  const ingest = new HistoryIngest('history');
  try {
    let line = 0;
    for (const event of events) ingest.add(event, line++);
  } catch (error) {
    if (error instanceof InputError) throw error;
    return undecided(ingest.log, resolved, error);
  }
  return checkLog(ingest.finish(), resolved);
}

/** Judges an ingested, sealed log. A function that throws makes the verdict `unknown`. */
export function checkLog(log: HistoryLog, options: ResolvedOptions, functions: readonly AnomalyFunction[] = ANOMALY_FUNCTIONS): CheckResult {
  try {
    return judge(log, options, functions);
  } catch (error) {
    if (error instanceof InputError) throw error;
    return undecided(log, options, error);
  }
}

function judge(log: HistoryLog, options: ResolvedOptions, functions: readonly AnomalyFunction[]): CheckResult {
  const findings = new Findings(options.witnessLimit);
  const analysis = new Analysis(log, options);
  for (const anomaly of functions) anomaly(analysis, findings);
  const stats = statistics(log);
  const empty = !hasOkTransaction(log);
  if (empty) findings.add(EMPTY_HISTORY, { reason: 'no ok send, poll or txn operation' });
  const anomalyTypes = [...findings.counts.keys()].sort();
  const allowed = allowedAnomalyTypes(options);
  const badAnomalyTypes = anomalyTypes.filter((type) => !allowed.has(type) && type !== EMPTY_HISTORY);
  const anomalies: Record<string, Witness[]> = {};
  const anomalyCounts: Record<string, number> = {};
  for (const type of anomalyTypes) {
    anomalies[type] = findings.witnesses.get(type) ?? [];
    anomalyCounts[type] = findings.counts.get(type) ?? 0;
  }
  const valid = badAnomalyTypes.length > 0 ? false : empty ? 'unknown' : true;
  return { valid, anomalyTypes, badAnomalyTypes, anomalies, anomalyCounts, infoCauses: log.infoCauses, stats, options };
}

/**
 * The anomaly types that Kafka's semantics permit under the options (Jepsen
 * `allowed-error-types`, extended with `isolation`).
 */
export function allowedAnomalyTypes(options: ResolvedOptions): ReadonlySet<string> {
  // Transactions interleave their writes by design; writes are never isolated (G0).
  const allowed = new Set(['int-send-skip', 'G0', 'G0-process']);
  // Rebalances move partitions between consumers, so a subscriber may skip or re-read.
  if (options.subVia.includes('subscribe')) allowed.add('poll-skip').add('nonmonotonic-poll');
  // Without write isolation, t0 <ww t1 <wr t0 is normal.
  if (options.wwDeps) allowed.add('G1c').add('G1c-process');
  // A read_uncommitted consumer sees aborted and open transactions' records.
  if (options.isolation === 'read_uncommitted') allowed.add('G1a').add('precommitted-read').add('G1c');
  return allowed;
}

export function resolveOptions(options: CheckOptions): ResolvedOptions {
  const subVia = options.subVia === undefined ? ['assign' as const] : typeof options.subVia === 'string' ? [options.subVia] : [...options.subVia];
  for (const via of subVia) {
    if (via !== 'assign' && via !== 'subscribe') throw new InputError(`option subVia: expected "assign" or "subscribe", got ${JSON.stringify(via)}`);
  }
  const isolation = options.isolation ?? null;
  if (isolation !== null && isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw new InputError(`option isolation: expected "read_committed" or "read_uncommitted", got ${JSON.stringify(isolation)}`);
  }
  const witnessLimit = options.witnessLimit ?? DEFAULT_WITNESS_LIMIT;
  if (!Number.isSafeInteger(witnessLimit) || witnessLimit < 1) {
    throw new InputError(`option witnessLimit: expected a positive integer, got ${JSON.stringify(witnessLimit)}`);
  }
  return { txn: options.txn === true, subVia: [...new Set<SubVia>(subVia)].sort(), wwDeps: options.wwDeps === true, isolation, witnessLimit };
}

function hasOkTransaction(log: HistoryLog): boolean {
  for (let op = 0; op < log.opCount; op++) {
    const f = log.opF.get(op);
    if (log.opType.get(op) === TYPE_OK && (f === F_SEND || f === F_POLL || f === F_TXN)) return true;
  }
  return false;
}

function statistics(log: HistoryLog): HistoryStats {
  const byType = [0, 0, 0];
  for (let op = 0; op < log.opCount; op++) byType[log.opType.get(op)]! += 1;
  return {
    events: log.events,
    operations: log.opCount,
    ok: byType[TYPE_OK]!,
    fail: byType[TYPE_FAIL]!,
    info: byType[TYPE_INFO]!,
    notes: log.notes,
    keys: log.keyNames.length,
    values: log.valueRaw.length,
    reads: log.readValue.length,
    writes: log.writeValue.length,
  };
}

function undecided(log: HistoryLog, options: ResolvedOptions, error: unknown): CheckResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    valid: 'unknown', anomalyTypes: [], badAnomalyTypes: [], anomalies: {}, anomalyCounts: {},
    infoCauses: log.infoCauses, stats: statistics(log), options, error: `checker failed: ${message}`,
  };
}

/**
 * The package's public API (package.json "exports"). Each area appends its exports here.
 */

// The history oracle: judge another implementation's client history (spec/oracle.md).
export {
  checkHistory, checkHistoryFile, checkLog, allowedAnomalyTypes, resolveOptions, formatOf,
  ANOMALY_SENTENCES, describeWitness, sentenceFor, generateHistory, HistoryGenerator, EMPTY_HISTORY,
} from '../model/index.ts';
export type {
  CheckOptions, CheckResult, HistoryEvent, HistoryStats, Isolation, OpRef, OpType, ResolvedOptions, SubVia, Verdict, Witness,
  GenerateOptions, HistoryFormat,
} from '../model/index.ts';

/**
 * The history checker's public types: the input event (the JSON form of a Jepsen Kafka
 * workload operation, `/spec/oracle.md` and the history contract), the options that say
 * under which rules the history was produced, and the answer with its witnesses.
 */

/** `invoke` starts an operation; `ok` it happened; `fail` it did not; `info` unknown. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** The functions the checker judges; any other `f` (or the `nemesis` process) is a note. */
export type ClientF = 'send' | 'poll' | 'txn' | 'assign' | 'subscribe' | 'crash';

/** A sent value: unique within its key. */
export type HistoryValue = number | string;

/** A key (topic-partition); a Jepsen integer key is accepted and becomes its decimal string. */
export type HistoryKey = string | number;

/** `[offset, value]`; `offset` is null when the client never learned it. */
export type OffsetValue = readonly [number | null, HistoryValue];

export type SendMop = readonly ['send', HistoryKey, HistoryValue | OffsetValue];
export type PollMop =
  | readonly ['poll']
  | readonly ['poll', Readonly<Record<string, readonly OffsetValue[]>>];
export type Mop = SendMop | PollMop;

export interface RebalanceEvent {
  readonly type: 'revoked' | 'assigned' | string;
  readonly keys: readonly HistoryKey[];
}

/** One line of a history (the contract's "operation event"). */
export interface HistoryEvent {
  readonly index?: number;
  readonly time?: number;
  readonly process: number | string;
  readonly type: OpType;
  readonly f: string;
  /**
   * Micro-operations (`Mop[]`) for send/poll/txn; a key list (`HistoryKey[]`) for
   * assign/subscribe. Typed `unknown` so that any recorder's events are accepted as they are:
   * the checker validates every shape and names the line of a bad one.
   */
  readonly value?: unknown;
  readonly rebalanceLog?: readonly RebalanceEvent[];
  readonly seekToBeginning?: boolean;
  readonly error?: unknown;
}

export type SubVia = 'assign' | 'subscribe';
export type Isolation = 'read_committed' | 'read_uncommitted';

/** The rules under which the history was produced (contract: "What the checker is told"). */
export interface CheckOptions {
  /** Operations of `f: "txn"` (and multi-send operations) are atomic transactions. */
  readonly txn?: boolean;
  /** How consumers chose partitions; `subscribe` allows `poll-skip` and `nonmonotonic-poll`. */
  readonly subVia?: SubVia | readonly SubVia[];
  /** Infer write-write edges from the log order (G0 and ww-based G1c become possible). */
  readonly wwDeps?: boolean;
  /** Absent: Jepsen's rules. `read_committed` adds `early-read`; `read_uncommitted` allows reads of uncommitted data. */
  readonly isolation?: Isolation;
  /** How many witnesses to keep per anomaly type (the count is always exact). Default 32. */
  readonly witnessLimit?: number;
}

/** The options as the checker applied them. */
export interface ResolvedOptions {
  readonly txn: boolean;
  readonly subVia: readonly SubVia[];
  readonly wwDeps: boolean;
  readonly isolation: Isolation | null;
  readonly witnessLimit: number;
}

/** An operation named in a witness: its completion's `index` (the invoke's for an unfinished one). */
export interface OpRef {
  readonly index: number;
  readonly process: number | string;
  readonly type: OpType;
  readonly f: string;
}

export type Witness = Readonly<Record<string, unknown>>;

export interface HistoryStats {
  /** Lines (events) read, including notes. */
  readonly events: number;
  /** Completed client operations (an invoke with no completion counts as an `info`). */
  readonly operations: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  /** Events judged by no rule (nemesis, unknown `f`). */
  readonly notes: number;
  readonly keys: number;
  readonly values: number;
  readonly reads: number;
  readonly writes: number;
}

export type Verdict = true | false | 'unknown';

/** The contract's answer object, plus exact counts, statistics and the options applied. */
export interface CheckResult {
  readonly valid: Verdict;
  readonly anomalyTypes: readonly string[];
  readonly badAnomalyTypes: readonly string[];
  readonly anomalies: Readonly<Record<string, readonly Witness[]>>;
  readonly anomalyCounts: Readonly<Record<string, number>>;
  /** Distinct `error` values of `info` operations (Jepsen's info-txn-causes), at most 32. */
  readonly infoCauses: readonly unknown[];
  readonly stats: HistoryStats;
  readonly options: ResolvedOptions;
  /** Why the verdict is `unknown`, when it is. */
  readonly error?: string;
}

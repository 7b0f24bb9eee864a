/**
 * # Kafka's TransactionState table, as data
 *
 * `TransactionState.java` (ids 0-7) with its legal previous states, the TV2 additions
 * (KIP-890 part 2: an abort may start from Empty or Complete*), and the coordinator's
 * answer to every request in every state (`TransactionCoordinator.scala`:
 * handleInitProducerId, handleAddPartitionsToTransaction, handleEndTransaction, the
 * timed-out-transaction abort, and the markers' completion). The coordinator
 * (txn-coordinator.ts) looks its decisions up here; test/machines/txn-state.test.ts
 * checks the table is total, that every path it takes is a legal transition, and that it
 * matches kafka-internals §4.2/§4.3 row by row.
 *
 * The table answers a request whose producer checks already passed (producer id matches,
 * epoch current; see txn-coordinator.ts), with no write to the transaction log pending for
 * that id (else CONCURRENT_TRANSACTIONS). A `transit` outcome names the states entered, in
 * order: every state but PrepareEpochFence is written to `__transaction_state` before it
 * takes effect; PrepareEpochFence is Kafka's in-memory step (`prepareFenceProducerEpoch`)
 * before the abort it forces.
 */
import { assert } from '../core/assert.ts';
import type { ErrorCode } from '../protocol/errors.ts';

/** In id order: `TransactionState.id()` is the index. */
export const TRANSACTION_STATES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
] as const;

export type TransactionState = (typeof TRANSACTION_STATES)[number];

export type TransactionVersion = 1 | 2;

export function stateId(state: TransactionState): number {
  return TRANSACTION_STATES.indexOf(state);
}

export function stateOfId(id: number): TransactionState {
  const state = TRANSACTION_STATES[id];
  assert(state !== undefined, `no TransactionState with id ${id}`);
  return state;
}

/** `TransactionState.VALID_PREVIOUS_STATES` (TV0/TV1). */
const PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

/** KIP-890 part 2: an EndTxn abort may start from a state with no open transaction. */
const TV2_PREVIOUS_STATES: Readonly<Partial<Record<TransactionState, readonly TransactionState[]>>> = {
  PrepareAbort: ['Empty', 'CompleteCommit', 'CompleteAbort'],
};

/** Expiration (`transactional.id.expiration.ms`) is allowed only here. */
export const EXPIRABLE_STATES: readonly TransactionState[] = ['Empty', 'CompleteCommit', 'CompleteAbort'];

export function legalPreviousStates(to: TransactionState, version: TransactionVersion): readonly TransactionState[] {
  const extra = version >= 2 ? (TV2_PREVIOUS_STATES[to] ?? []) : [];
  return [...PREVIOUS_STATES[to], ...extra];
}

export function isLegalTransition(from: TransactionState, to: TransactionState, version: TransactionVersion): boolean {
  return legalPreviousStates(to, version).includes(from);
}

/** Every transition the coordinator makes goes through here: an illegal one is a bug. */
export function checkTransition(from: TransactionState, to: TransactionState, version: TransactionVersion): void {
  assert(isLegalTransition(from, to, version), `illegal transaction state transition ${from} -> ${to} (TV${version})`);
}

// ---- Request x state -> outcome --------------------------------------------------------

/**
 * The coordinator's inputs: the four client requests (AddOffsetsToTxn is
 * AddPartitionsToTxn of the group's `__consumer_offsets` partition), the timer that aborts
 * an expired transaction, and the event "every marker of the transaction is written".
 */
export const TXN_REQUESTS = [
  'InitProducerId',
  'AddPartitionsToTxn',
  'EndTxn(commit)',
  'EndTxn(abort)',
  'TxnTimeout',
  'TxnMarkersWritten',
] as const;

export type TxnRequest = (typeof TXN_REQUESTS)[number];

export type TxnOutcome =
  /** Enter `path` in order (writing each to the log), answering `errorCode`. */
  | { readonly kind: 'transit'; readonly path: readonly TransactionState[]; readonly errorCode: ErrorCode; readonly note: string }
  /** Answer without a state change. */
  | { readonly kind: 'reply'; readonly errorCode: ErrorCode; readonly note: string }
  /** An internal event with nothing to do in this state. */
  | { readonly kind: 'ignore'; readonly note: string };

function transit(path: readonly TransactionState[], errorCode: ErrorCode, note: string): TxnOutcome {
  return { kind: 'transit', path, errorCode, note };
}
function reply(errorCode: ErrorCode, note: string): TxnOutcome {
  return { kind: 'reply', errorCode, note };
}
function ignore(note: string): TxnOutcome {
  return { kind: 'ignore', note };
}

type Row = Readonly<Record<TransactionState, TxnOutcome>>;

const CONCURRENT = reply('CONCURRENT_TRANSACTIONS', 'a commit or abort is completing: retry');
const DEAD = reply('INVALID_TXN_STATE', 'the transactional id is being removed');

const INIT_PRODUCER_ID: Row = {
  Empty: transit(['Empty'], 'NONE', 'bump the epoch (or a new producer id when exhausted)'),
  CompleteCommit: transit(['Empty'], 'NONE', 'bump the epoch (or a new producer id when exhausted)'),
  CompleteAbort: transit(['Empty'], 'NONE', 'bump the epoch (or a new producer id when exhausted)'),
  Ongoing: transit(['PrepareEpochFence', 'PrepareAbort'], 'CONCURRENT_TRANSACTIONS', 'fence the old epoch and abort its transaction; the client retries'),
  PrepareCommit: CONCURRENT,
  PrepareAbort: CONCURRENT,
  PrepareEpochFence: CONCURRENT,
  Dead: DEAD,
};

const ADD_PARTITIONS: Row = {
  Empty: transit(['Ongoing'], 'NONE', 'the transaction starts (txnStartTimestamp set)'),
  CompleteCommit: transit(['Ongoing'], 'NONE', 'the transaction starts (txnStartTimestamp set)'),
  CompleteAbort: transit(['Ongoing'], 'NONE', 'the transaction starts (txnStartTimestamp set)'),
  Ongoing: transit(['Ongoing'], 'NONE', 'partitions added (nothing written if all are in already)'),
  PrepareCommit: CONCURRENT,
  PrepareAbort: CONCURRENT,
  PrepareEpochFence: CONCURRENT,
  Dead: DEAD,
};

const END_COMMIT: Row = {
  Ongoing: transit(['PrepareCommit'], 'NONE', 'prepare, answer, then write the markers'),
  CompleteCommit: reply('NONE', 'a retried commit'),
  CompleteAbort: reply('INVALID_TXN_STATE', 'the transaction was aborted'),
  PrepareCommit: CONCURRENT,
  PrepareAbort: reply('INVALID_TXN_STATE', 'the transaction is aborting'),
  Empty: reply('INVALID_TXN_STATE', 'no transaction is open'),
  PrepareEpochFence: CONCURRENT,
  Dead: DEAD,
};

const END_ABORT: Row = {
  Ongoing: transit(['PrepareAbort'], 'NONE', 'prepare, answer, then write the markers'),
  CompleteAbort: reply('NONE', 'a retried abort'),
  CompleteCommit: reply('INVALID_TXN_STATE', 'the transaction was committed'),
  PrepareAbort: CONCURRENT,
  PrepareCommit: reply('INVALID_TXN_STATE', 'the transaction is committing'),
  Empty: reply('INVALID_TXN_STATE', 'no transaction is open'),
  PrepareEpochFence: CONCURRENT,
  Dead: DEAD,
};

const NOT_ONGOING = ignore('no open transaction to expire');
const TXN_TIMEOUT: Row = {
  Ongoing: transit(['PrepareEpochFence', 'PrepareAbort'], 'NONE', 'expired: fence the producer and abort'),
  Empty: NOT_ONGOING,
  PrepareCommit: NOT_ONGOING,
  PrepareAbort: NOT_ONGOING,
  CompleteCommit: NOT_ONGOING,
  CompleteAbort: NOT_ONGOING,
  PrepareEpochFence: NOT_ONGOING,
  Dead: NOT_ONGOING,
};

const NOT_PREPARED = ignore('no markers outstanding');
const MARKERS_WRITTEN: Row = {
  PrepareCommit: transit(['CompleteCommit'], 'NONE', 'every marker written: complete (partitions cleared)'),
  PrepareAbort: transit(['CompleteAbort'], 'NONE', 'every marker written: complete (partitions cleared)'),
  Empty: NOT_PREPARED,
  Ongoing: NOT_PREPARED,
  CompleteCommit: NOT_PREPARED,
  CompleteAbort: NOT_PREPARED,
  PrepareEpochFence: NOT_PREPARED,
  Dead: NOT_PREPARED,
};

const TABLE: Readonly<Record<TxnRequest, Row>> = {
  InitProducerId: INIT_PRODUCER_ID,
  AddPartitionsToTxn: ADD_PARTITIONS,
  'EndTxn(commit)': END_COMMIT,
  'EndTxn(abort)': END_ABORT,
  TxnTimeout: TXN_TIMEOUT,
  TxnMarkersWritten: MARKERS_WRITTEN,
};

/**
 * KIP-890 part 2 (TV2) changes: every EndTxn bumps the epoch, so a retry is recognised by
 * its epoch (current - 1, handled before the table), and a request with the current epoch
 * in a Complete state is a new one: an abort of nothing is legal (it fences), a commit of
 * nothing is not.
 */
const TV2_OVERRIDES: Readonly<Partial<Record<TxnRequest, Partial<Row>>>> = {
  'EndTxn(commit)': {
    CompleteCommit: reply('INVALID_TXN_STATE', 'TV2: a retry carries the previous epoch; this commits nothing'),
  },
  'EndTxn(abort)': {
    Empty: transit(['PrepareAbort'], 'NONE', 'TV2: abort with no open transaction bumps the epoch'),
    CompleteCommit: transit(['PrepareAbort'], 'NONE', 'TV2: abort with no open transaction bumps the epoch'),
    CompleteAbort: transit(['PrepareAbort'], 'NONE', 'TV2: abort with no open transaction bumps the epoch'),
  },
};

export function txnOutcome(request: TxnRequest, state: TransactionState, version: TransactionVersion): TxnOutcome {
  const override = version >= 2 ? TV2_OVERRIDES[request]?.[state] : undefined;
  return override ?? TABLE[request][state];
}

/**
 * The legal transitions as a Mermaid `stateDiagram-v2` (spec/transactions.md embeds this
 * output; a test keeps the two equal). Edges only TV2 allows are labelled `TV2`.
 */
export function transactionStateDiagram(): string {
  const out = ['stateDiagram-v2', '  [*] --> Empty'];
  for (const to of TRANSACTION_STATES) {
    for (const from of PREVIOUS_STATES[to]) out.push(`  ${from} --> ${to}`);
    for (const from of TV2_PREVIOUS_STATES[to] ?? []) out.push(`  ${from} --> ${to} : TV2`);
  }
  return out.join('\n');
}

/** The request x state table as Markdown (spec/transactions.md embeds it; a test keeps them equal). */
export function txnOutcomeMarkdown(version: TransactionVersion): string {
  const cell = (o: TxnOutcome): string =>
    o.kind === 'transit' ? `→ ${o.path.join(' → ')}${o.errorCode === 'NONE' ? '' : `, ${o.errorCode}`}` : o.kind === 'reply' ? o.errorCode : '–';
  const rows = [`| state | ${TXN_REQUESTS.join(' | ')} |`, `|---|${TXN_REQUESTS.map(() => '---').join('|')}|`];
  for (const state of TRANSACTION_STATES) rows.push(`| ${state} | ${TXN_REQUESTS.map((r) => cell(txnOutcome(r, state, version))).join(' | ')} |`);
  return rows.join('\n');
}

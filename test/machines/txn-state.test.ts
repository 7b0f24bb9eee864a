import { describe, expect, it } from 'vitest';
import {
  TRANSACTION_STATES,
  TXN_REQUESTS,
  type TransactionState,
  type TransactionVersion,
  checkTransition,
  isLegalTransition,
  stateId,
  stateOfId,
  txnOutcome,
} from '../../src/machines/txn-state.ts';

const VERSIONS: readonly TransactionVersion[] = [1, 2];

/** kafka-internals §4.2, written out independently of the source table. */
const EXPECTED_PREVIOUS: Record<TransactionState, string> = {
  Empty: 'Empty CompleteCommit CompleteAbort',
  Ongoing: 'Ongoing Empty CompleteCommit CompleteAbort',
  PrepareCommit: 'Ongoing',
  PrepareAbort: 'Ongoing PrepareEpochFence',
  CompleteCommit: 'PrepareCommit',
  CompleteAbort: 'PrepareAbort',
  Dead: 'Empty CompleteCommit CompleteAbort',
  PrepareEpochFence: 'Ongoing',
};
const TV2_EXTRA: Partial<Record<TransactionState, string>> = { PrepareAbort: 'Empty CompleteCommit CompleteAbort' };

describe('TransactionState', () => {
  it('has Kafka ids 0-7 in order', () => {
    expect(TRANSACTION_STATES.map(stateId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(stateOfId(7)).toBe('PrepareEpochFence');
    expect(() => stateOfId(8)).toThrow();
  });

  for (const version of VERSIONS) {
    it(`TV${version}: all 64 (from, to) pairs are legal exactly as kafka-internals §4.2 says; the rest are rejected`, () => {
      let legal = 0;
      for (const to of TRANSACTION_STATES) {
        const expected = new Set(EXPECTED_PREVIOUS[to].split(' '));
        if (version === 2) for (const s of (TV2_EXTRA[to] ?? '').split(' ').filter((x) => x !== '')) expected.add(s);
        for (const from of TRANSACTION_STATES) {
          expect(isLegalTransition(from, to, version), `${from} -> ${to}`).toBe(expected.has(from));
          if (expected.has(from)) {
            legal++;
            expect(() => checkTransition(from, to, version)).not.toThrow();
          } else {
            expect(() => checkTransition(from, to, version)).toThrow(/illegal transaction state transition/);
          }
        }
      }
      expect(legal).toBe(version === 1 ? 16 : 19);
    });
  }
});

/**
 * kafka-internals §4.3 as an independent table: request -> state -> expected outcome
 * (`S1>S2/ERR` a transit with its reply, `=ERR` a reply, `-` nothing to do).
 */
const EXPECTED_TV1: Record<string, Record<TransactionState, string>> = {
  InitProducerId: {
    Empty: 'Empty/NONE', CompleteCommit: 'Empty/NONE', CompleteAbort: 'Empty/NONE',
    Ongoing: 'PrepareEpochFence>PrepareAbort/CONCURRENT_TRANSACTIONS',
    PrepareCommit: '=CONCURRENT_TRANSACTIONS', PrepareAbort: '=CONCURRENT_TRANSACTIONS',
    PrepareEpochFence: '=CONCURRENT_TRANSACTIONS', Dead: '=INVALID_TXN_STATE',
  },
  AddPartitionsToTxn: {
    Empty: 'Ongoing/NONE', CompleteCommit: 'Ongoing/NONE', CompleteAbort: 'Ongoing/NONE', Ongoing: 'Ongoing/NONE',
    PrepareCommit: '=CONCURRENT_TRANSACTIONS', PrepareAbort: '=CONCURRENT_TRANSACTIONS',
    PrepareEpochFence: '=CONCURRENT_TRANSACTIONS', Dead: '=INVALID_TXN_STATE',
  },
  'EndTxn(commit)': {
    Ongoing: 'PrepareCommit/NONE', CompleteCommit: '=NONE', CompleteAbort: '=INVALID_TXN_STATE',
    PrepareCommit: '=CONCURRENT_TRANSACTIONS', PrepareAbort: '=INVALID_TXN_STATE', Empty: '=INVALID_TXN_STATE',
    PrepareEpochFence: '=CONCURRENT_TRANSACTIONS', Dead: '=INVALID_TXN_STATE',
  },
  'EndTxn(abort)': {
    Ongoing: 'PrepareAbort/NONE', CompleteAbort: '=NONE', CompleteCommit: '=INVALID_TXN_STATE',
    PrepareAbort: '=CONCURRENT_TRANSACTIONS', PrepareCommit: '=INVALID_TXN_STATE', Empty: '=INVALID_TXN_STATE',
    PrepareEpochFence: '=CONCURRENT_TRANSACTIONS', Dead: '=INVALID_TXN_STATE',
  },
  TxnTimeout: {
    Ongoing: 'PrepareEpochFence>PrepareAbort/NONE', Empty: '-', PrepareCommit: '-', PrepareAbort: '-',
    CompleteCommit: '-', CompleteAbort: '-', PrepareEpochFence: '-', Dead: '-',
  },
  TxnMarkersWritten: {
    PrepareCommit: 'CompleteCommit/NONE', PrepareAbort: 'CompleteAbort/NONE', Empty: '-', Ongoing: '-',
    CompleteCommit: '-', CompleteAbort: '-', PrepareEpochFence: '-', Dead: '-',
  },
};

function expectedFor(request: string, state: TransactionState, version: TransactionVersion): string {
  if (version === 2 && request === 'EndTxn(commit)' && state === 'CompleteCommit') return '=INVALID_TXN_STATE';
  if (version === 2 && request === 'EndTxn(abort)' && ['Empty', 'CompleteCommit', 'CompleteAbort'].includes(state)) {
    return 'PrepareAbort/NONE';
  }
  return EXPECTED_TV1[request]?.[state] ?? 'missing';
}

function render(request: (typeof TXN_REQUESTS)[number], state: TransactionState, version: TransactionVersion): string {
  const o = txnOutcome(request, state, version);
  if (o.kind === 'transit') return `${o.path.join('>')}/${o.errorCode}`;
  if (o.kind === 'reply') return `=${o.errorCode}`;
  return '-';
}

describe('request x state -> outcome', () => {
  for (const version of VERSIONS) {
    it(`TV${version}: every one of the ${TXN_REQUESTS.length} x 8 cells has exactly one outcome, as kafka-internals §4.3 says`, () => {
      let cells = 0;
      for (const request of TXN_REQUESTS) {
        for (const state of TRANSACTION_STATES) {
          expect(render(request, state, version), `${request} in ${state}`).toBe(expectedFor(request, state, version));
          cells++;
        }
      }
      expect(cells).toBe(48);
    });

    it(`TV${version}: every transit path is a chain of legal transitions from its state`, () => {
      for (const request of TXN_REQUESTS) {
        for (const state of TRANSACTION_STATES) {
          const o = txnOutcome(request, state, version);
          if (o.kind !== 'transit') continue;
          let from = state;
          for (const to of o.path) {
            expect(isLegalTransition(from, to, version), `${request} in ${state}: ${from} -> ${to}`).toBe(true);
            from = to;
          }
        }
      }
    });
  }

  it('the TV2 abort-from-Complete paths are illegal under TV1 (the table and the transitions agree)', () => {
    for (const state of ['Empty', 'CompleteCommit', 'CompleteAbort'] as const) {
      expect(txnOutcome('EndTxn(abort)', state, 2).kind).toBe('transit');
      expect(isLegalTransition(state, 'PrepareAbort', 1)).toBe(false);
    }
  });
});

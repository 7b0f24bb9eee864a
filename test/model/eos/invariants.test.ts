/**
 * Each exactly-once invariant on hand-built views: it holds on a correct pipeline's view and
 * fails, with a witness naming the culprit, on its violating twin; each `sometimes` twin is
 * reached only when its event happened.
 */
import { describe, expect, it } from 'vitest';
import { EOS_GUARANTEES, EOS_INVARIANTS, eosGuarantee, type EosJudged } from '../../../model/eos/invariants.ts';
import { EosLedger } from '../../../model/eos/ledger.ts';
import { type EosView, partitionView, readCommitted } from '../../../model/eos/view.ts';
import type { LogBatch } from '../../../src/protocol/log.ts';
import { markerBatch, type MarkerType } from '../../../src/machines/txn-partition.ts';

type Entry = { values: string[]; pid?: number; epoch?: number; txn?: boolean } | { marker: MarkerType; pid: number; epoch: number; coordinatorEpoch?: number };

/** A log from entries, offsets assigned in order. */
function log(entries: readonly Entry[]): LogBatch[] {
  let offset = 0;
  return entries.map((e) => {
    const batch: LogBatch =
      'marker' in e
        ? { ...markerBatch(e.pid, e.epoch, e.marker, e.coordinatorEpoch ?? 0), partitionLeaderEpoch: 0 }
        : { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: 0, producerId: e.pid ?? -1, producerEpoch: e.epoch ?? -1, baseSequence: 0, isTransactional: e.txn ?? true, isControl: false, records: e.values.map((value) => ({ key: null, value })) };
    const placed = { ...batch, baseOffset: offset, lastOffset: offset + batch.records.length - 1 };
    offset = placed.lastOffset + 1;
    return placed;
  });
}

function part(name: string, entries: readonly Entry[], hw?: number, leaderKey: string | null = 'broker-0/0/e0') {
  const l = log(entries);
  return partitionView(name, leaderKey, l, hw ?? (l.at(-1)?.lastOffset ?? -1) + 1);
}

const INPUTS = [part('input-0', [{ values: ['in-0'], txn: false }]), part('input-1', [{ values: ['in-1'], txn: false }])];

function view(outputs: EosView['outputs'], extra: Partial<EosView> = {}): EosView {
  return {
    step: 1,
    phase: 2,
    inputs: INPUTS,
    outputs,
    offsetsLog: part('__consumer_offsets-0', []),
    openTransactions: [],
    groupState: 'Stable',
    txnOutcomes: [],
    ...extra,
  };
}

const GOOD_OUTPUTS = [
  part('output-0', [{ values: ['out-0'], pid: 7, epoch: 0 }, { marker: 'COMMIT', pid: 7, epoch: 1 }]),
  part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { marker: 'COMMIT', pid: 8, epoch: 1 }]),
];

function ledgerReading(reads: { key: string; offset: number; value: string }[], lso = 10): EosLedger {
  const ledger = new EosLedger();
  // Each output partition has exposed an LSO of `lso` (what a read_committed fetch stays below).
  const filler = Array.from({ length: lso }, (_, i) => `x${i}`);
  ledger.observe(view([part('output-0', lso > 0 ? [{ values: filler, txn: false }] : []), part('output-1', lso > 0 ? [{ values: filler, txn: false }] : [])]));
  ledger.recordVerifierPoll(reads, 1);
  return ledger;
}

function check(name: string, judged: EosJudged): string | undefined {
  const invariant = EOS_INVARIANTS.find((i) => i.name === name);
  if (invariant === undefined) throw new Error(name);
  return invariant.check(judged)?.summary;
}

const GOOD_READS = [
  { key: 'output-0', offset: 0, value: 'out-0' },
  { key: 'output-1', offset: 0, value: 'out-1' },
];

describe('exactly-once invariants: each holds on a correct view and fails on its twin', () => {
  it('exactly-once-read: every input\'s output read once; twins: read twice, never read, a stray output', () => {
    expect(check('exactly-once-read', { view: view(GOOD_OUTPUTS), ledger: ledgerReading(GOOD_READS) })).toBeUndefined();
    expect(check('exactly-once-read', { view: view(GOOD_OUTPUTS), ledger: ledgerReading([...GOOD_READS, { key: 'output-1', offset: 2, value: 'out-1' }]) })).toMatch(/in-1's output out-1 was read 2 times/);
    expect(check('exactly-once-read', { view: view(GOOD_OUTPUTS), ledger: ledgerReading(GOOD_READS.slice(0, 1)) })).toMatch(/out-1 was read 0 times/);
    expect(check('exactly-once-read', { view: view(GOOD_OUTPUTS), ledger: ledgerReading([...GOOD_READS, { key: 'output-0', offset: 3, value: 'out-9' }]) })).toMatch(/out-9 read at output-0@3 is no input's output/);
  });

  it('exactly-once-log: the read_committed view holds each output once; twins: an aborted copy does not count, a second committed one does', () => {
    expect(check('exactly-once-log', { view: view(GOOD_OUTPUTS), ledger: new EosLedger() })).toBeUndefined();
    const abortedCopy = part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { marker: 'ABORT', pid: 8, epoch: 1 }, { values: ['out-1'], pid: 8, epoch: 1 }, { marker: 'COMMIT', pid: 8, epoch: 2 }]);
    expect(check('exactly-once-log', { view: view([GOOD_OUTPUTS[0]!, abortedCopy]), ledger: new EosLedger() })).toBeUndefined();
    const twice = part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { values: ['out-1'], pid: 9, epoch: 0 }, { marker: 'COMMIT', pid: 8, epoch: 1 }, { marker: 'COMMIT', pid: 9, epoch: 1 }]);
    expect(check('exactly-once-log', { view: view([GOOD_OUTPUTS[0]!, twice]), ledger: new EosLedger() })).toMatch(/out-1 is committed 2 times in the output \(output-1@0, output-1@1\)/);
  });

  it('no-aborted-read: twin reads the record of an aborted transaction', () => {
    const aborted = part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { marker: 'ABORT', pid: 8, epoch: 1 }, { values: ['out-1'], pid: 8, epoch: 1 }, { marker: 'COMMIT', pid: 8, epoch: 2 }]);
    expect(readCommitted(aborted).aborted).toEqual(new Set([0]));
    const outputs = [GOOD_OUTPUTS[0]!, aborted];
    expect(check('no-aborted-read', { view: view(outputs), ledger: ledgerReading([{ key: 'output-1', offset: 2, value: 'out-1' }]) })).toBeUndefined();
    expect(check('no-aborted-read', { view: view(outputs), ledger: ledgerReading([{ key: 'output-1', offset: 0, value: 'out-1' }]) })).toMatch(/output-1@0 .* aborted transaction/);
  });

  it('no-read-past-lso: twin reads at an offset the LSO never passed', () => {
    expect(check('no-read-past-lso', { view: view(GOOD_OUTPUTS), ledger: ledgerReading(GOOD_READS, 1) })).toBeUndefined();
    expect(check('no-read-past-lso', { view: view(GOOD_OUTPUTS), ledger: ledgerReading(GOOD_READS, 0) })).toMatch(/LSO had never passed 0/);
  });

  it('no-fenced-epoch-write: twin appends data with an epoch below one already written', () => {
    expect(check('no-fenced-epoch-write', { view: view(GOOD_OUTPUTS), ledger: new EosLedger() })).toBeUndefined();
    const zombie = part('output-0', [{ values: ['out-0'], pid: 7, epoch: 1 }, { marker: 'COMMIT', pid: 7, epoch: 2 }, { values: ['out-2'], pid: 7, epoch: 1 }]);
    expect(check('no-fenced-epoch-write', { view: view([zombie, GOOD_OUTPUTS[1]!]), ledger: new EosLedger() })).toMatch(/producer 7 wrote data with epoch 1 after epoch 2/);
  });

  it('lso-monotonic: twin lowers the LSO within one leader incarnation; a new leader may start lower', () => {
    const ledger = new EosLedger();
    const high = view(GOOD_OUTPUTS);
    ledger.observe(high);
    const open = part('output-0', [{ values: ['out-0'], pid: 7, epoch: 0 }], 1);
    expect(open.lastStableOffset).toBe(0);
    expect(check('lso-monotonic', { view: view([open, GOOD_OUTPUTS[1]!]), ledger })).toMatch(/output-0: leader broker-0\/0\/e0 lowered its LSO from 2 to 0/);
    const newLeader = part('output-0', [{ values: ['out-0'], pid: 7, epoch: 0 }], 1, 'broker-1/0/e1');
    expect(check('lso-monotonic', { view: view([newLeader, GOOD_OUTPUTS[1]!]), ledger })).toBeUndefined();
  });

  it('transactions-atomic: twin reports a commit whose value is not visible', () => {
    const outcomes = [{ type: 'ok' as const, process: 'w', values: ['out-0', 'out-1'] }];
    expect(check('transactions-atomic', { view: view(GOOD_OUTPUTS, { txnOutcomes: outcomes }), ledger: new EosLedger() })).toBeUndefined();
    const lost = [GOOD_OUTPUTS[0]!, part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { marker: 'ABORT', pid: 8, epoch: 1 }])];
    expect(check('transactions-atomic', { view: view(lost, { txnOutcomes: outcomes }), ledger: new EosLedger() })).toMatch(/committed but out-1 not visible/);
  });

  it('healed-pipeline-settles: twins: a hanging transaction, an open one at the coordinator, an unstable group', () => {
    const judged = (v: EosView) => check('healed-pipeline-settles', { view: v, ledger: new EosLedger(), quiescent: true });
    expect(judged(view(GOOD_OUTPUTS))).toBeUndefined();
    const hanging = part('output-1', [{ values: ['out-1'], pid: 8, epoch: 0 }, { marker: 'COMMIT', pid: 8, epoch: 1 }, { values: ['rogue'], pid: 9, epoch: 0 }]);
    expect(judged(view([GOOD_OUTPUTS[0]!, hanging]))).toMatch(/output-1: LSO 2, HW 3, log end 3/);
    expect(judged(view(GOOD_OUTPUTS, { openTransactions: ['eos-app-0 (Ongoing)'] }))).toMatch(/left open: eos-app-0/);
    expect(judged(view(GOOD_OUTPUTS, { groupState: 'PreparingRebalance' }))).toMatch(/PreparingRebalance, not Stable/);
  });

  it('sometimes twins are reached only when their event happened', () => {
    const ledger = new EosLedger();
    const sometimes = (name: string, v: EosView) => check(name, { view: v, ledger });
    expect(sometimes('zombie-fenced', view(GOOD_OUTPUTS))).toBeUndefined();
    expect(sometimes('rebalance-mid-transaction', view(GOOD_OUTPUTS))).toBeUndefined();
    ledger.events.zombiesFenced = 1;
    ledger.events.rebalancesMidTxn = 2;
    expect(sometimes('zombie-fenced', view(GOOD_OUTPUTS))).toMatch(/1 zombie/);
    expect(sometimes('rebalance-mid-transaction', view(GOOD_OUTPUTS))).toMatch(/2 transactions/);
    const abortedByFirst = [part('output-0', [{ values: ['out-0'], pid: 7, epoch: 0 }, { marker: 'ABORT', pid: 7, epoch: 1, coordinatorEpoch: 0 }]), GOOD_OUTPUTS[1]!];
    ledger.firstCoordinatorEpoch = 0;
    expect(sometimes('abort-after-coordinator-failover', view(abortedByFirst))).toBeUndefined();
    const abortedByNext = [part('output-0', [{ values: ['out-0'], pid: 7, epoch: 0 }, { marker: 'ABORT', pid: 7, epoch: 1, coordinatorEpoch: 2 }]), GOOD_OUTPUTS[1]!];
    expect(sometimes('abort-after-coordinator-failover', view(abortedByNext))).toMatch(/coordinator epoch 2 \(first 0\)/);
  });

  it('the guarantee names only known invariants, each kind where it belongs', () => {
    const g = eosGuarantee('exactly-once-pipeline');
    expect(EOS_GUARANTEES).toHaveLength(1);
    for (const name of g.invariants) expect(EOS_INVARIANTS.find((i) => i.name === name)?.kind).not.toBe('sometimes');
    for (const name of g.sometimes) expect(EOS_INVARIANTS.find((i) => i.name === name)?.kind).toBe('sometimes');
  });
});

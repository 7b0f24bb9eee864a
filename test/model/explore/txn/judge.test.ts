/**
 * The transactions explorer's judge on hand-made states: every invariant it judges fails on
 * a state that breaks it (so a green exploration is not a checker that cannot fail), and
 * holds on the states the real machines reach. The states start from real ones (a
 * committed and an aborted transaction, driven through the model) and are then broken by
 * editing a partition's log or the ghost.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSACTIONS_BOUNDS, TODAY, transactionsModel } from '../../../../model/explore/models/transactions.ts';
import { replicaContext } from '../../../../model/explore/txn/actions.ts';
import { TXN_INVARIANTS, firstTxnViolation, foldGhost, isQuiet } from '../../../../model/explore/txn/judge.ts';
import type { TxnWorld } from '../../../../model/explore/txn/world.ts';
import type { LogBatch } from '../../../../src/protocol/log.ts';

const model = transactionsModel({ ...DEFAULT_TRANSACTIONS_BOUNDS, incarnations: 1, records: 2 }, TODAY);

/** Take the enabled action whose description starts with `prefix`. */
function take(world: TxnWorld, prefix: string): TxnWorld {
  const action = model.actions(world).find((a) => model.describe(a, world).startsWith(prefix));
  if (action === undefined) throw new Error(`no action '${prefix}' in: ${model.actions(world).map((a) => model.describe(a, world)).join(' | ')}`);
  return model.next(world, action) as TxnWorld;
}

/** Deliver heads of links until nothing is in flight. */
function settle(world: TxnWorld): TxnWorld {
  let w = world;
  for (let i = 0; i < 100 && w.network.length > 0; i++) w = take(w, 'deliver');
  return w;
}

/** a0.0 to output-0 and a0.1 to output-1, then commit (or abort), everything delivered. */
function ended(how: 'commit' | 'abort'): TxnWorld {
  let w = take(model.initial, 'producer-a: beginTransaction, send a0.0 to output-0');
  w = take(w, 'producer-a: send a0.1 to output-1');
  w = settle(w);
  w = take(w, `producer-a: ${how}Transaction`);
  return { ...settle(w), ghost: foldGhost(settle(w)) };
}

const committed = ended('commit');
const aborted = ended('abort');

function withLog(world: TxnWorld, p: number, change: (log: readonly LogBatch[]) => LogBatch[]): TxnWorld {
  const c = replicaContext(world, p);
  const log = change(c.persisted.log);
  const end = (log.at(-1)?.lastOffset ?? -1) + 1;
  const context = { ...c, persisted: { ...c.persisted, log }, volatile: { ...c.volatile, highWatermark: end } };
  const partitions = world.partitions.map((s, i) => (i === p ? { ...s, context } : s));
  return { ...world, partitions };
}

function at(batch: LogBatch, offset: number): LogBatch {
  return { ...batch, baseOffset: offset, lastOffset: offset + batch.records.length - 1 };
}

function withStatus(world: TxnWorld, status: TxnWorld['ghost']['txns'][number]['status']): TxnWorld {
  return { ...world, ghost: { ...world.ghost, txns: world.ghost.txns.map((t) => ({ ...t, status })) } };
}

describe('transactions judge', () => {
  it('holds on the committed and the aborted transaction the machines produce', () => {
    expect(committed.ghost.txns[0]?.status).toBe('ok');
    expect(aborted.ghost.txns[0]?.status).toBe('fail');
    expect(isQuiet(committed) && isQuiet(aborted)).toBe(true);
    expect(firstTxnViolation(committed)).toBeUndefined();
    expect(firstTxnViolation(aborted)).toBeUndefined();
  });

  it('every invariant fails on a state that breaks it', () => {
    const cases: [string, TxnWorld, RegExp][] = [
      ['aborted-transaction-invisible', withStatus(committed, 'fail'), /read_committed returns a0.0 at output-0@0, of a transaction producer-a was told aborted/],
      ['open-transaction-invisible', withStatus(committed, 'open'), /never asked to commit/],
      ['committed-transaction-durable', withStatus(aborted, 'ok'), /a0.0 at output-0@0 is aborted, but its transaction was told committed/],
      ['read-committed-exactly-once', withLog(committed, 0, (log) => [...log, at({ ...(log[0] as LogBatch), producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false }, 2)]), /a0.0 is returned twice/],
      [
        'no-partial-transaction',
        withLog(committed, 1, (log) => log.map((b) => (b.isControl ? { ...b, records: [{ key: 'ABORT', value: b.records[0]?.value ?? '0' }] } : b))),
        /a0.0 at output-0@0 is returned but a0.1 at output-1@0, of the same transaction, is aborted/,
      ],
      ['zombie-write-invisible', { ...committed, ghost: { ...committed.ghost, fence: [0, 0] } }, /written by the fenced producer-a/],
      ['no-hanging-transaction', withLog(aborted, 0, (log) => [...log, at({ ...(log[0] as LogBatch), baseSequence: 1 }, 2)]), /output-0: producer 1000000's transaction from offset 2 is open, but no coordinator transaction will end it/],
      ['no-aborted-read', { ...aborted, ghost: { ...aborted.ghost, reads: [['0=a0.0'], []] } }, /verifier read a0.0 at output-0@0 .* a record of an aborted transaction/],
      ['no-fenced-epoch-write', withLog(committed, 0, (log) => [...log, at({ ...(log[0] as LogBatch), producerEpoch: 0 }, 2)]), /output-0@2: producer 1000000 wrote data with epoch 0 after epoch 1/],
      ['lso-monotonic', { ...committed, ghost: { ...committed.ghost, maxLso: [5, 2] } }, /output-0: leader broker-1\/1\/0 lowered its LSO from 5 to 2/],
      ['transactions-atomic', withStatus(aborted, 'ok'), /producer-a's transaction \[a0.0,a0.1\] committed but a0.0,a0.1 not visible to read_committed/],
    ];
    expect(cases.map(([name]) => name).sort()).toEqual([...TXN_INVARIANTS].sort());
    for (const [name, world, witness] of cases) {
      const found = firstTxnViolation(world, [name]);
      expect(found?.invariant, name).toBe(name);
      expect(found?.witness, name).toMatch(witness);
    }
  });

  it('transactions-atomic is judged at quiet states only: with a marker still in flight it waits', () => {
    let w = take(model.initial, 'producer-a: beginTransaction, send a0.0 to output-0');
    w = settle(w);
    w = take(w, 'producer-a: commitTransaction');
    w = take(w, 'deliver producer-a→broker-0 EndTxn');
    w = take(w, 'deliver broker-0→producer-a EndTxnResponse');
    expect(w.ghost.txns[0]?.status).toBe('ok');
    expect(isQuiet(w)).toBe(false);
    expect(firstTxnViolation(w, ['transactions-atomic'])).toBeUndefined();
    expect(firstTxnViolation(settle(w), ['transactions-atomic'])).toBeUndefined();
  });
});

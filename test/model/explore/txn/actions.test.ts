/**
 * The transactions world's hosting and actions, step by step on the real machines: the boot
 * state, the atomic `__transaction_state` append, links as directions of connections, the
 * free/racing timeout rule, the coordinator failover, and the canonical key's abstractions.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSACTIONS_BOUNDS, type TransactionsBounds, TODAY, transactionsModel } from '../../../../model/explore/models/transactions.ts';
import { coordinatorContext, currentGhostTxn, producerContext, replicaContext, timerKind } from '../../../../model/explore/txn/actions.ts';
import { txnWorldKey } from '../../../../model/explore/txn/state-key.ts';
import { DEAD_COORDINATOR_NODE, NO_TXN_FAULTS, type Envelope, type TxnWorld, linksOf } from '../../../../model/explore/txn/world.ts';

const BOUNDS: TransactionsBounds = { ...DEFAULT_TRANSACTIONS_BOUNDS, incarnations: 1, budget: { ...NO_TXN_FAULTS, drops: 1, failovers: 1, timeouts: 1 } };
const model = transactionsModel(BOUNDS, TODAY);

function texts(world: TxnWorld): string[] {
  return model.actions(world).map((a) => model.describe(a, world));
}

function take(world: TxnWorld, prefix: string): TxnWorld {
  const action = model.actions(world).find((a) => model.describe(a, world).startsWith(prefix));
  if (action === undefined) throw new Error(`no action '${prefix}' in: ${texts(world).join(' | ')}`);
  return model.next(world, action) as TxnWorld;
}

/** Up to the Produce of a0.0 in flight to output-0's leader. */
function produceInFlight(): TxnWorld {
  let w = take(model.initial, 'producer-a: beginTransaction, send a0.0 to output-0');
  w = take(w, 'deliver producer-a→broker-0 AddPartitionsToTxn');
  return take(w, 'deliver broker-0→producer-a AddPartitionsToTxnResponse NONE');
}

describe('transactions world', () => {
  it('boots with the coordinator elected, the leaders leading and incarnation a initialized (one __transaction_state record, nothing in flight)', () => {
    const w = model.initial;
    expect(w.network).toEqual([]);
    expect(w.txnLog).toHaveLength(1);
    expect(coordinatorContext(w).volatile).toMatchObject({ coordinatorEpoch: 0, txns: [{ transactionalId: 'txn-app', producerId: 1000000, producerEpoch: 0, state: 'Empty' }] });
    expect(producerContext(w, 0)).toMatchObject({ phase: 'ready', producerId: 1000000, producerEpoch: 0, coordinator: 0 });
    expect(w.partitions.map((s) => s.value)).toEqual(['leader', 'leader']);
  });

  it('a send begins the transaction: AddPartitionsToTxn in flight, the ghost records the value', () => {
    const w = take(model.initial, 'producer-a: beginTransaction, send a0.0 to output-0');
    expect(currentGhostTxn(w, 0)).toEqual({ incarnation: 0, index: 0, sends: [{ value: 'a0.0', partition: 0 }], status: 'open' });
    expect(texts(w)).toEqual([
      'producer-a: commitTransaction',
      'producer-a: abortTransaction',
      'deliver producer-a→broker-0 AddPartitionsToTxn [output-0] epoch 0',
      'fire producer-a txn-request (racing its answer)',
      'drop producer-a→broker-0 AddPartitionsToTxn [output-0] epoch 0',
      'coordinator fails over (crash, restart in the next coordinator epoch)',
    ]);
  });

  it('the coordinator\'s __transaction_state write is one atomic step: Ongoing is in the log when the client is answered', () => {
    const w = produceInFlight();
    expect(w.txnLog).toHaveLength(2);
    expect(JSON.parse(w.txnLog[1]?.records[0]?.value ?? '{}')).toMatchObject({ state: 1, partitions: [['output', 0]] }); // TransactionState id 1: Ongoing
    expect(coordinatorContext(w).volatile.pendingWrites).toEqual([]);
    expect(w.timers.map((t) => `${t.node}:${t.id}`)).toEqual(['producer-a:request/4']);
  });

  it('a request timeout races its Produce while it is in flight, and fires freely once the Produce is lost', () => {
    const w = produceInFlight();
    const timer = w.timers[0];
    expect(timer).toBeDefined();
    expect(timerKind(w, timer as NonNullable<typeof timer>)).toBe('racing');
    const lost = take(w, 'drop producer-a→broker-1 Produce');
    expect(timerKind(lost, lost.timers[0] as NonNullable<typeof timer>)).toBe('free');
    expect(texts(lost)).toContain('fire producer-a request/4');
  });

  it('a leader holding a Produce for verification keeps its timeout racing (the answer is on its way)', () => {
    const w = take(produceInFlight(), 'deliver producer-a→broker-1 Produce');
    expect(replicaContext(w, 0).volatile.pendingVerifications).toHaveLength(1);
    const request = w.timers.find((t) => t.node === 'producer-a');
    expect(timerKind(w, request as NonNullable<typeof request>)).toBe('racing');
  });

  it('requests and responses between the coordinator and a leader are separate links (two connections)', () => {
    let w = take(produceInFlight(), 'producer-a: abortTransaction');
    w = take(w, 'deliver producer-a→broker-1 Produce');
    w = take(w, 'deliver broker-1→broker-0 AddPartitionsToTxn (verifyOnly)');
    w = take(w, 'fire producer-a request/4 (racing its answer)');
    w = take(w, 'deliver producer-a→broker-0 EndTxn abort');
    expect(linksOf(w.network).filter((l) => l.from === 'broker-0' && l.to === 'broker-1')).toEqual([
      { from: 'broker-0', to: 'broker-1', response: false },
      { from: 'broker-0', to: 'broker-1', response: true },
    ]);
    expect(texts(w).filter((t) => t.startsWith('deliver broker-0→broker-1'))).toEqual([
      'deliver broker-0→broker-1 WriteTxnMarkers output-0 ABORT pid 1000000 epoch 1 coordinatorEpoch 0',
      'deliver broker-0→broker-1 AddPartitionsToTxnResponse NONE',
    ]);
  });

  it('a failover drops the requests in flight to the coordinator and reloads the log in epoch 1; the held verification then times out freely', () => {
    let w = take(produceInFlight(), 'deliver producer-a→broker-1 Produce');
    w = take(w, 'producer-a: commitTransaction');
    expect(w.network.map((e) => `${e.from}>${e.to} ${e.message.type}`)).toEqual(['broker-1>broker-0 AddPartitionsToTxn']);
    w = take(w, 'coordinator fails over');
    expect(w.coordinatorEpoch).toBe(1);
    expect(w.network).toEqual([]);
    expect(coordinatorContext(w).volatile).toMatchObject({ coordinatorEpoch: 1, txns: [{ state: 'Ongoing', partitions: [{ topic: 'output', partition: 0 }] }] });
    expect(w.events).toContain('coordinator-failed-over');
    expect(texts(w)).toContain('fire broker-1 verify/0');
  });

  it('after a failover, a WriteTxnMarkers the dead process sent is still delivered (fenced by its coordinator epoch) and its answer is lost', () => {
    let w = take(produceInFlight(), 'deliver producer-a→broker-1 Produce');
    w = take(w, 'deliver broker-1→broker-0 AddPartitionsToTxn (verifyOnly)');
    w = take(w, 'deliver broker-0→broker-1 AddPartitionsToTxnResponse NONE');
    w = take(w, 'deliver broker-1→producer-a ProduceResponse');
    w = take(w, 'producer-a: commitTransaction');
    w = take(w, 'deliver producer-a→broker-0 EndTxn commit');
    w = take(w, 'coordinator fails over');
    const stale = w.network.find((e) => e.message.type === 'WriteTxnMarkers') as Envelope;
    expect(stale.from).toBe(DEAD_COORDINATOR_NODE);
    w = take(w, `deliver ${DEAD_COORDINATOR_NODE}→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 0`);
    expect(w.network.some((e) => e.to === DEAD_COORDINATOR_NODE)).toBe(false);
    // The reloaded coordinator resumed PrepareCommit and sends its own marker in epoch 1.
    expect(w.network.some((e) => e.message.type === 'WriteTxnMarkers' && e.from === 'broker-0' && (e.message as { coordinatorEpoch: number }).coordinatorEpoch === 1)).toBe(true);
  });

  it('the key ignores the producers\' absolute clocks and renames correlation ids by rank', () => {
    const w = produceInFlight();
    const later: TxnWorld = { ...w, clocks: w.clocks.map((c) => c + 1_000_000) };
    expect(txnWorldKey(later)).toBe(txnWorldKey(w));
    const dropped = take(w, 'drop producer-a→broker-1 Produce');
    expect(txnWorldKey(dropped)).not.toBe(txnWorldKey(w));
  });
});

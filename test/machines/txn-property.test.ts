/**
 * Random runs of the transaction machines on the in-test router (coordinator, real
 * replicas, transactional producer clients) with lost messages, coordinator restarts,
 * producer fencing and a rogue writer, then a healed phase. After healing:
 *
 * - atomicity: a transaction the client saw commit (`ok`) is wholly visible to
 *   read_committed, one it saw abort (`fail`) not at all, an unknown one (`info`) all or
 *   nothing; nothing else is visible;
 * - liveness: no transaction is left open or prepared at the coordinator, and the
 *   partition's LSO reaches its log end (no hanging transaction).
 *
 * Every transition the coordinator makes is checked against the TransactionState table by
 * its own assertions. Twin: the same checker fails with `no-partition-verification`, where
 * the rogue writer leaves a hanging transaction. `sometimes` witnesses: commits, aborts,
 * fenced producers and resumed markers all occur across the runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ClientEvent } from '../../src/protocol/client.ts';
import { txnCoordinatorMachine } from '../../src/machines/txn-coordinator.ts';
import { type TxnProducerContext, txnProducerMachine } from '../../src/machines/txn-producer.ts';
import { abortedTransactions, filterReadCommitted, lastStableOffset, txnStateFromLog } from '../../src/machines/txn-partition.ts';
import { TxnWorld } from './txn-world.ts';

const TP = { topic: 't', partition: 0 };
const LOSSY = ['AddPartitionsToTxn', 'Produce', 'ProduceResponse', 'EndTxn', 'EndTxnResponse', 'WriteTxnMarkers', 'WriteTxnMarkersResponse'] as const;

type Op =
  | { kind: 'txn'; producer: 0 | 1 | 'zombie'; values: number; commit: boolean; lose: (typeof LOSSY)[number] | null; crashCoordinator: boolean }
  | { kind: 'restartCoordinator' }
  | { kind: 'fence' }
  | { kind: 'rogue' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
      kind: fc.constant('txn' as const),
      producer: fc.constantFrom(0 as const, 1 as const, 'zombie' as const),
      values: fc.integer({ min: 1, max: 2 }),
      commit: fc.boolean(),
      lose: fc.option(fc.constantFrom(...LOSSY), { freq: 2 }),
      crashCoordinator: fc.boolean(),
    }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restartCoordinator' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fence' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rogue' as const }) },
);

interface Witnesses {
  ok: number;
  fail: number;
  fenced: number;
  resumed: number;
}

function phase(w: TxnWorld, node: string): string {
  return (w.slot(node).snapshot.context as TxnProducerContext).phase;
}

function hostProducer(w: TxnWorld, node: string, transactionalId: string): void {
  w.clients.set(node, node);
  w.boot(node, txnProducerMachine, { config: w.config, clientId: node, transactionalId, bootstrapBrokers: [0, 1] });
  w.dispatch(node, { type: 'InitTransactions' });
  w.run();
}

/** Run `ops`, heal, and return the violations found (empty = the properties hold). */
function runScenario(config: ClusterConfig, ops: readonly Op[], witnesses: Witnesses): string[] {
  const w = new TxnWorld(config, [TP]);
  let coordinatorEpoch = 0;
  w.elect(coordinatorEpoch);
  const producers = ['p0', 'p1'];
  hostProducer(w, 'p0', 'tx0');
  hostProducer(w, 'p1', 'tx1');
  w.advance(1000);
  let fences = 0;
  let zombie: string | null = null;
  const restartCoordinator = (): void => {
    w.boot('txn-coordinator', txnCoordinatorMachine, { config, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [1] });
    w.elect(++coordinatorEpoch);
    if (w.coordinator().volatile.markers.length > 0) witnesses.resumed++; // a Prepare* resumed from the log
    w.run();
  };
  ops.forEach((op, i) => {
    if (op.kind === 'restartCoordinator') return restartCoordinator();
    if (op.kind === 'fence') {
      const node = `p0-${++fences}`;
      hostProducer(w, node, 'tx0');
      w.advance(1000);
      zombie = producers[0] as string;
      producers[0] = node;
      return;
    }
    if (op.kind === 'rogue') {
      const records = { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: -1, producerId: 999_999, producerEpoch: 0, baseSequence: 0, isTransactional: true, isControl: false, records: [{ key: null, value: `rogue-${i}` }] };
      w.send('rogue', 'broker-1', { type: 'Produce', correlationId: i, ...TP, transactionalId: 'rogue-tx', acks: -1, timeoutMs: 30000, records });
      w.run();
      w.advance(1000);
      return;
    }
    const node = op.producer === 'zombie' ? zombie : (producers[op.producer] as string);
    if (node === null || phase(w, node) !== 'ready') return;
    w.holdIf = op.lose === null ? null : (e) => e.message.type === op.lose;
    w.dispatch(node, { type: 'BeginTransaction' });
    for (let v = 0; v < op.values; v++) w.dispatch(node, { type: 'Send', process: `op${i}`, ...TP, value: `v${i}.${v}` });
    w.run();
    w.dispatch(node, { type: op.commit ? 'CommitTransaction' : 'AbortTransaction' });
    w.run();
    w.drop(() => true); // what was held is lost
    w.holdIf = null;
    if (op.crashCoordinator) restartCoordinator();
    w.advance(35000);
    if (phase(w, node) === 'abortableError') {
      w.dispatch(node, { type: 'AbortTransaction' });
      w.run();
    }
  });
  // Healed: no more faults; let retries, marker resends and timeouts run their course.
  for (let round = 0; round < 6; round++) w.advance(70000);
  const history = w.history as ClientEvent[];
  for (const node of ['p0', 'p1', ...Array.from({ length: fences }, (_, k) => `p0-${k + 1}`)]) if (phase(w, node) === 'fatalError') witnesses.fenced++;
  return violations(w, history, witnesses);
}

function violations(w: TxnWorld, history: readonly ClientEvent[], witnesses: Witnesses): string[] {
  const found: string[] = [];
  const p = w.partition();
  const log = p.log;
  const state = txnStateFromLog(log);
  const end = p.logEndOffset;
  const lso = lastStableOffset(state, end);
  if (lso !== end) found.push(`hanging transaction: LSO ${lso} < log end ${end}`);
  for (const m of w.coordinator().volatile.txns) {
    if (m.state !== 'Empty' && m.state !== 'CompleteCommit' && m.state !== 'CompleteAbort') found.push(`${m.transactionalId} left in ${m.state}`);
  }
  const visible = new Set(filterReadCommitted(log.filter((b) => b.baseOffset < lso), abortedTransactions(state, 0, lso), 0).records.map((r) => r.value));
  const decided = new Set<string>();
  for (const e of history) {
    if ((e.f as string) !== 'txn' || e.type === 'invoke') continue;
    const values = e.value.map((op) => {
      const v = op[2] as unknown;
      return Array.isArray(v) ? (v[1] as string) : (v as string);
    });
    for (const v of values) decided.add(v);
    const seen = values.filter((v) => visible.has(v)).length;
    if (e.type === 'ok') witnesses.ok++;
    if (e.type === 'fail') witnesses.fail++;
    if (e.type === 'ok' && seen !== values.length) found.push(`committed txn ${values.join(',')} only ${seen} visible`);
    if (e.type === 'fail' && seen !== 0) found.push(`aborted txn ${values.join(',')} has ${seen} visible`);
    if (e.type === 'info' && seen !== 0 && seen !== values.length) found.push(`torn txn ${values.join(',')}`);
  }
  for (const v of visible) if (!decided.has(v) && !v.startsWith('rogue')) found.push(`visible ${v} from no completed transaction`);
  return found;
}

const ops = fc.array(opArb, { minLength: 1, maxLength: 6 });

describe('property: transactions are atomic and always end (random faults, then healed)', () => {
  it('holds under today\'s protocol, with commits, aborts, fencing and resumed markers all witnessed', () => {
    const witnesses: Witnesses = { ok: 0, fail: 0, fenced: 0, resumed: 0 };
    fc.assert(
      fc.property(ops, (list) => {
        const found = runScenario({ ...DEFAULT_CONFIG }, list, witnesses);
        if (found.length > 0) throw new Error(found.join('; '));
      }),
      { numRuns: 60, seed: 20261121 },
    );
    expect(witnesses.ok).toBeGreaterThan(0);
    expect(witnesses.fail).toBeGreaterThan(0);
    expect(witnesses.fenced).toBeGreaterThan(0);
    expect(witnesses.resumed).toBeGreaterThan(0);
  });

  it('holds under transaction.version=1 too (no delayed requests here)', () => {
    const witnesses: Witnesses = { ok: 0, fail: 0, fenced: 0, resumed: 0 };
    fc.assert(
      fc.property(ops, (list) => runScenario({ ...DEFAULT_CONFIG, 'transaction.version': 1 }, list, witnesses).length === 0),
      { numRuns: 30, seed: 7 },
    );
  });

  it('twin: with no-partition-verification the same checker finds the rogue writer\'s hanging transaction', () => {
    const witnesses: Witnesses = { ok: 0, fail: 0, fenced: 0, resumed: 0 };
    const result = fc.check(
      fc.property(ops, (list) => runScenario({ ...DEFAULT_CONFIG, variant: 'no-partition-verification' }, list, witnesses).length === 0),
      { numRuns: 60, seed: 20261121 },
    );
    expect(result.failed).toBe(true);
    const counterexample = result.counterexample?.[0] ?? [];
    expect(counterexample.some((op) => op.kind === 'rogue')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ClientEvent } from '../../src/protocol/client.ts';
import { abortedTransactions, filterReadCommitted, lastStableOffset, txnStateFromLog } from '../../src/machines/txn-partition.ts';
import { txnProducerMachine, type TxnProducerContext } from '../../src/machines/txn-producer.ts';
import { TxnWorld } from './txn-world.ts';

const TV2: ClusterConfig = { ...DEFAULT_CONFIG };
const TP = { topic: 't', partition: 0 };

function hostProducer(w: TxnWorld, node: string, transactionalId = 'tx'): void {
  w.clients.set(node, node);
  w.boot(node, txnProducerMachine, { config: w.config, clientId: node, transactionalId, bootstrapBrokers: [0, 1] });
}

function producer(w: TxnWorld, node = 'p0'): TxnProducerContext {
  return w.slot(node).snapshot.context as TxnProducerContext;
}

function app(w: TxnWorld, node: string, event: Record<string, unknown> & { type: string }): void {
  w.dispatch(node, event);
  w.run();
}

function txnOps(w: TxnWorld): ClientEvent[] {
  return (w.history as ClientEvent[]).filter((e) => (e.f as string) === 'txn');
}

function committedValues(w: TxnWorld): string[] {
  const log = w.partition().log;
  const state = txnStateFromLog(log);
  const lso = lastStableOffset(state, w.partition().logEndOffset);
  return filterReadCommitted(log.filter((b) => b.baseOffset < lso), abortedTransactions(state, 0, lso), 0).records.map((r) => r.value);
}

function world(config = TV2, groups = false): TxnWorld {
  const w = new TxnWorld(config, [TP], groups);
  w.elect(0);
  if (groups) w.electGroups(0);
  hostProducer(w, 'p0');
  app(w, 'p0', { type: 'InitTransactions' });
  return w;
}

describe('transactional producer', () => {
  it('initTransactions finds the coordinator and gets a producer id; a committed transaction is one ok txn op with offsets', () => {
    const w = world();
    expect(producer(w)).toMatchObject({ phase: 'ready', coordinator: 0, producerEpoch: 0 });
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 7, ...TP, value: 'a' });
    app(w, 'p0', { type: 'Send', process: 7, ...TP, value: 'b' });
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(txnOps(w)).toEqual([
      { process: 7, type: 'invoke', f: 'txn', value: [['send', 't-0', 'a'], ['send', 't-0', 'b']] },
      { process: 7, type: 'ok', f: 'txn', value: [['send', 't-0', [0, 'a']], ['send', 't-0', [1, 'b']]] },
    ]);
    expect(producer(w)).toMatchObject({ phase: 'ready', producerEpoch: 1 }); // TV2 bump
    expect(committedValues(w)).toEqual(['a', 'b']);
    // The next transaction restarts sequences at 0 under the new epoch.
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 7, ...TP, value: 'c' });
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(txnOps(w).at(-1)).toMatchObject({ type: 'ok' });
    expect(w.partition().log.at(-2)).toMatchObject({ producerEpoch: 1, baseSequence: 0, isTransactional: true });
    expect(committedValues(w)).toEqual(['a', 'b', 'c']);
  });

  it('an aborted transaction is a fail op, and read_committed never returns its records', () => {
    const w = world();
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 1, ...TP, value: 'x' });
    app(w, 'p0', { type: 'AbortTransaction' });
    expect(txnOps(w).map((e) => e.type)).toEqual(['invoke', 'fail']);
    expect(w.partition().values()).toEqual(['x']);
    expect(committedValues(w)).toEqual([]);
  });

  it('fatal: an instance fenced by a newer one (same transactional.id) ends in fatalError; its commit is indeterminate', () => {
    const w = world({ ...TV2, 'transaction.version': 1 });
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 1, ...TP, value: 'old' });
    hostProducer(w, 'p1');
    app(w, 'p1', { type: 'InitTransactions' });
    w.advance(1000); // p1 retries after CONCURRENT_TRANSACTIONS (retriable)
    expect(producer(w, 'p1')).toMatchObject({ phase: 'ready', producerEpoch: 2 });
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(producer(w)).toMatchObject({ phase: 'fatalError', lastError: 'PRODUCER_FENCED' });
    expect(txnOps(w).map((e) => e.type)).toEqual(['invoke', 'info']);
    expect(committedValues(w)).toEqual([]);
  });

  it('retriable: a lost EndTxn is retried after request.timeout.ms, the coordinator found again', () => {
    const w = world();
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 1, ...TP, value: 'y' });
    w.holdIf = (e) => e.message.type === 'EndTxn';
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(w.drop(() => true)).toBe(1); // the EndTxn is lost
    w.holdIf = null;
    w.advance(31000); // request timeout, then FindCoordinator again (broker 1 says NOT_COORDINATOR), then EndTxn
    expect(txnOps(w).map((e) => e.type)).toEqual(['invoke', 'ok']);
    expect(committedValues(w)).toEqual(['y']);
  });

  it('sendOffsetsToTransaction: offsets commit with the transaction; a stale generation makes it abortable (commit refused, abort is a fail)', () => {
    const w = world(TV2, true);
    w.send('c1', 'broker-0', { type: 'JoinGroup', correlationId: 1, groupId: 'g', sessionTimeoutMs: 45000, memberId: '', groupInstanceId: null, subscription: [TP] });
    w.run();
    const [joined] = w.take('JoinGroupResponse', 'c1');
    const memberId = joined!.memberId;
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 1, ...TP, value: 'out' });
    app(w, 'p0', { type: 'SendOffsetsToTransaction', groupId: 'g', generationId: 1, memberId, offsets: [{ topic: 'in', partition: 0, offset: 5 }] });
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(txnOps(w).map((e) => e.type)).toEqual(['invoke', 'ok']);
    w.send('admin', 'broker-0', { type: 'OffsetFetch', correlationId: 2, groupId: 'g', requireStable: true, topic: 'in', partition: 0 });
    w.run();
    expect(w.take('OffsetFetchResponse', 'admin')[0]).toMatchObject({ errorCode: 'NONE', committedOffset: 5 });
    // A stale generation: abortable.
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 2, ...TP, value: 'out2' });
    app(w, 'p0', { type: 'SendOffsetsToTransaction', groupId: 'g', generationId: 0, memberId, offsets: [{ topic: 'in', partition: 0, offset: 9 }] });
    expect(producer(w)).toMatchObject({ phase: 'abortableError', lastError: 'ILLEGAL_GENERATION' });
    app(w, 'p0', { type: 'CommitTransaction' });
    expect(producer(w).phase).toBe('abortableError');
    app(w, 'p0', { type: 'AbortTransaction' });
    expect(txnOps(w).slice(2).map((e) => e.type)).toEqual(['invoke', 'fail']);
    expect(producer(w).phase).toBe('ready');
    expect(committedValues(w)).toEqual(['out']);
  });
});

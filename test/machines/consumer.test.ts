import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ClientEvent } from '../../src/protocol/client.ts';
import { assignRoundRobin, consumerMachine, type ConsumerContext } from '../../src/machines/consumer.ts';
import { txnProducerMachine } from '../../src/machines/txn-producer.ts';
import { TxnWorld } from './txn-world.ts';

const T0 = { topic: 't', partition: 0 };
const T1 = { topic: 't', partition: 1 };
const COMMITTED: ClusterConfig = { ...DEFAULT_CONFIG, 'isolation.level': 'read_committed', 'session.timeout.ms': 9000 };
const UNCOMMITTED: ClusterConfig = { ...COMMITTED, 'isolation.level': 'read_uncommitted' };

function world(groups = false): TxnWorld {
  const w = new TxnWorld(COMMITTED, [T0, T1], groups);
  w.elect(0);
  if (groups) w.electGroups(0);
  w.clients.set('p0', 'p0');
  w.boot('p0', txnProducerMachine, { config: COMMITTED, clientId: 'p0', transactionalId: 'tx', bootstrapBrokers: [0, 1] });
  app(w, 'p0', { type: 'InitTransactions' });
  return w;
}

function consumer(w: TxnWorld, node: string, config: ClusterConfig, groupId: string | null = null): void {
  w.clients.set(node, node);
  w.boot(node, consumerMachine, { config, clientId: node, bootstrapBrokers: [0, 1], groupId });
}

function app(w: TxnWorld, node: string, event: Record<string, unknown> & { type: string }): void {
  w.dispatch(node, event);
  w.run();
}

function txn(w: TxnWorld, values: string[], commit: boolean, tp = T0): void {
  app(w, 'p0', { type: 'BeginTransaction' });
  for (const value of values) app(w, 'p0', { type: 'Send', process: 'p', ...tp, value });
  app(w, 'p0', { type: commit ? 'CommitTransaction' : 'AbortTransaction' });
}

/** The values of the last poll op completed by `node`'s process. */
function lastPoll(w: TxnWorld, process: string): Record<string, unknown> {
  const polls = (w.history as ClientEvent[]).filter((e) => e.process === process && e.f === 'poll' && e.type === 'ok');
  const op = polls.at(-1)?.value[0] as readonly ['poll', Record<string, unknown>] | undefined;
  return op?.[1] ?? {};
}

function position(w: TxnWorld, node: string, tp = T0): number {
  return (w.slot(node).snapshot.context as ConsumerContext).partitions.find((p) => p.topic === tp.topic && p.partition === tp.partition)?.position ?? -2;
}

describe('consumer: read_committed', () => {
  it('drops aborted data and control records; read_uncommitted (twin) returns the aborted data', () => {
    const w = world();
    txn(w, ['a1'], true);
    txn(w, ['x1', 'x2'], false);
    txn(w, ['a2'], true);
    consumer(w, 'rc', COMMITTED);
    consumer(w, 'ru', UNCOMMITTED);
    for (const node of ['rc', 'ru']) {
      app(w, node, { type: 'Assign', process: node, partitions: [T0] });
      app(w, node, { type: 'Poll', process: node });
    }
    expect(lastPoll(w, 'rc')).toEqual({ 't-0': [[0, 'a1'], [5, 'a2']] });
    expect(lastPoll(w, 'ru')).toEqual({ 't-0': [[0, 'a1'], [2, 'x1'], [3, 'x2'], [5, 'a2']] });
    expect(position(w, 'rc')).toBe(7);
    expect((w.history as ClientEvent[]).filter((e) => e.process === 'rc').map((e) => `${e.f}:${e.type}`)).toEqual(['assign:invoke', 'assign:ok', 'poll:invoke', 'poll:ok']);
  });

  it('an open transaction holds read_committed at the LSO; its records arrive once committed', () => {
    const w = world();
    txn(w, ['a1'], true);
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 'p', ...T0, value: 'pending' });
    consumer(w, 'rc', COMMITTED);
    app(w, 'rc', { type: 'Assign', process: 'rc', partitions: [T0] });
    app(w, 'rc', { type: 'Poll', process: 'rc' });
    expect(lastPoll(w, 'rc')).toEqual({ 't-0': [[0, 'a1']] });
    expect(position(w, 'rc')).toBe(2); // past the marker, stopped at the LSO
    app(w, 'p0', { type: 'CommitTransaction' });
    app(w, 'rc', { type: 'Poll', process: 'rc' });
    expect(lastPoll(w, 'rc')).toEqual({ 't-0': [[2, 'pending']] });
  });
});

describe('consumer: groups', () => {
  it('round-robin assignment over the sorted partitions', () => {
    expect(assignRoundRobin([{ memberId: 'b', subscription: [T0, T1] }, { memberId: 'a', subscription: [T1, T0] }])).toEqual([
      { memberId: 'a', partitions: [T0] },
      { memberId: 'b', partitions: [T1] },
    ]);
  });

  it('subscribe: two members split the partitions; when one dies the other rejoins and takes both', () => {
    const w = world(true);
    consumer(w, 'c1', COMMITTED, 'g');
    consumer(w, 'c2', COMMITTED, 'g');
    app(w, 'c1', { type: 'Subscribe', process: 'c1', partitions: [T0, T1] });
    expect((w.slot('c1').snapshot.context as ConsumerContext).partitions.map((p) => p.partition)).toEqual([0, 1]);
    app(w, 'c2', { type: 'Subscribe', process: 'c2', partitions: [T0, T1] });
    w.advance(3000); // c1's heartbeat learns of the rebalance and rejoins
    const owned = (n: string) => (w.slot(n).snapshot.context as ConsumerContext).partitions.map((p) => p.partition);
    expect([...owned('c1'), ...owned('c2')].sort()).toEqual([0, 1]);
    expect(owned('c1').length).toBe(1);
    w.slots = w.slots.filter((s) => s.name !== 'c2'); // c2's process dies
    w.clients.delete('c2');
    w.advance(12000);
    expect(owned('c1')).toEqual([0, 1]);
  });

  it('seekToCommitted after an aborted consume-transform-produce transaction re-reads the input (UNSTABLE_OFFSET_COMMIT waited out)', () => {
    const w = world(true);
    txn(w, ['in1', 'in2'], true, T1); // the input
    consumer(w, 'c', COMMITTED, 'g');
    app(w, 'c', { type: 'Assign', process: 'c', partitions: [T1] });
    expect(position(w, 'c', T1)).toBe(0); // nothing committed: earliest
    app(w, 'c', { type: 'Poll', process: 'c' });
    expect(lastPoll(w, 'c')).toEqual({ 't-1': [[0, 'in1'], [1, 'in2']] });
    // Process: write the output and commit the input position in one transaction, which aborts.
    app(w, 'p0', { type: 'BeginTransaction' });
    app(w, 'p0', { type: 'Send', process: 'p', ...T0, value: 'out' });
    app(w, 'p0', { type: 'SendOffsetsToTransaction', groupId: 'g', generationId: -1, memberId: '', offsets: [{ ...T1, offset: position(w, 'c', T1) }] });
    w.advance(200); // the producer finds the group coordinator (broker 1 says NOT_COORDINATOR first)
    app(w, 'c', { type: 'SeekToCommitted' });
    expect(position(w, 'c', T1)).toBe(-1); // UNSTABLE_OFFSET_COMMIT: waiting for the transaction
    app(w, 'p0', { type: 'AbortTransaction' });
    w.advance(200);
    expect(position(w, 'c', T1)).toBe(0);
    app(w, 'c', { type: 'Poll', process: 'c' });
    expect(lastPoll(w, 'c')).toEqual({ 't-1': [[0, 'in1'], [1, 'in2']] });
  });
});

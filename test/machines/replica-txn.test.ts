/** The partition side of transactions wired into the replica machine (txn-partition.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ProtocolMessage } from '../../src/protocol/messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { emptyPersisted, replicaMachine } from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';
import { markerOf } from '../../src/machines/txn-partition.ts';

type Snapshot = ReturnType<typeof start<typeof replicaMachine>>['snapshot'];

function leader(config: ClusterConfig = DEFAULT_CONFIG): Snapshot {
  const s = start(replicaMachine, { config, brokerId: 1, incarnationId: 1, topic: 't', partition: 0, recovered: emptyPersisted() }).snapshot;
  return step(replicaMachine, s, {
    type: 'LeaderAndIsr', from: 'controller', nowMs: 0, incarnationId: 1, topic: 't', partition: 0, leader: 1, leaderEpoch: 0, isr: [1], elr: [], partitionEpoch: 0, replicas: [1],
  }).snapshot;
}

let correlation = 0;
function deliver(s: Snapshot, message: Record<string, unknown>): { s: Snapshot; sent: ProtocolMessage[]; to: string[] } {
  const r = step(replicaMachine, s, { from: 'client', correlationId: correlation++, nowMs: 1, ...message } as never);
  const sends = r.effects.filter((e): e is Extract<Effect, { type: 'send' }> => e.type === 'send');
  return { s: r.snapshot, sent: sends.map((e) => e.message), to: sends.map((e) => e.to) };
}

function produce(producerId: number, value: string, opts: { seq?: number; epoch?: number; transactional?: boolean } = {}) {
  return {
    type: 'Produce', topic: 't', partition: 0, transactionalId: 'tx', acks: -1, timeoutMs: 30000,
    records: { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: -1, producerId, producerEpoch: opts.epoch ?? 0, baseSequence: opts.seq ?? 0, isTransactional: opts.transactional ?? true, isControl: false, records: [{ key: null, value }] },
  };
}

function marker(producerId: number, commit: boolean, coordinatorEpoch: number, producerEpoch = 0) {
  return { type: 'WriteTxnMarkers', topic: 't', partition: 0, producerId, producerEpoch, transactionResult: commit, coordinatorEpoch, transactionVersion: 1 };
}

function verified(s: Snapshot, correlationId: number, errorCode = 'NONE') {
  return deliver(s, { type: 'AddPartitionsToTxnResponse', correlationId, transactionalId: 'tx', errorCode, results: [{ topic: 't', partition: 0, errorCode }] });
}

const readCommitted = { type: 'Fetch', topic: 't', partition: 0, replicaId: -1, fetchOffset: 0, currentLeaderEpoch: -1, lastFetchedEpoch: -1, isolationLevel: 'read_committed' };

describe('replica: transactional produce, markers, read_committed', () => {
  it('verifies the first write with the coordinator, appends on NONE, serves read_committed up to the LSO with the aborted list', () => {
    let r = deliver(leader(), produce(7, 'a'));
    expect(r.to).toEqual(['txn-coordinator-of:tx']);
    expect(r.sent[0]).toMatchObject({ type: 'AddPartitionsToTxn', verifyOnly: true, producerId: 7, partitions: [{ topic: 't', partition: 0 }] });
    expect(r.s.context.persisted.log).toEqual([]);
    r = verified(r.s, (r.sent[0] as { correlationId: number }).correlationId);
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'NONE', baseOffset: 0 }]);
    r = deliver(r.s, produce(7, 'b', { seq: 1 })); // the transaction is open: no verification
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'NONE', baseOffset: 1 }]);
    r = deliver(r.s, produce(7, 'plain', { seq: 2, transactional: false }));
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'INVALID_TXN_STATE' }]);
    r = deliver(r.s, readCommitted);
    expect(r.sent).toMatchObject([{ type: 'FetchResponse', highWatermark: 2, lastStableOffset: 0, records: [], abortedTransactions: [] }]);
    r = deliver(r.s, marker(7, false, 3));
    expect(r.sent).toMatchObject([{ type: 'WriteTxnMarkersResponse', errorCode: 'NONE', producerId: 7 }]);
    expect(markerOf(r.s.context.persisted.log[2]!)).toEqual({ type: 'ABORT', coordinatorEpoch: 3 });
    r = deliver(r.s, readCommitted);
    expect(r.sent[0]).toMatchObject({ lastStableOffset: 3, abortedTransactions: [{ producerId: 7, firstOffset: 0 }] });
    expect((r.sent[0] as unknown as { records: unknown[] }).records.length).toBe(3);
    r = deliver(r.s, { ...readCommitted, isolationLevel: 'read_uncommitted' });
    expect(r.sent[0]).toMatchObject({ abortedTransactions: [] });
    r = deliver(r.s, marker(7, true, 2));
    expect(r.sent).toMatchObject([{ type: 'WriteTxnMarkersResponse', errorCode: 'TRANSACTION_COORDINATOR_FENCED' }]);
  });

  it('a refused verification refuses the write (INVALID_TXN_STATE, or INVALID_PRODUCER_EPOCH when fenced); a lost one times out retriably', () => {
    for (const [answer, expected] of [['INVALID_TXN_STATE', 'INVALID_TXN_STATE'], ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'], ['NOT_COORDINATOR', 'NOT_ENOUGH_REPLICAS']] as const) {
      let r = deliver(leader(), produce(8, 'x'));
      r = verified(r.s, (r.sent[0] as { correlationId: number }).correlationId, answer);
      expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: expected }]);
      expect(r.s.context.persisted.log).toEqual([]);
    }
    let r = deliver(leader(), produce(8, 'x'));
    r = deliver(r.s, { type: 'VerificationTimeout', correlationId: (r.sent[0] as { correlationId: number }).correlationId });
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'NOT_ENOUGH_REPLICAS' }]);
    expect(r.s.context.volatile.pendingVerifications).toEqual([]);
  });

  it('a marker written while a verification is out clears its guard: the coordinator\'s late yes no longer lets the held write in (ProducerStateManager.clearVerificationStateEntry)', () => {
    let r = deliver(leader(), produce(7, 'late'));
    const ask = (r.sent[0] as { correlationId: number }).correlationId;
    r = deliver(r.s, marker(7, false, 0));
    expect(r.sent).toMatchObject([{ type: 'WriteTxnMarkersResponse', errorCode: 'NONE' }]);
    r = verified(r.s, ask);
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'INVALID_TXN_STATE' }]);
    expect(r.s.context.persisted.log.map((b) => b.isControl)).toEqual([true]);
    // Twin: another producer's marker leaves the guard alone.
    let other = deliver(leader(), produce(7, 'kept'));
    const asked = (other.sent[0] as { correlationId: number }).correlationId;
    other = deliver(other.s, marker(9, false, 0));
    other = verified(other.s, asked);
    expect(other.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'NONE', baseOffset: 1 }]);
  });

  it('twin: no-partition-verification appends the first transactional write without asking', () => {
    const r = deliver(leader({ ...DEFAULT_CONFIG, variant: 'no-partition-verification' }), produce(8, 'x'));
    expect(r.sent).toMatchObject([{ type: 'ProduceResponse', errorCode: 'NONE', baseOffset: 0 }]);
  });

  it('a replica that is not the leader refuses markers; a new follower answers held verifications', () => {
    const unassigned = start(replicaMachine, { config: DEFAULT_CONFIG, brokerId: 1, incarnationId: 1, topic: 't', partition: 0, recovered: emptyPersisted() }).snapshot;
    expect(deliver(unassigned, marker(7, true, 0)).sent).toMatchObject([{ type: 'WriteTxnMarkersResponse', errorCode: 'NOT_LEADER_OR_FOLLOWER' }]);
    const r = deliver(leader(), produce(7, 'a'));
    const moved = deliver(r.s, {
      type: 'LeaderAndIsr', from: 'controller', incarnationId: 1, topic: 't', partition: 0, leader: 2, leaderEpoch: 1, isr: [1, 2], elr: [], partitionEpoch: 1, replicas: [1, 2],
    });
    expect(moved.sent.filter((m) => m.type === 'ProduceResponse')).toMatchObject([{ errorCode: 'NOT_LEADER_OR_FOLLOWER' }]);
    expect(moved.s.context.volatile.pendingVerifications).toEqual([]);
  });
});

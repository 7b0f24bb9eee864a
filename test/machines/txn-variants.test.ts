/**
 * One hand-wired scenario per transaction variant: the same steps under today's protocol
 * and with the fix switched off, showing the bug the fix closed. These are the witnesses
 * that each flag changes behaviour (kafka-internals §4, formal-specs-and-bugs §2 items
 * 9-12).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ProtocolMessage } from '../../src/protocol/messages.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../src/protocol/txn-messages.ts';
import { abortedTransactions, filterReadCommitted, lastStableOffset, txnStateFromLog } from '../../src/machines/txn-partition.ts';
import { type Envelope, TxnWorld } from './txn-world.ts';

const B0 = 'broker-0';
const TXN = 'tx';
const TP = { topic: 't', partition: 0 };

let correlation = 100;

function request<T extends ProtocolMessage['type']>(w: TxnWorld, from: string, to: string, message: Record<string, unknown>, answer: T) {
  w.send(from, to, { correlationId: correlation++, ...message } as never);
  w.run();
  return w.take(answer, from)[0];
}

function init(w: TxnWorld, from: string) {
  return request(w, from, B0, { type: 'InitProducerId', transactionalId: TXN, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }, 'InitProducerIdResponse');
}

function add(w: TxnWorld, from: string, producerId: number, producerEpoch: number) {
  return request(w, from, B0, { type: 'AddPartitionsToTxn', transactionalId: TXN, producerId, producerEpoch, verifyOnly: false, partitions: [TP] }, 'AddPartitionsToTxnResponse');
}

function produce(w: TxnWorld, from: string, producerId: number, producerEpoch: number, value: string, baseSequence = 0) {
  const records = { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: -1, producerId, producerEpoch, baseSequence, isTransactional: true, isControl: false, records: [{ key: null, value }] };
  return request(w, from, 'broker-1', { type: 'Produce', ...TP, transactionalId: TXN, acks: -1, timeoutMs: 30000, records }, 'ProduceResponse');
}

function endTxn(w: TxnWorld, from: string, producerId: number, producerEpoch: number, committed: boolean) {
  return request(w, from, B0, { type: 'EndTxn', transactionalId: TXN, producerId, producerEpoch, committed }, 'EndTxnResponse');
}

/** What a read_committed consumer of t-0 gets, from the start. */
function readCommitted(w: TxnWorld): string[] {
  const log = w.partition().log;
  const state = txnStateFromLog(log);
  const lso = lastStableOffset(state, w.partition().logEndOffset);
  return filterReadCommitted(log.filter((b) => b.baseOffset < lso), abortedTransactions(state, 0, lso), 0).records.map((r) => r.value);
}

function world(config: ClusterConfig, groups = false): TxnWorld {
  const w = new TxnWorld(config, [TP], groups);
  w.elect(0);
  if (groups) w.electGroups(0);
  return w;
}

describe('no-zombie-fencing: InitProducerId does not bump the epoch', () => {
  /** A zombie instance with no open transaction; a new instance takes over the transactional.id; the zombie then writes and commits. */
  function zombieScenario(config: ClusterConfig) {
    const w = world(config);
    const zombie = init(w, 'zombie')!;
    const fresh = init(w, 'new')!;
    const steps = {
      freshEpoch: fresh.producerEpoch,
      add: add(w, 'zombie', zombie.producerId, zombie.producerEpoch)?.errorCode,
      produce: produce(w, 'zombie', zombie.producerId, zombie.producerEpoch, 'from-zombie')?.errorCode,
      commit: endTxn(w, 'zombie', zombie.producerId, zombie.producerEpoch, true)?.errorCode,
    };
    return { steps, visible: readCommitted(w) };
  }

  it('today: the new instance bumps the epoch and the zombie is fenced everywhere', () => {
    const { steps, visible } = zombieScenario({ ...DEFAULT_CONFIG });
    // The partition's KIP-890 verification asks the coordinator, which fences the old epoch.
    expect(steps).toEqual({ freshEpoch: 1, add: 'PRODUCER_FENCED', produce: 'INVALID_PRODUCER_EPOCH', commit: 'PRODUCER_FENCED' });
    expect(visible).toEqual([]);
  });

  it('variant: the zombie shares the new epoch, so its write and commit land', () => {
    const { steps, visible } = zombieScenario({ ...DEFAULT_CONFIG, variant: 'no-zombie-fencing' });
    expect(steps).toEqual({ freshEpoch: 0, add: 'NONE', produce: 'NONE', commit: 'NONE' });
    expect(visible).toEqual(['from-zombie']);
  });
});

describe('no-generation-fencing: TxnOffsetCommit without KIP-447 generation checks', () => {
  /**
   * Member m1 owns the input partition in generation 1, then stalls: its session expires
   * and m2 takes over (generation 3), processes and commits offset 10. The stalled m1 then
   * commits offset 5 transactionally with its old generation: a rewind that reprocesses
   * records 5-9 (duplicates), KIP-447's motivating bug.
   */
  function staleCommitScenario(config: ClusterConfig) {
    const w = world({ ...config, 'session.timeout.ms': 10000 }, true);
    const join = (from: string) => request(w, from, B0, { type: 'JoinGroup', groupId: 'g', sessionTimeoutMs: 10000, memberId: '', groupInstanceId: null, subscription: [TP] }, 'JoinGroupResponse')!;
    const m1 = join('c1');
    request(w, 'c1', B0, { type: 'SyncGroup', groupId: 'g', generationId: m1.generationId, memberId: m1.memberId, assignments: [{ memberId: m1.memberId, partitions: [TP] }] }, 'SyncGroupResponse');
    w.advance(11000); // m1 stalls: session expired, group Empty
    const m2 = join('c2');
    request(w, 'c2', B0, { type: 'SyncGroup', groupId: 'g', generationId: m2.generationId, memberId: m2.memberId, assignments: [{ memberId: m2.memberId, partitions: [TP] }] }, 'SyncGroupResponse');
    const m2Commit = request(w, 'c2', B0, { type: 'OffsetCommit', groupId: 'g', generationId: m2.generationId, memberId: m2.memberId, ...TP, committedOffset: 10 }, 'OffsetCommitResponse')?.errorCode;
    // The stalled member's transactional producer.
    const p = init(w, 'p1')!;
    request(w, 'p1', B0, { type: 'AddOffsetsToTxn', transactionalId: TXN, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g' }, 'AddOffsetsToTxnResponse');
    const stale = request(w, 'p1', B0, {
      type: 'TxnOffsetCommit', transactionalId: TXN, groupId: 'g', producerId: p.producerId, producerEpoch: p.producerEpoch,
      generationId: m1.generationId, memberId: m1.memberId, groupInstanceId: null, ...TP, committedOffset: 5,
    }, 'TxnOffsetCommitResponse')?.errorCode;
    // The client aborts on a fenced commit, commits otherwise.
    endTxn(w, 'p1', p.producerId, p.producerEpoch, stale === 'NONE');
    const committed = request(w, 'admin', B0, { type: 'OffsetFetch', groupId: 'g', requireStable: true, ...TP }, 'OffsetFetchResponse')?.committedOffset;
    return { generations: [m1.generationId, m2.generationId], m2Commit, stale, committed };
  }

  it('today: the stale member is fenced (UNKNOWN_MEMBER_ID); the new owner\'s offset stands', () => {
    expect(staleCommitScenario({ ...DEFAULT_CONFIG })).toEqual({ generations: [1, 3], m2Commit: 'NONE', stale: 'UNKNOWN_MEMBER_ID', committed: 10 });
  });

  it('variant: the stale commit lands after the rebalance and rewinds the group to 5', () => {
    expect(staleCommitScenario({ ...DEFAULT_CONFIG, variant: 'no-generation-fencing' })).toEqual({ generations: [1, 3], m2Commit: 'NONE', stale: 'NONE', committed: 5 });
  });

  it('also fenced today: a known member with an old generation (ILLEGAL_GENERATION)', () => {
    const w = world({ ...DEFAULT_CONFIG }, true);
    const m1 = request(w, 'c1', B0, { type: 'JoinGroup', groupId: 'g', sessionTimeoutMs: 45000, memberId: '', groupInstanceId: null, subscription: [TP] }, 'JoinGroupResponse')!;
    request(w, 'c2', B0, { type: 'JoinGroup', groupId: 'g', sessionTimeoutMs: 45000, memberId: '', groupInstanceId: null, subscription: [TP] }, 'JoinGroupResponse');
    request(w, 'c1', B0, { type: 'JoinGroup', groupId: 'g', sessionTimeoutMs: 45000, memberId: m1.memberId, groupInstanceId: null, subscription: [TP] }, 'JoinGroupResponse');
    const p = init(w, 'p1')!;
    request(w, 'p1', B0, { type: 'AddOffsetsToTxn', transactionalId: TXN, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: 'g' }, 'AddOffsetsToTxnResponse');
    const stale = request(w, 'p1', B0, {
      type: 'TxnOffsetCommit', transactionalId: TXN, groupId: 'g', producerId: p.producerId, producerEpoch: p.producerEpoch,
      generationId: 1, memberId: m1.memberId, groupInstanceId: null, ...TP, committedOffset: 5,
    }, 'TxnOffsetCommitResponse')?.errorCode;
    expect(stale).toBe('ILLEGAL_GENERATION');
    expect(w.partition(CONSUMER_OFFSETS_TOPIC, 0).values()).toEqual([]); // nothing written
    expect(request(w, 'admin', B0, { type: 'OffsetFetch', groupId: 'g', requireStable: true, ...TP }, 'OffsetFetchResponse')).toMatchObject({ errorCode: 'NONE', committedOffset: -1 });
  });
});

describe('no-partition-verification: KIP-890 part 1 off', () => {
  /** A buggy client writes to t-0 without AddPartitionsToTxn, then commits (KAFKA-14402 (c)). */
  function hangingScenario(config: ClusterConfig) {
    const w = world(config);
    const p = init(w, 'buggy')!;
    const write = produce(w, 'buggy', p.producerId, p.producerEpoch, 'unregistered')?.errorCode;
    const commit = endTxn(w, 'buggy', p.producerId, p.producerEpoch, false)?.errorCode;
    // Another producer's committed write after it.
    const other = request(w, 'other', 'broker-1', {
      type: 'Produce', ...TP, transactionalId: null, acks: -1, timeoutMs: 30000,
      records: { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, records: [{ key: null, value: 'plain' }] },
    }, 'ProduceResponse')?.errorCode;
    w.advance(3 * 60000); // timeouts come and go: the coordinator does not know the partition
    return { write, commit, other, lso: w.partition().lastStableOffset, leo: w.partition().logEndOffset, visible: readCommitted(w) };
  }

  it('today: the unverified write is refused (INVALID_TXN_STATE) and the LSO follows the log end', () => {
    expect(hangingScenario({ ...DEFAULT_CONFIG })).toEqual({ write: 'INVALID_TXN_STATE', commit: 'NONE', other: 'NONE', lso: 1, leo: 1, visible: ['plain'] });
  });

  it('variant: the write opens a transaction no marker will ever close: the LSO is stuck and later data is invisible', () => {
    expect(hangingScenario({ ...DEFAULT_CONFIG, variant: 'no-partition-verification' })).toEqual({ write: 'NONE', commit: 'NONE', other: 'NONE', lso: 0, leo: 2, visible: [] });
  });
});

describe('transaction.version=1: a delayed EndTxn completes the next transaction (KAFKA-17754)', () => {
  /**
   * T1's EndTxn(commit) is delayed in the network; the client times out and retries it, so
   * T1 commits. The client starts T2 and writes 'v2'. The delayed EndTxn arrives. Then the
   * client aborts T2.
   */
  function delayedEndTxn(config: ClusterConfig) {
    const w = world(config);
    const p = init(w, 'c')!;
    add(w, 'c', p.producerId, p.producerEpoch);
    produce(w, 'c', p.producerId, p.producerEpoch, 'v1');
    w.holdIf = (e: Envelope) => e.message.type === 'EndTxn';
    w.send('c', B0, { type: 'EndTxn', correlationId: 1, transactionalId: TXN, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
    w.run();
    w.holdIf = null;
    const retry = endTxn(w, 'c', p.producerId, p.producerEpoch, true)!;
    const epoch = retry.producerEpoch >= 0 ? retry.producerEpoch : p.producerEpoch; // TV2 returns the bumped epoch
    add(w, 'c', p.producerId, epoch);
    produce(w, 'c', p.producerId, epoch, 'v2', epoch === p.producerEpoch ? 1 : 0);
    w.release(); // the delayed EndTxn(commit) of T1
    const delayed = w.take('EndTxnResponse', 'c')[0]?.errorCode;
    const abort = endTxn(w, 'c', p.producerId, epoch, false)?.errorCode;
    return { delayed, abort, visible: readCommitted(w) };
  }

  it('TV1: the delayed commit commits T2; the client\'s abort is refused and its aborted write is visible', () => {
    expect(delayedEndTxn({ ...DEFAULT_CONFIG, 'transaction.version': 1 })).toEqual({ delayed: 'NONE', abort: 'INVALID_TXN_STATE', visible: ['v1', 'v2'] });
  });

  it('TV2: the delayed EndTxn carries the old epoch and is fenced; T2 aborts as the client asked', () => {
    expect(delayedEndTxn({ ...DEFAULT_CONFIG })).toEqual({ delayed: 'PRODUCER_FENCED', abort: 'NONE', visible: ['v1'] });
  });
});

describe('transaction.version=1: a delayed produce lands in the next transaction (KAFKA-17754, KIP-890 part 2)', () => {
  /**
   * T1's produce of 'late' is delayed; the client gives up on T1 and aborts it, starts T2 on
   * the same partition. The delayed produce arrives while T2 is open: under TV1 it passes
   * verification (the partition is in the open T2) and is committed with T2, although its
   * own transaction was aborted.
   */
  function delayedProduce(config: ClusterConfig) {
    const w = world(config);
    const p = init(w, 'c')!;
    add(w, 'c', p.producerId, p.producerEpoch);
    w.holdIf = (e: Envelope) => e.message.type === 'Produce' && e.to === 'broker-1';
    produce(w, 'c', p.producerId, p.producerEpoch, 'late');
    w.holdIf = null;
    const aborted = endTxn(w, 'c', p.producerId, p.producerEpoch, false)!;
    const epoch = aborted.producerEpoch >= 0 ? aborted.producerEpoch : p.producerEpoch;
    add(w, 'c', p.producerId, epoch);
    w.release(); // the delayed produce of T1
    const late = w.take('ProduceResponse', 'c')[0]?.errorCode;
    produce(w, 'c', p.producerId, epoch, 'v2', epoch === p.producerEpoch ? 1 : 0);
    endTxn(w, 'c', p.producerId, epoch, true);
    return { late, visible: readCommitted(w) };
  }

  it('TV1: the aborted transaction\'s write is committed with the next one (aborted read)', () => {
    expect(delayedProduce({ ...DEFAULT_CONFIG, 'transaction.version': 1 })).toEqual({ late: 'NONE', visible: ['late', 'v2'] });
  });

  it('TV2: the abort bumped the epoch, so the delayed write is refused (INVALID_PRODUCER_EPOCH)', () => {
    expect(delayedProduce({ ...DEFAULT_CONFIG })).toEqual({ late: 'INVALID_PRODUCER_EPOCH', visible: ['v2'] });
  });
});

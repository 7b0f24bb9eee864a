import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../src/protocol/txn-messages.ts';
import {
  type Group,
  type GroupCoordinatorContext,
  findGroup,
  groupCoordinatorMachine,
  onHeartbeat,
  onLeaveGroup,
  onOffsetCommit,
  onSyncGroup,
} from '../../src/machines/group-coordinator.ts';
import { GROUP_REQUESTS, GROUP_STATES, type GroupState, groupOutcome, isLegalGroupTransition, checkGroupTransition } from '../../src/machines/group-state.ts';
import { start, step } from '../../src/machines/step.ts';
import { TxnWorld } from './txn-world.ts';

const CONFIG: ClusterConfig = { ...DEFAULT_CONFIG, 'session.timeout.ms': 10000 };
const B0 = 'broker-0';
const G = 'g';
const TP = { topic: 't', partition: 0 };

function world(config = CONFIG): TxnWorld {
  const w = new TxnWorld(config, [TP], true);
  w.elect(0);
  w.electGroups(0);
  return w;
}

function join(w: TxnWorld, from: string, memberId = '', correlationId = 1) {
  w.send(from, B0, { type: 'JoinGroup', correlationId, groupId: G, sessionTimeoutMs: 10000, memberId, groupInstanceId: null, subscription: [TP] });
  w.run();
  return w.take('JoinGroupResponse', from);
}

function sync(w: TxnWorld, from: string, memberId: string, generationId: number, assignments: { memberId: string; partitions: { topic: string; partition: number }[] }[] = [], correlationId = 2) {
  w.send(from, B0, { type: 'SyncGroup', correlationId, groupId: G, generationId, memberId, assignments });
  w.run();
  return w.take('SyncGroupResponse', from);
}

function heartbeat(w: TxnWorld, from: string, memberId: string, generationId: number) {
  w.send(from, B0, { type: 'Heartbeat', correlationId: 3, groupId: G, generationId, memberId });
  w.run();
  return w.take('HeartbeatResponse', from)[0]?.errorCode;
}

function commit(w: TxnWorld, from: string, memberId: string, generationId: number, committedOffset: number) {
  w.send(from, B0, { type: 'OffsetCommit', correlationId: 4, groupId: G, generationId, memberId, ...TP, committedOffset });
  w.run();
  return w.take('OffsetCommitResponse', from)[0]?.errorCode;
}

function fetchOffset(w: TxnWorld, requireStable: boolean) {
  w.send('admin', B0, { type: 'OffsetFetch', correlationId: 5, groupId: G, requireStable, ...TP });
  w.run();
  return w.take('OffsetFetchResponse', 'admin')[0];
}

function group(w: TxnWorld): Group {
  const g = findGroup(w.groupCoordinator(), G);
  if (g === undefined) throw new Error('no group');
  return g;
}

describe('group state table (ClassicGroupState)', () => {
  const expected: Record<GroupState, string> = {
    Empty: 'PreparingRebalance',
    PreparingRebalance: 'Stable CompletingRebalance Empty',
    CompletingRebalance: 'PreparingRebalance',
    Stable: 'CompletingRebalance',
    Dead: 'Stable PreparingRebalance CompletingRebalance Empty Dead',
  };
  it('all 25 (from, to) pairs: legal exactly as Kafka lists them, the rest rejected', () => {
    let legal = 0;
    for (const to of GROUP_STATES) {
      for (const from of GROUP_STATES) {
        const ok = expected[to].split(' ').includes(from);
        expect(isLegalGroupTransition(from, to), `${from} -> ${to}`).toBe(ok);
        if (ok) legal++;
        else expect(() => checkGroupTransition(from, to)).toThrow(/illegal group state transition/);
      }
    }
    expect(legal).toBe(11);
  });

  it('request x state: one outcome per cell, as kafka-internals §5 says', () => {
    const cells: Record<string, string> = {};
    for (const r of GROUP_REQUESTS) for (const s of GROUP_STATES) {
      const o = groupOutcome(r, s);
      cells[`${r}/${s}`] = o.kind === 'reply' ? o.errorCode : o.kind;
    }
    expect(cells).toEqual({
      'Heartbeat/Empty': 'UNKNOWN_MEMBER_ID', 'Heartbeat/PreparingRebalance': 'REBALANCE_IN_PROGRESS', 'Heartbeat/CompletingRebalance': 'accept', 'Heartbeat/Stable': 'accept', 'Heartbeat/Dead': 'UNKNOWN_MEMBER_ID',
      'SyncGroup/Empty': 'UNKNOWN_MEMBER_ID', 'SyncGroup/PreparingRebalance': 'REBALANCE_IN_PROGRESS', 'SyncGroup/CompletingRebalance': 'await', 'SyncGroup/Stable': 'accept', 'SyncGroup/Dead': 'UNKNOWN_MEMBER_ID',
      'OffsetCommit/Empty': 'UNKNOWN_MEMBER_ID', 'OffsetCommit/PreparingRebalance': 'accept', 'OffsetCommit/CompletingRebalance': 'REBALANCE_IN_PROGRESS', 'OffsetCommit/Stable': 'accept', 'OffsetCommit/Dead': 'COORDINATOR_NOT_AVAILABLE',
      'LeaveGroup/Empty': 'UNKNOWN_MEMBER_ID', 'LeaveGroup/PreparingRebalance': 'accept', 'LeaveGroup/CompletingRebalance': 'accept', 'LeaveGroup/Stable': 'accept', 'LeaveGroup/Dead': 'UNKNOWN_MEMBER_ID',
    });
  });

  it('the handlers answer every state x request cell as the table says (known member, current generation)', () => {
    const first = start(groupCoordinatorMachine, { config: CONFIG, brokerId: 0, offsetsPartition: 0, offsetsTopicPartitions: 1 });
    const loaded = step(groupCoordinatorMachine, first.snapshot, { type: 'GroupCoordinatorElected', nowMs: 0, coordinatorEpoch: 0, log: [] }).snapshot.context;
    let checked = 0;
    for (const s of GROUP_STATES) {
      const member = { memberId: 'm1', groupInstanceId: null, sessionTimeoutMs: 10000, subscription: [TP], assignment: [TP], awaitingJoin: null, awaitingSync: null };
      const g: Group = { groupId: G, state: s, generationId: 3, leader: 'm1', members: s === 'Empty' ? [] : [member], offsets: [], pendingTxnOffsets: [] };
      const c: GroupCoordinatorContext = { ...loaded, volatile: { ...loaded.volatile, groups: [g] } };
      const base = { from: 'c', correlationId: 1, nowMs: 1, groupId: G, memberId: 'm1', generationId: 3 };
      const answers: Record<string, { effects: readonly { type: string; message?: any }[] }> = {
        Heartbeat: onHeartbeat(c, { ...base, type: 'Heartbeat' }),
        SyncGroup: onSyncGroup(c, { ...base, type: 'SyncGroup', assignments: [{ memberId: 'm1', partitions: [TP] }] }),
        OffsetCommit: onOffsetCommit(c, { ...base, type: 'OffsetCommit', ...TP, committedOffset: 7 }),
        LeaveGroup: onLeaveGroup(c, { ...base, type: 'LeaveGroup' }),
      };
      for (const r of GROUP_REQUESTS) {
        const o = groupOutcome(r, s);
        const sends = answers[r]!.effects.filter((e) => e.type === 'send').map((e) => e.message);
        const response = sends.find((m) => m.type === `${r}Response`);
        const wrote = sends.some((m) => m.type === 'Produce');
        const label = `${r} in ${s}`;
        if (o.kind === 'reply') {
          expect(response?.errorCode, label).toBe(s === 'Empty' && r !== 'OffsetCommit' ? 'UNKNOWN_MEMBER_ID' : o.errorCode);
          expect(wrote, label).toBe(false);
        } else if (o.kind === 'await') {
          expect(response, label).toBeUndefined(); // the leader's assignment is being written first
          expect(wrote, label).toBe(true);
        } else if (r === 'OffsetCommit') {
          expect(wrote, label).toBe(true); // answered once written
        } else {
          expect(response?.errorCode, label).toBe('NONE');
        }
        checked++;
      }
    }
    expect(checked).toBe(20);
  });
});

describe('membership', () => {
  it('join, sync, Stable; a second member triggers a rebalance that the first learns of by heartbeat', () => {
    const w = world();
    const [j1] = join(w, 'c1');
    expect(j1).toMatchObject({ errorCode: 'NONE', generationId: 1, leader: j1!.memberId });
    expect(j1!.members.map((m) => m.memberId)).toEqual([j1!.memberId]);
    const m1 = j1!.memberId;
    expect(group(w).state).toBe('CompletingRebalance');
    expect(sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }])[0]).toMatchObject({ errorCode: 'NONE', assignment: [TP] });
    expect(group(w).state).toBe('Stable');
    expect(join(w, 'c2')).toEqual([]); // waits for c1 to rejoin
    expect(group(w).state).toBe('PreparingRebalance');
    expect(heartbeat(w, 'c1', m1, 1)).toBe('REBALANCE_IN_PROGRESS');
    expect(commit(w, 'c1', m1, 1, 5)).toBe('NONE'); // the old generation may still commit
    const [again] = join(w, 'c1', m1);
    expect(again).toMatchObject({ errorCode: 'NONE', generationId: 2, leader: m1 });
    const [j2] = w.take('JoinGroupResponse', 'c2');
    expect(j2).toMatchObject({ generationId: 2, members: [] });
    const m2 = j2!.memberId;
    expect(sync(w, 'c2', m2, 2)).toEqual([]); // waits for the leader
    expect(commit(w, 'c2', m2, 2, 6)).toBe('REBALANCE_IN_PROGRESS');
    sync(w, 'c1', m1, 2, [{ memberId: m1, partitions: [] }, { memberId: m2, partitions: [TP] }]);
    expect(w.take('SyncGroupResponse', 'c2')[0]).toMatchObject({ errorCode: 'NONE', assignment: [TP] });
    expect(group(w).state).toBe('Stable');
    expect(heartbeat(w, 'c1', m1, 1)).toBe('ILLEGAL_GENERATION');
    expect(heartbeat(w, 'c1', 'nobody', 2)).toBe('UNKNOWN_MEMBER_ID');
    expect(commit(w, 'c1', m1, 1, 9)).toBe('ILLEGAL_GENERATION');
    expect(commit(w, 'c1', 'nobody', 2, 9)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a member that stops heartbeating is removed after session.timeout.ms; the last one leaving empties the group', () => {
    const w = world();
    const m1 = join(w, 'c1')[0]!.memberId;
    sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
    w.advance(5000);
    expect(heartbeat(w, 'c1', m1, 1)).toBe('NONE');
    w.advance(9000);
    expect(group(w).members.length).toBe(1); // the heartbeat renewed the session
    w.advance(2000);
    expect(group(w)).toMatchObject({ state: 'Empty', members: [], generationId: 2 });
    expect(heartbeat(w, 'c1', m1, 1)).toBe('UNKNOWN_MEMBER_ID');
    // Empty: a commit from outside the group (generation -1) is accepted.
    expect(commit(w, 'admin', '', -1, 3)).toBe('NONE');
    expect(fetchOffset(w, false)).toMatchObject({ errorCode: 'NONE', committedOffset: 3 });
  });

  it('LeaveGroup rebalances the others; NOT_COORDINATOR before election', () => {
    const w = new TxnWorld(CONFIG, [TP], true);
    expect(join(w, 'c1')[0]?.errorCode).toBe('NOT_COORDINATOR');
    w.electGroups(0);
    const m1 = join(w, 'c1')[0]!.memberId;
    sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
    w.send('c1', B0, { type: 'LeaveGroup', correlationId: 8, groupId: G, memberId: m1 });
    w.run();
    expect(w.take('LeaveGroupResponse', 'c1')[0]?.errorCode).toBe('NONE');
    expect(group(w).state).toBe('Empty');
  });
});

describe('offsets, transactional offsets, KIP-447', () => {
  /** A transactional producer that added the group's offsets partition; returns (pid, epoch). */
  function txnWithOffsets(w: TxnWorld): { producerId: number; producerEpoch: number } {
    w.send('p', B0, { type: 'InitProducerId', correlationId: 1, transactionalId: 'tx', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
    w.run();
    const [r] = w.take('InitProducerIdResponse', 'p');
    w.send('p', B0, { type: 'AddOffsetsToTxn', correlationId: 2, transactionalId: 'tx', producerId: r!.producerId, producerEpoch: r!.producerEpoch, groupId: G });
    w.run();
    expect(w.take('AddOffsetsToTxnResponse', 'p')[0]?.errorCode).toBe('NONE');
    return { producerId: r!.producerId, producerEpoch: r!.producerEpoch };
  }

  function txnCommit(w: TxnWorld, p: { producerId: number; producerEpoch: number }, memberId: string, generationId: number, committedOffset: number) {
    w.send('p', B0, { type: 'TxnOffsetCommit', correlationId: 3, transactionalId: 'tx', groupId: G, ...p, generationId, memberId, groupInstanceId: null, ...TP, committedOffset });
    w.run();
    return w.take('TxnOffsetCommitResponse', 'p')[0]?.errorCode;
  }

  function endTxn(w: TxnWorld, p: { producerId: number; producerEpoch: number }, committed: boolean) {
    w.send('p', B0, { type: 'EndTxn', correlationId: 4, transactionalId: 'tx', ...p, committed });
    w.run();
    return w.take('EndTxnResponse', 'p')[0]?.errorCode;
  }

  for (const committed of [true, false]) {
    it(`TxnOffsetCommit is pending (UNSTABLE_OFFSET_COMMIT with requireStable) until the ${committed ? 'COMMIT' : 'ABORT'} marker`, () => {
      const w = world();
      const m1 = join(w, 'c1')[0]!.memberId;
      sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
      expect(commit(w, 'c1', m1, 1, 4)).toBe('NONE');
      const p = txnWithOffsets(w);
      expect(txnCommit(w, p, m1, 1, 10)).toBe('NONE');
      expect(fetchOffset(w, true)?.errorCode).toBe('UNSTABLE_OFFSET_COMMIT');
      expect(fetchOffset(w, false)).toMatchObject({ errorCode: 'NONE', committedOffset: 4 });
      expect(endTxn(w, p, committed)).toBe('NONE');
      expect(fetchOffset(w, true)).toMatchObject({ errorCode: 'NONE', committedOffset: committed ? 10 : 4 });
    });
  }

  it('KIP-447: a TxnOffsetCommit from a stale generation or an unknown member is fenced', () => {
    const w = world();
    const m1 = join(w, 'c1')[0]!.memberId;
    sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
    join(w, 'c2');
    join(w, 'c1', m1); // generation 2
    const p = txnWithOffsets(w);
    expect(txnCommit(w, p, m1, 1, 10)).toBe('ILLEGAL_GENERATION');
    expect(txnCommit(w, p, 'gone', 2, 10)).toBe('UNKNOWN_MEMBER_ID');
    expect(txnCommit(w, p, m1, 2, 10)).toBe('NONE');
  });

  it('twin: with no-generation-fencing the stale TxnOffsetCommit is accepted', () => {
    const w = world({ ...CONFIG, variant: 'no-generation-fencing' });
    const m1 = join(w, 'c1')[0]!.memberId;
    sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
    join(w, 'c2');
    join(w, 'c1', m1);
    const p = txnWithOffsets(w);
    expect(txnCommit(w, p, m1, 1, 10)).toBe('NONE');
  });

  it('failover: a new coordinator reloads offsets, the group, and pending transactional offsets from __consumer_offsets', () => {
    const w = world();
    const m1 = join(w, 'c1')[0]!.memberId;
    sync(w, 'c1', m1, 1, [{ memberId: m1, partitions: [TP] }]);
    commit(w, 'c1', m1, 1, 4);
    const p = txnWithOffsets(w);
    txnCommit(w, p, m1, 1, 10);
    w.boot('group-coordinator', groupCoordinatorMachine, { config: CONFIG, brokerId: 0, offsetsPartition: 0, offsetsTopicPartitions: 1 });
    w.electGroups(1);
    expect(group(w)).toMatchObject({ state: 'Stable', generationId: 1, leader: m1, offsets: [{ ...TP, offset: 4 }] });
    expect(fetchOffset(w, true)?.errorCode).toBe('UNSTABLE_OFFSET_COMMIT');
    expect(heartbeat(w, 'c1', m1, 1)).toBe('NONE');
    expect(endTxn(w, p, true)).toBe('NONE');
    expect(fetchOffset(w, true)).toMatchObject({ errorCode: 'NONE', committedOffset: 10 });
    expect(w.partition(CONSUMER_OFFSETS_TOPIC, 0).markers().length).toBe(1);
  });
});

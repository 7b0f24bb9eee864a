/**
 * Random membership histories against the group coordinator alone (its log writes answered
 * at once): joins, rejoins, syncs, heartbeats, leaves, expired sessions, and transactional
 * offset commits carrying a current or stale (member, generation). Properties:
 *
 * - no member was ever told a generation above the group's;
 * - KIP-447: a TxnOffsetCommit with group metadata is accepted only if its member is in the
 *   group and its generation is the group's current one (as an independent model of the
 *   responses the members received tracks them);
 * - a Stable group's members were all answered by a SyncGroup of that generation.
 *
 * Twin: `no-generation-fencing` fails the same checker (stale commits accepted). Witnesses:
 * stale commits are attempted and rejected, rebalances complete, and Stable groups with
 * members are reached, across the runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { findGroup, groupCoordinatorMachine } from '../../src/machines/group-coordinator.ts';
import { start, step } from '../../src/machines/step.ts';

const TP = { topic: 't', partition: 0 };
type Op =
  | { kind: 'join'; member: number }
  | { kind: 'sync'; member: number }
  | { kind: 'heartbeat'; member: number }
  | { kind: 'leave'; member: number }
  | { kind: 'expire'; member: number }
  | { kind: 'txnCommit'; member: number; stale: boolean };

const member = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), member }),
  fc.record({ kind: fc.constant('sync' as const), member }),
  fc.record({ kind: fc.constant('heartbeat' as const), member }),
  fc.record({ kind: fc.constant('leave' as const), member }),
  fc.record({ kind: fc.constant('expire' as const), member }),
  fc.record({ kind: fc.constant('txnCommit' as const), member, stale: fc.boolean() }),
);

interface Stats {
  staleRejected: number;
  rebalances: number;
  stableChecked: number;
}

/** Violations of the properties for one history (empty = they hold). */
function check(config: ClusterConfig, ops: readonly Op[], stats: Stats): string[] {
  let snapshot = step(groupCoordinatorMachine, start(groupCoordinatorMachine, { config, brokerId: 0, offsetsPartition: 0, offsetsTopicPartitions: 1 }).snapshot, {
    type: 'GroupCoordinatorElected', nowMs: 0, coordinatorEpoch: 0, log: [],
  }).snapshot;
  const found: string[] = [];
  // The model: what each client learned from its responses.
  const known: { memberId: string; generationId: number }[] = [{ memberId: '', generationId: -1 }, { memberId: '', generationId: -1 }, { memberId: '', generationId: -1 }];
  const synced = new Map<string, number>();
  let correlationId = 0;
  const deliver = (event: Record<string, unknown>): Effect[] => {
    const out: Effect[] = [];
    let queue: Record<string, unknown>[] = [{ nowMs: 0, correlationId: correlationId++, ...event }];
    while (queue.length > 0) {
      const next = queue.shift() as Record<string, unknown>;
      const r = step(groupCoordinatorMachine, snapshot, next as never);
      snapshot = r.snapshot;
      for (const e of r.effects) {
        if (e.type === 'send' && e.message.type === 'Produce') {
          // The log write lands at once (acks=all on a healthy replica).
          queue = [...queue, { type: 'ProduceResponse', from: 'broker-0', correlationId: e.message.correlationId, topic: e.message.topic, partition: e.message.partition, errorCode: 'NONE', baseOffset: 0, nowMs: 0 }];
        } else out.push(e);
      }
    }
    return out;
  };
  const responses = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, message: e.message as { type: string } & Record<string, any> }] : []));
  const learn = (effects: Effect[]): void => {
    for (const { to, message } of responses(effects)) {
      const i = Number(to.slice(1));
      if (message.type === 'JoinGroupResponse' && message.errorCode === 'NONE') known[i] = { memberId: message.memberId, generationId: message.generationId };
      if (message.type === 'SyncGroupResponse' && message.errorCode === 'NONE') synced.set(known[i]!.memberId, known[i]!.generationId);
      if (message.type === 'JoinGroupResponse' && message.errorCode === 'UNKNOWN_MEMBER_ID') known[i] = { memberId: '', generationId: -1 };
    }
  };
  ops.forEach((op) => {
    const me = known[op.member]!;
    const from = `c${op.member}`;
    const group = () => findGroup(snapshot.context, 'g');
    const before = group();
    switch (op.kind) {
      case 'join':
        return learn(deliver({ type: 'JoinGroup', from, groupId: 'g', sessionTimeoutMs: 10000, memberId: me.memberId, groupInstanceId: null, subscription: [TP] }));
      case 'sync': {
        const g = group();
        const assignments = g?.leader === me.memberId ? g.members.map((m, k) => ({ memberId: m.memberId, partitions: k === 0 ? [TP] : [] })) : [];
        return learn(deliver({ type: 'SyncGroup', from, groupId: 'g', generationId: me.generationId, memberId: me.memberId, assignments }));
      }
      case 'heartbeat':
        return learn(deliver({ type: 'Heartbeat', from, groupId: 'g', generationId: me.generationId, memberId: me.memberId }));
      case 'leave':
        return learn(deliver({ type: 'LeaveGroup', from, groupId: 'g', memberId: me.memberId }));
      case 'expire':
        if (me.memberId === '') return;
        return learn(deliver({ type: 'MemberSessionTimeout', groupId: 'g', memberId: me.memberId }));
      case 'txnCommit': {
        const generationId = op.stale ? me.generationId - 1 : me.generationId;
        if (me.memberId === '' || generationId < 0) return;
        const effects = deliver({ type: 'TxnOffsetCommit', from, transactionalId: 'tx', groupId: 'g', producerId: 1, producerEpoch: 0, generationId, memberId: me.memberId, groupInstanceId: null, ...TP, committedOffset: 1 });
        const answer = responses(effects).find((r) => r.message.type === 'TxnOffsetCommitResponse')?.message.errorCode;
        const current = before !== undefined && before.members.some((m) => m.memberId === me.memberId) && before.generationId === generationId;
        if (answer === 'NONE' && !current) found.push(`stale TxnOffsetCommit accepted (${me.memberId}, generation ${generationId} vs ${before?.generationId})`);
        if (answer !== 'NONE' && current) found.push(`current TxnOffsetCommit rejected: ${answer}`);
        if (answer !== 'NONE' && !current) stats.staleRejected++;
        return;
      }
    }
  });
  const g = findGroup(snapshot.context, 'g');
  // Each completed join increments by one; the final generation is at least the last seen.
  const generations = known.map((k) => k.generationId).filter((x) => x >= 0);
  if (g !== undefined && generations.some((x) => x > g.generationId)) found.push('a member saw a generation above the group\'s');
  stats.rebalances += g?.generationId ?? 0;
  if (g?.state === 'Stable' && g.members.length > 0) {
    stats.stableChecked++;
    for (const m of g.members) if (synced.get(m.memberId) !== g.generationId) found.push(`Stable member ${m.memberId} not synced in generation ${g.generationId}`);
  }
  return found;
}

const histories = fc.array(opArb, { minLength: 1, maxLength: 25 });

describe('property: group membership and KIP-447 fencing under random histories', () => {
  it('holds today, with stale commits rejected and rebalances completed across the runs', () => {
    const stats: Stats = { staleRejected: 0, rebalances: 0, stableChecked: 0 };
    fc.assert(
      fc.property(histories, (ops) => {
        const found = check({ ...DEFAULT_CONFIG }, ops, stats);
        if (found.length > 0) throw new Error(found.join('; '));
      }),
      { numRuns: 300, seed: 447 },
    );
    expect(stats.staleRejected).toBeGreaterThan(0);
    expect(stats.rebalances).toBeGreaterThan(0);
    expect(stats.stableChecked).toBeGreaterThan(0);
  });

  it('twin: with no-generation-fencing the same checker finds a stale commit accepted', () => {
    const stats: Stats = { staleRejected: 0, rebalances: 0, stableChecked: 0 };
    const result = fc.check(fc.property(histories, (ops) => check({ ...DEFAULT_CONFIG, variant: 'no-generation-fencing' }, ops, stats).length === 0), { numRuns: 300, seed: 447 });
    expect(result.failed).toBe(true);
  });
});

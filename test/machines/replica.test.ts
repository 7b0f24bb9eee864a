/**
 * Handler-level tests of the replica machine: every error path of Produce, Fetch and
 * OffsetsForLeaderEpoch, the high watermark rules, ISR changes, follower truncation, and
 * each variant's changed behaviour next to today's.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { LogBatch } from '../../src/protocol/log.ts';
import type {
  Delivered,
  Fetch,
  FetchResponse,
  LeaderAndIsr,
  OffsetsForLeaderEpochResponse,
  Produce,
  ProtocolMessage,
} from '../../src/protocol/messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import {
  type ReplicaEvent,
  type ReplicaPersisted,
  emptyPersisted,
  replicaMachine,
  truncationTarget,
} from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';

type Snap = ReturnType<typeof start<typeof replicaMachine>>['snapshot'];

const base: ClusterConfig = { ...DEFAULT_CONFIG, 'replication.factor': 3, 'min.insync.replicas': 2 };

function batch(valuesList: string[], fields: Partial<LogBatch> = {}): LogBatch {
  return {
    baseOffset: 0,
    lastOffset: valuesList.length - 1,
    partitionLeaderEpoch: -1,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
    records: valuesList.map((value) => ({ key: null, value })),
    ...fields,
  };
}

/** A log of single-record batches, `epochs[i]` the leader epoch of offset i. */
function logOf(epochs: number[]): ReplicaPersisted {
  const log = epochs.map((e, i) => batch([`v${i}`], { baseOffset: i, lastOffset: i, partitionLeaderEpoch: e }));
  const cache: { epoch: number; startOffset: number }[] = [];
  epochs.forEach((e, i) => {
    if (cache.at(-1)?.epoch !== e) cache.push({ epoch: e, startOffset: i });
  });
  return { log, leaderEpochCache: cache, highWatermarkCheckpoint: 0, producers: [] };
}

function lai(fields: Partial<LeaderAndIsr> = {}): Delivered<LeaderAndIsr> {
  return {
    type: 'LeaderAndIsr',
    from: 'controller',
    incarnationId: 1,
    topic: 't',
    partition: 0,
    leader: 0,
    leaderEpoch: 1,
    isr: [0, 1, 2],
    elr: [],
    partitionEpoch: 1,
    replicas: [0, 1, 2],
    nowMs: 0,
    ...fields,
  };
}

function boot(config: ClusterConfig, recovered: ReplicaPersisted = emptyPersisted(), brokerId = 0): Snap {
  return start(replicaMachine, { config, brokerId, incarnationId: 1, topic: 't', partition: 0, recovered }).snapshot;
}

let lastEffects: Effect[] = [];
function on(snapshot: Snap, event: ReplicaEvent): Snap {
  const result = step(replicaMachine, snapshot, event);
  lastEffects = result.effects;
  return result.snapshot;
}

function leaderOf(config: ClusterConfig = base, recovered?: ReplicaPersisted, fields: Partial<LeaderAndIsr> = {}): Snap {
  return on(boot(config, recovered), lai(fields));
}

function produce(records: LogBatch, fields: Partial<Produce> = {}): Delivered<Produce> {
  return {
    type: 'Produce',
    from: 'producer-0',
    correlationId: 7,
    topic: 't',
    partition: 0,
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    records,
    nowMs: 0,
    ...fields,
  };
}

function fetch(fields: Partial<Delivered<Fetch>> = {}): Delivered<Fetch> {
  return {
    type: 'Fetch',
    from: 'broker-1',
    correlationId: 3,
    topic: 't',
    partition: 0,
    replicaId: 1,
    fetchOffset: 0,
    currentLeaderEpoch: 1,
    lastFetchedEpoch: -1,
    isolationLevel: 'read_uncommitted',
    nowMs: 0,
    ...fields,
  };
}

function messages<T extends ProtocolMessage['type']>(type: T): Extract<ProtocolMessage, { type: T }>[] {
  return lastEffects.flatMap((e) => (e.type === 'send' && e.message.type === type ? [e.message as Extract<ProtocolMessage, { type: T }>] : []));
}

function storageTypes(): string[] {
  return lastEffects.flatMap((e) => (e.type === 'storage' ? [e.command.type] : []));
}

describe('replica: Produce', () => {
  it('a replica that is not the leader answers NOT_LEADER_OR_FOLLOWER', () => {
    const s = on(boot(base), produce(batch(['a'])));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
    const follower = on(on(boot(base, emptyPersisted(), 1), lai()), produce(batch(['a'])));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(s.context.persisted.log).toEqual([]);
    expect(follower.context.persisted.log).toEqual([]);
  });

  it('acks=all with the ISR below min.insync.replicas: NOT_ENOUGH_REPLICAS, nothing appended', () => {
    const s = on(leaderOf(base, undefined, { isr: [0] }), produce(batch(['a'])));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('NOT_ENOUGH_REPLICAS');
    expect(s.context.persisted.log).toEqual([]);
    expect(storageTypes()).toEqual([]);
  });

  it('acks=1 with the same small ISR appends and answers at once; acks=0 appends and answers nothing', () => {
    const one = on(leaderOf(base, undefined, { isr: [0] }), produce(batch(['a']), { acks: 1 }));
    expect(messages('ProduceResponse')).toMatchObject([{ errorCode: 'NONE', baseOffset: 0 }]);
    expect(one.context.persisted.log).toHaveLength(1);
    const zero = on(leaderOf(base, undefined, { isr: [0] }), produce(batch(['a']), { acks: 0 }));
    expect(messages('ProduceResponse')).toEqual([]);
    expect(zero.context.persisted.log).toHaveLength(1);
  });

  it('acks=all waits for the HW, stamps the leader epoch, and times out with REQUEST_TIMED_OUT', () => {
    let s = on(leaderOf(), produce(batch(['a'])));
    expect(messages('ProduceResponse')).toEqual([]);
    expect(s.context.persisted.log[0]?.partitionLeaderEpoch).toBe(1);
    expect(storageTypes()).toEqual(['append']);
    s = on(s, { type: 'ProduceTimeout', from: 'producer-0', correlationId: 7, nowMs: 30000 });
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('REQUEST_TIMED_OUT');
    s = on(s, { type: 'ProduceTimeout', from: 'producer-0', correlationId: 7, nowMs: 30001 });
    expect(lastEffects).toEqual([]); // a second timeout for the same request changes nothing
    expect(s.context.volatile.pendingProduces).toEqual([]);
  });

  it('acks=all is answered NONE once every ISR member has fetched past it', () => {
    let s = on(leaderOf(), produce(batch(['a'])));
    s = on(s, fetch({ replicaId: 1, from: 'broker-1', fetchOffset: 1 }));
    expect(s.context.volatile.highWatermark).toBe(0);
    s = on(s, fetch({ replicaId: 2, from: 'broker-2', fetchOffset: 1 }));
    expect(s.context.volatile.highWatermark).toBe(1);
    expect(messages('ProduceResponse')).toMatchObject([{ errorCode: 'NONE', baseOffset: 0, correlationId: 7 }]);
  });

  it('NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min ISR before the HW passed (ELR off)', () => {
    const config = { ...base, 'eligible.leader.replicas.enable': false };
    let s = on(leaderOf(config, undefined, { isr: [0, 1] }), produce(batch(['a'])));
    s = on(s, { type: 'IsrCheckTimer', nowMs: 40000 });
    const alter = messages('AlterPartition')[0];
    expect(alter?.newIsr).toEqual([0]);
    s = on(s, { type: 'AlterPartitionResponse', from: 'controller', correlationId: alter?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, isr: [0], partitionEpoch: 2, nowMs: 40001 });
    expect(s.context.volatile.isr).toEqual([0]);
    expect(messages('ProduceResponse')).toMatchObject([{ errorCode: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', baseOffset: 0 }]);
  });

  it('KIP-966: with ELR on, the HW does not advance while the ISR is below min ISR', () => {
    let s = on(leaderOf(base, undefined, { isr: [0, 1] }), produce(batch(['a'])));
    s = on(s, { type: 'IsrCheckTimer', nowMs: 40000 });
    const alter = messages('AlterPartition')[0];
    s = on(s, { type: 'AlterPartitionResponse', from: 'controller', correlationId: alter?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, isr: [0], partitionEpoch: 2, nowMs: 40001 });
    expect(s.context.volatile.highWatermark).toBe(0);
    expect(messages('ProduceResponse')).toEqual([]);
  });

  it('rejects an empty batch and a producer id without a sequence as INVALID_RECORD', () => {
    on(leaderOf(), produce(batch([])));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('INVALID_RECORD');
    on(leaderOf(), produce(batch(['a'], { producerId: 5, producerEpoch: 0, baseSequence: -1 })));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('INVALID_RECORD');
  });

  it('flushes every flush.messages records', () => {
    let s = leaderOf({ ...base, 'flush.messages': 2 }, undefined, { isr: [0] });
    s = on(s, produce(batch(['a']), { acks: 1 }));
    expect(storageTypes()).toEqual(['append']);
    s = on(s, produce(batch(['b']), { acks: 1 }));
    expect(storageTypes()).toEqual(['append', 'flush']);
    expect(s.context.volatile.unflushedRecords).toBe(0);
  });
});

describe('replica: idempotent producer state', () => {
  const pid = (seq: number, epoch = 0, values = ['x']) => batch(values, { producerId: 9, producerEpoch: epoch, baseSequence: seq });
  const acks1 = { acks: 1 as const };
  function after(...batches: LogBatch[]): Snap {
    let s = leaderOf(base, undefined, { isr: [0] });
    for (const b of batches) s = on(s, produce(b, acks1));
    return s;
  }

  it('a new producer may start at any sequence (KIP-360); the next must follow', () => {
    const s = after(pid(7));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('NONE');
    on(s, produce(pid(9), acks1));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    on(s, produce(pid(8), acks1));
    expect(messages('ProduceResponse')[0]).toMatchObject({ errorCode: 'NONE', baseOffset: 1 });
  });

  it('a duplicate of one of the last 5 batches gets its original offset and is not appended', () => {
    let s = after(pid(0), pid(1), pid(2));
    s = on(s, produce(pid(1), acks1));
    expect(messages('ProduceResponse')[0]).toMatchObject({ errorCode: 'NONE', baseOffset: 1 });
    expect(s.context.persisted.log).toHaveLength(3);
    expect(storageTypes()).toEqual([]);
  });

  it('only the last 5 batches are remembered: an older retry is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const s = after(pid(0), pid(1), pid(2), pid(3), pid(4), pid(5));
    on(s, produce(pid(0), acks1));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    on(s, produce(pid(1), acks1));
    expect(messages('ProduceResponse')[0]).toMatchObject({ errorCode: 'NONE', baseOffset: 1 });
  });

  it('an older epoch is INVALID_PRODUCER_EPOCH; a newer epoch must restart at sequence 0', () => {
    const s = after(pid(0, 1));
    on(s, produce(pid(1, 0), acks1));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('INVALID_PRODUCER_EPOCH');
    on(s, produce(pid(3, 2), acks1));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    on(s, produce(pid(0, 2), acks1));
    expect(messages('ProduceResponse')[0]?.errorCode).toBe('NONE');
  });

  it('acks=all: a duplicate is still answered only once the HW passes the original', () => {
    let s = leaderOf(base, undefined, { isr: [0, 1] });
    s = on(s, produce(pid(0)));
    s = on(s, produce(pid(0), { correlationId: 8 }));
    expect(messages('ProduceResponse')).toEqual([]);
    s = on(s, fetch({ fetchOffset: 1 }));
    expect(messages('ProduceResponse').map((m) => [m.correlationId, m.baseOffset])).toEqual([[7, 0], [8, 0]]);
    expect(s.context.persisted.log).toHaveLength(1);
  });
});

describe('replica: Fetch at the leader (KIP-320 fencing, divergence)', () => {
  it('an older epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH; state unchanged', () => {
    const s = leaderOf(base, undefined, { leaderEpoch: 3 });
    const after = on(s, fetch({ currentLeaderEpoch: 2, fetchOffset: 0 }));
    expect(messages('FetchResponse')[0]?.errorCode).toBe('FENCED_LEADER_EPOCH');
    expect(after).toBe(s);
    on(s, fetch({ currentLeaderEpoch: 4 }));
    expect(messages('FetchResponse')[0]?.errorCode).toBe('UNKNOWN_LEADER_EPOCH');
  });

  it('variant no-leader-epoch-fencing: a fetch from an old epoch is served and moves the HW', () => {
    const config: ClusterConfig = { ...base, variant: 'no-leader-epoch-fencing' };
    let s = leaderOf(config, undefined, { leaderEpoch: 3, isr: [0, 1] });
    s = on(s, produce(batch(['a']), { acks: 1 }));
    s = on(s, fetch({ currentLeaderEpoch: 2, fetchOffset: 1 }));
    expect(messages('FetchResponse')[0]?.errorCode).toBe('NONE');
    expect(s.context.volatile.highWatermark).toBe(1);
  });

  it('a follower whose last fetched epoch diverges gets divergingEpoch and no records', () => {
    // Leader: epochs 1,1,3 (offsets 0..2). Follower fetched up to offset 3 in epoch 2.
    const s = leaderOf(base, logOf([1, 1, 3]), { leaderEpoch: 4 });
    on(s, fetch({ currentLeaderEpoch: 4, fetchOffset: 3, lastFetchedEpoch: 2 }));
    expect(messages('FetchResponse')[0]).toMatchObject({ errorCode: 'NONE', records: [], divergingEpoch: { epoch: 1, endOffset: 2 } });
  });

  it('a fetch offset beyond the log end is OFFSET_OUT_OF_RANGE; a non-replica is NOT_LEADER_OR_FOLLOWER', () => {
    const s = leaderOf();
    on(s, fetch({ fetchOffset: 5 }));
    expect(messages('FetchResponse')[0]?.errorCode).toBe('OFFSET_OUT_OF_RANGE');
    on(s, fetch({ replicaId: 7, from: 'broker-7' }));
    expect(messages('FetchResponse')[0]?.errorCode).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('a consumer fetch (replicaId -1) sees only records below the HW', () => {
    let s = leaderOf(base, undefined, { isr: [0, 1] });
    s = on(s, produce(batch(['a']), { acks: 1 }));
    s = on(s, produce(batch(['b']), { acks: 1 }));
    s = on(s, fetch({ fetchOffset: 1 })); // follower 1 has offset 0: HW = 1
    on(s, fetch({ replicaId: -1, from: 'consumer-0', currentLeaderEpoch: -1 }));
    expect(messages('FetchResponse')[0]?.records.map((b) => b.baseOffset)).toEqual([0]);
  });
});

describe('replica: ISR maintenance', () => {
  it('a follower joins the ISR once it reaches the HW and the start of the leader epoch', () => {
    // Leader log: epoch 1 at 0..1, leader now in epoch 2 (starting at 2); HW recovered 0.
    let s = leaderOf(base, logOf([1, 1]), { leaderEpoch: 2, isr: [0, 1] });
    s = on(s, fetch({ replicaId: 2, from: 'broker-2', currentLeaderEpoch: 2, fetchOffset: 1 }));
    expect(messages('AlterPartition')).toEqual([]); // LEO 1 ≥ HW 0, but < epoch start 2
    s = on(s, fetch({ replicaId: 2, from: 'broker-2', currentLeaderEpoch: 2, fetchOffset: 2, correlationId: 4 }));
    expect(messages('AlterPartition')[0]?.newIsr).toEqual([0, 1, 2]);
    expect(s.context.volatile.pendingIsr?.newIsr).toEqual([0, 1, 2]);
  });

  it('variant no-isr-join-epoch-check (KAFKA-7128): the lagging follower joins before the epoch start', () => {
    const config: ClusterConfig = { ...base, variant: 'no-isr-join-epoch-check' };
    const s = leaderOf(config, logOf([1, 1]), { leaderEpoch: 2, isr: [0, 1] });
    on(s, fetch({ replicaId: 2, from: 'broker-2', currentLeaderEpoch: 2, fetchOffset: 1 }));
    expect(messages('AlterPartition')[0]?.newIsr).toEqual([0, 1, 2]);
  });

  it('the ISR check removes a follower that has not caught up for replica.lag.time.max.ms', () => {
    let s = on(leaderOf(), produce(batch(['a']), { acks: 1 }));
    s = on(s, fetch({ replicaId: 1, fetchOffset: 1, nowMs: 1000 }));
    s = on(s, { type: 'IsrCheckTimer', nowMs: 20000 });
    expect(messages('AlterPartition')).toEqual([]);
    s = on(s, { type: 'IsrCheckTimer', nowMs: 30001 });
    expect(messages('AlterPartition')[0]?.newIsr).toEqual([0, 1]);
    expect(lastEffects.some((e) => e.type === 'setTimer' && e.id === 'isr-check')).toBe(true);
  });

  it('an AlterPartition answer for another request or an error leaves the ISR alone', () => {
    let s = on(leaderOf(), { type: 'IsrCheckTimer', nowMs: 40000 });
    const alter = messages('AlterPartition')[0];
    const base2 = { type: 'AlterPartitionResponse' as const, from: 'controller', topic: 't', partition: 0, leaderId: 0, leaderEpoch: 1, isr: [0], partitionEpoch: 2, nowMs: 40001 };
    const same = on(s, { ...base2, correlationId: 999, errorCode: 'NONE' });
    expect(same).toBe(s);
    s = on(s, { ...base2, correlationId: alter?.correlationId ?? -1, errorCode: 'INVALID_UPDATE_VERSION' });
    expect(s.context.volatile.isr).toEqual([0, 1, 2]);
    expect(s.context.volatile.pendingIsr).toBeNull();
  });
});

describe('replica: OffsetsForLeaderEpoch (KIP-101, KIP-279)', () => {
  const ask = (leaderEpoch: number, currentLeaderEpoch = 4) => ({
    type: 'OffsetsForLeaderEpoch' as const,
    from: 'broker-1',
    correlationId: 1,
    topic: 't',
    partition: 0,
    replicaId: 1,
    currentLeaderEpoch,
    leaderEpoch,
    nowMs: 0,
  });

  it('answers the largest epoch ≤ the one asked and its end offset', () => {
    const s = leaderOf(base, logOf([1, 1, 3, 3]), { leaderEpoch: 4 });
    on(s, ask(2));
    expect(messages('OffsetsForLeaderEpochResponse')[0]).toMatchObject({ errorCode: 'NONE', leaderEpoch: 1, endOffset: 2 });
    on(s, ask(3));
    expect(messages('OffsetsForLeaderEpochResponse')[0]).toMatchObject({ leaderEpoch: 3, endOffset: 4 });
    on(s, ask(0));
    expect(messages('OffsetsForLeaderEpochResponse')[0]).toMatchObject({ leaderEpoch: -1, endOffset: -1 });
  });

  it('is fenced by the current leader epoch unless the pre-KIP-320 variant is on', () => {
    on(leaderOf(base, logOf([1]), { leaderEpoch: 4 }), ask(1, 3));
    expect(messages('OffsetsForLeaderEpochResponse')[0]?.errorCode).toBe('FENCED_LEADER_EPOCH');
    on(leaderOf({ ...base, variant: 'no-leader-epoch-fencing' }, logOf([1]), { leaderEpoch: 4 }), ask(1, 3));
    expect(messages('OffsetsForLeaderEpochResponse')[0]?.errorCode).toBe('NONE');
  });
});

describe('replica: follower', () => {
  function follower(config: ClusterConfig, recovered: ReplicaPersisted, fields: Partial<LeaderAndIsr> = {}): Snap {
    return on(boot(config, recovered, 1), lai({ leader: 0, leaderEpoch: 4, ...fields }));
  }
  const answer = (correlationId: number, leaderEpoch: number, endOffset: number): Delivered<OffsetsForLeaderEpochResponse> => ({
    type: 'OffsetsForLeaderEpochResponse',
    from: 'broker-0',
    correlationId,
    topic: 't',
    partition: 0,
    errorCode: 'NONE',
    leaderEpoch,
    endOffset,
    nowMs: 0,
  });

  it('with a log, asks the leader for its latest epoch first (truncating)', () => {
    const s = follower(base, logOf([1, 2]));
    expect(s.value).toEqual({ follower: 'truncating' });
    expect(messages('OffsetsForLeaderEpoch')[0]).toMatchObject({ leaderEpoch: 2, currentLeaderEpoch: 4 });
  });

  it('KIP-279: truncates to the smaller end offset for a shared epoch, then fetches', () => {
    let s = follower(base, logOf([1, 2, 2, 2]));
    const id = messages('OffsetsForLeaderEpoch')[0]?.correlationId ?? -1;
    s = on(s, answer(id, 2, 2));
    expect(s.value).toEqual({ follower: 'fetching' });
    expect(s.context.persisted.log.map((b) => b.baseOffset)).toEqual([0, 1]);
    expect(storageTypes()).toEqual(['truncate']);
    expect(messages('Fetch')[0]).toMatchObject({ fetchOffset: 2, lastFetchedEpoch: 2 });
  });

  it('KIP-279: an epoch the follower does not have: truncate to its end of the largest smaller epoch and ask again', () => {
    let s = follower(base, logOf([1, 3, 3]));
    const id = messages('OffsetsForLeaderEpoch')[0]?.correlationId ?? -1;
    s = on(s, answer(id, 2, 5)); // leader has epochs ≤ 3 only up to 2
    expect(s.value).toEqual({ follower: 'truncating' });
    expect(s.context.persisted.log.map((b) => b.baseOffset)).toEqual([0]);
    expect(messages('OffsetsForLeaderEpoch')[0]?.leaderEpoch).toBe(1);
  });

  it('truncationTarget covers the undefined answer by falling back to the HW', () => {
    const s = follower(base, { ...logOf([1, 1]), highWatermarkCheckpoint: 1 });
    expect(truncationTarget(s.context, -1, -1)).toEqual({ offset: 1, done: true });
  });

  it('variant truncate-to-high-watermark: truncates to its HW at once and fetches without epochs', () => {
    const s = follower({ ...base, variant: 'truncate-to-high-watermark' }, { ...logOf([1, 1, 1]), highWatermarkCheckpoint: 1 });
    expect(s.value).toEqual({ follower: 'fetching' });
    expect(s.context.persisted.log).toHaveLength(1);
    expect(messages('OffsetsForLeaderEpoch')).toEqual([]);
    expect(messages('Fetch')[0]).toMatchObject({ fetchOffset: 1, lastFetchedEpoch: -1 });
  });

  it('appends fetched batches, sets HW = min(leader HW, own LEO), ignores stale responses', () => {
    let s = follower(base, emptyPersisted());
    const fetchId = messages('Fetch')[0]?.correlationId ?? -1;
    const response: Delivered<FetchResponse> = {
      type: 'FetchResponse',
      from: 'broker-0',
      correlationId: fetchId,
      topic: 't',
      partition: 0,
      errorCode: 'NONE',
      currentLeaderEpoch: 4,
      highWatermark: 5,
      lastStableOffset: 5,
      logStartOffset: 0,
      records: logOf([4, 4]).log,
      divergingEpoch: null,
      nowMs: 0,
    };
    const stale = on(s, { ...response, correlationId: fetchId + 100 });
    expect(stale).toBe(s);
    s = on(s, response);
    expect(s.context.persisted.log).toHaveLength(2);
    expect(s.context.persisted.leaderEpochCache).toEqual([{ epoch: 4, startOffset: 0 }]);
    expect(s.context.volatile.highWatermark).toBe(2);
    expect(storageTypes()).toEqual(['append', 'checkpoint', 'append', 'checkpoint']);
    expect(messages('Fetch')[0]?.fetchOffset).toBe(2);
    const again = on(s, response); // a duplicate of the answered response
    expect(again).toBe(s);
  });

  it('ignores a LeaderAndIsr of an older epoch, or addressed to another incarnation', () => {
    const s = follower(base, emptyPersisted());
    expect(on(s, lai({ leader: 2, leaderEpoch: 3 }))).toBe(s);
    expect(on(s, lai({ leader: 2, leaderEpoch: 9, incarnationId: 2 }))).toBe(s);
  });

  it('a leader that becomes follower answers its waiting produces NOT_LEADER_OR_FOLLOWER', () => {
    let s = on(leaderOf(), produce(batch(['a'])));
    s = on(s, lai({ leader: 1, leaderEpoch: 2 }));
    expect(s.value).toEqual({ follower: 'truncating' });
    expect(messages('ProduceResponse')).toMatchObject([{ errorCode: 'NOT_LEADER_OR_FOLLOWER' }]);
    expect(s.context.volatile.pendingProduces).toEqual([]);
  });
});

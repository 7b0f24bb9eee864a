/**
 * Hand-driven multi-machine scenarios (controller + brokers + producer, wired by the
 * harness's tiny router): the acks=all contract, and KIP-101's high-watermark truncation
 * with its variant as the witness that the flag changes behaviour.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import { brokerNode } from '../../src/protocol/messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import type { ReplicaContext } from '../../src/machines/replica.ts';
import { type Envelope, World, fromBroker, toBroker, values } from './harness.ts';

const rf3: ClusterConfig = { ...DEFAULT_CONFIG, 'replication.factor': 3, 'min.insync.replicas': 2 };

/**
 * Record, for every successful ProduceResponse a leader sends, its high watermark at that
 * moment (the harness calls observers after the step, with the new snapshot).
 */
function watchAcks(world: World): { offset: number; highWatermark: number }[] {
  const acks: { offset: number; highWatermark: number }[] = [];
  world.onEffect = (effect: Effect, slot) => {
    if (effect.type !== 'send' || effect.message.type !== 'ProduceResponse' || effect.message.errorCode !== 'NONE') return;
    const context = slot.snapshot.context as ReplicaContext;
    acks.push({ offset: effect.message.baseOffset, highWatermark: context.volatile.highWatermark });
  };
  return acks;
}

function bootCluster(config: ClusterConfig, replicas: number[] = [0, 1, 2]): World {
  const world = new World(config, replicas, [{ topic: 't', partition: 0, replicas }]);
  world.advance(1); // registrations, election, InitProducerId, first fetches
  return world;
}

describe('scenario: produce with acks=all', () => {
  it('boots: one leader, every replica in the ISR, the producer has an id', () => {
    const world = bootCluster(rf3);
    const leader = world.leaderOf();
    expect(leader).toBeGreaterThanOrEqual(0);
    expect(world.replicaState(leader)).toBe('leader');
    expect(world.replica(leader).volatile.isr).toEqual([0, 1, 2]);
    for (const id of [0, 1, 2].filter((x) => x !== leader)) expect(world.replicaState(id)).toEqual({ follower: 'fetching' });
  });

  it('is acknowledged only after the high watermark passes the record', () => {
    const world = bootCluster(rf3);
    const leader = world.leaderOf();
    const acks = watchAcks(world);
    world.send(0, 'v0');
    world.advance(2000);
    expect(world.history.map((h) => h.type)).toEqual(['invoke', 'ok']);
    expect(world.history[1]?.value).toEqual([['send', 't-0', [0, 'v0']]]);
    expect(acks).toEqual([{ offset: 0, highWatermark: 1 }]); // answered once, HW past offset 0
  });

  it('with the followers cut off, acks=all is not acknowledged', () => {
    const world = bootCluster(rf3);
    const leader = world.leaderOf();
    const followers = [0, 1, 2].filter((x) => x !== leader);
    const cutOff = (e: { to: string; message: { from: string } }) =>
      followers.some((f) => e.to === brokerNode(f) || e.message.from === brokerNode(f)) && e.to !== 'controller' && e.message.from !== 'controller';
    const acks = watchAcks(world);
    world.send(0, 'v0');
    world.advance(5000, cutOff);
    expect(acks).toEqual([]);
    expect(world.replica(leader).persisted.log).toHaveLength(1);
    expect(world.replica(leader).volatile.highWatermark).toBe(0);
    expect(world.history.map((h) => h.type)).toEqual(['invoke']);
  });

  it('sometimes: with acks=1 the same cut-off cluster acknowledges a record the HW has not passed', () => {
    const config = { ...rf3, acks: 1 as const, 'enable.idempotence': false };
    const world = bootCluster(config);
    const leader = world.leaderOf();
    const followers = [0, 1, 2].filter((x) => x !== leader);
    const cutOff = (e: { to: string; message: { from: string } }) =>
      followers.some((f) => e.to === brokerNode(f) || e.message.from === brokerNode(f)) && e.to !== 'controller' && e.message.from !== 'controller';
    const acks = watchAcks(world);
    world.send(0, 'v0');
    world.deliverAll(cutOff);
    expect(world.history.map((h) => h.type)).toEqual(['invoke', 'ok']);
    expect(acks).toEqual([{ offset: 0, highWatermark: 0 }]);
    expect(world.replica(leader).volatile.highWatermark).toBe(0); // acked, yet not committed
  });
});

/**
 * KIP-101 (KAFKA-1211), the shape of hachikuji's KafkaTruncateToHighWatermark trace with
 * three replicas (preference order 0, 2, 1): L=0 leads, F=1 and G=2 follow.
 * 1. m0 and m1 are produced with acks=all; both followers fetch m1, the leader's HW passes
 *    it and the producer is acked, but the FetchResponses carrying the new HW are lost,
 *    so F's and G's high watermarks still say 1.
 * 2. L crashes; the controller elects G (next in the ISR); F becomes G's follower.
 * 3. G crashes before answering anything F sends; the controller elects F.
 * Without the variant F asked G for its epoch's end offset and kept m1; with
 * `truncate-to-high-watermark` F truncated to its HW on becoming follower, and the
 * acknowledged m1 is gone from the only live replica, now leader.
 */
function kip101(config: ClusterConfig): { world: World; acked: string[]; followerAtCrash: unknown } {
  const world = new World(config, [0, 1, 2], [{ topic: 't', partition: 0, replicas: [0, 2, 1] }]);
  world.advance(1);
  expect(world.leaderOf()).toBe(0);
  world.send(0, 'm0');
  world.deliverAll();
  world.advance(1000); // both followers fetch m0 and learn HW = 1
  world.send(1, 'm1');
  // Run until the producer is acked for m1, losing every FetchResponse that would carry
  // the leader's new high watermark to a follower.
  const acked1 = () => world.history.some((h) => h.type === 'ok' && h.process === 1);
  const hwCarrier = (e: Envelope) => e.message.type === 'FetchResponse' && world.replica(0).volatile.highWatermark === 2;
  expect(world.runUntil(acked1, hwCarrier)).toBe(true);
  world.drop(fromBroker(0));
  expect(world.replica(0).volatile.highWatermark).toBe(2);
  expect(world.replica(1).volatile.highWatermark).toBe(1);
  expect(values(world.replica(1))).toEqual(['m0', 'm1']);
  world.crash(0);
  // Wait for the controller to fence L and elect G; F becomes G's follower.
  expect(world.runUntil(() => world.leaderOf() === 2)).toBe(true);
  world.deliverAll((e) => toBroker(2)(e) && e.message.type !== 'LeaderAndIsr');
  const followerAtCrash = world.replicaState(1);
  world.crash(2);
  expect(world.runUntil(() => world.leaderOf() === 1)).toBe(true);
  world.advance(1000);
  const acked = world.history.filter((h) => h.type === 'ok').map((h) => String((h.value[0] as readonly unknown[])[2]));
  return { world, acked, followerAtCrash };
}

describe('scenario: KIP-101 high-watermark truncation', () => {
  it('today (epoch-based truncation): the acknowledged record survives on the new leader', () => {
    const { world, acked, followerAtCrash } = kip101(rf3WithMinIsr1());
    expect(followerAtCrash).toEqual({ follower: 'truncating' }); // asked G, never answered
    expect(acked).toEqual(['0,m0', '1,m1']);
    expect(world.replicaState(1)).toBe('leader');
    expect(values(world.replica(1))).toEqual(['m0', 'm1']);
  });

  it('variant truncate-to-high-watermark: the acknowledged record is lost', () => {
    const { world, acked, followerAtCrash } = kip101({ ...rf3WithMinIsr1(), variant: 'truncate-to-high-watermark' });
    expect(followerAtCrash).toEqual({ follower: 'fetching' }); // truncated to HW 1 at once
    expect(acked).toEqual(['0,m0', '1,m1']);
    expect(world.replicaState(1)).toBe('leader');
    expect(values(world.replica(1))).toEqual(['m0']);
  });
});

function rf3WithMinIsr1(): ClusterConfig {
  return { ...DEFAULT_CONFIG, 'replication.factor': 3, 'min.insync.replicas': 1 };
}


/**
 * KAFKA-7128 (the KIP-320 ISR-join rule; Vanlightly's LESO guard), four replicas:
 * 1. Broker 2 is cut off from the leader 0 until it leaves the ISR: ISR {0, 1, 3}.
 * 2. m0 is committed (acks=all) by {0, 1, 3}, but the FetchResponses carrying the new HW
 *    are lost: 1 and 3 still have HW 0.
 * 3. 0 crashes; 1 leads epoch 1 with ISR {1, 3}. 3's traffic with 1 is held, so 1 does not
 *    know 3's position and its HW stays at its own stale 0.
 * 4. 2 (empty log) fetches at offset 0 = that HW, and never receives data. With
 *    `no-isr-join-epoch-check` it joins the ISR although it lacks m0 (epoch 1 starts at 1).
 * 5. 1 crashes. The controller elects the first ISR member in replica order: 2 with the
 *    variant (the acknowledged m0 is lost), 3 today (m0 survives).
 */
function kafka7128(config: ClusterConfig): { world: World; acked: string[]; isr: number[] } {
  const replicas = [0, 1, 2, 3];
  const world = new World(config, replicas, [{ topic: 't', partition: 0, replicas }]);
  world.advance(1);
  expect(world.leaderOf()).toBe(0);
  const between = (a: number, b: number) => (e: Envelope) =>
    (toBroker(a)(e) && fromBroker(b)(e)) || (toBroker(b)(e) && fromBroker(a)(e));
  world.advance(46_000, between(0, 2)); // 2 stops fetching: the leader shrinks the ISR
  expect(world.controller().partitions[0].isr).toEqual([0, 1, 3]);
  world.send(0, 'm0');
  const acked0 = () => world.history.some((h) => h.type === 'ok');
  const hwCarrier = (e: Envelope) => e.message.type === 'FetchResponse' && fromBroker(0)(e) && world.replica(0).volatile.highWatermark === 1;
  expect(world.runUntil(acked0, (e) => between(0, 2)(e) || hwCarrier(e))).toBe(true);
  world.drop(fromBroker(0));
  expect([world.replica(1).volatile.highWatermark, world.replica(3).volatile.highWatermark]).toEqual([0, 0]);
  world.crash(0);
  const held = (e: Envelope) => between(1, 3)(e) || (e.message.type === 'FetchResponse' && toBroker(2)(e));
  expect(world.runUntil(() => world.leaderOf() === 1, held)).toBe(true);
  world.advance(3000, held);
  const isr = [...world.controller().partitions[0].isr];
  world.crash(1);
  expect(world.runUntil(() => world.leaderOf() !== 1 && world.leaderOf() >= 0)).toBe(true);
  world.advance(3000);
  const acked = world.history.filter((h) => h.type === 'ok').map((h) => String((h.value[0] as readonly unknown[])[2]));
  return { world, acked, isr };
}

describe('scenario: KAFKA-7128 ISR join before the leader epoch start', () => {
  it('today: the empty follower cannot join; after the leader crash m0 survives on the new leader', () => {
    const { world, acked, isr } = kafka7128({ ...rf3WithMinIsr1(), 'replication.factor': 4 });
    expect(acked).toEqual(['0,m0']);
    expect(isr).toEqual([1, 3]);
    expect(world.leaderOf()).toBe(3);
    expect(values(world.replica(3))).toEqual(['m0']);
  });

  it('variant no-isr-join-epoch-check: the empty follower joins, is elected, and m0 is lost', () => {
    const { world, acked, isr } = kafka7128({ ...rf3WithMinIsr1(), 'replication.factor': 4, variant: 'no-isr-join-epoch-check' });
    expect(acked).toEqual(['0,m0']);
    expect(isr).toEqual([1, 2, 3]);
    expect(world.leaderOf()).toBe(2);
    expect(values(world.replica(2))).toEqual([]);
    expect(values(world.replica(3))).toEqual([]); // 3 followed the new leader and truncated m0
  });
});

/**
 * KIP-320 (KAFKA-6880 / KAFKA-7395: unfenced zombie replicas). Three replicas L=0, M=1, F=2;
 * F stops hearing from the controller (it never learns a new leader epoch) but keeps
 * heartbeating, so it stays registered and unfenced.
 * 1. a0 is committed in epoch 0. y1 is written by L and copied by F only (M is cut off).
 * 2. L is fenced (its heartbeats are cut): M leads epoch 1; L follows M and truncates y1;
 *    M drops F from its ISR; x is written and acknowledged at offset 1 in epoch 1.
 * 3. M is fenced: L leads epoch 2. F, still in epoch 0 and still fetching from L, fetches
 *    at offset 2 with its divergent y1 at offset 1.
 * Without fencing (and without epochs in Fetch, as before KIP-320) L takes F's offset at
 * face value: F joins the ISR, L crashes, F is elected and the acknowledged x is gone.
 * Today L answers FENCED_LEADER_EPOCH: F never joins, and x survives.
 */
function kip320(config: ClusterConfig): { world: World; acked: string[]; isr: number[] } {
  const world = new World(config, [0, 1, 2], [{ topic: 't', partition: 0, replicas: [0, 1, 2] }]);
  world.advance(1);
  expect(world.leaderOf()).toBe(0);
  world.send(0, 'a0');
  world.advance(2000);
  const deafF = (e: Envelope) => toBroker(2)(e) && e.message.from === 'controller';
  const between = (a: number, b: number) => (e: Envelope) =>
    (toBroker(a)(e) && fromBroker(b)(e)) || (toBroker(b)(e) && fromBroker(a)(e));
  const silent = (id: number) => (e: Envelope) => e.to === 'controller' && fromBroker(id)(e);
  world.send(1, 'y1');
  world.advance(1000, (e) => deafF(e) || between(0, 1)(e));
  expect([values(world.replica(1)), values(world.replica(2))]).toEqual([['a0'], ['a0', 'y1']]);
  // L fenced: M leads epoch 1; L follows M and truncates y1; M drops F from the ISR.
  expect(world.runUntil(() => world.leaderOf() === 1, (e) => deafF(e) || silent(0)(e) || between(0, 1)(e))).toBe(true);
  world.advance(50_000, deafF);
  expect(world.controller().partitions[0].isr).toEqual([0, 1]);
  world.send(2, 'x');
  world.advance(2000, deafF);
  expect(values(world.replica(0))).toEqual(['a0', 'x']);
  // M fenced: L leads epoch 2; F (epoch 0) fetches from L.
  expect(world.runUntil(() => world.leaderOf() === 0, (e) => deafF(e) || silent(1)(e))).toBe(true);
  world.advance(3000, (e) => deafF(e) || silent(1)(e));
  const isr = [...world.controller().partitions[0].isr];
  world.crash(0);
  world.runUntil(() => world.leaderOf() !== 0, (e) => silent(1)(e));
  world.advance(3000, (e) => silent(1)(e));
  const acked = world.history.filter((h) => h.type === 'ok').map((h) => String((h.value[0] as readonly unknown[])[2]));
  return { world, acked, isr };
}

describe('scenario: KIP-320 leader-epoch fencing of a zombie follower', () => {
  // No retries and no idempotence: y1 is not written again by the producer, x needs no sequence.
  const config = (): ClusterConfig => ({ ...rf3WithMinIsr1(), retries: 0, 'enable.idempotence': false });

  it('today: the zombie follower is fenced, never joins the ISR, and x survives', () => {
    const { world, acked, isr } = kip320(config());
    expect(acked).toEqual(['0,a0', '1,x']);
    expect(isr).toEqual([0]);
    expect(world.leaderOf()).toBe(-1); // L crashed, only eligible (ELR); F is not
    expect(values(world.replica(2))).toEqual(['a0', 'y1']);
  });

  it('variant no-leader-epoch-fencing: the zombie joins the ISR, is elected, and x is lost', () => {
    const { world, acked, isr } = kip320({ ...config(), variant: 'no-leader-epoch-fencing' });
    expect(acked).toEqual(['0,a0', '1,x']);
    expect(isr).toEqual([0, 2]);
    expect(world.leaderOf()).toBe(2);
    expect(values(world.replica(2))).toEqual(['a0', 'y1']);
  });
});

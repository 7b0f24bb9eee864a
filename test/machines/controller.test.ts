/**
 * Handler-level tests of the controller: registration and fencing, election from the ISR,
 * the ELR and unclean election (each with the setting on and off), AlterPartition checks,
 * producer ids.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ProtocolMessage } from '../../src/protocol/messages.ts';
import { type ControllerEvent, type PartitionState, controllerMachine } from '../../src/machines/controller.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { start, step } from '../../src/machines/step.ts';

type Snap = ReturnType<typeof start<typeof controllerMachine>>['snapshot'];

const base: ClusterConfig = { ...DEFAULT_CONFIG, 'replication.factor': 3, 'min.insync.replicas': 2 };

let lastEffects: Effect[] = [];
function on(s: Snap, e: ControllerEvent): Snap {
  const r = step(controllerMachine, s, e);
  lastEffects = r.effects;
  return r.snapshot;
}

function messages<T extends ProtocolMessage['type']>(type: T): Extract<ProtocolMessage, { type: T }>[] {
  return lastEffects.flatMap((e) => (e.type === 'send' && e.message.type === type ? [e.message as Extract<ProtocolMessage, { type: T }>] : []));
}

const register = (brokerId: number, incarnationId: number, nowMs = 0, previousBrokerEpoch = -1): ControllerEvent => ({
  type: 'BrokerRegistration',
  from: `broker-${brokerId}`,
  correlationId: 1,
  brokerId,
  incarnationId,
  previousBrokerEpoch,
  nowMs,
});

const heartbeat = (brokerId: number, brokerEpoch: number, nowMs: number): ControllerEvent => ({
  type: 'BrokerHeartbeat',
  from: `broker-${brokerId}`,
  correlationId: 2,
  brokerId,
  brokerEpoch,
  nowMs,
});

function partition(s: Snap): PartitionState {
  const p = s.context.partitions[0];
  if (p === undefined) throw new Error('no partition');
  return p;
}

function cluster(config: ClusterConfig = base, replicas = [0, 1, 2]): Snap {
  const started = start(controllerMachine, { config, partitions: [{ topic: 't', partition: 0, replicas }] });
  expect(started.effects).toEqual([{ type: 'setTimer', id: 'session-check', delayMs: 2000, event: { type: 'SessionCheckTimer' } }]);
  let s = started.snapshot;
  for (const id of replicas) s = on(s, register(id, 10 + id));
  return s;
}

/** Brokers in `alive` heartbeat at `nowMs`; then the session check runs. */
function expire(s: Snap, alive: number[], nowMs: number): Snap {
  let next = s;
  for (const id of alive) {
    const b = next.context.brokers.find((x) => x.brokerId === id);
    next = on(next, heartbeat(id, b?.brokerEpoch ?? -1, nowMs));
  }
  return on(next, { type: 'SessionCheckTimer', nowMs });
}

describe('controller: registration and fencing', () => {
  it('gives each registration a new broker epoch; a retried registration gets the same one', () => {
    let s = cluster();
    expect(s.context.brokers.map((b) => b.brokerEpoch)).toEqual([1, 2, 3]);
    s = on(s, register(1, 11));
    expect(messages('BrokerRegistrationResponse')[0]).toMatchObject({ errorCode: 'NONE', brokerEpoch: 2 });
  });

  it('elects the first ISR replica and tells every replica (LeaderAndIsr)', () => {
    const s = cluster();
    expect(partition(s)).toMatchObject({ leader: 0, leaderEpoch: 0, isr: [0, 1, 2] });
    const pushed = messages('LeaderAndIsr'); // broker 2 registered last: it catches up
    expect(pushed).toMatchObject([{ leader: 0, leaderEpoch: 0, incarnationId: 12 }]);
  });

  it('a new incarnation cannot register while the old session is valid; after expiry the old one is fenced', () => {
    let s = cluster();
    s = on(s, register(0, 99, 1000));
    expect(messages('BrokerRegistrationResponse')[0]?.errorCode).toBe('DUPLICATE_BROKER_REGISTRATION');
    s = on(s, register(0, 99, 10000));
    expect(messages('BrokerRegistrationResponse')[0]?.errorCode).toBe('NONE');
    // The old incarnation was fenced first: leadership moved to 1, and 0 left the ISR.
    expect(partition(s)).toMatchObject({ leader: 1, leaderEpoch: 1, isr: [1, 2] });
    expect(s.context.brokers.find((b) => b.brokerId === 0)).toMatchObject({ incarnationId: 99, fenced: false, brokerEpoch: 4 });
  });

  it('a broker silent for broker.session.timeout.ms is fenced: out of the ISR, leadership moves', () => {
    let s = cluster();
    s = expire(s, [1, 2], 9001);
    expect(s.context.brokers.find((b) => b.brokerId === 0)?.fenced).toBe(true);
    expect(partition(s)).toMatchObject({ leader: 1, leaderEpoch: 1, isr: [1, 2] });
    expect(messages('LeaderAndIsr').map((m) => m.leader)).toEqual([1, 1, 1]);
  });

  it('a heartbeat with a stale broker epoch is STALE_BROKER_EPOCH; a good one pushes the partition state', () => {
    const s = cluster();
    on(s, heartbeat(1, 1, 100));
    expect(messages('BrokerHeartbeatResponse')[0]).toMatchObject({ errorCode: 'STALE_BROKER_EPOCH', isFenced: true });
    on(s, heartbeat(1, 2, 100));
    expect(messages('BrokerHeartbeatResponse')[0]?.errorCode).toBe('NONE');
    expect(messages('LeaderAndIsr')).toHaveLength(1);
  });
});

describe('controller: election without the ISR (ELR, unclean)', () => {
  it('ELR on: replicas leaving an ISR below min ISR become eligible; the last one leads on return after a clean shutdown', () => {
    let s = cluster(base);
    s = expire(s, [0, 2], 9001); // 1 fenced: ISR {0,2}, still ≥ 2
    expect(partition(s)).toMatchObject({ isr: [0, 2], elr: [] });
    s = expire(s, [0], 18002); // 2 fenced: ISR {0} < 2: 2 becomes eligible
    expect(partition(s)).toMatchObject({ leader: 0, isr: [0], elr: [2] });
    s = expire(s, [], 27003); // 0 fenced: ISR empty, 0 eligible too, no leader
    expect(partition(s)).toMatchObject({ leader: -1, isr: [], elr: [0, 2] });
    s = on(s, register(0, 50, 27004, 1)); // clean shutdown: previous epoch given
    expect(partition(s)).toMatchObject({ leader: 0, isr: [0], elr: [2] });
  });

  it('ELR on: a replica that returns after an unclean shutdown is no longer eligible (KIP-966)', () => {
    let s = cluster(base);
    s = expire(s, [0, 2], 9001);
    s = expire(s, [0], 18002);
    s = expire(s, [], 27003);
    s = on(s, register(0, 50, 27004, -1));
    expect(partition(s)).toMatchObject({ leader: -1, elr: [2] });
  });

  it('sometimes: ELR off keeps the last ISR member and re-elects it even after an unclean shutdown', () => {
    const config = { ...base, 'eligible.leader.replicas.enable': false };
    let s = cluster(config);
    s = expire(s, [0, 2], 9001);
    s = expire(s, [0], 18002);
    s = expire(s, [], 27003);
    expect(partition(s)).toMatchObject({ leader: -1, isr: [0], elr: [] });
    s = on(s, register(0, 50, 27004, -1));
    expect(partition(s)).toMatchObject({ leader: 0, isr: [0] });
  });

  it('unclean election off: an out-of-ISR replica never leads; on: it does (data loss allowed)', () => {
    const config = { ...base, 'eligible.leader.replicas.enable': false };
    let s = cluster(config);
    s = expire(s, [0, 2], 9001);
    s = expire(s, [0], 18002);
    s = expire(s, [], 27003); // ISR = [0], no leader
    s = on(s, register(1, 60, 27004, 2));
    expect(partition(s).leader).toBe(-1);
    let u = cluster({ ...config, 'unclean.leader.election.enable': true });
    u = expire(u, [0, 2], 9001);
    u = expire(u, [0], 18002);
    u = expire(u, [], 27003);
    u = on(u, register(1, 60, 27004, 2));
    expect(partition(u)).toMatchObject({ leader: 1, isr: [1] });
  });
});

describe('controller: AlterPartition', () => {
  const alter = (fields: Partial<Extract<ControllerEvent, { type: 'AlterPartition' }>>): ControllerEvent => ({
    type: 'AlterPartition',
    from: 'broker-0',
    correlationId: 5,
    topic: 't',
    partition: 0,
    brokerId: 0,
    leaderEpoch: 0,
    newIsr: [0, 1],
    partitionEpoch: 1,
    nowMs: 0,
    ...fields,
  });

  it('applies an ISR change from the current leader, bumps the partition epoch, publishes it', () => {
    const s = on(cluster(), alter({}));
    expect(messages('AlterPartitionResponse')[0]).toMatchObject({ errorCode: 'NONE', isr: [0, 1], partitionEpoch: 2 });
    expect(partition(s)).toMatchObject({ isr: [0, 1], partitionEpoch: 2, elr: [] });
    expect(messages('LeaderAndIsr')).toHaveLength(3);
  });

  it('rejects a stale leader epoch, a stale partition epoch, a fenced joiner, a missing leader', () => {
    const s = cluster();
    on(s, alter({ leaderEpoch: -1 }));
    expect(messages('AlterPartitionResponse')[0]?.errorCode).toBe('FENCED_LEADER_EPOCH');
    on(s, alter({ brokerId: 1, from: 'broker-1' }));
    expect(messages('AlterPartitionResponse')[0]?.errorCode).toBe('FENCED_LEADER_EPOCH');
    on(s, alter({ partitionEpoch: 0 }));
    expect(messages('AlterPartitionResponse')[0]?.errorCode).toBe('INVALID_UPDATE_VERSION');
    on(s, alter({ newIsr: [1, 2] }));
    expect(messages('AlterPartitionResponse')[0]?.errorCode).toBe('INVALID_REQUEST');
    const shrunk = on(s, alter({ newIsr: [0] }));
    const fenced = expire(shrunk, [0, 2], 9001); // broker 1 fenced
    on(fenced, alter({ newIsr: [0, 1], partitionEpoch: partition(fenced).partitionEpoch }));
    expect(messages('AlterPartitionResponse')[0]?.errorCode).toBe('INELIGIBLE_REPLICA');
  });
});

describe('controller: InitProducerId', () => {
  it('gives each idempotent producer a new id with epoch 0; transactional ids are not its job', () => {
    let s = cluster();
    const init = (transactionalId: string | null): ControllerEvent => ({
      type: 'InitProducerId',
      from: 'producer-0',
      correlationId: 1,
      transactionalId,
      transactionTimeoutMs: 60000,
      producerId: -1,
      producerEpoch: -1,
      nowMs: 0,
    });
    s = on(s, init(null));
    const first = messages('InitProducerIdResponse')[0];
    s = on(s, init(null));
    const second = messages('InitProducerIdResponse')[0];
    expect(first).toMatchObject({ errorCode: 'NONE', producerEpoch: 0 });
    expect(second?.producerId).toBe((first?.producerId ?? 0) + 1);
    on(s, init('tx'));
    expect(messages('InitProducerIdResponse')[0]?.errorCode).toBe('NOT_COORDINATOR');
  });
});

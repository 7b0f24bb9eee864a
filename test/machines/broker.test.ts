import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/protocol/config.ts';
import { brokerMachine } from '../../src/machines/broker.ts';
import { start, step } from '../../src/machines/step.ts';

const input = { config: DEFAULT_CONFIG, brokerId: 2, incarnationId: 5, previousBrokerEpoch: -1 };

describe('broker lifecycle', () => {
  it('registers with its incarnation and KIP-966 previous epoch, retrying on the timer until accepted', () => {
    const started = start(brokerMachine, input);
    expect(started.effects[0]).toMatchObject({ type: 'send', to: 'controller', message: { type: 'BrokerRegistration', brokerId: 2, incarnationId: 5, previousBrokerEpoch: -1, correlationId: 1 } });
    const refused = step(brokerMachine, started.snapshot, { type: 'BrokerRegistrationResponse', from: 'controller', correlationId: 1, errorCode: 'DUPLICATE_BROKER_REGISTRATION', brokerEpoch: -1, nowMs: 0 });
    expect(refused.snapshot.value).toBe('registering');
    const retried = step(brokerMachine, refused.snapshot, { type: 'LifecycleTimer', nowMs: 2000 });
    expect(retried.effects[0]).toMatchObject({ message: { type: 'BrokerRegistration', correlationId: 2 } });
    const stale = step(brokerMachine, retried.snapshot, { type: 'BrokerRegistrationResponse', from: 'controller', correlationId: 1, errorCode: 'NONE', brokerEpoch: 7, nowMs: 0 });
    expect(stale.snapshot.value).toBe('registering');
    const accepted = step(brokerMachine, retried.snapshot, { type: 'BrokerRegistrationResponse', from: 'controller', correlationId: 2, errorCode: 'NONE', brokerEpoch: 7, nowMs: 0 });
    expect(accepted.snapshot.value).toBe('running');
    expect(accepted.snapshot.context.brokerEpoch).toBe(7);
  });

  it('heartbeats with its broker epoch, and registers again on STALE_BROKER_EPOCH', () => {
    let s = start(brokerMachine, input).snapshot;
    s = step(brokerMachine, s, { type: 'BrokerRegistrationResponse', from: 'controller', correlationId: 1, errorCode: 'NONE', brokerEpoch: 7, nowMs: 0 }).snapshot;
    const beat = step(brokerMachine, s, { type: 'LifecycleTimer', nowMs: 2000 });
    expect(beat.effects[0]).toMatchObject({ message: { type: 'BrokerHeartbeat', brokerEpoch: 7 } });
    const stale = step(brokerMachine, beat.snapshot, { type: 'BrokerHeartbeatResponse', from: 'controller', correlationId: 2, errorCode: 'STALE_BROKER_EPOCH', isFenced: true, nowMs: 2001 });
    expect(stale.snapshot.value).toBe('registering');
    expect(stale.effects[0]).toMatchObject({ message: { type: 'BrokerRegistration' } });
  });
});

/**
 * # The broker lifecycle: registration and heartbeats
 *
 * The KRaft broker's `BrokerLifecycleManager`, reduced to what the controller's liveness
 * and fencing rules need: on start the broker registers (BrokerRegistration with a fresh
 * `incarnationId` and, for KIP-966, `previousBrokerEpoch` = the epoch it had before a
 * clean shutdown, or -1 after a crash), retries until the controller accepts, then sends
 * BrokerHeartbeat every `broker.heartbeat.interval.ms`. A STALE_BROKER_EPOCH answer makes
 * it register again. One broker machine runs per broker process, next to one replica
 * machine per partition it hosts; they share the `incarnationId`.
 *
 * Every event carries `nowMs`. Timer: `LifecycleTimer` (register or heartbeat, by state).
 */
import { setup } from 'xstate';
import type { ClusterConfig } from '../protocol/config.ts';
import {
  type BrokerHeartbeatResponse,
  type BrokerId,
  type BrokerRegistrationResponse,
  type Delivered,
  CONTROLLER,
  brokerNode,
} from '../protocol/messages.ts';
import type { Effect } from './effects.ts';
import { type Outcome, acted, ignore, perform, send, setTimer } from './machine-kit.ts';

export interface BrokerContext {
  readonly config: ClusterConfig;
  readonly brokerId: BrokerId;
  readonly incarnationId: number;
  readonly previousBrokerEpoch: number;
  /** -1 until registered. */
  readonly brokerEpoch: number;
  readonly correlationId: number;
}

export interface BrokerInput {
  readonly config: ClusterConfig;
  readonly brokerId: BrokerId;
  readonly incarnationId: number;
  /** The epoch before a clean shutdown; -1 after a crash or on first start (KIP-966). */
  readonly previousBrokerEpoch: number;
}

export type LifecycleTimer = { readonly type: 'LifecycleTimer'; readonly nowMs: number };

export type BrokerEvent = Delivered<BrokerRegistrationResponse> | Delivered<BrokerHeartbeatResponse> | LifecycleTimer;

type Ctx = BrokerContext;
type Ev<T extends BrokerEvent['type']> = Extract<BrokerEvent, { type: T }>;

export const LIFECYCLE_TIMER = 'lifecycle';

function timer(c: Ctx): Effect {
  return setTimer(LIFECYCLE_TIMER, c.config['broker.heartbeat.interval.ms'], { type: 'LifecycleTimer' });
}

export function register(c: Ctx): Outcome<Ctx> {
  const correlationId = c.correlationId + 1;
  const next = { ...c, correlationId, brokerEpoch: -1 };
  const message = {
    type: 'BrokerRegistration' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    brokerId: c.brokerId,
    incarnationId: c.incarnationId,
    previousBrokerEpoch: c.previousBrokerEpoch,
  };
  return acted(next, [send(CONTROLLER, message), timer(c)]);
}

export function heartbeat(c: Ctx): Outcome<Ctx> {
  const correlationId = c.correlationId + 1;
  const message = {
    type: 'BrokerHeartbeat' as const,
    from: brokerNode(c.brokerId),
    correlationId,
    brokerId: c.brokerId,
    brokerEpoch: c.brokerEpoch,
  };
  return acted({ ...c, correlationId }, [send(CONTROLLER, message), timer(c)]);
}

export function isRegistered(c: Ctx, e: Ev<'BrokerRegistrationResponse'>): boolean {
  return e.correlationId === c.correlationId && e.errorCode === 'NONE';
}

export function onRegistrationResponse(c: Ctx, e: Ev<'BrokerRegistrationResponse'>): Outcome<Ctx> {
  if (!isRegistered(c, e)) return ignore(c, e.correlationId === c.correlationId ? e.errorCode : 'not the outstanding request');
  return acted({ ...c, brokerEpoch: e.brokerEpoch }, [timer(c)]);
}

export function isStaleEpoch(_c: Ctx, e: Ev<'BrokerHeartbeatResponse'>): boolean {
  return e.errorCode === 'STALE_BROKER_EPOCH';
}

export const brokerMachine = setup({
  types: {} as { context: BrokerContext; input: BrokerInput; events: BrokerEvent; emitted: Effect },
  guards: {
    registered: ({ context, event }) => event.type === 'BrokerRegistrationResponse' && isRegistered(context, event),
    staleEpoch: ({ context, event }) => event.type === 'BrokerHeartbeatResponse' && isStaleEpoch(context, event),
  },
  actions: {
    register: perform((c: Ctx) => register(c)),
    heartbeat: perform((c: Ctx) => heartbeat(c)),
    onRegistrationResponse: perform(onRegistrationResponse),
  },
}).createMachine({
  id: 'broker',
  context: ({ input }) => ({ ...input, brokerEpoch: -1, correlationId: 0 }),
  initial: 'registering',
  entry: 'register',
  states: {
    /** Waiting for the controller to accept this incarnation (retried on the timer). */
    registering: {
      on: {
        BrokerRegistrationResponse: [{ guard: 'registered', target: 'running', actions: 'onRegistrationResponse' }],
        LifecycleTimer: { actions: 'register' },
      },
    },
    /** Registered: heartbeating with the broker epoch. */
    running: {
      on: {
        LifecycleTimer: { actions: 'heartbeat' },
        BrokerHeartbeatResponse: [{ guard: 'staleEpoch', target: 'registering', actions: 'register' }],
      },
    },
  },
});

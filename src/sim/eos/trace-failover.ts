/**
 * The transactions explorer's `failover` (model/explore/txn/actions.ts) in the exactly-once
 * simulator: broker-0's coordinator process crashes and a new one starts in the next
 * coordinator epoch on the same node, reloading `__transaction_state`. In the simulator a
 * coordinator moves with the leadership of its `__transaction_state` partition, so the step
 * is broker-0's whole path through the controller, taken at once (the explorer's failover
 * is one step):
 *
 * 1. broker-0 crashes (a process crash: the page cache, so the `__transaction_state` log,
 *    survives). The simulator loses what broker-0 had sent (kept as lost messages where the
 *    explorer still has them, trace-network.ts) and what was on its way to it, as the
 *    explorer does, including a leader's verification to `txn-coordinator-of:<id>`, whose
 *    connection goes to broker-0;
 * 2. the controller fences its session: the clock moves past broker.session.timeout.ms, the
 *    other brokers heartbeat, the SessionCheckTimer fires;
 * 3. broker-0 restarts through Kafka's recovery, registers and heartbeats, is unfenced and
 *    elected again for the partitions only it replicates; its replica of
 *    `__transaction_state-0` leading in a new epoch makes its coordinator elected with that
 *    epoch and the recovered log (the EOS world's host contract).
 *
 * Every controller and lifecycle message on that path is delivered at once. The controller
 * counts the leaderless interval as an epoch too, so the new coordinator epoch is 2 where
 * the explorer's is 1; epochs are only compared, and messages are named with the
 * explorer's (trace-network.ts `coordinatorElected`).
 */
import type { TxnCoordinatorContext } from '../../machines/txn-coordinator.ts';
import { SESSION_CHECK_TIMER } from '../../machines/controller.ts';
import { CONTROLLER } from '../../protocol/messages.ts';
import { COORDINATOR_NODE } from '../../../model/explore/txn/world.ts';
import { brokerName } from '../roles.ts';
import type { TxnTraceDriver } from './trace-driver.ts';
import { LIFECYCLE, TXN_COORDINATOR } from './world.ts';

/** Controller and lifecycle deliveries one failover may take (three brokers settle in a few dozen). */
const PATH_DELIVERIES = 200;

export function failOver(d: TxnTraceDriver): void {
  const { world } = d;
  if (!world.isUp(0)) d.refuse('broker-0 is down');
  const epoch = coordinatorEpoch(d);
  d.net.failingOver(d.world.stepIndex);
  for (const e of world.network.pending().filter((x) => x.to.startsWith('txn-coordinator-of:'))) {
    world.network.drop(e.id);
    world.note(`lost ${d.net.text(e)}: its connection goes to broker-0`);
  }
  world.crash(0);
  world.clock.advanceTo(world.now() + world.options.config['broker.session.timeout.ms'] + 1);
  for (const b of world.brokerIds().filter((x) => x !== 0)) heartbeat(d, b);
  const check = world.clock.pending().find((t) => t.payload.node === CONTROLLER && t.id.endsWith(`:${SESSION_CHECK_TIMER}`));
  if (check === undefined) d.refuse('the controller has no session check pending');
  world.fireTimerAt(check.id, world.now());
  settlePath(d);
  world.restart(0);
  settlePath(d);
  heartbeat(d, 0);
  const now = coordinatorEpoch(d);
  if (now === undefined || epoch === undefined || now <= epoch) d.refuse(`broker-0's coordinator is not elected again after its restart (coordinator epoch ${now ?? 'none'}, before ${epoch ?? 'none'})`);
  const explorer = d.net.coordinatorElected(now);
  world.note(`broker-0's coordinator elected again in coordinator epoch ${now}, the explorer's ${explorer} (messages are named with it)`);
}

function coordinatorEpoch(d: TxnTraceDriver): number | undefined {
  const c = d.world.hostedAt(COORDINATOR_NODE, TXN_COORDINATOR)?.context as TxnCoordinatorContext | undefined;
  return c === undefined || c.volatile.coordinatorEpoch < 0 ? undefined : c.volatile.coordinatorEpoch;
}

/** Broker b's lifecycle machine heartbeats now, and the controller's answers are delivered. */
function heartbeat(d: TxnTraceDriver, b: number): void {
  const node = brokerName(b);
  const timer = d.world.clock.pending().find((t) => t.payload.node === node && t.payload.slot === LIFECYCLE);
  if (timer === undefined) d.refuse(`broker-${b}'s lifecycle machine has no heartbeat pending`);
  d.world.fireTimerAt(timer.id, d.world.now());
  settlePath(d);
}

/** Deliver every controller and lifecycle message in send order (those to a broker that is down are lost). */
function settlePath(d: TxnTraceDriver): void {
  for (let i = 0; i < PATH_DELIVERIES; i++) {
    const e = d.world.network.pending().find((x) => x.from === CONTROLLER || x.to === CONTROLLER);
    if (e === undefined) return;
    if (d.isDownBroker(e.to)) d.world.network.drop(e.id);
    else d.world.deliverInFlight(e.id);
  }
  d.refuse(`the controller's messages do not settle within ${PATH_DELIVERIES} deliveries`);
}

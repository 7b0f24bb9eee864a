/**
 * The exactly-once world set up as the transactions explorer's configuration
 * (models/transactions.ts), for trace replay (trace-driver.ts):
 *
 * - placement (`replicaAssignment`): `__transaction_state-0` on broker-0 alone, so broker-0's
 *   transaction coordinator is every transactional id's (coordinator epoch = that replica's
 *   leader epoch); `output-p` on broker-(p+1) alone (replication factor 1, as the explorer's
 *   sole leaders: no follower, the HW is the log end); the input partitions and
 *   `__consumer_offsets-0`, which the explorer has none of, on broker-0;
 * - clients: `producer-a` and `producer-b`, two transactional producers with the one
 *   transactional.id `txn-app`, bootstrapping from broker-0 (no Pipeline: the trace is the
 *   application). The world's idempotent input producer is there and stays idle;
 * - the controller: without KIP-966 ELR (`buildTraceWorld`);
 * - boot: the cluster settles (every message delivered in send order, no timer fired), the
 *   two producers start, and `producer-a` initializes (InitTransactions, its requests
 *   delivered in order), which is the explorer's initial state; `bootDifferences` says where
 *   the simulator's differs.
 */
import { txnProducerMachine, type TxnProducerContext } from '../../machines/txn-producer.ts';
import type { ReplicaContext } from '../../machines/replica.ts';
import type { TxnCoordinatorContext } from '../../machines/txn-coordinator.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import type { Chooser } from '../../core/prng.ts';
import { type TransactionsBounds, initialTxnWorld } from '../../../model/explore/models/transactions.ts';
import { coordinatorContext, producerContext, replicaContext } from '../../../model/explore/txn/actions.ts';
import { COORDINATOR_NODE, TOPIC, TRANSACTIONAL_ID, partitionNode, partitionOfNode, incarnationOfNode, producerNode } from '../../../model/explore/txn/world.ts';
import { INPUTS, OFFSETS_LOG, OUTPUTS, TXN_LOG, tpName } from './topology.ts';
import { settle } from '../trace-boot.ts';
import { EosWorld, TXN_COORDINATOR } from './world.ts';

/** Every message takes the simulator's smallest latency (world.ts LATENCY_MIN_MS). */
const SHORTEST_LATENCY: Chooser = { below: () => 0 };


/** Timers the explorer drops as inert under its configuration (model/explore/txn/world.ts). */
export const INERT_TIMERS: ReadonlySet<string> = new Set(['isr-check', 'txn-timeout-check']);

export function txnReplicaAssignment(): Map<string, readonly number[]> {
  const placed = new Map<string, readonly number[]>([[tpName(TXN_LOG), [0]], [tpName(OFFSETS_LOG), [0]]]);
  for (const tp of INPUTS) placed.set(tpName(tp), [0]);
  OUTPUTS.forEach((tp, p) => placed.set(tpName(tp), [p + 1]));
  return placed;
}

/**
 * The EOS world for `config` (the explorer's), placed as above. The controller's KIP-966
 * ELR is off: the explorer has no controller, and with one replica a partition whose broker
 * restarts after a crash would stay leaderless under ELR (the registration drops it from
 * the ELR, KAFKA-15586; Kafka's "last known leader" fallback is not modelled), where
 * without ELR the controller keeps the last ISR member and elects it again, as the
 * explorer's `failover` restarts the coordinator (trace-failover.ts).
 */
export function buildTraceWorld(config: ClusterConfig): EosWorld {
  const hosted: ClusterConfig = { ...config, 'eligible.leader.replicas.enable': false };
  return new EosWorld({ config: hosted, trace: true, replicaAssignment: txnReplicaAssignment(), latency: SHORTEST_LATENCY });
}

/**
 * The slot of the machine the explorer hosts at `node`: broker-0's transaction coordinator,
 * the leader of `output-p` at broker-(p+1), a producer's `main`; undefined for any other node.
 */
export function explorerSlot(node: string, bounds: TransactionsBounds): string | undefined {
  if (node === COORDINATOR_NODE) return TXN_COORDINATOR;
  const p = partitionOfNode(node);
  if (p >= 0) return p < bounds.partitions ? `${TOPIC}-${p}` : undefined;
  const i = incarnationOfNode(node);
  return i >= 0 && i < bounds.incarnations ? 'main' : undefined;
}

/** Boot: the cluster settles, the incarnations start, incarnation a initializes (false: something never settled). */
export function bootTraceWorld(world: EosWorld, bounds: TransactionsBounds): boolean {
  if (!settle(world)) return false;
  const { config } = world.options;
  for (let i = 0; i < bounds.incarnations; i++) world.addClient(producerNode(i), 'main', txnProducerMachine, { config, clientId: producerNode(i), transactionalId: TRANSACTIONAL_ID, bootstrapBrokers: [0] });
  world.call(producerNode(0), { type: 'InitTransactions' });
  return settle(world);
}

/** How the booted simulator differs from the explorer's initial state (empty: it does not). */
export function bootDifferences(world: EosWorld, bounds: TransactionsBounds): string[] {
  const initial = initialTxnWorld(world.options.config, bounds);
  const out: string[] = [];
  const compare = (what: string, sim: string, explorer: string): void => {
    if (sim !== explorer) out.push(`${what}: ${sim}, the explorer's ${explorer}`);
  };
  const coordinator = world.hostedAt(COORDINATOR_NODE, TXN_COORDINATOR)?.context as TxnCoordinatorContext | undefined;
  compare('the coordinator', coordinator === undefined ? 'none' : coordinatorSummary(coordinator), coordinatorSummary(coordinatorContext(initial)));
  for (let p = 0; p < bounds.partitions; p++) {
    const replica = world.hostedAt(partitionNode(p), `${TOPIC}-${p}`)?.context as ReplicaContext | undefined;
    compare(`${TOPIC}-${p} at ${partitionNode(p)}`, replica === undefined ? 'none' : replicaSummary(replica), replicaSummary(replicaContext(initial, p)));
  }
  for (let i = 0; i < bounds.incarnations; i++) {
    const producer = world.clients.get(producerNode(i))?.context as TxnProducerContext | undefined;
    compare(producerNode(i), producer === undefined ? 'none' : producerSummary(producer), producerSummary(producerContext(initial, i)));
  }
  compare('timers', simTimers(world, bounds).join(', ') || 'none', initial.timers.map((t) => `${t.node} ${t.id}`).sort().join(', ') || 'none');
  if (world.network.pending().length > 0) out.push(`${world.network.pending().length} messages still in flight`);
  return out;
}

function coordinatorSummary(c: TxnCoordinatorContext): string {
  const txns = c.volatile.txns.map((t) => `${t.transactionalId} pid ${t.producerId} epoch ${t.producerEpoch} ${t.state}`);
  return `epoch ${c.volatile.coordinatorEpoch} [${txns.join('; ')}] ${c.volatile.markers.length} markers ${c.volatile.pendingWrites.length} writes`;
}

function replicaSummary(c: ReplicaContext): string {
  const v = c.volatile;
  return `leader ${v.leaderId} epoch ${v.leaderEpoch} ISR [${v.isr.join(',')}] HW ${v.highWatermark} log ${c.persisted.log.length} batches`;
}

function producerSummary(c: TxnProducerContext): string {
  return `${c.phase} pid ${c.producerId} epoch ${c.producerEpoch} next correlation id ${c.sender.nextCorrelationId}`;
}

/** The pending timers of the machines the explorer hosts, as it names them (`node id`), but the inert ones. */
function simTimers(world: EosWorld, bounds: TransactionsBounds): string[] {
  const out: string[] = [];
  for (const t of world.clock.pending()) {
    const { node, slot } = t.payload;
    const id = t.id.slice(`${node}/${slot}:`.length);
    if (explorerSlot(node, bounds) === slot && !INERT_TIMERS.has(id)) out.push(`${node} ${id}`);
  }
  return out.sort();
}


/** The explorer's machines at the end of a replay, one line each: the coordinator, each partition's leader, each incarnation. */
export function describeTxnCluster(world: EosWorld, bounds: TransactionsBounds): string[] {
  const coordinator = world.hostedAt(COORDINATOR_NODE, TXN_COORDINATOR)?.context as TxnCoordinatorContext | undefined;
  const lines = [`${COORDINATOR_NODE} coordinator: ${coordinator === undefined ? 'down' : coordinatorSummary(coordinator)}`];
  for (let p = 0; p < bounds.partitions; p++) {
    const replica = world.hostedAt(partitionNode(p), `${TOPIC}-${p}`)?.context as ReplicaContext | undefined;
    const log = replica?.persisted.log.map((b) => (b.isControl ? `${b.records[0]?.key ?? 'marker'}(${b.producerId}/e${b.producerEpoch})@${b.baseOffset}` : b.records.map((r, k) => `${r.value}@${b.baseOffset + k}`).join(' ')));
    lines.push(`${TOPIC}-${p} at ${partitionNode(p)}: ${log === undefined ? 'down' : `[${log.join(' ')}] HW ${replica?.volatile.highWatermark}`}`);
  }
  for (let i = 0; i < bounds.incarnations; i++) {
    const producer = world.clients.get(producerNode(i))?.context as TxnProducerContext | undefined;
    lines.push(`${producerNode(i)}: ${producer === undefined ? 'none' : producerSummary(producer)}`);
  }
  return lines;
}

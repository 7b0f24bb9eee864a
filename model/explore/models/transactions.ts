/**
 * `--model transactions`: one transaction coordinator, two data partitions (each one
 * leader hosting the partition side of transactions), and two incarnations of one
 * transactional producer (the same transactional.id: the second's InitProducerId fences the
 * first, which stays alive as a zombie), over the real machines of src/machines
 * (txn-coordinator, replica + txn-partition, txn-producer + producer). The configuration of
 * Vanlightly's TLA+ transactions diary (formal-specs-and-bugs.md §1.3), with the real
 * messages instead of a re-statement; see spec/explorer-transactions.md.
 *
 * Bounds (a successor beyond them is not generated): transactions per incarnation, records
 * per transaction, incarnations (1 or 2), partitions (1 or 2), the producer's `retries`,
 * and the fault budget. Protocol: `transaction.version` 1 or 2 and a variant
 * (`no-zombie-fencing`, `no-partition-verification`).
 */
import { assert } from '../../../src/core/assert.ts';
import { emptyPersisted, replicaMachine } from '../../../src/machines/replica.ts';
import { start } from '../../../src/machines/step.ts';
import { txnCoordinatorMachine } from '../../../src/machines/txn-coordinator.ts';
import { txnProducerMachine } from '../../../src/machines/txn-producer.ts';
import { DEFAULT_CONFIG, type ClusterConfig, type Variant } from '../../../src/protocol/config.ts';
import { clockJump } from '../actions.ts';
import type { ExploreModel, Violation } from '../bfs.ts';
import type { Snapshot } from '../world.ts';
import { type TxnAction, type TxnHost, type TxnLimits, applyTxnAction, describeTxnAction, enabledTxnActions, producerContext, replicaContext, startCoordinator } from '../txn/actions.ts';
import { TXN_INVARIANTS, firstTxnViolation, foldGhost } from '../txn/judge.ts';
import { txnWorldFingerprint, txnWorldKey } from '../txn/state-key.ts';
import { COORDINATOR_NODE, NO_TXN_FAULTS, TOPIC, TRANSACTIONAL_ID, type TxnBudget, TxnDraft, type TxnMachines, type TxnWorld, partitionNode, producerNode } from '../txn/world.ts';

export interface TransactionsBounds {
  /** Transactions each incarnation may begin. */
  readonly transactions: number;
  /** Records per transaction (each to a partition of the explorer's choice). */
  readonly records: number;
  /** 1: no zombie; 2: incarnation b may start (initTransactions) at any time and fence a. */
  readonly incarnations: number;
  readonly partitions: number;
  /** The producer's `retries` (0: a timed-out Produce fails its transaction, which must abort). */
  readonly retries: number;
  readonly budget: TxnBudget;
}

export interface TransactionsProtocol {
  readonly variant: Variant | null;
  readonly transactionVersion: 1 | 2;
}

export const TODAY: TransactionsProtocol = { variant: null, transactionVersion: 2 };

export const DEFAULT_TRANSACTIONS_BOUNDS: TransactionsBounds = {
  transactions: 1,
  records: 1,
  incarnations: 2,
  partitions: 2,
  retries: 0,
  budget: NO_TXN_FAULTS,
};

export const TRANSACTIONS_VARIANTS: readonly (Variant | null)[] = [null, 'no-zombie-fencing', 'no-partition-verification'];

const MACHINES: TxnMachines = { coordinator: txnCoordinatorMachine, replica: replicaMachine, producer: txnProducerMachine };

export function transactionsConfig(bounds: TransactionsBounds, protocol: TransactionsProtocol): ClusterConfig {
  return {
    ...DEFAULT_CONFIG,
    'replication.factor': 1,
    'min.insync.replicas': 1,
    retries: bounds.retries,
    'transaction.version': protocol.transactionVersion,
    variant: protocol.variant,
  };
}

/**
 * The initial state: the coordinator elected (epoch 0) over an empty `__transaction_state`,
 * each partition led, incarnation a initialized (its FindCoordinator and InitProducerId
 * delivered in order: a has producer id 1000000, epoch 0), incarnation b not yet started.
 * How a cluster boots is not what the explorer is for; TLA+ specs start from such an Init.
 */
export function initialTxnWorld(config: ClusterConfig, bounds: TransactionsBounds): TxnWorld {
  const coordinator = startCoordinator(config);
  const producers = Array.from({ length: bounds.incarnations }, (_, i) => start(txnProducerMachine, { config, clientId: producerNode(i), transactionalId: TRANSACTIONAL_ID, bootstrapBrokers: [0] }));
  const partitions = Array.from({ length: bounds.partitions }, (_, p) => start(replicaMachine, { config, brokerId: p + 1, incarnationId: 1, topic: TOPIC, partition: p, recovered: emptyPersisted() }));
  const bare: TxnWorld = {
    coordinator: coordinator.snapshot,
    coordinatorEpoch: 0,
    txnLog: [],
    partitions: partitions.map((s) => s.snapshot as unknown as Snapshot),
    producers: producers.map((s) => s.snapshot as unknown as Snapshot),
    clocks: producers.map(() => 0),
    network: [],
    timers: [],
    used: NO_TXN_FAULTS,
    ghost: { txns: [], fence: null, reads: partitions.map(() => []), maxLso: partitions.map(() => 0) },
    depth: -1,
    events: [],
  };
  const draft = new TxnDraft(bare, MACHINES);
  draft.perform(COORDINATOR_NODE, coordinator.effects);
  draft.deliver(COORDINATOR_NODE, { type: 'TxnCoordinatorElected', nowMs: 0, coordinatorEpoch: 0, log: [] });
  partitions.forEach((s, p) => {
    draft.perform(partitionNode(p), s.effects);
    const brokerId = p + 1;
    draft.deliver(partitionNode(p), { type: 'LeaderAndIsr', from: 'controller', correlationId: -1, topic: TOPIC, partition: p, incarnationId: 1, leader: brokerId, leaderEpoch: 0, isr: [brokerId], elr: [], partitionEpoch: 0, replicas: [brokerId], nowMs: 0 });
  });
  producers.forEach((s, i) => draft.perform(producerNode(i), s.effects));
  draft.deliver(producerNode(0), { type: 'InitTransactions', nowMs: 0 });
  for (let n = 0; n < 100 && draft.network.length > 0; n++) draft.deliverMessage(draft.network.shift() as NonNullable<(typeof draft.network)[number]>);
  assert(draft.network.length === 0 && producerContext(draft.freeze(), 0).phase === 'ready', 'incarnation a initializes at boot');
  return { ...draft.freeze(), depth: 0, events: [] };
}

/** Sometimes-events a step shows by comparing before and after. */
function derivedEvents(before: TxnWorld, after: TxnWorld): string[] {
  const events: string[] = [];
  const zombie = producerContext(after, 0);
  if (zombie.phase === 'fatalError' && producerContext(before, 0).phase !== 'fatalError' && after.ghost.fence !== null) events.push('zombie-fenced');
  after.ghost.txns.forEach((t, i) => {
    const was = before.ghost.txns[i]?.status;
    if (t.status === 'ok' && was !== 'ok') events.push('transaction-committed');
    if (t.status === 'fail' && was !== 'fail') events.push('transaction-aborted');
  });
  after.partitions.forEach((_, p) => {
    const log = replicaContext(after, p).persisted.log;
    const last = log.at(-1);
    if (last === undefined || last === replicaContext(before, p).persisted.log.at(-1) || !last.isControl || last.records[0]?.key !== 'ABORT') return;
    if (log.some((b) => !b.isControl && b.producerId === last.producerId)) events.push('abort-marker-over-data');
    // model/eos's twin: an ABORT written by a coordinator elected after the first (epoch 0).
    if (Number(last.records[0]?.value) > 0) events.push('abort-after-coordinator-failover');
  });
  return events;
}

export interface TransactionsModel extends ExploreModel<TxnWorld, TxnAction> {
  readonly config: ClusterConfig;
  readonly bounds: TransactionsBounds;
  readonly protocol: TransactionsProtocol;
}

export function transactionsModel(bounds: TransactionsBounds, protocol: TransactionsProtocol = TODAY, invariants: readonly string[] = TXN_INVARIANTS): TransactionsModel {
  assert(bounds.incarnations >= 1 && bounds.incarnations <= 2 && bounds.partitions >= 1 && bounds.partitions <= 2, 'one or two incarnations and partitions');
  const config = transactionsConfig(bounds, protocol);
  const limits: TxnLimits = { transactions: bounds.transactions, records: bounds.records, incarnations: bounds.incarnations, partitions: bounds.partitions, budget: bounds.budget };
  const host: TxnHost = { config, jump: clockJump(config as unknown as Record<string, unknown>) };
  return {
    config,
    bounds,
    protocol,
    initial: initialTxnWorld(config, bounds),
    actions: (world) => enabledTxnActions(world, limits),
    next(world, action) {
      const draft = new TxnDraft(world, MACHINES);
      draft.ghost = foldGhost(world);
      applyTxnAction(draft, action, host);
      if (draft.ghost.fence === null && bounds.incarnations > 1 && (draft.producers[1]?.context as { phase: string }).phase === 'ready') {
        draft.ghost = { ...draft.ghost, fence: draft.partitions.map((_, p) => replicaLogEnd(draft, p)) };
      }
      const after = draft.freeze();
      const events = derivedEvents(world, after);
      return events.length === 0 ? after : { ...after, events: [...after.events, ...events] };
    },
    key: (world) => txnWorldKey(world, world.used.failovers < bounds.budget.failovers),
    fingerprint: (world) => txnWorldFingerprint(world, world.used.failovers < bounds.budget.failovers),
    check: (world) => firstTxnViolation(world, invariants),
    reached: (world): Violation[] => world.events.map((name) => ({ invariant: name, witness: `reached at depth ${world.depth}` })),
    describe: describeTxnAction,
  };
}

function replicaLogEnd(draft: TxnDraft, p: number): number {
  const log = ((draft.partitions[p] as Snapshot).context as { persisted: { log: readonly { lastOffset: number }[] } }).persisted.log;
  return (log.at(-1)?.lastOffset ?? -1) + 1;
}

/**
 * The exactly-once rows of the `kafka-oracle check` matrix, as data: today's protocol
 * holds; each variant that removes one fix, and a downstream consumer reading
 * read_uncommitted, is violated. Budgets and the why of each verdict are in
 * spec/transactions.md ("In the simulator").
 *
 * The baseline copies the replication rows' fast timers (src/sim/matrix.ts BASELINE; not
 * imported, to keep the two matrix modules free of an import cycle) and shortens the
 * consumer session (rebalances within a history) and the transaction timeout.
 */
import { type ClusterConfig, DEFAULT_CONFIG, NEVER } from '../../protocol/config.ts';
import { EXACTLY_ONCE } from '../../../model/eos/invariants.ts';
import type { EosRow } from './checker.ts';
import type { EosBudget } from './scenario.ts';

export const EOS_BASELINE: ClusterConfig = {
  ...DEFAULT_CONFIG,
  acks: -1,
  'min.insync.replicas': 2,
  'replication.factor': 3,
  'unclean.leader.election.enable': false,
  // Without ELR the last ISR member stays eligible when fenced (the replication liveness row
  // that holds); with it, a sim restart (always unclean) can leave a partition offline.
  'eligible.leader.replicas.enable': false,
  'flush.messages': NEVER,
  'enable.idempotence': true,
  'request.timeout.ms': 1500,
  'replica.lag.time.max.ms': 1000,
  'replica.fetch.wait.max.ms': 50,
  // Half the replication rows' heartbeat rate (same session/interval ratio): with six
  // partitions per broker the controller's LeaderAndIsr pushes were half of all traffic.
  'broker.heartbeat.interval.ms': 200,
  'broker.session.timeout.ms': 900,
  'isolation.level': 'read_committed',
  'transaction.version': 2,
  // Kafka's defaults are 45 s and 60 s: a pause longer than the session (a rebalance) and
  // shorter than the transaction timeout is the zombie window.
  'session.timeout.ms': 3000,
  'transaction.timeout.ms': 10000,
};

/** Coordinator failovers (process crashes), partitions, message faults, paused and replaced workers. */
export const EOS_FAULTS: EosBudget = {
  name: 'eos: crash+partition+message+pause',
  maxSteps: 30,
  processCrashes: 3,
  powerLosses: 0,
  isolations: 1,
  messageFaults: 3,
  pauses: 3,
};

/** Requests held back (delay) or duplicated: what transaction version 1 cannot tell apart. */
export const EOS_DELAYS: EosBudget = {
  name: 'eos: message delays+pause',
  maxSteps: 30,
  processCrashes: 1,
  powerLosses: 0,
  isolations: 0,
  messageFaults: 6,
  pauses: 2,
};

/**
 * A client request timeout below the `delay` fault (1000 ms, src/sim/world.ts DELAY_MS): a
 * delayed request is given up and retried while the original is still on its way, the race
 * of KAFKA-17754 and KAFKA-14402.
 */
const SHORT_REQUEST_TIMEOUT: Partial<ClusterConfig> = { 'request.timeout.ms': 800 };

function row(changes: Partial<ClusterConfig>, budget: EosBudget, expected: 'holds' | 'violated', histories: number, why: string): EosRow {
  return { guarantee: EXACTLY_ONCE, config: { ...EOS_BASELINE, ...changes }, budget, expected, histories, why, eos: true };
}

export const EOS_MATRIX: readonly EosRow[] = [
  row({}, EOS_FAULTS, 'holds', 500, 'KIP-98 fencing by epoch, KIP-447 generation fencing of TxnOffsetCommit, KIP-890 verification and epoch bump per transaction, read_committed below the LSO'),
  row({ 'isolation.level': 'read_uncommitted' }, EOS_FAULTS, 'violated', 300, 'the downstream consumer returns records of open (and aborted) transactions: past the LSO, an aborted and reprocessed input seen twice'),
  row({ variant: 'no-zombie-fencing', 'transaction.version': 1 }, EOS_FAULTS, 'violated', 300, 'KIP-98 zombie fencing off (TV1, whose EndTxn does not bump the epoch): instances of a slot share producer id and epoch and end each other\'s transactions'),
  row({ 'transaction.version': 1, ...SHORT_REQUEST_TIMEOUT }, EOS_DELAYS, 'violated', 300, 'pre KIP-890 part 2: requests given up and retried land in the wrong transaction (KAFKA-17754 family): a transaction stays open, its input never processed'),
  row({ variant: 'no-generation-fencing' }, EOS_FAULTS, 'violated', 300, 'pre KIP-447: a paused member whose partitions moved commits its transaction\'s offsets and output with a stale generation'),
  row({ variant: 'no-partition-verification', 'transaction.version': 1, ...SHORT_REQUEST_TIMEOUT }, EOS_DELAYS, 'violated', 300, 'KIP-890 part 1 off (TV1): a late transactional write after its transaction ended is never resolved (KAFKA-14402 family): the input offset stays pending'),
];

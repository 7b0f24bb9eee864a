/**
 * The guarantee × configuration matrix `kafka-oracle check` runs, as data. Each row names
 * a guarantee (model/guarantees.ts), a cluster configuration in Kafka's settings, the fault
 * budget its histories draw from, and the verdict the checker must reach. The budgets are
 * the precise conditions spec/guarantees.md states for each verdict.
 */
import { type ClusterConfig, DEFAULT_CONFIG, formatConfig, NEVER } from '../protocol/config.ts';
import type { FaultBudget } from './scenario.ts';
import { EOS_MATRIX } from './eos/matrix.ts';

export type Verdict = 'holds' | 'violated';

export interface MatrixRow {
  readonly guarantee: string;
  readonly config: ClusterConfig;
  readonly budget: FaultBudget;
  readonly expected: Verdict;
  /** Histories to run (a `violated` row stops at the first counterexample). */
  readonly histories: number;
  /** Why this row reaches its verdict, in one line (the bug or the guarantee's source). */
  readonly why: string;
  /** `sometimes` twins this row must reach besides its guarantee's (e.g. a power loss that lost data). */
  readonly sometimes?: readonly string[];
}

/** Process crashes, network partitions and message faults; no broker loses its page cache. */
export const CRASH_PARTITION_MESSAGE: FaultBudget = {
  name: 'process-crash+partition+message',
  maxSteps: 40,
  processCrashes: 8,
  powerLosses: 0,
  isolations: 3,
  messageFaults: 4,
};

/**
 * The KIP-966 "last replica standing" faults: partitions take followers out of the ISR,
 * then one broker loses power (its unsynced page cache) and restarts. One power loss is
 * min.insync.replicas − 1 lossy shutdowns for min.insync.replicas=2 (Vanlightly 2023).
 */
export const ONE_POWER_LOSS: FaultBudget = {
  name: 'one-power-loss+partition',
  maxSteps: 40,
  processCrashes: 0,
  powerLosses: 1,
  isolations: 3,
  messageFaults: 0,
};

/**
 * Leader failovers: process crashes (most aimed at the leader, half of them waiting for
 * the controller's next decision), restarts and partitions; no message faults, no power
 * loss. The budget the leader-epoch bugs need: two failovers close together.
 */
export const LEADER_FAILOVERS: FaultBudget = {
  name: 'leader-failovers',
  maxSteps: 30,
  processCrashes: 8,
  powerLosses: 0,
  isolations: 3,
  messageFaults: 0,
};

/**
 * Leader failovers with partial partitions and slow links: process crashes and restarts,
 * whole-broker isolations, and up to 3 per-link faults (a `partition` between two nodes, a
 * `slow` one-way link), no message faults, no power loss. The faults the leader-epoch bugs
 * of Kafka 2.0 need: a broker that misses the controller's decisions while it still
 * fetches from the leader, and leaders cut from the controller but not from their
 * followers (zombies), in quick succession (KIP-320, KAFKA-6880).
 */
export const FAILOVERS_AND_LINK_FAULTS: FaultBudget = {
  name: 'leader-failovers+link-faults',
  maxSteps: 30,
  processCrashes: 8,
  powerLosses: 0,
  isolations: 3,
  messageFaults: 0,
  linkFaults: 3,
  generator: 'failover-chains',
};

/**
 * Leader failovers around brokers that leave and come back: process crashes, isolations,
 * restarts and heals, drawn from the targeted `rejoin-chains` distribution (rounds that end
 * in a leader failover; see `rejoinChainArbitrary`). The faults KAFKA-7128 is made of: a
 * follower misses a committed record, the leader fails before the other follower learns the
 * HW, the lagging follower rejoins, the leader fails again.
 */
export const FAILOVERS_AND_REJOINS: FaultBudget = {
  name: 'leader-failovers+rejoins',
  maxSteps: 30,
  processCrashes: 8,
  powerLosses: 0,
  isolations: 3,
  messageFaults: 0,
  generator: 'rejoin-chains',
};

/** Message faults (lost, duplicated, reordered requests and responses) and process crashes: what makes producers retry. */
export const RETRY_FAULTS: FaultBudget = {
  name: 'message+process-crash',
  maxSteps: 40,
  processCrashes: 2,
  powerLosses: 0,
  isolations: 2,
  messageFaults: 6,
};

/** The safe baseline: acks=all, min.insync.replicas=2, RF=3, unclean election off, no fsync. */
export const BASELINE: ClusterConfig = {
  ...DEFAULT_CONFIG,
  acks: -1,
  'min.insync.replicas': 2,
  'replication.factor': 3,
  'unclean.leader.election.enable': false,
  'flush.messages': NEVER,
  'enable.idempotence': true,
  // Faster timers than Kafka's defaults (30 s, 30 s, 2 s, 9 s) so that a 40-step
  // history sees lag, ISR changes, fencing and request timeouts; session/heartbeat keep
  // roughly Kafka's ratio. replica.fetch.wait.max.ms is Kafka's default: a follower learns
  // a new high watermark up to that long after the leader advanced it (the KIP-101 window).
  // Message latency is 2-31 ms (world.ts).
  'request.timeout.ms': 1500,
  'replica.lag.time.max.ms': 1000,
  'replica.fetch.wait.max.ms': 500,
  'broker.heartbeat.interval.ms': 100,
  'broker.session.timeout.ms': 450,
};

const durability = 'no-acked-write-lost';
const idempotence = 'idempotent-producer';
const liveness = 'liveness-after-healing';

function row(guarantee: string, changes: Partial<ClusterConfig>, budget: FaultBudget, expected: Verdict, histories: number, why: string): MatrixRow {
  return { guarantee, config: { ...BASELINE, ...changes }, budget, expected, histories, why };
}

export const MATRIX: readonly MatrixRow[] = [
  row(durability, {}, CRASH_PARTITION_MESSAGE, 'holds', 1000, 'acks=all waits for the ISR; the ISR never drops below min.insync.replicas for a write; clean election picks an ISR member'),
  row(durability, { 'eligible.leader.replicas.enable': false }, ONE_POWER_LOSS, 'violated', 1000, 'KIP-966 last replica standing: the sole ISR member loses unsynced data and is re-elected'),
  { ...row(durability, { 'eligible.leader.replicas.enable': true }, ONE_POWER_LOSS, 'holds', 400, 'KIP-966: replicas removed below min ISR stay eligible; an unclean shutdown removes the replica from the ISR/ELR'), sometimes: ['power-loss-lost-data', 'isr-shrank'] },
  row(durability, { 'eligible.leader.replicas.enable': false, 'flush.messages': 1 }, ONE_POWER_LOSS, 'holds', 400, 'every append is fsynced before it is acknowledged, so a power loss loses nothing acked'),
  row(durability, { acks: 1, 'enable.idempotence': false }, CRASH_PARTITION_MESSAGE, 'violated', 400, 'acks=1: the leader acks before any follower has the write, then fails'),
  row(durability, { 'min.insync.replicas': 1, 'eligible.leader.replicas.enable': false }, ONE_POWER_LOSS, 'violated', 1000, 'min.insync.replicas=1: the ISR shrinks to the leader, which acks alone, loses power and is re-elected'),
  row(durability, { 'unclean.leader.election.enable': true }, CRASH_PARTITION_MESSAGE, 'violated', 400, 'unclean election: an out-of-sync replica becomes leader and the others truncate to it'),
  row(durability, { variant: 'truncate-to-high-watermark' }, LEADER_FAILOVERS, 'violated', 1000, 'KIP-101 / KAFKA-1211: a restarted follower truncates to its stale HW, then becomes leader'),
  // The default seed's first counterexample is history 2671: the row needs its 3000.
  row(durability, { variant: 'no-leader-epoch-fencing' }, FAILOVERS_AND_LINK_FAULTS, 'violated', 3000, 'KIP-320 / KAFKA-6880: a follower that missed the controller\'s decisions fetches from a leader of a later epoch unfenced and is counted in its ISR'),
  row(durability, {}, FAILOVERS_AND_LINK_FAULTS, 'holds', 1000, 'KIP-320: a fetch or OffsetsForLeaderEpoch from another epoch is fenced; LastFetchedEpoch divergence (KIP-595); ISR join at the epoch start (KAFKA-7128)'),
  // The default seed's first counterexample is history 624.
  row(durability, { variant: 'no-isr-join-epoch-check' }, FAILOVERS_AND_REJOINS, 'violated', 1000, 'KAFKA-7128: a follower joins the ISR before reaching the start of the leader\'s epoch'),
  row(durability, {}, FAILOVERS_AND_REJOINS, 'holds', 1000, 'KAFKA-7128: a follower joins the ISR only once its log reaches the start of the leader\'s epoch (Partition.isFollowerInSync)'),
  row(liveness, { 'eligible.leader.replicas.enable': false }, CRASH_PARTITION_MESSAGE, 'holds', 400, 'without ELR the last ISR member stays in the ISR when fenced and is re-elected when it returns'),
  row(liveness, { 'eligible.leader.replicas.enable': true }, CRASH_PARTITION_MESSAGE, 'violated', 400, 'KIP-966: when every ELR member restarts after an unclean shutdown, no replica is eligible and the partition stays offline'),
  row(idempotence, {}, RETRY_FAULTS, 'holds', 400, 'KIP-98: sequence numbers per partition, the last 5 batches cached, duplicates answered with the original offset'),
  row(idempotence, { 'enable.idempotence': false }, RETRY_FAULTS, 'violated', 400, 'without idempotence a retried batch whose first attempt was appended is appended again'),
  ...EOS_MATRIX, // exactly-once rows (src/sim/eos/matrix.ts)
];

export function rowLabel(r: MatrixRow): string {
  return `${r.guarantee} | ${formatConfig(r.config)}`;
}

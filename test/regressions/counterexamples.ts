/**
 * Counterexamples `kafka-oracle check` found and shrank, pinned as data: the row they
 * break (guarantee + config as Kafka settings), the scenario as its one-line step list,
 * the invariant it violates, and the fast-check seed and path that regenerated it (replay
 * with `kafka-oracle replay --seed S --path P --config "..."`). `fixedBy` names the setting
 * that repairs the row: the same steps under it must not violate the guarantee.
 */
export interface PinnedCounterexample {
  readonly name: string;
  readonly guarantee: string;
  /** Only the settings that differ from the matrix baseline (src/sim/matrix.ts BASELINE). */
  readonly config: string;
  readonly steps: string;
  readonly invariant: string;
  readonly seed: number;
  readonly path: string;
  /** Settings (over the baseline) under which the same steps keep the guarantee. */
  readonly fixedBy: string;
}

export const PINNED: readonly PinnedCounterexample[] = [
  {
    name: 'acks=1: the leader acks before any follower has the write, then is cut off',
    guarantee: 'no-acked-write-lost',
    config: 'acks=1 enable.idempotence=false',
    steps: 'run(13 ms, seed 688); isolate(leader); run(400 ms, seed 0); send',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '15:7:0:3:0:4:3:3:3:3:4:3:3:3:7:3:6:3:10:17:21:21:13:17:19:16:17:17:17',
    fixedBy: 'acks=all enable.idempotence=true',
  },
  {
    name: 'min.insync.replicas=1 (ELR off): the leader acks alone, loses power and is re-elected',
    guarantee: 'no-acked-write-lost',
    config: 'min.insync.replicas=1 eligible.leader.replicas.enable=false',
    steps: 'isolate(leader); send; run(3 ms, seed 0); isolate(leader); run(499 ms, seed 677); failover; run(1495 ms, seed 785); run(3 ms, seed 250); failover; send; run(1 ms, seed 887); crash(leader, power-loss, seed 275) + failover; run(1160 ms, seed 344); failover; failover; restart(broker-0); send; send',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '10:8:0:1:8:12:15:14:14:14:15:20:23:22:23:23:23:23:22',
    fixedBy: 'min.insync.replicas=2 eligible.leader.replicas.enable=true',
  },
  {
    name: 'unclean election: an out-of-sync replica leads and the others truncate to it',
    guarantee: 'no-acked-write-lost',
    config: 'unclean.leader.election.enable=true',
    steps: 'isolate(leader) + failover; send; failover; failover; isolate(leader); run(17 ms, seed 0); run(1477 ms, seed 701); isolate(leader); failover; crash(leader, process) + failover; send; drop(#7); run(15 ms, seed 367)',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '33:6:8:14:19:23:23:23:24:24:25:23:24:24',
    fixedBy: 'unclean.leader.election.enable=false',
  },
  {
    name: 'KIP-101 (KAFKA-1211): a follower truncates to its stale high watermark on a leader change, then leads',
    guarantee: 'no-acked-write-lost',
    config: 'variant=truncate-to-high-watermark',
    steps: 'send; run(633 ms, seed 0); crash(broker-2, process) + failover; crash(leader, process); restart(down)',
    invariant: 'leader-completeness',
    seed: 1,
    path: '',
    fixedBy: 'variant=none',
  },
  {
    name: 'KAFKA-7128 (hand-written): a follower joins a new leader\'s ISR below the start of its epoch, then leads',
    guarantee: 'no-acked-write-lost',
    config: 'variant=no-isr-join-epoch-check',
    steps: 'run(300 ms, seed 1); send; run(300 ms, seed 1); isolate(broker-0) + failover; send; run(9 ms, seed 0); crash(leader, process) + failover; heal; failover; crash(leader, process) + failover; run(500 ms, seed 2)',
    invariant: 'leader-completeness',
    seed: 0,
    path: '',
    fixedBy: 'variant=none',
  },
  {
    name: 'KAFKA-7128 (found by check): a follower isolated before a write rejoins the ISR of a new leader whose HW lags, below the start of its epoch, and is elected before it fetched the committed records',
    guarantee: 'no-acked-write-lost',
    config: 'variant=no-isr-join-epoch-check',
    steps: 'isolate(broker-1); send; run(955 ms, seed 26); send; run(586 ms, seed 235); crash(leader, process) + failover; heal; failover; crash(leader, process) + failover',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '623:3:2:9:2:5:2:19:2:2:10:2:3:2:2:10:25',
    fixedBy: 'variant=none',
  },
  {
    name: 'KIP-320 (found by check): a follower behind a slow controller queue fetches unfenced from the epoch-3 leader and joins its ISR holding an epoch-0 copy of a record that epoch 2 rewrote',
    guarantee: 'no-acked-write-lost',
    config: 'variant=no-leader-epoch-fencing',
    steps: 'send; run(20 ms, seed 0); slow(controller→broker-0, 1728 ms); send; run(434 ms, seed 0); partition(leader, controller) + failover; send; run(538 ms, seed 259); send; run(44 ms, seed 489); isolate(leader) + failover; heal; run(786 ms, seed 426); partition(leader, controller) + failover; send; run(1171 ms, seed 676)',
    invariant: 'log-matching',
    seed: 20261121,
    path: '2670:4:2:2:2:3:2:3:3:3:5:3:3:3:3:7:4:9:3:3:7:4:3:3:3:3:9:7:9:8:3:3:10:3:3:4:7:7:7:8:3:8:6:3:11:7:7:8:8',
    fixedBy: 'variant=none',
  },
  {
    name: 'KIP-320 / KAFKA-6880 (hand-written): a follower that missed two LeaderAndIsr is counted by the epoch-3 leader, then truncates against a zombie epoch-2 leader and is elected',
    guarantee: 'no-acked-write-lost',
    config: 'variant=no-leader-epoch-fencing',
    steps: 'run(300 ms, seed 1); crash(broker-2, process) + failover; restart(down); run(1500 ms, seed 1); slow(controller→broker-2, 6000 ms); send; run(800 ms, seed 1); partition(broker-0, controller) + failover; run(50 ms, seed 1); heal; run(300 ms, seed 2); partition(broker-1, controller) + failover; run(50 ms, seed 3); send; run(800 ms, seed 4); crash(broker-0, process) + failover; run(6000 ms, seed 5)',
    invariant: 'leader-completeness',
    seed: 0,
    path: '',
    fixedBy: 'variant=none',
  },
  {
    name: 'KIP-966 last replica standing: the sole ISR member loses unsynced data and is re-elected',
    guarantee: 'no-acked-write-lost',
    config: 'eligible.leader.replicas.enable=false',
    steps: 'isolate(leader); send; failover; isolate(leader) + failover; failover; failover; crash(leader, power-loss); run(1 ms, seed 0)',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '548:8:0:4:9:25:25:17:17',
    fixedBy: 'eligible.leader.replicas.enable=true',
  },
  {
    name: 'KIP-966 last replica standing, with fsync on every message instead of ELR',
    guarantee: 'no-acked-write-lost',
    config: 'eligible.leader.replicas.enable=false',
    steps: 'isolate(leader); send; failover; isolate(leader) + failover; failover; failover; crash(leader, power-loss); run(1 ms, seed 0)',
    invariant: 'leader-completeness',
    seed: 20261121,
    path: '548:8:0:4:9:25:25:17:17',
    fixedBy: 'eligible.leader.replicas.enable=false flush.messages=1',
  },
  {
    name: 'ELR on: every eligible replica restarted uncleanly, so the partition stays offline',
    guarantee: 'liveness-after-healing',
    config: '',
    steps: 'isolate(leader) + failover; crash(leader, process); crash(broker-0, process) + failover; failover; crash(leader, process); failover',
    invariant: 'healed-cluster-converges',
    seed: 20261121,
    path: '14:2:3:8:11:13:16:20:20',
    fixedBy: 'eligible.leader.replicas.enable=false',
  },
  {
    name: 'idempotence off: a retried batch overtakes or duplicates the first attempt',
    guarantee: 'idempotent-producer',
    config: 'enable.idempotence=false',
    steps: 'failover; failover; send; run(30 ms, seed 297); send; drop(#12); run(1 ms, seed 0)',
    invariant: 'per-partition-order',
    seed: 20261121,
    path: '10:6:18:25:23:9:24:28:31:27:27',
    fixedBy: 'enable.idempotence=true',
  },
];

/**
 * Shrunk counterexamples of the exactly-once rows (`kafka-oracle check`, seed 20261121),
 * pinned as data: the steps (src/sim/eos/scenario.ts one-line form), the row's config changes
 * from the exactly-once baseline (src/sim/eos/matrix.ts EOS_BASELINE), the invariant the
 * history violates, and the change under which the same steps keep the guarantee.
 * Replayed by pinned.test.ts; spec/transactions.md ("In the simulator") tells each story.
 */
import type { ClusterConfig } from '../../../src/protocol/config.ts';

export interface PinnedEos {
  readonly name: string;
  readonly changes: Partial<ClusterConfig>;
  readonly steps: string;
  readonly invariant: string;
  readonly fixedBy: Partial<ClusterConfig>;
}

const TV1 = { 'transaction.version': 1, 'request.timeout.ms': 800 } as const;

export const PINNED_EOS: readonly PinnedEos[] = [
  {
    name: 'read_uncommitted downstream reads an open transaction\'s record',
    changes: { 'isolation.level': 'read_uncommitted' },
    steps: 'send; replace(worker-0)',
    invariant: 'no-read-past-lso',
    fixedBy: { 'isolation.level': 'read_committed' },
  },
  {
    name: 'no-zombie-fencing (TV1): the restarted instance reuses producer id and epoch, its first batch is deduplicated away',
    changes: { variant: 'no-zombie-fencing', 'transaction.version': 1 },
    steps: 'send; run(150 ms, seed 0); crash(txn-coordinator); send; crash(broker-1); abort(worker-0); send; run(36 ms, seed 995); run(358 ms, seed 129)',
    invariant: 'exactly-once-log',
    fixedBy: { variant: null },
  },
  {
    name: 'transaction.version=1 with delayed requests: a worker never finishes its abort, an input is never processed',
    changes: TV1,
    steps:
      'run(9 ms, seed 1); run(293 ms, seed 346); pause(worker-1); send; send; run(1495 ms, seed 0); send; pause(worker-0); run(9 ms, seed 574); send; send; send; send; run(904 ms, seed 9); resume(worker-0); send; run(9 ms, seed 8); abort(worker-1); run(26 ms, seed 619); run(36 ms, seed 998)',
    invariant: 'exactly-once-read',
    fixedBy: { 'transaction.version': 2 },
  },
  {
    name: 'no-generation-fencing: a member\'s transactional offsets from a stale generation commit, an input is processed twice',
    changes: { variant: 'no-generation-fencing' },
    steps: 'send; send; run(1 ms, seed 0); run(1 ms, seed 279); run(102 ms, seed 186); abort(worker-1); run(30 ms, seed 388); drop(#12); drop(#8); replace(worker-0); crash(broker-1); crash(broker-2); run(17 ms, seed 167); pause(worker-1)',
    invariant: 'exactly-once-read',
    fixedBy: { variant: null },
  },
  {
    name: 'no-partition-verification (TV1): with delayed and duplicated requests an input is never processed',
    changes: { variant: 'no-partition-verification', ...TV1 },
    steps:
      'send; run(387 ms, seed 591); run(31 ms, seed 715); send; send; send; abort(worker-1); replace(worker-0); run(20 ms, seed 638); run(11 ms, seed 263); send; run(20 ms, seed 126); crash(txn-coordinator); delay(#9); run(16 ms, seed 634); send; pause(worker-0); run(7 ms, seed 997); duplicate(#4); drop(#10); send; abort(worker-0)',
    invariant: 'exactly-once-read',
    fixedBy: { variant: null },
  },
];

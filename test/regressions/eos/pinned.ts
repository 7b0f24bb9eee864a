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
    name: 'no-zombie-fencing (TV1): three instances of a slot share producer id and epoch; one aborts the transaction carrying another\'s output, an input is never processed',
    changes: { variant: 'no-zombie-fencing', 'transaction.version': 1 },
    steps: 'pause(worker-0); replace(worker-0); replace(worker-0); send; isolate(group-coordinator); run(1472 ms, seed 159); send; abort(worker-0)',
    invariant: 'exactly-once-read',
    fixedBy: { variant: null },
  },
  {
    name: 'transaction.version=1 with delayed requests: a transaction stays Ongoing and its input is never processed',
    changes: TV1,
    steps: 'drop(#9); abort(worker-1); send; run(580 ms, seed 322); run(8 ms, seed 517); send; crash(broker-1); send; send; send; run(9 ms, seed 2); send',
    invariant: 'exactly-once-read',
    fixedBy: { 'transaction.version': 2 },
  },
  {
    name: 'no-generation-fencing: a member commits offsets and output from a stale generation, an input is processed twice',
    changes: { variant: 'no-generation-fencing' },
    steps: 'run(329 ms, seed 776); replace(worker-0); send; run(23 ms, seed 788)',
    invariant: 'exactly-once-read',
    fixedBy: { variant: null },
  },
  {
    name: 'no-partition-verification (TV1): a late transactional offset commit keeps the input\'s offset pending, the new owner never starts',
    changes: { variant: 'no-partition-verification', ...TV1 },
    steps: 'run(763 ms, seed 0); send; run(1444 ms, seed 4); run(5 ms, seed 158); replace(worker-0); crash(group-coordinator)',
    invariant: 'exactly-once-read',
    fixedBy: { variant: null },
  },
];

/**
 * The guarantees `kafka-oracle check` judges: each is a set of invariants (all must hold)
 * and the `sometimes` twins that show a green verdict was not vacuous. spec/guarantees.md
 * states each one with the exact conditions under which it holds.
 */
import { INVARIANTS, type Invariant } from './invariants.ts';

export interface Guarantee {
  readonly name: string;
  readonly statement: string;
  /** `always` and `eventually` invariants: one violated in one history violates the guarantee. */
  readonly invariants: readonly string[];
  /** `sometimes` twins: each must be reached in at least one history of a `holds` row. */
  readonly sometimes: readonly string[];
}

export const GUARANTEES: readonly Guarantee[] = [
  {
    name: 'no-acked-write-lost',
    statement: 'every acknowledged write stays at its offset in every committed view, and is read after healing',
    invariants: ['no-acked-write-lost', 'leader-completeness', 'offset-stability', 'log-matching', 'high-watermark-monotonic', 'acked-writes-read', 'oracle-agrees'],
    sometimes: ['some-write-acked', 'leader-changed-after-ack', 'truncation-happened'],
  },
  {
    name: 'liveness-after-healing',
    statement: 'once every fault is healed, the partition gets a leader, every replica rejoins the ISR, and every acknowledged write is read',
    invariants: ['healed-cluster-converges', 'acked-writes-read'],
    sometimes: ['some-write-acked', 'leader-changed-after-ack'],
  },
  {
    name: 'idempotent-producer',
    statement: 'a producer\'s values are committed at most once each, in the order it sent them',
    invariants: ['no-duplicate', 'per-partition-order', 'one-offset-per-ack', 'oracle-agrees'],
    sometimes: ['some-write-acked', 'producer-retried'],
  },
];

export function guarantee(name: string): Guarantee {
  const found = GUARANTEES.find((g) => g.name === name);
  if (found === undefined) throw new Error(`no guarantee named ${name}`);
  return found;
}

export function invariantsOf(g: Guarantee): Invariant[] {
  return INVARIANTS.filter((i) => g.invariants.includes(i.name));
}

export function sometimesOf(g: Guarantee): Invariant[] {
  return INVARIANTS.filter((i) => g.sometimes.includes(i.name));
}

/**
 * The named properties of replication and of the idempotent producer, as data. Each says
 * what it claims, where the claim comes from, and returns a witness (never a bare boolean):
 *
 * - `always`: judged after every step of a history; the witness shows the violation.
 * - `sometimes`: the twin of the `always` ones; the witness shows the interesting state was
 *   reached (a truncation, a leader change, a power loss that lost data), so that a green
 *   `always` is not vacuous.
 * - `eventually`: judged once, after phase 2 healed everything and ran to quiescence.
 *
 * Grouped as Vanlightly's `kip_966_properties.tla` groups them: safety of the log, safety
 * of the producer, liveness.
 */
import type { Ledger } from './ledger.ts';
import { currentLeader, entryAt, logEndOffset, type ReplicaView, type WorldView } from './view.ts';

export type InvariantKind = 'always' | 'sometimes' | 'eventually';

export interface Witness {
  /** One line a person can read: who, which offset, what was expected and found. */
  readonly summary: string;
}

/** What an invariant is judged on: the world after a step, and the ghost state before it. */
export interface Judged {
  readonly view: WorldView;
  readonly ledger: Ledger;
  /** For `eventually` properties: whether phase 2 reached quiescence. */
  readonly quiescent?: boolean;
  /** For `oracle-agrees`: the history checker's answer on the history, and the invariants already violated. */
  readonly oracle?: { readonly valid: boolean | 'unknown'; readonly anomalyTypes: readonly string[] };
  readonly violated?: readonly string[];
}

export interface Invariant {
  readonly name: string;
  readonly kind: InvariantKind;
  readonly statement: string;
  readonly source: string;
  check(judged: Judged): Witness | undefined;
}

const witness = (summary: string): Witness => ({ summary });

// ---- safety of the replicated log -------------------------------------------------------

const noAckedWriteLost: Invariant = {
  name: 'no-acked-write-lost',
  kind: 'always',
  statement: 'a write acknowledged at offset o is, in every later committed view (the leader below its high watermark), at o',
  source: 'NoCommittedRecordLostGlobally, Vanlightly kip_966_properties.tla; Kafka docs, producer config `acks`',
  check({ view, ledger }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    for (const write of ledger.ackedWrites()) {
      if (write.offset >= leader.highWatermark) continue;
      const entry = entryAt(leader, write.offset);
      if (entry?.value !== write.value)
        return witness(
          `acked ${write.value}@${write.offset} (step ${write.step}) but leader broker-${leader.brokerId} (epoch ${leader.leaderEpoch}, HW ${leader.highWatermark}) holds ${entry === undefined ? 'nothing' : entry.value} there`,
        );
    }
    return undefined;
  },
};

const leaderCompleteness: Invariant = {
  name: 'leader-completeness',
  kind: 'always',
  statement: 'the current leader holds every acknowledged write, and every record once committed (below a leader\'s high watermark), at its offset',
  source: 'LeaderCompleteness, Vanlightly kip_966_properties.tla; StrongIsr, hachikuji Kip320.tla',
  check({ view, ledger }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    const where = `leader broker-${leader.brokerId} (epoch ${leader.leaderEpoch}, LEO ${logEndOffset(leader)})`;
    for (const write of ledger.ackedWrites()) {
      const entry = entryAt(leader, write.offset);
      if (entry?.value !== write.value) return witness(`${where} lacks acked ${write.value}@${write.offset}: holds ${entry === undefined ? 'nothing' : entry.value}`);
    }
    for (const [offset, committed] of ledger.committedOffsets()) {
      const entry = entryAt(leader, offset);
      if (entry?.value !== committed.value)
        return witness(
          `${where} lacks ${committed.value}@${offset}, committed at step ${committed.step} below broker-${committed.brokerId}'s HW: holds ${entry === undefined ? 'nothing' : entry.value}`,
        );
    }
    return undefined;
  },
};

const offsetStability: Invariant = {
  name: 'offset-stability',
  kind: 'always',
  statement: 'a record once below a leader\'s high watermark keeps its offset and value in every later committed view',
  source: 'Kafka design docs, "Replication" (committed messages are never lost); KIP-101',
  check({ view, ledger }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    for (let offset = 0; offset < leader.highWatermark; offset++) {
      const committed = ledger.committedAt(offset);
      if (committed === undefined) continue;
      const entry = entryAt(leader, offset);
      if (entry?.value !== committed.value)
        return witness(
          `offset ${offset} was committed as ${committed.value} (step ${committed.step}, broker-${committed.brokerId}); leader broker-${leader.brokerId} now holds ${entry?.value ?? 'nothing'} below its HW ${leader.highWatermark}`,
        );
    }
    return undefined;
  },
};

const logMatching: Invariant = {
  name: 'log-matching',
  kind: 'always',
  statement: 'two live replicas hold the same records (offset, leader epoch, value) below both high watermarks',
  source: 'LogMatching, Vanlightly kip_966_properties.tla; WeakIsr, hachikuji KafkaReplication.tla',
  check({ view }) {
    const live = view.replicas.filter((r) => r.alive);
    for (let i = 0; i < live.length; i++)
      for (let j = i + 1; j < live.length; j++) {
        const found = firstMismatch(live[i] as ReplicaView, live[j] as ReplicaView);
        if (found !== undefined) return found;
      }
    return undefined;
  },
};

function firstMismatch(a: ReplicaView, b: ReplicaView): Witness | undefined {
  const limit = Math.min(a.highWatermark, b.highWatermark, logEndOffset(a), logEndOffset(b));
  for (let offset = 0; offset < limit; offset++) {
    const x = entryAt(a, offset);
    const y = entryAt(b, offset);
    if (x?.value !== y?.value || x?.leaderEpoch !== y?.leaderEpoch)
      return witness(
        `offset ${offset}: broker-${a.brokerId} holds ${x?.value}/epoch ${x?.leaderEpoch}, broker-${b.brokerId} holds ${y?.value}/epoch ${y?.leaderEpoch}, below both HWs (${a.highWatermark}, ${b.highWatermark})`,
      );
  }
  return undefined;
}

const highWatermarkMonotonic: Invariant = {
  name: 'high-watermark-monotonic',
  kind: 'always',
  statement: 'a leader never lowers the high watermark it exposed, within its epoch and process lifetime',
  source: 'Partition.maybeIncrementLeaderHW (only increments); kafka-internals.md §2',
  check({ view, ledger }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    const before = ledger.leaderHighWatermark(leader);
    if (before !== undefined && leader.highWatermark < before)
      return witness(`leader broker-${leader.brokerId} (epoch ${leader.leaderEpoch}) lowered its HW from ${before} to ${leader.highWatermark}`);
    return undefined;
  },
};

// ---- safety of the idempotent producer ------------------------------------------------------

const noDuplicate: Invariant = {
  name: 'no-duplicate',
  kind: 'always',
  statement: 'a value sent once appears at most once in the committed log',
  source: 'KIP-98 (idempotent producer); ProducerStateManager duplicate detection (last 5 batches)',
  check({ view }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    const seen = new Map<string, number>();
    for (const entry of leader.log) {
      if (entry.offset >= leader.highWatermark) break;
      const first = seen.get(entry.value);
      if (first !== undefined) return witness(`${entry.value} committed twice, at offsets ${first} and ${entry.offset} (leader broker-${leader.brokerId})`);
      seen.set(entry.value, entry.offset);
    }
    return undefined;
  },
};

const perPartitionOrder: Invariant = {
  name: 'per-partition-order',
  kind: 'always',
  statement: 'values one producer sent in order are committed in that order',
  source: 'KIP-98; producer docs, max.in.flight.requests.per.connection ≤ 5 with enable.idempotence',
  check({ view, ledger }) {
    const leader = currentLeader(view);
    if (leader === undefined) return undefined;
    let previous: { value: string; index: number; offset: number } | undefined;
    for (const entry of leader.log) {
      if (entry.offset >= leader.highWatermark) break;
      const index = ledger.sendIndex(entry.value);
      if (index === undefined) continue;
      if (previous !== undefined && index < previous.index)
        return witness(`${entry.value} (sent #${index}) committed at ${entry.offset}, after ${previous.value} (sent #${previous.index}) at ${previous.offset}`);
      previous = { value: entry.value, index, offset: entry.offset };
    }
    return undefined;
  },
};

const oneOffsetPerAck: Invariant = {
  name: 'one-offset-per-ack',
  kind: 'always',
  statement: 'a value is never acknowledged at two different offsets',
  source: 'KIP-98: a retried duplicate is answered with the original offset',
  check({ ledger }) {
    const conflict = ledger.ackConflicts[0];
    return conflict === undefined ? undefined : witness(`${conflict.value} acknowledged at offsets ${conflict.offsets[0]} and ${conflict.offsets[1]}`);
  },
};

// ---- liveness after healing -----------------------------------------------------------------

const healedClusterConverges: Invariant = {
  name: 'healed-cluster-converges',
  kind: 'eventually',
  statement: 'after healing, a leader is elected, every replica rejoins the ISR and the high watermark reaches the log end',
  source: 'Vanlightly kip_966 liveness: acked writes become fully replicated',
  check({ quiescent, view }) {
    if (quiescent) return undefined;
    const leader = currentLeader(view);
    return witness(
      `no quiescence after healing: leader ${leader === undefined ? 'none' : `broker-${leader.brokerId}`}, ISR [${view.controller.isr.join(',')}], ` +
        view.replicas.map((r) => `broker-${r.brokerId} LEO ${logEndOffset(r)} HW ${r.highWatermark}${r.alive ? '' : ' down'}`).join(', '),
    );
  },
};

const ackedWritesRead: Invariant = {
  name: 'acked-writes-read',
  kind: 'eventually',
  statement: 'once the healed cluster is quiescent, a consumer reading from offset 0 reads every acknowledged write, at its acknowledged offset',
  source: 'Vanlightly kip_966 liveness; Jepsen kafka.clj lost-write',
  check({ ledger, quiescent }) {
    // Without quiescence there may be no leader to read from; healed-cluster-converges judges that.
    if (quiescent !== true) return undefined;
    for (const write of ledger.ackedWrites()) {
      const offsets = ledger.consumedAt(write.value);
      if (offsets.length === 0) return witness(`acked ${write.value}@${write.offset} (step ${write.step}) never read by the consumer`);
      if (!offsets.includes(write.offset)) return witness(`acked ${write.value}@${write.offset} (step ${write.step}) but read at offset ${offsets.join(', ')}`);
    }
    return undefined;
  },
};

const oracleAgrees: Invariant = {
  name: 'oracle-agrees',
  kind: 'eventually',
  statement: 'the history checker (model/history) and the invariants agree: an acknowledged write the consumer did not read is a lost-write (or unseen, when nothing after it was read), a value read twice a duplicate, and the checker reports neither otherwise',
  source: 'DESIGN.md "three oracles that agree"; Jepsen kafka.clj lost-write-cases, duplicate-cases',
  check({ ledger, quiescent, oracle, violated }) {
    if (oracle === undefined || quiescent !== true) return undefined;
    if (oracle.valid === 'unknown') return witness('the history checker could not decide (unknown never passes)');
    const lost = ledger.ackedWrites().filter((w) => !ledger.consumedAt(w.value).includes(w.offset));
    const flagged = (name: string): boolean => oracle.anomalyTypes.includes(name);
    // Jepsen calls a write lost only when a read went past its offset; otherwise it is unseen.
    const readPast = lost.filter((w) => ledger.maxConsumedOffset() > w.offset);
    if (readPast.length > 0 && !flagged('lost-write')) return witness(`acked ${readPast.map((w) => `${w.value}@${w.offset}`).join(', ')} not read though later offsets were, but the checker reports no lost-write`);
    if (lost.length > 0 && !flagged('lost-write') && !flagged('unseen')) return witness(`acked ${lost.map((w) => `${w.value}@${w.offset}`).join(', ')} not read, but the checker reports neither lost-write nor unseen`);
    const durability = ['no-acked-write-lost', 'leader-completeness', 'offset-stability', 'log-matching', 'acked-writes-read'];
    if (flagged('lost-write') && lost.length === 0 && !durability.some((n) => violated?.includes(n)))
      return witness('the checker reports lost-write, but every acknowledged write was read and no durability invariant failed');
    const readTwice = ledger.valuesReadTwice();
    if (readTwice.length > 0 && !flagged('duplicate')) return witness(`${readTwice.join(', ')} read at two offsets, but the checker reports no duplicate`);
    if (flagged('duplicate') && readTwice.length === 0) return witness('the checker reports a duplicate no read shows');
    return undefined;
  },
};

// ---- sometimes twins -----------------------------------------------------------------------

function sometimes(name: string, statement: string, reached: (judged: Judged) => string | undefined): Invariant {
  return {
    name,
    kind: 'sometimes',
    statement,
    source: 'Stateright Expectation::Sometimes (a green always-property must not be vacuous)',
    check: (judged) => {
      const summary = reached(judged);
      return summary === undefined ? undefined : witness(summary);
    },
  };
}

const someAck = sometimes('some-write-acked', 'a write was acknowledged', ({ ledger }) => {
  const first = ledger.ackedWrites()[0];
  return first === undefined ? undefined : `${first.value} acked at ${first.offset}`;
});
const someTruncation = sometimes('truncation-happened', 'a replica truncated records from its log', ({ ledger }) =>
  ledger.events.truncatedEntries > 0 ? `${ledger.events.truncatedEntries} entries truncated` : undefined,
);
const someLeaderChange = sometimes('leader-changed-after-ack', 'the leader changed after a write was acknowledged', ({ ledger }) =>
  ledger.events.leaderChangesAfterAck > 0 ? `${ledger.events.leaderChangesAfterAck} leader changes` : undefined,
);
const somePowerLoss = sometimes('power-loss-lost-data', 'a power loss dropped unsynced records', ({ ledger }) =>
  ledger.events.powerLossLostEntries > 0 ? `${ledger.events.powerLossLostEntries} entries lost` : undefined,
);
const someIsrShrink = sometimes('isr-shrank', 'the ISR shrank', ({ ledger }) =>
  ledger.events.isrShrinks > 0 ? `${ledger.events.isrShrinks} shrinks` : undefined,
);
const someRetry = sometimes('producer-retried', 'a producer sent a batch again', ({ ledger }) =>
  ledger.events.producerRetries > 0 ? `${ledger.events.producerRetries} retries` : undefined,
);

export const INVARIANTS: readonly Invariant[] = [
  noAckedWriteLost,
  leaderCompleteness,
  offsetStability,
  logMatching,
  highWatermarkMonotonic,
  noDuplicate,
  perPartitionOrder,
  oneOffsetPerAck,
  healedClusterConverges,
  ackedWritesRead,
  oracleAgrees,
  someAck,
  someTruncation,
  someLeaderChange,
  somePowerLoss,
  someIsrShrink,
  someRetry,
];

export function invariant(name: string): Invariant {
  const found = INVARIANTS.find((i) => i.name === name);
  if (found === undefined) throw new Error(`no invariant named ${name}`);
  return found;
}

/**
 * Ghost state of the exactly-once pipeline: what the invariants must remember and no broker
 * knows. It only states the guarantees, never drives the world.
 *
 * - the input values the input producer was asked to send;
 * - every record the downstream verifier read, by `partition@offset` (with the step);
 * - the highest last stable offset each output partition ever exposed (a read under
 *   read_committed must stay below it), and per leader incarnation the LSO it last exposed
 *   (LSO monotonic);
 * - the coordinator epoch of the first transaction-coordinator election;
 * - counters of interesting events, for the `sometimes` twins.
 */
import type { EosPartitionView, EosView } from './view.ts';

export interface VerifierRead {
  readonly key: string;
  readonly offset: number;
  readonly value: string;
  readonly step: number;
  /** The highest LSO of the partition observed when the read was recorded. */
  readonly lsoSeen: number;
}

export interface EosEvents {
  /** A superseded (replaced) instance that was paused came back. */
  zombiesResumed: number;
  /** A superseded instance's producer was fenced (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH). */
  zombiesFenced: number;
  /** A transaction completed in another consumer generation than it began in. */
  rebalancesMidTxn: number;
  commits: number;
  aborts: number;
}

export class EosLedger {
  readonly inputsSent: string[] = [];
  private readonly reads = new Map<string, VerifierRead>();
  /** Reads of one `partition@offset` that returned different values (never expected). */
  readonly readConflicts: { key: string; values: [string, string] }[] = [];
  private readonly maxLso = new Map<string, number>();
  private readonly leaderLso = new Map<string, number>();
  private readVersion = 0;
  firstCoordinatorEpoch: number | null = null;
  readonly events: EosEvents = { zombiesResumed: 0, zombiesFenced: 0, rebalancesMidTxn: 0, commits: 0, aborts: 0 };

  recordInputSent(value: string): void {
    this.inputsSent.push(value);
  }

  /** The verifier's poll returned these records. */
  recordVerifierPoll(records: readonly { key: string; offset: number; value: string }[], step: number): void {
    for (const r of records) {
      const id = `${r.key}@${r.offset}`;
      const before = this.reads.get(id);
      if (before !== undefined) {
        if (before.value !== r.value) this.readConflicts.push({ key: id, values: [before.value, r.value] });
        continue;
      }
      this.reads.set(id, { ...r, step, lsoSeen: this.maxLso.get(r.key) ?? 0 });
      this.readVersion++;
    }
  }

  verifierReads(): VerifierRead[] {
    return [...this.reads.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.offset - b.offset));
  }

  /** The LSO regressions the view shows against what each leader incarnation exposed before. */
  lsoRegressions(view: EosView): { name: string; leaderKey: string; before: number; now: number }[] {
    const regressions: { name: string; leaderKey: string; before: number; now: number }[] = [];
    for (const p of partitionsOf(view)) {
      if (p.leaderKey === null) continue;
      const before = this.leaderLso.get(`${p.name}|${p.leaderKey}`);
      if (before !== undefined && p.lastStableOffset < before) regressions.push({ name: p.name, leaderKey: p.leaderKey, before, now: p.lastStableOffset });
    }
    return regressions;
  }

  /** Remember what the view exposes (after the invariants judged it). */
  observe(view: EosView): void {
    for (const p of partitionsOf(view)) {
      if (p.leaderKey === null) continue;
      this.maxLso.set(p.name, Math.max(this.maxLso.get(p.name) ?? 0, p.lastStableOffset));
      const key = `${p.name}|${p.leaderKey}`;
      this.leaderLso.set(key, Math.max(this.leaderLso.get(key) ?? 0, p.lastStableOffset));
    }
  }

  highestLso(name: string): number {
    return this.maxLso.get(name) ?? 0;
  }

  /** Changes whenever a new read is recorded (the runner's re-judge key). */
  version(): number {
    return this.readVersion;
  }
}

function partitionsOf(view: EosView): EosPartitionView[] {
  return [...view.inputs, ...view.outputs, view.offsetsLog];
}

/**
 * Ghost state: what the invariants need to remember and no broker knows. It exists only to
 * state the guarantees (as Vanlightly's `inv_pos_acked` / `inv_true_hwm` ghost variables in
 * `kip_966_properties.tla`), never to drive the simulated cluster.
 *
 * - the acked-write ledger: every write a client was told succeeded, with its offset;
 * - the committed view: for each offset, the first value seen below a current leader's
 *   high watermark (offset stability is judged against it);
 * - per leader incarnation (broker, leader epoch), the last high watermark it exposed;
 * - what consumers read;
 * - counters of interesting events, for the `sometimes` twins.
 */
import { assert } from '../src/core/assert.ts';
import { currentLeader, entryAt, type ReplicaView, type WorldView } from './view.ts';

export interface AckedWrite {
  readonly value: string;
  readonly offset: number;
  /** The world step at which the client saw the acknowledgement. */
  readonly step: number;
}

export interface CommittedOffset {
  readonly value: string;
  readonly step: number;
  readonly brokerId: number;
}

/** Counters of what happened in one history; each names a `sometimes` twin's witness. */
export interface GhostEvents {
  /** Log entries removed by a truncation (follower reconciliation or a HW-based one). */
  truncatedEntries: number;
  /** Times the controller's leader changed while an acknowledged write existed. */
  leaderChangesAfterAck: number;
  /** Log entries lost by a power loss (unsynced page cache dropped). */
  powerLossLostEntries: number;
  /** Times the controller's ISR shrank. */
  isrShrinks: number;
  /** Produce requests a producer sent again for a batch it had sent before. */
  producerRetries: number;
  /** Process crashes and power losses performed. */
  crashes: number;
}

export class Ledger {
  private readonly acked = new Map<string, AckedWrite>();
  private readonly sendOrder = new Map<string, number>();
  private readonly committed = new Map<number, CommittedOffset>();
  private readonly leaderHighWatermarks = new Map<string, number>();
  private readonly consumed = new Map<string, number[]>();
  private sortedAcks: AckedWrite[] | undefined;
  private lastLeader = -1;
  private lastIsrSize = -1;
  readonly events: GhostEvents = {
    truncatedEntries: 0,
    leaderChangesAfterAck: 0,
    powerLossLostEntries: 0,
    isrShrinks: 0,
    producerRetries: 0,
    crashes: 0,
  };

  /** A client invoked a send of `value` (values are unique per partition). */
  recordSend(value: string): void {
    if (!this.sendOrder.has(value)) this.sendOrder.set(value, this.sendOrder.size);
  }

  /** A client saw `value` acknowledged at `offset`. */
  recordAck(value: string, offset: number, step: number): void {
    assert(Number.isInteger(offset) && offset >= 0, `ack of ${value} at offset ${offset}`);
    const previous = this.acked.get(value);
    // A second ack (a retried duplicate answered with its original offset) must agree.
    if (previous !== undefined && previous.offset !== offset) {
      this.ackConflicts.push({ value, offsets: [previous.offset, offset] });
      return;
    }
    if (previous === undefined) {
      this.acked.set(value, { value, offset, step });
      this.sortedAcks = undefined;
    }
  }

  /** Two acknowledgements of one value at different offsets (a duplicate the client was told about). */
  readonly ackConflicts: { value: string; offsets: [number, number] }[] = [];

  /** A consumer read `value` at `offset` (a duplicated value is read at several offsets). */
  recordConsumed(value: string, offset: number): void {
    const offsets = this.consumed.get(value);
    if (offsets === undefined) this.consumed.set(value, [offset]);
    else if (!offsets.includes(offset)) offsets.push(offset);
  }

  /** Acknowledged writes by offset (cached: the invariants read it after every step). */
  ackedWrites(): readonly AckedWrite[] {
    this.sortedAcks ??= [...this.acked.values()].sort((a, b) => a.offset - b.offset || compare(a.value, b.value));
    return this.sortedAcks;
  }

  /** Changes whenever anything the invariants read from the ledger changes. */
  size(): string {
    return `${this.acked.size}/${this.ackConflicts.length}/${this.committed.size}/${this.consumed.size}/${this.sendOrder.size}`;
  }

  sendIndex(value: string): number | undefined {
    return this.sendOrder.get(value);
  }

  /** The highest offset a consumer read (-1 if none). */
  maxConsumedOffset(): number {
    let max = -1;
    for (const offsets of this.consumed.values()) for (const o of offsets) max = Math.max(max, o);
    return max;
  }

  /** Values a consumer read at more than one offset (duplicates in the log), sorted. */
  valuesReadTwice(): string[] {
    return [...this.consumed].filter(([, offsets]) => offsets.length > 1).map(([value]) => value).sort(compare);
  }

  /** The offsets a consumer read `value` at ([] if it never did). */
  consumedAt(value: string): readonly number[] {
    return this.consumed.get(value) ?? [];
  }

  committedAt(offset: number): CommittedOffset | undefined {
    return this.committed.get(offset);
  }

  /** Every offset seen committed, in offset order (offsets are committed in order). */
  committedOffsets(): IterableIterator<[number, CommittedOffset]> {
    return this.committed.entries();
  }

  /** Fold one world step into the ghost state (after the invariants judged it). */
  observe(view: WorldView): void {
    this.observeController(view);
    const leader = currentLeader(view);
    if (leader === undefined) return;
    const key = incarnationKey(leader);
    this.leaderHighWatermarks.set(key, Math.max(this.leaderHighWatermarks.get(key) ?? 0, leader.highWatermark));
    for (let offset = 0; offset < leader.highWatermark; offset++) {
      const entry = entryAt(leader, offset);
      if (entry === undefined || this.committed.has(offset)) continue;
      this.committed.set(offset, { value: entry.value, step: view.step, brokerId: leader.brokerId });
    }
  }

  /** The highest high watermark this leader incarnation (broker, epoch, process lifetime) exposed. */
  leaderHighWatermark(replica: ReplicaView): number | undefined {
    return this.leaderHighWatermarks.get(incarnationKey(replica));
  }

  private observeController(view: WorldView): void {
    const { leader, isr } = view.controller;
    if (this.lastLeader !== -1 && leader !== this.lastLeader && this.acked.size > 0) this.events.leaderChangesAfterAck++;
    if (leader !== -1) this.lastLeader = leader;
    if (this.lastIsrSize !== -1 && isr.length < this.lastIsrSize) this.events.isrShrinks++;
    this.lastIsrSize = isr.length;
  }
}

function incarnationKey(replica: ReplicaView): string {
  return `${replica.brokerId}@${replica.leaderEpoch}#${replica.incarnation}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The simulated network: an explicit multiset of in-flight envelopes, nothing delivered
 * behind the simulator's back.
 *
 * Fault model (what the network may do, each only when the scenario chooses it):
 * - delay: a message stays in flight while anything else happens (time included);
 * - reorder: messages on different links are delivered in any order; on one link (one TCP
 *   connection) in send order, unless the scenario spends a `reorder` fault on it;
 * - drop / duplicate: a chosen envelope vanishes, or a copy of it is queued;
 * - partition: a cut link loses what is in flight on it and everything sent over it until
 *   it heals (a TCP connection that breaks loses its buffers);
 * - a crashed node loses the messages addressed to it (its connections are reset).
 *
 * Envelopes are numbered in send order; every listing is in that order, so a choice made
 * by index replays exactly.
 */
import { assert } from '../core/assert.ts';

export type NodeName = string;

export interface Envelope<M> {
  readonly id: number;
  readonly from: NodeName;
  readonly to: NodeName;
  readonly message: M;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  lostToPartition: number;
}

export class Network<M> {
  private nextId = 0;
  private inFlight: Envelope<M>[] = [];
  private readonly cut = new Set<string>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0, lostToPartition: 0 };

  /** Queue a message; lost at once when the link is cut. */
  send(from: NodeName, to: NodeName, message: M): Envelope<M> | undefined {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.lostToPartition++;
      return undefined;
    }
    const envelope = { id: this.nextId++, from, to, message };
    this.inFlight.push(envelope);
    return envelope;
  }

  /** Everything in flight, in send order. */
  pending(): readonly Envelope<M>[] {
    return this.inFlight;
  }

  /** The envelopes that a FIFO link may deliver now: the oldest one of each link. */
  heads(): Envelope<M>[] {
    const seen = new Set<string>();
    const heads: Envelope<M>[] = [];
    for (const e of this.inFlight) {
      const link = `${e.from}>${e.to}`;
      if (seen.has(link)) continue;
      seen.add(link);
      heads.push(e);
    }
    return heads;
  }

  /** Remove an envelope for delivery; counts a reorder when it overtakes one on its link. */
  take(id: number): Envelope<M> {
    const index = this.indexOf(id);
    const envelope = this.inFlight[index] as Envelope<M>;
    const overtakes = this.inFlight.slice(0, index).some((e) => e.from === envelope.from && e.to === envelope.to);
    if (overtakes) this.stats.reordered++;
    this.inFlight.splice(index, 1);
    this.stats.delivered++;
    return envelope;
  }

  drop(id: number): Envelope<M> {
    const index = this.indexOf(id);
    const [envelope] = this.inFlight.splice(index, 1);
    this.stats.dropped++;
    return envelope as Envelope<M>;
  }

  /** Queue a copy of an in-flight envelope (delivered later, after the original's successors). */
  duplicate(id: number): Envelope<M> {
    const original = this.inFlight[this.indexOf(id)] as Envelope<M>;
    const copy = { ...original, id: this.nextId++ };
    this.inFlight.push(copy);
    this.stats.duplicated++;
    return copy;
  }

  /** Cut every link between `node` and each of `others`, losing what is in flight on them. */
  isolate(node: NodeName, others: readonly NodeName[]): void {
    for (const other of others) if (other !== node) this.cut.add(linkKey(node, other));
    this.loseCutMessages();
  }

  /** Restore every link. */
  heal(): void {
    this.cut.clear();
  }

  isCut(a: NodeName, b: NodeName): boolean {
    return this.cut.has(linkKey(a, b));
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** A crashed node's connections reset: the messages addressed to it are lost. */
  loseMessagesTo(node: NodeName): number {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((e) => e.to !== node);
    const lost = before - this.inFlight.length;
    this.stats.dropped += lost;
    return lost;
  }

  private loseCutMessages(): void {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((e) => !this.isCut(e.from, e.to));
    this.stats.lostToPartition += before - this.inFlight.length;
  }

  private indexOf(id: number): number {
    const index = this.inFlight.findIndex((e) => e.id === id);
    assert(index >= 0, `no envelope ${id} in flight`);
    return index;
  }
}

function linkKey(a: NodeName, b: NodeName): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

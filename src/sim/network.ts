/**
 * The simulated network: an explicit multiset of in-flight envelopes, nothing delivered
 * behind the simulator's back.
 *
 * Every envelope has a delivery time: the send time plus a latency the sender's step drew
 * (so messages on different links interleave in any order), never earlier than the last
 * one on its link (one TCP connection delivers in order).
 *
 * Fault model (what the network may do, each only when the scenario chooses it):
 * - delay: one message arrives much later, after its successors on the same link;
 * - reorder: one message is delivered at once, ahead of older ones;
 * - drop / duplicate: a chosen envelope vanishes, or a copy of it is queued;
 * - partition: a cut link loses what is in flight on it and everything sent over it until
 *   it heals (a TCP connection that breaks loses its buffers); a cut may isolate a node
 *   from everyone or separate just two nodes (a partial partition: a leader cut from the
 *   controller that still serves its followers);
 * - slow link: every message sent one way over one link arrives `ms` later than it would,
 *   still in order (a backlogged controller-to-broker request queue, a congested route);
 * - a crashed node's connections are reset: what it sent and what was addressed to it and
 *   not yet read is lost (so no response ever reaches a later incarnation of the process).
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
  /** Logical time (ms) at which it arrives. */
  readonly deliverAt: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  reordered: number;
  lostToPartition: number;
}

export class Network<M> {
  private nextId = 0;
  private inFlight: Envelope<M>[] = [];
  private readonly cut = new Set<string>();
  private readonly lastDeliverAt = new Map<string, number>();
  /** Extra latency per directed link `from>to`, until healed. */
  private readonly slowLinks = new Map<string, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0, lostToPartition: 0 };

  /** Queue a message; lost at once when the link is cut. */
  send(from: NodeName, to: NodeName, message: M, deliverAt: number): Envelope<M> | undefined {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.lostToPartition++;
      return undefined;
    }
    const link = `${from}>${to}`;
    const at = Math.max(deliverAt + (this.slowLinks.get(link) ?? 0), this.lastDeliverAt.get(link) ?? 0);
    this.lastDeliverAt.set(link, at);
    const envelope = { id: this.nextId++, from, to, message, deliverAt: at };
    this.inFlight.push(envelope);
    return envelope;
  }

  /** The envelope that arrives first (earliest delivery time, then send order). */
  next(): Envelope<M> | undefined {
    let best: Envelope<M> | undefined;
    for (const e of this.inFlight) if (best === undefined || e.deliverAt < best.deliverAt) best = e;
    return best;
  }

  /** Everything in flight, in send order. */
  pending(): readonly Envelope<M>[] {
    return this.inFlight;
  }

  /** Remove an envelope for delivery; counts a reorder when it overtakes one sent before it on its link. */
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

  /** Queue a copy of an in-flight envelope, arriving `laterMs` after the original. */
  duplicate(id: number, laterMs: number): Envelope<M> {
    const original = this.inFlight[this.indexOf(id)] as Envelope<M>;
    const copy = { ...original, id: this.nextId++, deliverAt: original.deliverAt + laterMs };
    this.inFlight.push(copy);
    this.stats.duplicated++;
    return copy;
  }

  /** Hold an envelope back by `ms` (it may then arrive after its successors on the link). */
  delay(id: number, ms: number): Envelope<M> {
    const index = this.indexOf(id);
    const original = this.inFlight[index] as Envelope<M>;
    const delayed = { ...original, deliverAt: original.deliverAt + ms };
    this.inFlight[index] = delayed;
    this.stats.delayed++;
    return delayed;
  }

  /** Cut every link between `node` and each of `others`, losing what is in flight on them. */
  isolate(node: NodeName, others: readonly NodeName[]): void {
    for (const other of others) if (other !== node) this.cut.add(linkKey(node, other));
    this.loseCutMessages();
  }

  /** Cut the link between `a` and `b` both ways (only that link), losing what is in flight on it. */
  partition(a: NodeName, b: NodeName): void {
    assert(a !== b, `partition of ${a} from itself`);
    this.cut.add(linkKey(a, b));
    this.loseCutMessages();
  }

  /** Messages sent from `from` to `to` from now on arrive `ms` later (per-link order kept). */
  slow(from: NodeName, to: NodeName, ms: number): void {
    assert(from !== to && ms >= 0, `slow link ${from}>${to} by ${ms} ms`);
    this.slowLinks.set(`${from}>${to}`, ms);
  }

  /** Restore every link: cuts and slow links. */
  heal(): void {
    this.cut.clear();
    this.slowLinks.clear();
  }

  slowLinkList(): string[] {
    return [...this.slowLinks.keys()].sort();
  }

  isCut(a: NodeName, b: NodeName): boolean {
    return this.cut.has(linkKey(a, b));
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** A crashed node's connections reset: the messages to and from it are lost. */
  loseConnectionsOf(node: NodeName): number {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((e) => e.to !== node && e.from !== node);
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

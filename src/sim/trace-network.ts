/**
 * The simulator's in-flight messages as the explorer's network holds them, for the trace
 * driver: per-link FIFO (the head of a link is its first message in send order), and the
 * explorer's network order (by link name `from>to`, FIFO within a link), which is what a
 * `drop`, `duplicate` or `reorder {index}` counts in.
 *
 * One difference is kept apart as **ghosts**: the messages a broker had sent when it
 * crashed. The simulator loses them (a crash resets the broker's connections, network.ts);
 * the explorer keeps them in flight (model/explore/world.ts `crash` removes only the
 * messages *to* the broker) until their addressee goes down too. A ghost stands where the
 * explorer has the message: first on its link (everything the broker sends after it
 * restarts comes later), so a step that needs it is refused with the reason, and the
 * indices of the others stay the explorer's.
 */
import type { ProtocolMessage } from '../protocol/messages.ts';
import type { Envelope, Network } from './network.ts';
import { type NamedMessage, nameOf } from './trace-messages.ts';

export type SimEnvelope = Envelope<ProtocolMessage>;

export interface Ghost {
  readonly ghost: true;
  readonly from: string;
  readonly to: string;
  readonly named: NamedMessage;
  /** The trace step whose crash lost it. */
  readonly step: number;
}

export class TraceNetwork {
  private ghosts: Ghost[] = [];

  constructor(private readonly network: Network<ProtocolMessage>) {}

  pending(): readonly SimEnvelope[] {
    return this.network.pending();
  }

  /** The link's messages in the explorer's order: its ghosts, then the simulator's in send order. */
  link(from: string, to: string): (SimEnvelope | Ghost)[] {
    return [...this.ghosts.filter((g) => g.from === from && g.to === to), ...this.pending().filter((e) => e.from === from && e.to === to)];
  }

  /** Everything in flight in the explorer's network order. */
  inExplorerOrder(): (SimEnvelope | Ghost)[] {
    const names = [...new Set([...this.ghosts, ...this.pending()].map((e) => `${e.from}>${e.to}`))].sort();
    return names.flatMap((name) => {
      const [from = '', to = ''] = name.split('>');
      return this.link(from, to);
    });
  }

  isHead(e: SimEnvelope): boolean {
    return this.link(e.from, e.to)[0] === e;
  }

  ids(): Set<number> {
    return new Set(this.pending().map((e) => e.id));
  }

  sentSince(before: ReadonlySet<number>): SimEnvelope[] {
    return this.pending().filter((e) => !before.has(e.id));
  }

  /** `node` goes down at `step`: the explorer drops what was on its way to it and keeps what it had sent. */
  crashing(node: string, step: number): void {
    this.ghosts = this.ghosts.filter((g) => g.to !== node);
    for (const e of this.pending()) if (e.from === node) this.ghosts.push({ ghost: true, from: e.from, to: e.to, named: nameOf(e.from, e.to, e.message), step });
  }

  /** Why the simulator does not have `ghost` (a clause following the ghost's name). */
  static lost(ghost: Ghost): string {
    return `which the simulator lost when ${ghost.from} went down at step ${ghost.step} (a crash resets a broker's connections; the explorer keeps what it had sent)`;
  }
}

export function isGhost(e: SimEnvelope | Ghost): e is Ghost {
  return 'ghost' in e;
}

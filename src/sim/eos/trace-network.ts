/**
 * The exactly-once simulator's in-flight messages as the transactions explorer's network
 * holds them (model/explore/txn/world.ts), for trace replay:
 *
 * - **names**: a leader's KIP-890 verification is sent to `txn-coordinator-of:<id>`; the
 *   simulator resolves that when it delivers, the explorer's host when it sends (to
 *   broker-0): here it is named by the broker leading `__transaction_state-0`;
 * - **links**: one direction of one connection (requests A→B, and B's answers to them, are
 *   two links), FIFO; a link's head is its first message in send order;
 * - **order**: the explorer's network is in send order (a duplicate's copy last), which is
 *   what `drop`, `duplicate` and `reorder {index}` count in; so is the simulator's.
 *
 * One difference is kept apart as **ghosts**: what the coordinator had sent when it failed
 * over. The simulator loses it (a crash resets the broker's connections, network.ts); the
 * explorer keeps it in flight (a dead coordinator's requests as from `broker-0-dead`,
 * actions.ts `failover`). A ghost keeps its place in send order, so a step that needs it
 * is refused with the reason, and the other messages keep the explorer's indices.
 */
import type { ProtocolMessage } from '../../protocol/messages.ts';
import { describeEnvelope } from '../../../model/explore/txn/actions.ts';
import { COORDINATOR_NODE, DEAD_COORDINATOR_NODE, type Envelope, type Link, isResponse, onLink } from '../../../model/explore/txn/world.ts';
import type { Envelope as NetEnvelope } from '../network.ts';
import { brokerName } from '../roles.ts';
import { TXN_LOG } from './topology.ts';
import type { EosWorld } from './world.ts';

export type SimEnvelope = NetEnvelope<ProtocolMessage>;

export interface LostMessage {
  readonly ghost: true;
  /** The simulator's envelope id it had (its place in send order). */
  readonly id: number;
  /** As the explorer names it (a dead coordinator's request is from `broker-0-dead`). */
  readonly envelope: Envelope;
  /** The trace step whose failover lost it. */
  readonly step: number;
}

export type InFlight = SimEnvelope | LostMessage;

export function isLost(e: InFlight): e is LostMessage {
  return 'ghost' in e;
}

export class TxnTraceNetwork {
  private lost: LostMessage[] = [];
  /** The simulator's coordinator epochs by the explorer's (see `coordinatorElected`). */
  private readonly epochs = new Map<number, number>([[0, 0]]);

  constructor(private readonly world: EosWorld) {}

  /** The message as the explorer names it: `txn-coordinator-of:<id>` resolved. */
  named(e: InFlight): Envelope {
    if (isLost(e)) return e.envelope;
    const leader = this.world.leaderOf(TXN_LOG);
    const to = e.to.startsWith('txn-coordinator-of:') ? (leader < 0 ? COORDINATOR_NODE : brokerName(leader)) : e.to;
    const epoch = (e.message as { coordinatorEpoch?: number }).coordinatorEpoch;
    const renamed = epoch === undefined ? undefined : this.epochs.get(epoch);
    const message = renamed === undefined || renamed === epoch ? e.message : ({ ...e.message, coordinatorEpoch: renamed } as ProtocolMessage);
    return { from: e.from, to, message };
  }

  /**
   * The coordinator was elected again in the simulator's coordinator epoch `epoch`: the
   * explorer's next one. The controller counts the leaderless interval of a failover as an
   * epoch too (0, 2, 4, ... where the explorer counts 0, 1, 2, ...); epochs are only ever
   * compared, so messages are named with the explorer's.
   */
  coordinatorElected(epoch: number): number {
    const next = Math.max(...this.epochs.values()) + 1;
    this.epochs.set(epoch, next);
    return next;
  }

  /** The step text's way of naming it (`from→to Type ...`, actions.ts describeEnvelope). */
  text(e: InFlight): string {
    return describeEnvelope(this.named(e));
  }

  /** Everything in flight, in the explorer's order (send order, lost messages in their places). */
  inExplorerOrder(): InFlight[] {
    return [...this.lost, ...this.world.network.pending()].sort((a, b) => a.id - b.id);
  }

  /** The explorer's network: what its actions and timer rules read (actions.ts `timerKind`). */
  explorerEnvelopes(): Envelope[] {
    return this.inExplorerOrder().map((e) => this.named(e));
  }

  linkOf(e: InFlight): Link {
    const named = this.named(e);
    return { from: named.from, to: named.to, response: isResponse(named) };
  }

  onLink(link: Link): InFlight[] {
    return this.inExplorerOrder().filter((e) => onLink(this.named(e), link));
  }

  head(link: Link): InFlight | undefined {
    return this.onLink(link)[0];
  }

  /**
   * The coordinator on broker-0 fails over at `step`: the explorer drops what was on its way
   * to broker-0 and keeps what broker-0 had sent, its requests as from the dead process.
   */
  failingOver(step: number): void {
    this.lost = this.lost.filter((g) => g.envelope.to !== COORDINATOR_NODE);
    for (const e of this.world.network.pending()) {
      if (e.from !== COORDINATOR_NODE) continue;
      const envelope = isResponse(e) ? { from: e.from, to: e.to, message: e.message } : { from: DEAD_COORDINATOR_NODE, to: e.to, message: { ...e.message, from: DEAD_COORDINATOR_NODE } as ProtocolMessage };
      this.lost.push({ ghost: true, id: e.id, envelope, step });
    }
  }

  /** Why the simulator does not have `lost` (a clause following its name). */
  static why(lost: LostMessage): string {
    return `which the simulator lost when broker-0's coordinator failed over at step ${lost.step} (a crash resets a broker's connections; the explorer keeps what the dead coordinator had sent)`;
  }
}

/**
 * The seam between the machines (the specification) and the simulated world that hosts
 * them. A machine never performs I/O: every consequence of a transition is an **effect**,
 * emitted as data with xstate's `emit(...)`, which the host (src/sim, or the explorer in
 * model/) carries out:
 *
 * - `send`: put a protocol message on the network, addressed to a node. The network may
 *   delay, drop, duplicate or reorder it; the machine must cope (Kafka's requests are
 *   retried and fenced by epochs, not delivered reliably).
 * - `storage`: a command for this node's log of one partition (append, flush, truncate,
 *   checkpoint), carried out on segment files by the host. The machine's own context keeps
 *   the abstract log it expects; after a crash the host rebuilds that context from what
 *   storage recovery returns, so the two are compared (refinement) rather than trusted.
 * - `setTimer` / `cancelTimer`: explicit timers on the host's logical clock; when a timer
 *   fires the host delivers `event` to the same machine.
 * - `client`: a client-visible outcome (invoke/ok/fail/info of an operation), recorded by
 *   the host in the history format of `shared/contracts/history.md`.
 *
 * Machines emit effects with `emit(effect)`; `step()` (step.ts) returns them in order.
 */
import type { ProtocolMessage } from '../protocol/messages.ts';
import type { StorageCommand } from '../protocol/storage.ts';
import type { ClientEvent } from '../protocol/client.ts';

/** A node of the simulated cluster: `broker-0`, `controller`, `producer-0`, `consumer-0`, ... */
export type NodeId = string;

export interface SendEffect {
  readonly type: 'send';
  readonly to: NodeId;
  readonly message: ProtocolMessage;
}

export interface StorageEffect {
  readonly type: 'storage';
  readonly command: StorageCommand;
}

export interface SetTimerEffect {
  readonly type: 'setTimer';
  /** Unique per machine; setting an existing id replaces that timer. */
  readonly id: string;
  readonly delayMs: number;
  /** The event delivered to the machine when the timer fires. */
  readonly event: { readonly type: string };
}

export interface CancelTimerEffect {
  readonly type: 'cancelTimer';
  readonly id: string;
}

export interface ClientEffect {
  readonly type: 'client';
  readonly event: ClientEvent;
}

export type Effect = SendEffect | StorageEffect | SetTimerEffect | CancelTimerEffect | ClientEffect;

/**
 * The discrete-event core both simulated worlds share (the replication world, world.ts,
 * and the exactly-once world, eos/world.ts): of the next message arrival and the next
 * timer, whichever is due first at or before `until` happens next; a message wins a tie
 * with a timer. A message moves the clock to its arrival and is taken off the network for
 * the caller to deliver; a timer is left for the caller to fire (each world routes timer
 * payloads its own way).
 */
import type { Envelope, Network } from './network.ts';
import type { TimerQueue } from './timers.ts';

export type NextEvent<M> = { readonly kind: 'message'; readonly envelope: Envelope<M> } | { readonly kind: 'timer' };

export function takeNextEvent<M, T>(network: Network<M>, clock: TimerQueue<T>, until: number): NextEvent<M> | undefined {
  const envelope = network.next();
  const timer = clock.peek();
  const messageAt = envelope?.deliverAt ?? Infinity;
  const timerAt = timer?.deadlineMs ?? Infinity;
  if (Math.min(messageAt, timerAt) > until) return undefined;
  if (envelope !== undefined && messageAt <= timerAt) {
    clock.advanceTo(Math.max(clock.now(), messageAt));
    return { kind: 'message', envelope: network.take(envelope.id) };
  }
  return { kind: 'timer' };
}

/**
 * The small kit every machine here is written with: a handler is a pure function
 * `(context, event) => Outcome` (the new context, the effects to emit in order, and the
 * reason when it changed nothing), and `perform(handler)` turns it into an xstate action
 * that assigns the context and emits the effects. Handlers are exported so tests can call
 * them directly and check the reason of an early return.
 */
import { enqueueActions } from 'xstate';
import type { Effect } from './effects.ts';
import type { ProtocolMessage, NodeId } from '../protocol/messages.ts';
import type { StorageCommand } from '../protocol/storage.ts';

export interface Outcome<C> {
  readonly context: C;
  readonly effects: readonly Effect[];
  /** Why the handler returned early (nothing changed), or null when it acted. */
  readonly reason: string | null;
}

export type Handler<C, E> = (context: C, event: E) => Outcome<C>;

/** Nothing to do, for the named reason. */
export function ignore<C>(context: C, reason: string): Outcome<C> {
  return { context, effects: [], reason };
}

export function acted<C>(context: C, effects: readonly Effect[]): Outcome<C> {
  return { context, effects, reason: null };
}

export function send(to: NodeId, message: ProtocolMessage): Effect {
  return { type: 'send', to, message };
}

export function storage(command: StorageCommand): Effect {
  return { type: 'storage', command };
}

export function setTimer(id: string, delayMs: number, event: { readonly type: string }): Effect {
  return { type: 'setTimer', id, delayMs, event };
}

export function cancelTimer(id: string): Effect {
  return { type: 'cancelTimer', id };
}

/**
 * The xstate action that runs `handler`: assigns its context and emits its effects.
 * (Typed loosely at this one seam: setup() checks the machine's own event names.)
 */
export function perform<C extends object, E>(handler: Handler<C, E>): never {
  const action = enqueueActions(({ context, event, enqueue }) => {
    const outcome = handler(context as C, event as E);
    if (outcome.context !== context) enqueue.assign(() => outcome.context as never);
    for (const effect of outcome.effects) enqueue.emit(effect as never);
  });
  return action as never;
}

/** Sorted copy of broker ids (canonical order). */
export function sortedIds(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

export function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

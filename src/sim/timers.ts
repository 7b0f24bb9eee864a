/**
 * The timers of the simulated world on its one logical clock: at most one timer per id
 * (setting an id again replaces it), fired in deadline order, ties broken by id, so the
 * order never depends on insertion. Time moves only forward, to a timer's deadline or to
 * a message's arrival (world.ts), never by the wall clock.
 *
 * Same contract as src/core/clock.ts's LogicalClock, with an allocation-free lookup of the
 * next timer (the simulator asks for it after every event).
 */
import { assert } from '../core/assert.ts';

export interface Timer<T> {
  readonly id: string;
  readonly deadlineMs: number;
  readonly payload: T;
}

export class TimerQueue<T> {
  private nowMs = 0;
  private readonly timers = new Map<string, Timer<T>>();

  now(): number {
    return this.nowMs;
  }

  set(id: string, delayMs: number, payload: T): void {
    assert(delayMs >= 0, `negative timer delay ${delayMs} for ${id}`);
    this.timers.set(id, { id, deadlineMs: this.nowMs + delayMs, payload });
  }

  cancel(id: string): void {
    this.timers.delete(id);
  }

  /** The timer that fires next (earliest deadline, then smallest id), without removing it. */
  peek(): Timer<T> | undefined {
    let best: Timer<T> | undefined;
    for (const t of this.timers.values())
      if (best === undefined || t.deadlineMs < best.deadlineMs || (t.deadlineMs === best.deadlineMs && t.id < best.id)) best = t;
    return best;
  }

  /** Every timer, in firing order. */
  pending(): Timer<T>[] {
    return [...this.timers.values()].sort((a, b) => a.deadlineMs - b.deadlineMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Remove and return the timer `id` without moving the clock (trace replay fires timers by name). */
  take(id: string): Timer<T> | undefined {
    const timer = this.timers.get(id);
    this.timers.delete(id);
    return timer;
  }

  /** Advance to the next timer's deadline, remove and return it. */
  fireNext(): Timer<T> | undefined {
    const next = this.peek();
    if (next === undefined) return undefined;
    this.advanceTo(next.deadlineMs);
    this.timers.delete(next.id);
    return next;
  }

  advanceTo(ms: number): void {
    assert(ms >= this.nowMs, `time moves forward only: ${ms} < ${this.nowMs}`);
    this.nowMs = ms;
  }
}

/**
 * The one logical clock of the simulated world, in milliseconds. Time only moves when the
 * simulator advances it (to the next timer's deadline, or by an explicit step), never by
 * the wall clock.
 */
import { assert } from './assert.ts';

export interface Timer<T> {
  readonly id: string;
  readonly deadlineMs: number;
  readonly payload: T;
}

export class LogicalClock<T = unknown> {
  private nowMs = 0;
  private timers: Timer<T>[] = [];

  now(): number {
    return this.nowMs;
  }

  /** Set (or reset) the timer `id` to fire `delayMs` from now. */
  set(id: string, delayMs: number, payload: T): void {
    assert(delayMs >= 0, `negative timer delay ${delayMs} for ${id}`);
    this.cancel(id);
    this.timers.push({ id, deadlineMs: this.nowMs + delayMs, payload });
  }

  cancel(id: string): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  pending(): readonly Timer<T>[] {
    return [...this.timers].sort(byDeadlineThenId);
  }

  /** Advance to the earliest timer, remove and return it; undefined when none is set. */
  fireNext(): Timer<T> | undefined {
    const next = this.pending()[0];
    if (next === undefined) return undefined;
    this.advanceTo(next.deadlineMs);
    this.cancel(next.id);
    return next;
  }

  advanceTo(ms: number): void {
    assert(ms >= this.nowMs, `time moves forward only: ${ms} < ${this.nowMs}`);
    this.nowMs = ms;
  }
}

function byDeadlineThenId<T>(a: Timer<T>, b: Timer<T>): number {
  return a.deadlineMs - b.deadlineMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

import { describe, expect, it } from 'vitest';
import { LogicalClock } from '../../src/core/clock.ts';

describe('LogicalClock', () => {
  it('fires timers in deadline order, then id order, and moves time to each deadline', () => {
    const clock = new LogicalClock<string>();
    clock.set('b', 10, 'B');
    clock.set('a', 10, 'A');
    clock.set('c', 5, 'C');
    expect(clock.fireNext()?.payload).toBe('C');
    expect(clock.now()).toBe(5);
    expect(clock.fireNext()?.payload).toBe('A');
    expect(clock.fireNext()?.payload).toBe('B');
    expect(clock.now()).toBe(10);
    expect(clock.fireNext()).toBeUndefined();
  });

  it('resetting a timer replaces it; cancel removes it', () => {
    const clock = new LogicalClock<number>();
    clock.set('t', 100, 1);
    clock.set('t', 3, 2);
    clock.set('u', 1, 3);
    clock.cancel('u');
    expect(clock.pending().map((t) => [t.id, t.deadlineMs])).toEqual([['t', 3]]);
  });

  it('never moves backwards', () => {
    const clock = new LogicalClock();
    clock.advanceTo(5);
    expect(() => clock.advanceTo(4)).toThrow(/forward/);
  });
});

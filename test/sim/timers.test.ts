import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogicalClock } from '../../src/core/clock.ts';
import { TimerQueue } from '../../src/sim/timers.ts';

describe('TimerQueue', () => {
  it('fires in deadline order, ties by id, and replaces a timer set again', () => {
    const q = new TimerQueue<string>();
    q.set('b', 10, 'b1');
    q.set('a', 10, 'a1');
    q.set('c', 5, 'c1');
    q.set('b', 20, 'b2');
    expect(q.peek()?.id).toBe('c');
    expect([q.fireNext(), q.fireNext(), q.fireNext()].map((t) => t?.payload)).toEqual(['c1', 'a1', 'b2']);
    expect(q.now()).toBe(20);
    expect(q.fireNext()).toBeUndefined();
    expect(() => q.advanceTo(19)).toThrow(/forward only/);
  });

  it('fires exactly as src/core/clock.ts LogicalClock does, for any set/cancel/fire sequence', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.constantFrom('a', 'b', 'c', 'd'), delay: fc.nat({ max: 50 }) }),
      fc.record({ kind: fc.constant('cancel' as const), id: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ kind: fc.constant('fire' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new TimerQueue<number>();
        const c = new LogicalClock<number>();
        ops.forEach((o, i) => {
          if (o.kind === 'set') {
            q.set(o.id, o.delay, i);
            c.set(o.id, o.delay, i);
          } else if (o.kind === 'cancel') {
            q.cancel(o.id);
            c.cancel(o.id);
          } else expect(q.fireNext()).toEqual(c.fireNext());
          expect(q.pending()).toEqual(c.pending());
          expect(q.now()).toBe(c.now());
        });
      }),
      { numRuns: 300 },
    );
  });
});

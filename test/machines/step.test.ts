import { describe, expect, it } from 'vitest';
import { emit, raise, sendTo, setup } from 'xstate';
import { AssertionError } from '../../src/core/assert.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { start, step } from '../../src/machines/step.ts';

type Ev = { type: 'go' } | { type: 'inner' } | { type: 'bad' } | { type: 'later' };
const machine = setup({
  types: {} as { context: { n: number }; input: { n: number }; events: Ev; emitted: Effect },
}).createMachine({
  context: ({ input }) => ({ n: input.n }),
  entry: emit({ type: 'cancelTimer', id: 'boot' }),
  initial: 'a',
  states: {
    a: {
      on: {
        go: { target: 'b', actions: [emit({ type: 'cancelTimer', id: 'one' }), raise({ type: 'inner' }), emit({ type: 'cancelTimer', id: 'two' })] },
        bad: { actions: sendTo('nobody' as never, { type: 'x' } as never) },
        later: { actions: raise({ type: 'inner' }, { delay: 10 }) },
      },
    },
    b: { on: { inner: { target: 'c' } } },
    c: {},
  },
});

describe('step', () => {
  it('returns the emitted effects in order, and processes an undelayed raise inside the step', () => {
    const started = start(machine, { n: 1 });
    expect(started.effects).toEqual([{ type: 'cancelTimer', id: 'boot' }]);
    const next = step(machine, started.snapshot, { type: 'go' });
    expect(next.effects).toEqual([{ type: 'cancelTimer', id: 'one' }, { type: 'cancelTimer', id: 'two' }]);
    expect(next.snapshot.value).toBe('c');
    expect(started.snapshot.value).toBe('a'); // the old snapshot is untouched
  });

  it('an event nobody handles returns the same snapshot and no effects', () => {
    const started = start(machine, { n: 1 });
    const next = step(machine, started.snapshot, { type: 'inner' });
    expect(next.snapshot).toBe(started.snapshot);
    expect(next.effects).toEqual([]);
  });

  it('refuses machines that need a live actor (delayed raise, sendTo)', () => {
    const started = start(machine, { n: 1 });
    expect(() => step(machine, started.snapshot, { type: 'later' })).toThrow(AssertionError);
    expect(() => step(machine, started.snapshot, { type: 'bad' })).toThrow();
  });
});

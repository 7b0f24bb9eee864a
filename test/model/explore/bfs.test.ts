/**
 * The BFS checker on a model small enough to count by hand: the die-hard water jugs
 * (3 and 5 litres; fill, empty, pour). 16 reachable states; "never 4 litres in the big
 * jug" is violated, and the shortest way there takes 6 steps.
 */
import { describe, expect, it } from 'vitest';
import { type ExploreModel, explore } from '../../../model/explore/bfs.ts';

type Jugs = readonly [number, number];
type Move = 'fill-small' | 'fill-big' | 'empty-small' | 'empty-big' | 'small-to-big' | 'big-to-small';
const MOVES: readonly Move[] = ['fill-small', 'fill-big', 'empty-small', 'empty-big', 'small-to-big', 'big-to-small'];

function pour([s, b]: Jugs, move: Move): Jugs {
  switch (move) {
    case 'fill-small':
      return [3, b];
    case 'fill-big':
      return [s, 5];
    case 'empty-small':
      return [0, b];
    case 'empty-big':
      return [s, 0];
    case 'small-to-big': {
      const amount = Math.min(s, 5 - b);
      return [s - amount, b + amount];
    }
    case 'big-to-small': {
      const amount = Math.min(b, 3 - s);
      return [s + amount, b - amount];
    }
  }
}

function jugs(forbidden: number | null): ExploreModel<Jugs, Move> {
  return {
    initial: [0, 0],
    actions: () => MOVES,
    next: (state, move) => pour(state, move),
    key: ([s, b]) => `${s},${b}`,
    check: ([, b]) => (b === forbidden ? { invariant: 'big-jug-not-4', witness: `big jug holds ${b}` } : undefined),
    reached: ([s, b]) => (s === 3 && b === 5 ? [{ invariant: 'both-full', witness: 'both jugs full' }] : []),
    describe: (move) => move,
  };
}

describe('breadth-first exploration', () => {
  it('counts every reachable state when the invariant holds', () => {
    const result = explore(jugs(null));
    expect(result.exhaustive).toBe(true);
    expect(result.violation).toBeUndefined();
    expect(result.distinctStates).toBe(16);
    expect(result.transitions).toBe(16 * MOVES.length);
    expect(result.reached.get('both-full')?.depth).toBe(2);
  });

  it('twin: the same checker finds the violation, with a shortest trace that replays to it', () => {
    const result = explore(jugs(4));
    expect(result.exhaustive).toBe(false);
    expect(result.violation?.invariant).toBe('big-jug-not-4');
    expect(result.violation?.steps.map((s) => s.text)).toEqual(['fill-big', 'big-to-small', 'empty-small', 'big-to-small', 'fill-big', 'big-to-small']);
    expect(result.violation?.state).toEqual([3, 4]);
  });

  it('stops at maxStates and says it was not exhaustive', () => {
    const result = explore(jugs(null), { maxStates: 5 });
    expect(result.distinctStates).toBe(5);
    expect(result.exhaustive).toBe(false);
  });

  it('prunes successors beyond a bound (null) without counting them', () => {
    const bounded: ExploreModel<Jugs, Move> = { ...jugs(4), next: (state, move) => (pour(state, move)[1] > 3 ? null : pour(state, move)) };
    const result = explore(bounded);
    expect(result.violation).toBeUndefined();
    expect(result.exhaustive).toBe(true);
    expect(result.distinctStates).toBeLessThan(16);
  });
});

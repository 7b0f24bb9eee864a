/** Strongly connected components and shortest closed walks with required edge kinds. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, PROCESS, WR, WW, shortestCycleThrough, stronglyConnected } from '../../../model/history/graph.ts';

const everyone = (n: number) => new Int32Array(n).fill(1);

describe('strongly connected components', () => {
  it('finds the cycles and nothing else', () => {
    const g = new GraphBuilder(6);
    g.link(0, 1, WW); g.link(1, 2, WR); g.link(2, 0, WW); // a triangle
    g.link(2, 3, WR); g.link(3, 4, PROCESS); g.link(4, 5, WR); // a tail
    const graph = g.build();
    expect(stronglyConnected(graph, everyone(6), 1, WW | WR | PROCESS).cyclic).toEqual([[0, 1, 2]]);
    expect(stronglyConnected(graph, everyone(6), 1, WW).cyclic).toEqual([]);
  });

  it('agrees with reachability on random graphs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 30 }))), ([n, edges]) => {
        const g = new GraphBuilder(n);
        const reach = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j));
        for (const [a, b] of edges) if (a !== b) { g.link(a, b, WW); reach[a]![b] = true; }
        for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (reach[i]![k] && reach[k]![j]) reach[i]![j] = true;
        const { of } = stronglyConnected(g.build(), everyone(n), 1, WW);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(of[i] === of[j]).toBe(reach[i]![j]! && reach[j]![i]!);
      }),
      { numRuns: 200 },
    );
  });
});

describe('shortest closed walks', () => {
  it('uses every required kind, and none when a kind is missing', () => {
    const g = new GraphBuilder(4);
    g.link(0, 1, WR); g.link(1, 0, WW); // short cycle without process edges
    g.link(1, 2, PROCESS); g.link(2, 3, WR); g.link(3, 0, WW); // longer one with a process edge
    const graph = g.build();
    const { of } = stronglyConnected(graph, everyone(4), 1, WW | WR | PROCESS);
    const first = 0; // edge 0 -> 1 (wr) is stored first
    expect(shortestCycleThrough(graph, of, of[0]!, WW | WR, WR, first)?.length).toBe(2);
    const walk = shortestCycleThrough(graph, of, of[0]!, WW | WR | PROCESS, WR | PROCESS, first)!;
    expect(walk.map((e) => graph.kind[e])).toEqual([WR, PROCESS, WR, WW]);
    expect(shortestCycleThrough(graph, of, of[0]!, WR, WR, first)).toBeNull();
  });
});

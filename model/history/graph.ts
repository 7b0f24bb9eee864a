/**
 * A compact directed multigraph of operations with typed edges (ww, wr, process), its
 * strongly connected components (iterative Tarjan, linear) and a shortest closed walk
 * through an edge that uses every required kind of edge (breadth-first search over
 * (node, kinds seen) pairs, as Elle searches cycles within one component).
 */
import { assert } from '../../src/core/assert.ts';
import { Int32Column, Uint8Column } from './columns.ts';

export const WW = 1;
export const WR = 2;
export const PROCESS = 4;
export const EDGE_NAMES: Readonly<Record<number, string>> = { [WW]: 'ww', [WR]: 'wr', [PROCESS]: 'process' };

export class GraphBuilder {
  private readonly from: Int32Column;
  private readonly to: Int32Column;
  private readonly kinds: Uint8Column;

  /** `edges`: the expected number of edges (the columns grow past it if needed). */
  constructor(readonly nodes: number, edges = 1024) {
    const capacity = Math.max(16, edges);
    this.from = new Int32Column(capacity);
    this.to = new Int32Column(capacity);
    this.kinds = new Uint8Column(capacity);
  }

  link(from: number, to: number, kind: number): void {
    assert(from !== to, 'no self edges');
    this.from.push(from);
    this.to.push(to);
    this.kinds.push(kind);
  }

  build(): Digraph {
    return Digraph.fromCounts(this.nodes, this.from, this.to, this.kinds);
  }
}

export class Digraph {
  private constructor(
    readonly nodes: number,
    /** Edges of node v are [start[v], start[v + 1]). */
    readonly start: Int32Array,
    readonly source: Int32Array,
    readonly target: Int32Array,
    readonly kind: Uint8Array,
  ) {}

  static fromCounts(nodes: number, from: Int32Column, to: Int32Column, kinds: Uint8Column): Digraph {
    const edges = from.length;
    const start = new Int32Array(nodes + 1);
    for (let e = 0; e < edges; e++) start[from.get(e) + 1]! += 1;
    for (let v = 0; v < nodes; v++) start[v + 1]! += start[v]!;
    const fill = start.slice(0, nodes);
    const source = new Int32Array(edges);
    const target = new Int32Array(edges);
    const kind = new Uint8Array(edges);
    for (let e = 0; e < edges; e++) {
      const at = fill[from.get(e)]!++;
      source[at] = from.get(e);
      target[at] = to.get(e);
      kind[at] = kinds.get(e);
    }
    return new Digraph(nodes, start, source, target, kind);
  }
}

/** Components of the subgraph of nodes with `group[v] === member`, using edges of `mask` kinds. */
export interface Components {
  /** Component id of each member node (-1 for others). */
  readonly of: Int32Array;
  /** The components with at least two nodes (the only ones that can hold a cycle). */
  readonly cyclic: number[][];
}

export function stronglyConnected(g: Digraph, group: Int32Array, member: number, mask: number): Components {
  const n = g.nodes;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const of = new Int32Array(n).fill(-1);
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  const stack: number[] = [];
  const cyclic: number[][] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (group[root] !== member || order[root] !== -1) continue;
    let sp = 0;
    const enter = (v: number): void => {
      order[v] = low[v] = counter++;
      stack.push(v);
      onStack[v] = 1;
      callNode[sp] = v;
      callEdge[sp] = g.start[v]!;
      sp++;
    };
    enter(root);
    while (sp > 0) {
      const v = callNode[sp - 1]!;
      const e = callEdge[sp - 1]!;
      if (e < g.start[v + 1]!) {
        callEdge[sp - 1] = e + 1;
        const w = g.target[e]!;
        if ((g.kind[e]! & mask) === 0 || group[w] !== member) continue;
        if (order[w] === -1) enter(w);
        else if (onStack[w] === 1 && order[w]! < low[v]!) low[v] = order[w]!;
        continue;
      }
      sp--;
      if (sp > 0) {
        const parent = callNode[sp - 1]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
      if (low[v] !== order[v]) continue;
      const members: number[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack[w] = 0;
        of[w] = components;
        members.push(w);
        if (w === v) break;
      }
      components++;
      if (members.length > 1) cyclic.push(members.sort((x, y) => x - y));
    }
  }
  return { of, cyclic };
}

/**
 * The shortest closed walk that starts with edge `first`, stays inside component `component`
 * of `components`, uses only edges of `allowed` kinds, and includes every kind in `required`.
 * Returns its edges in order, or null when there is none.
 */
export function shortestCycleThrough(
  g: Digraph, of: Int32Array, component: number, allowed: number, required: number, first: number,
): number[] | null {
  const start = g.target[first]!;
  const goal = g.source[first]!;
  const initial = start * 8 + (g.kind[first]! & required);
  const wanted = goal * 8 + required;
  const parentEdge = new Map<number, number>([[initial, first]]);
  const parentState = new Map<number, number>([[initial, -1]]);
  let frontier = [initial];
  while (frontier.length > 0 && !parentEdge.has(wanted)) {
    const next: number[] = [];
    for (const state of frontier) {
      const v = Math.floor(state / 8);
      const seen = state % 8;
      for (let e = g.start[v]!; e < g.start[v + 1]!; e++) {
        const w = g.target[e]!;
        if ((g.kind[e]! & allowed) === 0 || of[w] !== component) continue;
        const after = w * 8 + (seen | (g.kind[e]! & required));
        if (parentEdge.has(after)) continue;
        parentEdge.set(after, e);
        parentState.set(after, state);
        next.push(after);
      }
    }
    frontier = next;
  }
  if (!parentEdge.has(wanted)) return null;
  const edges: number[] = [];
  for (let state = wanted; state !== initial; state = parentState.get(state)!) edges.push(parentEdge.get(state)!);
  edges.push(first);
  return edges.reverse();
}

/**
 * Dependency cycles (Jepsen `graph` + Elle `cycles!`). Nodes are the send, poll and txn
 * operations that did not fail. Edges:
 *
 * - ww (only with `wwDeps`): the sender of a value points to the sender of the next value in
 *   the key's version order;
 * - wr: the sender of a value points to every operation that read it;
 * - process: each operation points to the next one of the same process (Elle adds these for
 *   strict serializability; Jepsen's realtime edges are not built here).
 *
 * Types: `G0` (ww only), `G1c` (ww and wr, at least one wr), `G0-process` and `G1c-process`
 * (the same with process edges, at least one), and this project's `early-read` under
 * `read_committed`: a cycle of wr and process edges alone, which no read_committed execution
 * can produce (every read would follow its writer's commit, and each writer's commit its own
 * reads). One witness per strongly connected component of each type's edges: a shortest
 * closed walk with every edge explained.
 */
import { assert } from '../../../src/core/assert.ts';
import { F_POLL, F_SEND, F_TXN, TYPE_FAIL } from '../ingest.ts';
import type { Analysis, Findings } from '../analysis.ts';
import { EDGE_NAMES, GraphBuilder, PROCESS, WR, WW, shortestCycleThrough, stronglyConnected, type Digraph } from '../graph.ts';
import type { Witness } from '../types.ts';

interface CycleType {
  readonly name: string;
  readonly allowed: number;
  readonly required: number;
}

const CYCLE_TYPES: readonly CycleType[] = [
  { name: 'G0', allowed: WW, required: WW },
  { name: 'G1c', allowed: WW | WR, required: WR },
  { name: 'G0-process', allowed: WW | PROCESS, required: PROCESS | WW },
  { name: 'G1c-process', allowed: WW | WR | PROCESS, required: WR | PROCESS },
];
const EARLY_READ: CycleType = { name: 'early-read', allowed: WR | PROCESS, required: WR };

/** How many start edges to try per component when looking for a short witness. */
const CYCLE_CANDIDATES = 8;

export function cycles(a: Analysis, out: Findings): void {
  const { graph, isNode } = dependencyGraph(a);
  const all = stronglyConnected(graph, isNode, 1, WW | WR | PROCESS);
  if (all.cyclic.length === 0) return;
  const inCycle = new Int32Array(graph.nodes);
  for (const members of all.cyclic) for (const v of members) inCycle[v] = 1;
  const types = a.options.isolation === 'read_committed' ? [...CYCLE_TYPES, EARLY_READ] : CYCLE_TYPES;
  // One more linear pass per type: its components lie inside the cyclic components above.
  for (const type of types) {
    const parts = stronglyConnected(graph, inCycle, 1, type.allowed);
    for (const members of parts.cyclic) findCycle(a, out, graph, parts.of, members, type);
  }
}

/**
 * A strongly connected set of `allowed` edges holds a closed walk using every `required`
 * kind exactly when it holds an edge of each; the walk itself is searched only for the
 * witnesses kept.
 */
function findCycle(a: Analysis, out: Findings, g: Digraph, of: Int32Array, members: readonly number[], type: CycleType): void {
  const component = of[members[0]!]!;
  const starts: number[] = [];
  let kinds = 0;
  for (const v of members) {
    for (let e = g.start[v]!; e < g.start[v + 1]!; e++) {
      if ((g.kind[e]! & type.allowed) === 0 || of[g.target[e]!] !== component) continue;
      kinds |= g.kind[e]!;
      if ((g.kind[e]! & type.required) !== 0 && starts.length < CYCLE_CANDIDATES) starts.push(e);
    }
  }
  if ((kinds & type.required) !== type.required) return;
  out.report(type.name, () => {
    let best: number[] | null = null;
    for (const e of starts) {
      const walk = shortestCycleThrough(g, of, component, type.allowed, type.required, e);
      if (walk !== null && (best === null || walk.length < best.length)) best = walk;
    }
    assert(best !== null, `${type.name}: a strongly connected component with every required edge has a closed walk`);
    return explainCycle(a, g, best);
  });
}

function dependencyGraph(a: Analysis): { graph: Digraph; isNode: Int32Array } {
  const log = a.log;
  const n = log.opCount;
  const isNode = new Int32Array(n);
  for (let op = 0; op < n; op++) {
    const f = log.opF.get(op);
    if ((f === F_SEND || f === F_POLL || f === F_TXN) && log.opType.get(op) !== TYPE_FAIL) isNode[op] = 1;
  }
  const builder = new GraphBuilder(n, a.log.readValue.length + n);
  processEdges(a, isNode, builder);
  readEdges(a, isNode, builder);
  if (a.options.wwDeps) writeEdges(a, isNode, builder);
  return { graph: builder.build(), isNode };
}

function processEdges(a: Analysis, isNode: Int32Array, builder: GraphBuilder): void {
  const last = new Map<number, number>();
  for (let op = 0; op < a.log.opCount; op++) {
    if (isNode[op] !== 1) continue;
    const process = a.log.opProcess.get(op);
    const before = last.get(process);
    if (before !== undefined) builder.link(before, op, PROCESS);
    last.set(process, op);
  }
}

function readEdges(a: Analysis, isNode: Int32Array, builder: GraphBuilder): void {
  const { starts, values } = a.reads;
  const writerOf = a.log.valueWriter.view();
  const linked = new Int32Array(a.log.opCount).fill(-1); // writer -> last reader linked, to skip repeats
  for (let op = 0; op < a.log.opCount; op++) {
    if (isNode[op] !== 1) continue;
    for (let r = starts[op] as number, end = starts[op + 1] as number; r < end; r++) {
      const writer = writerOf[values[r] as number] as number;
      if (writer === -1 || writer === op || isNode[writer] !== 1 || linked[writer] === op) continue;
      linked[writer] = op;
      builder.link(writer, op, WR);
    }
  }
}

function writeEdges(a: Analysis, isNode: Int32Array, builder: GraphBuilder): void {
  const log = a.log;
  for (let key = 0; key < a.keyCount; key++) {
    const order = a.keyOrder[key]!;
    for (let i = 1; i < order.length; i++) {
      const before = log.valueWriter.get(a.valueAt(key, i - 1));
      const after = log.valueWriter.get(a.valueAt(key, i));
      if (before === -1 || after === -1 || before === after) continue;
      if (isNode[before] === 1 && isNode[after] === 1) builder.link(before, after, WW);
    }
  }
}

function explainCycle(a: Analysis, g: Digraph, walk: readonly number[]): Witness {
  const steps = walk.map((e) => ({
    from: a.opRef(g.source[e]!),
    to: a.opRef(g.target[e]!),
    type: EDGE_NAMES[g.kind[e]!],
    ...explainEdge(a, g.source[e]!, g.target[e]!, g.kind[e]!),
  }));
  return { cycle: walk.map((e) => a.opRef(g.source[e]!)), steps };
}

/** The key and values that justify one edge. */
function explainEdge(a: Analysis, from: number, to: number, kind: number): Witness {
  const log = a.log;
  if (kind === WR) {
    for (let r = log.opReadStart.get(to), end = log.readEnd(to); r < end; r++) {
      const value = log.readValue.get(r);
      if (log.valueWriter.get(value) === from) return { key: a.keyName(a.key(value)), value: a.raw(value) };
    }
  }
  if (kind === WW) {
    for (let w = log.opWriteStart.get(to), end = log.writeEnd(to); w < end; w++) {
      const value = log.writeValue.get(w);
      const i = a.writePos(w);
      if (i <= 0) continue;
      const previous = a.valueAt(a.key(value), i - 1);
      if (log.valueWriter.get(previous) === from) {
        return { key: a.keyName(a.key(value)), value: a.raw(previous), nextValue: a.raw(value) };
      }
    }
  }
  return {};
}

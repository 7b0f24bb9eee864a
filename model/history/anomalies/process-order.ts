/**
 * Order across one process's operations (Jepsen `poll-skip+nonmonotonic-cases` and
 * `nonmonotonic-send-cases`). Each process keeps, per key, a cursor: the last position its
 * consumer read (or its producer sent).
 *
 * - Only `ok` operations move the poll cursor; `fail` and `info` ones are still checked
 *   against it. The client is expected to rewind after an aborted transaction (KAFKA-17582:
 *   Kafka does not rewind by itself), so the next operation starts right after the last
 *   `ok` read.
 * - An `ok` or `info` assign or subscribe keeps the cursors of the keys it still lists and
 *   drops the others; `seekToBeginning` drops the listed ones too (Jepsen ignores the seek).
 * - An `info` completion ends the process: a new client takes over with no cursors.
 */
import { F_ASSIGN, F_POLL, F_SEND, F_SUBSCRIBE, F_TXN, TYPE_FAIL, TYPE_INFO, TYPE_OK } from '../ingest.ts';
import type { Analysis, Findings, Sequence } from '../analysis.ts';

/** Per process: key -> the item (read or send) last seen; its operation is looked up only to report. */
type Cursors = Map<number, Map<number, number>>;

interface Side {
  readonly skip: string | null;
  readonly nonmonotonic: string;
  sequence(a: Analysis): Sequence;
  /** Which operations are judged, and which move the cursor. */
  judged(type: number, f: number): boolean;
  moves(type: number): boolean;
}

const polls: Side = {
  skip: 'poll-skip',
  nonmonotonic: 'nonmonotonic-poll',
  sequence: (a) => a.reads,
  judged: (_type, f) => f === F_POLL || f === F_TXN,
  moves: (type) => type === TYPE_OK,
};

const sends: Side = {
  skip: null, // sends of other producers land in between all the time
  nonmonotonic: 'nonmonotonic-send',
  sequence: (a) => a.writes,
  judged: (type, f) => type !== TYPE_FAIL && (f === F_SEND || f === F_TXN),
  moves: (type) => type !== TYPE_FAIL,
};

/** `poll-skip` and `nonmonotonic-poll`: a process's next poll of a key must start right after its last `ok` read. */
export function pollCursors(a: Analysis, out: Findings): void {
  processOrder(a, out, polls);
}

/** `nonmonotonic-send`: a process's next send to a key must land after its previous one. */
export function sendCursors(a: Analysis, out: Findings): void {
  processOrder(a, out, sends);
}

function processOrder(a: Analysis, out: Findings, side: Side): void {
  const log = a.log;
  const seq = side.sequence(a);
  const cursors: Cursors = new Map();
  const scratch = { mark: new Int32Array(a.keyCount).fill(-1), first: new Int32Array(a.keyCount), last: new Int32Array(a.keyCount), touched: [] as number[] };
  for (let op = 0; op < log.opCount; op++) {
    const process = log.opProcess.get(op);
    const type = log.opType.get(op);
    const f = log.opF.get(op);
    if ((f === F_ASSIGN || f === F_SUBSCRIBE) && type !== TYPE_FAIL) reassign(a, cursors.get(process), op);
    else if (side.judged(type, f) && seq.starts[op] !== seq.starts[op + 1]) judgeOperation(a, out, side, seq, cursors, op, scratch);
    if (type === TYPE_INFO) cursors.delete(process);
  }
}

interface Scratch {
  readonly mark: Int32Array;
  readonly first: Int32Array;
  readonly last: Int32Array;
  readonly touched: number[];
}

/** Compares the operation's first item per key with the process's cursor, then moves the cursor. */
function judgeOperation(a: Analysis, out: Findings, side: Side, seq: Sequence, cursors: Cursors, op: number, s: Scratch): void {
  const valueKey = a.log.valueKey.view();
  s.touched.length = 0;
  for (let item = seq.starts[op] as number, end = seq.starts[op + 1] as number; item < end; item++) {
    const key = valueKey[seq.values[item] as number] as number;
    if (s.mark[key] !== op) {
      s.mark[key] = op;
      s.first[key] = item;
      s.touched.push(key);
    }
    s.last[key] = item;
  }
  const process = a.log.opProcess.get(op);
  let mine = cursors.get(process);
  if (mine !== undefined) {
    for (const key of s.touched) {
      const cursor = mine.get(key);
      if (cursor === undefined) continue;
      const from = seq.positions[cursor] as number;
      const to = seq.positions[s.first[key] as number] as number;
      if (from === -1 || to === -1 || to - from === 1 || (to - from > 1 && side.skip === null)) continue;
      report(a, out, side, seq, cursor, op, s.first[key] as number);
    }
  }
  if (!side.moves(a.log.opType.get(op))) return;
  if (mine === undefined) cursors.set(process, (mine = new Map()));
  for (const key of s.touched) mine.set(key, s.last[key] as number);
}

function reassign(a: Analysis, mine: Map<number, number> | undefined, op: number): void {
  const assignment = a.log.opAssignment.get(op);
  if (mine === undefined || assignment === undefined) return;
  const listed = new Set(assignment.keys);
  for (const key of [...mine.keys()]) {
    if (!listed.has(key) || assignment.seekToBeginning) mine.delete(key);
  }
}

function report(a: Analysis, out: Findings, side: Side, seq: Sequence, cursor: number, op: number, item: number): void {
  const from = seq.positions[cursor] as number;
  const to = seq.positions[item] as number;
  const delta = to - from;
  out.report(delta > 1 ? (side.skip as string) : side.nonmonotonic, () => {
    const key = a.key(seq.values[item] as number);
    return {
      key: a.keyName(key),
      values: [a.raw(seq.values[cursor] as number), a.raw(seq.values[item] as number)],
      offsets: [seq.offset(cursor), seq.offset(item)],
      delta,
      ...(delta > 1 ? { skipped: a.between(key, from, to) } : {}),
      ops: [a.opRef(seq.opOf(cursor)), a.opRef(op)],
    };
  });
}

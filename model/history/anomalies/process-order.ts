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
import type { Analysis, Findings } from '../analysis.ts';

/** A cursor is the read (or write) item last seen; its operation is found only to report. */
type Cursor = number;

interface Side {
  readonly skip: string | null;
  readonly nonmonotonic: string;
  /** Which operations are judged, and which move the cursor. */
  judged(type: number, f: number): boolean;
  moves(type: number): boolean;
  start(a: Analysis, op: number): number;
  end(a: Analysis, op: number): number;
  value(a: Analysis, item: number): number;
  pos(a: Analysis, item: number): number;
  offset(a: Analysis, item: number): number | null;
  opOf(a: Analysis, item: number): number;
}

const polls: Side = {
  skip: 'poll-skip',
  nonmonotonic: 'nonmonotonic-poll',
  judged: (_type, f) => f === F_POLL || f === F_TXN,
  moves: (type) => type === TYPE_OK,
  start: (a, op) => a.log.opReadStart.get(op),
  end: (a, op) => a.log.readEnd(op),
  value: (a, r) => a.log.readValue.get(r),
  pos: (a, r) => a.readPos(r),
  offset: (a, r) => a.readOffset(r),
  opOf: (a, r) => a.opOfRead(r),
};

const sends: Side = {
  skip: null, // sends of other producers land in between all the time
  nonmonotonic: 'nonmonotonic-send',
  judged: (type, f) => type !== TYPE_FAIL && (f === F_SEND || f === F_TXN),
  moves: (type) => type !== TYPE_FAIL,
  start: (a, op) => a.log.opWriteStart.get(op),
  end: (a, op) => a.log.writeEnd(op),
  value: (a, w) => a.log.writeValue.get(w),
  pos: (a, w) => a.writePos(w),
  offset: (a, w) => a.writeOffset(w),
  opOf: (a, w) => a.opOfWrite(w),
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
  const cursors = new Map<number, Map<number, Cursor>>();
  const mark = new Int32Array(a.keyCount).fill(-1);
  const first = new Int32Array(a.keyCount);
  const last = new Int32Array(a.keyCount);
  const touched: number[] = [];
  for (let op = 0; op < log.opCount; op++) {
    const process = log.opProcess.get(op);
    const type = log.opType.get(op);
    const f = log.opF.get(op);
    if ((f === F_ASSIGN || f === F_SUBSCRIBE) && type !== TYPE_FAIL) reassign(a, cursors.get(process), op);
    else if (side.judged(type, f)) {
      touched.length = 0;
      for (let item = side.start(a, op), end = side.end(a, op); item < end; item++) {
        const key = a.key(side.value(a, item));
        if (mark[key] !== op) {
          mark[key] = op;
          first[key] = item;
          touched.push(key);
        }
        last[key] = item;
      }
      let mine = cursors.get(process);
      for (const key of touched) {
        const cursor = mine?.get(key);
        if (cursor !== undefined) judge(a, out, side, cursor, op, first[key] as number);
      }
      if (side.moves(type) && touched.length > 0) {
        if (mine === undefined) cursors.set(process, (mine = new Map()));
        for (const key of touched) mine.set(key, last[key] as number);
      }
    }
    if (type === TYPE_INFO) cursors.delete(process);
  }
}

function reassign(a: Analysis, mine: Map<number, Cursor> | undefined, op: number): void {
  const assignment = a.log.opAssignment.get(op);
  if (mine === undefined || assignment === undefined) return;
  const listed = new Set(assignment.keys);
  for (const key of [...mine.keys()]) {
    if (!listed.has(key) || assignment.seekToBeginning) mine.delete(key);
  }
}

function judge(a: Analysis, out: Findings, side: Side, cursor: Cursor, op: number, item: number): void {
  const from = side.pos(a, cursor);
  const to = side.pos(a, item);
  const delta = from >= 0 && to >= 0 ? to - from : 1;
  if (delta === 1 || (delta > 1 && side.skip === null)) return;
  const type = delta > 1 ? (side.skip as string) : side.nonmonotonic;
  out.report(type, () => {
    const key = a.key(side.value(a, item));
    return {
      key: a.keyName(key),
      values: [a.raw(side.value(a, cursor)), a.raw(side.value(a, item))],
      offsets: [side.offset(a, cursor), side.offset(a, item)],
      delta,
      ...(delta > 1 ? { skipped: a.between(key, from, to) } : {}),
      ops: [a.opRef(side.opOf(a, cursor)), a.opRef(op)],
    };
  });
}

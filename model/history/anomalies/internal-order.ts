/**
 * Order inside one operation (Jepsen `int-poll-skip+nonmonotonic-cases` and
 * `int-send-skip+nonmonotonic-cases`): successive reads (across all of an operation's polls)
 * or successive sends of one key must be adjacent in the version order.
 */
import type { Analysis, Findings } from '../analysis.ts';

type Position = (a: Analysis, item: number) => number;
type Offset = (a: Analysis, item: number) => number | null;

interface Side {
  readonly skip: string;
  readonly nonmonotonic: string;
  start(a: Analysis, op: number): number;
  end(a: Analysis, op: number): number;
  value(a: Analysis, item: number): number;
  pos: Position;
  offset: Offset;
  exempt(a: Analysis, op: number): ReadonlySet<number> | undefined;
}

const polls: Side = {
  skip: 'int-poll-skip',
  nonmonotonic: 'int-nonmonotonic-poll',
  start: (a, op) => a.log.opReadStart.get(op),
  end: (a, op) => a.log.readEnd(op),
  value: (a, r) => a.log.readValue.get(r),
  pos: (a, r) => a.readPos(r),
  offset: (a, r) => a.readOffset(r),
  // A key rebalanced during the operation may legitimately jump (Jepsen: "all bets are off").
  exempt: (a, op) => a.log.opRebalanced.get(op),
};

const sends: Side = {
  skip: 'int-send-skip',
  nonmonotonic: 'int-nonmonotonic-send',
  start: (a, op) => a.log.opWriteStart.get(op),
  end: (a, op) => a.log.writeEnd(op),
  value: (a, w) => a.log.writeValue.get(w),
  pos: (a, w) => a.writePos(w),
  offset: (a, w) => a.writeOffset(w),
  exempt: () => undefined,
};

/** `int-poll-skip` (a gap between two reads of a key in one operation) and `int-nonmonotonic-poll` (a step back or a repeat). */
export function internalPolls(a: Analysis, out: Findings): void {
  internalOrder(a, out, polls);
}

/** `int-send-skip` (other records landed between two sends of one operation: normal for transactions) and `int-nonmonotonic-send`. */
export function internalSends(a: Analysis, out: Findings): void {
  internalOrder(a, out, sends);
}

function internalOrder(a: Analysis, out: Findings, side: Side): void {
  const mark = new Int32Array(a.keyCount).fill(-1);
  const previous = new Int32Array(a.keyCount);
  for (let op = 0; op < a.log.opCount; op++) {
    const end = side.end(a, op);
    const exempt = side.exempt(a, op);
    for (let item = side.start(a, op); item < end; item++) {
      const key = a.key(side.value(a, item));
      if (mark[key] === op && exempt?.has(key) !== true) judge(a, out, side, op, previous[key] as number, item);
      mark[key] = op;
      previous[key] = item;
    }
  }
}

function judge(a: Analysis, out: Findings, side: Side, op: number, before: number, after: number): void {
  const from = side.pos(a, before);
  const to = side.pos(a, after);
  const delta = from >= 0 && to >= 0 ? to - from : 1; // an unknown position adds no constraint
  if (delta === 1) return;
  const type = delta > 1 ? side.skip : side.nonmonotonic;
  out.report(type, () => {
    const key = a.key(side.value(a, after));
    return {
      key: a.keyName(key),
      values: [a.raw(side.value(a, before)), a.raw(side.value(a, after))],
      offsets: [side.offset(a, before), side.offset(a, after)],
      delta,
      ...(delta > 1 ? { skipped: a.between(key, from, to) } : {}),
      op: a.opRef(op),
    };
  });
}

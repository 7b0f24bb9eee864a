/**
 * Order inside one operation (Jepsen `int-poll-skip+nonmonotonic-cases` and
 * `int-send-skip+nonmonotonic-cases`): successive reads (across all of an operation's polls)
 * or successive sends of one key must be adjacent in the version order.
 */
import type { Analysis, Findings, Sequence } from '../analysis.ts';

interface Side {
  readonly skip: string;
  readonly nonmonotonic: string;
  sequence(a: Analysis): Sequence;
  /** Keys exempt in an operation. */
  exempt(a: Analysis, op: number): ReadonlySet<number> | undefined;
}

const polls: Side = {
  skip: 'int-poll-skip',
  nonmonotonic: 'int-nonmonotonic-poll',
  sequence: (a) => a.reads,
  // A key rebalanced during the operation may legitimately jump (Jepsen: "all bets are off").
  exempt: (a, op) => a.log.opRebalanced.get(op),
};

const sends: Side = {
  skip: 'int-send-skip',
  nonmonotonic: 'int-nonmonotonic-send',
  sequence: (a) => a.writes,
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
  const seq = side.sequence(a);
  const { starts, values, positions } = seq;
  const valueKey = a.log.valueKey.view();
  const mark = new Int32Array(a.keyCount).fill(-1);
  const previous = new Int32Array(a.keyCount);
  for (let op = 0; op < a.log.opCount; op++) {
    const end = starts[op + 1] as number;
    let item = starts[op] as number;
    if (item === end) continue;
    const exempt = side.exempt(a, op);
    for (; item < end; item++) {
      const key = valueKey[values[item] as number] as number;
      if (mark[key] === op && exempt?.has(key) !== true) {
        const before = previous[key] as number;
        const from = positions[before] as number;
        const to = positions[item] as number;
        // An unknown position adds no constraint.
        if (from !== -1 && to !== -1 && to - from !== 1) report(a, out, side, seq, op, before, item);
      }
      mark[key] = op;
      previous[key] = item;
    }
  }
}

function report(a: Analysis, out: Findings, side: Side, seq: Sequence, op: number, before: number, after: number): void {
  const from = seq.positions[before] as number;
  const to = seq.positions[after] as number;
  const delta = to - from;
  out.report(delta > 1 ? side.skip : side.nonmonotonic, () => {
    const key = a.key(seq.values[after] as number);
    return {
      key: a.keyName(key),
      values: [a.raw(seq.values[before] as number), a.raw(seq.values[after] as number)],
      offsets: [seq.offset(before), seq.offset(after)],
      delta,
      ...(delta > 1 ? { skipped: a.between(key, from, to) } : {}),
      op: a.opRef(op),
    };
  });
}

/**
 * The shared analysis every anomaly function reads (Jepsen `kafka.clj` `analysis`):
 *
 * - which writes must have committed: an `ok` operation's, and an `info` one's once an `ok`
 *   operation read one of its writes (`must-have-committed?`; per value without `txn`);
 * - the version order of each key: a log from offsets to the values seen there, built from
 *   every poll (failed polls are evidence: pollers tell the truth even when their transaction
 *   aborts) and from the sends that must have committed; unknown offsets add nothing;
 * - dense indices: the log's non-empty offsets numbered 0, 1, 2, ... (gaps, such as
 *   transaction markers and aborted records, dropped), and each value's first and last index.
 *
 * A micro-operation's position is the dense index of its own offset when the log holds it,
 * else its value's first index, else unknown; an unknown position adds no constraint.
 */
import { assert } from '../../src/core/assert.ts';
import { F_NAMES, TYPE_FAIL, TYPE_INFO, TYPE_NAMES, TYPE_OK, type HistoryLog } from './ingest.ts';
import type { HistoryValue, OpRef, ResolvedOptions, Witness } from './types.ts';

/**
 * The reads (or the sends) of every operation as flat arrays: the items of operation `op`
 * are [starts[op], starts[op + 1]), each with its value, its log slot (-1: unknown offset)
 * and its position (dense index, -1: unknown).
 */
export class Sequence {
  constructor(
    readonly starts: Int32Array,
    readonly values: Int32Array,
    readonly slots: Int32Array,
    readonly positions: Int32Array,
    private readonly slotOffset: Float64Array,
  ) {}

  offset(item: number): number | null {
    const slot = this.slots[item] as number;
    return slot === -1 ? null : (this.slotOffset[slot] as number);
  }

  /** The operation holding `item` (binary search over the operations' ranges). */
  opOf(item: number): number {
    return lastStartAtOrBefore(this.starts.subarray(0, this.starts.length - 1), item);
  }
}

export class Analysis {
  /** 1 when the operation's writes must have been committed (txn semantics). */
  readonly opCommitted: Uint8Array;
  /** 1 when the value's send must have been committed. */
  readonly valueCommitted: Uint8Array;
  /** Dense index of each slot, or -1 when no value sits there. */
  readonly slotDense: Int32Array;
  /** Per key, its non-empty slots in offset order: `keyOrder[k][i]` is dense index i. */
  readonly keyOrder: Int32Array[];
  readonly valueFirst: Int32Array;
  readonly valueLast: Int32Array;
  /** Every operation's reads, and every operation's sends, with their positions. */
  readonly reads: Sequence;
  readonly writes: Sequence;

  constructor(readonly log: HistoryLog, readonly options: ResolvedOptions) {
    assert(log.sealed, 'analysis of an unsealed log');
    this.opCommitted = this.committedOps();
    this.valueCommitted = this.committedValues();
    this.addCommittedSends();
    this.slotDense = new Int32Array(log.slotKey.length).fill(-1);
    this.keyOrder = log.keySlots.map((slots) => this.denseOrder(slots));
    [this.valueFirst, this.valueLast] = this.valueIndices();
    this.reads = this.sequence(log.opReadStart.view(), log.readValue.view(), log.readSlot.view(), (v, slot) => (slot === -1 ? -1 : (this.slotDense[slot] as number)));
    // A send's own offset counts only if the send committed (else nothing of it is in the log).
    this.writes = this.sequence(log.opWriteStart.view(), log.writeValue.view(), log.writeSlot.view(), (v, slot) => (slot !== -1 && this.valueCommitted[v] === 1 ? (this.slotDense[slot] as number) : -1));
  }

  private sequence(opStarts: Int32Array, values: Int32Array, slots: Int32Array, own: (value: number, slot: number) => number): Sequence {
    const starts = new Int32Array(opStarts.length + 1);
    starts.set(opStarts);
    starts[opStarts.length] = values.length;
    const positions = new Int32Array(values.length);
    for (let item = 0; item < values.length; item++) {
      const value = values[item] as number;
      const position = own(value, slots[item] as number);
      positions[item] = position !== -1 ? position : (this.valueFirst[value] as number);
    }
    return new Sequence(starts, values, slots, positions, this.log.slotOffset.view());
  }

  get keyCount(): number {
    return this.log.keyNames.length;
  }

  readPos(read: number): number {
    return this.reads.positions[read] as number;
  }

  writePos(write: number): number {
    return this.writes.positions[write] as number;
  }

  readOffset(read: number): number | null {
    const slot = this.log.readSlot.get(read);
    return slot === -1 ? null : this.log.slotOffset.get(slot);
  }

  writeOffset(write: number): number | null {
    const slot = this.log.writeSlot.get(write);
    return slot === -1 ? null : this.log.slotOffset.get(slot);
  }

  key(value: number): number {
    return this.log.valueKey.get(value);
  }

  keyName(key: number): string {
    return this.log.keyNames[key] as string;
  }

  raw(value: number): HistoryValue {
    return this.log.valueRaw[value] as HistoryValue;
  }

  /** The value at dense index `i` of `key` (the first one seen, if the offset is inconsistent). */
  valueAt(key: number, i: number): number {
    const order = this.keyOrder[key] as Int32Array;
    return this.log.slotValue.get(order[i] as number);
  }

  offsetAt(key: number, i: number): number {
    const order = this.keyOrder[key] as Int32Array;
    return this.log.slotOffset.get(order[i] as number);
  }

  /** Raw values strictly between dense indices `from` and `to` of `key`, at most `limit`. */
  between(key: number, from: number, to: number, limit = 16): HistoryValue[] {
    const values: HistoryValue[] = [];
    for (let i = from + 1; i < to && values.length < limit; i++) values.push(this.raw(this.valueAt(key, i)));
    return values;
  }

  opRef(op: number): OpRef {
    const log = this.log;
    return {
      index: log.opIndex.get(op),
      process: log.processRaw[log.opProcess.get(op)] as number | string,
      type: TYPE_NAMES[log.opType.get(op)] as OpRef['type'],
      f: F_NAMES[log.opF.get(op)] as string,
    };
  }

  /** Key ids in natural order of their names ("2" before "10"), for stable reports. */
  keysInOrder(): number[] {
    const ids = this.log.keyNames.map((_, id) => id);
    return ids.sort((a, b) => naturalCompare(this.keyName(a), this.keyName(b)));
  }

  private committedOps(): Uint8Array {
    const log = this.log;
    const committed = new Uint8Array(log.opCount);
    for (let op = 0; op < log.opCount; op++) {
      const type = log.opType.get(op);
      if (type === TYPE_OK) committed[op] = 1;
      else if (type === TYPE_INFO) {
        for (let w = log.opWriteStart.get(op), end = log.writeEnd(op); w < end; w++) {
          if (log.valueOkRead.get(log.writeValue.get(w)) === 1) {
            committed[op] = 1;
            break;
          }
        }
      }
    }
    return committed;
  }

  private committedValues(): Uint8Array {
    const log = this.log;
    const committed = new Uint8Array(log.valueRaw.length);
    for (let v = 0; v < committed.length; v++) {
      const writer = log.valueWriter.get(v);
      if (writer === -1) continue;
      const type = log.opType.get(writer);
      if (type === TYPE_FAIL) continue;
      // Without transactions an info operation's sends are independent: each proves only itself.
      const proven = this.options.txn ? this.opCommitted[writer] === 1 : log.valueOkRead.get(v) === 1;
      if (type === TYPE_OK || proven) committed[v] = 1;
    }
    return committed;
  }

  private addCommittedSends(): void {
    const log = this.log;
    for (let w = 0; w < log.writeValue.length; w++) {
      const slot = log.writeSlot.get(w);
      const value = log.writeValue.get(w);
      if (slot !== -1 && this.valueCommitted[value] === 1) log.addLogEntry(slot, value);
    }
  }

  private denseOrder(slots: readonly number[]): Int32Array {
    const log = this.log;
    const filled = slots.filter((slot) => log.slotValue.get(slot) !== -1);
    let sorted = true;
    for (let i = 1; i < filled.length && sorted; i++) {
      sorted = log.slotOffset.get(filled[i - 1] as number) < log.slotOffset.get(filled[i] as number);
    }
    if (!sorted) filled.sort((a, b) => log.slotOffset.get(a) - log.slotOffset.get(b));
    const order = Int32Array.from(filled);
    for (let i = 0; i < order.length; i++) {
      const slot = order[i] as number;
      // One slot per (key, offset): the dense order is strictly increasing in offset.
      assert(i === 0 || log.slotOffset.get(order[i - 1] as number) < log.slotOffset.get(slot), 'dense order not strictly increasing');
      this.slotDense[slot] = i;
    }
    return order;
  }

  private valueIndices(): [Int32Array, Int32Array] {
    const log = this.log;
    const first = new Int32Array(log.valueRaw.length).fill(-1);
    const last = new Int32Array(log.valueRaw.length).fill(-1);
    for (let v = 0; v < first.length; v++) {
      const slot = log.valueSlot.get(v);
      if (slot === -1) continue;
      let low = this.slotDense[slot] as number;
      let high = low;
      for (const extra of log.valueExtraSlots.get(v) ?? []) {
        const i = this.slotDense[extra] as number;
        if (i < low) low = i;
        if (i > high) high = i;
      }
      first[v] = low;
      last[v] = high;
    }
    return [first, last];
  }
}

/** The last index whose start is <= item; with non-decreasing starts it is the range holding item. */
function lastStartAtOrBefore(starts: Int32Array, item: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= item) low = middle;
    else high = middle - 1;
  }
  assert(low >= 0 && (starts[low] as number) <= item, 'item outside every operation');
  return low;
}

/** A bounded list of witnesses with an exact count. */
export class Findings {
  readonly counts = new Map<string, number>();
  readonly witnesses = new Map<string, Witness[]>();

  constructor(private readonly limit: number) {}

  add(type: string, witness: Witness): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    let list = this.witnesses.get(type);
    if (list === undefined) this.witnesses.set(type, (list = []));
    if (list.length < this.limit) list.push(witness);
  }

  /** Counts one witness of `type`, building it only while the limit keeps it. */
  report(type: string, build: () => Witness): void {
    const kept = this.witnesses.get(type)?.length ?? 0;
    if (kept < this.limit) this.add(type, build());
    else this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }
}

/** Orders integer-like strings numerically, and everything else as plain strings. */
export function naturalCompare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  const numeric = a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y);
  if (numeric && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders raw values: numbers numerically before strings. */
export function compareValues(a: HistoryValue, b: HistoryValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

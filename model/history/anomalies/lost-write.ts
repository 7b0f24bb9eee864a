/**
 * Writes that should have been seen (Jepsen `lost-write-cases` and `unseen`).
 */
import { TYPE_OK } from '../ingest.ts';
import { compareValues, type Analysis, type Findings } from '../analysis.ts';

/**
 * `lost-write`: for each key, the bound is the highest first index of any value an `ok`
 * operation read. Every value whose last index is at or below the bound, and whose send must
 * have committed, should have been read by some `ok` operation; one that was not is lost.
 * (Using first indices for the bound and last indices for the candidates keeps duplicated
 * or conflicting offsets from inventing losses, as Jepsen argues.)
 */
export function lostWrites(a: Analysis, out: Findings): void {
  const log = a.log;
  const values = log.valueRaw.length;
  const bound = new Int32Array(a.keyCount).fill(-1);
  const boundValue = new Int32Array(a.keyCount).fill(-1);
  for (let v = 0; v < values; v++) {
    const first = a.valueFirst[v] as number;
    const key = a.key(v);
    if (log.valueOkRead.get(v) === 1 && first > (bound[key] as number)) {
      bound[key] = first;
      boundValue[key] = v;
    }
  }
  const lost: number[] = [];
  for (let v = 0; v < values; v++) {
    const last = a.valueLast[v] as number;
    if (last === -1 || last > (bound[a.key(v)] as number)) continue;
    if (log.valueOkRead.get(v) === 1 || a.valueCommitted[v] !== 1) continue;
    lost.push(v);
  }
  if (lost.length === 0) return;
  const readers = firstOkReaders(a, new Set(lost.map((v) => boundValue[a.key(v)] as number)));
  lost.sort((x, y) => a.key(x) - a.key(y) || (a.valueFirst[x] as number) - (a.valueFirst[y] as number));
  for (const v of lost) {
    const key = a.key(v);
    const maxRead = readers.get(boundValue[key] as number);
    out.report('lost-write', () => ({
      key: a.keyName(key),
      value: a.raw(v),
      index: a.valueFirst[v],
      offset: a.offsetAt(key, a.valueFirst[v] as number),
      maxReadIndex: bound[key],
      maxReadValue: a.raw(boundValue[key] as number),
      writer: a.opRef(log.valueWriter.get(v)),
      maxRead: maxRead === undefined ? null : a.opRef(maxRead),
    }));
  }
}

function firstOkReaders(a: Analysis, wanted: Set<number>): Map<number, number> {
  const log = a.log;
  const readers = new Map<number, number>();
  for (let op = 0; op < log.opCount && readers.size < wanted.size; op++) {
    if (log.opType.get(op) !== TYPE_OK) continue;
    for (let r = log.opReadStart.get(op), end = log.readEnd(op); r < end; r++) {
      const value = log.readValue.get(r);
      if (wanted.has(value) && !readers.has(value)) readers.set(value, op);
    }
  }
  return readers;
}

/**
 * `unseen`: values sent by `ok` operations that no `ok` poll ever returned, one witness per
 * key with the count and the first values. Jepsen cannot tell these from slow delivery
 * either: a history should end with polls that read everything.
 */
export function unseen(a: Analysis, out: Findings): void {
  const log = a.log;
  const perKey = new Map<number, number[]>();
  for (let v = 0; v < log.valueRaw.length; v++) {
    const writer = log.valueWriter.get(v);
    if (writer === -1 || log.opType.get(writer) !== TYPE_OK || log.valueOkRead.get(v) === 1) continue;
    const key = a.key(v);
    const list = perKey.get(key);
    if (list === undefined) perKey.set(key, [v]);
    else list.push(v);
  }
  for (const key of a.keysInOrder()) {
    const list = perKey.get(key);
    if (list === undefined) continue;
    list.sort((x, y) => compareValues(a.raw(x), a.raw(y)));
    out.report('unseen', () => ({
      key: a.keyName(key),
      count: list.length,
      values: list.slice(0, 16).map((v) => a.raw(v)),
      writers: list.slice(0, 4).map((v) => a.opRef(log.valueWriter.get(v))),
    }));
  }
}

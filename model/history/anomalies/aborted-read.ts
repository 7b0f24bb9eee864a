/**
 * Reads of writes that did not (or could not yet) commit: `G1a` (aborted read, Jepsen
 * `g1a-cases`), `precommitted-read` (Jepsen `precommitted-read-cases`) and `garbage-read`
 * (this project's: a value nobody ever sent).
 */
import { F_POLL, F_TXN, TYPE_FAIL, TYPE_OK } from '../ingest.ts';
import type { Analysis, Findings } from '../analysis.ts';

/** `G1a`: an `ok` poll or txn read a value whose sending operation ended `fail`. */
export function abortedReads(a: Analysis, out: Findings): void {
  const log = a.log;
  for (let op = 0; op < log.opCount; op++) {
    if (log.opType.get(op) !== TYPE_OK) continue;
    const f = log.opF.get(op);
    if (f !== F_POLL && f !== F_TXN) continue;
    for (let r = log.opReadStart.get(op), end = log.readEnd(op); r < end; r++) {
      const value = log.readValue.get(r);
      const writer = log.valueWriter.get(value);
      if (writer === -1 || log.opType.get(writer) !== TYPE_FAIL) continue;
      out.report('G1a', () => ({
        key: a.keyName(a.key(value)),
        value: a.raw(value),
        offset: a.readOffset(r),
        writer: a.opRef(writer),
        reader: a.opRef(op),
      }));
    }
  }
}

/**
 * `precommitted-read`: an operation read a value it sent itself. Kafka's consumers must never
 * see records of a transaction that has not committed, not even the producing one's. Only
 * meaningful when operations are transactions (`txn`).
 */
export function precommittedReads(a: Analysis, out: Findings): void {
  if (!a.options.txn) return;
  const log = a.log;
  for (let op = 0; op < log.opCount; op++) {
    const reads = log.opReadStart.get(op);
    const readEnd = log.readEnd(op);
    const writes = log.opWriteStart.get(op);
    if (reads === readEnd || writes === log.writeEnd(op)) continue;
    for (let r = reads; r < readEnd; r++) {
      const value = log.readValue.get(r);
      if (log.valueWriter.get(value) !== op) continue;
      out.report('precommitted-read', () => ({
        key: a.keyName(a.key(value)),
        value: a.raw(value),
        offset: a.readOffset(r),
        op: a.opRef(op),
      }));
    }
  }
}

/** `garbage-read`: a poll returned a value that no operation of the history ever sent. */
export function garbageReads(a: Analysis, out: Findings): void {
  const log = a.log;
  const reported = new Uint8Array(log.valueRaw.length);
  for (let op = 0; op < log.opCount; op++) {
    for (let r = log.opReadStart.get(op), end = log.readEnd(op); r < end; r++) {
      const value = log.readValue.get(r);
      if (log.valueWriter.get(value) !== -1 || reported[value] === 1) continue;
      reported[value] = 1;
      out.report('garbage-read', () => ({
        key: a.keyName(a.key(value)),
        value: a.raw(value),
        offset: a.readOffset(r),
        reader: a.opRef(op),
      }));
    }
  }
}

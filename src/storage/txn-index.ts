/**
 * The transaction index of one segment (`N.txnindex`, `storage/.../log/TransactionIndex.java`
 * and `AbortedTxn.java`): one 34-byte entry per ABORTED transaction whose ABORT marker lands
 * in the segment, appended when the marker is appended. Entry: int16 version (0), int64
 * producerId, int64 firstOffset, int64 lastOffset (the marker's offset), int64
 * lastStableOffset (the LSO right after the abort). read_committed fetches list these so
 * consumers can drop aborted data (`collectAbortedTxns`).
 */
import { assert } from '../core/assert.ts';
import type { FileSystem } from './fs.ts';
import type { AbortedTxn } from './partition-log.ts';

export const ABORTED_TXN_SIZE = 34;
const ABORTED_TXN_VERSION = 0;

export function encodeAbortedTxns(entries: readonly AbortedTxn[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * ABORTED_TXN_SIZE);
  const view = new DataView(bytes.buffer);
  entries.forEach((txn, i) => {
    const at = i * ABORTED_TXN_SIZE;
    view.setInt16(at, ABORTED_TXN_VERSION);
    view.setBigInt64(at + 2, BigInt(txn.producerId));
    view.setBigInt64(at + 10, BigInt(txn.firstOffset));
    view.setBigInt64(at + 18, BigInt(txn.lastOffset));
    view.setBigInt64(at + 26, BigInt(txn.lastStableOffset));
  });
  return bytes;
}

/** Parse a txn index, or say why it cannot be trusted (then the segment is rebuilt). */
export function parseTxnIndex(bytes: Uint8Array): { entries: AbortedTxn[] } | { problem: string } {
  if (bytes.length % ABORTED_TXN_SIZE !== 0) return { problem: `size ${bytes.length} is not a multiple of ${ABORTED_TXN_SIZE}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: AbortedTxn[] = [];
  for (let at = 0; at < bytes.length; at += ABORTED_TXN_SIZE) {
    const version = view.getInt16(at);
    if (version !== ABORTED_TXN_VERSION) return { problem: `entry ${at / ABORTED_TXN_SIZE} has version ${version}` };
    const fields = [2, 10, 18, 26].map((o) => Number(view.getBigInt64(at + o)));
    const [producerId, firstOffset, lastOffset, lastStableOffset] = fields as [number, number, number, number];
    if (!fields.every(Number.isSafeInteger) || firstOffset < 0 || lastOffset < firstOffset) {
      return { problem: `entry ${at / ABORTED_TXN_SIZE} has impossible offsets` };
    }
    const previous = entries[entries.length - 1];
    if (previous !== undefined && lastOffset <= previous.lastOffset) return { problem: `entry ${at / ABORTED_TXN_SIZE} does not increase` };
    entries.push({ producerId, firstOffset, lastOffset, lastStableOffset });
  }
  return { entries };
}

export class TxnIndex {
  private items: AbortedTxn[];

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    entries: readonly AbortedTxn[] = [],
  ) {
    this.items = [...entries];
  }

  entries(): readonly AbortedTxn[] {
    return this.items;
  }

  append(txn: AbortedTxn): void {
    const last = this.items[this.items.length - 1];
    assert(last === undefined || txn.lastOffset > last.lastOffset, `aborted txn at ${txn.lastOffset} out of order`);
    this.fs.append(this.path, encodeAbortedTxns([txn]));
    this.items.push(txn);
  }

  /** Remove the entries whose marker is at or beyond `offset`. */
  truncateTo(offset: number): void {
    const keep = this.items.filter((t) => t.lastOffset < offset);
    if (keep.length === this.items.length) return;
    this.items = keep;
    this.fs.truncate(this.path, keep.length * ABORTED_TXN_SIZE);
  }

  reset(): void {
    this.items = [];
    this.fs.writeFile(this.path, new Uint8Array(0));
  }

  flush(): void {
    if (!this.fs.exists(this.path)) this.fs.writeFile(this.path, encodeAbortedTxns(this.items));
    this.fs.fsync(this.path);
  }
}

/**
 * The aborted transactions a read_committed Fetch from `fetchOffset` must list: marker at or
 * after fetchOffset and first offset below `upperBoundOffset` (`TransactionIndex.collectAbortedTxns`).
 */
export function collectAbortedTxns(entries: readonly AbortedTxn[], fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
  return entries.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset);
}

import { describe, expect, it } from 'vitest';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { ABORTED_TXN_SIZE, collectAbortedTxns, encodeAbortedTxns, parseTxnIndex, TxnIndex } from '../../src/storage/txn-index.ts';

const PATH = '/p/00000000000000000000.txnindex';
const t1 = { producerId: 7, firstOffset: 2, lastOffset: 5, lastStableOffset: 6 };
const t2 = { producerId: 9, firstOffset: 3, lastOffset: 8, lastStableOffset: 9 };

describe('TxnIndex (AbortedTxn entries)', () => {
  it('writes 34-byte entries: int16 version 0 and four int64 fields', () => {
    const bytes = encodeAbortedTxns([t1]);
    expect(bytes.length).toBe(ABORTED_TXN_SIZE);
    expect([...bytes.subarray(0, 10)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    expect([...bytes.subarray(26, 34)]).toEqual([0, 0, 0, 0, 0, 0, 0, 6]);
    expect(parseTxnIndex(encodeAbortedTxns([t1, t2]))).toEqual({ entries: [t1, t2] });
  });

  it('appends on disk, truncates by marker offset', () => {
    const fs = new SimFileSystem();
    fs.mkdirp('/p');
    const idx = new TxnIndex(fs, PATH);
    idx.append(t1);
    idx.append(t2);
    expect(fs.size(PATH)).toBe(2 * ABORTED_TXN_SIZE);
    idx.truncateTo(8);
    expect(idx.entries()).toEqual([t1]);
    expect(parseTxnIndex(fs.read(PATH))).toEqual({ entries: [t1] });
    expect(() => idx.append({ ...t2, lastOffset: 4 })).toThrow(/out of order/);
  });

  it('rejects garbled files', () => {
    const bytes = encodeAbortedTxns([t1]);
    expect(parseTxnIndex(bytes.subarray(0, 33))).toHaveProperty('problem');
    const badVersion = bytes.slice();
    badVersion[1] = 1;
    expect(parseTxnIndex(badVersion)).toEqual({ problem: 'entry 0 has version 1' });
    expect(parseTxnIndex(encodeAbortedTxns([{ ...t1, firstOffset: 9 }]))).toHaveProperty('problem');
  });

  it('collectAbortedTxns lists aborts with a marker at/after the fetch offset and a first offset below the bound', () => {
    expect(collectAbortedTxns([t1, t2], 0, 100)).toEqual([t1, t2]);
    expect(collectAbortedTxns([t1, t2], 6, 100)).toEqual([t2]);
    expect(collectAbortedTxns([t1, t2], 0, 3)).toEqual([t1]);
    expect(collectAbortedTxns([t1, t2], 9, 100)).toEqual([]);
  });
});

/**
 * RecordBatch v2 codec throughput: encode and decode of batches of 100 records with 1 KiB
 * values (16-byte keys, one header), uncompressed and gzip, plus the recovery path
 * (checkBatch: frame + CRC-32C, no record decoding) over a 4 MiB segment.
 */
import { Prng } from '../src/core/prng.ts';
import { crc32cImplementation } from '../src/storage/crc32c.ts';
import { checkBatch, decodeBatch, decodeBatches, encodeBatch } from '../src/storage/record-batch.ts';
import type { BatchInput } from '../src/storage/records.ts';

const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 1024;
const MIN_MS = 1500;

function input(prng: Prng, compression: 'none' | 'gzip'): BatchInput {
  // Half random, half repeated bytes: gzip gets something to compress, but not everything.
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? prng.below(256) : 0x61));
  return {
    compression,
    producerId: 1000,
    producerEpoch: 0,
    baseSequence: 0,
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
      key: bytes(16),
      value: bytes(VALUE_BYTES),
      headers: [{ key: 'trace-id', value: bytes(8) }],
      timestamp: 1_700_000_000_000 + i,
    })),
  };
}

/** Repeats `fn` for at least MIN_MS; returns iterations per second. */
function rate(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let iterations = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 50; i++) fn();
    iterations += 50;
    elapsed = performance.now() - started;
  }
  return (iterations * 1000) / elapsed;
}

function report(what: string, batchesPerSecond: number, payloadBytes: number, encodedBytes: number): void {
  const mb = (bytes: number) => ((bytes * batchesPerSecond) / (1024 * 1024)).toFixed(0);
  const records = Math.round(batchesPerSecond * RECORDS_PER_BATCH).toLocaleString('en-US');
  console.log(`${what.padEnd(22)} ${records.padStart(11)} records/s  ${mb(payloadBytes).padStart(5)} MB/s payload  ${mb(encodedBytes).padStart(5)} MB/s encoded`);
}

export async function run(): Promise<void> {
  const prng = new Prng(42);
  console.log(`batches of ${RECORDS_PER_BATCH} records, ${VALUE_BYTES} B values; CRC-32C: ${crc32cImplementation}`);
  for (const compression of ['none', 'gzip'] as const) {
    const batch = input(prng, compression);
    const encoded = encodeBatch(batch);
    const payload = batch.records.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
    report(`encode ${compression}`, rate(() => encodeBatch(batch)), payload, encoded.length);
    report(`decode ${compression}`, rate(() => decodeBatch(encoded)), payload, encoded.length);
  }
  const one = encodeBatch(input(prng, 'none'));
  const segment = new Uint8Array(Math.floor((4 * 1024 * 1024) / one.length) * one.length);
  for (let at = 0; at < segment.length; at += one.length) segment.set(one, at);
  const scan = () => {
    for (let at = 0; at < segment.length; ) {
      const check = checkBatch(segment, at);
      if (check.kind !== 'valid') throw new Error(`bench segment invalid at ${at}`);
      at += check.header.sizeInBytes;
    }
  };
  const scansPerSecond = rate(scan);
  console.log(`checkBatch scan         ${((segment.length * scansPerSecond) / (1024 * 1024)).toFixed(0)} MB/s (frame + CRC, recovery's path, 4 MiB segment)`);
  const decodeAll = rate(() => decodeBatches(segment.subarray(0, one.length * 8)));
  console.log(`decodeBatches           ${((one.length * 8 * decodeAll) / (1024 * 1024)).toFixed(0)} MB/s (8-batch segment)`);
}

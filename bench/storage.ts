/**
 * The partition log's cost on real files: leader appends through PartitionLog over
 * RealFileSystem against a plain sequential write (fs.writeSync of the same bytes, same
 * directory, same batch sizes), as a ratio measured in the same run; and recovery (every
 * batch's frame and CRC checked, indexes, epoch cache and producer state rebuilt) in MB/s.
 * Each figure is the best of ROUNDS interleaved runs, so that other load on the machine
 * distorts the ratio less.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealFileSystem } from '../src/storage/real-fs.ts';
import { SimFileSystem } from '../src/storage/sim-fs.ts';
import type { FileSystem } from '../src/storage/fs.ts';
import { PartitionLog } from '../src/storage/partition-log.ts';
import { RECOVERY_POINT_CHECKPOINT } from '../src/storage/checkpoint.ts';
import { encodeBatch } from '../src/storage/record-batch.ts';

const TOTAL_BYTES = 32 << 20;
const NEVER = Number.MAX_SAFE_INTEGER;
const ROUNDS = 3;

function batchOf(records: number, valueBytes: number): Uint8Array {
  const value = new Uint8Array(valueBytes).map((_, i) => (i * 31) & 0xff);
  return encodeBatch({ producerId: 1, producerEpoch: 0, baseSequence: 0, records: Array.from({ length: records }, () => ({ key: null, value })) });
}

const mbps = (bytes: number, ms: number): number => bytes / (1 << 20) / (ms / 1000);

function plainWrite(dir: string, batch: Uint8Array, count: number): number {
  const fd = openSync(join(dir, 'plain.log'), 'w');
  const started = performance.now();
  for (let i = 0; i < count; i++) writeSync(fd, batch);
  const ms = performance.now() - started;
  closeSync(fd);
  return ms;
}

function logAppend(fs: FileSystem, dir: string, batch: Uint8Array, count: number, segmentBytes: number): number {
  const { log } = PartitionLog.open(fs, join(dir, 'bench-0'), { topic: 'bench', partition: 0, segmentBytes, indexIntervalBytes: 4096, flushMessages: NEVER });
  const started = performance.now();
  for (let i = 0; i < count; i++) log.appendAsLeader(batch, 0);
  return performance.now() - started;
}

function recovery(fs: FileSystem, dir: string): { ms: number; batches: number } {
  fs.remove(join(dir, RECOVERY_POINT_CHECKPOINT)); // recover from the first segment
  const started = performance.now();
  const { recovery: report } = PartitionLog.open(fs, join(dir, 'bench-0'), { topic: 'bench', partition: 0, segmentBytes: 1 << 30, indexIntervalBytes: 4096, flushMessages: NEVER });
  const ms = performance.now() - started;
  if (report.truncatedBytes !== 0) throw new Error(`recovery cut ${report.truncatedBytes} bytes of an intact log`);
  return { ms, batches: report.batches };
}

function appendCase(records: number, valueBytes: number, segmentBytes: number): void {
  const batch = batchOf(records, valueBytes);
  const count = Math.floor(TOTAL_BYTES / batch.length);
  const bytes = count * batch.length;
  let plainMs = Infinity;
  let logMs = Infinity;
  let recoveryMs = Infinity;
  let batches = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'));
    try {
      plainMs = Math.min(plainMs, plainWrite(dir, batch, count));
      const fs = new RealFileSystem();
      logMs = Math.min(logMs, logAppend(fs, dir, batch, count, segmentBytes));
      const rec = recovery(fs, dir);
      fs.close();
      recoveryMs = Math.min(recoveryMs, rec.ms);
      batches = rec.batches;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const rolls = segmentBytes >= bytes ? 'no roll' : `roll (+fsync) every ${segmentBytes >> 20} MiB`;
  console.log(
    `append ${count} batches of ${records} x ${valueBytes} B (${batch.length} B), ${rolls}: ` +
      `PartitionLog ${mbps(bytes, logMs).toFixed(0)} MB/s vs plain writeSync ${mbps(bytes, plainMs).toFixed(0)} MB/s ` +
      `-> ratio ${(logMs / plainMs).toFixed(2)}x the time; recovery of ${batches} batches ${mbps(bytes, recoveryMs).toFixed(0)} MB/s (best of ${ROUNDS})`,
  );
}

function simRecovery(): void {
  const fs = new SimFileSystem();
  fs.mkdirp('/d');
  const batch = batchOf(10, 100);
  const count = Math.floor((8 << 20) / batch.length);
  logAppend(fs, '/d', batch, count, 1 << 20);
  fs.crashProcess();
  const rec = recovery(fs, '/d');
  console.log(`SimFileSystem: recovery of ${rec.batches} batches (${(count * batch.length) >> 20} MiB, 1 MiB segments) ${mbps(count * batch.length, rec.ms).toFixed(0)} MB/s`);
}

export async function run(): Promise<void> {
  appendCase(1, 1024, 1 << 30);
  appendCase(10, 1024, 1 << 30);
  appendCase(100, 100, 1 << 30);
  appendCase(10, 1024, 8 << 20);
  simRecovery();
}

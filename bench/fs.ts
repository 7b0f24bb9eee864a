/**
 * File-system throughput: SimFileSystem (the simulated page cache every simulated broker
 * writes through) and RealFileSystem (node:fs with real fsync), on a segment-like workload
 * of 1 KiB appends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../src/core/prng.ts';
import type { FileSystem } from '../src/storage/fs.ts';
import { RealFileSystem } from '../src/storage/real-fs.ts';
import { SimFileSystem } from '../src/storage/sim-fs.ts';

const BATCH_BYTES = 1024;

function appendWorkload(fs: FileSystem, dir: string, totalBytes: number, fsyncEvery: number): number {
  const batch = new Uint8Array(BATCH_BYTES).map((_, i) => i & 0xff);
  const path = `${dir}/00000000000000000000.log`;
  const started = performance.now();
  for (let i = 1; i * BATCH_BYTES <= totalBytes; i++) {
    fs.append(path, batch);
    if (fsyncEvery > 0 && i % fsyncEvery === 0) fs.fsync(path);
  }
  return performance.now() - started;
}

function mbPerSecond(bytes: number, ms: number): string {
  return `${((bytes / (1024 * 1024)) / (ms / 1000)).toFixed(0)} MB/s`;
}

function simAppend(totalBytes: number, fsyncEvery: number): void {
  const fs = new SimFileSystem();
  fs.mkdirp('/d');
  const ms = appendWorkload(fs, '/d', totalBytes, fsyncEvery);
  const label = fsyncEvery === 0 ? 'no fsync' : `fsync every ${fsyncEvery} appends`;
  console.log(`SimFileSystem append 1 KiB, ${label}: ${mbPerSecond(totalBytes, ms)} (${(totalBytes >> 20)} MiB in ${ms.toFixed(0)} ms)`);
}

function simPowerLoss(): void {
  const fs = new SimFileSystem();
  fs.mkdirp('/d');
  appendWorkload(fs, '/d', 16 << 20, 0);
  fs.fsyncDir('/d');
  const rounds = 200;
  let started = performance.now();
  for (let seed = 0; seed < rounds; seed++) fs.clone().powerLoss(new Prng(seed), { tornWrites: true });
  const cloneAndLose = (performance.now() - started) / rounds;
  started = performance.now();
  for (let seed = 0; seed < rounds; seed++) fs.clone();
  const cloneOnly = (performance.now() - started) / rounds;
  console.log(
    `SimFileSystem 16 MiB file, 16384 unsynced appends: clone ${cloneOnly.toFixed(2)} ms, clone + powerLoss ${cloneAndLose.toFixed(2)} ms`,
  );
  const general = new SimFileSystem();
  general.mkdirp('/d');
  appendWorkload(general, '/d', 4 << 20, 0);
  general.writeAt('/d/00000000000000000000.log', 0, new Uint8Array(8));
  started = performance.now();
  for (let seed = 0; seed < 50; seed++) general.clone().powerLoss(new Prng(seed), { tornWrites: true });
  console.log(`SimFileSystem 4 MiB file, 4097 unsynced ops incl. a writeAt: clone + powerLoss ${((performance.now() - started) / 50).toFixed(2)} ms`);
}

function realAppend(totalBytes: number, fsyncEvery: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-oracle-bench-'));
  const fs = new RealFileSystem();
  try {
    const ms = appendWorkload(fs, dir, totalBytes, fsyncEvery);
    const label = fsyncEvery === 0 ? 'no fsync' : `fsync every ${fsyncEvery} appends`;
    const fsyncs = fsyncEvery === 0 ? '' : `, ${((ms * 1000) / (totalBytes / BATCH_BYTES / fsyncEvery)).toFixed(0)} µs per append+fsync group`;
    console.log(`RealFileSystem append 1 KiB (${tmpdir()}), ${label}: ${mbPerSecond(totalBytes, ms)}${fsyncs}`);
  } finally {
    fs.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  simAppend(256 << 20, 0);
  simAppend(64 << 20, 1);
  simAppend(256 << 20, 64);
  simPowerLoss();
  realAppend(64 << 20, 0);
  realAppend(4 << 20, 16);
}

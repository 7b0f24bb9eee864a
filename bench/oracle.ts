/**
 * The oracle's throughput: generate a valid history of 1,000,000 client operations (64
 * keys, 16 processes, sends and contiguous polls, everything read at the end) into the
 * temporary directory, then, each in a fresh child process so that peak memory is the
 * check's own, (1) the floor: read the file line by line and JSON.parse each line;
 * (2) `checkHistoryFile` on it. Prints operations/s, peak RSS, and the ratio of the two
 * times. Targets: ratio <= 3, peak < 1 GiB, no anomaly.
 *
 * ORACLE_BENCH_OPERATIONS=n overrides the size (for a quick run).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HistoryGenerator } from '../model/history/generate.ts';

const OPERATIONS = Number(process.env['ORACLE_BENCH_OPERATIONS'] ?? 1_000_000);
const WORKER = process.env['ORACLE_BENCH_WORKER'];

interface Measure {
  /** Wall-clock seconds, and CPU seconds (user + system, steadier on a shared machine). */
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssMiB: number;
  readonly detail: Record<string, unknown>;
}

export async function run(): Promise<void> {
  const path = join(tmpdir(), `kafka-oracle-bench-${process.pid}.jsonl`);
  try {
    const started = process.hrtime.bigint();
    const summary = generate(path);
    const generated = Number(process.hrtime.bigint() - started) / 1e9;
    const mib = statSync(path).size / 2 ** 20;
    console.log(`history: ${summary.operations} operations + final reads, ${summary.events} lines, ${summary.values} values, ${mib.toFixed(0)} MiB (generated in ${generated.toFixed(1)} s)`);
    // Best of two alternating runs each: the machine is shared, so one run can be unlucky.
    const floors = [measure('floor', path), measure('floor', path)];
    const checks = [measure('check', path), measure('check', path)];
    const best = (runs: Measure[], by: (m: Measure) => number) => Math.min(...runs.map(by));
    const floor = { wall: best(floors, (m) => m.seconds), cpu: best(floors, (m) => m.cpuSeconds), rss: best(floors, (m) => m.maxRssMiB) };
    const check = { wall: best(checks, (m) => m.seconds), cpu: best(checks, (m) => m.cpuSeconds), rss: Math.max(...checks.map((m) => m.maxRssMiB)), detail: checks[0]!.detail };
    const operations = Number(check.detail['operations']);
    console.log(`floor (read + JSON.parse each line): ${floor.wall.toFixed(2)} s wall, ${floor.cpu.toFixed(2)} s CPU, peak RSS ${floor.rss.toFixed(0)} MiB`);
    console.log(`check: ${check.wall.toFixed(2)} s wall, ${check.cpu.toFixed(2)} s CPU, ${Math.round(operations / check.wall).toLocaleString('en-US')} operations/s, peak RSS ${check.rss.toFixed(0)} MiB`);
    console.log(`ratio to floor: ${(check.wall / floor.wall).toFixed(2)}x wall, ${(check.cpu / floor.cpu).toFixed(2)}x CPU (target <= 3x); peak under 1 GiB: ${check.rss < 1024}`);
    console.log(`verdict: valid=${String(check.detail['valid'])}, anomalies: ${JSON.stringify(check.detail['anomalyTypes'])}, reads ${String(check.detail['reads'])}, sends ${String(check.detail['writes'])}`);
  } finally {
    rmSync(path, { force: true });
  }
}

function generate(path: string) {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let size = 0;
  const flush = (): void => {
    writeSync(fd, buffer.join(''));
    buffer = [];
    size = 0;
  };
  const generator = new HistoryGenerator(
    { seed: 20_241_112, operations: OPERATIONS, keys: 64, threads: 16, txn: false, failPercent: 1, infoPercent: 0, keysPerConsumer: 8, maxPollRecords: 16, assignFrom: 'latest' },
    (event) => {
      const line = JSON.stringify(event) + '\n';
      buffer.push(line);
      size += line.length;
      if (size > 1 << 20) flush();
    },
  );
  const summary = generator.run();
  flush();
  closeSync(fd);
  return summary;
}

function measure(mode: 'floor' | 'check', path: string): Measure {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, path], {
    env: { ...process.env, ORACLE_BENCH_WORKER: mode },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`bench worker ${mode} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measure;
}

async function worker(mode: string, path: string): Promise<void> {
  const { forEachLine } = await import('../model/history/read-lines.ts');
  const { parseJsonLine } = await import('../model/history/parse-jsonl.ts');
  const { checkHistoryFile } = await import('../model/history/check-file.ts');
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let detail: Record<string, unknown> = {};
  if (mode === 'floor') {
    let parsed = 0;
    await forEachLine(path, (line, n) => {
      if (parseJsonLine(line, path, n) !== undefined) parsed++;
    });
    detail = { lines: parsed };
  } else {
    const result = await checkHistoryFile(path, {});
    detail = { valid: result.valid, anomalyTypes: result.anomalyTypes, operations: result.stats.operations, reads: result.stats.reads, writes: result.stats.writes };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, cpuSeconds, maxRssMiB, detail } satisfies Measure));
}

if (WORKER !== undefined) await worker(WORKER, process.argv[2]!);

/**
 * `kafka-oracle recover <partition-dir> [--json] [--dry-run]`: run Kafka's log recovery
 * (LogLoader, as after an unclean shutdown) on a partition directory `<topic>-<partition>`
 * of real files, and print what it kept and cut: `{logEndOffset, truncatedBytes,
 * deletedSegments, batches}` plus where recovery started and what it found wrong.
 *
 * Like the broker at startup it repairs the directory: a torn or corrupt tail is cut,
 * later segments are deleted, indexes rebuilt. With `--dry-run` the files are copied into
 * the simulated file system first and the directory is left untouched.
 *
 * Bad input (exit 2, one line): a missing path, not a directory, a name that is not
 * `<topic>-<partition>`, no `.log` segment in it, an unknown option.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../core/assert.ts';
import type { FileSystem } from '../storage/fs.ts';
import { RealFileSystem } from '../storage/real-fs.ts';
import { SimFileSystem } from '../storage/sim-fs.ts';
import { DEFAULT_LOG_CONFIG, PartitionLog, type RecoveryReport } from '../storage/partition-log.ts';
import { RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT } from '../storage/checkpoint.ts';
import type { Io } from './io.ts';
import type { Command } from './main.ts';

const USAGE = 'usage: kafka-oracle recover <partition-dir> [--json] [--dry-run]';

interface Options {
  readonly dir: string;
  readonly json: boolean;
  readonly dryRun: boolean;
}

export function parseRecoverArgs(args: readonly string[]): Options {
  let dir: string | undefined;
  let json = false;
  let dryRun = false;
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '--dry-run') dryRun = true;
    else if (arg.startsWith('-')) throw new InputError(`unknown option '${arg}' (${USAGE})`);
    else if (dir === undefined) dir = arg;
    else throw new InputError(`one partition directory only, got '${dir}' and '${arg}' (${USAGE})`);
  }
  if (dir === undefined) throw new InputError(`no partition directory given (${USAGE})`);
  return { dir: resolve(dir), json, dryRun };
}

/** `<topic>-<partition>` as Kafka names partition directories (`UnifiedLog.parseTopicPartitionName`). */
export function topicPartitionOf(dir: string): { topic: string; partition: number } {
  const name = basename(dir);
  const dash = name.lastIndexOf('-');
  const partition = Number(name.slice(dash + 1));
  if (dash <= 0 || !/^\d+$/.test(name.slice(dash + 1)) || !Number.isSafeInteger(partition)) {
    throw new InputError(`${dir}: not a partition directory (expected <topic>-<partition>)`);
  }
  return { topic: name.slice(0, dash), partition };
}

function checkDirectory(dir: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new InputError(`${dir}: no such directory`);
  }
  if (!isDirectory) throw new InputError(`${dir}: not a directory`);
  if (!readdirSync(dir).some((n) => /^\d{20}\.log$/.test(n))) throw new InputError(`${dir}: no segment files (<20 digits>.log)`);
}

/** The partition directory and its log dir's checkpoints, copied into a simulated file system. */
function copyIntoSim(dir: string): SimFileSystem {
  const sim = new SimFileSystem();
  sim.mkdirp(dir);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) sim.writeFile(path, readFileSync(path));
  }
  for (const name of [RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT]) {
    const path = join(dirname(dir), name);
    try {
      if (statSync(path).isFile()) sim.writeFile(path, readFileSync(path));
    } catch {
      // No such checkpoint: recovery starts from the first segment.
    }
  }
  return sim;
}

export function recoverDirectory(dir: string, dryRun: boolean): RecoveryReport {
  const topicPartition = topicPartitionOf(dir);
  checkDirectory(dir);
  const fs: FileSystem = dryRun ? copyIntoSim(dir) : new RealFileSystem();
  try {
    return PartitionLog.open(fs, dir, { ...DEFAULT_LOG_CONFIG, ...topicPartition }).recovery;
  } finally {
    fs.close();
  }
}

function formatReport(dir: string, r: RecoveryReport, dryRun: boolean): string[] {
  const how = r.cleanShutdown ? 'clean shutdown marker found' : 'unclean shutdown';
  return [
    `${dir}: ${how}; ${dryRun ? 'dry run, nothing written' : 'recovered in place'}`,
    `  log start offset   ${r.logStartOffset}`,
    `  log end offset     ${r.logEndOffset}`,
    `  recovered from     offset ${r.recoveredFrom}`,
    `  batches checked    ${r.batches}`,
    `  truncated bytes    ${r.truncatedBytes}`,
    `  deleted segments   ${r.deletedSegments.length === 0 ? 'none' : r.deletedSegments.join(', ')}`,
    `  high watermark     ${r.highWatermark}`,
    ...(r.problems.length === 0 ? ['  problems           none'] : ['  problems:', ...r.problems.map((p) => `    - ${p}`)]),
  ];
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    const options = parseRecoverArgs(args);
    const report = recoverDirectory(options.dir, options.dryRun);
    if (options.json) io.out(JSON.stringify({ dir: options.dir, dryRun: options.dryRun, ...report }));
    else for (const line of formatReport(options.dir, report, options.dryRun)) io.out(line);
    return 0;
  },
};

import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { topicPartitionOf } from '../../src/cli/recover.ts';
import { RealFileSystem } from '../../src/storage/real-fs.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { encodeBatch } from '../../src/storage/record-batch.ts';
import { commandRunner } from './run-command.ts';

const root = mkdtempSync(join(tmpdir(), 'recover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const te = new TextEncoder();
let dirs = 0;

/** A real partition directory: 6 batches in segments of ~3, a torn batch at the end. */
function tornPartition(): { dir: string; logFile: string } {
  const logDir = join(root, `logs-${dirs++}`);
  mkdirSync(logDir);
  const dir = join(logDir, 'orders-3');
  const fs = new RealFileSystem();
  const { log } = PartitionLog.open(fs, dir, { topic: 'orders', partition: 3, segmentBytes: 300, indexIntervalBytes: 0, flushMessages: Number.MAX_SAFE_INTEGER });
  for (let i = 0; i < 6; i++) log.appendAsLeader(encodeBatch({ records: [{ key: null, value: te.encode(`order-${i}`.padEnd(20, '.')) }] }), 0);
  fs.close();
  const torn = encodeBatch({ baseOffset: 6, records: [{ key: null, value: te.encode('torn') }] }).subarray(0, 30);
  const logFile = join(dir, '00000000000000000003.log');
  appendFileSync(logFile, torn);
  return { dir, logFile };
}

const run = commandRunner('recover');

describe('kafka-oracle recover', () => {
  it('--json: what recovery kept and cut, and the torn tail is gone from the file', async () => {
    const { dir, logFile } = tornPartition();
    const before = statSync(logFile).size;
    const { status, stdout } = await run(dir, '--json');
    expect(status).toBe(0);
    const report = JSON.parse(stdout[0] as string);
    expect(report).toMatchObject({ logEndOffset: 6, truncatedBytes: 30, deletedSegments: [], cleanShutdown: false, dryRun: false });
    expect(report.batches).toBeGreaterThan(0);
    expect(report.problems[0]).toMatch(/torn batch at position/);
    expect(statSync(logFile).size).toBe(before - 30);
  });

  it('human form, and --dry-run leaves the directory untouched', async () => {
    const { dir, logFile } = tornPartition();
    const bytes = readFileSync(logFile);
    const { status, stdout } = await run(dir, '--dry-run');
    expect(status).toBe(0);
    expect(stdout[0]).toMatch(/unclean shutdown; dry run, nothing written/);
    expect(stdout).toContain('  log end offset     6');
    expect(stdout).toContain('  truncated bytes    30');
    expect(readFileSync(logFile)).toEqual(bytes);
  });

  it('a second recovery finds nothing to cut', async () => {
    const { dir } = tornPartition();
    await run(dir);
    const { stdout } = await run(dir, '--json');
    expect(JSON.parse(stdout[0] as string)).toMatchObject({ logEndOffset: 6, truncatedBytes: 0, problems: [] });
  });

  it('bad directories: one line, exit 2', async () => {
    const file = join(root, 'plain-0');
    writeFileSync(file, 'x');
    const empty = join(root, 'empty-0');
    mkdirSync(empty);
    const cases: [string[], RegExp][] = [
      [[join(root, 'missing-0')], /no such directory/],
      [[file], /not a directory/],
      [[empty], /no segment files/],
      [[root], /not a partition directory/],
      [[], /no partition directory given/],
      [[empty, '--frobnicate'], /unknown option/],
    ];
    for (const [args, message] of cases) {
      const { status, stderr, stdout } = await run(...args);
      expect(status).toBe(2);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(message);
      expect(stdout).toEqual([]);
    }
  });

  it('parses <topic>-<partition> like Kafka, topic dashes included', () => {
    expect(topicPartitionOf('/x/my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(() => topicPartitionOf('/x/-3')).toThrow(/not a partition directory/);
  });
});

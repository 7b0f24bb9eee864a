import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandRunner } from './run-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'replay-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = commandRunner('replay');

describe('kafka-oracle replay --trace', () => {
  it('re-runs an explorer counterexample: the KIP-101 violation reproduces (exit 1)', async () => {
    const { status, stdout } = await run('--trace', 'test/model/explore/fixtures/kip101-truncate-to-high-watermark.json');
    expect(status).toBe(1);
    expect(stdout.join('\n')).toMatch(/VIOLATED leader-completeness/);
  });

  it('twin: the same steps under today\'s protocol do not violate anything (exit 0)', async () => {
    const trace = JSON.parse((await import('node:fs')).readFileSync('test/model/explore/fixtures/kip101-truncate-to-high-watermark.json', 'utf8'));
    const file = join(dir, 'today.json');
    writeFileSync(file, JSON.stringify({ ...trace, variant: null }));
    const { status } = await run('--trace', file);
    expect(status).toBe(0);
  });

  it('bad input: one line, exit 2', async () => {
    const notTrace = join(dir, 'other.json');
    writeFileSync(notTrace, '{"model":"raft"}');
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{');
    for (const args of [['--trace', notTrace], ['--trace', garbage], ['--trace', join(dir, 'missing.json')], ['--trace', notTrace, '--seed', '1']]) {
      const { status, stderr } = await run(...args);
      expect(status, args.join(' ')).toBe(2);
      expect(stderr).toHaveLength(1);
    }
  });
});

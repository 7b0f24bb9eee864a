import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandRunner } from './run-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'replay-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = commandRunner('replay');
const KIP101 = 'test/model/explore/fixtures/kip101-truncate-to-high-watermark.json';

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
    const transactions = join(dir, 'transactions.json');
    writeFileSync(transactions, '{"model":"transactions"}');
    for (const args of [
      ['--trace', notTrace],
      ['--trace', garbage],
      ['--trace', join(dir, 'missing.json')],
      ['--trace', notTrace, '--seed', '1'],
      ['--trace', KIP101, '--in', 'moon'],
      ['--trace', KIP101, '--in'],
      ['--in', 'sim'],
      ['--trace', transactions, '--in', 'sim'],
      ['--trace', notTrace, '--in', 'sim'],
    ]) {
      const { status, stderr } = await run(...args);
      expect(status, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toHaveLength(1);
      expect(stderr[0], args.join(' ')).not.toMatch(/\n|    at /);
    }
  });

  it('--in explorer is the default', async () => {
    const explicit = await run('--trace', KIP101, '--in', 'explorer');
    const implicit = await run('--trace', KIP101);
    expect(explicit).toEqual(implicit);
  });
});

describe('kafka-oracle replay --trace FILE --in sim', () => {
  it('drives the simulator through the KIP-101 counterexample: the violation reproduces at the same step (exit 1)', async () => {
    const { status, stdout } = await run('--in', 'sim', '--trace', KIP101);
    expect(status).toBe(1);
    expect(stdout[0]).toBe(`replay ${KIP101} in the simulator: replication | variant truncate-to-high-watermark | 13 steps`);
    expect(stdout.at(-1)).toMatch(/^VIOLATED leader-completeness at step 13 in the simulator: leader broker-2 \(epoch 2, LEO 0\) lacks v0@0/);
  });

  it('twin: the same steps under today\'s protocol run through the simulator with no violation (exit 0)', async () => {
    const file = join(dir, 'today-sim.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(KIP101, 'utf8')), variant: null }));
    const { status, stdout } = await run('--trace', file, '--in', 'sim');
    expect(status).toBe(0);
    expect(stdout.at(-1)).toBe('the violation does not reproduce in the simulator: every invariant held');
  });

  it('a trace whose step names a message not at its link\'s head: one line naming the step, exit 2', async () => {
    const trace = JSON.parse(readFileSync(KIP101, 'utf8'));
    [trace.steps[1], trace.steps[2]] = [trace.steps[2], trace.steps[1]];
    const file = join(dir, 'corrupt.json');
    writeFileSync(file, JSON.stringify(trace));
    const { status, stdout, stderr } = await run('--trace', file, '--in', 'sim');
    expect(status).toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([`kafka-oracle replay: ${file}: step 2 (deliver producer-0→broker-0 producer-0→broker-0 Produce value=["v0"]) does not apply in the simulator: the trace names producer-0→broker-0 Produce value=["v0"], the simulator has producer-0→broker-0 Metadata there`]);
  });
});

describe('kafka-oracle replay --trace FILE --in sim, a transactions trace (the exactly-once world)', () => {
  const NO_ZOMBIE_FENCING = 'test/model/explore/fixtures/txn-no-zombie-fencing.json';
  const TV1_LATE_MESSAGE = 'test/model/explore/fixtures/txn-tv1-late-message.json';

  it('drives the EOS simulator through the no-zombie-fencing counterexample: the violation reproduces at the explorer\'s step (exit 1)', async () => {
    const sim = await run('--in', 'sim', '--trace', NO_ZOMBIE_FENCING);
    const explorer = await run('--trace', NO_ZOMBIE_FENCING);
    expect(sim.status).toBe(1);
    expect(explorer.status).toBe(1);
    expect(sim.stdout[0]).toBe(`replay ${NO_ZOMBIE_FENCING} in the simulator: transactions | variant no-zombie-fencing | transaction.version 2 | 13 steps`);
    const witness = 'read_committed returns a0.0 at output-0@0, written by the fenced producer-a after producer-b got its producer id (log end 0 then)';
    expect(sim.stdout.at(-1)).toBe(`VIOLATED zombie-write-invisible at step 13 in the simulator: ${witness}`);
    expect(explorer.stdout.at(-1)).toBe(`      VIOLATED zombie-write-invisible: ${witness}`);
  });

  it('TV1\'s late message reproduces at step 21 (exit 1); its twin under today\'s protocol stops at step 15 with one line (exit 2): the late Produce is refused before any verification', async () => {
    const sim = await run('--trace', TV1_LATE_MESSAGE, '--in', 'sim');
    expect(sim.status).toBe(1);
    expect(sim.stdout.at(-1)).toMatch(/^VIOLATED aborted-transaction-invisible at step 21 in the simulator: read_committed returns a0\.0 at output-0@1/);
    const file = join(dir, 'tv1-today.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(TV1_LATE_MESSAGE, 'utf8')), variant: null, transactionVersion: 2 }));
    const twin = await run('--trace', file, '--in', 'sim');
    expect(twin.status).toBe(2);
    expect(twin.stdout).toEqual([]);
    expect(twin.stderr).toEqual([`kafka-oracle replay: ${file}: step 15 (deliver broker-1→broker-0 AddPartitionsToTxn (verifyOnly) [output-0] epoch 0) does not apply in the simulator: nothing is in flight on broker-1→broker-0`]);
  });

  it('a corrupted transactions trace: one line naming the step, exit 2', async () => {
    const trace = JSON.parse(readFileSync(TV1_LATE_MESSAGE, 'utf8'));
    [trace.steps[1], trace.steps[2]] = [trace.steps[2], trace.steps[1]];
    const file = join(dir, 'txn-corrupt.json');
    writeFileSync(file, JSON.stringify(trace));
    const { status, stdout, stderr } = await run('--trace', file, '--in', 'sim');
    expect(status).toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([`kafka-oracle replay: ${file}: step 2 (deliver broker-0→producer-a AddPartitionsToTxnResponse NONE) does not apply in the simulator: nothing is in flight on broker-0→producer-a (answers)`]);
  });
});

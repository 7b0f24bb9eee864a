import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTransactionsArgs } from '../../src/cli/explore-transactions.ts';
import { commandRunner } from './run-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'explore-txn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The smallest configuration: one incarnation, one partition, one one-record transaction. */
const SMALL = ['--model', 'transactions', '--incarnations', '1', '--partitions', '1'];

const run = commandRunner('explore');

describe('kafka-oracle explore --model transactions', () => {
  it('--json answers with the issue\'s fields', async () => {
    const { status, stdout } = await run(...SMALL, '--json');
    expect(status).toBe(0);
    const answer = JSON.parse(stdout.join('\n'));
    expect(answer).toMatchObject({ model: 'transactions', variant: 'none', transactionVersion: 2, distinctStates: 44, depth: 12, exhaustive: true });
    expect(answer.bounds).toMatchObject({ incarnations: 1, partitions: 1, transactions: 1, records: 1, retries: 0, timeouts: 0, failovers: 0 });
    expect(answer.violation).toBeUndefined();
    expect(typeof answer.statesPerSecond).toBe('number');
    expect(answer.reached).toHaveProperty('transaction-committed');
  });

  it('prints totals, the sometimes properties reached, and the verdict', async () => {
    const { status, stdout } = await run(...SMALL);
    expect(status).toBe(0);
    const text = stdout.join('\n');
    expect(text).toMatch(/^explore transactions \| variant none \| transaction.version 2, 1 incarnations/);
    expect(text).toMatch(/exhaustive: 44 distinct states/);
    expect(text).toMatch(/transaction-aborted \(depth \d+\)/);
    expect(stdout.at(-1)).toBe('no invariant violated');
  });

  it('a caught variant exits 1 with its shortest trace; --trace writes it and --replay reproduces it', async () => {
    const trace = join(dir, 'tv1.json');
    const args = ['--model', 'transactions', '--transaction-version', '1', '--variant', 'no-partition-verification', '--incarnations', '1', '--partitions', '1', '--timeouts', '1'];
    const found = await run(...args, '--trace', trace);
    expect(found.status).toBe(1);
    expect(found.stdout.join('\n')).toMatch(/VIOLATED no-hanging-transaction: output-0: producer 1000000's transaction from offset 1 is open/);
    expect(found.stdout.join('\n')).toMatch(/shortest trace \(11 steps\):/);
    const replayed = await run('--model', 'transactions', '--replay', trace);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout.at(-1)).toMatch(/VIOLATED no-hanging-transaction/);
    expect(replayed.stdout).toHaveLength(1 + 11 + 1);
  });

  it('--workers 2 explores the same states on two threads, and finds the same shortest trace', async () => {
    const one = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--json')).stdout.join('\n'));
    const two = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--workers', '2', '--json')).stdout.join('\n'));
    expect(two).toMatchObject({ distinctStates: one.distinctStates, depth: one.depth, exhaustive: true });
    const tv1 = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--transaction-version', '1', '--workers', '2', '--json')).stdout.join('\n'));
    expect(tv1.violation.invariant).toBe('aborted-transaction-invisible');
    expect(tv1.violation.steps).toHaveLength(21);
  }, 60_000);

  it('--search dfs explores the same states depth-first', async () => {
    const bfs = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--json')).stdout.join('\n'));
    const dfs = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--search', 'dfs', '--json')).stdout.join('\n'));
    expect(dfs).toMatchObject({ search: 'dfs', distinctStates: bfs.distinctStates, transitions: bfs.transitions, exhaustive: true });
  }, 60_000);

  it('--frontier replay explores the same states, keeping no worlds, and finds the same shortest trace', async () => {
    const held = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--json')).stdout.join('\n'));
    const replayed = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--frontier', 'replay', '--json')).stdout.join('\n'));
    expect(replayed).toMatchObject({ frontier: 'replay', distinctStates: held.distinctStates, transitions: held.transitions, depth: held.depth, exhaustive: true });
    expect(replayed.replaySteps).toBeGreaterThan(0);
    const tv1 = JSON.parse((await run(...SMALL, '--transactions', '2', '--timeouts', '1', '--transaction-version', '1', '--frontier', 'replay', '--workers', '2', '--json')).stdout.join('\n'));
    expect(tv1.violation.steps).toHaveLength(21);
  }, 60_000);

  it('--max-states stops early (not exhaustive)', async () => {
    const { status, stdout } = await run('--model', 'transactions', '--max-states', '100', '--json');
    expect(status).toBe(0);
    expect(JSON.parse(stdout.join('\n'))).toMatchObject({ distinctStates: 100, exhaustive: false });
  });

  it('--help prints the transactions usage', async () => {
    const { status, stdout } = await run('--model', 'transactions', '--help');
    expect(status).toBe(0);
    expect(stdout.join('\n')).toMatch(/--transaction-version 1\|2/);
  });

  it.each([
    [['--variant', 'truncate-to-high-watermark'], /--variant: unknown variant 'truncate-to-high-watermark' for the transactions model \(known: none, no-zombie-fencing, no-partition-verification\)/],
    [['--transaction-version', '3'], /--transaction-version must be an integer from 1 to 2, not '3'/],
    [['--incarnations', '3'], /--incarnations must be an integer from 1 to 2/],
    [['--partitions', 'x'], /--partitions must be an integer/],
    [['--replicas', '3'], /unknown option '--replicas' for --model transactions/],
    [['--timeouts'], /--timeouts needs a value/],
    [['--invariants', 'no-duplicate'], /--invariants: unknown invariant 'no-duplicate' \(known: aborted-transaction-invisible, /],
  ])('bad flags are one-line input errors: %j', async (flags, message) => {
    const { status, stderr } = await run('--model', 'transactions', ...flags);
    expect(status).toBe(2);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(message);
  });

  it('a trace file of another model or a broken file is an input error', async () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ model: 'replication', variant: null, bounds: {}, steps: [] }));
    const wrong = await run('--model', 'transactions', '--replay', other);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr[0]).toMatch(/model must be 'transactions'/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    expect((await run('--model', 'transactions', '--replay', broken)).status).toBe(2);
  });

  it('parses bounds and faults into the model\'s bounds', () => {
    const o = parseTransactionsArgs(['--model', 'transactions', '--transactions', '2', '--records', '2', '--retries', '1', '--drops', '1', '--failovers', '1', '--transaction-version', '1']);
    expect(o.protocol).toEqual({ variant: null, transactionVersion: 1 });
    expect(o.bounds).toMatchObject({ transactions: 2, records: 2, retries: 1, incarnations: 2, partitions: 2 });
    expect(o.bounds.budget).toEqual({ drops: 1, duplicates: 0, reorders: 0, timeouts: 0, failovers: 1 });
    expect(parseTransactionsArgs(['--invariants', 'lso-monotonic,no-aborted-read']).invariants).toEqual(['lso-monotonic', 'no-aborted-read']);
  });
});

/**
 * `kafka-oracle check [--seed N] [--runs N] [--shrink N] [--only PATTERN] [--jobs N] [--json]`: the main job. Runs
 * the guarantee × configuration matrix (src/sim/matrix.ts) on the simulated cluster with
 * fast-check, shrinks every failure, and prints a summary table (or `{"rows": [...]}` with
 * --json) and each counterexample as numbered readable steps with its seed and path.
 * `--runs N` replaces every row's number of histories; `--shrink N` bounds the histories
 * shrinking may spend on one counterexample (default 300). `--jobs N` checks rows on N
 * processes (default: up to 2, the cores this project is sized for); results do not depend on it.
 * Exit 0 when every verdict matches its expectation, 1 otherwise, 2 on bad usage.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../core/assert.ts';
import { formatConfig, type ClusterConfig } from '../protocol/config.ts';
import { checkRow, type Counterexample, type RowResult } from '../sim/checker.ts';
import { machineRoles } from '../sim/machine-roles.ts';
import { BASELINE, MATRIX, type MatrixRow } from '../sim/matrix.ts';
import type { Command } from './main.ts';
import type { Io } from './io.ts';
import { runPool, type RowTask, type WorkerMessage } from './check-pool.ts';

export const DEFAULT_SEED = 20261121;

interface Options {
  seed: number;
  runs: number | undefined;
  shrink: number | undefined;
  only: RegExp | undefined;
  jobs: number;
  json: boolean;
}

const USAGE = 'usage: kafka-oracle check [--seed N] [--runs N] [--shrink N] [--only PATTERN] [--jobs N] [--json]\n  --only matches "<guarantee> <key=value ...> faults=<budget>"';

export function parseCheckArgs(args: readonly string[]): Options {
  const options: Options = { seed: DEFAULT_SEED, runs: undefined, shrink: undefined, only: undefined, jobs: Math.min(2, availableParallelism()), json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new InputError(`${arg} needs a value (${USAGE})`);
      return v;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--seed') options.seed = integer(arg, value());
    else if (arg === '--runs') options.runs = integer(arg, value(), 1);
    else if (arg === '--shrink') options.shrink = integer(arg, value());
    else if (arg === '--only') options.only = pattern(value());
    else if (arg === '--jobs') options.jobs = integer(arg, value(), 1);
    else throw new InputError(`unknown option '${arg}' (${USAGE})`);
  }
  return options;
}

function integer(flag: string, text: string, min = 0): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new InputError(`${flag} must be an integer ≥ ${min}, not '${text}'`);
  return Number(text);
}

function pattern(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch {
    throw new InputError(`--only: '${text}' is not a regular expression`);
  }
}

/**
 * What `--only` matches: the guarantee, the config as Kafka settings and the fault budget
 * (`faults=NAME`), so rows that differ only in their faults (a variant's fix twin and the
 * baseline) can be told apart.
 */
export function selectionText(r: MatrixRow): string {
  return `${r.guarantee} ${formatConfig(r.config)} faults=${r.budget.name}`;
}

export function selectRows(only: RegExp | undefined): MatrixRow[] {
  if (only === undefined) return [...MATRIX];
  const rows = MATRIX.filter((r) => only.test(selectionText(r)));
  if (rows.length === 0) throw new InputError(`--only ${only.source} matches no row`);
  return rows;
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    if (args.includes('--help')) {
      io.out(USAGE);
      return 0;
    }
    if (args[0] === '--worker') return serveRows();
    const options = parseCheckArgs(args);
    const rows = selectRows(options.only);
    if (!options.json) io.out(`kafka-oracle check: ${rows.length} rows, seed ${options.seed}, ${Math.min(options.jobs, rows.length)} process(es)`);
    const results = options.jobs > 1 && rows.length > 1 ? await checkInPool(rows, options, io) : checkHere(rows, options, io);
    io.status('');
    if (options.json) io.out(JSON.stringify({ seed: options.seed, rows: results.map(({ result }) => jsonRow(result)) }, null, 2));
    else printHuman(io, results, options.seed);
    return results.every(({ result }) => matches(result)) ? 0 : 1;
  },
};

type Timed = { result: RowResult; ms: number };

function checkOne(row: MatrixRow, task: Omit<RowTask, 'index'>, onHistory: (done: number, total: number) => void): Timed {
  const started = Date.now();
  const result = guarded(row, () =>
    checkRow(row, {
      seed: task.seed,
      runs: task.runs,
      ...(task.shrink === undefined ? {} : { shrinkHistories: task.shrink }),
      roles: machineRoles,
      onHistory,
    }),
  );
  return { result, ms: Date.now() - started };
}

function taskOf(options: Options): Omit<RowTask, 'index'> {
  return { seed: options.seed, runs: options.runs, shrink: options.shrink };
}

function checkHere(rows: readonly MatrixRow[], options: Options, io: Io): Timed[] {
  return rows.map((row, index) =>
    checkOne(row, taskOf(options), (done, total) => {
      if (io.isTty && done % 10 === 0) io.status(progressLine(index, rows.length, row, done, total));
    }),
  );
}

async function checkInPool(rows: readonly MatrixRow[], options: Options, io: Io): Promise<Timed[]> {
  const timed: (Timed | undefined)[] = rows.map(() => undefined);
  const position = new Map(rows.map((row, i) => [MATRIX.indexOf(row), i]));
  let finished = 0;
  await runPool(MATRIX, costliestFirst([...position.keys()]), options.jobs, taskOf(options), {
    progress: (index, done, total) => {
      if (io.isTty && done % 10 === 0) io.status(progressLine(finished, rows.length, MATRIX[index] as MatrixRow, done, total));
    },
    finished: (index, result, ms) => {
      timed[position.get(index) as number] = { result, ms };
      finished++;
    },
  });
  return timed.map((t) => {
    if (t === undefined) throw new Error('a row was never checked');
    return t;
  });
}

/** Longest first balances the processes: a `holds` row runs all its histories, a violated one stops early. */
function costliestFirst(indexes: number[]): number[] {
  const cost = (i: number): number => {
    const row = MATRIX[i] as MatrixRow;
    return row.expected === 'holds' ? row.histories : row.histories / 4;
  };
  return indexes.sort((a, b) => cost(b) - cost(a) || a - b);
}

/** `check --worker`: check the rows the parent sends (by index into MATRIX) until it disconnects. */
function serveRows(): Promise<number> {
  const send = (message: WorkerMessage): void => void process.send?.(message);
  process.on('message', (task: RowTask) => {
    const row = MATRIX[task.index] as MatrixRow;
    const { result, ms } = checkOne(row, task, (done, total) => {
      if (done % 10 === 0) send({ type: 'progress', index: task.index, done, total });
    });
    const { row: _row, ...rest } = result;
    send({ type: 'result', index: task.index, ms, result: rest });
  });
  return new Promise((resolve) => process.on('disconnect', () => resolve(0)));
}

/** One row's failure to run is that row's `error` verdict; the other rows still run. */
function guarded(row: MatrixRow, check: () => RowResult): RowResult {
  try {
    return check();
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
    return { row, verdict: 'error', histories: 0, sometimes: {}, error: message };
  }
}

/** A row matches when the verdict is the expected one and, for `holds`, every `sometimes` twin was reached. */
export function matches(result: RowResult): boolean {
  return result.verdict === result.row.expected && (result.verdict === 'violated' || unreached(result).length === 0);
}

export function unreached(result: RowResult): string[] {
  return Object.entries(result.sometimes)
    .filter(([, n]) => n === 0)
    .map(([name]) => name);
}

function progressLine(index: number, rows: number, row: MatrixRow, done: number, total: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] row ${index + 1}/${rows} ${row.guarantee} ${shortConfig(row.config)}: ${done}/${total} histories`;
}

/** The settings that differ from the baseline row, for the table (the JSON has them all). */
export function shortConfig(config: ClusterConfig): string {
  const keys = ['acks', 'min.insync.replicas', 'replication.factor', 'unclean.leader.election.enable', 'flush.messages', 'eligible.leader.replicas.enable', 'enable.idempotence', 'isolation.level', 'transaction.version'] as const;
  const parts = keys.filter((k) => config[k] !== BASELINE[k] || k === 'acks').map((k) => `${k}=${k === 'acks' && config[k] === -1 ? 'all' : String(config[k])}`);
  if (config.variant !== null) parts.push(`variant=${config.variant}`);
  return parts.join(' ');
}

function jsonRow(result: RowResult): object {
  const { row } = result;
  return {
    guarantee: row.guarantee,
    config: formatConfig(row.config),
    faults: row.budget.name,
    expected: row.expected,
    verdict: result.verdict,
    histories: result.histories,
    sometimes: result.sometimes,
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.counterexample === undefined ? {} : { counterexample: jsonCounterexample(result.counterexample) }),
  };
}

function jsonCounterexample(c: Counterexample): object {
  return { seed: c.seed, path: c.path, invariant: c.violation.invariant, witness: c.violation.witness, steps: c.steps, trace: c.trace };
}

function printHuman(io: Io, results: readonly { result: RowResult; ms: number }[], seed: number): void {
  const table = results.map(({ result, ms }) => [
    result.row.guarantee,
    shortConfig(result.row.config),
    result.row.budget.name,
    result.row.expected,
    result.verdict + (result.verdict === 'holds' && unreached(result).length > 0 ? ' (vacuous)' : ''),
    String(result.histories),
    `${(ms / 1000).toFixed(1)}s`,
    matches(result) ? 'ok' : 'MISMATCH',
  ]);
  const header = ['guarantee', 'config', 'faults', 'expected', 'verdict', 'histories', 'time', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  io.out('');
  io.out(line(header));
  io.out(line(widths.map((w) => '-'.repeat(w))));
  for (const r of table) io.out(line(r));
  for (const { result } of results) printCounterexample(io, result);
  for (const { result } of results) if (result.error !== undefined) io.out(`\nerror: ${result.row.guarantee} | ${shortConfig(result.row.config)}: ${result.error}`);
  for (const { result } of results)
    if (result.verdict === 'holds' && unreached(result).length > 0) io.out(`\nnote: ${result.row.guarantee} | ${shortConfig(result.row.config)}: never reached ${unreached(result).join(', ')}`);
  const mismatches = results.filter(({ result }) => !matches(result)).length;
  io.out(`\n${mismatches === 0 ? 'all verdicts as expected' : `${mismatches} row(s) did not reach their expected verdict`} (seed ${seed}; every setting of each row: --json)`);
}

function printCounterexample(io: Io, result: RowResult): void {
  const c = result.counterexample;
  if (c === undefined) return;
  const { row } = result;
  io.out('');
  io.out(`counterexample: ${row.guarantee} | ${shortConfig(row.config)}  (${row.why})`);
  io.out(`  violated ${c.violation.invariant}: ${c.violation.witness}`);
  io.out(`  replay: kafka-oracle replay --seed ${c.seed} --path ${c.path} --config "${formatConfig(row.config)}"`);
  io.out('  scenario:');
  c.steps.forEach((s, i) => io.out(`    ${String(i + 1).padStart(2)}. ${s}`));
  io.out('  what happened:');
  c.trace.forEach((t, i) => io.out(`    ${String(i + 1).padStart(3)}. ${t}`));
  io.out('  at the end:');
  for (const line of c.cluster) io.out(`    ${line}`);
}

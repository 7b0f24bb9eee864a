/**
 * `kafka-oracle replay --seed S --path P --config "..." [--guarantee NAME]`
 * `kafka-oracle replay --steps "send; run(5, seed 1); ..." --config "..." [--guarantee NAME]`
 * `kafka-oracle replay --trace FILE [--in explorer|sim]` (an explorer counterexample: replay-trace.ts)
 *
 * Replays one counterexample of `check` step by step: fast-check regenerates the scenario
 * from the seed and path (or the step list is given as data), the simulated cluster runs it
 * with the trace on, and every step prints with what it did to each replica's log and high
 * watermark. Exit 1 when the violation reproduces, 0 when it does not, 2 on bad input.
 *
 * `--data-dir DIR` writes each broker's files (segments, indexes, checkpoints) as they are
 * on its simulated disk at the end, under DIR/broker-N/, for `dump-log` and `recover`.
 * `--history FILE` writes the client history (JSON Lines, shared/contracts/history.md).
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { formatConfig, parseConfig } from '../protocol/config.ts';
import { guarantee } from '../../model/guarantees.ts';
import { replayRow } from '../sim/checker.ts';
import { machineRoles } from '../sim/machine-roles.ts';
import { MATRIX, type MatrixRow } from '../sim/matrix.ts';
import { type HistoryResult, runHistory } from '../sim/runner.ts';
import { parseScenario, stepToString, type Step } from '../sim/scenario.ts';
import type { World } from '../sim/world.ts';
import { RealFileSystem } from '../storage/real-fs.ts';
import type { FileSystem } from '../storage/fs.ts';
import type { Io } from './io.ts';
import type { Command } from './main.ts';
import { isEosRow } from '../sim/eos/checker.ts';
import { replayEos } from './replay-eos.ts';
import { TRACE_USAGE, replayExplorerTrace } from './replay-trace.ts';
import { EOS_GUARANTEES } from '../../model/eos/invariants.ts';

const USAGE = `usage: kafka-oracle replay (--seed S --path P | --steps "STEPS") --config "key=value ..." [--guarantee NAME] [--data-dir DIR] [--history FILE]\n       ${TRACE_USAGE}`;

interface Options {
  seed: number | undefined;
  path: string | undefined;
  steps: string | undefined;
  config: string | undefined;
  guarantee: string | undefined;
  dataDir: string | undefined;
  history: string | undefined;
}

export function parseReplayArgs(args: readonly string[]): Options {
  const o: Options = { seed: undefined, path: undefined, steps: undefined, config: undefined, guarantee: undefined, dataDir: undefined, history: undefined };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = args[++i];
    if (value === undefined) throw new InputError(`${flag} needs a value (${USAGE})`);
    if (flag === '--seed') {
      if (!/^-?\d+$/.test(value)) throw new InputError(`--seed must be an integer, not '${value}'`);
      o.seed = Number(value);
    } else if (flag === '--path') o.path = value;
    else if (flag === '--steps') o.steps = value;
    else if (flag === '--config') o.config = value;
    else if (flag === '--guarantee') o.guarantee = value;
    else if (flag === '--data-dir') o.dataDir = value;
    else if (flag === '--history') o.history = value;
    else throw new InputError(`unknown option '${flag}' (${USAGE})`);
  }
  if (o.config === undefined) throw new InputError(`--config is required (${USAGE})`);
  if (o.steps === undefined && (o.seed === undefined || o.path === undefined)) throw new InputError(`give --seed and --path, or --steps (${USAGE})`);
  if (o.path !== undefined && !/^\d+(:\d+)*$/.test(o.path)) throw new InputError(`--path must look like 12:0:3, not '${o.path}'`);
  return o;
}

/** The matrix row a replay runs under: same canonical config (and guarantee, when given). */
export function findRow(configText: string, guaranteeName: string | undefined): MatrixRow {
  const wanted = formatConfig(parseConfig(configText));
  if (guaranteeName !== undefined && !EOS_GUARANTEES.some((g) => g.name === guaranteeName)) guaranteeOrThrow(guaranteeName);
  const rows = MATRIX.filter((r) => formatConfig(r.config) === wanted && (guaranteeName === undefined || r.guarantee === guaranteeName));
  const row = rows[0];
  if (row === undefined) throw new InputError(`no matrix row has config "${wanted}"${guaranteeName === undefined ? '' : ` and guarantee ${guaranteeName}`} (see kafka-oracle check --json)`);
  return row;
}

function guaranteeOrThrow(name: string): void {
  try {
    guarantee(name);
  } catch {
    throw new InputError(`unknown guarantee '${name}' (known: no-acked-write-lost, idempotent-producer)`);
  }
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    if (args.includes('--help')) {
      io.out(USAGE);
      return 0;
    }
    if (args.includes('--trace') || args.includes('--in')) return replayExplorerTrace(args, io);
    const o = parseReplayArgs(args);
    const row = findRow(o.config as string, o.guarantee);
    if (isEosRow(row)) return replayEos(row, o, io);
    const { steps, result } = replay(row, o);
    printReplay(io, row, steps, result, o);
    if (o.dataDir !== undefined) exportDisks(result.world, new RealFileSystem(), o.dataDir, io);
    if (o.history !== undefined) writeFileSync(o.history, result.world.history.toJsonLines());
    return result.violations.length > 0 ? 1 : 0;
  },
};

function replay(row: MatrixRow, o: Options): { steps: Step[]; result: HistoryResult } {
  if (o.steps !== undefined) {
    const steps = parseScenario(o.steps);
    const g = guarantee(row.guarantee);
    return { steps, result: runHistory(steps, { config: row.config, budget: row.budget, roles: machineRoles, judge: g.invariants, trace: true }) };
  }
  const found = replayRow(row, machineRoles, o.seed as number, o.path as string);
  if (found === undefined) throw new InputError(`seed ${o.seed} path ${o.path} generates no scenario for this row`);
  return found;
}

function printReplay(io: Io, row: MatrixRow, steps: readonly Step[], result: HistoryResult, o: Options): void {
  io.out(`replay: ${row.guarantee} | ${formatConfig(row.config)} | faults ${row.budget.name}`);
  if (o.seed !== undefined && o.path !== undefined) io.out(`seed ${o.seed} path ${o.path}`);
  io.out('scenario:');
  steps.forEach((s, i) => io.out(`  ${String(i + 1).padStart(2)}. ${stepToString(s)}${result.skipped.includes(i) ? '   (skipped: fault budget spent)' : ''}`));
  io.out('what happened:');
  result.world.trace.forEach((t, i) => io.out(`  ${String(i + 1).padStart(3)}. [${t.step}] ${t.text}`));
  io.out('at the end:');
  for (const line of result.world.describeCluster()) io.out(`  ${line}`);
  if (result.violations.length === 0) io.out('the violation does not reproduce: every invariant held');
  for (const v of result.violations) io.out(`VIOLATED ${v.invariant} (${v.kind}, step ${v.step}, phase ${v.phase}): ${v.witness}`);
}

/** Copy every broker's simulated disk to DIR/broker-N/ on real files. */
function exportDisks(world: World, real: FileSystem, dir: string, io: Io): void {
  for (const broker of world.brokers) {
    const root = `/broker-${broker.id}`;
    copyTree(broker.storage.fs, root, real, `${dir}/broker-${broker.id}`);
  }
  real.close();
  io.out(`brokers' files written under ${dir}/broker-N/ (inspect with kafka-oracle dump-log)`);
}

function copyTree(from: FileSystem, source: string, to: FileSystem, target: string): void {
  to.mkdirp(target);
  for (const name of from.list(source)) {
    const path = `${source}/${name}`;
    if (from.list(path).length > 0 || !isFile(from, path)) copyTree(from, path, to, `${target}/${name}`);
    else to.writeFile(`${target}/${name}`, from.read(path));
  }
}

function isFile(fs: FileSystem, path: string): boolean {
  try {
    fs.size(path);
    return true;
  } catch {
    return false;
  }
}

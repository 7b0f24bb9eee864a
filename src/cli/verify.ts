/**
 * `kafka-oracle verify <history.jsonl|history.edn> [options]`: judges a client history (the
 * JSON form of Jepsen's Kafka workload history, or Jepsen's own `history.edn`) for the
 * anomalies Kafka forbids, with witnesses. See spec/oracle.md.
 *
 * Exit status: 0 valid, 1 invalid, 2 bad input or usage (one line: file:line: what), 3 unknown.
 */
import { InputError } from '../core/assert.ts';
import { allowedAnomalyTypes } from '../../model/history/check.ts';
import { checkHistoryFile } from '../../model/history/check-file.ts';
import { describeWitness, sentenceFor } from '../../model/history/explain.ts';
import type { CheckOptions, CheckResult, Isolation, SubVia } from '../../model/history/types.ts';
import type { Io } from './io.ts';
import type { Command } from './main.ts';

const USAGE = 'usage: kafka-oracle verify <history.jsonl|history.edn> [--json] [--txn] [--sub-via assign|subscribe] [--ww-deps] [--isolation read_committed|read_uncommitted] [--witnesses N]';

const HELP = `${USAGE}

Checks a client history for Jepsen's Kafka anomalies (lost-write, duplicate, G1a, poll-skip, ...).

  --json         print the answer object (valid, anomalyTypes, badAnomalyTypes, anomalies, ...)
  --txn          operations are transactions (f "txn", multi-send operations)
  --sub-via V    how consumers chose partitions: assign (default) or subscribe; repeat for both
  --ww-deps      infer write-write dependencies from the log order (G0, ww-based G1c)
  --isolation I  read_committed (adds early-read) or read_uncommitted (allows reads of
                 uncommitted data); default: Jepsen's rules
  --witnesses N  witnesses kept per anomaly type (default 32; the human output shows 3)

Exit status: 0 valid, 1 invalid, 2 bad input or usage, 3 unknown.`;

/** Witnesses shown per type in the human output. */
const SHOWN = 3;

interface Options {
  readonly file: string;
  readonly json: boolean;
  readonly check: CheckOptions;
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    const options = parseArgs(args);
    if (options === 'help') {
      io.out(HELP);
      return 0;
    }
    const result = await checkHistoryFile(options.file, options.check);
    if (options.json) io.out(JSON.stringify(result, null, 2));
    else for (const line of render(options.file, result)) io.out(line);
    return result.valid === true ? 0 : result.valid === false ? 1 : 3;
  },
};

function parseArgs(args: string[]): Options | 'help' {
  let file: string | undefined;
  let json = false;
  let txn = false;
  let wwDeps = false;
  const subVia: SubVia[] = [];
  let isolation: Isolation | undefined;
  let witnessLimit: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const next = args[++i];
      if (next === undefined) throw new InputError(`${arg} needs a value (${USAGE})`);
      return next;
    };
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--json') json = true;
    else if (arg === '--txn') txn = true;
    else if (arg === '--ww-deps') wwDeps = true;
    else if (arg === '--sub-via') subVia.push(...parseSubVia(value()));
    else if (arg === '--isolation') isolation = parseIsolation(value());
    else if (arg === '--witnesses') witnessLimit = parseCount(value());
    else if (arg.startsWith('-')) throw new InputError(`unknown option '${arg}' (${USAGE})`);
    else if (file === undefined) file = arg;
    else throw new InputError(`only one history file, got '${file}' and '${arg}' (${USAGE})`);
  }
  if (file === undefined) throw new InputError(`missing <history> file (${USAGE})`);
  const check: CheckOptions = {
    txn, wwDeps,
    ...(subVia.length > 0 ? { subVia } : {}),
    ...(isolation !== undefined ? { isolation } : {}),
    ...(witnessLimit !== undefined ? { witnessLimit } : {}),
  };
  return { file, json, check };
}

function parseSubVia(text: string): SubVia[] {
  return text.split(',').map((via) => {
    if (via === 'assign' || via === 'subscribe') return via;
    throw new InputError(`--sub-via: expected assign or subscribe, got '${via}'`);
  });
}

function parseIsolation(text: string): Isolation {
  if (text === 'read_committed' || text === 'read_uncommitted') return text;
  throw new InputError(`--isolation: expected read_committed or read_uncommitted, got '${text}'`);
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`--witnesses: expected a positive integer, got '${text}'`);
  return n;
}

/** The human report: a verdict line, what was read, then each anomaly type explained with its first witnesses. */
export function render(file: string, result: CheckResult): string[] {
  const s = result.stats;
  const o = result.options;
  const allowed = allowedAnomalyTypes(o);
  const lines = [verdictLine(result), ''];
  const counted = [count(s.events, 'event'), `${count(s.operations, 'operation')} (${s.ok} ok, ${s.fail} fail, ${s.info} info)`, count(s.keys, 'key'), count(s.values, 'value'), count(s.writes, 'send'), count(s.reads, 'read')];
  if (s.notes > 0) counted.push(count(s.notes, 'note'));
  lines.push(`history: ${file}: ${counted.join(', ')}`);
  lines.push(`options: txn=${o.txn} subVia=${o.subVia.join(',')} wwDeps=${o.wwDeps} isolation=${o.isolation ?? 'unspecified (Jepsen rules)'}`);
  if (result.error !== undefined) lines.push(`error: ${result.error}`);
  const ordered = [...result.badAnomalyTypes, ...result.anomalyTypes.filter((t) => !result.badAnomalyTypes.includes(t))];
  for (const type of ordered) {
    const count = result.anomalyCounts[type] ?? 0;
    const status = result.badAnomalyTypes.includes(type) ? 'BAD' : allowed.has(type) ? 'allowed' : 'not judged';
    lines.push('', `${type}: ${status}, ${count} found. ${sentenceFor(type)}`);
    const witnesses = result.anomalies[type] ?? [];
    for (const witness of witnesses.slice(0, SHOWN)) lines.push(`  - ${describeWitness(type, witness)}`);
    if (count > SHOWN) lines.push(`  (${count - SHOWN} more; --json lists up to ${o.witnessLimit})`);
  }
  return lines;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function verdictLine(result: CheckResult): string {
  const allowedFound = result.anomalyTypes.filter((t) => !result.badAnomalyTypes.includes(t));
  if (result.valid === true) {
    return `VALID: no anomaly Kafka forbids under these options${allowedFound.length > 0 ? ` (allowed: ${allowedFound.join(', ')})` : ''}`;
  }
  if (result.valid === false) return `INVALID: ${result.badAnomalyTypes.join(', ')}`;
  return `UNKNOWN: ${result.error ?? 'the history holds nothing to judge'}`;
}

/**
 * `kafka-oracle storage-check [--seeds N] [--seed S] [--variant V] [--json]`: the storage
 * crash campaign (src/storage/crash-campaign.ts) over seeds S .. S+N-1 on the simulated file
 * system. Each seed writes random batches with random flushes, rolls, truncations and
 * checkpoints, then crashes (its class: process crash, power loss, power loss with torn
 * writes, or torn writes plus a garbled unflushed byte), recovers and checks the
 * refinement: a prefix of what was appended that contains everything flushed, no corrupt
 * batch, consistent indexes and rebuilt state.
 *
 * Prints per class what recovery kept (runs, crashes, bytes and offsets lost, torn batches,
 * truncations) and a verdict. Exit 0 when every run holds, 1 on a violation (with the seed
 * and the command that replays it), 3 when the campaign was too small to reach its
 * `sometimes` witnesses (a power loss that lost unflushed data, a torn batch cut), 2 on bad
 * usage. `--variant skip-crc-check|no-truncate` runs a deliberately broken recovery, which
 * the campaign must catch.
 */
import { InputError } from '../core/assert.ts';
import { CRASH_KINDS, type CampaignResult, runCampaign } from '../storage/crash-campaign.ts';
import { RECOVERY_VARIANTS, type RecoveryVariant } from '../storage/segment.ts';
import type { Io } from './io.ts';
import type { Command } from './main.ts';

const USAGE = 'usage: kafka-oracle storage-check [--seeds N] [--seed S] [--variant kafka|skip-crc-check|no-truncate] [--json]';
export const DEFAULT_SEEDS = 400;
/** Below this many seeds the 'sometimes' witnesses are not required. */
const SOMETIMES_MIN_SEEDS = 40;

interface Options {
  readonly seeds: number;
  readonly seed: number;
  readonly variant: RecoveryVariant;
  readonly json: boolean;
}

export function parseStorageCheckArgs(args: readonly string[]): Options {
  let seeds = DEFAULT_SEEDS;
  let seed = 1;
  let variant: RecoveryVariant = 'kafka';
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new InputError(`${arg} needs a value (${USAGE})`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--seeds') seeds = integer(arg, value(), 1);
    else if (arg === '--seed') seed = integer(arg, value(), 0);
    else if (arg === '--variant') variant = variantOf(value());
    else throw new InputError(`unknown option '${arg}' (${USAGE})`);
  }
  return { seeds, seed, variant, json };
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new InputError(`${flag} must be an integer ≥ ${min}, not '${text}'`);
  return n;
}

function variantOf(text: string): RecoveryVariant {
  const found = RECOVERY_VARIANTS.find((v) => v === text);
  if (found === undefined) throw new InputError(`--variant must be one of ${RECOVERY_VARIANTS.join(', ')}, not '${text}'`);
  return found;
}

/** The 'sometimes' witnesses: without them a green run proves nothing. */
export function sometimes(result: CampaignResult): { powerLossLostData: number; tornBatches: number; garbledCaught: number } {
  const c = result.byClass;
  return {
    powerLossLostData: c.power.runsThatLostData + c.torn.runsThatLostData + c.garbled.runsThatLostData,
    tornBatches: c.torn.tornBatches + c.garbled.tornBatches,
    garbledCaught: c.garbled.garbled,
  };
}

export function verdictOf(result: CampaignResult): { status: number; line: string } {
  const first = result.violations[0];
  if (first !== undefined) {
    return { status: 1, line: `VIOLATION in ${result.violations.length} seed(s); first: seed ${first.seed}: ${first.message}` };
  }
  const s = sometimes(result);
  const reached = s.powerLossLostData > 0 && s.tornBatches > 0 && s.garbledCaught > 0;
  if (!reached && result.seeds >= SOMETIMES_MIN_SEEDS) {
    return { status: 3, line: `UNDECIDED: no violation, but the campaign never lost unflushed data, tore a batch or garbled one (${JSON.stringify(s)})` };
  }
  return { status: 0, line: `OK: in all ${result.seeds} seeds recovery kept a prefix of what was appended containing everything flushed, with no corrupt batch` };
}

function table(result: CampaignResult): string[] {
  const header = ['class', 'runs', 'crashes', 'mid-op', 'lost data', 'bytes lost', 'offsets lost', 'torn cut', 'truncations', 'garbled'];
  const rows = CRASH_KINDS.map((k) => {
    const t = result.byClass[k];
    return [k, t.runs, t.recoveries, t.interrupted, t.runsThatLostData, t.bytesLost, t.offsetsLost, t.tornBatches, t.truncations, t.garbled].map(String);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), ...rows.map(line)];
}

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    const options = parseStorageCheckArgs(args);
    const result = runCampaign({
      firstSeed: options.seed,
      seeds: options.seeds,
      variant: options.variant,
      onSeed: (done) => io.status(`storage-check: seed ${done}/${options.seeds}`),
    });
    io.status('');
    const verdict = verdictOf(result);
    if (options.json) {
      io.out(JSON.stringify({ firstSeed: options.seed, ...result, sometimes: sometimes(result), verdict: verdict.line, status: verdict.status }));
      return verdict.status;
    }
    io.out(`storage crash campaign: seeds ${options.seed}..${options.seed + options.seeds - 1}, recovery variant ${options.variant}`);
    for (const l of table(result)) io.out(l);
    for (const v of result.violations.slice(0, 5)) {
      io.out(`seed ${v.seed}: ${v.message}`);
      io.out(`  replay: kafka-oracle storage-check --seed ${v.seed} --seeds 1 --variant ${options.variant}`);
    }
    io.out(verdict.line);
    return verdict.status;
  },
};

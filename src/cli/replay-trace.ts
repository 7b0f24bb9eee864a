/**
 * `kafka-oracle replay --trace FILE [--in explorer|sim]`: re-runs a counterexample the
 * explorer wrote (`kafka-oracle explore ... --trace FILE`).
 *
 * - `--in explorer` (the default): in the explorer's own world, whichever model the trace
 *   names, through the same machines and step functions the explorer used, judging every
 *   state again.
 * - `--in sim`: in the simulator over the real segment-file storage, with its network, its
 *   one logical clock and its invariants, driven action by action: a replication trace in
 *   the simulated cluster (src/sim/trace-driver.ts), a transactions trace in the
 *   exactly-once world (src/sim/eos/trace-driver.ts). Each driver maps every explorer
 *   action to the simulator event that is the same machine step, and says what it
 *   simplifies (spec/explorer.md, "Replaying a trace in the simulator"). A step with no
 *   faithful counterpart there stops the replay with a one-line error naming the step.
 *
 * Exit status: 1 when some state violates an invariant, 0 when none does, 2 on bad input
 * or a trace that does not apply.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { replayTxnTraceInSim } from '../sim/eos/trace-driver.ts';
import { replayTraceInSim } from '../sim/trace-driver.ts';
import { runReplay } from './explore.ts';
import { replayTransactions } from './explore-transactions.ts';
import type { Io } from './io.ts';

export const TRACE_USAGE = 'kafka-oracle replay --trace FILE [--in explorer|sim]   (a counterexample written by kafka-oracle explore --trace; --in sim drives the simulator through it)';

type Where = 'explorer' | 'sim';

export function parseTraceArgs(args: readonly string[]): { readonly file: string; readonly where: Where } {
  let file: string | undefined;
  let where: Where = 'explorer';
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i] as string, args[i + 1]];
    if (value === undefined) throw new InputError(`${flag} needs a value (${TRACE_USAGE})`);
    if (flag === '--trace') file = value;
    else if (flag === '--in' && (value === 'explorer' || value === 'sim')) where = value;
    else if (flag === '--in') throw new InputError(`--in must be explorer or sim, not '${value}'`);
    else throw new InputError(`--trace takes only --in, not '${flag}' (${TRACE_USAGE})`);
  }
  if (file === undefined) throw new InputError(`--trace FILE is required (${TRACE_USAGE})`);
  return { file, where };
}

export function replayExplorerTrace(args: readonly string[], io: Io): number {
  const { file, where } = parseTraceArgs(args);
  const data = readTrace(file);
  const model = (data as { model?: unknown } | null)?.model;
  if (model !== 'replication' && model !== 'transactions') throw new InputError(`${file}: not an explorer trace (its "model" is ${JSON.stringify(model)}; known: replication, transactions)`);
  if (where === 'explorer') return model === 'replication' ? runReplay(file, io) : replayTransactions(file, io);
  const outcome = model === 'replication' ? replayTraceInSim(data, file) : replayTxnTraceInSim(data, file);
  outcome.lines.forEach((line) => io.out(line));
  return outcome.violation === undefined ? 0 : 1;
}

function readTrace(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: not a readable JSON trace (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
}

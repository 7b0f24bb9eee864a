/**
 * The exactly-once world's cost: histories per second of the holds row (random scenarios
 * from its fault budget, judged as `check` judges them), with the logical time and messages
 * per history, and a fault-free pipeline's cost per processed input.
 */
import { Prng } from '../src/core/prng.ts';
import { EOS_MATRIX } from '../src/sim/eos/matrix.ts';
import { runEosHistory } from '../src/sim/eos/runner.ts';
import { type EosStep, parseEosScenario } from '../src/sim/eos/scenario.ts';

const HISTORIES = 40;

/** A scenario drawn from the project's PRNG: sends, runs and the row's faults, like the generator's mix. */
function scenario(prng: Prng): EosStep[] {
  const steps: EosStep[] = [];
  const length = prng.between(5, 30);
  for (let i = 0; i < length; i++) {
    const roll = prng.below(20);
    if (roll < 6) steps.push({ kind: 'send' });
    else if (roll < 12) steps.push({ kind: 'run', ms: prng.between(1, prng.chance(1, 2) ? 40 : 1500), seed: prng.below(1000) });
    else if (roll < 14) steps.push({ kind: 'crash', broker: -1 });
    else if (roll < 15) steps.push({ kind: 'restart', broker: -1 });
    else if (roll < 17) steps.push({ kind: prng.pick(['pause', 'replace', 'resume'] as const), worker: prng.below(2) });
    else if (roll < 18) steps.push({ kind: 'abort', worker: prng.below(2) });
    else steps.push({ kind: prng.pick(['drop', 'delay', 'duplicate'] as const), pick: prng.below(16) });
  }
  return steps;
}

export async function run(): Promise<void> {
  const row = EOS_MATRIX[0];
  if (row === undefined) return;
  const prng = new Prng(20261121);
  let logicalMs = 0;
  let messages = 0;
  let violations = 0;
  const started = performance.now();
  for (let i = 0; i < HISTORIES; i++) {
    const r = runEosHistory(scenario(prng), { config: row.config, budget: row.budget });
    logicalMs += r.world.now();
    messages += r.world.network.stats.sent;
    violations += r.violations.length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`eos holds row: ${HISTORIES} random histories in ${seconds.toFixed(1)} s = ${(HISTORIES / seconds).toFixed(1)} histories/s; ${(logicalMs / HISTORIES / 1000).toFixed(1)} s logical and ${Math.round(messages / HISTORIES)} messages per history; ${violations} violations`);
  const quiet = parseEosScenario(Array.from({ length: 20 }, () => 'send').join('; ') + '; run(1500 ms, seed 1)');
  const t = performance.now();
  const r = runEosHistory(quiet, { config: row.config, budget: row.budget });
  const ms = performance.now() - t;
  console.log(`fault-free pipeline: 20 inputs processed exactly once in ${ms.toFixed(0)} ms (${(r.world.now() / 1000).toFixed(1)} s logical, ${r.world.network.stats.sent} messages, ${r.ledger.events.commits} transactions)`);
}

/**
 * Simulated histories per second (3 brokers, about 50 scenario steps, the baseline
 * configuration under process crashes, partitions and message faults), and how the time
 * splits between the machines (xstate steps), storage (segment files on the simulated file
 * system, recovery) and the rest of the simulator (network, timers, invariants, ledger).
 *
 * The split is measured by wrapping the two seams (Hosted.step and BrokerStorage's
 * perform/open) with a wall clock here in the bench, never inside src/sim.
 */
import { performance } from 'node:perf_hooks';
import { guarantee } from '../model/guarantees.ts';
import { Prng } from '../src/core/prng.ts';
import { BrokerStorage } from '../src/sim/broker-storage.ts';
import { machineRoles } from '../src/sim/machine-roles.ts';
import { BASELINE, CRASH_PARTITION_MESSAGE } from '../src/sim/matrix.ts';
import { Hosted } from '../src/sim/roles.ts';
import { runHistory } from '../src/sim/runner.ts';
import { scenarioFromSeed } from '../src/sim/scenario.ts';

const HISTORIES = 200;
const STEPS = 50;

function timed<T extends object, K extends keyof T>(target: T, key: K, add: (ms: number) => void): () => void {
  const original = target[key] as unknown as (...args: unknown[]) => unknown;
  (target as Record<K, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      add(performance.now() - started);
    }
  };
  return () => {
    (target as Record<K, unknown>)[key] = original;
  };
}

export async function run(): Promise<void> {
  const budget = { ...CRASH_PARTITION_MESSAGE, maxSteps: STEPS };
  const scenarios = Array.from({ length: HISTORIES }, (_, i) => {
    const prng = new Prng(1000 + i);
    const steps = scenarioFromSeed(prng, budget, 3);
    while (steps.length < STEPS) steps.push(...scenarioFromSeed(prng, budget, 3));
    return steps.slice(0, STEPS);
  });
  // Warm up the JIT on a few histories first.
  // The baseline's safety guarantee (its liveness needs ELR off: see the matrix).
  const judge = guarantee('no-acked-write-lost').invariants;
  for (const steps of scenarios.slice(0, 10)) runHistory(steps, { config: BASELINE, budget, roles: machineRoles, judge });

  let machinesMs = 0;
  let storageMs = 0;
  const restore = [
    timed(Hosted.prototype, 'step', (ms) => (machinesMs += ms)),
    timed(BrokerStorage.prototype, 'perform', (ms) => (storageMs += ms)),
    timed(BrokerStorage.prototype, 'open', (ms) => (storageMs += ms)),
  ];
  let events = 0;
  let violations = 0;
  const failed = new Map<string, number>();
  const started = performance.now();
  for (const steps of scenarios) {
    const result = runHistory(steps, { config: BASELINE, budget, roles: machineRoles, judge });
    events += result.world.network.stats.delivered;
    if (result.violations.length > 0) violations++;
    for (const v of result.violations) failed.set(v.invariant, (failed.get(v.invariant) ?? 0) + 1);
  }
  const totalMs = performance.now() - started;
  for (const undo of restore) undo();
  const simMs = totalMs - machinesMs - storageMs;
  const pct = (ms: number): string => `${((100 * ms) / totalMs).toFixed(0)}%`;
  console.log(`histories: ${HISTORIES} x ${STEPS} steps, 3 brokers, ${budget.name}, baseline config`);
  console.log(`histories/s: ${((HISTORIES * 1000) / totalMs).toFixed(1)}  (${(totalMs / HISTORIES).toFixed(1)} ms each, ${Math.round(events / HISTORIES)} messages delivered each, ${Math.round((events * 1000) / totalMs)} messages/s)`);
  console.log(`time split: machines ${pct(machinesMs)}, storage ${pct(storageMs)}, sim+invariants ${pct(simMs)} (includes timing overhead)`);
  console.log(`histories violating no-acked-write-lost: ${violations} (expected 0 for the baseline)${failed.size > 0 ? ` ${JSON.stringify(Object.fromEntries(failed))}` : ''}`);
}

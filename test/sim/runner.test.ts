import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guarantee } from '../../model/guarantees.ts';
import type { ReplicaContext } from '../../src/machines/replica.ts';
import { machineRoles } from '../../src/sim/machine-roles.ts';
import { BASELINE, CRASH_PARTITION_MESSAGE, ONE_POWER_LOSS } from '../../src/sim/matrix.ts';
import { runHistory } from '../../src/sim/runner.ts';
import { parseScenario, scenarioArbitrary } from '../../src/sim/scenario.ts';
import { entriesOf } from '../../src/sim/log-adapter.ts';

const durability = guarantee('no-acked-write-lost').invariants;

function run(steps: string, config = BASELINE, budget = CRASH_PARTITION_MESSAGE, trace = false) {
  return runHistory(parseScenario(steps), { config, budget, roles: machineRoles, judge: durability, trace });
}

describe('runHistory: scenarios on the simulated cluster', () => {
  it('acks=all: sends are acknowledged after replication, and the healed cluster is quiescent with equal logs', () => {
    const r = run('run(300 ms, seed 1); send; run(200 ms, seed 2); send; run(200 ms, seed 3)');
    expect(r.violations).toEqual([]);
    expect(r.quiescent).toBe(true);
    const acked = r.world.ledger.ackedWrites().map((w) => `${w.value}@${w.offset}`);
    expect(acked).toEqual(['v0@0', 'v1@1']);
    const logs = r.world.brokers.map((b) => b.storage.entries().map((e) => e.value).join(','));
    expect(new Set(logs)).toEqual(new Set(['v0,v1']));
    const ops = r.world.history.events.filter((e) => e.process !== 'nemesis').map((e) => `${e.process}:${e.type}:${e.f}`);
    expect([...ops].sort()).toEqual(['0:invoke:send', '0:ok:send', '1:invoke:send', '1:ok:send', 'consumer-0:invoke:poll', 'consumer-0:ok:poll']);
    expect(ops.slice(-2)).toEqual(['consumer-0:invoke:poll', 'consumer-0:ok:poll']);
    expect(r.anomalyTypes).toEqual([]);
  });

  it('a process crash loses nothing; a power loss that keeps no unsynced write loses the unflushed records', () => {
    const crash = run('run(300 ms, seed 1); send; run(300 ms, seed 2); crash(leader, process); restart(down)');
    expect(crash.world.ledger.events.powerLossLostEntries).toBe(0);
    const power = run('run(300 ms, seed 1); send; run(300 ms, seed 2); crash(leader, power-loss); restart(down)', BASELINE, ONE_POWER_LOSS);
    expect(power.world.ledger.events.powerLossLostEntries).toBe(1);
    expect(power.violations).toEqual([]);
  });

  it('faults beyond the budget are skipped, and reported as such', () => {
    const r = run('crash(broker-0, power-loss); isolate(broker-1); isolate(broker-1); isolate(broker-1); isolate(broker-1)', BASELINE, ONE_POWER_LOSS);
    expect(r.skipped).toEqual([4]);
  });

  it('replays exactly: the same steps give the same trace, history and logs', () => {
    const steps = 'run(100 ms, seed 4); send; isolate(leader) + failover; send; run(30 ms, seed 9); crash(leader, process) + failover; send; heal; drop(#1); run(700 ms, seed 2)';
    const a = run(steps, BASELINE, CRASH_PARTITION_MESSAGE, true);
    const b = run(steps, BASELINE, CRASH_PARTITION_MESSAGE, true);
    expect(a.world.trace).toEqual(b.world.trace);
    expect(a.world.history.toJsonLines()).toBe(b.world.history.toJsonLines());
    expect(a.world.trace.length).toBeGreaterThan(10);
  });

  it('storage refines the machines: every replica\'s abstract log equals what its segment files hold, after any history', () => {
    fc.assert(
      fc.property(scenarioArbitrary(ONE_POWER_LOSS, 3), (steps) => {
        const r = runHistory(steps, { config: BASELINE, budget: ONE_POWER_LOSS, roles: machineRoles, judge: durability });
        for (const broker of r.world.brokers) {
          expect(broker.storage.verifyMirror()).toBeUndefined();
          const context = broker.hosted?.context as ReplicaContext | undefined;
          if (context === undefined) continue;
          expect(context.persisted.log.flatMap(entriesOf)).toEqual(broker.storage.entries());
        }
      }),
      { numRuns: 25 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { ReplicaContext } from '../../src/machines/replica.ts';
import { machineRoles } from '../../src/sim/machine-roles.ts';
import { BASELINE } from '../../src/sim/matrix.ts';
import { type FaultBudget, parseScenario } from '../../src/sim/scenario.ts';
import { World } from '../../src/sim/world.ts';

const LINKS: FaultBudget = { name: 'links', maxSteps: 30, processCrashes: 2, powerLosses: 0, isolations: 1, messageFaults: 0, linkFaults: 2 };

function play(steps: string, budget = LINKS): { world: World; applied: boolean[] } {
  const world = new World({ config: BASELINE, budget, roles: machineRoles, trace: true });
  const applied = parseScenario(steps).map((s) => world.apply(s));
  return { world, applied };
}

function replica(world: World, id: number): ReplicaContext {
  return world.brokers[id]?.hosted?.context as ReplicaContext;
}

const SETTLED = 'run(300 ms, seed 1); send; run(800 ms, seed 1)';

describe('World: per-link faults', () => {
  it('partition(leader, controller): the controller moves leadership while the cut-off leader, still reachable by its followers, believes it leads (a zombie)', () => {
    const { world, applied } = play(`${SETTLED}; partition(leader, controller) + failover; run(100 ms, seed 2)`);
    expect(applied.every(Boolean)).toBe(true);
    const controller = world.view().controller;
    expect(controller.leader).not.toBe(2);
    expect(controller.leaderEpoch).toBeGreaterThan(0);
    const zombie = replica(world, 2);
    expect(zombie.volatile.leaderId).toBe(2);
    expect(zombie.volatile.leaderEpoch).toBe(0);
    expect(world.network.cutLinks()).toEqual(['broker-2|controller']);
    expect(world.history.events.some((e) => e.process === 'nemesis' && e.f === 'partition')).toBe(true);
  });

  it('slow(controller→broker-1): broker-1 misses the controller\'s decisions, then receives them late and in order', () => {
    const { world } = play(`run(300 ms, seed 1); slow(controller→broker-1, 3000 ms); send; run(800 ms, seed 1); crash(leader, process) + failover; run(300 ms, seed 2)`);
    expect(replica(world, 1).volatile.leaderEpoch).toBe(0);
    expect(replica(world, 0).volatile.leaderEpoch).toBe(1);
    world.apply({ kind: 'run', ms: 3000, seed: 3 });
    expect(replica(world, 1).volatile.leaderEpoch).toBe(1);
    const late = world.trace.filter((t) => t.text.includes('controller→broker-1 LeaderAndIsr'));
    expect(late.map((t) => /epoch (\d+)/.exec(t.text)?.[1])).toEqual(['0', '1']);
  });

  it('link faults beyond the budget, or between a node and itself, are no-ops', () => {
    const { applied } = play('partition(broker-0, broker-0); slow(leader→leader, 5 ms); partition(broker-0, broker-1); slow(controller→broker-2, 5 ms); partition(broker-1, controller)');
    expect(applied).toEqual([false, false, true, true, false]);
  });
});

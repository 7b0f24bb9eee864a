/**
 * Explorer counterexamples replayed in the simulator (src/sim/trace-driver.ts): the pinned
 * traces (test/model/explore/fixtures) violate the invariant the explorer found, at the
 * step the explorer-world replay finds it, over the real segment-file storage, the
 * simulator's network and clock and its checker; the simulator takes the explorer's path
 * message for message (no field differs from the trace's text) and ends in the explorer's
 * state. Their twins (variant null) go as the explorer's own replay goes. Corrupted traces,
 * and the explorer steps the simulator has no counterpart for (a crashed broker's messages
 * in flight, timings only per-node clocks allow), stop with one line naming the step.
 * Random explorer walks with every fault either replay into the explorer's final state or
 * stop for one of those documented reasons.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/core/prng.ts';
import { replayTraceInSim } from '../../src/sim/trace-driver.ts';
import type { Action } from '../../model/explore/actions.ts';
import { explore } from '../../model/explore/bfs.ts';
import { viewOf } from '../../model/explore/judge.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../../model/explore/models/replication.ts';
import { type TraceFile, replayTrace } from '../../model/explore/replay.ts';
import { type Budget, NO_FAULTS, type World } from '../../model/explore/world.ts';
import type { WorldView } from '../../model/view.ts';

const FIXTURES = 'test/model/explore/fixtures';
const KIP101 = `${FIXTURES}/kip101-truncate-to-high-watermark.json`;
const KIP320 = `${FIXTURES}/kip320-no-leader-epoch-fencing.json`;
const KIP320_QUIET = `${FIXTURES}/kip320-no-leader-epoch-fencing-quiet-pushes.json`;
const KAFKA7128 = `${FIXTURES}/kafka7128-no-isr-join-epoch-check.json`;

function read(file: string): TraceFile {
  return JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
}

/** What the invariants read of a world: the controller's partition, each replica's role, epoch, HW and log. */
function stateOf(view: WorldView): unknown {
  const { leader, leaderEpoch, isr, elr } = view.controller;
  const replicas = view.replicas.map((r) => ({ alive: r.alive, role: r.role, leaderEpoch: r.leaderEpoch, highWatermark: r.highWatermark, log: r.log.map((e) => `${e.value}@${e.offset}/e${e.leaderEpoch}`) }));
  return { controller: { leader, leaderEpoch, isr, elr }, replicas };
}

describe('the pinned counterexamples reproduce in the simulator', () => {
  it.each([
    { file: KIP101, invariant: 'leader-completeness', step: 13 },
    { file: KIP320, invariant: 'log-matching', step: 21 },
    { file: KIP320_QUIET, invariant: 'log-matching', step: 19 },
    { file: KAFKA7128, invariant: 'leader-completeness', step: 20 },
  ])('$file: $invariant at step $step, as in the explorer\'s world', ({ file, invariant, step }) => {
    const trace = read(file);
    const sim = replayTraceInSim(trace, file);
    const explorer = replayTrace(trace, file);
    expect(trace.invariant).toBe(invariant);
    expect(sim.violation).toMatchObject({ invariant, step });
    expect(explorer.violation).toMatchObject({ invariant, step });
    expect(sim.divergences).toEqual([]);
    expect(stateOf(sim.world.view())).toEqual(stateOf(viewOf(explorer.final)));
    expect(sim.lines.at(-1)).toMatch(new RegExp(`^VIOLATED ${invariant} at step ${step} in the simulator: `));
  });
});

describe('a counterexample found here: enable.idempotence=false with one racing request timeout', () => {
  it('the explorer\'s shortest no-duplicate trace (13 steps: the producer\'s RequestTimeout races the Produce\'s answer, the retry writes v0 again) reproduces in the simulator at the same step', () => {
    const bounds: ReplicationBounds = { ...DEFAULT_REPLICATION_BOUNDS, records: 1, idempotence: false, budget: { ...NO_FAULTS, timeouts: 1 } };
    const found = explore(replicationModel(bounds, null)).violation;
    expect(found).toMatchObject({ invariant: 'no-duplicate' });
    const steps = found?.steps ?? [];
    const sim = replayTraceInSim({ model: 'replication', variant: null, bounds, invariant: 'no-duplicate', steps }, 'no-duplicate');
    expect(sim.violation).toMatchObject({ invariant: 'no-duplicate', step: steps.length, witness: 'v0 committed twice, at offsets 0 and 1 (leader broker-0)' });
    expect(steps).toHaveLength(13);
    expect(sim.divergences).toEqual([]);
  });
});

describe('twins: the same steps under today\'s protocol (variant null)', () => {
  const twin = (file: string): TraceFile => ({ ...read(file), variant: null });

  it('KIP-101: every step applies and nothing is violated (broker-2 asks broker-1 for its epoch\'s end instead of truncating; no later step needs that request)', () => {
    const sim = replayTraceInSim(twin(KIP101), 'kip101-today');
    expect(sim.violation).toBeUndefined();
    expect(sim.divergences).toEqual([]);
    expect(replayTrace(twin(KIP101), 'kip101-today').violation).toBeUndefined();
  });

  it.each([
    { file: KIP320, last: 21 },
    { file: KIP320_QUIET, last: 19 },
  ])('KIP-320 ($file): every step applies (the same messages on the same links) and nothing is violated; the requests carry the current leader epoch, so the zombie Fetch is answered FENCED_LEADER_EPOCH', ({ file, last }) => {
    const sim = replayTraceInSim(twin(file), 'kip320-today');
    expect(sim.violation).toBeUndefined();
    expect(sim.divergences).toEqual([
      "step 5: Fetch has currentLeaderEpoch=0 (the trace's -1)",
      "step 10: OffsetsForLeaderEpoch has currentLeaderEpoch=1 (the trace's -1)",
      "step 14: Fetch has currentLeaderEpoch=1 (the trace's -1)",
      `step ${last}: Fetch has currentLeaderEpoch=0 (the trace's -1)`,
    ]);
    const after = sim.lines.slice(sim.lines.findIndex((l) => l.startsWith(`  ${last}. `)));
    expect(after.some((l) => l.includes('answer broker-0→broker-2 FetchResponse errorCode="FENCED_LEADER_EPOCH"'))).toBe(true);
    expect(replayTrace(twin(file), 'kip320-today').violation).toBeUndefined();
  });

  it('KAFKA-7128: stops at step 16 (today\'s leader does not add broker-2 to the ISR before it reaches epoch 1\'s start offset, so no AlterPartition is in flight), where the explorer-world replay stops too', () => {
    expect(() => replayTraceInSim(twin(KAFKA7128), 'k7128-today')).toThrowError(
      'k7128-today: step 16 (deliver broker-1→controller broker-1→controller AlterPartition leaderEpoch=1 newIsr=[1,2]) does not apply in the simulator: nothing is in flight on broker-1→controller',
    );
    expect(() => replayTrace(twin(KAFKA7128), 'k7128-today')).toThrowError(/step 16 .* is not enabled in the replayed state/);
  });
});

describe('a trace that does not apply stops with one line naming the step', () => {
  const swapped = (file: string, i: number): TraceFile => {
    const trace = read(file);
    const steps = [...trace.steps];
    [steps[i], steps[i + 1]] = [steps[i + 1] as TraceFile['steps'][number], steps[i] as TraceFile['steps'][number]];
    return { ...trace, steps };
  };

  it('a step naming a message of another type than its link\'s head (steps 2 and 3 swapped: the Produce before the Metadata round trip)', () => {
    expect(() => replayTraceInSim(swapped(KIP101, 1), 'corrupt.json')).toThrowError(
      'corrupt.json: step 2 (deliver producer-0→broker-0 producer-0→broker-0 Produce value=["v0"]) does not apply in the simulator: the trace names producer-0→broker-0 Produce value=["v0"], the simulator has producer-0→broker-0 Metadata there',
    );
  });

  it('a step naming a message behind its link\'s head (two pushes to broker-0 swapped)', () => {
    expect(() => replayTraceInSim(swapped(KIP320, 16), 'corrupt.json')).toThrowError(
      /^corrupt\.json: step 17 \(deliver controller→broker-0 .*isr=\[0,1,2\]\) does not apply in the simulator: the trace names controller→broker-0 LeaderAndIsr leader=1 leaderEpoch=1 isr=\[0,1,2\], which is behind controller→broker-0 LeaderAndIsr leader=1 leaderEpoch=1 isr=\[1,2\] on its link$/,
    );
  });
});

/** A trace built on the explorer's model: at each step the first enabled action `pick` accepts. */
function built(bounds: ReplicationBounds, picks: readonly ((a: Action) => boolean)[]): { trace: TraceFile; final: World } {
  const model = replicationModel(bounds, null);
  let world = model.initial;
  const steps = picks.map((pick, i) => {
    const action = model.actions(world).find(pick);
    if (action === undefined) throw new Error(`step ${i + 1}: no such action enabled`);
    const text = model.describe(action, world);
    world = model.next(world, action) as World;
    return { action, text };
  });
  return { trace: { model: 'replication', variant: null, bounds, invariant: 'none', steps }, final: world };
}

function bounded(budget: Partial<Budget>): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records: 1, budget: { ...NO_FAULTS, ...budget } };
}

const is =
  (kind: Action['kind'], fields: Record<string, unknown> = {}) =>
  (a: Action): boolean =>
    a.kind === kind && Object.entries(fields).every(([k, v]) => (a as unknown as Record<string, unknown>)[k] === v);

describe('actions the pinned traces do not take', () => {
  it('a power loss keeps exactly the records below its cut (the unsynced v0 lost), and the broker restarts from what recovery kept', () => {
    const { trace, final } = built(bounded({ powerLosses: 1, expirations: 1 }), [
      is('send'),
      is('deliver', { to: 'broker-0' }),
      is('deliver', { to: 'broker-0' }),
      is('power-loss', { broker: 0, cut: 0 }),
      is('expire', { broker: 0 }),
      is('restart', { broker: 0 }),
      is('deliver', { from: 'broker-0', to: 'controller' }),
    ]);
    const sim = replayTraceInSim(trace, 'power-loss');
    expect(sim.divergences).toEqual([]);
    expect(stateOf(sim.world.view())).toEqual(stateOf(viewOf(final)));
    expect(sim.world.view().replicas[0]?.log).toEqual([]);
    expect(sim.lines.some((l) => l.includes('start broker-0: recovery kept LEO 0, HW 0, 1 records lost'))).toBe(true);
  });

  it('a power loss whose cut keeps the unsynced tail keeps v0', () => {
    const { trace, final } = built(bounded({ powerLosses: 1 }), [is('send'), is('deliver', { to: 'broker-0' }), is('deliver', { to: 'broker-0' }), is('power-loss', { broker: 0, cut: 1 })]);
    const sim = replayTraceInSim(trace, 'power-loss');
    expect(stateOf(sim.world.view())).toEqual(stateOf(viewOf(final)));
    expect(sim.world.brokers[0]?.storage.open().batches.map((b) => b.records[0]?.value)).toEqual(['v0']);
  });

  it('a late ISR check moves the clock past replica.lag.time.max.ms: both followers leave the ISR, as in the explorer', () => {
    const { trace, final } = built(bounded({ lags: 1 }), [is('fire', { node: 'broker-0', id: 'isr-check', late: true }), is('deliver', { from: 'broker-0', to: 'controller' })]);
    const sim = replayTraceInSim(trace, 'late');
    expect(stateOf(sim.world.view())).toEqual(stateOf(viewOf(final)));
    expect(sim.world.view().controller.isr).toEqual([0]);
  });

  it('refused: delivering a message a crashed broker had sent (the simulator resets a crashed broker\'s connections; the explorer keeps them)', () => {
    const { trace } = built(bounded({ crashes: 1 }), [is('fire', { node: 'broker-1', id: 'fetch' }), is('crash', { broker: 1 }), is('deliver', { from: 'broker-1', to: 'broker-0' })]);
    expect(() => replayTraceInSim(trace, 'ghost')).toThrowError(
      "ghost: step 3 (deliver broker-1→broker-0 Fetch fetchOffset=0 currentLeaderEpoch=0) does not apply in the simulator: the explorer's head of broker-1→broker-0 is broker-1→broker-0 Fetch fetchOffset=0 currentLeaderEpoch=0, which the simulator lost when broker-1 went down at step 2 (a crash resets a broker's connections; the explorer keeps what it had sent)",
    );
  });

  it('refused: an ISR check the explorer fires on time, after a producer request timeout moved the one clock 30 s (the followers would leave the ISR)', () => {
    const { trace } = built(bounded({ timeouts: 1 }), [
      is('send'),
      is('deliver', { to: 'broker-0' }),
      (a) => a.kind === 'fire' && a.node === 'producer-0' && a.id.startsWith('request/'),
      is('fire', { node: 'broker-0', id: 'isr-check', late: false }),
    ]);
    expect(() => replayTraceInSim(trace, 'clock')).toThrowError(
      /^clock: step 4 \(fire broker-0 isr-check\) does not apply in the simulator: the explorer fires this ISR check on time, but on the simulator's one clock broker-1 last caught up \d+ ms before it \(replica\.lag\.time\.max\.ms=30000\): it would leave the ISR$/,
    );
  });
});

describe('random explorer walks with every fault', () => {
  const REASONS = [/which the simulator lost when broker-\d went down at step \d+/, /the explorer fires this ISR check on time, but on the simulator's one clock/, /the producer's retry backoff for v\d ended at/];

  it('each replays into the explorer\'s final state, message for message, or stops for a documented reason; together they take every kind of action', () => {
    const bounds: ReplicationBounds = { ...DEFAULT_REPLICATION_BOUNDS, records: 2, budget: { crashes: 1, powerLosses: 1, drops: 1, duplicates: 1, reorders: 1, expirations: 2, timeouts: 1, lags: 1 } };
    const model = replicationModel(bounds, null);
    const prng = new Prng(1);
    const kinds = new Set<string>();
    let replayed = 0;
    for (let walk = 0; walk < 40; walk++) {
      let world = model.initial;
      const steps: { action: Action; text: string }[] = [];
      for (let d = 0; d < 40; d++) {
        const actions = model.actions(world);
        const action = actions[prng.below(actions.length)] as Action;
        const next = model.next(world, action);
        if (next === null) continue;
        steps.push({ action, text: model.describe(action, world) });
        world = next;
      }
      const trace: TraceFile = { model: 'replication', variant: null, bounds, invariant: 'none', steps };
      let sim: ReturnType<typeof replayTraceInSim>;
      try {
        sim = replayTraceInSim(trace, `walk ${walk}`);
      } catch (error) {
        const message = (error as Error).message;
        expect(REASONS.some((r) => r.test(message)), message).toBe(true);
        continue;
      }
      replayed++;
      expect(sim.violation).toBeUndefined();
      expect(sim.divergences).toEqual([]);
      expect(stateOf(sim.world.view())).toEqual(stateOf(viewOf(world)));
      for (const s of steps) kinds.add(`${s.action.kind}${'late' in s.action && s.action.late ? ' late' : ''}${'loseAnswer' in s.action ? ' answer lost' : ''}`);
    }
    expect(replayed).toBe(20);
    expect([...kinds].sort()).toEqual(['crash', 'deliver', 'deliver answer lost', 'drop', 'duplicate', 'expire', 'fire', 'fire late', 'power-loss', 'rejoin', 'reorder', 'restart', 'send']);
  });
});

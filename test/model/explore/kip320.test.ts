/**
 * KIP-320 (KAFKA-6880, "zombie replicas must be fenced") rediscovered by the explorer on
 * the real machines, pinned as data: test/model/explore/fixtures/kip320-no-leader-epoch-fencing.json.
 *
 * broker-2 copies v0 from the epoch-0 leader broker-0 and sends its next Fetch; its link
 * from the controller then stays slow, so it never hears of epochs 1 and 2. broker-0's
 * session expires, broker-1 leads epoch 1 and gets v0 again from the producer's retry;
 * broker-0 rejoins, truncates to broker-1's log, catches up, is added back to the ISR,
 * and leads epoch 2 once broker-1's session expires. broker-2's old Fetch then reaches
 * it: before KIP-320 a Fetch carries no leader epoch, so the epoch-2 leader counts
 * broker-2 (still in the ISR) as caught up with its epoch-0 copy of offset 0 and raises
 * the HW over two different records (v0 written in epoch 1, v0 written in epoch 0):
 * `log-matching` fails. Today's protocol answers that Fetch
 * FENCED_LEADER_EPOCH, and the same steps violate nothing.
 *
 * `kafka-oracle explore --variant no-leader-epoch-fencing --records 1` (the other bounds
 * at their defaults) finds this trace, the shortest (21 steps), after 4,071,703 distinct
 * states in about 5 minutes (spec/explorer-kip320.md), too long for a test: here the
 * trace is replayed, and BFS runs from a state part-way along it, as the KIP-101 test does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';
import { type TraceFile, replayTrace } from '../../../model/explore/replay.ts';
import type { World } from '../../../model/explore/world.ts';
import type { ReplicaContext } from '../../../src/machines/replica.ts';

const KIP320 = 'test/model/explore/fixtures/kip320-no-leader-epoch-fencing.json';
const trace = JSON.parse(readFileSync(KIP320, 'utf8')) as TraceFile;
const LENGTH = trace.steps.length;

function replica(world: World, b: number): ReplicaContext {
  const snapshot = world.replicas[b];
  expect(snapshot).toBeTruthy();
  return snapshot?.context as ReplicaContext;
}

describe('explorer: the KIP-320 counterexample (no-leader-epoch-fencing)', () => {
  it('is pinned at the bounds it was found under: one record, the default bounds, no message faults', () => {
    const { budget, ...rest } = trace.bounds;
    const { budget: defaults, ...defaultRest } = DEFAULT_REPLICATION_BOUNDS;
    expect({ ...rest, budget }).toEqual({ ...defaultRest, records: 1, budget: defaults });
    expect(trace).toMatchObject({ variant: 'no-leader-epoch-fencing', invariant: 'log-matching' });
    expect(LENGTH).toBe(21);
  });

  it('violates log-matching at its last step: the epoch-2 leader and the stale follower hold different records below both HWs', () => {
    const outcome = replayTrace(trace, KIP320);
    expect(outcome.violation).toMatchObject({ invariant: 'log-matching', step: LENGTH });
    expect(outcome.violation?.witness).toBe('offset 0: broker-0 holds v0/epoch 1, broker-2 holds v0/epoch 0, below both HWs (1, 1)');
    expect(trace.steps.at(-1)?.text).toMatch(/broker-2→broker-0 Fetch fetchOffset=1 currentLeaderEpoch=-1$/);
    // The Fetch crossed two leader epochs: broker-2 never processed a LeaderAndIsr after epoch 0.
    expect(replica(outcome.final, 2).volatile.leaderEpoch).toBe(0);
    expect(replica(outcome.final, 0).volatile).toMatchObject({ leaderId: 0, leaderEpoch: 2, isr: [0, 2], highWatermark: 1 });
  });

  it('twin: the same steps under today\'s protocol are fenced (FENCED_LEADER_EPOCH) and violate nothing', () => {
    const outcome = replayTrace({ ...trace, variant: null }, KIP320);
    expect(outcome.violation).toBeUndefined();
    expect(outcome.lines.at(-2)).toMatch(/broker-2→broker-0 Fetch fetchOffset=1 currentLeaderEpoch=0$/);
    // The epoch-0 Fetch did not count: the epoch-2 leader's HW stays below the divergent offset.
    expect(replica(outcome.final, 0).volatile).toMatchObject({ leaderEpoch: 2, highWatermark: 0 });
    expect(replica(outcome.final, 2).volatile.highWatermark).toBe(0);
  });

  it('needs every partition epoch of the default bound: at 5 the second expiration leaves the bounds', () => {
    const tight = { ...trace, bounds: { ...trace.bounds, partitionEpochs: 5 } };
    expect(() => replayTrace(tight, KIP320)).toThrow(/step 19 \(expire broker-1\) leaves the bounds/);
  });

  /** The trace's first `prefix` steps under `variant`, then BFS from there. */
  function exploreFrom(prefix: number, variant: TraceFile['variant'], maxStates?: number) {
    const model = replicationModel(trace.bounds, variant);
    let state = model.initial;
    for (const step of trace.steps.slice(0, prefix)) {
      const action = model.actions(state).find((a) => JSON.stringify(a) === JSON.stringify(step.action));
      expect(action, step.text).toBeDefined();
      state = model.next(state, action as never) as World;
    }
    return explore({ ...model, initial: state }, maxStates === undefined ? {} : { maxStates });
  }

  const PREFIX = 12; // epoch 1: broker-0 truncated, the producer's retry is due; broker-2's Fetch still in flight

  it('BFS from part-way along finds the same remaining steps (the shortest); today\'s protocol, same state budget, finds nothing', () => {
    const found = exploreFrom(PREFIX, 'no-leader-epoch-fencing');
    expect(found.violation?.invariant).toBe('log-matching');
    expect(found.violation?.steps).toHaveLength(LENGTH - PREFIX);
    const fixed = exploreFrom(PREFIX, null, found.distinctStates);
    expect(fixed.violation).toBeUndefined();
    expect(fixed.depth).toBeGreaterThanOrEqual(LENGTH - PREFIX);
  });
});

/**
 * KAFKA-7128, KIP-320's companion rule (Kip320.tla: "expand the ISR only once the
 * follower reaches the start of the leader's epoch"): broker-2, out of the ISR, joins the
 * ISR of the epoch-1 leader broker-1, whose HW lags at 0 (min.insync.replicas=2 with ELR
 * keeps it from advancing while broker-1 leads alone), with LEO 0 below the epoch's start
 * offset 1, and is elected before the answer carrying v0 reaches it. Found by a guided
 * walk through the explorer and confirmed shortest by BFS from its 7th state (20 steps);
 * a BFS from the initial state at these bounds (3 expirations, 1 lost answer) is out of
 * reach (spec/explorer-kip320.md).
 */
const KAFKA7128 = 'test/model/explore/fixtures/kafka7128-no-isr-join-epoch-check.json';

/**
 * The same counterexample found under `--reduction quiet-pushes` (model/explore/reduction.ts):
 * 1,081,884 states instead of 4,071,703, and 19 steps, the full trace's 21 with two quiet
 * pushes folded into the steps before them. Replaying applies the same eager steps.
 */
const REDUCED = 'test/model/explore/fixtures/kip320-no-leader-epoch-fencing-quiet-pushes.json';

describe('explorer: KIP-320 under the quiet-push reduction', () => {
  const reduced = JSON.parse(readFileSync(REDUCED, 'utf8')) as TraceFile;

  it('reproduces in 19 steps, two of them followed by quiet pushes, ending on the same stale Fetch', () => {
    expect(reduced).toMatchObject({ reduction: 'quiet-pushes', variant: 'no-leader-epoch-fencing', invariant: 'log-matching' });
    const outcome = replayTrace(reduced, REDUCED);
    expect(outcome.violation).toMatchObject({ invariant: 'log-matching', step: 19 });
    expect(outcome.violation?.witness).toBe('offset 0: broker-0 holds v0/epoch 1, broker-2 holds v0/epoch 0, below both HWs (1, 1)');
    expect(outcome.lines.filter((l) => l.includes('then quietly'))).toHaveLength(2);
  });

  it('twin: today\'s protocol on the same steps violates nothing', () => {
    const outcome = replayTrace({ ...reduced, variant: null }, REDUCED);
    expect(outcome.violation).toBeUndefined();
  });

  it('replayed without the reduction the quiet pushes stay queued, so step 18 delivers a stale push instead and nothing is violated', () => {
    const outcome = replayTrace({ ...reduced, reduction: 'none' }, REDUCED);
    expect(outcome.violation).toBeUndefined();
    expect(outcome.lines.at(-3)).toMatch(/18\. deliver controller→broker-0 LeaderAndIsr leader=1 leaderEpoch=1/);
  });
});

describe('explorer: the KAFKA-7128 counterexample (no-isr-join-epoch-check)', () => {
  const t = JSON.parse(readFileSync(KAFKA7128, 'utf8')) as TraceFile;

  it('violates leader-completeness at its last step: the epoch-2 leader lacks v0, committed in epoch 0', () => {
    expect(t.bounds).toMatchObject({ records: 1, minIsr: 2, leaderEpochs: 2, partitionEpochs: 7, budget: { expirations: 3, drops: 1 } });
    const outcome = replayTrace(t, KAFKA7128);
    expect(outcome.violation).toMatchObject({ invariant: 'leader-completeness', step: 20 });
    expect(outcome.violation?.witness).toMatch(/^leader broker-2 \(epoch 2, LEO 0\) lacks v0@0, committed at step 8/);
  });

  it('twin: today\'s protocol keeps broker-2 out of the ISR, so the AlterPartition the trace delivers is never sent', () => {
    expect(() => replayTrace({ ...t, variant: null }, KAFKA7128)).toThrow(/step 16 \(deliver broker-1→controller .*AlterPartition.*\) is not enabled/);
  });

  it('BFS from the state before broker-2 joins finds the remaining 7 steps; today\'s protocol, same state budget, finds nothing', () => {
    const run = (variant: TraceFile['variant'], maxStates?: number) => {
      const model = replicationModel(t.bounds, variant);
      let state = model.initial;
      for (const step of t.steps.slice(0, 13)) {
        const action = model.actions(state).find((a) => JSON.stringify(a) === JSON.stringify(step.action));
        expect(action, step.text).toBeDefined();
        state = model.next(state, action as never) as World;
      }
      return explore({ ...model, initial: state }, maxStates === undefined ? {} : { maxStates });
    };
    const found = run('no-isr-join-epoch-check');
    expect(found.violation?.invariant).toBe('leader-completeness');
    expect(found.violation?.steps).toHaveLength(7);
    const fixed = run(null, found.distinctStates);
    expect(fixed.violation).toBeUndefined();
    expect(fixed.depth).toBeGreaterThanOrEqual(7);
  });
});

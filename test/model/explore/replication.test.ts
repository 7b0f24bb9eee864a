/**
 * The replication model over the real machines: exhaustive on small bounds with the
 * distinct-state counts pinned (a change in the machines' meaning shows as a diff), the
 * `sometimes` twins reached, and the KIP-101 counterexample (13 steps, the shortest:
 * found by `kafka-oracle explore --variant truncate-to-high-watermark --records 1
 * --lags 0 --timeouts 0` after 174,258 states, pinned as data) violating
 * leader-completeness under the variant and not under today's protocol. The default-bounds figures are in spec/explorer.md and
 * bench/explore.ts (vitest loads xstate's slower development build).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from '../../../model/explore/models/replication.ts';
import { type TraceFile, replayTrace } from '../../../model/explore/replay.ts';
import { NO_FAULTS, type Budget } from '../../../model/explore/world.ts';

function bounds(records: number, budget: Partial<Budget> = {}): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records, budget: { ...NO_FAULTS, ...budget } };
}

const KIP101 = 'test/model/explore/fixtures/kip101-truncate-to-high-watermark.json';

describe('replication model: exhaustive on small bounds', () => {
  it('one record, no faults: 57 states, no violation, the write is acked', () => {
    const r = explore(replicationModel(bounds(1), null));
    expect(r).toMatchObject({ distinctStates: 57, exhaustive: true, depth: 14 });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('some-write-acked')).toBe(true);
  });

  it('two records, no faults: 328 states', () => {
    const r = explore(replicationModel(bounds(2), null));
    expect(r).toMatchObject({ distinctStates: 328, exhaustive: true, depth: 17 });
    expect(r.violation).toBeUndefined();
  });

  it('one record and one racing timeout: 374 states, and the producer retried', () => {
    const r = explore(replicationModel(bounds(1, { timeouts: 1 }), null));
    expect(r).toMatchObject({ distinctStates: 374, exhaustive: true });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('producer-retried')).toBe(true);
  });

  it('one record and one session expiration (an election after the ack): 81,371 states, exhaustive, no write lost', () => {
    const r = explore(replicationModel(bounds(1, { expirations: 1 }), null));
    expect(r).toMatchObject({ distinctStates: 81371, exhaustive: true, depth: 31 });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('leader-changed-after-ack')).toBe(true);
    expect(r.reached.has('truncation-happened')).toBe(true);
  }, 120_000);

  it('twin: with enable.idempotence=false the same exploration finds a duplicate (13 steps)', () => {
    const r = explore(replicationModel({ ...bounds(1, { timeouts: 1 }), idempotence: false }, null));
    expect(r.violation?.invariant).toBe('no-duplicate');
    expect(r.violation?.witness).toBe('v0 committed twice, at offsets 0 and 1 (leader broker-0)');
    expect(r.violation?.steps).toHaveLength(13);
    expect(r.violation?.steps.filter((s) => s.text.includes('Produce value=["v0"]'))).toHaveLength(2);
  });

  it.each([
    ['powerLosses', 361],
    ['crashes', 248],
    ['drops', 283],
    ['duplicates', 339],
    ['reorders', 57],
  ] as const)('one record and one %s: %i states, exhaustive, no violation', (fault, states) => {
    const r = explore(replicationModel(bounds(1, { [fault]: 1 }), null));
    expect(r).toMatchObject({ distinctStates: states, exhaustive: true });
    expect(r.violation).toBeUndefined();
    expect(r.reached.has('power-loss-lost-data')).toBe(fault === 'powerLosses');
  });

  it('twin: without the timeout budget the retry is never reached', () => {
    expect(explore(replicationModel(bounds(1), null)).reached.has('producer-retried')).toBe(false);
  });
});

describe('replication model: the KIP-101 counterexample', () => {
  const trace = JSON.parse(readFileSync(KIP101, 'utf8')) as TraceFile;

  it('truncate-to-high-watermark: the new leader lacks the acknowledged write', () => {
    const outcome = replayTrace(trace, KIP101);
    expect(outcome.violation).toMatchObject({ invariant: 'leader-completeness', step: 13 });
    expect(outcome.violation?.witness).toContain('lacks v0@0, committed');
  });

  it('twin: the same steps under today\'s protocol (epoch-based truncation) violate nothing', () => {
    const outcome = replayTrace({ ...trace, variant: null }, KIP101);
    expect(outcome.violation).toBeUndefined();
    expect(outcome.lines.at(-1)).toContain('does not reproduce');
  });

  /** The trace's first 9 steps (v0 committed on broker-0) under `variant`, then BFS from there. */
  function exploreFromCommitted(variant: TraceFile['variant'], maxStates?: number) {
    const model = replicationModel({ ...trace.bounds }, variant);
    let state = model.initial;
    for (const step of trace.steps.slice(0, 9)) {
      const action = model.actions(state).find((a) => JSON.stringify(a) === JSON.stringify(step.action));
      expect(action, step.text).toBeDefined();
      state = model.next(state, action as never) as typeof state;
    }
    return explore({ ...model, initial: state }, maxStates === undefined ? {} : { maxStates });
  }

  it('BFS over the real machines finds it: 4 steps from the committed state, the shortest', () => {
    const r = exploreFromCommitted('truncate-to-high-watermark');
    expect(r.violation?.invariant).toBe('leader-completeness');
    expect(r.violation?.steps.map((s) => s.text.split(' ').slice(0, 2).join(' '))).toEqual(['expire broker-0', 'deliver controller→broker-2', 'expire broker-1', 'deliver controller→broker-2']);
  });

  it('twin: from the same state today\'s protocol explores deeper than that with no violation', () => {
    const r = exploreFromCommitted(null, 4000);
    expect(r.violation).toBeUndefined();
    expect(r.depth).toBeGreaterThan(4);
  });

  it('a trace step that is not enabled is bad input, not a crash', () => {
    const broken = { ...trace, steps: [trace.steps[0], trace.steps[0], ...trace.steps.slice(1)] };
    expect(() => replayTrace(broken, 'broken.json')).toThrow(/step 2 .* is not enabled/);
  });
});

/**
 * The quiet-push reduction (model/explore/reduction.ts) checked against the full search
 * it replaces, over every state of exhaustive runs:
 *
 * - **equal reach**: the reduced search reaches exactly the quiet-normal forms of the
 *   states the full search reaches (so it finds the same violations);
 * - **confluence and invisibility**: in every state of the full search, each quiet push
 *   commutes with every other enabled action (both orders reach the same fingerprint), the
 *   other action leaves it quiet at its link's head, and delivering it changes no
 *   invariant's view;
 * - **the twin**: an unsound rule (every push at a link's head delivered eagerly) fails
 *   the same checks, and misses the KIP-101 counterexample the full search finds.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../model/explore/bfs.ts';
import type { Action } from '../../../model/explore/actions.ts';
import { viewOf } from '../../../model/explore/judge.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, type ReplicationModel, replicationModel } from '../../../model/explore/models/replication.ts';
import { type QuietRule, isHead, isQuietPush } from '../../../model/explore/reduction.ts';
import { sameAction } from '../../../model/explore/replay.ts';
import { CONTROLLER_NODE, type Envelope, NO_FAULTS, type Budget, type World } from '../../../model/explore/world.ts';

function bounds(records: number, budget: Partial<Budget>): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, records, budget: { ...NO_FAULTS, ...budget } };
}

function print(model: ReplicationModel, world: World): string {
  const fp = model.fingerprint?.(world);
  return fp === undefined ? model.key(world) : `${fp.hi}:${fp.lo}`;
}

/** Every state the full (unreduced) search reaches. */
function reachable(model: ReplicationModel): World[] {
  const seen = new Set<string>([print(model, model.initial)]);
  const states: World[] = [model.initial];
  for (let i = 0; i < states.length; i++) {
    const state = states[i] as World;
    for (const action of model.actions(state)) {
      const next = model.next(state, action);
      if (next === null) continue;
      const p = print(model, next);
      if (seen.has(p)) continue;
      seen.add(p);
      states.push(next);
    }
  }
  return states;
}

function reducedPrints(model: ReplicationModel): Set<string> {
  const seen = new Set<string>([print(model, model.initial)]);
  let frontier = [model.initial];
  while (frontier.length > 0) {
    const next: World[] = [];
    for (const state of frontier)
      for (const action of model.actions(state)) {
        const successor = model.next(state, action);
        if (successor === null || seen.has(print(model, successor))) continue;
        seen.add(print(model, successor));
        next.push(successor);
      }
    frontier = next;
  }
  return seen;
}

/** What the invariants read (judge.ts `buildView`), without the step number. */
function visible(world: World): string {
  const { replicas, controller } = viewOf(world);
  return JSON.stringify({ replicas, controller });
}

interface Finding {
  readonly kind: 'visible' | 'disabled' | 'not-commuting';
  readonly push: string;
  readonly other?: string;
}

/** The first breach of confluence or invisibility of `quiet` pushes in `state`, if any. */
function breach(full: ReplicationModel, state: World, quiet: QuietRule): Finding | undefined {
  const actions = full.actions(state);
  for (let i = 0; i < state.network.length; i++) {
    const e = state.network[i] as Envelope;
    if (e.from !== CONTROLLER_NODE || !isHead(state.network, i) || !quiet(e, state.replicas)) continue;
    const push: Action = { kind: 'deliver', from: e.from, to: e.to };
    const pushed = full.next(state, push);
    const text = full.describe(push, state);
    if (pushed === null || visible(pushed) !== visible(state)) return { kind: 'visible', push: text };
    for (const other of actions) {
      if (sameAction(other, push)) continue;
      const after = full.next(state, other);
      const otherText = full.describe(other, state);
      const again = full.actions(pushed).find((a) => sameAction(a, other));
      if (after === null) {
        if (again !== undefined && full.next(pushed, again) !== null) return { kind: 'not-commuting', push: text, other: otherText };
        continue;
      }
      if (again === undefined) return { kind: 'disabled', push: text, other: otherText };
      const two = full.next(pushed, again);
      if (two === null) return { kind: 'not-commuting', push: text, other: otherText };
      const head = after.network.find((x) => x.link === e.link);
      // A crash or power loss of the push's broker absorbs it: it discards the replica's
      // volatile state and the messages to it, all the push touched.
      const one = head === e && quiet(e, after.replicas) ? full.next(after, push) : after;
      if (one === null || print(full, one) !== print(full, two)) return { kind: 'not-commuting', push: text, other: otherText };
    }
  }
  return undefined;
}

function firstBreach(full: ReplicationModel, states: readonly World[], quiet: QuietRule): { finding: Finding; quietStates: number } | { quietStates: number } {
  let quietStates = 0;
  for (const state of states) {
    if (state.network.some((e, i) => e.from === CONTROLLER_NODE && isHead(state.network, i) && quiet(e, state.replicas))) quietStates++;
    const finding = breach(full, state, quiet);
    if (finding !== undefined) return { finding, quietStates };
  }
  return { quietStates };
}

/** The sound rule, but applied while drops, duplicates and reorders remain: unsound. */
const UNGUARDED: QuietRule = Object.assign((e: Envelope, replicas: World['replicas']) => isQuietPush(e, replicas), { ignoresFaultBudgets: true as const });

/** Every push at its link's head delivered eagerly: unsound (a new epoch is visible). */
const EVERY_PUSH: QuietRule = (e) => e.message.type === 'LeaderAndIsr';

describe('quiet-push reduction', () => {
  const b = bounds(1, { expirations: 1 });
  const full = replicationModel(b, null);
  const states = reachable(full);

  it('full search: 81,371 states; reduced: 30,076, exactly the normal forms of the full ones', () => {
    const reduced = replicationModel(b, null, undefined, 'quiet-pushes');
    expect(states).toHaveLength(81371);
    const forms = new Set(states.map((s) => print(reduced, reduced.normalForm(s))));
    const reach = reducedPrints(reduced);
    expect(reach.size).toBe(30076);
    expect([...forms].filter((p) => !reach.has(p))).toEqual([]);
    expect([...reach].filter((p) => !forms.has(p))).toEqual([]);
    expect(explore(reduced)).toMatchObject({ distinctStates: 30076, exhaustive: true });
  }, 300_000);

  it('every quiet push commutes with every other action and is invisible, in every state', () => {
    const result = firstBreach(full, states, isQuietPush);
    expect((result as { finding?: Finding }).finding).toBeUndefined();
    expect(result.quietStates).toBeGreaterThan(10_000);
  }, 300_000);

  it('twin: delivering every push eagerly breaks invisibility, and the same check says where', () => {
    const result = firstBreach(full, states, EVERY_PUSH);
    expect(result).toHaveProperty('finding.kind', 'visible');
    expect((result as { finding: Finding }).finding.push).toMatch(/LeaderAndIsr leader=\d leaderEpoch=1/);
  }, 300_000);

  it.each([
    ['crashes', 36_212, 6_394],
    ['powerLosses', 47_680, 9_133],
  ] as const)('with one late ISR check, partition epochs ≤ 3 and one of %s: %i states, %i reduced, the normal forms, commuting or absorbed', (fault, fullCount, reducedCount) => {
    const faulty = { ...bounds(1, { lags: 1, [fault]: 1 }), partitionEpochs: 3 };
    const whole = replicationModel(faulty, null);
    const all = reachable(whole);
    const reduced = replicationModel(faulty, null, undefined, 'quiet-pushes');
    const forms = new Set(all.map((s) => print(reduced, reduced.normalForm(s))));
    const reach = reducedPrints(reduced);
    expect([all.length, reach.size]).toEqual([fullCount, reducedCount]);
    expect([...forms].filter((p) => !reach.has(p))).toEqual([]);
    expect([...reach].filter((p) => !forms.has(p))).toEqual([]);
    expect((firstBreach(whole, all, isQuietPush) as { finding?: Finding }).finding).toBeUndefined();
  }, 300_000);

  it('the faults that could remove a queued push switch the reduction off until they are spent', () => {
    const withDrop = { ...bounds(1, { drops: 1, lags: 1 }), partitionEpochs: 3 };
    const reduced = replicationModel(withDrop, null, undefined, 'quiet-pushes');
    const all = reachable(replicationModel(withDrop, null));
    const forms = new Set(all.map((s) => print(reduced, reduced.normalForm(s))));
    const reach = reducedPrints(reduced);
    expect([forms.size, reach.size]).toEqual([28_428, 28_428]);
    expect([...forms].filter((p) => !reach.has(p))).toEqual([]);
    expect([...reach].filter((p) => !forms.has(p))).toEqual([]);
    // Twin: quiet pushes delivered eagerly while a drop is still possible: the states where
    // the drop took a quiet push (and its ISR change never reached the follower) are lost.
    const unguarded = replicationModel(withDrop, null, undefined, UNGUARDED);
    const unguardedReach = reducedPrints(unguarded);
    const unguardedForms = new Set(all.map((s) => print(unguarded, unguarded.normalForm(s))));
    expect([...unguardedForms].filter((p) => !unguardedReach.has(p)).length).toBeGreaterThan(0);
  }, 120_000);
});

describe('quiet-push reduction finds what the full search finds', () => {
  it('KIP-101 (truncate-to-high-watermark, records 1): the same 13-step counterexample, from fewer states', () => {
    const b = bounds(1, { expirations: 2 });
    const r = explore(replicationModel(b, 'truncate-to-high-watermark', undefined, 'quiet-pushes'));
    expect(r.violation?.invariant).toBe('leader-completeness');
    expect(r.violation?.steps).toHaveLength(13);
    expect(r.distinctStates).toBeLessThan(242_687);
  }, 300_000);

  it('twin: under the unsound every-push rule the reduced search misses states the full search reaches', () => {
    const b = bounds(1, { expirations: 1 });
    const unsound = replicationModel(b, null, undefined, EVERY_PUSH);
    const forms = new Set(reachable(replicationModel(b, null)).map((s) => print(unsound, unsound.normalForm(s))));
    const reach = reducedPrints(unsound);
    expect([...forms].filter((p) => !reach.has(p)).length).toBeGreaterThan(0);
  }, 300_000);
});

/**
 * The explorer's actions on the replication model: which are enabled where (the guards),
 * and what the environment and fault actions do to the world.
 */
import { describe, expect, it } from 'vitest';
import type { ControllerContext } from '../../../src/machines/controller.ts';
import { type Action, describeAction } from '../../../model/explore/actions.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from '../../../model/explore/models/replication.ts';
import { NO_FAULTS, type Budget, type World } from '../../../model/explore/world.ts';

function model(budget: Partial<Budget>, records = 1) {
  return replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records, budget: { ...NO_FAULTS, ...budget } }, null);
}

type M = ReturnType<typeof model>;

function names(m: M, w: World): string[] {
  return m.actions(w).map((a) => describeAction(a, w));
}

function take(m: M, w: World, prefix: string): World {
  const action = m.actions(w).find((a) => describeAction(a, w).startsWith(prefix));
  expect(action, `${prefix} enabled in: ${names(m, w).join(' | ')}`).toBeDefined();
  const next = m.next(w, action as Action);
  expect(next).not.toBeNull();
  return next as World;
}

function broker(w: World, b: number) {
  return (w.controller.context as ControllerContext).brokers.find((x) => x.brokerId === b);
}

describe('explorer actions', () => {
  it('the settled initial state: broker-0 leads, the followers wait on fetch timers', () => {
    const m = model({});
    expect(names(m, m.initial)).toEqual(['send v0', 'fire broker-0 isr-check', 'fire broker-1 fetch', 'fire broker-2 fetch']);
    expect(m.initial.network).toEqual([]);
  });

  it('faults appear only within their budget', () => {
    const m = model({ expirations: 1, crashes: 1, lags: 1 });
    expect(names(m, m.initial)).toEqual([
      'send v0',
      'fire broker-0 isr-check',
      'fire broker-0 isr-check (late: clock jumps past every timeout)',
      'fire broker-1 fetch',
      'fire broker-2 fetch',
      'expire broker-0',
      'crash broker-0',
      'expire broker-1',
      'crash broker-1',
      'expire broker-2',
      'crash broker-2',
    ]);
    const spent = take(m, m.initial, 'expire broker-2');
    expect(names(m, spent).some((n) => n.startsWith('expire'))).toBe(false);
  });

  it('a crashed broker restarts only once the controller fenced its session, then registers a new incarnation', () => {
    const m = model({ expirations: 1, crashes: 1 });
    const crashed = take(m, m.initial, 'crash broker-2');
    expect(crashed.replicas[2]).toBeNull();
    expect(names(m, crashed)).not.toContain('restart broker-2');
    const fenced = take(m, crashed, 'expire broker-2');
    expect(broker(fenced, 2)?.fenced).toBe(true);
    const restarted = take(m, fenced, 'restart broker-2');
    expect(restarted.incarnations[2]).toBe(2);
    // The ISR change of the expiry is on its way to the others; the new incarnation registers
    // (a frozen world's network is in canonical order: by link name, FIFO within a link).
    expect(restarted.network.map((e) => `${e.from}>${e.to} ${e.message.type}`)).toEqual(['broker-2>controller BrokerRegistration', 'controller>broker-0 LeaderAndIsr', 'controller>broker-1 LeaderAndIsr']);
    const registered = take(m, restarted, 'deliver broker-2→controller');
    expect(broker(registered, 2)).toMatchObject({ incarnationId: 2, fenced: false });
  });

  it('a zombie: an expired running broker may rejoin with a heartbeat', () => {
    const m = model({ expirations: 1 });
    const fenced = take(m, m.initial, 'expire broker-1');
    expect(names(m, fenced)).toContain('rejoin broker-1');
    expect(broker(take(m, fenced, 'rejoin broker-1'), 1)?.fenced).toBe(false);
  });

  it('a power loss keeps any prefix from the flushed offset: one successor per cut', () => {
    const m = model({ powerLosses: 1 });
    let w = take(m, m.initial, 'send v0');
    w = take(m, w, 'deliver producer-0→broker-0');
    w = take(m, w, 'deliver producer-0→broker-0');
    expect(w.disks[0]?.batches).toHaveLength(1);
    const cuts = names(m, w).filter((n) => n.startsWith('power-loss broker-0'));
    expect(cuts).toEqual(['power-loss broker-0 (log keeps offsets < 0)', 'power-loss broker-0 (log keeps offsets < 1)']);
    const lost = take(m, w, 'power-loss broker-0 (log keeps offsets < 0)');
    expect(lost.disks[0]?.batches).toEqual([]);
    expect(lost.events).toContain('power-loss-lost-data');
    expect(take(m, w, 'power-loss broker-0 (log keeps offsets < 1)').events).not.toContain('power-loss-lost-data');
  });

  it('a round trip answers in the same step; with a drop budget its answer may be lost', () => {
    const m = model({ drops: 1 });
    const asked = take(m, m.initial, 'fire broker-1 fetch');
    expect(names(m, asked)).toContain('deliver broker-1→broker-0 Fetch fetchOffset=0 currentLeaderEpoch=0 (answer lost)');
    const answered = take(m, asked, 'deliver broker-1→broker-0 Fetch fetchOffset=0 currentLeaderEpoch=0');
    expect(answered.network).toEqual([]);
    expect(answered.timers.map((t) => `${t.node}:${t.id}`)).toContain('broker-1:fetch');
    const lost = take(m, asked, 'deliver broker-1→broker-0 Fetch fetchOffset=0 currentLeaderEpoch=0 (answer lost)');
    expect(lost.used.drops).toBe(1);
    expect(m.key(lost)).not.toBe(m.key(answered));
  });

  it('successors beyond the leader-epoch bound are not generated', () => {
    const m = replicationModel({ ...DEFAULT_REPLICATION_BOUNDS, records: 1, leaderEpochs: 0, budget: { ...NO_FAULTS, expirations: 1 } }, null);
    const expire0 = m.actions(m.initial).find((a) => describeAction(a, m.initial) === 'expire broker-0') as Action;
    expect(m.next(m.initial, expire0)).toBeNull();
  });
});

describe('canonical timer order', () => {
  it('compares a trailing correlation id as a number, so renaming by rank keeps the order', async () => {
    const { compareTimers } = await import('../../../model/explore/world.ts');
    const t = (node: string, id: string) => ({ node, id, event: { type: 'X' } });
    const sorted = [t('producer-0', 'request/10'), t('producer-0', 'request/9'), t('broker-1', 'fetch'), t('producer-0', 'init')].sort(compareTimers);
    expect(sorted.map((x) => `${x.node}:${x.id}`)).toEqual(['broker-1:fetch', 'producer-0:init', 'producer-0:request/9', 'producer-0:request/10']);
  });
});

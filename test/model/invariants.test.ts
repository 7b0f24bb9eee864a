import { describe, expect, it } from 'vitest';
import { invariant } from '../../model/invariants.ts';
import { Ledger } from '../../model/ledger.ts';
import type { LogEntry, ReplicaView, WorldView } from '../../model/view.ts';

function log(values: readonly string[], epoch = 1): LogEntry[] {
  return values.map((value, offset) => ({ offset, leaderEpoch: epoch, value, producerId: 0, sequence: offset }));
}

function replica(brokerId: number, values: readonly string[], highWatermark: number, role: ReplicaView['role'] = 'follower', leaderEpoch = 1): ReplicaView {
  return { brokerId, alive: true, incarnation: 0, role, leaderEpoch, highWatermark, log: log(values) };
}

function world(replicas: ReplicaView[], leader = 0, leaderEpoch = 1, step = 1): WorldView {
  return { step, phase: 1, replicas, controller: { leader, leaderEpoch, isr: replicas.map((r) => r.brokerId), elr: [] } };
}

function judge(name: string, view: WorldView, ledger = new Ledger()): string | undefined {
  return invariant(name).check({ view, ledger })?.summary;
}

describe('no-acked-write-lost', () => {
  it('holds when the leader keeps the acked value below its HW, and is violated when another value took its offset', () => {
    const ledger = new Ledger();
    ledger.recordAck('v0', 0, 1);
    expect(judge('no-acked-write-lost', world([replica(0, ['v0'], 1, 'leader')]), ledger)).toBeUndefined();
    expect(judge('no-acked-write-lost', world([replica(0, ['v9'], 1, 'leader')]), ledger)).toMatch(/acked v0@0.*holds v9/);
  });

  it('does not judge a leader whose HW has not reached the offset yet (leader-completeness does)', () => {
    const ledger = new Ledger();
    ledger.recordAck('v0', 0, 1);
    expect(judge('no-acked-write-lost', world([replica(0, [], 0, 'leader')]), ledger)).toBeUndefined();
    expect(judge('leader-completeness', world([replica(0, [], 0, 'leader')]), ledger)).toMatch(/lacks acked v0@0/);
  });

  it('ignores a replica that is not the controller\'s current leader', () => {
    const ledger = new Ledger();
    ledger.recordAck('v0', 0, 1);
    const stale = world([replica(0, ['v9'], 1, 'leader', 1)], 0, 2);
    expect(judge('no-acked-write-lost', stale, ledger)).toBeUndefined();
  });
});

describe('leader-completeness', () => {
  it('also covers records committed below a leader\'s HW that no client saw acknowledged', () => {
    const ledger = new Ledger();
    ledger.observe(world([replica(0, ['a', 'b'], 2, 'leader'), replica(1, ['a'], 1)]));
    expect(judge('leader-completeness', world([replica(0, ['a', 'b'], 2, 'leader')]), ledger)).toBeUndefined();
    expect(judge('leader-completeness', world([replica(1, ['a'], 1, 'leader', 2)], 1, 2), ledger)).toMatch(/lacks b@1, committed at step 1 below broker-0's HW/);
  });
});

describe('offset-stability', () => {
  it('remembers what was committed and flags a changed value', () => {
    const ledger = new Ledger();
    ledger.observe(world([replica(0, ['a', 'b'], 2, 'leader')]));
    expect(judge('offset-stability', world([replica(0, ['a', 'b', 'c'], 3, 'leader')]), ledger)).toBeUndefined();
    expect(judge('offset-stability', world([replica(1, ['a', 'x'], 2, 'leader', 2)], 1, 2), ledger)).toMatch(/offset 1 was committed as b/);
  });
});

describe('log-matching', () => {
  it('compares live replicas below both HWs only', () => {
    const same = world([replica(0, ['a', 'b', 'c'], 2, 'leader'), replica(1, ['a', 'b', 'z'], 2)]);
    expect(judge('log-matching', same)).toBeUndefined();
    const forked = world([replica(0, ['a', 'b'], 2, 'leader'), replica(1, ['a', 'z'], 2)]);
    expect(judge('log-matching', forked)).toMatch(/offset 1: broker-0 holds b.*broker-1 holds z/);
  });
});

describe('high-watermark-monotonic', () => {
  it('flags a leader lowering its HW within one incarnation and epoch', () => {
    const ledger = new Ledger();
    ledger.observe(world([replica(0, ['a', 'b'], 2, 'leader')]));
    expect(judge('high-watermark-monotonic', world([replica(0, ['a', 'b'], 2, 'leader')]), ledger)).toBeUndefined();
    expect(judge('high-watermark-monotonic', world([replica(0, ['a', 'b'], 1, 'leader')]), ledger)).toMatch(/lowered its HW from 2 to 1/);
    const restarted = { ...replica(0, ['a', 'b'], 1, 'leader'), incarnation: 1 };
    expect(judge('high-watermark-monotonic', world([restarted]), ledger)).toBeUndefined();
  });
});

describe('idempotent producer', () => {
  it('no-duplicate flags a value committed twice', () => {
    expect(judge('no-duplicate', world([replica(0, ['v0', 'v1'], 2, 'leader')]))).toBeUndefined();
    expect(judge('no-duplicate', world([replica(0, ['v0', 'v0'], 2, 'leader')]))).toMatch(/v0 committed twice, at offsets 0 and 1/);
    expect(judge('no-duplicate', world([replica(0, ['v0', 'v0'], 1, 'leader')]))).toBeUndefined();
  });

  it('per-partition-order flags values committed out of send order', () => {
    const ledger = new Ledger();
    ledger.recordSend('v0');
    ledger.recordSend('v1');
    expect(judge('per-partition-order', world([replica(0, ['v0', 'v1'], 2, 'leader')]), ledger)).toBeUndefined();
    expect(judge('per-partition-order', world([replica(0, ['v1', 'v0'], 2, 'leader')]), ledger)).toMatch(/v0 \(sent #0\) committed at 1, after v1/);
  });

  it('one-offset-per-ack flags a value acknowledged at two offsets', () => {
    const ledger = new Ledger();
    ledger.recordAck('v0', 0, 1);
    ledger.recordAck('v0', 0, 2);
    expect(judge('one-offset-per-ack', world([]), ledger)).toBeUndefined();
    ledger.recordAck('v0', 3, 3);
    expect(judge('one-offset-per-ack', world([]), ledger)).toMatch(/v0 acknowledged at offsets 0 and 3/);
  });
});

describe('eventually', () => {
  it('acked-writes-read needs every acked value read at its offset', () => {
    const ledger = new Ledger();
    ledger.recordAck('v0', 0, 1);
    const view = world([]);
    expect(invariant('acked-writes-read').check({ view, ledger, quiescent: true })?.summary).toMatch(/never read/);
    ledger.recordConsumed('v0', 1);
    expect(invariant('acked-writes-read').check({ view, ledger, quiescent: true })?.summary).toMatch(/read at offset 1/);
    const good = new Ledger();
    good.recordAck('v0', 0, 1);
    good.recordConsumed('v0', 0);
    expect(invariant('acked-writes-read').check({ view, ledger: good, quiescent: true })).toBeUndefined();
  });

  it('healed-cluster-converges is violated exactly when quiescence was not reached', () => {
    const view = world([replica(0, ['a'], 1, 'leader')]);
    expect(invariant('healed-cluster-converges').check({ view, ledger: new Ledger(), quiescent: true })).toBeUndefined();
    expect(invariant('healed-cluster-converges').check({ view, ledger: new Ledger(), quiescent: false })?.summary).toMatch(/no quiescence/);
  });
});

describe('sometimes twins', () => {
  it('report a witness only once the interesting event was counted', () => {
    const ledger = new Ledger();
    const view = world([]);
    for (const name of ['truncation-happened', 'leader-changed-after-ack', 'power-loss-lost-data', 'isr-shrank', 'producer-retried', 'some-write-acked'])
      expect(invariant(name).check({ view, ledger })).toBeUndefined();
    ledger.events.truncatedEntries = 2;
    ledger.events.powerLossLostEntries = 1;
    ledger.recordAck('v0', 0, 1);
    expect(invariant('truncation-happened').check({ view, ledger })?.summary).toBe('2 entries truncated');
    expect(invariant('power-loss-lost-data').check({ view, ledger })?.summary).toBe('1 entries lost');
    expect(invariant('some-write-acked').check({ view, ledger })?.summary).toBe('v0 acked at 0');
  });

  it('the ledger counts leader changes after an ack and ISR shrinks', () => {
    const ledger = new Ledger();
    ledger.observe(world([replica(0, [], 0, 'leader'), replica(1, [], 0)]));
    ledger.recordAck('v0', 0, 1);
    const changed: WorldView = { step: 2, phase: 1, replicas: [], controller: { leader: 1, leaderEpoch: 2, isr: [1], elr: [] } };
    ledger.observe(changed);
    expect(ledger.events.leaderChangesAfterAck).toBe(1);
    expect(ledger.events.isrShrinks).toBe(1);
  });
});

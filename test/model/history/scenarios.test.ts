/**
 * One minimal history per anomaly class with its expected witness, and the valid side
 * (the twin under which the same checker must not complain).
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../model/history/check.ts';
import type { CheckOptions } from '../../../model/history/types.ts';
import { History, indexes } from './dsl.ts';

function check(h: History, options: CheckOptions = {}) {
  return checkHistory(h.events, options);
}

describe('offsets', () => {
  it('inconsistent-offsets: two acknowledged sends at one offset', () => {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(1, [['x', 2, 0]]);
    h.poll(2, { x: [[0, 1]] });
    const r = check(h);
    expect(r.valid).toBe(false);
    // Value 2 sits at a read offset yet was never read: Jepsen also calls it lost.
    expect(r.badAnomalyTypes).toEqual(['inconsistent-offsets', 'lost-write', 'unseen']);
    expect(r.anomalies['inconsistent-offsets']).toEqual([{ key: 'x', offset: 0, index: 0, values: [1, 2] }]);
  });

  it('valid twin: distinct offsets', () => {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(1, [['x', 2, 1]]);
    h.poll(2, { x: [[0, 1], [1, 2]] });
    expect(check(h)).toMatchObject({ valid: true, anomalyTypes: [] });
  });

  it('duplicate: one value read at two offsets', () => {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(0, [['x', 2, 1]]);
    h.poll(1, { x: [[0, 1], [1, 2], [2, 1]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['duplicate']);
    expect(r.anomalies['duplicate']).toEqual([{ key: 'x', value: 1, count: 2, offsets: [0, 2] }]);
  });
});

describe('reads of uncommitted data', () => {
  function abortedRead(pollType: 'ok' | 'fail') {
    const h = new History();
    const writer = h.send(0, [['x', 1]], 'fail');
    const reader = h.poll(1, { x: [[0, 1]] }, pollType);
    return { h, writer, reader };
  }

  it('G1a: an ok poll reads a failed send', () => {
    const { h, writer, reader } = abortedRead('ok');
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['G1a']);
    expect(r.anomalies['G1a']).toEqual([{
      key: 'x', value: 1, offset: 0,
      writer: { index: writer, process: 0, type: 'fail', f: 'send' },
      reader: { index: reader, process: 1, type: 'ok', f: 'poll' },
    }]);
  });

  it('valid twins: a failed poll of it is no G1a; read_uncommitted allows it', () => {
    expect(check(abortedRead('fail').h).anomalyTypes).not.toContain('G1a');
    const r = check(abortedRead('ok').h, { isolation: 'read_uncommitted' });
    expect(r).toMatchObject({ valid: true, anomalyTypes: ['G1a'], badAnomalyTypes: [] });
  });

  function ownRead() {
    const h = new History();
    const op = h.txn(0, [['send', 'x', [0, 1]], ['poll', { x: [[0, 1]] }]]);
    return { h, op };
  }

  it('precommitted-read: a transaction reads its own send', () => {
    const { h, op } = ownRead();
    const r = check(h, { txn: true });
    expect(r.badAnomalyTypes).toEqual(['precommitted-read']);
    expect(r.anomalies['precommitted-read']).toEqual([{ key: 'x', value: 1, offset: 0, op: { index: op, process: 0, type: 'ok', f: 'txn' } }]);
  });

  it('valid twins: without txn the op is no transaction; read_uncommitted allows it', () => {
    expect(check(ownRead().h, { txn: false })).toMatchObject({ valid: true, anomalyTypes: [] });
    expect(check(ownRead().h, { txn: true, isolation: 'read_uncommitted' })).toMatchObject({ valid: true, anomalyTypes: ['precommitted-read'] });
  });

  it('garbage-read: a poll returns a value nobody sent', () => {
    const h = new History();
    const reader = h.poll(0, { x: [[0, 99]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['garbage-read']);
    expect(r.anomalies['garbage-read']).toEqual([{ key: 'x', value: 99, offset: 0, reader: { index: reader, process: 0, type: 'ok', f: 'poll' } }]);
  });
});

describe('lost and unseen writes', () => {
  function gap(middleType: 'ok' | 'info') {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    const middle = h.send(1, [['x', 2, middleType === 'ok' ? 1 : null]], middleType);
    h.send(0, [['x', 3, 2]]);
    h.poll(2, { x: [[0, 1]] });
    const top = h.poll(3, { x: [[2, 3]] });
    return { h, middle, top };
  }

  it('lost-write: an acknowledged write below what a reader reached was never read', () => {
    const { h, middle, top } = gap('ok');
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['lost-write', 'unseen']);
    const [w] = r.anomalies['lost-write'] as Record<string, unknown>[];
    expect(w).toMatchObject({ key: 'x', value: 2, index: 1, offset: 1, maxReadIndex: 2, maxReadValue: 3 });
    expect(indexes([w!['writer'], w!['maxRead']])).toEqual([middle, top]);
    expect(r.anomalies['unseen']).toMatchObject([{ key: 'x', count: 1, values: [2] }]);
  });

  it('valid twin: an info send nobody read may never have happened', () => {
    expect(check(gap('info').h)).toMatchObject({ valid: true, anomalyTypes: [] });
  });

  it('an info send counts as committed once one of its writes is read (txn)', () => {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(1, [['x', 2, null], ['y', 5, null]], 'info');
    h.send(0, [['x', 3, 2]]);
    h.poll(2, { x: [[0, 1], [1, 2], [2, 3]] });
    h.poll(3, { y: [[1, 6]] });
    h.send(0, [['y', 6, 1]]);
    h.poll(4, { y: [[0, 5]] });
    // y's 5 is read, so the info op committed; nothing lost here, but in the txn reading
    // below, x=2 being skipped by a reader that reached x=3 would be a loss.
    expect(check(h, { txn: true })).toMatchObject({ valid: true });
    const lossy = new History();
    lossy.send(0, [['x', 1, 0]]);
    const info = lossy.send(1, [['x', 2, 1], ['y', 5, null]], 'info');
    lossy.send(0, [['x', 3, 2]]);
    lossy.poll(2, { x: [[0, 1]] });
    lossy.poll(3, { x: [[2, 3]] });
    lossy.poll(4, { y: [[0, 5]] });
    const r = check(lossy, { txn: true });
    expect(r.badAnomalyTypes).toEqual(['lost-write']);
    expect(indexes([(r.anomalies['lost-write']![0] as Record<string, unknown>)['writer']])).toEqual([info]);
    // Without transactions reading y=5 proves nothing about x=2.
    expect(check(lossy, { txn: false }).valid).toBe(true);
  });
});

describe('poll order within a process', () => {
  function skipping() {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(0, [['x', 2, 1]]);
    h.send(0, [['x', 3, 2]]);
    h.poll(9, { x: [[0, 1], [1, 2], [2, 3]] });
    const first = h.poll(1, { x: [[0, 1]] });
    return { h, first };
  }

  it('poll-skip: the next poll starts past the cursor', () => {
    const { h, first } = skipping();
    const second = h.poll(1, { x: [[2, 3]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['poll-skip']);
    const [w] = r.anomalies['poll-skip'] as Record<string, unknown>[];
    expect(w).toMatchObject({ key: 'x', values: [1, 3], offsets: [0, 2], delta: 2, skipped: [2] });
    expect(indexes(w!['ops'])).toEqual([first, second]);
  });

  it('valid twins: allowed under subscribe; an assign that drops the key resets the cursor', () => {
    const { h } = skipping();
    h.poll(1, { x: [[2, 3]] });
    expect(check(h, { subVia: 'subscribe' })).toMatchObject({ valid: true, anomalyTypes: ['poll-skip'] });
    const reset = skipping().h;
    reset.assign(1, ['y']);
    reset.assign(1, ['x']);
    reset.poll(1, { x: [[2, 3]] });
    expect(check(reset)).toMatchObject({ valid: true, anomalyTypes: [] });
  });

  it('aborted polls that rewound are valid; failed polls are still checked', () => {
    const { h } = skipping();
    h.poll(1, { x: [[1, 2]] }, 'fail');
    h.poll(1, { x: [[1, 2], [2, 3]] });
    expect(check(h)).toMatchObject({ valid: true, anomalyTypes: [] });
    const bad = skipping();
    const failed = bad.h.poll(1, { x: [[2, 3]] }, 'fail');
    const r = check(bad.h);
    expect(r.badAnomalyTypes).toEqual(['poll-skip']);
    expect(indexes((r.anomalies['poll-skip']![0] as Record<string, unknown>)['ops'])).toEqual([bad.first, failed]);
  });

  it('nonmonotonic-poll: the next poll re-reads', () => {
    const { h, first } = skipping();
    const again = h.poll(1, { x: [[0, 1], [1, 2]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['nonmonotonic-poll']);
    const [w] = r.anomalies['nonmonotonic-poll'] as Record<string, unknown>[];
    expect(w).toMatchObject({ key: 'x', values: [1, 1], delta: 0 });
    expect(indexes(w!['ops'])).toEqual([first, again]);
    expect(check(h, { subVia: ['assign', 'subscribe'] }).valid).toBe(true);
  });

  it('an assign with seekToBeginning lets the process re-read from the start', () => {
    const { h } = skipping();
    h.assign(1, ['x'], 'ok', true);
    h.poll(1, { x: [[0, 1], [1, 2]] });
    expect(check(h)).toMatchObject({ valid: true, anomalyTypes: [] });
    // The seek may be written on the invoke only.
    const onInvoke = skipping().h;
    onInvoke.events.push({ index: onInvoke.events.length, process: 1, type: 'invoke', f: 'assign', value: ['x'], seekToBeginning: true });
    onInvoke.complete(1, 'assign', ['x'], 'ok');
    onInvoke.poll(1, { x: [[0, 1], [1, 2]] });
    expect(check(onInvoke)).toMatchObject({ valid: true, anomalyTypes: [] });
    // Without it, the re-read is a nonmonotonic poll.
    const without = skipping().h;
    without.assign(1, ['x']);
    without.poll(1, { x: [[0, 1], [1, 2]] });
    expect(check(without).badAnomalyTypes).toEqual(['nonmonotonic-poll']);
  });
});

describe('order inside one operation', () => {
  function three() {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.send(0, [['x', 2, 1]]);
    h.send(0, [['x', 3, 2]]);
    h.poll(9, { x: [[0, 1], [1, 2], [2, 3]] });
    return h;
  }

  it('int-poll-skip: a gap between two reads of one poll', () => {
    const h = three();
    const op = h.poll(1, { x: [[0, 1], [2, 3]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['int-poll-skip']);
    expect(r.anomalies['int-poll-skip']).toEqual([{
      key: 'x', values: [1, 3], offsets: [0, 2], delta: 2, skipped: [2], op: { index: op, process: 1, type: 'ok', f: 'poll' },
    }]);
  });

  it('valid twin: a key in the rebalance log is exempt', () => {
    const h = three();
    h.poll(1, { x: [[0, 1], [2, 3]] }, 'ok', { rebalanceLog: [{ type: 'assigned', keys: ['x'] }] });
    expect(check(h)).toMatchObject({ valid: true, anomalyTypes: [] });
  });

  it('int-nonmonotonic-poll: reads across two polls of one op go backwards', () => {
    const h = three();
    h.poll(1, [{ x: [[1, 2]] }, { x: [[0, 1]] }]);
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['int-nonmonotonic-poll']);
    expect(r.anomalies['int-nonmonotonic-poll']).toMatchObject([{ key: 'x', values: [2, 1], delta: -1 }]);
  });

  it('int-send-skip is allowed: another producer landed between a transaction\'s sends', () => {
    const h = new History();
    h.txn(0, [['send', 'x', [0, 1]], ['send', 'x', [2, 3]]]);
    h.send(1, [['x', 2, 1]]);
    h.poll(2, { x: [[0, 1], [1, 2], [2, 3]] });
    const r = check(h, { txn: true });
    expect(r).toMatchObject({ valid: true, anomalyTypes: ['int-send-skip'], badAnomalyTypes: [] });
    expect(r.anomalies['int-send-skip']).toMatchObject([{ key: 'x', values: [1, 3], delta: 2, skipped: [2] }]);
  });

  it('int-nonmonotonic-send: an operation\'s later send lands earlier', () => {
    const h = new History();
    h.send(0, [['x', 1, 1], ['x', 2, 0]]);
    h.poll(2, { x: [[0, 2], [1, 1]] });
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['int-nonmonotonic-send']);
    expect(r.anomalies['int-nonmonotonic-send']).toMatchObject([{ key: 'x', values: [1, 2], offsets: [1, 0], delta: -1 }]);
  });
});

describe('send order within a process', () => {
  function sends(second: number) {
    const h = new History();
    const a = h.send(0, [['x', 1, 1]]);
    const b = h.send(second, [['x', 2, 0]]);
    h.poll(2, { x: [[0, 2], [1, 1]] });
    return { h, a, b };
  }

  it('nonmonotonic-send: a process\'s next send lands before its previous one', () => {
    const { h, a, b } = sends(0);
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['nonmonotonic-send']);
    const [w] = r.anomalies['nonmonotonic-send'] as Record<string, unknown>[];
    expect(w).toMatchObject({ key: 'x', values: [1, 2], offsets: [1, 0], delta: -1 });
    expect(indexes(w!['ops'])).toEqual([a, b]);
  });

  it('valid twin: two processes may land in any order', () => {
    expect(check(sends(1).h)).toMatchObject({ valid: true, anomalyTypes: [] });
  });
});

describe('dependency cycles', () => {
  function writeCycle() {
    const h = new History();
    h.txn(0, [['send', 'x', [0, 1]], ['send', 'y', [1, 2]]]);
    h.txn(1, [['send', 'x', [1, 3]], ['send', 'y', [0, 4]]]);
    h.poll(2, { x: [[0, 1], [1, 3]], y: [[0, 4], [1, 2]] });
    return h;
  }

  it('G0 is found only with wwDeps, and allowed', () => {
    expect(check(writeCycle(), { txn: true })).toMatchObject({ valid: true, anomalyTypes: [] });
    const r = check(writeCycle(), { txn: true, wwDeps: true });
    expect(r).toMatchObject({ valid: true, anomalyTypes: ['G0'], badAnomalyTypes: [] });
    const [w] = r.anomalies['G0'] as { cycle: { index: number }[]; steps: Record<string, unknown>[] }[];
    expect(w!.cycle.map((op) => op.index).sort()).toEqual([1, 3]);
    expect(w!.steps.map((s) => s['type'])).toEqual(['ww', 'ww']);
    expect(w!.steps.map((s) => s['key']).sort()).toEqual(['x', 'y']);
  });

  function readCycle() {
    const h = new History();
    const a = h.txn(0, [['send', 'x', [0, 1]], ['poll', { y: [[0, 2]] }]]);
    const b = h.txn(1, [['send', 'y', [0, 2]], ['poll', { x: [[0, 1]] }]]);
    return { h, a, b };
  }

  it('G1c: two transactions each read the other\'s write', () => {
    const { h, a, b } = readCycle();
    const r = check(h, { txn: true });
    expect(r.badAnomalyTypes).toEqual(['G1c']);
    const [w] = r.anomalies['G1c'] as { cycle: { index: number }[]; steps: Record<string, unknown>[] }[];
    expect(w!.cycle.map((op) => op.index).sort()).toEqual([a, b]);
    expect(w!.steps).toMatchObject([{ type: 'wr' }, { type: 'wr' }]);
  });

  it('G1c is allowed with wwDeps, but an all-wr cycle is an early-read under read_committed', () => {
    expect(check(readCycle().h, { txn: true, wwDeps: true })).toMatchObject({ valid: true, anomalyTypes: ['G1c'] });
    const r = check(readCycle().h, { txn: true, wwDeps: true, isolation: 'read_committed' });
    expect(r).toMatchObject({ valid: false, badAnomalyTypes: ['early-read'] });
    expect(check(readCycle().h, { txn: true, isolation: 'read_uncommitted' })).toMatchObject({ valid: true, anomalyTypes: ['G1c'] });
  });

  it('G1c-process: a poll saw a write its own process had not yet made visible to the writer', () => {
    const h = new History();
    const a = h.poll(0, { y: [[0, 2]] });
    const b = h.send(0, [['x', 1, 0]]);
    const c = h.poll(1, { x: [[0, 1]] });
    const d = h.send(1, [['y', 2, 0]]);
    const r = check(h);
    expect(r.badAnomalyTypes).toEqual(['G1c-process']);
    const [w] = r.anomalies['G1c-process'] as { cycle: { index: number }[]; steps: Record<string, unknown>[] }[];
    expect(w!.cycle.map((op) => op.index).sort((x, y) => x - y)).toEqual([a, b, c, d]);
    expect(w!.steps.map((s) => s['type']).sort()).toEqual(['process', 'process', 'wr', 'wr']);
    expect(check(h, { wwDeps: true }).valid).toBe(true);
    expect(check(h, { wwDeps: true, isolation: 'read_committed' }).badAnomalyTypes).toEqual(['early-read']);
  });
});

describe('verdicts', () => {
  it('a history with no ok operation is unknown, never a pass', () => {
    const h = new History();
    h.send(0, [['x', 1]], 'fail');
    expect(check(h)).toMatchObject({ valid: 'unknown', anomalyTypes: ['empty-transaction-graph'], badAnomalyTypes: [] });
  });

  it('an invoke with no completion counts as info', () => {
    const h = new History();
    h.invoke(0, 'send', [['send', 'x', 1]]);
    h.poll(1, { x: [[0, 1]] });
    const r = check(h);
    expect(r).toMatchObject({ valid: true, stats: { operations: 2, info: 1 } });
  });

  it('witnesses are capped but counted exactly', () => {
    const h = new History();
    for (let v = 0; v < 10; v++) h.send(0, [['x', v, v]]);
    const r = check(h, { witnessLimit: 3 });
    expect(r.anomalyCounts['unseen']).toBe(1);
    expect((r.anomalies['unseen']![0] as Record<string, unknown>)['count']).toBe(10);
    const many = new History();
    for (let v = 0; v < 10; v++) many.poll(v, { [`k${v}`]: [[0, 1]] });
    const g = check(many, { witnessLimit: 3 });
    expect(g.anomalyCounts['garbage-read']).toBe(10);
    expect(g.anomalies['garbage-read']).toHaveLength(3);
  });

  it('a witness lists at most 64 values, then says how many more', () => {
    const h = new History();
    for (let v = 0; v < 100; v++) h.send(v, [['x', v, 0]]);
    h.poll(999, { x: [[0, 0]] });
    const [w] = check(h).anomalies['inconsistent-offsets'] as Record<string, unknown>[];
    expect((w!['values'] as number[]).length).toBe(64);
    expect(w!['more']).toBe(36);
  });
});

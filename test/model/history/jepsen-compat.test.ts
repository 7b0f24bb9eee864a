/**
 * Jepsen's own checker tests (jepsen-io/jepsen `jepsen/test/jepsen/tests/kafka_test.clj`),
 * ported: the same histories (Jepsen's keyword values as strings) must give the same
 * findings, in our witness shape. Where our rules differ on purpose, the test says so.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../model/history/check.ts';
import type { CheckOptions, HistoryEvent } from '../../../model/history/types.ts';

type Op = [process: number, type: 'ok' | 'fail' | 'info', f: string, value: unknown];

/** Each op becomes an invoke (the completion's value) and its completion; returns events and completion indexes. */
function history(ops: Op[]): { events: HistoryEvent[]; at: number[] } {
  const events: HistoryEvent[] = [];
  const at: number[] = [];
  for (const [process, type, f, value] of ops) {
    events.push({ index: events.length, process, type: 'invoke', f, value } as HistoryEvent);
    at.push(events.length);
    events.push({ index: events.length, process, type, f, value } as HistoryEvent);
  }
  return { events, at };
}

const check = (ops: Op[], options: CheckOptions = {}) => checkHistory(history(ops).events, options);
const indexesOf = (refs: unknown) => (refs as { index: number }[]).map((r) => r.index);

describe('version orders', () => {
  it('an info txn proven by a read conflicts with what was read (version-orders-test)', () => {
    const r = check([
      [0, 'ok', 'txn', [['poll', { x: [[0, 'a'], [1, 'b']] }]]],
      [1, 'info', 'txn', [['send', 'x', [1, 'c']], ['send', 'x', [3, 'b']], ['send', 'x', [4, 'd']]]],
    ], { txn: true });
    expect(r.anomalies['inconsistent-offsets']).toEqual([{ key: 'x', offset: 1, index: 1, values: ['b', 'c'] }]);
  });

  it('a real-world example: two acks at one offset', () => {
    const r = check([[379, 'ok', 'send', [['send', 11, [537, 641]]]], [363, 'ok', 'send', [['send', 11, [537, 645]]]]]);
    expect(r.anomalies['inconsistent-offsets']).toEqual([{ key: '11', offset: 537, index: 0, values: [641, 645] }]);
  });

  it('info conflicts count only once the info send is proven (inconsistent-offsets-test)', () => {
    const sends: Op[] = [[0, 'info', 'send', [['send', 'x', [0, 1]], ['send', 'y', 1]]], [1, 'ok', 'send', [['send', 'x', [0, 2]]]]];
    expect(check(sends, { txn: true }).anomalies['inconsistent-offsets']).toBeUndefined();
    const proven = check([...sends, [2, 'ok', 'poll', [['poll', { y: [[5, 1]] }]]]], { txn: true });
    expect(proven.anomalies['inconsistent-offsets']).toEqual([{ key: 'x', offset: 0, index: 0, values: [1, 2] }]);
    // Ours, without txn: reading y=1 proves nothing about the send of x=1.
    expect(check([...sends, [2, 'ok', 'poll', [['poll', { y: [[5, 1]] }]]]]).anomalies['inconsistent-offsets']).toBeUndefined();
  });
});

describe('G1a and lost writes', () => {
  it('g1a-test', () => {
    const { events, at } = history([
      [0, 'fail', 'send', [['send', 'x', 2], ['send', 'y', 3]]],
      [1, 'ok', 'poll', [['poll', { x: [[0, 2]] }]]],
    ]);
    const r = checkHistory(events);
    expect(r.anomalies['G1a']).toMatchObject([{ key: 'x', value: 2, writer: { index: at[0] }, reader: { index: at[1] } }]);
  });

  it('lost-write-test: consistent', () => {
    const { events, at } = history([
      [0, 'ok', 'send', [['send', 'x', [0, 'a']]]],
      [0, 'ok', 'send', [['send', 'x', [1, 'b']], ['send', 'x', [3, 'd']]]],
      [1, 'info', 'send', [['send', 'x', 'c']]],
      [0, 'ok', 'poll', [['poll', { x: [[2, 'c']] }]]],
    ]);
    const r = checkHistory(events);
    expect(r.anomalies['lost-write']).toMatchObject([
      { key: 'x', value: 'a', index: 0, maxReadIndex: 2, writer: { index: at[0] }, maxRead: { index: at[3] } },
      { key: 'x', value: 'b', index: 1, maxReadIndex: 2, writer: { index: at[1] }, maxRead: { index: at[3] } },
    ]);
  });

  it('lost-write-test: inconsistent offsets do not hide the loss', () => {
    const { events, at } = history([
      [0, 'ok', 'send', [['send', 'x', [0, 'a']]]],
      [0, 'ok', 'send', [['send', 'x', [0, 'b']], ['send', 'x', [2, 'c']]]],
      [0, 'ok', 'poll', [['poll', { x: [[0, 'b'], [2, 'c']] }]]],
    ]);
    expect(checkHistory(events).anomalies['lost-write']).toMatchObject([
      { key: 'x', value: 'a', index: 0, maxReadIndex: 1, writer: { index: at[0] }, maxRead: { index: at[2] } },
    ]);
  });

  it('lost-write-test: atomic (a read of one write proves the whole transaction)', () => {
    const ab: Op = [0, 'info', 'send', [['send', 'x', 'a'], ['send', 'y', [0, 'b']]]];
    const c: Op = [1, 'info', 'send', [['send', 'y', 'c']]];
    const pollA: Op = [2, 'ok', 'poll', [['poll', { x: [[0, 'a']] }]]];
    const pollC: Op = [3, 'ok', 'poll', [['poll', { y: [[1, 'c']] }]]];
    expect(check([ab, c, pollC], { txn: true }).anomalies['lost-write']).toBeUndefined();
    const { events, at } = history([ab, c, pollA, pollC]);
    expect(checkHistory(events, { txn: true }).anomalies['lost-write']).toMatchObject([
      { key: 'y', value: 'b', index: 0, maxReadIndex: 1, writer: { index: at[0] }, maxRead: { index: at[3] } },
    ]);
    // Ours, without txn: the sends are independent, so y=b is not proven.
    expect(checkHistory(events).anomalies['lost-write']).toBeUndefined();
  });
});

describe('poll skips', () => {
  const polls = (middle: Op[]): Op[] => [
    [0, 'ok', 'poll', [['poll', { x: [[1, 'a'], [2, 'b']] }]]],
    [1, 'ok', 'poll', [['poll', { x: [[3, 'c']] }]]],
    ...middle.slice(0, 1),
    [0, 'ok', 'poll', [['poll', { x: [[4, 'd']] }]]],
    ...middle.slice(1),
    [2, 'ok', 'send', [['send', 'x', [6, 'f']]]],
    [0, 'ok', 'poll', [['poll', { x: [[7, 'g']] }]]],
    [3, 'info', 'send', [['send', 'x', 'a'], ['send', 'x', 'b'], ['send', 'x', 'c'], ['send', 'x', 'd'], ['send', 'x', 'g']]],
  ];

  it('poll-skip-test', () => {
    const { events, at } = history(polls([]));
    expect(checkHistory(events).anomalies['poll-skip']).toMatchObject([
      { key: 'x', delta: 2, skipped: ['c'], ops: [{ index: at[0] }, { index: at[2] }] },
      { key: 'x', delta: 2, skipped: ['f'], ops: [{ index: at[2] }, { index: at[4] }] },
    ]);
  });

  it('an intermediate subscribe or assign without x allows the skips; with x keeps them', () => {
    expect(check(polls([[0, 'ok', 'subscribe', ['y']], [0, 'info', 'assign', ['y']]])).anomalies['poll-skip']).toBeUndefined();
    expect(check(polls([[0, 'ok', 'subscribe', ['x', 'y']], [0, 'ok', 'assign', ['x', 'y']]])).anomalyCounts['poll-skip']).toBe(2);
  });

  const numbers: Op = [0, 'ok', 'send', [0, 1, 2, 3, 4, 5].map((v) => ['send', 'x', [v, v]])];

  it('txn abort: aborted and crashed transactions rewound are fine', () => {
    const r = check([
      numbers,
      [1, 'ok', 'txn', [['poll', { x: [[0, 0]] }]]],
      [1, 'fail', 'txn', [['poll', { x: [[1, 1], [2, 2]] }]]],
      [1, 'info', 'txn', [['poll', { x: [[1, 1], [2, 2]] }]]],
      [1, 'ok', 'txn', [['poll', { x: [[1, 1], [2, 2]] }]]],
    ]);
    expect(r.anomalies['poll-skip']).toBeUndefined();
    expect(r.anomalies['nonmonotonic-poll']).toBeUndefined();
  });

  it('txn abort: an abort that does not roll back is a poll-skip, failed or not', () => {
    const { events, at } = history([
      numbers,
      [1, 'ok', 'txn', [['poll', { x: [[0, 0]] }]]],
      [1, 'fail', 'txn', [['poll', { x: [[1, 1], [2, 2]] }]]],
      [1, 'fail', 'txn', [['poll', { x: [[3, 3], [4, 4]] }]]],
      [1, 'ok', 'txn', [['poll', { x: [[5, 5]] }]]],
    ]);
    expect(checkHistory(events).anomalies['poll-skip']).toMatchObject([
      { key: 'x', delta: 3, skipped: [1, 2], ops: [{ index: at[1] }, { index: at[3] }] },
      { key: 'x', delta: 5, skipped: [1, 2, 3, 4], ops: [{ index: at[1] }, { index: at[4] }] },
    ]);
  });

  it('txn abort: an info can be a poll-skip', () => {
    const { events, at } = history([
      numbers,
      [1, 'ok', 'txn', [['poll', { x: [[0, 0]] }]]],
      [1, 'fail', 'txn', [['poll', { x: [[1, 1], [2, 2]] }]]],
      [1, 'info', 'txn', [['poll', { x: [[3, 3], [4, 4]] }]]],
    ]);
    expect(checkHistory(events).anomalies['poll-skip']).toMatchObject([{ key: 'x', delta: 3, skipped: [1, 2], ops: [{ index: at[1] }, { index: at[3] }] }]);
  });
});

describe('nonmonotonic polls and sends', () => {
  const sends: Op = [0, 'ok', 'send', ['a', 'b', 'c', 'd'].map((v) => ['send', 'x', v])];
  const p123: Op = [0, 'ok', 'poll', [['poll', { x: [[1, 'a'], [2, 'b'], [3, 'c']] }]]];
  const p234: Op = [0, 'ok', 'poll', [['poll', { x: [[2, 'b'], [3, 'c'], [4, 'd']] }]]];

  it('nonmonotonic-poll-test, and intermediate subscribe/assign', () => {
    const { events, at } = history([sends, p123, p234]);
    expect(checkHistory(events).anomalies['nonmonotonic-poll']).toMatchObject([{ key: 'x', values: ['c', 'b'], delta: -1, ops: [{ index: at[1] }, { index: at[2] }] }]);
    for (const f of ['subscribe', 'assign']) {
      expect(check([sends, p123, [0, 'ok', f, ['y']], p234]).anomalies['nonmonotonic-poll']).toBeUndefined();
      expect(check([sends, p123, [0, 'ok', f, ['x', 'y']], p234]).anomalyCounts['nonmonotonic-poll']).toBe(1);
    }
  });

  it('nonmonotonic-send-test', () => {
    const s34: Op = [0, 'ok', 'send', [['send', 'x', [3, 'c']], ['send', 'x', [4, 'd']]]];
    const s12: Op = [0, 'ok', 'send', [['send', 'x', [1, 'a']], ['send', 'x', [2, 'b']]]];
    const { events, at } = history([s34, s12]);
    expect(checkHistory(events).anomalies['nonmonotonic-send']).toMatchObject([{ key: 'x', values: ['d', 'a'], delta: -3, ops: [{ index: at[0] }, { index: at[1] }] }]);
    expect(check([s34, [0, 'ok', 'subscribe', ['y']], s12]).anomalies['nonmonotonic-send']).toBeUndefined();
    expect(check([s34, [0, 'info', 'assign', ['y']], s12]).anomalies['nonmonotonic-send']).toBeUndefined();
    expect(check([s34, [0, 'ok', 'assign', ['x', 'y']], s12]).anomalyCounts['nonmonotonic-send']).toBe(1);
  });
});

describe('order inside one operation', () => {
  it('int-poll-skip-test: within a poll and across polls', () => {
    const { events, at } = history([
      [1, 'info', 'send', [['send', 'x', 'a'], ['send', 'x', 'b'], ['send', 'x', 'd']]],
      [0, 'ok', 'poll', [['poll', { x: [[1, 'a'], [4, 'd']] }]]],
      [0, 'ok', 'poll', [['poll', { x: [[1, 'a']] }], ['poll', { x: [[4, 'd']] }]]],
      [0, 'ok', 'poll', [['poll', { x: [[2, 'b']] }]]],
    ]);
    expect(checkHistory(events).anomalies['int-poll-skip']).toMatchObject([
      { key: 'x', values: ['a', 'd'], skipped: ['b'], delta: 2, op: { index: at[1] } },
      { key: 'x', values: ['a', 'd'], skipped: ['b'], delta: 2, op: { index: at[2] } },
    ]);
  });

  it('int-send-skip-test: a poll reveals what landed between', () => {
    const { events, at } = history([
      [0, 'ok', 'send', [['send', 'x', [1, 'a']], ['send', 'x', 'c']]],
      [1, 'info', 'send', [['send', 'x', 'b']]],
      [2, 'ok', 'poll', [['poll', { x: [[2, 'b'], [3, 'c']] }]]],
    ]);
    expect(checkHistory(events).anomalies['int-send-skip']).toMatchObject([{ key: 'x', values: ['a', 'c'], skipped: ['b'], delta: 2, op: { index: at[0] } }]);
  });

  it('int-nonmonotonic-poll-test', () => {
    const { events, at } = history([
      [0, 'info', 'send', [['send', 'x', 'a'], ['send', 'x', 'b'], ['send', 'x', 'c']]],
      [1, 'ok', 'poll', [['poll', { x: [[3, 'c'], [1, 'a']] }]]],
      [1, 'ok', 'poll', [['poll', { x: [[2, 'b'], [3, 'c']] }], ['poll', { x: [[3, 'c']] }]]],
    ]);
    expect(checkHistory(events).anomalies['int-nonmonotonic-poll']).toMatchObject([
      { key: 'x', values: ['c', 'a'], delta: -2, op: { index: at[1] } },
      { key: 'x', values: ['c', 'c'], delta: 0, op: { index: at[2] } },
    ]);
  });

  it('int-nonmonotonic-send-test: from offsets, and inferred from a poll', () => {
    const { events, at } = history([
      [0, 'ok', 'send', [['send', 'x', [3, 'c']], ['send', 'x', [1, 'a']]]],
      [0, 'info', 'send', [['send', 'y', 'd'], ['send', 'y', 'b']]],
      [1, 'info', 'send', [['send', 'y', 'c']]],
      [2, 'ok', 'poll', [['poll', { y: [[2, 'b'], [3, 'c'], [4, 'd']] }]]],
    ]);
    expect(checkHistory(events).anomalies['int-nonmonotonic-send']).toMatchObject([
      { key: 'x', values: ['c', 'a'], delta: -1, op: { index: at[0] } },
      { key: 'y', values: ['d', 'b'], delta: -2, op: { index: at[1] } },
    ]);
  });
});

describe('duplicates', () => {
  it('duplicate-test: basic', () => {
    const r = check([
      [0, 'ok', 'send', [['send', 'x', [1, 'a']]]],
      [1, 'info', 'send', [['send', 'x', 'b']]],
      [2, 'ok', 'poll', [['poll', { x: [[2, 'b'], [3, 'a']] }]]],
    ]);
    expect(r.anomalies['duplicate']).toEqual([{ key: 'x', value: 'a', count: 2, offsets: [1, 3] }]);
  });

  it('duplicate-test: hash-insensitive', () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const r = check(values.flatMap((v): Op[] => [[0, 'ok', 'send', [['send', 'x', [0, v]]]], [1, 'ok', 'poll', [['poll', { x: [[1, v]] }]]]]));
    expect((r.anomalies['duplicate'] as { value: number }[]).map((w) => w.value).sort((a, b) => a - b)).toEqual(values);
    expect(r.anomalies['inconsistent-offsets']).toEqual([
      { key: 'x', offset: 0, index: 0, values },
      { key: 'x', offset: 1, index: 1, values },
    ]);
  });

  it('duplicate-test: aborted transactions\' polls are evidence, their sends are not', () => {
    const r = check([
      [0, 'ok', 'send', [['send', 'x', [1, 0]]]],
      [0, 'fail', 'send', [['send', 'x', [2, 1]]]],
      [1, 'fail', 'poll', [['poll', { x: [[11, 0], [12, 1]] }]]],
    ]);
    expect(r.anomalies['duplicate']).toEqual([{ key: 'x', value: 0, count: 2, offsets: [1, 11] }]);
  });
});

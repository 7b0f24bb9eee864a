/**
 * Ingestion: invoke/completion pairing per process, the contract's shapes, and one precise
 * `source:line: what` message per kind of bad input (never a stack trace, never a guess).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/assert.ts';
import { checkHistory } from '../../../model/history/check.ts';
import { HistoryIngest } from '../../../model/history/ingest.ts';
import type { HistoryEvent } from '../../../model/history/types.ts';

const inv = (process: unknown, f: string, value: unknown = null, extra: object = {}) => ({ process, type: 'invoke', f, value, ...extra });
const done = (process: unknown, type: string, f: string, value: unknown = null, extra: object = {}) => ({ process, type, f, value, ...extra });

function fails(events: unknown[]): string {
  try {
    checkHistory(events as HistoryEvent[]);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an input error');
}

describe('bad input', () => {
  const CASES: [string, unknown[], RegExp][] = [
    ['not a map', [[1, 2]], /^history:1: expected an operation map, got \[1,2\]$/],
    ['bad f', [{ process: 0, type: 'invoke', f: 3 }], /^history:1: "f" must be a string, got 3$/],
    ['bad process', [inv(1.5, 'send')], /^history:1: "process" must be an integer or a string, got 1.5$/],
    ['bad type', [done(0, 'done', 'send')], /^history:1: "type" must be "invoke", "ok", "fail" or "info", got "done"$/],
    ['double invoke', [inv(0, 'send'), inv(0, 'poll')], /^history:2: process 0 invokes again while its operation invoked at history:1 is pending$/],
    ['orphan completion', [done(0, 'ok', 'poll')], /^history:1: ok completion of process 0 has no pending invoke$/],
    ['f mismatch', [inv(0, 'send'), done(0, 'ok', 'poll')], /^history:2: completion has f "poll" but its invoke \(history:1\) has f "send"$/],
    ['value not a list', [inv(0, 'send'), done(0, 'ok', 'send', 'x')], /^history:2: "value" must be a list of micro-operations, got "x"$/],
    ['send in a poll', [inv(0, 'poll'), done(0, 'ok', 'poll', [['send', 'x', 1]])], /^history:2: a poll operation holds a send micro-operation$/],
    ['poll in a send', [inv(0, 'send'), done(0, 'ok', 'send', [['poll', {}]])], /^history:2: a send operation holds a poll micro-operation$/],
    ['unknown mop', [inv(0, 'txn'), done(0, 'ok', 'txn', [['append', 'x', 1]])], /^history:2: unknown micro-operation "append"/],
    ['bad key', [inv(0, 'send'), done(0, 'ok', 'send', [['send', null, 1]])], /^history:2: a key must be a string or an integer, got null$/],
    ['bad value', [inv(0, 'send'), done(0, 'ok', 'send', [['send', 'x', [0, 1.5]]])], /^history:2: a sent value must be an integer or a string, got 1.5$/],
    ['bad pair', [inv(0, 'send'), done(0, 'ok', 'send', [['send', 'x', [0, 1, 2]]])], /^history:2: a sent \[offset, value\] pair has 3 elements$/],
    ['poll result', [inv(0, 'poll'), done(0, 'ok', 'poll', [['poll', [1]]])], /^history:2: a poll result must be a map of key to/],
    ['poll pairs', [inv(0, 'poll'), done(0, 'ok', 'poll', [['poll', { x: [5] }]])], /^history:2: poll result for key "x" holds 5, not an \[offset, value\] pair$/],
    ['assign value', [inv(0, 'assign'), done(0, 'ok', 'assign', 'x')], /^history:2: assign\/subscribe "value" must be a list of keys/],
    ['rebalance log', [inv(0, 'poll'), done(0, 'ok', 'poll', [], { rebalanceLog: [{ type: 'assigned' }] })], /^history:2: a rebalanceLog entry must have a "keys" list/],
    ['time backwards', [{ ...inv(0, 'poll'), time: 5 }, { ...done(0, 'ok', 'poll'), time: 4 }], /^history:2: time 4 is earlier than the previous time 5$/],
    ['negative index', [{ ...inv(0, 'poll'), index: -1 }], /^history:1: "index" must be a non-negative integer, got -1$/],
  ];
  for (const [name, events, message] of CASES) {
    it(name, () => expect(fails(events)).toMatch(message));
  }
});

describe('pairing and notes', () => {
  it('nemesis events and unknown functions are notes, judged by no rule', () => {
    const ingest = new HistoryIngest('h');
    const events = [
      { process: 'nemesis', type: 'info', f: 'partition', value: 'garbage' },
      inv(0, 'debug-topic-partitions', ['x']),
      done(0, 'ok', 'debug-topic-partitions', { anything: true }),
      inv(0, 'send', [['send', 'x', 1]]),
      done(0, 'ok', 'send', [['send', 'x', [0, 1]]]),
    ];
    events.forEach((e, i) => ingest.add(e, i));
    const log = ingest.finish();
    expect([log.events, log.notes, log.opCount]).toEqual([5, 3, 1]);
    expect(log.opIndex.get(0)).toBe(4);
  });

  it('an info completion ends the process: its number starts a fresh client', () => {
    const ingest = new HistoryIngest('h');
    [inv(0, 'poll'), done(0, 'info', 'poll'), inv(0, 'poll'), done(0, 'ok', 'poll'), inv(0, 'poll'), done(0, 'ok', 'poll')].forEach((e, i) => ingest.add(e, i));
    const log = ingest.finish();
    expect([log.opProcess.get(0), log.opProcess.get(1), log.opProcess.get(2)]).toEqual([0, 1, 1]);
    expect(log.processRaw).toEqual([0, 0]);
  });

  it('unfinished invokes complete as info with their invoke values, in invoke order', () => {
    const ingest = new HistoryIngest('h');
    [inv(1, 'send', [['send', 'x', 7]]), inv(0, 'send', [['send', 'x', 8]])].forEach((e, i) => ingest.add(e, i));
    const log = ingest.finish();
    expect([log.opType.get(0), log.opIndex.get(0), log.opIndex.get(1)]).toEqual([2, 0, 1]);
    expect(log.valueRaw).toEqual([7, 8]);
  });

  it('integer keys become their decimal strings; the same value under two keys is two values', () => {
    const r = checkHistory([
      inv(0, 'send'), done(0, 'ok', 'send', [['send', 5, [0, 1]], ['send', 'y', [0, 1]]]),
      inv(1, 'poll'), done(1, 'ok', 'poll', [['poll', { 5: [[0, 1]], y: [[0, 1]] }]]),
    ] as HistoryEvent[]);
    expect(r).toMatchObject({ valid: true, stats: { keys: 2, values: 2 } });
  });
});

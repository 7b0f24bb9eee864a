import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../model/history/check.ts';
import { HistoryRecorder } from '../../src/sim/history.ts';

describe('HistoryRecorder', () => {
  it('stamps index and time (ns), records faults as nemesis, and counts open operations', () => {
    const h = new HistoryRecorder();
    h.record({ process: 0, type: 'invoke', f: 'send', value: [['send', 'orders-0', 'v0']] }, 5);
    expect(h.openOperations()).toBe(1);
    h.nemesis('crash', { broker: 1 }, 6);
    h.record({ process: 0, type: 'ok', f: 'send', value: [['send', 'orders-0', [0, 'v0']]] }, 7);
    h.poll('consumer-0', 'orders-0', [[0, 'v0']], 8);
    expect(h.openOperations()).toBe(0);
    expect(h.events.map((e) => [e.index, e.time, e.process, e.type])).toEqual([
      [0, 5_000_000, 0, 'invoke'],
      [1, 6_000_000, 'nemesis', 'info'],
      [2, 7_000_000, 0, 'ok'],
      [3, 8_000_000, 'consumer-0', 'invoke'],
      [4, 8_000_000, 'consumer-0', 'ok'],
    ]);
    expect(h.toJsonLines().split('\n').filter((l) => l !== '')).toHaveLength(5);
  });

  it('writes what the history checker reads: a clean history is valid, a lost acked write is a lost-write', () => {
    const good = new HistoryRecorder();
    good.record({ process: 0, type: 'invoke', f: 'send', value: [['send', 'orders-0', 'v0']] }, 1);
    good.record({ process: 0, type: 'ok', f: 'send', value: [['send', 'orders-0', [0, 'v0']]] }, 2);
    good.poll('consumer-0', 'orders-0', [[0, 'v0']], 3);
    expect(checkHistory(good.events, { subVia: 'assign' }).valid).toBe(true);
    const lost = new HistoryRecorder();
    lost.record({ process: 0, type: 'invoke', f: 'send', value: [['send', 'orders-0', 'v0']] }, 1);
    lost.record({ process: 0, type: 'ok', f: 'send', value: [['send', 'orders-0', [0, 'v0']]] }, 2);
    lost.record({ process: 1, type: 'invoke', f: 'send', value: [['send', 'orders-0', 'v1']] }, 3);
    lost.record({ process: 1, type: 'ok', f: 'send', value: [['send', 'orders-0', [1, 'v1']]] }, 4);
    lost.poll('consumer-0', 'orders-0', [[1, 'v1']], 5);
    expect(checkHistory(lost.events, { subVia: 'assign' }).anomalyTypes).toContain('lost-write');
  });
});

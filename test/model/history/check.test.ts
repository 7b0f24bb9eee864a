/**
 * The verdict's three values and the allowed-types table (Jepsen `allowed-error-types`,
 * extended by isolation).
 */
import { describe, expect, it } from 'vitest';
import { ANOMALY_FUNCTIONS, allowedAnomalyTypes, checkLog, resolveOptions } from '../../../model/history/check.ts';
import { ANOMALY_SENTENCES } from '../../../model/history/explain.ts';
import { HistoryIngest } from '../../../model/history/ingest.ts';
import { History } from './dsl.ts';

function sealed(h: History) {
  const ingest = new HistoryIngest('test');
  h.events.forEach((e, i) => ingest.add(e, i));
  return ingest.finish();
}

describe('verdicts', () => {
  it('a checker that throws yields unknown, never a pass', () => {
    const h = new History();
    h.send(0, [['x', 1, 0]]);
    h.poll(1, { x: [[0, 1]] });
    const options = resolveOptions({});
    expect(checkLog(sealed(h), options).valid).toBe(true);
    const broken = [...ANOMALY_FUNCTIONS, () => { throw new Error('boom'); }];
    const r = checkLog(sealed(h), options, broken);
    expect(r).toMatchObject({ valid: 'unknown', error: 'checker failed: boom' });
  });

  it('allowed types follow the options', () => {
    const allowed = (o: Parameters<typeof resolveOptions>[0]) => [...allowedAnomalyTypes(resolveOptions(o))].sort();
    expect(allowed({})).toEqual(['G0', 'G0-process', 'int-send-skip']);
    expect(allowed({ subVia: 'subscribe' })).toEqual(['G0', 'G0-process', 'int-send-skip', 'nonmonotonic-poll', 'poll-skip']);
    expect(allowed({ wwDeps: true })).toEqual(['G0', 'G0-process', 'G1c', 'G1c-process', 'int-send-skip']);
    expect(allowed({ isolation: 'read_uncommitted' })).toEqual(['G0', 'G0-process', 'G1a', 'G1c', 'int-send-skip', 'precommitted-read']);
    expect(allowed({ isolation: 'read_committed' })).toEqual(allowed({}));
  });

  it('rejects bad options with an input error', () => {
    expect(() => resolveOptions({ subVia: 'poll' as 'assign' })).toThrow(/option subVia/);
    expect(() => resolveOptions({ witnessLimit: 0 })).toThrow(/option witnessLimit/);
  });

  it('every anomaly type has its sentence', () => {
    const types = ['inconsistent-offsets', 'duplicate', 'G1a', 'precommitted-read', 'garbage-read', 'lost-write', 'unseen',
      'int-poll-skip', 'int-nonmonotonic-poll', 'int-send-skip', 'int-nonmonotonic-send', 'poll-skip', 'nonmonotonic-poll',
      'nonmonotonic-send', 'G0', 'G0-process', 'G1c', 'G1c-process', 'early-read', 'empty-transaction-graph'];
    expect(Object.keys(ANOMALY_SENTENCES).sort()).toEqual([...types].sort());
  });
});

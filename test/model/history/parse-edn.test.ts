/** Jepsen's EDN op maps become contract events. */
import { describe, expect, it } from 'vitest';
import { parseEdnLine } from '../../../model/history/parse-edn.ts';
import { parseJsonLine } from '../../../model/history/parse-jsonl.ts';

describe('parseEdnLine', () => {
  it('turns keywords into strings, integer keys into decimal strings, kebab-case into the contract names', () => {
    const line = '#jepsen.history.Op{:index 3, :type :ok, :process 2, :f :assign, :value [5 6], :seek-to-beginning? true, :rebalance-log [{:type :assigned, :keys [5]}]}';
    expect(parseEdnLine(line, 'h.edn', 0)).toEqual({
      index: 3, type: 'ok', process: 2, f: 'assign', value: [5, 6], seekToBeginning: true, rebalanceLog: [{ type: 'assigned', keys: [5] }],
    });
    expect(parseEdnLine('{:type :ok, :f :poll, :process 0, :value [[:poll {5 [[0 1] [1 nil]]}]]}', 'h.edn', 0)).toEqual({
      type: 'ok', f: 'poll', process: 0, value: [['poll', { 5: [[0, 1], [1, null]] }]],
    });
  });

  it('skips blank and comment lines; rejects incomplete maps with file and line', () => {
    expect(parseEdnLine('   ', 'h.edn', 0)).toBeUndefined();
    expect(parseEdnLine('; a comment', 'h.edn', 0)).toBeUndefined();
    expect(() => parseEdnLine('{:type :ok', 'h.edn', 6)).toThrow(/^h\.edn:7: not a complete EDN op map/);
  });
});

describe('parseJsonLine', () => {
  it('skips blank lines and names the line of bad JSON', () => {
    expect(parseJsonLine(' \t', 'h.jsonl', 0)).toBeUndefined();
    expect(() => parseJsonLine('{"a":', 'h.jsonl', 41)).toThrow(/^h\.jsonl:42: not valid JSON/);
  });
});

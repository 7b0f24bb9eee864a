/**
 * The streaming file entry agrees with the in-memory one, for JSON Lines and for Jepsen EDN
 * (keywords, integer keys, kebab-case fields, tagged op maps), whatever the line endings.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../../model/history/check.ts';
import { checkHistoryFile } from '../../../model/history/check-file.ts';
import { generateHistory } from '../../../model/history/generate.ts';
import type { HistoryEvent } from '../../../model/history/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'oracle-'));

/** Jepsen's spelling of an event: keywords, integer keys, kebab-case. */
function toEdn(event: HistoryEvent, tagged: boolean): string {
  const kw = (s: string) => `:${s}`;
  const key = (k: unknown) => (typeof k === 'string' && /^\d+$/.test(k) ? k : JSON.stringify(k));
  const val = (v: unknown): string => (v === null ? 'nil' : Array.isArray(v) ? `[${v.map(val).join(' ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v));
  const mop = (m: unknown[]): string => {
    if (m[0] === 'send') return `[:send ${key(m[1])} ${val(m[2])}]`;
    if (m.length === 1) return '[:poll]';
    const result = m[1] as Record<string, unknown[]>;
    return `[:poll {${Object.entries(result).map(([k, pairs]) => `${key(k)} ${val(pairs)}`).join(', ')}}]`;
  };
  const value = event.f === 'assign' ? `[${(event.value as string[]).map(key).join(' ')}]` : event.value == null ? 'nil' : `[${(event.value as unknown as unknown[][]).map(mop).join(' ')}]`;
  const fields = [`:index ${event.index}`, `:time ${event.time}`, `:type ${kw(event.type)}`, `:process ${event.process}`, `:f ${kw(event.f)}`, `:value ${value}`];
  if (event.seekToBeginning) fields.push(':seek-to-beginning? true');
  return `${tagged ? '#jepsen.history.Op' : ''}{${fields.join(', ')}}`;
}

describe('checkHistoryFile', () => {
  it('agrees with checkHistory on JSON Lines (LF and CRLF) and on EDN', async () => {
    for (const seed of [11, 12, 13]) {
      const events = generateHistory({ seed, operations: 200, keys: 3, threads: 3, txn: seed % 2 === 0, failPercent: 10, infoPercent: 10 });
      const options = { txn: seed % 2 === 0, wwDeps: true };
      const expected = checkHistory(events, options);
      const lf = join(dir, `h${seed}.jsonl`);
      writeFileSync(lf, events.map((e) => JSON.stringify(e)).join('\n'));
      const crlf = join(dir, `h${seed}-crlf.jsonl`);
      writeFileSync(crlf, events.map((e) => JSON.stringify(e) + '\r\n').join(''));
      const edn = join(dir, `h${seed}.edn`);
      writeFileSync(edn, events.map((e, i) => toEdn(e, i % 2 === 0)).join('\n') + '\n');
      for (const path of [lf, crlf, edn]) {
        const got = await checkHistoryFile(path, options);
        expect(JSON.stringify(got), path).toBe(JSON.stringify(expected));
      }
      expect(expected.valid).toBe(true);
    }
  });

  it('a mutated file is found invalid the same way', async () => {
    const events = generateHistory({ seed: 5, operations: 100, keys: 2, threads: 2, txn: false });
    const path = join(dir, 'failed.jsonl');
    const lines = events.map((e) => JSON.stringify(e.type === 'ok' && e.f === 'send' ? { ...e, type: 'fail' } : e));
    writeFileSync(path, lines.join('\n'));
    const result = await checkHistoryFile(path);
    expect(result.valid).toBe(false);
    expect(result.badAnomalyTypes).toEqual(['G1a']);
  });
});

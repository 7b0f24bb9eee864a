/**
 * `checkHistoryFile`: the streaming entry point. Reads a `.jsonl` or Jepsen `.edn` history
 * line by line into the checker's compact state (never holding the raw lines) and judges it.
 */
import { InputError } from '../../src/core/assert.ts';
import { checkLog, resolveOptions } from './check.ts';
import { HistoryIngest } from './ingest.ts';
import { parseEdnLine } from './parse-edn.ts';
import { parseJsonLine } from './parse-jsonl.ts';
import { forEachLine } from './read-lines.ts';
import type { CheckOptions, CheckResult } from './types.ts';

export type HistoryFormat = 'jsonl' | 'edn';

/** `.edn` files are EDN; everything else is JSON Lines. */
export function formatOf(path: string): HistoryFormat {
  return path.toLowerCase().endsWith('.edn') ? 'edn' : 'jsonl';
}

export async function checkHistoryFile(path: string, options: CheckOptions = {}, format: HistoryFormat = formatOf(path)): Promise<CheckResult> {
  const resolved = resolveOptions(options);
  const ingest = new HistoryIngest(path);
  const parse = format === 'edn' ? parseEdnLine : parseJsonLine;
  await forEachLine(path, (line, lineNumber) => {
    const event = parse(line, path, lineNumber);
    if (event !== undefined) ingest.add(event, lineNumber);
  });
  if (ingest.log.events === 0) throw new InputError(`${path}: the history is empty (no operation events)`);
  return checkLog(ingest.finish(), resolved);
}

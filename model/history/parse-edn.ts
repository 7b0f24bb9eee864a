/**
 * One line of a Jepsen `history.edn`: an op map (optionally tagged, as newer Jepsen writes
 * `#jepsen.history.Op{...}`). Keywords become strings (`:ok` -> "ok"), integer keys their
 * decimal strings, and Jepsen's kebab-case fields the contract's names.
 */
import { parseEDNString } from 'edn-data';
import { InputError } from '../../src/core/assert.ts';
import { isBlank } from './parse-jsonl.ts';

const FIELD_NAMES: Readonly<Record<string, string>> = {
  'rebalance-log': 'rebalanceLog',
  'seek-to-beginning?': 'seekToBeginning',
};

export function parseEdnLine(line: string, source: string, lineNumber: number): unknown {
  if (isBlank(line) || line.trimStart().startsWith(';')) return undefined;
  let parsed: unknown;
  try {
    parsed = parseEDNString(line, { mapAs: 'object', keywordAs: 'string', listAs: 'array', setAs: 'array', charAs: 'string', symbolAs: 'string' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${source}:${lineNumber + 1}: not valid EDN (${reason})`);
  }
  if (parsed === null || parsed === undefined) {
    throw new InputError(`${source}:${lineNumber + 1}: not a complete EDN op map (one map per line)`);
  }
  const op = untag(parsed);
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return op;
  const event: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(op)) event[FIELD_NAMES[field] ?? field] = value;
  return event;
}

function untag(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tagged = value as { tag?: unknown; val?: unknown };
  if (typeof tagged.tag === 'string' && 'val' in tagged && Object.keys(tagged).length === 2) return tagged.val;
  return value;
}

/** One JSON Lines history line: an operation event, or nothing for a blank line. */
import { InputError } from '../../src/core/assert.ts';

export function parseJsonLine(line: string, source: string, lineNumber: number): unknown {
  if (isBlank(line)) return undefined;
  try {
    return JSON.parse(line);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${source}:${lineNumber + 1}: not valid JSON (${reason})`);
  }
}

export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

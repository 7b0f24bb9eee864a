/**
 * Reads a text file as a stream of lines (LF or CRLF), calling back synchronously per line, so
 * that a history of millions of lines is never held in memory.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../../src/core/assert.ts';

export async function forEachLine(path: string, onLine: (line: string, lineNumber: number) => void): Promise<number> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNumber = 0;
  const emit = (text: string, from: number, to: number): void => {
    const end = to > from && text.charCodeAt(to - 1) === 13 ? to - 1 : to;
    onLine(text.slice(from, end), lineNumber++);
  };
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk as Buffer);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        emit(text, start, newline);
        start = newline + 1;
      }
      rest = text.slice(start);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new InputError(`${path}: cannot read the file (${code})`);
    throw error;
  }
  rest += decoder.end();
  if (rest.length > 0) emit(rest, 0, rest.length);
  return lineNumber;
}

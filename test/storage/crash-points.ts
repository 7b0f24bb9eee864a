/**
 * Crash points for write paths: a FileSystem that forwards to another and stops the process
 * (throws {@link ProcessStopped}) before its `n`-th mutating call. Running a write routine
 * with n = 0, 1, 2, ... until it completes visits every point at which it can be interrupted.
 */
import type { FileSystem } from '../../src/storage/fs.ts';

export class ProcessStopped extends Error {
  override name = 'ProcessStopped';
}

const MUTATORS = new Set(['mkdirp', 'append', 'writeAt', 'writeFile', 'truncate', 'fsync', 'fsyncDir', 'rename', 'remove']);

export function stopAfter(fs: FileSystem, calls: number): FileSystem {
  let left = calls;
  return new Proxy(fs, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (MUTATORS.has(String(property))) {
          if (left === 0) throw new ProcessStopped(`stopped before ${String(property)}`);
          left -= 1;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * Run `write` against `fs` stopped before each of its mutating calls in turn, handing each
 * interrupted state (on a fresh clone made by `fresh`) to `check`; returns how many crash
 * points there were (the number of mutating calls `write` makes).
 */
export function forEachCrashPoint<F extends FileSystem>(
  fresh: () => F,
  write: (fs: FileSystem) => void,
  check: (fs: F, point: number, completed: boolean) => void,
): number {
  for (let point = 0; ; point++) {
    const fs = fresh();
    let completed = true;
    try {
      write(stopAfter(fs, point));
    } catch (error) {
      if (!(error instanceof ProcessStopped)) throw error;
      completed = false;
    }
    check(fs, point, completed);
    if (completed) return point;
  }
}

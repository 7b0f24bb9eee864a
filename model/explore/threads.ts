/**
 * Starting the explorer's worker threads (parallel.ts breadth-first, dfs-parallel.ts
 * depth-first) and collecting what they report: progress lines from thread 0, passed on as
 * `onProgress`, and one `done` message per thread. A thread that throws or exits early
 * stops the others and fails the search.
 */
import { Worker } from 'node:worker_threads';
import type { ExploreOptions } from './bfs.ts';

interface ThreadProgress {
  readonly type: 'progress';
  readonly distinctStates: number;
  readonly depth: number;
  readonly queue: number;
}

/**
 * Runs one thread per element of `inputs` (each thread's `workerData`, naming its module in `entry`) until each says it is done.
 * `resumedStates` (states a resumed search began with) are left out of the progress rate, which counts this run's states only.
 */
export function runThreads<Done extends { readonly type: 'done' }>(inputs: readonly object[], options: ExploreOptions, now: () => number, started: number, resumedStates = 0): Promise<Done[]> {
  return new Promise((resolve, reject) => {
    const done: Done[] = [];
    const threads: Worker[] = [];
    const fail = (error: unknown): void => {
      for (const t of threads) void t.terminate();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    inputs.forEach((workerData, index) => {
      const thread = new Worker(new URL('./worker.mjs', import.meta.url), { workerData });
      threads.push(thread);
      thread.on('error', fail);
      thread.on('message', (message: Done | ThreadProgress) => {
        if (message.type === 'progress') {
          const seconds = (now() - started) / 1000;
          options.onProgress?.({ ...message, seconds, statesPerSecond: (message.distinctStates - resumedStates) / Math.max(seconds, 1e-9) });
          return;
        }
        done.push(message);
        if (done.length === inputs.length) resolve(done);
      });
      thread.on('exit', (code) => {
        if (code !== 0 && done.length < inputs.length) fail(new Error(`explorer worker ${index} exited with code ${code}`));
      });
    });
  });
}

/**
 * Runs the rows of `kafka-oracle check` on several processes. Every row is checked from the
 * same seed whichever process runs it, so `--jobs N` changes only the wall time, never a
 * verdict, a counterexample or its seed and path (a test pins this).
 *
 * The parent forks `kafka-oracle check --worker` children and hands each the next row index
 * when it is free (rows differ in cost by 100×, so a queue balances better than a split);
 * a child answers with progress messages and the row's result. Results cross the IPC channel
 * as JSON, so a result carries no `row` object: the parent reattaches its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RowResult } from '../sim/checker.ts';
import type { MatrixRow } from '../sim/matrix.ts';

export interface RowTask {
  readonly index: number;
  readonly seed: number;
  readonly runs: number | undefined;
  readonly shrink: number | undefined;
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly index: number; readonly done: number; readonly total: number }
  | { readonly type: 'result'; readonly index: number; readonly ms: number; readonly result: Omit<RowResult, 'row'> };

export interface PoolCallbacks {
  progress(index: number, done: number, total: number): void;
  finished(index: number, result: RowResult, ms: number): void;
}

const BIN = fileURLToPath(new URL('../../bin/kafka-oracle.js', import.meta.url));

/** Check `rows` (indexes into `matrix`) on `jobs` child processes; resolves when all are done. */
export function runPool(matrix: readonly MatrixRow[], indexes: readonly number[], jobs: number, task: Omit<RowTask, 'index'>, callbacks: PoolCallbacks): Promise<void> {
  const queue = [...indexes];
  let running = 0;
  return new Promise((resolve, reject) => {
    const next = (child: ChildProcess): void => {
      const index = queue.shift();
      if (index === undefined) {
        child.disconnect();
        return;
      }
      child.send({ ...task, index } satisfies RowTask);
    };
    const spawn = (): void => {
      running++;
      const child = fork(BIN, ['check', '--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'progress') callbacks.progress(message.index, message.done, message.total);
        else {
          callbacks.finished(message.index, { ...message.result, row: matrix[message.index] as MatrixRow }, message.ms);
          next(child);
        }
      });
      child.on('exit', (code) => {
        running--;
        if (code !== 0) reject(new Error(`a check worker exited with status ${code}`));
        else if (running === 0) resolve();
      });
      next(child);
    };
    const children = Math.min(jobs, queue.length);
    for (let i = 0; i < children; i++) spawn();
    if (children === 0) resolve();
  });
}

/**
 * `kafka-oracle replay --trace FILE`: re-runs a counterexample the explorer wrote
 * (`kafka-oracle explore ... --trace FILE`), whichever model it names, through the same
 * machines and step functions the explorer used, judging every state again. Explorer
 * traces name individual messages and timers; the simulator schedules by a seeded PRNG and
 * cannot, so the trace is replayed in the explorer's world (spec/explorer.md).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { runReplay } from './explore.ts';
import { replayTransactions } from './explore-transactions.ts';
import type { Io } from './io.ts';

export function replayExplorerTrace(file: string, io: Io): number {
  let model: unknown;
  try {
    model = (JSON.parse(readFileSync(file, 'utf8')) as { model?: unknown } | null)?.model;
  } catch (error) {
    throw new InputError(`${file}: not a readable JSON trace (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (model === 'replication') return runReplay(file, io);
  if (model === 'transactions') return replayTransactions(file, io);
  throw new InputError(`${file}: not an explorer trace (its "model" is ${JSON.stringify(model)}; known: replication, transactions)`);
}

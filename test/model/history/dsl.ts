/**
 * A tiny language for hand-written histories: each call appends an invoke and its
 * completion, numbering `index` as it goes, so a scenario reads like the client's story.
 */
import type { HistoryEvent, HistoryValue, OpType } from '../../../model/history/types.ts';

type Completion = Exclude<OpType, 'invoke'>;
type Pair = [number | null, HistoryValue];
type Extra = { rebalanceLog?: { type: string; keys: string[] }[]; seekToBeginning?: boolean };

export class History {
  readonly events: HistoryEvent[] = [];

  /** The index the next completion will get (the op's index in witnesses). */
  get next(): number {
    return this.events.length + 1;
  }

  /** `sends`: [key, value, offset]; offset `undefined` leaves the value bare. */
  send(process: number, sends: [string, HistoryValue, (number | null)?][], type: Completion = 'ok'): number {
    const invoke = sends.map(([key, value]) => ['send', key, value]);
    const done = sends.map(([key, value, offset]) => ['send', key, offset === undefined ? value : [offset, value]]);
    return this.op(process, 'send', invoke, done, type);
  }

  poll(process: number, reads: Record<string, Pair[]> | Record<string, Pair[]>[], type: Completion = 'ok', extra: Extra = {}): number {
    const polls = Array.isArray(reads) ? reads : [reads];
    return this.op(process, 'poll', polls.map(() => ['poll']), polls.map((r) => ['poll', r]), type, extra);
  }

  /** A transaction: micro-ops in completion form. */
  txn(process: number, mops: unknown[], type: Completion = 'ok'): number {
    const invoke = mops.map((m) => ((m as unknown[])[0] === 'poll' ? ['poll'] : ['send', (m as unknown[])[1], ((m as unknown[])[2] as Pair)[1]]));
    return this.op(process, 'txn', invoke, mops, type);
  }

  assign(process: number, keys: string[], type: Completion = 'ok', seekToBeginning = false): number {
    return this.op(process, 'assign', keys, keys, type, seekToBeginning ? { seekToBeginning } : {});
  }

  subscribe(process: number, keys: string[], type: Completion = 'ok'): number {
    return this.op(process, 'subscribe', keys, keys, type);
  }

  invoke(process: number, f: string, value: unknown): void {
    this.events.push({ index: this.events.length, process, type: 'invoke', f, value } as HistoryEvent);
  }

  complete(process: number, f: string, value: unknown, type: Completion, extra: Extra = {}): number {
    const index = this.events.length;
    this.events.push({ index, process, type, f, value, ...extra } as HistoryEvent);
    return index;
  }

  private op(process: number, f: string, invoke: unknown, done: unknown, type: Completion, extra: Extra = {}): number {
    this.invoke(process, f, invoke);
    return this.complete(process, f, done, type, extra);
  }
}

/** The `index` field of each OpRef in a witness field. */
export function indexes(refs: unknown): number[] {
  return (refs as { index: number }[]).map((r) => r.index);
}

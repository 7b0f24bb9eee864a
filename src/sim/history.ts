/**
 * The client-visible history of one simulated run, in the format of
 * `shared/contracts/history.md` (Jepsen's Kafka workload as JSON): each client effect of a
 * machine becomes one operation event, stamped with its index and the logical time in
 * nanoseconds. Faults are recorded as `nemesis` events (kept, judged by no rule).
 */
import type { ClientEvent, MicroOp, Process } from '../protocol/client.ts';

export interface HistoryEvent {
  readonly index: number;
  readonly time: number;
  readonly process: Process;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: string;
  readonly value: unknown;
  readonly error?: string;
}

const NANOS_PER_MS = 1_000_000;

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];

  record(event: ClientEvent, nowMs: number): HistoryEvent {
    const stamped: HistoryEvent = {
      index: this.events.length,
      time: nowMs * NANOS_PER_MS,
      process: event.process,
      type: event.type,
      f: event.f,
      value: event.value,
      ...(event.error === undefined ? {} : { error: event.error }),
    };
    this.events.push(stamped);
    return stamped;
  }

  /** A fault, as Jepsen's nemesis writes it: an `info` of process `nemesis`. */
  nemesis(f: string, value: unknown, nowMs: number): void {
    this.events.push({ index: this.events.length, time: nowMs * NANOS_PER_MS, process: 'nemesis', type: 'info', f, value });
  }

  /** A completed poll of `key` by `process` (the consumer the sim runs after healing). */
  poll(process: Process, key: string, records: readonly (readonly [number, string])[], nowMs: number): void {
    this.events.push({ index: this.events.length, time: nowMs * NANOS_PER_MS, process, type: 'invoke', f: 'poll', value: [['poll']] });
    const value: MicroOp[] = [['poll', records.length === 0 ? {} : { [key]: records }]];
    this.events.push({ index: this.events.length, time: nowMs * NANOS_PER_MS, process, type: 'ok', f: 'poll', value });
  }

  /** Operations invoked and not completed yet, per process (`info` completes too). */
  openOperations(): number {
    const open = new Map<Process, number>();
    for (const e of this.events) {
      if (e.process === 'nemesis') continue;
      open.set(e.process, (open.get(e.process) ?? 0) + (e.type === 'invoke' ? 1 : -1));
    }
    let total = 0;
    for (const n of open.values()) total += Math.max(0, n);
    return total;
  }

  toJsonLines(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + (this.events.length > 0 ? '\n' : '');
  }
}

/**
 * A correct single-log model that produces valid histories in the contract's format: the
 * reference the checker is tested against (every history it writes must be judged valid
 * under `subVia: assign`, with or without `wwDeps`, at any isolation), and the generator of
 * the benchmark's million-operation history.
 *
 * The model: each key is one log of records, each open, committed or aborted. Threads run
 * one client each (a producer plus an assigned consumer); an operation executes its
 * micro-operations one step at a time, interleaved with other threads' steps.
 * - With `txn`, every operation that sends is a transaction: its records are open until it
 *   completes, then committed (`ok`), aborted (`fail`), or either (`info`, by a coin).
 *   Consumers read committed records only and stop at the first open one (the last stable
 *   offset, read_committed); aborted records leave gaps in the offsets.
 * - Without `txn`, a send lands committed when it executes; a `fail` send never lands and an
 *   `info` one lands or not.
 * - A consumer reads forward from its position; after a failed operation the client rewinds
 *   to where that operation began (as Jepsen's client does, KAFKA-17582). An `info`
 *   completion ends the client: a new process number takes over with a fresh client.
 * - At the end every pending operation completes, then a fresh client assigns every key,
 *   seeks to the beginning and polls until it has read every committed record.
 * Chance comes only from the seeded project PRNG.
 */
import { assert } from '../../src/core/assert.ts';
import { Prng } from '../../src/core/prng.ts';
import type { HistoryEvent, OpType } from './types.ts';

export interface GenerateOptions {
  readonly seed: number;
  /** Client operations before the final reads (each is an invoke and a completion). */
  readonly operations: number;
  readonly keys: number;
  /** Concurrent threads (clients). */
  readonly threads: number;
  readonly txn: boolean;
  /** Chances, in percent, that an operation fails or ends indeterminate. */
  readonly failPercent?: number;
  readonly infoPercent?: number;
  readonly keysPerConsumer?: number;
  readonly maxPollRecords?: number;
  /** Where a consumer starts on a newly assigned key: the log's start (default) or its end. */
  readonly assignFrom?: 'earliest' | 'latest';
}

const OPEN = 0;
const COMMITTED = 1;
const ABORTED = 2;

interface Record {
  readonly value: number;
  status: number;
}

type Plan = { readonly kind: 'send'; readonly key: string } | { readonly kind: 'poll' };

interface Operation {
  readonly f: 'send' | 'poll' | 'txn' | 'assign' | 'crash';
  readonly outcome: 'ok' | 'fail' | 'info';
  readonly plan: Plan[];
  step: number;
  sent: number;
  readonly sends: { key: string; value: number; offset: number | null }[];
  readonly polls: { [key: string]: [number, number][] }[];
  readonly assign: string[];
  readonly rewind: Map<string, number>;
}

interface Client {
  process: number;
  assigned: string[];
  readonly position: Map<string, number>;
  op: Operation | null;
}

export interface GenerateSummary {
  readonly events: number;
  readonly operations: number;
  readonly values: number;
}

export class HistoryGenerator {
  private readonly prng: Prng;
  private readonly logs = new Map<string, Record[]>();
  private readonly keyNames: string[];
  private readonly clients: Client[] = [];
  private nextValue = 0;
  private nextProcess: number;
  private index = 0;
  private completed = 0;

  constructor(private readonly options: GenerateOptions, private readonly emit: (event: HistoryEvent) => void) {
    assert(options.keys > 0 && options.threads > 0, 'generator needs keys and threads');
    this.prng = new Prng(options.seed);
    this.keyNames = Array.from({ length: options.keys }, (_, i) => String(i));
    for (const key of this.keyNames) this.logs.set(key, []);
    for (let t = 0; t < options.threads; t++) this.clients.push(freshClient(t));
    this.nextProcess = options.threads;
  }

  run(): GenerateSummary {
    while (this.completed < this.options.operations) this.step(this.prng.pick(this.clients));
    for (const client of this.clients) while (client.op !== null) this.step(client);
    this.finalReads();
    return { events: this.index, operations: this.completed, values: this.nextValue };
  }

  private step(client: Client): void {
    const op = client.op;
    if (op === null) client.op = this.start(client);
    else if (op.step < op.plan.length) this.execute(client, op, op.plan[op.step++]!);
    else this.complete(client, op);
  }

  private start(client: Client): Operation {
    const p = this.prng;
    const o = this.options;
    const roll = p.below(100);
    const outcome = roll < (o.failPercent ?? 0) ? 'fail' : roll < (o.failPercent ?? 0) + (o.infoPercent ?? 0) ? 'info' : 'ok';
    const kindRoll = p.below(100);
    let f: Operation['f'];
    let plan: Plan[] = [];
    let assign: string[] = [];
    if (client.assigned.length === 0 || kindRoll < 2) {
      f = 'assign';
      assign = this.someKeys(o.keysPerConsumer ?? Math.min(o.keys, 4));
    } else if (kindRoll < 3) {
      f = 'crash';
    } else if (kindRoll < 50) {
      f = 'send';
      plan = Array.from({ length: p.between(1, o.txn ? 3 : 2) }, () => ({ kind: 'send' as const, key: p.pick(this.keyNames) }));
    } else if (!o.txn || kindRoll < 85) {
      f = 'poll';
      plan = [{ kind: 'poll' }];
    } else {
      f = 'txn';
      plan = Array.from({ length: p.between(2, 4) }, () => (p.chance(1, 2) ? { kind: 'poll' as const } : { kind: 'send' as const, key: p.pick(this.keyNames) }));
    }
    const op: Operation = {
      f, outcome: f === 'crash' ? 'info' : f === 'assign' ? 'ok' : outcome, plan, step: 0, sent: 0, sends: [], polls: [], assign,
      rewind: new Map(client.position),
    };
    // Values are drawn at invoke time, in plan order; sends execute in the same order.
    const value = f === 'assign' ? assign : f === 'crash' ? null : plan.map((m) => {
      if (m.kind === 'poll') return ['poll'];
      const send = { key: m.key, value: this.nextValue++, offset: null };
      op.sends.push(send);
      return ['send', send.key, send.value];
    });
    this.event(client.process, 'invoke', f, value, f === 'assign' ? { seekToBeginning: false } : {});
    return op;
  }

  private execute(client: Client, op: Operation, plan: Plan): void {
    if (plan.kind === 'poll') return void op.polls.push(this.poll(client));
    const send = op.sends[op.sent++]!;
    const log = this.logs.get(send.key)!;
    const transactional = this.options.txn;
    if (!transactional && (op.outcome === 'fail' || (op.outcome === 'info' && this.prng.chance(1, 2)))) return;
    send.offset = log.length;
    log.push({ value: send.value, status: transactional ? OPEN : COMMITTED });
  }

  private poll(client: Client): { [key: string]: [number, number][] } {
    const result: { [key: string]: [number, number][] } = {};
    const limit = this.options.maxPollRecords ?? 8;
    for (const key of client.assigned) {
      const log = this.logs.get(key)!;
      let offset = client.position.get(key) ?? 0;
      const records: [number, number][] = [];
      while (offset < log.length && records.length < limit) {
        const record = log[offset]!;
        if (record.status === OPEN) break; // read_committed stops at the last stable offset
        if (record.status === COMMITTED) records.push([offset, record.value]);
        offset++;
      }
      client.position.set(key, offset);
      if (records.length > 0) result[key] = records;
    }
    return result;
  }

  private complete(client: Client, op: Operation): void {
    const commit = op.outcome === 'ok' || (op.outcome === 'info' && this.prng.chance(1, 2));
    for (const send of op.sends) {
      if (send.offset === null) continue;
      const record = this.logs.get(send.key)![send.offset]!;
      if (record.status === OPEN) record.status = commit ? COMMITTED : ABORTED;
    }
    if (op.f === 'assign') this.reassign(client, op.assign);
    if (op.outcome === 'fail') {
      client.position.clear();
      for (const [key, offset] of op.rewind) client.position.set(key, offset);
    }
    this.event(client.process, op.outcome, op.f, this.completionValue(op), {});
    this.completed++;
    client.op = null;
    if (op.outcome === 'info') Object.assign(client, freshClient(this.nextProcess++));
  }

  private completionValue(op: Operation): unknown {
    if (op.f === 'assign') return op.assign;
    if (op.f === 'crash') return null;
    let sendAt = 0;
    let pollAt = 0;
    return op.plan.map((plan) => {
      if (plan.kind === 'poll') return ['poll', op.polls[pollAt++] ?? {}];
      const send = op.sends[sendAt++]!;
      if (op.outcome === 'ok') return ['send', send.key, [send.offset, send.value]];
      const shape = this.prng.below(3); // the client may or may not have learned the offset
      if (shape === 0 || (shape === 1 && send.offset === null)) return ['send', send.key, send.value];
      return ['send', send.key, [shape === 1 ? send.offset : null, send.value]];
    });
  }

  private reassign(client: Client, keys: string[]): void {
    for (const key of [...client.position.keys()]) if (!keys.includes(key)) client.position.delete(key);
    const latest = this.options.assignFrom === 'latest';
    for (const key of keys) if (!client.position.has(key)) client.position.set(key, latest ? this.logs.get(key)!.length : 0);
    client.assigned = keys;
  }

  private finalReads(): void {
    const reader = freshClient(this.nextProcess++);
    this.event(reader.process, 'invoke', 'assign', this.keyNames, { seekToBeginning: true });
    this.reassign(reader, this.keyNames);
    for (const key of this.keyNames) reader.position.set(key, 0);
    this.event(reader.process, 'ok', 'assign', this.keyNames, { seekToBeginning: true });
    const caughtUp = (): boolean => this.keyNames.every((key) => (reader.position.get(key) ?? 0) >= this.logs.get(key)!.length);
    while (!caughtUp()) {
      this.event(reader.process, 'invoke', 'poll', [['poll']], {});
      this.event(reader.process, 'ok', 'poll', [['poll', this.poll(reader)]], {});
    }
  }

  private someKeys(count: number): string[] {
    const keys = [...this.keyNames];
    for (let i = keys.length - 1; i > 0; i--) {
      const j = this.prng.below(i + 1);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    return keys.slice(0, Math.max(1, Math.min(count, keys.length))).sort((a, b) => Number(a) - Number(b));
  }

  private event(process: number, type: OpType, f: string, value: unknown, extra: object): void {
    const index = this.index++;
    this.emit({ index, time: index * 1000, process, type, f, value, ...extra } as HistoryEvent);
  }
}

function freshClient(process: number): Client {
  return { process, assigned: [], position: new Map(), op: null };
}

/** Runs the model and returns its history as an array (tests); the bench streams instead. */
export function generateHistory(options: GenerateOptions): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  new HistoryGenerator(options, (event) => events.push(event)).run();
  return events;
}

/**
 * Streaming ingestion: one history event at a time becomes a few numbers in typed columns
 * (`HistoryLog`). Nothing of the raw line is kept but interned keys and values, so a file is
 * checked in one pass with memory proportional to its reads and writes, not its text.
 *
 * Every shape error is an `InputError` naming `source:line` (1-based) and what is wrong.
 */
import { InputError, assert } from '../../src/core/assert.ts';
import { Float64Column, Int32Column, Uint8Column } from './columns.ts';
import type { HistoryValue } from './types.ts';

export const TYPE_OK = 0;
export const TYPE_FAIL = 1;
export const TYPE_INFO = 2;
export const TYPE_NAMES = ['ok', 'fail', 'info'] as const;

export const F_SEND = 0;
export const F_POLL = 1;
export const F_TXN = 2;
export const F_ASSIGN = 3;
export const F_SUBSCRIBE = 4;
export const F_CRASH = 5;
export const F_NAMES = ['send', 'poll', 'txn', 'assign', 'subscribe', 'crash'] as const;
const F_CODES = new Map<string, number>(F_NAMES.map((name, code) => [name, code]));
const COMPLETION_CODES = new Map<string, number>([['ok', TYPE_OK], ['fail', TYPE_FAIL], ['info', TYPE_INFO]]);

interface Pending {
  readonly line: number;
  readonly index: number;
  readonly f: number;
  readonly event: Record<string, unknown>;
}

/** What an assign/subscribe operation left assigned. */
export interface Assignment {
  readonly keys: readonly number[];
  readonly seekToBeginning: boolean;
}

/** The accumulated, compact form of a history: the checker's whole input after parsing. */
export class HistoryLog {
  readonly keyIds = new Map<string, number>();
  readonly keyNames: string[] = [];
  readonly keyValueIds: Map<HistoryValue, number>[] = [];
  /** Per key, offset -> slot + 1 for small dense offsets (0: none), and a map for the rest. */
  readonly keyOffsetDense: Int32Array[] = [];
  readonly keyOffsetSlots: Map<number, number>[] = [];
  readonly keySlots: number[][] = [];

  /**
   * Non-negative integer value -> id + 1 of the first key's value with that number (0: none):
   * a fast path for Jepsen's values, which are unique across keys; the maps stay the truth.
   */
  private valueDense = new Int32Array(1024);
  /** Values are interned per key into one global id space. */
  readonly valueKey = new Int32Column();
  readonly valueRaw: HistoryValue[] = [];
  /** The completion that sent the value, or -1 (never sent). */
  readonly valueWriter = new Int32Column();
  /** 1 when some `ok` operation read it. */
  readonly valueOkRead = new Uint8Column();
  /** The first log slot (key, offset) line it was seen, or -1. */
  readonly valueSlot = new Int32Column();
  /** Further slots of a value seen at several offsets (duplicates). */
  readonly valueExtraSlots = new Map<number, Set<number>>();

  /** A slot is one (key, offset) pair named by some read or send. */
  readonly slotKey = new Int32Column();
  readonly slotOffset = new Float64Column();
  /** The first value placed at the slot by the log, or -1 while none is. */
  readonly slotValue = new Int32Column();
  /** Further values at a slot (inconsistent offsets). */
  readonly slotConflicts = new Map<number, Set<number>>();

  readonly opIndex = new Float64Column();
  readonly opProcess = new Int32Column();
  readonly opType = new Uint8Column();
  readonly opF = new Uint8Column();
  readonly opReadStart = new Int32Column();
  readonly opWriteStart = new Int32Column();
  readonly opAssignment = new Map<number, Assignment>();
  readonly opRebalanced = new Map<number, Set<number>>();
  /** The raw process of each process incarnation (an `info` ends an incarnation). */
  readonly processRaw: (number | string)[] = [];

  readonly readValue = new Int32Column(4096);
  readonly readSlot = new Int32Column(4096);
  readonly writeValue = new Int32Column(4096);
  readonly writeSlot = new Int32Column(4096);

  readonly infoCauses: unknown[] = [];
  readonly infoCauseTexts = new Set<string>();
  events = 0;
  notes = 0;
  sealed = false;

  get opCount(): number {
    return this.opIndex.length;
  }

  /** Reads of op are [readStart(op), readEnd(op)); valid once sealed. */
  readEnd(op: number): number {
    return op + 1 < this.opCount ? this.opReadStart.get(op + 1) : this.readValue.length;
  }

  writeEnd(op: number): number {
    return op + 1 < this.opCount ? this.opWriteStart.get(op + 1) : this.writeValue.length;
  }

  internKey(name: string): number {
    let id = this.keyIds.get(name);
    if (id === undefined) {
      id = this.keyNames.length;
      this.keyIds.set(name, id);
      this.keyNames.push(name);
      this.keyValueIds.push(new Map());
      this.keyOffsetDense.push(new Int32Array(64));
      this.keyOffsetSlots.push(new Map());
      this.keySlots.push([]);
    }
    return id;
  }

  internValue(key: number, raw: HistoryValue): number {
    const dense = typeof raw === 'number' && raw >= 0 && raw < this.valueDense.length;
    if (dense) {
      const known = (this.valueDense[raw] as number) - 1;
      if (known >= 0 && this.valueKey.get(known) === key) return known;
    }
    const ids = this.keyValueIds[key] as Map<HistoryValue, number>;
    let id = ids.size > 0 ? ids.get(raw) : undefined;
    if (id === undefined) {
      id = this.valueRaw.length;
      this.valueRaw.push(raw);
      this.valueKey.push(key);
      this.valueWriter.push(-1);
      this.valueOkRead.push(0);
      this.valueSlot.push(-1);
      // A value lives in exactly one place: the dense table (if its number is free there) or the map.
      if (typeof raw !== 'number' || raw < 0 || !this.denseValue(raw, id)) ids.set(raw, id);
    }
    return id;
  }

  /** Records a value in the dense table (growing it while it stays at least 1/8 full); false if it cannot. */
  private denseValue(raw: number, id: number): boolean {
    if (raw >= this.valueDense.length) {
      let length = this.valueDense.length;
      while (length <= raw) length *= 2;
      if (length > 8 * (this.valueRaw.length + 1024)) return false;
      const grown = new Int32Array(length);
      grown.set(this.valueDense);
      this.valueDense = grown;
    }
    if (this.valueDense[raw] !== 0) return false;
    this.valueDense[raw] = id + 1;
    return true;
  }

  slotFor(key: number, offset: number): number {
    let dense = this.keyOffsetDense[key] as Int32Array;
    if (offset < dense.length) {
      const known = dense[offset] as number;
      if (known !== 0) return known - 1;
    }
    const slots = this.keyOffsetSlots[key] as Map<number, number>;
    if (slots.size > 0) {
      const known = slots.get(offset);
      if (known !== undefined) return known;
    }
    const slot = this.slotKey.push(key);
    this.slotOffset.push(offset);
    this.slotValue.push(-1);
    (this.keySlots[key] as number[]).push(slot);
    if (offset >= dense.length) dense = this.growDense(key, offset);
    if (offset < dense.length) dense[offset] = slot + 1;
    else slots.set(offset, slot);
    return slot;
  }

  /** Grows a key's dense offset table while it stays at least 1/16 full; else leaves it. */
  private growDense(key: number, offset: number): Int32Array {
    const dense = this.keyOffsetDense[key] as Int32Array;
    let length = dense.length;
    while (length <= offset) length *= 2;
    if (length > 16 * ((this.keySlots[key] as number[]).length + 64)) return dense;
    const grown = new Int32Array(length);
    grown.set(dense);
    this.keyOffsetDense[key] = grown;
    return grown;
  }

  /** The log learns that `value` sits at `slot` (from a poll, or a send that committed). */
  addLogEntry(slot: number, value: number): void {
    assert(this.valueKey.get(value) === this.slotKey.get(slot), 'log entry across keys');
    const first = this.slotValue.get(slot);
    if (first === -1) this.slotValue.set(slot, value);
    else if (first !== value) addUnique(this.slotConflicts, slot, value);
    const seen = this.valueSlot.get(value);
    if (seen === -1) this.valueSlot.set(value, slot);
    else if (seen !== slot) addUnique(this.valueExtraSlots, value, slot);
  }
}

/** Sets (not lists): a corrupt history may pile thousands of values on one offset. */
function addUnique(map: Map<number, Set<number>>, at: number, item: number): void {
  const set = map.get(at);
  if (set === undefined) map.set(at, new Set([item]));
  else set.add(item);
}

/** Feeds events into a `HistoryLog`, pairing invokes with completions per process. */
export class HistoryIngest {
  readonly log = new HistoryLog();
  private readonly pending = new Map<number | string, Pending>();
  private readonly incarnation = new Map<number | string, number>();
  private lastIndex = -1;
  private lastTime = -Infinity;

  constructor(private readonly source: string) {}

  /** One event; `line` is its 0-based line (the default `index`). */
  add(raw: unknown, line: number): void {
    assert(!this.log.sealed, 'add after finish');
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new InputError(`${this.at(line)}: expected an operation map, got ${describe(raw)}`);
    }
    const event = raw as Record<string, unknown>;
    this.log.events++;
    const index = this.checkIndex(event['index'], line);
    this.checkTime(event['time'], line);
    const process = event['process'];
    const f = event['f'];
    if (process === 'nemesis') return void this.log.notes++;
    if (typeof f !== 'string') throw new InputError(`${this.at(line)}: "f" must be a string, got ${describe(f)}`);
    const fCode = F_CODES.get(f);
    if (fCode === undefined) return void this.log.notes++;
    if (!isProcess(process)) {
      throw new InputError(`${this.at(line)}: "process" must be an integer or a string, got ${describe(process)}`);
    }
    const type = event['type'];
    if (type === 'invoke') return this.invoke(process, { line, index, f: fCode, event });
    const typeCode = typeof type === 'string' ? COMPLETION_CODES.get(type) : undefined;
    if (typeCode === undefined) {
      throw new InputError(`${this.at(line)}: "type" must be "invoke", "ok", "fail" or "info", got ${describe(type)}`);
    }
    const invoked = this.pending.get(process);
    if (invoked === undefined) {
      throw new InputError(`${this.at(line)}: ${type} completion of process ${JSON.stringify(process)} has no pending invoke`);
    }
    if (invoked.f !== fCode) {
      throw new InputError(`${this.at(line)}: completion has f "${f}" but its invoke (${this.at(invoked.line)}) has f "${F_NAMES[invoked.f]}"`);
    }
    this.pending.delete(process);
    this.complete(process, typeCode, fCode, index, event, line, invoked.event);
  }

  /** Completes unfinished invokes as `info` (their outcome is unknown) and seals the log. */
  finish(): HistoryLog {
    for (const [process, invoked] of this.pending) {
      this.complete(process, TYPE_INFO, invoked.f, invoked.index, invoked.event, invoked.line, invoked.event);
    }
    this.pending.clear();
    this.log.sealed = true;
    return this.log;
  }

  private checkIndex(raw: unknown, line: number): number {
    const index = raw === undefined ? line : raw;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      throw new InputError(`${this.at(line)}: "index" must be a non-negative integer, got ${describe(raw)}`);
    }
    if (index <= this.lastIndex) {
      throw new InputError(`${this.at(line)}: index ${index} is not greater than the previous index ${this.lastIndex}`);
    }
    this.lastIndex = index;
    return index;
  }

  private checkTime(raw: unknown, line: number): void {
    if (raw === undefined) return;
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      throw new InputError(`${this.at(line)}: "time" must be a number of nanoseconds, got ${describe(raw)}`);
    }
    if (raw < this.lastTime) {
      throw new InputError(`${this.at(line)}: time ${raw} is earlier than the previous time ${this.lastTime}`);
    }
    this.lastTime = raw;
  }

  private invoke(process: number | string, invoked: Pending): void {
    const earlier = this.pending.get(process);
    if (earlier !== undefined) {
      throw new InputError(`${this.at(invoked.line)}: process ${JSON.stringify(process)} invokes again while its operation invoked at ${this.at(earlier.line)} is pending`);
    }
    this.pending.set(process, invoked);
  }

  private processId(process: number | string): number {
    let id = this.incarnation.get(process);
    if (id === undefined) {
      id = this.log.processRaw.length;
      this.log.processRaw.push(process);
      this.incarnation.set(process, id);
    }
    return id;
  }

  /** `event` is the completion (the invoke itself for an unfinished operation). */
  private complete(process: number | string, type: number, f: number, index: number, event: Record<string, unknown>, line: number, invoke: Record<string, unknown>): void {
    const log = this.log;
    const op = log.opIndex.push(index);
    log.opProcess.push(this.processId(process));
    log.opType.push(type);
    log.opF.push(f);
    log.opReadStart.push(log.readValue.length);
    log.opWriteStart.push(log.writeValue.length);
    const value = event['value'];
    if (f === F_SEND || f === F_POLL || f === F_TXN) this.mops(op, f, type, value, line);
    else if ((f === F_ASSIGN || f === F_SUBSCRIBE) && type !== TYPE_FAIL) {
      // Jepsen writes the seek on the invoke and the completion; either is enough.
      const seekToBeginning = event['seekToBeginning'] === true || invoke['seekToBeginning'] === true;
      log.opAssignment.set(op, { keys: this.keyList(value, line), seekToBeginning });
    }
    this.rebalanceLog(op, event['rebalanceLog'], line);
    if (type === TYPE_INFO) {
      this.infoCause(event['error']);
      this.incarnation.delete(process); // an info completion ends the client: a new one takes over
    }
  }

  private mops(op: number, f: number, type: number, value: unknown, line: number): void {
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) throw new InputError(`${this.at(line)}: "value" must be a list of micro-operations, got ${describe(value)}`);
    for (const mop of value) {
      if (!Array.isArray(mop) || mop.length === 0) {
        throw new InputError(`${this.at(line)}: a micro-operation must be ["send", key, value] or ["poll", {...}], got ${describe(mop)}`);
      }
      const kind = mop[0];
      if (kind === 'send') {
        if (f === F_POLL) throw new InputError(`${this.at(line)}: a poll operation holds a send micro-operation`);
        this.send(op, mop, line);
      } else if (kind === 'poll') {
        if (f === F_SEND) throw new InputError(`${this.at(line)}: a send operation holds a poll micro-operation`);
        if (mop.length > 1 && mop[1] !== null) this.poll(op, type, mop[1], line);
      } else {
        throw new InputError(`${this.at(line)}: unknown micro-operation ${describe(kind)} (expected "send" or "poll")`);
      }
    }
  }

  private send(op: number, mop: unknown[], line: number): void {
    const log = this.log;
    if (mop.length !== 3) throw new InputError(`${this.at(line)}: a send micro-operation is ["send", key, value], got ${describe(mop)}`);
    const key = log.internKey(this.keyName(mop[1], line));
    const payload = mop[2];
    let offset: number | null = null;
    let raw: unknown = payload;
    if (Array.isArray(payload)) {
      if (payload.length !== 2) throw new InputError(`${this.at(line)}: a sent [offset, value] pair has ${payload.length} elements`);
      offset = this.checkOffset(payload[0], line);
      raw = payload[1];
    }
    const value = log.internValue(key, this.checkValue(raw, line));
    const writer = log.valueWriter.get(value);
    if (writer !== -1) {
      throw new InputError(`${this.at(line)}: value ${JSON.stringify(raw)} of key "${log.keyNames[key]}" was already sent by the operation at index ${log.opIndex.get(writer)} (values must be unique per key)`);
    }
    log.valueWriter.set(value, op);
    log.writeValue.push(value);
    log.writeSlot.push(offset === null ? -1 : log.slotFor(key, offset));
  }

  private poll(op: number, type: number, result: unknown, line: number): void {
    const log = this.log;
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      throw new InputError(`${this.at(line)}: a poll result must be a map of key to [[offset, value], ...], got ${describe(result)}`);
    }
    const records = result as Record<string, unknown>;
    for (const name in records) {
      const pairs = records[name];
      if (!Array.isArray(pairs)) throw new InputError(`${this.at(line)}: poll result for key "${name}" must be a list of [offset, value] pairs`);
      const key = log.internKey(name);
      for (const pair of pairs) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new InputError(`${this.at(line)}: poll result for key "${name}" holds ${describe(pair)}, not an [offset, value] pair`);
        }
        const offset = this.checkOffset(pair[0], line);
        const value = log.internValue(key, this.checkValue(pair[1], line));
        const slot = offset === null ? -1 : log.slotFor(key, offset);
        if (slot !== -1) log.addLogEntry(slot, value); // every poll is evidence, even a failed one
        if (type === TYPE_OK) log.valueOkRead.set(value, 1);
        log.readValue.push(value);
        log.readSlot.push(slot);
      }
    }
  }

  private keyList(value: unknown, line: number): number[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new InputError(`${this.at(line)}: assign/subscribe "value" must be a list of keys, got ${describe(value)}`);
    return value.map((key) => this.log.internKey(this.keyName(key, line)));
  }

  private rebalanceLog(op: number, raw: unknown, line: number): void {
    if (raw === undefined || raw === null) return;
    if (!Array.isArray(raw)) throw new InputError(`${this.at(line)}: "rebalanceLog" must be a list of {type, keys}`);
    const keys = new Set<number>();
    for (const entry of raw) {
      const list = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['keys'] : undefined;
      if (!Array.isArray(list)) throw new InputError(`${this.at(line)}: a rebalanceLog entry must have a "keys" list, got ${describe(entry)}`);
      for (const key of list) keys.add(this.log.internKey(this.keyName(key, line)));
    }
    if (keys.size > 0) this.log.opRebalanced.set(op, keys);
  }

  private infoCause(error: unknown): void {
    if (error === undefined || this.log.infoCauses.length >= 32) return;
    const text = JSON.stringify(error) ?? String(error);
    if (this.log.infoCauseTexts.has(text)) return;
    this.log.infoCauseTexts.add(text);
    this.log.infoCauses.push(error);
  }

  /** `source:line` (1-based) for a message; built only when something is wrong. */
  private at(line: number): string {
    return `${this.source}:${line + 1}`;
  }

  private keyName(raw: unknown, line: number): string {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
    throw new InputError(`${this.at(line)}: a key must be a string or an integer, got ${describe(raw)}`);
  }

  private checkOffset(raw: unknown, line: number): number | null {
    if (raw === null) return null;
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
    throw new InputError(`${this.at(line)}: an offset must be a non-negative integer or null (unknown), got ${describe(raw)}`);
  }

  private checkValue(raw: unknown, line: number): HistoryValue {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
    throw new InputError(`${this.at(line)}: a sent value must be an integer or a string, got ${describe(raw)}`);
  }
}

function isProcess(raw: unknown): raw is number | string {
  return typeof raw === 'string' || (typeof raw === 'number' && Number.isSafeInteger(raw));
}




/** A short rendering of a bad input for an error message. */
export function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The memory the parallel explorer's threads share (SharedArrayBuffers): one visited set
 * of fingerprints that every thread inserts into with compare-and-swap, the parent pointer
 * and action index of every state (so any thread, and the main thread at the end, can
 * rebuild the path to any state), a mailbox of state ids for rebalancing frontiers, and a
 * control block (counters, a level barrier, the stop flag).
 *
 * The fingerprint table is open addressing over Int32 pairs (hi, lo). A thread claims an
 * empty slot by a CAS on `hi`, then publishes `lo` (never 0: its low bit is forced on, so a
 * fingerprint has 63 bits here); a thread that finds `hi` equal and `lo` still 0 waits for
 * it. No slot is ever freed, so a probe sequence never changes under a reader.
 */
import { assert } from '../../src/core/assert.ts';
import type { Fingerprint } from './fingerprint.ts';

/** Control block slots. */
export const NEXT_ID = 0;
const BARRIER_COUNT = 1;
const BARRIER_GEN = 2;
/** 0 running, 1 a violation was found (VIOLATION_ID names it), 2 the state budget is spent, 3 paused (the replayed frontier only). */
export const STOP = 3;
export const VIOLATION_ID = 4;
export const MAILBOX_FILL = 5;
export const MAILBOX_TAKEN = 6;
/** The replaying breadth-first search (parallel-replay-worker.ts): ids of the current level handed out so far. */
export const CLAIMED = 7;
/** ... and where the next level ends, as the last thread at the level's barrier saw it. */
export const LEVEL_END = 8;
/** ... and, when paused (STOP = 3), the level it was in: its first id, its end, the first id not yet expanded, its depth. */
export const PAUSE_FIRST = 9;
export const PAUSE_END = 10;
export const PAUSE_NEXT = 11;
export const PAUSE_DEPTH = 12;
/** ... and the stop flag as the last thread at the latest barrier read it: what every thread, and the main thread at the end, goes by. */
export const HALTED = 13;
/** Per worker w: the size of its next frontier at FRONTIER + w. */
export const FRONTIER = 16;
const CONTROL_SLOTS = 16 + 64;

/**
 * The parallel depth-first search's control block (dfs-parallel.ts, dfs-worker.ts): states
 * inserted, hungry threads, the end flag, the stop flag (1 a violation, 2 the state budget
 * is spent, 3 paused), then from `WANT` one slot per thread: 0 busy, or where its feeding stands.
 */
export const DFS_STATES = 0;
export const DFS_IDLE = 1;
export const DFS_DONE = 2;
export const DFS_STOP = 3;
/** DFS_STOP's values: a violation was found, the state budget is spent, the search was paused for a checkpoint. */
export const VIOLATED = 1;
export const FULL = 2;
export const PAUSED = 3;
export const WANT = 8;
export const HUNGRY = 1;
export const WRITING = 2;
export const FED = 3;
/** Words of each thread's mailbox: the path handed to it (so work is shared from levels below 4,093 only). */
export const MAILBOX_WORDS = 4096;

export interface SharedBuffers {
  readonly table: SharedArrayBuffer;
  readonly parents: SharedArrayBuffer;
  readonly actions: SharedArrayBuffer;
  readonly mailbox: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

/** A shared fingerprint table for `capacity` states at a load factor ≤ 1/2. */
export function allocateTable(capacity: number): SharedArrayBuffer {
  let slots = 1;
  while (slots < 2 * capacity) slots *= 2;
  return new SharedArrayBuffer(8 * slots);
}

export function allocate(capacity: number): SharedBuffers {
  return {
    table: allocateTable(capacity),
    parents: new SharedArrayBuffer(4 * capacity),
    actions: new SharedArrayBuffer(2 * capacity),
    mailbox: new SharedArrayBuffer(4 * capacity),
    control: new SharedArrayBuffer(4 * CONTROL_SLOTS),
  };
}

/** The visited set in shared memory: any thread may insert; each fingerprint is inserted once. */
export class SharedTable {
  readonly table: Int32Array;
  private readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.table = new Int32Array(buffer);
    this.mask = this.table.length / 2 - 1;
  }

  /** Inserts `fp`; true when this thread inserted it first. */
  add(fp: Fingerprint): boolean {
    const hi = fp.hi === 0 ? 1 : fp.hi | 0;
    const lo = (fp.lo | 1) | 0;
    // The slot comes from the stored (normalised) words, so that `entries` re-added land where a lookup probes.
    let slot = ((lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask) >>> 0;
    for (;;) {
      const at = 2 * slot;
      let seen = Atomics.load(this.table, at);
      if (seen === 0) {
        seen = Atomics.compareExchange(this.table, at, 0, hi);
        if (seen === 0) {
          Atomics.store(this.table, at + 1, lo);
          return true;
        }
      }
      if (seen === hi) {
        let other = Atomics.load(this.table, at + 1);
        while (other === 0) other = Atomics.load(this.table, at + 1);
        if (other === lo) return false;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Inserts every (hi, lo) pair of `pairs` (a checkpoint's `entries`). */
  addAll(pairs: Int32Array): void {
    for (let i = 0; i < pairs.length; i += 2) this.add({ hi: pairs[i] as number, lo: pairs[i + 1] as number });
  }

  /** The fingerprints held, as (hi, lo) word pairs (read when no thread is inserting). */
  entries(): Int32Array {
    let count = 0;
    for (let at = 0; at < this.table.length; at += 2) if (this.table[at] !== 0) count++;
    const out = new Int32Array(2 * count);
    let i = 0;
    for (let at = 0; at < this.table.length; at += 2) {
      if (this.table[at] === 0) continue;
      out[i++] = this.table[at] as number;
      out[i++] = this.table[at + 1] as number;
    }
    return out;
  }
}

/** Typed views over the shared buffers (one per thread). */
export class Shared {
  readonly table: Int32Array;
  private readonly fingerprints: SharedTable;
  readonly parents: Int32Array;
  readonly actions: Uint16Array;
  readonly mailbox: Int32Array;
  readonly control: Int32Array;
  readonly capacity: number;

  constructor(buffers: SharedBuffers) {
    this.fingerprints = new SharedTable(buffers.table);
    this.table = this.fingerprints.table;
    this.parents = new Int32Array(buffers.parents);
    this.actions = new Uint16Array(buffers.actions);
    this.mailbox = new Int32Array(buffers.mailbox);
    this.control = new Int32Array(buffers.control);
    this.capacity = this.parents.length;
  }

  /** Inserts `fp`; true when this thread inserted it first. */
  add(fp: Fingerprint): boolean {
    return this.fingerprints.add(fp);
  }

  /** The visited set's fingerprints (shared.ts `SharedTable.entries`), and back. */
  entries(): Int32Array {
    return this.fingerprints.entries();
  }

  addAll(pairs: Int32Array): void {
    this.fingerprints.addAll(pairs);
  }

  /** Records how state `id` was reached. */
  link(id: number, parent: number, action: number): void {
    assert(action < 0x10000, 'at most 65535 actions per state');
    this.parents[id] = parent;
    this.actions[id] = action;
  }

  /** The action indices from the initial state to `id`. */
  path(id: number): number[] {
    const indices: number[] = [];
    for (let at = id; at > 0; at = this.parents[at] as number) indices.push(this.actions[at] as number);
    return indices.reverse();
  }

  /**
   * Waits until all `workers` threads arrive; the last one to arrive runs `last` first
   * (resetting per-level counters) and releases the others.
   */
  barrier(workers: number, last?: () => void): void {
    const generation = Atomics.load(this.control, BARRIER_GEN);
    if (Atomics.add(this.control, BARRIER_COUNT, 1) === workers - 1) {
      last?.();
      Atomics.store(this.control, BARRIER_COUNT, 0);
      Atomics.add(this.control, BARRIER_GEN, 1);
      Atomics.notify(this.control, BARRIER_GEN);
      return;
    }
    while (Atomics.load(this.control, BARRIER_GEN) === generation) Atomics.wait(this.control, BARRIER_GEN, generation);
  }

  /** Sets the stop flag to `reason` unless it is already set; true when this call set it. */
  stop(reason: 1 | 2 | 3): boolean {
    return Atomics.compareExchange(this.control, STOP, 0, reason) === 0;
  }

  stopped(): number {
    return Atomics.load(this.control, STOP);
  }
}

/**
 * What every thread of the parallel breadth-first search does, whether it holds its
 * level's worlds (parallel-worker.ts) or rebuilds them (parallel-replay-worker.ts): insert
 * a successor into the shared visited set, number and link it, judge it, stop the search on
 * a violation or when the shared arrays are full, report progress (thread 0) and, at the
 * end, what it counted.
 */
import { parentPort } from 'node:worker_threads';
import { Admission } from './admission.ts';
import type { ExploreModel } from './bfs.ts';
import { type Fingerprint, fingerprint } from './fingerprint.ts';
import { buildModel } from './models/registry.ts';
import type { WorkerDone, WorkerInput, WorkerProgress } from './parallel-worker.ts';
import { NEXT_ID, Shared, VIOLATION_ID } from './shared.ts';

/** `insert`'s answers other than a new state's id. */
export const VISITED = -1;
export const STOPPED = -2;

export class LevelThread {
  readonly model: ExploreModel<unknown, unknown>;
  readonly shared: Shared;
  private readonly print: (s: unknown) => Fingerprint;
  private readonly admission: Admission<unknown>;
  private transitions = 0;
  private violation: { invariant: string; witness: string } | undefined;
  private nextReport: number;

  constructor(readonly input: WorkerInput) {
    this.model = buildModel(input.recipe);
    this.shared = new Shared(input.buffers);
    const model = this.model;
    this.print = model.fingerprint === undefined ? (s: unknown) => fingerprint(model.key(s)) : model.fingerprint.bind(model);
    this.admission = new Admission(model);
    this.nextReport = input.progressEvery;
  }

  /**
   * The successor `state` of state `parent` by its action number `action` (null: beyond the
   * bounds), reached at `depth`: its new id, or VISITED (beyond the bounds or seen before),
   * or STOPPED (it violates an invariant, or the shared arrays are full: the search stops).
   */
  insert(state: unknown, parent: number, action: number, depth: number): number {
    this.transitions++;
    const { shared } = this;
    if (state === null || !shared.add(this.print(state))) return VISITED;
    const sid = Atomics.add(shared.control, NEXT_ID, 1);
    if (sid >= shared.capacity) return this.full();
    shared.link(sid, parent, action);
    const found = this.admission.admit(state, depth);
    if (found !== undefined) {
      if (shared.stop(1)) {
        Atomics.store(shared.control, VIOLATION_ID, sid);
        this.violation = found;
      }
      return STOPPED;
    }
    return sid + 1 >= shared.capacity ? this.full() : sid;
  }

  /** Whether the state numbered `sid` is one to report progress at (thread 0, every `progressEvery` states). */
  due(sid: number): boolean {
    return this.input.index === 0 && sid >= this.nextReport;
  }

  /** Progress: the states so far, the depth reached, and how many wait to be expanded. */
  report(sid: number, depth: number, queue: number): void {
    this.nextReport += this.input.progressEvery;
    parentPort?.postMessage({ type: 'progress', distinctStates: sid + 1, depth, queue: Math.max(queue, 0) } satisfies WorkerProgress);
  }

  /** The thread's last message; `replayed`: what it rebuilt by replay. */
  done(replayed: number): void {
    const { admission, violation } = this;
    const done: WorkerDone = { type: 'done', transitions: this.transitions, deepest: admission.deepest, reached: [...admission.reached], replayed, ...(violation === undefined ? {} : { violation }) };
    parentPort?.postMessage(done);
  }

  private full(): number {
    this.shared.stop(2);
    return STOPPED;
  }
}

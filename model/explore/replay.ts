/**
 * Replaying an explorer counterexample: the trace file names the model, variant, bounds
 * and each action; every action must be enabled where the trace says it is taken (so a
 * trace from an older machine that no longer applies is reported, not forced), is
 * applied through the same step functions, and every state is judged by the same
 * invariants. The violation reproduces when some state of the replay violates one.
 */
import { InputError } from '../../src/core/assert.ts';
import { VARIANTS, type Variant } from '../../src/protocol/config.ts';
import type { Action } from './actions.ts';
import type { ExploreModel } from './bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, type ReplicationBounds, replicationModel } from './models/replication.ts';
import { REDUCTIONS, type Reduction } from './reduction.ts';
import type { World } from './world.ts';

export interface TraceFile {
  readonly model: 'replication';
  readonly variant: Variant | null;
  readonly bounds: ReplicationBounds;
  /** The search's reduction (absent: none); replay applies the same eager steps. */
  readonly reduction?: Reduction;
  readonly invariant: string;
  readonly steps: readonly { readonly action: Action; readonly text: string }[];
}

export interface ReplayOutcome {
  readonly lines: string[];
  readonly violation?: { invariant: string; witness: string; step: number };
  readonly final: World;
}

/** `data` as a replication trace, or an input error naming `file` and what is wrong. */
export function validateTrace(data: unknown, file: string): TraceFile {
  const t = data as Partial<TraceFile> | null;
  if (t === null || typeof t !== 'object') throw new InputError(`${file}: a trace is a JSON object`);
  if (t.model !== 'replication') throw new InputError(`${file}: model must be 'replication', not ${JSON.stringify(t.model)}`);
  if (t.variant !== null && !VARIANTS.includes(t.variant as Variant)) throw new InputError(`${file}: unknown variant ${JSON.stringify(t.variant)}`);
  if (typeof t.bounds !== 'object' || t.bounds === null) throw new InputError(`${file}: bounds missing`);
  if (!Array.isArray(t.steps)) throw new InputError(`${file}: steps must be an array`);
  if (t.reduction !== undefined && !REDUCTIONS.includes(t.reduction)) throw new InputError(`${file}: unknown reduction ${JSON.stringify(t.reduction)} (known: ${REDUCTIONS.join(', ')})`);
  return t as TraceFile;
}

/** Two actions are the same when their fields are (JSON with sorted keys). */
export function sameAction(a: object, b: object): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

export interface StepsOutcome<S> {
  /** One numbered line per step, a VIOLATED line under the first violating step. */
  readonly lines: string[];
  readonly violation?: { invariant: string; witness: string; step: number };
  readonly final: S;
}

/**
 * Takes a trace's steps from `model`'s initial state: every action must be enabled where
 * the trace takes it and stay within the bounds (else an input error naming the file and
 * step), and every state is judged by the model's invariants.
 */
export function replaySteps<S, A extends object>(model: ExploreModel<S, A>, steps: readonly { readonly action: A; readonly text: string }[], file: string): StepsOutcome<S> {
  const lines: string[] = [];
  let state = model.initial;
  let violation: StepsOutcome<S>['violation'];
  steps.forEach((step, i) => {
    const enabled = model.actions(state).find((a) => sameAction(a, step.action));
    if (enabled === undefined) throw new InputError(`${file}: step ${i + 1} (${step.text}) is not enabled in the replayed state`);
    const text = model.describe(enabled, state);
    const next = model.next(state, enabled);
    if (next === null) throw new InputError(`${file}: step ${i + 1} (${text}) leaves the bounds`);
    state = next;
    lines.push(`  ${String(i + 1).padStart(2)}. ${text}`);
    const found = model.check(state);
    if (found !== undefined && violation === undefined) {
      violation = { ...found, step: i + 1 };
      lines.push(`      VIOLATED ${found.invariant}: ${found.witness}`);
    }
  });
  if (violation === undefined) lines.push('the violation does not reproduce: every invariant held');
  return violation === undefined ? { lines, final: state } : { lines, violation, final: state };
}

/** The trace's bounds, each one it leaves out at its default. */
export function traceBounds(trace: TraceFile): ReplicationBounds {
  return { ...DEFAULT_REPLICATION_BOUNDS, ...trace.bounds, budget: { ...DEFAULT_REPLICATION_BOUNDS.budget, ...trace.bounds.budget } };
}

export function replayTrace(data: unknown, file: string): ReplayOutcome {
  const trace = validateTrace(data, file);
  const bounds = traceBounds(trace);
  const reduction = trace.reduction ?? 'none';
  const model = replicationModel(bounds, trace.variant, undefined, reduction);
  const outcome = replaySteps(model, trace.steps, file);
  const header = `replay ${file}: replication | variant ${trace.variant ?? 'none'}${reduction === 'none' ? '' : ` | reduction ${reduction}`} | ${trace.steps.length} steps`;
  return { ...outcome, lines: [header, ...outcome.lines] };
}

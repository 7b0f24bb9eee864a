/**
 * The one way to run a machine: `start(machine, input)` and `step(machine, snapshot,
 * event)` return the next snapshot and the effects the machine emitted, in order. Both
 * are pure: nothing is executed, nothing is kept between calls except one reused actor
 * scope per machine (xstate's own `transition()` builds a fresh actor and system on every
 * call, which costs 4-6x; see shared/reference/tooling.md §1). The scope's shape is
 * semi-internal to xstate, so it is built here and nowhere else.
 *
 * Actions are checked: `xstate.emit` actions are the effects; an undelayed `xstate.raise`
 * was already processed inside the macrostep and is skipped; anything else that would
 * need a live actor (sendTo, invoke, spawn, delayed events) is a bug in the machine.
 */
import {
  type AnyActorScope,
  type AnyStateMachine,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
  createActor,
  createMachine,
} from 'xstate';
import { assert } from '../core/assert.ts';
import type { Effect } from './effects.ts';

export interface StepResult<M extends AnyStateMachine> {
  readonly snapshot: SnapshotFrom<M>;
  readonly effects: Effect[];
}

interface ExecutedAction {
  readonly type: string;
  readonly params?: unknown;
}

interface Scope {
  readonly scope: AnyActorScope;
  readonly actions: ExecutedAction[];
}

const scopes = new WeakMap<AnyStateMachine, Scope>();
const inert = createMachine({});

function scopeFor(machine: AnyStateMachine): Scope {
  const cached = scopes.get(machine);
  if (cached !== undefined) return cached;
  const actions: ExecutedAction[] = [];
  const self = createActor(inert);
  const scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    defer: () => {},
    emit: () => {},
    logger: () => {},
    stopChild: () => {},
    actionExecutor: (action: ExecutedAction) => {
      actions.push(action);
    },
  } as unknown as AnyActorScope;
  const made = { scope, actions };
  scopes.set(machine, made);
  return made;
}

export function start<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): StepResult<M> {
  const { scope, actions } = scopeFor(machine);
  actions.length = 0;
  const snapshot = machine.getInitialSnapshot(scope, input) as SnapshotFrom<M>;
  return { snapshot, effects: collectEffects(actions) };
}

export function step<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): StepResult<M> {
  const { scope, actions } = scopeFor(machine);
  actions.length = 0;
  const next = machine.transition(snapshot, event, scope) as SnapshotFrom<M>;
  return { snapshot: next, effects: collectEffects(actions) };
}

function collectEffects(actions: readonly ExecutedAction[]): Effect[] {
  const effects: Effect[] = [];
  for (const action of actions) {
    if (action.type === 'xstate.emit') {
      effects.push((action.params as { event: Effect }).event);
      continue;
    }
    if (action.type === 'xstate.raise') {
      const params = action.params as { delay?: number };
      assert(params.delay === undefined, 'machines must not raise delayed events: use setTimer');
      continue;
    }
    assert(
      !action.type.startsWith('xstate.') || action.type === 'xstate.assign',
      `machine action '${action.type}' needs a live actor (no sendTo/invoke/spawn/cancel)`,
    );
  }
  return effects;
}

/**
 * `kafka-oracle diagram [--machine NAME] [--out FILE]`: Mermaid `stateDiagram-v2` diagrams
 * generated from the machine definitions themselves (never drawn by hand), by walking
 * each xstate machine's state nodes and transitions. An edge reads
 * `Event [guard] / action, ...`; a transition without a target is a self-loop; the
 * transitions a machine handles in every state (declared on its root) start from a
 * pseudo-state "any state".
 *
 * Without --machine every machine is written, one diagram after another, each introduced
 * by a `%% machine: NAME` comment line.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AnyStateMachine } from 'xstate';
import { InputError } from '../core/assert.ts';
import { brokerMachine } from '../machines/broker.ts';
import { controllerMachine } from '../machines/controller.ts';
import { producerMachine } from '../machines/producer.ts';
import { replicaMachine } from '../machines/replica.ts';
import { txnCoordinatorMachine } from '../machines/txn-coordinator.ts';
import { txnProducerMachine } from '../machines/txn-producer.ts';
import { groupCoordinatorMachine } from '../machines/group-coordinator.ts';
import { consumerMachine } from '../machines/consumer.ts';
import type { Command } from './main.ts';
import type { Io } from './io.ts';

export const MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  replica: replicaMachine,
  controller: controllerMachine,
  producer: producerMachine,
  broker: brokerMachine,
  'txn-coordinator': txnCoordinatorMachine,
  'txn-producer': txnProducerMachine,
  'group-coordinator': groupCoordinatorMachine,
  consumer: consumerMachine,
};

/** The parts of xstate's StateNode this walker reads (stable public fields). */
interface Node {
  readonly id: string;
  readonly key: string;
  readonly path: readonly string[];
  readonly states: Readonly<Record<string, Node>>;
  readonly initial?: { readonly target: readonly Node[] };
  readonly transitions: ReadonlyMap<string, readonly Transition[]>;
  readonly always?: readonly Transition[];
  readonly entry: readonly unknown[];
}

interface Transition {
  readonly target?: readonly Node[];
  readonly guard?: unknown;
  readonly actions: readonly unknown[];
}

const ANY = 'any_state';

function stateId(node: Node): string {
  return node.path.length === 0 ? ANY : node.path.join('_');
}

/** A guard's name: a named guard, or and/or/not over named guards. */
export function describeGuard(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[] }).guards;
    const name = (guard as { name: string }).name;
    if (parts === undefined) return name || 'guard';
    if (name === 'not') return `not ${describeGuard(parts[0])}`;
    return `(${parts.map(describeGuard).join(` ${name} `)})`;
  }
  return 'guard';
}

function describeAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return 'action';
}

function label(event: string, t: Transition): string {
  const guard = describeGuard(t.guard);
  const actions = t.actions.map(describeAction);
  let text = event;
  if (guard !== '') text += ` [${guard}]`;
  if (actions.length > 0) text += ` / ${actions.join(', ')}`;
  return text.replace(/[{}:;]/g, ' ');
}

function edges(node: Node, indent: string, out: string[]): void {
  const from = stateId(node);
  const push = (event: string, t: Transition): void => {
    const targets = t.target ?? [node];
    for (const target of targets) out.push(`${indent}${from} --> ${stateId(target)} : ${label(event, t)}`);
  };
  for (const [event, transitions] of node.transitions) for (const t of transitions) push(event, t);
  for (const t of node.always ?? []) push('always', t);
}

function children(node: Node): Node[] {
  return Object.values(node.states);
}

function renderState(node: Node, indent: string, out: string[]): void {
  const kids = children(node);
  if (kids.length === 0) {
    out.push(`${indent}state "${node.key}" as ${stateId(node)}`);
    return;
  }
  out.push(`${indent}state "${node.key}" as ${stateId(node)} {`);
  renderBody(node, `${indent}  `, out);
  out.push(`${indent}}`);
}

function renderBody(node: Node, indent: string, out: string[]): void {
  const initial = node.initial?.target[0];
  if (initial !== undefined) out.push(`${indent}[*] --> ${stateId(initial)}`);
  for (const child of children(node)) renderState(child, indent, out);
}

function allNodes(node: Node): Node[] {
  return [node, ...children(node).flatMap(allNodes)];
}

/** The Mermaid stateDiagram-v2 source of `machine`. */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as Node;
  const out: string[] = ['stateDiagram-v2'];
  renderBody(root, '  ', out);
  const rootHasEdges = root.transitions.size > 0 || (root.always?.length ?? 0) > 0;
  if (rootHasEdges) out.push(`  state "any state" as ${ANY}`);
  for (const node of allNodes(root)) edges(node, '  ', out);
  if (root.entry.length > 0) out.push(`  note right of ${stateId(root.initial?.target[0] ?? root)} : entry ${root.entry.map(describeAction).join(', ')}`);
  return out.join('\n');
}

export function renderDiagrams(names: readonly string[]): string {
  if (names.length === 1) return toMermaid(machineNamed(names[0] ?? ''));
  return names.map((name) => `%% machine: ${name}\n${toMermaid(machineNamed(name))}`).join('\n\n');
}

function machineNamed(name: string): AnyStateMachine {
  const machine = MACHINES[name];
  if (machine === undefined) {
    throw new InputError(`unknown machine '${name}' (known: ${Object.keys(MACHINES).join(', ')})`);
  }
  return machine;
}

const HELP = [
  'usage: kafka-oracle diagram [--machine replica|controller|producer|broker] [--out FILE]',
  '',
  'Writes Mermaid stateDiagram-v2 generated from the machine definitions (all machines',
  'when --machine is not given) to stdout, or to FILE with --out.',
].join('\n');

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    let values: { machine?: string; out?: string; help?: boolean };
    try {
      values = parseArgs({
        args,
        options: { machine: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: false,
      }).values;
    } catch (error) {
      throw new InputError(error instanceof Error ? error.message.split('\n')[0] ?? 'bad arguments' : 'bad arguments');
    }
    if (values.help === true) {
      io.out(HELP);
      return 0;
    }
    const names = values.machine === undefined ? Object.keys(MACHINES) : [values.machine];
    const text = renderDiagrams(names);
    if (values.out === undefined) {
      io.out(text);
      return 0;
    }
    try {
      writeFileSync(values.out, `${text}\n`);
    } catch (error) {
      throw new InputError(`cannot write ${values.out}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 0;
  },
};

/**
 * The messages an explorer trace's step names, read off its text, and compared with the
 * simulator's. An action names only a link (`deliver`) or a position in the network
 * (`drop`, `duplicate`, `reorder`); its text, written by the explorer's `describeAction`,
 * names the message: `from→to Type key=value ...` with the fields `describeMessage`
 * prints (model/explore/actions.ts), e.g.
 *
 *   deliver controller→broker-2 LeaderAndIsr leader=2 leaderEpoch=2 isr=[2]
 *   deliver broker-2→broker-1 Fetch fetchOffset=0 currentLeaderEpoch=1 (answer lost)
 *   rejoin broker-0; then quietly controller→broker-0 LeaderAndIsr leader=1 leaderEpoch=1 isr=[1,2]
 *
 * (older traces repeat the link: `deliver a→b a→b Type ...`). A simulator message is the
 * one a step names when it is on the same link and of the same type; its fields may differ
 * from the text's (a twin trace, the same schedule under another protocol variant, carries
 * the variant's values), and the driver reports where they do.
 */
import { describeMessage } from '../../model/explore/actions.ts';
import { linkOf } from '../../model/explore/world.ts';
import type { ProtocolMessage } from '../protocol/messages.ts';

export interface NamedMessage {
  readonly from: string;
  readonly to: string;
  readonly type: string;
  /** Field name → its value as the text prints it (JSON). */
  readonly fields: ReadonlyMap<string, string>;
  readonly text: string;
}

const NAMED = /(?:^|\s)(\S+)→(\S+) ([A-Z][A-Za-z]*)((?: [A-Za-z]+=\S+)*)$/;

/** The message at the end of `text` (the part of a step naming one), or undefined. */
export function parseNamed(text: string): NamedMessage | undefined {
  const m = NAMED.exec(text.trim());
  if (m === null) return undefined;
  const [, from, to, type, rest] = m as unknown as [string, string, string, string, string];
  const fields = new Map<string, string>();
  for (const pair of rest.trim().split(' ').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { from, to, type, fields, text: `${from}→${to} ${type}${rest}` };
}

/** A simulator message as the explorer would name it. */
export function nameOf(from: string, to: string, message: ProtocolMessage): NamedMessage {
  const named = parseNamed(describeMessage({ from, to, message, link: linkOf(from, to) }));
  return named ?? { from, to, type: message.type, fields: new Map(), text: `${from}→${to} ${message.type}` };
}

/** Whether `actual` is on the link and of the type `expected` names: the message a step takes. */
export function sameMessage(expected: NamedMessage, actual: NamedMessage): boolean {
  return actual.from === expected.from && actual.to === expected.to && actual.type === expected.type;
}

/** The fields `expected` names that `actual` has with another value (`key=actual`, the text's in parentheses). */
export function fieldDifferences(expected: NamedMessage, actual: NamedMessage): string[] {
  const out: string[] = [];
  for (const [key, value] of expected.fields) {
    const found = actual.fields.get(key);
    if (found !== value) out.push(`${key}=${found ?? 'absent'} (the trace's ${value})`);
  }
  return out;
}

/** A step's text: the action's own part (suffixes like `(answer lost)` removed) and the quiet pushes it names. */
export function splitStepText(text: string): { readonly main: string; readonly quiet: readonly NamedMessage[] } {
  const [main = '', ...rest] = text.split('; then quietly ');
  const quiet = rest.join('; ').split('; ').filter((part) => part !== '').map((part) => parseNamed(part));
  return { main: main.replace(/ \((answer lost|late:[^)]*)\)$/, ''), quiet: quiet.filter((q): q is NamedMessage => q !== undefined) };
}

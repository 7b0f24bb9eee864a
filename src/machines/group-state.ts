/**
 * # The classic consumer group's state table, as data
 *
 * `ClassicGroupState.java`: the five states and their legal previous states, and the
 * group coordinator's answer to a member request (from a known member of the current
 * generation) in each state (`GroupCoordinator` / `ClassicGroup` handlers; kafka-internals
 * §5). Unknown members and other generations are rejected before the table
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION). test/machines/group-coordinator.test.ts checks
 * the table cell by cell and the machine against it.
 */
import { assert } from '../core/assert.ts';
import type { ErrorCode } from '../protocol/errors.ts';

export const GROUP_STATES = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] as const;
export type GroupState = (typeof GROUP_STATES)[number];

const PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export function isLegalGroupTransition(from: GroupState, to: GroupState): boolean {
  return PREVIOUS_STATES[to].includes(from);
}

export function checkGroupTransition(from: GroupState, to: GroupState): void {
  assert(isLegalGroupTransition(from, to), `illegal group state transition ${from} -> ${to}`);
}

export const GROUP_REQUESTS = ['Heartbeat', 'SyncGroup', 'OffsetCommit', 'LeaveGroup'] as const;
export type GroupRequest = (typeof GROUP_REQUESTS)[number];

export type GroupOutcome =
  | { readonly kind: 'reply'; readonly errorCode: ErrorCode }
  /** Carry out the request (commit the offset, leave, answer the heartbeat). */
  | { readonly kind: 'accept' }
  /** SyncGroup while the leader's assignment is not yet stored: answered later. */
  | { readonly kind: 'await' };

const reply = (errorCode: ErrorCode): GroupOutcome => ({ kind: 'reply', errorCode });
const ACCEPT: GroupOutcome = { kind: 'accept' };

const TABLE: Readonly<Record<GroupRequest, Readonly<Record<GroupState, GroupOutcome>>>> = {
  Heartbeat: {
    Empty: reply('UNKNOWN_MEMBER_ID'),
    PreparingRebalance: reply('REBALANCE_IN_PROGRESS'),
    CompletingRebalance: ACCEPT,
    Stable: ACCEPT,
    Dead: reply('UNKNOWN_MEMBER_ID'),
  },
  SyncGroup: {
    Empty: reply('UNKNOWN_MEMBER_ID'),
    PreparingRebalance: reply('REBALANCE_IN_PROGRESS'),
    CompletingRebalance: { kind: 'await' },
    Stable: ACCEPT,
    Dead: reply('UNKNOWN_MEMBER_ID'),
  },
  OffsetCommit: {
    Empty: reply('UNKNOWN_MEMBER_ID'),
    // Commits of the generation being replaced are still accepted.
    PreparingRebalance: ACCEPT,
    CompletingRebalance: reply('REBALANCE_IN_PROGRESS'),
    Stable: ACCEPT,
    Dead: reply('COORDINATOR_NOT_AVAILABLE'),
  },
  LeaveGroup: {
    Empty: reply('UNKNOWN_MEMBER_ID'),
    PreparingRebalance: ACCEPT,
    CompletingRebalance: ACCEPT,
    Stable: ACCEPT,
    Dead: reply('UNKNOWN_MEMBER_ID'),
  },
};

export function groupOutcome(request: GroupRequest, state: GroupState): GroupOutcome {
  return TABLE[request][state];
}

/** The legal transitions as a Mermaid `stateDiagram-v2` (embedded in spec/groups.md, kept equal by a test). */
export function groupStateDiagram(): string {
  const out = ['stateDiagram-v2', '  [*] --> Empty'];
  for (const to of GROUP_STATES) for (const from of PREVIOUS_STATES[to]) out.push(`  ${from} --> ${to}`);
  return out.join('\n');
}

/** The request x state table as Markdown (embedded in spec/groups.md, kept equal by a test). */
export function groupOutcomeMarkdown(): string {
  const cell = (o: GroupOutcome): string => (o.kind === 'reply' ? o.errorCode : o.kind);
  const rows = [`| state | ${GROUP_REQUESTS.join(' | ')} |`, `|---|${GROUP_REQUESTS.map(() => '---').join('|')}|`];
  for (const state of GROUP_STATES) rows.push(`| ${state} | ${GROUP_REQUESTS.map((r) => cell(groupOutcome(r, state))).join(' | ')} |`);
  return rows.join('\n');
}

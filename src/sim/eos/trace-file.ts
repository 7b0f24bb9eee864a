/**
 * A transactions explorer trace (`kafka-oracle explore --model transactions --trace FILE`)
 * as data, checked before anything runs: the protocol (variant, transaction.version), the
 * bounds (models/transactions.ts; those left out at their defaults) and each step's
 * `{action, text}` with the fields its kind needs (model/explore/txn/actions.ts `TxnAction`).
 * Whatever is wrong is an input error naming the file (and the step).
 */
import { InputError } from '../../core/assert.ts';
import type { Variant } from '../../protocol/config.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, TRANSACTIONS_VARIANTS, type TransactionsBounds } from '../../../model/explore/models/transactions.ts';
import type { TxnAction } from '../../../model/explore/txn/actions.ts';
import { TXN_BUDGET_KEYS } from '../../../model/explore/txn/world.ts';

export interface TxnTraceFile {
  readonly model: 'transactions';
  readonly variant: Variant | null;
  readonly transactionVersion: 1 | 2;
  readonly bounds: TransactionsBounds;
  readonly invariant: string;
  readonly steps: readonly { readonly action: TxnAction; readonly text: string }[];
}

/** The fields each action kind carries, and their JSON types. */
const ACTION_FIELDS: Readonly<Record<TxnAction['kind'], Readonly<Record<string, 'number' | 'string' | 'boolean'>>>> = {
  init: { incarnation: 'number' },
  send: { incarnation: 'number', partition: 'number' },
  commit: { incarnation: 'number' },
  abort: { incarnation: 'number' },
  deliver: { from: 'string', to: 'string', response: 'boolean' },
  fire: { node: 'string', id: 'string' },
  drop: { index: 'number' },
  duplicate: { index: 'number' },
  reorder: { index: 'number' },
  failover: {},
};

/** Whole-number bounds within what the model accepts (models/transactions.ts asserts 1–2 incarnations and partitions). */
const LIMITS: Readonly<Record<string, readonly [number, number]>> = { incarnations: [1, 2], partitions: [1, 2] };

/** `data` as a transactions trace, or an input error naming `file` and what is wrong. */
export function validateTxnTrace(data: unknown, file: string): TxnTraceFile {
  const t = data as Partial<TxnTraceFile> | null;
  if (t === null || typeof t !== 'object') throw new InputError(`${file}: a trace is a JSON object`);
  if (t.model !== 'transactions') throw new InputError(`${file}: model must be 'transactions', not ${JSON.stringify(t.model)}`);
  if (t.variant !== null && !TRANSACTIONS_VARIANTS.includes(t.variant as Variant)) throw new InputError(`${file}: unknown variant ${JSON.stringify(t.variant)}`);
  if (t.transactionVersion !== 1 && t.transactionVersion !== 2) throw new InputError(`${file}: transactionVersion must be 1 or 2`);
  if (typeof t.bounds !== 'object' || t.bounds === null) throw new InputError(`${file}: bounds missing`);
  if (!Array.isArray(t.steps)) throw new InputError(`${file}: steps must be an array`);
  checkBounds(txnTraceBounds(t as TxnTraceFile), file);
  t.steps.forEach((step, i) => checkStep(step, i + 1, file));
  return t as TxnTraceFile;
}

/** The trace's bounds, each one it leaves out at its default. */
export function txnTraceBounds(trace: TxnTraceFile): TransactionsBounds {
  return { ...DEFAULT_TRANSACTIONS_BOUNDS, ...trace.bounds, budget: { ...DEFAULT_TRANSACTIONS_BOUNDS.budget, ...trace.bounds.budget } };
}

function checkBounds(bounds: TransactionsBounds, file: string): void {
  const { budget, ...rest } = bounds;
  const numbers: [string, unknown][] = [...Object.entries(rest), ...TXN_BUDGET_KEYS.map((k): [string, unknown] => [`budget.${k}`, budget[k]])];
  for (const [key, value] of numbers) {
    const [min, max] = LIMITS[key] ?? [0, Number.MAX_SAFE_INTEGER];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new InputError(`${file}: bounds.${key} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, not ${JSON.stringify(value)}`);
  }
}

function checkStep(step: unknown, n: number, file: string): void {
  const s = step as { action?: Record<string, unknown> | null; text?: unknown } | null;
  const shape = `step ${n} must be {"action": {"kind": ...}, "text": "..."}`;
  if (s === null || typeof s !== 'object' || typeof s.action !== 'object' || s.action === null || typeof s.text !== 'string') throw new InputError(`${file}: ${shape}`);
  const kind = s.action.kind;
  const fields = typeof kind === 'string' ? ACTION_FIELDS[kind as TxnAction['kind']] : undefined;
  if (fields === undefined) throw new InputError(`${file}: step ${n}: unknown action kind ${JSON.stringify(kind)} (known: ${Object.keys(ACTION_FIELDS).join(', ')})`);
  for (const [field, type] of Object.entries(fields)) {
    const value = s.action[field];
    if (typeof value !== type || (type === 'number' && !Number.isInteger(value))) throw new InputError(`${file}: step ${n}: a ${kind} action needs ${field} (a ${type === 'number' ? 'whole number' : type}), not ${JSON.stringify(value)}`);
  }
}

/**
 * A client-visible outcome, in the vocabulary of `shared/contracts/history.md` (Jepsen's
 * Kafka workload): the host stamps `index` and `time` and writes it to the history.
 *
 * A key is a topic-partition name (`orders-0`). In an `ok` send completion the offset is
 * known; in `fail` (definitely not written) and `info` (unknown) it is `null` or absent.
 */
export type Process = number | string;

export type SendInvokeOp = readonly ['send', string, string];
export type SendCompletionOp = readonly ['send', string, readonly [number | null, string]];
export type PollInvokeOp = readonly ['poll'];
export type PollCompletionOp = readonly [
  'poll',
  { readonly [key: string]: readonly (readonly [number, string])[] },
];
export type MicroOp = SendInvokeOp | SendCompletionOp | PollInvokeOp | PollCompletionOp;

export interface ClientEvent {
  readonly process: Process;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: 'send' | 'poll' | 'txn' | 'assign' | 'subscribe';
  readonly value: readonly MicroOp[];
  /** Why the operation failed or is indeterminate (a Kafka error name, or 'timeout'). */
  readonly error?: string;
}

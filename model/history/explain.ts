/**
 * Human words for the checker's answer: one sentence per anomaly type, and a one-line
 * rendering of each witness (key, values, offsets, the operations' indexes).
 */
import type { OpRef, Witness } from './types.ts';

export const ANOMALY_SENTENCES: Readonly<Record<string, string>> = {
  'inconsistent-offsets': 'Two or more different values were seen at the same offset of a partition.',
  duplicate: 'One value appears at more than one offset of its partition (it was written twice).',
  G1a: 'A successful poll returned a value whose send definitely failed (an aborted read).',
  'precommitted-read': 'A transaction polled a value it had sent itself, before it committed; Kafka consumers must never see uncommitted records.',
  'garbage-read': 'A poll returned a value that no operation in the history ever sent.',
  'lost-write': 'A write that must have committed sits below the highest offset some successful poll reached, yet no successful poll ever returned it.',
  unseen: 'Values acknowledged as sent were never returned by any successful poll (lost, or the history ends before they were read).',
  'int-poll-skip': 'Within one operation, two successive reads of a partition jumped over records that exist.',
  'int-nonmonotonic-poll': 'Within one operation, a read of a partition went backwards or repeated the previous record.',
  'int-send-skip': 'Within one operation, other records landed between two sends to the same partition (normal: transactions interleave).',
  'int-nonmonotonic-send': 'Within one operation, a later send to a partition landed at or before an earlier one.',
  'poll-skip': 'A process\'s next poll of a partition started past the record after its last successful read, skipping records.',
  'nonmonotonic-poll': 'A process\'s next poll of a partition started at or before its last successful read (it went backwards or re-read).',
  'nonmonotonic-send': 'A process\'s next send to a partition landed at or before its previous send there.',
  G0: 'A cycle of write-write dependencies: transactions\' writes interleaved in different orders on different partitions (Kafka does not isolate writes).',
  'G0-process': 'A cycle of write-write and process-order dependencies.',
  G1c: 'A cycle of write-write and write-read dependencies with at least one read: circular information flow between transactions.',
  'G1c-process': 'A cycle of dependencies that needs process order and a read: some poll saw a write made after that poll, in process order.',
  'early-read': 'A cycle of write-read (and process-order) dependencies alone: a poll saw a transaction\'s records before that transaction could have committed, impossible under read_committed.',
  'empty-transaction-graph': 'No successful send, poll or transaction: nothing was observed, so nothing can be judged.',
};

export function sentenceFor(type: string): string {
  return ANOMALY_SENTENCES[type] ?? 'An anomaly this version cannot describe.';
}

function op(ref: unknown): string {
  if (ref === null || ref === undefined) return 'op ?';
  const r = ref as OpRef;
  return `op ${r.index} (${r.type} ${r.f}, process ${JSON.stringify(r.process)})`;
}

const show = (x: unknown): string => JSON.stringify(x);

/** One line describing a witness of `type`. */
export function describeWitness(type: string, w: Witness): string {
  const key = `key ${show(w['key'])}`;
  switch (type) {
    case 'inconsistent-offsets':
      return `${key} offset ${show(w['offset'])} holds values ${show(w['values'])}`;
    case 'duplicate':
      return `${key} value ${show(w['value'])} at offsets ${show(w['offsets'])}`;
    case 'G1a':
      return `${key} value ${show(w['value'])} at offset ${show(w['offset'])}: sent by ${op(w['writer'])}, read by ${op(w['reader'])}`;
    case 'precommitted-read':
      return `${key} value ${show(w['value'])} at offset ${show(w['offset'])}: sent and read by ${op(w['op'])}`;
    case 'garbage-read':
      return `${key} value ${show(w['value'])} at offset ${show(w['offset'])}: read by ${op(w['reader'])}`;
    case 'lost-write':
      return `${key} value ${show(w['value'])} at offset ${show(w['offset'])} (index ${show(w['index'])}), sent by ${op(w['writer'])}; ${op(w['maxRead'])} read up to value ${show(w['maxReadValue'])} (index ${show(w['maxReadIndex'])})`;
    case 'unseen':
      return `${key}: ${show(w['count'])} values never read, first ${show(w['values'])}`;
    case 'int-poll-skip':
    case 'int-nonmonotonic-poll':
    case 'int-send-skip':
    case 'int-nonmonotonic-send':
      return `${key} values ${show(w['values'])} at offsets ${show(w['offsets'])}, delta ${show(w['delta'])}${w['skipped'] ? `, skipped ${show(w['skipped'])}` : ''} in ${op(w['op'])}`;
    case 'poll-skip':
    case 'nonmonotonic-poll':
    case 'nonmonotonic-send': {
      const [before, after] = (w['ops'] as unknown[]) ?? [];
      return `${key} values ${show(w['values'])} at offsets ${show(w['offsets'])}, delta ${show(w['delta'])}${w['skipped'] ? `, skipped ${show(w['skipped'])}` : ''}: ${op(before)} then ${op(after)}`;
    }
    default:
      if (Array.isArray(w['steps'])) return describeCycle(w['steps'] as Witness[]);
      return show(w);
  }
}

function describeCycle(steps: readonly Witness[]): string {
  const parts = steps.map((s) => {
    const from = (s['from'] as OpRef).index;
    const to = (s['to'] as OpRef).index;
    if (s['type'] === 'wr') return `op ${from} sent ${show(s['value'])} to ${show(s['key'])}, which op ${to} read`;
    if (s['type'] === 'ww') return `op ${from} sent ${show(s['value'])} to ${show(s['key'])} just before op ${to} sent ${show(s['nextValue'])}`;
    return `op ${from} precedes op ${to} in process order`;
  });
  return `cycle: ${parts.join('; ')}`;
}

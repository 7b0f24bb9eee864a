/**
 * The exactly-once world's fixed topology: three brokers, each a replica of every partition
 * (input topic with 2 partitions, output topic with 2, `__transaction_state-0`,
 * `__consumer_offsets-0`), the consumer group and transactional ids of the workers, and the
 * node names of the clients. Both internal topics have one partition, so the broker leading
 * `__transaction_state-0` is every transactional id's coordinator (its leader epoch is the
 * coordinator epoch), and the one leading `__consumer_offsets-0` is the group's.
 */
import { topicPartitionName } from '../../protocol/log.ts';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../protocol/txn-messages.ts';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export const INPUT_TOPIC = 'input';
export const OUTPUT_TOPIC = 'output';
export const INPUT_PARTITIONS = 2;
export const OUTPUT_PARTITIONS = 2;
export const GROUP_ID = 'eos-app';
export const BROKERS = 3;

export const INPUTS: readonly TopicPartition[] = Array.from({ length: INPUT_PARTITIONS }, (_, partition) => ({ topic: INPUT_TOPIC, partition }));
export const OUTPUTS: readonly TopicPartition[] = Array.from({ length: OUTPUT_PARTITIONS }, (_, partition) => ({ topic: OUTPUT_TOPIC, partition }));
export const TXN_LOG: TopicPartition = { topic: TRANSACTION_STATE_TOPIC, partition: 0 };
export const OFFSETS_LOG: TopicPartition = { topic: CONSUMER_OFFSETS_TOPIC, partition: 0 };

/** Every partition, in the canonical order every listing uses. */
export const PARTITIONS: readonly TopicPartition[] = [...INPUTS, ...OUTPUTS, TXN_LOG, OFFSETS_LOG];

/** Client node names. */
export const INPUT_PRODUCER = 'input-producer';
export const VERIFIER = 'verifier';

export function tpName(tp: TopicPartition): string {
  return topicPartitionName(tp.topic, tp.partition);
}

/** The worker slot's transactional.id: a replacement instance reuses it (what fences the zombie). */
export function transactionalIdOf(slot: number): string {
  return `eos-app-${slot}`;
}

/** Node names of instance `instance` of worker `slot`: its consumer and its producer. */
export function workerNodes(slot: number, instance: number): { readonly consumer: string; readonly producer: string } {
  return { consumer: `worker-${slot}.${instance}-c`, producer: `worker-${slot}.${instance}-p` };
}

/** The input value number n goes to input partition n mod 2; its output to output partition n mod 2. */
export function inputValue(n: number): string {
  return `in-${n}`;
}

/**
 * The output of input `in-n` written by processing attempt `attempt`: `out-n.attempt`.
 * Attempts are numbered across the run, so every send of the history has its own value (the
 * history contract's values are unique per key); `outputBase` drops the attempt.
 */
export function outputValueOf(input: string, attempt: number): string {
  return `out-${input.slice('in-'.length)}.${attempt}`;
}

export function outputBase(output: string): string {
  const dot = output.indexOf('.');
  return dot < 0 ? output : output.slice(0, dot);
}

export function partitionOfValue(value: string): number {
  const n = Number.parseInt(value.slice(value.indexOf('-') + 1), 10);
  return n % 2;
}

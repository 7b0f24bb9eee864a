/**
 * The storage work a replica asks its host to do on the segment-file log of one
 * partition (src/storage). Commands are performed in the order emitted.
 *
 * - `append`: write the batch at the end of the active segment (page cache only: it is
 *   durable after the next `flush`).
 * - `flush`: fsync the log up to its end; the recovery point becomes the log end offset
 *   (Kafka's `UnifiedLog.flush`). Emitted every `flush.messages` records.
 * - `truncate`: remove every batch at or above `offset` (`UnifiedLog.truncateTo`).
 * - `checkpoint`: rewrite a checkpoint file (temp + fsync + rename, so it is durable):
 *   `replication-offset-checkpoint` (high watermark) or `leader-epoch-checkpoint`.
 */
import type { LogBatch } from './log.ts';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface LeaderEpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export type StorageCommand =
  | { readonly type: 'append'; readonly topicPartition: TopicPartition; readonly batch: LogBatch }
  | { readonly type: 'flush'; readonly topicPartition: TopicPartition; readonly logEndOffset: number }
  | { readonly type: 'truncate'; readonly topicPartition: TopicPartition; readonly offset: number }
  | {
      readonly type: 'checkpoint';
      readonly topicPartition: TopicPartition;
      readonly checkpoint: 'replication-offset-checkpoint';
      readonly highWatermark: number;
    }
  | {
      readonly type: 'checkpoint';
      readonly topicPartition: TopicPartition;
      readonly checkpoint: 'leader-epoch-checkpoint';
      readonly entries: readonly LeaderEpochEntry[];
    };

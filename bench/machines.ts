/**
 * Step rates of the replication machines through `step()` (one reused actor scope) and,
 * for comparison, through xstate's own `transition()` (a fresh actor per call). Run with
 * `npm run bench machines` (tsx loads xstate's production build, unlike vitest).
 */
import { transition } from 'xstate';
import { DEFAULT_CONFIG } from '../src/protocol/config.ts';
import type { LogBatch } from '../src/protocol/log.ts';
import { emptyPersisted, replicaMachine, type ReplicaEvent } from '../src/machines/replica.ts';
import { producerMachine, type ProducerEvent } from '../src/machines/producer.ts';
import { start, step } from '../src/machines/step.ts';

const config = { ...DEFAULT_CONFIG, 'replication.factor': 2, 'min.insync.replicas': 1 };

function batch(i: number): LogBatch {
  return {
    baseOffset: 0,
    lastOffset: 0,
    partitionLeaderEpoch: -1,
    producerId: 7,
    producerEpoch: 0,
    baseSequence: i,
    isTransactional: false,
    isControl: false,
    records: [{ key: null, value: `v${i}` }],
  };
}

/** Leader of RF 2: Produce (acks=all) then the follower's Fetch past it, `n` times. */
function replicaEvents(n: number): ReplicaEvent[] {
  const events: ReplicaEvent[] = [
    { type: 'LeaderAndIsr', from: 'controller', incarnationId: 1, topic: 't', partition: 0, leader: 0, leaderEpoch: 1, isr: [0, 1], elr: [], partitionEpoch: 1, replicas: [0, 1], nowMs: 0 },
  ];
  for (let i = 0; i < n; i++) {
    events.push({ type: 'Produce', from: 'producer-0', correlationId: i, topic: 't', partition: 0, transactionalId: null, acks: -1, timeoutMs: 30000, records: batch(i), nowMs: i });
    events.push({ type: 'Fetch', from: 'broker-1', correlationId: i, topic: 't', partition: 0, replicaId: 1, fetchOffset: i + 1, currentLeaderEpoch: 1, lastFetchedEpoch: 1, isolationLevel: 'read_uncommitted', nowMs: i });
  }
  return events;
}

function rate(label: string, count: number, run: () => void): void {
  const t0 = process.hrtime.bigint();
  run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(52)} ${Math.round(count / seconds).toLocaleString('en-US').padStart(10)} steps/s  (${count} steps, ${seconds.toFixed(2)} s)`);
}

export async function run(): Promise<void> {
  const input = { config, brokerId: 0, incarnationId: 1, topic: 't', partition: 0, recovered: emptyPersisted() };
  // The log grows with every produce: the rate depends on its length (handlers copy and
  // scan the log), so it is measured for a short and a long run.
  for (const [records, repeats] of [[200, 20], [200, 20], [2000, 1]] as const) {
    const events = replicaEvents(records);
    rate(`replica leader, ${records} produces + fetches, step()`, events.length * repeats, () => {
      for (let r = 0; r < repeats; r++) {
        let s = start(replicaMachine, input).snapshot;
        for (const e of events) s = step(replicaMachine, s, e).snapshot;
      }
    });
  }
  const short = replicaEvents(200);
  rate('replica leader, 200 produces + fetches, transition()', short.length * 20, () => {
    for (let r = 0; r < 20; r++) {
      let s = start(replicaMachine, input).snapshot;
      for (const e of short) s = transition(replicaMachine, s, e)[0];
    }
  });
  // Steady state of the idempotent producer: Send, then the leader's answer, repeated.
  const cycle: ProducerEvent[] = [
    { type: 'InitProducerIdResponse', from: 'controller', correlationId: 0, errorCode: 'NONE', producerId: 7, producerEpoch: 0, nowMs: 0 },
  ];
  let correlationId = 1;
  for (let i = 0; i < 5000; i++) {
    cycle.push({ type: 'Send', nowMs: i, process: i, topic: 't', partition: 0, value: `v${i}` });
    if (i === 0) cycle.push({ type: 'MetadataResponse', from: 'broker-0', correlationId: correlationId++, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, nowMs: 0 });
    cycle.push({ type: 'ProduceResponse', from: 'broker-0', correlationId: correlationId++, topic: 't', partition: 0, errorCode: 'NONE', baseOffset: i, nowMs: i });
  }
  for (let round = 0; round < 2; round++) {
    rate(`producer, Send + ProduceResponse x5000${round === 0 ? ' (warm-up)' : ''}`, cycle.length, () => {
      let s = start(producerMachine, { config, clientId: 'producer-0', bootstrapBrokers: [0] }).snapshot;
      for (const e of cycle) s = step(producerMachine, s, e).snapshot;
      if (s.context.partitions[0]?.batches.length !== 0) throw new Error('bench: the producer did not complete every send');
    });
  }
}

/**
 * Handler-level tests of the producer client: producer id and metadata, in-flight limit,
 * retries keeping the sequence, the history outcome of each error (ok / fail / info),
 * KIP-360 epoch bumps, and idempotence switched off.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { ClientEvent } from '../../src/protocol/client.ts';
import type { ErrorCode } from '../../src/protocol/errors.ts';
import type { Produce, ProtocolMessage } from '../../src/protocol/messages.ts';
import type { Effect } from '../../src/machines/effects.ts';
import { type ProducerEvent, producerMachine } from '../../src/machines/producer.ts';
import { start, step } from '../../src/machines/step.ts';

type Snap = ReturnType<typeof start<typeof producerMachine>>['snapshot'];

let lastEffects: Effect[] = [];
function on(s: Snap, e: ProducerEvent): Snap {
  const r = step(producerMachine, s, e);
  lastEffects = r.effects;
  return r.snapshot;
}

function messages<T extends ProtocolMessage['type']>(type: T): Extract<ProtocolMessage, { type: T }>[] {
  return lastEffects.flatMap((e) => (e.type === 'send' && e.message.type === type ? [e.message as Extract<ProtocolMessage, { type: T }>] : []));
}

function client(): ClientEvent[] {
  return lastEffects.flatMap((e) => (e.type === 'client' ? [e.event] : []));
}

const send = (process: number, value: string, nowMs = 0): ProducerEvent => ({ type: 'Send', nowMs, process, topic: 't', partition: 0, value });

function answer(p: Produce, errorCode: ErrorCode, baseOffset = -1): ProducerEvent {
  return { type: 'ProduceResponse', from: 'broker-0', correlationId: p.correlationId, topic: 't', partition: 0, errorCode, baseOffset, nowMs: 0 };
}

/** A producer with its id and the leader (broker 0) known; `sends` values already sent. */
function ready(config: ClusterConfig = DEFAULT_CONFIG, sends: string[] = []): { s: Snap; produced: Produce[] } {
  const started = start(producerMachine, { config, clientId: 'producer-0', bootstrapBrokers: [0, 1] });
  let s = started.snapshot;
  lastEffects = started.effects;
  if (config['enable.idempotence']) {
    const init = messages('InitProducerId')[0];
    expect(init).toMatchObject({ transactionalId: null });
    s = on(s, { type: 'InitProducerIdResponse', from: 'controller', correlationId: init?.correlationId ?? -1, errorCode: 'NONE', producerId: 1000, producerEpoch: 0, nowMs: 0 });
  } else {
    expect(messages('InitProducerId')).toEqual([]);
  }
  expect(s.value).toBe('ready');
  const produced: Produce[] = [];
  sends.forEach((v, i) => {
    s = on(s, send(i, v));
    const metadata = messages('Metadata')[0];
    if (metadata !== undefined) {
      s = on(s, { type: 'MetadataResponse', from: 'broker-0', correlationId: metadata.correlationId, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, nowMs: 0 });
    }
    produced.push(...messages('Produce'));
  });
  return { s, produced };
}

describe('producer: idempotent (default)', () => {
  it('queues sends until it has a producer id, then asks metadata and sends sequence 0', () => {
    const started = start(producerMachine, { config: DEFAULT_CONFIG, clientId: 'producer-0', bootstrapBrokers: [0] });
    lastEffects = started.effects;
    const correlationId = messages('InitProducerId')[0]?.correlationId ?? -1;
    let s = on(started.snapshot, send(0, 'a'));
    expect(client()).toEqual([{ process: 0, type: 'invoke', f: 'send', value: [['send', 't-0', 'a']] }]);
    expect(messages('Metadata')).toEqual([]);
    s = on(s, { type: 'InitProducerIdResponse', from: 'controller', correlationId, errorCode: 'NONE', producerId: 1000, producerEpoch: 0, nowMs: 0 });
    const metadata = messages('Metadata')[0];
    expect(metadata).toBeDefined();
    on(s, { type: 'MetadataResponse', from: 'broker-0', correlationId: metadata?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, nowMs: 0 });
    expect(messages('Produce')[0]?.records).toMatchObject({ producerId: 1000, producerEpoch: 0, baseSequence: 0, records: [{ value: 'a' }] });
  });

  it('answers ok with the offset', () => {
    const { s, produced } = ready(DEFAULT_CONFIG, ['a']);
    const p = produced[0] as Produce;
    on(s, answer(p, 'NONE', 41));
    expect(client()).toEqual([{ process: 0, type: 'ok', f: 'send', value: [['send', 't-0', [41, 'a']]] }]);
    const again = on(s, answer(p, 'NONE', 41));
    expect(client()).toHaveLength(1);
    on(again, answer(p, 'NONE', 41)); // a duplicated response for a completed request
    expect(lastEffects).toEqual([]);
  });

  it('keeps at most max.in.flight.requests.per.connection (5) in flight, in sequence order', () => {
    const { s, produced } = ready(DEFAULT_CONFIG, ['a', 'b', 'c', 'd', 'e', 'f']);
    expect(produced.map((p) => p.records.baseSequence)).toEqual([0, 1, 2, 3, 4]);
    on(s, answer(produced[0] as Produce, 'NONE', 0));
    expect(messages('Produce').map((p) => [p.records.baseSequence, p.records.records[0]?.value])).toEqual([[5, 'f']]);
  });

  it('a timeout resends with the same sequence; the eventual answer is ok', () => {
    let { s, produced } = ready(DEFAULT_CONFIG, ['a']);
    const first = produced[0] as Produce;
    s = on(s, { type: 'RequestTimeout', topic: 't', partition: 0, correlationId: first.correlationId, nowMs: 30000 });
    const metadata = messages('Metadata')[0]; // the leader may have moved
    s = on(s, { type: 'MetadataResponse', from: 'broker-1', correlationId: metadata?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 1, leaderEpoch: 2, nowMs: 30000 });
    expect(messages('Produce')).toEqual([]); // the retry waits retry.backoff.ms
    s = on(s, { type: 'RetryTimer', topic: 't', partition: 0, nowMs: 30100 });
    const retry = lastEffects.find((e) => e.type === 'send' && e.message.type === 'Produce');
    expect(retry).toMatchObject({ to: 'broker-1', message: { records: { baseSequence: 0, producerEpoch: 0 } } });
    const stale = on(s, answer(first, 'NONE', 0));
    expect(stale).toBe(s); // the first attempt's answer is no longer awaited
    on(s, answer((retry as { message: Produce }).message, 'NONE', 0));
    expect(client()[0]?.type).toBe('ok');
  });

  it('retries exhausted: fail if no attempt can have written it, info if one may have', () => {
    const config = { ...DEFAULT_CONFIG, retries: 0 };
    const { s, produced } = ready(config, ['a']);
    on(s, answer(produced[0] as Produce, 'NOT_ENOUGH_REPLICAS'));
    expect(client()).toMatchObject([{ type: 'fail', error: 'NOT_ENOUGH_REPLICAS', value: [['send', 't-0', 'a']] }]);
    on(s, answer(produced[0] as Produce, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'));
    expect(client()).toMatchObject([{ type: 'info', error: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' }]);
    on(s, { type: 'RequestTimeout', topic: 't', partition: 0, correlationId: (produced[0] as Produce).correlationId, nowMs: 30000 });
    expect(client()).toMatchObject([{ type: 'info', error: 'REQUEST_TIMED_OUT' }]);
  });

  it('a definite error after an earlier timeout is still only info', () => {
    const config = { ...DEFAULT_CONFIG, retries: 1 };
    let { s, produced } = ready(config, ['a']);
    s = on(s, { type: 'RequestTimeout', topic: 't', partition: 0, correlationId: (produced[0] as Produce).correlationId, nowMs: 30000 });
    const metadata = messages('Metadata')[0];
    s = on(s, { type: 'MetadataResponse', from: 'broker-0', correlationId: metadata?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, nowMs: 30000 });
    s = on(s, { type: 'RetryTimer', topic: 't', partition: 0, nowMs: 30100 });
    on(s, answer(messages('Produce')[0] as Produce, 'NOT_ENOUGH_REPLICAS'));
    expect(client()).toMatchObject([{ type: 'info', error: 'NOT_ENOUGH_REPLICAS' }]);
  });

  it('KIP-360: OUT_OF_ORDER_SEQUENCE_NUMBER with nothing earlier pending fails the batch and bumps the epoch', () => {
    let { s, produced } = ready(DEFAULT_CONFIG, ['a']);
    s = on(s, answer(produced[0] as Produce, 'OUT_OF_ORDER_SEQUENCE_NUMBER'));
    expect(client()).toMatchObject([{ type: 'fail', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }]);
    expect(s.context.producerEpoch).toBe(1);
    s = on(s, send(1, 'b'));
    expect(messages('Produce')[0]?.records).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER behind an unresolved earlier batch is retried with the same sequence', () => {
    let { s, produced } = ready(DEFAULT_CONFIG, ['a', 'b']);
    s = on(s, answer(produced[1] as Produce, 'OUT_OF_ORDER_SEQUENCE_NUMBER'));
    expect(client()).toEqual([]);
    expect(s.context.producerEpoch).toBe(0);
    s = on(s, { type: 'RetryTimer', topic: 't', partition: 0, nowMs: 100 });
    expect(messages('Produce')).toEqual([]); // waits until the earlier batch is resolved
    s = on(s, { ...answer(produced[0] as Produce, 'NONE', 0), nowMs: 200 } as ProducerEvent);
    expect(client()[0]?.type).toBe('ok');
    expect(messages('Produce')[0]?.records).toMatchObject({ baseSequence: 1, producerEpoch: 0 });
  });

  it('a batch still in flight at an epoch bump is never resent under the new epoch', () => {
    let { s, produced } = ready(DEFAULT_CONFIG, ['a', 'b']);
    s = on(s, answer(produced[0] as Produce, 'UNKNOWN_PRODUCER_ID'));
    expect(s.context.producerEpoch).toBe(1);
    expect(s.context.partitions[0]?.batches).toMatchObject([{ value: 'b', staleEpoch: true }]);
    on(s, answer(produced[1] as Produce, 'NOT_LEADER_OR_FOLLOWER'));
    expect(client()).toMatchObject([{ type: 'info', error: 'NOT_LEADER_OR_FOLLOWER' }]);
    expect(messages('Produce')).toEqual([]);
  });

  it('NOT_LEADER_OR_FOLLOWER refreshes metadata before resending', () => {
    const { s, produced } = ready(DEFAULT_CONFIG, ['a']);
    on(s, answer(produced[0] as Produce, 'NOT_LEADER_OR_FOLLOWER'));
    expect(messages('Metadata')).toHaveLength(1);
    expect(messages('Produce')).toEqual([]);
  });
});

describe('producer: idempotence off', () => {
  const config: ClusterConfig = { ...DEFAULT_CONFIG, 'enable.idempotence': false };

  it('sends without producer id or sequence, and resends after a timeout (a duplicate is possible)', () => {
    let { s, produced } = ready(config, ['a']);
    expect(produced[0]?.records).toMatchObject({ producerId: -1, baseSequence: -1 });
    s = on(s, { type: 'RequestTimeout', topic: 't', partition: 0, correlationId: (produced[0] as Produce).correlationId, nowMs: 30000 });
    const metadata = messages('Metadata')[0];
    s = on(s, { type: 'MetadataResponse', from: 'broker-0', correlationId: metadata?.correlationId ?? -1, topic: 't', partition: 0, errorCode: 'NONE', leaderId: 0, leaderEpoch: 1, nowMs: 30000 });
    on(s, { type: 'RetryTimer', topic: 't', partition: 0, nowMs: 30100 });
    expect(messages('Produce')[0]?.records).toMatchObject({ producerId: -1, baseSequence: -1, records: [{ value: 'a' }] });
  });

  it('acks=0: the outcome is never known (info at once)', () => {
    const { produced } = ready({ ...config, acks: 0 }, ['a']);
    expect(produced).toHaveLength(1);
    expect(client()).toMatchObject([{ type: 'info', error: 'acks=0' }]);
  });
});

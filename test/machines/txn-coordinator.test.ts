import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ClusterConfig } from '../../src/protocol/config.ts';
import type { LogBatch } from '../../src/protocol/log.ts';
import { TRANSACTION_STATE_TOPIC } from '../../src/protocol/txn-messages.ts';
import { emptyPersisted } from '../../src/machines/replica.ts';
import { start, step } from '../../src/machines/step.ts';
import {
  MAX_EPOCH,
  type TxnMetadata,
  decodeTxnMetadata,
  encodeTxnMetadata,
  findTxn,
  loadTxnLog,
  producerIdBase,
  txnCoordinatorMachine,
} from '../../src/machines/txn-coordinator.ts';
import { TRANSACTION_STATES, type TransactionState, type TransactionVersion, txnOutcome } from '../../src/machines/txn-state.ts';
import { TxnWorld } from './txn-world.ts';

const TV2: ClusterConfig = { ...DEFAULT_CONFIG };
const TV1: ClusterConfig = { ...DEFAULT_CONFIG, 'transaction.version': 1 };
const C = 'client';
const B0 = 'broker-0';
const TXN = 'tx-1';

function init(w: TxnWorld, producerId = -1, producerEpoch = -1, from = C, correlationId = 1) {
  w.send(from, B0, { type: 'InitProducerId', correlationId, transactionalId: TXN, transactionTimeoutMs: 60000, producerId, producerEpoch });
  w.run();
  return w.take('InitProducerIdResponse', from);
}

function addPartition(w: TxnWorld, producerId: number, producerEpoch: number, from = C, correlationId = 2) {
  w.send(from, B0, { type: 'AddPartitionsToTxn', correlationId, transactionalId: TXN, producerId, producerEpoch, verifyOnly: false, partitions: [{ topic: 't', partition: 0 }] });
  w.run();
  return w.take('AddPartitionsToTxnResponse', from);
}

function produce(w: TxnWorld, producerId: number, producerEpoch: number, value: string, from = C, correlationId = 3) {
  w.send(from, 'broker-1', {
    type: 'Produce', correlationId, topic: 't', partition: 0, transactionalId: TXN, acks: -1, timeoutMs: 30000,
    records: { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: -1, producerId, producerEpoch, baseSequence: 0, isTransactional: true, isControl: false, records: [{ key: null, value }] },
  });
  w.run();
  return w.take('ProduceResponse', from);
}

function endTxn(w: TxnWorld, producerId: number, producerEpoch: number, committed: boolean, from = C, correlationId = 4) {
  w.send(from, B0, { type: 'EndTxn', correlationId, transactionalId: TXN, producerId, producerEpoch, committed });
  w.run();
  return w.take('EndTxnResponse', from);
}

function state(w: TxnWorld): TxnMetadata {
  const m = findTxn(w.coordinator(), TXN);
  if (m === undefined) throw new Error('no metadata');
  return m;
}

function world(config: ClusterConfig): TxnWorld {
  const w = new TxnWorld(config);
  w.elect(0);
  return w;
}

describe('a transaction end to end', () => {
  it('TV2: init, add, produce (verified), commit: markers with the bumped epoch, CompleteCommit, LSO released', () => {
    const w = world(TV2);
    const [r] = init(w);
    expect(r).toMatchObject({ errorCode: 'NONE', producerId: producerIdBase(0, 0), producerEpoch: 0 });
    const pid = r!.producerId;
    expect(addPartition(w, pid, 0)[0]?.errorCode).toBe('NONE');
    expect(state(w)).toMatchObject({ state: 'Ongoing', partitions: [{ topic: 't', partition: 0 }] });
    expect(produce(w, pid, 0, 'a')[0]?.errorCode).toBe('NONE');
    expect(w.partition().lastStableOffset).toBe(0);
    const [end] = endTxn(w, pid, 0, true);
    expect(end).toMatchObject({ errorCode: 'NONE', producerId: pid, producerEpoch: 1 });
    expect(state(w)).toMatchObject({ state: 'CompleteCommit', producerEpoch: 1, partitions: [] });
    expect(w.partition().markers()).toEqual([`COMMIT:${pid}/1@0`]);
    expect(w.partition().lastStableOffset).toBe(2);
    // Every state change went through the replicated log first.
    expect(loadTxnLog(w.txnLog()).map((m) => m.state)).toEqual(['CompleteCommit']);
    expect(w.txnLog().map((b) => decodeTxnMetadata(TXN, b.records[0]!.value).state)).toEqual([
      'Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit',
    ]);
  });

  it('TV1: the epoch stays; a retried commit answers NONE', () => {
    const w = world(TV1);
    const pid = init(w)[0]!.producerId;
    addPartition(w, pid, 0);
    produce(w, pid, 0, 'a');
    expect(endTxn(w, pid, 0, true)[0]).toMatchObject({ errorCode: 'NONE', producerId: -1, producerEpoch: -1 });
    expect(w.partition().markers()).toEqual([`COMMIT:${pid}/0@0`]);
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('NONE');
    expect(endTxn(w, pid, 0, false)[0]?.errorCode).toBe('INVALID_TXN_STATE');
  });

  it('TV2: a retried EndTxn (previous epoch) gets NONE and the new epoch; an abort of nothing bumps the epoch', () => {
    const w = world(TV2);
    const pid = init(w)[0]!.producerId;
    addPartition(w, pid, 0);
    endTxn(w, pid, 0, true);
    expect(endTxn(w, pid, 0, true)[0]).toMatchObject({ errorCode: 'NONE', producerEpoch: 1 });
    expect(endTxn(w, pid, 1, true)[0]?.errorCode).toBe('INVALID_TXN_STATE');
    expect(endTxn(w, pid, 1, false)[0]).toMatchObject({ errorCode: 'NONE', producerEpoch: 2 });
    expect(state(w)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 2 });
  });
});

describe('errors', () => {
  it('INVALID_PRODUCER_ID_MAPPING: unknown transactional id, or another producer id', () => {
    const w = world(TV2);
    expect(addPartition(w, 5, 0)[0]?.errorCode).toBe('INVALID_PRODUCER_ID_MAPPING');
    const pid = init(w)[0]!.producerId;
    expect(addPartition(w, pid + 1, 0)[0]?.errorCode).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(endTxn(w, pid + 1, 0, true)[0]?.errorCode).toBe('INVALID_PRODUCER_ID_MAPPING');
  });

  it('PRODUCER_FENCED: a request with an epoch other than the current one', () => {
    const w = world(TV2);
    const pid = init(w)[0]!.producerId;
    expect(init(w)[0]).toMatchObject({ errorCode: 'NONE', producerId: pid, producerEpoch: 1 });
    expect(addPartition(w, pid, 0)[0]?.errorCode).toBe('PRODUCER_FENCED');
    expect(init(w, pid, 0)[0]?.errorCode).toBe('PRODUCER_FENCED');
    expect(init(w, pid, 1)[0]).toMatchObject({ errorCode: 'NONE', producerEpoch: 2 });
  });

  it('CONCURRENT_TRANSACTIONS while markers are being written, and while a log write is in flight', () => {
    const w = world(TV2);
    const pid = init(w)[0]!.producerId;
    addPartition(w, pid, 0);
    w.holdIf = (e) => e.message.type === 'WriteTxnMarkers';
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('NONE');
    expect(state(w).state).toBe('PrepareCommit');
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('CONCURRENT_TRANSACTIONS'); // TV2 retry while completing
    expect(init(w, pid, 1)[0]?.errorCode).toBe('CONCURRENT_TRANSACTIONS');
    expect(addPartition(w, pid, 1)[0]?.errorCode).toBe('CONCURRENT_TRANSACTIONS');
    w.release();
    expect(state(w).state).toBe('CompleteCommit');
    // A write in flight: hold the coordinator's Produce to its log.
    w.holdIf = (e) => e.message.type === 'Produce' && (e.message as { topic: string }).topic === TRANSACTION_STATE_TOPIC;
    w.send(C, B0, { type: 'AddPartitionsToTxn', correlationId: 9, transactionalId: TXN, producerId: pid, producerEpoch: 1, verifyOnly: false, partitions: [{ topic: 't', partition: 0 }] });
    w.run();
    expect(addPartition(w, pid, 1)[0]?.errorCode).toBe('CONCURRENT_TRANSACTIONS');
    w.release();
    expect(w.take('AddPartitionsToTxnResponse')[0]?.errorCode).toBe('NONE');
  });

  it('INVALID_TXN_STATE: commit with no transaction open; a produce to a partition not in the transaction (KIP-890 part 1)', () => {
    const w = world(TV2);
    const pid = init(w)[0]!.producerId;
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('INVALID_TXN_STATE');
    expect(produce(w, pid, 0, 'not-added')[0]?.errorCode).toBe('INVALID_TXN_STATE');
    expect(w.partition().log).toEqual([]);
  });

  it('NOT_COORDINATOR before election, for ids of other partitions, and after resignation', () => {
    const w = new TxnWorld(TV2);
    expect(init(w)[0]?.errorCode).toBe('NOT_COORDINATOR');
    w.elect(0);
    expect(init(w)[0]?.errorCode).toBe('NONE');
    w.dispatch('txn-coordinator', { type: 'TxnCoordinatorResigned', coordinatorEpoch: 0 });
    expect(init(w)[0]?.errorCode).toBe('NOT_COORDINATOR');
    w.send(C, B0, { type: 'FindCoordinator', correlationId: 5, key: TXN, keyType: 1 });
    w.run();
    expect(w.take('FindCoordinatorResponse')[0]).toMatchObject({ errorCode: 'NOT_COORDINATOR', nodeId: -1 });
    w.elect(1);
    w.send(C, B0, { type: 'FindCoordinator', correlationId: 6, key: TXN, keyType: 1 });
    w.run();
    expect(w.take('FindCoordinatorResponse')[0]).toMatchObject({ errorCode: 'NONE', nodeId: 0 });
  });
});

describe('fencing and epochs', () => {
  it('PrepareEpochFence: InitProducerId with a transaction open bumps the epoch, aborts it, answers CONCURRENT_TRANSACTIONS; the retry bumps again', () => {
    const w = world(TV1);
    const pid = init(w)[0]!.producerId;
    addPartition(w, pid, 0);
    produce(w, pid, 0, 'zombie-data');
    w.holdIf = (e) => e.message.type === 'Produce' && (e.message as { topic: string }).topic === TRANSACTION_STATE_TOPIC;
    const [fenced] = init(w, -1, -1, 'new-instance');
    expect(fenced?.errorCode).toBe('CONCURRENT_TRANSACTIONS');
    expect(state(w)).toMatchObject({ state: 'PrepareEpochFence', producerEpoch: 1 });
    w.holdIf = null;
    w.release();
    expect(state(w)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(w.partition().markers()).toEqual([`ABORT:${pid}/1@0`]);
    expect(init(w, -1, -1, 'new-instance')[0]).toMatchObject({ errorCode: 'NONE', producerEpoch: 2 });
    // The zombie: fenced at the coordinator and at the partition.
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('PRODUCER_FENCED');
    expect(produce(w, pid, 0, 'late')[0]?.errorCode).toBe('INVALID_PRODUCER_EPOCH');
    expect(w.partition().values()).toEqual(['zombie-data']);
  });

  it('epoch exhaustion: InitProducerId at epoch 32766 rotates to a new producer id at epoch 0', () => {
    const w = new TxnWorld(TV1);
    const seeded: TxnMetadata = {
      transactionalId: TXN, producerId: 4242, previousProducerId: -1, nextProducerId: -1, producerEpoch: MAX_EPOCH - 1,
      lastProducerEpoch: -1, txnTimeoutMs: 60000, state: 'CompleteCommit', partitions: [], txnStartTimestamp: 0,
      txnLastUpdateTimestamp: 0, clientTransactionVersion: 1,
    };
    w.dispatch('txn-coordinator', { type: 'TxnCoordinatorElected', coordinatorEpoch: 3, log: [txnRecord(seeded)] });
    const [r] = init(w, 4242, MAX_EPOCH - 1);
    expect(r).toMatchObject({ errorCode: 'NONE', producerId: producerIdBase(0, 0), producerEpoch: 0 });
    expect(state(w)).toMatchObject({ previousProducerId: 4242, state: 'Empty' });
    // One below exhaustion: a plain bump.
    const w2 = new TxnWorld(TV1);
    w2.dispatch('txn-coordinator', { type: 'TxnCoordinatorElected', coordinatorEpoch: 3, log: [txnRecord({ ...seeded, producerEpoch: MAX_EPOCH - 2 })] });
    expect(init(w2, 4242, MAX_EPOCH - 2)[0]).toMatchObject({ producerId: 4242, producerEpoch: MAX_EPOCH - 1 });
  });

  it('TV2 epoch exhaustion at EndTxn: the markers carry 32767, the client continues with the next producer id', () => {
    const w = new TxnWorld(TV2);
    const seeded: TxnMetadata = {
      transactionalId: TXN, producerId: 4242, previousProducerId: -1, nextProducerId: -1, producerEpoch: MAX_EPOCH - 1,
      lastProducerEpoch: -1, txnTimeoutMs: 60000, state: 'Ongoing', partitions: [{ topic: 't', partition: 0 }], txnStartTimestamp: 0,
      txnLastUpdateTimestamp: 0, clientTransactionVersion: 2,
    };
    w.dispatch('txn-coordinator', { type: 'TxnCoordinatorElected', coordinatorEpoch: 3, log: [txnRecord(seeded)] });
    const [r] = endTxn(w, 4242, MAX_EPOCH - 1, true);
    expect(r).toMatchObject({ errorCode: 'NONE', producerId: producerIdBase(0, 0), producerEpoch: 0 });
    expect(w.partition().markers()).toEqual([`COMMIT:4242/${MAX_EPOCH}@3`]);
    expect(state(w)).toMatchObject({ state: 'CompleteCommit', producerId: producerIdBase(0, 0), producerEpoch: 0, previousProducerId: 4242 });
  });

  it('transaction.timeout.ms: an expired Ongoing transaction is fenced and aborted by the periodic check', () => {
    const w = world(TV1);
    const pid = init(w)[0]!.producerId;
    addPartition(w, pid, 0);
    produce(w, pid, 0, 'slow');
    w.advance(60000);
    expect(state(w).state).toBe('Ongoing'); // start + timeout is not yet < now
    w.advance(10000);
    expect(state(w)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(w.partition().markers()).toEqual([`ABORT:${pid}/1@0`]);
    expect(w.partition().lastStableOffset).toBe(2);
    expect(endTxn(w, pid, 0, true)[0]?.errorCode).toBe('PRODUCER_FENCED');
  });
});

describe('failover: reload from __transaction_state', () => {
  for (const committed of [true, false]) {
    it(`a coordinator that dies in Prepare${committed ? 'Commit' : 'Abort'} with markers lost: the next one resumes them with its epoch`, () => {
      const w = world(TV2);
      const pid = init(w)[0]!.producerId;
      addPartition(w, pid, 0);
      produce(w, pid, 0, 'x');
      w.holdIf = (e) => e.message.type === 'WriteTxnMarkers';
      expect(endTxn(w, pid, 0, committed)[0]?.errorCode).toBe('NONE');
      expect(w.drop(() => true)).toBe(1); // the markers are lost with the old coordinator
      w.holdIf = null;
      // Restart the coordinator process: a fresh machine, elected in a newer epoch.
      w.boot('txn-coordinator', txnCoordinatorMachine, { config: TV2, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [1] });
      expect(findTxn(w.coordinator(), TXN)).toBeUndefined();
      w.elect(1);
      w.run();
      const type = committed ? 'COMMIT' : 'ABORT';
      expect(w.partition().markers()).toEqual([`${type}:${pid}/1@1`]);
      expect(state(w).state).toBe(committed ? 'CompleteCommit' : 'CompleteAbort');
      // The old coordinator's marker, delivered late, is fenced by the coordinator epoch.
      w.send('old-coordinator', 'broker-1', { type: 'WriteTxnMarkers', correlationId: 99, topic: 't', partition: 0, producerId: pid, producerEpoch: 1, transactionResult: committed, coordinatorEpoch: 0, transactionVersion: 2 });
      w.holdIf = null;
      w.run();
      expect(w.take('WriteTxnMarkersResponse')[0]?.errorCode).toBe('TRANSACTION_COORDINATOR_FENCED');
    });
  }

  it('a reload continues producer ids after the largest in the log', () => {
    const w = world(TV2);
    init(w);
    const coordinator = start(txnCoordinatorMachine, { config: TV2, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [1] });
    const elected = step(txnCoordinatorMachine, coordinator.snapshot, { type: 'TxnCoordinatorElected', nowMs: 0, coordinatorEpoch: 1, log: w.txnLog() });
    expect(elected.snapshot.context.volatile.nextProducerId).toBe(producerIdBase(0, 0) + 1);
  });

  it('the metadata codec round-trips every state', () => {
    for (const s of TRANSACTION_STATES) {
      const m: TxnMetadata = { ...baseMeta('Empty', 2), state: s, partitions: [{ topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }] };
      expect(decodeTxnMetadata(TXN, encodeTxnMetadata(m))).toEqual(m);
    }
    expect(() => decodeTxnMetadata(TXN, '{"producerId":"x"}')).toThrow(/record for tx-1/);
  });
});

function baseMeta(s: TransactionState, version: TransactionVersion): TxnMetadata {
  return {
    transactionalId: TXN, producerId: 4242, previousProducerId: -1, nextProducerId: -1, producerEpoch: 5, lastProducerEpoch: -1,
    txnTimeoutMs: 60000, state: s, partitions: s === 'Empty' || s.startsWith('Complete') ? [] : [{ topic: 't', partition: 0 }],
    txnStartTimestamp: 0, txnLastUpdateTimestamp: 0, clientTransactionVersion: version,
  };
}

function txnRecord(m: TxnMetadata): LogBatch {
  return { baseOffset: 0, lastOffset: 0, partitionLeaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, records: [{ key: m.transactionalId, value: encodeTxnMetadata(m) }] };
}

/**
 * The machine against the table: in every state (loaded from a log record) and for every
 * client request with the current producer id and epoch, the coordinator's immediate
 * answer, or the state of the first record it writes, is the table's outcome.
 */
describe('exhaustive: coordinator x TransactionState table', () => {
  const requests = ['InitProducerId', 'AddPartitionsToTxn', 'EndTxn(commit)', 'EndTxn(abort)'] as const;
  for (const version of [1, 2] as const) {
    it(`TV${version}: 8 states x 4 requests`, () => {
      const config = version === 1 ? TV1 : TV2;
      let checked = 0;
      for (const s of TRANSACTION_STATES) {
        for (const request of requests) {
          const first = start(txnCoordinatorMachine, { config, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [1] });
          const loaded = step(txnCoordinatorMachine, first.snapshot, { type: 'TxnCoordinatorElected', nowMs: 0, coordinatorEpoch: 0, log: [txnRecord(baseMeta(s, version))] });
          const message = requestFor(request);
          const { effects } = step(txnCoordinatorMachine, loaded.snapshot, { ...message, nowMs: 1 } as never);
          const sends = effects.filter((e) => e.type === 'send').map((e) => (e as { message: any }).message);
          const response = sends.find((m) => m.type.endsWith('Response'));
          const write = sends.find((m) => m.type === 'Produce');
          const outcome = txnOutcome(request, s, version);
          const label = `${request} in ${s}`;
          if (outcome.kind === 'transit') {
            expect(write, label).toBeDefined();
            const written = decodeTxnMetadata(TXN, write.records.records[0].value).state;
            expect(written, label).toBe(outcome.path.at(-1));
            if (outcome.errorCode !== 'NONE') expect(response?.errorCode, label).toBe(outcome.errorCode);
            else expect(response, label).toBeUndefined(); // answered once the write lands
          } else {
            expect(write, label).toBeUndefined();
            expect(response?.errorCode, label).toBe(outcome.kind === 'reply' ? outcome.errorCode : 'INVALID_TXN_STATE');
          }
          checked++;
        }
      }
      expect(checked).toBe(32);
    });
  }

  function requestFor(request: (typeof requests)[number]) {
    const base = { from: C, correlationId: 7, transactionalId: TXN, producerId: 4242, producerEpoch: 5 };
    switch (request) {
      case 'InitProducerId':
        return { ...base, type: 'InitProducerId', transactionTimeoutMs: 60000 };
      case 'AddPartitionsToTxn':
        return { ...base, type: 'AddPartitionsToTxn', verifyOnly: false, partitions: [{ topic: 'u', partition: 0 }] };
      case 'EndTxn(commit)':
        return { ...base, type: 'EndTxn', committed: true };
      case 'EndTxn(abort)':
        return { ...base, type: 'EndTxn', committed: false };
    }
  }

  it('a coordinator with no log write pending never writes for a fenced request (PRODUCER_FENCED, INVALID_PRODUCER_ID_MAPPING)', () => {
    const first = start(txnCoordinatorMachine, { config: TV2, brokerId: 0, txnLogPartition: 0, txnLogPartitions: 1, offsetsTopicPartitions: 1, bootstrapBrokers: [1] });
    const loaded = step(txnCoordinatorMachine, first.snapshot, { type: 'TxnCoordinatorElected', nowMs: 0, coordinatorEpoch: 0, log: [txnRecord(baseMeta('Ongoing', 2))] });
    for (const [producerId, producerEpoch, expected] of [[4242, 4, 'PRODUCER_FENCED'], [4243, 5, 'INVALID_PRODUCER_ID_MAPPING']] as const) {
      const { effects } = step(txnCoordinatorMachine, loaded.snapshot, { type: 'EndTxn', from: C, correlationId: 1, nowMs: 1, transactionalId: TXN, producerId, producerEpoch, committed: true });
      expect(effects.map((e) => (e.type === 'send' ? e.message.type : e.type))).toEqual(['EndTxnResponse']);
      expect((effects[0] as { message: { errorCode: string } }).message.errorCode).toBe(expected);
    }
  });
});

void emptyPersisted;

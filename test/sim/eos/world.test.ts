/**
 * The exactly-once world end to end (src/sim/eos): routing to the machines of a broker, a
 * fault-free pipeline, a zombie worker fenced, a transaction aborted after a coordinator
 * failover, and the read_uncommitted twin of the same history.
 */
import { describe, expect, it } from 'vitest';
import { EOS_BASELINE, EOS_FAULTS } from '../../../src/sim/eos/matrix.ts';
import { runEosHistory } from '../../../src/sim/eos/runner.ts';
import { parseEosScenario, eosScenarioToString } from '../../../src/sim/eos/scenario.ts';
import { brokerSlotOf, GROUP_COORDINATOR, LIFECYCLE, TXN_COORDINATOR } from '../../../src/sim/eos/world.ts';
import type { ProtocolMessage } from '../../../src/protocol/messages.ts';
import type { ClusterConfig } from '../../../src/protocol/config.ts';
import { outputBase } from '../../../src/sim/eos/topology.ts';

function run(steps: string, config: Partial<ClusterConfig> = {}) {
  return runEosHistory(parseEosScenario(steps), { config: { ...EOS_BASELINE, ...config }, budget: EOS_FAULTS });
}

const m = (x: Record<string, unknown>) => x as unknown as ProtocolMessage;

describe('eos world: routing a message to a broker\'s machine', () => {
  it('group requests to the group coordinator, transaction requests to the transaction coordinator, partition requests to the replica', () => {
    expect(brokerSlotOf(m({ type: 'TxnOffsetCommit', topic: 'input', partition: 0 }))).toBe(GROUP_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'OffsetFetch', topic: 'input', partition: 1 }))).toBe(GROUP_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'FindCoordinator', keyType: 0 }))).toBe(GROUP_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'FindCoordinator', keyType: 1 }))).toBe(TXN_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'EndTxn' }))).toBe(TXN_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'WriteTxnMarkersResponse', topic: 'output', partition: 0 }))).toBe(TXN_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'ProduceResponse', topic: '__transaction_state', partition: 0 }))).toBe(TXN_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'ProduceResponse', topic: '__consumer_offsets', partition: 0 }))).toBe(GROUP_COORDINATOR);
    expect(brokerSlotOf(m({ type: 'WriteTxnMarkers', topic: 'output', partition: 1 }))).toBe('output-1');
    expect(brokerSlotOf(m({ type: 'AddPartitionsToTxnResponse', results: [{ topic: 'output', partition: 0 }] }))).toBe('output-0');
    expect(brokerSlotOf(m({ type: 'Fetch', topic: '__consumer_offsets', partition: 0 }))).toBe('__consumer_offsets-0');
    expect(brokerSlotOf(m({ type: 'BrokerHeartbeatResponse' }))).toBe(LIFECYCLE);
  });
});

describe('eos world: the pipeline', () => {
  it('without faults, every input\'s output is read exactly once downstream, through committed transactions', () => {
    const r = run('send; send; send; send; run(800 ms, seed 1)');
    expect(r.violations).toEqual([]);
    expect(r.quiescent).toBe(true);
    expect(r.ledger.verifierReads().map((x) => outputBase(x.value)).sort()).toEqual(['out-0', 'out-1', 'out-2', 'out-3']);
    expect(r.ledger.events.commits).toBeGreaterThan(0);
    expect(r.ledger.events.aborts).toBe(0);
    // Every history also records what the clients saw, in the history contract's shape.
    expect(r.world.history.events.some((e) => e.f === 'txn' && e.type === 'ok')).toBe(true);
  });

  it('a paused worker replaced by a new instance is fenced when it resumes (zombie-fenced), and exactly-once holds', () => {
    const steps = 'send; send; run(300 ms, seed 2); pause(worker-0); replace(worker-0); send; send; run(1500 ms, seed 3); resume(worker-0); run(500 ms, seed 4)';
    const r = run(steps);
    expect(eosScenarioToString(parseEosScenario(steps))).toBe(steps);
    expect(r.violations).toEqual([]);
    expect(r.reached.has('zombie-fenced')).toBe(true);
  });

  it('an aborted transaction is processed again; a coordinator failover aborts what the old coordinator left open', () => {
    const r = run('send; send; abort(worker-0); abort(worker-1); run(200 ms, seed 5); send; send; run(30 ms, seed 6); crash(txn-coordinator); run(1500 ms, seed 7)');
    expect(r.violations).toEqual([]);
    expect(r.ledger.events.aborts).toBeGreaterThan(0);
    expect(r.ledger.verifierReads().map((x) => outputBase(x.value)).sort()).toEqual(['out-0', 'out-1', 'out-2', 'out-3']);
  });

  it('twin: the same history read downstream with read_uncommitted returns records of still-open transactions', () => {
    const r = run('send; send; abort(worker-0); abort(worker-1); run(200 ms, seed 5); send; send; run(30 ms, seed 6); crash(txn-coordinator); run(1500 ms, seed 7)', { 'isolation.level': 'read_uncommitted' });
    expect(r.violations.map((v) => v.invariant)).toEqual(['no-read-past-lso']);
  });
});

/**
 * Transactions explorer counterexamples replayed in the exactly-once simulator
 * (src/sim/eos/trace-driver.ts): the pinned traces (test/model/explore/fixtures/txn-*.json,
 * written by `kafka-oracle explore --model transactions ... --trace FILE`) violate, in the
 * simulator, the invariant the explorer-world replay finds, at the same step, over the
 * real segment-file storage and the simulator's network and clock; the simulator takes the
 * explorer's path message for message (no text differs) and ends in the explorer's state.
 * Their twins (today's protocol: no variant, transaction.version 2) go as the explorer's own
 * replay goes. Corrupted traces stop with one line naming the step. A coordinator failover
 * replays, except where a step needs a message the simulator lost with the dead
 * coordinator's connections. Random explorer walks with every fault replay into the
 * explorer's final state, with the explorer's verdict.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src/core/prng.ts';
import type { ReplicaContext } from '../../../src/machines/replica.ts';
import type { TxnCoordinatorContext } from '../../../src/machines/txn-coordinator.ts';
import type { TxnProducerContext } from '../../../src/machines/txn-producer.ts';
import type { LogBatch } from '../../../src/protocol/log.ts';
import { type TxnSimReplayOutcome, replayTxnTraceInSim } from '../../../src/sim/eos/trace-driver.ts';
import { type TxnTraceFile, txnTraceBounds } from '../../../src/sim/eos/trace-file.ts';
import { TXN_COORDINATOR } from '../../../src/sim/eos/world.ts';
import { DEFAULT_TRANSACTIONS_BOUNDS, type TransactionsBounds, type TransactionsProtocol, TODAY, transactionsModel } from '../../../model/explore/models/transactions.ts';
import { replaySteps } from '../../../model/explore/replay.ts';
import { type TxnAction, coordinatorContext, producerContext, replicaContext } from '../../../model/explore/txn/actions.ts';
import { NO_TXN_FAULTS, type TxnBudget, type TxnWorld } from '../../../model/explore/txn/world.ts';

const FIXTURES = 'test/model/explore/fixtures';
const NO_ZOMBIE_FENCING = `${FIXTURES}/txn-no-zombie-fencing.json`;
const TV1_LATE_MESSAGE = `${FIXTURES}/txn-tv1-late-message.json`;
const TV1_DELAYED_MARKER = `${FIXTURES}/txn-tv1-delayed-marker.json`;
const TV1_NO_VERIFICATION = `${FIXTURES}/txn-tv1-no-partition-verification.json`;

function read(file: string): TxnTraceFile {
  return JSON.parse(readFileSync(file, 'utf8')) as TxnTraceFile;
}

function protocolOf(trace: TxnTraceFile): TransactionsProtocol {
  return { variant: trace.variant, transactionVersion: trace.transactionVersion };
}

/** The same trace in the explorer's world (what `replay --trace FILE` does). */
function inExplorer(trace: TxnTraceFile, file: string): ReturnType<typeof replaySteps<TxnWorld, TxnAction>> {
  return replaySteps(transactionsModel(txnTraceBounds(trace), protocolOf(trace)), trace.steps, file);
}

/** A marker as its control record's key, a data batch as its values; with the producer epoch. */
function logText(log: readonly LogBatch[]): string[] {
  return log.map((b) => `${b.isControl ? (b.records[0]?.key ?? '?') : b.records.map((r) => r.value).join(',')}/e${b.producerEpoch}`);
}

/** What the transactions invariants read: the partitions' logs and HWs, the producers' phases and epochs, the coordinator's transactions. */
interface TxnState {
  readonly partitions: readonly { log: string[]; hw: number }[];
  readonly producers: readonly string[];
  readonly coordinator: readonly string[];
}

function coordinatorText(c: TxnCoordinatorContext): string[] {
  return c.volatile.txns.map((t) => `${t.transactionalId} ${t.producerId}/e${t.producerEpoch} ${t.state}`);
}

function explorerState(world: TxnWorld): TxnState {
  return {
    partitions: world.partitions.map((_, p) => ({ log: logText(replicaContext(world, p).persisted.log), hw: replicaContext(world, p).volatile.highWatermark })),
    producers: world.producers.map((_, i) => `${producerContext(world, i).phase} ${producerContext(world, i).producerId}/e${producerContext(world, i).producerEpoch}`),
    coordinator: coordinatorText(coordinatorContext(world)),
  };
}

function simState(sim: TxnSimReplayOutcome, bounds: TransactionsBounds): TxnState {
  const replica = (p: number): ReplicaContext => sim.world.hostedAt(`broker-${p + 1}`, `output-${p}`)?.context as ReplicaContext;
  const producer = (i: number): TxnProducerContext => sim.world.clients.get(i === 0 ? 'producer-a' : 'producer-b')?.context as TxnProducerContext;
  return {
    partitions: Array.from({ length: bounds.partitions }, (_, p) => ({ log: logText(replica(p).persisted.log), hw: replica(p).volatile.highWatermark })),
    producers: Array.from({ length: bounds.incarnations }, (_, i) => `${producer(i).phase} ${producer(i).producerId}/e${producer(i).producerEpoch}`),
    coordinator: coordinatorText(sim.world.hostedAt('broker-0', TXN_COORDINATOR)?.context as TxnCoordinatorContext),
  };
}

describe('the pinned transactions counterexamples reproduce in the simulator', () => {
  it.each([
    { file: NO_ZOMBIE_FENCING, invariant: 'zombie-write-invisible', step: 13, witness: 'read_committed returns a0.0 at output-0@0, written by the fenced producer-a after producer-b got its producer id (log end 0 then)' },
    { file: TV1_LATE_MESSAGE, invariant: 'aborted-transaction-invisible', step: 21, witness: 'read_committed returns a0.0 at output-0@1, of a transaction producer-a was told aborted' },
    { file: TV1_DELAYED_MARKER, invariant: 'open-transaction-invisible', step: 20, witness: 'read_committed returns a1.0 at output-0@2, of a transaction producer-a never asked to commit' },
    { file: TV1_NO_VERIFICATION, invariant: 'no-hanging-transaction', step: 11, witness: "output-0: producer 1000000's transaction from offset 1 is open, but no coordinator transaction will end it (a hanging transaction holds the LSO)" },
  ])('$file: $invariant at step $step, as in the explorer\'s world', ({ file, invariant, step, witness }) => {
    const trace = read(file);
    const sim = replayTxnTraceInSim(trace, file);
    const explorer = inExplorer(trace, file);
    expect(trace.invariant).toBe(invariant);
    expect(explorer.violation).toEqual({ invariant, step, witness });
    expect(sim.violation).toEqual({ invariant, step, witness, from: 'model/explore/txn' });
    expect(sim.violations).toEqual([sim.violation]);
    expect(sim.divergences).toEqual([]);
    expect(simState(sim, txnTraceBounds(trace))).toEqual(explorerState(explorer.final));
    expect(sim.lines[0]).toBe(`replay ${file} in the simulator: transactions | variant ${trace.variant ?? 'none'} | transaction.version ${trace.transactionVersion} | ${trace.steps.length} steps`);
    expect(sim.lines.at(-1)).toBe(`VIOLATED ${invariant} at step ${step} in the simulator: ${witness}`);
  });

  it('model/eos\'s always-invariants (the EOS rows\' judge) hold along the TV1 late message: its ideal reader did read a0.0, but a0.0 is committed, not filtered as aborted; only what the application was told shows the violation', () => {
    const sim = replayTxnTraceInSim(read(TV1_LATE_MESSAGE), 'tv1');
    expect(sim.violations.map((v) => v.invariant)).toEqual(['aborted-transaction-invisible']);
    expect(sim.ledger.verifierReads().map((r) => `${r.value}@${r.key}/${r.offset} step ${r.step}`)).toEqual(['a0.0@output-0/1 step 21', 'a1.0@output-0/2 step 21']);
    expect(sim.ledger.highestLso('output-0')).toBe(4);
  });
});

describe('twins: the same schedule under today\'s protocol (no variant, transaction.version 2)', () => {
  const twin = (file: string): TxnTraceFile => ({ ...read(file), variant: null, transactionVersion: 2 });

  it('no-zombie-fencing: stops at step 8 in both worlds. b\'s InitProducerId bumps the epoch, so a\'s AddPartitionsToTxn is answered PRODUCER_FENCED and a, fenced, never sends its Produce', () => {
    expect(() => replayTxnTraceInSim(twin(NO_ZOMBIE_FENCING), 'nzf-today')).toThrowError(
      'nzf-today: step 8 (deliver producer-a→broker-1 Produce output-0 [a0.0] pid 1000000 epoch 0 seq 0) does not apply in the simulator: nothing is in flight on producer-a→broker-1',
    );
    expect(() => inExplorer(twin(NO_ZOMBIE_FENCING), 'nzf-today')).toThrowError(/step 8 .* is not enabled in the replayed state/);
  });

  it('TV1\'s late message: stops at step 15 in both worlds. The ABORT marker carried the bumped epoch 1, so output-0 refuses the late Produce (epoch 0) at once, with no verification to ask the coordinator', () => {
    expect(() => replayTxnTraceInSim(twin(TV1_LATE_MESSAGE), 'late-today')).toThrowError(
      'late-today: step 15 (deliver broker-1→broker-0 AddPartitionsToTxn (verifyOnly) [output-0] epoch 0) does not apply in the simulator: nothing is in flight on broker-1→broker-0',
    );
    expect(() => inExplorer(twin(TV1_LATE_MESSAGE), 'late-today')).toThrowError(/step 15 .* is not enabled in the replayed state/);
  });

  it('TV1\'s delayed marker: every step applies and nothing is violated in either world; the epochs are bumped (the differences), and the late COMMIT marker (epoch 1, not above the next transaction\'s) is not written', () => {
    const sim = replayTxnTraceInSim(twin(TV1_DELAYED_MARKER), 'marker-today');
    const explorer = inExplorer(twin(TV1_DELAYED_MARKER), 'marker-today');
    expect(sim.violation).toBeUndefined();
    expect(explorer.violation).toBeUndefined();
    expect(sim.divergences).toEqual([
      "step 10: broker-0→producer-a EndTxnResponse NONE pid 1000000 epoch 1 (the trace's broker-0→producer-a EndTxnResponse NONE)",
      "step 13: broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 0 (the trace's broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 0 coordinatorEpoch 0)",
      "step 15: producer-a→broker-0 AddPartitionsToTxn [output-0] epoch 1 (the trace's producer-a→broker-0 AddPartitionsToTxn [output-0] epoch 0)",
      "step 17: producer-a→broker-1 Produce output-0 [a1.0] pid 1000000 epoch 1 seq 0 (the trace's producer-a→broker-1 Produce output-0 [a1.0] pid 1000000 epoch 0 seq 1)",
      "step 18: broker-1→broker-0 AddPartitionsToTxn (verifyOnly) [output-0] epoch 1 (the trace's broker-1→broker-0 AddPartitionsToTxn (verifyOnly) [output-0] epoch 0)",
      "step 20: broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 0 (the trace's broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 0 coordinatorEpoch 0)",
    ]);
    expect(simState(sim, txnTraceBounds(twin(TV1_DELAYED_MARKER)))).toEqual(explorerState(explorer.final));
    expect(simState(sim, txnTraceBounds(twin(TV1_DELAYED_MARKER))).partitions[0]?.log).toEqual(['a0.0/e0', 'COMMIT/e1', 'a1.0/e1']);
  });

  it('TV1 without partition verification: holds in both worlds; the late Produce (epoch 0) is refused INVALID_PRODUCER_EPOCH after the ABORT marker of epoch 1', () => {
    const sim = replayTxnTraceInSim(twin(TV1_NO_VERIFICATION), 'nv-today');
    expect(sim.violation).toBeUndefined();
    expect(inExplorer(twin(TV1_NO_VERIFICATION), 'nv-today').violation).toBeUndefined();
    expect(sim.divergences.at(-1)).toBe("step 11: broker-1→producer-a ProduceResponse output-0 INVALID_PRODUCER_EPOCH (the trace's broker-1→producer-a ProduceResponse output-0 NONE @1)");
  });
});

describe('a trace that does not apply stops with one line naming the step', () => {
  const changed = (file: string, change: (t: TxnTraceFile) => TxnTraceFile): TxnTraceFile => change(read(file));
  const swapped = (file: string, i: number, j: number): TxnTraceFile =>
    changed(file, (t) => {
      const steps = [...t.steps];
      [steps[i], steps[j]] = [steps[j] as TxnTraceFile['steps'][number], steps[i] as TxnTraceFile['steps'][number]];
      return { ...t, steps };
    });

  it('a step naming a message of another type than its link\'s head (the TV1 trace\'s two requests on producer-a→broker-0 swapped: EndTxn named where the AddPartitionsToTxn is)', () => {
    expect(() => replayTxnTraceInSim(swapped(TV1_LATE_MESSAGE, 11, 19), 'corrupt.json')).toThrowError(
      'corrupt.json: step 12 (deliver producer-a→broker-0 EndTxn commit epoch 0) does not apply in the simulator: the trace names producer-a→broker-0 EndTxn commit epoch 0, the simulator has producer-a→broker-0 AddPartitionsToTxn [output-0] epoch 0 there',
    );
  });

  it('a step delivering an answer before its request was delivered (steps 2 and 3 swapped)', () => {
    expect(() => replayTxnTraceInSim(swapped(TV1_LATE_MESSAGE, 1, 2), 'corrupt.json')).toThrowError(
      'corrupt.json: step 2 (deliver broker-0→producer-a AddPartitionsToTxnResponse NONE) does not apply in the simulator: nothing is in flight on broker-0→producer-a (answers)',
    );
  });

  it('an application call the producer\'s phase does not allow, a timer that is not pending, a fault beyond the budget', () => {
    const init = changed(NO_ZOMBIE_FENCING, (t) => ({ ...t, steps: [{ action: { kind: 'init', incarnation: 0 }, text: 'producer-a: initTransactions' }] }));
    expect(() => replayTxnTraceInSim(init, 'init.json')).toThrowError('init.json: step 1 (producer-a: initTransactions) does not apply in the simulator: producer-a is ready: initTransactions is a new incarnation\'s first call');
    const timer = changed(TV1_LATE_MESSAGE, (t) => ({ ...t, steps: [{ action: { kind: 'fire', node: 'producer-a', id: 'request/4' }, text: 'fire producer-a request/4' }] }));
    expect(() => replayTxnTraceInSim(timer, 'timer.json')).toThrowError('timer.json: step 1 (fire producer-a request/4) does not apply in the simulator: no timer request/4 is pending on producer-a');
    const budget = changed(TV1_LATE_MESSAGE, (t) => ({ ...t, bounds: { ...t.bounds, budget: { ...t.bounds.budget, timeouts: 0 } } }));
    expect(() => replayTxnTraceInSim(budget, 'budget.json')).toThrowError("budget.json: step 5 (fire producer-a request/4 (racing its answer)) does not apply in the simulator: the trace's timeouts budget (0) is spent");
  });

  it('a malformed trace is an input error naming the file (and the step)', () => {
    const bad = (change: (t: TxnTraceFile) => unknown): unknown => change(read(NO_ZOMBIE_FENCING));
    expect(() => replayTxnTraceInSim(bad((t) => ({ ...t, model: 'replication' })), 'x.json')).toThrowError("x.json: model must be 'transactions', not \"replication\"");
    expect(() => replayTxnTraceInSim(bad((t) => ({ ...t, transactionVersion: 3 })), 'x.json')).toThrowError('x.json: transactionVersion must be 1 or 2');
    expect(() => replayTxnTraceInSim(bad((t) => ({ ...t, bounds: { ...t.bounds, incarnations: 3 } })), 'x.json')).toThrowError('x.json: bounds.incarnations must be a whole number from 1 to 2, not 3');
    expect(() => replayTxnTraceInSim(bad((t) => ({ ...t, steps: [{ action: { kind: 'jump' }, text: 'jump' }] })), 'x.json')).toThrowError('x.json: step 1: unknown action kind "jump"');
    expect(() => replayTxnTraceInSim(bad((t) => ({ ...t, steps: [{ action: { kind: 'deliver', from: 'producer-a' }, text: 'deliver' }] })), 'x.json')).toThrowError('x.json: step 1: a deliver action needs to (a string), not undefined');
  });
});

/** A trace built on the explorer's model: at each step the first enabled action `pick` accepts. */
function built(bounds: TransactionsBounds, picks: readonly ((a: TxnAction, text: string) => boolean)[], protocol = TODAY): { trace: TxnTraceFile; final: TxnWorld } {
  const model = transactionsModel(bounds, protocol);
  let world = model.initial;
  const steps = picks.map((pick, i) => {
    const action = model.actions(world).find((a) => pick(a, model.describe(a, world)));
    if (action === undefined) throw new Error(`step ${i + 1}: no such action enabled: ${model.actions(world).map((a) => model.describe(a, world)).join(' | ')}`);
    const text = model.describe(action, world);
    world = model.next(world, action) as TxnWorld;
    return { action, text };
  });
  return { trace: { model: 'transactions', ...protocol, bounds, invariant: 'none', steps }, final: world };
}

function bounded(change: Partial<Omit<TransactionsBounds, 'budget'>>, budget: Partial<TxnBudget>): TransactionsBounds {
  return { ...DEFAULT_TRANSACTIONS_BOUNDS, ...change, budget: { ...NO_TXN_FAULTS, ...budget } };
}

/** The action whose step text starts with `text`. */
const named =
  (text: string) =>
  (_: TxnAction, described: string): boolean =>
    described.startsWith(text);

/** A committed transaction up to its EndTxn: the coordinator is then PrepareCommit with a marker to send. */
const UP_TO_END_TXN = [
  named('producer-a: beginTransaction, send a0.0 to output-0'),
  named('producer-a: commitTransaction'),
  named('deliver producer-a→broker-0 AddPartitionsToTxn'),
  named('deliver broker-0→producer-a AddPartitionsToTxnResponse'),
  named('deliver producer-a→broker-1 Produce'),
  named('deliver broker-1→broker-0 AddPartitionsToTxn (verifyOnly)'),
  named('deliver broker-0→broker-1 AddPartitionsToTxnResponse'),
  named('deliver broker-1→producer-a ProduceResponse'),
  named('deliver producer-a→broker-0 EndTxn'),
];

describe('a coordinator failover: broker-0 crashes, the controller fences and re-elects it, its coordinator reloads __transaction_state', () => {
  const FAILOVER = bounded({ incarnations: 1, partitions: 1 }, { failovers: 1 });

  it('the next coordinator resumes the prepared commit: its marker (coordinator epoch 2 in the simulator, named 1 as the explorer counts) commits a0.0, as in the explorer', () => {
    const { trace, final } = built(FAILOVER, [...UP_TO_END_TXN, named('coordinator fails over'), named('deliver broker-0→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 1'), named('deliver broker-1→broker-0 WriteTxnMarkersResponse')]);
    const sim = replayTxnTraceInSim(trace, 'failover');
    expect(sim.divergences).toEqual([]);
    expect(sim.violation).toBeUndefined();
    expect(simState(sim, FAILOVER)).toEqual(explorerState(final));
    expect(simState(sim, FAILOVER).partitions[0]?.log).toEqual(['a0.0/e0', 'COMMIT/e1']);
    expect(sim.lines.some((l) => l.includes("broker-0's coordinator elected again in coordinator epoch 2, the explorer's 1"))).toBe(true);
  });

  it('refused: the dead coordinator\'s marker, which the explorer still delivers and the simulator lost with broker-0\'s connections', () => {
    const { trace } = built(FAILOVER, [...UP_TO_END_TXN, named('coordinator fails over'), named('deliver broker-0-dead→broker-1 WriteTxnMarkers')]);
    expect(() => replayTxnTraceInSim(trace, 'lost')).toThrowError(
      "lost: step 11 (deliver broker-0-dead→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 0) does not apply in the simulator: the explorer's head of broker-0-dead→broker-1 is broker-0-dead→broker-1 WriteTxnMarkers output-0 COMMIT pid 1000000 epoch 1 coordinatorEpoch 0, which the simulator lost when broker-0's coordinator failed over at step 10 (a crash resets a broker's connections; the explorer keeps what the dead coordinator had sent)",
    );
  });
});

describe('random explorer walks replay into the explorer\'s final state, with the explorer\'s verdict', () => {
  const WALKS = 40;
  const LENGTH = 40;
  const FAULTS: Partial<TxnBudget> = { drops: 1, duplicates: 1, reorders: 1, timeouts: 1 };

  /** `WALKS` walks of `LENGTH` steps (fewer where nothing is enabled), each step drawn from the enabled actions by one PRNG. */
  function walks(bounds: TransactionsBounds, protocol: TransactionsProtocol, seed: number): { trace: TxnTraceFile; final: TxnWorld }[] {
    const model = transactionsModel(bounds, protocol);
    const prng = new Prng(seed);
    return Array.from({ length: WALKS }, () => {
      let world = model.initial;
      const steps: { action: TxnAction; text: string }[] = [];
      for (let actions = model.actions(world); steps.length < LENGTH && actions.length > 0; actions = model.actions(world)) {
        const action = actions[prng.below(actions.length)] as TxnAction;
        steps.push({ action, text: model.describe(action, world) });
        world = model.next(world, action) as TxnWorld;
      }
      return { trace: { model: 'transactions', ...protocol, bounds, invariant: 'none', steps }, final: world };
    });
  }

  /** How a walk went in the simulator: replayed into the explorer's final state with its verdict, or refused (the reason, numbers elided). */
  function outcome({ trace, final }: { trace: TxnTraceFile; final: TxnWorld }, i: number): string {
    const explorer = inExplorer(trace, `walk-${i}`).violation;
    try {
      const sim = replayTxnTraceInSim(trace, `walk-${i}`);
      const same = sim.divergences.length === 0 && JSON.stringify(simState(sim, trace.bounds)) === JSON.stringify(explorerState(final));
      const verdict = (v: { invariant: string; step: number } | undefined): string => (v === undefined ? 'holds' : `${v.invariant} at step ${v.step}`);
      return `${same ? 'replayed' : 'DIFFERS'}: ${verdict(sim.violation)}${verdict(sim.violation) === verdict(explorer) ? '' : `, the explorer: ${verdict(explorer)}`}`;
    } catch (error) {
      return `refused: ${(error as Error).message.replace(/^.*does not apply in the simulator: /, '').replace(/\d+/g, 'N')}`;
    }
  }

  /** The action kinds the walks take, sorted. */
  function kinds(list: readonly { trace: TxnTraceFile }[]): string[] {
    return [...new Set(list.flatMap((w) => w.trace.steps.map((s) => s.action.kind)))].sort();
  }

  function tally(list: readonly string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const o of list) counts[o] = (counts[o] ?? 0) + 1;
    return counts;
  }

  it('today\'s protocol, two incarnations, two transactions each, one of each message fault and a racing timeout (seed 1): all 40 walks replay with the explorer\'s messages into its final state; none violates anything', () => {
    const list = walks(bounded({ transactions: 2 }, FAULTS), TODAY, 1);
    expect(tally(list.map(outcome))).toEqual({ 'replayed: holds': 40 });
    expect(kinds(list)).toEqual(['abort', 'commit', 'deliver', 'drop', 'duplicate', 'fire', 'init', 'reorder', 'send']);
  });

  it('with a coordinator failover too (seed 1): 29 of 40 walks replay into the explorer\'s final state; the 11 others are refused for an answer the failed-over coordinator had sent (which the simulator lost with its connections)', () => {
    const list = walks(bounded({ transactions: 2 }, { ...FAULTS, failovers: 1 }), TODAY, 1);
    const outcomes = list.map(outcome);
    const refused = outcomes.filter((o) => o !== 'replayed: holds');
    expect(outcomes.length - refused.length).toBe(29);
    expect(kinds(list.filter((_, i) => outcomes[i] === 'replayed: holds'))).toContain('failover');
    expect(refused).toHaveLength(11);
    for (const o of refused) expect(o).toMatch(/^refused: the explorer's (head of \S+ \(answers\)|#N) is broker-N→producer-[ab] \w+Response .*, which the simulator lost when broker-N's coordinator failed over at step N \(a crash resets a broker's connections; the explorer keeps what the dead coordinator had sent\)$/);
  });

  it('no-zombie-fencing (seed 2) and transaction.version 1 (one incarnation, one partition; seed 3): every walk replays into the explorer\'s final state with the explorer\'s verdict, three of them violating zombie-write-invisible at the explorer\'s step', () => {
    const zombie = walks(bounded({ transactions: 2 }, FAULTS), { variant: 'no-zombie-fencing', transactionVersion: 2 }, 2);
    const tv1 = walks(bounded({ transactions: 2, incarnations: 1, partitions: 1 }, FAULTS), { variant: null, transactionVersion: 1 }, 3);
    expect(tally([...zombie, ...tv1].map(outcome))).toEqual({
      'replayed: holds': 77,
      'replayed: zombie-write-invisible at step 31': 1,
      'replayed: zombie-write-invisible at step 32': 1,
      'replayed: zombie-write-invisible at step 34': 1,
    });
  });
});

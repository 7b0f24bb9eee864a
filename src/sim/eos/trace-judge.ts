/**
 * How trace replay judges the exactly-once simulator's states (trace-driver.ts), after every
 * machine step:
 *
 * 1. **model/eos's `always` invariants** on the simulator's view, by the EOS rows' own judge
 *    (runner.ts `judgeEosEveryStep`): `no-aborted-read`, `no-read-past-lso`,
 *    `no-fenced-epoch-write`, `lso-monotonic`. The pipeline's downstream verifier consumer
 *    is not there (the explorer has none); the explorer's ideal read_committed reader stands
 *    in for it: at every judged state it reads every output record below the LSO, recorded
 *    as the verifier's reads, so `no-aborted-read` judges whatever a read_committed
 *    consumer could have returned.
 * 2. **The transactions model's statements about what each application was told**
 *    (model/explore/txn/judge.ts: `aborted-transaction-invisible`,
 *    `open-transaction-invisible`, `committed-transaction-durable`, `no-partial-transaction`,
 *    `read-committed-exactly-once`, `zombie-write-invisible`, `no-hanging-transaction`, and
 *    model/eos's `transactions-atomic` at quiet states). The EOS rows judge these only after
 *    healing, through their pipeline's history and its consumers' reads; here the same code
 *    judges the simulator's machines at every state, through a `TxnWorld` built from them.
 *    Its ghost (the transactions begun and their values, what each application was told,
 *    the log ends when incarnation b got its producer id) comes from the trace's
 *    application steps and the producers' history events, as the explorer keeps it.
 */
import { assert } from '../../core/assert.ts';
import type { ClientEvent } from '../../protocol/client.ts';
import type { TransactionsBounds } from '../../../model/explore/models/transactions.ts';
import { TXN_INVARIANTS, firstTxnViolation, foldGhost } from '../../../model/explore/txn/judge.ts';
import { type Envelope, type GhostTxn, INCARNATION_NAMES, NO_TXN_FAULTS, type TxnGhost, type TxnWorld, COORDINATOR_NODE, TOPIC, incarnationOfNode, partitionNode, producerNode } from '../../../model/explore/txn/world.ts';
import type { Snapshot } from '../../../model/explore/world.ts';
import { EOS_INVARIANTS } from '../../../model/eos/invariants.ts';
import { EosLedger } from '../../../model/eos/ledger.ts';
import { type EosView, readCommitted } from '../../../model/eos/view.ts';
import type { ReplicaContext } from '../../machines/replica.ts';
import type { TxnCoordinatorContext } from '../../machines/txn-coordinator.ts';
import type { Violation } from '../runner.ts';
import { judgeEosEveryStep } from './runner.ts';
import { type EosWorld, TXN_COORDINATOR } from './world.ts';

export interface JudgedViolation {
  readonly invariant: string;
  readonly witness: string;
  /** The trace step (1-based; 0 the boot) it was seen in. */
  readonly step: number;
  /** Where the invariant is stated. */
  readonly from: 'model/eos' | 'model/explore/txn';
}

/** model/eos's always-invariants: judged by the EOS judge, not again through the explorer's adapter. */
const EOS_ALWAYS = new Set(EOS_INVARIANTS.filter((i) => i.kind === 'always').map((i) => i.name));

/** The explorer's statements judged on the simulator through the adapter. */
export const TXN_STATEMENTS: readonly string[] = TXN_INVARIANTS.filter((name) => !EOS_ALWAYS.has(name));

export class TxnTraceJudge {
  readonly ledger = new EosLedger();
  /** The first violation of each invariant, in the order found. */
  readonly violations: JudgedViolation[] = [];
  private ghost: TxnGhost;
  private readonly eos: { readonly violations: Violation[]; readonly judge: () => void };
  private readonly seen = new Set<string>();

  constructor(
    private readonly world: EosWorld,
    private readonly bounds: TransactionsBounds,
    /** The in-flight messages as the explorer names them (its `no-hanging-transaction` reads whether any is). */
    private readonly inFlight: () => readonly Envelope[],
  ) {
    const none = Array.from({ length: bounds.partitions }, () => 0);
    this.ghost = { txns: [], fence: null, reads: none.map(() => []), maxLso: none };
    this.eos = judgeEosEveryStep(world, this.ledger, undefined, (view) => this.read(view));
    world.onClientEvent = (node, event) => this.told(node, event);
  }

  /** Judge the world as it is now (the world's observer, after every machine step). */
  judge(): void {
    const before = this.eos.violations.length;
    this.eos.judge();
    for (const v of this.eos.violations.slice(before)) this.found(v.invariant, v.witness, 'model/eos');
    this.judgeStatements();
  }

  // ---- the application's ghost (the trace's application steps) ------------------------------

  /** Transactions incarnation `i` has begun. */
  begun(i: number): number {
    return this.ghost.txns.filter((t) => t.incarnation === i).length;
  }

  current(i: number): GhostTxn | undefined {
    return this.ghost.txns.findLast((t) => t.incarnation === i);
  }

  /** beginTransaction: a new open transaction of incarnation `i`. */
  begin(i: number): void {
    this.ghost = { ...this.ghost, txns: [...this.ghost.txns, { incarnation: i, index: this.begun(i), sends: [], status: 'open' }] };
  }

  /** The value the next send of `i`'s transaction carries to `partition` (`a0.1`: incarnation, transaction, record). */
  send(i: number, partition: number): string {
    const txn = this.current(i);
    assert(txn !== undefined, `incarnation ${i} sends outside a transaction`);
    const value = `${INCARNATION_NAMES[i]}${txn.index}.${txn.sends.length}`;
    this.replace(txn, { ...txn, sends: [...txn.sends, { value, partition }] });
    return value;
  }

  /** The application asked to commit or abort `i`'s transaction. */
  ending(i: number, kind: 'commit' | 'abort'): void {
    const txn = this.current(i);
    if (txn !== undefined) this.replace(txn, { ...txn, status: kind === 'commit' ? 'committing' : 'aborting' });
  }

  private replace(txn: GhostTxn, next: GhostTxn): void {
    this.ghost = { ...this.ghost, txns: this.ghost.txns.map((t) => (t === txn ? next : t)) };
  }

  /** A producer's history event: what its application was told about its transaction. */
  private told(node: string, event: ClientEvent): void {
    const i = incarnationOfNode(node);
    const txn = i < 0 || (event.f as string) !== 'txn' || event.type === 'invoke' ? undefined : this.current(i);
    if (txn !== undefined) this.replace(txn, { ...txn, status: event.type as GhostTxn['status'] });
  }

  // ---- judging ---------------------------------------------------------------------------------

  private found(invariant: string, witness: string, from: JudgedViolation['from']): void {
    if (this.seen.has(invariant)) return;
    this.seen.add(invariant);
    this.violations.push({ invariant, witness, step: this.world.stepIndex, from });
    this.world.note(`VIOLATED ${invariant}: ${witness}`);
  }

  /** The ideal read_committed reader: every output record below the LSO, read at this state. */
  private read(view: EosView): void {
    for (const p of view.outputs) {
      const records = [...readCommitted(p).visible].flatMap(([value, offsets]) => offsets.map((offset) => ({ key: p.name, offset, value })));
      this.ledger.recordVerifierPoll(records, this.world.stepIndex);
    }
  }

  private judgeStatements(): void {
    let world = this.adapter();
    if (world === undefined) return;
    if (this.ghost.fence === null && this.bounds.incarnations > 1 && (world.producers[1]?.context as { phase: string }).phase === 'ready') {
      this.ghost = { ...this.ghost, fence: world.partitions.map((s) => logEnd(s.context as ReplicaContext)) };
      world = { ...world, ghost: this.ghost };
    }
    for (const name of TXN_STATEMENTS) {
      if (this.seen.has(name)) continue;
      const v = firstTxnViolation(world, [name]);
      if (v !== undefined) this.found(v.invariant, v.witness, 'model/explore/txn');
    }
    this.ghost = foldGhost(world);
  }

  /** The simulator's machines as the explorer's world (what its judge reads); undefined while broker-0 is down. */
  adapter(): TxnWorld | undefined {
    const coordinator = this.world.hostedAt(COORDINATOR_NODE, TXN_COORDINATOR)?.snapshot as Snapshot | undefined;
    const partitions = Array.from({ length: this.bounds.partitions }, (_, p) => this.world.hostedAt(partitionNode(p), `${TOPIC}-${p}`)?.snapshot as Snapshot | undefined);
    const producers = Array.from({ length: this.bounds.incarnations }, (_, i) => this.world.clients.get(producerNode(i))?.snapshot as Snapshot | undefined);
    if (coordinator === undefined || partitions.includes(undefined) || producers.includes(undefined)) return undefined;
    const coordinatorEpoch = (coordinator.context as TxnCoordinatorContext).volatile.coordinatorEpoch;
    const clocks = producers.map(() => this.world.now());
    return { coordinator, coordinatorEpoch, txnLog: [], partitions: partitions as Snapshot[], producers: producers as Snapshot[], clocks, network: this.inFlight(), timers: [], used: NO_TXN_FAULTS, ghost: this.ghost, depth: this.world.stepIndex, events: [] };
  }
}

function logEnd(c: ReplicaContext): number {
  return (c.persisted.log.at(-1)?.lastOffset ?? -1) + 1;
}

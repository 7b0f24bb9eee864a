/**
 * The transactions model's fingerprints hash the same pieces its key text joins
 * (key-sink.ts): over every state and transition of a small exhaustive exploration, equal
 * keys have equal fingerprints and different keys different ones.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSACTIONS_BOUNDS, transactionsModel } from '../../../../model/explore/models/transactions.ts';
import { txnWorldFingerprint, txnWorldKey } from '../../../../model/explore/txn/state-key.ts';
import { NO_TXN_FAULTS, type TxnWorld } from '../../../../model/explore/txn/world.ts';

describe('transactions fingerprints', () => {
  it('agree with the key texts: equal keys ⇔ equal fingerprints', () => {
    const model = transactionsModel({ ...DEFAULT_TRANSACTIONS_BOUNDS, incarnations: 1, partitions: 1, transactions: 2, budget: { ...NO_TXN_FAULTS, timeouts: 1 } });
    const byKey = new Map<string, string>();
    const byPrint = new Map<string, string>();
    let frontier: TxnWorld[] = [model.initial];
    let transitions = 0;
    while (frontier.length > 0) {
      const next: TxnWorld[] = [];
      for (const world of frontier)
        for (const action of model.actions(world)) {
          const successor = model.next(world, action);
          if (successor === null) continue;
          transitions++;
          const key = txnWorldKey(successor);
          const fp = txnWorldFingerprint(successor);
          const print = `${fp.hi}:${fp.lo}`;
          expect(byKey.get(key) ?? print).toBe(print);
          expect(byPrint.get(print) ?? key).toBe(key);
          if (!byKey.has(key)) next.push(successor);
          byKey.set(key, print);
          byPrint.set(print, key);
        }
      frontier = next;
    }
    expect(byKey.size).toBeGreaterThan(1000);
    expect(transitions).toBeGreaterThan(byKey.size);
  }, 60_000);
});

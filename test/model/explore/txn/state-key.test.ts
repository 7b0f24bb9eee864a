/**
 * The transactions model's fingerprints hash the same pieces its key text joins
 * (key-sink.ts): over every state and transition of a small exhaustive exploration, equal
 * keys have equal fingerprints and different keys different ones.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSACTIONS_BOUNDS, transactionsModel } from '../../../../model/explore/models/transactions.ts';
import { txnWorldFingerprint, txnWorldKey } from '../../../../model/explore/txn/state-key.ts';
import { NO_TXN_FAULTS } from '../../../../model/explore/txn/world.ts';
import { expectFingerprintsMatchKeys } from '../fingerprint-agreement.ts';

describe('transactions fingerprints', () => {
  it('agree with the key texts: equal keys ⇔ equal fingerprints', () => {
    const model = transactionsModel({ ...DEFAULT_TRANSACTIONS_BOUNDS, incarnations: 1, partitions: 1, transactions: 2, budget: { ...NO_TXN_FAULTS, timeouts: 1 } });
    const seen = expectFingerprintsMatchKeys(model, (w) => txnWorldKey(w), (w) => txnWorldFingerprint(w));
    expect(seen.states).toBeGreaterThan(1000);
    expect(seen.transitions).toBeGreaterThan(seen.states);
  }, 60_000);
});

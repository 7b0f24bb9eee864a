/**
 * Shared by the models' fingerprint tests: explores `model` breadth-first (up to `limit`
 * distinct keys) and checks, over every state and transition, that two states have equal
 * fingerprints exactly when they have equal key texts. Returns the counts seen.
 */
import { expect } from 'vitest';
import type { ExploreModel } from '../../../model/explore/bfs.ts';
import type { Fingerprint } from '../../../model/explore/fingerprint.ts';

export function expectFingerprintsMatchKeys<S, A>(model: ExploreModel<S, A>, key: (s: S) => string, print: (s: S) => Fingerprint, limit = Infinity): { states: number; transitions: number } {
  const byKey = new Map<string, string>();
  const byPrint = new Map<string, string>();
  let frontier: S[] = [model.initial];
  let transitions = 0;
  while (frontier.length > 0 && byKey.size < limit) {
    const next: S[] = [];
    for (const state of frontier)
      for (const action of model.actions(state)) {
        const successor = model.next(state, action);
        if (successor === null) continue;
        transitions++;
        const k = key(successor);
        const fp = print(successor);
        const p = `${fp.hi}:${fp.lo}`;
        expect(byKey.get(k) ?? p).toBe(p);
        expect(byPrint.get(p) ?? k).toBe(k);
        if (!byKey.has(k)) next.push(successor);
        byKey.set(k, p);
        byPrint.set(p, k);
      }
    frontier = next;
  }
  return { states: byKey.size, transitions };
}

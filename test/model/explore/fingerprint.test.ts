import { describe, expect, it } from 'vitest';
import { FingerprintSet, collisionProbability, fingerprint } from '../../../model/explore/fingerprint.ts';

describe('fingerprints and the visited set', () => {
  it('adds each fingerprint once, across several rehashes', () => {
    const set = new FingerprintSet(4);
    for (let i = 0; i < 10_000; i++) expect(set.add(fingerprint(`state-${i}`))).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(set.add(fingerprint(`state-${i}`))).toBe(false);
    expect(set.size).toBe(10_000);
    expect(set.has(fingerprint('state-17'))).toBe(true);
    expect(set.has(fingerprint('state-10000'))).toBe(false);
    expect(set.bytes()).toBeLessThanOrEqual(32 * 10_000);
  });

  it('gives 100,000 similar keys 100,000 different fingerprints', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const fp = fingerprint(`{a:${i % 317},b:"x${Math.floor(i / 317)}"}`);
      seen.add(`${fp.hi}:${fp.lo}`);
    }
    expect(seen.size).toBe(100_000);
  });

  it('twin: a hash of only the key length collides, and the set counts it once', () => {
    const set = new FingerprintSet();
    const lengthOnly = (key: string) => ({ hi: key.length, lo: 1 });
    set.add(lengthOnly('ab'));
    expect(set.add(lengthOnly('cd'))).toBe(false);
    expect(set.add(fingerprint('ab'))).toBe(true);
    expect(set.add(fingerprint('cd'))).toBe(true);
  });

  it('states the birthday bound', () => {
    expect(collisionProbability(10_000_000)).toBeLessThan(1e-5);
    expect(collisionProbability(10_000_000_000)).toBeGreaterThan(1);
  });
});

/**
 * The project's one source of chance: a seeded, portable PRNG (xoshiro128**, seeded through
 * splitmix32). Integer-only so that every platform and Node version draws the same numbers
 * from the same seed; no floating point in the API (as TigerBeetle's stdx/prng.zig argues).
 *
 * Every simulated run is a function of its seed, so a failure replays from the seed alone.
 */
import { assert } from './assert.ts';

export interface Chooser {
  /** A uniform integer in [0, n). */
  below(n: number): number;
}

export class Prng implements Chooser {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    assert(Number.isSafeInteger(seed), `seed must be a safe integer, got ${seed}`);
    let x = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  below(n: number): number {
    assert(Number.isInteger(n) && n > 0 && n <= 0x1_0000_0000, `below(n) needs 0 < n <= 2^32, got ${n}`);
    // Rejection sampling: no modulo bias.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /** An integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    assert(min <= max, `between(${min}, ${max})`);
    return min + this.below(max - min + 1);
  }

  /** True with probability numerator/denominator. */
  chance(numerator: number, denominator: number): boolean {
    assert(numerator >= 0 && numerator <= denominator && denominator > 0, 'chance ratio');
    return this.below(denominator) < numerator;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.below(items.length)] as T;
  }

  /** An independent generator derived from this one (for a sub-component). */
  fork(): Prng {
    return new Prng(this.nextU32() * 0x1_0000 + (this.nextU32() & 0xffff));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

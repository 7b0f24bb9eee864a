/**
 * State fingerprints and the visited set. A canonical state key (a string, see
 * canonical.ts) is hashed to 64 bits (two independent 32-bit hashes: FNV-1a and a
 * Murmur3-style mix), and the explorer stores only the fingerprint, as TLC does. With n
 * states the chance that two different states share a fingerprint is about n² / 2^65
 * (3·10^-6 for ten million states); the explorer prints the bound with its totals.
 *
 * `FingerprintSet` is an open-addressing hash table over two Uint32Arrays: 8 bytes per
 * slot at a load factor ≤ 1/2, so about 16 bytes per state, instead of the hundreds a JS
 * Set of key strings costs.
 */
import { assert } from '../../src/core/assert.ts';

export interface Fingerprint {
  readonly hi: number;
  readonly lo: number;
}

/** 64-bit fingerprint of `key` (the (0, 0) pair is reserved for empty slots). */
export function fingerprint(key: string): Fingerprint {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    let k = Math.imul(c, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h2 ^= Math.imul(k, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x85ebca6b);
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  let hi = h1 >>> 0;
  const lo = h2 >>> 0;
  if (hi === 0 && lo === 0) hi = 1;
  return { hi, lo };
}

/**
 * A streaming 64-bit hash over 32-bit words, for fingerprints built from parts (state-key.ts
 * `worldFingerprint`): each lane is a word-at-a-time hash with its own mixing (a Murmur3
 * round and an xxHash32 round), finished with Murmur3's avalanche and the word count.
 * Texts enter as their own 64-bit `fingerprint`, cached per text, so a state's fingerprint
 * costs a few words per part instead of a pass over its whole key.
 */
export class Hasher {
  private a = 0x9747b28c;
  private b = 0x165667b1;
  private n = 0;

  reset(): void {
    this.a = 0x9747b28c;
    this.b = 0x165667b1;
    this.n = 0;
  }

  word(w: number): void {
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    this.a ^= Math.imul(k, 0x1b873593);
    this.a = (this.a << 13) | (this.a >>> 19);
    this.a = (Math.imul(this.a, 5) + 0xe6546b64) | 0;
    this.b = (this.b + Math.imul(w | 0, 0x85ebca77)) | 0;
    this.b = (this.b << 13) | (this.b >>> 19);
    this.b = Math.imul(this.b, 0x9e3779b1);
    this.n++;
  }

  /** A text, through its cached 64-bit fingerprint. */
  text(s: string): void {
    let fp = texts.get(s);
    if (fp === undefined) {
      fp = fingerprint(s);
      if (texts.size > 1 << 20) texts.clear();
      texts.set(s, fp);
    }
    this.word(fp.hi);
    this.word(fp.lo);
  }

  finish(): Fingerprint {
    const hi = avalanche(this.a ^ this.n) >>> 0;
    const lo = avalanche(this.b ^ Math.imul(this.n, 0x27d4eb2f)) >>> 0;
    return hi === 0 && lo === 0 ? { hi: 1, lo } : { hi, lo };
  }
}

const texts = new Map<string, Fingerprint>();

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class FingerprintSet {
  private his: Uint32Array;
  private los: Uint32Array;
  private mask: number;
  size = 0;

  /** A table for `states` fingerprints before its first rehash (it grows past them). */
  constructor(states = 1 << 15) {
    let capacity = 1;
    while (capacity < 2 * states) capacity <<= 1;
    this.his = new Uint32Array(capacity);
    this.los = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Adds `fp`; true when it was not there before. */
  add(fp: Fingerprint): boolean {
    if ((this.size + 1) * 2 > this.his.length) this.grow();
    return this.insert(fp.hi, fp.lo);
  }

  has(fp: Fingerprint): boolean {
    let slot = (fp.lo ^ Math.imul(fp.hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const hi = this.his[slot] as number;
      const lo = this.los[slot] as number;
      if (hi === 0 && lo === 0) return false;
      if (hi === fp.hi && lo === fp.lo) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Bytes held by the table. */
  bytes(): number {
    return this.his.byteLength + this.los.byteLength;
  }

  private insert(fhi: number, flo: number): boolean {
    let slot = (flo ^ Math.imul(fhi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const hi = this.his[slot] as number;
      const lo = this.los[slot] as number;
      if (hi === 0 && lo === 0) {
        this.his[slot] = fhi;
        this.los[slot] = flo;
        this.size++;
        return true;
      }
      if (hi === fhi && lo === flo) return false;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const his = this.his;
    const los = this.los;
    this.his = new Uint32Array(his.length * 2);
    this.los = new Uint32Array(los.length * 2);
    this.mask = this.his.length - 1;
    const before = this.size;
    this.size = 0;
    for (let i = 0; i < his.length; i++) {
      const hi = his[i] as number;
      const lo = los[i] as number;
      if (hi !== 0 || lo !== 0) this.insert(hi, lo);
    }
    assert(this.size === before, 'rehash keeps every fingerprint');
  }
}

/** The birthday bound on a fingerprint collision among `n` states. */
export function collisionProbability(n: number): number {
  return (n * n) / 2 ** 65;
}

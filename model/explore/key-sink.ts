/**
 * Where a canonical key goes: a model writes its key once, as a sequence of texts and
 * encoded parts (canonical.ts), into a sink. `TextSink` joins them into the key text (tests,
 * debugging); `HashSink` feeds the same pieces to a 64-bit hash without building the text:
 * texts through their cached fingerprints, each part's segments hashed once and cached
 * with the part, and correlation ids renamed by rank per issuer exactly as `fillSlots`
 * does. Equal texts ⇔ equal fingerprints, up to hash collisions (tested per model).
 */
import { type EncodeOptions, type EncodedPart, type Slot, appendPart, encodeUncached, fillSlots } from './canonical.ts';
import { type Fingerprint, Hasher, fingerprint } from './fingerprint.ts';

export interface KeySink {
  text(s: string): void;
  part(p: EncodedPart): void;
}

export class TextSink implements KeySink {
  private readonly out: string[] = [];
  private readonly slots: Slot[] = [];

  text(s: string): void {
    this.out.push(s);
  }

  part(p: EncodedPart): void {
    appendPart(p, this.out, this.slots);
  }

  finish(): string {
    fillSlots(this.out, this.slots);
    return this.out.join('');
  }
}

export class HashSink implements KeySink {
  private readonly items: (string | EncodedPart)[] = [];

  text(s: string): void {
    this.items.push(s);
  }

  part(p: EncodedPart): void {
    this.items.push(p);
  }

  finish(): Fingerprint {
    const ranks = new Ranks();
    for (const item of this.items) if (typeof item !== 'string') for (const id of item.ids) if (id.id >= 0) ranks.note(issuerCode(id.issuer), id.id);
    const hasher = new Hasher();
    for (const item of this.items) {
      if (typeof item === 'string') hasher.text(item);
      else hashPart(hasher, ranks, item);
    }
    return hasher.finish();
  }
}

/** A part's segments (hashed once, cached) and its correlation ids, renamed by `ranks`. */
export function hashPart(hasher: Hasher, ranks: Ranks, part: EncodedPart): void {
  const hashes = segmentHashes(part);
  part.ids.forEach((id, i) => {
    hasher.word(hashes[2 * i] as number);
    hasher.word(hashes[2 * i + 1] as number);
    hasher.word(renamed(ranks, issuerCode(id.issuer), id.id));
  });
  hasher.word(hashes[2 * part.ids.length] as number);
  hasher.word(hashes[2 * part.ids.length + 1] as number);
}

/**
 * A part as a fingerprint needs it, without the segments' text (a search keeps the
 * encodings of every context and message its queued worlds hold, so keeping only hashes
 * saves the text's heap): one array of 32-bit words, the first segment's 64-bit hash
 * (two words), then per correlation id its issuer (an `issuerCode`, so ranking compares
 * numbers, not strings), the id, and the next segment's hash: 2 + 4 × ids words. One
 * plain array of small integers is the cheapest object V8 has for this.
 */
export type HashedPart = readonly number[];

/** Notes a hashed part's correlation ids (the first pass of a fingerprint). */
export function noteHashedPart(ranks: Ranks, part: HashedPart): void {
  for (let j = 2; j < part.length; j += 4) if ((part[j + 1] as number) >= 0) ranks.note(part[j] as number, part[j + 1] as number);
}

/** Segment hashes interleaved with the renamed ids. */
export function hashHashedPart(hasher: Hasher, ranks: Ranks, part: HashedPart): void {
  hasher.word(part[0] as number);
  hasher.word(part[1] as number);
  for (let j = 2; j < part.length; j += 4) {
    hasher.word(renamed(ranks, part[j] as number, part[j + 1] as number));
    hasher.word(part[j + 2] as number);
    hasher.word(part[j + 3] as number);
  }
}

/**
 * The words of a hashed part (see `HashedPart`) from its segments and ids; `prefix` (what
 * the part's holder adds in front of it, e.g. a machine's state value) is folded into the
 * first segment's hash.
 */
export function hashedPartOf(segments: readonly string[], ids: EncodedPart['ids'], prefix?: Fingerprint): HashedPart {
  const words: number[] = [];
  let first = fingerprint(segments[0] as string);
  if (prefix !== undefined) first = combine(prefix, first);
  words.push(first.hi | 0, first.lo | 0);
  ids.forEach((id, i) => {
    const fp = fingerprint(segments[i + 1] as string);
    words.push(issuerCode(id.issuer), id.id, fp.hi | 0, fp.lo | 0);
  });
  return words;
}

const pairHasher = new Hasher();

/** One 64-bit hash of two. */
export function combine(a: Fingerprint, b: Fingerprint): Fingerprint {
  pairHasher.reset();
  pairHasher.word(a.hi);
  pairHasher.word(a.lo);
  pairHasher.word(b.hi);
  pairHasher.word(b.lo);
  return pairHasher.finish();
}

/** An id slot's word: its rank among its issuer's ids, or for a counter (-1) the issuer's count of live ids. */
function renamed(ranks: Ranks, issuer: number, id: number): number {
  return id < 0 ? ranks.count(issuer) : ranks.rank(issuer, id);
}

const issuerCodes = new Map<string, number>();

/** A small integer per issuer name, the same for the life of the process. */
export function issuerCode(issuer: string): number {
  let code = issuerCodes.get(issuer);
  if (code === undefined) {
    code = issuerCodes.size;
    issuerCodes.set(issuer, code);
  }
  return code;
}

interface CachedHashedPart {
  readonly clock: number;
  readonly issuer: string;
  readonly tag: unknown;
  readonly part: HashedPart;
}

const hashedCache = new WeakMap<object, CachedHashedPart>();

/**
 * The hashed encoding of one context, message or timer event (canonical.ts `encodePart`,
 * the same abstractions), cached per immutable object and the owner's clock: a step
 * changes one or two machines and a few messages, so most parts of a successor's
 * fingerprint are reused from its parent. A `tag` (what the holder of `value` adds in
 * front of it: a snapshot's state value, a timer's id) is part of the cache's key, and
 * `prefix(tag, owner)` is folded into the part's first hash, computed only when the part
 * is: one table lookup per part then covers the tag too.
 */
export function hashedPartAt(value: object, owner: string, clock: number, issuer: string, options: EncodeOptions, fixedIssuer: boolean, tag?: unknown, prefix?: (tag: never, owner: string) => Fingerprint): HashedPart {
  const cached = hashedCache.get(value);
  if (cached !== undefined && cached.clock === clock && cached.issuer === issuer && cached.tag === tag) return cached.part;
  const encoded = encodeUncached(value, { owner, clock }, issuer, options, fixedIssuer);
  const part = hashedPartOf(encoded.segments, encoded.ids, prefix?.(tag as never, owner));
  hashedCache.set(value, { clock, issuer, tag, part });
  return part;
}

/**
 * Correlation ids by issuer, ranked: the renaming `fillSlots` does (canonical.ts
 * IdRenamer), as a scratch table that one fingerprint after another can `reset` and reuse.
 * Issuers are `issuerCode`s. Each issuer's ids are kept sorted as they are noted (an
 * insertion into a handful of numbers), in arrays reused across fingerprints: ranking
 * allocates nothing per state, where sorting a fresh array per state was a fifth of the
 * explorer's allocation.
 */
export class Ranks {
  /** Per issuer code: its ids, sorted, in the first `counts[code]` entries. */
  private readonly ids: number[][] = [];
  private counts = new Int32Array(64);
  /** The codes noted since the last reset. */
  private readonly touched: number[] = [];
  private touchedCount = 0;

  reset(): void {
    for (let i = 0; i < this.touchedCount; i++) this.counts[this.touched[i] as number] = 0;
    this.touchedCount = 0;
  }

  note(code: number, id: number): void {
    if (code >= this.counts.length) this.grow(code);
    const n = this.counts[code] as number;
    if (n === 0) this.touched[this.touchedCount++] = code;
    const ids = (this.ids[code] ??= []);
    let at = n;
    while (at > 0 && (ids[at - 1] as number) > id) at--;
    if (at > 0 && ids[at - 1] === id) return;
    for (let i = n; i > at; i--) ids[i] = ids[i - 1] as number;
    ids[at] = id;
    this.counts[code] = n + 1;
  }

  /** `id`'s rank among the ids of issuer `code`: -1 if it was not noted, -2 if none of the issuer's was. */
  rank(code: number, id: number): number {
    const n = code < this.counts.length ? (this.counts[code] as number) : 0;
    if (n === 0) return -2;
    const ids = this.ids[code] as number[];
    for (let i = 0; i < n; i++) if (ids[i] === id) return i;
    return -1;
  }

  count(code: number): number {
    return code < this.counts.length ? (this.counts[code] as number) : 0;
  }

  private grow(code: number): void {
    const counts = new Int32Array(Math.max(2 * this.counts.length, code + 1));
    counts.set(this.counts);
    this.counts = counts;
  }
}

const segmentHashCache = new WeakMap<EncodedPart, Int32Array>();

/** The 64-bit fingerprints of a part's text segments (two words each), cached with the part. */
function segmentHashes(part: EncodedPart): Int32Array {
  let hashes = segmentHashCache.get(part);
  if (hashes === undefined) {
    hashes = hashSegments(part.segments);
    segmentHashCache.set(part, hashes);
  }
  return hashes;
}

/** Two words per segment: its 64-bit fingerprint (as signed words, which V8 keeps unboxed). */
function hashSegments(segments: readonly string[]): Int32Array {
  const out = new Int32Array(2 * segments.length);
  segments.forEach((segment, i) => {
    const fp = fingerprint(segment);
    out[2 * i] = fp.hi;
    out[2 * i + 1] = fp.lo;
  });
  return out;
}

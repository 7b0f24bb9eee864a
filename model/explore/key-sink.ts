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
    for (const item of this.items) if (typeof item !== 'string') for (const id of item.ids) if (id.id >= 0) ranks.note(id.issuer, id.id);
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
  hashWords(hasher, ranks, segmentHashes(part), part.ids);
}

/**
 * A part as a fingerprint needs it: its segments' 64-bit hashes (two words each) and its
 * correlation ids, without the segments' text. A search keeps the encodings of every
 * context and message its queued worlds hold, so keeping only hashes saves the text's heap.
 */
export interface HashedPart {
  readonly hashes: Uint32Array;
  readonly ids: EncodedPart['ids'];
}

export function hashHashedPart(hasher: Hasher, ranks: Ranks, part: HashedPart): void {
  hashWords(hasher, ranks, part.hashes, part.ids);
}

/** Segment hashes interleaved with the renamed ids (segments.length = ids.length + 1). */
function hashWords(hasher: Hasher, ranks: Ranks, hashes: Uint32Array, ids: HashedPart['ids']): void {
  for (let i = 0; i < ids.length; i++) {
    hasher.word(hashes[2 * i] as number);
    hasher.word(hashes[2 * i + 1] as number);
    const id = ids[i] as { issuer: string; id: number };
    hasher.word(id.id < 0 ? ranks.count(id.issuer) : ranks.rank(id.issuer, id.id));
  }
  hasher.word(hashes[2 * ids.length] as number);
  hasher.word(hashes[2 * ids.length + 1] as number);
}

interface CachedHashedPart {
  readonly clock: number;
  readonly issuer: string;
  readonly part: HashedPart;
}

const hashedCache = new WeakMap<object, CachedHashedPart>();

/**
 * The hashed encoding of one context, message or timer event (canonical.ts `encodePart`,
 * the same abstractions), cached per immutable object and the owner's clock: a step
 * changes one or two machines and a few messages, so most parts of a successor's
 * fingerprint are reused from its parent.
 */
export function hashedPartAt(value: object, owner: string, clock: number, issuer: string, options: EncodeOptions, fixedIssuer: boolean): HashedPart {
  const cached = hashedCache.get(value);
  if (cached !== undefined && cached.clock === clock && cached.issuer === issuer) return cached.part;
  const encoded = encodeUncached(value, { owner, clock }, issuer, options, fixedIssuer);
  const part = { hashes: hashSegments(encoded.segments), ids: encoded.ids };
  hashedCache.set(value, { clock, issuer, part });
  return part;
}

/**
 * Correlation ids by issuer, ranked: the renaming `fillSlots` does (canonical.ts
 * IdRenamer), as a scratch table that one fingerprint after another can `reset` and reuse.
 */
export class Ranks {
  private readonly issuers: string[] = [];
  private readonly ids: number[][] = [];
  private used = 0;
  private sorted = true;

  reset(): void {
    for (let i = 0; i < this.used; i++) (this.ids[i] as number[]).length = 0;
    this.used = 0;
  }

  private slot(issuer: string): number[] | undefined {
    for (let i = 0; i < this.used; i++) if (this.issuers[i] === issuer) return this.ids[i];
    return undefined;
  }

  note(issuer: string, id: number): void {
    let ids = this.slot(issuer);
    if (ids === undefined) {
      if (this.used === this.ids.length) this.ids.push([]);
      this.issuers[this.used] = issuer;
      ids = this.ids[this.used] as number[];
      this.used++;
    }
    if (!ids.includes(id)) {
      ids.push(id);
      this.sorted = false;
    }
  }

  private sort(): void {
    for (let i = 0; i < this.used; i++) (this.ids[i] as number[]).sort((a, b) => a - b);
    this.sorted = true;
  }

  rank(issuer: string, id: number): number {
    if (!this.sorted) this.sort();
    return this.slot(issuer)?.indexOf(id) ?? -2;
  }

  count(issuer: string): number {
    return this.slot(issuer)?.length ?? 0;
  }
}



const segmentHashCache = new WeakMap<EncodedPart, Uint32Array>();

/** The 64-bit fingerprints of a part's text segments (two words each), cached with the part. */
function segmentHashes(part: EncodedPart): Uint32Array {
  let hashes = segmentHashCache.get(part);
  if (hashes === undefined) {
    hashes = hashSegments(part.segments);
    segmentHashCache.set(part, hashes);
  }
  return hashes;
}

/** Two words per segment: its 64-bit fingerprint. */
export function hashSegments(segments: readonly string[]): Uint32Array {
  const out = new Uint32Array(2 * segments.length);
  segments.forEach((segment, i) => {
    const fp = fingerprint(segment);
    out[2 * i] = fp.hi;
    out[2 * i + 1] = fp.lo;
  });
  return out;
}

/**
 * Where a canonical key goes: a model writes its key once, as a sequence of texts and
 * encoded parts (canonical.ts), into a sink. `TextSink` joins them into the key text (tests,
 * debugging); `HashSink` feeds the same pieces to a 64-bit hash without building the text:
 * texts through their cached fingerprints, each part's segments hashed once and cached
 * with the part, and correlation ids renamed by rank per issuer exactly as `fillSlots`
 * does. Equal texts ⇔ equal fingerprints, up to hash collisions (tested per model).
 */
import { type EncodedPart, IdRenamer, type Slot, appendPart, fillSlots } from './canonical.ts';
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
    const renamer = new IdRenamer();
    for (const item of this.items) if (typeof item !== 'string') for (const id of item.ids) if (id.id >= 0) renamer.note(id.issuer, id.id);
    renamer.seal();
    const hasher = new Hasher();
    for (const item of this.items) {
      if (typeof item === 'string') {
        hasher.text(item);
        continue;
      }
      const hashes = segmentHashes(item);
      for (let i = 0; i < item.ids.length; i++) {
        hasher.word(hashes[2 * i] as number);
        hasher.word(hashes[2 * i + 1] as number);
        const id = item.ids[i] as { issuer: string; id: number };
        hasher.word(id.id < 0 ? renamer.count(id.issuer) : renamer.rename(id.issuer, id.id));
      }
      hasher.word(hashes[2 * item.ids.length] as number);
      hasher.word(hashes[2 * item.ids.length + 1] as number);
    }
    return hasher.finish();
  }
}

const segmentHashCache = new WeakMap<EncodedPart, Uint32Array>();

/** The 64-bit fingerprints of a part's text segments (two words each), cached with the part. */
export function segmentHashes(part: EncodedPart): Uint32Array {
  let hashes = segmentHashCache.get(part);
  if (hashes === undefined) {
    const out = new Uint32Array(2 * part.segments.length);
    part.segments.forEach((segment, i) => {
      const fp = fingerprint(segment);
      out[2 * i] = fp.hi;
      out[2 * i + 1] = fp.lo;
    });
    segmentHashCache.set(part, out);
    hashes = out;
  }
  return hashes;
}

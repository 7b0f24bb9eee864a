/**
 * The offset index of one segment (`N.index`, `storage/.../log/OffsetIndex.java`): 8-byte
 * entries, int32 offset relative to the segment's base offset and int32 byte position in
 * `N.log`. An entry pairs the LAST offset of an appended batch with the position where
 * that batch starts; entries are added once more than `index.interval.bytes` were appended
 * since the previous one. A lookup takes the greatest entry ≤ target and scans the log
 * forward from its position.
 *
 * Simplified: Kafka preallocates the file (segment.index.bytes) and memory-maps it, and
 * trims it on roll/close; here the file grows by appends and always holds exactly the
 * entries. The index has no checksum: a segment whose index fails `sanityCheck` is rebuilt
 * from its log, as Kafka does.
 */
import { assert } from '../core/assert.ts';
import type { FileSystem } from './fs.ts';

export const INDEX_ENTRY_SIZE = 8;

export interface IndexEntry {
  /** Absolute offset: the last offset of the batch starting at `position`. */
  readonly offset: number;
  readonly position: number;
}

export function encodeIndexEntries(baseOffset: number, entries: readonly IndexEntry[]): Uint8Array {
  const bytes = new Uint8Array(entries.length * INDEX_ENTRY_SIZE);
  const view = new DataView(bytes.buffer);
  entries.forEach((entry, i) => {
    const relative = entry.offset - baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `index offset ${entry.offset} outside segment ${baseOffset}`);
    view.setInt32(i * INDEX_ENTRY_SIZE, relative);
    view.setInt32(i * INDEX_ENTRY_SIZE + 4, entry.position);
  });
  return bytes;
}

/**
 * Parse an index file, or say why it cannot be trusted (Kafka's `sanityCheck` plus the
 * checks a memory map gives for free): whole entries, offsets and positions strictly
 * increasing, positions inside the log.
 */
export function parseOffsetIndex(
  bytes: Uint8Array,
  baseOffset: number,
  logSize: number,
): { entries: IndexEntry[] } | { problem: string } {
  if (bytes.length % INDEX_ENTRY_SIZE !== 0) return { problem: `size ${bytes.length} is not a multiple of ${INDEX_ENTRY_SIZE}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: IndexEntry[] = [];
  for (let at = 0; at < bytes.length; at += INDEX_ENTRY_SIZE) {
    const entry = { offset: baseOffset + view.getInt32(at), position: view.getInt32(at + 4) };
    const previous = entries[entries.length - 1];
    if (entry.offset < baseOffset || entry.position < 0 || entry.position >= logSize) {
      return { problem: `entry ${at / INDEX_ENTRY_SIZE} (${entry.offset} @ ${entry.position}) is outside the segment` };
    }
    if (previous !== undefined && (entry.offset <= previous.offset || entry.position <= previous.position)) {
      return { problem: `entry ${at / INDEX_ENTRY_SIZE} does not increase` };
    }
    entries.push(entry);
  }
  return { entries };
}

export class OffsetIndex {
  private items: IndexEntry[];

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    readonly baseOffset: number,
    entries: readonly IndexEntry[] = [],
  ) {
    this.items = [...entries];
  }

  entries(): readonly IndexEntry[] {
    return this.items;
  }

  append(offset: number, position: number): void {
    const last = this.items[this.items.length - 1];
    assert(last === undefined || (offset > last.offset && position > last.position), `index entry ${offset}@${position} does not increase`);
    const entry = { offset, position };
    this.fs.append(this.path, encodeIndexEntries(this.baseOffset, [entry]));
    this.items.push(entry);
  }

  /** The greatest entry whose offset ≤ target, or the segment start. */
  lookup(target: number): IndexEntry {
    let lo = 0;
    let hi = this.items.length - 1;
    let found: IndexEntry = { offset: this.baseOffset, position: 0 };
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.items[mid] as IndexEntry;
      if (entry.offset <= target) {
        found = entry;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Remove the entries of batches at or beyond `position` (the log is cut there). */
  truncateToPosition(position: number): void {
    const keep = this.items.filter((e) => e.position < position);
    if (keep.length === this.items.length) return;
    this.items = keep;
    this.fs.truncate(this.path, keep.length * INDEX_ENTRY_SIZE);
  }

  /** Empty the index (before a rebuild). */
  reset(): void {
    this.items = [];
    this.fs.writeFile(this.path, new Uint8Array(0));
  }

  flush(): void {
    if (!this.fs.exists(this.path)) this.fs.writeFile(this.path, encodeIndexEntries(this.baseOffset, this.items));
    this.fs.fsync(this.path);
  }
}

/**
 * Producer-state snapshot files, `<20-digit offset>.snapshot` (storage `ProducerStateManager`,
 * schema `ProducerSnapshot.json`): the idempotent/transactional producer state as of that
 * offset, so recovery replays only the log after the nearest snapshot. Big-endian layout:
 *
 *   int16  version = 1
 *   uint32 crc      CRC-32C of every byte after this field (PRODUCER_ENTRIES_OFFSET = 6)
 *   int32  count
 *   count x 46-byte entries:
 *     int64 producerId, int16 producerEpoch, int32 lastSequence, int64 lastOffset,
 *     int32 offsetDelta, int64 timestamp, int32 coordinatorEpoch,
 *     int64 currentTxnFirstOffset (-1 = no ongoing transaction)
 *
 * Kafka writes the file in place and relies on the CRC to reject a torn one
 * (CorruptSnapshotException, after which the loader deletes it and falls back to an older
 * snapshot or a full replay). Here the write is temp + fsync + rename + fsyncDir, so a crash
 * leaves the previous state of the file, and the CRC still guards against corruption.
 */
import { assert, InputError } from '../core/assert.ts';
import { crc32c } from './crc32c.ts';
import { joinPath, type FileSystem } from './fs.ts';

export interface ProducerStateEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  readonly lastOffset: number;
  readonly offsetDelta: number;
  readonly timestamp: number;
  readonly coordinatorEpoch: number;
  /** -1 when the producer has no ongoing transaction. */
  readonly currentTxnFirstOffset: number;
}

/** A snapshot file that fails validation (Kafka: CorruptSnapshotException); names the file. */
export class CorruptSnapshot extends InputError {
  override name = 'CorruptSnapshot';
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`${path}: corrupt producer snapshot: ${what}`);
  }
}

export const PRODUCER_SNAPSHOT_VERSION = 1;
const CRC_OFFSET = 2;
/** Where the CRC-covered bytes start: the entry count. */
const PRODUCER_ENTRIES_OFFSET = 6;
export const PRODUCER_SNAPSHOT_HEADER_BYTES = 10;
export const PRODUCER_SNAPSHOT_ENTRY_BYTES = 46;

export type SegmentFileSuffix = '.log' | '.index' | '.timeindex' | '.txnindex' | '.snapshot';

/** `LogFileUtils.filenamePrefixFromOffset` + suffix: 20 digits, zero-padded. */
export function segmentFileName(baseOffset: number, suffix: SegmentFileSuffix): string {
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `base offset ${baseOffset}`);
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

export function snapshotFileName(offset: number): string {
  return segmentFileName(offset, '.snapshot');
}

/**
 * The base offset and suffix of a name made by {@link segmentFileName}, including Kafka's
 * compound suffixes (`.log.deleted`, `.index.swap`, `.snapshot.tmp`); undefined otherwise.
 */
export function parseSegmentFileName(name: string): { baseOffset: number; suffix: string } | undefined {
  const match = /^([0-9]{20})(\.[^/]+)$/.exec(name);
  if (match === null) return undefined;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return undefined;
  return { baseOffset, suffix: match[2] as string };
}

export function encodeProducerSnapshot(entries: readonly ProducerStateEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.producerId - b.producerId);
  sorted.forEach((e, i) => {
    assertValidEntry(e);
    assert(i === 0 || (sorted[i - 1] as ProducerStateEntry).producerId !== e.producerId, `duplicate producerId ${e.producerId}`);
  });
  const bytes = new Uint8Array(PRODUCER_SNAPSHOT_HEADER_BYTES + sorted.length * PRODUCER_SNAPSHOT_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  view.setInt16(0, PRODUCER_SNAPSHOT_VERSION);
  view.setInt32(PRODUCER_ENTRIES_OFFSET, sorted.length);
  sorted.forEach((e, i) => writeEntry(view, PRODUCER_SNAPSHOT_HEADER_BYTES + i * PRODUCER_SNAPSHOT_ENTRY_BYTES, e));
  view.setUint32(CRC_OFFSET, crc32c(bytes.subarray(PRODUCER_ENTRIES_OFFSET)));
  return bytes;
}

export function decodeProducerSnapshot(bytes: Uint8Array, path: string): ProducerStateEntry[] {
  if (bytes.length < PRODUCER_SNAPSHOT_HEADER_BYTES) {
    throw new CorruptSnapshot(path, `truncated: ${bytes.length} bytes, shorter than the ${PRODUCER_SNAPSHOT_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt16(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION) {
    throw new CorruptSnapshot(path, `unknown version ${version}, expected ${PRODUCER_SNAPSHOT_VERSION}`);
  }
  const count = view.getInt32(PRODUCER_ENTRIES_OFFSET);
  const expected = PRODUCER_SNAPSHOT_HEADER_BYTES + count * PRODUCER_SNAPSHOT_ENTRY_BYTES;
  if (count < 0 || bytes.length !== expected) {
    throw new CorruptSnapshot(path, `${bytes.length} bytes, but the entry count ${count} needs ${expected} (truncated or garbled)`);
  }
  const stored = view.getUint32(CRC_OFFSET);
  const computed = crc32c(bytes.subarray(PRODUCER_ENTRIES_OFFSET));
  if (stored !== computed) {
    throw new CorruptSnapshot(path, `CRC mismatch: stored ${stored}, computed ${computed}`);
  }
  const entries: ProducerStateEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push(readEntry(view, PRODUCER_SNAPSHOT_HEADER_BYTES + i * PRODUCER_SNAPSHOT_ENTRY_BYTES, path));
  }
  return entries;
}

/** Write `<dir>/<offset>.snapshot` crash-safely: temp file, fsync, rename, fsync the directory. */
export function writeProducerSnapshot(fs: FileSystem, dir: string, offset: number, entries: readonly ProducerStateEntry[]): void {
  const path = joinPath(dir, snapshotFileName(offset));
  const temp = `${path}.tmp`;
  const bytes = encodeProducerSnapshot(entries);
  fs.writeFile(temp, bytes);
  fs.fsync(temp);
  fs.rename(temp, path);
  fs.fsyncDir(dir);
  assert(fs.size(path) === bytes.length, `${path}: written size differs`);
}

function assertValidEntry(e: ProducerStateEntry): void {
  assert(Number.isSafeInteger(e.producerId), `producerId ${e.producerId}`);
  assert(isIntN(e.producerEpoch, 16), `producerEpoch ${e.producerEpoch}`);
  assert(isIntN(e.lastSequence, 32), `lastSequence ${e.lastSequence}`);
  assert(Number.isSafeInteger(e.lastOffset), `lastOffset ${e.lastOffset}`);
  assert(isIntN(e.offsetDelta, 32), `offsetDelta ${e.offsetDelta}`);
  assert(Number.isSafeInteger(e.timestamp), `timestamp ${e.timestamp}`);
  assert(isIntN(e.coordinatorEpoch, 32), `coordinatorEpoch ${e.coordinatorEpoch}`);
  assert(Number.isSafeInteger(e.currentTxnFirstOffset) && e.currentTxnFirstOffset >= -1, `currentTxnFirstOffset ${e.currentTxnFirstOffset}`);
}

function isIntN(value: number, bits: 16 | 32): boolean {
  return Number.isInteger(value) && value >= -(2 ** (bits - 1)) && value < 2 ** (bits - 1);
}

function writeEntry(view: DataView, at: number, e: ProducerStateEntry): void {
  view.setBigInt64(at, BigInt(e.producerId));
  view.setInt16(at + 8, e.producerEpoch);
  view.setInt32(at + 10, e.lastSequence);
  view.setBigInt64(at + 14, BigInt(e.lastOffset));
  view.setInt32(at + 22, e.offsetDelta);
  view.setBigInt64(at + 26, BigInt(e.timestamp));
  view.setInt32(at + 34, e.coordinatorEpoch);
  view.setBigInt64(at + 38, BigInt(e.currentTxnFirstOffset));
}

function readEntry(view: DataView, at: number, path: string): ProducerStateEntry {
  const int64 = (offset: number, field: string): number => {
    const value = view.getBigInt64(at + offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new CorruptSnapshot(path, `${field} ${value} at byte ${at + offset} is beyond 2^53`);
    }
    return Number(value);
  };
  return {
    producerId: int64(0, 'producerId'),
    producerEpoch: view.getInt16(at + 8),
    lastSequence: view.getInt32(at + 10),
    lastOffset: int64(14, 'lastOffset'),
    offsetDelta: view.getInt32(at + 22),
    timestamp: int64(26, 'timestamp'),
    coordinatorEpoch: view.getInt32(at + 34),
    currentTxnFirstOffset: int64(38, 'currentTxnFirstOffset'),
  };
}

/**
 * Kafka's checkpoint files (server-common `CheckpointFile.java`, with the entry formats of
 * `OffsetCheckpointFile` and `LeaderEpochCheckpointFile`): UTF-8 text,
 *
 *   line 1: the version, 0
 *   line 2: the number of entries
 *   then one entry per line, fields separated by whitespace:
 *     `topic partition offset` (recovery point, high watermark, log start offset) or
 *     `epoch startOffset` (leader-epoch-checkpoint).
 *
 * Writing is crash-safe the way Kafka does it: write `<name>.tmp`, fsync it, rename it over
 * `<name>` (`Utils.atomicMoveWithFallback`), fsync the directory. A power loss at any point
 * leaves either the old or the new checkpoint, whole.
 *
 * Reading follows `CheckpointReadBuffer.read`: an empty file, or one with only the version
 * line, reads as no entries; a wrong version, a non-numeric field, a wrong field count or a
 * count that does not match the entries is an error (Kafka: IOException), here a
 * CheckpointError naming the file and line.
 */
import { assert, InputError } from '../core/assert.ts';
import { dirname, type FileSystem } from './fs.ts';

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** A garbled checkpoint file; the message is `<path>:<line>: <what is wrong>`. */
export class CheckpointError extends InputError {
  override name = 'CheckpointError';
  constructor(
    readonly path: string,
    readonly line: number,
    what: string,
  ) {
    super(`${path}:${line}: ${what}`);
  }
}

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

/** The only version CheckpointFile has ever written (OffsetCheckpointFile.CURRENT_VERSION). */
export const CHECKPOINT_VERSION = 0;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Java's `\s` in `WHITESPACES_PATTERN = Pattern.compile("\\s+")`. */
const WHITESPACE = /[ \t\n\x0B\f\r]+/;

export function writeOffsetCheckpoint(fs: FileSystem, path: string, entries: readonly TopicPartitionOffset[]): void {
  const lines = entries.map((e) => {
    assert(e.topic.length > 0 && !WHITESPACE.test(e.topic), `topic name '${e.topic}' cannot be checkpointed`);
    assert(isInt32(e.partition) && e.partition >= 0, `partition ${e.partition}`);
    assert(Number.isSafeInteger(e.offset), `offset ${e.offset}`);
    return `${e.topic} ${e.partition} ${e.offset}`;
  });
  writeCheckpoint(fs, path, lines);
  assert(sameOffsets(readOffsetCheckpoint(fs, path), entries), `${path}: read-back differs from what was written`);
}

export function readOffsetCheckpoint(fs: FileSystem, path: string): TopicPartitionOffset[] | undefined {
  return readCheckpoint(fs, path, 3, (fields, line) => ({
    topic: fields[0] as string,
    partition: parseInt32(path, line, fields[1] as string, 'partition'),
    offset: parseInt64(path, line, fields[2] as string, 'offset'),
  }));
}

export function writeLeaderEpochCheckpoint(fs: FileSystem, path: string, entries: readonly EpochEntry[]): void {
  const lines = entries.map((e) => {
    assert(isInt32(e.epoch), `epoch ${e.epoch}`);
    assert(Number.isSafeInteger(e.startOffset), `startOffset ${e.startOffset}`);
    return `${e.epoch} ${e.startOffset}`;
  });
  writeCheckpoint(fs, path, lines);
  assert(sameEpochs(readLeaderEpochCheckpoint(fs, path), entries), `${path}: read-back differs from what was written`);
}

export function readLeaderEpochCheckpoint(fs: FileSystem, path: string): EpochEntry[] | undefined {
  return readCheckpoint(fs, path, 2, (fields, line) => ({
    epoch: parseInt32(path, line, fields[0] as string, 'epoch'),
    startOffset: parseInt64(path, line, fields[1] as string, 'startOffset'),
  }));
}

/** The text of a checkpoint file (exported for tests and the dump tools). */
export function formatCheckpoint(lines: readonly string[]): string {
  return [String(CHECKPOINT_VERSION), String(lines.length), ...lines].map((l) => `${l}\n`).join('');
}

/** Temp file, fsync, rename over the target, fsync the directory (CheckpointFile.write). */
function writeCheckpoint(fs: FileSystem, path: string, lines: readonly string[]): void {
  const temp = `${path}.tmp`;
  fs.writeFile(temp, new TextEncoder().encode(formatCheckpoint(lines)));
  fs.fsync(temp);
  fs.rename(temp, path);
  fs.fsyncDir(dirname(path));
}

function readCheckpoint<T>(
  fs: FileSystem,
  path: string,
  fieldCount: number,
  parse: (fields: readonly string[], line: number) => T,
): T[] | undefined {
  if (!fs.exists(path)) return undefined;
  const lines = splitLines(fs.read(path), path);
  const [versionLine, countLine, ...entryLines] = lines;
  if (versionLine === undefined) return [];
  const version = parseInt32(path, 1, versionLine, 'version');
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(path, 1, `unrecognised version ${version}, expected ${CHECKPOINT_VERSION}`);
  }
  if (countLine === undefined) return [];
  const count = parseInt32(path, 2, countLine, 'entry count');
  if (count < 0) throw new CheckpointError(path, 2, `negative entry count ${count}`);
  const entries = entryLines.map((text, i) => parse(splitFields(path, i + 3, text, fieldCount), i + 3));
  if (entries.length !== count) {
    throw new CheckpointError(path, 2, `expected ${count} entries, found ${entries.length}`);
  }
  return entries;
}

/** Lines as BufferedReader.readLine sees them ('\n' or '\r\n'; no empty line after the last). */
function splitLines(bytes: Uint8Array, path: string): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      lines.push(decoder.decode(bytes.subarray(start, end)).replace(/\r$/, ''));
    } catch {
      throw new CheckpointError(path, lines.length + 1, 'not valid UTF-8');
    }
    start = end + 1;
  }
  return lines;
}

/** Java's `line.split("\\s+")`: a leading separator gives an empty field; trailing ones are dropped. */
function splitFields(path: string, line: number, text: string, fieldCount: number): string[] {
  const fields = text.split(WHITESPACE);
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  if (fields.length !== fieldCount || fields.includes('')) {
    throw new CheckpointError(path, line, `malformed entry '${text}': expected ${fieldCount} fields`);
  }
  return fields;
}

function parseInteger(path: string, line: number, text: string, what: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CheckpointError(path, line, `${what} '${text}' is not a number`);
  return Number(text);
}

/** Integer.parseInt. */
function parseInt32(path: string, line: number, text: string, what: string): number {
  const value = parseInteger(path, line, text, what);
  if (!isInt32(value)) throw new CheckpointError(path, line, `${what} ${text} is out of int32 range`);
  return value;
}

/** Long.parseLong, limited to the integers a JS number holds exactly. */
function parseInt64(path: string, line: number, text: string, what: string): number {
  const value = parseInteger(path, line, text, what);
  if (!Number.isSafeInteger(value)) throw new CheckpointError(path, line, `${what} ${text} is out of range`);
  return value;
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

function sameOffsets(read: readonly TopicPartitionOffset[] | undefined, written: readonly TopicPartitionOffset[]): boolean {
  return (
    read !== undefined &&
    read.length === written.length &&
    read.every((r, i) => r.topic === written[i]?.topic && r.partition === written[i]?.partition && r.offset === written[i]?.offset)
  );
}

function sameEpochs(read: readonly EpochEntry[] | undefined, written: readonly EpochEntry[]): boolean {
  return (
    read !== undefined &&
    read.length === written.length &&
    read.every((r, i) => r.epoch === written[i]?.epoch && r.startOffset === written[i]?.startOffset)
  );
}

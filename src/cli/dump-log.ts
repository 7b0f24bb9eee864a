/**
 * `kafka-oracle dump-log <file.log> [--json]`: the record batches of a segment file, the
 * counterpart of Kafka's `kafka-dump-log.sh --files <f> --print-data-log`
 * (`tools/.../DumpLogSegments`). One entry per batch, then its records; a control batch's
 * record shows its COMMIT/ABORT marker.
 *
 * Like DumpLogSegments it keeps going past a batch whose CRC does not match (shown with
 * `crcValid: false`), and it reports, instead of failing on, the end of the file where no
 * further batch can be framed: a torn tail (`tornTail`, the batch runs past the end of the
 * file) or an impossible frame (`corruptTail`). Recovery would truncate at the first of
 * these or at the first invalid CRC.
 *
 * Bad input (exit 2, one line): no such file, a directory, a file that does not start with
 * a RecordBatch v2 (not a segment, or an older message format), an unknown option.
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import {
  type BatchHeader,
  batchCrc,
  controlRecordType,
  CorruptBatch,
  decodeBatch,
  decodeEndTxnMarker,
  frameBatch,
  UnsupportedCompression,
} from '../storage/record-batch.ts';
import { HEADER_SIZE_UP_TO_MAGIC, type Record as KafkaRecord, type RecordBatch } from '../storage/records.ts';
import type { Io } from './io.ts';
import type { Command } from './main.ts';

const USAGE = 'usage: kafka-oracle dump-log <file.log> [--json]';

interface Options {
  readonly file: string;
  readonly json: boolean;
}

export interface DumpedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly sequence: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: { key: string; value: string | null }[];
  readonly marker?: { type: string; coordinatorEpoch?: number; error?: string };
}

export interface DumpedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly position: number;
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly crcValid: boolean;
  readonly compression: string;
  readonly timestampType: string;
  readonly maxTimestamp: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastSequence: number;
  /** null when the records cannot be read (see recordsError); the header is still shown. */
  readonly records: DumpedRecord[] | null;
  readonly recordsError?: string;
}

export interface DumpedTail {
  readonly position: number;
  readonly bytes: number;
  readonly reason: string;
}

export type DumpEntry = { batch: DumpedBatch } | { tornTail: DumpedTail } | { corruptTail: DumpedTail };

export const command: Command = {
  async run(args: string[], io: Io): Promise<number> {
    const options = parseArgs(args);
    if (options === 'help') {
      io.out(USAGE);
      return 0;
    }
    const entries = dumpSegment(readSegment(options.file), options.file);
    for (const entry of entries) io.out(options.json ? jsonLine(entry) : textEntry(entry));
    return 0;
  },
};

function parseArgs(args: string[]): Options | 'help' {
  let file: string | undefined;
  let json = false;
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--json') json = true;
    else if (arg.startsWith('-')) throw new InputError(`unknown option '${arg}' (${USAGE})`);
    else if (file === undefined) file = arg;
    else throw new InputError(`only one file, got '${file}' and '${arg}' (${USAGE})`);
  }
  if (file === undefined) throw new InputError(`missing <file.log> (${USAGE})`);
  return { file, json };
}

function readSegment(file: string): Uint8Array {
  try {
    if (statSync(file).isDirectory()) throw new InputError(`${file}: is a directory, not a segment file`);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`);
    throw new InputError(`${file}: cannot read (${code ?? (error as Error).message})`);
  }
}

/** Every batch of the segment, then the tail where framing stops (if any). */
export function dumpSegment(buf: Uint8Array, file: string): DumpEntry[] {
  assertLooksLikeSegment(buf, file);
  const entries: DumpEntry[] = [];
  let position = 0;
  while (position < buf.length) {
    const frame = frameBatch(buf, position);
    const bytes = buf.length - position;
    if (frame.kind === 'partial') {
      entries.push({ tornTail: { position, bytes, reason: `torn batch: the file ends ${bytes} bytes into it` } });
      break;
    }
    if (frame.kind === 'corrupt') {
      entries.push({ corruptTail: { position, bytes, reason: frame.reason } });
      break;
    }
    entries.push({ batch: dumpBatch(buf, position, frame.header) });
    position += frame.header.sizeInBytes;
  }
  return entries;
}

/** The first bytes must frame a v2 batch (or the file be empty / torn inside its first batch). */
function assertLooksLikeSegment(buf: Uint8Array, file: string): void {
  if (buf.length === 0) return;
  if (buf.length < HEADER_SIZE_UP_TO_MAGIC) {
    throw new InputError(`${file}: not a Kafka log segment (${buf.length} bytes, shorter than a batch header)`);
  }
  const frame = frameBatch(buf, 0);
  if (frame.kind === 'corrupt') throw new InputError(`${file}: not a Kafka log segment (position 0: ${frame.reason})`);
  const magic = buf[16];
  if (frame.kind === 'partial' && magic !== 2) {
    throw new InputError(`${file}: not a Kafka log segment (position 0: magic ${magic} is not 2, and the declared batch size overruns the file)`);
  }
}

function dumpBatch(buf: Uint8Array, position: number, header: BatchHeader): DumpedBatch {
  let decoded: RecordBatch | undefined;
  let recordsError: string | undefined;
  try {
    decoded = decodeBatch(buf, position);
  } catch (error) {
    if (!(error instanceof CorruptBatch || error instanceof UnsupportedCompression)) throw error;
    recordsError = error instanceof CorruptBatch ? error.reason : error.message;
  }
  return {
    baseOffset: header.baseOffset,
    lastOffset: header.lastOffset,
    count: header.recordsCount,
    position,
    sizeInBytes: header.sizeInBytes,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    magic: header.magic,
    crc: header.crc,
    crcValid: batchCrc(buf, position, header.sizeInBytes) === header.crc, // also when the records are unreadable
    compression: header.compression,
    timestampType: header.timestampType,
    maxTimestamp: header.maxTimestamp,
    isTransactional: header.isTransactional,
    isControl: header.isControl,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastSequence: sequenceAt(header.baseSequence, header.lastOffsetDelta),
    records: decoded === undefined ? null : decoded.records.map((r) => dumpRecord(r, header)),
    ...(recordsError === undefined ? {} : { recordsError }),
  };
}

/** DefaultRecordBatch.incrementSequence: sequences wrap from Int.MAX to 0; -1 stays -1. */
function sequenceAt(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  return (baseSequence + delta) % 0x8000_0000;
}

const utf8 = new TextDecoder('utf-8');
const text = (bytes: Uint8Array | null) => (bytes === null ? null : utf8.decode(bytes));

function dumpRecord(record: KafkaRecord, header: BatchHeader): DumpedRecord {
  const dumped = {
    offset: record.offset,
    timestamp: record.timestamp,
    sequence: sequenceAt(header.baseSequence, record.offset - header.baseOffset),
    key: text(record.key),
    value: text(record.value),
    headers: record.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  };
  return header.isControl ? { ...dumped, marker: dumpMarker(record) } : dumped;
}

function dumpMarker(record: KafkaRecord): NonNullable<DumpedRecord['marker']> {
  try {
    const type = controlRecordType(record);
    if (type !== 'ABORT' && type !== 'COMMIT') return { type };
    return decodeEndTxnMarker(record);
  } catch (error) {
    if (error instanceof CorruptBatch) return { type: 'INVALID', error: error.reason };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Output

/** A batch is printed as its own object; a tail as `{"tornTail": {...}}` / `{"corruptTail": {...}}`. */
function jsonLine(entry: DumpEntry): string {
  return JSON.stringify('batch' in entry ? entry.batch : entry);
}

function textEntry(entry: DumpEntry): string {
  if ('tornTail' in entry) return tailLine('torn tail', entry.tornTail);
  if ('corruptTail' in entry) return tailLine('corrupt tail', entry.corruptTail);
  return [batchLine(entry.batch), ...recordLines(entry.batch)].join('\n');
}

function tailLine(what: string, tail: DumpedTail): string {
  return `${what} at position: ${tail.position} bytes: ${tail.bytes} reason: ${tail.reason}`;
}

function batchLine(b: DumpedBatch): string {
  return [
    `baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.count}`,
    `baseSequence: ${b.baseSequence} lastSequence: ${b.lastSequence} producerId: ${b.producerId} producerEpoch: ${b.producerEpoch}`,
    `partitionLeaderEpoch: ${b.partitionLeaderEpoch} isTransactional: ${b.isTransactional} isControl: ${b.isControl}`,
    `position: ${b.position} ${b.timestampType}: ${b.maxTimestamp} size: ${b.sizeInBytes} magic: ${b.magic}`,
    `compresscodec: ${b.compression} crc: ${b.crc} crcValid: ${b.crcValid}`,
  ].join(' ');
}

function recordLines(b: DumpedBatch): string[] {
  if (b.records === null) return [`| records unreadable: ${b.recordsError ?? 'unknown'}`];
  return b.records.map((r) => {
    const head = `| offset: ${r.offset} ${b.timestampType}: ${r.timestamp} sequence: ${r.sequence}`;
    if (r.marker !== undefined) return `${head} ${markerText(r.marker)}`;
    const headers = r.headers.map((h) => `${printable(h.key)}=${printable(h.value)}`).join(', ');
    return `${head} headers: [${headers}] key: ${printable(r.key)} value: ${printable(r.value)}`;
  });
}

function markerText(marker: NonNullable<DumpedRecord['marker']>): string {
  if (marker.error !== undefined) return `controlRecord: INVALID (${marker.error})`;
  if (marker.coordinatorEpoch === undefined) return `controlRecord: ${marker.type}`;
  return `endTxnMarker: ${marker.type} coordinatorEpoch: ${marker.coordinatorEpoch}`;
}

/** One line per record: control characters are escaped, null shown as null. */
function printable(s: string | null): string {
  if (s === null) return 'null';
  return s.replace(/[\u0000-\u001f\u007f\\]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

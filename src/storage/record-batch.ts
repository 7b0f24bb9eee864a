/**
 * The RecordBatch v2 codec (magic 2), byte-compatible with Kafka's
 * `clients/.../record/DefaultRecordBatch.java` and `DefaultRecord.java`; the layout is in
 * /work/shared/reference/kafka-internals.md §1.1–1.3.
 *
 * Three levels of reading, for three kinds of caller:
 * - {@link checkBatch}: LogSegment.recover's per-batch rules (frame + CRC), never throws;
 * - {@link readBatchHeader}: the 61-byte header alone (recovery and indexes need no records);
 * - {@link decodeBatch} / {@link decodeBatches}: everything, records included.
 *
 * Writing: {@link encodeBatch} emits exactly the bytes a Java producer would (for gzip the
 * deflate stream differs, as it does between any two zlib builds, but it is deterministic);
 * {@link encodeEndTxnMarker} the 78-byte COMMIT/ABORT marker batch.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { assert, InputError } from '../core/assert.ts';
import { crc32c } from './crc32c.ts';
import {
  type BatchInput,
  type CompressionType,
  type ControlType,
  type EndTxnMarker,
  HEADER_SIZE_UP_TO_MAGIC,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  type Record,
  type RecordBatch,
  type RecordHeader,
  type RecordInput,
  type TimestampType,
} from './records.ts';
import { ByteRangeError, ByteReader, ByteWriter, int64At, sizeOfVarint, sizeOfVarlong } from './varint.ts';

/** Byte offsets of the v2 header fields (DefaultRecordBatch.java's *_OFFSET constants). */
export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const MAGIC_VALUE_V2 = 2;
/** LegacyRecord.RECORD_OVERHEAD_V0: FileLogInputStream rejects a smaller batchLength outright. */
export const RECORD_OVERHEAD_V0 = 14;
/** The size of a COMMIT/ABORT marker batch (61 header + 17 record). */
export const END_TXN_MARKER_BATCH_SIZE = 78;

const COMPRESSION_CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const DELETE_HORIZON_FLAG_MASK = 0x40;
const COMPRESSION_BY_ID: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * A batch whose bytes cannot be what Kafka wrote: the reader's counterpart of Kafka's
 * CorruptRecordException / InvalidRecordException. `position` is the byte (in the buffer
 * given to the decoder) where the problem was found.
 */
export class CorruptBatch extends Error {
  override name = 'CorruptBatch';
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`corrupt record batch at position ${position}: ${reason}`);
  }
}

/** A batch compressed with a codec this project does not read (snappy, lz4, zstd). */
export class UnsupportedCompression extends InputError {
  override name = 'UnsupportedCompression';
  constructor(readonly compression: CompressionType) {
    super(`unsupported compression: ${compression}`);
  }
}

/** Header fields read without touching records (recovery scans with this). */
export interface BatchHeader {
  readonly baseOffset: number;
  readonly batchLength: number;
  /** batchLength + LOG_OVERHEAD: the bytes the batch takes in a segment. */
  readonly sizeInBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly compression: CompressionType;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly hasDeleteHorizon: boolean;
  readonly lastOffsetDelta: number;
  readonly lastOffset: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

export type BatchCheck =
  | { readonly kind: 'valid'; readonly header: BatchHeader }
  | { readonly kind: 'partial'; readonly remaining: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Where a batch's frame ends, before its CRC is looked at (see {@link frameBatch}). */
export type BatchFrame =
  | { readonly kind: 'framed'; readonly header: BatchHeader }
  | { readonly kind: 'partial'; readonly remaining: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

// ---------------------------------------------------------------------------------------
// Reading the frame and the header

/**
 * The frame rules of `FileLogInputStream.nextBatch` plus the size rule of
 * `DefaultRecordBatch.ensureValid`, without the CRC: 'partial' when the batch cannot be
 * complete (Kafka stops quietly: `position + HEADER_SIZE_UP_TO_MAGIC >= end`, or the
 * declared size overruns the end), 'corrupt' when its frame is impossible. A framed batch
 * may still fail its CRC; dump-log shows such batches, recovery stops at them.
 */
export function frameBatch(buf: Uint8Array, position: number): BatchFrame {
  assert(Number.isInteger(position) && position >= 0 && position <= buf.length, `bad position ${position}`);
  const remaining = buf.length - position;
  // Kafka needs strictly more than 17 bytes: `if (position + HEADER_SIZE_UP_TO_MAGIC >= end) return null`.
  if (remaining <= HEADER_SIZE_UP_TO_MAGIC) return { kind: 'partial', remaining };
  const view = viewOf(buf);
  const batchLength = view.getInt32(position + LENGTH_OFFSET);
  if (batchLength < RECORD_OVERHEAD_V0) {
    return { kind: 'corrupt', reason: `batchLength ${batchLength} is smaller than the minimum record overhead (${RECORD_OVERHEAD_V0})` };
  }
  if (batchLength + LOG_OVERHEAD > remaining) return { kind: 'partial', remaining };
  const magic = view.getInt8(position + MAGIC_OFFSET);
  if (magic !== MAGIC_VALUE_V2) return { kind: 'corrupt', reason: `magic ${magic} is not 2 (only RecordBatch v2 is supported)` };
  if (batchLength + LOG_OVERHEAD < RECORD_BATCH_OVERHEAD) {
    return { kind: 'corrupt', reason: `batch size ${batchLength + LOG_OVERHEAD} is smaller than the minimum allowed overhead ${RECORD_BATCH_OVERHEAD}` };
  }
  try {
    return { kind: 'framed', header: readBatchHeader(buf, position) };
  } catch (error) {
    if (error instanceof CorruptBatch) return { kind: 'corrupt', reason: error.reason };
    throw error;
  }
}

/**
 * LogSegment.recover's rules for the batch starting at `position` of `buf` (a segment's
 * bytes): 'partial' for a torn tail, 'corrupt' (with reason) for an impossible frame or a
 * CRC mismatch, else 'valid' with the header. Never throws, never reads past the buffer.
 */
export function checkBatch(buf: Uint8Array, position: number): BatchCheck {
  const frame = frameBatch(buf, position);
  if (frame.kind !== 'framed') return frame;
  const computed = batchCrc(buf, position, frame.header.sizeInBytes);
  if (computed !== frame.header.crc) {
    return { kind: 'corrupt', reason: `record is corrupt (stored crc = ${frame.header.crc}, computed crc = ${computed})` };
  }
  return { kind: 'valid', header: frame.header };
}

/** The 61-byte v2 header at `position`; throws CorruptBatch if fewer bytes remain or it is not v2. */
export function readBatchHeader(buf: Uint8Array, position: number): BatchHeader {
  if (buf.length - position < RECORD_BATCH_OVERHEAD) {
    throw new CorruptBatch(`a batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${buf.length - position} remain`, position);
  }
  const view = viewOf(buf);
  const magic = view.getInt8(position + MAGIC_OFFSET);
  if (magic !== MAGIC_VALUE_V2) throw new CorruptBatch(`magic ${magic} is not 2`, position + MAGIC_OFFSET);
  const attributes = view.getInt16(position + ATTRIBUTES_OFFSET);
  const compressionId = attributes & COMPRESSION_CODEC_MASK;
  const compression = COMPRESSION_BY_ID[compressionId];
  // Kafka's CompressionType.forId throws for ids 5..7 when the batch is read.
  if (compression === undefined) throw new CorruptBatch(`unknown compression type id ${compressionId}`, position + ATTRIBUTES_OFFSET);
  const batchLength = view.getInt32(position + LENGTH_OFFSET);
  const lastOffsetDelta = view.getInt32(position + LAST_OFFSET_DELTA_OFFSET);
  const baseOffset = headerInt64(view, position + BASE_OFFSET_OFFSET, 'baseOffset');
  return {
    baseOffset,
    batchLength,
    sizeInBytes: batchLength + LOG_OVERHEAD,
    partitionLeaderEpoch: view.getInt32(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc: view.getUint32(position + CRC_OFFSET),
    attributes,
    compression,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) === 0 ? 'CreateTime' : 'LogAppendTime',
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_FLAG_MASK) !== 0,
    lastOffsetDelta,
    lastOffset: checkedSum(baseOffset, lastOffsetDelta, 'lastOffset', position),
    baseTimestamp: headerInt64(view, position + BASE_TIMESTAMP_OFFSET, 'baseTimestamp'),
    maxTimestamp: headerInt64(view, position + MAX_TIMESTAMP_OFFSET, 'maxTimestamp'),
    producerId: headerInt64(view, position + PRODUCER_ID_OFFSET, 'producerId'),
    producerEpoch: view.getInt16(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: view.getInt32(position + BASE_SEQUENCE_OFFSET),
    recordsCount: view.getInt32(position + RECORDS_COUNT_OFFSET),
  };
}

/** CRC-32C of the batch's bytes from attributes to its end (what the crc field covers). */
export function batchCrc(buf: Uint8Array, position: number, sizeInBytes: number): number {
  assert(position + sizeInBytes <= buf.length, `batch [${position}, +${sizeInBytes}) overruns ${buf.length}`);
  return crc32c(buf.subarray(position + ATTRIBUTES_OFFSET, position + sizeInBytes));
}

// ---------------------------------------------------------------------------------------
// Decoding records

/**
 * Full decode, records included (gzip via node:zlib; snappy/lz4/zstd -> UnsupportedCompression).
 * A CRC mismatch does NOT throw: crcValid=false. Structural damage (bad varints, records
 * overrunning the batch, record count mismatch, int64 outside the JS safe range) throws
 * CorruptBatch.
 */
export function decodeBatch(buf: Uint8Array, position = 0): RecordBatch {
  const frame = frameBatch(buf, position);
  if (frame.kind === 'partial') {
    throw new CorruptBatch(`incomplete batch: ${frame.remaining} bytes remain`, position);
  }
  if (frame.kind === 'corrupt') throw new CorruptBatch(frame.reason, position);
  const crcValid = batchCrc(buf, position, frame.header.sizeInBytes) === frame.header.crc;
  return decodeFramed(buf, position, frame.header, crcValid);
}

/** The records of a batch already framed (and CRC-checked) at `position`. */
function decodeFramed(buf: Uint8Array, position: number, header: BatchHeader, crcValid: boolean): RecordBatch {
  const end = position + header.sizeInBytes;
  const records = decodeRecords(buf, position + RECORD_BATCH_OVERHEAD, end, header);
  const { batchLength: _batchLength, ...fields } = header;
  return { ...fields, crcValid, records };
}

function decodeRecords(buf: Uint8Array, start: number, end: number, header: BatchHeader): Record[] {
  if (header.recordsCount < 0) throw new CorruptBatch(`negative records count ${header.recordsCount}`, start - 4);
  switch (header.compression) {
    case 'none':
      return readRecords(new ByteReader(buf, start, end), header, start);
    case 'gzip':
      return readRecords(new ByteReader(gunzip(buf.subarray(start, end), start)), header, start);
    case 'snappy':
    case 'lz4':
    case 'zstd':
      throw new UnsupportedCompression(header.compression);
  }
}

function gunzip(compressed: Uint8Array, position: number): Uint8Array {
  try {
    return gunzipSync(compressed);
  } catch (error) {
    throw new CorruptBatch(`gzip stream: ${(error as Error).message}`, position);
  }
}

/**
 * `recordsCount` records, then nothing: Kafka's iterator throws "Incorrect declared batch
 * size" both when the stream ends early and when bytes remain after the last record.
 * `origin` maps positions in a decompressed stream back to the batch (the records' start).
 */
function readRecords(reader: ByteReader, header: BatchHeader, origin: number): Record[] {
  const compressed = header.compression !== 'none';
  const where = (pos: number) => (compressed ? origin : pos);
  const records: Record[] = [];
  try {
    for (let i = 0; i < header.recordsCount; i++) records.push(readRecord(reader, header));
  } catch (error) {
    if (error instanceof ByteRangeError) throw new CorruptBatch(`record ${records.length}: ${error.reason}`, where(error.position));
    if (error instanceof CorruptBatch) throw new CorruptBatch(`record ${records.length}: ${error.reason}`, where(error.position));
    throw error;
  }
  if (reader.remaining !== 0) {
    throw new CorruptBatch(`incorrect declared batch size: ${reader.remaining} bytes remain after ${header.recordsCount} records`, where(reader.pos));
  }
  return records;
}

/** One DefaultRecord: its length varint, then exactly that many bytes of body. */
function readRecord(reader: ByteReader, header: BatchHeader): Record {
  const sizeOfBody = reader.varint('record length');
  if (sizeOfBody < 0) throw new CorruptBatch(`negative record length ${sizeOfBody}`, reader.pos);
  if (sizeOfBody > reader.remaining) {
    throw new CorruptBatch(`record length ${sizeOfBody} overruns the batch (${reader.remaining} bytes remain)`, reader.pos);
  }
  const bodyStart = reader.pos;
  const body = new ByteReader(reader.buf, bodyStart, bodyStart + sizeOfBody);
  reader.pos += sizeOfBody;
  body.int8(); // record attributes: unused
  const timestampDelta = body.varlong('timestampDelta');
  const offsetDelta = body.varint('offsetDelta');
  const key = readNullableBytes(body, 'key');
  const value = readNullableBytes(body, 'value');
  const headers = readHeaders(body);
  if (body.remaining !== 0) {
    throw new CorruptBatch(`invalid record size: expected to read ${sizeOfBody} bytes in record payload, but read ${sizeOfBody - body.remaining}`, body.pos);
  }
  const timestamp =
    header.timestampType === 'LogAppendTime'
      ? header.maxTimestamp
      : checkedSum(header.baseTimestamp, timestampDelta, 'record timestamp', bodyStart);
  return { offset: checkedSum(header.baseOffset, offsetDelta, 'record offset', bodyStart), timestamp, key, value, headers };
}

function readNullableBytes(reader: ByteReader, what: string): Uint8Array | null {
  const length = reader.varint(`${what} length`);
  if (length === -1) return null;
  if (length < -1) throw new CorruptBatch(`invalid ${what} length ${length}`, reader.pos);
  return reader.bytes(length, what);
}

const utf8 = new TextDecoder('utf-8');

function readHeaders(reader: ByteReader): RecordHeader[] {
  const count = reader.varint('header count');
  if (count < 0) throw new CorruptBatch(`found invalid number of record headers ${count}`, reader.pos);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const keyLength = reader.varint('header key length');
    if (keyLength < 0) throw new CorruptBatch(`invalid negative header key size ${keyLength}`, reader.pos);
    const key = utf8.decode(reader.bytes(keyLength, 'header key'));
    headers.push({ key, value: readNullableBytes(reader, 'header value') });
  }
  return headers;
}

// ---------------------------------------------------------------------------------------
// Decoding a segment

export interface DecodedSegment {
  readonly batches: RecordBatch[];
  /** Bytes from the start up to the end of the last valid batch. */
  readonly validBytes: number;
  /** The first byte that is not a valid batch, and why (absent when all bytes are valid). */
  readonly tail?: { readonly position: number; readonly reason: string };
}

/**
 * Decode every batch of a segment's bytes until the end or the first batch recovery would
 * reject (torn, corrupt frame, CRC mismatch, undecodable records); reports that tail
 * instead of throwing. UnsupportedCompression (an InputError) still propagates.
 */
export function decodeBatches(buf: Uint8Array): DecodedSegment {
  const batches: RecordBatch[] = [];
  let position = 0;
  while (position < buf.length) {
    const check = checkBatch(buf, position);
    if (check.kind === 'partial') {
      return { batches, validBytes: position, tail: { position, reason: `torn batch: ${check.remaining} bytes remain, the batch needs more` } };
    }
    if (check.kind === 'corrupt') return { batches, validBytes: position, tail: { position, reason: check.reason } };
    try {
      batches.push(decodeFramed(buf, position, check.header, true));
    } catch (error) {
      if (error instanceof CorruptBatch) return { batches, validBytes: position, tail: { position, reason: error.reason } };
      throw error;
    }
    position += check.header.sizeInBytes;
  }
  return { batches, validBytes: position };
}

// ---------------------------------------------------------------------------------------
// Encoding

/** Byte-exact Kafka v2 (the fields a Java producer's MemoryRecordsBuilder writes). */
export function encodeBatch(input: BatchInput): Uint8Array {
  const compression = input.compression ?? 'none';
  const timestampType = input.timestampType ?? 'CreateTime';
  const count = input.records.length;
  const baseTimestamp = input.baseTimestamp ?? input.records[0]?.timestamp ?? (count === 0 ? -1 : 0);
  const maxTimestamp = input.maxTimestamp ?? maxRecordTimestamp(input.records, baseTimestamp);
  const lastOffsetDelta = input.lastOffsetDelta ?? Math.max(0, count - 1);
  checkBatchInput(input, lastOffsetDelta);

  const out = new ByteWriter(RECORD_BATCH_OVERHEAD + 64 * count);
  out.int64(input.baseOffset ?? 0).int32(0 /* batchLength, patched */);
  out.int32(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH).int8(MAGIC_VALUE_V2).uint32(0 /* crc, patched */);
  out.int16(attributesOf(input, compression, timestampType)).int32(lastOffsetDelta);
  out.int64(baseTimestamp).int64(maxTimestamp);
  out.int64(input.producerId ?? NO_PRODUCER_ID).int16(input.producerEpoch ?? NO_PRODUCER_EPOCH);
  out.int32(input.baseSequence ?? NO_SEQUENCE).int32(count);
  assert(out.length === RECORD_BATCH_OVERHEAD, `header is ${out.length} bytes`);

  if (compression === 'none') {
    writeRecords(out, input.records, baseTimestamp);
  } else {
    const raw = new ByteWriter(64 * count);
    writeRecords(raw, input.records, baseTimestamp);
    out.bytes(gzipSync(raw.written()));
  }
  out.patchInt32(LENGTH_OFFSET, out.length - LOG_OVERHEAD);
  out.patchUint32(CRC_OFFSET, crc32c(out.written().subarray(ATTRIBUTES_OFFSET)));
  return out.finish();
}

function maxRecordTimestamp(records: readonly RecordInput[], baseTimestamp: number): number {
  let max = records.length === 0 ? baseTimestamp : -1;
  for (const r of records) max = Math.max(max, r.timestamp ?? baseTimestamp);
  return max;
}

function attributesOf(input: BatchInput, compression: 'none' | 'gzip', timestampType: TimestampType): number {
  let attributes = COMPRESSION_BY_ID.indexOf(compression);
  if (timestampType === 'LogAppendTime') attributes |= TIMESTAMP_TYPE_MASK;
  if (input.isTransactional === true) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (input.isControl === true) attributes |= CONTROL_FLAG_MASK;
  return attributes;
}

/** Preconditions: callers are this project's code, so a violation is a bug (assert). */
function checkBatchInput(input: BatchInput, lastOffsetDelta: number): void {
  assert(input.compression === undefined || input.compression === 'none' || input.compression === 'gzip', `cannot write compression ${input.compression}`);
  assert(input.records.length === 0 || lastOffsetDelta === input.records.length - 1, 'lastOffsetDelta is only for empty batches');
  assert(Number.isInteger(lastOffsetDelta) && lastOffsetDelta >= 0, `bad lastOffsetDelta ${lastOffsetDelta}`);
  const producerId = input.producerId ?? NO_PRODUCER_ID;
  if (producerId >= 0) assert((input.producerEpoch ?? 0) >= 0, 'a producer id needs an epoch >= 0');
  if (input.isTransactional === true) assert(producerId >= 0, 'a transactional batch needs a producer id');
  assert((input.baseSequence ?? NO_SEQUENCE) >= NO_SEQUENCE, `bad baseSequence ${input.baseSequence}`);
  // MemoryRecordsBuilder.appendWithOffset: "Invalid negative timestamp" unless NO_TIMESTAMP (-1)
  for (const r of input.records) assert(r.timestamp === undefined || r.timestamp >= -1, `invalid negative timestamp ${r.timestamp}`);
}

function writeRecords(out: ByteWriter, records: readonly RecordInput[], baseTimestamp: number): void {
  records.forEach((record, offsetDelta) => writeRecord(out, record, offsetDelta, baseTimestamp));
}

/** DefaultRecord.writeTo: the body size first (so no intermediate buffer), then the body. */
function writeRecord(out: ByteWriter, record: RecordInput, offsetDelta: number, baseTimestamp: number): void {
  const timestampDelta = (record.timestamp ?? baseTimestamp) - baseTimestamp;
  const headers = (record.headers ?? []).map((h) => ({ key: utf8Encoder.encode(h.key), value: h.value }));
  let sizeOfBody = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
  sizeOfBody += sizeOfNullableBytes(record.key) + sizeOfNullableBytes(record.value) + sizeOfVarint(headers.length);
  for (const h of headers) sizeOfBody += sizeOfNullableBytes(h.key) + sizeOfNullableBytes(h.value);
  const start = out.varint(sizeOfBody).length;
  out.int8(0).varlong(timestampDelta).varint(offsetDelta);
  writeNullableBytes(out, record.key);
  writeNullableBytes(out, record.value);
  out.varint(headers.length);
  for (const h of headers) writeNullableBytes(writeNullableBytes(out, h.key), h.value);
  assert(out.length - start === sizeOfBody, `record body is ${out.length - start} bytes, sized ${sizeOfBody}`);
}

function sizeOfNullableBytes(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length;
}

const utf8Encoder = new TextEncoder();

function writeNullableBytes(out: ByteWriter, bytes: Uint8Array | null): ByteWriter {
  return bytes === null ? out.varint(-1) : out.varint(bytes.length).bytes(bytes);
}

// ---------------------------------------------------------------------------------------
// Control records: COMMIT / ABORT markers (ControlRecordType.java, EndTransactionMarker.java)

/** ControlRecordType ids; -1 is UNKNOWN. */
export const CONTROL_RECORD_TYPES = ['ABORT', 'COMMIT', 'LEADER_CHANGE', 'SNAPSHOT_HEADER', 'SNAPSHOT_FOOTER', 'KRAFT_VERSION', 'KRAFT_VOTERS'] as const;
export type ControlRecordType = (typeof CONTROL_RECORD_TYPES)[number] | 'UNKNOWN';
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VALUE_SIZE = 6;

export interface EndTxnMarkerInput {
  readonly type: ControlType;
  readonly coordinatorEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly timestamp: number;
}

/** The marker batch of MemoryRecords.writeEndTransactionalMarker: 78 bytes. */
export function encodeEndTxnMarker(m: EndTxnMarkerInput): Uint8Array {
  const key = new ByteWriter(CONTROL_KEY_SIZE).int16(0).int16(CONTROL_RECORD_TYPES.indexOf(m.type)).finish();
  const value = new ByteWriter(END_TXN_MARKER_VALUE_SIZE).int16(0).int32(m.coordinatorEpoch).finish();
  const batch = encodeBatch({
    baseOffset: m.baseOffset ?? 0,
    partitionLeaderEpoch: m.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
    isTransactional: true,
    isControl: true,
    baseTimestamp: m.timestamp,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: NO_SEQUENCE,
    records: [{ key, value, headers: [], timestamp: m.timestamp }],
  });
  assert(batch.length === END_TXN_MARKER_BATCH_SIZE, `marker batch is ${batch.length} bytes`);
  return batch;
}

/** The type in a control record's key (ControlRecordType.parse); throws CorruptBatch if malformed. */
export function controlRecordType(record: Record): ControlRecordType {
  const key = record.key;
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new CorruptBatch(`invalid control record key size ${key?.length ?? 'null'} (needs ${CONTROL_KEY_SIZE})`, record.offset);
  }
  const view = viewOf(key);
  const version = view.getInt16(0);
  if (version < 0) throw new CorruptBatch(`invalid version ${version} for control record key`, record.offset);
  return CONTROL_RECORD_TYPES[view.getInt16(2)] ?? 'UNKNOWN';
}

/**
 * The COMMIT/ABORT marker a control record carries; throws CorruptBatch on a bad key or
 * value (its `position` is the record's offset), including control types that are not
 * end-transaction markers.
 */
export function decodeEndTxnMarker(record: Record): EndTxnMarker {
  const type = controlRecordType(record);
  if (type !== 'ABORT' && type !== 'COMMIT') {
    throw new CorruptBatch(`invalid control record type ${type} for an end transaction marker`, record.offset);
  }
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw new CorruptBatch(`invalid end transaction marker value size ${value?.length ?? 'null'} (needs ${END_TXN_MARKER_VALUE_SIZE})`, record.offset);
  }
  const view = viewOf(value);
  const version = view.getInt16(0);
  if (version < 0) throw new CorruptBatch(`invalid version ${version} for end transaction marker`, record.offset);
  return { type, coordinatorEpoch: view.getInt32(2) };
}

// ---------------------------------------------------------------------------------------
// Stamping on append

/** The broker stamps these on append; neither is covered by the CRC. Mutates in place. */
export function setBaseOffset(batch: Uint8Array, baseOffset: number): void {
  assertStampable(batch);
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `bad baseOffset ${baseOffset}`);
  viewOf(batch).setBigInt64(BASE_OFFSET_OFFSET, BigInt(baseOffset));
}

export function setPartitionLeaderEpoch(batch: Uint8Array, epoch: number): void {
  assertStampable(batch);
  assert(Number.isInteger(epoch) && epoch >= -1 && epoch <= 0x7fff_ffff, `bad partitionLeaderEpoch ${epoch}`);
  viewOf(batch).setInt32(PARTITION_LEADER_EPOCH_OFFSET, epoch);
}

function assertStampable(batch: Uint8Array): void {
  assert(batch.length >= RECORD_BATCH_OVERHEAD, `not a batch: ${batch.length} bytes`);
  assert(batch[MAGIC_OFFSET] === MAGIC_VALUE_V2, `not a v2 batch: magic ${batch[MAGIC_OFFSET]}`);
}

// ---------------------------------------------------------------------------------------
// Helpers

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function headerInt64(view: DataView, at: number, what: string): number {
  try {
    return int64At(view, at, what);
  } catch (error) {
    if (error instanceof ByteRangeError) throw new CorruptBatch(error.reason, error.position);
    throw error;
  }
}

function checkedSum(base: number, delta: number, what: string, position: number): number {
  const sum = base + delta;
  if (!Number.isSafeInteger(sum)) throw new CorruptBatch(`${what} ${base} + ${delta} is outside the JS safe-integer range`, position);
  return sum;
}

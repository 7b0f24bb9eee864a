import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/assert.ts';
import { crc32c, crc32cPureJs } from '../../src/storage/crc32c.ts';
import {
  checkBatch,
  controlRecordType,
  CorruptBatch,
  decodeBatch,
  decodeBatches,
  decodeEndTxnMarker,
  encodeBatch,
  encodeEndTxnMarker,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  UnsupportedCompression,
} from '../../src/storage/record-batch.ts';
import type { Record } from '../../src/storage/records.ts';
import { batchDifferences, batchInputArb } from './record-batch.arbitraries.ts';

const te = new TextEncoder();
const bytes = (s: string) => te.encode(s);
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Recompute the CRC after a test edits CRC-covered bytes on purpose. */
function restamp(batch: Uint8Array): Uint8Array {
  view(batch).setUint32(17, crc32c(batch.subarray(21)));
  return batch;
}

function sample(): Uint8Array {
  return encodeBatch({
    baseOffset: 10,
    producerId: 7,
    producerEpoch: 1,
    baseSequence: 0,
    records: [
      { key: bytes('k0'), value: bytes('v0'), timestamp: 1000, headers: [{ key: 'h', value: null }] },
      { key: null, value: bytes('v1'), timestamp: 1005 },
      { key: bytes('k2'), value: null, timestamp: 990 },
    ],
  });
}

describe('RecordBatch v2 round trip', () => {
  it('decodes every field of what it encodes (null keys/values/header values, duplicate headers, idempotent, transactional, gzip, LogAppendTime, empty batches)', () => {
    fc.assert(
      fc.property(batchInputArb(), (input) => {
        const encoded = encodeBatch(input);
        const check = checkBatch(encoded, 0);
        expect(check.kind).toBe('valid');
        const decoded = decodeBatch(encoded);
        expect(batchDifferences(input, decoded)).toEqual([]);
        expect(decoded.sizeInBytes).toBe(encoded.length);
        if (check.kind === 'valid') expect(check.header.crc).toBe(decoded.crc);
        expect(decodeBatches(encoded)).toEqual({ batches: [decoded], validBytes: encoded.length });
      }),
      { numRuns: 250 },
    );
  });

  it('the field checker flags a decoded batch whose input differs in one record value', () => {
    fc.assert(
      fc.property(batchInputArb({ allowEmpty: false }), fc.nat(), (input, pick) => {
        const decoded = decodeBatch(encodeBatch(input));
        const i = pick % input.records.length;
        const changed = input.records.map((r, j) => (j === i ? { ...r, value: r.value === null ? new Uint8Array(0) : null } : r));
        expect(batchDifferences({ ...input, records: changed }, decoded)).toEqual([`records[${i}].value differs`]);
      }),
      { numRuns: 100 },
    );
  });

  it('flipping any single byte from attributes to the end makes checkBatch corrupt', () => {
    fc.assert(
      fc.property(batchInputArb({ maxRecords: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (input, at, mask) => {
        const encoded = encodeBatch(input);
        const index = 21 + (at % (encoded.length - 21));
        encoded[index] = (encoded[index] as number) ^ mask;
        const check = checkBatch(encoded, 0);
        expect(check.kind).toBe('corrupt');
        // Either the CRC catches it, or the flipped header field is itself impossible.
        if (check.kind === 'corrupt') expect(check.reason).toMatch(/crc|compression type|safe-integer/);
      }),
      { numRuns: 300 },
    );
  });

  it('flipping bytes 12..15 (partitionLeaderEpoch) keeps the CRC valid: it is not covered', () => {
    fc.assert(
      fc.property(batchInputArb({ maxRecords: 5 }), fc.integer({ min: 12, max: 15 }), fc.integer({ min: 1, max: 255 }), (input, index, mask) => {
        const encoded = encodeBatch(input);
        const before = decodeBatch(encoded);
        encoded[index] = (encoded[index] as number) ^ mask;
        const check = checkBatch(encoded, 0);
        expect(check.kind).toBe('valid');
        if (check.kind === 'valid') expect(check.header.partitionLeaderEpoch).not.toBe(before.partitionLeaderEpoch);
      }),
      { numRuns: 100 },
    );
  });

  it('setBaseOffset and setPartitionLeaderEpoch stamp in place without touching the CRC', () => {
    const batch = sample();
    const crcBefore = readBatchHeader(batch, 0).crc;
    setBaseOffset(batch, 2 ** 40);
    setPartitionLeaderEpoch(batch, 118);
    expect(checkBatch(batch, 0).kind).toBe('valid');
    const decoded = decodeBatch(batch);
    expect([decoded.baseOffset, decoded.lastOffset, decoded.partitionLeaderEpoch, decoded.crc]).toEqual([2 ** 40, 2 ** 40 + 2, 118, crcBefore]);
    expect(decoded.records.map((r) => r.offset)).toEqual([2 ** 40, 2 ** 40 + 1, 2 ** 40 + 2]);
  });

  it('works on a view with a nonzero byteOffset (node Buffers from a pool) and at nonzero positions', () => {
    const batch = sample();
    const backing = new Uint8Array(13 + 5 + batch.length + 7);
    backing.set(batch, 13 + 5);
    const viewed = Buffer.from(backing.buffer, 13, backing.length - 13); // byteOffset 13, batch at position 5
    expect(checkBatch(viewed, 5).kind).toBe('valid');
    expect(batchDifferences({ baseOffset: 10, producerId: 7, producerEpoch: 1, baseSequence: 0, records: decodeBatch(batch).records.map((r) => ({ ...r })) }, decodeBatch(viewed, 5))).toEqual([]);
    const inPlace = viewed.subarray(5, 5 + batch.length);
    setBaseOffset(inPlace, 99);
    setPartitionLeaderEpoch(inPlace, 3);
    expect(decodeBatches(inPlace).batches[0]).toMatchObject({ baseOffset: 99, partitionLeaderEpoch: 3, crcValid: true });
    expect(backing.subarray(0, 18).every((b) => b === 0)).toBe(true); // nothing written outside the batch
  });

  it('writes the Java producer defaults: baseTimestamp = first record, maxTimestamp = max, pid/epoch/seq -1', () => {
    const decoded = decodeBatch(encodeBatch({ records: [{ key: null, value: null, timestamp: 50 }, { key: null, value: null, timestamp: 70 }, { key: null, value: null, timestamp: 60 }] }));
    expect(decoded).toMatchObject({ baseTimestamp: 50, maxTimestamp: 70, producerId: -1, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1, attributes: 0 });
  });
});

describe('byte-exact against other implementations', () => {
  // IBM/sarama record_test.go recordBatchTestCases: bytes Sarama writes and Kafka reads.
  const zeros = (n: number) => new Array<number>(n).fill(0);
  const saramaHeader = (length: number, crc: number[], attributes: number, firstTimestamp: number[], count: number) => [
    ...zeros(8), 0, 0, 0, length, ...zeros(4), 2, ...crc, 0, attributes, ...zeros(4), // baseOffset .. lastOffsetDelta
    ...firstTimestamp, ...zeros(8 + 8 + 2 + 4), 0, 0, 0, count, // .. maxTimestamp, producerId, epoch, sequence, count
  ];
  const zeroTs = [0, 0, 0, 0, 0, 0, 0, 0];
  const ts1479847795 = [0, 0, 1, 88, 141, 205, 89, 56];
  const saramaRecord = [40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12];
  const emptyFields = { partitionLeaderEpoch: 0, baseTimestamp: 0, maxTimestamp: 0, producerId: 0, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0, records: [] };

  it('"empty record" and "control batch" (attrs 0x20, CRC 81,46,67,217)', () => {
    expect([...encodeBatch(emptyFields)]).toEqual(saramaHeader(49, [89, 95, 183, 221], 0, zeroTs, 0));
    expect([...encodeBatch({ ...emptyFields, isControl: true })]).toEqual(saramaHeader(49, [81, 46, 67, 217], 32, zeroTs, 0));
  });

  it('"uncompressed record" encodes identically and decodes to its fields', () => {
    const expected = new Uint8Array([...saramaHeader(70, [84, 121, 97, 253], 0, ts1479847795, 1), ...saramaRecord]);
    const input = {
      ...emptyFields,
      baseTimestamp: 1479847795000,
      records: [{ key: new Uint8Array([1, 2, 3, 4]), value: new Uint8Array([5, 6, 7]), timestamp: 1479847795005, headers: [{ key: '\x08\x09\x0a', value: new Uint8Array([11, 12]) }] }],
    };
    expect(encodeBatch(input)).toEqual(expected);
    const decoded = decodeBatch(expected);
    expect(batchDifferences(input, decoded)).toEqual([]);
  });

  it('"gzipped record" (Go\'s deflate stream) decodes', () => {
    const gz = [31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 0, 21, 0, 234, 255, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12, 3, 0, 173, 201, 88, 103, 21, 0, 0, 0];
    const batch = new Uint8Array([...saramaHeader(95, [231, 74, 206, 165], 1, ts1479847795, 1), ...gz]);
    const decoded = decodeBatch(batch);
    expect(decoded).toMatchObject({ crcValid: true, compression: 'gzip', recordsCount: 1 });
    expect(decoded.records[0]).toMatchObject({ offset: 0, timestamp: 1479847795005, key: new Uint8Array([1, 2, 3, 4]), value: new Uint8Array([5, 6, 7]) });
    expect(decoded.records[0]?.headers).toEqual([{ key: '\x08\x09\x0a', value: new Uint8Array([11, 12]) }]);
  });

  it('"snappy" and "lz4" batches: checkBatch accepts them (recovery reads no records), decodeBatch refuses', () => {
    const snappy = new Uint8Array([...saramaHeader(72, [21, 0, 159, 97], 2, ts1479847795, 1), 21, 80, ...saramaRecord]);
    const lz4Body = [4, 34, 77, 24, 100, 112, 185, 21, 0, 0, 128, ...saramaRecord, 0, 0, 0, 0, 12, 59, 239, 146];
    const lz4 = new Uint8Array([...saramaHeader(89, [169, 74, 119, 197], 3, ts1479847795, 1), ...lz4Body]);
    for (const [batch, name] of [[snappy, 'snappy'], [lz4, 'lz4']] as const) {
      const check = checkBatch(batch, 0);
      expect(check.kind).toBe('valid');
      if (check.kind === 'valid') expect(check.header.compression).toBe(name);
      expect(() => decodeBatch(batch)).toThrow(UnsupportedCompression);
      expect(() => decodeBatch(batch)).toThrow(InputError);
      expect(() => decodeBatch(batch)).toThrow(`unsupported compression: ${name}`);
    }
  });

  it('kafkajs crcPayload: CRC-32C 818496390, decodes, and re-encodes byte for byte', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/kafkajs-crcPayload.json', import.meta.url), 'utf8')) as { data: number[] };
    const payload = new Uint8Array(fixture.data);
    expect(crc32c(payload)).toBe(818496390);
    expect(crc32cPureJs(payload)).toBe(818496390);
    // Frame it as kafkajs does: baseOffset 0, batchLength, partitionLeaderEpoch 0, magic 2, crc.
    const batch = new Uint8Array(21 + payload.length);
    batch.set(payload, 21);
    view(batch).setInt32(8, 9 + payload.length);
    batch[16] = 2;
    view(batch).setUint32(17, 818496390);
    const decoded = decodeBatch(batch);
    expect(decoded).toMatchObject({ crcValid: true, recordsCount: 3, producerId: -1, producerEpoch: 0, baseSequence: 0, lastOffset: 2 });
    expect(decoded.records.map((r) => new TextDecoder().decode(r.key as Uint8Array))).toEqual(['key-82cf093c743bd3836e18', 'key-06e3f59abd27ecf561a3', 'key-f370294cf39e565017a6']);
    expect(decoded.records.every((r) => r.headers.length === 1 && r.headers[0]?.key === 'a')).toBe(true);
    const reencoded = encodeBatch({ ...decoded, compression: 'none', records: decoded.records.map((r) => ({ ...r })) });
    expect(reencoded).toEqual(batch);
  });
});

describe('byte-exact against the JVM producer (kafkajs fetch fixture v4_from_scala_producer)', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/kafkajs-fetch-v4-from-scala-producer.json', import.meta.url), 'utf8')) as { data: number[] };
  const recordSet = new Uint8Array(fixture.data).subarray(91, 91 + 642);

  it('decodes all 6 batches with the Java client conventions (pid/epoch/sequence -1)', () => {
    const segment = decodeBatches(recordSet);
    expect(segment.tail).toBeUndefined();
    expect(segment.validBytes).toBe(642);
    expect(segment.batches.map((b) => [b.baseOffset, b.sizeInBytes, b.crcValid, b.producerId, b.producerEpoch, b.baseSequence, b.partitionLeaderEpoch])).toEqual(
      [0, 1, 2, 3, 4, 5].map((offset) => [offset, 107, true, -1, -1, -1, 0]),
    );
    const first = segment.batches[0]?.records[0];
    expect(new TextDecoder().decode(first?.key as Uint8Array)).toBe('KEY-1');
    expect(new TextDecoder().decode(first?.value as Uint8Array)).toBe('VALUE-Lorem ipsum dolor sit amet-1');
  });

  it('re-encodes every batch to exactly the bytes the JVM wrote', () => {
    const segment = decodeBatches(recordSet);
    const reencoded = segment.batches.map((b) => encodeBatch({ ...b, compression: 'none', records: b.records.map((r) => ({ ...r })) }));
    expect(Buffer.concat(reencoded)).toEqual(Buffer.from(recordSet));
  });
});

describe('CRC-32C', () => {
  it('matches the published check values (kafkajs crc32C spec)', () => {
    const lorem =
      'Lorem ipsum dolor sit amet, consectetur adipiscing elit. Morbi mollis cursus metus vel tristique. Proin congue massa massa, a malesuada dolor ullamcorper a. Nulla eget leo vel orci venenatis placerat. Donec semper condimentum justo, vel sollicitudin dolor consequat id. Nunc sed aliquet felis, eget congue nisi. Mauris eu justo suscipit, elementum turpis ut, molestie tellus. Mauris ornare rutrum fringilla. Nulla dignissim luctus pretium. Nullam nec eros hendrerit sapien pellentesque sollicitudin. Integer eget ligula dui. Mauris nec cursus nibh. Nunc interdum elementum leo, eu sagittis eros sodales nec. Duis dictum nulla sed tincidunt malesuada. Quisque in vulputate sapien. Sed sit amet tellus a est porta rhoncus sed eu metus. Mauris non pulvinar nisl, volutpat luctus enim. Suspendisse est nisi, sagittis at risus quis, ultricies rhoncus sem. Donec ullamcorper purus eget sapien facilisis, eu eleifend felis viverra. Suspendisse elit neque, semper aliquet neque sed, egestas tempus leo. Duis condimentum turpis duis.';
    for (const impl of [crc32c, crc32cPureJs]) {
      expect(impl(bytes('123456789'))).toBe(0xe3069283);
      expect(impl(new Uint8Array(0))).toBe(0);
      expect(impl(bytes('\0'))).toBe(1383945041);
      expect(impl(bytes(lorem))).toBe(1796588439);
    }
  });

  it('native and pure-JS agree on random buffers, also when continued', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        expect(crc32c(a)).toBe(crc32cPureJs(a));
        const whole = new Uint8Array([...a, ...b]);
        expect(crc32c(b, crc32c(a))).toBe(crc32cPureJs(whole));
      }),
      { numRuns: 300 },
    );
  });
});

describe('end-transaction markers', () => {
  const marker = (type: 'COMMIT' | 'ABORT') =>
    encodeEndTxnMarker({ type, coordinatorEpoch: 117, producerId: 103000, producerEpoch: 2, baseOffset: 6, partitionLeaderEpoch: 118, timestamp: 1_600_000_000_000 });

  it('is a 78-byte control batch with the §1.3 fields', () => {
    const batch = marker('ABORT');
    expect(batch.length).toBe(78);
    const decoded = decodeBatch(batch);
    expect(decoded).toMatchObject({
      baseOffset: 6, lastOffset: 6, partitionLeaderEpoch: 118, attributes: 0x30, isControl: true, isTransactional: true,
      compression: 'none', timestampType: 'CreateTime', producerId: 103000, producerEpoch: 2, baseSequence: -1, recordsCount: 1, crcValid: true,
    });
    const record = decoded.records[0] as Record;
    expect([...(record.key as Uint8Array)]).toEqual([0, 0, 0, 0]);
    expect([...(record.value as Uint8Array)]).toEqual([0, 0, 0, 0, 0, 0x75]);
    expect(decodeEndTxnMarker(record)).toEqual({ type: 'ABORT', coordinatorEpoch: 117 });
    const commit = decodeBatch(marker('COMMIT')).records[0] as Record;
    expect([...(commit.key as Uint8Array)]).toEqual([0, 0, 0, 1]);
    expect(decodeEndTxnMarker(commit)).toEqual({ type: 'COMMIT', coordinatorEpoch: 117 });
  });

  const control = (key: number[] | null, value: number[] | null): Record => ({
    offset: 3, timestamp: 0, key: key && new Uint8Array(key), value: value && new Uint8Array(value), headers: [],
  });

  it('reads the other control types and rejects malformed keys and values', () => {
    expect(controlRecordType(control([0, 0, 0, 2], null))).toBe('LEADER_CHANGE');
    expect(controlRecordType(control([0, 0, 0x7f, 0], null))).toBe('UNKNOWN');
    expect(() => decodeEndTxnMarker(control([0, 0, 0, 2], [0, 0, 0, 0, 0, 1]))).toThrow(/invalid control record type LEADER_CHANGE/);
    expect(() => decodeEndTxnMarker(control([0xff, 0xff, 0, 1], [0, 0, 0, 0, 0, 1]))).toThrow(/invalid version -1 for control record key/);
    expect(() => decodeEndTxnMarker(control([0, 0, 0], [0, 0, 0, 0, 0, 1]))).toThrow(CorruptBatch);
    expect(() => decodeEndTxnMarker(control(null, [0, 0, 0, 0, 0, 1]))).toThrow(/key size null/);
    expect(() => decodeEndTxnMarker(control([0, 0, 0, 1], [0, 0, 0, 0]))).toThrow(/value size 4/);
    expect(() => decodeEndTxnMarker(control([0, 0, 0, 1], [0x80, 0, 0, 0, 0, 1]))).toThrow(/invalid version -32768 for end transaction marker/);
  });
});

describe('errors: what recovery and the decoder say about bad bytes', () => {
  it('every strict prefix of a batch is partial (a torn tail), never corrupt', () => {
    const batch = sample();
    for (let n = 0; n < batch.length; n++) {
      expect(checkBatch(batch.subarray(0, n), 0), `prefix ${n}`).toEqual({ kind: 'partial', remaining: n });
    }
  });

  it('exactly 17 bytes is still partial, as in FileLogInputStream (position + 17 >= end)', () => {
    expect(checkBatch(sample().subarray(0, 17), 0).kind).toBe('partial');
  });

  it('reports impossible frames as corrupt with a reason', () => {
    const tiny = sample();
    view(tiny).setInt32(8, 13);
    expect(checkBatch(tiny, 0)).toEqual({ kind: 'corrupt', reason: 'batchLength 13 is smaller than the minimum record overhead (14)' });
    const legacy = sample();
    legacy[16] = 1;
    expect(checkBatch(legacy, 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/magic 1 is not 2/) });
    const short = sample();
    view(short).setInt32(8, 40);
    expect(checkBatch(short, 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/size 52 is smaller than the minimum allowed overhead 61/) });
    const flipped = sample();
    flipped[70] = (flipped[70] as number) ^ 1;
    expect(checkBatch(flipped, 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/^record is corrupt \(stored crc = \d+, computed crc = \d+\)$/) });
  });

  it('never throws on garbage, and never claims garbage is valid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (garbage, at) => {
        const position = at % (garbage.length + 1);
        expect(['partial', 'corrupt']).toContain(checkBatch(garbage, position).kind);
        const segment = decodeBatches(garbage);
        expect(segment.batches).toEqual([]);
        if (garbage.length > 0) expect(segment.tail?.position).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('decodeBatch keeps a CRC mismatch as crcValid=false', () => {
    const batch = sample();
    const v0 = Buffer.from(batch).indexOf('v0');
    batch[v0] = 'w'.charCodeAt(0);
    const decoded = decodeBatch(batch);
    expect(decoded.crcValid).toBe(false);
    expect(new TextDecoder().decode(decoded.records[0]?.value as Uint8Array)).toBe('w0');
  });

  it('throws CorruptBatch for structural damage, even with a correct CRC', () => {
    const more = sample();
    view(more).setInt32(57, 4);
    expect(() => decodeBatch(restamp(more))).toThrow(/record 3: record length needs 1 bytes, 0 remain/);
    const fewer = sample();
    view(fewer).setInt32(57, 2);
    expect(() => decodeBatch(restamp(fewer))).toThrow(/incorrect declared batch size: \d+ bytes remain after 2 records/);
    const negative = sample();
    view(negative).setInt32(57, -1);
    expect(() => decodeBatch(restamp(negative))).toThrow(/negative records count -1/);
    const overrun = sample();
    overrun[61] = 0x7e; // first record's length varint: 63 bytes
    expect(() => decodeBatch(restamp(overrun))).toThrow(/record 0: record length 63 overruns the batch/);
    const badVarint = sample();
    badVarint.fill(0xff, 61, 67);
    expect(() => decodeBatch(restamp(badVarint))).toThrow(/record 0: record length is longer than 5 bytes/);
    const hugeOffset = sample();
    view(hugeOffset).setBigInt64(0, 2n ** 60n);
    expect(() => decodeBatch(hugeOffset)).toThrow(/baseOffset 1152921504606846976 is outside the JS safe-integer range/);
    expect(() => readBatchHeader(hugeOffset, 0)).toThrow(CorruptBatch);
    expect(checkBatch(hugeOffset, 0).kind).toBe('corrupt');
  });

  it('throws CorruptBatch for a gzip stream that does not inflate', () => {
    const batch = encodeBatch({ compression: 'gzip', records: [{ key: null, value: bytes('x'.repeat(50)) }] });
    batch.fill(0, 61 + 10, 61 + 20);
    expect(() => decodeBatch(restamp(batch))).toThrow(/gzip stream/);
  });

  it('readBatchHeader needs 61 bytes', () => {
    expect(() => readBatchHeader(sample().subarray(0, 60), 0)).toThrow(/a batch header needs 61 bytes, 60 remain/);
  });

  it('decodeBatches stops at a torn last batch and reports the tail', () => {
    const a = sample();
    const b = marker();
    const c = sample();
    const segment = new Uint8Array([...a, ...b, ...c.subarray(0, 30)]);
    const result = decodeBatches(segment);
    expect(result.batches.map((x) => x.baseOffset)).toEqual([10, 3]);
    expect(result.validBytes).toBe(a.length + b.length);
    expect(result.tail).toEqual({ position: a.length + b.length, reason: 'torn batch: 30 bytes remain, the batch needs more' });
    expect(decodeBatches(new Uint8Array(0))).toEqual({ batches: [], validBytes: 0 });
  });

  it('decodeBatches stops at the first corrupt batch even if valid ones follow (recovery truncates there)', () => {
    const a = sample();
    const b = sample();
    b[80] = (b[80] as number) ^ 4;
    const result = decodeBatches(new Uint8Array([...a, ...b, ...sample()]));
    expect(result.batches).toHaveLength(1);
    expect(result.validBytes).toBe(a.length);
    expect(result.tail?.reason).toMatch(/record is corrupt/);
  });

  function marker(): Uint8Array {
    return encodeEndTxnMarker({ type: 'COMMIT', coordinatorEpoch: 1, producerId: 7, producerEpoch: 1, baseOffset: 3, timestamp: 5 });
  }
});

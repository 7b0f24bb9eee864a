import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteRangeError, ByteReader, ByteWriter, sizeOfVarint, sizeOfVarlong } from '../../src/storage/varint.ts';

// kafkajs's Encoder/Decoder (BigInt-backed Long) serve as an independent implementation.
const require = createRequire(import.meta.url);
const KafkaJsEncoder = require('kafkajs/src/protocol/encoder.js');
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const writeVarint = (v: number) => new ByteWriter().varint(v).finish();
const writeVarlong = (v: number | bigint) => new ByteWriter().varlong(v).finish();
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

describe('varint (ByteUtils.writeVarint / readVarint)', () => {
  it('encodes the protobuf zigzag vectors', () => {
    const vectors: [number, string][] = [
      [0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [63, '7e'], [-64, '7f'], [64, '8001'],
      [300, 'd804'], [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f'],
    ];
    for (const [value, bytes] of vectors) {
      expect(hex(writeVarint(value)), `${value}`).toBe(bytes);
      expect(new ByteReader(fromHex(bytes)).varint()).toBe(value);
      expect(sizeOfVarint(value)).toBe(bytes.length / 2);
    }
  });

  it('round-trips every int32 and agrees byte for byte with kafkajs', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), (value) => {
        const bytes = writeVarint(value);
        expect(hex(bytes)).toBe(new KafkaJsEncoder().writeVarInt(value).buffer.toString('hex'));
        const reader = new ByteReader(bytes);
        expect(reader.varint()).toBe(value);
        expect(reader.remaining).toBe(0);
        expect(sizeOfVarint(value)).toBe(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('drops the bits of a 5th byte past 32, like Java int arithmetic', () => {
    // 0x7f in the 5th byte sets bits 28..34; only 28..31 survive.
    expect(new ByteReader(fromHex('ffffffff7f')).varint()).toBe(-2147483648);
  });

  it('rejects a 6th continuation byte and a truncated varint, naming the position', () => {
    const tooLong = new ByteReader(fromHex('aaff808080808001'), 1);
    expect(() => tooLong.varint()).toThrow(ByteRangeError);
    expect(() => new ByteReader(fromHex('aaff808080808001'), 1).varint()).toThrow(/longer than 5 bytes at position 1/);
    expect(() => new ByteReader(fromHex('8080'), 0).varint('key length')).toThrow(/key length needs 1 bytes, 0 remain at position 2/);
  });

  it('never reads past the reader end even when the buffer continues', () => {
    const reader = new ByteReader(fromHex('808001'), 0, 2);
    expect(() => reader.varint()).toThrow(ByteRangeError);
  });
});

describe('varlong (ByteUtils.writeVarlong / readVarlong)', () => {
  it('encodes the int64 extremes and values around 2^31, 2^49, 2^53', () => {
    expect(hex(writeVarlong(INT64_MAX))).toBe('feffffffffffffffff01');
    expect(hex(writeVarlong(INT64_MIN))).toBe('ffffffffffffffffff01');
    expect(new ByteReader(fromHex('feffffffffffffffff01')).varlongBig()).toBe(INT64_MAX);
    expect(new ByteReader(fromHex('ffffffffffffffffff01')).varlongBig()).toBe(INT64_MIN);
    for (const v of [2 ** 31, -(2 ** 31) - 1, 2 ** 48, 2 ** 49, -(2 ** 49), 2 ** 52 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const bytes = writeVarlong(v);
      expect(hex(bytes), `${v}`).toBe(hex(writeVarlong(BigInt(v))));
      expect(new ByteReader(bytes).varlong()).toBe(v);
    }
  });

  it('round-trips every int64 exactly and agrees byte for byte with kafkajs', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (value) => {
        const bytes = writeVarlong(value);
        expect(hex(bytes)).toBe(new KafkaJsEncoder().writeVarLong(Long.fromValue(value)).buffer.toString('hex'));
        const reader = new ByteReader(bytes);
        expect(BigInt(reader.varlongBig())).toBe(value);
        expect(reader.remaining).toBe(0);
        // kafkajs decodes our bytes to the same value
        expect(new KafkaJsDecoder(Buffer.from(bytes)).readVarLong().toString()).toBe(value.toString());
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips safe integers as numbers (timestamp deltas beyond 2^31)', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        const bytes = writeVarlong(value);
        expect(new ByteReader(bytes).varlong()).toBe(value);
        expect(sizeOfVarlong(value)).toBe(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a value outside the safe range exactly as bigint, and refuses it as a number', () => {
    const bytes = writeVarlong(2n ** 53n);
    expect(new ByteReader(bytes).varlongBig()).toBe(2n ** 53n);
    expect(() => new ByteReader(bytes).varlong('timestampDelta')).toThrow(/timestampDelta 9007199254740992 is outside the JS safe-integer range/);
  });

  it('rejects an 11th continuation byte', () => {
    expect(() => new ByteReader(fromHex('ffffffffffffffffff8101')).varlongBig()).toThrow(/longer than 10 bytes/);
  });
});

describe('the round-trip checker has teeth', () => {
  // A naive varlong that uses 32-bit bit operations, a classic bug: the same property
  // that passes for ByteWriter must fail for it once values exceed 2^31.
  function naiveVarlong(v: number): Uint8Array {
    const out: number[] = [];
    let raw = ((v << 1) ^ (v >> 31)) >>> 0;
    while (raw >= 0x80) {
      out.push((raw & 0x7f) | 0x80);
      raw >>>= 7;
    }
    out.push(raw);
    return new Uint8Array(out);
  }

  it('finds the counterexample in the naive codec', () => {
    const roundTrips = (encode: (v: number) => Uint8Array) =>
      fc.property(fc.maxSafeInteger(), (v) => new ByteReader(encode(v)).varlong() === v);
    expect(fc.check(roundTrips((v) => writeVarlong(v)), { numRuns: 500 }).failed).toBe(false);
    expect(fc.check(roundTrips(naiveVarlong), { numRuns: 500 }).failed).toBe(true);
  });
});

describe('ByteReader / ByteWriter fixed-width integers', () => {
  it('round-trip big-endian int8/16/32/uint32/int64 and grow past the initial capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), fc.maxSafeInteger()), { maxLength: 40 }),
        (rows) => {
          const w = new ByteWriter(1);
          for (const [a, b, c, d, e] of rows) w.int8(a).int16(b).int32(c).uint32(d).int64(e);
          const bytes = w.finish();
          expect(bytes.length).toBe(rows.length * 19);
          const r = new ByteReader(bytes);
          for (const [a, b, c, d, e] of rows) expect([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64()]).toEqual([a, b, c, d, e]);
          expect(r.remaining).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses an int64 outside the safe range instead of rounding it', () => {
    const bytes = fromHex('0020000000000001'); // 2^53 + 1
    expect(() => new ByteReader(bytes).int64('baseOffset')).toThrow(/baseOffset 9007199254740993 is outside/);
  });

  it('copies bytes out, so later writes to the buffer do not change them', () => {
    const buf = fromHex('01020304');
    const got = new ByteReader(buf).bytes(4);
    buf[0] = 9;
    expect(hex(got)).toBe('01020304');
    // also from a node Buffer, whose own slice() would be a view
    const nodeBuf = Buffer.from([1, 2, 3]);
    const fromBuffer = new ByteReader(nodeBuf).bytes(3);
    nodeBuf[0] = 9;
    expect(fromBuffer).toEqual(new Uint8Array([1, 2, 3]));
    expect(Buffer.isBuffer(fromBuffer)).toBe(false);
  });
});

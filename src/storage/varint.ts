/**
 * Byte cursors for Kafka's binary formats: big-endian fixed-width integers and the zigzag
 * varints of `clients/.../common/utils/ByteUtils.java` (protobuf's encoding: zigzag, then
 * 7-bit groups, least significant first, high bit = "more follows").
 *
 * - varint: an int32, at most 5 bytes. As in `ByteUtils.readVarint`, a 5th byte's bits
 *   beyond the 32nd are dropped, and a 6th continuation byte is an error.
 * - varlong: an int64, at most 10 bytes. Decoded exactly: numbers while the value fits in
 *   49 bits, BigInt beyond. `readVarlong` returns a JS number and rejects a value outside
 *   the safe-integer range instead of rounding it.
 *
 * Readers never read past their `end`: running out of bytes is a {@link ByteRangeError}
 * carrying the position, which the record-batch codec turns into `CorruptBatch`.
 */
import { assert } from '../core/assert.ts';

/** A read that would pass the end of its region, or a malformed number in it. */
export class ByteRangeError extends Error {
  override name = 'ByteRangeError';
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`);
  }
}

const TWO_POW_32 = 0x1_0000_0000;

/** Reads a region [pos, end) of a byte array; `pos` advances with every read. */
export class ByteReader {
  readonly view: DataView;
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    assert(0 <= pos && pos <= end && end <= buf.length, `bad reader region [${pos}, ${end}) of ${buf.length}`);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number, what: string): number {
    if (this.end - this.pos < n) {
      throw new ByteRangeError(`${what} needs ${n} bytes, ${this.end - this.pos} remain`, this.pos);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.take(1, 'int8'));
  }

  int16(): number {
    return this.view.getInt16(this.take(2, 'int16'));
  }

  int32(): number {
    return this.view.getInt32(this.take(4, 'int32'));
  }

  uint32(): number {
    return this.view.getUint32(this.take(4, 'uint32'));
  }

  /** An int64 as a JS number; a value outside the safe-integer range is an error. */
  int64(what = 'int64'): number {
    const at = this.take(8, what);
    return int64At(this.view, at, what);
  }

  /** `n` bytes, copied out of the buffer into a plain Uint8Array (the caller may keep them). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const at = this.take(n, what);
    const copy = new Uint8Array(n); // not buf.slice: on a node Buffer that is a view
    copy.set(this.buf.subarray(at, at + n));
    return copy;
  }

  varint(what = 'varint'): number {
    const start = this.pos;
    let raw = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) throw new ByteRangeError(`${what} is longer than 5 bytes`, start);
      const b = this.buf[this.take(1, what)] as number;
      raw |= (b & 0x7f) << shift; // Java int semantics: bits past 32 fall off
      if ((b & 0x80) === 0) break;
    }
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** A varlong as a JS number; a value outside the safe-integer range is an error. */
  varlong(what = 'varlong'): number {
    const start = this.pos;
    const value = this.varlongBig(what);
    if (typeof value === 'number') return value;
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ByteRangeError(`${what} ${value} is outside the JS safe-integer range`, start);
    }
    return Number(value);
  }

  /** A varlong, exact over the whole int64 range: a number when small, else a bigint. */
  varlongBig(what = 'varlong'): number | bigint {
    const start = this.pos;
    let raw = 0; // exact while below 2^49 (7 groups)
    for (let shift = 0; shift < 49; shift += 7) {
      const b = this.buf[this.take(1, what)] as number;
      raw += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    let big = BigInt(raw);
    for (let shift = 49n; ; shift += 7n) {
      if (shift > 63n) throw new ByteRangeError(`${what} is longer than 10 bytes`, start);
      const b = this.buf[this.take(1, what)] as number;
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
    }
    big = BigInt.asUintN(64, big); // Java long semantics: bits past 64 fall off
    return BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n));
  }
}

/** The int64 at `at` as a JS number, or a ByteRangeError if it is not a safe integer. */
export function int64At(view: DataView, at: number, what = 'int64'): number {
  const value = view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
  // Rounding is monotonic, so any |v| >= 2^53 stays >= 2^53 here and is caught.
  if (!Number.isSafeInteger(value)) {
    throw new ByteRangeError(`${what} ${view.getBigInt64(at)} is outside the JS safe-integer range`, at);
  }
  return value;
}

/** Writes into a growing buffer; `finish()` returns exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  private byte(b: number): void {
    const at = this.reserve(1);
    this.buf[at] = b;
  }

  int8(v: number): this {
    assertInt(v, -0x80, 0x7f, 'int8');
    const at = this.reserve(1);
    this.view.setInt8(at, v);
    return this;
  }

  int16(v: number): this {
    assertInt(v, -0x8000, 0x7fff, 'int16');
    const at = this.reserve(2);
    this.view.setInt16(at, v);
    return this;
  }

  int32(v: number): this {
    assertInt(v, -0x8000_0000, 0x7fff_ffff, 'int32');
    const at = this.reserve(4);
    this.view.setInt32(at, v);
    return this;
  }

  uint32(v: number): this {
    assertInt(v, 0, 0xffff_ffff, 'uint32');
    const at = this.reserve(4);
    this.view.setUint32(at, v);
    return this;
  }

  int64(v: number): this {
    assert(Number.isSafeInteger(v), `int64 must be a safe integer, got ${v}`);
    const at = this.reserve(8);
    this.view.setBigInt64(at, BigInt(v));
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    return this;
  }

  varint(v: number): this {
    assertInt(v, -0x8000_0000, 0x7fff_ffff, 'varint');
    let raw = ((v << 1) ^ (v >> 31)) >>> 0;
    while (raw >= 0x80) {
      this.byte((raw & 0x7f) | 0x80);
      raw >>>= 7;
    }
    this.byte(raw);
    return this;
  }

  /** A varlong of any int64 (a number must be a safe integer). */
  varlong(v: number | bigint): this {
    if (typeof v === 'number') {
      assert(Number.isSafeInteger(v), `varlong must be a safe integer, got ${v}`);
      if (Math.abs(v) < 2 ** 52) return this.unsignedVarlong(v >= 0 ? 2 * v : -2 * v - 1);
      v = BigInt(v);
    }
    assert(v === BigInt.asIntN(64, v), `varlong ${v} is outside int64`);
    let raw = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (raw >= 0x80n) {
      this.byte(Number(raw & 0x7fn) | 0x80);
      raw >>= 7n;
    }
    this.byte(Number(raw));
    return this;
  }

  /** `raw` < 2^53, already zigzagged. */
  private unsignedVarlong(raw: number): this {
    while (raw >= 0x80) {
      this.byte((raw % 0x80) | 0x80);
      raw = Math.floor(raw / 0x80);
    }
    this.byte(raw);
    return this;
  }

  /** Overwrite an int32 already written at `at` (a length or count filled in later). */
  patchInt32(at: number, v: number): void {
    assert(at + 4 <= this.length, `patch at ${at} past the end ${this.length}`);
    assertInt(v, -0x8000_0000, 0x7fff_ffff, 'int32');
    this.view.setInt32(at, v);
  }

  patchUint32(at: number, v: number): void {
    assert(at + 4 <= this.length, `patch at ${at} past the end ${this.length}`);
    assertInt(v, 0, 0xffff_ffff, 'uint32');
    this.view.setUint32(at, v);
  }

  /** The bytes written so far, as a view of the buffer (valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written, trimmed to their exact length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Bytes a varint takes (Kafka's `ByteUtils.sizeOfVarint`). */
export function sizeOfVarint(v: number): number {
  let raw = ((v << 1) ^ (v >> 31)) >>> 0;
  let bytes = 1;
  while (raw >= 0x80) {
    bytes++;
    raw >>>= 7;
  }
  return bytes;
}

/** Bytes a varlong takes (Kafka's `ByteUtils.sizeOfVarlong`); `v` a safe integer. */
export function sizeOfVarlong(v: number): number {
  let raw = v >= 0 ? 2 * v : -2 * v - 1; // < 2^54, exact up to a rounding that never crosses 2^7k
  let bytes = 1;
  while (raw >= 0x80) {
    bytes++;
    raw = Math.floor(raw / 0x80);
  }
  return bytes;
}

function assertInt(v: number, min: number, max: number, what: string): void {
  assert(Number.isInteger(v) && v >= min && v <= max, `${what} out of range: ${v}`);
}

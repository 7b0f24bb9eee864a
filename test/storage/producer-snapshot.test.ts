import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Prng } from '../../src/core/prng.ts';
import { crc32cPureJs } from '../../src/storage/crc32c.ts';
import {
  CorruptSnapshot,
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  parseSegmentFileName,
  PRODUCER_SNAPSHOT_ENTRY_BYTES,
  segmentFileName,
  snapshotFileName,
  writeProducerSnapshot,
  type ProducerStateEntry,
} from '../../src/storage/producer-snapshot.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { forEachCrashPoint } from './crash-points.ts';

const PATH = '/kafka-logs/orders-0/00000000000000000042.snapshot';

const entry = fc.record({
  producerId: fc.maxSafeNat(),
  producerEpoch: fc.integer({ min: 0, max: 32767 }),
  lastSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  lastOffset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  timestamp: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  coordinatorEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  currentTxnFirstOffset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
});
const entries = fc.uniqueArray(entry, { selector: (e) => e.producerId, maxLength: 8 });

const SAMPLE: ProducerStateEntry[] = [
  { producerId: 4000, producerEpoch: 2, lastSequence: 9, lastOffset: 120, offsetDelta: 4, timestamp: 1_700_000_000_000, coordinatorEpoch: 1, currentTxnFirstOffset: 100 },
  { producerId: 17, producerEpoch: 0, lastSequence: 0, lastOffset: 3, offsetDelta: 0, timestamp: 1_700_000_000_001, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
];

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The layout written out by hand, independently of the encoder. */
function handEncoded(es: readonly ProducerStateEntry[]): Uint8Array {
  const bytes = new Uint8Array(10 + 46 * es.length);
  const v = new DataView(bytes.buffer);
  v.setInt16(0, 1);
  v.setInt32(6, es.length);
  es.forEach((e, i) => {
    const at = 10 + 46 * i;
    v.setBigInt64(at, BigInt(e.producerId));
    v.setInt16(at + 8, e.producerEpoch);
    v.setInt32(at + 10, e.lastSequence);
    v.setBigInt64(at + 14, BigInt(e.lastOffset));
    v.setInt32(at + 22, e.offsetDelta);
    v.setBigInt64(at + 26, BigInt(e.timestamp));
    v.setInt32(at + 34, e.coordinatorEpoch);
    v.setBigInt64(at + 38, BigInt(e.currentTxnFirstOffset));
  });
  v.setUint32(2, crc32cPureJs(bytes.subarray(6)));
  return bytes;
}

describe('producer snapshot: ProducerSnapshot.json layout', () => {
  it('matches the layout written out field by field, sorted by producerId', () => {
    const sorted = [...SAMPLE].sort((a, b) => a.producerId - b.producerId);
    expect(encodeProducerSnapshot(SAMPLE)).toEqual(handEncoded(sorted));
    expect(encodeProducerSnapshot(SAMPLE).length).toBe(10 + 2 * PRODUCER_SNAPSHOT_ENTRY_BYTES);
    expect(Buffer.from(encodeProducerSnapshot([])).toString('hex')).toBe(
      '0001' + crc32cPureJs(new Uint8Array(4)).toString(16).padStart(8, '0') + '00000000',
    );
  });

  it('round-trips any producer entries', () => {
    fc.assert(
      fc.property(entries, (es) => {
        const decoded = decodeProducerSnapshot(encodeProducerSnapshot(es), PATH);
        expect(decoded).toEqual([...es].sort((a, b) => a.producerId - b.producerId));
        expect(encodeProducerSnapshot(decoded)).toEqual(handEncoded(decoded));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-byte flip (all positions, all 255 xor values)', () => {
    const bytes = encodeProducerSnapshot(SAMPLE);
    let caughtByCrc = 0;
    for (let position = 0; position < bytes.length; position++) {
      for (let xor = 1; xor <= 255; xor++) {
        const damaged = bytes.slice();
        damaged[position] = (damaged[position] ?? 0) ^ xor;
        const error = catchError(() => decodeProducerSnapshot(damaged, PATH));
        expect(error).toBeInstanceOf(CorruptSnapshot);
        expect((error as Error).message.startsWith(`${PATH}: corrupt producer snapshot: `)).toBe(true);
        if ((error as Error).message.includes('CRC mismatch')) caughtByCrc += 1;
      }
    }
    // Every flip in the CRC field or an entry is caught by the checksum, not by a size check.
    expect(caughtByCrc).toBe((bytes.length - 10 + 4) * 255);
  });

  it('rejects every truncation and trailing garbage with a clear error', () => {
    const bytes = encodeProducerSnapshot(SAMPLE);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeProducerSnapshot(bytes.subarray(0, length), PATH)).toThrow(length < 10 ? /truncated/ : /needs \d+ \(truncated or garbled\)/);
    }
    expect(() => decodeProducerSnapshot(Uint8Array.from([...bytes, 0]), PATH)).toThrow(CorruptSnapshot);
  });

  it('rejects an unknown version and an int64 beyond 2^53 even with a valid CRC', () => {
    const bytes = encodeProducerSnapshot(SAMPLE);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setInt16(0, 2);
    expect(() => decodeProducerSnapshot(v2, PATH)).toThrow('unknown version 2, expected 1');
    const huge = bytes.slice();
    const view = new DataView(huge.buffer);
    view.setBigInt64(10, 2n ** 60n);
    view.setUint32(2, crc32cPureJs(huge.subarray(6)));
    expect(() => decodeProducerSnapshot(huge, PATH)).toThrow(/producerId 1152921504606846976 at byte 10 is beyond 2\^53/);
  });
});

describe('segment file names', () => {
  it('are 20-digit zero-padded offsets with a suffix', () => {
    expect(segmentFileName(0, '.log')).toBe('00000000000000000000.log');
    expect(snapshotFileName(42)).toBe('00000000000000000042.snapshot');
    expect(segmentFileName(Number.MAX_SAFE_INTEGER, '.txnindex')).toBe('00009007199254740991.txnindex');
    expect(parseSegmentFileName('00000000000000000100.log.deleted')).toEqual({ baseOffset: 100, suffix: '.log.deleted' });
    for (const bad of ['foo.log', '123.log', '000000000000000000001.log', '00000000000000000000', '00000000000000000000.', 'leader-epoch-checkpoint', '99999999999999999999.log']) {
      expect(parseSegmentFileName(bad)).toBeUndefined();
    }
  });

  it('parse(name(offset, suffix)) round-trips', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom('.log', '.index', '.timeindex', '.txnindex', '.snapshot') as fc.Arbitrary<'.log'>, (offset, suffix) => {
        expect(parseSegmentFileName(segmentFileName(offset, suffix))).toEqual({ baseOffset: offset, suffix });
      }),
      { numRuns: 200 },
    );
  });
});

describe('writeProducerSnapshot: a power loss at any point leaves no snapshot, the old one, or the new one', () => {
  function outcomes(hasOld: boolean): Set<string> {
    const base = new SimFileSystem();
    base.mkdirp('/kafka-logs/orders-0');
    base.fsyncDir('/');
    base.fsyncDir('/kafka-logs');
    base.fsyncDir('/kafka-logs/orders-0');
    if (hasOld) writeProducerSnapshot(base, '/kafka-logs/orders-0', 42, SAMPLE.slice(1));
    const seen = new Set<string>();
    forEachCrashPoint(
      () => base.clone(),
      (fs) => writeProducerSnapshot(fs, '/kafka-logs/orders-0', 42, SAMPLE),
      (fs) => {
        for (let seed = 0; seed < 30; seed++) {
          const crashed = fs.clone();
          crashed.powerLoss(new Prng(seed), { tornWrites: true });
          seen.add(crashed.exists(PATH) ? String(decodeProducerSnapshot(crashed.read(PATH), PATH).length) : 'none');
        }
      },
    );
    return seen;
  }

  it('replacing a snapshot: old (1 entry) or new (2 entries), never corrupt', () => {
    expect(outcomes(true)).toEqual(new Set(['1', '2']));
  });

  it('a first snapshot: none or new', () => {
    expect(outcomes(false)).toEqual(new Set(['none', '2']));
  });

  it("Kafka's in-place write can leave a torn snapshot, which the CRC rejects", () => {
    let rejected = 0;
    for (let seed = 0; seed < 50; seed++) {
      const fs = new SimFileSystem();
      fs.mkdirp('/kafka-logs/orders-0');
      fs.writeFile(PATH, encodeProducerSnapshot(SAMPLE));
      fs.powerLoss(new Prng(seed), { tornWrites: true });
      if (fs.exists(PATH) && fs.size(PATH) > 0) {
        const error = catchError(() => decodeProducerSnapshot(fs.read(PATH), PATH));
        if (error !== undefined) {
          expect(error).toBeInstanceOf(CorruptSnapshot);
          rejected += 1;
        }
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});

/**
 * CRC-32C (Castagnoli), the checksum of RecordBatch v2 (bytes 21..end) and of producer
 * snapshots. The native @node-rs/crc32 is used for bulk data; the pure-JS crc-32/crc32c is
 * the fallback when the native binary cannot load (and is faster on tiny buffers).
 */
import { createRequire } from 'node:module';

type Crc = (data: Uint8Array, initial?: number) => number;

const require = createRequire(import.meta.url);

function loadNative(): Crc | undefined {
  try {
    const native = require('@node-rs/crc32') as { crc32c(input: Uint8Array, initial?: number): number };
    return (data, initial = 0) => native.crc32c(data, initial) >>> 0;
  } catch {
    return undefined;
  }
}

const pureJs = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/** The pure-JS implementation; exported so tests can check both agree. */
export const crc32cPureJs: Crc = (data, initial = 0) => pureJs.buf(data, initial) >>> 0;

const native = loadNative();

/** Unsigned CRC-32C of `data`, continuing from `initial` (a previous result). */
export const crc32c: Crc = native ?? crc32cPureJs;

export const crc32cImplementation: 'native' | 'pure-js' = native ? 'native' : 'pure-js';

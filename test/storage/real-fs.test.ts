import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nodeFs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileNotFound } from '../../src/storage/fs.ts';
import { MAX_CACHED_DESCRIPTORS, RealFileSystem } from '../../src/storage/real-fs.ts';
import { SimFileSystem } from '../../src/storage/sim-fs.ts';
import { applyOps, arbitraryOps, snapshotOf } from './fs-ops.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

let base: string;
let counter = 0;
beforeAll(() => {
  base = nodeFs.mkdtempSync(join(tmpdir(), 'kafka-oracle-real-fs-'));
});
afterAll(() => {
  nodeFs.rmSync(base, { recursive: true, force: true });
});
function freshDir(): string {
  counter += 1;
  const dir = join(base, `case-${counter}`);
  nodeFs.mkdirSync(dir);
  return dir;
}

describe('RealFileSystem', () => {
  it('appends, writes at a position, truncates, and reads ranges', () => {
    const dir = freshDir();
    const fs = new RealFileSystem();
    const path = `${dir}/00000000000000000000.log`;
    fs.append(path, text('hello'));
    fs.append(path, text(' world'));
    fs.writeAt(path, 0, text('J'));
    expect(decode(fs.read(path))).toBe('Jello world');
    expect(decode(fs.read(path, 6, 3))).toBe('wor');
    expect(fs.read(path, 100)).toEqual(new Uint8Array(0));
    fs.truncate(path, 5);
    expect(fs.size(path)).toBe(5);
    fs.truncate(path, 7);
    expect(Array.from(fs.read(path, 5))).toEqual([0, 0]);
    fs.fsync(path);
    fs.fsyncDir(dir);
    expect(nodeFs.readFileSync(path).subarray(0, 5).toString()).toBe('Jello');
    fs.close();
  });

  it('maps ENOENT to FileNotFound and passes other errors through', () => {
    const dir = freshDir();
    const fs = new RealFileSystem();
    expect(() => fs.size(`${dir}/missing`)).toThrow(FileNotFound);
    expect(() => fs.read(`${dir}/missing`)).toThrow(FileNotFound);
    expect(() => fs.truncate(`${dir}/missing`, 0)).toThrow(FileNotFound);
    expect(() => fs.fsync(`${dir}/missing`)).toThrow(FileNotFound);
    expect(() => fs.fsyncDir(`${dir}/missing`)).toThrow(FileNotFound);
    expect(() => fs.rename(`${dir}/missing`, `${dir}/x`)).toThrow(FileNotFound);
    expect(() => fs.append(`${dir}/no-such-dir/f`, text('x'))).toThrow(FileNotFound);
    expect(fs.list(`${dir}/missing`)).toEqual([]);
    fs.remove(`${dir}/missing`);
    fs.mkdirp(`${dir}/sub`);
    const error = (() => {
      try {
        fs.append(`${dir}/sub`, text('x'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(FileNotFound);
    expect((error as { code?: string }).code).toBe('EISDIR');
  });

  it('caches descriptors, closes them on rename, remove and close, and bounds the cache', () => {
    const dir = freshDir();
    const fs = new RealFileSystem();
    fs.writeFile(`${dir}/a.tmp`, text('new'));
    fs.writeFile(`${dir}/a`, text('old'));
    expect(fs.openDescriptors()).toBe(2);
    fs.rename(`${dir}/a.tmp`, `${dir}/a`);
    expect(fs.openDescriptors()).toBe(0);
    fs.append(`${dir}/a`, text('er'));
    expect(decode(fs.read(`${dir}/a`))).toBe('newer');
    fs.remove(`${dir}/a`);
    expect(fs.openDescriptors()).toBe(0);
    fs.append(`${dir}/a`, text('fresh'));
    expect(decode(fs.read(`${dir}/a`))).toBe('fresh');
    for (let i = 0; i < MAX_CACHED_DESCRIPTORS + 10; i++) fs.append(`${dir}/f${i}`, text(String(i)));
    expect(fs.openDescriptors()).toBe(MAX_CACHED_DESCRIPTORS);
    expect(decode(fs.read(`${dir}/f0`))).toBe('0');
    fs.close();
    expect(fs.openDescriptors()).toBe(0);
  });

  it('a renamed directory does not leave stale descriptors behind', () => {
    const dir = freshDir();
    const fs = new RealFileSystem();
    fs.mkdirp(`${dir}/orders-0`);
    fs.append(`${dir}/orders-0/x.log`, text('1'));
    fs.rename(`${dir}/orders-0`, `${dir}/orders-0.deleted`);
    fs.mkdirp(`${dir}/orders-0`);
    fs.append(`${dir}/orders-0/x.log`, text('2'));
    expect(decode(fs.read(`${dir}/orders-0/x.log`))).toBe('2');
    expect(decode(fs.read(`${dir}/orders-0.deleted/x.log`))).toBe('1');
    fs.close();
  });

  it('parity: the same operations on RealFileSystem and SimFileSystem observe the same results', () => {
    fc.assert(
      fc.property(arbitraryOps(), (ops) => {
        const root = freshDir();
        const real = new RealFileSystem();
        const sim = new SimFileSystem();
        try {
          expect(applyOps(real, ops, root)).toEqual(applyOps(sim, ops));
          expect(snapshotOf(real, root)).toEqual(snapshotOf(sim));
        } finally {
          real.close();
        }
      }),
      { numRuns: 120 },
    );
  });

  it('the same parity check catches a simulated file system that does not zero-extend on truncate', () => {
    class StaleTruncate extends SimFileSystem {
      override truncate(path: string, size: number): void {
        super.truncate(path, Math.min(size, this.size(path)));
      }
    }
    const result = fc.check(
      fc.property(arbitraryOps(), (ops) => {
        const root = freshDir();
        const real = new RealFileSystem();
        try {
          expect(applyOps(real, ops, root)).toEqual(applyOps(new StaleTruncate(), ops));
        } finally {
          real.close();
        }
      }),
      { numRuns: 300, seed: 7 },
    );
    expect(result.failed).toBe(true);
  });
});

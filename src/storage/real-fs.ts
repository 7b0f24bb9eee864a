/**
 * RealFileSystem: the {@link FileSystem} port on node:fs, synchronous, with real durability:
 * `fsync` is fsync(2) on the file's descriptor, `fsyncDir` opens the directory read-only and
 * fsyncs it (what Kafka's `Utils.flushDir` does), so a rename or a new segment file survives a
 * power loss.
 *
 * Descriptors are cached per path (a log segment is appended to many times); the cache is
 * bounded, and a path's descriptor is closed when the file is renamed or removed, and all of
 * them by `close()`. The cache assumes this object is the only one changing its files' names
 * (another process unlinking a file would leave a descriptor to the old inode). A missing file is reported as {@link FileNotFound}; every other error
 * (permissions, a full disk) passes through unchanged.
 */
import * as nodeFs from 'node:fs';
import { resolve } from 'node:path';
import { assert } from '../core/assert.ts';
import { FileNotFound, type FileSystem } from './fs.ts';

/** Descriptors kept open at once; the least recently used is closed beyond this. */
export const MAX_CACHED_DESCRIPTORS = 128;

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Run `action`, turning ENOENT into FileNotFound(path). */
function orNotFound<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) throw new FileNotFound(path);
    throw error;
  }
}

export class RealFileSystem implements FileSystem {
  /**
   * path -> descriptor opened read-write, with the file's size as this object last left it
   * (it is the only writer, so appends need no fstat); Map order is least recently used first.
   */
  private readonly descriptors = new Map<string, OpenFile>();

  mkdirp(dir: string): void {
    nodeFs.mkdirSync(dir, { recursive: true });
  }

  list(dir: string): string[] {
    try {
      return nodeFs.readdirSync(dir).sort();
    } catch (error) {
      if (isErrorCode(error, 'ENOENT') || isErrorCode(error, 'ENOTDIR')) return [];
      throw error;
    }
  }

  exists(path: string): boolean {
    return nodeFs.existsSync(path);
  }

  size(path: string): number {
    const stat = orNotFound(path, () => nodeFs.statSync(path));
    if (stat.isDirectory()) throw new Error(`${path}: is a directory`);
    return stat.size;
  }

  read(path: string, position = 0, length?: number): Uint8Array {
    assert(Number.isSafeInteger(position) && position >= 0, `read position ${position}`);
    const { fd, size } = this.descriptor(path, false);
    const start = Math.min(position, size);
    const end = length === undefined ? size : Math.min(size, start + length);
    const out = new Uint8Array(end - start);
    let done = 0;
    while (done < out.length) {
      const n = nodeFs.readSync(fd, out, done, out.length - done, start + done);
      assert(n > 0, `${path}: file shrank while being read`);
      done += n;
    }
    return out;
  }

  append(path: string, data: Uint8Array): void {
    const file = this.descriptor(path, true);
    writeFully(file.fd, data, file.size);
    file.size += data.length;
  }

  writeAt(path: string, position: number, data: Uint8Array): void {
    assert(Number.isSafeInteger(position) && position >= 0, `writeAt position ${position}`);
    const file = this.descriptor(path, true);
    assert(position <= file.size, `${path}: writeAt ${position} beyond end of file ${file.size}`);
    writeFully(file.fd, data, position);
    file.size = Math.max(file.size, position + data.length);
  }

  writeFile(path: string, data: Uint8Array): void {
    const file = this.descriptor(path, true);
    nodeFs.ftruncateSync(file.fd, 0);
    writeFully(file.fd, data, 0);
    file.size = data.length;
  }

  truncate(path: string, size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, `truncate size ${size}`);
    const file = this.descriptor(path, false);
    nodeFs.ftruncateSync(file.fd, size);
    file.size = size;
  }

  fsync(path: string): void {
    nodeFs.fsyncSync(this.descriptor(path, false).fd);
  }

  fsyncDir(dir: string): void {
    const fd = orNotFound(dir, () => nodeFs.openSync(dir, 'r'));
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  }

  rename(from: string, to: string): void {
    this.forgetTree(from);
    this.forgetTree(to);
    orNotFound(from, () => nodeFs.renameSync(from, to));
  }

  remove(path: string): void {
    this.forget(resolve(path));
    try {
      nodeFs.unlinkSync(path);
    } catch (error) {
      if (!isErrorCode(error, 'ENOENT')) throw error;
    }
  }

  close(): void {
    for (const key of [...this.descriptors.keys()]) this.forget(key);
    assert(this.descriptors.size === 0, 'every descriptor closed');
  }

  /** How many descriptors are open (for tests). */
  openDescriptors(): number {
    return this.descriptors.size;
  }

  /**
   * The cached read-write descriptor of `path`, opening it (and creating the file if `create`)
   * on first use. Missing file without `create`: FileNotFound.
   */
  private descriptor(path: string, create: boolean): OpenFile {
    const key = resolve(path);
    const cached = this.descriptors.get(key);
    if (cached !== undefined) {
      this.descriptors.delete(key);
      this.descriptors.set(key, cached);
      return cached;
    }
    const flags = nodeFs.constants.O_RDWR | (create ? nodeFs.constants.O_CREAT : 0);
    const fd = orNotFound(path, () => nodeFs.openSync(path, flags, 0o644));
    const opened: OpenFile = { fd, size: nodeFs.fstatSync(fd).size };
    this.descriptors.set(key, opened);
    if (this.descriptors.size > MAX_CACHED_DESCRIPTORS) {
      const oldest = this.descriptors.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    return opened;
  }

  /** Close the descriptor cached under `key` (an absolute path), if any. */
  private forget(key: string): void {
    const file = this.descriptors.get(key);
    if (file === undefined) return;
    this.descriptors.delete(key);
    nodeFs.closeSync(file.fd);
  }

  /** Close the descriptors of `path` and of everything below it (a renamed directory). */
  private forgetTree(path: string): void {
    const key = resolve(path);
    for (const cached of [...this.descriptors.keys()]) {
      if (cached === key || cached.startsWith(`${key}/`)) this.forget(cached);
    }
  }
}

interface OpenFile {
  readonly fd: number;
  size: number;
}

function writeFully(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    done += nodeFs.writeSync(fd, data, done, data.length - done, position + done);
  }
}

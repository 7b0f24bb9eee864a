/**
 * Random operation sequences for any FileSystem (shared by the SimFileSystem properties and
 * the Real/Sim parity test). Every operation is valid on both implementations: operations
 * that would fail (truncating a missing file) are skipped the same way on both.
 */
import fc from 'fast-check';
import type { FileSystem } from '../../src/storage/fs.ts';

const DIRS = ['/d', '/d/sub'] as const;
const FILES = ['/d/a', '/d/b', '/d/c', '/d/sub/x'] as const;
/** Files that share a directory, so that renames stay within one directory. */
const RENAMEABLE = ['/d/a', '/d/b', '/d/c'] as const;

export type FsOp =
  | { readonly op: 'mkdirp'; readonly dir: number }
  | { readonly op: 'append'; readonly file: number; readonly data: Uint8Array }
  | { readonly op: 'writeAt'; readonly file: number; readonly at: number; readonly data: Uint8Array }
  | { readonly op: 'writeFile'; readonly file: number; readonly data: Uint8Array }
  | { readonly op: 'truncate'; readonly file: number; readonly size: number }
  | { readonly op: 'fsync'; readonly file: number }
  | { readonly op: 'fsyncDir'; readonly dir: number }
  | { readonly op: 'rename'; readonly from: number; readonly to: number }
  | { readonly op: 'remove'; readonly file: number }
  | { readonly op: 'read'; readonly file: number; readonly at: number; readonly length: number };

const file = fc.nat(FILES.length - 1);
const dir = fc.nat(DIRS.length - 1);
const data = fc.uint8Array({ minLength: 0, maxLength: 8 });

export function arbitraryOps(maxLength = 30): fc.Arbitrary<FsOp[]> {
  const op: fc.Arbitrary<FsOp> = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('mkdirp' as const), dir }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('append' as const), file, data }), weight: 5 },
    { arbitrary: fc.record({ op: fc.constant('writeAt' as const), file, at: fc.nat(24), data }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('writeFile' as const), file, data }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('truncate' as const), file, size: fc.nat(24) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('fsync' as const), file }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('fsyncDir' as const), dir }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('rename' as const), from: fc.nat(2), to: fc.nat(2) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('remove' as const), file }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('read' as const), file, at: fc.nat(24), length: fc.nat(10) }), weight: 1 },
  );
  return fc.array(op, { maxLength });
}

const at = <T>(items: readonly T[], i: number): T => items[i] as T;

function parentExists(fs: FileSystem, root: string, path: string): boolean {
  return fs.exists(root + path.slice(0, path.lastIndexOf('/')));
}

/**
 * Apply the operations under `root` ('' for the simulated file system) and return what was
 * observed along the way (list, size and read results), so two implementations can be compared.
 */
export function applyOps(fs: FileSystem, ops: readonly FsOp[], root = ''): unknown[] {
  const seen: unknown[] = [];
  for (const o of ops) {
    seen.push(applyOp(fs, o, root));
  }
  return seen;
}

function applyOp(fs: FileSystem, o: FsOp, root: string): unknown {
  switch (o.op) {
    case 'mkdirp':
      fs.mkdirp(root + at(DIRS, o.dir));
      return fs.list(root + at(DIRS, o.dir));
    case 'fsyncDir':
      if (fs.exists(root + at(DIRS, o.dir))) fs.fsyncDir(root + at(DIRS, o.dir));
      return fs.list(root + '/d');
    case 'rename': {
      const from = at(RENAMEABLE, o.from);
      if (!fs.exists(root + from) || o.from === o.to) return null;
      fs.rename(root + from, root + at(RENAMEABLE, o.to));
      return fs.list(root + '/d');
    }
    default:
      return applyFileOp(fs, o, root);
  }
}

function applyFileOp(fs: FileSystem, o: Exclude<FsOp, { op: 'mkdirp' | 'fsyncDir' | 'rename' }>, root: string): unknown {
  const path = root + at(FILES, o.file);
  if (!parentExists(fs, root, at(FILES, o.file))) return null;
  const exists = fs.exists(path);
  switch (o.op) {
    case 'append':
      fs.append(path, o.data);
      break;
    case 'writeAt':
      fs.writeAt(path, exists ? o.at % (fs.size(path) + 1) : 0, o.data);
      break;
    case 'writeFile':
      fs.writeFile(path, o.data);
      break;
    case 'truncate':
      if (exists) fs.truncate(path, o.size);
      break;
    case 'fsync':
      if (exists) fs.fsync(path);
      break;
    case 'remove':
      fs.remove(path);
      return fs.exists(path);
    case 'read':
      return exists ? Array.from(fs.read(path, o.at, o.length)) : null;
  }
  return fs.exists(path) ? fs.size(path) : null;
}

/** Every path under `root`, with a file's bytes (as a number array) or 'dir'. */
export function snapshotOf(fs: FileSystem, root = ''): Record<string, number[] | 'dir'> {
  const out: Record<string, number[] | 'dir'> = {};
  const visit = (dir: string): void => {
    for (const name of fs.list(dir === '' ? '/' : dir)) {
      const path = `${dir}/${name}`;
      if (fs.list(path).length > 0 || isDir(fs, path)) {
        out[path.slice(root.length)] = 'dir';
        visit(path);
      } else out[path.slice(root.length)] = Array.from(fs.read(path));
    }
  };
  visit(root);
  return out;
}

function isDir(fs: FileSystem, path: string): boolean {
  try {
    fs.size(path);
    return false;
  } catch {
    return true;
  }
}

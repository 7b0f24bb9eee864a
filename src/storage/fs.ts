/**
 * The FileSystem port: everything the storage layer does to disk goes through this
 * interface, so the same log code runs on real files (`RealFileSystem`, node:fs with real
 * fsync) and on the simulated, crash-aware file system (`SimFileSystem`).
 *
 * Paths are POSIX-style strings ('/' separated). The API is synchronous: the simulated
 * world is single-threaded and deterministic, and Kafka's log appends are sequential.
 *
 * Durability contract (what a caller may rely on; SimFileSystem's header states how a
 * power loss is simulated within it):
 * - `append`, `writeAt`, `truncate` change the file at once for every reader (page cache),
 *   but survive a power loss only after `fsync(path)` returns.
 * - Creating, renaming and removing a directory entry survive a power loss only after
 *   `fsyncDir(parent)`.
 * - A process crash keeps everything written (the page cache belongs to the kernel).
 * - `rename` replaces the target atomically: a reader sees the old file or the new one.
 */
export interface FileSystem {
  /** Create the directory and its parents; no error if it exists. */
  mkdirp(dir: string): void;
  /** Names (not paths) of the entries of a directory, sorted; [] if it does not exist. */
  list(dir: string): string[];
  exists(path: string): boolean;
  /** Size in bytes of a file; throws FileNotFound if missing. */
  size(path: string): number;
  /** Read `length` bytes at `position` (clamped to the end of file); whole file by default. */
  read(path: string, position?: number, length?: number): Uint8Array;
  /** Append at the end, creating the file if missing. */
  append(path: string, data: Uint8Array): void;
  /** Write at `position` (≤ size), extending the file if needed; creates a missing file. */
  writeAt(path: string, position: number, data: Uint8Array): void;
  /** Replace a file's whole content (create if missing). Not atomic: use temp + rename. */
  writeFile(path: string, data: Uint8Array): void;
  /** Cut (or zero-extend) a file to `size` bytes. */
  truncate(path: string, size: number): void;
  /** Make the file's content durable. */
  fsync(path: string): void;
  /** Make the directory's entries (creations, renames, removals) durable. */
  fsyncDir(dir: string): void;
  /** Atomically move `from` to `to`, replacing `to`. */
  rename(from: string, to: string): void;
  /** Remove a file; no error if missing. */
  remove(path: string): void;
  /** Release any cached handles (real file system); a no-op for the simulated one. */
  close(): void;
}

export class FileNotFound extends Error {
  override name = 'FileNotFound';
  constructor(readonly path: string) {
    super(`${path}: no such file`);
  }
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

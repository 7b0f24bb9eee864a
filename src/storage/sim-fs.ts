/**
 * SimFileSystem: an in-memory, deterministic, crash-aware implementation of the
 * {@link FileSystem} port. It models the kernel page cache between the process and the disk.
 *
 * Fault model (what survives what):
 * - File content. Every change (`append`, `writeAt`, `truncate`, and `writeFile`, which is a
 *   truncate to 0 followed by an append) is visible at once to every reader: that is the page
 *   cache. A file's *durable* content is what the last `fsync(path)` saw. The changes since
 *   then are the file's *unsynced operations*, kept in order.
 * - Directory entries. Creating a file or directory, `rename` and `remove` change what `list`
 *   and `exists` see at once, but each is an *unsynced namespace operation* of the parent
 *   directory until `fsyncDir(parent)`. `fsync(file)` does NOT make the file's name durable
 *   (as on ext4/xfs without the `dirsync` option); a new directory's own name is durable only
 *   after `fsyncDir` of ITS parent.
 * - `crashProcess()`: the process dies, the kernel does not. Nothing is lost.
 * - `powerLoss(chooser, { tornWrites })`: the machine loses power. Per directory, ANY PREFIX
 *   (chosen by `chooser`) of its unsynced namespace operations survives, in order. Per file
 *   that is still reachable, its durable content plus ANY PREFIX of its unsynced operations
 *   survives, in order; with `tornWrites`, the last kept write (`append` or `writeAt`) may be
 *   cut at any byte (a torn write: a prefix of its bytes reached the disk). A prefix model
 *   never invents bytes: whatever survives was written by the program, in program order per
 *   file. It does not model reordered writeback within a file, lost fsyncs (fsyncgate), or
 *   silent media corruption; `corruptByte`/`corruptTruncate` inject the latter explicitly.
 * - `rename` is atomic and is one namespace operation of its directory; renaming across
 *   directories is not modelled (an assertion), since Kafka renames within a partition dir.
 *
 * Paths: '/'-separated; a relative path is taken from the root ('d/f' is '/d/f'), and reports
 * and `describe()` name paths absolutely. `..` is not supported.
 *
 * Determinism: no clock, no ambient randomness; every choice comes from the given Chooser,
 * drawn in a fixed order (directories in sorted path order, then files in sorted path order),
 * so a power loss replays exactly from the chooser's seed.
 */
import { assert } from '../core/assert.ts';
import type { Chooser } from '../core/prng.ts';
import { FileNotFound, type FileSystem } from './fs.ts';

type ContentOp =
  | { readonly kind: 'append'; readonly data: Uint8Array }
  | { readonly kind: 'writeAt'; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly size: number };

/** A growable byte array; bytes past `length` are always zero. */
class Bytes {
  private buffer: Uint8Array;
  length: number;

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.buffer = new Uint8Array(Math.max(64, initial.length));
    this.buffer.set(initial);
    this.length = initial.length;
  }

  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  writeAt(position: number, data: Uint8Array): void {
    assert(position >= 0 && position <= this.length, `write at ${position} past end ${this.length}`);
    this.reserve(position + data.length);
    this.buffer.set(data, position);
    this.length = Math.max(this.length, position + data.length);
  }

  /** Cut or zero-extend to `size`. */
  resize(size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, `bad size ${size}`);
    if (size < this.length) this.buffer.fill(0, size, this.length);
    else this.reserve(size);
    this.length = size;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.buffer.length * 2));
    grown.set(this.view());
    this.buffer = grown;
  }
}

function applyOp(bytes: Bytes, op: ContentOp): void {
  switch (op.kind) {
    case 'append':
      bytes.writeAt(bytes.length, op.data);
      return;
    case 'writeAt':
      bytes.writeAt(op.position, op.data);
      return;
    case 'truncate':
      bytes.resize(op.size);
      return;
  }
}

/**
 * One file (an inode). Two representations of "durable + unsynced operations":
 * - appending (the hot path of a log segment): only appends since the last fsync, so the
 *   durable content is `bytes[0, durableLength)` and the unsynced appends are the
 *   consecutive slices after it, of lengths `appendLengths` (no copies kept);
 * - general: a copy of the durable content and the list of unsynced operations.
 */
class SimFile {
  readonly kind = 'file';
  bytes = new Bytes();
  durableLength = 0;
  appendLengths: number[] = [];
  general: { durable: Uint8Array; ops: ContentOp[] } | undefined = undefined;

  get size(): number {
    return this.bytes.length;
  }

  unsyncedOpCount(): number {
    return this.general === undefined ? this.appendLengths.length : this.general.ops.length;
  }

  /** Bytes written by the `index`-th unsynced operation (0 for a truncate). */
  unsyncedOpBytes(index: number): number {
    assert(index >= 0 && index < this.unsyncedOpCount(), `op ${index} of ${this.unsyncedOpCount()}`);
    const op = this.general?.ops[index];
    return op === undefined ? (this.appendLengths[index] as number) : writtenBytes(op);
  }

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.general === undefined) this.appendLengths.push(data.length);
    else this.general.ops.push({ kind: 'append', data: data.slice() });
    this.bytes.writeAt(this.bytes.length, data);
  }

  writeAt(position: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.toGeneral().ops.push({ kind: 'writeAt', position, data: data.slice() });
    this.bytes.writeAt(position, data);
  }

  truncate(size: number): void {
    if (size === this.bytes.length) return;
    this.toGeneral().ops.push({ kind: 'truncate', size });
    this.bytes.resize(size);
  }

  fsync(): void {
    this.general = undefined;
    this.appendLengths = [];
    this.durableLength = this.bytes.length;
  }

  /** The durable content plus its unsynced operations, as data (copies). */
  history(): { durable: Uint8Array; ops: ContentOp[] } {
    if (this.general !== undefined) return { durable: this.general.durable, ops: this.general.ops };
    const ops: ContentOp[] = [];
    let start = this.durableLength;
    for (const length of this.appendLengths) {
      ops.push({ kind: 'append', data: this.bytes.view().slice(start, start + length) });
      start += length;
    }
    assert(start === this.bytes.length, 'unsynced appends must end at the end of file');
    return { durable: this.bytes.view().slice(0, this.durableLength), ops };
  }

  /**
   * Keep the durable content and the first `kept` unsynced operations; if `cut` is given, the
   * last kept operation (a write) keeps only its first `cut` bytes. The result is durable.
   */
  keepPrefix(kept: number, cut: number | undefined): void {
    assert(kept >= 0 && kept <= this.unsyncedOpCount(), `keep ${kept} of ${this.unsyncedOpCount()}`);
    if (this.general === undefined) {
      const lengths = this.appendLengths.slice(0, kept);
      if (cut !== undefined) lengths[kept - 1] = cut;
      this.bytes.resize(this.durableLength + lengths.reduce((a, b) => a + b, 0));
    } else {
      const bytes = new Bytes(this.general.durable);
      const ops = this.general.ops.slice(0, kept);
      ops.forEach((op, i) => applyOp(bytes, i === kept - 1 && cut !== undefined ? cutOp(op, cut) : op));
      this.bytes = bytes;
    }
    this.fsync();
  }

  clone(): SimFile {
    const copy = new SimFile();
    copy.bytes = new Bytes(this.bytes.view());
    copy.durableLength = this.durableLength;
    copy.appendLengths = [...this.appendLengths];
    copy.general = this.general === undefined ? undefined : { durable: this.general.durable, ops: [...this.general.ops] };
    return copy;
  }

  private toGeneral(): { durable: Uint8Array; ops: ContentOp[] } {
    if (this.general === undefined) {
      this.general = this.history();
      this.appendLengths = [];
    }
    return this.general;
  }
}

function writtenBytes(op: ContentOp): number {
  return op.kind === 'truncate' ? 0 : op.data.length;
}

function cutOp(op: ContentOp, cut: number): ContentOp {
  assert(op.kind !== 'truncate', 'only a write can be torn');
  assert(cut >= 0 && cut < op.data.length, `cut ${cut} of ${op.data.length}`);
  return { ...op, data: op.data.subarray(0, cut) };
}

type NamespaceOp =
  | { readonly kind: 'link'; readonly name: string; readonly node: Node }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string; readonly node: Node };

/** A directory: visible entries, durable entries, and the unsynced operations between them. */
class SimDir {
  readonly kind = 'dir';
  entries = new Map<string, Node>();
  durable = new Map<string, Node>();
  journal: NamespaceOp[] = [];

  apply(op: NamespaceOp): void {
    applyNamespaceOp(this.entries, op);
    this.journal.push(op);
  }

  fsync(): void {
    this.durable = new Map(this.entries);
    this.journal = [];
  }

  keepPrefix(kept: number): void {
    assert(kept >= 0 && kept <= this.journal.length, `keep ${kept} of ${this.journal.length}`);
    for (const op of this.journal.slice(0, kept)) applyNamespaceOp(this.durable, op);
    this.entries = this.durable;
    this.fsync();
  }

  sortedNames(): string[] {
    return [...this.entries.keys()].sort();
  }
}

function applyNamespaceOp(entries: Map<string, Node>, op: NamespaceOp): void {
  switch (op.kind) {
    case 'link':
      entries.set(op.name, op.node);
      return;
    case 'unlink':
      entries.delete(op.name);
      return;
    case 'rename':
      assert(entries.get(op.from) === op.node, `rename source ${op.from} must be present when replayed`);
      entries.delete(op.from);
      entries.set(op.to, op.node);
      return;
  }
}

type Node = SimFile | SimDir;

export interface PowerLossFileReport {
  readonly path: string;
  /** Size before the power loss; undefined if no file had this path. */
  readonly bytesBefore: number | undefined;
  /** Size after; undefined if the file is gone (its creation was not durable). */
  readonly bytesAfter: number | undefined;
  /** Unsynced content operations of the file now at this path, and how many survived. */
  readonly unsyncedOps: number;
  readonly keptOps: number;
  /** The last kept write was cut short. */
  readonly torn: boolean;
}

export interface PowerLossDirReport {
  readonly path: string;
  readonly unsyncedOps: number;
  readonly keptOps: number;
}

export interface PowerLossReport {
  /** Every file path present before or after, sorted. */
  readonly files: readonly PowerLossFileReport[];
  /** Every directory that had unsynced namespace operations, sorted. */
  readonly dirs: readonly PowerLossDirReport[];
  /** Some unsynced operation (content or namespace) did not survive whole (lost or torn). */
  readonly lostData: boolean;
  /** How many files had their last kept write torn. */
  readonly tornWrites: number;
}

export interface PowerLossOptions {
  /** Let the last kept write of each file be cut at any byte (default false). */
  readonly tornWrites?: boolean;
}

function components(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  assert(!parts.includes('..'), `'..' in paths is not supported: ${path}`);
  return parts;
}

function pathOf(parts: readonly string[]): string {
  return '/' + parts.join('/');
}

export class SimFileSystem implements FileSystem {
  private root = new SimDir();
  private processCrashes = 0;
  private powerLosses = 0;

  mkdirp(dir: string): void {
    let current = this.root;
    for (const name of components(dir)) {
      const next = current.entries.get(name);
      if (next === undefined) {
        const created = new SimDir();
        current.apply({ kind: 'link', name, node: created });
        current = created;
      } else {
        if (next.kind !== 'dir') throw new Error(`${dir}: ${name} is a file, not a directory`);
        current = next;
      }
    }
  }

  list(dir: string): string[] {
    const node = this.lookup(dir);
    return node?.kind === 'dir' ? node.sortedNames() : [];
  }

  exists(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  size(path: string): number {
    return this.file(path).size;
  }

  read(path: string, position = 0, length?: number): Uint8Array {
    assert(Number.isSafeInteger(position) && position >= 0, `read position ${position}`);
    const file = this.file(path);
    const start = Math.min(position, file.size);
    const end = length === undefined ? file.size : Math.min(file.size, start + length);
    return file.bytes.view().slice(start, end);
  }

  append(path: string, data: Uint8Array): void {
    this.fileOrCreate(path).append(data);
  }

  writeAt(path: string, position: number, data: Uint8Array): void {
    const file = this.fileOrCreate(path);
    assert(Number.isSafeInteger(position) && position >= 0, `writeAt position ${position}`);
    assert(position <= file.size, `${path}: writeAt ${position} beyond end of file ${file.size}`);
    file.writeAt(position, data);
  }

  writeFile(path: string, data: Uint8Array): void {
    const file = this.fileOrCreate(path);
    file.truncate(0);
    file.append(data);
  }

  truncate(path: string, size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, `truncate size ${size}`);
    this.file(path).truncate(size);
  }

  fsync(path: string): void {
    this.file(path).fsync();
  }

  fsyncDir(dir: string): void {
    const node = this.lookup(dir);
    if (node === undefined) throw new FileNotFound(dir);
    if (node.kind !== 'dir') throw new Error(`${dir}: not a directory`);
    node.fsync();
  }

  rename(from: string, to: string): void {
    const [fromParent, fromName] = this.parentOf(from);
    const [toParent, toName] = this.parentOf(to);
    const node = fromParent.entries.get(fromName);
    if (node === undefined) throw new FileNotFound(from);
    assert(fromParent === toParent, `SimFileSystem renames within one directory only: ${from} -> ${to}`);
    if (fromName === toName) return;
    const target = toParent.entries.get(toName);
    if (target?.kind === 'dir') throw new Error(`${to}: is a directory`);
    fromParent.apply({ kind: 'rename', from: fromName, to: toName, node });
  }

  remove(path: string): void {
    const [parent, name] = this.parentOf(path, false);
    const node = parent?.entries.get(name);
    if (parent === undefined || node === undefined) return;
    if (node.kind === 'dir') throw new Error(`${path}: is a directory`);
    parent.apply({ kind: 'unlink', name });
  }

  close(): void {
    // Nothing is cached outside the page cache this class models.
  }

  /** The process crashes; the page cache survives, so nothing is lost. */
  crashProcess(): void {
    this.processCrashes += 1;
  }

  /**
   * The machine loses power: see the fault model in this file's header. Afterwards every
   * surviving byte and entry is durable (nothing is unsynced).
   */
  powerLoss(chooser: Chooser, options: PowerLossOptions = {}): PowerLossReport {
    this.powerLosses += 1;
    const before = this.fileSizes();
    const dirs = this.loseNamespaceOps(chooser);
    const files = this.loseContentOps(chooser, options.tornWrites ?? false);
    const reports = mergeFileReports(before, files);
    const lostData =
      dirs.some((d) => d.keptOps < d.unsyncedOps) || reports.some((f) => f.keptOps < f.unsyncedOps || f.torn);
    assert(this.unsyncedOps() === 0, 'after a power loss everything left is durable');
    return { files: reports, dirs, lostData, tornWrites: reports.filter((f) => f.torn).length };
  }

  /** A deep, independent copy (same visible and durable state, same unsynced operations). */
  clone(): SimFileSystem {
    const copy = new SimFileSystem();
    const copies = new Map<Node, Node>();
    const cloneNode = (node: Node): Node => {
      const known = copies.get(node);
      if (known !== undefined) return known;
      if (node.kind === 'file') {
        const file = node.clone();
        copies.set(node, file);
        return file;
      }
      const dir = new SimDir();
      copies.set(node, dir);
      dir.entries = new Map([...node.entries].map(([name, child]) => [name, cloneNode(child)]));
      dir.durable = new Map([...node.durable].map(([name, child]) => [name, cloneNode(child)]));
      dir.journal = node.journal.map((op) => (op.kind === 'unlink' ? op : { ...op, node: cloneNode(op.node) }));
      return dir;
    };
    copy.root = cloneNode(this.root) as SimDir;
    copy.processCrashes = this.processCrashes;
    copy.powerLosses = this.powerLosses;
    return copy;
  }

  /**
   * Fault injection: flip the bits of `xor` in the byte at `position`, on disk and in the
   * page cache at once. The file is first made durable (as by `fsync`), so the corruption is
   * exactly one byte of durable content.
   */
  corruptByte(path: string, position: number, xor: number): void {
    assert(Number.isInteger(xor) && xor > 0 && xor <= 0xff, `xor must be in 1..255, got ${xor}`);
    const file = this.file(path);
    assert(Number.isSafeInteger(position) && position >= 0 && position < file.size, `corrupt ${position} of ${file.size}`);
    file.fsync();
    const view = file.bytes.view();
    view[position] = (view[position] ?? 0) ^ xor;
  }

  /** Fault injection: cut the file to `size` bytes, on disk and in the page cache at once. */
  corruptTruncate(path: string, size: number): void {
    const file = this.file(path);
    assert(Number.isSafeInteger(size) && size >= 0 && size <= file.size, `corruptTruncate ${size} of ${file.size}`);
    file.bytes.resize(size);
    file.fsync();
  }

  /** Visible bytes of all files. */
  totalBytes(): number {
    let total = 0;
    this.walk(this.root, [], (_path, file) => (total += file.size));
    return total;
  }

  /** Unsynced operations (content and namespace) pending in the whole file system. */
  unsyncedOps(): number {
    let total = 0;
    this.walkDirs(this.root, [], (_path, dir) => (total += dir.journal.length));
    this.walk(this.root, [], (_path, file) => (total += file.unsyncedOpCount()));
    return total;
  }

  /** Unsynced content operations of one file (0 once fsynced). */
  unsyncedOpsOf(path: string): number {
    return this.file(path).unsyncedOpCount();
  }

  /** A stable, sorted, human-readable listing (paths, sizes, what is not yet durable). */
  describe(): string {
    const lines = [`SimFileSystem: ${this.processCrashes} process crashes, ${this.powerLosses} power losses`];
    this.walkNodes(this.root, [], (path, node) => {
      if (node.kind === 'dir') lines.push(`${path}/ dir, ${node.journal.length} unsynced entry ops`);
      else lines.push(`${path} ${node.size} bytes, durable ${node.history().durable.length}, ${node.unsyncedOpCount()} unsynced ops`);
    });
    return lines.join('\n');
  }

  // --- power loss -------------------------------------------------------------------------

  private loseNamespaceOps(chooser: Chooser): PowerLossDirReport[] {
    const reports: PowerLossDirReport[] = [];
    for (const [path, dir] of this.allDirs()) {
      const unsyncedOps = dir.journal.length;
      const keptOps = unsyncedOps === 0 ? 0 : chooser.below(unsyncedOps + 1);
      if (unsyncedOps > 0) reports.push({ path, unsyncedOps, keptOps });
      dir.keepPrefix(keptOps);
    }
    return reports;
  }

  private loseContentOps(chooser: Chooser, tornWrites: boolean): Map<string, Omit<PowerLossFileReport, 'bytesBefore'>> {
    const after = new Map<string, Omit<PowerLossFileReport, 'bytesBefore'>>();
    this.walk(this.root, [], (path, file) => {
      const unsyncedOps = file.unsyncedOpCount();
      const keptOps = unsyncedOps === 0 ? 0 : chooser.below(unsyncedOps + 1);
      const lastBytes = keptOps === 0 ? 0 : file.unsyncedOpBytes(keptOps - 1);
      let cut: number | undefined;
      if (tornWrites && lastBytes > 0 && chooser.below(2) === 1) cut = chooser.below(lastBytes);
      file.keepPrefix(keptOps, cut);
      after.set(path, { path, bytesAfter: file.size, unsyncedOps, keptOps, torn: cut !== undefined });
    });
    return after;
  }

  /**
   * Every directory reachable through visible entries, durable entries or pending namespace
   * operations, each once, in sorted path order (a directory reachable only through durable
   * entries is named by that path).
   */
  private allDirs(): [string, SimDir][] {
    const found = new Map<SimDir, string>();
    const visit = (dir: SimDir, path: string): void => {
      if (found.has(dir)) return;
      found.set(dir, path);
      const children = new Map<string, Node>([...dir.durable, ...dir.entries]);
      for (const op of dir.journal) if (op.kind !== 'unlink') children.set(op.kind === 'link' ? op.name : op.to, op.node);
      for (const name of [...children.keys()].sort()) {
        const child = children.get(name);
        if (child?.kind === 'dir') visit(child, path === '/' ? `/${name}` : `${path}/${name}`);
      }
    };
    visit(this.root, '/');
    return [...found].map(([dir, path]): [string, SimDir] => [path, dir]).sort((a, b) => compare(a[0], b[0]));
  }

  private fileSizes(): Map<string, number> {
    const sizes = new Map<string, number>();
    this.walk(this.root, [], (path, file) => sizes.set(path, file.size));
    return sizes;
  }

  // --- lookup -----------------------------------------------------------------------------

  private lookup(path: string): Node | undefined {
    let node: Node = this.root;
    for (const name of components(path)) {
      if (node.kind !== 'dir') return undefined;
      const next: Node | undefined = node.entries.get(name);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private file(path: string): SimFile {
    const node = this.lookup(path);
    if (node === undefined) throw new FileNotFound(path);
    if (node.kind !== 'file') throw new Error(`${path}: is a directory`);
    return node;
  }

  /** The parent directory and the last name of `path`; throws FileNotFound if the parent is missing. */
  private parentOf(path: string, required?: true): [SimDir, string];
  private parentOf(path: string, required: false): [SimDir | undefined, string];
  private parentOf(path: string, required = true): [SimDir | undefined, string] {
    const parts = components(path);
    const name = parts.pop();
    assert(name !== undefined, `a file path needs a name: '${path}'`);
    const parent = this.lookup(pathOf(parts));
    if (parent?.kind === 'dir') return [parent, name];
    if (required) throw new FileNotFound(pathOf(parts));
    return [undefined, name];
  }

  private fileOrCreate(path: string): SimFile {
    const [parent, name] = this.parentOf(path);
    const node = parent.entries.get(name);
    if (node?.kind === 'dir') throw new Error(`${path}: is a directory`);
    if (node !== undefined) return node;
    const file = new SimFile();
    parent.apply({ kind: 'link', name, node: file });
    return file;
  }

  // --- traversal (sorted) -----------------------------------------------------------------

  private walkNodes(dir: SimDir, parts: string[], visit: (path: string, node: Node) => void): void {
    for (const name of dir.sortedNames()) {
      const node = dir.entries.get(name);
      assert(node !== undefined, 'listed entry exists');
      const childParts = [...parts, name];
      visit(pathOf(childParts), node);
      if (node.kind === 'dir') this.walkNodes(node, childParts, visit);
    }
  }

  private walk(dir: SimDir, parts: string[], visit: (path: string, file: SimFile) => void): void {
    this.walkNodes(dir, parts, (path, node) => {
      if (node.kind === 'file') visit(path, node);
    });
  }

  private walkDirs(dir: SimDir, parts: string[], visit: (path: string, dir: SimDir) => void): void {
    visit(pathOf(parts), dir);
    this.walkNodes(dir, parts, (path, node) => {
      if (node.kind === 'dir') visit(path, node);
    });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mergeFileReports(
  before: Map<string, number>,
  after: Map<string, Omit<PowerLossFileReport, 'bytesBefore'>>,
): PowerLossFileReport[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort(compare);
  return paths.map((path) => {
    const a = after.get(path);
    return {
      path,
      bytesBefore: before.get(path),
      bytesAfter: a?.bytesAfter,
      unsyncedOps: a?.unsyncedOps ?? 0,
      keptOps: a?.keptOps ?? 0,
      torn: a?.torn ?? false,
    };
  });
}

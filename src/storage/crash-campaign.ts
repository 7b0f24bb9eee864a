/**
 * The storage crash campaign: the refinement check between the partition log on segment
 * files and the abstract log of DESIGN.md ("a log with a flushedOffset; a power loss
 * truncates it anywhere in [flushedOffset, logEndOffset]").
 *
 * A scenario is a list of operations on one `PartitionLog` over a `SimFileSystem` (leader
 * and follower appends, transaction markers, flushes, truncations, epoch and high-watermark
 * checkpoints, clean restarts) with crashes in between. Next to the log runs a model: the
 * batches appended (their stored bytes) and the flushed offset the log claims
 * (`recoveryPoint()`). After every crash and recovery the checker demands:
 *
 * - the recovered batches are a PREFIX of the model's, byte for byte, and contain every
 *   flushed offset; after a process crash, all of them;
 * - every recovered batch passes its CRC; the report agrees with the log;
 * - every offset-index entry points at a batch start whose last offset it names;
 * - the leader-epoch cache, producer state and aborted transactions equal what a replay of
 *   the recovered batches gives; the high watermark is the last one written, capped at LEO.
 *
 * Crash kinds: a process crash (nothing lost), a power loss (each file keeps a prefix of its
 * unsynced writes), the same with torn writes, and "garbled": a power loss with torn writes
 * after which one byte of unflushed data is changed (a torn sector holding garbage). Bytes
 * not under the batch CRC (baseOffset, partitionLeaderEpoch) are never garbled: no checksum
 * can see them change, in Kafka either (spec/storage.md, fault model).
 */
import { assert } from '../core/assert.ts';
import { Prng } from '../core/prng.ts';
import { type FileSystem, joinPath } from './fs.ts';
import { SimFileSystem } from './sim-fs.ts';
import { checkBatch, decodeBatch, encodeBatch, encodeEndTxnMarker, readBatchHeader, setBaseOffset, setPartitionLeaderEpoch } from './record-batch.ts';
import { PartitionLog, type LogConfig, type ProducerStateSnapshot, type RecoveryReport } from './partition-log.ts';
import { parseOffsetIndex } from './offset-index.ts';
import { readOffsetCheckpoint, RECOVERY_POINT_CHECKPOINT } from './checkpoint.ts';
import { parseSegmentFileName, segmentFileName } from './producer-snapshot.ts';
import { ProducerStateManager } from './producer-state.ts';
import { applyToProducerState, type RecoveryVariant } from './segment.ts';

export type CrashKind = 'process' | 'power' | 'torn' | 'garbled';
export const CRASH_KINDS: readonly CrashKind[] = ['process', 'power', 'torn', 'garbled'];

/** One step of a scenario; numbers are relative so that any list is valid (and shrinks). */
export type StorageOp =
  | { readonly op: 'append'; readonly as: 'leader' | 'follower'; readonly records: number; readonly valueBytes: number; readonly producer: number; readonly transactional: boolean }
  | { readonly op: 'marker'; readonly producer: number; readonly commit: boolean }
  | { readonly op: 'flush' }
  | { readonly op: 'truncate'; readonly back: number }
  | { readonly op: 'bumpEpoch' }
  | { readonly op: 'highWatermark'; readonly back: number }
  | { readonly op: 'restart' }
  /**
   * The machine goes down (`kind`, choices drawn from `seed`) once `after` more file-system
   * mutations have happened: 0 = now, between operations; more = in the middle of a later
   * operation (an append, a roll, a flush, a truncation, a checkpoint, a close or reopen).
   * With `duringRecovery`, the recovery that follows is itself cut short after that many
   * mutations by a second crash of the same kind, and recovery runs again.
   */
  | { readonly op: 'crash'; readonly kind: CrashKind; readonly seed: number; readonly after?: number; readonly duringRecovery?: number };

export interface Scenario {
  readonly config: Omit<LogConfig, 'topic' | 'partition'>;
  readonly ops: readonly StorageOp[];
}

/** What one recovery kept, for the campaign's table and the 'sometimes' side. */
export interface RecoveryStats {
  readonly kind: CrashKind | 'restart';
  /** Bytes of batches the model had and recovery did not keep. */
  readonly bytesLost: number;
  /** Recovery cut a torn (incomplete) batch. */
  readonly tornBatch: boolean;
  /** Recovery truncated something (torn, corrupt or later segments). */
  readonly truncated: boolean;
  /** Offsets the model had and recovery did not keep (all unflushed, or a violation). */
  readonly offsetsLost: number;
  readonly garbled: boolean;
  /** The crash struck inside an operation (whose own effect may then be missing). */
  readonly interrupted: boolean;
}

export interface ScenarioOutcome {
  readonly violations: readonly string[];
  readonly recoveries: readonly RecoveryStats[];
}

const TOPIC = 'campaign';
const LOG_DIR = '/kafka-logs';
const DIR = `${LOG_DIR}/${TOPIC}-0`;

interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: Uint8Array;
}

/** The abstract log: the batches appended (as stored) and the offset below which all is durable. */
class Model {
  batches: ModelBatch[] = [];
  flushed = 0;
  epoch = 0;
  /** High watermarks recovery may find: the last written, and one being written when the crash struck. */
  highWatermarks: number[] = [0];
  private counter = 0;

  logEndOffset(): number {
    return (this.batches[this.batches.length - 1]?.lastOffset ?? -1) + 1;
  }

  nextValue(bytes: number): Uint8Array {
    const text = `value-${this.counter++}-`;
    return new TextEncoder().encode(text.padEnd(Math.max(bytes, text.length), 'x'));
  }

  /** Producers with an open transaction: a transactional batch after their last marker. */
  openTransactions(): Set<number> {
    const open = new Set<number>();
    for (const b of this.batches) {
      const h = readBatchHeader(b.bytes, 0);
      if (h.producerId < 0 || !h.isTransactional) continue;
      if (h.isControl) open.delete(h.producerId);
      else open.add(h.producerId);
    }
    return open;
  }

  cutTo(offset: number): void {
    this.batches = this.batches.filter((b) => b.lastOffset < offset);
    this.flushed = Math.min(this.flushed, this.logEndOffset());
  }

  /** Where the log would end after truncateTo(offset): the start of the batch holding it. */
  cutEnd(offset: number): number {
    return this.batches.find((b) => b.lastOffset >= offset)?.baseOffset ?? this.logEndOffset();
  }
}

/** Thrown by {@link CrashingFileSystem} where the machine goes down. */
class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/**
 * The SimFileSystem seen through a fuse: once armed, the n-th mutation from then on throws
 * SimulatedCrash instead of happening, so a crash can strike in the middle of any
 * operation. Reads never count.
 */
class CrashingFileSystem implements FileSystem {
  private remaining: number | undefined;

  constructor(readonly sim: SimFileSystem) {}

  arm(mutations: number): void {
    this.remaining = mutations;
  }

  disarm(): void {
    this.remaining = undefined;
  }

  private tick(): void {
    if (this.remaining === undefined) return;
    if (this.remaining === 0) {
      this.remaining = undefined;
      throw new SimulatedCrash('crash');
    }
    this.remaining--;
  }

  mkdirp(dir: string): void {
    this.tick();
    this.sim.mkdirp(dir);
  }
  list(dir: string): string[] {
    return this.sim.list(dir);
  }
  exists(path: string): boolean {
    return this.sim.exists(path);
  }
  size(path: string): number {
    return this.sim.size(path);
  }
  read(path: string, position?: number, length?: number): Uint8Array {
    return this.sim.read(path, position, length);
  }
  append(path: string, data: Uint8Array): void {
    this.tick();
    this.sim.append(path, data);
  }
  writeAt(path: string, position: number, data: Uint8Array): void {
    this.tick();
    this.sim.writeAt(path, position, data);
  }
  writeFile(path: string, data: Uint8Array): void {
    this.tick();
    this.sim.writeFile(path, data);
  }
  truncate(path: string, size: number): void {
    this.tick();
    this.sim.truncate(path, size);
  }
  fsync(path: string): void {
    this.tick();
    this.sim.fsync(path);
  }
  fsyncDir(dir: string): void {
    this.tick();
    this.sim.fsyncDir(dir);
  }
  rename(from: string, to: string): void {
    this.tick();
    this.sim.rename(from, to);
  }
  remove(path: string): void {
    this.tick();
    this.sim.remove(path);
  }
  close(): void {
    this.sim.close();
  }
}

/** What a recovery must give: a prefix of `batches` reaching at least `mustKeep`, one of `highWatermarks`. */
interface Expectation {
  readonly batches: readonly ModelBatch[];
  readonly mustKeep: number;
  readonly highWatermarks: readonly number[];
}

/** An operation a crash struck in the middle of: what it may or may not have done. */
interface Interrupted {
  /** Offsets at or above this may be missing even after a process crash (an append's batch, a truncation's cut). */
  readonly unsure: number;
  readonly highWatermark?: number;
}

/** Run a scenario and check every recovery; never throws for a violation, lists it. */
export function runScenario(scenario: Scenario, variant: RecoveryVariant = 'kafka'): ScenarioOutcome {
  const config: LogConfig = { ...scenario.config, topic: TOPIC, partition: 0 };
  const sim = new SimFileSystem();
  sim.mkdirp(LOG_DIR);
  sim.fsyncDir('/');
  const fs = new CrashingFileSystem(sim);
  const run = { fs, config, variant, model: new Model(), violations: [] as string[], recoveries: [] as RecoveryStats[] };
  let log: PartitionLog | undefined = PartitionLog.open(fs, DIR, config, variant).log;
  let armed: Extract<StorageOp, { op: 'crash' }> | undefined;
  const strike = (crash: Extract<StorageOp, { op: 'crash' }>, where: string, interrupted?: Interrupted): boolean => {
    fs.disarm();
    armed = undefined;
    log = crashAndRecover(run, crash, where, interrupted);
    return run.violations.length === 0;
  };
  for (const [step, op] of scenario.ops.entries()) {
    const where = `step ${step} (${describeOp(op)})`;
    if (op.op === 'crash') {
      if (armed !== undefined) {
        if (!strike(armed, where)) break;
        continue;
      }
      if ((op.after ?? 0) > 0) {
        armed = op;
        fs.arm(op.after ?? 0);
        continue;
      }
      if (!strike(op, where)) break;
      continue;
    }
    const current = log as PartitionLog;
    const pending = interruptedBy(run.model, current, op);
    try {
      log = performStep(run, current, op, where);
    } catch (error) {
      if (!(error instanceof SimulatedCrash) || armed === undefined) throw error;
      if (!strike(armed, `${where}, interrupted`, pending)) break;
      continue;
    }
    if (run.violations.length > 0) break;
  }
  if (armed !== undefined && run.violations.length === 0) strike(armed, 'end');
  return { violations: run.violations, recoveries: run.recoveries };
}

interface Run {
  readonly fs: CrashingFileSystem;
  readonly config: LogConfig;
  readonly variant: RecoveryVariant;
  readonly model: Model;
  readonly violations: string[];
  readonly recoveries: RecoveryStats[];
}

/** One operation that is not a crash; a restart returns the reopened log. */
function performStep(run: Run, log: PartitionLog, op: Exclude<StorageOp, { op: 'crash' }>, where: string): PartitionLog {
  const { model } = run;
  if (op.op === 'restart') {
    log.close();
    const opened = PartitionLog.open(run.fs, DIR, run.config, run.variant);
    const expectation = { batches: model.batches, mustKeep: model.logEndOffset(), highWatermarks: model.highWatermarks };
    record(run, 'restart', where, opened, expectation, false, false);
    return opened.log;
  }
  perform(log, model, op);
  if (op.op === 'flush' && log.recoveryPoint() !== model.logEndOffset()) {
    run.violations.push(`${where}: flush left the recovery point at ${log.recoveryPoint()}, the log ends at ${model.logEndOffset()}`);
  }
  model.flushed = log.recoveryPoint();
  return log;
}

/** What `op` may leave half done if a crash strikes inside it. */
function interruptedBy(model: Model, log: PartitionLog, op: Exclude<StorageOp, { op: 'crash' }>): Interrupted {
  switch (op.op) {
    case 'append':
    case 'marker':
      return { unsure: model.logEndOffset() };
    case 'truncate':
      return { unsure: model.cutEnd(truncationTarget(model, log, op.back)) };
    case 'highWatermark':
      return { unsure: model.logEndOffset(), highWatermark: highWatermarkOf(model, op.back) };
    default:
      return { unsure: model.logEndOffset() };
  }
}

const truncationTarget = (model: Model, log: PartitionLog, back: number): number => Math.max(log.logStartOffset(), model.logEndOffset() - back);
const highWatermarkOf = (model: Model, back: number): number => Math.max(0, model.logEndOffset() - back);

function perform(log: PartitionLog, model: Model, op: StorageOp): void {
  switch (op.op) {
    case 'append':
      return append(log, model, op);
    case 'marker':
      return appendMarker(log, model, op.producer, op.commit);
    case 'flush':
      return log.flush();
    case 'truncate': {
      const target = truncationTarget(model, log, op.back);
      log.truncateTo(target);
      return model.cutTo(target);
    }
    case 'bumpEpoch':
      model.epoch++;
      return log.assignEpoch(model.epoch, log.logEndOffset());
    case 'highWatermark': {
      const highWatermark = highWatermarkOf(model, op.back);
      log.writeHighWatermark(highWatermark);
      model.highWatermarks = [highWatermark];
      return;
    }
    case 'restart':
    case 'crash':
      assert(false, 'crashes are handled by the caller');
  }
}

function append(log: PartitionLog, model: Model, op: Extract<StorageOp, { op: 'append' }>): void {
  const open = model.openTransactions();
  const producerId = op.producer > 0 ? op.producer : -1;
  // A producer with an open transaction only writes transactional batches until its marker.
  const transactional = producerId >= 0 && (op.transactional || open.has(producerId));
  const records = Array.from({ length: op.records }, () => ({ key: null, value: model.nextValue(op.valueBytes) }));
  const base = {
    producerId,
    producerEpoch: producerId >= 0 ? 0 : -1,
    baseSequence: producerId >= 0 ? model.logEndOffset() : -1,
    isTransactional: transactional,
    records,
  };
  // The model learns of the batch first: a crash may strike in the middle of the append.
  if (op.as === 'follower') {
    const bytes = encodeBatch({ ...base, baseOffset: model.logEndOffset(), partitionLeaderEpoch: model.epoch });
    if (bytes.length > log.config.segmentBytes) return;
    pushStamped(model, bytes, model.logEndOffset(), model.epoch);
    log.appendAsFollower(bytes);
    return;
  }
  const bytes = encodeBatch(base);
  if (bytes.length > log.config.segmentBytes) return; // RECORD_BATCH_TOO_LARGE: not this campaign's subject
  pushStamped(model, bytes, model.logEndOffset(), model.epoch);
  log.appendAsLeader(bytes, model.epoch);
}

function appendMarker(log: PartitionLog, model: Model, producer: number, commit: boolean): void {
  if (!model.openTransactions().has(producer)) return;
  const bytes = encodeEndTxnMarker({ type: commit ? 'COMMIT' : 'ABORT', coordinatorEpoch: 1, producerId: producer, producerEpoch: 0, timestamp: model.logEndOffset() });
  pushStamped(model, bytes, model.logEndOffset(), model.epoch);
  log.appendAsLeader(bytes, model.epoch);
}

/** What the log must have stored: the batch with its offset and epoch stamped. */
function pushStamped(model: Model, bytes: Uint8Array, baseOffset: number, epoch: number): void {
  const stored = bytes.slice();
  setBaseOffset(stored, baseOffset);
  setPartitionLeaderEpoch(stored, epoch);
  const header = readBatchHeader(stored, 0);
  model.batches.push({ baseOffset, lastOffset: header.lastOffset, bytes: stored });
}

/**
 * The machine goes down; recovery (itself possibly cut short once) must give a prefix of
 * the model reaching `mustKeep`: everything after a process crash, everything flushed after
 * a power loss, less what an interrupted operation may not have finished.
 */
function crashAndRecover(run: Run, crash: Extract<StorageOp, { op: 'crash' }>, where: string, interrupted?: Interrupted): PartitionLog {
  const { model, fs } = run;
  const prng = new Prng(crash.seed);
  const processKeep = Math.min(model.logEndOffset(), interrupted?.unsure ?? Infinity);
  const expectation: Expectation = {
    batches: model.batches,
    mustKeep: crash.kind === 'process' ? processKeep : Math.min(model.flushed, processKeep),
    highWatermarks: interrupted?.highWatermark === undefined ? model.highWatermarks : [...model.highWatermarks, interrupted.highWatermark],
  };
  let garbled = takeDown(fs.sim, crash.kind, prng, model.flushed);
  if (crash.duringRecovery !== undefined) {
    fs.arm(crash.duringRecovery);
    try {
      PartitionLog.open(fs, DIR, run.config, run.variant);
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      garbled = takeDown(fs.sim, crash.kind, prng, model.flushed) || garbled;
    }
    fs.disarm();
  }
  const opened = PartitionLog.open(fs, DIR, run.config, run.variant);
  record(run, crash.kind, where, opened, expectation, garbled, interrupted !== undefined);
  return opened.log;
}

/** Check a recovery, then make the model what it kept. */
function record(
  run: Run,
  kind: CrashKind | 'restart',
  where: string,
  opened: { log: PartitionLog; recovery: RecoveryReport },
  expected: Expectation,
  garbled: boolean,
  interrupted: boolean,
): void {
  const { model } = run;
  const violations = checkRecovered(run.fs.sim, opened.log, opened.recovery, expected);
  run.violations.push(...violations.map((v) => `${where}: ${v}`));
  const kept = opened.log.logEndOffset();
  const before = expected.batches;
  const lostBatches = before.filter((b) => b.lastOffset >= kept);
  model.batches = before.filter((b) => b.lastOffset < kept);
  model.flushed = opened.log.recoveryPoint();
  // The file keeps what was written (recovery only caps what it reports): keep the
  // candidates that agree with what was reported.
  model.highWatermarks = expected.highWatermarks.filter((hw) => Math.min(hw, kept) === opened.recovery.highWatermark);
  run.recoveries.push({
    kind,
    bytesLost: lostBatches.reduce((n, b) => n + b.bytes.length, 0),
    offsetsLost: Math.max(0, (before[before.length - 1]?.lastOffset ?? -1) + 1 - kept),
    tornBatch: opened.recovery.problems.some((p) => p.includes('torn batch')),
    truncated: opened.recovery.truncatedBytes > 0,
    garbled,
    interrupted,
  });
}

/** Take the machine down; for 'garbled', change one CRC-covered byte of unflushed data. Returns whether it did. */
function takeDown(fs: SimFileSystem, kind: CrashKind, prng: Prng, flushed: number): boolean {
  if (kind === 'process') {
    fs.crashProcess();
    return false;
  }
  fs.powerLoss(prng, { tornWrites: kind !== 'power' });
  // A crash inside a roll or flush may have made more durable than the model knows: the
  // recovery point on disk says how much, and recovery does not re-validate below it.
  const checkpointed = readOffsetCheckpoint(fs, joinPath(LOG_DIR, RECOVERY_POINT_CHECKPOINT))?.find((e) => e.topic === TOPIC)?.offset ?? 0;
  return kind === 'garbled' ? garbleUnflushed(fs, prng, Math.max(flushed, checkpointed)) : false;
}

function garbleUnflushed(fs: SimFileSystem, prng: Prng, flushed: number): boolean {
  const targets: { path: string; position: number }[] = [];
  for (const name of fs.list(DIR)) {
    if (parseSegmentFileName(name)?.suffix !== '.log') continue;
    const path = joinPath(DIR, name);
    const buf = fs.read(path);
    for (let at = 0; at < buf.length; ) {
      const check = checkBatch(buf, at);
      const size = check.kind === 'valid' ? check.header.sizeInBytes : buf.length - at;
      const unflushed = check.kind !== 'valid' || check.header.lastOffset >= flushed;
      for (let i = 0; unflushed && i < size; i++) if (underCrcOrFrame(i)) targets.push({ path, position: at + i });
      at += size;
    }
  }
  if (targets.length === 0) return false;
  const target = prng.pick(targets);
  fs.corruptByte(target.path, target.position, 1 + prng.below(255));
  return true;
}

/** Bytes 8..11 (batchLength) and 16.. (magic, crc, the CRC-covered rest): a change is detectable. */
function underCrcOrFrame(i: number): boolean {
  return (i >= 8 && i < 12) || i >= 16;
}

// ---------------------------------------------------------------------------------------
// The checker

function checkRecovered(fs: SimFileSystem, log: PartitionLog, report: RecoveryReport, expected: Expectation): string[] {
  const raw = log.logEndOffset() > log.logStartOffset() ? log.readRaw(log.logStartOffset()) : [];
  const problems = [...checkPrefix(raw, expected, log), ...checkReport(log, report)];
  if (problems.length > 0) return problems;
  return [...checkIndexFiles(fs), ...checkDerivedState(log, raw, report, expected)];
}

function checkPrefix(raw: readonly Uint8Array[], expected: Expectation, log: PartitionLog): string[] {
  const problems: string[] = [];
  const batches = expected.batches;
  for (const [i, bytes] of raw.entries()) {
    const appended = batches[i];
    const check = checkBatch(bytes, 0);
    if (check.kind !== 'valid') return [`recovered batch ${i} is not valid (${check.kind})`];
    if (appended === undefined) return [`recovered batch ${i} at offset ${check.header.baseOffset} was never appended`];
    if (!sameBytes(bytes, appended.bytes)) return [`recovered batch ${i} at offset ${check.header.baseOffset} differs from the one appended at ${appended.baseOffset}`];
  }
  const end = log.logEndOffset();
  const keptEnd = (batches[raw.length - 1]?.lastOffset ?? log.logStartOffset() - 1) + 1;
  if (raw.length > 0 && end !== keptEnd) problems.push(`log end offset ${end} but the recovered batches end at ${keptEnd}`);
  if (end < expected.mustKeep) problems.push(`data lost: recovered up to ${end}, everything below ${expected.mustKeep} had to survive`);
  return problems;
}

function checkReport(log: PartitionLog, report: RecoveryReport): string[] {
  const problems: string[] = [];
  if (report.logEndOffset !== log.logEndOffset()) problems.push(`report says log end ${report.logEndOffset}, the log ${log.logEndOffset()}`);
  if (report.logStartOffset !== log.logStartOffset()) problems.push(`report says log start ${report.logStartOffset}, the log ${log.logStartOffset()}`);
  if (log.recoveryPoint() > log.logEndOffset()) problems.push(`recovery point ${log.recoveryPoint()} beyond the log end`);
  return problems;
}

/** Every `.index` entry points at a batch start whose last offset is the entry's offset. */
export function checkIndexFiles(fs: SimFileSystem, dir = DIR): string[] {
  const problems: string[] = [];
  for (const name of fs.list(dir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed?.suffix !== '.index') continue;
    const logPath = joinPath(dir, segmentFileName(parsed.baseOffset, '.log'));
    const log = fs.exists(logPath) ? fs.read(logPath) : new Uint8Array(0);
    const index = parseOffsetIndex(fs.read(joinPath(dir, name)), parsed.baseOffset, log.length);
    if ('problem' in index) {
      problems.push(`${name}: ${index.problem}`);
      continue;
    }
    const starts = new Map<number, number>();
    for (let at = 0; at < log.length; ) {
      const check = checkBatch(log, at);
      if (check.kind !== 'valid') break;
      starts.set(at, check.header.lastOffset);
      at += check.header.sizeInBytes;
    }
    for (const entry of index.entries) {
      if (starts.get(entry.position) !== entry.offset) problems.push(`${name}: entry ${entry.offset}@${entry.position} does not point at its batch`);
    }
  }
  return problems;
}

/** Epoch cache, producer state, aborted transactions and HW against a replay of the batches. */
function checkDerivedState(log: PartitionLog, raw: readonly Uint8Array[], report: RecoveryReport, expected: Expectation): string[] {
  const problems: string[] = [];
  const epochs: { epoch: number; startOffset: number }[] = [];
  const replay = new ProducerStateManager(log.logStartOffset());
  const aborted: unknown[] = [];
  for (const bytes of raw) {
    const header = readBatchHeader(bytes, 0);
    const last = epochs[epochs.length - 1];
    if (header.partitionLeaderEpoch >= 0 && header.partitionLeaderEpoch !== last?.epoch) epochs.push({ epoch: header.partitionLeaderEpoch, startOffset: header.baseOffset });
    applyToProducerState(replay, bytes, 0, header, (txn) => aborted.push(txn));
  }
  replay.advanceTo(log.logEndOffset());
  if (JSON.stringify(log.leaderEpochCache()) !== JSON.stringify(epochs)) {
    problems.push(`epoch cache ${JSON.stringify(log.leaderEpochCache())}, the batches say ${JSON.stringify(epochs)}`);
  }
  const difference = firstDifference(comparable(log.producerState()), comparable(replay.view(aborted as ProducerStateSnapshot['abortedTxns'])));
  if (difference !== undefined) problems.push(`producer state differs from a replay of the batches: ${difference}`);
  const allowed = expected.highWatermarks.map((hw) => Math.min(hw, log.logEndOffset()));
  if (!allowed.includes(report.highWatermark)) problems.push(`high watermark ${report.highWatermark}, expected one of ${allowed.join(', ')}`);
  return problems;
}

/**
 * Producer state as far as a snapshot preserves it: a snapshot keeps only each producer's
 * last batch, with the producer's last timestamp as its timestamp (as Kafka's does), so
 * only that batch's sequences and offsets are compared.
 */
function comparable(state: ProducerStateSnapshot): Record<string, unknown> {
  const lastBatch = (p: ProducerStateSnapshot['producers'][number]) => p.batches.slice(-1).map(({ timestamp: _, ...rest }) => rest);
  return {
    mapEndOffset: state.mapEndOffset,
    ongoingTxns: state.ongoingTxns,
    abortedTxns: state.abortedTxns,
    ...Object.fromEntries(state.producers.map((p) => [`producer ${p.producerId}`, { ...p, batches: lastBatch(p) }])),
  };
}

/** The first key whose values differ, as `key: actual vs expected`. */
function firstDifference(actual: Record<string, unknown>, expected: Record<string, unknown>): string | undefined {
  const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  for (const key of keys) {
    const a = JSON.stringify(actual[key]);
    const e = JSON.stringify(expected[key]);
    if (a !== e) return `${key}: ${a} vs ${e}`;
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function describeOp(op: StorageOp): string {
  switch (op.op) {
    case 'append':
      return `append as ${op.as}: ${op.records} records of ${op.valueBytes} B${op.producer > 0 ? `, producer ${op.producer}${op.transactional ? ' (txn)' : ''}` : ''}`;
    case 'marker':
      return `${op.commit ? 'COMMIT' : 'ABORT'} marker for producer ${op.producer}`;
    case 'truncate':
      return `truncate ${op.back} offsets back`;
    case 'highWatermark':
      return `high watermark ${op.back} below the end`;
    case 'crash':
      return `${op.kind} crash (seed ${op.seed})${op.after ? ` after ${op.after} more mutations` : ''}${op.duringRecovery ? `, again ${op.duringRecovery} mutations into recovery` : ''}`;
    default:
      return op.op;
  }
}

// ---------------------------------------------------------------------------------------
// Drawing scenarios from a seed, and the campaign over many seeds

/** A seed's class is its crash kind: seed mod 4. */
export function crashKindOf(seed: number): CrashKind {
  return CRASH_KINDS[seed % CRASH_KINDS.length] as CrashKind;
}

/**
 * A scenario drawn from `seed`: small segments, 2..4 rounds of operations each ending in a
 * crash of the seed's class (which may strike inside the next round's operations).
 */
export function scenarioFromSeed(seed: number): Scenario {
  const prng = new Prng(seed);
  const kind = crashKindOf(seed);
  const config = {
    segmentBytes: prng.pick([300, 600, 1500, 5000]),
    indexIntervalBytes: prng.pick([0, 100, 300, 4096]),
    flushMessages: prng.chance(1, 3) ? prng.between(1, 20) : Number.MAX_SAFE_INTEGER,
  };
  const ops: StorageOp[] = [];
  const rounds = prng.between(2, 4);
  for (let r = 0; r < rounds; r++) {
    const length = prng.between(5, 40);
    for (let i = 0; i < length; i++) ops.push(drawOp(prng));
    // Half the crashes strike between operations, half inside a later one (up to 60 file
    // mutations on); a third also cut the following recovery short.
    const after = prng.chance(1, 2) ? 0 : prng.between(1, 60);
    const duringRecovery = prng.chance(1, 3) ? prng.between(0, 30) : undefined;
    ops.push({ op: 'crash', kind, seed: prng.nextU32(), after, duringRecovery });
  }
  return { config, ops };
}

function drawOp(prng: Prng): StorageOp {
  const roll = prng.below(100);
  if (roll < 55) {
    return {
      op: 'append',
      as: prng.chance(1, 3) ? 'follower' : 'leader',
      records: prng.between(1, 4),
      valueBytes: prng.pick([1, 10, 40, 120]),
      producer: prng.below(4),
      transactional: prng.chance(1, 3),
    };
  }
  if (roll < 65) return { op: 'marker', producer: prng.between(1, 3), commit: prng.chance(1, 2) };
  if (roll < 77) return { op: 'flush' };
  if (roll < 83) return { op: 'truncate', back: prng.between(0, 12) };
  if (roll < 88) return { op: 'bumpEpoch' };
  if (roll < 95) return { op: 'highWatermark', back: prng.between(0, 10) };
  return { op: 'restart' };
}

export interface ClassTotals {
  runs: number;
  recoveries: number;
  bytesLost: number;
  offsetsLost: number;
  runsThatLostData: number;
  tornBatches: number;
  truncations: number;
  garbled: number;
  /** Crashes that struck inside an operation. */
  interrupted: number;
}

export interface CampaignResult {
  readonly seeds: number;
  readonly variant: RecoveryVariant;
  readonly byClass: Readonly<Record<CrashKind, ClassTotals>>;
  /** The first violations found, with the seed that replays each. */
  readonly violations: readonly { readonly seed: number; readonly message: string }[];
}

export function runCampaign(options: { firstSeed: number; seeds: number; variant?: RecoveryVariant; onSeed?: (done: number) => void }): CampaignResult {
  const variant = options.variant ?? 'kafka';
  const byClass = Object.fromEntries(CRASH_KINDS.map((k) => [k, emptyTotals()])) as Record<CrashKind, ClassTotals>;
  const violations: { seed: number; message: string }[] = [];
  for (let i = 0; i < options.seeds; i++) {
    const seed = options.firstSeed + i;
    const outcome = runSeed(seed, variant);
    addTotals(byClass[crashKindOf(seed)], outcome);
    for (const message of outcome.violations.slice(0, 1)) violations.push({ seed, message });
    options.onSeed?.(i + 1);
  }
  return { seeds: options.seeds, variant, byClass, violations };
}

/** One seed; an exception inside the log is a violation too (a checker never passes on a crash). */
export function runSeed(seed: number, variant: RecoveryVariant): ScenarioOutcome {
  try {
    return runScenario(scenarioFromSeed(seed), variant);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { violations: [`threw ${message}`], recoveries: [] };
  }
}

function emptyTotals(): ClassTotals {
  return { runs: 0, recoveries: 0, bytesLost: 0, offsetsLost: 0, runsThatLostData: 0, tornBatches: 0, truncations: 0, garbled: 0, interrupted: 0 };
}

function addTotals(totals: ClassTotals, outcome: ScenarioOutcome): void {
  totals.runs++;
  const crashes = outcome.recoveries.filter((r) => r.kind !== 'restart');
  totals.recoveries += crashes.length;
  totals.bytesLost += crashes.reduce((n, r) => n + r.bytesLost, 0);
  totals.offsetsLost += crashes.reduce((n, r) => n + r.offsetsLost, 0);
  totals.runsThatLostData += crashes.some((r) => r.offsetsLost > 0) ? 1 : 0;
  totals.tornBatches += crashes.filter((r) => r.tornBatch).length;
  totals.truncations += crashes.filter((r) => r.truncated).length;
  totals.garbled += crashes.filter((r) => r.garbled).length;
  totals.interrupted += crashes.filter((r) => r.interrupted).length;
}

/**
 * An explorer power loss on the simulator's real storage. The explorer's abstract log
 * (model/explore/abstract-log.ts) keeps the batches below a chosen `cut`, a batch boundary
 * at or above its flushed offset, and its checkpoint files (durable when written). The
 * simulated file system keeps, per file, a prefix of the writes since its last fsync,
 * picked by a chooser (src/storage/sim-fs.ts). The counterpart of a cut is a chooser under
 * which Kafka's recovery keeps exactly the records below it.
 *
 * The search: every directory and file keeps all its unsynced operations (the checkpoint
 * files, the indexes, the namespace), except at most one file, which keeps a shorter
 * prefix; each candidate is tried on a copy of the file system and recovered, and the first
 * whose recovered log holds exactly the wanted records wins (all kept first, then each
 * file's prefixes from the longest down). Torn writes are off: the explorer's cuts are
 * batch-aligned. A handful of unsynced operations makes this a few dozen tiny recoveries.
 */
import { assert } from '../core/assert.ts';
import type { Chooser } from '../core/prng.ts';
import type { SimFileSystem } from '../storage/sim-fs.ts';
import type { LogEntry } from '../../model/view.ts';

/** Answers the i-th question with `override[i]`, every other one with "keep them all". */
class ScriptedChooser implements Chooser {
  readonly asked: number[] = [];

  constructor(private readonly override: ReadonlyMap<number, number>) {}

  below(n: number): number {
    const answer = this.override.get(this.asked.length) ?? n - 1;
    this.asked.push(n);
    assert(answer >= 0 && answer < n, `scripted answer ${answer} outside [0, ${n})`);
    return answer;
  }
}

/**
 * A chooser for `fs.powerLoss(chooser, { tornWrites: false })` after which `recover` reads
 * back exactly `wanted`, or undefined when no single file's shorter prefix gives it.
 */
export function chooserKeeping(fs: SimFileSystem, recover: (fs: SimFileSystem) => readonly LogEntry[], wanted: readonly LogEntry[]): Chooser | undefined {
  for (const override of candidates(fs)) {
    const trial = fs.clone();
    trial.powerLoss(new ScriptedChooser(override), { tornWrites: false });
    if (sameEntries(recover(trial), wanted)) return new ScriptedChooser(override);
  }
  return undefined;
}

/** Keep everything; then, per question the power loss asks, each shorter prefix, longest first. */
function candidates(fs: SimFileSystem): Map<number, number>[] {
  const survey = new ScriptedChooser(new Map());
  fs.clone().powerLoss(survey, { tornWrites: false });
  const out: Map<number, number>[] = [new Map()];
  survey.asked.forEach((n, question) => {
    for (let kept = n - 2; kept >= 0; kept--) out.push(new Map([[question, kept]]));
  });
  return out;
}

function sameEntries(a: readonly LogEntry[], b: readonly LogEntry[]): boolean {
  return a.length === b.length && a.every((x, i) => x.offset === b[i]?.offset && x.value === b[i]?.value && x.leaderEpoch === b[i]?.leaderEpoch);
}

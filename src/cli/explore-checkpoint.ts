/**
 * The checkpoint file of a paused search (`explore --checkpoint FILE`, resumed by
 * `--resume FILE`): one line of JSON (the model recipe, its fingerprint version
 * (models/registry.ts), the totals so far, the `sometimes` properties, and where to go on),
 * then raw little-endian arrays. A depth-first search (`--search dfs`, model/explore/
 * dfs-parallel.ts `DepthFirstCheckpoint`) keeps the paths left to search in the header, then
 * the visited set's fingerprints as 32-bit (hi, lo) pairs, 8 bytes per state. A breadth-first
 * search with a replayed frontier (`--frontier replay`, header `search: "bfs"`;
 * model/explore/parallel.ts `BreadthFirstCheckpoint`) keeps its level in the header, then
 * the fingerprints, every state's parent id (32 bits) and action index (16 bits): 14
 * bytes per state. The file is written beside FILE and renamed over it, so an interrupted
 * write leaves the previous checkpoint whole.
 */
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { DEFAULT_DFS_CAPACITY, type DepthFirstCheckpoint } from '../../model/explore/dfs-parallel.ts';
import type { BreadthFirstCheckpoint } from '../../model/explore/parallel.ts';
import type { PausedLevel } from '../../model/explore/parallel-worker.ts';
import type { Path } from '../../model/explore/dfs-worker.ts';
import { type ModelRecipe, fingerprintVersion } from '../../model/explore/models/registry.ts';

const FORMAT = 'kafka-oracle explore checkpoint';
const VERSION = 1;
const CHUNK = 1 << 28;

/** A paused search of either kind. */
export type Checkpoint = DepthFirstCheckpoint | BreadthFirstCheckpoint;

export function writeCheckpoint(file: string, c: Checkpoint): void {
  const { fields, arrays } = splitCheckpoint(c);
  const header = `${JSON.stringify({ format: FORMAT, version: VERSION, fingerprint: fingerprintVersion(c.recipe), ...fields })}\n`;
  const temporary = `${file}.partial`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, header);
    for (const array of arrays) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let at = 0; at < bytes.length; at += CHUNK) writeSync(fd, bytes.subarray(at, Math.min(at + CHUNK, bytes.length)));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** The header's fields and the arrays written after it, in order. */
function splitCheckpoint(c: Checkpoint): { fields: object; arrays: ArrayBufferView[] } {
  if ('search' in c) {
    const { fingerprints, parents, actions, ...fields } = c;
    return { fields, arrays: [fingerprints, parents, actions] };
  }
  const { fingerprints, ...fields } = c;
  return { fields, arrays: [fingerprints] };
}

export function readCheckpoint(file: string): Checkpoint {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    throw new InputError(`${file}: cannot read the checkpoint (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const end = data.indexOf(10);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(data.subarray(0, end < 0 ? data.length : end).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InputError(`${file}: not an explore checkpoint (its first line is not JSON)`);
  }
  if (header['format'] !== FORMAT || header['version'] !== VERSION) throw new InputError(`${file}: not an explore checkpoint of version ${VERSION}`);
  const counts = ['distinctStates', 'transitions', 'deepest'].map((k) => count(header[k], k, file));
  const body = data.subarray(end + 1);
  const distinctStates = counts[0] as number;
  const breadthFirst = header['search'] === 'bfs';
  const perState = breadthFirst ? 14 : 8;
  if (body.length !== perState * distinctStates) throw new InputError(`${file}: ${body.length} bytes of arrays for ${distinctStates} states (${perState} per state expected): the file is truncated or damaged`);
  const fingerprints = new Int32Array(2 * distinctStates);
  new Uint8Array(fingerprints.buffer).set(body.subarray(0, 8 * distinctStates));
  const model = recipe(header['recipe'], file);
  // Checkpoints written before the field existed were all made with fingerprint version 1.
  const written = header['fingerprint'] ?? 1;
  if (written !== fingerprintVersion(model)) throw new InputError(`${file}: its fingerprints were made with fingerprint version ${JSON.stringify(written)}, and this build makes version ${fingerprintVersion(model)}: resume it with the build that wrote it`);
  if (breadthFirst) return breadthFirstCheckpoint(header, model, counts, fingerprints, body.subarray(8 * distinctStates), file);
  return {
    recipe: model,
    // Written since the first checkpoints of session 5; those were taken with the default budget unless --max-states was given.
    capacity: header['capacity'] === undefined ? DEFAULT_DFS_CAPACITY : count(header['capacity'], 'capacity', file),
    distinctStates,
    transitions: counts[1] as number,
    deepest: counts[2] as number,
    seconds: typeof header['seconds'] === 'number' && header['seconds'] >= 0 ? header['seconds'] : 0,
    reached: reachedOf(header['reached'], file),
    paths: paths(header['paths'], file),
    fingerprints,
  };
}

function breadthFirstCheckpoint(header: Record<string, unknown>, model: ModelRecipe, counts: number[], fingerprints: Int32Array, tree: Buffer, file: string): BreadthFirstCheckpoint {
  const [distinctStates, transitions, deepest] = counts as [number, number, number];
  const parents = new Int32Array(distinctStates);
  new Uint8Array(parents.buffer).set(tree.subarray(0, 4 * distinctStates));
  const actions = new Uint16Array(distinctStates);
  new Uint8Array(actions.buffer).set(tree.subarray(4 * distinctStates));
  const level = levelOf(header['level'], distinctStates, file);
  const reached = reachedOf(header['reached'], file);
  const seconds = typeof header['seconds'] === 'number' && header['seconds'] >= 0 ? header['seconds'] : 0;
  return { search: 'bfs', recipe: model, capacity: count(header['capacity'], 'capacity', file), distinctStates, transitions, deepest, seconds, replaySteps: count(header['replaySteps'], 'replaySteps', file), reached, level, fingerprints, parents, actions };
}

function levelOf(value: unknown, states: number, file: string): PausedLevel {
  const l = (value ?? {}) as Record<string, unknown>;
  const [first, end, next, depth] = ['first', 'end', 'next', 'depth'].map((k) => count(l[k], `level.${k}`, file)) as [number, number, number, number];
  if (!(first <= next && next <= end && end <= states)) throw new InputError(`${file}: 'level' must have first ≤ next ≤ end ≤ distinctStates (${states})`);
  return { first, end, next, depth };
}

function count(value: unknown, name: string, file: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new InputError(`${file}: '${name}' must be a count, not ${JSON.stringify(value)}`);
  return value as number;
}

function recipe(value: unknown, file: string): ModelRecipe {
  const model = (value as { model?: unknown } | null)?.model;
  if (model !== 'replication' && model !== 'transactions') throw new InputError(`${file}: 'recipe' names no known model (replication, transactions)`);
  return value as ModelRecipe;
}

function reachedOf(value: unknown, file: string): DepthFirstCheckpoint['reached'] {
  const ok = Array.isArray(value) && value.every((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1]?.witness === 'string' && Number.isSafeInteger(e[1]?.depth));
  if (!ok) throw new InputError(`${file}: 'reached' must list [name, {witness, depth}] pairs`);
  return value as DepthFirstCheckpoint['reached'];
}

function paths(value: unknown, file: string): Path[] {
  const level = (l: unknown): boolean => Array.isArray(l) && l.length === 2 && l.every((n) => Number.isSafeInteger(n) && n >= 0) && (l[0] as number) <= (l[1] as number);
  const ok = Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length > 0 && p.every(level));
  if (!ok) throw new InputError(`${file}: 'paths' must list paths of [taken, end] levels`);
  return value as Path[];
}

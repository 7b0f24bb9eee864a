/**
 * The checkpoint file of a paused depth-first search (`explore --search dfs --checkpoint
 * FILE`, resumed by `--resume FILE`; model/explore/dfs-parallel.ts `DepthFirstCheckpoint`):
 * one line of JSON (the model recipe, its fingerprint version (models/registry.ts), the
 * totals so far, the `sometimes` properties, the paths left to search), then the visited set's fingerprints as raw little-endian 32-bit
 * (hi, lo) pairs, 8 bytes per state. It is written beside FILE and renamed over it, so an
 * interrupted write leaves the previous checkpoint whole.
 */
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { InputError } from '../core/assert.ts';
import { DEFAULT_DFS_CAPACITY, type DepthFirstCheckpoint } from '../../model/explore/dfs-parallel.ts';
import type { Path } from '../../model/explore/dfs-worker.ts';
import { type ModelRecipe, fingerprintVersion } from '../../model/explore/models/registry.ts';

const FORMAT = 'kafka-oracle explore checkpoint';
const VERSION = 1;
const CHUNK = 1 << 28;

export function writeCheckpoint(file: string, c: DepthFirstCheckpoint): void {
  const { fingerprints, ...rest } = c;
  const header = `${JSON.stringify({ format: FORMAT, version: VERSION, fingerprint: fingerprintVersion(c.recipe), ...rest })}\n`;
  const temporary = `${file}.partial`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, header);
    const bytes = new Uint8Array(fingerprints.buffer, fingerprints.byteOffset, fingerprints.byteLength);
    for (let at = 0; at < bytes.length; at += CHUNK) writeSync(fd, bytes.subarray(at, Math.min(at + CHUNK, bytes.length)));
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

export function readCheckpoint(file: string): DepthFirstCheckpoint {
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
  if (body.length !== 8 * distinctStates) throw new InputError(`${file}: ${body.length} bytes of fingerprints for ${distinctStates} states (8 per state expected): the file is truncated or damaged`);
  const fingerprints = new Int32Array(2 * distinctStates);
  new Uint8Array(fingerprints.buffer).set(body);
  const model = recipe(header['recipe'], file);
  // Checkpoints written before the field existed were all made with fingerprint version 1.
  const written = header['fingerprint'] ?? 1;
  if (written !== fingerprintVersion(model)) throw new InputError(`${file}: its fingerprints were made with fingerprint version ${JSON.stringify(written)}, and this build makes version ${fingerprintVersion(model)}: resume it with the build that wrote it`);
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

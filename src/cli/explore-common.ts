/** What both explorer CLIs (replication, transactions) share: `--variant` and `--search` parsing, the search options, and running the search. */
import { performance } from 'node:perf_hooks';
import { FRONTIERS, type ExploreOptions, type ExploreResult, type Frontier, explore } from '../../model/explore/bfs.ts';
import { exploreDepthFirst } from '../../model/explore/dfs.ts';
import { type DepthFirstCheckpoint, type DepthFirstResult, exploreDepthFirstParallel } from '../../model/explore/dfs-parallel.ts';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './explore-checkpoint.ts';
import { type ModelRecipe, buildModel } from '../../model/explore/models/registry.ts';
import { type BreadthFirstResult, exploreParallel } from '../../model/explore/parallel.ts';
import { InputError } from '../core/assert.ts';
import { VARIANTS, type Variant } from '../protocol/config.ts';
import type { Io } from './io.ts';

/** `--variant VALUE` for a model that knows the variants `known` (`none` is today's protocol). */
export function parseVariant(value: string, known: readonly (Variant | null)[], model: string): Variant | null {
  if (value === 'none') return null;
  const found = VARIANTS.find((v) => v === value);
  if (found === undefined || !known.includes(found)) {
    throw new InputError(`--variant: unknown variant '${value}' for the ${model} model (known: none, ${known.filter((v) => v !== null).join(', ')})`);
  }
  return found;
}

/** The state budget, the clock for rates, and progress lines (on the status line of a terminal). */

export function searchOptions(io: Io, o: { readonly json: boolean; readonly maxStates: number | undefined; readonly frontier?: Frontier }, progressEvery: number): ExploreOptions {
  return {
    ...(o.maxStates === undefined ? {} : { maxStates: o.maxStates }),
    ...(o.frontier === undefined ? {} : { frontier: o.frontier }),
    now: () => performance.now(),
    progressEvery,
    onProgress: (p) => {
      if (o.json) return;
      const line = `  ${p.distinctStates} states, depth ${p.depth}, queue ${p.queue}, ${Math.round(p.statesPerSecond)} states/s`;
      if (io.isTty) io.status(line);
      else io.out(line);
    },
  };
}

/** `--search`: breadth-first (shortest counterexamples) or depth-first (memory for the path only). */
export type Search = 'bfs' | 'dfs';
export const SEARCHES: readonly Search[] = ['bfs', 'dfs'];

export function parseSearch(value: string): Search {
  const found = SEARCHES.find((s) => s === value);
  if (found === undefined) throw new InputError(`--search: unknown search '${value}' (known: ${SEARCHES.join(', ')})`);
  return found;
}

/** `--frontier`: where a breadth-first search keeps the level it expands (bfs.ts `Frontier`). */
export function parseFrontier(value: string): Frontier {
  const found = FRONTIERS.find((f) => f === value);
  if (found === undefined) throw new InputError(`--frontier: unknown frontier '${value}' (known: ${FRONTIERS.join(', ')})`);
  return found;
}

export const FRONTIER_USAGE = '       --frontier memory|replay   (breadth-first: replay holds no worlds, about 6 bytes per state, and rebuilds each level by replaying the tree of parent links; shortest counterexamples at bounds whose frontier does not fit in memory)';

/** A campaign's flags: where a paused depth-first search writes its checkpoint, when to pause, what to resume. */
export interface CampaignArgs {
  checkpoint: string | undefined;
  stopAfter: number | undefined;
  resume: string | undefined;
}

export const CAMPAIGN_USAGE = '       --search dfs|--frontier replay --checkpoint FILE [--stop-after SECONDS]   (pause on SIGINT, SIGTERM or after SECONDS, writing FILE); --resume FILE [--checkpoint FILE]   (go on from FILE: its model, bounds and search)';

/** Parses `--checkpoint`, `--stop-after` and `--resume`; false when `flag` is none of them. */
export function parseCampaignFlag(o: CampaignArgs, flag: string, value: string): boolean {
  if (flag === '--checkpoint') o.checkpoint = value;
  else if (flag === '--resume') o.resume = value;
  else if (flag === '--stop-after') {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InputError(`--stop-after must be a whole number of seconds ≥ 1, not '${value}'`);
    o.stopAfter = Number(value);
  } else return false;
  return true;
}

/** What a campaign's flags, and `--frontier`, require of the others. */
export function checkCampaign(o: CampaignArgs & { readonly search: Search; readonly frontier?: Frontier }): void {
  if (o.frontier === 'replay' && o.search !== 'bfs') throw new InputError('--frontier replay needs --search bfs (a depth-first search keeps no frontier)');
  if (o.stopAfter !== undefined && o.checkpoint === undefined) throw new InputError('--stop-after needs --checkpoint FILE (where the paused search is written)');
  const pausable = o.search === 'dfs' || o.frontier === 'replay';
  if ((o.checkpoint !== undefined || o.resume !== undefined) && !pausable) throw new InputError('--checkpoint and --resume need --search dfs or --frontier replay (a breadth-first search holding its frontier is not paused)');
}

/** The checkpoint given to `--resume` (read once; its recipe sets the model and bounds, its kind the search), if any. */
export function resumed(o: CampaignArgs): Checkpoint | undefined {
  return o.resume === undefined ? undefined : readCheckpoint(o.resume);
}

/** The search a checkpoint was taken in. */
export function searchOf(checkpoint: Checkpoint): { search: Search; frontier: Frontier } {
  return 'search' in checkpoint ? { search: 'bfs', frontier: 'replay' } : { search: 'dfs', frontier: 'memory' };
}

/** Runs search `o.search` over the model `recipe` builds, on `o.workers` threads; pauses and resumes campaigns. */
export async function runSearch<S, A>(recipe: ModelRecipe, o: { readonly search: Search; readonly workers: number } & CampaignArgs, options: ExploreOptions, resume?: Checkpoint): Promise<ExploreResult<S, A>> {
  if (o.checkpoint !== undefined || resume !== undefined) return (await runCampaign(recipe, o, options, resume)) as ExploreResult<S, A>;
  const result =
    o.search === 'dfs'
      ? o.workers > 1
        ? await exploreDepthFirstParallel(recipe, o.workers, options)
        : exploreDepthFirst(buildModel(recipe), options)
      : o.workers > 1
        ? await exploreParallel(recipe, o.workers, options)
        : explore(buildModel(recipe), options);
  return result as ExploreResult<S, A>;
}

/** A depth-first search, or a breadth-first one with a replayed frontier, that can be paused into a checkpoint and resumed from one. */
async function runCampaign(recipe: ModelRecipe, o: { readonly search: Search; readonly workers: number } & CampaignArgs, options: ExploreOptions, resume: Checkpoint | undefined): Promise<DepthFirstResult | BreadthFirstResult> {
  const controller = new AbortController();
  const pause = (): void => controller.abort();
  const timer = o.stopAfter === undefined ? undefined : setTimeout(pause, o.stopAfter * 1000);
  if (o.checkpoint !== undefined) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, pause);
  const signal = o.checkpoint === undefined ? {} : { signal: controller.signal };
  let result: DepthFirstResult | BreadthFirstResult;
  try {
    if (resume !== undefined && 'search' in resume) result = await exploreParallel(recipe, o.workers, { ...options, frontier: 'replay', ...signal, resume });
    else if (o.search === 'bfs') result = await exploreParallel(recipe, o.workers, { ...options, frontier: 'replay', ...signal });
    else result = await exploreDepthFirstParallel(recipe, o.workers, { ...options, ...signal, ...(resume === undefined ? {} : { resume }) });
  } catch (error) {
    if (resume === undefined) throw error;
    throw new InputError(`${o.resume}: a path of the checkpoint does not replay in its model (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  } finally {
    clearTimeout(timer);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, pause);
  }
  if (result.checkpoint !== undefined && o.checkpoint !== undefined) writeCheckpoint(o.checkpoint, result.checkpoint);
  return result;
}

/** The line a paused campaign ends with (none when the search was not paused). */
export function pausedLine(result: ExploreResult<unknown, unknown>, o: CampaignArgs): string | undefined {
  if ((result as DepthFirstResult | BreadthFirstResult).checkpoint === undefined || o.checkpoint === undefined) return undefined;
  return `stopped at ${result.distinctStates} states (paused, or the --max-states budget spent): checkpoint written to ${o.checkpoint}; go on with: explore --resume ${o.checkpoint} --checkpoint ${o.checkpoint} [--max-states N]`;
}

/** What a run adds to the `--json` answer: the checkpoint it wrote, how depth-first threads shared work, the steps a replayed frontier took. */
export function campaignFields(result: ExploreResult<unknown, unknown>, o: CampaignArgs): Record<string, unknown> {
  const sharing = (result as DepthFirstResult).sharing;
  const replay = result.replaySteps === undefined ? {} : { frontier: 'replay', replaySteps: result.replaySteps };
  return { ...(pausedLine(result, o) === undefined ? {} : { checkpoint: o.checkpoint }), ...(sharing === undefined ? {} : { sharing }), ...replay };
}

/** How a depth-first search's threads shared work, and what a replayed frontier cost (none for other searches). */
export function searchLines(result: ExploreResult<unknown, unknown>): string[] {
  const sharing = (result as DepthFirstResult).sharing;
  const lines: string[] = [];
  if (sharing !== undefined) lines.push(`work sharing: ${sharing.paths} paths handed between threads, ${sharing.replaySteps} replay steps to rebuild them`);
  if (result.replaySteps !== undefined) {
    const per = (result.replaySteps / Math.max(result.distinctStates, 1)).toFixed(2);
    lines.push(`frontier replayed: ${result.replaySteps} steps rebuilt the levels' worlds from the tree of parent links (${per} per state)`);
  }
  return lines;
}

/** The heading of a counterexample: a breadth-first one is a shortest one. */
export function traceHeading(search: Search, steps: number): string {
  return search === 'bfs' ? `shortest trace (${steps} steps):` : `trace (${steps} steps; depth-first, so not necessarily a shortest one):`;
}

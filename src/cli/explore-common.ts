/** What both explorer CLIs (replication, transactions) share: `--variant` and `--search` parsing, the search options, and running the search. */
import { performance } from 'node:perf_hooks';
import { type ExploreOptions, type ExploreResult, explore } from '../../model/explore/bfs.ts';
import { exploreDepthFirst } from '../../model/explore/dfs.ts';
import { exploreDepthFirstParallel } from '../../model/explore/dfs-parallel.ts';
import { type ModelRecipe, buildModel } from '../../model/explore/models/registry.ts';
import { exploreParallel } from '../../model/explore/parallel.ts';
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

export function searchOptions(io: Io, o: { readonly json: boolean; readonly maxStates: number | undefined }, progressEvery: number): ExploreOptions {
  return {
    ...(o.maxStates === undefined ? {} : { maxStates: o.maxStates }),
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

/** Runs search `o.search` over the model `recipe` builds, on `o.workers` threads. */
export async function runSearch<S, A>(recipe: ModelRecipe, o: { readonly search: Search; readonly workers: number }, options: ExploreOptions): Promise<ExploreResult<S, A>> {
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

/** The heading of a counterexample: a breadth-first one is a shortest one. */
export function traceHeading(search: Search, steps: number): string {
  return search === 'bfs' ? `shortest trace (${steps} steps):` : `trace (${steps} steps; depth-first, so not necessarily a shortest one):`;
}

/** What both explorer CLIs (replication, transactions) share: `--variant` parsing and the search options. */
import { performance } from 'node:perf_hooks';
import type { ExploreOptions } from '../../model/explore/bfs.ts';
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

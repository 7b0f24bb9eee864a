/** The search options both explorer CLIs pass: the state budget, the clock for rates, and progress lines. */
import { performance } from 'node:perf_hooks';
import type { ExploreOptions } from '../../model/explore/bfs.ts';
import type { Io } from './io.ts';

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

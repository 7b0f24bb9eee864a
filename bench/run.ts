/**
 * `npm run bench [name...]`: runs every benchmark module listed below, in order, or only the
 * ones named on the command line. Each module exports `run(): Promise<void>` and prints its
 * own figures. Add a benchmark by adding one line to BENCHMARKS.
 */
const BENCHMARKS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  fs: async () => import('./fs.ts'),
  codec: async () => import('./codec.ts'),
  oracle: async () => import('./oracle.ts'),
  storage: async () => import('./storage.ts'),
  machines: async () => import('./machines.ts'),
  txn: async () => import('./txn.ts'),
  explore: async () => import('./explore.ts'),
  'explore-txn': async () => import('./explore-txn.ts'),
  sim: async () => import('./sim.ts'),
  eos: async () => import('./eos.ts'),
};

/** Campaigns of tens of minutes, run only when named. */
const LONG: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  'explore-default': async () => import('./explore-default.ts'),
};

async function main(argv: string[]): Promise<number> {
  Object.assign(BENCHMARKS, LONG);
  const unknown = argv.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const names = argv.length > 0 ? argv : Object.keys(BENCHMARKS).filter((name) => !(name in LONG));
  for (const name of names) {
    const load = BENCHMARKS[name];
    if (load === undefined) continue;
    console.log(`## ${name}`);
    await (await load()).run();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

export {};

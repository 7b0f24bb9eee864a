// Entry point of a parallel explorer thread (model/explore/parallel.ts, dfs-parallel.ts):
// the sources are TypeScript run through tsx, as in bin/kafka-oracle.js. `workerData.entry`
// names the thread's module (the breadth-first one with worlds held in memory unless given).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const ENTRIES = ['./dfs-worker.ts', './parallel-replay-worker.ts'];
await import(ENTRIES.includes(workerData?.entry) ? workerData.entry : './parallel-worker.ts');

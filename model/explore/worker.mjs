// Entry point of a parallel explorer thread (model/explore/parallel.ts, dfs-parallel.ts):
// the sources are TypeScript run through tsx, as in bin/kafka-oracle.js. `workerData.entry`
// names the thread's module (the breadth-first one unless given).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData?.entry === './dfs-worker.ts' ? './dfs-worker.ts' : './parallel-worker.ts');

// Entry point of a parallel explorer thread (model/explore/parallel.ts): the sources are
// TypeScript run through tsx, as in bin/kafka-oracle.js.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');

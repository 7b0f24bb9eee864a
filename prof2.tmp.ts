import { exploreDepthFirst } from './model/explore/dfs.ts';
import { explore } from './model/explore/bfs.ts';
import { DEFAULT_REPLICATION_BOUNDS, replicationModel } from './model/explore/models/replication.ts';
const [search, red, max] = process.argv.slice(2);
const t = performance.now();
const run = search === 'dfs' ? exploreDepthFirst : explore;
const r = run(replicationModel({ ...DEFAULT_REPLICATION_BOUNDS }, null, undefined, red as never), { maxStates: Number(max) });
const s = (performance.now() - t) / 1000;
console.log(search, red, r.distinctStates, r.transitions, s.toFixed(2), Math.round(r.distinctStates / s), (process.cpuUsage().user / 1e6).toFixed(1));

import fc from 'fast-check';

// One seed for every property in a run: FC_SEED=<n> replays a CI failure exactly.
// Without it fast-check draws a seed and prints it (with the path) on failure.
const seed = process.env['FC_SEED'];
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

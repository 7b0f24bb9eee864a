import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandRunner } from './run-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'explore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NO_FAULTS = ['--expirations', '0', '--timeouts', '0', '--lags', '0'];

const run = commandRunner('explore');

describe('kafka-oracle explore', () => {
  it('--json answers with the issue\'s fields', async () => {
    const { status, stdout } = await run('--records', '1', ...NO_FAULTS, '--json');
    expect(status).toBe(0);
    const answer = JSON.parse(stdout.join('\n'));
    expect(answer).toMatchObject({ model: 'replication', variant: 'none', distinctStates: 57, depth: 14, exhaustive: true });
    expect(answer.bounds).toMatchObject({ replicas: 3, records: 1, leaderEpochs: 2, expirations: 0 });
    expect(answer.violation).toBeUndefined();
    expect(typeof answer.statesPerSecond).toBe('number');
  });

  it('prints totals and the sometimes properties reached', async () => {
    const { status, stdout } = await run('--records', '1', ...NO_FAULTS);
    expect(status).toBe(0);
    expect(stdout.join('\n')).toMatch(/exhaustive: 57 distinct states/);
    expect(stdout.join('\n')).toMatch(/some-write-acked \(depth \d+\)/);
    expect(stdout.at(-1)).toBe('no invariant violated');
  });

  it('--replay re-runs a trace file: the KIP-101 violation reproduces (exit 1), its twin under today\'s protocol does not (exit 0)', async () => {
    const fixture = 'test/model/explore/fixtures/kip101-truncate-to-high-watermark.json';
    const violated = await run('--replay', fixture);
    expect(violated.status).toBe(1);
    expect(violated.stdout.join('\n')).toMatch(/VIOLATED leader-completeness/);
    const today = join(dir, 'today.json');
    writeFileSync(today, JSON.stringify({ ...JSON.parse(readFileSync(fixture, 'utf8')), variant: null }));
    const held = await run('--replay', today);
    expect(held.status).toBe(0);
    expect(held.stdout.at(-1)).toMatch(/does not reproduce/);
  });

  it('--simulate: seeded random walks, the same counts for the same seed', async () => {
    const args = ['--simulate', '20', '--depth', '25', '--seed', '7', '--records', '1', '--json'];
    const first = JSON.parse((await run(...args)).stdout.join(''));
    const second = JSON.parse((await run(...args)).stdout.join(''));
    expect(first).toMatchObject({ mode: 'simulate', walks: 20, depth: 25, seed: 7, walksRun: 20 });
    expect(first.states).toBe(second.states);
    expect(first.states).toBeGreaterThan(20);
  });

  it('--workers 2 explores the same states on two threads', async () => {
    const one = JSON.parse((await run('--records', '1', ...NO_FAULTS, '--timeouts', '1', '--json')).stdout.join('\n'));
    const two = JSON.parse((await run('--records', '1', ...NO_FAULTS, '--timeouts', '1', '--workers', '2', '--json')).stdout.join('\n'));
    expect(two).toMatchObject({ distinctStates: one.distinctStates, depth: one.depth, exhaustive: true });
  }, 60_000);

  it('--frontier replay: the same states and the same shortest trace, on one thread and on two, with the replay steps it took', async () => {
    const args = ['--variant', 'truncate-to-high-watermark', '--records', '1', '--json'];
    const held = JSON.parse((await run(...args)).stdout.join('\n'));
    for (const workers of ['1', '2']) {
      const { status, stdout } = await run(...args, '--frontier', 'replay', '--workers', workers);
      expect(status).toBe(1);
      const replayed = JSON.parse(stdout.join('\n'));
      expect(replayed).toMatchObject({ frontier: 'replay', violation: { invariant: 'leader-completeness' } });
      expect(replayed.violation.steps).toHaveLength(held.violation.steps.length);
      expect(replayed.replaySteps).toBeGreaterThan(0);
      if (workers === '1') expect(replayed).toMatchObject({ distinctStates: held.distinctStates, violation: held.violation });
    }
    const human = await run('--records', '1', ...NO_FAULTS, '--frontier', 'replay');
    expect(human.stdout[0]).toMatch(/\| frontier replay$/);
    expect(human.stdout).toContainEqual(expect.stringMatching(/^frontier replayed: \d+ steps rebuilt the levels' worlds from the tree of parent links \([\d.]+ per state\)$/));
    expect(held.frontier).toBeUndefined();
  }, 60_000);

  it('--reduction quiet-pushes: fewer states, the same verdict; its traces replay with the same eager steps', async () => {
    const args = ['--records', '1', ...NO_FAULTS, '--expirations', '1', '--json'];
    const full = JSON.parse((await run(...args)).stdout.join('\n'));
    const reduced = JSON.parse((await run(...args, '--reduction', 'quiet-pushes')).stdout.join('\n'));
    expect(full).toMatchObject({ reduction: 'none', distinctStates: 81371, exhaustive: true });
    expect(reduced).toMatchObject({ reduction: 'quiet-pushes', distinctStates: 30076, exhaustive: true });
    const trace = join(dir, 'reduced-kip101.json');
    const found = await run('--variant', 'truncate-to-high-watermark', '--records', '1', '--reduction', 'quiet-pushes', '--trace', trace);
    expect(found.status).toBe(1);
    expect(JSON.parse(readFileSync(trace, 'utf8'))).toMatchObject({ reduction: 'quiet-pushes' });
    const replayed = await run('--replay', trace);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout[0]).toMatch(/reduction quiet-pushes/);
  }, 120_000);

  it('--search dfs: the same states depth-first, on one thread and on two; a violation\'s trace is labelled as not a shortest one', async () => {
    const args = ['--records', '1', ...NO_FAULTS, '--timeouts', '1', '--json'];
    const bfs = JSON.parse((await run(...args)).stdout.join('\n'));
    const dfs = JSON.parse((await run(...args, '--search', 'dfs')).stdout.join('\n'));
    const two = JSON.parse((await run(...args, '--search', 'dfs', '--workers', '2')).stdout.join('\n'));
    expect(bfs.search).toBe('bfs');
    for (const r of [dfs, two]) expect(r).toMatchObject({ search: 'dfs', distinctStates: bfs.distinctStates, transitions: bfs.transitions, exhaustive: true });
    const found = await run('--records', '1', ...NO_FAULTS, '--timeouts', '1', '--enable-idempotence', 'false', '--search', 'dfs');
    expect(found.status).toBe(1);
    expect(found.stdout.join('\n')).toMatch(/VIOLATED no-duplicate/);
    expect(found.stdout.join('\n')).toMatch(/trace \(\d+ steps; depth-first, so not necessarily a shortest one\):/);
  }, 120_000);

  it('--checkpoint pauses a depth-first search (--stop-after), --resume goes on from it to the same totals', async () => {
    const file = join(dir, 'campaign.checkpoint');
    const args = ['--records', '1', ...NO_FAULTS, '--expirations', '1', '--timeouts', '1'];
    const paused = await run(...args, '--search', 'dfs', '--checkpoint', file, '--stop-after', '2', '--json');
    expect(paused.status).toBe(0);
    const first = JSON.parse(paused.stdout.join('\n'));
    expect(first).toMatchObject({ search: 'dfs', exhaustive: false, checkpoint: file });
    expect(first.distinctStates).toBeLessThan(375_548);
    const resumed = await run('--resume', file, '--workers', '2');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout[0]).toMatch(/expirations 1, timeouts 1, lags 0 \| dfs/);
    expect(resumed.stdout.join('\n')).toMatch(/exhaustive: 375548 distinct states, 2146669 transitions/);
    expect(resumed.stdout).toContainEqual(expect.stringMatching(/^work sharing: [1-9]\d* paths handed between threads, \d+ replay steps to rebuild them$/));
    expect(first.sharing).toBeUndefined();
    writeFileSync(join(dir, 'truncated.checkpoint'), readFileSync(file).subarray(0, -3));
    const broken = await run('--resume', join(dir, 'truncated.checkpoint'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toEqual([expect.stringMatching(/truncated\.checkpoint: \d+ bytes of arrays for \d+ states \(8 per state expected\).*truncated or damaged/)]);
    const data = readFileSync(file);
    const newline = data.indexOf(10);
    const header = JSON.parse(data.subarray(0, newline).toString('utf8'));
    expect(header.fingerprint).toBe(2);
    delete header.fingerprint;
    writeFileSync(join(dir, 'old.checkpoint'), Buffer.concat([Buffer.from(JSON.stringify(header)), data.subarray(newline)]));
    const old = await run('--resume', join(dir, 'old.checkpoint'));
    expect(old.status).toBe(2);
    expect(old.stderr).toEqual([expect.stringMatching(/old\.checkpoint: its fingerprints were made with fingerprint version 1, and this build makes version 2: resume it with the build that wrote it/)]);
  }, 180_000);

  it('--checkpoint pauses a breadth-first search with a replayed frontier, --resume goes on in its level to the same totals', async () => {
    const file = join(dir, 'bfs.checkpoint');
    const args = ['--records', '1', ...NO_FAULTS, '--expirations', '1', '--timeouts', '1'];
    const paused = await run(...args, '--frontier', 'replay', '--checkpoint', file, '--stop-after', '2', '--json');
    expect(paused.status).toBe(0);
    const first = JSON.parse(paused.stdout.join('\n'));
    expect(first).toMatchObject({ search: 'bfs', frontier: 'replay', exhaustive: false, checkpoint: file });
    expect(first.distinctStates).toBeLessThan(375_548);
    const header = JSON.parse(readFileSync(file).subarray(0, readFileSync(file).indexOf(10)).toString('utf8'));
    expect(header).toMatchObject({ search: 'bfs', distinctStates: first.distinctStates });
    expect(header.level.first).toBeLessThanOrEqual(header.level.next);
    const resumed = await run('--resume', file, '--workers', '2');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout[0]).toMatch(/expirations 1, timeouts 1, lags 0 \| frontier replay \| 2 threads$/);
    // The same states, transitions and breadth-first depth as the uninterrupted search.
    expect(resumed.stdout.join('\n')).toMatch(/exhaustive: 375548 distinct states, 2146669 transitions, depth 33,/);
    writeFileSync(join(dir, 'bfs-truncated.checkpoint'), readFileSync(file).subarray(0, -2));
    const broken = await run('--resume', join(dir, 'bfs-truncated.checkpoint'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toEqual([expect.stringMatching(/bfs-truncated\.checkpoint: \d+ bytes of arrays for \d+ states \(14 per state expected\).*truncated or damaged/)]);
    const held = await run(...args, '--checkpoint', file);
    expect(held.status).toBe(2);
    expect(held.stderr).toEqual(['kafka-oracle explore: --checkpoint and --resume need --search dfs or --frontier replay (a breadth-first search holding its frontier is not paused)']);
    const shaped = await run('--resume', file, '--search', 'dfs');
    expect(shaped.stderr).toEqual([expect.stringMatching(/--resume takes the model, bounds and search from its checkpoint; do not give --search/)]);
  }, 180_000);

  it('bad input: one line, exit 2', async () => {
    for (const args of [['--reduction', 'all'], ['--search', 'random'], ['--frontier', 'disk'], ['--frontier', 'replay', '--search', 'dfs'], ['--checkpoint', join(dir, 'c')], ['--search', 'dfs', '--stop-after', '5'], ['--resume', join(dir, 'missing.checkpoint')], ['--resume', 'test/model/explore/fixtures/kip101-truncate-to-high-watermark.json'], ['--resume', join(dir, 'x'), '--records', '2'], ['--search', 'dfs', '--checkpoint', join(dir, 'c'), '--stop-after', '0'], ['--records', 'x'], ['--workers', '0'], ['--workers', '65'], ['--model', 'raft'], ['--variant', 'no-such'], ['--bogus', '1'], ['--replicas', '2', '--min-isr', '3'], ['--replay', join(dir, 'missing.json')]]) {
      const { status, stderr } = await run(...args);
      expect(status, args.join(' ')).toBe(2);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(/^kafka-oracle explore: /);
    }
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"model":"replication","variant":null,"bounds":{"records":1},"steps":[{"action":{"kind":"send"}},{"action":{"kind":"send"}}]}');
    const { status, stderr } = await run('--replay', garbage);
    expect(status).toBe(2);
    expect(stderr[0]).toMatch(/step 2 .* not enabled/);
  });
});

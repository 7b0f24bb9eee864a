import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { parseCheckArgs, selectRows } from '../../src/cli/check.ts';

interface JsonRow {
  guarantee: string;
  config: string;
  expected: string;
  verdict: string;
  histories: number;
  counterexample?: { seed: number; path: string; invariant: string; steps: string[] };
}

describe('kafka-oracle check', () => {
  it('finds, shrinks and prints the acks=1 counterexample, and replay reproduces it (exit 1)', async () => {
    const io = captureIo();
    const status = await main(['check', '--only', 'no-acked-write-lost acks=1 ', '--runs', '150', '--shrink', '30', '--json'], io);
    const { rows } = JSON.parse(io.stdout.join('\n')) as { rows: JsonRow[] };
    expect(rows).toHaveLength(1);
    const [row] = rows as [JsonRow];
    expect(row).toMatchObject({ guarantee: 'no-acked-write-lost', expected: 'violated', verdict: 'violated' });
    expect(status).toBe(0);
    const c = row.counterexample!;
    expect(c.steps.length).toBeGreaterThan(0);
    expect(['leader-completeness', 'no-acked-write-lost', 'offset-stability', 'log-matching', 'acked-writes-read']).toContain(c.invariant);

    const replayIo = captureIo();
    const replayed = await main(['replay', '--seed', String(c.seed), '--path', c.path, '--config', row.config, '--guarantee', row.guarantee], replayIo);
    expect(replayed).toBe(1);
    expect(replayIo.stdout.join('\n')).toContain(`VIOLATED ${c.invariant}`);

    const stepsIo = captureIo();
    const fromSteps = await main(['replay', '--steps', c.steps.map((s) => s.replace(/\s+\(skipped.*$/, '')).join('; '), '--config', row.config], stepsIo);
    expect(fromSteps).toBe(1);
  });

  it('a holds row over a few histories prints the table and exits 0', async () => {
    const io = captureIo();
    const status = await main(['check', '--only', 'idempotent-producer .*enable.idempotence=true', '--runs', '20'], io);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/guarantee\s+config\s+faults\s+expected\s+verdict\s+histories\s+time/);
    expect(out).toMatch(/idempotent-producer .* holds\s+holds\s+20 /);
    expect(status).toBe(0);
  });

  it('bad usage is one line and exit 2', async () => {
    for (const args of [['check', '--runs', 'x'], ['check', '--bogus'], ['check', '--only', 'no such row'], ['replay', '--config', 'acks=2', '--steps', 'send'], ['replay', '--seed', '1']]) {
      const io = captureIo();
      expect(await main(args, io)).toBe(2);
      expect(io.stderr).toHaveLength(1);
      expect(io.stderr[0]).toMatch(/^kafka-oracle (check|replay): /);
    }
  });

  it('parses its options', () => {
    expect(parseCheckArgs(['--seed', '7', '--runs', '3', '--json'])).toMatchObject({ seed: 7, runs: 3, json: true });
    expect(selectRows(/liveness/).every((r) => r.guarantee === 'liveness-after-healing')).toBe(true);
  });

  it('--only also matches the fault budget, so a variant\'s fix twin is selectable on its own', () => {
    const twins = selectRows(/faults=leader-failovers\+rejoins$/);
    expect(twins.map((r) => r.config.variant)).toEqual(['no-isr-join-epoch-check', null]);
    const fixOnly = selectRows(/session\.timeout\.ms=45000 faults=leader-failovers\+rejoins$/);
    expect(fixOnly).toHaveLength(1);
    expect(fixOnly[0]?.config.variant).toBeNull();
  });
});

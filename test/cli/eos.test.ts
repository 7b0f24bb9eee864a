import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { formatConfig } from '../../src/protocol/config.ts';
import { EOS_MATRIX } from '../../src/sim/eos/matrix.ts';

const configOf = (i: number): string => formatConfig(EOS_MATRIX[i]!.config);
// `--only` matches "<guarantee> <config> faults=<budget>": anchor the config, whatever the faults.
const exactly = (text: string): string => `^exactly-once-pipeline ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} faults=`;

interface JsonRow {
  guarantee: string;
  config: string;
  expected: string;
  verdict: string;
  histories: number;
  sometimes: Record<string, number>;
  counterexample?: { seed: number; path: string; invariant: string; steps: string[] };
}

describe('kafka-oracle check / replay: the exactly-once rows', () => {
  it('the read_uncommitted row is violated; replay reproduces its counterexample from seed and path, and from its steps', async () => {
    const io = captureIo();
    const status = await main(['check', '--only', 'exactly-once-pipeline .*isolation.level=read_uncommitted', '--runs', '20', '--shrink', '5', '--json'], io);
    const { rows } = JSON.parse(io.stdout.join('\n')) as { rows: JsonRow[] };
    expect(rows).toHaveLength(1);
    const [row] = rows as [JsonRow];
    expect(row).toMatchObject({ guarantee: 'exactly-once-pipeline', expected: 'violated', verdict: 'violated' });
    expect(status).toBe(0);
    const c = row.counterexample!;

    const replayIo = captureIo();
    expect(await main(['replay', '--seed', String(c.seed), '--path', c.path, '--config', row.config, '--guarantee', row.guarantee], replayIo)).toBe(1);
    expect(replayIo.stdout.join('\n')).toContain(`VIOLATED ${c.invariant}`);

    const stepsIo = captureIo();
    const steps = c.steps.map((s) => s.replace(/\s+\(skipped.*$/, '')).join('; ');
    expect(await main(['replay', '--steps', steps, '--config', row.config], stepsIo)).toBe(1);
  });

  it('the holds row over a few histories holds', async () => {
    const io = captureIo();
    await main(['check', '--only', exactly(configOf(0)), '--runs', '8', '--json'], io);
    const { rows } = JSON.parse(io.stdout.join('\n')) as { rows: JsonRow[] };
    const holds = rows.filter((r) => r.expected === 'holds');
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ verdict: 'holds', histories: 8 });
  });

  it('replay refuses --data-dir for an exactly-once row (exit 2, one line)', async () => {
    const io = captureIo();
    expect(await main(['replay', '--steps', 'send', '--config', configOf(1), '--data-dir', '/tmp/x'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--data-dir is not supported/);
  });
});

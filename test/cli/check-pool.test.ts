import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

async function checkJson(jobs: number): Promise<{ status: number; json: unknown }> {
  const io = captureIo();
  const status = await main(['check', '--only', '^no-acked-write-lost acks=1 |^exactly-once-pipeline .*isolation.level=read_uncommitted', '--jobs', String(jobs), '--json'], io);
  return { status, json: JSON.parse(io.stdout.join('\n')) };
}

describe('check --jobs', () => {
  it('checks rows on two processes with exactly the results of one (verdicts, seeds, paths, counterexamples)', async () => {
    const one = await checkJson(1);
    const two = await checkJson(2);
    expect(two).toEqual(one);
    const rows = (one.json as { rows: { verdict: string; counterexample?: unknown }[] }).rows;
    expect(rows.length).toBe(2);
    expect(rows.every((r) => r.verdict === 'violated' && r.counterexample !== undefined)).toBe(true);
  });

  it('refuses a job count below 1', async () => {
    const io = captureIo();
    expect(await main(['check', '--jobs', '0'], io)).toBe(2);
    expect(io.stderr.join('')).toMatch(/--jobs must be an integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { commandRunner } from './run-command.ts';

const run = commandRunner('storage-check');

describe('kafka-oracle storage-check', () => {
  it('passes with Kafka recovery and reports what each crash class cost', async () => {
    const { status, stdout } = await run('--seeds', '60');
    expect(status).toBe(0);
    expect(stdout[1]).toMatch(/^class\s+runs\s+crashes\s+mid-op\s+lost data/);
    expect(stdout.slice(2, 6).map((l) => l.split(/\s+/)[0])).toEqual(['process', 'power', 'torn', 'garbled']);
    expect(stdout.at(-1)).toMatch(/^OK: in all 60 seeds/);
  });

  it('--json carries the totals, the sometimes witnesses and the verdict', async () => {
    const { status, stdout } = await run('--seeds', '60', '--json');
    expect(status).toBe(0);
    const result = JSON.parse(stdout[0] as string);
    expect(result.violations).toEqual([]);
    expect(result.byClass.process.interrupted).toBeGreaterThan(0);
    expect(result.sometimes.powerLossLostData).toBeGreaterThan(0);
    expect(result.sometimes.tornBatches).toBeGreaterThan(0);
  });

  it('catches the broken variants, exit 1, printing the seed that replays it', async () => {
    for (const variant of ['skip-crc-check', 'no-truncate']) {
      const { status, stdout } = await run('--seeds', '60', '--variant', variant);
      expect(status).toBe(1);
      expect(stdout.at(-1)).toMatch(/^VIOLATION in \d+ seed\(s\); first: seed \d+/);
      const replay = stdout.find((l) => l.includes('replay:')) as string;
      const seed = /--seed (\d+)/.exec(replay)?.[1] as string;
      const again = await run('--seed', seed, '--seeds', '1', '--variant', variant);
      expect(again.status).toBe(1);
    }
  });

  it('bad usage: one line, exit 2', async () => {
    for (const args of [['--seeds', '0'], ['--variant', 'yolo'], ['--seed'], ['--what']]) {
      const { status, stderr } = await run(...args);
      expect(status).toBe(2);
      expect(stderr).toHaveLength(1);
    }
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { and, not, setup } from 'xstate';
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { MACHINES, describeGuard, toMermaid } from '../../src/cli/diagram.ts';

describe('diagram', () => {
  it('is generated from the definition: a small machine gives exactly its own states and edges', () => {
    const m = setup({ guards: { ok: () => true, far: () => false }, actions: { go: () => {} } }).createMachine({
      id: 'tiny',
      initial: 'a',
      states: {
        a: { on: { E: { target: 'b', guard: and(['ok', not('far')]), actions: 'go' } } },
        b: { initial: 'c', states: { c: { on: { F: { target: '#tiny.a' } } } } },
      },
    });
    expect(toMermaid(m).split('\n')).toEqual([
      'stateDiagram-v2',
      '  [*] --> a',
      '  state "a" as a',
      '  state "b" as b {',
      '    [*] --> b_c',
      '    state "c" as b_c',
      '  }',
      '  a --> b : E [(ok and not far)] / go',
      '  b_c --> a : F',
    ]);
    expect(describeGuard(undefined)).toBe('');
  });

  it('every state and every handled event of each machine appears', () => {
    for (const [name, machine] of Object.entries(MACHINES)) {
      const text = toMermaid(machine);
      expect(text.startsWith('stateDiagram-v2'), name).toBe(true);
      for (const event of machine.events) expect(text, `${name}: ${event}`).toContain(` : ${event}`);
      for (const key of Object.keys(machine.root.states)) expect(text).toContain(`state "${key}"`);
    }
    expect(toMermaid(MACHINES['replica'] as never)).toContain(
      'follower_truncating --> follower_fetching : OffsetsForLeaderEpochResponse [truncationComplete]',
    );
  });

  it('the command writes one machine to --out, all machines to stdout, and rejects bad input with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagram-'));
    const out = join(dir, 'producer.mmd');
    const io = captureIo();
    expect(await main(['diagram', '--machine', 'producer', '--out', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`${toMermaid(MACHINES['producer'] as never)}\n`);
    const all = captureIo();
    expect(await main(['diagram'], all)).toBe(0);
    expect(all.stdout.join('\n').match(/^%% machine: /gm)).toHaveLength(Object.keys(MACHINES).length);
    const bad = captureIo();
    expect(await main(['diagram', '--machine', 'zookeeper'], bad)).toBe(2);
    expect(bad.stderr).toEqual(["kafka-oracle diagram: unknown machine 'zookeeper' (known: replica, controller, producer, broker, txn-coordinator, txn-producer, group-coordinator, consumer)"]);
    const flag = captureIo();
    expect(await main(['diagram', '--colour'], flag)).toBe(2);
    expect(flag.stderr[0]).toMatch(/^kafka-oracle diagram: Unknown option '--colour'/);
  });
});

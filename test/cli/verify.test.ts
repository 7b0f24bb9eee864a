/**
 * `kafka-oracle verify` end to end on the example histories: exit codes, the human report,
 * the --json answer, and one-line errors for bad input.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { captureIo } from '../../src/cli/io.ts';

const fixture = (name: string) => join('test/fixtures/histories', name);

async function verify(...args: string[]) {
  const io = captureIo();
  const code = await main(['verify', ...args], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr };
}

async function answer(...args: string[]) {
  const { code, out } = await verify(...args, '--json');
  return { code, result: JSON.parse(out) as { valid: unknown; anomalyTypes: string[]; badAnomalyTypes: string[]; anomalies: Record<string, unknown[]> } };
}

const TABLE: [file: string, options: string[], code: number, types: string[]][] = [
  ['valid.jsonl', [], 0, []],
  ['valid-aborted-poll-rewound.jsonl', [], 0, []],
  ['inconsistent-offsets.jsonl', [], 1, ['inconsistent-offsets', 'lost-write', 'unseen']],
  ['duplicate.jsonl', [], 1, ['duplicate']],
  ['G1a.jsonl', [], 1, ['G1a']],
  ['G1a.jsonl', ['--isolation', 'read_uncommitted'], 0, ['G1a']],
  ['precommitted-read.jsonl', ['--txn'], 1, ['precommitted-read']],
  ['garbage-read.jsonl', [], 1, ['garbage-read']],
  ['lost-write.jsonl', [], 1, ['lost-write', 'unseen']],
  ['lost-write.edn', [], 1, ['lost-write', 'unseen']],
  ['unseen.jsonl', [], 1, ['unseen']],
  ['poll-skip.jsonl', [], 1, ['poll-skip']],
  ['poll-skip.jsonl', ['--sub-via', 'subscribe'], 0, ['poll-skip']],
  ['nonmonotonic-poll.jsonl', [], 1, ['nonmonotonic-poll']],
  ['nonmonotonic-poll.jsonl', ['--sub-via', 'assign,subscribe'], 0, ['nonmonotonic-poll']],
  ['int-poll-skip.jsonl', [], 1, ['int-poll-skip']],
  ['int-nonmonotonic-poll.jsonl', [], 1, ['int-nonmonotonic-poll']],
  ['int-send-skip.jsonl', ['--txn'], 0, ['int-send-skip']],
  ['int-nonmonotonic-send.jsonl', [], 1, ['int-nonmonotonic-send']],
  ['nonmonotonic-send.jsonl', [], 1, ['nonmonotonic-send']],
  ['G0.jsonl', ['--txn', '--ww-deps'], 0, ['G0']],
  ['G1c.jsonl', ['--txn'], 1, ['G1c']],
  ['G1c.jsonl', ['--txn', '--ww-deps'], 0, ['G1c']],
  ['G1c.jsonl', ['--txn', '--ww-deps', '--isolation', 'read_committed'], 1, ['G1c', 'early-read']],
  ['G1c-process.jsonl', [], 1, ['G1c-process']],
  ['jepsen-sample.edn', [], 0, []],
];

describe('verify on the example histories', () => {
  for (const [file, options, code, types] of TABLE) {
    it(`${file} ${options.join(' ')} -> exit ${code}, ${types.join(', ') || 'no anomaly'}`, async () => {
      const { code: exit, result } = await answer(fixture(file), ...options);
      expect(exit).toBe(code);
      expect(result.anomalyTypes).toEqual(types);
      expect(result.valid).toBe(code === 0);
      for (const type of result.badAnomalyTypes) expect(result.anomalies[type]!.length).toBeGreaterThan(0);
    });
  }
});

describe('the human report', () => {
  it('gives the verdict, each type in one sentence, and its first witnesses', async () => {
    const { code, out } = await verify(fixture('lost-write.jsonl'));
    expect(code).toBe(1);
    const lines = out.split('\n');
    expect(lines[0]).toBe('INVALID: lost-write, unseen');
    expect(out).toMatch(/^lost-write: BAD, 1 found\. A write that must have committed/m);
    expect(out).toContain('  - key "x" value 2 at offset 1 (index 1), sent by op 3 (ok send, process 1); op 9 (ok poll, process 3) read up to value 3 (index 2)');
  });

  it('says which anomalies were found but allowed', async () => {
    const { code, out } = await verify(fixture('G0.jsonl'), '--txn', '--ww-deps');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('VALID: no anomaly Kafka forbids under these options (allowed: G0)');
    expect(out).toMatch(/^G0: allowed, 1 found\./m);
    expect(out).toMatch(/cycle: op \d+ sent \d+ to "[xy]" just before op \d+ sent \d+/);
  });

  it('explains cycles edge by edge', async () => {
    const { out } = await verify(fixture('G1c-process.jsonl'));
    expect(out).toContain('op 7 sent 2 to "y", which op 1 read');
    expect(out).toContain('precedes op');
  });
});

describe('exit codes for undecided and bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('a history with nothing ok to judge is unknown (exit 3)', async () => {
    const path = write('empty.jsonl', '{"process":0,"type":"invoke","f":"send","value":[["send","x",1]]}\n{"process":0,"type":"fail","f":"send","value":[["send","x",1]]}\n');
    const { code, out } = await verify(path);
    expect(code).toBe(3);
    expect(out.split('\n')[0]).toMatch(/^UNKNOWN/);
  });

  const BAD: [name: string, text: string, message: RegExp][] = [
    ['json.jsonl', '\n\n{"process":0,\n', /json\.jsonl:3: not valid JSON/],
    ['orphan.jsonl', '{"process":0,"type":"ok","f":"send","value":[]}\n', /orphan\.jsonl:1: ok completion of process 0 has no pending invoke/],
    ['offset.jsonl', '{"process":0,"type":"invoke","f":"poll","value":[["poll"]]}\n{"process":0,"type":"ok","f":"poll","value":[["poll",{"x":[[-1,3]]}]]}\n', /offset\.jsonl:2: an offset must be a non-negative integer or null/],
    ['twice.jsonl', '{"process":0,"type":"invoke","f":"send","value":[["send","x",1]]}\n{"process":0,"type":"ok","f":"send","value":[["send","x",[0,1]]]}\n{"process":1,"type":"invoke","f":"send","value":[["send","x",1]]}\n{"process":1,"type":"ok","f":"send","value":[["send","x",[1,1]]]}\n', /twice\.jsonl:4: value 1 of key "x" was already sent by the operation at index 1/],
    ['mismatch.jsonl', '{"process":0,"type":"invoke","f":"send","value":[]}\n{"process":0,"type":"ok","f":"poll","value":[]}\n', /mismatch\.jsonl:2: completion has f "poll" but its invoke \(.*mismatch\.jsonl:1\) has f "send"/],
    ['index.jsonl', '{"index":5,"process":0,"type":"invoke","f":"send","value":[]}\n{"index":5,"process":0,"type":"ok","f":"send","value":[]}\n', /index\.jsonl:2: index 5 is not greater than the previous index 5/],
    ['type.jsonl', '{"process":0,"type":"done","f":"send"}\n', /type\.jsonl:1: "type" must be "invoke", "ok", "fail" or "info", got "done"/],
    ['edn.edn', '{:process 0, :type :invoke\n', /edn\.edn:1: not a complete EDN op map/],
    ['empty.jsonl', '\n\n', /empty\.jsonl: the history is empty/],
  ];
  for (const [name, text, message] of BAD) {
    it(`${name}: exit 2 with one line naming file and line`, async () => {
      const { code, out, err } = await verify(write(name, text));
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(message);
    });
  }

  it('usage errors exit 2', async () => {
    expect((await verify()).code).toBe(2);
    expect((await verify(fixture('valid.jsonl'), '--isolation', 'serializable')).err[0]).toMatch(/--isolation: expected read_committed or read_uncommitted/);
    expect((await verify(fixture('valid.jsonl'), '--frobnicate')).err[0]).toMatch(/unknown option '--frobnicate'/);
    expect((await verify('--help')).code).toBe(0);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpSegment } from '../../src/cli/dump-log.ts';
import { captureIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { crc32c } from '../../src/storage/crc32c.ts';
import { encodeBatch, encodeEndTxnMarker } from '../../src/storage/record-batch.ts';
import { batchInputArb } from '../storage/record-batch.arbitraries.ts';

const dir = mkdtempSync(join(tmpdir(), 'dump-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const te = new TextEncoder();
const HEADER_BYTES_TO_FRAME = 17;
let files = 0;
function segment(...parts: Uint8Array[]): string {
  const path = join(dir, `${String(files++).padStart(20, '0')}.log`);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

async function run(...args: string[]) {
  const io = captureIo();
  const status = await main(['dump-log', ...args], io);
  return { status, stdout: io.stdout.join('\n').split('\n'), stderr: io.stderr };
}

const data = encodeBatch({
  producerId: 103000,
  producerEpoch: 2,
  baseSequence: 0,
  isTransactional: true,
  partitionLeaderEpoch: 118,
  records: [
    { key: te.encode('k'), value: te.encode('v'), timestamp: 1000, headers: [{ key: 'a', value: te.encode('b') }, { key: 'a', value: null }] },
    { key: null, value: te.encode('w'), timestamp: 1001 },
  ],
});
const commit = encodeEndTxnMarker({ type: 'COMMIT', coordinatorEpoch: 117, producerId: 103000, producerEpoch: 2, baseOffset: 2, partitionLeaderEpoch: 118, timestamp: 1002 });
const gzip = encodeBatch({ baseOffset: 3, compression: 'gzip', records: [{ key: null, value: te.encode('zipped'), timestamp: 1003 }] });

describe('kafka-oracle dump-log', () => {
  it('prints each batch and its records like kafka-dump-log, markers included', async () => {
    const { status, stdout, stderr } = await run(segment(data, commit, gzip));
    expect(status).toBe(0);
    expect(stderr).toEqual([]);
    expect(stdout).toHaveLength(7);
    expect(stdout[0]).toMatch(/^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: 103000 producerEpoch: 2 partitionLeaderEpoch: 118 isTransactional: true isControl: false position: 0 CreateTime: 1001 size: \d+ magic: 2 compresscodec: none crc: \d+ crcValid: true$/);
    expect(stdout[1]).toBe('| offset: 0 CreateTime: 1000 sequence: 0 headers: [a=b, a=null] key: k value: v');
    expect(stdout[2]).toBe('| offset: 1 CreateTime: 1001 sequence: 1 headers: [] key: null value: w');
    expect(stdout[3]).toMatch(/^baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 .* isTransactional: true isControl: true .* size: 78 .* crcValid: true$/);
    expect(stdout[4]).toBe('| offset: 2 CreateTime: 1002 sequence: -1 endTxnMarker: COMMIT coordinatorEpoch: 117');
    expect(stdout[5]).toMatch(/^baseOffset: 3 .* compresscodec: gzip .* crcValid: true$/);
    expect(stdout[6]).toBe('| offset: 3 CreateTime: 1003 sequence: -1 headers: [] key: null value: zipped');
  });

  it('--json prints one object per batch with the documented fields', async () => {
    const { status, stdout } = await run(segment(data, commit), '--json');
    expect(status).toBe(0);
    const [first, second] = stdout.map((line) => JSON.parse(line));
    expect(stdout).toHaveLength(2);
    expect(first).toMatchObject({
      baseOffset: 0, lastOffset: 1, partitionLeaderEpoch: 118, magic: 2, crcValid: true, compression: 'none', timestampType: 'CreateTime',
      isTransactional: true, isControl: false, producerId: 103000, producerEpoch: 2, baseSequence: 0,
      records: [
        { offset: 0, timestamp: 1000, key: 'k', value: 'v', headers: [{ key: 'a', value: 'b' }, { key: 'a', value: null }] },
        { offset: 1, timestamp: 1001, key: null, value: 'w', headers: [] },
      ],
    });
    expect(typeof first.crc).toBe('number');
    expect(second).toMatchObject({ baseOffset: 2, isControl: true, baseSequence: -1, records: [{ offset: 2, marker: { type: 'COMMIT', coordinatorEpoch: 117 } }] });
  });

  it('shows a batch whose CRC does not match with crcValid false, and goes on', async () => {
    const damaged = data.slice();
    const at = Buffer.from(damaged).indexOf('w');
    damaged[at] = 'W'.charCodeAt(0);
    const { status, stdout } = await run(segment(damaged, commit), '--json');
    expect(status).toBe(0);
    const batches = stdout.map((line) => JSON.parse(line));
    expect(batches.map((b) => [b.baseOffset, b.crcValid])).toEqual([[0, false], [2, true]]);
    expect(batches[0].records[1].value).toBe('W');
  });

  it('reports a torn tail as a final entry, not an error', async () => {
    const path = segment(data, commit, gzip.subarray(0, 40));
    const text = await run(path);
    expect(text.status).toBe(0);
    expect(text.stdout.at(-1)).toBe(`torn tail at position: ${data.length + commit.length} bytes: 40 reason: torn batch: the file ends 40 bytes into it`);
    const json = await run('--json', path);
    expect(JSON.parse(json.stdout.at(-1) as string)).toEqual({ tornTail: { position: data.length + commit.length, bytes: 40, reason: 'torn batch: the file ends 40 bytes into it' } });
  });

  it('reports an impossible frame after valid batches as a corrupt tail', async () => {
    const bad = commit.slice();
    bad[16] = 1; // magic 1
    const { status, stdout } = await run('--json', segment(data, bad));
    expect(status).toBe(0);
    expect(JSON.parse(stdout.at(-1) as string)).toEqual({ corruptTail: { position: data.length, bytes: 78, reason: 'magic 1 is not 2 (only RecordBatch v2 is supported)' } });
  });

  it('shows the header of a batch whose records it cannot read (snappy) and goes on', async () => {
    const snappy = gzip.slice();
    snappy[22] = 2; // attributes: snappy
    new DataView(snappy.buffer).setUint32(17, crc32c(snappy.subarray(21)));
    const { status, stdout } = await run(segment(snappy, commit));
    expect(status).toBe(0);
    expect(stdout[0]).toMatch(/compresscodec: snappy .* crcValid: true$/);
    expect(stdout[1]).toBe('| records unreadable: unsupported compression: snappy');
    expect(stdout[2]).toMatch(/^baseOffset: 2 /);
  });

  it('lists exactly the batches of any segment, and a torn tail exactly when the file is cut inside a batch', () => {
    fc.assert(
      fc.property(fc.array(batchInputArb({ maxRecords: 4 }), { minLength: 1, maxLength: 5 }), fc.nat(), (inputs, cutAt) => {
        const batches = inputs.map((input) => encodeBatch(input));
        const whole = Buffer.concat(batches);
        const cut = (cutAt % whole.length) + 1; // keep at least one byte, possibly everything
        const ends = batches.map((_, i) => batches.slice(0, i + 1).reduce((n, b) => n + b.length, 0));
        const complete = ends.filter((end) => end <= cut).length;
        const firstCut = cut < HEADER_BYTES_TO_FRAME && complete === 0; // too short to be called a segment
        if (firstCut) return;
        const entries = dumpSegment(whole.subarray(0, cut), 'segment.log');
        const listed = entries.filter((e) => 'batch' in e);
        expect(listed).toHaveLength(complete);
        const tail = entries.find((e) => 'tornTail' in e);
        expect(tail !== undefined).toBe(cut !== ends[complete - 1]);
      }),
      { numRuns: 200 },
    );
  });

  it('prints nothing for an empty segment', async () => {
    expect(await run(segment())).toEqual({ status: 0, stdout: [''], stderr: [] });
  });

  describe('bad input: one line on stderr naming the file, exit 2', () => {
    const expectBadInput = async (args: string[], message: RegExp) => {
      const { status, stdout, stderr } = await run(...args);
      expect(status).toBe(2);
      expect(stdout).toEqual(['']);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(message);
      expect(stderr[0]).not.toMatch(/\n|at .*\.ts/);
    };

    it('a missing file', async () => {
      const path = join(dir, 'missing.log');
      await expectBadInput([path], new RegExp(`^kafka-oracle dump-log: ${path}: no such file$`));
    });

    it('a directory', async () => {
      const sub = join(dir, 'topic-0');
      mkdirSync(sub);
      await expectBadInput([sub], /topic-0: is a directory, not a segment file$/);
    });

    it('garbage that does not start with a v2 batch', async () => {
      await expectBadInput([segment(te.encode('this is not a kafka segment, just some text\n'))], /: not a Kafka log segment \(position 0: magic \d+ is not 2/);
      await expectBadInput([segment(te.encode('tiny'))], /: not a Kafka log segment \(4 bytes, shorter than a batch header\)$/);
      const zeros = new Uint8Array(100);
      await expectBadInput([segment(zeros)], /: not a Kafka log segment \(position 0: batchLength 0 is smaller than the minimum record overhead \(14\)\)$/);
    });

    it('an unknown flag, a missing file argument, two files', async () => {
      await expectBadInput(['--verbose', 'x.log'], /^kafka-oracle dump-log: unknown option '--verbose'/);
      await expectBadInput([], /missing <file.log>/);
      await expectBadInput(['a.log', 'b.log'], /only one file, got 'a.log' and 'b.log'/);
    });
  });

  it('--help prints the usage and exits 0', async () => {
    expect(await run('--help')).toEqual({ status: 0, stdout: ['usage: kafka-oracle dump-log <file.log> [--json]'], stderr: [] });
  });
});

/**
 * Properties against the correct single-log model (`generate.ts`): its histories are always
 * valid, and one mutation of such a history yields exactly the anomaly expected, with the
 * right witness. Each mutation counts how often it applied ("sometimes" twins), so a green
 * run is never vacuous.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../../../model/history/check.ts';
import { generateHistory } from '../../../model/history/generate.ts';
import type { CheckOptions, CheckResult, HistoryEvent } from '../../../model/history/types.ts';

type Pair = [number | null, number];
type Event = { index: number; process: number; type: string; f: string; value: unknown[] };
type Poll = ['poll', Record<string, Pair[]>];

const small = (seed: number, txn: boolean) =>
  generateHistory({ seed, operations: 120, keys: 3, threads: 3, txn, failPercent: 8, infoPercent: 6, maxPollRecords: 4 });

const clone = (events: HistoryEvent[]): Event[] => structuredClone(events) as unknown as Event[];
const run = (events: Event[], options: CheckOptions): CheckResult => checkHistory(events as unknown as HistoryEvent[], options);
const polls = (e: Event): Poll[] => (e.value ?? []).filter((m) => (m as unknown[])[0] === 'poll' && (m as unknown[]).length > 1) as Poll[];
const isPollOk = (e: Event) => e.type === 'ok' && (e.f === 'poll' || e.f === 'txn');

const applied = new Map<string, number>();
const hit = (name: string) => applied.set(name, (applied.get(name) ?? 0) + 1);

afterAll(() => {
  // Sometimes twins: every mutation found somewhere to apply.
  for (const name of ['drop-read', 'duplicate', 'swap-offsets', 'read-failed-send', 'cursor-back', 'skip-offset']) {
    expect(applied.get(name) ?? 0, name).toBeGreaterThan(0);
  }
});

describe('histories of the correct model', () => {
  it('are valid under every option the model satisfies', () => {
    const seen = { fail: 0, info: 0, allowed: new Set<string>() };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), fc.boolean(), fc.constantFrom(undefined, 'read_committed', 'read_uncommitted'), (seed, txn, wwDeps, isolation) => {
        const events = small(seed, txn);
        const result = checkHistory(events, { txn, wwDeps, ...(isolation ? { isolation: isolation as 'read_committed' } : {}) });
        expect(result.badAnomalyTypes).toEqual([]);
        expect(result.valid).toBe(true);
        seen.fail += result.stats.fail;
        seen.info += result.stats.info;
        result.anomalyTypes.forEach((type) => seen.allowed.add(type));
      }),
      { numRuns: 120 },
    );
    // The histories were not trivially clean: failures, indeterminate ops and allowed anomalies occurred.
    expect(seen.fail).toBeGreaterThan(0);
    expect(seen.info).toBeGreaterThan(0);
    expect([...seen.allowed]).toEqual(expect.arrayContaining(['G0', 'int-send-skip']));
  });
});

/** Per process, per key: the last ok read (cursor), as the checker keeps it. */
function cursorsBefore(events: Event[], stop: number): Map<number, Map<string, { offset: number; value: number; index: number }>> {
  const cursors = new Map<number, Map<string, { offset: number; value: number; index: number }>>();
  for (const e of events.slice(0, stop)) {
    if (e.type === 'invoke') continue;
    const mine = cursors.get(e.process) ?? new Map();
    cursors.set(e.process, mine);
    if ((e.f === 'assign' || e.f === 'subscribe') && e.type !== 'fail') {
      for (const key of [...mine.keys()]) if (!(e.value as string[]).includes(key)) mine.delete(key);
    }
    if (isPollOk(e)) for (const [, result] of polls(e)) for (const [key, pairs] of Object.entries(result)) {
      const [offset, value] = pairs[pairs.length - 1]!;
      mine.set(key, { offset: offset!, value, index: e.index });
    }
    if (e.type === 'info') cursors.delete(e.process);
  }
  return cursors;
}

const finalReader = (events: Event[]) => events[events.length - 1]!.process;

interface Mutation {
  readonly name: string;
  /** Mutates `events` at the `choice`-th candidate; returns a check of the result, or null if none applies. */
  apply(events: Event[], choice: number, txn: boolean): ((r: CheckResult, events: Event[]) => void) | null;
}

const mutations: Mutation[] = [
  {
    name: 'drop-read',
    apply(events, choice) {
      const last = finalReader(events);
      const spots = events.flatMap((e) => (isPollOk(e) && e.process !== last ? polls(e).flatMap(([, r]) => Object.entries(r).filter(([, p]) => p.length >= 3).map(([k, p]) => ({ e, k, p }))) : []));
      if (spots.length === 0) return null;
      const { e, k, p } = spots[choice % spots.length]!;
      const [dropped] = p.splice(1, 1);
      return (r) => {
        expect(r.badAnomalyTypes).toEqual(['int-poll-skip']);
        expect(r.anomalies['int-poll-skip']).toContainEqual(expect.objectContaining({ key: k, values: [p[0]![1], p[1]![1]], delta: 2, skipped: [dropped![1]], op: expect.objectContaining({ index: e.index }) }));
      };
    },
  },
  {
    name: 'duplicate',
    apply(events, choice) {
      const last = events.filter((e) => isPollOk(e) && e.process === finalReader(events));
      const keys = [...new Set(last.flatMap((e) => polls(e).flatMap(([, r]) => Object.keys(r))))].sort();
      if (keys.length === 0) return null;
      const key = keys[choice % keys.length]!;
      const lastPoll = [...last].reverse().find((e) => polls(e).some(([, r]) => r[key]))!;
      const pairs = [...polls(lastPoll)].reverse().find(([, r]) => r[key])![1][key]!;
      const all = last.flatMap((e) => polls(e).flatMap(([, r]) => r[key] ?? []));
      const [firstOffset, value] = all[0]!;
      const top = pairs[pairs.length - 1]![0]!;
      if (firstOffset === top) return null;
      pairs.push([top + 1, value]);
      return (r) => {
        expect(r.badAnomalyTypes).toEqual(['duplicate']);
        expect(r.anomalies['duplicate']).toEqual([{ key, value, count: 2, offsets: [firstOffset, top + 1] }]);
      };
    },
  },
  {
    name: 'swap-offsets',
    apply(events, choice) {
      const sender = new Map<string, Event>();
      for (const e of events) if (e.type === 'ok' && e.f === 'send' && e.value.length === 1) {
        const [, key, [, value]] = e.value[0] as [string, string, Pair];
        sender.set(`${key}/${value}`, e);
      }
      const last = events.filter((e) => isPollOk(e) && e.process === finalReader(events));
      const spots: { key: string; a: Event; b: Event; first: Pair; second: Pair }[] = [];
      for (const e of last) for (const [, r] of polls(e)) for (const [key, pairs] of Object.entries(r)) for (let i = 1; i < pairs.length; i++) {
        const a = sender.get(`${key}/${pairs[i - 1]![1]}`);
        const b = sender.get(`${key}/${pairs[i]![1]}`);
        if (a && b && a.process !== b.process) spots.push({ key, a, b, first: pairs[i - 1]!, second: pairs[i]! });
      }
      if (spots.length === 0) return null;
      const { key, a, b, first, second } = spots[choice % spots.length]!;
      (a.value[0] as [string, string, Pair])[2][0] = second[0];
      (b.value[0] as [string, string, Pair])[2][0] = first[0];
      return (r) => {
        expect(r.badAnomalyTypes).toEqual(['duplicate', 'inconsistent-offsets']);
        const values = [first[1], second[1]].sort((x, y) => x - y);
        expect(r.anomalies['inconsistent-offsets']).toEqual([
          expect.objectContaining({ key, offset: first[0], values }),
          expect.objectContaining({ key, offset: second[0], values }),
        ]);
        expect(r.anomalyCounts['duplicate']).toBe(2);
      };
    },
  },
  {
    name: 'read-failed-send',
    apply(events, choice) {
      const read = new Set(events.filter(isPollOk).flatMap((e) => polls(e).flatMap(([, r]) => Object.entries(r).flatMap(([k, p]) => p.map(([, v]) => `${k}/${v}`)))));
      const spots = events.filter((e) => e.type === 'ok' && e.f === 'send' && e.value.some((m) => read.has(`${(m as unknown[])[1]}/${((m as unknown[])[2] as Pair)[1]}`)));
      if (spots.length === 0) return null;
      const e = spots[choice % spots.length]!;
      e.type = 'fail';
      return (r) => {
        expect(r.badAnomalyTypes).toEqual(['G1a']);
        for (const w of r.anomalies['G1a']!) expect(w['writer']).toMatchObject({ index: e.index, type: 'fail' });
      };
    },
  },
  {
    name: 'cursor-back',
    apply(events, choice, txn) {
      const spot = cursorSpot(events, choice, 1);
      if (spot === null) return null;
      const { e, key, pairs, cursor } = spot;
      pairs.unshift([cursor.offset, cursor.value]);
      return (r, mutated) => {
        expect(r.badAnomalyTypes).toEqual(['nonmonotonic-poll']);
        expect(r.anomalies['nonmonotonic-poll']).toEqual([expect.objectContaining({ key, values: [cursor.value, cursor.value], delta: 0, ops: [expect.objectContaining({ index: cursor.index }), expect.objectContaining({ index: e.index })] })]);
        expect(run(mutated, { txn, subVia: 'subscribe' })).toMatchObject({ valid: true, badAnomalyTypes: [] });
      };
    },
  },
  {
    name: 'skip-offset',
    apply(events, choice, txn) {
      const spot = cursorSpot(events, choice, 2);
      if (spot === null) return null;
      const { e, key, pairs, cursor } = spot;
      const [dropped] = pairs.splice(0, 1);
      return (r, mutated) => {
        expect(r.badAnomalyTypes).toEqual(['poll-skip']);
        expect(r.anomalies['poll-skip']).toEqual([expect.objectContaining({ key, values: [cursor.value, pairs[0]![1]], delta: 2, skipped: [dropped![1]], ops: [expect.objectContaining({ index: cursor.index }), expect.objectContaining({ index: e.index })] })]);
        expect(run(mutated, { txn, subVia: 'subscribe' })).toMatchObject({ valid: true, badAnomalyTypes: [] });
      };
    },
  },
];

/** An ok poll whose process has a cursor on a key it reads first with at least `min` records. */
function cursorSpot(events: Event[], choice: number, min: number) {
  const last = finalReader(events);
  const spots: { e: Event; key: string; pairs: Pair[]; cursor: { offset: number; value: number; index: number } }[] = [];
  events.forEach((e, at) => {
    if (!isPollOk(e) || e.process === last) return;
    const mine = cursorsBefore(events, at).get(e.process);
    const seen = new Set<string>();
    for (const [, r] of polls(e)) for (const [key, pairs] of Object.entries(r)) {
      if (seen.has(key)) continue;
      seen.add(key);
      const cursor = mine?.get(key);
      if (cursor && pairs.length >= min && pairs[0]![0] !== cursor.offset) spots.push({ e, key, pairs, cursor });
    }
  });
  return spots.length === 0 ? null : spots[choice % spots.length]!;
}

describe('one mutation of a valid history', () => {
  for (const mutation of mutations) {
    it(`${mutation.name} yields exactly the expected anomaly with its witness`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), fc.nat(), (seed, txn, choice) => {
          const events = clone(small(seed, txn));
          expect(run(events, { txn }).valid).toBe(true);
          const verify = mutation.apply(events, choice, txn);
          if (verify === null) return;
          hit(mutation.name);
          verify(run(events, { txn }), events);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('determinism', () => {
  it('the same history gives the same answer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
        const events = small(seed, true);
        expect(JSON.stringify(checkHistory(events, { txn: true, wwDeps: true }))).toBe(JSON.stringify(checkHistory(clone(events) as unknown as HistoryEvent[], { txn: true, wwDeps: true })));
      }),
      { numRuns: 20 },
    );
  });
});

/**
 * Offset divergence (Jepsen `version-orders` errors and `duplicate-cases`): every (key, offset)
 * names one value, and every value sits at one offset.
 */
import { compareValues, type Analysis, type Findings } from '../analysis.ts';

/** A witness lists at most this many values or offsets, then says how many more there are. */
const LISTED = 64;

function listed<T>(items: T[], field: string): Record<string, unknown> {
  return items.length <= LISTED ? { [field]: items } : { [field]: items.slice(0, LISTED), more: items.length - LISTED };
}

/** `inconsistent-offsets`: one (key, offset) holds two or more different values. */
export function inconsistentOffsets(a: Analysis, out: Findings): void {
  const log = a.log;
  for (const key of a.keysInOrder()) {
    const order = a.keyOrder[key] as Int32Array;
    for (let i = 0; i < order.length; i++) {
      const slot = order[i] as number;
      const others = log.slotConflicts.get(slot);
      if (others === undefined) continue;
      out.report('inconsistent-offsets', () => ({
        key: a.keyName(key),
        offset: log.slotOffset.get(slot),
        index: i,
        ...listed([log.slotValue.get(slot), ...others].map((v) => a.raw(v)).sort(compareValues), 'values'),
      }));
    }
  }
}

/** `duplicate`: one value sits at more than one offset of its key. */
export function duplicates(a: Analysis, out: Findings): void {
  const log = a.log;
  const byKey = new Map<number, number[]>();
  for (const value of log.valueExtraSlots.keys()) {
    const key = a.key(value);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [value]);
    else list.push(value);
  }
  for (const key of a.keysInOrder()) {
    const values = byKey.get(key);
    if (values === undefined) continue;
    values.sort((x, y) => (a.valueFirst[x] as number) - (a.valueFirst[y] as number));
    for (const value of values) {
      const slots = [log.valueSlot.get(value), ...(log.valueExtraSlots.get(value) ?? [])];
      const offsets = slots.map((slot) => log.slotOffset.get(slot)).sort((x, y) => x - y);
      out.report('duplicate', () => ({ key: a.keyName(key), value: a.raw(value), count: offsets.length, ...listed(offsets, 'offsets') }));
    }
  }
}

import { describe, expect, it } from 'vitest';
import { type Slot, fillSlots, walk } from '../../../model/explore/canonical.ts';

function key(value: unknown, owner = 'broker-0', clock = 100): string {
  const out: string[] = [];
  const slots: Slot[] = [];
  walk(value, { owner, clock }, owner, { skip: new Set(['config']), cursorModulus: 3 }, out, slots);
  fillSlots(out, slots);
  return out.join('');
}

describe('canonical keys', () => {
  it('do not depend on the order fields were added in', () => {
    expect(key({ a: 1, b: { c: 'x', d: [1, 2] } })).toBe(key({ b: { d: [1, 2], c: 'x' }, a: 1 }));
  });

  it('twin: JSON.stringify does', () => {
    expect(JSON.stringify({ a: 1, b: 2 })).not.toBe(JSON.stringify({ b: 2, a: 1 }));
  });

  it('rename correlation ids by rank per issuer, so shifted ids give one key', () => {
    const at = (base: number) => ({ nextCorrelationId: base + 5, fetchCorrelationId: base + 4, pending: [{ from: 'producer-0', correlationId: base * 3 + 9 }] });
    expect(key(at(0))).toBe(key(at(40)));
    expect(key(at(0))).toContain('fetchCorrelationId:0');
    expect(key(at(0))).toContain('nextCorrelationId:1');
  });

  it('twin: different id equalities give different keys', () => {
    const same = { fetchCorrelationId: 3, pendingIsr: { correlationId: 3 } };
    const differ = { fetchCorrelationId: 3, pendingIsr: { correlationId: 4 } };
    expect(key(same)).not.toBe(key(differ));
  });

  it('reduce timestamps to fresh or old and deadlines to waiting or reached', () => {
    expect(key({ lastCaughtUpTimeMs: 100, retryAfterMs: 150 })).toBe('{lastCaughtUpTimeMs:F,retryAfterMs:W,}');
    expect(key({ lastCaughtUpTimeMs: 1, retryAfterMs: 100 })).toBe('{lastCaughtUpTimeMs:O,retryAfterMs:R,}');
    expect(key({ lastCaughtUpTimeMs: Number.MIN_SAFE_INTEGER })).toBe(key({ lastCaughtUpTimeMs: 99 }));
  });

  it('keep strings apart from numbers and null, and skip config', () => {
    expect(key({ k: 'null' })).not.toBe(key({ k: null }));
    expect(key({ k: '1' })).not.toBe(key({ k: 1 }));
    expect(key({ k: 'a,b:c' })).not.toBe(key({ k: 'a', b: 'c' }));
    expect(key({ config: { x: 1 }, k: 1 })).toBe(key({ k: 1 }));
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../src/core/assert.ts';
import {
  CONFIG_KEYS,
  DEFAULT_CONFIG,
  VARIANTS,
  type ClusterConfig,
  effectiveMinIsr,
  formatConfig,
  parseConfig,
} from '../../src/protocol/config.ts';

describe('config', () => {
  it('formats the defaults in canonical order with Kafka names, no variant', () => {
    const text = formatConfig(DEFAULT_CONFIG);
    expect(text.split(' ').map((p) => p.split('=')[0])).toEqual([...CONFIG_KEYS]);
    expect(text).toContain('acks=all');
    expect(text).toContain('enable.idempotence=true');
    expect(text).not.toContain('variant=');
    expect(parseConfig('')).toEqual(DEFAULT_CONFIG);
  });

  it('round-trips any valid configuration, variant included', () => {
    const arb = fc.record({
      idempotent: fc.boolean(),
      acks: fc.constantFrom(0 as const, 1 as const, -1 as const),
      minIsr: fc.integer({ min: 1, max: 5 }),
      rf: fc.integer({ min: 1, max: 5 }),
      unclean: fc.boolean(),
      elr: fc.boolean(),
      flush: fc.integer({ min: 1, max: 1000 }),
      inFlight: fc.integer({ min: 1, max: 5 }),
      variant: fc.constantFrom(null, ...VARIANTS),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const config: ClusterConfig = {
          ...DEFAULT_CONFIG,
          'enable.idempotence': a.idempotent && a.acks === -1,
          acks: a.acks,
          'min.insync.replicas': a.minIsr,
          'replication.factor': a.rf,
          'unclean.leader.election.enable': a.unclean,
          'eligible.leader.replicas.enable': a.elr,
          'flush.messages': a.flush,
          'max.in.flight.requests.per.connection': a.inFlight,
          variant: a.variant,
        };
        expect(parseConfig(formatConfig(config))).toEqual(config);
      }),
      { numRuns: 200 },
    );
  });

  it('reads acks=-1 and acks=all alike, clamps Long.MAX_VALUE, accepts variant=none', () => {
    expect(parseConfig('acks=-1').acks).toBe(-1);
    expect(parseConfig('flush.messages=9223372036854775807')['flush.messages']).toBe(DEFAULT_CONFIG['flush.messages']);
    expect(parseConfig('variant=none').variant).toBeNull();
    expect(parseConfig('variant=no-isr-join-epoch-check').variant).toBe('no-isr-join-epoch-check');
  });

  it.each([
    ['bogus=1', /unknown key 'bogus'/],
    ['acks=2', /acks must be 0, 1, -1 or all/],
    ['retries=many', /retries must be an integer/],
    ['min.insync.replicas=0', /min.insync.replicas must be at least 1/],
    ['unclean.leader.election.enable=yes', /must be true or false/],
    ['variant=kip-999', /unknown variant 'kip-999'/],
    ['acks=1 acks=1', /given twice/],
    ['acks', /is not key=value/],
    ['max.in.flight.requests.per.connection=6', /at most 5 with enable.idempotence=true/],
    ['acks=1', /enable.idempotence=true requires acks=all/],
  ])('rejects %s with a clear InputError', (text, message) => {
    expect(() => parseConfig(text)).toThrow(InputError);
    expect(() => parseConfig(text)).toThrow(message);
  });

  it('without idempotence, more than 5 in flight and acks=1 are legal', () => {
    const c = parseConfig('enable.idempotence=false acks=1 max.in.flight.requests.per.connection=10');
    expect(c['max.in.flight.requests.per.connection']).toBe(10);
  });

  it('the effective min ISR is capped by the replication factor (KIP-966)', () => {
    expect(effectiveMinIsr({ ...DEFAULT_CONFIG, 'min.insync.replicas': 3, 'replication.factor': 2 })).toBe(2);
  });
});

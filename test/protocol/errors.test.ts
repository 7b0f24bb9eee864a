import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, isDefinitelyNotAppended, isFatal, isRetriable } from '../../src/protocol/errors.ts';

describe('errors', () => {
  it("uses Kafka's numeric codes, each once", () => {
    expect(ERROR_CODES.NOT_ENOUGH_REPLICAS).toBe(19);
    expect(ERROR_CODES.NOT_ENOUGH_REPLICAS_AFTER_APPEND).toBe(20);
    expect(ERROR_CODES.FENCED_LEADER_EPOCH).toBe(74);
    expect(ERROR_CODES.PRODUCER_FENCED).toBe(90);
    const codes = Object.values(ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('classifies every error as exactly one of success, retriable, fatal', () => {
    for (const name of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const kinds = [name === 'NONE', isRetriable(name), isFatal(name)].filter(Boolean);
      expect(kinds, name).toHaveLength(1);
    }
    expect(isRetriable('NOT_LEADER_OR_FOLLOWER')).toBe(true);
    expect(isFatal('OUT_OF_ORDER_SEQUENCE_NUMBER')).toBe(true);
    expect(isFatal('PRODUCER_FENCED')).toBe(true);
  });

  it('only errors raised before the append prove nothing was written', () => {
    expect(isDefinitelyNotAppended('NOT_ENOUGH_REPLICAS')).toBe(true);
    expect(isDefinitelyNotAppended('NOT_ENOUGH_REPLICAS_AFTER_APPEND')).toBe(false);
    expect(isDefinitelyNotAppended('REQUEST_TIMED_OUT')).toBe(false);
    expect(isDefinitelyNotAppended('NOT_LEADER_OR_FOLLOWER')).toBe(false);
  });
});

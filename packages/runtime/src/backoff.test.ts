import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

describe('backoffDelayMs', () => {
  const options = { baseMs: 500, maxMs: 60_000 };
  const lowest = { ...options, random: () => 0 };
  const highest = { ...options, random: () => 1 };

  it('when the random source is fixed, then the delay is deterministic', () => {
    expect(backoffDelayMs(3, { ...options, random: () => 0.5 })).toBe(1_500);
    expect(backoffDelayMs(3, { ...options, random: () => 0.5 })).toBe(backoffDelayMs(3, { ...options, random: () => 0.5 }));
  });

  it('doubles the ceiling with every attempt, starting at the base', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, highest))).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it('keeps the jitter between half and all of the ceiling', () => {
    expect(backoffDelayMs(1, lowest)).toBe(250);
    expect(backoffDelayMs(1, highest)).toBe(500);
    for (let index = 0; index < 200; index += 1) {
      const delay = backoffDelayMs(4, options);
      expect(delay).toBeGreaterThanOrEqual(2_000);
      expect(delay).toBeLessThanOrEqual(4_000);
    }
  });

  it('never exceeds the cap, however many attempts came before', () => {
    expect(backoffDelayMs(8, highest)).toBe(60_000);
    expect(backoffDelayMs(40, highest)).toBe(60_000);
    expect(backoffDelayMs(40, lowest)).toBe(30_000);
    expect(backoffDelayMs(5_000, highest)).toBe(60_000);
  });

  it('has a monotone envelope: neither bound ever shrinks from one attempt to the next', () => {
    for (let attempt = 1; attempt < 30; attempt += 1) {
      expect(backoffDelayMs(attempt + 1, lowest)).toBeGreaterThanOrEqual(backoffDelayMs(attempt, lowest));
      expect(backoffDelayMs(attempt + 1, highest)).toBeGreaterThanOrEqual(backoffDelayMs(attempt, highest));
    }
  });

  it('treats an attempt below 1 as the first retry', () => {
    expect(backoffDelayMs(0, highest)).toBe(500);
    expect(backoffDelayMs(-3, lowest)).toBe(250);
  });
});

import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['7h', 7 * 3_600_000],
    ['90m', 90 * 60_000],
    ['1h30m', 90 * 60_000],
    ['2d', 2 * 86_400_000],
    ['45s', 45_000],
    ['1.5h', 90 * 60_000],
    [' 7H ', 7 * 3_600_000],
  ])('when given %j, then it is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'h', '7 h', '7hours', '-1h', '7h 30m', 'h7', '1w', 'soon'])('when given %j, then it is not a duration', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [7 * 3_600_000, '7h'],
    [90 * 60_000, '1h30m'],
    [86_400_000 + 1_000, '1d1s'],
    [0, '0s'],
  ])('when given %d ms, then it writes %j, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

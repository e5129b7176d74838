import { describe, expect, it } from 'vitest';
import { createdReadings, formatCreated, parseCreated } from './created.ts';

describe('parseCreated', () => {
  it('when given the documented format, then reads it as UTC', () => {
    expect(parseCreated('2024-06-11T10:30:15Z')?.toISOString()).toBe('2024-06-11T10:30:15.000Z');
  });

  it('when given fractional seconds, then keeps the milliseconds', () => {
    expect(parseCreated('2024-06-11T10:30:15.123Z')?.toISOString()).toBe('2024-06-11T10:30:15.123Z');
    expect(parseCreated('2024-06-11T10:30:15.5Z')?.toISOString()).toBe('2024-06-11T10:30:15.500Z');
    expect(parseCreated('2024-06-11T10:30:15.123456Z')?.toISOString()).toBe('2024-06-11T10:30:15.123Z');
  });

  it('when given a leap day, then accepts it', () => {
    expect(parseCreated('2024-02-29T23:59:59Z')?.toISOString()).toBe('2024-02-29T23:59:59.000Z');
  });

  it.each([
    '2024-06-11 10:30:15',
    '2024-06-11T10:30:15',
    '2024-06-11T10:30:15+08:00',
    '2024-06-11T10:30:15z',
    '2024-06-11T10:30Z',
    '2024-6-11T10:30:15Z',
    '2024-06-11T10:30:15.Z',
    '2024-06-11T10:30:15.1234567890Z',
    '2024-02-30T10:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-06-11T24:00:00Z',
    '2024-06-11T10:60:00Z',
    '2024-06-11T10:30:60Z',
    '1999-12-31T23:59:59Z',
    '2100-01-01T00:00:00Z',
    '1718101815',
    '',
  ])('when given %j, then refuses it', (text) => {
    expect(parseCreated(text)).toBeNull();
  });
});

describe('formatCreated', () => {
  it('when formatting an instant, then writes UTC without milliseconds', () => {
    expect(formatCreated(new Date('2024-06-11T10:30:15.987Z'))).toBe('2024-06-11T10:30:15Z');
  });

  it('when given an invalid Date, then throws', () => {
    expect(() => formatCreated(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('createdReadings', () => {
  it('when zones is utc, then only the UTC reading is offered', () => {
    const created = new Date('2024-06-11T10:30:15Z');
    expect(createdReadings(created, 'utc')).toEqual([{ zone: 'utc', at: created }]);
  });

  it('when zones is utc_or_beijing, then the Beijing reading is 8 h earlier', () => {
    const created = new Date('2024-06-11T10:30:15Z');
    expect(createdReadings(created, 'utc_or_beijing')).toEqual([
      { zone: 'utc', at: created },
      { zone: 'beijing', at: new Date('2024-06-11T02:30:15Z') },
    ]);
  });
});

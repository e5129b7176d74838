import { describe, expect, it } from 'vitest';
import { billingDayOf, billingDayRange, billingMonthOf, isTimeZone, parsePeriodBound, startOfBillingDay } from './billing-time.ts';

describe('billing time', () => {
  it('cuts days where the books are: Beijing midnight is 16:00 UTC the day before', () => {
    expect(billingDayOf(new Date('2026-11-30T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11-30');
    expect(billingDayOf(new Date('2026-11-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12-01');
    expect(billingDayOf(new Date('2026-11-30T16:00:00Z'), 'UTC')).toBe('2026-11-30');
    expect(billingMonthOf(new Date('2026-11-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12');
    expect(startOfBillingDay('2026-12-01', 'Asia/Shanghai').toISOString()).toBe('2026-11-30T16:00:00.000Z');
  });

  it('gives 23- and 25-hour days across daylight-saving changes', () => {
    const spring = billingDayRange('2026-03-29', 'Europe/Berlin');
    expect(spring.start.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect((spring.end.getTime() - spring.start.getTime()) / 3_600_000).toBe(23);
    const autumn = billingDayRange('2026-10-25', 'Europe/Berlin');
    expect((autumn.end.getTime() - autumn.start.getTime()) / 3_600_000).toBe(25);
  });

  it('reads period bounds: days and wall times in the billing zone, instants with an offset as given', () => {
    expect(parsePeriodBound('2026-12-01', 'Asia/Shanghai')?.toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(parsePeriodBound('2026-12-01T08:30', 'Asia/Shanghai')?.toISOString()).toBe('2026-12-01T00:30:00.000Z');
    expect(parsePeriodBound('2026-12-01 08:30:15', 'UTC')?.toISOString()).toBe('2026-12-01T08:30:15.000Z');
    expect(parsePeriodBound('2026-12-01T08:30:00Z', 'Asia/Shanghai')?.toISOString()).toBe('2026-12-01T08:30:00.000Z');
    expect(parsePeriodBound('2026-12-01T08:30:00+08:00', 'UTC')?.toISOString()).toBe('2026-12-01T00:30:00.000Z');
    for (const bad of ['2026-02-30', 'yesterday', '2026-12-01T25:00', '1733011200', ''])
      expect(parsePeriodBound(bad, 'UTC'), bad).toBeNull();
  });

  it('knows IANA zone names', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Asia/Beijing')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

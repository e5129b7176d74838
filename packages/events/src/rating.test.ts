import { describe, expect, it } from 'vitest';
import { addMoney, multiplyMoney, parseMoney, rateCdr, startedMinutes, tariffFor, type Tariff } from './rating.ts';

const at = (iso: string) => new Date(iso);
const tariff = (id: number, scope: Pick<Tariff, 'appKey' | 'business'>, leg: Tariff['leg'], price: string, validFrom: string): Tariff => ({
  id,
  ...scope,
  leg,
  price,
  currency: 'CNY',
  validFrom: at(validFrom),
});

const tariffs: Tariff[] = [
  tariff(1, { appKey: null, business: 'click2call' }, 'call-out', '0.060000', '2024-01-01T00:00:00Z'),
  tariff(2, { appKey: null, business: 'click2call' }, 'forwarded', '0.070000', '2024-01-01T00:00:00Z'),
  tariff(3, { appKey: null, business: 'click2call' }, 'call-out', '0.050000', '2024-06-01T00:00:00Z'),
  tariff(4, { appKey: 'app-vip', business: null }, 'call-out', '0.010000', '2024-01-01T00:00:00Z'),
  tariff(5, { appKey: null, business: 'notify' }, 'call-out', '0.100000', '2024-01-01T00:00:00Z'),
];

describe('rating', () => {
  it('when a leg lasted 61 s, then it bills 2 started minutes; 0 s and unanswered bill none', () => {
    expect([startedMinutes(61), startedMinutes(60), startedMinutes(1), startedMinutes(0), startedMinutes(null)]).toEqual([2, 1, 1, 0, 0]);
  });

  it('when click-to-call is rated, then both legs are billed and the total is their sum', () => {
    const rating = rateCdr(
      { appKey: 'app-1', business: 'click2call', callTime: at('2024-03-01T00:00:00Z'), callOutLegSeconds: 61, fwdLegSeconds: 59 },
      tariffs,
    );
    expect(rating).toEqual({
      callOutMinutes: 2,
      fwdMinutes: 1,
      callOutCost: '0.120000',
      fwdCost: '0.070000',
      totalCost: '0.190000',
      currency: 'CNY',
      callOutTariffId: 1,
      fwdTariffId: 2,
    });
  });

  it('when notify is rated, then only the call-out leg is billed', () => {
    const rating = rateCdr(
      { appKey: 'app-2', business: 'notify', callTime: at('2024-03-01T00:00:00Z'), callOutLegSeconds: 30, fwdLegSeconds: 100 },
      tariffs,
    );
    expect(rating).toMatchObject({ callOutMinutes: 1, fwdMinutes: null, callOutCost: '0.100000', fwdCost: null, totalCost: '0.100000' });
  });

  it('when a newer tariff starts, then calls from then on get it and earlier calls keep the old one', () => {
    const input = { appKey: 'app-1', business: 'click2call' as const };
    expect(tariffFor(tariffs, 'call-out', { ...input, callTime: at('2024-05-31T23:59:59Z') })?.id).toBe(1);
    expect(tariffFor(tariffs, 'call-out', { ...input, callTime: at('2024-06-01T00:00:00Z') })?.id).toBe(3);
  });

  it("when the app key has its own tariff, then it wins over the business's, leg by leg", () => {
    const vip = { appKey: 'app-vip', business: 'click2call' as const, callTime: at('2024-07-01T00:00:00Z') };
    expect(tariffFor(tariffs, 'call-out', vip)?.id).toBe(4);
    expect(tariffFor(tariffs, 'forwarded', vip)?.id).toBe(2);
  });

  it('when a billed leg has no tariff, or the call has no time, then that cost and the total are NULL', () => {
    const vip = rateCdr(
      { appKey: 'app-vip', business: 'verify', callTime: at('2024-03-01T00:00:00Z'), callOutLegSeconds: 10, fwdLegSeconds: null },
      tariffs,
    );
    expect(vip).toMatchObject({ callOutCost: '0.010000', totalCost: '0.010000', callOutTariffId: 4 });
    const before = rateCdr(
      { appKey: 'app-1', business: 'click2call', callTime: at('2023-12-31T00:00:00Z'), callOutLegSeconds: 10, fwdLegSeconds: 10 },
      tariffs,
    );
    expect(before).toMatchObject({ callOutCost: null, fwdCost: null, totalCost: null, currency: null });
    const untimed = rateCdr({ appKey: 'app-1', business: 'click2call', callTime: null, callOutLegSeconds: 10, fwdLegSeconds: 10 }, tariffs);
    expect(untimed.totalCost).toBeNull();
    const half = rateCdr(
      { appKey: 'app-vip', business: 'click2call', callTime: at('2024-03-01T00:00:00Z'), callOutLegSeconds: 10, fwdLegSeconds: 10 },
      tariffs.filter((tariff) => tariff.leg === 'call-out'),
    );
    expect(half).toMatchObject({ callOutCost: '0.010000', fwdCost: null, totalCost: null });
    const mixed = rateCdr(
      { appKey: 'app-vip', business: 'click2call', callTime: at('2024-03-01T00:00:00Z'), callOutLegSeconds: 10, fwdLegSeconds: 10 },
      tariffs.map((one) => (one.id === 2 ? { ...one, currency: 'USD' } : one)),
    );
    expect(mixed).toMatchObject({ callOutCost: '0.010000', fwdCost: '0.070000', totalCost: null, currency: null });
  });

  it('when money is multiplied and added, then it is exact (no float rounding)', () => {
    expect(multiplyMoney('0.100000', 3)).toBe('0.300000');
    expect(addMoney('0.100000', '0.200000')).toBe('0.300000');
    expect(multiplyMoney('12345678901234.999999', 1000)).toBe('12345678901234999.999000');
  });

  it('when a price is typed, then it is read in six places, and anything else is refused', () => {
    expect(parseMoney('0.06')).toBe('0.060000');
    expect(parseMoney('1')).toBe('1.000000');
    expect(parseMoney(' 2.5 ')).toBe('2.500000');
    for (const bad of ['', '-1', '0.0000001', '1e3', 'abc', '.5', '1,5']) expect(parseMoney(bad)).toBeNull();
  });
});

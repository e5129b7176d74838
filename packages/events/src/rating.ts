import type { Business } from './types.ts';

/**
 * Rating: what a CDR costs. VoiceCall bills per started minute of each answered leg; click-to-call
 * has two legs (the call-out leg to A and the forwarded leg to B) and bills both, voice notification
 * and verification have the call-out leg only. A tariff prices one leg of an app key or of a
 * business from an instant on; the app key's own tariff wins over its business's. Money is kept
 * as decimal text with six places (`numeric(20,6)` in SQL), never as a float.
 */

export const billedLegs = ['call-out', 'forwarded'] as const;
export type BilledLeg = (typeof billedLegs)[number];

/** Decimal places of prices and costs. */
export const MONEY_SCALE = 6;

export interface Tariff {
  id: number;
  /** Exactly one of appKey and business is set: whose calls the tariff prices. */
  appKey: string | null;
  business: Business | null;
  leg: BilledLeg;
  /** Price per started minute, decimal text (`0.060000`). */
  price: string;
  /** ISO 4217 code, e.g. `CNY`. */
  currency: string;
  /** The tariff applies to calls at or after this instant. */
  validFrom: Date;
}

export interface RatingInput {
  appKey: string | null;
  business: Business | null;
  /** When the call took place; calls without a time are not rated. */
  callTime: Date | null;
  callOutLegSeconds: number | null;
  fwdLegSeconds: number | null;
}

export interface CdrRating {
  /** Started minutes billed on each leg; null for a leg the business does not bill. */
  callOutMinutes: number;
  fwdMinutes: number | null;
  callOutCost: string | null;
  fwdCost: string | null;
  /** Set only when every billed leg is rated, in one currency: a partial total would understate the bill. */
  totalCost: string | null;
  currency: string | null;
  callOutTariffId: number | null;
  fwdTariffId: number | null;
}

/** Started minutes of an answered duration: 61 s are 2 minutes, 0 s are none. */
export function startedMinutes(seconds: number | null): number {
  return seconds === null || seconds <= 0 ? 0 : Math.ceil(seconds / 60);
}

/** Whether a business bills the forwarded leg: only click-to-call has one. */
export function billsForwardedLeg(business: Business | null): boolean {
  return business === 'click2call';
}

/** The tariff that prices `leg` of this call: the app key's before the business's, the latest valid at the call's time. */
export function tariffFor(
  tariffs: readonly Tariff[],
  leg: BilledLeg,
  input: Pick<RatingInput, 'appKey' | 'business' | 'callTime'>,
): Tariff | null {
  const { callTime } = input;
  if (callTime === null) return null;
  const latest = (matches: (tariff: Tariff) => boolean) => {
    let best: Tariff | null = null;
    for (const tariff of tariffs) {
      if (tariff.leg !== leg || tariff.validFrom.getTime() > callTime.getTime() || !matches(tariff)) continue;
      if (best === null || tariff.validFrom.getTime() > best.validFrom.getTime()) best = tariff;
    }
    return best;
  };
  return (
    (input.appKey === null ? null : latest((tariff) => tariff.appKey === input.appKey)) ??
    (input.business === null ? null : latest((tariff) => tariff.appKey === null && tariff.business === input.business))
  );
}

export function rateCdr(input: RatingInput, tariffs: readonly Tariff[]): CdrRating {
  const callOutMinutes = startedMinutes(input.callOutLegSeconds);
  const fwdMinutes = billsForwardedLeg(input.business) ? startedMinutes(input.fwdLegSeconds) : null;
  const callOutTariff = tariffFor(tariffs, 'call-out', input);
  const fwdTariff = fwdMinutes === null ? null : tariffFor(tariffs, 'forwarded', input);
  const callOutCost = callOutTariff === null ? null : multiplyMoney(callOutTariff.price, callOutMinutes);
  const fwdCost = fwdTariff === null || fwdMinutes === null ? null : multiplyMoney(fwdTariff.price, fwdMinutes);
  const fullyRated =
    callOutTariff !== null && (fwdMinutes === null || (fwdTariff !== null && fwdTariff.currency === callOutTariff.currency));
  return {
    callOutMinutes,
    fwdMinutes,
    callOutCost,
    fwdCost,
    totalCost: fullyRated ? addMoney(callOutCost!, fwdCost ?? formatMoney(0n)) : null,
    currency: fullyRated ? callOutTariff.currency : null,
    callOutTariffId: callOutTariff?.id ?? null,
    fwdTariffId: fwdTariff?.id ?? null,
  };
}

const MONEY = /^(\d{1,14})(?:\.(\d{1,6}))?$/;

/** A price as typed (`0.06`, `1`, `.5` is not one) in the canonical six-place form, or null when it is not a non-negative amount with at most six decimals. */
export function parseMoney(text: string): string | null {
  const match = MONEY.exec(text.trim());
  if (!match) return null;
  return formatMoney(BigInt(match[1]!) * 10n ** BigInt(MONEY_SCALE) + BigInt((match[2] ?? '').padEnd(MONEY_SCALE, '0')));
}

function toMicros(money: string): bigint {
  const [whole, fraction = ''] = money.split('.');
  return BigInt(whole!) * 10n ** BigInt(MONEY_SCALE) + BigInt(fraction.padEnd(MONEY_SCALE, '0').slice(0, MONEY_SCALE));
}

function formatMoney(micros: bigint): string {
  const digits = micros.toString().padStart(MONEY_SCALE + 1, '0');
  return `${digits.slice(0, -MONEY_SCALE)}.${digits.slice(-MONEY_SCALE)}`;
}

/** price × minutes, exactly. */
export function multiplyMoney(price: string, minutes: number): string {
  return formatMoney(toMicros(price) * BigInt(minutes));
}

export function addMoney(a: string, b: string): string {
  return formatMoney(toMicros(a) + toMicros(b));
}

const CURRENCY = /^[A-Z]{3}$/;

/** An ISO 4217 currency code, upper case (`CNY`, `USD`). */
export function isCurrency(text: string): boolean {
  return CURRENCY.test(text);
}

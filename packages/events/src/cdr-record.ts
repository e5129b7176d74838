import type { Anomaly } from './anomaly.ts';
import { businessFromCdr, type BusinessClaim } from './business.ts';
import { contentKey } from './canonical.ts';
import { cdrFieldSpecs, SESSION_ID_MAX_LENGTH, type CdrFields } from './cdr-fields.ts';
import { normalizeFields, readSessionId } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { describeFailReason, describeQ850Cause } from './codes/index.ts';
import { startedMinutes } from './rating.ts';
import { secondsBetween } from './time.ts';
import type { CdrDerived, NormalizeOptions } from './types.ts';

export interface CdrRecord {
  sessionId: string;
  /** Content identity of the record: every redelivery of the same CDR has the same key. */
  recordKey: string;
  /**
   * Fields carrying a usable value, unknown ones included (a field made null by an anomaly does not
   * count): of two versions of one call's CDR the fuller one wins.
   */
  fieldCount: number;
  fields: CdrFields;
  business: BusinessClaim | null;
  derived: CdrDerived;
  /** How this record deviated from the canonical form, field by field; empty for canonical input. */
  anomalies: Anomaly[];
  /** The record exactly as received (text Postgres cannot store replaced), unknown fields included. */
  record: Record<string, unknown>;
}

export type CdrRecordResult = { ok: true; cdr: CdrRecord } | { ok: false; rejection: Rejection };

/** One FeeInfo: rejected only without a usable session id, every other field is read tolerantly. */
export function normalizeCdrRecord(record: Record<string, unknown>, index: number, options: NormalizeOptions): CdrRecordResult {
  const identity = readSessionId(record['sessionId'], SESSION_ID_MAX_LENGTH, `feeLst[${index}]`);
  if (!identity.ok) return identity;
  const anomalies: Anomaly[] = identity.anomaly === null ? [] : [identity.anomaly];
  const { values, unusable } = normalizeFields(cdrFieldSpecs, record, anomalies);
  const fields = values as CdrFields;
  const business = businessFromCdr(fields, options.businessByAppKey);
  return {
    ok: true,
    cdr: {
      sessionId: identity.sessionId,
      recordKey: options.contentKeys === false ? '' : contentKey(record),
      fieldCount: Object.values(record).filter((value) => value !== null && value !== undefined && value !== '').length - unusable,
      fields,
      business,
      derived: deriveCdrDurations(fields, business?.business === 'click2call'),
      anomalies,
      record,
    },
  };
}

export function deriveCdrDurations(fields: CdrFields, isClickToCall: boolean): CdrDerived {
  const end = fields.callEndTime ?? fields.failTime;
  const callOutLegSeconds = nonNegative(secondsBetween(fields.callOutAnswerTime, end));
  const fwdLegSeconds = isClickToCall ? nonNegative(secondsBetween(fields.fwdAnswerTime, end)) : null;
  const completingAlerting = isClickToCall ? fields.fwdAlertingTime : fields.callOutAlertingTime;
  const completingAnswer = isClickToCall ? fields.fwdAnswerTime : fields.callOutAnswerTime;
  return {
    ringSeconds: nonNegative(secondsBetween(completingAlerting, completingAnswer ?? end)),
    talkSeconds: isClickToCall ? fwdLegSeconds : callOutLegSeconds,
    callOutLegSeconds,
    fwdLegSeconds,
    billableMinutes: startedMinutes(callOutLegSeconds) + (isClickToCall ? startedMinutes(fwdLegSeconds) : 0),
    failReasonDesc: fields.ulFailReason === null ? null : describeFailReason(fields.ulFailReason),
    fwdUnaswRsnDesc: fields.fwdUnaswRsn === null ? null : describeQ850Cause(fields.fwdUnaswRsn),
    callOutUnaswRsnDesc: fields.callOutUnaswRsn === null ? null : describeQ850Cause(fields.callOutUnaswRsn),
  };
}

/** A clock skew between platform hosts must not produce negative durations on a dashboard. */
function nonNegative(seconds: number | null): number | null {
  return seconds === null ? null : Math.max(0, seconds);
}

/** When the call of a CDR took place, for its tariff: the first leg's start, or the nearest time the record has. */
export function cdrCallTime(fields: CdrFields): string | null {
  return (
    fields.callOutStartTime ??
    fields.callInTime ??
    fields.fwdStartTime ??
    fields.callOutAlertingTime ??
    fields.callOutAnswerTime ??
    fields.callEndTime ??
    fields.failTime
  );
}

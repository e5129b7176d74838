import { z } from 'zod';
import { businessFromCdr, type BusinessClaim } from './business.ts';
import { contentKey } from './canonical.ts';
import { cdrFieldSpecs, SESSION_ID_MAX_LENGTH, type CdrFields } from './cdr-fields.ts';
import { integerField, rejectionFromZod, sessionIdField, textField, timeField } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { describeFailReason, describeQ850Cause } from './codes/index.ts';
import { secondsBetween } from './time.ts';
import type { CdrDerived, NormalizeOptions } from './types.ts';

const DEFAULT_TEXT_LIMIT = 1024;

const feeInfoSchema = z.looseObject({
  sessionId: sessionIdField(SESSION_ID_MAX_LENGTH),
  ...Object.fromEntries(
    cdrFieldSpecs.map((spec) => {
      if (spec.kind === 'time') return [spec.name, timeField()];
      if (spec.kind === 'integer') return [spec.name, integerField()];
      return [spec.name, textField('maxLength' in spec ? spec.maxLength : DEFAULT_TEXT_LIMIT)];
    }),
  ),
});

export interface CdrRecord {
  sessionId: string;
  /** Content identity of the record: every redelivery of the same CDR has the same key. */
  recordKey: string;
  /** Fields set (not null) in the record, unknown ones included. */
  fieldCount: number;
  fields: CdrFields;
  business: BusinessClaim | null;
  derived: CdrDerived;
  /** The record exactly as received, unknown fields included. */
  record: Record<string, unknown>;
}

export type CdrRecordResult = { ok: true; cdr: CdrRecord } | { ok: false; rejection: Rejection };

export function normalizeCdrRecord(record: Record<string, unknown>, index: number, options: NormalizeOptions): CdrRecordResult {
  const parsed = feeInfoSchema.safeParse(record);
  if (!parsed.success) return { ok: false, rejection: rejectionFromZod(parsed.error, `feeLst[${index}]`) };
  const data: Record<string, unknown> = parsed.data;
  const fields = Object.fromEntries(cdrFieldSpecs.map((spec) => [spec.name, data[spec.name] ?? null])) as CdrFields;
  const business = businessFromCdr(fields, options.businessByAppKey);
  return {
    ok: true,
    cdr: {
      sessionId: data['sessionId'] as string,
      recordKey: options.contentKeys === false ? '' : contentKey(record),
      fieldCount: Object.values(record).filter((value) => value !== null && value !== undefined && value !== '').length,
      fields,
      business,
      derived: deriveCdrDurations(fields, business?.business === 'click2call'),
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

function startedMinutes(seconds: number | null): number {
  return seconds === null || seconds <= 0 ? 0 : Math.ceil(seconds / 60);
}

/** A clock skew between platform hosts must not produce negative durations on a dashboard. */
function nonNegative(seconds: number | null): number | null {
  return seconds === null ? null : Math.max(0, seconds);
}

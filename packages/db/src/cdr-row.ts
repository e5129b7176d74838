import { cdrCallTime, cdrFieldSpecs, rateCdr, type CdrFieldKind, type CdrFields, type CdrRecord, type Tariff } from '@callpipe/events';
import { columnPairs, type ColumnTypes, type PgType, type RecordsetRow } from './recordset.ts';
import type { CdrsTable } from './tables/cdrs.ts';

// Everything in a `cdrs` row that is derived from its record, and how: the one definition used by
// the live store and by reprocessing. The record and the delivery bookkeeping are not derived.

type FieldSpec = (typeof cdrFieldSpecs)[number];
type FieldColumns = { readonly [S in FieldSpec as S['column']]: CdrFields[S['name']] };

const SQL_TYPE = { string: 'text', integer: 'integer', time: 'timestamptz' } as const satisfies Record<CdrFieldKind, PgType>;

// A field spec naming a column the interface lacks does not compile here.
const FIELD_TYPES = Object.fromEntries(cdrFieldSpecs.map((spec) => [spec.column, SQL_TYPE[spec.kind]])) as {
  readonly [S in FieldSpec as S['column']]: (typeof SQL_TYPE)[S['kind']];
} satisfies ColumnTypes<CdrsTable, FieldSpec['column']>;

/** Columns kept as received or counted per delivery, never derived from the record. */
type CdrBookkeepingColumn = 'record' | 'delivery_count' | 'first_received_at' | 'last_received_at' | 'call_day';

const CDR_DERIVED_TYPES = {
  session_id: 'text',
  record_key: 'text',
  field_count: 'integer',
  business: 'text',
  business_source: 'text',
  ...FIELD_TYPES,
  ring_seconds: 'integer',
  talk_seconds: 'integer',
  call_out_leg_seconds: 'integer',
  fwd_leg_seconds: 'integer',
  billable_minutes: 'integer',
  ul_fail_reason_desc: 'text',
  fwd_unasw_rsn_desc: 'text',
  call_out_unasw_rsn_desc: 'text',
  call_out_minutes: 'integer',
  fwd_minutes: 'integer',
  call_out_cost: 'numeric',
  fwd_cost: 'numeric',
  total_cost: 'numeric',
  cost_currency: 'text',
  call_out_tariff_id: 'integer',
  fwd_tariff_id: 'integer',
  anomalies: 'jsonb',
} as const satisfies ColumnTypes<CdrsTable, Exclude<keyof CdrsTable, CdrBookkeepingColumn>>;

/** The columns kept as received or counted per delivery, in insert order. */
export const CDR_BOOKKEEPING_TYPES = {
  call_day: 'date',
  record: 'jsonb',
  delivery_count: 'integer',
  first_received_at: 'timestamptz',
  last_received_at: 'timestamptz',
} as const satisfies ColumnTypes<CdrsTable, CdrBookkeepingColumn>;

/** Every column of `cdrs` with its type, as the migrations create it (checked by a test). */
export const CDRS_TYPES = { ...CDR_DERIVED_TYPES, ...CDR_BOOKKEEPING_TYPES } as const satisfies ColumnTypes<CdrsTable>;

/** The derived columns of `cdrs`, the key first. */
export const CDR_DERIVED_COLUMNS = columnPairs(CDR_DERIVED_TYPES);

export type CdrDerivedRow = RecordsetRow<CdrsTable, typeof CDR_DERIVED_TYPES>;

/** The row of a CDR, rated with `tariffs` (all of them: the one valid at the call's time is picked). */
export function cdrDerivedRow(cdr: CdrRecord, tariffs: readonly Tariff[]): CdrDerivedRow {
  const callTime = cdrCallTime(cdr.fields);
  const rating = rateCdr(
    {
      appKey: cdr.fields.appKey,
      business: cdr.business?.business ?? null,
      callTime: callTime === null ? null : new Date(callTime),
      callOutLegSeconds: cdr.derived.callOutLegSeconds,
      fwdLegSeconds: cdr.derived.fwdLegSeconds,
    },
    tariffs,
  );
  return {
    session_id: cdr.sessionId,
    record_key: cdr.recordKey,
    field_count: cdr.fieldCount,
    business: cdr.business?.business ?? null,
    business_source: cdr.business?.source ?? null,
    ...fieldColumns(cdr.fields),
    ring_seconds: cdr.derived.ringSeconds,
    talk_seconds: cdr.derived.talkSeconds,
    call_out_leg_seconds: cdr.derived.callOutLegSeconds,
    fwd_leg_seconds: cdr.derived.fwdLegSeconds,
    billable_minutes: cdr.derived.billableMinutes,
    ul_fail_reason_desc: cdr.derived.failReasonDesc,
    fwd_unasw_rsn_desc: cdr.derived.fwdUnaswRsnDesc,
    call_out_unasw_rsn_desc: cdr.derived.callOutUnaswRsnDesc,
    call_out_minutes: rating.callOutMinutes,
    fwd_minutes: rating.fwdMinutes,
    call_out_cost: rating.callOutCost,
    fwd_cost: rating.fwdCost,
    total_cost: rating.totalCost,
    cost_currency: rating.currency,
    call_out_tariff_id: rating.callOutTariffId,
    fwd_tariff_id: rating.fwdTariffId,
    anomalies: cdr.anomalies,
  };
}

function fieldColumns(fields: CdrFields): FieldColumns {
  return Object.fromEntries(cdrFieldSpecs.map((spec) => [spec.column, fields[spec.name]])) as FieldColumns;
}

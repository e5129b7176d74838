import { canonicalJson, cdrFieldSpecs, deriveCall, type CallFacts, type CdrRecord } from '@callpipe/events';

// The derived columns of `calls` and `cdrs` and how they are computed: the one definition used by
// the live store (store-deliveries.ts) and by reprocessing, so both always write the same rows.

const SQL_TYPE = { string: 'text', integer: 'integer', time: 'timestamptz' } as const;

export const CALL_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['session_id', 'text'],
  ['business', 'text'],
  ['business_source', 'text'],
  ['app_key', 'text'],
  ['state', 'text'],
  ['outcome', 'text'],
  ['caller_number', 'text'],
  ['called_number', 'text'],
  ['forwarded_number', 'text'],
  ['started_at', 'timestamptz'],
  ['ringing_at', 'timestamptz'],
  ['answered_at', 'timestamptz'],
  ['ended_at', 'timestamptz'],
  ['ring_seconds', 'integer'],
  ['talk_seconds', 'integer'],
  ['state_code', 'integer'],
  ['state_desc', 'text'],
  ['state_code_desc', 'text'],
  ['fail_reason', 'integer'],
  ['fail_reason_desc', 'text'],
  ['collected_digits', 'text'],
  ['user_data', 'text'],
  ['has_cdr', 'boolean'],
  ['leg_count', 'integer'],
  ['facts', 'jsonb'],
];

/** Everything in a `cdrs` row that is derived from its record; the record and the delivery bookkeeping are not. */
export const CDR_DERIVED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['session_id', 'text'],
  ['record_key', 'text'],
  ['field_count', 'integer'],
  ['business', 'text'],
  ['business_source', 'text'],
  ...cdrFieldSpecs.map((spec) => [spec.column, SQL_TYPE[spec.kind]] as const),
  ['ring_seconds', 'integer'],
  ['talk_seconds', 'integer'],
  ['call_out_leg_seconds', 'integer'],
  ['fwd_leg_seconds', 'integer'],
  ['billable_minutes', 'integer'],
  ['ul_fail_reason_desc', 'text'],
  ['fwd_unasw_rsn_desc', 'text'],
  ['call_out_unasw_rsn_desc', 'text'],
];

export type Row = Record<string, unknown>;

export function callRow(facts: CallFacts): Row {
  const s = deriveCall(facts);
  return {
    session_id: s.sessionId,
    business: s.business,
    business_source: s.businessSource,
    app_key: s.appKey,
    state: s.state,
    outcome: s.outcome,
    caller_number: s.callerNumber,
    called_number: s.calledNumber,
    forwarded_number: s.forwardedNumber,
    started_at: s.startedAt,
    ringing_at: s.ringingAt,
    answered_at: s.answeredAt,
    ended_at: s.endedAt,
    ring_seconds: s.ringSeconds,
    talk_seconds: s.talkSeconds,
    state_code: s.stateCode,
    state_desc: s.stateDesc,
    state_code_desc: s.stateCodeDesc,
    fail_reason: s.failReason,
    fail_reason_desc: s.failReasonDesc,
    collected_digits: s.collectedDigits,
    user_data: s.userData,
    has_cdr: s.hasCdr,
    leg_count: s.legCount,
    facts,
  };
}

export function cdrDerivedRow(cdr: CdrRecord): Row {
  return {
    session_id: cdr.sessionId,
    record_key: cdr.recordKey,
    field_count: cdr.fieldCount,
    business: cdr.business?.business ?? null,
    business_source: cdr.business?.source ?? null,
    ...Object.fromEntries(cdrFieldSpecs.map((spec) => [spec.column, cdr.fields[spec.name]])),
    ring_seconds: cdr.derived.ringSeconds,
    talk_seconds: cdr.derived.talkSeconds,
    call_out_leg_seconds: cdr.derived.callOutLegSeconds,
    fwd_leg_seconds: cdr.derived.fwdLegSeconds,
    billable_minutes: cdr.derived.billableMinutes,
    ul_fail_reason_desc: cdr.derived.failReasonDesc,
    fwd_unasw_rsn_desc: cdr.derived.fwdUnaswRsnDesc,
    call_out_unasw_rsn_desc: cdr.derived.callOutUnaswRsnDesc,
  };
}

/** Columns whose stored value (timestamps as Date, jsonb parsed) differs from the derived one (ISO strings). */
export function changedColumns(stored: Row, derived: Row, columns: ReadonlyArray<readonly [string, string]>): string[] {
  return columns.filter(([column]) => !sameValue(stored[column], derived[column])).map(([column]) => column);
}

function sameValue(stored: unknown, derived: unknown): boolean {
  if (stored === null || stored === undefined || derived === null || derived === undefined) return (stored ?? null) === (derived ?? null);
  if (stored instanceof Date) return typeof derived === 'string' && Date.parse(derived) === stored.getTime();
  if (typeof stored === 'object') return canonicalJson(stored) === canonicalJson(derived);
  return stored === derived;
}

export function recordsetTypes(columns: ReadonlyArray<readonly [string, string]>): string {
  return columns.map(([column, type]) => `${column} ${type}`).join(', ');
}

export function updateAssignments(columns: ReadonlyArray<readonly [string, string]>): string {
  return columns
    .filter(([column]) => column !== 'session_id')
    .map(([column]) => `${column} = v.${column}`)
    .join(', ');
}

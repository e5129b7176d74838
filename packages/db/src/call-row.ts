import { deriveCall, type CallFacts } from '@callpipe/events';
import { columnPairs, type ColumnTypes, type RecordsetRow } from './recordset.ts';
import type { CallsTable } from './tables/calls.ts';

// The derived columns of `calls` and how they are computed: the one definition used by the live
// store and by reprocessing, so both always write the same rows.

/** Receive-time bookkeeping: set once when the call is first stored, never derived. */
type CallBookkeepingColumn = 'call_day' | 'created_at' | 'updated_at';

const CALL_DERIVED_TYPES = {
  session_id: 'text',
  business: 'text',
  business_source: 'text',
  app_key: 'text',
  state: 'text',
  outcome: 'text',
  caller_number: 'text',
  called_number: 'text',
  forwarded_number: 'text',
  started_at: 'timestamptz',
  ringing_at: 'timestamptz',
  answered_at: 'timestamptz',
  ended_at: 'timestamptz',
  ring_seconds: 'integer',
  talk_seconds: 'integer',
  state_code: 'integer',
  state_desc: 'text',
  state_code_desc: 'text',
  fail_reason: 'integer',
  fail_reason_desc: 'text',
  collected_digits: 'text',
  user_data: 'text',
  has_cdr: 'boolean',
  leg_count: 'integer',
  facts: 'jsonb',
} as const satisfies ColumnTypes<CallsTable, Exclude<keyof CallsTable, CallBookkeepingColumn>>;

/** Every column of `calls` with its type, as the migrations create it (checked by a test). */
export const CALLS_TYPES = {
  ...CALL_DERIVED_TYPES,
  call_day: 'date',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
} as const satisfies ColumnTypes<CallsTable>;

/** The derived columns of `calls`, the key first. */
export const CALL_COLUMNS = columnPairs(CALL_DERIVED_TYPES);

export type CallRow = RecordsetRow<CallsTable, typeof CALL_DERIVED_TYPES>;

export function callRow(facts: CallFacts): CallRow {
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

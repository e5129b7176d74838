import type { StatusEvent } from '@callpipe/events';
import { columnPairs, type ColumnTypes, type RecordsetRow } from './recordset.ts';
import type { CallEventsTable } from './tables/call-events.ts';

// Everything in a `call_events` row that is derived from its payload, and how: the one definition
// used by the live store and by reprocessing. The key, the payload and the delivery bookkeeping
// are not derived.

type CallEventKeptColumn =
  'session_id' | 'event_key' | 'payload' | 'call_day' | 'delivery_count' | 'first_received_at' | 'last_received_at';

export const CALL_EVENT_DERIVED_TYPES = {
  event_type: 'text',
  known_event_type: 'boolean',
  event_at: 'timestamptz',
  caller: 'text',
  called: 'text',
  state_code: 'integer',
  state_desc: 'text',
  digit_info: 'text',
  user_data: 'text',
  party_type: 'integer',
  anomalies: 'jsonb',
} as const satisfies ColumnTypes<CallEventsTable, Exclude<keyof CallEventsTable, CallEventKeptColumn>>;

export const CALL_EVENT_DERIVED_COLUMNS = columnPairs(CALL_EVENT_DERIVED_TYPES);

export type CallEventDerivedRow = RecordsetRow<CallEventsTable, typeof CALL_EVENT_DERIVED_TYPES>;

export function callEventDerivedRow(event: StatusEvent): CallEventDerivedRow {
  return {
    event_type: event.eventType,
    known_event_type: event.known,
    event_at: event.eventAt,
    caller: event.caller,
    called: event.called,
    state_code: event.stateCode,
    state_desc: event.stateDesc,
    digit_info: event.digitInfo,
    user_data: event.userData,
    party_type: event.partyType,
    anomalies: event.anomalies,
  };
}

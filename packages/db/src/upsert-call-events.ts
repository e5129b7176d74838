import type { StatusEvent } from '@callpipe/events';
import { sql } from 'kysely';
import type { Aggregated } from './aggregate-deliveries.ts';
import { CALL_EVENT_DERIVED_TYPES, callEventDerivedRow } from './call-event-row.ts';
import type { Db } from './database.ts';
import { columnList, columnPairs, compareKeys, recordsetTypes, type ColumnTypes, type RecordsetRow } from './recordset.ts';
import type { CallEventsTable } from './tables/call-events.ts';
import { countOutcome, deliveryColumns, redeliveryAssignments, type UpsertOutcome } from './redeliveries.ts';

/** Every column of `call_events` with its type, in insert order (checked against the migrations by a test). */
export const CALL_EVENTS_TYPES = {
  session_id: 'text',
  call_day: 'date',
  event_key: 'text',
  ...CALL_EVENT_DERIVED_TYPES,
  payload: 'jsonb',
  delivery_count: 'integer',
  first_received_at: 'timestamptz',
  last_received_at: 'timestamptz',
} as const satisfies ColumnTypes<CallEventsTable>;

type CallEventRow = RecordsetRow<CallEventsTable, typeof CALL_EVENTS_TYPES>;

const COLUMNS = columnPairs(CALL_EVENTS_TYPES);

const eventKeyOf = (row: { session_id: string; event_key: string }) => `${row.session_id}\u0000${row.event_key}`;

/** One row per distinct event, in its call's `call_day` partition; a redelivery adds to the count. */
export async function upsertCallEvents(
  trx: Db,
  events: readonly Aggregated<StatusEvent>[],
  callDays: ReadonlyMap<string, string>,
): Promise<UpsertOutcome> {
  if (events.length === 0) return { inserted: 0, updated: 0 };
  const rows = events
    .map((aggregated): CallEventRow => ({
      ...deliveryColumns(aggregated, callDays),
      ...callEventDerivedRow(aggregated.item),
      session_id: aggregated.item.sessionId,
      event_key: aggregated.item.eventKey,
      payload: aggregated.item.payload,
    }))
    .sort((a, b) => compareKeys(eventKeyOf(a), eventKeyOf(b)));
  const outcome = await sql<{ session_id: string; event_key: string; delivery_count: number }>`
    INSERT INTO call_events (${sql.raw(columnList(COLUMNS))})
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(${sql.raw(recordsetTypes(COLUMNS))})
    ON CONFLICT (session_id, event_key, call_day) DO UPDATE SET
      ${redeliveryAssignments('call_events')}
    RETURNING session_id, event_key, delivery_count`.execute(trx);
  const counts = new Map(rows.map((row) => [eventKeyOf(row), row.delivery_count]));
  return countOutcome(outcome.rows.map((row) => ({ stored: row.delivery_count, sent: counts.get(eventKeyOf(row))! })));
}

import type { Business } from '@callpipe/events';
import { sql, type Selectable, type SqlBool } from 'kysely';
import { CALL_EVENT_DERIVED_COLUMNS, type CallEventDerivedRow } from './call-event-row.ts';
import { CDR_DERIVED_COLUMNS, type CdrDerivedRow } from './cdr-row.ts';
import type { Db } from './database.ts';
import { createRecordingTasks } from './recording-tasks.ts';
import { recordsetTypes, updateAssignments, type RecordsetRow } from './recordset.ts';
import { callKeyOf, joinCallKeys } from './session-key.ts';
import type { CallEventsTable } from './tables/call-events.ts';
import type { CallsTable } from './tables/calls.ts';
import type { CdrsTable } from './tables/cdrs.ts';

// The statements of reprocessing (@callpipe/replay `reprocessCalls`): which calls to re-derive,
// what is kept raw of them, and writing back the derived columns. Re-derived `calls` rows are
// written with `updateCallRows`, as the live store writes them.

/** Which calls to select; all given conditions must hold. */
export interface CallSelection {
  /** Calls whose start (or, without one, end) is at or after this instant. */
  from?: string;
  /** ... and before this one. */
  to?: string;
  appKey?: string;
  business?: Business;
}

/** The next `limit` session ids after `after` (in call key order, `session-key.ts`) of the calls selected. */
export async function selectCallIds(db: Db, selection: CallSelection, after: string | null, limit: number): Promise<string[]> {
  const { from, to, appKey, business } = selection;
  const rows = await db
    .selectFrom('calls')
    .select('session_id')
    .$if(after !== null, (query) => query.where(sql<SqlBool>`${callKeyOf('session_id')} > ${callKeyOf(sql`${after}::text`)}`))
    .$if(Boolean(from), (query) => query.where((eb) => eb(eb.fn.coalesce('started_at', 'ended_at'), '>=', sql<Date>`${from}::timestamptz`)))
    .$if(Boolean(to), (query) => query.where((eb) => eb(eb.fn.coalesce('started_at', 'ended_at'), '<', sql<Date>`${to}::timestamptz`)))
    .$if(Boolean(appKey), (query) => query.where('app_key', '=', appKey!))
    .$if(Boolean(business), (query) => query.where('business', '=', business!))
    .orderBy(sql`callpipe_call_order(session_id)`)
    .orderBy('session_id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.session_id);
}

export interface StoredCalls {
  calls: Array<Selectable<CallsTable>>;
  cdrs: Array<Selectable<CdrsTable>>;
  events: Array<Selectable<CallEventsTable>>;
}

/**
 * The calls rows of these sessions, and their CDRs and status events, read in the calls'
 * `call_day` partitions only. With `lock` the calls rows are locked first, in the order the worker
 * locks them: the worker writes a call's events and CDR only while holding its calls row, so the
 * two cannot deadlock.
 */
export async function readStoredCalls(trx: Db, sessionIds: readonly string[], options: { lock: boolean }): Promise<StoredCalls> {
  const lock = options.lock ? sql`FOR UPDATE OF calls` : sql``;
  const { rows: calls } = await sql<Selectable<CallsTable>>`
    SELECT calls.*, calls.call_day::text AS call_day FROM calls ${joinCallKeys('calls.session_id', [...new Set(sessionIds)])}
    ORDER BY calls.session_id ${lock}`.execute(trx);
  const days = [...new Set(calls.map((call) => call.call_day))];
  const cdrs = await trx
    .selectFrom('cdrs')
    .selectAll()
    .where('session_id', '=', (eb) => eb.fn.any(eb.val(sessionIds)))
    .where('call_day', '=', (eb) => eb.fn.any(eb.val(days)))
    .execute();
  const events = await trx
    .selectFrom('call_events')
    .selectAll()
    .select(sql<string>`call_day::text`.as('call_day'))
    .where('session_id', '=', (eb) => eb.fn.any(eb.val(sessionIds)))
    .where('call_day', '=', (eb) => eb.fn.any(eb.val(days)))
    .execute();
  return { calls, cdrs, events };
}

export type RederivedCdrRow = CdrDerivedRow & RecordsetRow<CdrsTable, { call_day: 'date' }>;

const CDR_UPDATE = updateAssignments(CDR_DERIVED_COLUMNS);
const CDR_RECORDSET_TYPES = recordsetTypes([...CDR_DERIVED_COLUMNS, ['call_day', 'date']]);

/**
 * Writes re-derived columns over the stored `cdrs` rows; delivery counts and the record stay. A CDR
 * that now reads as recorded (say its `recordFlag` was an anomaly before) gets its recording task;
 * one that had a task keeps it as it is.
 */
export async function updateDerivedCdrs(trx: Db, rows: readonly RederivedCdrRow[]): Promise<void> {
  if (rows.length === 0) return;
  const days = [...new Set(rows.map((row) => row.call_day))];
  await sql`
    UPDATE cdrs SET ${sql.raw(CDR_UPDATE)}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(${sql.raw(CDR_RECORDSET_TYPES)})
    WHERE cdrs.session_id = v.session_id AND cdrs.call_day = v.call_day AND cdrs.call_day = ANY(${days}::date[])`.execute(trx);
  await createRecordingTasks(
    trx,
    rows.map((row) => row.session_id),
    days,
  );
}

export type RederivedCallEventRow = CallEventDerivedRow &
  RecordsetRow<CallEventsTable, { session_id: 'text'; event_key: 'text'; call_day: 'date' }>;

const EVENT_UPDATE = updateAssignments(CALL_EVENT_DERIVED_COLUMNS);
const EVENT_RECORDSET_TYPES = recordsetTypes([
  ['session_id', 'text'],
  ['event_key', 'text'],
  ['call_day', 'date'],
  ...CALL_EVENT_DERIVED_COLUMNS,
]);

/** Writes re-derived columns over the stored `call_events` rows; the payload and delivery counts stay. */
export async function updateDerivedCallEvents(trx: Db, rows: readonly RederivedCallEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  const days = [...new Set(rows.map((row) => row.call_day))];
  await sql`
    UPDATE call_events SET ${sql.raw(EVENT_UPDATE)}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(${sql.raw(EVENT_RECORDSET_TYPES)})
    WHERE call_events.session_id = v.session_id AND call_events.event_key = v.event_key AND call_events.call_day = v.call_day
      AND call_events.call_day = ANY(${days}::date[])`.execute(trx);
}

import type { Business } from '@callpipe/events';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, Db } from './database.ts';
import { callKeyMatches } from './session-key.ts';
import type { CallEventsTable } from './tables/call-events.ts';
import type { CallsTable } from './tables/calls.ts';
import type { CdrsTable } from './tables/cdrs.ts';

// The statements of `callpipe export`: one table's rows of a period, read page by page in key
// order (keyset pagination: every page is a short indexed query, memory stays one page), all pages
// in one read-only snapshot so that a CDR replaced while the export runs is neither lost nor doubled.

/** What an export reads: rows whose period column is in `[from, to)`; the other conditions must hold too. */
export interface ExportSelection {
  from: Date;
  to: Date;
  appKey?: string;
  business?: Business;
}

/** How a column is written to Parquet (and shown in CSV): the table's own type. */
export type ExportColumnKind = 'text' | 'integer' | 'boolean' | 'timestamp' | 'date' | 'json';

export type CdrExportRow = Selectable<CdrsTable>;
export type CallExportRow = Selectable<CallsTable>;
export type CallEventExportRow = Selectable<CallEventsTable>;

const T = 'timestamp';
const I = 'integer';
const S = 'text';

/** Every `cdrs` column in table order, with its kind: a column added to the table breaks the build here. */
export const CDR_EXPORT_COLUMNS = {
  session_id: S,
  record_key: S,
  field_count: I,
  business: S,
  business_source: S,
  direction: I,
  sp_id: S,
  app_key: S,
  icid: S,
  bind_num: S,
  caller_num: S,
  callee_num: S,
  fwd_display_num: S,
  fwd_dst_num: S,
  call_in_time: T,
  fwd_start_time: T,
  fwd_alerting_time: T,
  fwd_answer_time: T,
  call_end_time: T,
  fwd_unasw_rsn: I,
  fail_time: T,
  ul_fail_reason: I,
  sip_status_code: I,
  call_out_start_time: T,
  call_out_alerting_time: T,
  call_out_answer_time: T,
  call_out_unasw_rsn: I,
  dyn_ivr_start_time: T,
  dyn_ivr_path: S,
  record_flag: I,
  record_start_time: T,
  record_object_name: S,
  record_bucket_name: S,
  record_domain: S,
  record_file_download_url: S,
  tts_play_times: I,
  tts_trans_duration: I,
  service_type: S,
  host_name: S,
  user_data: S,
  ring_seconds: I,
  talk_seconds: I,
  call_out_leg_seconds: I,
  fwd_leg_seconds: I,
  billable_minutes: I,
  ul_fail_reason_desc: S,
  fwd_unasw_rsn_desc: S,
  call_out_unasw_rsn_desc: S,
  call_out_minutes: I,
  fwd_minutes: I,
  // Money stays decimal text: exact, as numeric(20,6) holds it.
  call_out_cost: S,
  fwd_cost: S,
  total_cost: S,
  cost_currency: S,
  call_out_tariff_id: I,
  fwd_tariff_id: I,
  record: 'json',
  anomalies: 'json',
  delivery_count: I,
  first_received_at: T,
  last_received_at: T,
  call_day: 'date',
} as const satisfies Record<keyof CdrExportRow, ExportColumnKind>;

export const CALL_EXPORT_COLUMNS = {
  session_id: S,
  business: S,
  business_source: S,
  app_key: S,
  state: S,
  outcome: S,
  caller_number: S,
  called_number: S,
  forwarded_number: S,
  started_at: T,
  ringing_at: T,
  answered_at: T,
  ended_at: T,
  ring_seconds: I,
  talk_seconds: I,
  state_code: I,
  state_desc: S,
  state_code_desc: S,
  fail_reason: I,
  fail_reason_desc: S,
  collected_digits: S,
  user_data: S,
  has_cdr: 'boolean',
  leg_count: I,
  facts: 'json',
  call_day: 'date',
  created_at: T,
  updated_at: T,
} as const satisfies Record<keyof CallExportRow, ExportColumnKind>;

export const CALL_EVENT_EXPORT_COLUMNS = {
  session_id: S,
  event_key: S,
  event_type: S,
  known_event_type: 'boolean',
  event_at: T,
  caller: S,
  called: S,
  state_code: I,
  state_desc: S,
  digit_info: S,
  user_data: S,
  party_type: I,
  payload: 'json',
  anomalies: 'json',
  delivery_count: I,
  first_received_at: T,
  last_received_at: T,
  call_day: 'date',
} as const satisfies Record<keyof CallEventExportRow, ExportColumnKind>;

export interface ExportPaging<Row> {
  /** Rows per page (one query each). */
  pageSize: number;
  /** Gets every page in order; the next page is read only once this has settled (backpressure). */
  onPage: (rows: Row[]) => Promise<void>;
}

/**
 * Runs `work` in one read-only REPEATABLE READ transaction: every page of an export sees the same
 * snapshot. It holds back vacuum and a partition drop (which waits, with its lock_timeout, for the
 * next maintenance run) for as long as the export takes.
 */
export function inExportSnapshot<T>(db: Kysely<Database>, work: (trx: Db) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // The period's estimate is all its rows, so Postgres would JIT-compile every page query
      // (about a second each, measured): pages are small, plain execution is faster.
      await sql`SET LOCAL jit = off`.execute(trx);
      return work(trx);
    });
}

// `call_day` is the UTC day the call was first seen: no earlier than the call's start, which is at
// most a day before its end or any of its events. Bounding it from below prunes older partitions.
const firstCallDay = (from: Date) => sql<string>`(${from.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date - 1`;

// Each page repeats the cursor's time as a plain bound (`t >= cursor`) beside the row comparison: only
// that lets Postgres start the time index's range scan at the cursor instead of at the period's start.
// Where the last page ended; the time as Postgres' text, microseconds included (a Date has milliseconds).
interface CdrCursor {
  at: string;
  sessionId: string;
  callDay: string;
}
interface CallCursor {
  at: string;
  sessionId: string;
}
interface CallEventCursor extends CdrCursor {
  eventKey: string;
}

/**
 * Reads page after page, each after the cursor of the one before, until a short page. `readPage`
 * selects the row's time as Postgres' text too (`cursor_at`), so the cursor keeps microseconds.
 */
async function pageThrough<Row, Cursor>(
  readPage: (cursor: Cursor | null, limit: number) => Promise<Array<Row & { cursor_at: string }>>,
  cursorOf: (row: Row & { cursor_at: string }) => Cursor,
  paging: ExportPaging<Row>,
): Promise<void> {
  let cursor: Cursor | null = null;
  for (;;) {
    const rows = await readPage(cursor, paging.pageSize);
    if (rows.length === 0) return;
    cursor = cursorOf(rows.at(-1)!);
    await paging.onPage(rows.map(({ cursor_at: _, ...row }) => row as Row));
    if (rows.length < paging.pageSize) return;
  }
}

/** The CDRs whose `call_end_time` is in the period, in (call_end_time, session_id, call_day) order. */
export function exportCdrs(db: Db, selection: ExportSelection, paging: ExportPaging<CdrExportRow>): Promise<void> {
  const readPage = (cursor: CdrCursor | null, limit: number) =>
    db
      .selectFrom('cdrs')
      .selectAll()
      .select(sql<string>`call_end_time::text`.as('cursor_at'))
      .where('call_end_time', '>=', selection.from)
      .where('call_end_time', '<', selection.to)
      .where('call_day', '>=', firstCallDay(selection.from))
      .$if(selection.appKey !== undefined, (query) => query.where('app_key', '=', selection.appKey!))
      .$if(selection.business !== undefined, (query) => query.where('business', '=', selection.business!))
      .$if(cursor !== null, (query) =>
        query.where(
          sql<boolean>`call_end_time >= ${cursor!.at}::timestamptz AND (call_end_time, session_id, call_day) > (${cursor!.at}::timestamptz, ${cursor!.sessionId}, ${cursor!.callDay}::date)`,
        ),
      )
      .orderBy('call_end_time')
      .orderBy('session_id')
      .orderBy('call_day')
      .limit(limit)
      .execute();
  return pageThrough(readPage, (row) => ({ at: row.cursor_at, sessionId: row.session_id, callDay: row.call_day }), paging);
}

/** Every top-level field name the records of the period's CDRs use, documented or not. */
export async function cdrRecordFieldNames(db: Db, selection: ExportSelection): Promise<string[]> {
  const rows = await db
    .selectFrom('cdrs')
    .select(sql<string>`jsonb_object_keys(record)`.as('name'))
    .distinct()
    .where('call_end_time', '>=', selection.from)
    .where('call_end_time', '<', selection.to)
    .where('call_day', '>=', firstCallDay(selection.from))
    .where(sql<boolean>`jsonb_typeof(record) = 'object'`)
    .$if(selection.appKey !== undefined, (query) => query.where('app_key', '=', selection.appKey!))
    .$if(selection.business !== undefined, (query) => query.where('business', '=', selection.business!))
    .execute();
  return rows.map((row) => row.name).sort();
}

/** The calls whose `started_at` is in the period, in (started_at, session_id) order. */
export function exportCalls(db: Db, selection: ExportSelection, paging: ExportPaging<CallExportRow>): Promise<void> {
  const readPage = (cursor: CallCursor | null, limit: number) =>
    db
      .selectFrom('calls')
      .selectAll()
      .select(sql<string>`started_at::text`.as('cursor_at'))
      .where('started_at', '>=', selection.from)
      .where('started_at', '<', selection.to)
      .$if(selection.appKey !== undefined, (query) => query.where('app_key', '=', selection.appKey!))
      .$if(selection.business !== undefined, (query) => query.where('business', '=', selection.business!))
      .$if(cursor !== null, (query) =>
        query.where(
          sql<boolean>`started_at >= ${cursor!.at}::timestamptz AND (started_at, session_id) > (${cursor!.at}::timestamptz, ${cursor!.sessionId})`,
        ),
      )
      .orderBy('started_at')
      .orderBy('session_id')
      .limit(limit)
      .execute();
  return pageThrough(readPage, (row) => ({ at: row.cursor_at, sessionId: row.session_id }), paging);
}

/**
 * The status events whose `event_at` is in the period, in (event_at, session_id, event_key,
 * call_day) order; app key and business are those of the event's call.
 */
export function exportCallEvents(db: Db, selection: ExportSelection, paging: ExportPaging<CallEventExportRow>): Promise<void> {
  const { appKey, business } = selection;
  const readPage = (cursor: CallEventCursor | null, limit: number) =>
    db
      .selectFrom('call_events')
      .selectAll()
      .select(sql<string>`event_at::text`.as('cursor_at'))
      .where('event_at', '>=', selection.from)
      .where('event_at', '<', selection.to)
      .where('call_day', '>=', firstCallDay(selection.from))
      .$if(appKey !== undefined || business !== undefined, (query) =>
        query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('calls')
              .select(sql`1`.as('one'))
              .where(callKeyMatches('calls.session_id', 'call_events.session_id'))
              .$if(appKey !== undefined, (sub) => sub.where('calls.app_key', '=', appKey!))
              .$if(business !== undefined, (sub) => sub.where('calls.business', '=', business!)),
          ),
        ),
      )
      .$if(cursor !== null, (query) =>
        query.where(
          sql<boolean>`event_at >= ${cursor!.at}::timestamptz AND (event_at, session_id, event_key, call_day) > (${cursor!.at}::timestamptz, ${cursor!.sessionId}, ${cursor!.eventKey}, ${cursor!.callDay}::date)`,
        ),
      )
      .orderBy('event_at')
      .orderBy('session_id')
      .orderBy('event_key')
      .orderBy('call_day')
      .limit(limit)
      .execute();
  return pageThrough(
    readPage,
    (row) => ({ at: row.cursor_at, sessionId: row.session_id, eventKey: row.event_key, callDay: row.call_day }),
    paging,
  );
}

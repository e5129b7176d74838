import { sql } from 'kysely';
import type { Db } from './database.ts';

/** How long the platform keeps a recording after the CDR push (VoiceCall: 7 days). */
export const RECORDING_RETENTION_DAYS = 7;

/**
 * Creates the recording task of every one of these calls whose stored CDR has a recording
 * (`recordFlag` 1 and a `recordObjectName`), once: the session id is the key and a second attempt
 * does nothing, so redeliveries, replays and reprocessing never add a task or reset one. Read from
 * the stored `cdrs` rows, so it sees the version of the CDR that won, whichever batch brought it.
 * The deadline counts from the CDR's first receipt. Runs inside the caller's transaction, after the
 * calls rows were locked, in session order.
 */
export async function createRecordingTasks(trx: Db, sessionIds: readonly string[], callDays: readonly string[]): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const result = await sql`
    INSERT INTO recordings (session_id, app_key, object_name, record_domain, bucket_name, download_url, talk_seconds, first_seen_at, expires_at)
    SELECT session_id, app_key, record_object_name, record_domain, record_bucket_name, record_file_download_url, talk_seconds,
           first_received_at, first_received_at + make_interval(days => ${RECORDING_RETENTION_DAYS})
    FROM cdrs
    WHERE session_id = ANY(${[...sessionIds]}::text[]) AND call_day = ANY(${[...new Set(callDays)]}::date[])
      AND record_flag = 1 AND record_object_name IS NOT NULL AND record_object_name <> ''
    ORDER BY session_id
    ON CONFLICT (session_id) DO NOTHING`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Backfill (`callpipe recordings fetch --since`): tasks for recorded CDRs first received at or
 * after `since` that have none yet, e.g. those stored before recordings were turned on. With
 * `sessionId`, only that call's.
 */
export async function createMissingRecordingTasks(db: Db, filter: { since?: string; sessionId?: string }): Promise<number> {
  const result = await sql`
    INSERT INTO recordings (session_id, app_key, object_name, record_domain, bucket_name, download_url, talk_seconds, first_seen_at, expires_at)
    SELECT session_id, app_key, record_object_name, record_domain, record_bucket_name, record_file_download_url, talk_seconds,
           first_received_at, first_received_at + make_interval(days => ${RECORDING_RETENTION_DAYS})
    FROM cdrs
    WHERE record_flag = 1 AND record_object_name IS NOT NULL AND record_object_name <> ''
      AND (${filter.since ?? null}::timestamptz IS NULL OR first_received_at >= ${filter.since ?? null}::timestamptz)
      AND (${filter.sessionId ?? null}::text IS NULL OR session_id = ${filter.sessionId ?? null}::text)
    ORDER BY session_id
    ON CONFLICT (session_id) DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** How many tasks `createMissingRecordingTasks` would create now (for a dry run). */
export async function countMissingRecordingTasks(db: Db, filter: { since?: string; sessionId?: string }): Promise<number> {
  const result = await sql<{ n: string }>`
    SELECT count(*) AS n FROM cdrs
    WHERE record_flag = 1 AND record_object_name IS NOT NULL AND record_object_name <> ''
      AND (${filter.since ?? null}::timestamptz IS NULL OR first_received_at >= ${filter.since ?? null}::timestamptz)
      AND (${filter.sessionId ?? null}::text IS NULL OR session_id = ${filter.sessionId ?? null}::text)
      AND NOT EXISTS (SELECT 1 FROM recordings WHERE recordings.session_id = cdrs.session_id)`.execute(db);
  return Number(result.rows[0]!.n);
}

import { sql, type Selectable } from 'kysely';
import type { Db } from './database.ts';
import { recordingStatuses, type RecordingsTable, type RecordingStatus } from './tables/recordings.ts';

// The statements of the recording fetcher (@callpipe/worker) and `callpipe recordings`. A fetcher
// holds a task through a lease: only the holder of an unexpired lease may settle it, and a task
// whose holder died is due again once the lease has passed.

export type RecordingTask = Selectable<RecordingsTable>;

/** Pending tasks past their deadline become `expired`; leased ones are left to their holder. */
export async function expireOverdueRecordings(db: Db): Promise<number> {
  const result = await db
    .updateTable('recordings')
    .set({
      status: 'expired',
      last_error: sql<string>`coalesce('not stored before the platform deleted it; last error: ' || last_error, 'not stored before the platform deleted it')`,
      lease_until: null,
      lease_owner: null,
      updated_at: sql<string>`now()`,
    })
    .where('status', '=', 'pending')
    .where('expires_at', '<=', sql<Date>`now()`)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseMs: number;
  /** App keys not to take now (their credentials were just refused). */
  skipAppKeys?: readonly string[];
}

/**
 * Takes up to `limit` due tasks, soonest deadline first, under a lease; SKIP LOCKED so fetchers
 * never wait on each other. The attempt is counted at the claim, so a task that crashes every
 * fetcher still runs out of attempts.
 */
export async function claimDueRecordings(db: Db, options: ClaimOptions): Promise<RecordingTask[]> {
  if (options.limit <= 0) return [];
  const skip = [...(options.skipAppKeys ?? [])];
  const result = await sql<RecordingTask>`
    UPDATE recordings SET lease_owner = ${options.owner}, lease_until = now() + make_interval(secs => ${options.leaseMs / 1000}),
      attempts = attempts + 1, updated_at = now()
    WHERE session_id IN (
      SELECT session_id FROM recordings
      WHERE status = 'pending' AND next_attempt_at <= now() AND expires_at > now()
        AND (lease_until IS NULL OR lease_until < now())
        AND (cardinality(${skip}::text[]) = 0 OR app_key IS NULL OR NOT app_key = ANY(${skip}::text[]))
      ORDER BY expires_at, session_id
      LIMIT ${options.limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return result.rows;
}

/** Extends the lease of a task being downloaded; false when it is no longer this owner's. */
export async function renewRecordingLease(db: Db, sessionId: string, owner: string, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({ lease_until: sql<string>`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('session_id', '=', sessionId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface StoredRecording {
  bytes: number;
  sha256: string;
  location: string;
}

/** `stored`, once the whole file is in the store. False when the lease was lost (another fetcher took over). */
export async function markRecordingStored(db: Db, sessionId: string, owner: string, stored: StoredRecording): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({
      status: 'stored',
      bytes: stored.bytes,
      sha256: stored.sha256,
      stored_location: stored.location,
      stored_at: sql<string>`now()`,
      last_error: null,
      lease_until: null,
      lease_owner: null,
      updated_at: sql<string>`now()`,
    })
    .where('session_id', '=', sessionId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Back to pending, due again at `nextAttemptAt`, with the reason kept. */
export async function rescheduleRecording(db: Db, sessionId: string, owner: string, error: string, nextAttemptAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({
      last_error: error,
      next_attempt_at: nextAttemptAt.toISOString(),
      lease_until: null,
      lease_owner: null,
      updated_at: sql<string>`now()`,
    })
    .where('session_id', '=', sessionId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A final state other than stored, with its reason. */
export async function settleRecording(
  db: Db,
  sessionId: string,
  owner: string,
  status: Exclude<RecordingStatus, 'pending' | 'stored'>,
  error: string,
): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({ status, last_error: error, lease_until: null, lease_owner: null, updated_at: sql<string>`now()` })
    .where('session_id', '=', sessionId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives a task back without counting the attempt (the fetcher is shutting down). */
export async function releaseRecording(db: Db, sessionId: string, owner: string): Promise<void> {
  await db
    .updateTable('recordings')
    .set({
      attempts: sql<number>`greatest(attempts - 1, 0)`,
      lease_until: null,
      lease_owner: null,
      next_attempt_at: sql<string>`now()`,
      updated_at: sql<string>`now()`,
    })
    .where('session_id', '=', sessionId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .execute();
}

export interface RecordingsSummary {
  byStatus: Record<RecordingStatus, number>;
  /** Seconds from now to the deadline of the pending task that expires first; null when none is pending. */
  soonestPendingExpirySeconds: number | null;
  /** Seconds since the oldest pending task's CDR was first received; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
}

export async function summarizeRecordings(db: Db): Promise<RecordingsSummary> {
  const counts = await db
    .selectFrom('recordings')
    .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
    .groupBy('status')
    .execute();
  const pending = await db
    .selectFrom('recordings')
    .select([
      sql<number | null>`extract(epoch FROM min(expires_at) - now())::float8`.as('soonest'),
      sql<number | null>`extract(epoch FROM now() - min(first_seen_at))::float8`.as('oldest'),
    ])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  const byStatus = Object.fromEntries(recordingStatuses.map((status) => [status, 0])) as Record<RecordingStatus, number>;
  for (const row of counts) byStatus[row.status] = Number(row.count);
  return { byStatus, soonestPendingExpirySeconds: pending.soonest, oldestPendingAgeSeconds: pending.oldest };
}

export interface RecordingFilter {
  sessionId?: string;
  /** Tasks whose CDR was first received at or after this instant. */
  since?: string;
}

/** Tasks that a backfill would fetch: pending or failed ones, deadline not passed. */
export async function listFetchableRecordings(db: Db, filter: RecordingFilter, limit = 10_000): Promise<RecordingTask[]> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('status', 'in', ['pending', 'failed'])
    .where('expires_at', '>', sql<Date>`now()`)
    .$if(filter.sessionId !== undefined, (query) => query.where('session_id', '=', filter.sessionId!))
    .$if(filter.since !== undefined, (query) => query.where('first_seen_at', '>=', sql<Date>`${filter.since}::timestamptz`))
    .orderBy('expires_at')
    .orderBy('session_id')
    .limit(limit)
    .execute();
}

/** Failed tasks in the filter become pending again with fresh attempts, due now (a backfill retries them). */
export async function reopenFailedRecordings(db: Db, filter: RecordingFilter): Promise<number> {
  const result = await db
    .updateTable('recordings')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<string>`now()`, updated_at: sql<string>`now()` })
    .where('status', '=', 'failed')
    .where('expires_at', '>', sql<Date>`now()`)
    .$if(filter.sessionId !== undefined, (query) => query.where('session_id', '=', filter.sessionId!))
    .$if(filter.since !== undefined, (query) => query.where('first_seen_at', '>=', sql<Date>`${filter.since}::timestamptz`))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Claims these tasks for a backfill, whatever their due time (only unleased pending ones). */
export async function claimRecordings(db: Db, sessionIds: readonly string[], owner: string, leaseMs: number): Promise<RecordingTask[]> {
  if (sessionIds.length === 0) return [];
  const result = await sql<RecordingTask>`
    UPDATE recordings SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1000}),
      attempts = attempts + 1, updated_at = now()
    WHERE session_id IN (
      SELECT session_id FROM recordings
      WHERE session_id = ANY(${[...sessionIds]}::text[]) AND status = 'pending' AND expires_at > now()
        AND (lease_until IS NULL OR lease_until < now())
      ORDER BY session_id
      FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return result.rows;
}

export async function findRecording(db: Db, sessionId: string): Promise<RecordingTask | undefined> {
  return db.selectFrom('recordings').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
}

export interface RecordingsDay {
  /** UTC day the CDRs were first received. */
  day: string;
  counts: Record<RecordingStatus, number>;
}

/** Tasks per UTC day of first receipt and status, the newest `days` days. */
export async function recordingsByDay(db: Db, days: number): Promise<RecordingsDay[]> {
  const rows = await db
    .selectFrom('recordings')
    .select([sql<string>`(first_seen_at AT TIME ZONE 'UTC')::date::text`.as('day'), 'status', (eb) => eb.fn.countAll<string>().as('count')])
    .where(
      'first_seen_at',
      '>=',
      sql<Date>`date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => ${days - 1})`,
    )
    .groupBy(['day', 'status'])
    .orderBy('day', 'desc')
    .execute();
  const byDay = new Map<string, RecordingsDay>();
  for (const row of rows) {
    const entry =
      byDay.get(row.day) ?? ({ day: row.day, counts: Object.fromEntries(recordingStatuses.map((status) => [status, 0])) } as RecordingsDay);
    entry.counts[row.status] = Number(row.count);
    byDay.set(row.day, entry);
  }
  return [...byDay.values()];
}

/** The most recently settled tasks that were not stored, with their reasons. */
export async function recentRecordingProblems(db: Db, limit: number): Promise<RecordingTask[]> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('status', 'in', ['failed', 'expired'])
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

import type { Business, CallFacts } from '@callpipe/events';
import { sql, type ExpressionBuilder, type SqlBool, type Expression } from 'kysely';
import type { Database, Db } from './database.ts';

// What reconciling with the platform reads: every statement here works on `calls` (and, for the
// CDR's own business, `cdrs`). The missing-CDR predicate is defined once, in missingCdr below; the
// worker's gauge, `callpipe reconcile` and the Calls board all use it.

/** Six hourly re-pushes plus a margin: a CDR not here this long after its call ended will not come by itself. */
export const DEFAULT_CDR_HORIZON_MS = 7 * 3_600_000;

/**
 * The missing-CDR predicate as the Calls board writes it (SQL text, the default horizon, now() as the
 * clock). test/static/dashboards.test.ts checks the board holds exactly this, and the reconcile tests
 * check that it selects what missingCdr selects.
 */
export const MISSING_CDR_BOARD_CONDITION = "state = 'ended' AND NOT has_cdr AND ended_at < now() - interval '7 hours'";

/**
 * A call ended without a CDR past the horizon: ended (status events said so) before `endedBefore`,
 * and still no CDR. Literal values, so the partial index calls_ended_without_cdr_idx (WHERE state =
 * 'ended' AND NOT has_cdr) serves it.
 */
export function missingCdr(eb: ExpressionBuilder<Database, 'calls'>, endedBefore: Date | Expression<Date>): Expression<SqlBool> {
  return eb.and([eb('calls.state', '=', sql.lit('ended')), eb.not(eb.ref('calls.has_cdr')), eb('calls.ended_at', '<', endedBefore)]);
}

/** No status event of a known kind was merged into the call: the empty legs, disconnect and collect of its facts. */
const withoutStatusEvents = sql<SqlBool>`(calls.facts -> 'legs' = '[]'::jsonb AND calls.facts -> 'disconnect' = 'null'::jsonb AND calls.facts -> 'collect' = 'null'::jsonb)`;

export interface ReconcilePeriod {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  /** IANA name: billing days are `(time AT TIME ZONE timeZone)::date`. */
  timeZone: string;
  /** Calls whose CDR has not come by this instant are missing (now − horizon). */
  endedBefore: Date;
  /**
   * Only this app's calls, and the calls whose app is not known: only the CDR names the app, so a
   * call without one may be this app's (it is never left out of a reconciliation because of that).
   */
  appKey?: string;
}

export interface ReconcileDayCounts {
  /** null: no CDR yet, so no app key (status events do not carry it). */
  appKey: string | null;
  /** Billing day, `YYYY-MM-DD` in the period's time zone. */
  day: string;
  /** Calls that started that day. */
  started: number;
  /** Calls that ended that day (this and the following counts are by end time). */
  ended: number;
  /** Of those, calls with their CDR. */
  cdrs: number;
  /** Of those, calls ended without a CDR past the horizon. */
  missingCdrs: number;
  /** Calls with a CDR and no status event at all. */
  cdrsWithoutStatus: number;
}

function billingDay(column: 'calls.started_at' | 'calls.ended_at', timeZone: string) {
  return sql<string>`((${sql.ref(column)} AT TIME ZONE ${timeZone})::date)::text`;
}

function ofApp(eb: ExpressionBuilder<Database, 'calls'>, appKey: string | undefined): Expression<SqlBool> {
  return appKey === undefined ? sql<SqlBool>`true` : eb.or([eb('calls.app_key', '=', appKey), eb('calls.app_key', 'is', null)]);
}

/** Per app and billing day: calls started, ended, with a CDR, missing their CDR, CDRs without status events. */
export async function reconcileDayCounts(db: Db, period: ReconcilePeriod): Promise<ReconcileDayCounts[]> {
  const started = await db
    .selectFrom('calls')
    .select([
      'calls.app_key as appKey',
      billingDay('calls.started_at', period.timeZone).as('day'),
      (eb) => eb.fn.countAll<string>().as('started'),
    ])
    .where('calls.started_at', '>=', period.from)
    .where('calls.started_at', '<', period.to)
    .where((eb) => ofApp(eb, period.appKey))
    .groupBy(['calls.app_key', 'day'])
    .execute();
  const ended = await db
    .selectFrom('calls')
    .select((eb) => [
      'calls.app_key as appKey',
      billingDay('calls.ended_at', period.timeZone).as('day'),
      eb.fn.countAll<string>().filterWhere('calls.state', '=', 'ended').as('ended'),
      eb.fn.countAll<string>().filterWhere('calls.has_cdr', '=', true).as('cdrs'),
      eb.fn
        .countAll<string>()
        .filterWhere((inner) => missingCdr(inner, period.endedBefore))
        .as('missingCdrs'),
      eb.fn
        .countAll<string>()
        .filterWhere((inner) => inner.and([inner('calls.has_cdr', '=', true), withoutStatusEvents]))
        .as('cdrsWithoutStatus'),
    ])
    .where('calls.ended_at', '>=', period.from)
    .where('calls.ended_at', '<', period.to)
    .where((eb) => ofApp(eb, period.appKey))
    .groupBy(['calls.app_key', 'day'])
    .execute();

  const rows = new Map<string, ReconcileDayCounts>();
  const row = (appKey: string | null, day: string) => {
    const key = JSON.stringify([appKey, day]);
    let found = rows.get(key);
    if (!found) {
      found = { appKey, day, started: 0, ended: 0, cdrs: 0, missingCdrs: 0, cdrsWithoutStatus: 0 };
      rows.set(key, found);
    }
    return found;
  };
  for (const r of started) row(r.appKey, r.day).started = Number(r.started);
  for (const r of ended)
    Object.assign(row(r.appKey, r.day), {
      ended: Number(r.ended),
      cdrs: Number(r.cdrs),
      missingCdrs: Number(r.missingCdrs),
      cdrsWithoutStatus: Number(r.cdrsWithoutStatus),
    });
  return [...rows.values()].sort((a, b) => compareNullable(a.appKey, b.appKey) || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

export interface ReconcileCall {
  sessionId: string;
  appKey: string | null;
  business: string | null;
  /** ISO time. */
  endedAt: string;
}

/** The calls ended in the period without a CDR past the horizon, oldest first: what to ask support for. */
export async function listMissingCdrs(db: Db, period: ReconcilePeriod): Promise<ReconcileCall[]> {
  const rows = await db
    .selectFrom('calls')
    .select(['calls.session_id', 'calls.app_key', 'calls.business', 'calls.ended_at'])
    .where((eb) => eb.and([missingCdr(eb, period.endedBefore), ofApp(eb, period.appKey)]))
    .where('calls.ended_at', '>=', period.from)
    .where('calls.ended_at', '<', period.to)
    .orderBy('calls.ended_at')
    .orderBy('calls.session_id')
    .execute();
  return rows.map(callOf);
}

/** Calls ended in the period that have a CDR and no status event at all. */
export async function listCdrsWithoutStatus(db: Db, period: ReconcilePeriod): Promise<ReconcileCall[]> {
  const rows = await db
    .selectFrom('calls')
    .select(['calls.session_id', 'calls.app_key', 'calls.business', 'calls.ended_at'])
    .where('calls.has_cdr', '=', true)
    .where(withoutStatusEvents)
    .where((eb) => ofApp(eb, period.appKey))
    .where('calls.ended_at', '>=', period.from)
    .where('calls.ended_at', '<', period.to)
    .orderBy('calls.ended_at')
    .orderBy('calls.session_id')
    .execute();
  return rows.map(callOf);
}

export interface CallToCompare {
  sessionId: string;
  appKey: string | null;
  /** ISO time: the page position, with the session id. */
  endedAt: string;
  /** Billing day of the end. */
  day: string;
  facts: CallFacts;
  /** The CDR's own business claim (`cdrs.business`), not the call's merged one. */
  cdrBusiness: Business | null;
}

/**
 * One page of the calls ended in the period with both a CDR and status events, in (ended_at,
 * session_id) order after `after`: what statusCdrDisagreements compares. Keyset pages on
 * calls_ended_at_idx, so a month is read in one pass.
 */
export async function callsToCompare(
  db: Db,
  period: ReconcilePeriod,
  after: { endedAt: string; sessionId: string } | null,
  limit: number,
): Promise<CallToCompare[]> {
  let query = db
    .selectFrom('calls')
    .innerJoin('cdrs', (join) => join.onRef('cdrs.session_id', '=', 'calls.session_id').onRef('cdrs.call_day', '=', 'calls.call_day'))
    .select([
      'calls.session_id',
      'calls.app_key',
      'calls.ended_at',
      'calls.facts',
      'cdrs.business as cdr_business',
      billingDay('calls.ended_at', period.timeZone).as('day'),
    ])
    .where('calls.has_cdr', '=', true)
    .where(sql<SqlBool>`NOT ${withoutStatusEvents}`)
    .where((eb) => ofApp(eb, period.appKey))
    .where('calls.ended_at', '>=', period.from)
    .where('calls.ended_at', '<', period.to)
    // A call is first stored no later than it starts, and lasts less than a day: prunes old partitions.
    .where('cdrs.call_day', '>=', sql<string>`(${period.from}::timestamptz AT TIME ZONE 'UTC')::date - 1`)
    .orderBy('calls.ended_at')
    .orderBy('calls.session_id')
    .limit(limit);
  if (after)
    query = query.where((eb) =>
      eb(eb.refTuple('calls.ended_at', 'calls.session_id'), '>', eb.tuple(new Date(after.endedAt), after.sessionId)),
    );
  const rows = await query.execute();
  return rows.map((r) => ({
    sessionId: r.session_id,
    appKey: r.app_key,
    endedAt: r.ended_at!.toISOString(),
    day: r.day,
    facts: r.facts as CallFacts,
    cdrBusiness: r.cdr_business as Business | null,
  }));
}

/**
 * For the worker's gauge: calls ended in [endedAfter, endedBefore) without a CDR, per app key (null:
 * not known). A range scan of the partial index calls_ended_without_cdr_idx.
 */
export async function countMissingCdrsByApp(
  db: Db,
  endedAfter: Date,
  endedBefore: Date,
): Promise<Array<{ appKey: string | null; calls: number }>> {
  const rows = await missingCdrsByAppQuery(db, endedAfter, endedBefore).execute();
  return rows.map((row) => ({ appKey: row.app_key, calls: Number(row.calls) }));
}

/** The gauge's statement, unexecuted (a test explains it). */
export function missingCdrsByAppQuery(db: Db, endedAfter: Date, endedBefore: Date) {
  return db
    .selectFrom('calls')
    .select(['calls.app_key', (eb) => eb.fn.countAll<string>().as('calls')])
    .where((eb) => missingCdr(eb, endedBefore))
    .where('calls.ended_at', '>=', endedAfter)
    .groupBy('calls.app_key');
}

function callOf(row: { session_id: string; app_key: string | null; business: string | null; ended_at: Date | null }): ReconcileCall {
  return { sessionId: row.session_id, appKey: row.app_key, business: row.business, endedAt: row.ended_at!.toISOString() };
}

function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

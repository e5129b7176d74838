import { sql } from 'kysely';
import type { Db } from './database.ts';
import { compareKeys } from './recordset.ts';
import { CALL_KEY, joinCallKeys } from './session-key.ts';

// billing_daily, kept exact incrementally.
//
// Each call contributes one row of totals to one group (its billing day in the billing time zone,
// app key, business, and the currency of its CDR's cost), a pure function of its `calls` row and its
// `cdrs` row: `contributionsSql` below, the one definition used by the writers, the rebuild and the
// from-scratch check. `billing_contributions` keeps, per call, the contribution last added to
// `billing_daily`. A writer that changed calls, while holding their `calls` row locks, computes their
// contributions again, stores them, and adds the difference to `billing_daily` with one additive
// upsert in key order. So:
// - billing_daily = the sum of billing_contributions, after every commit: each transaction adds
//   exactly the difference between the contributions it replaced and the ones it stored, and
//   additions commute, so concurrent writers cannot lose one another's (a group's row lock orders
//   them; READ COMMITTED re-reads the row under the lock).
// - billing_contributions = f(calls, cdrs) for every call, after every commit: only the holder of a
//   call's row lock writes its row, its CDR or its contribution, and it writes all three.
// Hence billing_daily = the from-scratch aggregate of calls and cdrs, whatever the order of
// deliveries, redeliveries (a no-op difference), re-derivation or re-rating. A per-batch delta from
// the rows' old and new values alone would need the old values under the same lock; the stored
// contribution is that old value, kept where the next writer finds it.
// Locks: calls rows first (all writers), then billing_daily rows in key order: no deadlocks.

const KEY = ['billing_day', 'app_key', 'business', 'currency'] as const;
const COUNTS = [
  'calls',
  'answered',
  'unanswered',
  'failed',
  'talk_seconds',
  'call_out_minutes',
  'fwd_minutes',
  'cdrs',
  'cdrs_missing',
] as const;
const KEY_LIST = KEY.join(', ');
const CONTRIBUTION_COLUMNS = ['session_id', ...KEY, ...COUNTS, 'cost'];
const CONTRIBUTION_LIST = CONTRIBUTION_COLUMNS.join(', ');

/**
 * Per call: its contribution to billing_daily. The billing day is that of the call's start in the
 * billing time zone (or of its first known time; `created_at` for a call known by nothing else). An
 * unrated CDR (no tariff, or not every billed leg rated in one currency) and a call without CDR
 * count in currency '' with a NULL cost. `cdrs_missing` is an ended call without a CDR (a simple
 * definition: no horizon for a CDR still on its way).
 */
function contributionsSql(timeZone: string, sessionIds?: readonly string[]) {
  // For a batch's few calls, one index probe into the one partition of each call's CDR (the LIMIT
  // keeps the planner from hashing every partition); for all calls, a hash join.
  const few = sessionIds !== undefined;
  const calls = few ? joinCallKeys('c.session_id', sessionIds) : sql``;
  const cdr = few
    ? sql`LEFT JOIN LATERAL (SELECT * FROM cdrs WHERE cdrs.session_id = c.session_id AND cdrs.call_day = c.call_day LIMIT 1) d ON true`
    : sql`LEFT JOIN cdrs d ON d.session_id = c.session_id AND d.call_day = c.call_day`;
  return sql`
    SELECT c.session_id,
      (coalesce(c.started_at, c.ringing_at, c.answered_at, c.ended_at, c.created_at) AT TIME ZONE ${timeZone}::text)::date AS billing_day,
      coalesce(c.app_key, '') AS app_key,
      coalesce(c.business, '') AS business,
      coalesce(d.cost_currency, '') AS currency,
      1 AS calls,
      (c.outcome = 'answered')::int AS answered,
      (c.outcome = 'unanswered')::int AS unanswered,
      (c.outcome = 'failed')::int AS failed,
      coalesce(c.talk_seconds, 0)::bigint AS talk_seconds,
      coalesce(d.call_out_minutes, 0)::bigint AS call_out_minutes,
      coalesce(d.fwd_minutes, 0)::bigint AS fwd_minutes,
      (d.session_id IS NOT NULL)::int AS cdrs,
      (c.state = 'ended' AND d.session_id IS NULL)::int AS cdrs_missing,
      CASE WHEN d.cost_currency IS NULL THEN NULL ELSE d.total_cost END AS cost
    FROM calls c ${calls} ${cdr}`;
}

const sums = (from: string) =>
  [...COUNTS.map((column) => `sum(${from}${column})::bigint AS ${column}`), `sum(${from}cost) AS cost`].join(', ');
const SUMS = sums('');
const NONZERO = [...COUNTS.map((column) => `sum(${column}) <> 0`), 'coalesce(sum(cost), 0) <> 0'].join(' OR ');
const NEGATED = [...COUNTS.map((column) => `-${column}`), '-cost'].join(', ');
const ADD_UPDATE = [
  ...COUNTS.map((column) => `${column} = billing_daily.${column} + excluded.${column}`),
  `cost = CASE WHEN billing_daily.currency = '' THEN NULL ELSE billing_daily.cost + excluded.cost END`,
  'updated_at = now()',
].join(', ');
const CONTRIBUTION_UPDATE = CONTRIBUTION_COLUMNS.filter((column) => column !== 'session_id')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');
const CONTRIBUTION_CHANGED = `(${CONTRIBUTION_COLUMNS.map((column) => `billing_contributions.${column}`).join(', ')}) IS DISTINCT FROM (${CONTRIBUTION_COLUMNS.map((column) => `excluded.${column}`).join(', ')})`;

export interface RollupOutcome {
  /** billing_daily groups whose totals changed. */
  groupsChanged: number;
}

/**
 * Brings billing_daily up to date with these calls' current rows. The caller holds their `calls`
 * row locks (the store and reprocess take them first, in session order) and has written their
 * calls and CDR rows already, in the same transaction. `callDays` has the sessions whose rows it
 * may have changed (and their `call_day`, as the store and reprocess know it); a call whose rows it
 * left alone keeps the contribution it has.
 */
export async function refreshBillingRollup(trx: Db, callDays: ReadonlyMap<string, string>, timeZone: string): Promise<RollupOutcome> {
  if (callDays.size === 0) return { groupsChanged: 0 };
  const ids = [...callDays.keys()].sort(compareKeys);
  const changed = await sql<{ billing_day: string; app_key: string; business: string; currency: string; calls: string }>`
    WITH fresh AS (${contributionsSql(timeZone, ids)}),
    old AS (SELECT ${sql.raw(CONTRIBUTION_LIST)} FROM billing_contributions ${joinCallKeys('billing_contributions.session_id', ids)}),
    saved AS (
      INSERT INTO billing_contributions (${sql.raw(CONTRIBUTION_LIST)})
      SELECT ${sql.raw(CONTRIBUTION_LIST)} FROM fresh ORDER BY session_id
      ON CONFLICT (${CALL_KEY}) DO UPDATE SET ${sql.raw(CONTRIBUTION_UPDATE)} WHERE ${sql.raw(CONTRIBUTION_CHANGED)}
    ),
    changes AS (
      SELECT ${sql.raw(KEY_LIST)}, ${sql.raw([...COUNTS, 'cost'].join(', '))} FROM fresh
      UNION ALL
      SELECT ${sql.raw(KEY_LIST)}, ${sql.raw(NEGATED)} FROM old
    ),
    deltas AS (SELECT ${sql.raw(KEY_LIST)}, ${sql.raw(SUMS)} FROM changes GROUP BY ${sql.raw(KEY_LIST)} HAVING ${sql.raw(NONZERO)})
    INSERT INTO billing_daily (${sql.raw(KEY_LIST)}, ${sql.raw(COUNTS.join(', '))}, cost)
    SELECT ${sql.raw(KEY_LIST)}, ${sql.raw(COUNTS.join(', '))}, CASE WHEN currency = '' THEN NULL ELSE coalesce(cost, 0) END
    FROM deltas ORDER BY ${sql.raw(KEY_LIST)}
    ON CONFLICT (${sql.raw(KEY_LIST)}) DO UPDATE SET ${sql.raw(ADD_UPDATE)}
    RETURNING billing_day::text AS billing_day, app_key, business, currency, calls::text AS calls`.execute(trx);
  // A group whose last call moved away is no group: the from-scratch aggregate has no row for it.
  const emptied = changed.rows.filter((row) => row.calls === '0').map(({ calls: _calls, ...key }) => key);
  if (emptied.length > 0)
    await sql`
      DELETE FROM billing_daily WHERE calls = 0 AND (${sql.raw(KEY_LIST)}) IN (
        SELECT ${sql.raw(KEY_LIST)} FROM jsonb_to_recordset(${JSON.stringify(emptied)}::jsonb)
          AS r(billing_day date, app_key text, business text, currency text))`.execute(trx);
  return { groupsChanged: changed.rows.length };
}

/**
 * For calls just restored from an archive, in the transaction that inserted them: their
 * contributions. Retention deletes a call's contribution with the call while billing_daily keeps its
 * totals, so a restored call without one would be added a second time by its next writer (a CDR
 * re-sent by support, a reprocess). Its recomputed contribution is what billing_daily holds for it:
 * the same calls and cdrs rows, come back exactly (the cdrs are restored before the calls).
 * billing_daily itself is not touched. Until this commits, a writer of one of these calls waits on
 * its uncommitted row and then finds the contribution.
 */
export async function restoreBillingContributions(trx: Db, sessionIds: readonly string[], timeZone: string): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const ids = [...sessionIds].sort(compareKeys);
  const inserted = await sql`
    INSERT INTO billing_contributions (${sql.raw(CONTRIBUTION_LIST)})
    SELECT ${sql.raw(CONTRIBUTION_LIST)} FROM (${contributionsSql(timeZone, ids)}) AS f
    ORDER BY session_id
    ON CONFLICT (${CALL_KEY}) DO NOTHING`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0n);
}

export interface RebuildOutcome {
  contributions: number;
  groups: number;
  /** The first billing day rebuilt; earlier days (whose calls retention deleted) were kept as they were. */
  fromDay: string | null;
}

/**
 * Recomputes billing_daily from scratch from calls and cdrs (a repair, or after changing
 * CALLPIPE_BILLING_TIME_ZONE). Blocks the writers' rollup statements while it runs: the table locks
 * wait for every transaction that already wrote to the rollup, and a writer that comes after sees
 * the rebuilt contributions and adds its own difference to them. Days before the oldest call kept
 * are left as they are: billing keeps them beyond retention.
 */
export async function rebuildBillingRollup(trx: Db, timeZone: string): Promise<RebuildOutcome> {
  await sql`LOCK TABLE billing_contributions, billing_daily IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
  await sql`DELETE FROM billing_contributions`.execute(trx);
  const inserted = await sql`
    INSERT INTO billing_contributions (${sql.raw(CONTRIBUTION_LIST)})
    SELECT ${sql.raw(CONTRIBUTION_LIST)} FROM (${contributionsSql(timeZone)}) AS f`.execute(trx);
  const first = await sql<{ day: string | null }>`SELECT min(billing_day)::text AS day FROM billing_contributions`.execute(trx);
  const fromDay = first.rows[0]?.day ?? null;
  if (fromDay === null) return { contributions: 0, groups: 0, fromDay };
  await sql`DELETE FROM billing_daily WHERE billing_day >= ${fromDay}::date`.execute(trx);
  const groups = await sql`
    INSERT INTO billing_daily (${sql.raw(KEY_LIST)}, ${sql.raw(COUNTS.join(', '))}, cost)
    SELECT ${sql.raw(KEY_LIST)}, ${sql.raw(SUMS)} FROM billing_contributions GROUP BY ${sql.raw(KEY_LIST)} ORDER BY ${sql.raw(KEY_LIST)}`.execute(
    trx,
  );
  return { contributions: Number(inserted.numAffectedRows ?? 0n), groups: Number(groups.numAffectedRows ?? 0n), fromDay };
}

export interface BillingDailyRow {
  billing_day: string;
  app_key: string;
  business: string;
  currency: string;
  calls: string;
  answered: string;
  unanswered: string;
  failed: string;
  talk_seconds: string;
  call_out_minutes: string;
  fwd_minutes: string;
  cost: string | null;
  cdrs: string;
  cdrs_missing: string;
}

const ROW_COLUMNS = `billing_day::text AS billing_day, app_key, business, currency, ${COUNTS.map((column) => `${column}::text AS ${column}`).join(', ')}, cost::text AS cost`;

/** The from-scratch aggregate of calls and cdrs that billing_daily must equal, in key order. */
export async function billingDailyFromScratch(db: Db, timeZone: string): Promise<BillingDailyRow[]> {
  const result = await sql<BillingDailyRow>`
    SELECT ${sql.raw(ROW_COLUMNS)} FROM (
      SELECT ${sql.raw(KEY_LIST)}, ${sql.raw(SUMS)} FROM (${contributionsSql(timeZone)}) AS f GROUP BY ${sql.raw(KEY_LIST)}
    ) AS g ORDER BY ${sql.raw(KEY_LIST)}`.execute(db);
  return result.rows;
}

/** billing_daily as stored, from `fromDay` on (all of it without), in key order. */
export async function readBillingDaily(db: Db, fromDay?: string): Promise<BillingDailyRow[]> {
  const result = await sql<BillingDailyRow>`
    SELECT ${sql.raw(ROW_COLUMNS)} FROM billing_daily
    WHERE ${fromDay === undefined ? sql`true` : sql`billing_day >= ${fromDay}::date`}
    ORDER BY ${sql.raw(KEY_LIST)}`.execute(db);
  return result.rows;
}

import { DEFAULT_BILLING_TIME_ZONE } from '@callpipe/events';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import { restoreBillingContributions } from './billing-rollup.ts';
import { addDays } from './days.ts';

/**
 * The tables a day of data lives in, as the archive writes and restores them: `calls` and the
 * call-day partitioned tables by `call_day`, the ledger and the rejected pushes by the UTC day of
 * `received_at`. Each with the columns of a unique key (for `calls`, the session id its key is
 * derived from, migration 0010), which order the rows and make a restore idempotent.
 */
export const ARCHIVED_TABLES = [
  { table: 'calls', key: 'call_day', primaryKey: ['session_id'] },
  { table: 'call_events', key: 'call_day', primaryKey: ['session_id', 'event_key'] },
  { table: 'cdrs', key: 'call_day', primaryKey: ['session_id'] },
  { table: 'push_deliveries', key: 'received_at', primaryKey: ['delivery_id', 'received_at'] },
  { table: 'rejected_pushes', key: 'received_at', primaryKey: ['id', 'received_at'] },
] as const;
export type ArchivedTable = (typeof ARCHIVED_TABLES)[number]['table'];
type ArchivedSpec = (typeof ARCHIVED_TABLES)[number];

function specOf(table: ArchivedTable): ArchivedSpec {
  return ARCHIVED_TABLES.find((spec) => spec.table === table)!;
}

function dayCondition(spec: ArchivedSpec, day: string): RawBuilder<unknown> {
  return spec.key === 'call_day'
    ? sql`call_day = ${day}::date`
    : sql`received_at >= ${`${day} 00:00:00+00`}::timestamptz AND received_at < ${`${addDays(day, 1)} 00:00:00+00`}::timestamptz`;
}

let cursorCount = 0;

/**
 * One day's rows of a table, each as the JSON text Postgres writes for it (`to_jsonb`), in primary
 * key order, fetched from a cursor `chunkRows` at a time so memory stays bounded. The text is never
 * parsed here: numerics keep every digit, timestamps their microseconds (with the session's UTC
 * offset), bytea is `\x…` hex, and `restoreDayRows` gives Postgres the same text back.
 *
 * A cursor, not keyset chunks: `calls` is not partitioned by day and its `call_day` index holds no
 * session ids, so each keyset chunk re-read and re-sorted the whole day (quadratic in the day's
 * calls); the cursor scans and sorts it once. It lives in `trx`, whose snapshot every chunk reads.
 */
export async function* readDayRows(
  trx: Transaction<Database>,
  table: ArchivedTable,
  day: string,
  chunkRows = 2_000,
): AsyncIterable<string> {
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new RangeError(`chunkRows must be a positive integer, not ${chunkRows}`);
  const spec = specOf(table);
  const cursor = sql.id(`callpipe_day_rows_${(cursorCount += 1)}`);
  await sql`
    DECLARE ${cursor} NO SCROLL CURSOR FOR
    SELECT to_jsonb(t)::text AS line FROM ${sql.table(table)} AS t
    WHERE ${dayCondition(spec, day)}
    ORDER BY ${sql.join(spec.primaryKey.map((column) => sql.ref(column)))}`.execute(trx);
  // A failed FETCH aborts the transaction, which closes the cursor; a consumer that stops early
  // closes it here, so the transaction can go on.
  let open = true;
  try {
    for (;;) {
      const rows = await sql<{ line: string }>`FETCH FORWARD ${sql.lit(chunkRows)} FROM ${cursor}`.execute(trx).catch((error: unknown) => {
        open = false;
        throw error;
      });
      for (const row of rows.rows) yield row.line;
      if (rows.rows.length < chunkRows) return;
    }
  } finally {
    if (open) await sql`CLOSE ${cursor}`.execute(trx);
  }
}

export async function countDayRows(db: Kysely<Database> | Transaction<Database>, table: ArchivedTable, day: string): Promise<number> {
  const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE ${dayCondition(specOf(table), day)}`.execute(
    db,
  );
  return Number(rows.rows[0]!.n);
}

/**
 * Puts archived rows (lines of `readDayRows`) back: rows whose primary key is already there are
 * left as they are, so restoring twice, or into a day that still has rows, adds no duplicates.
 * Returns the rows inserted.
 */
export async function restoreDayRows(trx: Transaction<Database>, table: ArchivedTable, lines: readonly string[]): Promise<number> {
  if (lines.length === 0) return 0;
  const inserted = await insertArchivedRows(table, lines).execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}

/** The insert of both restores: each archived row whose primary key is not there yet. */
function insertArchivedRows(table: ArchivedTable, lines: readonly string[]) {
  return sql`
    INSERT INTO ${sql.table(table)}
    SELECT * FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${`[${lines.join(',')}]`}::jsonb)
    ON CONFLICT DO NOTHING`;
}

/**
 * `restoreDayRows` for `calls`, with the billing contributions of the calls it inserted, in the same
 * transaction (see `restoreBillingContributions`). Run it after the day's `cdrs` are back.
 */
export async function restoreCallRows(
  trx: Transaction<Database>,
  lines: readonly string[],
  billingTimeZone: string = DEFAULT_BILLING_TIME_ZONE,
): Promise<number> {
  if (lines.length === 0) return 0;
  const inserted = await sql<{ session_id: string }>`${insertArchivedRows('calls', lines)} RETURNING session_id`.execute(trx);
  const sessionIds = inserted.rows.map((row) => row.session_id);
  await restoreBillingContributions(trx, sessionIds, billingTimeZone);
  return sessionIds.length;
}

/**
 * The replay ledger of a restored day, from its restored `push_deliveries` rows (as migration 0004
 * backfilled it): replaying that day's file again then changes nothing, as before the day expired.
 */
export async function restoreReplayedDeliveries(db: Kysely<Database>, day: string): Promise<number> {
  const inserted = await sql`
    INSERT INTO replayed_deliveries (delivery_id, received_at)
    SELECT delivery_id, min(received_at) FROM push_deliveries
    WHERE source LIKE 'replay:%'
      AND received_at >= ${`${day} 00:00:00+00`}::timestamptz AND received_at < ${`${addDays(day, 1)} 00:00:00+00`}::timestamptz
    GROUP BY delivery_id
    ON CONFLICT (delivery_id) DO NOTHING`.execute(db);
  return Number(inserted.numAffectedRows ?? 0);
}

/** The last migration applied, which names the shape of the rows an archive holds. */
export async function latestMigration(db: Kysely<Database>): Promise<string | null> {
  const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(db);
  return rows.rows[0]?.name ?? null;
}

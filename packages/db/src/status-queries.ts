import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { migrations } from './migrations/index.ts';

export interface MigrationStatus {
  /** Applied, oldest first, with when. */
  applied: Array<{ name: string; executedAt: string }>;
  /** Known to this version and not applied yet: `callpipe migrate` applies them. */
  pending: string[];
  /** Applied by a newer version of callpipe: this one is older than the schema. */
  unknown: string[];
}

/** What kysely's Migrator would do, read without taking its lock or changing anything. */
export async function migrationStatus(db: Kysely<Database>): Promise<MigrationStatus> {
  const exists = await sql<{ table: string | null }>`SELECT to_regclass('kysely_migration')::text AS table`.execute(db);
  const rows =
    exists.rows[0]?.table == null
      ? []
      : (await sql<{ name: string; timestamp: string }>`SELECT name, timestamp FROM kysely_migration ORDER BY name`.execute(db)).rows;
  const applied = new Set(rows.map((row) => row.name));
  return {
    applied: rows
      .filter((row) => row.name in migrations)
      .map((row) => ({ name: row.name, executedAt: new Date(row.timestamp).toISOString() })),
    pending: Object.keys(migrations)
      .sort()
      .filter((name) => !applied.has(name)),
    unknown: rows.filter((row) => !(row.name in migrations)).map((row) => row.name),
  };
}

/** The server's version, e.g. `16.4 (Debian 16.4-1.pgdg120+1)`. */
export async function serverVersion(db: Kysely<Database>): Promise<string> {
  return (await sql<{ server_version: string }>`SHOW server_version`.execute(db)).rows[0]!.server_version;
}

/** Whether `callpipe migrate` has created the call tables here (an empty database has none). */
export async function hasCallTables(db: Kysely<Database>): Promise<boolean> {
  return (await sql<{ table: string | null }>`SELECT to_regclass('cdrs')::text AS table`.execute(db)).rows[0]?.table != null;
}

/**
 * App keys seen on CDRs of a service type since a UTC day, with how many CDRs each: serviceType 001
 * is notify or verify, which only CALLPIPE_APP_BUSINESS tells apart. Bounded by `call_day`, the
 * partition key, so only the recent partitions are read.
 */
export async function appsOfServiceType(
  db: Kysely<Database>,
  serviceType: string,
  sinceDay: string,
): Promise<Array<{ appKey: string | null; cdrs: number }>> {
  const rows = await db
    .selectFrom('cdrs')
    .select(['app_key', (eb) => eb.fn.countAll<string>().as('cdrs')])
    .where('service_type', '=', serviceType)
    .where('call_day', '>=', sinceDay)
    .groupBy('app_key')
    .orderBy('app_key')
    .execute();
  return rows.map((row) => ({ appKey: row.app_key, cdrs: Number(row.cdrs) }));
}

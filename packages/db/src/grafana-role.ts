import { sql, type Kysely } from 'kysely';
import { errorCode } from '@callpipe/runtime';
import { ADVISORY_LOCK } from './advisory-locks.ts';
import type { Database } from './database.ts';
import { PG_ERROR } from './sqlstate.ts';

// The role Grafana's PostgreSQL datasource logs in with: it reads the call tables and nothing else.
// Read-only three times over: only SELECT is granted, every transaction of the role starts
// `read_only`, and it owns nothing. The bytes pushes arrived as (`bytea` columns: the original
// bodies of deliveries and refusals) stay out of reach: a dashboard shows what was derived and the
// JSON payloads, and whoever needs the bytes uses `callpipe rejected show` with database rights.

/** Tables that are bookkeeping of the migrator, not data a dashboard reads. */
const NOT_FOR_DASHBOARDS = new Set(['kysely_migration', 'kysely_migration_lock']);

export interface ReadOnlyRole {
  name: string;
  password: string;
  /** Longest a dashboard query may run before Postgres cancels it. */
  statementTimeoutMs?: number;
}

export interface ReadOnlyRoleResult {
  created: boolean;
  /** Tables granted whole. */
  tables: string[];
  /** Tables granted without their `bytea` columns, with the columns withheld. */
  withheld: Record<string, string[]>;
}

/**
 * Creates the role, or resets its password and settings, and grants SELECT on every table of the
 * `public` schema as it is now: run after the migrations, so a table a migration added is covered
 * on the same run. Partitions need no grant (reading them through their parent checks the parent's),
 * so daily partitions created later are readable too. Idempotent.
 */
export async function ensureReadOnlyRole(db: Kysely<Database>, role: ReadOnlyRole): Promise<ReadOnlyRoleResult> {
  const name = sql.id(role.name);
  const created = await createRoleIfMissing(db, role.name);
  return db.transaction().execute(async (trx) => {
    // Concurrent GRANTs on one table fail with "tuple concurrently updated": one migrator at a time.
    await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.grafanaRole}, 0)`.execute(trx);
    // The password is a literal: Postgres takes no bind parameters in utility statements.
    await sql`ALTER ROLE ${name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${sql.lit(role.password)}`.execute(
      trx,
    );
    await sql`ALTER ROLE ${name} SET default_transaction_read_only = on`.execute(trx);
    await sql`ALTER ROLE ${name} SET statement_timeout = ${sql.lit(`${role.statementTimeoutMs ?? 60_000}ms`)}`.execute(trx);
    const database = await sql<{ name: string }>`SELECT current_database() AS name`.execute(trx);
    await sql`GRANT CONNECT ON DATABASE ${sql.id(database.rows[0]!.name)} TO ${name}`.execute(trx);
    await sql`GRANT USAGE ON SCHEMA public TO ${name}`.execute(trx);
    // Start from nothing so a column that became bytea, or a grant given by hand, does not linger.
    await sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${name}`.execute(trx);
    await sql`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${name}`.execute(trx);
    const columns = await sql<{ table_name: string; column_name: string; raw: boolean }>`
      SELECT c.relname AS table_name, a.attname AS column_name, a.atttypid = 'bytea'::regtype AS raw
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
      ORDER BY c.relname, a.attnum`.execute(trx);
    const byTable = new Map<string, { column: string; raw: boolean }[]>();
    for (const row of columns.rows) {
      if (NOT_FOR_DASHBOARDS.has(row.table_name)) continue;
      byTable.set(row.table_name, [...(byTable.get(row.table_name) ?? []), { column: row.column_name, raw: row.raw }]);
    }
    const result: ReadOnlyRoleResult = { created, tables: [], withheld: {} };
    for (const [table, tableColumns] of byTable) {
      const raw = tableColumns.filter((column) => column.raw).map((column) => column.column);
      if (raw.length === 0) {
        await sql`GRANT SELECT ON TABLE ${sql.id(table)} TO ${name}`.execute(trx);
        result.tables.push(table);
      } else {
        const readable = tableColumns.filter((column) => !column.raw).map((column) => sql.id(column.column));
        await sql`GRANT SELECT (${sql.join(readable)}) ON TABLE ${sql.id(table)} TO ${name}`.execute(trx);
        result.withheld[table] = raw;
      }
    }
    return result;
  });
}

async function createRoleIfMissing(db: Kysely<Database>, roleName: string): Promise<boolean> {
  const existing = await sql`SELECT 1 FROM pg_roles WHERE rolname = ${roleName}`.execute(db);
  if (existing.rows.length > 0) return false;
  try {
    await sql`CREATE ROLE ${sql.id(roleName)} NOLOGIN`.execute(db);
    return true;
  } catch (error) {
    // Two migrators starting together: the other one created it first.
    if (errorCode(error) === PG_ERROR.duplicateObject) return false;
    throw error;
  }
}

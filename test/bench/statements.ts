import type { Database } from '@callpipe/db';
import { sql, type Kysely } from 'kysely';

// Where Postgres spends its time in a run, per statement, from pg_stat_statements (loaded by
// infra/postgres/postgresql.conf). Execution time, not CPU: on this CPU-bound machine the two are
// close, and the benchmark's process CPU figures give the total to read them against.

const thisDatabase = sql`(SELECT oid FROM pg_database WHERE datname = current_database())`;

/** Forgets the statistics of `db`'s database; false when the server does not load pg_stat_statements. */
export async function resetStatementStats(db: Kysely<Database>): Promise<boolean> {
  const libraries = await sql<{ setting: string }>`SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'`.execute(db);
  const loaded = (libraries.rows[0]?.setting ?? '').split(',').some((name) => name.trim() === 'pg_stat_statements');
  if (!loaded) return false;
  await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(db);
  await sql`SELECT pg_stat_statements_reset(0, ${thisDatabase}, 0)`.execute(db);
  return true;
}

export interface StatementTime {
  /** The statement's first words, whitespace collapsed. */
  statement: string;
  calls: number;
  totalMs: number;
}

/** The statements of `db`'s database that took the most execution time since the reset. */
export async function topStatements(db: Kysely<Database>, limit: number): Promise<StatementTime[]> {
  const rows = await sql<{ query: string; calls: string; total_ms: number }>`
    SELECT query, calls::text AS calls, total_exec_time AS total_ms FROM pg_stat_statements
    WHERE dbid = ${thisDatabase} ORDER BY total_exec_time DESC LIMIT ${limit}`.execute(db);
  return rows.rows.map((row) => ({
    statement: row.query.replace(/\s+/g, ' ').trim().slice(0, 72),
    calls: Number(row.calls),
    totalMs: row.total_ms,
  }));
}

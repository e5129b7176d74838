import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

export interface DatabaseOptions {
  connectionString: string;
  /** Connections in the pool; the worker needs one per concurrent batch flush. */
  poolSize?: number;
  applicationName?: string;
  /** Fail a statement rather than let a stuck lock hold a worker forever. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createDatabase(options: DatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'callpipe',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
  });
  // An idle client losing its connection (Postgres restart) must not crash the process; the next
  // query gets a fresh connection and the caller's retry policy handles the failure.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

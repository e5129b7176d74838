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
  // A client losing its connection (Postgres restarting, failing over) emits 'error'. For an idle
  // client the pool relays it here; a checked-out client between two statements of a transaction
  // emits it on itself, where nobody listens, and that would crash the process. Either way the
  // failure also reaches the next query on that client, which the caller's retry policy handles,
  // and the pool discards the broken client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

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
  /** Told of what breaks a connection of the pool (see below): for logs, and for tests of that path. */
  onConnectionError?: (error: Error) => void;
}

const DATE_OID = 1082;

// A `date` (calls.call_day) stays the 'YYYY-MM-DD' it is: pg's default turns it into a Date at local
// midnight, which is another day in any time zone west of UTC. Per pool, not pg's global registry.
const keepText = (value: string): string => value;
const getTypeParser: typeof pg.types.getTypeParser = ((oid: number, format?: 'text' | 'binary'): unknown =>
  oid === DATE_OID && format !== 'binary'
    ? keepText
    : (pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown)(oid, format)) as typeof pg.types.getTypeParser;

export function createDatabase(options: DatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'callpipe',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    types: { getTypeParser },
  });
  // A client losing its connection (Postgres restarting, failing over) emits 'error'. For an idle
  // client the pool relays it here; a checked-out client between two statements of a transaction
  // emits it on itself, where nobody listens, and that would crash the process. Either way the
  // failure also reaches the next query on that client, which the caller's retry policy handles,
  // and the pool discards the broken client.
  const onError = options.onConnectionError ?? (() => undefined);
  pool.on('error', () => undefined); // the same error the client reports below
  pool.on('connect', (client) => {
    client.on('error', (error) => onError(error));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

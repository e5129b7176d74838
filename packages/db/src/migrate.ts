import { Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { errorCode } from '@callpipe/runtime';
import type { Database } from './database.ts';
import { parsePostgresUrl } from './postgres-url.ts';
import { connectToPrimary } from './primary-locator.ts';
import { PG_ERROR } from './sqlstate.ts';
import { migrations } from './migrations/index.ts';

/** Creates the database named in the URL when it does not exist yet, connecting to `postgres`. */
export async function ensureDatabaseExists(connectionString: string): Promise<{ created: boolean; name: string }> {
  const url = parsePostgresUrl(connectionString);
  const name = url.database;
  if (!name) throw new Error('DATABASE_URL names no database');
  // CREATE DATABASE needs the primary: the same host choice as every other connection.
  const client = await connectToPrimary(connectionString, 'postgres');
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return { created: false, name };
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    } catch (error) {
      // Two migrators starting together: the other one created it first.
      if (errorCode(error) !== PG_ERROR.duplicateDatabase) throw error;
      return { created: false, name };
    }
    return { created: true, name };
  } finally {
    await client.end();
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw new Error('database migration failed', { cause: result.error });
  return result;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export { sql };

import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@callpipe/db';
import { createPostgres, type PostgresInstance } from '../support/instances.ts';
import { REPO_ROOT } from '../support/process.ts';

// infra/postgres/postgresql.conf is the whole server configuration docker-compose and the benchmark
// start Postgres with: a misspelt or unsupported setting would stop the server from starting.
describe('infra/postgres/postgresql.conf', () => {
  let postgres: PostgresInstance;

  beforeAll(async () => {
    // Only the memory is shrunk for a test machine; the rest is the file as written.
    postgres = await createPostgres({
      configFile: join(REPO_ROOT, 'infra/postgres/postgresql.conf'),
      settings: { shared_buffers: '128MB', fsync: 'on' },
    });
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
  });

  it('when a server starts with it, then it runs with the settings the file documents', async () => {
    const db = createDatabase({ connectionString: postgres.serverUrl, poolSize: 1 });
    try {
      const names = [
        'wal_compression',
        'checkpoint_timeout',
        'max_wal_size',
        'synchronous_commit',
        'jit',
        'autovacuum_naptime',
        'config_file',
        'shared_preload_libraries',
      ];
      const rows = await sql<{ name: string; setting: string; unit: string | null }>`
        SELECT name, setting, unit FROM pg_settings WHERE name = ANY(${names}::text[]) ORDER BY name`.execute(db);
      expect(Object.fromEntries(rows.rows.map((row) => [row.name, `${row.setting}${row.unit ?? ''}`]))).toEqual({
        autovacuum_naptime: '15s',
        checkpoint_timeout: '900s',
        config_file: join(REPO_ROOT, 'infra/postgres/postgresql.conf'),
        jit: 'off',
        max_wal_size: '16384MB',
        shared_preload_libraries: 'pg_stat_statements',
        synchronous_commit: 'on',
        wal_compression: 'lz4',
      });
      // What the file loads for per-statement times can be read in a database.
      await sql`CREATE EXTENSION pg_stat_statements`.execute(db);
      await sql`SELECT count(*) FROM pg_settings`.execute(db);
      const counted = await sql<{ calls: string }>`
        SELECT sum(calls)::text AS calls FROM pg_stat_statements WHERE query LIKE 'SELECT count(*) FROM pg_settings%'`.execute(db);
      expect(Number(counted.rows[0]?.calls)).toBeGreaterThanOrEqual(1);
    } finally {
      await db.destroy();
    }
  });
});

import {
  connectToPrimary,
  createDatabase,
  ensureDatabaseExists,
  formatPostgresUrl,
  migrateToLatest,
  parsePostgresUrl,
  quoteIdentifier,
  syncReferenceData,
  withDatabase,
  type Database,
} from '@callpipe/db';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { randomUUID } from 'node:crypto';

export function databaseUrlFor(serverUrl: string, name: string): string {
  // Multi-host URLs too (the failover tests): every host kept.
  return formatPostgresUrl(withDatabase(parsePostgresUrl(serverUrl), name));
}

/** Migrates a template database once per run; each test file clones it, which takes milliseconds. */
export async function prepareTemplateDatabase(serverUrl: string): Promise<string> {
  const name = `callpipe_template_${process.pid}_${Date.now()}`;
  const url = databaseUrlFor(serverUrl, name);
  await ensureDatabaseExists(url);
  const db = createDatabase({ connectionString: url, poolSize: 1 });
  try {
    await migrateToLatest(db);
    await syncReferenceData(db);
  } finally {
    await db.destroy();
  }
  return name;
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Kysely<Database>;
  drop: () => Promise<void>;
}

export async function createTestDatabase(serverUrl: string, template: string): Promise<TestDatabase> {
  const name = `callpipe_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await withAdminClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`),
  );
  const url = databaseUrlFor(serverUrl, name);
  const db = createDatabase({ connectionString: url, poolSize: 8, applicationName: 'callpipe-test' });
  return {
    name,
    url,
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(serverUrl, name);
    },
  };
}

async function withAdminClient<T>(serverUrl: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  // A multi-host server URL (the failover tests) is reached on its primary.
  const client = await connectToPrimary(serverUrl, 'postgres');
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

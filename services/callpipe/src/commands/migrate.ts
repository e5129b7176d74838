import { createDatabase, ensureDatabaseExists, migrateToLatest, syncReferenceData } from '@callpipe/db';
import type { Logger } from '@callpipe/runtime';

/** Creates the database if it does not exist, applies pending migrations and refreshes code tables. */
export async function runMigrate(databaseUrl: string, logger: Logger): Promise<void> {
  const { created, name } = await ensureDatabaseExists(databaseUrl);
  if (created) logger.info('database created', { database: name });
  const db = createDatabase({ connectionString: databaseUrl, poolSize: 1, applicationName: 'callpipe-migrate' });
  try {
    const result = await migrateToLatest(db);
    const applied = (result.results ?? []).filter((migration) => migration.status === 'Success').map((migration) => migration.migrationName);
    await syncReferenceData(db);
    logger.info(applied.length > 0 ? 'migrations applied' : 'schema already up to date', { database: name, applied });
  } finally {
    await db.destroy();
  }
}

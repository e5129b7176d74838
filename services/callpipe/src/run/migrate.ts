import {
  createDatabase,
  ensureDatabaseExists,
  ensurePartitions,
  ensureReadOnlyRole,
  migrateToLatest,
  syncReferenceData,
} from '@callpipe/db';
import { createLogger, type Logger } from '@callpipe/runtime';
import { parseMigrateEnv } from '../env.ts';
import type { Outcome } from '../commands/context.ts';
import { archiveOption, withArchiveStore } from './archive-store.ts';
import type { PartitionsConfig } from './partitions.ts';

export async function migrate(env: NodeJS.ProcessEnv): Promise<Outcome> {
  const config = parseMigrateEnv(env);
  await runMigrate(config, createLogger({ level: config.LOG_LEVEL, bindings: { service: 'migrate' } }));
  return 0;
}

/**
 * Creates the database if it does not exist, applies pending migrations, refreshes code tables, and
 * maintains the daily partitions (the migrations create none ahead; the worker keeps them after).
 */
export interface GrafanaRoleConfig {
  CALLPIPE_GRAFANA_DB_USER: string;
  /** Empty: no Grafana role is created or changed. */
  CALLPIPE_GRAFANA_DB_PASSWORD: string;
}

export async function runMigrate(config: PartitionsConfig & Partial<GrafanaRoleConfig>, logger: Logger): Promise<void> {
  const databaseUrl = config.DATABASE_URL;
  const { created, name } = await ensureDatabaseExists(databaseUrl);
  if (created) logger.info('database created', { database: name });
  const db = createDatabase({ connectionString: databaseUrl, poolSize: 1, applicationName: 'callpipe-migrate' });
  try {
    const result = await migrateToLatest(db);
    const applied = (result.results ?? [])
      .filter((migration) => migration.status === 'Success')
      .map((migration) => migration.migrationName);
    await syncReferenceData(db);
    logger.info(applied.length > 0 ? 'migrations applied' : 'schema already up to date', { database: name, applied });
    const partitions = await withArchiveStore(config, (store) =>
      ensurePartitions(db, {
        aheadDays: config.CALLPIPE_PARTITIONS_AHEAD_DAYS,
        retentionDays: config.CALLPIPE_RETENTION_DAYS,
        ...archiveOption(db, store),
      }),
    );
    for (const failure of partitions.archiveFailed) logger.error('archive failed, the day is kept', failure);
    logger.info('partitions maintained', {
      created: partitions.created.length,
      dropped: partitions.dropped.length,
      moved: partitions.moved,
      callsDeleted: partitions.callsDeleted,
    });
    if (partitions.lockTimeout)
      logger.warn('partition maintenance could not get its locks in time; the worker retries', { step: partitions.lockTimeout });
    if (config.CALLPIPE_GRAFANA_DB_PASSWORD) {
      const role = await ensureReadOnlyRole(db, {
        name: config.CALLPIPE_GRAFANA_DB_USER ?? 'callpipe_grafana',
        password: config.CALLPIPE_GRAFANA_DB_PASSWORD,
      });
      logger.info(role.created ? 'Grafana read-only role created' : 'Grafana read-only role updated', {
        role: config.CALLPIPE_GRAFANA_DB_USER,
        tables: role.tables.length + Object.keys(role.withheld).length,
        withheld: role.withheld,
      });
    }
  } finally {
    await db.destroy();
  }
}

import { createDatabase } from '@callpipe/db';

/**
 * The connection a short command works on: named after the command in pg_stat_activity, with a
 * statement timeout so a stuck command ends, and closed whatever the work does.
 */
export async function withCommandDatabase<T>(
  databaseUrl: string,
  command: string,
  work: (db: ReturnType<typeof createDatabase>) => Promise<T>,
  poolSize = 1,
): Promise<T> {
  const db = createDatabase({
    connectionString: databaseUrl,
    poolSize,
    applicationName: `callpipe-${command}`,
    statementTimeoutMs: 120_000,
  });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

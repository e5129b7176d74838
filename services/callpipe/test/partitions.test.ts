import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDatabase, listPartitions } from '@callpipe/db';
import { createLogger } from '@callpipe/runtime';
import { databaseUrlFor, dropDatabase, testContext } from '@callpipe/testkit';
import { runMigrate } from '../src/run/migrate.ts';
import { runPartitions } from '../src/run/partitions.ts';

const context = testContext();

describe('callpipe migrate and callpipe partitions', () => {
  it('when a new database is migrated, then its daily partitions exist from yesterday to today + CALLPIPE_PARTITIONS_AHEAD_DAYS', async () => {
    const name = `callpipe_cli_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = databaseUrlFor(context.databaseServerUrl, name);
    try {
      await runMigrate(
        { DATABASE_URL: url, CALLPIPE_PARTITIONS_AHEAD_DAYS: 2, CALLPIPE_RETENTION_DAYS: 0 },
        createLogger({ level: 'silent' }),
      );
      const db = createDatabase({ connectionString: url, poolSize: 1 });
      try {
        expect(await listPartitions(db, 'cdrs')).toHaveLength(4);
      } finally {
        await db.destroy();
      }
    } finally {
      await dropDatabase(context.databaseServerUrl, name);
    }
  });

  it('when asked for maintain, then status, then it says what it did and lists the partitions with the DEFAULT rows', async () => {
    const database = await context.createDatabase();
    try {
      const config = { DATABASE_URL: database.url, CALLPIPE_PARTITIONS_AHEAD_DAYS: 3, CALLPIPE_RETENTION_DAYS: 400 };
      const maintained: string[] = [];
      expect(await runPartitions('maintain', config, (line) => maintained.push(line))).toBe(0);
      expect(maintained[0]).toBe('partitions: 20 created, 0 dropped, 0 expired calls deleted (ahead 3 days, kept 400 days)');
      const status: string[] = [];
      expect(await runPartitions('status', config, (line) => status.push(line))).toBe(0);
      const headings = status.filter((line) => !line.startsWith(' '));
      expect(headings.map((line) => line.replace(/\d{4}-\d{2}-\d{2}/g, 'DAY'))).toEqual(
        ['call_events', 'cdrs', 'push_deliveries', 'rejected_pushes'].map(
          (table) => `${table}: 5 daily partition(s), DAY … DAY; 0 row(s) in ${table}_default`,
        ),
      );
      expect(status.filter((line) => line.startsWith('  cdrs_p'))).toHaveLength(5);
    } finally {
      await database.drop();
    }
  });
});

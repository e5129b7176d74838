import { randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseUrlFor, testContext } from '@callpipe/testkit';
import { createDatabase, ensureDatabaseExists, quoteIdentifier } from '@callpipe/db';
import { migrations } from '../src/migrations/index.ts';

describe('migration 0004 (replayed_deliveries) on a database with replays stored before it', () => {
  it('when applied, then the ledger holds every replayed delivery id once, with its earliest receive time, and no live one', async () => {
    const server = testContext().databaseServerUrl;
    const name = `callpipe_m0004_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = databaseUrlFor(server, name);
    await ensureDatabaseExists(url);
    const db = createDatabase({ connectionString: url, poolSize: 1 });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
      const to0003 = await migrator.migrateTo('0003_field_anomalies');
      if (to0003.error) throw new Error('migrating to 0003 failed', { cause: to0003.error });
      const [replayedTwice, replayedOnce, live] = [randomUUID(), randomUUID(), randomUUID()];
      // A replayed id can be on two days (the old per-id lock made that impossible, but rows from
      // before it may exist); the earliest receive is kept.
      await sql`
        INSERT INTO push_deliveries (delivery_id, push_kind, source, received_at, record_count) VALUES
          (${replayedTwice}, 'fee', 'replay:a.csv', '2024-06-10T08:00:00Z', 1),
          (${replayedTwice}, 'fee', 'replay:a.csv', '2024-06-12T08:00:00Z', 1),
          (${replayedOnce}, 'fee', 'replay:stdin', '2024-06-11T08:00:00Z', 1),
          (${live}, 'status', 'http:/voicecall/events', '2024-06-11T09:00:00Z', 1)`.execute(db);

      const latest = await migrator.migrateToLatest();
      if (latest.error) throw new Error('migrating to the latest failed', { cause: latest.error });
      const ledger = await sql<{ delivery_id: string; received_at: Date }>`
        SELECT delivery_id, received_at FROM replayed_deliveries ORDER BY received_at`.execute(db);
      expect(ledger.rows).toEqual([
        { delivery_id: replayedTwice, received_at: new Date('2024-06-10T08:00:00Z') },
        { delivery_id: replayedOnce, received_at: new Date('2024-06-11T08:00:00Z') },
      ]);

      const down = await migrator.migrateTo('0003_field_anomalies');
      if (down.error) throw new Error('rolling back to 0003 failed', { cause: down.error });
      const table = await sql<{ oid: string | null }>`SELECT to_regclass('replayed_deliveries')::text AS oid`.execute(db);
      expect(table.rows[0]!.oid).toBeNull();
    } finally {
      await db.destroy();
      const admin = new pg.Client({ connectionString: databaseUrlFor(server, 'postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext } from '@callpipe/testkit';
import { acceptedDelivery, createDatabase, storeDeliveries, type AcceptedDelivery, type Database } from '@callpipe/db';
import { migrations } from '../src/migrations/index.ts';

const context = testContext();

function deliveryOf(push: Push): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), { businessByAppKey: demoBusinessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: '2024-06-11T03:00:00.000Z' }, verdict);
}

async function tables(db: Kysely<Database>) {
  const calls = await db.selectFrom('calls').selectAll().orderBy('session_id').execute();
  const contributions = await db.selectFrom('billing_contributions').selectAll().orderBy('session_id').execute();
  const daily = await db.selectFrom('billing_daily').selectAll().orderBy(['billing_day', 'app_key', 'business', 'currency']).execute();
  return {
    calls: calls.map(({ updated_at: _u, ...row }) => row),
    contributions,
    daily: daily.map(({ updated_at: _u, ...row }) => row),
  };
}

async function keysOf(db: Kysely<Database>) {
  const rows = await sql<{ table: string; index: string; primary: boolean }>`
    SELECT c.relname AS table, i.relname AS index, x.indisprimary AS primary
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
    WHERE c.relname IN ('calls', 'billing_contributions') AND x.indisunique ORDER BY 1, 2`.execute(db);
  return rows.rows;
}

// The rows 0009 stores are the rows 0010 stores (the migration changes keys, not columns), so the
// 0009-era data is written by the store and the schema taken back to 0009 around it.
describe('migration 0010 (calls keyed by call time) on a database with 0009-era data', () => {
  it('when applied and rolled back, then every row is kept, the keys change, and the store goes on as on a new database', async () => {
    const populated = await context.createDatabase();
    const reference = await context.createDatabase();
    const db = createDatabase({ connectionString: populated.url, poolSize: 2 });
    const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    try {
      const calls = generateCalls(31, 60, { lossProbability: 0.2 });
      const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
      const before = pushes.filter((_, index) => index % 3 !== 0);
      const after = pushes.filter((_, index) => index % 3 === 0);
      for (const target of [db, reference.db]) await storeDeliveries(target, before.map(deliveryOf));

      expect((await migrator.migrateTo('0009_recordings')).error).toBeUndefined();
      expect(await keysOf(db)).toEqual([
        { table: 'billing_contributions', index: 'billing_contributions_pkey', primary: true },
        { table: 'calls', index: 'calls_pkey', primary: true },
      ]);
      const at0009 = await tables(db);
      expect(at0009.calls.length).toBeGreaterThan(40);

      expect((await migrator.migrateTo('0010_calls_keyed_by_call_time')).error).toBeUndefined();
      expect(await keysOf(db)).toEqual([
        { table: 'billing_contributions', index: 'billing_contributions_call_key', primary: false },
        { table: 'calls', index: 'calls_call_key', primary: false },
      ]);
      expect(await tables(db)).toEqual(at0009);

      // Redeliveries of what is there and the rest of the calls' pushes, on both databases.
      for (const target of [db, reference.db]) await storeDeliveries(target, [...after, ...before.slice(0, 20)].map(deliveryOf));
      const migrated = await tables(db);
      const fresh = await tables(reference.db);
      const withoutCreation = (rows: typeof migrated) => ({ ...rows, calls: rows.calls.map(({ created_at: _c, ...row }) => row) });
      expect(withoutCreation(migrated)).toEqual(withoutCreation(fresh));
      expect(migrated.calls.filter((row) => row.has_cdr).length).toBeGreaterThan(0);

      expect((await migrator.migrateTo('0009_recordings')).error).toBeUndefined();
      expect(await keysOf(db)).toEqual([
        { table: 'billing_contributions', index: 'billing_contributions_pkey', primary: true },
        { table: 'calls', index: 'calls_pkey', primary: true },
      ]);
      expect(await tables(db)).toEqual(migrated);
      const leftover = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_proc WHERE proname = 'callpipe_call_order'`.execute(db);
      expect(Number(leftover.rows[0]!.n)).toBe(0);
    } finally {
      await db.destroy();
      await Promise.all([populated.drop(), reference.drop()]);
    }
  });
});

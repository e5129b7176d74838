import { ensurePartitions, listPartitions, type Database } from '@callpipe/db';
import { generateCalls } from '@callpipe/fixtures';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { count, csvOf, fullSnapshot, replayFiles, storeLive, databaseAndFiles } from './support.ts';

const DAY_MS = 86_400_000;

/** The replay ledger and the push_deliveries rows of replays, which it must mirror one for one. */
async function ledgers(db: Kysely<Database>) {
  const replayed = await db.selectFrom('replayed_deliveries').select(['delivery_id', 'received_at']).orderBy('delivery_id').execute();
  const deliveries = await db
    .selectFrom('push_deliveries')
    .select(['delivery_id', 'received_at'])
    .where('source', 'like', 'replay:%')
    .orderBy('delivery_id')
    .execute();
  return { replayed, deliveries };
}

/** Moves what replays stored `days` back, as if the file had been replayed then (both ledgers, same times). */
async function ageReplays(db: Kysely<Database>, days: number): Promise<void> {
  await sql`UPDATE push_deliveries SET received_at = received_at - ${days} * interval '1 day' WHERE source LIKE 'replay:%'`.execute(db);
  await sql`UPDATE replayed_deliveries SET received_at = received_at - ${days} * interval '1 day'`.execute(db);
}

describe('the replay ledger (replayed_deliveries)', () => {
  const fixture = databaseAndFiles();

  it('when a file is replayed twice, then the ledger holds each replayed delivery once, in step with push_deliveries, and the second run changes nothing', async () => {
    const cdrs = generateCalls(401, 40).map((call) => call.cdr);
    const path = await fixture.files.write('twice.csv', csvOf(cdrs));
    const first = await replayFiles(fixture.database.db, [path], { batchSize: 7 });
    const before = { ...(await fullSnapshot(fixture.database.db)), ...(await ledgers(fixture.database.db)) };
    const second = await replayFiles(fixture.database.db, [path], { batchSize: 7 });
    const after = { ...(await fullSnapshot(fixture.database.db)), ...(await ledgers(fixture.database.db)) };

    expect(first.summary.stored).toMatchObject({ deliveriesStored: 40, cdrsInserted: 40 });
    expect(second.summary.stored).toMatchObject({
      deliveriesStored: 0,
      deliveriesAlreadyReplayed: 40,
      cdrsInserted: 0,
      cdrsRedelivered: 0,
    });
    expect(after).toEqual(before);
    expect(before.replayed).toHaveLength(40);
    expect(before.replayed).toEqual(before.deliveries);
  });

  it('when the same file is replayed by two runs at once, then every delivery is stored once and each CDR counted once', async () => {
    const cdrs = generateCalls(402, 300).map((call) => call.cdr);
    const path = await fixture.files.write('racing.csv', csvOf(cdrs));
    const sessions = cdrs.map((cdr) => String(cdr['sessionId']));
    const runs = await Promise.all([
      replayFiles(fixture.database.db, [path], { batchSize: 25 }),
      replayFiles(fixture.database.db, [path], { batchSize: 40 }),
    ]);

    const stored = runs.map((run) => run.summary.stored!);
    expect(stored[0]!.deliveriesStored + stored[1]!.deliveriesStored).toBe(300);
    expect(stored[0]!.deliveriesAlreadyReplayed + stored[1]!.deliveriesAlreadyReplayed).toBe(300);
    const rows = await fixture.database.db
      .selectFrom('cdrs')
      .select(['session_id', 'delivery_count'])
      .where('session_id', 'in', sessions)
      .execute();
    expect(rows).toHaveLength(300);
    expect(rows.every((row) => row.delivery_count === 1)).toBe(true);
    const { replayed, deliveries } = await ledgers(fixture.database.db);
    expect(replayed).toEqual(deliveries);
  });

  it('when CDRs arrived live and are replayed twice, then each gets exactly one more delivery', async () => {
    const calls = generateCalls(403, 30);
    await storeLive(
      fixture.database.db,
      calls.map((call) => ({ eventType: 'fee', feeLst: [call.cdr] })),
    );
    const path = await fixture.files.write('after-live.csv', csvOf(calls.map((call) => call.cdr)));
    const first = await replayFiles(fixture.database.db, [path]);
    const second = await replayFiles(fixture.database.db, [path]);

    expect(first.summary.stored).toMatchObject({ deliveriesStored: 30, cdrsInserted: 0, cdrsRedelivered: 30 });
    expect(second.summary.stored).toMatchObject({ deliveriesStored: 0, deliveriesAlreadyReplayed: 30, cdrsRedelivered: 0 });
    const rows = await fixture.database.db
      .selectFrom('cdrs')
      .select('delivery_count')
      .where(
        'session_id',
        'in',
        calls.map((call) => call.sessionId),
      )
      .execute();
    expect(rows.map((row) => row.delivery_count)).toEqual(Array.from({ length: 30 }, () => 2));
  });
});

/**
 * Daily push_deliveries partitions for each of the last `days` days, named and bounded as the
 * maintenance makes them, in one statement (the maintenance takes a transaction per partition, and
 * only this table's partitions are what the exactly-once check of replays used to scan).
 */
async function createPushDeliveriesPartitions(db: Kysely<Database>, days: number): Promise<void> {
  await sql`
    DO $$
    DECLARE day date;
    BEGIN
      FOR day IN SELECT d::date FROM generate_series(current_date - ${sql.lit(days)}, current_date, interval '1 day') d LOOP
        IF to_regclass('push_deliveries_p' || to_char(day, 'YYYYMMDD')) IS NULL THEN
          EXECUTE format('CREATE TABLE %I PARTITION OF push_deliveries FOR VALUES FROM (%L) TO (%L)',
            'push_deliveries_p' || to_char(day, 'YYYYMMDD'), day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
        END IF;
      END LOOP;
    END $$`.execute(db);
}

describe('replay with a year of daily partitions', () => {
  const fixture = databaseAndFiles();

  it(
    'when 400 daily partitions exist and the file was replayed 300 days ago, then a replay today recognises every delivery',
    { timeout: 120_000 },
    async () => {
      await createPushDeliveriesPartitions(fixture.database.db, 400);
      expect((await listPartitions(fixture.database.db, 'push_deliveries')).length).toBeGreaterThanOrEqual(400);
      const cdrs = generateCalls(404, 50).map((call) => call.cdr);
      const path = await fixture.files.write('year.csv', csvOf(cdrs));
      const first = await replayFiles(fixture.database.db, [path]);
      await ageReplays(fixture.database.db, 300);
      const before = await fullSnapshot(fixture.database.db);
      const again = await replayFiles(fixture.database.db, [path]);

      expect(first.summary.stored).toMatchObject({ deliveriesStored: 50 });
      expect(again.summary.stored).toMatchObject({ deliveriesStored: 0, deliveriesAlreadyReplayed: 50, cdrsRedelivered: 0 });
      expect(await fullSnapshot(fixture.database.db)).toEqual(before);
    },
  );
});

describe('retention and the replay ledger', () => {
  const fixture = databaseAndFiles();

  it('when the retention drops the days a file was replayed on, then their ledger rows go too, and a new replay of the file is a new delivery', async () => {
    const cdrs = generateCalls(405, 20).map((call) => call.cdr);
    const oldPath = await fixture.files.write('old.csv', csvOf(cdrs.slice(0, 10)));
    const recentPath = await fixture.files.write('recent.csv', csvOf(cdrs.slice(10)));
    await ensurePartitions(fixture.database.db, { now: new Date(Date.now() - 20 * DAY_MS), aheadDays: 21, retentionDays: 0 });
    await replayFiles(fixture.database.db, [oldPath]);
    await ageReplays(fixture.database.db, 10);
    await replayFiles(fixture.database.db, [recentPath]);
    expect((await ledgers(fixture.database.db)).replayed).toHaveLength(20);

    const result = await ensurePartitions(fixture.database.db, { aheadDays: 1, retentionDays: 5 });
    expect(result.replayedDeliveriesDeleted).toBe(10);
    const { replayed, deliveries } = await ledgers(fixture.database.db);
    expect(replayed).toHaveLength(10);
    expect(replayed).toEqual(deliveries);

    const oldAgain = await replayFiles(fixture.database.db, [oldPath]);
    const recentAgain = await replayFiles(fixture.database.db, [recentPath]);
    expect(oldAgain.summary.stored).toMatchObject({ deliveriesStored: 10, deliveriesAlreadyReplayed: 0 });
    expect(recentAgain.summary.stored).toMatchObject({ deliveriesStored: 0, deliveriesAlreadyReplayed: 10 });
    expect(await count(fixture.database.db, 'push_deliveries')).toBe(20);
  });
});

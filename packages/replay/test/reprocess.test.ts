import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { demoAppKeys, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { reprocessCalls } from '../src/index.ts';
import { businessByAppKey, contentSnapshot, fullSnapshot, storeLive } from './support.ts';

const context = testContext();
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});

async function storedCalls(
  seed: number,
  count: number,
  options = { businessByAppKey },
): Promise<{ database: TestDatabase; sessionIds: string[] }> {
  const database = await context.createDatabase();
  databases.push(database);
  const calls = generateCalls(seed, count, { lossProbability: 0.1, unmappedAppKeyProbability: 0.1 });
  const cdrPushes = calls.map((call): Push => ({ eventType: 'fee', feeLst: [call.cdr] }));
  // Every third CDR re-pushed, so delivery counts are not all 1.
  await storeLive(
    database.db,
    [...calls.flatMap((call) => call.statusPushes), ...cdrPushes, ...cdrPushes.filter((_, index) => index % 3 === 0)],
    options,
  );
  return { database, sessionIds: calls.map((call) => call.sessionId) };
}

describe('reprocessCalls', () => {
  it('when derived columns were damaged (as by an old normalization bug), then reprocessing restores them and leaves delivery bookkeeping alone', async () => {
    const { database, sessionIds } = await storedCalls(101, 80);
    const db = database.db;
    const pristine = await fullSnapshot(db);
    const damaged = sessionIds.filter((_, index) => index % 2 === 0);
    await sql`UPDATE calls SET outcome = 'failed', talk_seconds = NULL, business = NULL, business_source = NULL WHERE session_id = ANY(${damaged}::text[])`.execute(
      db,
    );
    await sql`UPDATE cdrs SET billable_minutes = 9999, ring_seconds = NULL, ul_fail_reason_desc = 'old text' WHERE session_id = ANY(${damaged}::text[])`.execute(
      db,
    );
    const broken = await fullSnapshot(db);

    const dryRun = await reprocessCalls(db, {}, { businessByAppKey, dryRun: true });
    expect(dryRun).toMatchObject({
      dryRun: true,
      callsExamined: 80,
      callsChanged: damaged.length,
      cdrsExamined: 80,
      cdrsChanged: damaged.length,
      unreadable: 0,
    });
    expect(await fullSnapshot(db)).toEqual(broken);

    const result = await reprocessCalls(db, {}, { businessByAppKey, batchSize: 17 });
    expect(result).toMatchObject({ dryRun: false, callsChanged: damaged.length, cdrsChanged: damaged.length, unreadable: 0 });
    expect(result.changedColumns).toMatchObject({
      'calls.business': damaged.length,
      'cdrs.billable_minutes': damaged.length,
      'cdrs.ul_fail_reason_desc': damaged.length,
    });
    const after = await fullSnapshot(db);
    expect(after.calls.map(({ updated_at: _u, ...row }) => row)).toEqual(pristine.calls.map(({ updated_at: _u, ...row }) => row));
    expect(after.cdrs).toEqual(pristine.cdrs);
    expect(after.events).toEqual(pristine.events);
    expect(after.deliveries).toEqual(pristine.deliveries);
    expect(after.cdrs.some((row) => row.delivery_count === 2)).toBe(true);

    const again = await reprocessCalls(db, {}, { businessByAppKey });
    expect(again).toMatchObject({ callsExamined: 80, callsChanged: 0, cdrsChanged: 0 });
  });

  it('when the app → business map is corrected, then reprocessing yields exactly what live deliveries with the corrected map yield', async () => {
    const [{ database: stale }, { database: correct }] = await Promise.all([
      storedCalls(102, 60, { businessByAppKey: new Map() }),
      storedCalls(102, 60),
    ]);
    const result = await reprocessCalls(stale.db, {}, { businessByAppKey });
    expect(result.callsChanged).toBeGreaterThan(0);
    expect(result.changedColumns['calls.business']).toBeGreaterThan(0);
    expect(await contentSnapshot(stale.db)).toEqual(await contentSnapshot(correct.db));
  });

  it('when filtered by app key, business or time, then only the selected calls are re-derived', async () => {
    const { database } = await storedCalls(103, 90);
    const db = database.db;
    const damage = () => sql`UPDATE calls SET outcome = 'failed' WHERE outcome <> 'failed'`.execute(db);
    const damagedIn = async (where: ReturnType<typeof sql<boolean>>) =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE outcome = 'failed' AND ${where}`.execute(db)).rows[0]!.n);
    await damage();
    const verifyBefore = await damagedIn(sql<boolean>`app_key = ${demoAppKeys.verify}`);
    const byAppKey = await reprocessCalls(db, { appKey: demoAppKeys.verify }, { businessByAppKey });
    expect(byAppKey.callsExamined).toBe(
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE app_key = ${demoAppKeys.verify}`.execute(db)).rows[0]!.n),
    );
    expect(byAppKey.callsChanged).toBeGreaterThan(0);
    expect(await damagedIn(sql<boolean>`app_key = ${demoAppKeys.verify}`)).toBe(verifyBefore - byAppKey.callsChanged);
    const othersStillDamaged = await damagedIn(sql<boolean>`app_key IS DISTINCT FROM ${demoAppKeys.verify}`);
    expect(othersStillDamaged).toBe(
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE app_key IS DISTINCT FROM ${demoAppKeys.verify}`.execute(db))
          .rows[0]!.n,
      ),
    );

    const byBusiness = await reprocessCalls(db, { business: 'notify' }, { businessByAppKey });
    expect(byBusiness.callsChanged).toBeGreaterThan(0);

    const from = '2024-06-11T02:01:00.000Z';
    const to = '2024-06-11T02:02:00.000Z';
    const inRange = sql<boolean>`COALESCE(started_at, ended_at) >= ${from}::timestamptz AND COALESCE(started_at, ended_at) < ${to}::timestamptz`;
    await damage();
    const byTime = await reprocessCalls(db, { from, to }, { businessByAppKey });
    expect(byTime.callsExamined).toBeGreaterThan(0);
    expect(byTime.callsExamined).toBeLessThan(90);
    expect(await damagedIn(inRange)).toBe(
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE outcome = 'failed' AND ${inRange}`.execute(db)).rows[0]!.n),
    );
    const restoredInRange = Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE outcome <> 'failed' AND ${inRange}`.execute(db)).rows[0]!.n,
    );
    expect(restoredInRange).toBe(byTime.callsChanged);
    expect(
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM calls WHERE outcome <> 'failed' AND NOT (${inRange})`.execute(db)).rows[0]!.n,
      ),
    ).toBe(0);
  });

  it('when a stored record no longer passes validation, then that call is left as it is and reported', async () => {
    const { database, sessionIds } = await storedCalls(104, 10);
    const [victim] = sessionIds;
    await sql`UPDATE cdrs SET record = jsonb_set(record, '{sessionId}', '""') WHERE session_id = ${victim!}`.execute(database.db);
    await sql`UPDATE calls SET outcome = 'failed' WHERE session_id = ${victim!}`.execute(database.db);
    const result = await reprocessCalls(database.db, {}, { businessByAppKey });
    expect(result).toMatchObject({
      callsExamined: 10,
      unreadable: 1,
      unreadableExamples: [{ sessionId: victim, reason: expect.stringContaining('[invalid_session_id]') as string }],
    });
    const row = await database.db.selectFrom('calls').select('outcome').where('session_id', '=', victim!).executeTakeFirstOrThrow();
    expect(row.outcome).toBe('failed');
  });

  it('when stored payloads hold spellings an older model mis-derived, then reprocessing re-derives event and CDR columns and their anomalies', async () => {
    const { database, sessionIds } = await storedCalls(105, 6);
    const db = database.db;
    const [target] = sessionIds;
    const { event_key: eventKey } = await db
      .selectFrom('call_events')
      .select('event_key')
      .where('session_id', '=', target!)
      .orderBy('event_key')
      .limit(1)
      .executeTakeFirstOrThrow();
    // As an older model would have left them: the ISO spellings stored raw, the columns NULL, no anomalies.
    await sql`UPDATE call_events SET payload = jsonb_set(payload, '{statusInfo,timestamp}', '"2024-06-11T02:31:23Z"'),
      event_at = NULL, anomalies = '[]' WHERE session_id = ${target!} AND event_key = ${eventKey}`.execute(db);
    await sql`UPDATE cdrs SET record = jsonb_set(record, '{callEndTime}', '"2024-06-11T02:33:02+08:00"'),
      call_end_time = NULL, anomalies = '[]' WHERE session_id = ${target!}`.execute(db);
    const result = await reprocessCalls(db, {}, { businessByAppKey });
    expect(result.unreadable).toBe(0);
    expect(result.changedColumns).toMatchObject({
      'call_events.event_at': 1,
      'call_events.anomalies': 1,
      'cdrs.call_end_time': 1,
      'cdrs.anomalies': 1,
    });
    const event = await db
      .selectFrom('call_events')
      .select(['event_at', 'anomalies'])
      .where('session_id', '=', target!)
      .where('event_key', '=', eventKey)
      .executeTakeFirstOrThrow();
    expect(event.event_at?.toISOString()).toBe('2024-06-11T02:31:23.000Z');
    expect(event.anomalies).toEqual([{ field: 'timestamp', code: 'time_iso8601', value: '2024-06-11T02:31:23Z' }]);
    const cdr = await db
      .selectFrom('cdrs')
      .select(['call_end_time', 'anomalies'])
      .where('session_id', '=', target!)
      .executeTakeFirstOrThrow();
    expect(cdr.call_end_time?.toISOString()).toBe('2024-06-10T18:33:02.000Z');
    expect(cdr.anomalies).toEqual([{ field: 'callEndTime', code: 'time_iso8601', value: '2024-06-11T02:33:02+08:00' }]);
    // A second run finds nothing more to change.
    const again = await reprocessCalls(db, {}, { businessByAppKey });
    expect(again).toMatchObject({ callsChanged: 0, cdrsChanged: 0, eventsChanged: 0 });
  });
});

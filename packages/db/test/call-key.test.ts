import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePush, type CallFacts } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import {
  acceptedDelivery,
  createDatabase,
  ensurePartitions,
  exportCallEvents,
  readStoredCalls,
  selectCallIds,
  storeDeliveries,
  updateCallRows,
  type AcceptedDelivery,
  type Database,
} from '@callpipe/db';
import { callRow } from '../src/call-row.ts';

const context = testContext();
const HISTORY_CALLS = 200_000;
const NOW = new Date('2024-06-11T03:00:00.000Z');

function deliveryOf(push: Push, receivedAt = NOW.toISOString()): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), { businessByAppKey: demoBusinessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt }, verdict);
}

/** Sequential scans of calls and billing_contributions so far, as the statistics have them. */
async function tableScans(db: Kysely<Database>): Promise<Record<string, number>> {
  // This backend's counts reach the shared statistics at the end of the next transaction.
  await sql`SELECT pg_stat_force_next_flush()`.execute(db);
  const rows = await sql<{ relname: string; seq_scan: string }>`
    SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname IN ('calls', 'billing_contributions')`.execute(db);
  return Object.fromEntries(rows.rows.map((row) => [row.relname, Number(row.seq_scan)]));
}

// Migration 0010: calls and billing_contributions are unique on (callpipe_call_order(session_id),
// session_id). A statement that looks a call up by session_id alone would read the whole table.
describe('calls keyed by (call time, session id)', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await context.createDatabase();
    // One connection: every statement below is counted in the statistics read back on it.
    db = createDatabase({ connectionString: database.url, poolSize: 1 });
    await ensurePartitions(db, { now: NOW, aheadDays: 1, retentionDays: 0 });
    // History large enough that reading the table costs far more than an index probe per call, so a
    // planner given only session_id would choose the scan; 50 calls on a day the retention expires.
    await sql`
      INSERT INTO calls (session_id, business, business_source, app_key, state, outcome, started_at, ended_at, has_cdr, leg_count, facts, call_day)
      SELECT t.id, 'notify', 'app_key', 'history-app', 'ended', 'answered', t.at, t.at + interval '60 s', true, 1,
        jsonb_build_object('sessionId', t.id), CASE WHEN g <= 50 THEN date '2023-01-01' ELSE (t.at AT TIME ZONE 'UTC')::date END
      FROM generate_series(1, ${HISTORY_CALLS}::int) g,
        LATERAL (SELECT timestamptz '2024-06-10 00:00:00+00' - (g % 30) * interval '1 day' + (g % 86000) * interval '1 s' AS at) a,
        LATERAL (SELECT a.at, '1201_' || lpad((g % 10000)::text, 4, '0') || '_4294967295_' || to_char(a.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS')
          || '@callenabler245.huaweicaas.com#history-' || g AS id) t`.execute(db);
    await sql`
      INSERT INTO billing_contributions (session_id, billing_day, app_key, business, currency, calls, answered, unanswered, failed,
        talk_seconds, call_out_minutes, fwd_minutes, cdrs, cdrs_missing, cost)
      SELECT session_id, call_day, 'history-app', 'notify', '', 1, 1, 0, 0, 60, 1, 0, 0, 0, NULL FROM calls`.execute(db);
    await sql`ANALYZE calls, billing_contributions`.execute(db);
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('when the store, reprocess, retention and export find calls by session id, then no statement reads a whole table', async () => {
    const before = await tableScans(db);

    const calls = generateCalls(11, 30, { lossProbability: 0 });
    const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
    await storeDeliveries(
      db,
      pushes.slice(0, Math.floor(pushes.length / 2)).map((push) => deliveryOf(push)),
    );
    // The rest: new calls and calls that exist now, each looked up, locked and updated.
    await storeDeliveries(
      db,
      pushes.slice(Math.floor(pushes.length / 2)).map((push) => deliveryOf(push)),
    );

    const firstPage = await selectCallIds(db, {}, null, 20);
    const secondPage = await selectCallIds(db, {}, firstPage.at(-1)!, 20);
    expect(new Set([...firstPage, ...secondPage]).size).toBe(40);
    await db.transaction().execute(async (trx) => {
      const stored = await readStoredCalls(trx, [...secondPage, calls[0]!.sessionId], { lock: true });
      expect(stored.calls).toHaveLength(21);
      // History rows carry no facts to derive from; the stored call is written back as it is.
      const ours = stored.calls.filter((row) => row.session_id === calls[0]!.sessionId);
      await updateCallRows(
        trx,
        ours.map((row) => callRow(row.facts as CallFacts)),
      );
    });

    const maintenance = await ensurePartitions(db, { now: NOW, aheadDays: 1, retentionDays: 400 });
    expect(maintenance.callsDeleted).toBe(50);

    const exported: unknown[] = [];
    await exportCallEvents(
      db,
      { from: new Date('2024-06-11T00:00:00Z'), to: new Date('2024-06-12T00:00:00Z'), appKey: calls[0]!.cdr.appKey as string },
      { pageSize: 100, onPage: async (rows) => void exported.push(...rows) },
    );
    expect(exported.length).toBeGreaterThan(0);

    expect(await tableScans(db)).toEqual(before);
  });

  it("when a session id has no '@' (so no time before it), then it is one call like any other: stored once, found again, updated", async () => {
    const [call] = generateCalls(12, 1, { lossProbability: 0 });
    const plainId = `no-time-in-this-id-${randomUUID()}`;
    const renamed = (push: Push): Push => JSON.parse(JSON.stringify(push).replaceAll(call!.sessionId, plainId)) as Push;
    const [callout, ...rest] = call!.statusPushes;
    await storeDeliveries(db, [deliveryOf(renamed(callout!))]);
    await storeDeliveries(
      db,
      [...rest, { eventType: 'fee' as const, feeLst: [call!.cdr] }].map((push) => deliveryOf(renamed(push))),
    );
    await storeDeliveries(db, [deliveryOf(renamed(callout!))]);
    const rows = await db.selectFrom('calls').select(['state', 'has_cdr']).where('session_id', '=', plainId).execute();
    expect(rows).toEqual([{ state: 'ended', has_cdr: true }]);
    const order = await sql<{ key: string }>`SELECT callpipe_call_order(${plainId}) AS key`.execute(db);
    expect(order.rows[0]!.key).toBe('');
  });

  it("when callpipe_call_order reads a session id, then it gives the 14 characters before the first '@', else ''", async () => {
    const cases: Array<[string, string]> = [
      // voicecall-push-spec.md §1.6: the example id, whose 14-digit part is the call's UTC start.
      ['1201_612_4294967295_20190124030424@callenabler245.huaweicaas.com', '20190124030424'],
      // The same with a tail after the host, as @callpipe/fixtures makes ids unique.
      ['1201_612_4294967295_20190124030424@callenabler245.huaweicaas.com#17-3', '20190124030424'],
      // Other shapes get some other key; only the order of the index depends on it.
      ['1201_612_4294967295_2019012403042@callenabler245.huaweicaas.com', '_2019012403042'],
      ['short@host', 'short'],
      ['20190124030424', ''],
      ['', ''],
    ];
    for (const [id, key] of cases) {
      const result = await sql<{ key: string }>`SELECT callpipe_call_order(${id}) AS key`.execute(db);
      expect(result.rows[0]!.key, id).toBe(key);
    }
  });
});

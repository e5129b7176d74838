import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import {
  acceptedDelivery,
  createDatabase,
  ensurePartitions,
  listPartitions,
  storeDeliveries,
  storeRejectedPushes,
  type AcceptedDelivery,
  type Database,
} from '@callpipe/db';

const context = testContext();
const options = { businessByAppKey: demoBusinessByAppKey };

function deliveryOf(push: Push, receivedAt: string, extra: { deliveryId?: string; receivedAtVaries?: boolean } = {}): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery(
    {
      deliveryId: extra.deliveryId ?? randomUUID(),
      source: 'test',
      receivedAt,
      ...(extra.receivedAtVaries ? { receivedAtVaries: true } : {}),
    },
    verdict,
  );
}

const at = (day: string, time = '03:00:00') => `${day}T${time}.000Z`;

async function partitionOf(db: Kysely<Database>, table: 'cdrs' | 'call_events', sessionId: string): Promise<string[]> {
  const rows = await sql<{
    partition: string;
  }>`SELECT tableoid::regclass::text AS partition FROM ${sql.table(table)} WHERE session_id = ${sessionId}`.execute(db);
  return rows.rows.map((row) => row.partition);
}

describe('ensurePartitions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when run, then it creates daily partitions from yesterday to today + aheadDays for every table, and a second run creates nothing', async () => {
    const now = new Date('2024-06-11T15:00:00Z');
    const first = await ensurePartitions(database.db, { now, aheadDays: 3, retentionDays: 0 });
    expect(first).toMatchObject({ contended: false, lockTimeout: null, dropped: [], moved: [] });
    expect(first.created).toHaveLength(4 * 5);
    for (const table of ['call_events', 'cdrs', 'push_deliveries', 'rejected_pushes'] as const) {
      expect((await listPartitions(database.db, table)).map((p) => p.name)).toEqual(
        ['10', '11', '12', '13', '14'].map((d) => `${table}_p202406${d}`),
      );
    }
    const again = await ensurePartitions(database.db, { now, aheadDays: 3, retentionDays: 0 });
    expect(again.created).toEqual([]);
    // A receive time at 23:59:59.999 UTC and one at midnight fall into their own UTC days.
    await storeDeliveries(database.db, [
      deliveryOf({ eventType: 'fee', feeLst: [generateCalls(1, 1)[0]!.cdr] }, '2024-06-11T23:59:59.999Z'),
      deliveryOf({ eventType: 'fee', feeLst: [generateCalls(2, 1)[0]!.cdr] }, '2024-06-12T00:00:00.000Z'),
    ]);
    const placed = await sql<{ partition: string; n: string }>`
      SELECT tableoid::regclass::text AS partition, count(*) AS n FROM push_deliveries GROUP BY 1 ORDER BY 1`.execute(database.db);
    expect(placed.rows).toEqual([
      { partition: 'push_deliveries_p20240611', n: '1' },
      { partition: 'push_deliveries_p20240612', n: '1' },
    ]);
  });

  it('when several runners start at once, then none fails and the partitions exist once', async () => {
    const fresh = await context.createDatabase();
    try {
      const now = new Date('2024-07-01T00:00:00Z');
      const runs = await Promise.all(Array.from({ length: 4 }, () => ensurePartitions(fresh.db, { now, aheadDays: 7, retentionDays: 0 })));
      const created = runs.flatMap((run) => run.created);
      expect(new Set(created).size).toBe(created.length);
      // A runner that met another one's lock stopped; the one that did not finished the job.
      expect(runs.some((run) => !run.contended)).toBe(true);
      for (const table of ['call_events', 'cdrs', 'push_deliveries', 'rejected_pushes'] as const)
        expect(await listPartitions(fresh.db, table)).toHaveLength(9);
      expect((await ensurePartitions(fresh.db, { now, aheadDays: 7, retentionDays: 0 })).created).toEqual([]);
    } finally {
      await fresh.drop();
    }
  });

  it('when the retention passes, then expired partitions are dropped and expired calls deleted, and younger ones kept', async () => {
    const fresh = await context.createDatabase();
    try {
      const [old, young] = generateCalls(5, 2);
      await ensurePartitions(fresh.db, { now: new Date('2024-03-01T00:00:00Z'), aheadDays: 30, retentionDays: 0 });
      await storeDeliveries(fresh.db, [
        deliveryOf({ eventType: 'fee', feeLst: [old!.cdr] }, at('2024-03-02')),
        deliveryOf(old!.statusPushes[0]!, at('2024-03-02')),
      ]);
      await storeDeliveries(fresh.db, [deliveryOf({ eventType: 'fee', feeLst: [young!.cdr] }, at('2024-03-20'))]);

      const result = await ensurePartitions(fresh.db, {
        now: new Date('2024-03-25T12:00:00Z'),
        aheadDays: 2,
        retentionDays: 10,
        deleteBatchSize: 1,
      });
      expect(result.callsDeleted).toBe(1);
      // Cutoff 2024-03-15: 2024-02-29 … 2024-03-14 go, for each of the four tables.
      expect(result.dropped).toHaveLength(4 * 15);
      expect(result.dropped).toContain('cdrs_p20240302');
      expect(result.dropped).not.toContain('cdrs_p20240315');
      expect((await listPartitions(fresh.db, 'cdrs'))[0]!.name).toBe('cdrs_p20240315');
      const calls = await fresh.db.selectFrom('calls').select(['session_id', 'call_day']).execute();
      expect(calls).toEqual([{ session_id: young!.sessionId, call_day: '2024-03-20' }]);
      expect(await fresh.db.selectFrom('cdrs').select('session_id').execute()).toEqual([{ session_id: young!.sessionId }]);
      expect(await fresh.db.selectFrom('call_events').select('session_id').execute()).toEqual([]);
      expect(await fresh.db.selectFrom('push_deliveries').select('received_at').execute()).toEqual([
        { received_at: new Date(at('2024-03-20')) },
      ]);

      // The expired call's CDR re-sent now starts the call over, on today's partition.
      await storeDeliveries(fresh.db, [deliveryOf({ eventType: 'fee', feeLst: [old!.cdr] }, at('2024-03-25'))]);
      expect(await partitionOf(fresh.db, 'cdrs', old!.sessionId)).toEqual(['cdrs_p20240325']);
    } finally {
      await fresh.drop();
    }
  });

  it('when rows landed in a DEFAULT partition, then the run creates their day and moves them there, and the rows stay upsertable', async () => {
    const fresh = await context.createDatabase();
    try {
      const [call] = generateCalls(6, 1);
      const cdr: Push = { eventType: 'fee', feeLst: [call!.cdr] };
      // Nothing maintained yet: a fresh install, or maintenance down for longer than aheadDays.
      await storeDeliveries(fresh.db, [deliveryOf(cdr, at('2024-05-05')), deliveryOf(call!.statusPushes[0]!, at('2024-05-05'))]);
      await storeRejectedPushes(fresh.db, [
        {
          deliveryId: randomUUID(),
          stage: 'ingest',
          source: 'test',
          receivedAt: at('2024-05-06'),
          contentType: null,
          reasonCode: 'invalid_json',
          reasonMessage: 'bad',
          body: Buffer.from('x'),
          bodyTruncated: false,
        },
      ]);
      expect(await partitionOf(fresh.db, 'cdrs', call!.sessionId)).toEqual(['cdrs_default']);

      const result = await ensurePartitions(fresh.db, { now: new Date('2024-06-01T00:00:00Z'), aheadDays: 1, retentionDays: 0 });
      expect(result.moved).toEqual(
        expect.arrayContaining([
          { partition: 'cdrs_p20240505', rows: 1 },
          { partition: 'call_events_p20240505', rows: 1 },
          { partition: 'push_deliveries_p20240505', rows: 2 },
          { partition: 'rejected_pushes_p20240506', rows: 1 },
        ]),
      );
      expect(result.defaultRows).toEqual({ call_events: 0, cdrs: 0, push_deliveries: 0, rejected_pushes: 0 });
      expect(await partitionOf(fresh.db, 'cdrs', call!.sessionId)).toEqual(['cdrs_p20240505']);
      expect(await partitionOf(fresh.db, 'call_events', call!.sessionId)).toEqual(['call_events_p20240505']);

      await storeDeliveries(fresh.db, [deliveryOf(cdr, at('2024-06-01'))]);
      const row = await fresh.db
        .selectFrom('cdrs')
        .select(['delivery_count', 'call_day'])
        .where('session_id', '=', call!.sessionId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ delivery_count: 2, call_day: '2024-05-05' });
    } finally {
      await fresh.drop();
    }
  });

  it('when given a retention of 1 day or a negative ahead, then it refuses', async () => {
    await expect(ensurePartitions(database.db, { aheadDays: 7, retentionDays: 1 })).rejects.toThrow(RangeError);
    await expect(ensurePartitions(database.db, { aheadDays: -1, retentionDays: 0 })).rejects.toThrow(RangeError);
  });

  it('when a day is created, also for rows waiting in DEFAULT, then ANALYZE skips its documents as on the parent and keeps the other columns', async () => {
    const fresh = await context.createDatabase();
    try {
      const waiting = generateCalls(41, 1)[0]!;
      // No partition for 2024-07-02 yet: the rows wait in DEFAULT, and the run creates their day with
      // PARTITION OF (and the others with LIKE).
      await storeDeliveries(fresh.db, [
        ...waiting.statusPushes.map((push) => deliveryOf(push, at('2024-07-02'))),
        deliveryOf({ eventType: 'fee', feeLst: [waiting.cdr] }, at('2024-07-02')),
      ]);
      const moved = await ensurePartitions(fresh.db, { now: new Date('2024-06-11T15:00:00Z'), aheadDays: 1, retentionDays: 0 });
      expect(moved.moved.map((entry) => entry.partition)).toContain('call_events_p20240702');
      const targets = await sql<{ table: string; column: string; target: number }>`
        SELECT c.relname AS table, a.attname AS column, a.attstattarget AS target
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE (c.relname = 'calls' OR c.relname LIKE 'call\\_events%' OR c.relname LIKE 'cdrs%') AND c.relkind IN ('r', 'p')
          AND a.attname IN ('facts', 'payload', 'record', 'session_id')
        ORDER BY 1, 2`.execute(fresh.db);
      const documents = targets.rows.filter((row) => row.column !== 'session_id');
      expect(documents.map((row) => row.table)).toEqual(
        expect.arrayContaining([
          'calls',
          'call_events',
          'call_events_default',
          'call_events_p20240611',
          'call_events_p20240702',
          'cdrs_p20240702',
        ]),
      );
      expect(documents.filter((row) => row.target !== 0)).toEqual([]);
      expect(targets.rows.filter((row) => row.column === 'session_id' && row.target === 0)).toEqual([]);
      await sql`ANALYZE call_events_p20240702, cdrs_p20240702, calls`.execute(fresh.db);
      const analyzed = await sql<{ table: string; column: string }>`
        SELECT tablename AS table, attname AS column FROM pg_stats
        WHERE tablename IN ('call_events_p20240702', 'cdrs_p20240702', 'calls') AND attname IN ('facts', 'payload', 'record', 'session_id')
        ORDER BY 1, 2`.execute(fresh.db);
      expect(analyzed.rows).toEqual([
        { table: 'call_events_p20240702', column: 'session_id' },
        { table: 'calls', column: 'session_id' },
        { table: 'cdrs_p20240702', column: 'session_id' },
      ]);
    } finally {
      await fresh.drop();
    }
  });
});

describe('storeDeliveries on daily partitions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
    await ensurePartitions(database.db, { now: new Date('2024-06-10T00:00:00Z'), aheadDays: 10, retentionDays: 0 });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when a CDR is re-sent 3 days later, then it updates the same row in the partition of the day the call was first seen', async () => {
    const [call] = generateCalls(21, 1);
    const push: Push = { eventType: 'fee', feeLst: [call!.cdr] };
    await storeDeliveries(database.db, [deliveryOf(call!.statusPushes[0]!, at('2024-06-11', '23:50:00'))]);
    await storeDeliveries(database.db, [deliveryOf(push, at('2024-06-12', '00:10:00'))]);
    const later = await storeDeliveries(database.db, [deliveryOf(push, at('2024-06-15'))]);
    expect(later).toMatchObject({ freshDeliveries: 1, cdrsInserted: 0, cdrsRedelivered: 1, callsCreated: 0 });
    const rows = await database.db
      .selectFrom('cdrs')
      .select(['delivery_count', 'call_day', 'first_received_at', 'last_received_at'])
      .where('session_id', '=', call!.sessionId)
      .execute();
    expect(rows).toEqual([
      {
        delivery_count: 2,
        call_day: '2024-06-11',
        first_received_at: new Date(at('2024-06-12', '00:10:00')),
        last_received_at: new Date(at('2024-06-15')),
      },
    ]);
    expect(await partitionOf(database.db, 'cdrs', call!.sessionId)).toEqual(['cdrs_p20240611']);
  });

  it('when a delivery is run again, then nothing changes', async () => {
    const [call] = generateCalls(22, 1);
    const delivery = deliveryOf({ eventType: 'fee', feeLst: [call!.cdr] }, at('2024-06-12'));
    await storeDeliveries(database.db, [delivery]);
    const again = await storeDeliveries(database.db, [delivery, delivery]);
    expect(again).toMatchObject({ freshDeliveries: 0, alreadyStoredDeliveries: 1, cdrsRedelivered: 0 });
    const row = await database.db
      .selectFrom('cdrs')
      .select('delivery_count')
      .where('session_id', '=', call!.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.delivery_count).toBe(1);
  });

  it('when a replayed delivery comes back days later with a new receive time, then it is recognised on any day, also by two replays at once', async () => {
    const [call] = generateCalls(23, 1);
    const push: Push = { eventType: 'fee', feeLst: [call!.cdr] };
    const deliveryId = randomUUID();
    const first = await storeDeliveries(database.db, [deliveryOf(push, at('2024-06-12'), { deliveryId, receivedAtVaries: true })]);
    expect(first.freshDeliveries).toBe(1);
    const later = await Promise.all([
      storeDeliveries(database.db, [deliveryOf(push, at('2024-06-16', '01:00:00'), { deliveryId, receivedAtVaries: true })]),
      storeDeliveries(database.db, [deliveryOf(push, at('2024-06-16', '02:00:00'), { deliveryId, receivedAtVaries: true })]),
    ]);
    expect(later.map((result) => result.alreadyStoredDeliveries)).toEqual([1, 1]);
    const otherId = randomUUID();
    const racing = await Promise.all([
      storeDeliveries(database.db, [deliveryOf(push, at('2024-06-17', '01:00:00'), { deliveryId: otherId, receivedAtVaries: true })]),
      storeDeliveries(database.db, [deliveryOf(push, at('2024-06-18', '01:00:00'), { deliveryId: otherId, receivedAtVaries: true })]),
    ]);
    expect(racing.map((result) => result.freshDeliveries).sort()).toEqual([0, 1]);
    const row = await database.db
      .selectFrom('cdrs')
      .select('delivery_count')
      .where('session_id', '=', call!.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.delivery_count).toBe(2);
  });

  it('when a dashboard-style query bounds call_day, then Postgres scans only the partitions of those days (and the DEFAULT one)', async () => {
    const plan = await sql<{ 'QUERY PLAN': string }>`
      EXPLAIN SELECT coalesce(app_key, '(none)') AS app_key, sum(billable_minutes)
      FROM cdrs
      WHERE call_end_time BETWEEN '2024-06-15T00:00:00Z' AND '2024-06-16T00:00:00Z'
        AND call_day >= ('2024-06-15T00:00:00Z')::date - 1
      GROUP BY 1`.execute(database.db);
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    const scanned = [...new Set(text.match(/cdrs_(p\d{8}|default)/g))].sort();
    expect(scanned).toEqual([
      'cdrs_default',
      'cdrs_p20240614',
      'cdrs_p20240615',
      'cdrs_p20240616',
      'cdrs_p20240617',
      'cdrs_p20240618',
      'cdrs_p20240619',
      'cdrs_p20240620',
    ]);
    const unbounded = await sql<{
      'QUERY PLAN': string;
    }>`EXPLAIN SELECT count(*) FROM cdrs WHERE call_end_time >= '2024-06-15T00:00:00Z'`.execute(database.db);
    expect(unbounded.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('cdrs_p20240609');
  });
});

// pgbouncer in transaction mode hands a server connection to another client after every
// transaction, so anything that outlives a transaction on it leaks to a stranger: a plain SET, a
// session advisory lock, a named prepared statement, a temporary table. These tests run the write
// paths on a one-connection pool and compare that connection's session state before and after.
describe('pooler safety', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function sessionState(db: Kysely<Database>) {
    const state = await sql<{ pid: number; settings: string; advisory: string; prepared: string; temp: string }>`
      SELECT pg_backend_pid() AS pid,
        (SELECT string_agg(name || '=' || setting || ' (' || source || ')', E'\\n' ORDER BY name) FROM pg_settings) AS settings,
        (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory') AS advisory,
        (SELECT count(*) FROM pg_prepared_statements) AS prepared,
        (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()) AS temp`.execute(db);
    return state.rows[0]!;
  }

  it('when deliveries, replays, rejected pushes and partition maintenance run on one connection, then its session state is unchanged after each commit', async () => {
    const db = createDatabase({ connectionString: database.url, poolSize: 1 });
    try {
      const before = await sessionState(db);
      expect(before).toMatchObject({ advisory: '0', prepared: '0', temp: '0' });
      // Rows first land in DEFAULT, so the maintenance also takes its move path (detach, move, attach).
      const calls = generateCalls(31, 3);
      const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
      await storeDeliveries(
        db,
        pushes.map((push) => deliveryOf(push, at('2024-06-11'))),
      );
      await storeDeliveries(
        db,
        pushes.slice(0, 3).map((push) => deliveryOf(push, at('2024-06-12'), { receivedAtVaries: true })),
      );
      await storeRejectedPushes(db, [
        {
          deliveryId: randomUUID(),
          stage: 'ingest',
          source: 'test',
          receivedAt: at('2024-06-11'),
          contentType: null,
          reasonCode: 'invalid_json',
          reasonMessage: 'bad',
          body: Buffer.from('x'),
          bodyTruncated: false,
        },
      ]);
      const created = await ensurePartitions(db, { now: new Date('2024-06-12T00:00:00Z'), aheadDays: 2, retentionDays: 0 });
      expect(created.moved.length).toBeGreaterThan(0);
      const expired = await ensurePartitions(db, { now: new Date('2024-06-20T00:00:00Z'), aheadDays: 2, retentionDays: 5 });
      expect(expired.dropped.length).toBeGreaterThan(0);
      expect(expired.callsDeleted).toBe(3);
      expect(await sessionState(db)).toEqual(before);
    } finally {
      await db.destroy();
    }
  });

  it('the database code never issues a session-level SET, session advisory lock, named statement or temporary table', () => {
    const dir = new URL('../src/', import.meta.url);
    const sources = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => [file, readFileSync(new URL(file, dir), 'utf8')] as const);
    expect(sources.length).toBeGreaterThan(5);
    for (const [file, text] of sources) {
      expect(text, file).not.toMatch(/pg_(try_)?advisory_lock(_shared)?\s*\(/);
      expect(text, file).not.toMatch(/(^|[`;]\s*)SET\s+(?!LOCAL\b)/im);
      expect(text, file).not.toMatch(/set_config\([^)]*false\s*\)/i);
      expect(text, file).not.toMatch(/\bPREPARE\s+\w+|CREATE\s+(TEMP|TEMPORARY)\b|\bname:\s*['"`]/i);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { factsFromCdr, factsFromStatusEvent, mergeAllCallFacts, parsePush, type CdrRecord, type StatusEvent } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import { databaseUrlFor, testContext } from '@callpipe/testkit';
import {
  acceptedDelivery,
  CALL_COLUMNS,
  callRow,
  CDR_DERIVED_COLUMNS,
  cdrDerivedRow,
  createDatabase,
  ensureDatabaseExists,
  listPartitions,
  quoteIdentifier,
  recordsetTypes,
  storeDeliveries,
  type Database,
} from '@callpipe/db';
import { migrations } from '../src/migrations/index.ts';
import { dumpSchema } from '../src/schema-dump.ts';

const options = { businessByAppKey: demoBusinessByAppKey };

/** A database at migration 0001, as deployments before partitioning have it. */
async function databaseAt0001(): Promise<{ url: string; db: Kysely<Database>; migrator: Migrator; drop: () => Promise<void> }> {
  const server = testContext().databaseServerUrl;
  const name = `callpipe_m0002_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = databaseUrlFor(server, name);
  await ensureDatabaseExists(url);
  const db = createDatabase({ connectionString: url, poolSize: 2 });
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const result = await migrator.migrateTo('0001_initial_schema');
  if (result.error) throw new Error('migrating to 0001 failed', { cause: result.error });
  return {
    url,
    db,
    migrator,
    drop: async () => {
      await db.destroy();
      const admin = new pg.Client({ connectionString: databaseUrlFor(server, 'postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Rows as the 0001-era store wrote them: calls, call_events, cdrs, push_deliveries, rejected_pushes. */
async function write0001Era(db: Kysely<Database>, count: number): Promise<{ expectedDays: Map<string, string> }> {
  const calls = generateCalls(77, count, { lossProbability: 0.2 });
  const expectedDays = new Map<string, string>();
  for (const [index, call] of calls.entries()) {
    // Calls first seen over three days, some only through their CDR, some received around midnight.
    const day = `2024-06-${String(10 + (index % 3)).padStart(2, '0')}`;
    const statusAt = `${day}T23:59:${String(index % 60).padStart(2, '0')}.000Z`;
    const cdrAt = new Date(Date.parse(statusAt) + 3_600_000).toISOString();
    const events: StatusEvent[] =
      index % 4 === 0
        ? []
        : call.statusPushes.map((push) => {
            const verdict = parsePush(JSON.stringify(push), options);
            if (!verdict.ok || verdict.kind !== 'status') throw new Error('bad fixture');
            return verdict.event;
          });
    const feeVerdict = parsePush(JSON.stringify({ eventType: 'fee', feeLst: [call.cdr] }), options);
    if (!feeVerdict.ok || feeVerdict.kind !== 'fee') throw new Error('bad fixture');
    const cdr: CdrRecord = feeVerdict.records[0]!;
    const facts = mergeAllCallFacts([...events.map(factsFromStatusEvent), factsFromCdr(cdr)]);
    expectedDays.set(call.sessionId, (events.length > 0 ? statusAt : cdrAt).slice(0, 10));

    await sql`INSERT INTO calls (${sql.raw(CALL_COLUMNS.map(([c]) => c).join(', '))})
      SELECT * FROM jsonb_to_recordset(${JSON.stringify([callRow(facts)])}::jsonb) AS r(${sql.raw(recordsetTypes(CALL_COLUMNS))})`.execute(
      db,
    );
    for (const event of events) {
      await sql`INSERT INTO call_events (session_id, event_key, event_type, known_event_type, event_at, payload, delivery_count, first_received_at, last_received_at)
        VALUES (${event.sessionId}, ${event.eventKey}, ${event.eventType}, ${event.known}, ${event.eventAt}, ${JSON.stringify(event.payload)}::jsonb, 1, ${statusAt}, ${statusAt})`.execute(
        db,
      );
    }
    // The 0001 schema has the derived columns of its day: none added by later migrations.
    const later = new Set([
      'anomalies',
      'call_out_minutes',
      'fwd_minutes',
      'call_out_cost',
      'fwd_cost',
      'total_cost',
      'cost_currency',
      'call_out_tariff_id',
      'fwd_tariff_id',
    ]);
    const era0001Columns = CDR_DERIVED_COLUMNS.filter(([c]) => !later.has(c));
    const cdrColumns = era0001Columns.map(([c]) => c).join(', ');
    await sql`INSERT INTO cdrs (${sql.raw(cdrColumns)}, record, delivery_count, first_received_at, last_received_at)
      SELECT ${sql.raw(cdrColumns)}, ${JSON.stringify(cdr.record)}::jsonb, 2, ${cdrAt}::timestamptz, ${cdrAt}::timestamptz + interval '2 days'
      FROM jsonb_to_recordset(${JSON.stringify([cdrDerivedRow(cdr, [])])}::jsonb) AS r(${sql.raw(recordsetTypes(era0001Columns))})`.execute(
      db,
    );
    await sql`INSERT INTO push_deliveries (delivery_id, push_kind, source, received_at, record_count) VALUES (${randomUUID()}, 'fee', 'test', ${cdrAt}, 1)`.execute(
      db,
    );
  }
  for (let i = 0; i < 5; i += 1) {
    await sql`INSERT INTO rejected_pushes (rejection_key, stage, reason_code, reason_message, source, received_at, body)
      VALUES (${randomUUID()}, 'ingest', 'invalid_json', 'bad', 'test', ${`2024-06-0${i + 1}T12:00:00Z`}, ${Buffer.from([0xff, i])})`.execute(
      db,
    );
  }
  return { expectedDays };
}

async function contents(db: Kysely<Database>) {
  const table = async (name: string, order: string) =>
    (
      await sql.raw<Record<string, unknown>>(`SELECT to_jsonb(t) - 'call_day' AS row FROM ${name} t ORDER BY ${order}`).execute(db)
    ).rows.map((r) => JSON.stringify(r['row']));
  return {
    calls: await table('calls', 'session_id'),
    call_events: await table('call_events', 'session_id, event_key'),
    cdrs: await table('cdrs', 'session_id'),
    push_deliveries: await table('push_deliveries', 'delivery_id'),
    rejected_pushes: await table('rejected_pushes', 'id'),
  };
}

describe('migration 0002 (time partitioning) on a database with 0001-era data', () => {
  it("when applied, then every row is kept, call_day is the UTC day of the call's first receive, and the data days have their partitions", async () => {
    const database = await databaseAt0001();
    try {
      const { expectedDays } = await write0001Era(database.db, 40);
      const before = await contents(database.db);

      const result = await database.migrator.migrateTo('0002_time_partitioning');
      expect(result.error).toBeUndefined();
      const after = await contents(database.db);
      expect(after).toEqual(before);
      expect(after.cdrs).toHaveLength(40);

      const days = await database.db.selectFrom('calls').select(['session_id', 'call_day']).execute();
      expect(new Map(days.map((row) => [row.session_id, row.call_day]))).toEqual(expectedDays);
      const mismatched = await sql<{ n: string }>`
        SELECT count(*) AS n FROM (SELECT session_id, call_day FROM call_events UNION ALL SELECT session_id, call_day FROM cdrs) x
        JOIN calls c USING (session_id) WHERE c.call_day <> x.call_day`.execute(database.db);
      expect(mismatched.rows[0]!.n).toBe('0');

      expect((await listPartitions(database.db, 'cdrs')).map((p) => p.day)).toEqual([
        '2024-06-10',
        '2024-06-11',
        '2024-06-12',
        '2024-06-13',
      ]);
      expect((await listPartitions(database.db, 'rejected_pushes')).map((p) => p.day)).toEqual([
        '2024-06-01',
        '2024-06-02',
        '2024-06-03',
        '2024-06-04',
        '2024-06-05',
      ]);
      const inDefault = await sql<{ n: string }>`
        SELECT (SELECT count(*) FROM call_events_default) + (SELECT count(*) FROM cdrs_default) + (SELECT count(*) FROM push_deliveries_default) + (SELECT count(*) FROM rejected_pushes_default) AS n`.execute(
        database.db,
      );
      expect(inDefault.rows[0]!.n).toBe('0');

      // The old rows go on being upserted (by today's store, on today's schema): a CDR re-sent now
      // counts on its backfilled row.
      expect((await database.migrator.migrateToLatest()).error).toBeUndefined();
      const [call] = generateCalls(77, 40, { lossProbability: 0.2 });
      const verdict = parsePush(JSON.stringify({ eventType: 'fee', feeLst: [call!.cdr] }), options);
      if (!verdict.ok) throw new Error('bad fixture');
      await storeDeliveries(database.db, [
        acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() }, verdict),
      ]);
      const row = await database.db
        .selectFrom('cdrs')
        .select(['delivery_count', 'call_day'])
        .where('session_id', '=', call!.sessionId)
        .execute();
      expect(row).toEqual([{ delivery_count: 3, call_day: expectedDays.get(call!.sessionId) }]);
      // rejected_pushes.id keeps counting from where the old table stopped.
      const next = await sql<{ id: string }>`SELECT nextval('rejected_pushes_id_seq')::text AS id`.execute(database.db);
      expect(Number(next.rows[0]!.id)).toBe(6);
    } finally {
      await database.drop();
    }
  });

  it("when rolled back, then the schema is 0001's again and the rows are kept", async () => {
    const reference = await databaseAt0001();
    const database = await databaseAt0001();
    try {
      await write0001Era(database.db, 10);
      const before = await contents(database.db);
      expect((await database.migrator.migrateToLatest()).error).toBeUndefined();
      expect((await database.migrator.migrateTo('0001_initial_schema')).error).toBeUndefined();
      expect(dumpSchema(database.url)).toBe(dumpSchema(reference.url));
      expect(await contents(database.db)).toEqual(before);
    } finally {
      await Promise.all([reference.drop(), database.drop()]);
    }
  });
});

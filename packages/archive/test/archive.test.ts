import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BILLING_TIME_ZONE, parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { openObjectStore, type ObjectStore } from '@callpipe/object-store';
import { startS3Server, testContext, type TestDatabase, type TestS3Server } from '@callpipe/testkit';
import {
  acceptedDelivery,
  ARCHIVED_TABLES,
  billingDailyFromScratch,
  ensurePartitions,
  listPartitions,
  readBillingDaily,
  readDayRows,
  storeDeliveries,
  storeRejectedPushes,
  type AcceptedDelivery,
  type Database,
} from '@callpipe/db';
import { archiveDay, ArchiveVerificationError, listArchivedDays, restoreDay, tableKey, verifyDay } from '../src/index.ts';

const context = testContext();
const DAY = '2024-03-02';
const LATER = '2024-03-20';
const NOW = new Date('2024-03-25T12:00:00Z');

function deliveryOf(push: Push, receivedAt: string): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), { businessByAppKey: demoBusinessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt }, verdict);
}

/** Three calls with events and CDRs on DAY, one on LATER, a rejected push with binary body on DAY, and values that only round-trip exactly if nothing is lost: microseconds, numerics, jsonb. */
async function fill(db: Kysely<Database>, seed: number): Promise<void> {
  await ensurePartitions(db, { now: new Date('2024-03-01T00:00:00Z'), aheadDays: 30, retentionDays: 0 });
  const calls = generateCalls(seed, 4);
  for (const call of calls.slice(0, 3))
    await storeDeliveries(db, [
      ...call.statusPushes.map((push, i) => deliveryOf(push, `${DAY}T0${i}:00:00.000Z`)),
      deliveryOf({ eventType: 'fee', feeLst: [call.cdr] }, `${DAY}T10:00:00.000Z`),
    ]);
  await storeDeliveries(db, [deliveryOf({ eventType: 'fee', feeLst: [calls[3]!.cdr] }, `${LATER}T10:00:00.000Z`)]);
  await storeRejectedPushes(db, [
    {
      deliveryId: randomUUID(),
      stage: 'ingest',
      source: 'test',
      receivedAt: `${DAY}T23:59:59.999Z`,
      contentType: 'application/json',
      reasonCode: 'invalid_json',
      reasonMessage: 'bad',
      body: Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x5c]),
      bodyTruncated: false,
    },
  ]);
  await sql`UPDATE call_events SET event_at = event_at + interval '0.123456 seconds' WHERE call_day = ${DAY}::date`.execute(db);
  await sql`UPDATE cdrs SET anomalies = '[{"field": "x", "note": "ünï \\u2028 \\"q\\"", "n": 1.000000000000000000001}]'::jsonb WHERE call_day = ${DAY}::date`.execute(
    db,
  );
}

/** Every row of the day in every table, as Postgres prints it: compared whole, before and after. */
async function snapshot(db: Kysely<Database>, day: string): Promise<Record<string, string[]>> {
  return db.transaction().execute(async (trx) => {
    const rows: Record<string, string[]> = {};
    for (const { table } of ARCHIVED_TABLES) {
      rows[table] = [];
      for await (const line of readDayRows(trx, table, day, 2)) rows[table].push(line);
    }
    return rows;
  });
}

interface Backend {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(): ObjectStore;
  /** A store of this kind that cannot be written. */
  broken(): Promise<ObjectStore>;
}

let folder = '';
let s3: TestS3Server | undefined;
let stoppedS3: TestS3Server | undefined;

const backends: Backend[] = [
  {
    name: 'file',
    async setUp() {
      folder = await mkdtemp(join(tmpdir(), 'callpipe-archive-'));
    },
    async tearDown() {
      await rm(folder, { recursive: true, force: true });
    },
    open: () => openObjectStore(pathToFileURL(join(folder, randomUUID())).href),
    async broken() {
      // A file where the archive's folder would be: every put fails (root ignores permissions).
      const blocker = join(folder, `blocker-${randomUUID()}`);
      await writeFile(blocker, 'not a folder');
      return openObjectStore(pathToFileURL(join(blocker, 'archive')).href);
    },
  },
  {
    name: 's3',
    async setUp() {
      s3 = await startS3Server();
      stoppedS3 = await startS3Server();
      await stoppedS3.stop();
    },
    async tearDown() {
      await s3?.stop();
    },
    open: () => openObjectStore(`s3://${s3!.bucket}/archive-${randomUUID()}`, s3!.settings),
    broken: () => Promise.resolve(openObjectStore(`s3://${stoppedS3!.bucket}/archive`, { ...stoppedS3!.settings })),
  },
];

describe.each(backends)('archive on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    await backend.setUp();
    database = await context.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
    await backend.tearDown();
  });

  it('when the retention drops an archived day, then restoring it gives back identical rows, and a second restore changes nothing', async () => {
    const fresh = await context.createDatabase();
    const store = backend.open();
    try {
      await fill(fresh.db, 11);
      const before = await snapshot(fresh.db, DAY);
      expect(before.calls).toHaveLength(3);
      expect(before.rejected_pushes).toHaveLength(1);
      expect(before.call_events!.length).toBeGreaterThan(3);
      const later = await snapshot(fresh.db, LATER);

      const result = await ensurePartitions(fresh.db, {
        now: NOW,
        aheadDays: 2,
        retentionDays: 10,
        archiveDay: (day) => archiveDay(fresh.db, store, day, { chunkRows: 2 }).then(() => undefined),
      });
      expect(result.archiveFailed).toEqual([]);
      expect(result.archived).toContain(DAY);
      expect(result.dropped).toContain('cdrs_p20240302');
      expect(result.callsDeleted).toBe(3);
      expect(Object.values(await snapshot(fresh.db, DAY)).flat()).toEqual([]);
      expect(await snapshot(fresh.db, LATER)).toEqual(later);

      const listed = (await listArchivedDays(store)).find((entry) => entry.day === DAY);
      expect(listed).toMatchObject({ status: 'complete', rows: { calls: 3, rejected_pushes: 1, cdrs: 3 } });
      expect(await verifyDay(store, DAY)).toMatchObject({ ok: true, problems: [] });

      const restored = await restoreDay(fresh.db, store, DAY);
      expect(restored.createdPartitions).toContain('cdrs_p20240302');
      expect(restored.tables.find((table) => table.table === 'call_events')).toEqual({
        table: 'call_events',
        archived: before.call_events!.length,
        inserted: before.call_events!.length,
      });
      expect(await snapshot(fresh.db, DAY)).toEqual(before);

      const again = await restoreDay(fresh.db, store, DAY);
      expect(again.createdPartitions).toEqual([]);
      expect(again.tables.every((table) => table.inserted === 0)).toBe(true);
      expect(await snapshot(fresh.db, DAY)).toEqual(before);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it('when an archived day is retired, then its replay ledger and billing contributions go with it, and a restore brings both back, so a re-sent CDR counts once in the books', async () => {
    const fresh = await context.createDatabase();
    const store = backend.open();
    try {
      await fill(fresh.db, 12);
      // One of the day's deliveries as a replay left it: a replay: source and its ledger row.
      const replayed = await sql<{ delivery_id: string; received_at: Date }>`
        UPDATE push_deliveries SET source = 'replay:resend.json#1'
        WHERE delivery_id = (SELECT delivery_id FROM push_deliveries WHERE received_at::date = ${DAY}::date LIMIT 1)
        RETURNING delivery_id, received_at`.execute(fresh.db);
      const { delivery_id: id, received_at: at } = replayed.rows[0]!;
      await sql`INSERT INTO replayed_deliveries (delivery_id, received_at) VALUES (${id}, ${at})`.execute(fresh.db);
      const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(fresh.db)).rows[0]!.n);
      const ledgerRows = () => count(sql<{ n: string }>`SELECT count(*) AS n FROM replayed_deliveries WHERE delivery_id = ${id}`);
      const dayContributions = () =>
        count(
          sql<{
            n: string;
          }>`SELECT count(*) AS n FROM billing_contributions b JOIN calls c USING (session_id) WHERE c.call_day = ${DAY}::date`,
        );
      const allContributions = () => count(sql<{ n: string }>`SELECT count(*) AS n FROM billing_contributions`);
      expect(await dayContributions()).toBe(3);
      const contributionsBefore = await allContributions();

      const result = await ensurePartitions(fresh.db, {
        now: NOW,
        aheadDays: 2,
        retentionDays: 10,
        archiveDay: (day) => archiveDay(fresh.db, store, day).then(() => undefined),
      });
      expect(result.archived).toContain(DAY);
      expect(result.replayedDeliveriesDeleted).toBe(1);
      expect(await ledgerRows()).toBe(0);
      expect(await allContributions()).toBe(contributionsBefore - 3);

      const booksKept = await readBillingDaily(fresh.db);
      await restoreDay(fresh.db, store, DAY);
      expect(await ledgerRows()).toBe(1);
      // The restored calls get their contributions back, and billing_daily (kept) is untouched and again their sum.
      expect(await dayContributions()).toBe(3);
      expect(await readBillingDaily(fresh.db)).toEqual(booksKept);
      expect(await billingDailyFromScratch(fresh.db, DEFAULT_BILLING_TIME_ZONE)).toEqual(booksKept);

      // Support re-sends a restored call's CDR: one more delivery, and the books count the call once.
      const resent = generateCalls(12, 4)[0]!.cdr;
      await storeDeliveries(fresh.db, [deliveryOf({ eventType: 'fee', feeLst: [resent] }, `${LATER}T11:00:00.000Z`)]);
      const counted = await sql<{ delivery_count: number }>`SELECT delivery_count FROM cdrs WHERE session_id = ${resent.sessionId}`.execute(
        fresh.db,
      );
      expect(counted.rows).toEqual([{ delivery_count: 2 }]);
      expect(await readBillingDaily(fresh.db)).toEqual(booksKept);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it('when the archive cannot be written, then the day is kept whole and the failure is reported', async () => {
    const fresh = await context.createDatabase();
    const store = await backend.broken();
    try {
      await fill(fresh.db, 12);
      const before = await snapshot(fresh.db, DAY);
      const result = await ensurePartitions(fresh.db, {
        now: NOW,
        aheadDays: 2,
        retentionDays: 10,
        archiveDay: (day) => archiveDay(fresh.db, store, day).then(() => undefined),
      });
      expect(result.archived).toEqual([]);
      expect(result.archiveFailed.map((failure) => failure.day)).toContain(DAY);
      expect(result.archiveFailed.every((failure) => failure.error.length > 0)).toBe(true);
      expect(result.dropped).toEqual([]);
      expect(result.callsDeleted).toBe(0);
      expect(await snapshot(fresh.db, DAY)).toEqual(before);
      expect((await listPartitions(fresh.db, 'cdrs')).map((p) => p.day)).toContain(DAY);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it('when an archived file is changed, then verify names the file and what differs, and restore refuses', async () => {
    const store = backend.open();
    try {
      await fill(database.db, 13);
      await archiveDay(database.db, store, DAY);
      await store.put(tableKey(DAY, 'cdrs'), Buffer.from('not what was archived'));
      const verification = await verifyDay(store, DAY);
      expect(verification.ok).toBe(false);
      expect(verification.problems).toEqual([
        `day=${DAY}/cdrs.ndjson.gz: 21 bytes, the manifest says ${verification.manifest!.files[2]!.bytes}`,
        `day=${DAY}/cdrs.ndjson.gz: unreadable: incorrect header check`,
      ]);
      await expect(restoreDay(database.db, store, DAY)).rejects.toBeInstanceOf(ArchiveVerificationError);
      await expect(archiveDay(database.db, store, DAY)).rejects.toThrow(`the archive of ${DAY} does not verify`);
      expect(await verifyDay(store, '2024-01-01')).toMatchObject({
        ok: false,
        problems: ['2024-01-01 has no manifest: it was never archived, or its archive did not complete'],
      });
      await expect(verifyDay(store, '2024-13-01')).rejects.toThrow('invalid day "2024-13-01": use YYYY-MM-DD');
    } finally {
      await store.close();
    }
  });

  it('when a day is archived again (after a restore), then the new archive holds every row of both', async () => {
    const fresh = await context.createDatabase();
    const store = backend.open();
    try {
      await fill(fresh.db, 14);
      const before = await snapshot(fresh.db, DAY);
      await archiveDay(fresh.db, store, DAY);
      // A run that archived, deleted the calls and stopped before dropping the partitions.
      await sql`DELETE FROM calls WHERE call_day = ${DAY}::date`.execute(fresh.db);
      await archiveDay(fresh.db, store, DAY);
      expect(await snapshot(fresh.db, DAY)).toEqual(before);
      expect((await listArchivedDays(store)).find((entry) => entry.day === DAY)?.rows.calls).toBe(3);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });
});

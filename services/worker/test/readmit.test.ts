import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { storeRejectedPushes, type Database, type RejectedPush } from '@callpipe/db';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { readmitDeliveryId, readmitRejected, type ReadmitOptions } from '@callpipe/worker';
import { createNumberHasher, protectNumbersInText } from '../src/number-protection.ts';

const context = testContext();
const RECEIVED = '2024-06-11T03:00:00.000Z';
const SOURCE = 'http:/voicecall/events';
const ORIGINAL_FEE_DELIVERY = '6f1d2c3b-0000-4000-8000-000000000001';

function cdr(sessionId: string, extra: Record<string, unknown> = {}) {
  return {
    sessionId,
    callerNum: '+8657188880001',
    calleeNum: '+8613800000001',
    callInTime: '2024-06-11 02:30:00',
    callEndTime: '2024-06-11 02:31:23',
    ...extra,
  };
}

/** Rejections as the previous, strict model filed them. */
function oldRejections(): RejectedPush[] {
  const rejected = (deliveryId: string, reasonCode: string, body: Buffer, extra: Partial<RejectedPush> = {}): RejectedPush => ({
    deliveryId,
    stage: 'ingest',
    source: SOURCE,
    receivedAt: RECEIVED,
    contentType: 'application/json',
    reasonCode,
    reasonMessage: `rejected: ${reasonCode}`,
    body,
    bodyTruncated: false,
    ...extra,
  });
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  // "café" in Latin-1: the é is the byte 0xe9, which is not UTF-8.
  const [head, tail] = JSON.stringify({ eventType: 'fee', feeLst: [cdr('readmit-latin1', { userData: 'caf<e9>' })] }).split('<e9>');
  const notUtf8 = Buffer.concat([Buffer.from(head!, 'utf8'), Buffer.from([0xe9]), Buffer.from(tail!, 'utf8')]);
  return [
    rejected(
      'a0000000-0000-4000-8000-000000000001',
      'invalid_timestamp',
      json({
        eventType: 'callout',
        statusInfo: { sessionId: 'readmit-status', timestamp: '2016-12-26  01:19:46', caller: '+8657188880001', called: '+8613800000001' },
      }),
    ),
    rejected('a0000000-0000-4000-8000-000000000002', 'invalid_utf8', notUtf8),
    rejected(
      'a0000000-0000-4000-8000-000000000003',
      'fee_list_size',
      json({ eventType: 'fee', feeLst: Array.from({ length: 51 }, (_, index) => cdr(`readmit-many-${index}`)) }),
    ),
    // A fee push the worker rejected whole; now one record is taken and the other still has no session id.
    rejected(
      'a0000000-0000-4000-8000-000000000004',
      'invalid_timestamp',
      json({ eventType: 'fee', feeLst: [cdr('readmit-mixed', { callEndTime: 1718073083 }), cdr('', { sessionId: undefined })] }),
      { stage: 'worker' },
    ),
    rejected(
      'a0000000-0000-4000-8000-000000000005',
      'missing_session_id',
      json({ eventType: 'callout', statusInfo: { caller: '+8657188880001', timestamp: '2024-06-11 02:30:00' } }),
    ),
    rejected(
      'a0000000-0000-4000-8000-000000000006',
      'body_too_large',
      json({ eventType: 'fee', feeLst: [cdr('readmit-cut')] }).subarray(0, 40),
      {
        bodyTruncated: true,
      },
    ),
  ];
}

async function insertRejectedRecord(db: Kysely<Database>, index: number, record: unknown, reasonCode: string): Promise<void> {
  await db
    .insertInto('rejected_pushes')
    .values({
      rejection_key: `${ORIGINAL_FEE_DELIVERY}#${index}`,
      delivery_id: ORIGINAL_FEE_DELIVERY,
      record_index: index,
      stage: 'worker',
      reason_code: reasonCode,
      reason_message: `rejected: ${reasonCode}`,
      source: SOURCE,
      content_type: null,
      received_at: RECEIVED,
      body: null,
      body_truncated: false,
      record: JSON.stringify(record),
    })
    .execute();
}

/** Everything a readmit could write, counted. */
async function snapshot(db: Kysely<Database>) {
  const { rows } = await sql<Record<string, string>>`
    SELECT (SELECT count(*) FROM push_deliveries) AS deliveries, (SELECT count(*) FROM calls) AS calls,
      (SELECT count(*) FROM call_events) AS events, (SELECT count(*) FROM cdrs) AS cdrs,
      (SELECT coalesce(sum(delivery_count), 0) FROM cdrs) AS cdr_deliveries,
      (SELECT coalesce(sum(delivery_count), 0) FROM call_events) AS event_deliveries,
      (SELECT count(*) FROM rejected_pushes) AS rejected,
      (SELECT count(*) FROM rejected_pushes WHERE readmitted_at IS NOT NULL) AS readmitted,
      (SELECT string_agg(id || ':' || readmitted_at::text, ',' ORDER BY id) FROM rejected_pushes) AS marks`.execute(db);
  return rows[0]!;
}

const options: ReadmitOptions = { businessByAppKey: new Map(), numberHashKey: '', dryRun: false, batchSize: 3 };

describe('readmitting rejected pushes', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
    await storeRejectedPushes(database.db, oldRejections());
    await insertRejectedRecord(database.db, 1, cdr('readmit-record', { callEndTime: '2024-06-11T02:31:23Z' }), 'invalid_timestamp');
  });
  afterAll(() => database.drop());

  it('when run with --dry-run, then it reports what the current model accepts and writes nothing', async () => {
    const before = await snapshot(database.db);
    const result = await readmitRejected(database.db, {}, { ...options, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, examined: 7, accepted: 5, stillRejected: 2, alreadyReadmitted: 0 });
    expect(result.stored.freshDeliveries).toBe(0);
    expect(await snapshot(database.db)).toEqual(before);
  });

  it('when given a reason code, then only the rejections of that code are readmitted', async () => {
    const result = await readmitRejected(database.db, { code: 'invalid_utf8' }, options);
    expect(result).toMatchObject({
      examined: 1,
      accepted: 1,
      stillRejected: 0,
      byCode: { invalid_utf8: { accepted: 1, stillRejected: 0 } },
    });
    const cdrRow = await database.db
      .selectFrom('cdrs')
      .select(['user_data'])
      .where('session_id', '=', 'readmit-latin1')
      .executeTakeFirstOrThrow();
    expect(cdrRow.user_data).toBe('caf\uFFFD');
  });

  it('then the others accepted now are stored with UTC times, and their rows are marked with the delivery they became', async () => {
    const rejectedBefore = Number((await snapshot(database.db)).rejected);
    const result = await readmitRejected(database.db, {}, options);
    expect(result).toMatchObject({
      examined: 6,
      accepted: 4,
      stillRejected: 2,
      alreadyReadmitted: 1,
      recordsStillRejected: 1,
      byCode: {
        invalid_timestamp: { accepted: 3, stillRejected: 0 },
        fee_list_size: { accepted: 1, stillRejected: 0 },
        missing_session_id: { accepted: 0, stillRejected: 1 },
        body_too_large: { accepted: 0, stillRejected: 1 },
      },
      stillRejectedByCode: { body_truncated: 1, invalid_session_id: 1 },
    });
    expect(result.stored).toMatchObject({ freshDeliveries: 4, alreadyStoredDeliveries: 0, cdrsInserted: 53, eventsInserted: 1 });

    const event = await database.db
      .selectFrom('call_events')
      .select(['event_at', 'caller', 'anomalies'])
      .where('session_id', '=', 'readmit-status')
      .executeTakeFirstOrThrow();
    expect(event.event_at?.toISOString()).toBe('2016-12-26T01:19:46.000Z');
    expect(event.anomalies).toEqual([{ field: 'timestamp', code: 'time_extra_spaces', value: '2016-12-26  01:19:46' }]);
    const record = await database.db
      .selectFrom('cdrs')
      .select(['call_end_time'])
      .where('session_id', '=', 'readmit-record')
      .executeTakeFirstOrThrow();
    expect(record.call_end_time?.toISOString()).toBe('2024-06-11T02:31:23.000Z');
    const mixed = await database.db
      .selectFrom('cdrs')
      .select(['call_end_time'])
      .where('session_id', '=', 'readmit-mixed')
      .executeTakeFirstOrThrow();
    expect(mixed.call_end_time?.toISOString()).toBe('2024-06-11T02:31:23.000Z');
    const many = await database.db
      .selectFrom('cdrs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('session_id', 'like', 'readmit-many-%')
      .executeTakeFirstOrThrow();
    expect(Number(many.n)).toBe(51);

    // The record without a session id is a row already, under the original delivery: not filed twice.
    expect(Number((await snapshot(database.db)).rejected)).toBe(rejectedBefore);

    const rows = await database.db
      .selectFrom('rejected_pushes')
      .select(['rejection_key', 'reason_code', 'readmitted_at', 'readmitted_as', 'received_at'])
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const expected = ['missing_session_id', 'body_too_large'].includes(row.reason_code) ? null : readmitDeliveryId(row.rejection_key);
      expect(row.readmitted_as, row.rejection_key).toBe(expected);
      expect(row.readmitted_at === null).toBe(expected === null);
    }
    const ledger = await database.db
      .selectFrom('push_deliveries')
      .select(['delivery_id', 'source', 'received_at', 'record_count'])
      .where('delivery_id', '=', readmitDeliveryId(`${ORIGINAL_FEE_DELIVERY}#1`))
      .executeTakeFirstOrThrow();
    expect(ledger).toMatchObject({ source: `readmit:${SOURCE}`, record_count: 1 });
    expect(ledger.received_at.toISOString()).toBe(RECEIVED);
  });

  it('when run again, then it skips what was readmitted and changes nothing', async () => {
    const before = await snapshot(database.db);
    const result = await readmitRejected(database.db, {}, options);
    expect(result).toMatchObject({ examined: 2, accepted: 0, stillRejected: 2, alreadyReadmitted: 5 });
    expect(await snapshot(database.db)).toEqual(before);
  });

  it('when the marks are lost, then the ledger still stores nothing twice', async () => {
    const before = await snapshot(database.db);
    await sql`UPDATE rejected_pushes SET readmitted_at = NULL, readmitted_as = NULL`.execute(database.db);
    const result = await readmitRejected(database.db, {}, options);
    expect(result).toMatchObject({ accepted: 5, alreadyReadmitted: 0 });
    expect(result.stored).toMatchObject({ freshDeliveries: 0, alreadyStoredDeliveries: 5, cdrsInserted: 0, cdrsRedelivered: 0 });
    const after = await snapshot(database.db);
    expect({ ...after, marks: '' }).toEqual({ ...before, marks: '' });
  });
});

describe('readmitting with CALLPIPE_NUMBER_HASH_KEY', () => {
  const key = 'readmit-test-hash-key-01';
  const hash = createNumberHasher(key);
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
  });
  afterAll(() => database.drop());

  it('when the rejected body was stored protected, then its numbers are not hashed a second time', async () => {
    const body = JSON.stringify({
      eventType: 'callout',
      statusInfo: { sessionId: 'readmit-hashed', timestamp: '2016-12-26  01:19:46', caller: '+8657188880001', called: '057188880002' },
    });
    // What the worker files: numbers in the text protected, a number of another shape still as sent.
    await storeRejectedPushes(database.db, [
      {
        deliveryId: 'b0000000-0000-4000-8000-000000000001',
        stage: 'ingest',
        source: SOURCE,
        receivedAt: RECEIVED,
        contentType: null,
        reasonCode: 'invalid_timestamp',
        reasonMessage: 'rejected',
        body: Buffer.from(protectNumbersInText(body, hash), 'utf8'),
        bodyTruncated: false,
      },
    ]);
    const result = await readmitRejected(database.db, {}, { ...options, numberHashKey: key });
    expect(result.accepted).toBe(1);
    const event = await database.db
      .selectFrom('call_events')
      .select(['caller', 'called'])
      .where('session_id', '=', 'readmit-hashed')
      .executeTakeFirstOrThrow();
    expect(event).toEqual({ caller: hash('+8657188880001'), called: hash('057188880002') });
  });
});

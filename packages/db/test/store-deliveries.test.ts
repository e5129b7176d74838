import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody, parsePush } from '@callpipe/events';
import { createRandom, demoBusinessByAppKey, expectedCall, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { acceptedDelivery, storeDeliveries, storeRejectedPushes, type AcceptedDelivery } from '@callpipe/db';

const options = { businessByAppKey: demoBusinessByAppKey };
const context = testContext();

function deliveryOf(push: Push, receivedAt = '2024-06-11T03:00:00.000Z', deliveryId: string = randomUUID()): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId, source: 'test', receivedAt }, verdict);
}

async function snapshot(database: TestDatabase) {
  const calls = await database.db.selectFrom('calls').selectAll().orderBy('session_id').execute();
  const events = await database.db.selectFrom('call_events').selectAll().orderBy('session_id').orderBy('event_key').execute();
  const cdrs = await database.db.selectFrom('cdrs').selectAll().orderBy('session_id').execute();
  return {
    calls: calls.map(({ created_at: _c, updated_at: _u, ...row }) => row),
    events: events.map(({ delivery_count: _d, first_received_at: _f, last_received_at: _l, ...row }) => row),
    cdrs: cdrs.map(({ delivery_count: _d, first_received_at: _f, last_received_at: _l, ...row }) => row),
    eventDeliveries: events.map((row) => row.delivery_count),
    cdrDeliveries: cdrs.map((row) => row.delivery_count),
  };
}

describe('storeDeliveries', () => {
  let inOrder: TestDatabase;
  let scrambled: TestDatabase;

  beforeAll(async () => {
    [inOrder, scrambled] = await Promise.all([context.createDatabase(), context.createDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([inOrder?.drop(), scrambled?.drop()]);
  });

  it('when pushes arrive permuted, duplicated and in concurrent batches, then the tables equal in-order exactly-once delivery', async () => {
    const calls = generateCalls(42, 120, { lossProbability: 0.15 });
    const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
    for (const push of pushes) await storeDeliveries(inOrder.db, [deliveryOf(push)]);

    const random = createRandom(7);
    const redelivered = pushes.filter(() => random.chance(0.3));
    const scrambledDeliveries = random.shuffle([...pushes, ...redelivered]).map((push) => deliveryOf(push));
    const batches: AcceptedDelivery[][] = [];
    for (let i = 0; i < scrambledDeliveries.length;) {
      const size = random.int(1, 40);
      batches.push(scrambledDeliveries.slice(i, i + size));
      i += size;
    }
    // Four concurrent writers, as with several worker processes; deadlocks would surface as errors here.
    const queue = [...batches];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) await storeDeliveries(scrambled.db, batch);
      }),
    );

    const expected = await snapshot(inOrder);
    const actual = await snapshot(scrambled);
    expect(actual.calls).toEqual(expected.calls);
    expect(actual.events).toEqual(expected.events);
    expect(actual.cdrs).toEqual(expected.cdrs);
    expect(expected.calls).toHaveLength(120);
    // Both databases must also hold exactly what the pure model derives from all of a call's pushes,
    // so a store that loses facts the same way in both cannot pass.
    for (const call of calls) {
      const { facts, summary } = expectedCall(call);
      const row = actual.calls.find((candidate) => candidate.session_id === call.sessionId)!;
      expect(row.facts).toEqual(facts);
      expect({
        state: row.state,
        outcome: row.outcome,
        business: row.business,
        state_code: row.state_code,
        answered_at: row.answered_at?.toISOString() ?? null,
      }).toEqual({
        state: summary.state,
        outcome: summary.outcome,
        business: summary.business,
        state_code: summary.stateCode,
        answered_at: summary.answeredAt,
      });
    }
    expect(expected.eventDeliveries.every((count) => count === 1)).toBe(true);
    const totalDeliveries = actual.eventDeliveries.reduce((a, b) => a + b, 0) + actual.cdrDeliveries.reduce((a, b) => a + b, 0);
    expect(totalDeliveries).toBe(pushes.length + redelivered.length);
  });
});

describe('storeDeliveries bookkeeping', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when the same CDR arrives 7 times hours apart, then it is one row with delivery_count 7', async () => {
    const [call] = generateCalls(1, 1);
    const push: Push = { eventType: 'fee', feeLst: [call!.cdr] };
    for (let hour = 0; hour < 7; hour += 1) {
      await storeDeliveries(database.db, [deliveryOf(push, `2024-06-11T${String(3 + hour).padStart(2, '0')}:00:00.000Z`)]);
    }
    const row = await database.db.selectFrom('cdrs').selectAll().where('session_id', '=', call!.sessionId).executeTakeFirstOrThrow();
    expect(row.delivery_count).toBe(7);
    expect(row.first_received_at.toISOString()).toBe('2024-06-11T03:00:00.000Z');
    expect(row.last_received_at.toISOString()).toBe('2024-06-11T09:00:00.000Z');
    const calls = await database.db.selectFrom('calls').select(['has_cdr', 'state']).where('session_id', '=', call!.sessionId).execute();
    expect(calls).toEqual([{ has_cdr: true, state: 'ended' }]);
  });

  it('when a call is pushed again unchanged, then its billing rows are left alone: a transaction holding them does not hold the store up', async () => {
    const [call] = generateCalls(3, 1);
    const pushes: Push[] = [...call!.statusPushes, { eventType: 'fee', feeLst: [call!.cdr] }];
    await storeDeliveries(
      database.db,
      pushes.map((push) => deliveryOf(push)),
    );
    await database.db.transaction().execute(async (holder) => {
      await sql`SELECT 1 FROM billing_contributions WHERE session_id = ${call!.sessionId} FOR UPDATE`.execute(holder);
      const held = sql`SELECT 1 FROM billing_contributions WHERE session_id = ${call!.sessionId} FOR UPDATE NOWAIT`.execute(database.db);
      await expect(held).rejects.toMatchObject({ code: '55P03' });
      let bound: NodeJS.Timeout | undefined;
      const resent = await Promise.race([
        storeDeliveries(
          database.db,
          pushes.map((push) => deliveryOf(push, '2024-06-11T04:00:00.000Z')),
        ),
        new Promise<never>((_, reject) => {
          bound = setTimeout(() => reject(new Error('the re-sent pushes waited for the billing rows of their call')), 10_000);
        }),
      ]).finally(() => clearTimeout(bound));
      expect(resent).toMatchObject({ callsCreated: 0, callsUpdated: 0, eventsInserted: 0, cdrsInserted: 0, cdrsRedelivered: 1 });
    });
  });

  it('when a job is retried with the same delivery id, then nothing is counted twice', async () => {
    const [call] = generateCalls(2, 1);
    const delivery = deliveryOf({ eventType: 'fee', feeLst: [call!.cdr] });
    const first = await storeDeliveries(database.db, [delivery]);
    const retry = await storeDeliveries(database.db, [delivery]);
    const again = await storeDeliveries(database.db, [delivery, delivery]);
    expect(first).toMatchObject({ freshDeliveries: 1, cdrsInserted: 1 });
    expect(retry).toMatchObject({ freshDeliveries: 0, alreadyStoredDeliveries: 1, cdrsInserted: 0, cdrsRedelivered: 0 });
    expect(again.freshDeliveries).toBe(0);
    const row = await database.db
      .selectFrom('cdrs')
      .select('delivery_count')
      .where('session_id', '=', call!.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.delivery_count).toBe(1);
  });

  it('when a batch holds a bad record among good ones, then the good ones are stored and the bad one is kept once', async () => {
    const calls = generateCalls(3, 2);
    const { sessionId: _unattributable, ...withoutSession } = calls[1]!.cdr;
    const push = { eventType: 'fee', feeLst: [calls[0]!.cdr, withoutSession] } as Push;
    const delivery = deliveryOf(push);
    await storeDeliveries(database.db, [delivery]);
    await storeDeliveries(database.db, [delivery]);
    const stored = await database.db
      .selectFrom('cdrs')
      .select('session_id')
      .where(
        'session_id',
        'in',
        calls.map((c) => c.sessionId),
      )
      .execute();
    expect(stored.map((row) => row.session_id)).toEqual([calls[0]!.sessionId]);
    const rejected = await database.db.selectFrom('rejected_pushes').selectAll().where('delivery_id', '=', delivery.deliveryId).execute();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ stage: 'worker', record_index: 1, reason_code: 'invalid_session_id' });
    expect((rejected[0]!.record as Record<string, unknown>)['icid']).toBe(calls[1]!.cdr['icid']);
  });

  it('when a record holds a value that does not fit, then it is stored with that column NULL and the anomaly beside it', async () => {
    const [call] = generateCalls(31, 1);
    const push = { eventType: 'fee', feeLst: [{ ...call!.cdr, callEndTime: '2024-13-40 99:00:00', ulFailReason: '518' }] } as Push;
    await storeDeliveries(database.db, [deliveryOf(push)]);
    const row = await database.db
      .selectFrom('cdrs')
      .select(['call_end_time', 'ul_fail_reason', 'anomalies'])
      .where('session_id', '=', call!.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.call_end_time).toBeNull();
    expect(row.ul_fail_reason).toBe(518);
    expect(row.anomalies).toEqual(
      expect.arrayContaining([
        { field: 'callEndTime', code: 'unparseable_time', value: '2024-13-40 99:00:00' },
        { field: 'ulFailReason', code: 'integer_as_string', value: '518' },
      ]),
    );
  });

  it('when a body was not UTF-8, then the ledger keeps its exact bytes and the push anomaly', async () => {
    const [call] = generateCalls(32, 1);
    const text = JSON.stringify(call!.statusPushes[0]).replace(/}}$/, ',"userData":"XX"}}');
    // userData in GBK, as a misconfigured sender would write it: not UTF-8.
    const [before, after] = text.split('XX') as [string, string];
    const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xc4, 0xe3]), Buffer.from(after)]);
    const decoded = decodeBody(bytes);
    if (!decoded.ok) throw new Error('bad fixture');
    const verdict = parsePush(decoded, options);
    if (!verdict.ok) throw new Error(`bad fixture: ${verdict.rejection.message}`);
    const delivery = acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: '2024-06-11T03:00:00.000Z' }, verdict);
    await storeDeliveries(database.db, [delivery]);
    const ledger = await database.db
      .selectFrom('push_deliveries')
      .select(['anomalies', 'original_body'])
      .where('delivery_id', '=', delivery.deliveryId)
      .executeTakeFirstOrThrow();
    expect(ledger.original_body).toEqual(bytes);
    expect(ledger.anomalies).toEqual([{ field: 'body', code: 'invalid_utf8_replaced', value: null }]);
  });

  it('when a rejected push is stored twice, then it is kept once with its raw bytes', async () => {
    const deliveryId = randomUUID();
    const body = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    const rejected = {
      deliveryId,
      stage: 'ingest' as const,
      source: 'http:/voicecall/events',
      receivedAt: '2024-06-11T03:00:00.000Z',
      contentType: 'application/json;charset=UTF-8',
      reasonCode: 'invalid_utf8',
      reasonMessage: 'the request body is not valid UTF-8',
      body,
      bodyTruncated: false,
    };
    expect(await storeRejectedPushes(database.db, [rejected])).toBe(1);
    expect(await storeRejectedPushes(database.db, [rejected])).toBe(0);
    const row = await database.db.selectFrom('rejected_pushes').selectAll().where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow();
    expect(Buffer.compare(row.body!, body)).toBe(0);
    expect(row.reason_code).toBe('invalid_utf8');
  });

  it('when times are stored, then they are UTC whatever the session time zone', async () => {
    const [call] = generateCalls(4, 1);
    await database.db.connection().execute(async (connection) => {
      await sql`SET TIME ZONE 'Asia/Shanghai'`.execute(connection);
      await storeDeliveries(connection, [deliveryOf({ eventType: 'fee', feeLst: [call!.cdr] })]);
    });
    const row = await database.db
      .selectFrom('cdrs')
      .select('call_end_time')
      .where('session_id', '=', call!.sessionId)
      .executeTakeFirstOrThrow();
    const expected = `${String(call!.cdr['callEndTime']).replace(' ', 'T')}.000Z`;
    expect(row.call_end_time?.toISOString()).toBe(expected);
  });
});

describe('storeDeliveries with hostile but valid text', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await context.createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when strings hold SQL, quotes, control characters, emoji and Chinese, then they are stored verbatim', async () => {
    const nasty = '\'); DROP TABLE calls;-- \\" \t\u0007\u001b[31m 订单 😀 \u2028';
    const push = {
      eventType: 'callout',
      statusInfo: { sessionId: `hostile-${randomUUID()}`, timestamp: '2024-06-11 02:30:15', userData: nasty, [nasty]: nasty },
    };
    const delivery = deliveryOf(push);
    await storeDeliveries(database.db, [delivery]);
    const row = await database.db
      .selectFrom('call_events')
      .select(['user_data', 'payload'])
      .where('session_id', '=', push.statusInfo.sessionId)
      .executeTakeFirstOrThrow();
    expect(row.user_data).toBe(nasty);
    expect((row.payload as { statusInfo: Record<string, string> }).statusInfo[nasty]).toBe(nasty);
    const tables = await sql<{ n: string }>`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'calls'`.execute(
      database.db,
    );
    expect(Number(tables.rows[0]!.n)).toBe(1);
  });
});

describe('storeDeliveries, as a property', () => {
  it('for any delivery order, duplication and batching over concurrent writers, every row equals the pure derivation and every count its deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 30 }), async (callSeed, orderSeed) => {
        const database = await context.createDatabase();
        try {
          const calls = generateCalls(callSeed, 12, {
            lossProbability: 0.15,
            unmappedAppKeyProbability: 0.3,
            missingCalledProbability: 0.2,
          });
          const random = createRandom(orderSeed);
          const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
          const sends = random.shuffle([...pushes, ...pushes.filter(() => random.chance(0.3)), ...pushes.filter(() => random.chance(0.1))]);
          const batches: AcceptedDelivery[][] = [];
          for (let i = 0; i < sends.length;) {
            const size = random.int(1, 25);
            batches.push(sends.slice(i, i + size).map((push) => deliveryOf(push)));
            i += size;
          }
          await Promise.all(
            Array.from({ length: 3 }, async () => {
              for (let batch = batches.shift(); batch; batch = batches.shift()) await storeDeliveries(database.db, batch);
            }),
          );

          const deliveriesOf = new Map<string, number>();
          for (const push of sends) {
            const delivery = deliveryOf(push);
            const key =
              delivery.push.kind === 'status'
                ? `${delivery.push.event.sessionId}|${delivery.push.event.eventKey}`
                : `cdr|${delivery.push.records[0]!.sessionId}`;
            deliveriesOf.set(key, (deliveriesOf.get(key) ?? 0) + 1);
          }
          const events = await database.db.selectFrom('call_events').select(['session_id', 'event_key', 'delivery_count']).execute();
          const cdrs = await database.db.selectFrom('cdrs').select(['session_id', 'delivery_count']).execute();
          const stored = new Map([
            ...events.map((row) => [`${row.session_id}|${row.event_key}`, row.delivery_count] as const),
            ...cdrs.map((row) => [`cdr|${row.session_id}`, row.delivery_count] as const),
          ]);
          expect(stored).toEqual(deliveriesOf);

          for (const call of calls) {
            const { facts, summary } = expectedCall(call);
            const row = await database.db
              .selectFrom('calls')
              .selectAll()
              .where('session_id', '=', call.sessionId)
              .executeTakeFirstOrThrow();
            expect(row.facts).toEqual(facts);
            expect({
              business: row.business,
              state: row.state,
              outcome: row.outcome,
              called_number: row.called_number,
              forwarded_number: row.forwarded_number,
              answered_at: row.answered_at?.toISOString() ?? null,
              talk_seconds: row.talk_seconds,
              leg_count: row.leg_count,
            }).toEqual({
              business: summary.business,
              state: summary.state,
              outcome: summary.outcome,
              called_number: summary.calledNumber,
              forwarded_number: summary.forwardedNumber,
              answered_at: summary.answeredAt,
              talk_seconds: summary.talkSeconds,
              leg_count: summary.legCount,
            });
          }
        } finally {
          await database.drop();
        }
      }),
      { numRuns: 8 },
    );
  });
});

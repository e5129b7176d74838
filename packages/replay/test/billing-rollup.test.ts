import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acceptedDelivery,
  billingDailyFromScratch,
  ensurePartitions,
  readBillingDaily,
  rebuildBillingRollup,
  setTariff,
  storeDeliveries,
  type AcceptedDelivery,
  type Database,
} from '@callpipe/db';
import { parsePush, type BusinessByAppKey } from '@callpipe/events';
import { createRandom, demoAppKeys, demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import type { Kysely } from 'kysely';
import { reprocessCalls } from '../src/index.ts';

const context = testContext();
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});

function deliveryOf(push: Push, businessByAppKey: BusinessByAppKey = demoBusinessByAppKey): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), { businessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: '2024-06-11T05:00:00.000Z' }, verdict);
}

const since = new Date('2024-01-01T00:00:00Z');

async function baseTariffs(db: Kysely<Database>): Promise<void> {
  await setTariff(db, { appKey: null, business: 'click2call', leg: 'call-out', price: '0.060000', currency: 'CNY', validFrom: since });
  await setTariff(db, { appKey: null, business: 'click2call', leg: 'forwarded', price: '0.070000', currency: 'CNY', validFrom: since });
  await setTariff(db, { appKey: null, business: 'notify', leg: 'call-out', price: '0.100000', currency: 'CNY', validFrom: since });
}

/**
 * Two sets of calls around midnight of the billing zones used (Shanghai, New York), so calls cross a
 * day boundary, and a third set far from every zone's midnight: the start times are random, so the
 * first two sets alone can all land on one side of midnight and on a single billing day.
 */
function trafficOf(seed: number) {
  const options = { lossProbability: 0.2, unmappedAppKeyProbability: 0.2 };
  return [
    ...generateCalls(seed, 8, { ...options, startAt: new Date('2024-06-10T15:52:00Z') }),
    ...generateCalls(seed + 1, 8, { ...options, startAt: new Date('2024-06-11T03:52:00Z') }),
    ...generateCalls(seed + 2, 2, { ...options, startAt: new Date('2024-06-12T08:00:00Z') }),
  ];
}

describe('billing_daily', () => {
  it('when CDRs are stored and rated, then each leg costs its started minutes times the tariff, and without tariffs costs are NULL', async () => {
    const database = await context.createDatabase();
    databases.push(database);
    const [call] = generateCalls(7, 40).filter((one) => one.business === 'click2call' && one.cdr['fwdAnswerTime']);
    expect(call).toBeDefined();
    await storeDeliveries(database.db, [deliveryOf({ eventType: 'fee', feeLst: [call!.cdr] })], { billingTimeZone: 'Asia/Shanghai' });
    const unrated = await database.db.selectFrom('cdrs').selectAll().executeTakeFirstOrThrow();
    expect([unrated.call_out_cost, unrated.fwd_cost, unrated.total_cost, unrated.cost_currency]).toEqual([null, null, null, null]);
    expect(unrated.call_out_minutes! + unrated.fwd_minutes!).toBe(unrated.billable_minutes);

    await baseTariffs(database.db);
    await reprocessCalls(database.db, {}, { businessByAppKey: demoBusinessByAppKey, billingTimeZone: 'Asia/Shanghai' });
    const rated = await database.db.selectFrom('cdrs').selectAll().executeTakeFirstOrThrow();
    const expectedCallOut = (rated.call_out_minutes! * 60_000) / 1e6;
    expect(Number(rated.call_out_cost)).toBeCloseTo(expectedCallOut, 9);
    expect(Number(rated.fwd_cost)).toBeCloseTo((rated.fwd_minutes! * 70_000) / 1e6, 9);
    expect(rated.total_cost).toBe((Number(rated.call_out_cost) + Number(rated.fwd_cost)).toFixed(6));
    expect(rated.cost_currency).toBe('CNY');
    const [day] = await readBillingDaily(database.db);
    expect(day).toMatchObject({
      app_key: demoAppKeys.click2call,
      business: 'click2call',
      currency: 'CNY',
      calls: '1',
      cdrs: '1',
      cost: rated.total_cost,
    });
  });

  it('when a call is deleted (retention), then its billing day is kept', async () => {
    const database = await context.createDatabase();
    databases.push(database);
    const calls = generateCalls(11, 5);
    await storeDeliveries(
      database.db,
      calls.map((call) => deliveryOf({ eventType: 'fee', feeLst: [call.cdr] })),
    );
    const before = await readBillingDaily(database.db);
    const retention = await ensurePartitions(database.db, { now: new Date('2024-06-20T00:00:00Z'), aheadDays: 1, retentionDays: 2 });
    expect(retention.callsDeleted).toBe(calls.length);
    expect(await database.db.selectFrom('calls').select('session_id').execute()).toEqual([]);
    expect(await database.db.selectFrom('billing_contributions').select('session_id').execute()).toEqual([]);
    expect(await readBillingDaily(database.db)).toEqual(before);
    await database.db.transaction().execute((trx) => rebuildBillingRollup(trx, 'Asia/Shanghai'));
    expect(await readBillingDaily(database.db)).toEqual(before);
  });

  it('as a property: for any order, duplication, late arrival, concurrency, reprocess and re-rating, it equals the from-scratch aggregate', async () => {
    const database = await context.createDatabase();
    databases.push(database);
    const db = database.db;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom('Asia/Shanghai', 'UTC', 'America/New_York'),
        fc.boolean(),
        async (callSeed, orderSeed, timeZone, tariffsFirst) => {
          await sql`TRUNCATE calls, cdrs, call_events, push_deliveries, tariffs, billing_contributions, billing_daily`.execute(db);
          if (tariffsFirst) await baseTariffs(db);
          const calls = trafficOf(callSeed);
          const random = createRandom(orderSeed);
          const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
          const sends = random.shuffle([...pushes, ...pushes.filter(() => random.chance(0.3))]);
          // Late arrivals and redeliveries: some pushes come only after the reprocess, some again.
          const late = sends.filter(() => random.chance(0.25));
          const early = sends.filter((push) => !late.includes(push));
          late.push(...pushes.filter(() => random.chance(0.15)));
          const batchesOf = (list: Push[]) => {
            const batches: AcceptedDelivery[][] = [];
            for (let i = 0; i < list.length;) {
              const size = random.int(1, 12);
              batches.push(list.slice(i, i + size).map((push) => deliveryOf(push)));
              i += size;
            }
            return batches;
          };
          const writers = (batches: AcceptedDelivery[][], count: number) =>
            Array.from({ length: count }, async () => {
              for (let batch = batches.shift(); batch; batch = batches.shift())
                await storeDeliveries(db, batch, { billingTimeZone: timeZone });
            });

          await Promise.all(writers(batchesOf(early), 3));
          expect(await readBillingDaily(db)).toEqual(await billingDailyFromScratch(db, timeZone));

          // A tariff change and a reprocess with another app → business map (calls move between
          // groups), concurrently with the late deliveries.
          await setTariff(db, {
            appKey: demoAppKeys.verify,
            business: null,
            leg: 'call-out',
            price: '0.020000',
            currency: 'USD',
            validFrom: since,
          });
          if (!tariffsFirst) await baseTariffs(db);
          const movedMap = new Map(
            [...demoBusinessByAppKey].map(([appKey, business]) => [appKey, business === 'verify' ? 'notify' : business] as const),
          );
          await Promise.all([
            ...writers(batchesOf(late), 2),
            reprocessCalls(db, {}, { businessByAppKey: movedMap, billingTimeZone: timeZone, batchSize: random.int(3, 10) }),
          ]);
          expect(await readBillingDaily(db)).toEqual(await billingDailyFromScratch(db, timeZone));

          await reprocessCalls(db, {}, { businessByAppKey: demoBusinessByAppKey, billingTimeZone: timeZone });
          const expected = await billingDailyFromScratch(db, timeZone);
          expect(await readBillingDaily(db)).toEqual(expected);
          // Not vacuous: every call counted once, on more than one day, some of it rated.
          const total = expected.reduce((sum, row) => sum + Number(row.calls), 0);
          expect(total).toBe(calls.length);
          expect(new Set(expected.map((row) => row.billing_day)).size).toBeGreaterThan(1);
          expect(expected.some((row) => row.cost !== null && Number(row.cost) > 0)).toBe(true);

          await db.transaction().execute((trx) => rebuildBillingRollup(trx, timeZone));
          expect(await readBillingDaily(db)).toEqual(expected);
        },
      ),
      { numRuns: 10 },
    );
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedDelivery, storeDeliveries } from '@callpipe/db';
import { formatHuaweiTime, parsePush } from '@callpipe/events';
import { demoAppKeys, demoBusinessByAppKey, type Push } from '@callpipe/fixtures';
import { createMetricsRegistry, createWorkerMetrics } from '@callpipe/metrics';
import { createLogger } from '@callpipe/runtime';
import { testContext, waitFor, type TestDatabase } from '@callpipe/testkit';
import { createMissingCdrGauge, MISSING_CDR_LOOKBACK_MS, UNKNOWN_APP_LABEL } from '../src/missing-cdr-gauge.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 20, 12, 0, 0);
const options = { businessByAppKey: demoBusinessByAppKey };

/** A call's disconnect, ended `hoursAgo` before NOW; with its CDR when `appKey` is given. */
function call(sessionId: string, hoursAgo: number, appKey?: string) {
  const end = new Date(NOW - hoursAgo * HOUR);
  const pushes: Push[] = [
    {
      eventType: 'callout',
      statusInfo: { sessionId, timestamp: formatHuaweiTime(new Date(end.getTime() - 60_000)), called: '+8613800000001' },
    },
    { eventType: 'disconnect', statusInfo: { sessionId, timestamp: formatHuaweiTime(end), called: '+8613800000001', stateCode: 8101 } },
    ...(appKey ? [cdr(sessionId, end, appKey)] : []),
  ];
  return pushes;
}
function cdr(sessionId: string, end: Date, appKey: string): Push {
  return {
    eventType: 'fee',
    feeLst: [{ sessionId, appKey, serviceType: '001', callEndTime: formatHuaweiTime(end), failTime: formatHuaweiTime(end) }],
  };
}
async function store(database: TestDatabase, pushes: Push[]) {
  await storeDeliveries(
    database.db,
    pushes.map((push) => {
      const verdict = parsePush(JSON.stringify(push), options);
      if (!verdict.ok) throw new Error(verdict.rejection.message);
      return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: new Date(NOW).toISOString() }, verdict);
    }),
  );
}

describe('callpipe_calls_missing_cdr', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testContext().createDatabase();
    await store(database, [
      ...call('missing-1', 8),
      ...call('missing-2', 30),
      ...call('inside-horizon', 2),
      ...call('with-cdr', 8, demoAppKeys.notify),
      ...call('beyond-lookback', 7 + MISSING_CDR_LOOKBACK_MS / HOUR + 1),
    ]);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when started, then it counts the calls past the horizon and inside the lookback, and a CDR that comes takes its call off', async () => {
    const metrics = createWorkerMetrics(createMetricsRegistry('worker'));
    const value = async (appKey: string) => (await metrics.callsMissingCdr.get()).values.find((v) => v.labels.app_key === appKey)?.value;
    const gauge = createMissingCdrGauge(database.db, metrics, { horizonMs: 7 * HOUR, now: () => NOW }, createLogger({ level: 'silent' }));
    expect(await value(UNKNOWN_APP_LABEL)).toBe(0);
    gauge.start();
    try {
      await waitFor(async () => (await value(UNKNOWN_APP_LABEL)) === 2, { what: 'the first refresh' });
      expect((await metrics.callsMissingCdr.get()).values).toHaveLength(1);

      await store(database, [cdr('missing-1', new Date(NOW - 8 * HOUR), demoAppKeys.notify)]);
      await gauge.refresh();
      expect(await value(UNKNOWN_APP_LABEL)).toBe(1);

      // A longer horizon moves the window back: the call of 30 hours ago and the one just past the default lookback count.
      const longer = createMissingCdrGauge(
        database.db,
        metrics,
        { horizonMs: 24 * HOUR, now: () => NOW },
        createLogger({ level: 'silent' }),
      );
      await longer.refresh();
      expect(await value(UNKNOWN_APP_LABEL)).toBe(2);
      await store(database, [cdr('missing-2', new Date(NOW - 30 * HOUR), demoAppKeys.verify)]);
      await longer.refresh();
      expect((await metrics.callsMissingCdr.get()).values).toEqual([{ labels: { app_key: UNKNOWN_APP_LABEL }, value: 1 }]);
    } finally {
      await gauge.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushQueue, createRedisConnection, queuePrefix, type PushQueue, type RedisClient } from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix, waitFor, type TestDatabase } from '@callpipe/testkit';
import { createWorkerService, parseWorkerEnv, type WorkerService } from '@callpipe/worker';
import { pushJob } from './support.ts';

// CDRs of serviceType 001 from an app CALLPIPE_APP_BUSINESS does not name: counted per CDR in
// callpipe_worker_calls_without_business_total, and the app named once in the log.
const context = testContext();
const prefix = uniqueQueuePrefix('business-gaps');
const lines: string[] = [];
let redis: RedisClient;
let queue: PushQueue;
let database: TestDatabase;
let worker: WorkerService;
let metricsUrl: string;

beforeAll(async () => {
  redis = createRedisConnection(context.redisUrl, 'worker');
  queue = createPushQueue(redis, queuePrefix(prefix));
  database = await context.createDatabase();
  worker = createWorkerService(
    parseWorkerEnv({
      REDIS_URL: context.redisUrl,
      DATABASE_URL: database.url,
      CALLPIPE_QUEUE_PREFIX: prefix,
      CALLPIPE_APP_BUSINESS: 'known-app=notify',
      WORKER_ADMIN_HOST: '127.0.0.1',
      WORKER_ADMIN_PORT: '0',
    }),
    createLogger({ level: 'warn', write: (line) => lines.push(line) }),
  );
  metricsUrl = `http://127.0.0.1:${(await worker.start()).adminPort}/metrics`;
});
afterAll(async () => {
  await worker?.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
  await database?.drop();
});

const cdr = (sessionId: string, appKey: string, serviceType: string) => ({
  eventType: 'fee' as const,
  feeLst: [{ sessionId, appKey, serviceType }],
});
async function counterValue(): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^callpipe_worker_calls_without_business_total\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 'NaN');
}

describe('calls without business', () => {
  it('when an unmapped app sends serviceType 001 CDRs, then each is counted and the app is warned about once', async () => {
    const jobs = [
      cdr('gap-1', 'unmapped-app', '001'),
      cdr('gap-2', 'unmapped-app', '001'),
      cdr('gap-3', 'unmapped-app', '001'),
      cdr('gap-4', 'known-app', '001'),
      cdr('gap-5', 'other-app', '002'),
    ].map((push) => pushJob(push));
    await queue.addBulk(jobs);
    await waitFor(async () => (await database.db.selectFrom('cdrs').select('session_id').execute()).length === 5, {
      what: 'the CDRs stored',
    });
    expect(await counterValue()).toBe(3);
    const warnings = lines.filter((line) => line.includes('without a CALLPIPE_APP_BUSINESS entry'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn', appKey: 'unmapped-app' });
    const calls = await database.db.selectFrom('calls').select(['session_id', 'business']).orderBy('session_id').execute();
    expect(calls.map((call) => call.business)).toEqual([null, null, null, 'notify', 'click2call']);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Push } from '@callpipe/fixtures';
import {
  createPushQueue,
  createRedisConnection,
  queuePrefix,
  type PushJobData,
  type PushQueue,
  type SinglePushName,
} from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix, type TestDatabase } from '@callpipe/testkit';
import { createWorkerService, parseWorkerEnv, type WorkerService } from '@callpipe/worker';

/** A push queued as the ingest would: the body as received, one delivery id per job. */
export function pushJob(
  push: Push | string,
  overrides: Partial<PushJobData> = {},
): { name: SinglePushName; data: PushJobData; opts: { jobId: string } } {
  const body = typeof push === 'string' ? push : JSON.stringify(push);
  const deliveryId = overrides.deliveryId ?? randomUUID();
  const data: PushJobData = {
    deliveryId,
    source: 'test',
    receivedAt: new Date().toISOString(),
    contentType: null,
    body,
    bodyEncoding: 'utf8',
    rejection: null,
    ...overrides,
  };
  const name: SinglePushName = data.rejection ? 'rejected' : typeof push !== 'string' && push.eventType === 'fee' ? 'fee' : 'status';
  return { name, data, opts: { jobId: deliveryId } };
}

/** A running worker on its own database and queue prefix for one test file, torn down after it. */
export function workerFixture(
  label: string,
  env: Record<string, string>,
): { readonly database: TestDatabase; readonly queue: PushQueue; readonly redisUrl: string } {
  const context = testContext();
  const prefix = uniqueQueuePrefix(label);
  const redis = createRedisConnection(context.redisUrl, 'worker');
  const queue = createPushQueue(redis, queuePrefix(prefix));
  const state: { database?: TestDatabase; worker?: WorkerService } = {};
  beforeAll(async () => {
    state.database = await context.createDatabase();
    state.worker = createWorkerService(
      parseWorkerEnv({
        REDIS_URL: context.redisUrl,
        DATABASE_URL: state.database.url,
        CALLPIPE_QUEUE_PREFIX: prefix,
        WORKER_ADMIN_PORT: '0',
        WORKER_ADMIN_HOST: '127.0.0.1',
        ...env,
      }),
      createLogger({ level: 'silent' }),
    );
    await state.worker.start();
  });
  afterAll(async () => {
    await state.worker?.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
    await state.database?.drop();
  });
  return {
    get database() {
      return state.database!;
    },
    queue,
    redisUrl: context.redisUrl,
  };
}

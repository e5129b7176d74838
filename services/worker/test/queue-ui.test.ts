import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushQueue, createRedisConnection, queuePrefix, type PushQueue, type RedisClient } from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix, waitFor, type TestDatabase } from '@callpipe/testkit';
import { createWorkerService, parseWorkerEnv, type WorkerService } from '@callpipe/worker';
import { pushJob } from './support.ts';

// The admin port of a real worker: Bull Board behind WORKER_QUEUE_UI_TOKEN, with the numbers of
// queued pushes masked, while /metrics and the probes stay open.
const context = testContext();
const TOKEN = 'queue-ui-token-0123456789';
const CALLER = '+8613800001234';
const statusBody = JSON.stringify({ eventType: 'callout', statusInfo: { sessionId: 'ui-1', caller: CALLER, called: '13912345678' } });
let redis: RedisClient;
let database: TestDatabase;

interface Admin {
  service: WorkerService;
  queue: PushQueue;
  base: string;
}

async function startWorker(label: string, env: Record<string, string>): Promise<Admin> {
  const prefix = uniqueQueuePrefix(label);
  const queue = createPushQueue(redis, queuePrefix(prefix));
  // Left in the queue before the worker starts: a dead letter whose reason holds a number, and a
  // push delayed for an hour, which the worker does not take meanwhile.
  const dead = pushJob(statusBody, { deliveryId: `${label}-dead` });
  await queue.add(dead.name, dead.data, { ...dead.opts, attempts: 1 });
  const failing = new Worker(queue.name, () => Promise.reject(new UnrecoverableError(`refused the push of ${CALLER}`)), {
    connection: redis,
    prefix: queue.opts.prefix!,
  });
  try {
    await waitFor(async () => (await queue.getFailedCount()) === 1, { what: 'the job dead-lettered' });
  } finally {
    await failing.close();
  }
  const delayed = pushJob(statusBody, { deliveryId: `${label}-delayed` });
  await queue.add(delayed.name, delayed.data, { ...delayed.opts, delay: 3_600_000 });
  const service = createWorkerService(
    parseWorkerEnv({
      REDIS_URL: context.redisUrl,
      DATABASE_URL: database.url,
      CALLPIPE_QUEUE_PREFIX: prefix,
      WORKER_ADMIN_HOST: '127.0.0.1',
      WORKER_ADMIN_PORT: '0',
      ...env,
    }),
    createLogger({ level: 'silent' }),
  );
  const { adminPort } = await service.start();
  return { service, queue, base: `http://127.0.0.1:${adminPort}` };
}

const admins: Admin[] = [];
let guarded: Admin;
let unmasked: Admin;

beforeAll(async () => {
  redis = createRedisConnection(context.redisUrl, 'worker');
  database = await context.createDatabase();
  guarded = await startWorker('queue-ui-token', { WORKER_QUEUE_UI_TOKEN: TOKEN });
  admins.push(guarded);
  unmasked = await startWorker('queue-ui-unmasked', { WORKER_QUEUE_UI_UNMASKED: 'true' });
  admins.push(unmasked);
});
afterAll(async () => {
  for (const admin of admins) {
    await admin.service.stop();
    await admin.queue.obliterate({ force: true });
    await admin.queue.close();
  }
  await redis.quit();
  await database?.drop();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const jobsUrl = (admin: Admin, status: string) => `${admin.base}/queues/api/queues?activeQueue=pushes&status=${status}`;

interface BoardJob {
  id: string;
  data: { body: string };
  failedReason: string;
  stacktrace: string[];
}
async function boardJobs(admin: Admin, status: string, headers: Record<string, string> = {}): Promise<BoardJob[]> {
  const response = await fetch(jobsUrl(admin, status), { headers });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { queues: Array<{ name: string; jobs: BoardJob[] }> };
  return body.queues.find((queue) => queue.name === 'pushes')!.jobs;
}

describe('the queue UI', () => {
  it('when a token is set and a request has none or a wrong one, then /queues answers 401 and asks for basic auth', async () => {
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: basic('ops', 'wrong') },
      { authorization: 'Basic' },
    ]) {
      for (const path of ['/queues', '/queues/api/queues', '/queues/static/js/main.js']) {
        const response = await fetch(`${guarded.base}${path}`, { headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="callpipe queues"/);
        expect(await response.text()).not.toContain(CALLER.slice(3));
      }
    }
  });

  it('when the token comes as a bearer token or a basic-auth password, then the board answers 200', async () => {
    for (const authorization of [`Bearer ${TOKEN}`, basic('anyone', TOKEN), basic('', TOKEN)]) {
      const page = await fetch(`${guarded.base}/queues`, { headers: { authorization } });
      expect(page.status, authorization).toBe(200);
      expect(await page.text()).toContain('<html');
    }
  });

  it('when a token is set, then /metrics, /healthz and /readyz stay open without one', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) expect((await fetch(`${guarded.base}${path}`)).status, path).toBe(200);
  });

  it('when the board serves queued and failed jobs, then numbers are masked in the data, the reason and the stack trace', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const [delayed] = await boardJobs(guarded, 'delayed', headers);
    expect(delayed!.data.body).toContain('+86138****1234');
    expect(delayed!.data.body).toContain('139****5678');
    const [failed] = await boardJobs(guarded, 'failed', headers);
    expect(failed!.failedReason).toBe('refused the push of +86138****1234');
    expect(failed!.stacktrace.length).toBeGreaterThan(0);
    const one = await fetch(`${guarded.base}/queues/api/queues/pushes/${failed!.id}`, { headers });
    const served = JSON.stringify(await one.json());
    for (const text of [served, JSON.stringify(delayed), JSON.stringify(failed)]) {
      expect(text).not.toContain('13800001234');
      expect(text).not.toContain('12345678');
    }
  });

  it('when WORKER_QUEUE_UI_UNMASKED is true (on loopback, no token), then the board shows the pushes as queued', async () => {
    const [delayed] = await boardJobs(unmasked, 'delayed');
    expect(delayed!.data.body).toBe(statusBody);
    const [failed] = await boardJobs(unmasked, 'failed');
    expect(failed!.failedReason).toBe(`refused the push of ${CALLER}`);
  });
});

import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { databaseUrlFor, dropDatabase, uniqueQueuePrefix, waitFor } from '@callpipe/testkit';
import { freePort, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';

// The queue admin UI as an operator sees it: a real headless Chromium on the worker's admin port.
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (infra/local/ensure-services.sh does)`);
const serverUrl = inject('databaseServerUrl');
const redisUrl = inject('redisUrl');
const databaseName = `callpipe_ui_${Date.now()}`;
const prefix = uniqueQueuePrefix('ui');
let worker: CallpipeProcess;
let browser: Browser;
let admin: string;

beforeAll(async () => {
  const env = {
    DATABASE_URL: databaseUrlFor(serverUrl, databaseName),
    REDIS_URL: redisUrl,
    CALLPIPE_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  expect(await runCallpipe(['migrate'], env).exited).toBe(0);
  const port = await freePort();
  admin = `http://127.0.0.1:${port}`;
  worker = runCallpipe(['worker'], { ...env, WORKER_ADMIN_HOST: '127.0.0.1', WORKER_ADMIN_PORT: String(port) });
  await waitForHttp(`${admin}/healthz`);
  // A job to look at: an empty body, which the worker files as rejected and completes.
  const connection = createRedisConnection(redisUrl, 'worker');
  const queue = createPushQueue(connection, queuePrefix(prefix));
  const deliveryId = randomUUID();
  await queue.add(
    'rejected',
    {
      deliveryId,
      source: 'test',
      receivedAt: new Date().toISOString(),
      contentType: null,
      body: '',
      bodyEncoding: 'utf8',
      rejection: null,
    },
    { jobId: deliveryId },
  );
  await waitFor(async () => (await queue.getJob(deliveryId))?.finishedOn, { timeoutMs: 10_000, what: 'the rejected job processed' });
  await queue.close();
  await connection.quit();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop('SIGTERM');
  await dropDatabase(serverUrl, databaseName);
});

describe('queue admin UI (Bull Board)', () => {
  it('when an operator opens /queues on the worker admin port, then it lists the callpipe push queue, read-only', async () => {
    const page = await browser.newPage();
    await page.goto(`${admin}/queues`);
    await page.getByText('pushes', { exact: false }).first().waitFor({ timeout: 20_000 });
    expect(await page.title()).toContain('callpipe queues');
    await page.screenshot({ path: join(mkdtempSync(join(tmpdir(), 'callpipe-ui-')), 'queues.png') });
    await page.goto(`${admin}/queues/queue/pushes?status=completed`);
    await page
      .getByText(/COMPLETED/)
      .first()
      .waitFor({ timeout: 20_000 });
    // The completed job's card, where a read-write UI puts its Retry and Clean buttons, is on the
    // page: only now does their absence mean anything.
    await page.getByText('Finished at').first().waitFor({ timeout: 20_000 });
    const body = (await page.textContent('body')) ?? '';
    expect(body).not.toMatch(/Clean all|Retry/);
    await page.close();
  });

  it('when WORKER_QUEUE_UI is read-write, then the queue actions appear, and when off there is no UI', async () => {
    const env = {
      DATABASE_URL: databaseUrlFor(serverUrl, databaseName),
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      WORKER_ADMIN_HOST: '127.0.0.1',
    };
    const [writablePort, offPort] = [await freePort(), await freePort()];
    const writable = runCallpipe(['worker'], { ...env, WORKER_ADMIN_PORT: String(writablePort), WORKER_QUEUE_UI: 'read-write' });
    const off = runCallpipe(['worker'], { ...env, WORKER_ADMIN_PORT: String(offPort), WORKER_QUEUE_UI: 'off' });
    try {
      await Promise.all([waitForHttp(`http://127.0.0.1:${writablePort}/healthz`), waitForHttp(`http://127.0.0.1:${offPort}/healthz`)]);
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${writablePort}/queues/queue/pushes?status=completed`);
      await page
        .getByText(/Clean all/)
        .first()
        .waitFor({ timeout: 20_000 });
      await page.close();
      expect((await fetch(`http://127.0.0.1:${offPort}/queues`)).status).toBe(404);
    } finally {
      await Promise.all([writable.stop('SIGTERM'), off.stop('SIGTERM')]);
    }
  });

  it('when WORKER_QUEUE_UI_TOKEN is set, then a browser is asked for it and sees the board with it as basic-auth password', async () => {
    const token = 'e2e-queue-ui-token-0123';
    const port = await freePort();
    const guarded = runCallpipe(['worker'], {
      DATABASE_URL: databaseUrlFor(serverUrl, databaseName),
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      WORKER_ADMIN_HOST: '127.0.0.1',
      WORKER_ADMIN_PORT: String(port),
      WORKER_QUEUE_UI_TOKEN: token,
      // A typo of WORKER_CONCURRENCY: warned at start with the name it probably meant.
      WORKER_CONCURENCY: '8',
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, guarded);
      const refused = await fetch(`http://127.0.0.1:${port}/queues`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: token } });
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/queues`);
      await page.getByText('pushes', { exact: false }).first().waitFor({ timeout: 20_000 });
      await context.close();
      expect(guarded.output()).toContain('WORKER_CONCURENCY is not a variable callpipe reads (did you mean WORKER_CONCURRENCY?)');
    } finally {
      await guarded.stop('SIGTERM');
    }
  });

  it('when the UI is open on a non-loopback host without a token, then the worker warns at start; read-write refuses to start', async () => {
    const env = {
      DATABASE_URL: databaseUrlFor(serverUrl, databaseName),
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    };
    const port = await freePort();
    const open = runCallpipe(['worker'], { ...env, WORKER_ADMIN_HOST: '0.0.0.0', WORKER_ADMIN_PORT: String(port) });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, open);
      await waitFor(() => open.output().includes('the queue UI at /queues needs no token'), { what: 'the open-UI warning' });
    } finally {
      await open.stop('SIGTERM');
    }
    const writable = runCallpipe(['worker'], {
      ...env,
      WORKER_ADMIN_HOST: '0.0.0.0',
      WORKER_ADMIN_PORT: '0',
      WORKER_QUEUE_UI: 'read-write',
    });
    expect(await writable.exited).toBe(1);
    expect(writable.output()).toContain('WORKER_QUEUE_UI_TOKEN: required when WORKER_QUEUE_UI is read-write');
  });
});

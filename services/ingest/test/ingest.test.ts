import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushQueue, createRedisConnection, queuedPushes, queuePrefix, type PushJobData } from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix } from '@callpipe/testkit';
import { createIngestService, parseIngestEnv, type IngestService } from '@callpipe/ingest';

const { redisUrl } = testContext();
const prefix = uniqueQueuePrefix('ingest');
const lines: string[] = [];
const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });

let service: IngestService;
let base: string;
let admin: string;
const redis = createRedisConnection(redisUrl, 'worker');
const queue = createPushQueue(redis, queuePrefix(prefix));

async function post(body: string | Uint8Array, init: { path?: string; contentType?: string } = {}) {
  const response = await fetch(`${base}${init.path ?? '/voicecall/events'}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': init.contentType ?? 'application/json;charset=UTF-8' },
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function jobFor(deliveryIdHint: (data: PushJobData) => boolean) {
  const pushes = await queuedPushes(queue);
  return pushes.find((push) => deliveryIdHint(push.data));
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'callpipe-ingest-spool-'));

const status = (sessionId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventType: 'callout',
    statusInfo: { sessionId, timestamp: '2024-06-11 02:30:15', caller: '+8657188880001', called: '+8613800000001', ...extra },
  });

beforeAll(async () => {
  service = createIngestService(
    parseIngestEnv({
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: prefix,
      INGEST_PORT: '0',
      INGEST_ADMIN_PORT: '0',
      INGEST_HOST: '127.0.0.1',
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_BODY_LIMIT_BYTES: '65536',
      INGEST_SPOOL_DIR: spoolDir(),
    }),
    logger,
  );
  const ports = await service.start();
  base = `http://127.0.0.1:${ports.port}`;
  admin = `http://127.0.0.1:${ports.adminPort}`;
});

afterAll(async () => {
  await service?.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
});

describe('ingest', () => {
  it('when a status push arrives, then it is queued as received and answered 200 with resultcode 0', async () => {
    const body = status('ingest-s1');
    const response = await post(body);
    expect(response).toEqual({
      status: 200,
      contentType: 'application/json;charset=UTF-8',
      body: { resultcode: '0', resultdesc: 'Success' },
    });
    const job = await jobFor((data) => data.body === body);
    expect(job?.name).toBe('status');
    expect(job?.data).toMatchObject({ source: 'http:/voicecall/events', bodyEncoding: 'utf8', rejection: null });
    expect(job?.id).toBe(job?.data.deliveryId);
  });

  it('when a CDR push arrives on the fee alias with a text/plain content type, then it is accepted as a CDR', async () => {
    const body = JSON.stringify({ eventType: 'fee', feeLst: [{ sessionId: 'ingest-c1', callEndTime: '2024-06-11 02:33:02' }] });
    const response = await post(body, { path: '/voicecall/fee', contentType: 'text/plain' });
    expect(response.status).toBe(200);
    expect((await jobFor((data) => data.body === body))?.name).toBe('fee');
  });

  it('when the same push arrives twice, then both deliveries are queued with different ids', async () => {
    const body = status('ingest-dup');
    await post(body);
    await post(body);
    const jobs = (await queuedPushes(queue)).filter((job) => job.data.body === body);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(2);
  });

  it.each([
    ['not JSON', 'invalid_json', 'hello'],
    ['empty', 'empty_body', ''],
    ['missing sessionId', 'invalid_session_id', JSON.stringify({ eventType: 'answer', statusInfo: {} })],
    ['feeLst an object', 'invalid_fee_list', JSON.stringify({ eventType: 'fee', feeLst: {} })],
    ['no record with a sessionId', 'invalid_session_id', JSON.stringify({ eventType: 'fee', feeLst: [{ callEndTime: '' }] })],
  ])('when the body is %s, then it gets 400 %s and the body is kept for the worker', async (_name, code, body) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) as string } });
    const job = await jobFor((data) => data.rejection?.code === code && data.body === body);
    expect(job?.name).toBe('rejected');
  });

  it('when a CDR push holds 51 records, then it is accepted whole (the documented limit is 50) and queued as a CDR push', async () => {
    const body = JSON.stringify({ eventType: 'fee', feeLst: Array.from({ length: 51 }, (_, i) => ({ sessionId: `ingest-51-${i}` })) });
    const response = await post(body);
    expect(response.status).toBe(200);
    expect((await jobFor((data) => data.body === body))?.name).toBe('fee');
  });

  it('when an attributable body is not UTF-8, then it is accepted and its exact bytes are queued in base64', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"eventType":"answer","statusInfo":{"sessionId":"ingest-gbk","userData":"'),
      Buffer.from([0xc4, 0xe3, 0xba, 0xc3]),
      Buffer.from('"}}'),
    ]);
    const response = await post(bytes);
    expect(response.status).toBe(200);
    const job = await jobFor((data) => data.bodyEncoding === 'base64' && Buffer.from(data.body, 'base64').equals(bytes));
    expect(job?.name).toBe('status');
    expect(job?.data.rejection).toBeNull();
  });

  it('when a body that is not UTF-8 is not JSON either, then it gets 400 invalid_json and the raw bytes are kept in base64', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22]);
    const response = await post(bytes);
    expect(response.body).toMatchObject({ error: { code: 'invalid_json' } });
    const job = await jobFor((data) => data.rejection?.code === 'invalid_json' && data.bodyEncoding === 'base64');
    expect(Buffer.from(job!.data.body, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('when the body is over the limit, then it gets 413 body_too_large and the read prefix is kept', async () => {
    const body = status('ingest-big', { userData: 'x'.repeat(70_000) });
    const response = await post(body);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 'body_too_large' } });
    const job = await jobFor((data) => data.rejection?.code === 'body_too_large');
    expect(job?.data.rejection?.bodyTruncated).toBe(true);
    expect(job?.data.body).toHaveLength(65_536);
    expect(body.startsWith(job!.data.body)).toBe(true);
  });

  it('when a push uses GET or PUT, then it gets 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT']) {
      const response = await fetch(`${base}/voicecall/events`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    }
  });

  it('when an unknown path is hit, then it gets 404 and the admin endpoints are not on the public port', async () => {
    for (const path of ['/nope', '/metrics', '/readyz']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
    }
  });

  // Two bodies above were not JSON: 'hello' and the bytes that are neither UTF-8 nor JSON.
  it('exposes health, readiness and metrics on the admin port', async () => {
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/callpipe_ingest_requests_total\{route="events",outcome="accepted",code="ok",service="ingest"\} \d+/);
    expect(metrics).toMatch(/callpipe_ingest_requests_total\{route="events",outcome="rejected",code="invalid_json",service="ingest"\} 2/);
    expect(metrics).toContain('callpipe_ingest_ack_duration_seconds_bucket');
    expect(metrics).toContain('nodejs_eventloop_lag_seconds');
  });

  it('never logs a phone number unmasked', () => {
    expect(lines.join('')).not.toMatch(/\+86\d{6,}/);
  });
});

describe('ingest without Redis', () => {
  const offlineEnv = (extra: Record<string, string>) =>
    parseIngestEnv({
      REDIS_URL: 'redis://127.0.0.1:1',
      INGEST_PORT: '0',
      INGEST_ADMIN_PORT: '0',
      INGEST_HOST: '127.0.0.1',
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_ENQUEUE_TIMEOUT_MS: '300',
      ...extra,
    });

  it('when Redis is unreachable, then the push is spooled to disk and acked 200, and the spool shows in metrics', async () => {
    const offline = createIngestService(offlineEnv({ INGEST_SPOOL_DIR: spoolDir() }), createLogger({ level: 'silent' }));
    const ports = await offline.start();
    try {
      const response = await fetch(`http://127.0.0.1:${ports.port}/voicecall/events`, { method: 'POST', body: status('offline') });
      expect(response.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.adminPort}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.adminPort}/metrics`)).text();
      expect(metrics).toMatch(/callpipe_ingest_requests_total\{route="events",outcome="accepted",code="spooled",service="ingest"\} 1/);
      expect(metrics).toMatch(/callpipe_ingest_spool_bytes\{service="ingest"\} [1-9]\d*/);
    } finally {
      await offline.stop();
    }
  });

  it('when neither Redis nor the spool can take a push, then it gets 503 queue_unavailable quickly', async () => {
    const offline = createIngestService(
      offlineEnv({ INGEST_SPOOL_DIR: spoolDir(), INGEST_SPOOL_MAX_BYTES: '1024' }),
      createLogger({ level: 'silent' }),
    );
    const ports = await offline.start();
    try {
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${ports.port}/voicecall/events`, {
        method: 'POST',
        body: status('offline', { padding: 'x'.repeat(2_000) }),
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'queue_unavailable' } });
      expect(Date.now() - started).toBeLessThan(5_000);
      const ready = await fetch(`http://127.0.0.1:${ports.adminPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('the spool is full');
    } finally {
      await offline.stop();
    }
  });

  it('when draining begins, then readiness turns 503 at once', async () => {
    service.beginDraining();
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'draining' });
  });
});

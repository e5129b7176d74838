import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { uniqueQueuePrefix } from '@callpipe/testkit';
import { freePort, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';

// An operator testing an ingest that enforces signatures: `callpipe simulate --sign` signs every push
// as the platform does, and the real ingest, in enforce mode, acks them; unsigned or wrongly signed
// pushes get 401.
const redisUrl = inject('redisUrl');
const prefix = uniqueQueuePrefix('simulate-signed');
const spoolDir = mkdtempSync(join(tmpdir(), 'callpipe-signed-spool-'));
const SECRET = 'an:app:secret-with-colons';
let ingest: CallpipeProcess;
let pushUrl: string;
let adminUrl: string;

beforeAll(async () => {
  const [port, adminPort] = [await freePort(), await freePort()];
  pushUrl = `http://127.0.0.1:${port}/voicecall/events`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  ingest = runCallpipe(['ingest'], {
    REDIS_URL: redisUrl,
    CALLPIPE_QUEUE_PREFIX: prefix,
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: String(port),
    INGEST_ADMIN_HOST: '127.0.0.1',
    INGEST_ADMIN_PORT: String(adminPort),
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_SIGNATURE_MODE: 'enforce',
    INGEST_SIGNATURE_URL: 'https://callpipe.example.com/voicecall/events',
    INGEST_APP_SECRETS: JSON.stringify({ 'signed-app': { secrets: [SECRET], variants: ['url_concat'] } }),
    LOG_LEVEL: 'warn',
  });
  await waitForHttp(`${adminUrl}/healthz`, 30_000, ingest);
});
afterAll(async () => {
  await ingest?.stop('SIGTERM');
  const redis = createRedisConnection(redisUrl, 'worker');
  const queue = createPushQueue(redis, queuePrefix(prefix));
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
  rmSync(spoolDir, { recursive: true, force: true });
});

const simulate = async (...extra: string[]) => {
  const run = runCallpipe(['simulate', '--url', pushUrl, '--calls', '3', '--rate', '500', '--seed', '7', ...extra], {});
  return { code: await run.exited, output: run.output() };
};

describe('callpipe simulate --sign against an ingest in enforce mode', () => {
  it('when the pushes are signed with the app secret, variant and configured URL, then every one is acked', async () => {
    const result = await simulate(
      '--sign',
      `signed-app:${SECRET}:url_concat`,
      '--sign-url',
      'https://callpipe.example.com/voicecall/events',
    );
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('signing as signed-app (url_concat) for https://callpipe.example.com/voicecall/events');
    expect(result.output).toMatch(/"acked":\d+,"rejected":0,"unavailable":0,"error":0/);
    const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/callpipe_ingest_signature_checks_total\{[^}]*mode="enforce"[^}]*result="ok"[^}]*\} [1-9]/);
  });

  it('when the pushes are unsigned, signed with another variant or for another URL, then they are refused and it exits 1', async () => {
    for (const extra of [[], ['--sign', `signed-app:${SECRET}`], ['--sign', `signed-app:${SECRET}:url_concat`]]) {
      const result = await simulate(...extra);
      expect(result.code, `${extra.join(' ')}\n${result.output}`).toBe(1);
      expect(result.output).toMatch(/"acked":0,"rejected":[1-9]\d*,/);
    }
  });

  it('when --sign is malformed, then it is a usage error naming the form', async () => {
    for (const spec of ['signed-app', 'signed-app:', ':secret']) {
      const result = await simulate('--sign', spec);
      expect(result.code).toBe(2);
      expect(result.output).toContain('--sign: must be appKey:secret[:variant], variant one of url_newline, url_concat, nonce_created');
    }
  });
});
